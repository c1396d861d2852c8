ipvsadm -A -u 192.0.2.1:80 -s rr
ipvsadm -a -u 192.0.2.1:80 -r 10.0.0.1 -i --tun-type ipip
ipvsadm -a -u 192.0.2.1:80 -r 10.0.0.2 -i --tun-type gue --tun-port 6080
ipvsadm -a -u 192.0.2.1:80 -r 10.0.0.3 -i --tun-type gue --tun-port 6081 --tun-nocsum
ipvsadm -a -u 192.0.2.1:80 -r 10.0.0.4 -i --tun-type gue --tun-port 6082 --tun-csum
ipvsadm -a -u 192.0.2.1:80 -r 10.0.0.5 -i --tun-type gue --tun-port 6083 --tun-remcsum
ipvsadm -a -u 192.0.2.1:80 -r 10.0.0.6 -i --tun-type gre
ipvsadm -a -u 192.0.2.1:80 -r 10.0.0.7 -i --tun-type gre --tun-csum
ipvsadm -a -u 192.0.2.1:80 -r 10.0.0.8 -i --tun-type gre --tun-nocsum
ipvsadm -L -n --tun-info
