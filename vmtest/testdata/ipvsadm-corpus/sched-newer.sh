# Every scheduler, one service each (3/3), and bad names.
ipvsadm -A -t 192.0.2.1:11 -s fo
ipvsadm -A -t 192.0.2.1:12 -s ovf
ipvsadm -A -t 192.0.2.1:13 -s mh
ipvsadm -a -t 192.0.2.1:11 -r 10.0.0.1 -w 5
ipvsadm -a -t 192.0.2.1:11 -r 10.0.0.2 -w 9
ipvsadm -a -t 192.0.2.1:13 -r 10.0.0.3
ipvsadm -A -t 192.0.2.1:14 -s twos
ipvsadm -A -t 192.0.2.1:15 -s RR
ipvsadm -A -t 192.0.2.1:16 -s ""
ipvsadm -A -t 192.0.2.1:17 -s averyveryverylongschedulername
ipvsadm -A -t 192.0.2.1:18 -s
