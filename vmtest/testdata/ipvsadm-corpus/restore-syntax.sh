# Comments, blank lines, leading blanks, quoting and odd lines in -R input.
ipvsadm -R <<'RULES'
# a comment
-A -t 192.0.2.1:80 -s rr

   -a -t 192.0.2.1:80 -r 10.0.0.1 -w 2
	-a -t 192.0.2.1:80 -r 10.0.0.2	-m
-A -t 192.0.2.2:80 -s "wlc"
-A -t '192.0.2.3:80' -s rr
RULES
ipvsadm -R <<'RULES'
ipvsadm -A -t 192.0.2.4:80 -s rr
RULES
ipvsadm -R <<'RULES'
-L -n
-A -t 192.0.2.5:80 -s rr
RULES
ipvsadm -R <<'RULES'
-R
RULES
ipvsadm -R -n <<'RULES'
-A -t 192.0.2.6:80
RULES
ipvsadm -R </dev/null
ipvsadm -R -t 192.0.2.7:80 <<'RULES'
-A -t 192.0.2.8:80
RULES
