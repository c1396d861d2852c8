ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1 -i --tun-type gue
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.2 -i --tun-type vxlan
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.3 -i --tun-type ipip --tun-port 6080
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.4 -i --tun-type ipip --tun-csum
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.5 -g --tun-type gue --tun-port 6080
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.6 -i --tun-type gre --tun-port 6080
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.7 -i --tun-type gue --tun-port 0
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.8 -i --tun-type gue --tun-port 65536
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.9 -i --tun-type gue --tun-port 6080 --tun-csum --tun-nocsum
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.10 -i --tun-type gre --tun-remcsum
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.11 -i --tun-port 6080
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.12 --tun-type gue --tun-port 6080
