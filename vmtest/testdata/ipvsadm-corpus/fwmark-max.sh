# The largest fwmark: 1.31 lists it as 4294967295 but saves it as -1.
ipvsadm -A -f 4294967295 -s rr
ipvsadm -a -f 4294967295 -r 10.0.0.1 -g
ipvsadm -A -f 2147483648 -s rr
ipvsadm -L -n
ipvsadm -S -n
ipvsadm -R <<'RULES'
-A -f -1 -s rr
RULES
