# Seed manual, Part II 2 and mon's lvs.alert: LVS/DR, then a real server
# removed as mon would when it fails.
ipvsadm -A -t 10.144.43.185:23 -s rr
ipvsadm -a -t 10.144.43.185:23 -r 10.144.43.175 -g
ipvsadm -a -t 10.144.43.185:23 -r 10.144.43.142 -g
ipvsadm -a -t 10.144.43.185:23 -r 10.144.43.187 -g
ipvsadm -l
ipvsadm -d -t 10.144.43.185:23 -r 10.144.43.175
ipvsadm -l
