# Real servers on the director itself: "Local" forwarding.
ipvsadm -A -t 127.0.0.1:80 -s rr
ipvsadm -a -t 127.0.0.1:80 -r 127.0.0.1:8080 -g
ipvsadm -a -t 127.0.0.1:80 -r 127.0.0.2 -m
ipvsadm -A -t 192.0.2.1:81
ipvsadm -a -t 192.0.2.1:81 -r 127.0.0.1 -i
