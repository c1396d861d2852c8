# The reference session captured for the project (shared/golden/ipvsadm).
ipvsadm -A -t 192.0.2.10:80 -s rr
ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.1:80 -g -w 3
ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.2 -i
ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.3:8080 -m -x 50 -y 10
ipvsadm -A -u 192.0.2.20:53 -s wlc -p 360 -M 255.255.255.0
ipvsadm -a -u 192.0.2.20:53 -r 198.51.100.4 -g
ipvsadm -A -f 9 -s sh -b sh-port
ipvsadm -A -t [2001:db8::5]:443 -s lc
ipvsadm -a -t [2001:db8::5]:443 -r [2001:db8::6]:443 -m
ipvsadm -L
ipvsadm -L -c -t 192.0.2.10:80
ipvsadm -e -t 192.0.2.10:80 -r 198.51.100.1:80 -g -w 0
ipvsadm -E -t 192.0.2.10:80 -s wrr
ipvsadm -d -t 192.0.2.10:80 -r 198.51.100.9
ipvsadm -D -t 192.0.2.99:80
ipvsadm -A -t 192.0.2.10:80 -s rr
ipvsadm -A -t 192.0.2.11:80 -s nosuch
ipvsadm -A -t 192.0.2.11 -s rr
ipvsadm -a -t 192.0.2.10:80 -r 198.51.100.1:80 -w 99999
ipvsadm --frobnicate
ipvsadm -Z
