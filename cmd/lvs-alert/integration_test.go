package main

import (
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/vmtest"
)

// guestScript drives lvs-alert on Debian's kernel with real IPVS, the way mon calls
// it, and lists the table with the original ipvsadm 1.31 after each step.
const guestScript = `
A=/ours/lvs-alert
MON="-s webcache -g server1 -h 10.144.43.175 -t 1069840183"
CFG="-P tcp -V 10.144.43.185:8080 -R 10.144.43.175 -W 5 -F dr"
step() { echo "== $1"; }
list() { /sbin/ipvsadm -L -n | tail -n +4; }
run() { "$@" 2>/tmp/err; rc=$?; echo "rc=$rc"; sed 's/^/stderr: /' /tmp/err; }

/sbin/ipvsadm -A -t 10.144.43.185:8080 -s rr
/sbin/ipvsadm -a -t 10.144.43.185:8080 -r 10.144.43.175 -w 5 -g
/sbin/ipvsadm -a -t 10.144.43.185:8080 -r 10.144.43.187 -w 5 -g
/sbin/ipvsadm -a -t 10.144.43.185:8080 -r 10.144.43.142 -w 5 -g

step "alert removes"; run $A $MON $CFG; list
step "alert again"; run $A $MON $CFG; list
step "upalert adds"; run $A $MON -u $CFG -u 1; list
step "upalert again"; run $A $MON -u $CFG -u 1; list
step "upalert with another weight edits"; run $A -u -P tcp -V 10.144.43.185:8080 -R 10.144.43.175 -W 9 -F dr; list
step "drain without connections"; run $A -P tcp -V 10.144.43.185:8080 -R 10.144.43.175 --drain=3; list
step "upalert to a missing service"; run $A -u -P udp -V 10.144.43.185:53 -R 10.144.43.175 -W 1
step "fwmark"; /sbin/ipvsadm -A -f 9 -s sh; run $A -u -f 9 -R 10.144.43.175 -W 2 -F tun; /sbin/ipvsadm -L -n -f 9 | tail -n +3
step "fwmark down"; run $A -f 9 -R 10.144.43.175; /sbin/ipvsadm -L -n -f 9 | tail -n +3
step "bad flag"; run $A -P tcp -V 10.144.43.185 -R 10.144.43.175 -u -W x

# Drain with real connections: a client namespace connects to a VIP on this director,
# whose real servers are local listeners (IPVS counts their connections as it does
# any real server's).
$IP netns add cl
$IP link add d0 type veth peer name c0
$IP link set c0 netns cl
$IP addr add 10.0.0.1/24 dev d0
$IP link set d0 up
$IP addr add 10.0.0.100/32 dev lo
$IP -n cl addr add 10.0.0.2/24 dev c0
$IP -n cl link set c0 up
$IP -n cl link set lo up
LOOPS=; for p in 8080 8081; do ( while true; do sleep 60 | nc -l -p $p >/dev/null 2>&1; done ) & LOOPS="$LOOPS $!"; done
sleep 1
dest() { /sbin/ipvsadm -L -n | grep "$1"; }
# wait_for PATTERN DEST: until the listing of DEST matches (bounded: 10 s)
wait_for() { i=0; while [ $i -lt 50 ]; do dest "$2" | grep -q "$1" && return 0; sleep 0.2; i=$((i+1)); done; echo "timeout waiting for $1"; dest "$2"; }

step "drain bounded by its timeout"
/sbin/ipvsadm -A -t 10.0.0.100:80 -s rr
/sbin/ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.1:8080 -m -w 5
$IP netns exec cl sh -c 'sleep 60 | nc 10.0.0.100 80 >/dev/null 2>&1' &
wait_for "Masq    5      1 " 10.0.0.1:8080; dest 10.0.0.1:8080
( wait_for "Masq    0      1 " 10.0.0.1:8080 >/tmp/during; dest 10.0.0.1:8080 >>/tmp/during ) & DURING=$!
run $A -P tcp -V 10.0.0.100:80 -R 10.0.0.1:8080 --drain=8
wait $DURING; echo "during:"; cat /tmp/during
/sbin/ipvsadm -L -n -t 10.0.0.100:80 | tail -n +3

step "drain ends when the connection does"
/sbin/ipvsadm -A -t 10.0.0.100:81 -s rr
/sbin/ipvsadm -a -t 10.0.0.100:81 -r 10.0.0.1:8081 -m -w 5
$IP netns exec cl sh -c 'sleep 60 | timeout 4 nc 10.0.0.100 81 >/dev/null 2>&1' &
wait_for "Masq    5      1 " 10.0.0.1:8081; dest 10.0.0.1:8081
run $A -P tcp -V 10.0.0.100:81 -R 10.0.0.1:8081 --drain=120
/sbin/ipvsadm -L -n -t 10.0.0.100:81 | tail -n +3
# Only this script's processes (the watchdog part runs beside it and sleeps too):
# the listener loops and their children, and what runs in the client namespace.
for l in $LOOPS; do kids=$(pgrep -P $l); kill $l $kids >/dev/null 2>&1; done
$IP netns pids cl | xargs -r kill >/dev/null 2>&1
true
`

const wantTranscript = `== alert removes
rc=0
TCP  10.144.43.185:8080 rr
  -> 10.144.43.142:8080           Route   5      0          0         
  -> 10.144.43.187:8080           Route   5      0          0         
== alert again
rc=0
stderr: lvs-alert: 10.144.43.175:8080 is not in TCP 10.144.43.185:8080; nothing to remove
TCP  10.144.43.185:8080 rr
  -> 10.144.43.142:8080           Route   5      0          0         
  -> 10.144.43.187:8080           Route   5      0          0         
== upalert adds
rc=0
TCP  10.144.43.185:8080 rr
  -> 10.144.43.142:8080           Route   5      0          0         
  -> 10.144.43.175:8080           Route   5      0          0         
  -> 10.144.43.187:8080           Route   5      0          0         
== upalert again
rc=0
stderr: lvs-alert: 10.144.43.175:8080 is already in TCP 10.144.43.185:8080 (weight 5, dr); nothing to do
TCP  10.144.43.185:8080 rr
  -> 10.144.43.142:8080           Route   5      0          0         
  -> 10.144.43.175:8080           Route   5      0          0         
  -> 10.144.43.187:8080           Route   5      0          0         
== upalert with another weight edits
rc=0
stderr: lvs-alert: 10.144.43.175:8080 was already in TCP 10.144.43.185:8080; changed weight 5 -> 9, dr -> dr
TCP  10.144.43.185:8080 rr
  -> 10.144.43.142:8080           Route   5      0          0         
  -> 10.144.43.175:8080           Route   9      0          0         
  -> 10.144.43.187:8080           Route   5      0          0         
== drain without connections
rc=0
TCP  10.144.43.185:8080 rr
  -> 10.144.43.142:8080           Route   5      0          0         
  -> 10.144.43.187:8080           Route   5      0          0         
== upalert to a missing service
rc=1
stderr: lvs-alert: adding 10.144.43.175:53 to UDP 10.144.43.185:53: no such virtual service (it is created by ipvsadm -A, e.g. in /etc/init.d/lvs start)
== fwmark
rc=0
FWM  9 sh
  -> 10.144.43.175:0              Tunnel  2      0          0         
== fwmark down
rc=0
FWM  9 sh
== bad flag
rc=2
stderr: lvs-alert: -W: "x" is not a weight; expected an integer from 0 to 2147483647
stderr: Try 'lvs-alert --help' for the accepted arguments.
== drain bounded by its timeout
  -> 10.0.0.1:8080                Masq    5      1          0         
rc=0
stderr: lvs-alert: drain of 10.0.0.1:8080 in TCP 10.0.0.100:80 timed out after 8s with 1 active connections; removing it
during:
  -> 10.0.0.1:8080                Masq    0      1          0         
TCP  10.0.0.100:80 rr
== drain ends when the connection does
  -> 10.0.0.1:8081                Masq    5      1          0         
rc=0
TCP  10.0.0.100:81 rr
`

// TestIntegrationKernel runs lvs-alert against a real IPVS (Debian's kernel under
// qemu, inside the VM of go test ./vmtest -run TestVMSuite; it skips elsewhere) and
// checks each step with the original ipvsadm's listing.
func TestIntegrationKernel(t *testing.T) {
	vmtest.RequireGuest(t)
	res := vmtest.RunInGuest(t, vmtest.Options{Script: guestScript, Timeout: 3 * time.Minute})
	if res.ExitCode != 0 {
		t.Fatalf("guest script exit %d\nstdout:\n%s\nstderr:\n%s", res.ExitCode, res.Stdout(), res.Stderr())
	}
	got := res.Stdout()
	if got != wantTranscript {
		t.Errorf("transcript differs\n--- got:\n%s\n--- want:\n%s", got, wantTranscript)
		gl, wl := strings.Split(got, "\n"), strings.Split(wantTranscript, "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Errorf("first difference at line %d:\n got  %q\n want %q", i+1, gl[i], wl[i])
				break
			}
		}
	}
}
