#!/usr/bin/env bash
# Benchmark (not a test): reconfiguration, keepalived 2.2.7's reload (SIGHUP after its
# config changed) against lvskit's ipvsadm-adopt, in one boot of the IPVS VM: 1,000
# services of a 5,000-service LVS/NAT table changed under long-lived connections.
# Prints each run, then min / median / max of the seconds to converge and the held
# connections broken, and the ratio of the medians. bench/reconfig-guest.sh is the
# guest half; lab/cmd/labprobe the echo server and the connections.
#
#   bench/reconfig.sh            # REPS=3 HOLDS=50
set -euo pipefail
cd "$(dirname "$0")/.."
REPS=${REPS:-3}
HOLDS=${HOLDS:-50}
command -v keepalived >/dev/null || { echo "keepalived not installed (make bench-reconfig installs it)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
CGO_ENABLED=0 go build -trimpath -o "$work/labprobe" ./lab/cmd/labprobe
go run ./vmtest/cmd/vmrun -ours ipvsadm -program /usr/sbin/keepalived -file "/payload/labprobe=$work/labprobe" \
	-timeout "$(( REPS * 600 + 300 ))s" -env "REPS=$REPS" -env "HOLDS=$HOLDS" \
	bench/reconfig-guest.sh | tee "$work/out"
echo
echo "reconfiguration in the VM (qemu TCG, 2 vCPUs on $(nproc) host cores): 1,000 of 5,000 services changed, ${REPS} runs: min / median / max"
awk -f bench/results.awk -f /dev/stdin "$work/out" <<'AWK'
/^RESULT / {
	delete v; kv(substr($0, 8)); holds = v["holds"]
	for (m in v) if (m ~ /^(converge_s|broken_unchanged|broken_changed)$/) vals[v["impl"] " " m] = vals[v["impl"] " " m] " " v[m]
	if (v["table_matches"] != "yes") bad[v["impl"]]++
}
END {
	printf "  %-11s %-24s %-30s %-30s %s\n", "", "converge s", "broken (unchanged service)", "broken (changed service)", "table wrong"
	for (j = 1; j <= 2; j++) {
		impl = j == 1 ? "keepalived" : "lvskit"
		printf "  %-11s %-24s %-30s %-30s %d\n", impl, mmm(impl " converge_s"), mmm(impl " broken_unchanged") " of " holds, mmm(impl " broken_changed") " of " holds, bad[impl]
	}
	k = med("keepalived converge_s"); l = med("lvskit converge_s")
	printf "  lvskit/keepalived (medians): converge %.2f\n", (k > 0) ? l / k : 0
}
AWK
