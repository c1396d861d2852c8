#!/bin/sh
# Where ipvsadm -Ln of 5,000 x 4 spends its time (issue: -Ln at <= 0.5x of 1.31), run
# in the VM by `go run ./vmtest/cmd/vmrun -ours ipvsadm -out DIR bench/ipvsadm-profile.sh`:
# the table loaded by 1.31, then N listings by each, alternating, timed, and ours with
# IPVSADM_CPUPROFILE (profiles in /results/cpu.*; go tool pprof -top DIR/cpu.*).
N=${N:-10}
now() { read t _ </proc/uptime; echo "$t"; }
ip link set lo up
awk 'BEGIN {
	for (s = 0; s < 5000; s++) {
		vip = sprintf("10.1.%d.%d:80", int(s / 200), s % 200 + 1)
		printf "-A -t %s -s rr\n", vip
		for (d = 1; d <= 4; d++)
			printf "-a -t %s -r 172.17.%d.%d:80 -g -w 1\n", vip, s % 200, d
	}
}' | /sbin/ipvsadm -R
i=0
while [ $i -lt $N ]; do
	t0=$(now); /sbin/ipvsadm -Ln >/tmp/theirs; t1=$(now)
	IPVSADM_CPUPROFILE=/results/cpu.$i /ours/ipvsadm -Ln >/tmp/ours; t2=$(now)
	cmp -s /tmp/theirs /tmp/ours || echo "listing $i differs"
	awk -v a=$t0 -v b=$t1 -v c=$t2 'BEGIN { printf "1.31 %.2f ours(profiled) %.2f ratio %.2f\n", b - a, c - b, (c - b) / (b - a) }'
	i=$((i + 1))
done
/sbin/ipvsadm -C
