ipvsadm -A -t 192.0.2.1:80 -s rr -p 300 -M 255.255.255.0
ipvsadm -E -t 192.0.2.1:80 -s rr
ipvsadm -L -n
ipvsadm -E -t 192.0.2.1:80 -s rr -p 10
ipvsadm -E -t 192.0.2.1:80 -s rr -p 10 -M 255.255.0.0
ipvsadm -E -t 192.0.2.1:80 -s sh -b sh-port
ipvsadm -E -t 192.0.2.1:80 -s sh
ipvsadm -E -t 192.0.2.1:80 -o
ipvsadm -A -u 192.0.2.1:53 -s rr
ipvsadm -E -u 192.0.2.1:53 -s rr -o
ipvsadm -E -u 192.0.2.1:53 -s rr --pe sip -p
