package main

import (
	"testing"
	"time"

	"github.com/lvskit/lvskit/vmtest"
)

// watchdogScript runs in the VM: heartbeatd with ha.cf's "watchdog /dev/watchdog" on
// the kernel's softdog, reloaded with soft_noboot (it logs instead of rebooting) and a
// 2 s margin. Running, heartbeatd keeps it from firing; heartbeatd -k disarms it;
// kill -9 leaves it to fire.
const watchdogScript = `
set -u
rmmod softdog && insmod /vmtest/mods/softdog.ko soft_noboot=1 soft_margin=2 || { echo "softdog: cannot reload"; exit 1; }
$IP link set lo up
C=/tmp/hb/conf
mkdir -p $C /tmp/hb/state /tmp/hb/run
printf '%s\n' 'logfile /tmp/hb/ha-log' 'keepalive 500ms' 'deadtime 3' 'initdead 3' 'udpport 1001' \
	'ucast lo 127.0.0.2' 'auto_failback on' 'node lvs1 lvs2' 'watchdog /dev/watchdog' >$C/ha.cf
printf 'auth 1\n1 sha1 doss123\n' >$C/authkeys
chmod 600 $C/authkeys
: >$C/haresources
HB="/ours/heartbeatd --node lvs1 --config-dir $C --state-dir /tmp/hb/state --run-dir /tmp/hb/run"
fired() { dmesg | grep -c "softdog: Triggered"; }

$HB -f & pid=$!
sleep 5
echo "running 5s: fired $(fired)"
$HB -k
wait $pid
echo "stopped (-k) rc=$?"
sleep 4
echo "4s after -k: fired $(fired)"
$HB -f & pid=$!
sleep 2
kill -9 $pid
wait $pid 2>/dev/null
echo "killed"
sleep 4
echo "4s after kill -9: fired $(fired)"
echo "cannot open: $(grep -c 'Cannot open watchdog' /tmp/hb/ha-log)"
`

// TestVMWatchdog proves heartbeatd's watchdog against the kernel's softdog, in the qemu
// VM (go test ./vmtest -run TestVMSuite runs it there; it skips elsewhere): the host's
// kernel must not be asked to reboot.
func TestVMWatchdog(t *testing.T) {
	vmtest.RequireGuest(t)
	res := vmtest.RunInGuest(t, vmtest.Options{Script: watchdogScript, Modules: []string{"softdog"}, Timeout: 3 * time.Minute})
	want := "running 5s: fired 0\nstopped (-k) rc=0\n4s after -k: fired 0\nkilled\n4s after kill -9: fired 1\ncannot open: 0\n"
	if res.ExitCode != 0 || res.Stdout() != want {
		t.Fatalf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", res.ExitCode, res.Stdout(), want, res.Stderr())
	}
}
