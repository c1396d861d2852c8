#!/bin/sh
# The lab scenario, run inside the vmtest VM (package lab builds the guest files and
# reads back what this writes under /results):
#   events      one line per action, observation and phase boundary: "<ms> <what> ..."
#   client.log  the client's requests (labprobe get), hold.log the long-lived connection,
#   state.log   each director's state on every change (labprobe watch).
# All times are milliseconds since boot. The scenario is bounded: every wait has a
# limit, and the whole payload by the VM's timeout.
#
# Set by package lab: PHASES (e.g. "1 2 3 4 5"), VIP, EVERY (client request interval);
# for the run whose directors are also real servers, as in the manual (lab's
# Options.DirectorsServe): SERVERS (the table's real servers, here "rs1 d1 d2"),
# REALSERVERS (the nodes that are only real servers, "rs1"), VICTIM (phase 2's real
# server, "d2") and, in the VM, ORIG_IPVSADM (the original ipvsadm 1.31).
set -u
LAB=${LAB:-/lab}
PROBE=$LAB/bin/labprobe
R=${R:-/results}
CONSOLE=${CONSOLE:-/dev/console}
export LAB R
VIP=${VIP:-10.0.0.100}
GW=10.0.0.254
EVERY=${EVERY:-200ms}
DIRECTORS="d1 d2"
REALSERVERS=${REALSERVERS:-rs1 rs2 rs3}
# SERVERS serve HTTP on 8080 and echo on 7000: the real servers of the directors' table.
SERVERS=${SERVERS:-$REALSERVERS}
VICTIM=${VICTIM:-rs2}
ORIG_IPVSADM=${ORIG_IPVSADM:-}

ms() { read -r up _ </proc/uptime; echo "${up%.*}${up#*.}0"; }
# ev: one event line; also on the console, which survives a VM killed at its deadline.
ev() { local l; l="$(ms) $*"; echo "$l" >>$R/events; echo "LAB $l" >$CONSOLE; }
die() { ev "error $*"; echo "scenario: $*" >&2; diag >&2; cleanup; exit 1; }
# diag: what a failed run needs to be understood.
diag() {
	echo "---- diagnostics"
	ps -o pid,args
	for n in $($IP netns list | cut -d' ' -f1); do
		echo "-- $n"
		in_ns $n $IP -o -4 addr
		in_ns $n $IP route
		in_ns $n /sbin/ipvsadm -L -n 2>&1
	done
	echo "-- syslog"; tail -n 60 $R/syslog
}
has_phase() { case " $PHASES " in *" $1 "*) return 0 ;; esac; return 1; }
# serves NODE: NODE is a real server of the table (a director, when the directors serve).
serves() { case " $SERVERS " in *" $1 "*) return 0 ;; esac; return 1; }

# in_ns NODE CMD...: run CMD in NODE's network namespace. ip netns exec also binds
# /etc/netns/NODE/* over /etc/*, which gives each director its own ha.d and mon.
in_ns() { local node=$1; shift; $IP netns exec "$node" "$@"; }
# list_table NODE: the director's HTTP service as ipvsadm -L -n lists it, one event a
# line, with lvskit's ipvsadm and, when there is one, the original (ORIG_IPVSADM):
# what each prints for the director's own entry (the manual's listing: "Local").
list_table() {
	local tool bin
	for tool in lvskit 1.31; do
		bin=/sbin/ipvsadm
		[ $tool = 1.31 ] && bin=$ORIG_IPVSADM
		[ -n "$bin" ] && [ -x "$bin" ] || continue
		in_ns "$1" $bin -L -n -t $VIP:8080 2>&1 | while IFS= read -r l; do ev "obs ipvsadm $1 $tool: $l"; done
	done
}
# as_node NODE CMD...: run CMD as the machine NODE: its network namespace and /etc,
# its own host name (heartbeat's node name is uname -n) and its own /var/run.
as_node() {
	local node=$1; shift
	$IP netns exec "$node" unshare -u sh -c 'hostname "$0" && mount -o bind "$LAB/run/$0" /var/run && mount -o bind "$LAB/lib/$0" /var/lib && exec "$@"' "$node" "$@"
}
addr_of() {
	case "$1" in
	gw) echo $GW ;; d1) echo 10.0.0.11 ;; d2) echo 10.0.0.12 ;;
	rs1) echo 10.0.0.21 ;; rs2) echo 10.0.0.22 ;; rs3) echo 10.0.0.23 ;;
	esac
}

# wait_for SECONDS WHAT CMD...: poll CMD every 0.2 s until it succeeds; 1 if it never did.
wait_for() {
	local what=$2 end=$(($(ms) + $1 * 1000)); shift 2
	while [ "$(ms)" -lt $end ]; do
		if "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.2
	done
	ev "timeout $what"
	diag 2>&1 | sed 's/^/LAB diag /' >$CONSOLE
	return 1
}

# The watcher's last line for a director (cheap to poll, unlike running ipvsadm).
state_of() { grep " state $1 " $R/state.log | tail -n 1; }
# in_table NODE RS: RS is in NODE's HTTP service; not_in_table: the service is there without it.
in_table() { state_of "$1" | grep -q "ipvs=[^ ]*$VIP:8080>[^ ;]*$(addr_of "$2")"; }
not_in_table() { state_of "$1" | grep -q "ipvs=[^ ]*$VIP:8080>" && ! in_table "$1" "$2"; }
has_vip() { in_ns "$1" $IP -o -4 addr show dev eth0 | grep -q " $VIP/"; }
# is_director NODE: the VIP on eth0 and the HTTP service in the table (watcher's view).
is_director() { state_of "$1" | grep -q "vip=eth0 ipvs=[^ ]*$VIP:8080>"; }
is_standby() { ! is_director "$1" && state_of "$1" | grep -q "hb=1"; }
other() { if [ "$1" = d1 ]; then echo d2; else echo d1; fi; }
# one_director: exactly one director, heartbeatd running on both, and the other one
# holding nothing of the group (no VIP on eth0, no mond).
one_director() {
	local c=0
	for n in $DIRECTORS; do
		state_of $n | grep -q "hb=1" || return 1
		if is_director $n; then
			c=$((c + 1))
		else
			# (released by heartbeat, the VIP is not even on lo: IPaddr's stop takes it
			# off lo after "lvs stop" put it there)
			state_of $n | grep -q " mon=0" || return 1
			state_of $n | grep -q "vip=eth0" && return 1
		fi
	done
	[ $c -eq 1 ]
}
mac() { in_ns $1 cat /sys/class/net/eth0/address; }
gw_arp() { in_ns gw $IP neigh show $VIP | tr '\n' ' '; }
active() { for n in $DIRECTORS; do is_director $n && { echo $n; return; }; done; }
http_up() { printf 'GET / HTTP/1.0\r\n\r\n' | in_ns client nc -w 2 "$(addr_of "$1")" 8080 | grep -q "^$1"; }

PIDS=""
bg_pid() { PIDS="$PIDS $1"; }

cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.5
	for p in $PIDS; do kill -9 "$p" 2>/dev/null; done
	# reap them, so none is left as a zombie
	for p in $PIDS; do wait "$p" 2>/dev/null; done
}

# ---- setup: the manual's segment (one L2 bridge), a gateway with the client behind it
mkdir -p $R /etc/ha.d /etc/mon /var/lib
ev "setup begin"
# syslog, as on the manual's machines: mond and heartbeatd log through it.
syslogd -n -O $R/syslog & bg_pid $!
# ipvsadm-adopt: lvskit's ipvsadm under that name (examples/README.md)
ln -sf ipvsadm /sbin/ipvsadm-adopt || die "install ipvsadm-adopt"
$IP link add br0 type bridge && $IP link set br0 up || die "bridge"
for n in gw $DIRECTORS $REALSERVERS; do
	$IP netns add $n || die "netns $n"
	$IP link add v-$n type veth peer name eth0 netns $n || die "veth $n"
	$IP link set v-$n master br0 up
	in_ns $n $IP link set lo up
	in_ns $n $IP addr add "$(addr_of $n)/24" dev eth0
	in_ns $n $IP link set eth0 up
	[ $n = gw ] || in_ns $n $IP route add default via $GW
	mkdir -p $LAB/run/$n $LAB/lib/$n/heartbeat
done
$IP netns add client
$IP link add eth1 netns gw type veth peer name eth0 netns client || die "client veth"
in_ns gw $IP addr add 10.0.1.1/24 dev eth1
in_ns gw $IP link set eth1 up
in_ns gw sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
in_ns client $IP link set lo up
in_ns client $IP addr add 10.0.1.2/24 dev eth0
in_ns client $IP link set eth0 up
in_ns client $IP route add default via 10.0.1.1

# Real servers: the real-server role of rc.local (the VIP on lo, ARP hidden).
for n in $REALSERVERS; do
	in_ns $n env DEV=eth0 VIP=$VIP IPVSADM=/nonexistent /root/conf/data || die "rc.local $n"
done
# start_services NODE: HTTP on 8080 (busybox httpd) and an echo service on 7000 for the
# long-lived connection, on every real server of the table (the directors too, when
# they serve, as the manual's did).
start_services() {
	mkdir -p /srv/$1 && echo $1 >/srv/$1/index.html
	# (not through in_ns: $! must be the daemon itself, which ip netns exec becomes)
	$IP netns exec $1 httpd -f -p 8080 -h /srv/$1 & eval "HTTPD_$1=$!"; bg_pid $!
	$IP netns exec $1 $PROBE echo -name $1 -listen :7000 -for 15m & eval "ECHO_$1=$!"; bg_pid $!
}
for n in $SERVERS; do start_services $n; done
# Directors: both boot as real servers (rc.local), with the sync daemon as backup.
for n in $DIRECTORS; do
	mkdir -p $LAB/run/$n/mon/state.d $LAB/run/$n/mon/log.d
	as_node $n env DEV=eth0 VIP=$VIP /root/conf/data || die "rc.local $n"
done
ev "setup real servers and directors configured"
for n in $SERVERS; do
	wait_for 20 "http $n" http_up $n || die "httpd on $n did not start"
done
$PROBE watch -ns d1,d2 -vip $VIP -every 200ms -for 15m -out $R/state.log & WATCH=$!; bg_pid $WATCH
ev "setup done"

# ---- the directors take their roles
if has_phase 3 || has_phase 4; then
	# heartbeat on both directors ("d1 VIP lvs mon"): heartbeatd forks into the
	# background as heartbeat does, its pid in the node's /var/run/heartbeat.pid.
	for n in $DIRECTORS; do
		ev "act start-hb $n"
		as_node $n /usr/sbin/heartbeatd || die "heartbeatd on $n"
	done
else
	# Without heartbeatd: what heartbeat does for "d1 VIP lvs mon" when d1 acquires it.
	ev "act start-director d1 (lvs start; mon start, as heartbeat would)"
	as_node d1 /etc/init.d/lvs start || die "lvs start"
	as_node d1 /etc/init.d/mon start || die "mon start"
fi
wait_for 45 "d1 director" is_director d1 || die "d1 never became director"

$IP netns exec client $PROBE get -url http://$VIP:8080/ -every $EVERY -timeout 2s -for 10m -out $R/client.log & CLIENT=$!; bg_pid $CLIENT
sleep 1

# ---- phase 1: traffic spreads over the three real servers (a director among them
# serves its share itself)
if has_phase 1; then
	ev "phase 1 begin traffic spreads over $SERVERS"
	serves d1 && list_table d1
	sleep 5
	ev "phase 1 end"
fi

# ---- phase 2: a real server's HTTP dies and comes back; mond takes it out and in
if has_phase 2; then
	ev "phase 2 begin mond removes a dead real server and adds it back"
	eval "kill \$HTTPD_$VICTIM"
	ev "act stop-http $VICTIM"
	wait_for 20 "$VICTIM removed" not_in_table d1 $VICTIM && ev "obs removed $VICTIM"
	sleep 3
	$IP netns exec $VICTIM httpd -f -p 8080 -h /srv/$VICTIM & eval "HTTPD_$VICTIM=$!"; bg_pid $!
	ev "act start-http $VICTIM"
	wait_for 20 "$VICTIM added" in_table d1 $VICTIM && ev "obs added $VICTIM"
	sleep 2
	ev "phase 2 end"
fi

# ---- phase 5: nothing left behind
# ---- phase 3: the active director's heartbeatd dies; the other takes over, and a
# connection opened before keeps working through the other director.
if has_phase 3; then
	ev "phase 3 begin kill -9 the active director's heartbeatd"
	$IP netns exec client $PROBE hold -addr $VIP:7000 -every 300ms -for 10m -out $R/hold.log & HOLD=$!; bg_pid $HOLD
	sleep 3
	a=$(active); b=$(other $a)
	serves $a && ev "obs long-lived connection served by $(grep ' hold ok ' $R/hold.log | tail -n 1 | cut -d' ' -f4)"
	kill -9 "$(cat $LAB/run/$a/heartbeat.pid)"
	ev "act kill-hb $a"
	wait_for 30 "$b takes over" is_director $b
	sleep 2
	ev "obs gw arp for the VIP: $(gw_arp) ($a is $(mac $a), $b is $(mac $b))"
	# The killed node is rebooted: it leaves the network, comes up in the real-server
	# role (its group was never released: heartbeat died holding it) and starts
	# heartbeatd, which joins as standby. It stays off the network until the gateway
	# no longer sends the VIP's traffic to it: with the VIP on lo and no IPVS, its own
	# stack would answer that traffic with resets.
	# A director that serves is rebooted with its services: they stop with it and start
	# again at boot, before it is back on the segment.
	if serves $a; then
		ev "act restart $a (off the network; mon stop, lvs stop; its HTTP and echo restarted; heartbeatd: as a reboot)"
	else
		ev "act restart $a (off the network; mon stop, lvs stop; heartbeatd: as a reboot)"
	fi
	$IP link set v-$a down
	as_node $a /etc/init.d/mon stop
	as_node $a /etc/init.d/lvs stop
	if serves $a; then
		eval "kill -9 \$HTTPD_$a \$ECHO_$a; wait \$HTTPD_$a \$ECHO_$a"
		start_services $a
	fi
	wait_for 30 "gateway forgets $a" sh -c "! $IP netns exec gw $IP neigh show $VIP | grep -q '$(mac $a)'"
	ev "obs gw arp for the VIP: $(gw_arp)"
	$IP link set v-$a up
	serves $a && ev "act back $a (on the segment, serving as a real server)"
	as_node $a /usr/sbin/heartbeatd
	wait_for 30 "$a standby" is_standby $a
	sleep 3
	kill $HOLD
	ev "phase 3 end"
fi

# ---- phase 6: the roles swapped by phase 3's failover: the new director directs (and,
# when the directors serve, serves its share itself), the old one is back as a real
# server: traffic spreads over every real server again.
if has_phase 6; then
	b=$(active)
	[ -n "$b" ] || die "no director after the failover"
	for n in $SERVERS; do
		wait_for 30 "$n in $b's table" in_table $b $n || die "$n not in $b's table after the failover"
	done
	ev "phase 6 begin after the failover $b directs, traffic spreads over $SERVERS"
	serves $b && list_table $b
	sleep 5
	ev "phase 6 end"
fi

# ---- phase 4: the active director loses the gateway (its cable: the bridge port).
# mon's gateway watch runs heartbeat.alert, which gives up the director role; the
# other director takes over when it stops hearing heartbeats; reconnected, mon's
# upalert restarts heartbeat and the cluster settles with one director.
if has_phase 4; then
	ev "phase 4 begin the active director is cut off from the gateway"
	a=$(active); b=$(other $a)
	$IP link set v-$a down
	ev "act cut $a"
	wait_for 30 "$b takes over" is_director $b
	wait_for 30 "$a gives up" sh -c "! grep ' state $a ' $R/state.log | tail -n 1 | grep -q vip=eth0"
	sleep 2
	$IP link set v-$a up
	ev "act reconnect $a"
	wait_for 60 "one director" one_director
	sleep 3
	ev "phase 4 end"
fi

kill $CLIENT
ev "client stopped"
if has_phase 5; then
	ev "phase 5 begin nothing left behind"
	if has_phase 3 || has_phase 4; then
		# heartbeat -k on the standby first, then on the director: it releases the
		# group (mon stop, lvs stop, the VIP) as heartbeat does.
		a=$(active)
		for n in $(other ${a:-d1}) ${a:-d1}; do
			ev "act stop-hb $n"
			as_node $n /usr/sbin/heartbeatd -k
		done
	else
		# What heartbeat does when it releases the group: resources in reverse order.
		as_node d1 /etc/init.d/mon stop
		as_node d1 /etc/init.d/lvs stop
	fi
	sleep 1
	kill $WATCH 2>/dev/null
	ev "left daemons=$(ps -o args | grep -v grep | grep -c -e heartbeatd -e mond -e lvs.alert)"
	for n in $DIRECTORS; do
		ev "left $n vip-eth0=$(has_vip $n && echo yes || echo no) services=$(in_ns $n /sbin/ipvsadm -S -n | grep -c '^-A')"
	done
fi
cleanup
for n in gw client $DIRECTORS $REALSERVERS; do $IP netns del $n; done
$IP link del br0
# What is left running of the lab's: a process killed just now may take a moment to go
# on emulated CPUs, so wait (bounded) for none; one still there after 10 s is a leak.
left_procs() { ps -o stat,args | grep -v -e grep -e '^Z' | grep -e labprobe -e httpd -e heartbeatd -e mond -e arping; }
no_left_procs() { [ -z "$(left_procs)" ]; }
wait_for 10 "the lab's processes to exit" no_left_procs || ev "obs left: $(left_procs | tr '\n' ';')"
ev "left netns=$($IP netns list | wc -l) procs=$(left_procs | wc -l) root-services=$(/sbin/ipvsadm -S -n | grep -c '^-A')"
ev "end"
exit 0
