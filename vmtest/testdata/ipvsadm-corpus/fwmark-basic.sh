ipvsadm -A -f 1 -s rr
ipvsadm -a -f 1 -r 10.0.0.1 -g
ipvsadm -a -f 1 -r 10.0.0.2:80 -m
ipvsadm -a -f 1 -r 10.0.0.3 -i -w 2
ipvsadm -A --fwmark-service 2 -s wlc -p 600
ipvsadm -a --fwmark-service 2 -r 10.0.0.4 -g
ipvsadm -A -f 0
ipvsadm -A -f -1
ipvsadm -A -f 4294967296
ipvsadm -A -f abc
ipvsadm -A -f 0x10 -s rr
