package clustertest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/hb/interop"
)

// TestWatchdog: ha.cf's "watchdog" device is written every keepalive and disarmed
// with the magic 'V' by a clean stop (-k), never by kill -9; a device that cannot be
// opened is logged in heartbeat's words and the node runs on. (A regular file stands
// in for the device here; the kernel's softdog firing is proved in the VM:
// cmd/heartbeatd's TestVMWatchdog.)
func TestWatchdog(t *testing.T) {
	interop.Require(t, false)
	p := interop.NewPair(t)
	dev := filepath.Join(t.TempDir(), "watchdog")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	a := newOurNode(t, p.NS[0], "lvs1", haCF(p, 0, "on", "watchdog "+dev))
	b := newOurNode(t, p.NS[1], "lvs2", haCF(p, 1, "on", "watchdog /nonexistent/watchdog"))
	a.start()
	b.start()
	waitFor(t, startBound, "VIP on lvs1", func() bool { return owner(p) == "a" })
	read := func() string {
		got, err := os.ReadFile(dev)
		if err != nil {
			t.Fatal(err)
		}
		return string(got)
	}
	waitFor(t, 10*time.Second, "watchdog written", func() bool { return strings.Count(read(), "1") >= 3 })
	if strings.Contains(read(), "V") {
		t.Fatalf("watchdog disarmed while running: %q", read())
	}
	if !strings.Contains(b.logText(), "ERROR: Cannot open watchdog device: /nonexistent/watchdog") {
		t.Errorf("lvs2 did not log the missing device in heartbeat's words:\n%s", b.logText())
	}
	if out, code := b.query("cl_status", "hbstatus"); code != 0 {
		t.Errorf("lvs2 without its watchdog: hbstatus %d %s", code, out)
	}

	a.stop()
	if got := read(); !strings.HasSuffix(got, "V") {
		t.Fatalf("after -k the device was not disarmed: ends %q", got[max(0, len(got)-5):])
	}

	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	a.start()
	waitFor(t, 10*time.Second, "watchdog written again", func() bool { return strings.Count(read(), "1") >= 2 })
	a.kill9()
	crashCleanup(t, p.NS[0], a.recLog())
	if got := read(); strings.Contains(got, "V") {
		t.Fatalf("kill -9 disarmed the device: %q", got)
	}
}
