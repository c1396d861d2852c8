# Every scheduler, one service each (1/3).
ipvsadm -A -t 192.0.2.1:1 -s rr
ipvsadm -A -t 192.0.2.1:2 -s wrr
ipvsadm -A -t 192.0.2.1:3 -s lc
ipvsadm -A -t 192.0.2.1:4 -s wlc
ipvsadm -A -t 192.0.2.1:5 --scheduler lblc
ipvsadm -a -t 192.0.2.1:1 -r 10.0.0.1 -w 2
ipvsadm -a -t 192.0.2.1:2 -r 10.0.0.1 -w 3
ipvsadm -a -t 192.0.2.1:5 -r 10.0.0.1 -m
