# Real server ports: inherited from the service, given, and for fwmark.
ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.2:8080 -g
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.3:8080 -m
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.4:8080 -i
ipvsadm -A -t 192.0.2.1:0 -s rr -p
ipvsadm -a -t 192.0.2.1:0 -r 10.0.0.5
ipvsadm -a -t 192.0.2.1:0 -r 10.0.0.6:443 -m
ipvsadm -A -f 8 -s rr
ipvsadm -a -f 8 -r 10.0.0.7
ipvsadm -a -f 8 -r 10.0.0.8:22
ipvsadm -A -t 192.0.2.1:65535
ipvsadm -a -t 192.0.2.1:65535 -r 10.0.0.9:1
