package clustertest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/hbwire"
	"github.com/lvskit/lvskit/internal/hb/interop"
)

// What heartbeat 3.0.6 does on a reload (heartbeat -r = SIGHUP), observed by running
// Debian's package in these namespaces (two originals, ha.cf as haCF's with deadtime 10,
// /usr/libexec/heartbeat/heartbeat -r through nsenter, 2026-11-25):
//
//   - heartbeat -r with no heartbeat running (no pid file, or a stale one) starts
//     heartbeat and exits 0, printing only the configuration's warnings.
//   - heartbeat -r checks the files first (printing its start-up warnings), then logs
//     "Signalling heartbeat pid N to reread config files" and exits 0. With an invalid
//     authkeys ("Auth line [bogus line] is invalid.") or ha.cf ("Illegal directive
//     [bogusdirective]") it prints the errors and "Config errors: Heartbeat pid N NOT
//     restarted", exits 1, and the running daemon carries on untouched.
//   - Nothing changed: the daemon logs "Configuration unchanged.". It judges by the
//     files' modification times, to the second: a file rewritten within the second it
//     was read counts as unchanged (heartbeatd compares what the files say).
//   - Only authkeys changed: "Rereading authentication file." (and each child: "Child
//     rereading authentication file."); it signs with the new active key at once. A
//     key removed from the file is refused ("Invalid authentication [1] in message!").
//     A key still listed but not active is refused too after the reread ("authtoken
//     does not match"), though every listed key verifies at start: two originals
//     rotating keys lose each other's heartbeats between the two reloads (a 5.4 s late
//     heartbeat in the observation) and split if the reloads are more than deadtime
//     apart. heartbeatd keeps accepting every listed key, as authkeys(5) describes.
//   - ha.cf changed at all (a comment line included, or keepalive/deadtime): "Heartbeat
//     restart triggered.", "Performing heartbeat restart exec.": the daemon stops its
//     media processes, execs itself with a new generation and comes back keeping its
//     resources (no resource script runs; the peer logs "Heartbeat restart on node
//     lvs1", then sees it init, up, active).
//
// heartbeatd applies authkeys and the timers in place and refuses other ha.cf changes
// (daemon.Reload), and its -r waits for the daemon's answer and exits 1 on a refusal;
// these tests hold it to that with real processes.

// reloadOurs runs heartbeatd -r for node n (its config dir) and returns the output and
// exit status.
func reloadOurs(n *ourNode) (string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := n.ns.CommandContext(ctx, heartbeatdBin, n.args("-r")...).CombinedOutput()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return strings.TrimSpace(string(out)), code
}

func writeConf(t *testing.T, dir, name, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// editHACF rewrites node n's ha.cf with old replaced by new.
func editHACF(t *testing.T, n *ourNode, old, new string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.conf(), "ha.cf"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), old) {
		t.Fatalf("%s ha.cf has no %q", n.name, old)
	}
	writeConf(t, n.conf(), "ha.cf", strings.Replace(string(b), old, new, 1))
}

// waitLog waits until node n's log has want at least count times.
func waitLog(t *testing.T, n *ourNode, want string, count int) {
	t.Helper()
	waitFor(t, moveBound, n.name+" logs "+strconv.Quote(want), func() bool {
		return strings.Count(n.logText(), want) >= count
	})
}

// ownerWatch samples the VIP's holder every 100 ms and records every holder seen.
type ownerWatch struct {
	seen map[string]int
	stop func()
}

func watchOwner(p *interop.Pair) *ownerWatch {
	w := &ownerWatch{seen: map[string]int{}}
	w.stop = every(func() { w.seen[owner(p)]++ })
	return w
}

func (w *ownerWatch) end() map[string]int {
	w.stop()
	return w.seen
}

// TestReload: two heartbeatd nodes rotate their key (add the new key, make it active,
// retire the old one, each step a heartbeatd -r on both), then change timers, then try
// changes a running heartbeatd refuses, and a bad authkeys. The cluster stays up
// throughout: the VIP never leaves lvs1, no resource script runs, no node is declared
// dead. A packet forged with the retired key moves nothing.
func TestReload(t *testing.T) {
	p, n := twoOurs(t, "on")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvs1's log:\n%s\nlvs2's log:\n%s", n[0].logText(), n[1].logText())
		}
	})
	waitFor(t, startBound, "VIP on lvs1", func() bool { return owner(p) == "a" })
	wantRsc(t, n[0], "local")
	wantRsc(t, n[1], "local")
	recBefore := strings.Join(interop.RecorderLines(n[0].recLog()), " ") + "|" + strings.Join(interop.RecorderLines(n[1].recLog()), " ")
	w := watchOwner(p)

	// Nothing changed.
	for _, x := range n {
		out, code := reloadOurs(x)
		if code != 0 || !strings.Contains(out, "Signalling heartbeat pid") || !strings.Contains(out, "Configuration unchanged.") {
			t.Fatalf("%s: heartbeatd -r = %d %q", x.name, code, out)
		}
		waitLog(t, x, "Configuration unchanged.", 1)
	}

	// The key rotation, in the two steps that lose no heartbeat.
	rotations := []string{
		"auth 1\n1 sha1 doss123\n2 sha1 n3wkey\n",
		"auth 2\n1 sha1 doss123\n2 sha1 n3wkey\n",
		"auth 2\n2 sha1 n3wkey\n",
	}
	for i, keys := range rotations {
		for _, x := range n {
			writeConf(t, x.conf(), "authkeys", keys)
			if out, code := reloadOurs(x); code != 0 || !strings.Contains(out, "Reloaded: authkeys") {
				t.Fatalf("%s: heartbeatd -r = %d %q", x.name, code, out)
			}
			waitLog(t, x, "Rereading authentication file.", i+1)
		}
		time.Sleep(4 * 200 * time.Millisecond) // a few keepalives under the new keys
	}
	waitLog(t, n[0], "authkeys: signing with key 2 (sha1); accepting keys 2", 1)
	// Only key 2 is left on both: that they still hear each other proves they sign with it.
	time.Sleep(Deadtime + time.Second)
	for i, x := range n {
		peer := n[1-i].name
		if out, _ := x.query("cl_status", "nodestatus", peer); out != "active" {
			t.Fatalf("after the rotation %s sees %s %q, want active", x.name, peer, out)
		}
	}

	// A packet signed with the retired key: a takeover request "from lvs2".
	old, err := hbwire.NewKeyring(1, hbwire.Key{Index: 1, Method: hbwire.SHA1, Secret: []byte("doss123")})
	if err != nil {
		t.Fatal(err)
	}
	m := &hbwire.Message{}
	for _, kv := range [][2]string{{"t", "hb_takeover"}, {"rsc_hold", "all"}, {hbwire.FSrc, "lvs2"}, {hbwire.FSeq, "fffff"},
		{hbwire.FHG, "7fffffff"}, {hbwire.FTS, "0"}, {hbwire.FTTL, "3"}} {
		m.Add(kv[0], kv[1])
	}
	forged, err := hbwire.Sign(m, old)
	if err != nil {
		t.Fatal(err)
	}
	err = p.NS[1].Do(func() error {
		c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: p.Addr[0].AsSlice(), Port: interop.Port})
		if err != nil {
			return err
		}
		defer c.Close()
		for range 10 {
			if _, err := c.Write(forged); err != nil {
				return err
			}
			time.Sleep(50 * time.Millisecond)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Timers: a longer deadtime on lvs2 is in force at once.
	editHACF(t, n[1], "deadtime 2\n", "deadtime 3\n")
	if out, code := reloadOurs(n[1]); code != 0 || !strings.Contains(out, "Reloaded: deadtime 2s -> 3s") {
		t.Fatalf("lvs2: heartbeatd -r = %d %q", code, out)
	}
	waitLog(t, n[1], "ha.cf reloaded: deadtime 2s -> 3s", 1)
	if out, _ := n[1].query("cl_status", "hbparameter", "-p", "deadtime"); out != "3" {
		t.Errorf("lvs2 deadtime after the reload = %q, want 3", out)
	}

	// A change a running heartbeatd cannot apply: refused, logged, nothing changes.
	editHACF(t, n[1], "keepalive "+Keepalive+"\n", "keepalive 300ms\n")
	editHACF(t, n[1], "udpport 1001\n", "udpport 1002\n")
	if out, code := reloadOurs(n[1]); code != 1 || !strings.Contains(out, "Reload refused: media (bcast/mcast/ucast/mcast6/ucast6/serial), udpport changed") {
		t.Fatalf("lvs2: heartbeatd -r with a change needing a restart = %d %q; want 1 and Reload refused", code, out)
	}
	waitLog(t, n[1], "Reload refused: media (bcast/mcast/ucast/mcast6/ucast6/serial), udpport changed", 1)
	if out, _ := n[1].query("cl_status", "hbparameter", "-p", "keepalive"); out != "200ms" {
		t.Errorf("lvs2 keepalive after a refused reload = %q, want 200ms (unchanged)", out)
	}

	// A bad authkeys: heartbeatd -r says where and does not signal; a SIGHUP sent
	// anyway logs it and changes nothing.
	writeConf(t, n[0].conf(), "authkeys", "auth 2\n2 sha1 n3wkey\nbogus line\n")
	out, code := reloadOurs(n[0])
	if code != 1 || !strings.Contains(out, "authkeys:3") || !strings.Contains(out, "NOT restarted") {
		t.Errorf("lvs1: heartbeatd -r with a bad authkeys = %d %q; want 1, authkeys:3 and NOT restarted", code, out)
	}
	if err := n[0].cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitLog(t, n[0], "Config errors: configuration not reloaded", 1)

	time.Sleep(Deadtime) // what a wrongly applied change would break shows within deadtime
	seen := w.end()
	if len(seen) != 1 || seen["a"] == 0 {
		t.Errorf("VIP holders seen during the reloads: %v, want lvs1 only", seen)
	}
	recAfter := strings.Join(interop.RecorderLines(n[0].recLog()), " ") + "|" + strings.Join(interop.RecorderLines(n[1].recLog()), " ")
	if recAfter != recBefore {
		t.Errorf("resource scripts ran during the reloads: %q -> %q", recBefore, recAfter)
	}
	for i, x := range n {
		if strings.Contains(x.logText(), "is dead") {
			t.Errorf("%s declared its peer dead during the reloads", x.name)
		}
		if out, _ := x.query("cl_status", "nodestatus", n[1-i].name); out != "active" {
			t.Errorf("at the end %s sees %s %q, want active", x.name, n[1-i].name, out)
		}
	}
	wantRsc(t, n[0], "local")
}

// TestReloadInteropOriginal: the original (lvs1, holding the VIP) and heartbeatd (lvs2)
// rotate their key together, each with its own -r, run at the same time. The original
// stops accepting the not-yet-active key after its reread (see above), so each step
// costs the time between the two reloads, well under deadtime: they stay one cluster
// and nothing moves.
func TestReloadInteropOriginal(t *testing.T) {
	p, orig, origRec, ours := originalHoldsGroup(t)
	recBefore := strings.Join(interop.RecorderLines(origRec), " ")
	w := watchOwner(p)
	// The original tells a changed file by its mtime, to the second: an authkeys written
	// in the second it was read is "Configuration unchanged." (seen under load here).
	time.Sleep(1100 * time.Millisecond)

	rotations := []string{
		"auth 1\n1 sha1 doss123\n2 sha1 n3wkey\n",
		"auth 2\n1 sha1 doss123\n2 sha1 n3wkey\n",
		"auth 2\n2 sha1 n3wkey\n",
	}
	for i, keys := range rotations {
		writeConf(t, filepath.Join(orig.Dir, "etc"), "authkeys", keys)
		writeConf(t, ours.conf(), "authkeys", keys)
		// Both at once: the two nodes cannot hear each other between the two reloads
		// (the original's quirk), so the window is kept as short as the tools allow.
		origDone := make(chan error, 1)
		go func() {
			out, err := orig.Exec(interop.HeartbeatBin, "-r")
			if err != nil {
				err = fmt.Errorf("%w\n%s", err, out)
			}
			origDone <- err
		}()
		out, code := reloadOurs(ours)
		if err := <-origDone; err != nil {
			t.Fatalf("the original's heartbeat -r: %v", err)
		}
		if code != 0 || !strings.Contains(out, "Reloaded: authkeys") {
			t.Fatalf("heartbeatd -r = %d %q", code, out)
		}
		waitLog(t, ours, "Rereading authentication file.", i+1)
		waitFor(t, moveBound, "the original rereads authkeys", func() bool {
			return strings.Count(orig.Log(), "Rereading authentication file.") >= i+1
		})
		time.Sleep(Deadtime)
	}
	if err := orig.WaitClStatus(originalBound, "active", "nodestatus", "lvs2"); err != nil {
		t.Errorf("after the rotation the original does not see heartbeatd: %v", err)
	}
	if out, _ := ours.query("cl_status", "nodestatus", "lvs1"); out != "active" {
		t.Errorf("after the rotation heartbeatd sees the original %q, want active", out)
	}
	seen := w.end()
	if len(seen) != 1 || seen["a"] == 0 {
		t.Errorf("VIP holders seen during the rotation: %v, want lvs1 only", seen)
	}
	if got := strings.Join(interop.RecorderLines(origRec), " "); got != recBefore {
		t.Errorf("the original's resource script ran during the rotation: %q -> %q", recBefore, got)
	}
	for _, l := range []string{orig.Log(), ours.logText()} {
		if strings.Contains(l, "is dead") {
			t.Error("a node was declared dead during the rotation")
		}
	}
}

// TestReloadStartsWhenStopped: heartbeatd -r with no heartbeatd running starts one in
// the background, as heartbeat -r does.
func TestReloadStartsWhenStopped(t *testing.T) {
	interop.Require(t, false)
	p := interop.NewPair(t)
	n := newOurNode(t, p.NS[0], "lvs1", haCF(p, 0, "on"))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_ = n.ns.CommandContext(ctx, heartbeatdBin, n.args("-k")...).Run()
	})
	if out, code := reloadOurs(n); code != 0 {
		t.Fatalf("heartbeatd -r with nothing running = %d %q, want 0 (it starts heartbeatd)", code, out)
	}
	waitFor(t, startBound, "heartbeatd started by -r", func() bool {
		out, code := n.query("cl_status", "hbstatus")
		return code == 0 && strings.Contains(out, "running")
	})
	// Now it runs, -r reloads it.
	if out, code := reloadOurs(n); code != 0 || !strings.Contains(out, "Configuration unchanged.") {
		t.Fatalf("second heartbeatd -r = %d %q, want a reload", code, out)
	}
}
