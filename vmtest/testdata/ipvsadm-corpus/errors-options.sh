ipvsadm --frobnicate
ipvsadm -X
ipvsadm -A
ipvsadm -A -t
ipvsadm -A -s rr
ipvsadm -a -t 192.0.2.1:80
ipvsadm -A -t 192.0.2.1:80 -D -t 192.0.2.1:80
ipvsadm -A -t 192.0.2.1:80 -u 192.0.2.1:80
ipvsadm -A -t 192.0.2.1:80 -f 1
ipvsadm -r 10.0.0.1
ipvsadm -s rr
ipvsadm -w 1
ipvsadm -A -t 192.0.2.1:80 extra
ipvsadm -A -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -A -t 192.0.2.1:80 -w 3
ipvsadm -A -t 192.0.2.1:80 -g
ipvsadm -L -r 10.0.0.1
ipvsadm -C -s rr
ipvsadm -Z -s rr
ipvsadm -L -A
ipvsadm -LA
ipvsadm --add-service --tcp-service
ipvsadm -- -A
ipvsadm -
