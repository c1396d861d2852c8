#!/bin/sh
# The reconfiguration benchmark's guest half (bench/reconfig.sh runs it in the IPVS VM):
# a table of 5,000 LVS/NAT services of 2 real servers; 1,000 of them are changed
# (scheduler wlc -> rr, a real server's weight 1 -> 3, a third real server added) while
# 2 x HOLDS long-lived connections run through an unchanged service and a changed one.
# keepalived 2.2.7 is told with SIGHUP after its config is replaced; lvskit with
# ipvsadm-adopt of the new rules. Each run prints a RESULT line: seconds from the
# trigger until the last changed service shows its new state (polled every 250 ms;
# ipvsadm-adopt: until it returned, then checked), whether the whole table then
# matches, and the held connections broken.
#
# Environment: REPS (3), HOLDS (50).
set -u
REPS=${REPS:-3}
HOLDS=${HOLDS:-50}
IP=/usr/sbin/ip
KA=/usr/sbin/keepalived
PROBE=/payload/labprobe
W=/tmp/rc
mkdir -p $W/bin
ln -sf /ours/ipvsadm $W/bin/ipvsadm-adopt
ln -sf /ours/ipvsadm $W/bin/ipvsadm
now() { read t _ </proc/uptime; echo "$t"; }

$IP link set lo up
echo 1 >/proc/sys/net/ipv4/ip_forward
$IP route add local 10.1.0.0/16 dev lo
$IP netns add rs
$IP link add r0 type veth peer name eth0 netns rs
$IP addr add 10.2.0.1/24 dev r0; $IP link set r0 up
for a in 2 3 4; do $IP -n rs addr add 10.2.0.$a/24 dev eth0; done
$IP -n rs link set eth0 up; $IP -n rs link set lo up
$IP -n rs route add default via 10.2.0.1
$IP netns add cl
$IP link add c0 type veth peer name eth0 netns cl
$IP addr add 10.3.0.1/24 dev c0; $IP link set c0 up
$IP -n cl addr add 10.3.0.2/24 dev eth0
$IP -n cl addr add 10.3.0.3/24 dev eth0
$IP -n cl link set eth0 up; $IP -n cl link set lo up
$IP -n cl route add default via 10.3.0.1
$IP netns exec rs $PROBE echo -name rs -listen :7000 -for 60m &

vip() { echo "10.1.$(($1 / 250)).$(($1 % 250 + 1))"; }
# rules A|B: the table as ipvsadm -R rules; B changes services 4000-4999.
rules() {
	awk -v which=$1 'BEGIN {
		for (s = 0; s < 5000; s++) {
			v = sprintf("10.1.%d.%d:7000", int(s / 250), s % 250 + 1)
			ch = which == "B" && s >= 4000
			printf "-A -t %s -s %s\n", v, ch ? "rr" : "wlc"
			printf "-a -t %s -r 10.2.0.2:7000 -m -w 1\n", v
			printf "-a -t %s -r 10.2.0.3:7000 -m -w %d\n", v, ch ? 3 : 1
			if (ch) printf "-a -t %s -r 10.2.0.4:7000 -m -w 1\n", v
		}
	}'
}
kconf() {
	awk -v which=$1 'BEGIN {
		print "global_defs { router_id bench }"
		for (s = 0; s < 5000; s++) {
			ch = which == "B" && s >= 4000
			printf "virtual_server 10.1.%d.%d 7000 {\n  lb_algo %s\n  lb_kind NAT\n  protocol TCP\n", int(s / 250), s % 250 + 1, ch ? "rr" : "wlc"
			printf "  real_server 10.2.0.2 7000 { weight 1 }\n"
			printf "  real_server 10.2.0.3 7000 { weight %d }\n", ch ? 3 : 1
			if (ch) printf "  real_server 10.2.0.4 7000 { weight 1 }\n"
			print "}"
		}
	}'
}
rules A >$W/A.rules; rules B >$W/B.rules
kconf A >$W/A.conf; kconf B >$W/B.conf
# the target, as 1.31 saves it
$IP netns add ref
# (a masquerading real server must be routable: the kernel refuses one it has no route to)
$IP -n ref link add d0 type dummy && $IP -n ref addr add 10.2.0.1/24 dev d0 && $IP -n ref link set d0 up
$IP netns exec ref /sbin/ipvsadm -R <$W/B.rules
$IP netns exec ref /sbin/ipvsadm -S -n | sort >$W/B.saved
$IP netns del ref
LAST=$(vip 4999)
# (one listing of one service per poll: the polling must not slow keepalived down)
converged() { /sbin/ipvsadm -L -n -t $LAST:7000 2>/dev/null | awk '/ rr/ { s = 1 } /10\.2\.0\.4:7000/ { d = 1 } END { exit !(s && d) }'; }
services() { /sbin/ipvsadm -L -n | grep -c '^TCP'; }

run_one() { # impl rep
	impl=$1; rep=$2
	/sbin/ipvsadm -C
	if [ $impl = keepalived ]; then
		cp $W/A.conf $W/k.conf
		$KA -n -l -D -C -f $W/k.conf -p $W/k.pid -c $W/c.pid >$W/k.log 2>&1 &
		ka=$!
		i=0; while [ $i -lt 600 ] && [ "$(services)" != 5000 ]; do sleep 0.5; i=$((i + 1)); done
	else
		/ours/ipvsadm -R <$W/A.rules
	fi
	[ "$(services)" = 5000 ] || echo "$impl: table A not loaded ($(services) services)"
	: >$W/h1.log; : >$W/h2.log
	$IP netns exec cl $PROBE holds -addr $(vip 0):7000 -src 10.3.0.2 -port 20000 -n $HOLDS -every 1s -for 20m -out $W/h1.log &
	h1=$!
	$IP netns exec cl $PROBE holds -addr $LAST:7000 -src 10.3.0.3 -port 20000 -n $HOLDS -every 1s -for 20m -out $W/h2.log &
	h2=$!
	i=0; while [ $i -lt 600 ] && ! { grep -q 'holds ready' $W/h1.log && grep -q 'holds ready' $W/h2.log; }; do sleep 0.1; i=$((i + 1)); done
	sleep 2
	t0=$(now)
	if [ $impl = keepalived ]; then
		cp $W/B.conf $W/k.conf
		kill -HUP $ka
		i=0; while [ $i -lt 1200 ] && ! converged; do sleep 0.25; i=$((i + 1)); done
	else
		PATH=$W/bin:$PATH ipvsadm-adopt <$W/B.rules || echo "ipvsadm-adopt failed"
	fi
	t1=$(now)
	converged || echo "$impl: the last changed service never showed its new state"
	sleep 1
	/sbin/ipvsadm -S -n | sort >$W/now.saved
	same=yes; cmp -s $W/now.saved $W/B.saved || same=no
	[ $same = no ] && { echo "$impl: table differs from B:"; diff $W/B.saved $W/now.saved | head -5; }
	sleep 3 # the holds keep talking through the change
	kill $h1 $h2; wait $h1 $h2 2>/dev/null
	b1=$(grep 'holds open=' $W/h1.log | tail -n 1 | tr ' ' '\n' | awk -F= '$1 == "broken" { print $2 }')
	b2=$(grep 'holds open=' $W/h2.log | tail -n 1 | tr ' ' '\n' | awk -F= '$1 == "broken" { print $2 }')
	if [ $impl = keepalived ]; then
		kill $ka; wait $ka 2>/dev/null
	fi
	echo "RESULT impl=$impl rep=$rep converge_s=$(awk -v a=$t0 -v b=$t1 'BEGIN { printf "%.2f", b - a }') table_matches=$same broken_unchanged=${b1:-?} broken_changed=${b2:-?} holds=$HOLDS"
}

rep=1
while [ $rep -le $REPS ]; do
	run_one keepalived $rep
	run_one lvskit $rep
	rep=$((rep + 1))
done
/sbin/ipvsadm -C
$IP netns pids rs | xargs -r kill
$IP netns del rs; $IP netns del cl
true
