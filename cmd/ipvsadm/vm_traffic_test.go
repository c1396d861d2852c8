package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/vmtest"
)

// trafficScript sends real traffic through IPVS (LVS/NAT to two busybox httpd real
// servers on this guest, from a client namespace), keeps one connection open, and
// compares ours with 1.31 on the listings whose numbers move: --stats, --rate,
// --exact, and the connection table (-c). The kernel's estimator refreshes the rates
// every 2 s and the listings' counters from the per-CPU ones as often, and -c's
// expiry times tick every second; so each comparison is a sandwich — 1.31, ours,
// 1.31 again, back to back — and counts only when 1.31's two listings are identical
// (nothing moved in between, so ours saw the same kernel state), retried until so.
const trafficScript = `
set -u
IP=/usr/sbin/ip
ORIG=/sbin/ipvsadm
OURS=/ours/ipvsadm
$IP netns add tcl
$IP link add t0 type veth peer name tc0
$IP link set tc0 netns tcl
$IP addr add 10.0.0.1/24 dev t0
$IP link set t0 up
$IP addr add 10.0.0.100/32 dev lo
$IP -n tcl addr add 10.0.0.2/24 dev tc0
$IP -n tcl link set tc0 up
$IP -n tcl link set lo up
mkdir -p /tmp/www
dd if=/dev/zero of=/tmp/www/blob bs=1k count=64 2>/dev/null
busybox httpd -p 10.0.0.1:8080 -h /tmp/www
busybox httpd -p 10.0.0.1:8081 -h /tmp/www
$ORIG -A -t 10.0.0.100:80 -s wrr
$ORIG -a -t 10.0.0.100:80 -r 10.0.0.1:8080 -m -w 3
$ORIG -a -t 10.0.0.100:80 -r 10.0.0.1:8081 -m -w 1
$ORIG -A -t 10.0.0.100:7000 -s rr
$ORIG -a -t 10.0.0.100:7000 -r 10.0.0.1:7000 -m
$ORIG -A -u 10.0.0.100:53 -s rr
$ORIG -a -u 10.0.0.100:53 -r 10.0.0.1:5353 -m
busybox nc -l -p 7000 -e cat &
sleep 0.5
` + vmtest.Sandwich + `# The connection table first, while it is short (each entry's expiry ticks every
# second, at its own phase): one long-lived connection and one finished download.
$IP netns exec tcl sh -c 'sleep 60 | busybox nc 10.0.0.100 7000 >/dev/null 2>&1' &
$IP netns exec tcl busybox wget -q -O /dev/null http://10.0.0.100/blob || echo "wget failed"
sleep 0.3
sandwich -L -n -c
sandwich -L -n -c --exact
# Traffic: 40 downloads of 64 KiB.
i=0; while [ $i -lt 40 ]; do $IP netns exec tcl busybox wget -q -O /dev/null http://10.0.0.100/blob || echo "wget $i failed"; i=$((i+1)); done
# The listed counters are the per-CPU ones folded in every 2 s: wait (5 s at most) for
# the fold that counts the last downloads, so every listing below has all 41.
k=0; while [ $k -lt 25 ]; do
	c=$($ORIG -L -n --stats --exact -t 10.0.0.100:80 | awk '$1 == "TCP" { print $3 }')
	[ "$c" = 41 ] && break
	sleep 0.2; k=$((k+1))
done
echo "counted: $c connections to 10.0.0.100:80 after $k waits of 0.2 s"
# Right after the traffic: the rates are high and decaying, the counters settling.
sandwich -L -n --rate
sandwich -L -n --stats
sandwich -L -n --stats --exact
sandwich -L -n --rate --exact
sandwich -L -n --stats -t 10.0.0.100:80
sandwich -L -n --rate -u 10.0.0.100:53
sandwich -L --stats --exact
sandwich -L -n --thresholds
sandwich -L -n --persistent-conn
# Only this script's processes: the watchdog part runs beside it and sleeps too.
$IP netns pids tcl | xargs -r kill
killall httpd 2>/dev/null
$ORIG -C
$IP netns del tcl
true
`

func TestVMCountersUnderTraffic(t *testing.T) {
	vmtest.RequireGuest(t)
	res := vmtest.RunInGuest(t, vmtest.Options{Script: trafficScript, Timeout: 3 * time.Minute})
	out := res.Stdout()
	if res.ExitCode != 0 {
		t.Fatalf("guest script exit %d\nstdout:\n%s\nstderr:\n%s", res.ExitCode, out, res.Stderr())
	}
	// The failures first, then the transcript: a log cut short still shows them.
	defer t.Logf("transcript (ours, each identical to 1.31's):\n%s", out)
	if n := strings.Count(out, "same: "); n != 11 {
		t.Errorf("%d listings identical to 1.31's, want 11", n)
	}
	for _, bad := range []string{"DIFF: ", "UNSTABLE: ", "failed"} {
		if i := strings.Index(out, bad); i >= 0 {
			line, _, _ := strings.Cut(out[i:], "\n")
			t.Errorf("transcript has %q", line)
		}
	}
	// The comparisons were of a table that carried traffic, not an idle one: the
	// TCP service counted its 41 downloads (the script waits for the counters to
	// fold them in), its rates were not zero, and the connection table held the
	// long-lived connection.
	if !strings.Contains(out, "counted: 41 connections") {
		t.Errorf("the listed counters did not reach 41 connections within 5 s of the traffic")
	}
	if !regexp.MustCompile(`(?m)^TCP  10\.0\.0\.100:80\s+41\s+[1-9]\d*\s+[1-9]\d*\s+[1-9]\d*\s+[1-9]\d*$`).MatchString(sandwichOutput(out, "-L -n --stats --exact")) {
		t.Errorf("no --stats --exact line with 41 connections and packets and bytes both ways")
	}
	if !regexp.MustCompile(`(?m)^TCP  10\.0\.0\.100:80\s+[1-9]\d*\s+[1-9]`).MatchString(sandwichOutput(out, "-L -n --rate")) {
		t.Errorf("no -L -n --rate line with non-zero rates")
	}
	if !strings.Contains(out, "ESTABLISHED") {
		t.Errorf("the connection table did not list the long-lived connection")
	}
}

// sandwichOutput is the listing the transcript shows for "sandwich args": from its
// "same: args (try N)" line to the next sandwich's line.
func sandwichOutput(transcript, args string) string {
	_, after, ok := strings.Cut(transcript, "same: "+args+" (try ")
	if !ok {
		return ""
	}
	if i := regexp.MustCompile(`(?m)^(same|DIFF|UNSTABLE): `).FindStringIndex(after); i != nil {
		after = after[:i[0]]
	}
	return after
}
