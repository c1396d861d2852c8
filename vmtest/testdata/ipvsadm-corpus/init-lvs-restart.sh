# /etc/init.d/lvs stop then start, twice (heartbeat failing back and forth).
i=0
while [ $i -lt 2 ]; do
	ipvsadm -C
	ipvsadm -A -t 10.144.43.185:8080 -s rr
	ipvsadm -a -t 10.144.43.185:8080 -r 10.144.43.175 -w 5 -g
	ipvsadm -a -t 10.144.43.185:8080 -r 10.144.43.187 -w 5 -g
	ipvsadm -a -t 10.144.43.185:8080 -r 10.144.43.142 -w 5 -g
	i=$((i + 1))
done
ipvsadm -l
