# Every forwarding method, weights, and the default (gatewaying).
ipvsadm -A -t 192.0.2.1:80
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.2 -g
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.3 --gatewaying -w 7
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.4 -i -w 0
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.5 --ipip
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.6:8080 -m -w 65535
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.7 --masquerading --weight 2
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.8 -g -i
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.9 -m -g
