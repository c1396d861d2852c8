#!/usr/bin/env bash
# Benchmark (not a test): health checking, keepalived 2.2.7's checker against mond's
# built-in tcp and http monitors, in one boot of the IPVS VM (keepalived's checker needs
# IPVS; the host has none). The same real servers (SIZES: 500 and 5,000, in virtual
# services of 50), checked every 5 s by TCP connect (KINDS tcp) and HTTP GET (http),
# REPS runs of DUR seconds each, alternating. Prints each run, then per size and kind
# the min / median / max of CPU seconds, peak RSS and late checks, and mond/keepalived
# ratios of the medians. bench/healthcheck-guest.sh is the guest half; checksink the
# real servers.
#
#   bench/healthcheck.sh                          # SIZES="500 5000" KINDS="tcp http" REPS=3 DUR=30
#   SIZES=500 KINDS=tcp REPS=1 DUR=20 bench/healthcheck.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${SIZES:-500 5000}
KINDS=${KINDS:-tcp http}
REPS=${REPS:-3}
DUR=${DUR:-30}
command -v keepalived >/dev/null || { echo "keepalived not installed (make bench-healthcheck installs it)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -trimpath -o "$work/checksink" ./bench/cmd/checksink
runs=$(( $(wc -w <<<"$SIZES") * $(wc -w <<<"$KINDS") * REPS * 2 ))
go run ./vmtest/cmd/vmrun -ours mond -program /usr/sbin/keepalived -file "/payload/checksink=$work/checksink" \
	-timeout "$(( runs * (DUR + 20) + 300 ))s" \
	-env "SIZES=$SIZES" -env "KINDS=$KINDS" -env "REPS=$REPS" -env "DUR=$DUR" \
	bench/healthcheck-guest.sh | tee "$work/out"
echo
echo "health checking in the VM (qemu TCG, 2 vCPUs on $(nproc) host cores), every 5 s, ${DUR} s per run, ${REPS} runs: min / median / max"
awk -f bench/results.awk -f /dev/stdin "$work/out" <<'AWK'
/^RESULT / {
	delete v; kv(substr($0, 8))
	key = v["n"] " " v["kind"]; dur = v["dur"]
	if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
	for (m in v) if (m ~ /^(cpu_s|start_s|rss_kb|late_pct|p99_ms|checks)$/) vals[key " " v["impl"] " " m] = vals[key " " v["impl"] " " m] " " v[m]
}
END {
	for (i = 1; i <= nk; i++) {
		key = order[i]; split(key, kk, " ")
		printf "\n%s real servers, %s checks:\n", kk[1], kk[2]
		printf "  %-10s %-22s %-22s %-26s %-20s %-18s %s\n", "", "CPU s (" dur " s)", "CPU s (first 5 s)", "peak RSS kB", "late % (>0.5 s)", "p99 lateness ms", "checks"
		for (j = 1; j <= 2; j++) {
			impl = j == 1 ? "keepalived" : "mond"
			printf "  %-10s %-22s %-22s %-26s %-20s %-18s %s\n", impl, mmm(key " " impl " cpu_s"), mmm(key " " impl " start_s"), mmm(key " " impl " rss_kb"), mmm(key " " impl " late_pct"), mmm(key " " impl " p99_ms"), mmm(key " " impl " checks")
		}
		kc = med(key " keepalived cpu_s"); mc = med(key " mond cpu_s")
		kr = med(key " keepalived rss_kb"); mr = med(key " mond rss_kb")
		printf "  mond/keepalived (medians): CPU %.2f, peak RSS %.2f\n", (kc > 0) ? mc / kc : 0, (kr > 0) ? mr / kr : 0
	}
}
AWK
