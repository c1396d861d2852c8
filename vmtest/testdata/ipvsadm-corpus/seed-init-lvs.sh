# Seed manual, /etc/init.d/lvs start and stop.
ipvsadm -A -t 10.144.43.185:8080 -s rr
ipvsadm -a -t 10.144.43.185:8080 -r 10.144.43.175 -w 5 -g
ipvsadm -a -t 10.144.43.185:8080 -r 10.144.43.187 -w 5 -g
ipvsadm -a -t 10.144.43.185:8080 -r 10.144.43.142 -w 5 -g
ipvsadm -l
ipvsadm -C
ipvsadm -l
ipvsadm -A -t 10.144.43.185:8080 -s rr
ipvsadm -a -t 10.144.43.185:8080 -r 10.144.43.175 -w 5 -g
ipvsadm -a -t 10.144.43.185:8080 -r 10.144.43.187 -w 5 -m
