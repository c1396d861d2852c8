#!/usr/bin/env bash
# Benchmark (not a test): mond vs mon 1.3.6 on the same mon.cf — N watches of one TCP
# host each (127.0.x.y, all answered by one local listener), every 5 s, for SECONDS.
# mon runs Debian's tcp.monitor (a perl process per check); mond its built-in.
# Prints CPU seconds (process + reaped children, from /proc/PID/stat) and peak RSS
# (VmHWM) of each daemon.
#
#   bench/mond.sh                 # 500 watches, 180 s
#   N=100 SECONDS_TO_RUN=60 bench/mond.sh
set -euo pipefail
N=${N:-500}
DUR=${SECONDS_TO_RUN:-180}
PORT=${PORT:-24567}
cd "$(dirname "$0")/.."
command -v /usr/sbin/mon >/dev/null || { echo "mon 1.3.6 not installed" >&2; exit 1; }
go build -trimpath -o bin/mond ./cmd/mond
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# One listener per implementation answers every 127.0.0.0/8 address and counts the
# connections, i.e. the checks actually done.
listener() { # port countfile
python3 - "$1" "$2" <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(4096); s.settimeout(1)
n, last = 0, 0
while True:
    try:
        c, _ = s.accept(); c.close(); n += 1
    except socket.timeout:
        pass
    if time.time() - last >= 1:
        open(sys.argv[2], "w").write(str(n)); last = time.time()
PY
pids+=($!)
}
listener "$PORT" "$work/mon.checks"
listener "$((PORT + 10))" "$work/mond.checks"

mkcfg() { # dir port
  local d=$1 port=$2; mkdir -p "$d/state.d" "$d/log.d" "$d/alert.d"
  echo "list: all" > "$d/auth.cf"
  {
    echo "cfbasedir = $d"; echo "statedir = $d/state.d"; echo "logdir = $d/log.d"
    echo "alertdir = $d/alert.d"; echo "mondir = /usr/lib/mon/mon.d"; echo "authfile = $d/auth.cf"
    echo "randstart = 5s"; echo
    for i in $(seq 1 "$N"); do
      echo "hostgroup h$i 127.0.$((i / 250 + 1)).$((i % 250 + 1))"; echo
      echo "watch h$i"; echo "    service tcp"; echo "        interval 5s"
      echo "        monitor tcp.monitor -p $port -t 5"; echo "        period wd {Sun-Sat}"
      echo "            alert mail.alert root"; echo
    done
  } > "$d/mon.cf"
}
mkcfg "$work/mon" "$PORT"; mkcfg "$work/mond" "$((PORT + 10))"

/usr/sbin/mon -c "$work/mon/mon.cf" -p $((PORT + 1)) -t $((PORT + 2)) -P "$work/mon/pid" >"$work/mon/out" 2>&1 &
monpid=$!; pids+=($monpid)
bin/mond -c "$work/mond/mon.cf" -p $((PORT + 3)) -t $((PORT + 4)) -P "$work/mond/pid" --builtin-monitors=prefer >"$work/mond/out" 2>&1 &
mondpid=$!; pids+=($mondpid)

cpu() { # pid -> utime+stime+cutime+cstime in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13 + $14 + $15) / hz }' "/proc/$1/stat"
}
hwm() { awk '/VmHWM/ { print $2 }' "/proc/$1/status"; }
tree_rss() { # pid -> kB of the daemon plus its children (mon's monitor processes)
  ps -o rss= --pid "$1" --ppid "$1" 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'
}

# Sample the process trees' RSS every 0.2 s for the peak.
mon_tree=0; mond_tree=0
end=$((SECONDS + DUR))
while ((SECONDS < end)); do
  r=$(tree_rss $monpid); ((r > mon_tree)) && mon_tree=$r
  r=$(tree_rss $mondpid); ((r > mond_tree)) && mond_tree=$r
  sleep 0.2
done
mon_cpu=$(cpu $monpid); mond_cpu=$(cpu $mondpid)
mon_rss=$(hwm $monpid); mond_rss=$(hwm $mondpid)
mon_checks=$(cat "$work/mon.checks"); mond_checks=$(cat "$work/mond.checks")
echo "watches=$N interval=5s duration=${DUR}s (ideal: $((N * DUR / 5)) checks)"
printf "%-6s %8s %12s %16s %18s %16s\n" impl checks cpu_seconds cpu_ms_per_check daemon_peak_rss_kB tree_peak_rss_kB
for i in mon mond; do
  eval "c=\$${i}_cpu k=\$${i}_checks r=\$${i}_rss t=\$${i}_tree"
  printf "%-6s %8s %12s %16s %18s %16s\n" $i "$k" "$c" "$(awk -v c="$c" -v k="$k" 'BEGIN { printf "%.3f", k ? 1000 * c / k : 0 }')" "$r" "$t"
done
awk -v a="$mon_cpu" -v b="$mond_cpu" -v ka="$mon_checks" -v kb="$mond_checks" -v c="$mon_rss" -v d="$mond_rss" -v e="$mon_tree" -v f="$mond_tree" 'BEGIN {
  printf "mond/mon: cpu %.4f, cpu per check %.4f (target <= 0.05)\n", b / a, (b / kb) / (a / ka)
  printf "mond/mon: daemon peak rss %.3f, process-tree peak rss %.3f (target <= 0.5)\n", d / c, f / e
}'
