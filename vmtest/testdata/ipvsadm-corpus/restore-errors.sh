# An error in the middle of -R: what was applied before stays, the rest is
# not applied, and the exit status says so.
ipvsadm -R <<'RULES'
-A -t 192.0.2.1:80 -s rr
-a -t 192.0.2.1:80 -r 10.0.0.1
-a -t 192.0.2.9:80 -r 10.0.0.2
-A -t 192.0.2.2:80 -s rr
RULES
ipvsadm -L -n
ipvsadm -R <<'RULES'
-A -t 192.0.2.3:80 -s rr
-A -t 192.0.2.3:80 -s rr
-A -t 192.0.2.4:80 -s rr
RULES
ipvsadm -R <<'RULES'
-A -t 192.0.2.5:80 -s nosuch
-A -t 192.0.2.6:80 -s rr
RULES
ipvsadm -R <<'RULES'
-A -t 192.0.2.7:80 --bogus
-A -t 192.0.2.8:80 -s rr
RULES
