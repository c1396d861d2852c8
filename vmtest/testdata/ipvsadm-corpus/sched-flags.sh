ipvsadm -A -t 192.0.2.1:1 -s sh -b sh-fallback
ipvsadm -A -t 192.0.2.1:2 -s sh -b sh-port,sh-fallback
ipvsadm -A -t 192.0.2.1:3 -s mh -b mh-fallback
ipvsadm -A -t 192.0.2.1:4 -s mh -b mh-port,mh-fallback
ipvsadm -A -t 192.0.2.1:5 -s rr -b flag-1
ipvsadm -A -t 192.0.2.1:6 -s rr -b flag-1,flag-2,flag-3
ipvsadm -A -t 192.0.2.1:7 -s wlc --sched-flags flag-2
ipvsadm -A -t 192.0.2.1:8 -s sh -b bogus
ipvsadm -A -t 192.0.2.1:9 -s sh -b sh-port,
ipvsadm -A -t 192.0.2.1:10 -s sh -b ""
ipvsadm -A -t 192.0.2.1:11 -s rr -b sh-port
ipvsadm -A -t 192.0.2.1:12 -s mh -b sh-port
ipvsadm -A -t 192.0.2.1:13 -b sh-port
