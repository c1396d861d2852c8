# -R resolves host and service names through /etc/hosts and /etc/services.
ipvsadm -R <<'RULES'
-A -t lvs-vip:telnet -s wlc
-a -t lvs-vip:telnet -r linux187 -i
-a -t lvs-vip:telnet -r linux142:telnet -g
-A -u dns.example.test:domain -s rr
-a -u dns.example.test:domain -r rs1 -m
-A -t www:http-alt -s rr
RULES
ipvsadm -S
ipvsadm -S -n
