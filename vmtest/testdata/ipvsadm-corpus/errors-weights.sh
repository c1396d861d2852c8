ipvsadm -A -t 192.0.2.1:80 -s wrr
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1 -w -1
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.2 -w 65536
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.3 -w 99999
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.4 -w abc
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.5 -w ""
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.6 -w 2147483647
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.7 -w 0x10
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.8 -w 010
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.9 -w " 5"
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.10 -w 5x
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.11 -w
