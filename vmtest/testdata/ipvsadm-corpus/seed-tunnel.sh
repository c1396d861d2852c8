# Seed manual, Part II 1: LVS/TUN on the director nb8048.
ipvsadm -A -t 10.144.43.185:23 -s wlc
ipvsadm -a -t 10.144.43.185:23 -r 10.144.43.187 -i
ipvsadm -a -t 10.144.43.185:23 -r 10.144.43.142 -i
ipvsadm -l
ipvsadm -L -n
