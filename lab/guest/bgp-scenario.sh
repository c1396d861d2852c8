#!/bin/sh
# The BGP lab scenario (issue 13): three active directors behind a real BGP router,
# LVS/DR, IPVS mh with mh-port, sloppy_tcp. Package lab runs it through here.sh in the
# vmtest VM, as the lab's scenario.sh, and reads back what it writes under $R:
#   events        one line per action, observation, measure and phase boundary:
#                 "<ms> phase a begin TITLE", "<ms> act ...", "<ms> obs ...",
#                 "<ms> measure a NAME VALUE" (package lab holds the measures to bounds)
#   flows-*.log   labprobe flows: which real server answered each (address, port)
#   holds-*.log   labprobe holds: long-lived connections and their resets
#   state.log     labprobe watch: each director's table on every change
#   bird-*.log    the BIRD instances' logs
# All times are milliseconds since boot; every wait has a limit.
#
# The topology (network namespaces): client (10.0.1.2 and the aliases 10.0.1.10-209)
# -- router (BIRD 2, ECMP with L4 hashing, 10.0.1.1 / 10.0.0.254) -- br0 -- d1 d2 d3
# (10.0.0.11-13: IPVS, VIP on lo, a BGP speaker announcing the VIP) and rs1 rs2 rs3
# (10.0.0.21-23: VIP on lo, ARP hidden; httpd on 8080, echo on 7000).
#
# Set by package lab: PHASES ("a b c d e n f"), VIP, SPEAKER (bird: a BIRD instance per
# director exporting a static /32; lvs-bgp: lvskit's speaker), HOLD (BGP hold time, s),
# DRAIN (drain time, s), MIDFLOW (how a director takes a packet from the middle of a
# flow it did not schedule: "sloppy" sloppy_tcp=1, the lab's choice; "none" neither
# sloppy_tcp nor a sync daemon, the kernel's default; "sync" sloppy_tcp=0 and IPVS's
# connection sync daemon, master and backup on every director — the two others are
# the measurement the choice rests on).
set -u
LAB=${LAB:-/lab}
PROBE=$LAB/bin/labprobe
R=${R:-/results}
CONSOLE=${CONSOLE:-/dev/console}
export LAB R
VIP=${VIP:-10.0.0.100}
SPEAKER=${SPEAKER:-bird}
HOLD=${HOLD:-3}
DRAIN=${DRAIN:-5}
PHASES=${PHASES:-a b c d e n f}
MIDFLOW=${MIDFLOW:-sloppy}
BIRD=${BIRD:-/usr/sbin/bird}
DIRECTORS="d1 d2 d3"
REALSERVERS="rs1 rs2 rs3"
SRC=10.0.1.10-10.0.1.209 # the client's 200 source addresses
NFLOWS=1000
NHOLDS=300
W=$LAB/bgp
# (ip netns exec binds /etc/netns/NODE/X over /etc/X only where /etc/X exists)
mkdir -p $R $W /etc/ha.d /etc/mon /etc/lvskit /var/lib

ms() { read -r up _ </proc/uptime; echo "${up%.*}${up#*.}0"; }
ev() { local l; l="$(ms) $*"; echo "$l" >>$R/events; echo "LAB $l" >$CONSOLE; }
die() { ev "error $*"; echo "bgp-scenario: $*" >&2; diag >&2; cleanup; exit 1; }
diag() {
	echo "---- diagnostics"
	ps -o pid,args
	for n in $($IP netns list | cut -d' ' -f1); do
		echo "-- $n"
		in_ns $n $IP -o -4 addr
		in_ns $n $IP route
		in_ns $n /sbin/ipvsadm -L -n 2>&1
	done
	for f in $W/*.log $R/bird-*.log; do [ -f "$f" ] && { echo "-- $f"; tail -n 20 "$f"; }; done
	echo "-- syslog"; tail -n 40 $R/syslog
}
has_phase() { case " $PHASES " in *" $1 "*) return 0 ;; esac; return 1; }
in_ns() { local node=$1; shift; $IP netns exec "$node" "$@"; }
# as_node NODE CMD...: NODE's network namespace and /etc (ip netns exec binds
# /etc/netns/NODE/*), its host name and its own /var/run and /var/lib (as the lab's).
as_node() { (as_node_exec "$@"); }
# as_node_exec NODE CMD...: CMD in NODE's namespace, with its hostname and its own
# /var/run and /var/lib, replacing the calling (sub)shell.
as_node_exec() {
	local node=$1; shift
	exec $IP netns exec "$node" unshare -u sh -c 'hostname "$0" && mount -o bind "$LAB/run/$0" /var/run && mount -o bind "$LAB/lib/$0" /var/lib && exec "$@"' "$node" "$@"
}
addr_of() {
	case "$1" in
	router) echo 10.0.0.254 ;; d1) echo 10.0.0.11 ;; d2) echo 10.0.0.12 ;; d3) echo 10.0.0.13 ;;
	rs1) echo 10.0.0.21 ;; rs2) echo 10.0.0.22 ;; rs3) echo 10.0.0.23 ;;
	esac
}
wait_for() {
	local what=$2 end=$(($(ms) + $1 * 1000)); shift 2
	while [ "$(ms)" -lt $end ]; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.1
	done
	ev "timeout $what"
	diag 2>&1 | sed 's/^/LAB diag /' >$CONSOLE
	return 1
}
measure() { ev "measure $*"; }

PIDS=""
bg_pid() { PIDS="$PIDS $1"; }
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	for p in $PIDS; do wait "$p" 2>/dev/null; done
}

# ---- the router's view: the VIP's next hops in its FIB
route_vip() { in_ns router $IP route show $VIP; }
hops() { route_vip | grep -o 'via 10\.0\.0\.1[0-9]' | wc -l; }
has_hop() { route_vip | grep -q "via $(addr_of $1) "; }
no_hop() { ! has_hop "$1"; }
three_hops() { [ "$(hops)" = 3 ]; }

# ---- the directors' table: the same services, real servers added in sorted order
table() {
	for port in 8080 7000; do
		echo "-A -t $VIP:$port -s mh -b flag-2"
		for rs in $REALSERVERS; do echo "-a -t $VIP:$port -r $(addr_of $rs) -g -w 5"; done
	done
}
load_table() { table | in_ns $1 /sbin/ipvsadm -R; }
# conns7000 NODE: connections the echo service of NODE has scheduled (its stats)
conns7000() { in_ns $1 /sbin/ipvsadm -Ln --stats --exact -t $VIP:7000 | awk '$1 == "TCP" { print $3 }'; }
# in_table NODE PORT RS (watcher's view, cheap)
state_of() { grep " state $1 " $R/state.log | tail -n 1; }
in_table() { state_of $1 | grep -q "$VIP:$2>[^ ;]*$(addr_of $3)"; }
not_in_table() { state_of $1 | grep -q "$VIP:$2>" && ! in_table "$@"; }
# left_at NODE PORT RS T0: when the watcher first saw RS out of NODE's service after T0
left_at() {
	grep " state $1 " $R/state.log | awk -v t0=$4 -v svc="$VIP:$2>" -v rs="$(addr_of $3)" '
		$1 >= t0 { n = split($5, s, ";"); for (i = 1; i <= n; i++) if (index(s[i], svc) && !index(s[i], rs ",") && !index(s[i] ",", rs ",")) { print $1; exit } }'
}

echo_up() { echo x | in_ns client nc -w 2 $(addr_of $1) 7000 | grep -q "^$1:"; }

# ---- the speakers
start_speaker() {
	local n=$1
	if [ "$SPEAKER" = lvs-bgp ]; then
		# (its control socket in the node's own /var/run: /run is shared). A function
		# run in the background is a subshell of its own: exec makes $! lvs-bgp itself
		# (ip netns exec, unshare and sh -c all exec), so signals reach the speaker.
		( as_node_exec $n /usr/sbin/lvs-bgp --foreground --socket /var/run/lvs-bgp.sock ) >>$R/speaker-$n.log 2>&1 &
	else
		$IP netns exec $n $BIRD -f -c $W/bird-$n.conf -s $W/bird-$n.ctl -P $W/bird-$n.pid >>$R/bird-$n.log 2>&1 &
	fi
	eval "SPK_$n=$!"; bg_pid $!
	ev "act start-speaker $n ($SPEAKER) pid $!"
}
speaker_pid() { eval "echo \$SPK_$1"; }
# gone PID: the process has exited (a child not yet reaped is a zombie: kill -0 works on it)
gone() { [ ! -e /proc/$1 ] || grep -q '^State:.*Z' /proc/$1/status 2>/dev/null; }

# flows NAME PORT BASEPORT [more labprobe flags]: one run of labprobe flows from the client
flows() {
	local name=$1 port=$2 base=$3; shift 3
	: >$R/flows-$name.log
	in_ns client $PROBE flows -addr $VIP:$port -src $SRC -port $base -parallel 12 -timeout 5s -out $R/flows-$name.log "$@"
	ev "obs flows $name: $(grep -c ' flow ' $R/flows-$name.log) flows, $(grep -c ' fail ' $R/flows-$name.log) failed, by server: $(awk '{ c[$4]++ } END { for (k in c) printf "%s=%d ", k, c[k] }' $R/flows-$name.log)"
}
failed() { grep -c ' fail ' $R/flows-$1.log; }
# hard NAME: failed flows refused or reset (not timed out: an emulated machine on two
# loaded cores can stall a flow past its timeout; those are counted apart)
hard() { grep ' fail ' $R/flows-$1.log | grep -vc -e timeout -e deadline; }
slow() { grep ' fail ' $R/flows-$1.log | grep -c -e timeout -e deadline; }
# holdstat FILE KEY: a number of labprobe holds' summary line
holdstat() { grep 'holds open=' $1 | tail -n 1 | tr ' ' '\n' | awk -F= -v k=$2 '$1 == k { print $2 }'; }
# moved A B: flows that answered in both runs, from a server other than RS in A, and
# answered from another server in B
moved() {
	awk -v skip="${3:-}" 'NR == FNR { a[$3] = $4; next } ($3 in a) && a[$3] != "fail" && a[$3] != skip && $4 != "fail" && $4 != a[$3] { m++ } END { print m + 0 }' $R/flows-$1.log $R/flows-$2.log
}

# ---- setup
ev "setup begin speaker=$SPEAKER hold=${HOLD}s drain=${DRAIN}s midflow=$MIDFLOW"
syslogd -n -O $R/syslog & bg_pid $!
$IP link add br0 type bridge && $IP link set br0 up || die "bridge"
for n in router $DIRECTORS $REALSERVERS; do
	$IP netns add $n || die "netns $n"
	$IP link add v-$n type veth peer name eth0 netns $n || die "veth $n"
	$IP link set v-$n master br0 up
	in_ns $n $IP link set lo up
	in_ns $n $IP addr add "$(addr_of $n)/24" dev eth0
	in_ns $n $IP link set eth0 up
	[ $n = router ] || in_ns $n $IP route add default via $(addr_of router)
	mkdir -p $LAB/run/$n $LAB/lib/$n
done
$IP netns add client
$IP link add eth1 netns router type veth peer name eth0 netns client || die "client veth"
in_ns router $IP addr add 10.0.1.1/24 dev eth1
in_ns router $IP link set eth1 up
in_ns router sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward; echo 1 >/proc/sys/net/ipv4/fib_multipath_hash_policy' || die "router sysctls"
in_ns client $IP link set lo up
in_ns client $IP addr add 10.0.1.2/24 dev eth0
i=10
while [ $i -le 209 ]; do echo "addr add 10.0.1.$i/24 dev eth0"; i=$((i + 1)); done | in_ns client $IP -batch - || die "client aliases"
in_ns client $IP link set eth0 up
in_ns client $IP route add default via 10.0.1.1

# Real servers: the lab's rc.local real-server role (VIP on lo, ARP hidden), httpd, echo.
for n in $REALSERVERS; do
	in_ns $n env DEV=eth0 VIP=$VIP IPVSADM=/nonexistent /root/conf/data || die "rc.local $n"
	mkdir -p /srv/$n && echo $n >/srv/$n/index.html
	$IP netns exec $n httpd -f -p 8080 -h /srv/$n & eval "HTTPD_$n=$!"; bg_pid $!
	$IP netns exec $n $PROBE echo -name $n -listen :7000 -for 20m & bg_pid $!
done

# Directors: the VIP on lo (the IPVS service's address; ARP hidden as on a real server),
# sloppy_tcp, the table, mond with the lab's mon.cf (lvs.alert takes a dead real server
# out of the 8080 service), and the BGP speaker.
for n in $DIRECTORS; do
	in_ns $n sh -c "
		echo 1 >/proc/sys/net/ipv4/ip_forward
		for c in all eth0; do echo 1 >/proc/sys/net/ipv4/conf/\$c/arp_ignore; echo 2 >/proc/sys/net/ipv4/conf/\$c/arp_announce; done
		echo $([ $MIDFLOW = sloppy ] && echo 1 || echo 0) >/proc/sys/net/ipv4/vs/sloppy_tcp" || die "director sysctls $n"
	if [ $MIDFLOW = sync ]; then
		# Every director is a master (it sends the connections it schedules) and a
		# backup (it takes the others'), one sync id for the site.
		in_ns $n /sbin/ipvsadm --start-daemon master --mcast-interface eth0 --syncid 1 &&
			in_ns $n /sbin/ipvsadm --start-daemon backup --mcast-interface eth0 --syncid 1 || die "sync daemons on $n"
	fi
	in_ns $n $IP addr add $VIP/32 dev lo || die "VIP on $n"
	load_table $n || die "table on $n"
	mkdir -p $LAB/run/$n/mon/state.d $LAB/run/$n/mon/log.d
	as_node $n /etc/init.d/mon start || die "mon start $n"
	a=$(addr_of $n)
	cat >$W/bird-$n.conf <<-EOF
	router id $a;
	log stderr all;
	protocol device { scan time 1; }
	protocol static { ipv4; route $VIP/32 blackhole; }
	protocol bgp uplink {
		local $a as 65001; neighbor 10.0.0.254 as 65000;
		hold time $HOLD; keepalive time 1; connect retry time 1; connect delay time 1; error wait time 1, 2;
		ipv4 { import none; export where net = $VIP/32; };
	}
	EOF
	mkdir -p /etc/netns/$n/lvskit
	cat >/etc/netns/$n/lvskit/bgp.conf <<-EOF
	router-id $a
	local-as 65001
	neighbor 10.0.0.254 remote-as 65000 hold-time $HOLD keepalive 1
	vip $VIP
	check-interval 1s
	drain-time ${DRAIN}s
	EOF
done
cat >$W/bird-router.conf <<EOF
router id 10.0.0.254;
log stderr all;
protocol device { scan time 1; }
protocol kernel {
	ipv4 { import none; export all; };
	merge paths on;
}
template bgp dir {
	local 10.0.0.254 as 65000;
	hold time $HOLD; keepalive time 1; connect retry time 1; connect delay time 1; error wait time 1, 2;
	ipv4 { import all; export none; };
}
protocol bgp d1 from dir { neighbor 10.0.0.11 as 65001; }
protocol bgp d2 from dir { neighbor 10.0.0.12 as 65001; }
protocol bgp d3 from dir { neighbor 10.0.0.13 as 65001; }
EOF
$IP netns exec router $BIRD -f -c $W/bird-router.conf -s $W/bird-router.ctl -P $W/bird-router.pid >>$R/bird-router.log 2>&1 & ROUTER=$!; bg_pid $ROUTER
for n in $REALSERVERS; do
	wait_for 20 "echo $n" echo_up $n || die "echo on $n did not start"
done
$PROBE watch -ns d1,d2,d3 -vip $VIP -every 200ms -for 20m -out $R/state.log & WATCH=$!; bg_pid $WATCH
t=$(ms)
for n in $DIRECTORS; do start_speaker $n; done
wait_for 60 "three next hops" three_hops || die "the router never had the VIP through three directors"
measure setup announce-ms $(($(ms) - t))
ev "obs router: $(route_vip | tr '\n\t' '  ')"
ev "setup done"

# ---- a: all three directors carry traffic
if has_phase a; then
	ev "phase a begin all three directors carry new flows"
	for n in $DIRECTORS; do eval "C0_$n=$(conns7000 $n)"; done
	flows ecmp 7000 20000 -n $NFLOWS
	sleep 2.5 # the kernel folds the per-CPU counters every 2 s
	tot=0
	for n in $DIRECTORS; do
		c=$(($(conns7000 $n) - $(eval "echo \$C0_$n")))
		eval "C_$n=$c"; tot=$((tot + c))
	done
	for n in $DIRECTORS; do
		c=$(eval "echo \$C_$n")
		ev "obs $n scheduled $c of $tot new connections"
		measure a share-$n $(awk -v c=$c -v t=$tot 'BEGIN { printf "%.1f", t ? 100 * c / t : 0 }')
	done
	measure a failed-flows $(hard ecmp)
	measure a slow-flows $(slow ecmp)
	ev "phase a end"
fi

# ---- b: a flow's real server does not depend on the director
if has_phase b; then
	ev "phase b begin the same flows through each director land on the same real server"
	# The router sends the client's traffic through one director at a time: a table of
	# its own for what comes in from the client (BIRD keeps to the main table).
	in_ns router $IP rule add iif eth1 lookup 100 pref 100
	for n in $DIRECTORS; do
		in_ns router $IP route replace $VIP/32 via $(addr_of $n) table 100
		ev "act router sends the client through $n alone"
		flows via-$n 7000 20000 -n $NFLOWS
	done
	in_ns router $IP rule del pref 100
	in_ns router $IP route flush table 100
	[ -s $R/flows-ecmp.log ] || flows ecmp 7000 20000 -n $NFLOWS
	# agreement over the flows answered in all four runs; the others are counted apart
	agree=$(awk '{ k[$3] = k[$3] " " $4; n[$3]++ }
		END { for (f in k) { split(k[f], v, " "); if (n[f] != 4 || index(k[f], "fail")) { x++; continue }; t++; ok = 1; for (i = 2; i <= 4; i++) if (v[i] != v[1]) ok = 0; a += ok }
		      printf "%.1f %d %d %d", t ? 100 * a / t : 0, a, t, x + 0 }' \
		$R/flows-ecmp.log $R/flows-via-d1.log $R/flows-via-d2.log $R/flows-via-d3.log)
	set -- $agree
	ev "obs $2 of $3 flows answered by the same real server through ECMP, d1, d2 and d3 ($4 not answered in every run)"
	measure b agreement $1
	measure b failed-flows $(($(hard via-d1) + $(hard via-d2) + $(hard via-d3)))
	measure b slow-flows $(($(slow via-d1) + $(slow via-d2) + $(slow via-d3)))
	ev "phase b end"
fi

# ---- c: a real server stops; every director's mond takes it out; only its flows fail
if has_phase c; then
	ev "phase c begin rs2's HTTP stops: every director's mond takes it out"
	flows c-before 8080 40000 -http -n 300
	eval "kill \$HTTPD_rs2"
	t0=$(ms)
	ev "act stop-http rs2"
	flows c-during 8080 40000 -http -n 300
	# failed flows that rs2 did not serve before: each is a flow hurt by rs2's death
	# that was not its own
	measure c failed-not-rs2 $(awk 'NR == FNR { a[$3] = $4; next } $4 == "fail" && $5 !~ /timeout|deadline/ && a[$3] != "rs2" { m++ } END { print m + 0 }' $R/flows-c-before.log $R/flows-c-during.log)
	ev "obs failed while rs2 was down and in a table: $(failed c-during) (rs2 had $(grep -c ' rs2$' $R/flows-c-before.log) of the flows)"
	for n in $DIRECTORS; do
		wait_for 20 "rs2 out of $n" not_in_table $n 8080 rs2
		t=$(left_at $n 8080 rs2 $t0)
		[ -n "$t" ] && ev "obs $n removed rs2" && measure c removed-$n-ms $((t - t0))
	done
	flows c-after 8080 40000 -http -n 300
	# (rs2's own flows are not counted: one refused while rs2 was still in a table left
	# a connection entry bound to rs2, whose packets IPVS drops once rs2 is deleted
	# while expire_nodest_conn is 0 — they time out)
	measure c failed-after $(awk 'NR == FNR { a[$3] = $4; next } $4 == "fail" && $5 !~ /timeout|deadline/ && a[$3] != "rs2" { m++ } END { print m + 0 }' $R/flows-c-before.log $R/flows-c-after.log)
	measure c slow-flows $(cat $R/flows-c-during.log $R/flows-c-after.log | awk 'NR == FNR { a[$3] = $4; next } $4 == "fail" && $5 ~ /timeout|deadline/ && a[$3] != "rs2" { m++ } END { print m + 0 }' $R/flows-c-before.log -)
	ev "obs rs2's flows timed out after its deletion: $(awk 'NR == FNR { a[$3] = $4; next } $4 == "fail" && $5 ~ /timeout|deadline/ && a[$3] == "rs2" { m++ } END { print m + 0 }' $R/flows-c-before.log $R/flows-c-after.log)"
	ev "obs flows of rs1 and rs3 that moved when rs2 was deleted: $(moved c-before c-after rs2)"
	measure n moved-by-delete-8080 $(moved c-before c-after rs2)
	$IP netns exec rs2 httpd -f -p 8080 -h /srv/rs2 & bg_pid $!
	ev "act start-http rs2"
	for n in $DIRECTORS; do wait_for 20 "rs2 back in $n" in_table $n 8080 rs2 && ev "obs $n added rs2"; done
	# lvs.alert -u appended rs2 after rs3; the tables are put back in sorted order
	# (rs3 to the end), which a rejoining director loads.
	for n in $DIRECTORS; do
		in_ns $n /sbin/ipvsadm -d -t $VIP:8080 -r $(addr_of rs3) && in_ns $n /sbin/ipvsadm -a -t $VIP:8080 -r $(addr_of rs3) -g -w 5
	done
	ev "act tables back in sorted order"
	ev "phase c end"
fi

# ---- d: kill -9 of a director (speaker and mond killed, link down)
if has_phase d; then
	ev "phase d begin kill -9 of d3: the router withdraws it, long-lived connections stay"
	c0=$(conns7000 d3)
	$IP netns exec client $PROBE holds -addr $VIP:7000 -src $SRC -port 50000 -n $NHOLDS -every 1s -for 5m -out $R/holds-d.log & H=$!; bg_pid $H
	wait_for 60 "holds open" grep -q 'holds ready' $R/holds-d.log
	sleep 2.5 # the kernel folds the per-CPU counters every 2 s
	# the holds d3 scheduled itself (its counter; a synced entry is not counted there)
	via_d3=$(($(conns7000 d3) - c0))
	ev "obs holds: $(grep 'holds ready' $R/holds-d.log | cut -d' ' -f3-); through d3: $via_d3 established"
	measure d holds-via-killed $via_d3
	[ $MIDFLOW = sync ] && ev "obs d1 holds $(in_ns d1 /sbin/ipvsadm -Lnc | grep -c "ESTABLISHED.*$VIP:7000") established entries for :7000 (its own and synced)"
	t0=$(ms)
	$IP link set v-d3 down
	kill -9 $(speaker_pid d3)
	kill -9 $(cat $LAB/run/d3/mon.pid) 2>/dev/null
	ev "act kill-9 d3 (link down, speaker and mond killed)"
	wait_for $((HOLD + 10)) "router withdraws d3" no_hop d3
	measure d withdraw-ms $(($(ms) - t0))
	ev "obs router: $(route_vip | tr '\n\t' '  ')"
	sleep 8
	kill $H; wait $H
	ev "obs holds: $(grep 'holds open=' $R/holds-d.log | tail -n 1 | cut -d' ' -f3-)"
	measure d holds-open $(holdstat $R/holds-d.log open)
	measure d holds-broken $(holdstat $R/holds-d.log broken)
	measure d holds-slow $(holdstat $R/holds-d.log slow)
	# d3 reboots: its table loaded (sorted) before it speaks again
	in_ns d3 /sbin/ipvsadm -C
	load_table d3
	$IP link set v-d3 up
	rm -f $LAB/run/d3/mon.pid
	as_node d3 /etc/init.d/mon start
	t=$(ms)
	start_speaker d3
	wait_for 60 "d3 back" three_hops && measure d rejoin-ms $(($(ms) - t))
	ev "phase d end"
fi

# ---- e: graceful drain of a director
if has_phase e; then
	ev "phase e begin SIGTERM to d2's speaker: withdraw, drain, no failed request"
	$IP netns exec client $PROBE holds -addr $VIP:7000 -src $SRC -port 51000 -n $NHOLDS -every 1s -for 5m -out $R/holds-e.log & H=$!; bg_pid $H
	wait_for 60 "holds open" grep -q 'holds ready' $R/holds-e.log
	$IP netns exec client $PROBE get -url http://$VIP:8080/ -every 100ms -timeout 2s -for 5m -out $R/client-e.log & G=$!; bg_pid $G
	sleep 2
	t0=$(ms)
	p=$(speaker_pid d2)
	kill -TERM $p
	ev "act SIGTERM d2's speaker"
	wait_for 10 "router withdraws d2" no_hop d2 && measure e withdraw-ms $(($(ms) - t0))
	wait_for $((DRAIN + 10)) "d2's speaker exits" gone $p
	ev "obs d2's speaker exited"
	[ "$SPEAKER" = bird ] && sleep $DRAIN # BIRD withdraws and exits at once: the drain is ours
	sleep 2
	kill $G $H; wait $G $H
	measure e requests $(grep -c ' req ' $R/client-e.log)
	measure e failed-requests $(grep -c ' req fail' $R/client-e.log)
	measure e holds-open $(holdstat $R/holds-e.log open)
	measure e holds-broken $(holdstat $R/holds-e.log broken)
	ev "phase e end"
fi

# ---- note: how removing a real server disturbs the other servers' flows under mh
if has_phase n; then
	ev "phase n begin mh: weight 0 versus delete, flows of the other servers moved"
	in_ns router $IP rule add iif eth1 lookup 100 pref 100
	in_ns router $IP route replace $VIP/32 via $(addr_of d1) table 100
	flows n-base 7000 60000 -n $NFLOWS
	in_ns d1 /sbin/ipvsadm -e -t $VIP:7000 -r $(addr_of rs2) -g -w 0
	ev "act d1: rs2 weight 0"
	flows n-weight0 7000 60000 -n $NFLOWS
	in_ns d1 /sbin/ipvsadm -e -t $VIP:7000 -r $(addr_of rs2) -g -w 5
	flows n-back 7000 60000 -n $NFLOWS
	in_ns d1 /sbin/ipvsadm -d -t $VIP:7000 -r $(addr_of rs2)
	ev "act d1: rs2 deleted"
	flows n-delete 7000 60000 -n $NFLOWS
	measure n rs2-flows $(grep -c ' rs2$' $R/flows-n-base.log)
	measure n moved-by-weight0 $(moved n-base n-weight0 rs2)
	measure n failed-by-weight0 $(failed n-weight0)
	measure n moved-by-delete $(moved n-base n-delete rs2)
	measure n failed-by-delete $(failed n-delete)
	measure n moved-back $(moved n-base n-back)
	in_ns router $IP rule del pref 100
	in_ns router $IP route flush table 100
	ev "phase n end"
fi

# ---- f: nothing left behind
if has_phase f; then
	ev "phase f begin nothing left behind"
	for n in $DIRECTORS; do as_node $n /etc/init.d/mon stop; done
	for n in $DIRECTORS; do p=$(speaker_pid $n); kill -TERM $p 2>/dev/null; done
	for n in $DIRECTORS; do p=$(speaker_pid $n); wait_for $((DRAIN + 10)) "$n's speaker exits" gone $p; done
	kill $ROUTER; wait $ROUTER
	kill $WATCH; wait $WATCH
fi
if [ $MIDFLOW = sync ]; then
	for n in $DIRECTORS; do in_ns $n /sbin/ipvsadm --stop-daemon master; in_ns $n /sbin/ipvsadm --stop-daemon backup; done
fi
cleanup
for n in client router $DIRECTORS $REALSERVERS; do $IP netns del $n; done
$IP link del br0
# A process killed just now may take a moment to go on emulated CPUs: wait (bounded)
# for none; one still there after 10 s is a leak.
left_procs() { ps -o stat,args | grep -v -e grep -e '^Z' | grep -e labprobe -e httpd -e bird -e lvs-bgp -e mond -e heartbeat; }
no_left_procs() { [ -z "$(left_procs)" ]; }
if has_phase f; then
	wait_for 10 "the lab's processes to exit" no_left_procs
	ev "obs left: $(left_procs | tr '\n' ';')"
	measure f left-procs $(left_procs | wc -l)
	measure f left-netns $($IP netns list | wc -l)
	measure f left-root-services $(/sbin/ipvsadm -S -n | grep -c '^-A')
	ev "phase f end"
fi
ev "end"
exit 0
