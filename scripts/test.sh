#!/usr/bin/env bash
# The README's test command's tests (make test runs this after deps, vet and build).
# Every real-kernel test runs in one VM boot, vmtest's TestVMSuite (a subtest per
# package): the longest test (about five minutes of one emulated CPU, its IPVS work one
# part at a time), so it starts first, in a go test of its own beside the other
# packages, which keep their two slots; its output follows theirs. The daemons'
# concurrent packages then run again under the race detector. The labs run last and
# alone (the manual's setup, then the BGP scenario): their bounds are the scenarios'
# timings (deadtime + 1 s for a failover) on an emulated machine, which must not share
# the two cores with the rest. On a failure the log ends with a digest of the failures
# (scripts/fail-digest.awk), so a log cut to its head and tail still names them.
set -uo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
logs=$(mktemp -d "${TMPDIR:-/tmp}/lvskit-test.XXXXXX")
trap 'rm -rf "$logs"' EXIT

digest() {
	echo
	echo "=== the failures, in short (the full output is above)"
	cat "$logs"/*.log | awk -f scripts/fail-digest.awk
}

$GO test -count=1 -timeout 60m ./vmtest > "$logs/vm.log" 2>&1 &
vm=$!
pkgs=$($GO list ./... | grep -vx -e 'github.com/lvskit/lvskit/lab' -e 'github.com/lvskit/lvskit/vmtest')
# shellcheck disable=SC2086 # one word per package
$GO test -count=1 -timeout 60m $pkgs 2>&1 | tee "$logs/units.log"
rc=$?
wait $vm || rc=1
cat "$logs/vm.log"
if [ $rc -ne 0 ]; then digest; exit $rc; fi

CGO_ENABLED=1 $GO test -race -short -count=1 -timeout 20m ./internal/mon/... ./internal/runner ./cmd/mond \
	./internal/hb/daemon ./internal/hb/core ./internal/hb/cli ./internal/daemonize ./internal/sdnotify 2>&1 | tee "$logs/race.log" ||
	{ rc=$?; digest; exit $rc; }

$GO test -count=1 -timeout 30m ./lab 2>&1 | tee "$logs/lab.log" || { rc=$?; digest; exit $rc; }
