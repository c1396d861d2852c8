ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -A -u 192.0.2.1:53
ipvsadm -Z
ipvsadm -Z -t 192.0.2.1:80
ipvsadm --zero -u 192.0.2.1:53
ipvsadm -Z -t 192.0.2.9:80
ipvsadm -Z -f 3
ipvsadm -Z -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -L -n --stats
