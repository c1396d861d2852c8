# What the manual's lvs.alert runs for mon: -a with -w and a forwarding flag
# on up, -d on down, for TCP and UDP.
ipvsadm -A -t 10.144.43.185:80 -s rr
ipvsadm -A -u 10.144.43.185:53 -s rr
ipvsadm -a -t 10.144.43.185:80 -r 10.144.43.142 -w 5 -g
ipvsadm -a -t 10.144.43.185:80 -r 10.144.43.187 -w 3 -m
ipvsadm -a -t 10.144.43.185:80 -r 10.144.43.175 -w 1 -i
ipvsadm -a -u 10.144.43.185:53 -r 10.144.43.142 -w 5 -g
ipvsadm -d -t 10.144.43.185:80 -r 10.144.43.187
ipvsadm -d -u 10.144.43.185:53 -r 10.144.43.142
ipvsadm -d -u 10.144.43.185:53 -r 10.144.43.142
ipvsadm -a -t 10.144.43.185:80 -r 10.144.43.187 -w 3 -m
ipvsadm -a -t 10.144.43.185:80 -r 10.144.43.187 -w 3 -m
