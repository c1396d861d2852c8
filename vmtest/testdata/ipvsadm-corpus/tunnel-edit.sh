ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1 -i
ipvsadm -e -t 192.0.2.1:80 -r 10.0.0.1 -i --tun-type gue --tun-port 5555 --tun-csum
ipvsadm -L -n --tun-info
ipvsadm -e -t 192.0.2.1:80 -r 10.0.0.1 -i --tun-type gre
ipvsadm -e -t 192.0.2.1:80 -r 10.0.0.1 -m
ipvsadm -L -n --tun-info
