ipvsadm -A -t 192.0.2.1:80 -s wrr
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1 -w 1
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.2:81 -m -w 2
ipvsadm -e -t 192.0.2.1:80 -r 10.0.0.1 -w 10
ipvsadm -e -t 192.0.2.1:80 -r 10.0.0.1:80 -i
ipvsadm -e -t 192.0.2.1:80 -r 10.0.0.2:81 -g
ipvsadm -e -t 192.0.2.1:80 -r 10.0.0.2:81
ipvsadm -e -t 192.0.2.1:80 -r 10.0.0.3 -w 1
ipvsadm -e -t 192.0.2.9:80 -r 10.0.0.1 -w 1
ipvsadm --edit-server --tcp-service 192.0.2.1:80 --real-server 10.0.0.1 --weight 0
ipvsadm -e -t 192.0.2.1:80
