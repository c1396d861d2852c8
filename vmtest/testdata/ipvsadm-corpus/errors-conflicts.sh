ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -L -c -t 192.0.2.1:80
ipvsadm -L --timeout -t 192.0.2.1:80
ipvsadm -L --daemon -t 192.0.2.1:80
ipvsadm -L --stats --rate
ipvsadm -L --thresholds --stats
ipvsadm -L --persistent-conn --rate
ipvsadm -L -c --stats
ipvsadm -L --timeout --daemon
ipvsadm -L -c --timeout
ipvsadm -A -t 192.0.2.2:80 --stats
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.2 -n
ipvsadm -S -c
ipvsadm -S --stats
ipvsadm -A -t 192.0.2.3:80 -s rr -s wlc
ipvsadm -A -t 192.0.2.4:80 -p 10 -p 20
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.3 -w 1 -w 2
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.4 -r 10.0.0.5
ipvsadm -E -t 192.0.2.1:80 -x 10
