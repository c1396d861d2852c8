ipvsadm -C
ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -A -f 3
ipvsadm --clear
ipvsadm -L -n
ipvsadm -C -t 192.0.2.1:80
ipvsadm -A -t 192.0.2.3:80 -s rr
