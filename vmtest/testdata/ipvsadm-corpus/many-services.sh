i=1
while [ $i -le 30 ]; do
	ipvsadm -A -t 192.0.2.$i:80 -s rr
	ipvsadm -a -t 192.0.2.$i:80 -r 10.1.0.$i -m -w $i
	i=$((i + 1))
done
