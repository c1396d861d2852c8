ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -A -t 192.0.2.2:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.2
ipvsadm -d -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -d -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm --delete-server -t 192.0.2.1:80 -r 10.0.0.2:80
ipvsadm -d -t 192.0.2.1:80
ipvsadm -D -t 192.0.2.2:80
ipvsadm -D -t 192.0.2.2:80
ipvsadm --delete-service -u 192.0.2.1:80
ipvsadm -D
ipvsadm -D -t 192.0.2.1:80 -s rr
