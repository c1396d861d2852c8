#!/bin/sh
# ipvsadm benchmark, run inside the vmtest VM by `make bench-ipvsadm`:
# ipvsadm 1.31 (/sbin/ipvsadm) against ours (/ours/ipvsadm) on the same
# kernel in the same boot, alternating, REPS times:
#   restore: ipvsadm -R of 1,000 services x 10 real servers into an empty table
#   list:    ipvsadm -Ln of 5,000 services x 4 real servers
# Every timed run is in a fresh network namespace (its own IPVS table).
# Times come from /proc/uptime (10 ms resolution); the runs take seconds.
REPS=${REPS:-3}
now() {
	read t _ </proc/uptime
	echo "$t"
}
# timed DIR ARGS...: run "ipvsadm ARGS" from DIR (argv[0] "ipvsadm"), print
# the seconds it took; stdout goes to /tmp/out.$$, errors are reported.
timed() {
	d=$1
	shift
	t0=$(now)
	PATH=$d command ipvsadm "$@" >/tmp/out.$$ 2>/tmp/err.$$
	rc=$?
	t1=$(now)
	if [ $rc != 0 ] || [ -s /tmp/err.$$ ]; then
		echo "ipvsadm from $d $*: exit $rc: $(head -c 300 /tmp/err.$$)" >&2
	fi
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
}

case "$1" in
restore) # in a fresh namespace: restore with $2, check the table size
	ip link set lo up
	t=$(timed /$2 -R </tmp/restore-1000x10)
	n=$(PATH=/theirs command ipvsadm -S -n | grep -c '^-a')
	[ "$n" = 10000 ] || echo "restore by $2 left $n real servers, want 10000" >&2
	echo "restore $2 $t"
	exit 0
	;;
list) # in a fresh namespace: load with 1.31, time -Ln by both, compare
	ip link set lo up
	PATH=/theirs command ipvsadm -R </tmp/restore-5000x4 || echo "loading the 5000x4 table failed" >&2
	for who in theirs ours; do
		echo "list $who $(timed /$who -Ln)"
		mv /tmp/out.$$ /tmp/list.$who
	done
	cmp -s /tmp/list.theirs /tmp/list.ours || echo "-Ln of 5000x4: ours differs from 1.31" >&2
	exit 0
	;;
esac

mkdir -p /theirs && ln -sf /sbin/ipvsadm /theirs/ipvsadm
[ -x /ours/ipvsadm ] || { echo "no /ours/ipvsadm" >&2; exit 1; }
awk 'BEGIN {
	for (s = 0; s < 1000; s++) {
		vip = sprintf("10.0.%d.%d:80", int(s / 200), s % 200 + 1)
		printf "-A -t %s -s wlc\n", vip
		for (d = 1; d <= 10; d++)
			printf "-a -t %s -r 172.16.%d.%d:8080 -m -w %d\n", vip, s % 200, d, d
	}
}' >/tmp/restore-1000x10
awk 'BEGIN {
	for (s = 0; s < 5000; s++) {
		vip = sprintf("10.1.%d.%d:80", int(s / 200), s % 200 + 1)
		printf "-A -t %s -s rr\n", vip
		for (d = 1; d <= 4; d++)
			printf "-a -t %s -r 172.17.%d.%d:80 -g -w 1\n", vip, s % 200, d
	}
}' >/tmp/restore-5000x4

r=0
while [ $r -lt "$REPS" ]; do
	for who in theirs ours; do
		unshare -n sh /payload/run.sh restore $who
	done
	unshare -n sh /payload/run.sh list
	r=$((r + 1))
done | tee /results/times

# Each repetition times both tools back to back, so the ratio within a
# repetition is the robust figure when the host is busy (emulated time
# follows the host's wall clock).
awk '
	{ t[$1 " " $2] = t[$1 " " $2] " " $3; rep[$1 " " $2]++; v[$1 " " $2 " " rep[$1 " " $2]] = $3 }
	END {
		n = split("restore list", ops, " ")
		for (i = 1; i <= n; i++) {
			op = ops[i]; rs = ""
			for (r = 1; r <= rep[op " theirs"]; r++)
				if (v[op " theirs " r] > 0) rs = rs " " v[op " ours " r] / v[op " theirs " r]
			printf "%-8s 1.31 median %6.2fs  ours median %6.2fs  ours/1.31 per repetition:%s  median %.2f\n", op,
				median(t[op " theirs"]), median(t[op " ours"]), fmt(rs), median(rs)
		}
	}
	function fmt(s,   a, n, i, o) { n = split(s, a, " "); for (i = 1; i <= n; i++) o = o sprintf(" %.2f", a[i]); return o }
	function median(s,   a, n, i, j, x) {
		n = split(s, a, " ")
		for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > x + 0; j--) a[j + 1] = a[j]; a[j + 1] = x }
		return n ? a[int((n + 1) / 2)] : 0
	}' /results/times
echo "targets: restore ratio <= 0.5, list ratio <= 0.5"
