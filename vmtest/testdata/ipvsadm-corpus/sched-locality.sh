# Every scheduler, one service each (2/3).
ipvsadm -A -t 192.0.2.1:6 -s lblcr
ipvsadm -A -t 192.0.2.1:7 -s dh
ipvsadm -A -t 192.0.2.1:8 -s sh
ipvsadm -A -t 192.0.2.1:9 -s sed
ipvsadm -A -t 192.0.2.1:10 -s nq
ipvsadm -a -t 192.0.2.1:8 -r 10.0.0.1
ipvsadm -a -t 192.0.2.1:8 -r 10.0.0.2
