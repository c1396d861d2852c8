package clustertest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/hb/interop"
)

// The ping6 targets: an address beside each namespace's own, the one the other side
// pings, so that deleting it stops the echo replies while each side keeps an address to
// send from. ping6Upper is written in upper case on a second ping6 line of each side.
const (
	ping6Deadping = 3 * time.Second  // above deadtime (2 s): a node dead sooner died by the wrong timer
	ping6Target0  = "fd00:200:6::a1" // in NS[0], the original's: heartbeatd's ping6 node
	ping6Target1  = "fd00:200:6::a2" // in NS[1], heartbeatd's: the original's ping6 node
)

// ping6Upper is target's second spelling, upper case: "FD00:200:6:0::A1".
func ping6Upper(target string) string {
	return strings.ToUpper(strings.Replace(target, "6::", "6:0::", 1))
}

// TestPing6AgainstOriginal: heartbeat 3.0.6 (lvs1) and heartbeatd (lvs2), a cluster over
// ucast, each with "ping6 <an address of the other namespace>" and deadping 3. Both
// report their ping6 node as a ping node that is up, and answer cl_status alike about it
// (nodetype, nodestatus, listnodes -p, listhblinks, hblinkstatus); once the addresses
// are deleted both report it dead, not before deadping; once they are back, up again.
// The upper-case spelling (a second ping6 line) is the documented departure: 3.0.6 names
// that node in lower case and never counts it up; heartbeatd does.
func TestPing6AgainstOriginal(t *testing.T) {
	interop.Require(t, true)
	p := interop.NewPair(t)
	targets := [2]string{ping6Target0, ping6Target1}
	for i, a := range targets {
		mustIP(t, "-n", p.NS[i].Name, "-6", "addr", "add", a+"/64", "dev", p.Iface, "nodad")
	}
	cf := func(i int) string {
		other := targets[1-i]
		return haCF(p, i, "on", fmt.Sprintf("deadping %d", int(ping6Deadping/time.Second)), "ping6 "+other, "ping6 "+ping6Upper(other))
	}
	orig := interop.StartHeartbeat(t, p.NS[0], interop.Config{Name: "lvs1", HACF: cf(0), Authkeys: authkeysSHA1,
		Haresources: haresources, Scripts: map[string]string{"rec": interop.Recorder(t.TempDir() + "/rec.log")}})
	ours := newOurNode(t, p.NS[1], "lvs2", cf(1))
	ours.start()
	dumpOnFailure(t, orig, ours)

	// Each side's ping node: the original's is ping6Target1, ours ping6Target0.
	node := [2]string{ping6Target1, ping6Target0}
	upper := [2]string{strings.ToLower(ping6Upper(ping6Target1)), strings.ToLower(ping6Upper(ping6Target0))}
	origSays := func(args ...string) string { out, _ := orig.ClStatus(args...); return out }
	oursSays := func(args ...string) string {
		out, _ := ours.query(append([]string{"cl_status"}, args...)...)
		return out
	}
	says := [2]func(...string) string{origSays, oursSays}
	waitStatus := func(i int, name, want, why string) time.Time {
		t.Helper()
		waitFor(t, originalBound, fmt.Sprintf("%s: nodestatus %s %s (%s)", []string{"original", "heartbeatd"}[i], name, want, why),
			func() bool { return says[i]("nodestatus", name) == want })
		return time.Now()
	}
	waitStatus(0, node[0], "ping", "its ping6 address answers")
	waitStatus(1, node[1], "ping", "its ping6 address answers")

	// The same answers, each about its own ping6 node (named NODE here), and the same
	// exit status.
	for _, q := range [][]string{{"nodetype", "NODE"}, {"nodestatus", "NODE"}, {"listhblinks", "NODE"}, {"hblinkstatus", "NODE", "NODE"}} {
		var ans [2]string
		for i := range 2 {
			args := slices.Clone(q)
			for j := range args {
				args[j] = strings.ReplaceAll(args[j], "NODE", node[i])
			}
			ans[i] = strings.ReplaceAll(says[i](args...), node[i], "NODE")
		}
		if ans[0] != ans[1] {
			t.Errorf("cl_status %v: original %q, heartbeatd %q", q, ans[0], ans[1])
		}
	}
	if got := origSays("nodetype", node[0]); got != "ping" {
		t.Errorf("original: nodetype %s = %q, want ping", node[0], got)
	}
	// listnodes -p: both ping6 nodes, named in lower case (the order of several ping
	// nodes is not compared: the original's is its ha.cf's, reversed).
	for i := range 2 {
		got := strings.Fields(says[i]("listnodes", "-p"))
		slices.Sort(got)
		want := []string{node[i], upper[i]}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: listnodes -p = %q, want %q", []string{"original", "heartbeatd"}[i], got, want)
		}
	}
	// The upper-case line: heartbeatd counts it up; the original refuses its replies.
	waitStatus(1, upper[1], "ping", "the upper-case line's node, which heartbeatd counts up")
	if got := oursSays("nodestatus", ping6Upper(ping6Target0)); got != "ping" {
		t.Errorf("heartbeatd: nodestatus %s (as written) = %q, want ping", ping6Upper(ping6Target0), got)
	}
	waitStatus(0, upper[0], "dead", "3.0.6 never counts an upper-case ping6 node up")
	if log := orig.Log(); !strings.Contains(log, "bad node ["+ping6Upper(ping6Target1)+"] in message") {
		t.Errorf("the original's log does not say why it refuses %s's replies", ping6Upper(ping6Target1))
	}

	// The addresses go: both ping nodes dead after deadping (sampled every 100 ms).
	t0 := time.Now()
	for i, a := range targets {
		mustIP(t, "-n", p.NS[i].Name, "-6", "addr", "del", a+"/64", "dev", p.Iface)
	}
	var deadAt [2]time.Duration
	deadline := t0.Add(ping6Deadping + originalBound)
	for n := 0; (deadAt[0] == 0 || deadAt[1] == 0) && n < 5000; n++ {
		for i := range 2 {
			if deadAt[i] == 0 && says[i]("nodestatus", node[i]) == "dead" {
				deadAt[i] = time.Since(t0)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("ping6 nodes not both dead %v after their addresses went: original %v, heartbeatd %v (0: not dead)", originalBound, deadAt[0], deadAt[1])
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("ping6 node dead after its address went: original %v, heartbeatd %v (deadping %v)", deadAt[0].Round(10*time.Millisecond), deadAt[1].Round(10*time.Millisecond), ping6Deadping)
	// The last reply came at most a keepalive (200 ms) before the addresses went.
	for i, d := range deadAt {
		if d < ping6Deadping-500*time.Millisecond {
			t.Errorf("%s: ping6 node dead %v after its address went, before deadping %v", []string{"original", "heartbeatd"}[i], d, ping6Deadping)
		}
	}
	if deadAt[1] > ping6Deadping+10*time.Second {
		t.Errorf("heartbeatd: ping6 node dead only %v after its address went (deadping %v)", deadAt[1], ping6Deadping)
	}
	for i := range 2 {
		if got := says[i]("hblinkstatus", node[i], node[i]); got != "dead" {
			t.Errorf("%s: hblinkstatus of the dead ping6 node = %q, want dead", []string{"original", "heartbeatd"}[i], got)
		}
	}

	// Back: up again on the first replies.
	for i, a := range targets {
		mustIP(t, "-n", p.NS[i].Name, "-6", "addr", "add", a+"/64", "dev", p.Iface, "nodad")
	}
	waitStatus(0, node[0], "ping", "its ping6 address is back")
	waitStatus(1, node[1], "ping", "its ping6 address is back")
	if st := oursSays("nodestatus", "lvs1"); st != "active" {
		t.Errorf("heartbeatd: nodestatus lvs1 = %q: the ping6 node's death touched the cluster", st)
	}
}
