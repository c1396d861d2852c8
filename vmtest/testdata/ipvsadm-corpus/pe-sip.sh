ipvsadm -A -u 192.0.2.1:5060 -s rr -p 60 --pe sip
ipvsadm -a -u 192.0.2.1:5060 -r 10.0.0.1 -m
ipvsadm -A -u 192.0.2.1:5061 --pe sip
ipvsadm -A -t 192.0.2.1:5060 -p --pe sip
ipvsadm -A -u 192.0.2.1:5062 -p --pe nosuch
ipvsadm -A -u 192.0.2.1:5063 -p --pe ""
ipvsadm -E -u 192.0.2.1:5060 -s rr -p 60
ipvsadm -A -f 7 -p --pe sip
