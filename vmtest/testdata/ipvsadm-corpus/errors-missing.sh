ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -e -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -d -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -E -t 192.0.2.1:80 -s rr
ipvsadm -D -t 192.0.2.1:80
ipvsadm -L -n -t 192.0.2.1:80
ipvsadm -L -t 192.0.2.1:80
ipvsadm -L -n -f 1
ipvsadm -L -n -u 192.0.2.1:80
ipvsadm -S -n
ipvsadm -Z -t 192.0.2.1:80
ipvsadm -A -t 192.0.2.2:80
ipvsadm -d -t 192.0.2.2:80 -r 10.0.0.1
ipvsadm -L -n -t 192.0.2.2
