ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -A -t [2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535 -s rr
ipvsadm -a -t [2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:65535 -r [2001:db8:ffff:ffff:ffff:ffff:ffff:fffe]:65535 -m
ipvsadm -L -n --stats
ipvsadm -L -n --rate
ipvsadm -L -n --stats --exact
ipvsadm -L -n --rate --exact
ipvsadm -L -n --thresholds
ipvsadm -L -n --persistent-conn
ipvsadm -L -n --tun-info
ipvsadm -L --stats
