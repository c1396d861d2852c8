ipvsadm -A -u 192.0.2.20:53 -s rr
ipvsadm -a -u 192.0.2.20:53 -r 198.51.100.4 -m
ipvsadm -a -u 192.0.2.20:53 -r 198.51.100.5:5353 -m -w 3
ipvsadm -A --udp-service 192.0.2.20:123 -s wrr
ipvsadm -a --udp-service 192.0.2.20:123 --real-server 198.51.100.6 -g
ipvsadm -A -u 192.0.2.21:5060 -o -s rr
ipvsadm -A -t 192.0.2.21:5060 --ops -s rr
ipvsadm -a -u 192.0.2.21:5060 -r 198.51.100.7 -g
