ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -A -t 192.0.2.1:80 -s wlc -p
ipvsadm -A -u 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1:80 -m
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1:81
ipvsadm -A -f 1
ipvsadm -A -f 1
ipvsadm -a -f 1 -r 10.0.0.1
ipvsadm -a -f 1 -r 10.0.0.1
