# Host and service names through /etc/hosts and /etc/services, and how -L
# shows them back.
ipvsadm -A -t lvs-vip:telnet -s wlc
ipvsadm -a -t lvs-vip:telnet -r linux187 -i
ipvsadm -a -t lvs-vip:telnet -r linux142 -i
ipvsadm -a -t lvs-vip:telnet -r nb8048:23 -g
ipvsadm -A -t www.example.test:http -s rr
ipvsadm -a -t www.example.test:http -r rs1.example.test:http-alt -m
ipvsadm -a -t www.example.test:http -r rs2:webcache -m
ipvsadm -A -u dns.example.test:domain
ipvsadm -a -u dns.example.test:domain -r 198.51.100.77
ipvsadm -A -t lvs-vip:nosuchservice
ipvsadm -A -t nosuchhost:80
ipvsadm -A -u lvs-vip:sip -s rr
ipvsadm -A -t lvs-vip:https -s rr
ipvsadm -a -t lvs-vip:https -r 10.9.9.9:https -m
ipvsadm -L
ipvsadm -L -t lvs-vip:telnet
ipvsadm -L -n -t lvs-vip:23
