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

# One listener answers every 127.0.0.0/8 address.
python3 - "$PORT" <<'PY' &
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(4096)
while True:
    c, _ = s.accept(); c.close()
PY
pids+=($!)

mkcfg() { # dir
  local d=$1; mkdir -p "$d/state.d" "$d/log.d" "$d/alert.d"
  echo "list: all" > "$d/auth.cf"
  {
    echo "cfbasedir = $d"; echo "statedir = $d/state.d"; echo "logdir = $d/log.d"
    echo "alertdir = $d/alert.d"; echo "mondir = /usr/lib/mon/mon.d"; echo "authfile = $d/auth.cf"
    echo "randstart = 5s"; echo
    for i in $(seq 1 "$N"); do
      echo "hostgroup h$i 127.0.$((i / 250 + 1)).$((i % 250 + 1))"; echo
      echo "watch h$i"; echo "    service tcp"; echo "        interval 5s"
      echo "        monitor tcp.monitor -p $PORT -t 5"; echo "        period wd {Sun-Sat}"
      echo "            alert mail.alert root"; echo
    done
  } > "$d/mon.cf"
}
mkcfg "$work/mon"; mkcfg "$work/mond"

/usr/sbin/mon -c "$work/mon/mon.cf" -p $((PORT + 1)) -t $((PORT + 2)) -P "$work/mon/pid" >"$work/mon/out" 2>&1 &
monpid=$!; pids+=($monpid)
bin/mond -c "$work/mond/mon.cf" -p $((PORT + 3)) -t $((PORT + 4)) -P "$work/mond/pid" --builtin-monitors=prefer >"$work/mond/out" 2>&1 &
mondpid=$!; pids+=($mondpid)

cpu() { # pid -> utime+stime+cutime+cstime in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13 + $14 + $15) / hz }' "/proc/$1/stat"
}
hwm() { awk '/VmHWM/ { print $2 }' "/proc/$1/status"; }

sleep "$DUR"
mon_cpu=$(cpu $monpid); mond_cpu=$(cpu $mondpid)
mon_rss=$(hwm $monpid); mond_rss=$(hwm $mondpid)
checks() { moncmd -s 127.0.0.1 -p "$1" list opstatus | grep -c 'opstatus=1' || true; }
echo "watches=$N interval=5s duration=${DUR}s"
printf "%-6s %12s %14s %s\n" impl cpu_seconds peak_rss_kB services_ok
printf "%-6s %12s %14s %s\n" mon "$mon_cpu" "$mon_rss" "$(checks $((PORT + 1)))"
printf "%-6s %12s %14s %s\n" mond "$mond_cpu" "$mond_rss" "$(checks $((PORT + 3)))"
awk -v a="$mon_cpu" -v b="$mond_cpu" -v c="$mon_rss" -v d="$mond_rss" \
  'BEGIN { printf "mond/mon: cpu %.4f (target <= 0.05), rss %.3f (target <= 0.5)\n", b / a, d / c }'
