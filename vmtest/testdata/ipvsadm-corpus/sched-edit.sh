# Changing the scheduler of a service with -E, and -E without -s.
ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1
ipvsadm -E -t 192.0.2.1:80 -s wlc
ipvsadm -E -t 192.0.2.1:80 -s mh -b mh-port
ipvsadm -E -t 192.0.2.1:80
ipvsadm -E -t 192.0.2.1:80 -s nosuch
ipvsadm -E -t 192.0.2.2:80 -s rr
ipvsadm --edit-service -t 192.0.2.1:80 --scheduler sh --sched-flags sh-fallback
