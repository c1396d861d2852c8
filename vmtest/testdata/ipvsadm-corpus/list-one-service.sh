ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -A -f 12 -s wlc
ipvsadm -a -f 12 -r 10.0.0.2
ipvsadm -A -u 192.0.2.1:80 -s rr
ipvsadm -L -n -t 192.0.2.1:80
ipvsadm -L -n -f 12
ipvsadm -L -n -u 192.0.2.1:80
ipvsadm -L -n -t 192.0.2.1:80 --stats
ipvsadm -L -n -t 192.0.2.1:80 --rate
ipvsadm -L -n -t 192.0.2.1:80 --thresholds
ipvsadm -L -n -t 192.0.2.1:80 --persistent-conn
ipvsadm -L -n -t 192.0.2.1:80 --tun-info
ipvsadm -L -n -t 192.0.2.1:80 --exact
ipvsadm -L -f 12
