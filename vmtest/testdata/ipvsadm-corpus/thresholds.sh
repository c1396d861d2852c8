ipvsadm -A -t 192.0.2.1:80 -s wlc
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1 -x 100 -y 50
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.2 --u-threshold 10
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.3 --l-threshold 5
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.4 -x 5 -y 10
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.5 -x 4294967295 -y 0
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.6 -x -1
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.7 -x abc
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.8 -x 4294967296
ipvsadm -e -t 192.0.2.1:80 -r 10.0.0.1 -x 200 -y 0
ipvsadm -L -n --thresholds
