ipvsadm -A -f 5 -6 -s rr
ipvsadm -a -f 5 -6 -r [2001:db8::10] -g
ipvsadm -a -f 5 -6 -r [2001:db8::11]:80 -m -w 3
ipvsadm -A -f 5 -s rr
ipvsadm -a -f 5 -r 10.0.0.5 -g
ipvsadm -a -f 5 -r [2001:db8::12] -g
ipvsadm -A -f 6 --ipv6 -p 30 -M 64
ipvsadm -A -t 192.0.2.1:80 -6
