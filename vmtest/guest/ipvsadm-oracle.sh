#!/bin/sh
# Guest driver of the ipvsadm oracle test. For every corpus script
# /payload/corpus/NAME.sh it runs side.sh twice, each in a fresh network
# namespace (so a fresh IPVS table, timeouts and sync daemons): once applying
# the script with 1.31 ("theirs"), once with ours. Results land in
# /results/NAME/. JOBS workers share the cases (default one per guest CPU);
# the suite runs one, since a table changing in one namespace can corrupt a
# listing in another (doc.go), and side.sh runs the two tools' listings side
# by side instead.
# ORACLE_BOTH=1 puts 1.31 in both seats (to prove the harness itself).
if [ "${ORACLE_BOTH:-0}" = 1 ]; then
	mkdir -p /ours && ln -sf /sbin/ipvsadm /ours/ipvsadm
fi
mkdir -p /theirs && ln -sf /sbin/ipvsadm /theirs/ipvsadm
# Which program sits in the "ours" seat, for the host to check.
wc -c </ours/ipvsadm >/results/ours.size
cp /payload/etc/hosts /payload/etc/services /payload/etc/nsswitch.conf /etc/ 2>/dev/null

cases=$(cd /payload/corpus && ls *.sh | sed 's/\.sh$//')
worker() { # $1: worker index, $2: worker count
	i=0
	for c in $cases; do
		if [ $((i % $2)) = "$1" ]; then
			mkdir -p /results/$c
			read t0 _ </proc/uptime
			for who in theirs ours; do
				timeout "${CASE_TIMEOUT:-300}" unshare -n sh /payload/side.sh "$who" "$c" \
					>>/results/$c/side.log 2>&1 || echo "side $who exit $?" >>/results/$c/side.log
			done
			read t1 _ </proc/uptime
			echo "$c $t0 $t1" >>/results/timing.$1
		fi
		i=$((i + 1))
	done
}
n=${JOBS:-$(nproc)}
w=0
while [ $w -lt "$n" ]; do
	worker $w "$n" &
	w=$((w + 1))
done
wait
