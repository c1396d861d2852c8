#!/usr/bin/env bash
# Benchmark (not a test): mond's ceiling on this machine — the most TCP checks per
# second its built-in tcp monitor keeps on schedule (under 1 % of checks more than
# 0.5 s late). Host, no VM: mond needs no IPVS to check. In a network namespace of its
# own, every address of 10.9.0.0/16 is local and answered by checksink; mond watches
# virtual services of 50 real servers, every 5 s, and the number of real servers grows
# by STEPS until a step is late. Prints each step: checks/s asked, done, late %,
# lateness p50/p99/max, mond's CPU (share of one core) and peak RSS.
#
#   bench/mond-ceiling.sh                       # STEPS="2500 5000 10000 20000 30000" DUR=40
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-2500 5000 10000 20000 30000}
DUR=${DUR:-40}
work=$(mktemp -d)
ns=lvskit-ceiling-$$
cleanup() {
	ip netns pids $ns 2>/dev/null | xargs -r kill 2>/dev/null || true
	sleep 0.5
	ip netns del $ns 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
CGO_ENABLED=0 go build -trimpath -o "$work/checksink" ./bench/cmd/checksink
CGO_ENABLED=0 go build -trimpath -o "$work/mond" ./cmd/mond
ip netns add $ns
in_ns() { ip netns exec $ns "$@"; }
in_ns ip link set lo up
in_ns ip route add local 10.9.0.0/16 dev lo
in_ns sh -c 'echo 1 >/proc/sys/net/ipv4/tcp_tw_reuse; echo "1024 65000" >/proc/sys/net/ipv4/ip_local_port_range'
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
rs_addr() { echo "10.9.$(($1 / 250)).$(($1 % 250 + 1))"; }
mon_conf() { # n dir
	local n=$1 d=$2 k j
	echo "cfbasedir = $d"; echo "statedir = $d/state.d"; echo "logdir = $d/log.d"
	echo "alertdir = $d/alert.d"; echo "mondir = $d/mon.d"; echo "authfile = $d/auth.cf"
	echo "randstart = 5s"; echo
	for ((k = 0; k < n / 50; k++)); do
		printf "hostgroup vs%d" $k
		for ((j = 0; j < 50; j++)); do printf " %s" "$(rs_addr $((k * 50 + j)))"; done
		printf "\n\nwatch vs%d\n    service tcp\n        interval 5s\n        monitor tcp.monitor -p 80 -t 3\n        period wd {Sun-Sat}\n            alert mail.alert root\n\n" $k
	done
}
hz=$(getconf CLK_TCK)
printf "%-8s %10s %10s %8s %8s %8s %8s %10s %10s\n" rs "asked/s" "done/s" "late%" "p50_ms" "p99_ms" "max_ms" "cpu_core" "rss_MB"
ceiling=""
for n in $STEPS; do
	d=$work/mon-$n; mkdir -p $d/state.d $d/log.d $d/alert.d $d/mon.d
	echo "list: all" >$d/auth.cf
	mon_conf $n $d >$d/mon.cf
	: >$work/sink.out
	in_ns "$work/checksink" -listen :80 >$work/sink.out 2>&1 &
	sink=$!
	sleep 0.3
	in_ns "$work/mond" -c $d/mon.cf -p 2583 -t 2584 -P $d/pid --builtin-monitors=prefer >$work/mond.log 2>&1 &
	mond=$!
	sleep 8 # start and randstart
	mpid=$(cat $d/pid 2>/dev/null) || { echo "mond did not start:"; cat $work/mond.log; exit 1; }
	c0=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/$mpid/stat)
	sleep "$DUR"
	c1=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' /proc/$mpid/stat)
	rss=$(awk '/VmHWM/ { printf "%.1f", $2 / 1024 }' /proc/$mpid/status)
	# (ip netns exec may fork: the namespace's processes are the ones to stop)
	ip netns pids $ns | xargs -r kill
	wait $mond $sink 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do grep -q checks= $work/sink.out && break; sleep 0.1; done
	s=$(cat $work/sink.out)
	v() { tr ' ' '\n' <<<"$s" | awk -F= -v k=$1 '$1 == k { print $2 }'; }
	total=$((DUR + 8))
	printf "%-8s %10d %10.0f %8s %8s %8s %8s %10.2f %10s\n" $n $((n / 5)) "$(awk -v c="$(v checks)" -v t=$total 'BEGIN { print c / t }')" \
		"$(v late_pct)" "$(v p50_ms)" "$(v p99_ms)" "$(v max_ms)" "$(awk -v a=$c0 -v b=$c1 -v hz=$hz -v t=$DUR 'BEGIN { print (b - a) / hz / t }')" "$rss"
	if awk -v l="$(v late_pct)" 'BEGIN { exit !(l < 1) }'; then ceiling="$((n / 5)) checks/s ($n real servers every 5 s)"; else break; fi
done
echo "mond's ceiling on this machine ($(nproc) cores): ${ceiling:-below the first step} with under 1 % of checks more than 0.5 s late"
