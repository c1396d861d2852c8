#!/bin/sh
# The health-check benchmark's guest half (bench/healthcheck.sh runs it in the IPVS VM):
# keepalived 2.2.7's checker and mond with its built-in monitors check the same real
# servers — VS virtual services (LVS/DR, wlc) of 50 real servers each, all addresses in
# 10.9.0.0/16 answered by /payload/checksink — every 5 s, one after the other, for DUR
# seconds a run. Each run prints a RESULT line: the daemon's CPU seconds (keepalived:
# its parent and checker processes), its peak RSS (VmHWM, summed), and what checksink
# saw over the whole run, start included (checks, late_pct, lateness percentiles).
#
# Environment: SIZES ("500 5000", real servers), KINDS ("tcp http"), REPS (3), DUR (30).
set -u
SIZES=${SIZES:-500 5000}
KINDS=${KINDS:-tcp http}
REPS=${REPS:-3}
DUR=${DUR:-30}
IP=/usr/sbin/ip
KA=/usr/sbin/keepalived
W=/tmp/hc
mkdir -p $W
$IP link set lo up
$IP route add local 10.9.0.0/16 dev lo
echo 1 >/proc/sys/net/ipv4/tcp_tw_reuse
echo "1024 65000" >/proc/sys/net/ipv4/ip_local_port_range
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

rs_addr() { echo "10.9.$(($1 / 250)).$(($1 % 250 + 1))"; }

keepalived_conf() { # n kind
	n=$1; kind=$2; vs=$((n / 50))
	echo "global_defs { router_id bench }"
	k=0
	while [ $k -lt $vs ]; do
		echo "virtual_server 10.8.$((k / 250)).$((k % 250 + 1)) 80 {"
		echo "  delay_loop 5"; echo "  lb_algo wlc"; echo "  lb_kind DR"; echo "  protocol TCP"
		j=0
		while [ $j -lt 50 ]; do
			echo "  real_server $(rs_addr $((k * 50 + j))) 80 {"
			echo "    weight 1"
			if [ $kind = tcp ]; then
				echo "    TCP_CHECK { connect_timeout 3 }"
			else
				echo "    HTTP_GET { url { path / status_code 200 } connect_timeout 3 }"
			fi
			echo "  }"
			j=$((j + 1))
		done
		echo "}"
		k=$((k + 1))
	done
}

mon_conf() { # n kind dir
	n=$1; kind=$2; d=$3; vs=$((n / 50))
	echo "cfbasedir = $d"; echo "statedir = $d/state.d"; echo "logdir = $d/log.d"
	echo "alertdir = $d/alert.d"; echo "mondir = $d/mon.d"; echo "authfile = $d/auth.cf"
	echo "randstart = 5s"; echo
	k=0
	while [ $k -lt $vs ]; do
		printf "hostgroup vs%d" $k
		j=0
		while [ $j -lt 50 ]; do printf " %s" $(rs_addr $((k * 50 + j))); j=$((j + 1)); done
		echo; echo
		echo "watch vs$k"
		echo "    service $kind"; echo "        interval 5s"
		if [ $kind = tcp ]; then
			echo "        monitor tcp.monitor -p 80 -t 3"
		else
			echo "        monitor http.monitor -p 80 -t 3"
		fi
		echo "        period wd {Sun-Sat}"; echo "            alert mail.alert root"; echo
		k=$((k + 1))
	done
}

# The same table for mond as keepalived builds (ipvsadm -R, outside mond's figures).
table() { # n
	n=$1; vs=$((n / 50)); k=0
	while [ $k -lt $vs ]; do
		v=10.8.$((k / 250)).$((k % 250 + 1)):80
		echo "-A -t $v -s wlc"
		j=0
		while [ $j -lt 50 ]; do echo "-a -t $v -r $(rs_addr $((k * 50 + j))):80 -g -w 1"; j=$((j + 1)); done
		k=$((k + 1))
	done
}

cpu_of() { # pids -> utime+stime seconds summed
	for p in "$@"; do cat /proc/$p/stat; done | awk -v hz=100 '{ sub(/^.*\) /, ""); s += $12 + $13 } END { printf "%.2f", s / hz }'
}
hwm_of() { for p in "$@"; do awk '/VmHWM/ { print $2 }' /proc/$p/status; done | awk '{ s += $1 } END { print s }'; }

run_one() { # impl n kind rep
	impl=$1; n=$2; kind=$3; rep=$4
	/payload/checksink -listen :80 >$W/sink.out 2>&1 &
	sink=$!
	sleep 0.3
	if [ $impl = keepalived ]; then
		keepalived_conf $n $kind >$W/k.conf
		$KA -n -l -D -C -f $W/k.conf -p $W/k.pid -c $W/c.pid >$W/k.log 2>&1 &
		main=$!
	else
		d=$W/mon; rm -rf $d; mkdir -p $d/state.d $d/log.d $d/alert.d $d/mon.d
		echo "list: all" >$d/auth.cf
		mon_conf $n $kind $d >$d/mon.cf
		table $n | /sbin/ipvsadm -R
		/ours/mond -c $d/mon.cf -p 2583 -t 2584 -P $d/pid --builtin-monitors=prefer >$W/mond.log 2>&1 &
		main=$!
	fi
	# CPU over DUR seconds of steady checking, after 5 s of start (keepalived builds
	# its IPVS table then; mond's was loaded before it started): start_s is the first 5 s.
	sleep 5
	pids=$main
	[ $impl = keepalived ] && pids="$main $(cat $W/c.pid 2>/dev/null)"
	c0=$(cpu_of $pids)
	sleep $DUR
	c1=$(cpu_of $pids); rss=$(hwm_of $pids)
	cpu=$(awk -v a=$c0 -v b=$c1 'BEGIN { printf "%.2f", b - a }')
	svcs=$(/sbin/ipvsadm -Ln | grep -c '^TCP'); dests=$(/sbin/ipvsadm -Ln | grep -c '^  ->.*Route')
	kill $main; wait $main 2>/dev/null
	kill $sink; wait $sink 2>/dev/null
	/sbin/ipvsadm -C
	echo "RESULT impl=$impl kind=$kind n=$n rep=$rep dur=$DUR start_s=$c0 cpu_s=$cpu rss_kb=$rss table=${svcs}x$((dests / (svcs > 0 ? svcs : 1))) $(cat $W/sink.out)"
	[ $impl = keepalived ] && [ "$svcs" = 0 ] && { echo "keepalived built no table:"; tail -n 20 $W/k.log; }
	[ $impl = mond ] && grep -i -m 5 -e error -e fail $W/mond.log
}

for n in $SIZES; do
	for kind in $KINDS; do
		rep=1
		while [ $rep -le $REPS ]; do
			run_one keepalived $n $kind $rep
			run_one mond $n $kind $rep
			rep=$((rep + 1))
		done
	done
done
