package clustertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/hb/interop"
)

// Generous bounds: a loaded 2-core CI machine runs several namespace tests at once.
const (
	startBound    = 20 * time.Second
	failoverBound = Deadtime + 8*time.Second
	moveBound     = 15 * time.Second
)

func twoOurs(t *testing.T, failback string) (*interop.Pair, [2]*ourNode) {
	interop.Require(t, false)
	p := interop.NewPair(t)
	var n [2]*ourNode
	for i, name := range []string{"lvs1", "lvs2"} {
		n[i] = newOurNode(t, p.NS[i], name, haCF(p, i, failback))
	}
	n[0].start()
	n[1].start()
	return p, n
}

func wantRsc(t *testing.T, n *ourNode, want string) {
	t.Helper()
	waitFor(t, moveBound, n.name+" rscstatus "+want, func() bool {
		out, _ := n.query("cl_status", "rscstatus")
		return out == want
	})
}

// TestTwoNodes: start-up and acquisition, standby and takeover, kill -9 of the active
// node, restart with auto_failback on (the group goes home), clean stop (-k).
func TestTwoNodes(t *testing.T) {
	p, n := twoOurs(t, "on")
	waitFor(t, startBound, "VIP on lvs1", func() bool { return owner(p) == "a" })
	wantRsc(t, n[0], "local")
	wantRsc(t, n[1], "local") // its own, empty, share: what the original prints
	if got := interop.RecorderLines(n[0].recLog()); len(got) == 0 || got[len(got)-1] != "start" {
		t.Errorf("lvs1 rec calls = %v, want ... start", got)
	}
	if got := interop.RecorderLines(n[1].recLog()); strings.Contains(strings.Join(got, " "), "start") {
		t.Errorf("lvs2 rec calls = %v, want no start", got)
	}
	for _, q := range [][]string{{"nodestatus", "lvs2"}, {"hblinkstatus", "lvs2", "eth0"}} {
		out, code := n[0].query(append([]string{"cl_status"}, q...)...)
		if code != 0 || (out != "active" && out != "up") {
			t.Errorf("lvs1 cl_status %v = %q (%d)", q, out, code)
		}
	}

	// hb_standby on the owner hands everything to the peer; hb_takeover takes it back.
	if out, code := n[0].query("standby"); code != 0 {
		t.Fatalf("standby: %d %s", code, out)
	}
	waitFor(t, moveBound, "VIP on lvs2 after standby", func() bool { return owner(p) == "b" })
	wantRsc(t, n[1], "all")
	if out, code := n[0].query("takeover"); code != 0 {
		t.Fatalf("takeover: %d %s", code, out)
	}
	waitFor(t, moveBound, "VIP back on lvs1 after takeover", func() bool { return owner(p) == "a" })

	// kill -9 of the active node: the survivor takes over after deadtime.
	n[0].kill9()
	t0 := time.Now()
	waitFor(t, failoverBound, "VIP on lvs2 after kill -9 of lvs1", func() bool { return hasVIP(p.NS[1]) })
	t.Logf("takeover after kill -9: %v (deadtime %v)", time.Since(t0).Round(10*time.Millisecond), Deadtime)
	out, _ := n[1].query("cl_status", "nodestatus", "lvs1")
	if out != "dead" {
		t.Errorf("lvs2: nodestatus lvs1 = %q, want dead", out)
	}
	crashCleanup(t, p.NS[0], n[0].recLog())

	// Restart: with auto_failback on, the group goes home.
	n[0].start()
	waitFor(t, startBound, "VIP home on lvs1 after restart", func() bool { return owner(p) == "a" })
	wantRsc(t, n[0], "local")

	// Clean stop of the owner: it releases first, the peer takes over before deadtime.
	n[0].stop()
	waitFor(t, failoverBound, "VIP on lvs2 after lvs1 -k", func() bool { return owner(p) == "b" })
	if !strings.Contains(n[0].logText(), "Heartbeat shutdown complete") {
		t.Errorf("lvs1 log has no shutdown line:\n%s", n[0].logText())
	}
}

// TestTwoNodesAutoFailbackOff: the survivor keeps the group when its home node returns.
func TestTwoNodesAutoFailbackOff(t *testing.T) {
	p, n := twoOurs(t, "off")
	waitFor(t, startBound, "VIP on lvs1", func() bool { return owner(p) == "a" })
	n[0].kill9()
	waitFor(t, failoverBound, "VIP on lvs2 after kill -9", func() bool { return hasVIP(p.NS[1]) })
	crashCleanup(t, p.NS[0], n[0].recLog())
	n[0].start()
	// lvs1 is back and has settled (it announced itself) ...
	waitFor(t, startBound, "lvs1 active", func() bool {
		out, _ := n[1].query("cl_status", "nodestatus", "lvs1")
		return out == "active"
	})
	wantRsc(t, n[0], "none")
	// ... and over a few more keepalives the group stays where it is.
	for range 20 {
		if o := owner(p); o != "b" {
			t.Fatalf("auto_failback off: VIP holders %q, want only lvs2", o)
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantRsc(t, n[1], "all")
}

// TestLogFormat: heartbeat's line format in logfile.
func TestLogFormat(t *testing.T) {
	p, n := twoOurs(t, "on")
	waitFor(t, startBound, "VIP on lvs1", func() bool { return owner(p) == "a" })
	b, err := os.ReadFile(filepath.Join(n[0].dir, "ha-log"))
	if err != nil {
		t.Fatal(err)
	}
	first := strings.SplitN(string(b), "\n", 2)[0]
	// heartbeat[1234]: 2026/11/25_08:30:00 info: ...
	f := strings.Fields(first)
	if len(f) < 3 || !strings.HasPrefix(f[0], "heartbeat[") || !strings.HasSuffix(f[0], "]:") || len(f[1]) != 19 || f[1][10] != '_' {
		t.Errorf("first log line %q is not in heartbeat's format", first)
	}
	if !strings.Contains(string(b), "Link lvs2:eth0 up.") {
		t.Errorf("no link-up line in lvs1's log:\n%s", b)
	}
	// realtime on (heartbeat's default): the daemon's threads run SCHED_RR.
	out, err := exec.Command("chrt", "-p", strconv.Itoa(n[0].cmd.Process.Pid)).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "SCHED_RR") {
		t.Errorf("chrt -p heartbeatd: %s %v, want SCHED_RR", out, err)
	}
}

// TestDaemonMode: without -f heartbeatd goes to the background (the command returns once
// the daemon wrote its pid file), -s reports it, the lone node takes its group after
// initdead, and -k stops it after releasing the group.
func TestDaemonMode(t *testing.T) {
	interop.Require(t, false)
	p := interop.NewPair(t)
	n := newOurNode(t, p.NS[0], "lvs1", haCF(p, 0, "on"))
	run := func(args ...string) (string, error) {
		out, err := n.ns.Command(heartbeatdBin, n.args(args...)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := run(); err != nil {
		t.Fatalf("heartbeatd: %v: %s", err, out)
	}
	t.Cleanup(func() { _, _ = run("-k") })
	out, err := run("-s")
	if err != nil || !strings.Contains(out, "running") {
		t.Fatalf("heartbeatd -s = %q, %v", out, err)
	}
	// Up, the daemon writes nowhere: its stdout and stderr are /dev/null (until then
	// they went to a file the starting command read back).
	b, err := os.ReadFile(filepath.Join(n.runDir(), "heartbeat.pid"))
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range []string{"1", "2"} {
		if l, err := os.Readlink("/proc/" + strings.TrimSpace(string(b)) + "/fd/" + fd); err != nil || l != os.DevNull {
			t.Errorf("the background heartbeatd's fd %s is %q (%v), want %s", fd, l, err, os.DevNull)
		}
	}
	waitFor(t, startBound, "VIP on the lone lvs1 after initdead", func() bool { return hasVIP(p.NS[0]) })
	if out, err := run("-k"); err != nil {
		t.Fatalf("heartbeatd -k: %v: %s", err, out)
	}
	if hasVIP(p.NS[0]) {
		t.Error("VIP still up after -k")
	}
	if out, err := run("-s"); err == nil {
		t.Errorf("heartbeatd -s after -k = %q, want a failure status", out)
	}
}
