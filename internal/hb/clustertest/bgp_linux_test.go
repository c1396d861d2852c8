package clustertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/hb/interop"
	"github.com/lvskit/lvskit/internal/lvsbgp"
	"github.com/lvskit/lvskit/internal/lvsbgp/lvsbgptest"
)

// bgpScript is the packaged heartbeat resource script for lvs-bgp.
const bgpScript = "../../../packaging/files/resource.d/bgp"

// bgpGapBound bounds how long the router may have no path to the VIP while hb_standby
// moves the group: the active node withdraws (bgp stop) before the peer announces (bgp
// start), so a gap is by design; it is heartbeat's hand-over (a few messages, two script
// runs) plus one BGP UPDATE, well under a second on an idle machine.
const bgpGapBound = 2 * time.Second

// TestBGPPair: a heartbeat pair on a routed network announces its VIP over BGP from the
// active node only. lvs1 and lvs2 sit on a bridge of a BIRD 2 router (merge paths on);
// each runs heartbeatd with haresources "lvs1 bgp::10.0.0.100" and lvs-bgp in mode
// heartbeat with a healthy IPVS table. The bgp resource is the packaged script,
// called through a wrapper in the node's resource.d that sets LVS_BGP (this test binary
// acting as lvs-bgp) and LVS_BGP_SOCKET (the node's own), since heartbeatd gives
// resource scripts a fixed environment.
//
//  1. start-up: the route to the VIP has one next hop, lvs1; lvs2's lvs-bgp holds and
//     announces nothing.
//  2. hb_standby on lvs1: the next hop moves to lvs2; the router is without a path at
//     most bgpGapBound (sampled every 50 ms).
//  3. kill -9 of lvs2's heartbeatd: lvs1 takes over after deadtime and announces, but
//     lvs2's lvs-bgp goes on announcing, since nothing released the resource (heartbeat
//     after a kill -9 releases nothing either): the router has two paths. That is the BGP
//     analogue of the classic dual-active window of a VIP on two nodes, and it lasts
//     until lvs2's lvs-bgp stops (here SIGTERM, which withdraws; a reboot of lvs2 or
//     stonith does as well). Unlike two nodes answering ARP for one address, the router
//     spreads flows over both by ECMP, and both directors can serve them.
//  4. the packaged script's "bgp 10.0.0.100 status" answers running (0) on the holder
//     and stopped (3) on the other, after each step.
func TestBGPPair(t *testing.T) {
	interop.Require(t, false)
	if heartbeatdBin == "" {
		t.Skip("heartbeatd not built (needs root)")
	}
	script, err := filepath.Abs(bgpScript)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	router := lvsbgptest.NewRouter(t, dir)
	names, addrs := [2]string{"lvs1", "lvs2"}, [2]string{"10.0.0.11", "10.0.0.12"}
	p := &interop.Pair{Iface: "eth0"} // heartbeat's ucast goes through the router's bridge
	for i := range names {
		p.NS[i] = router.AddDirector(t, names[i], addrs[i])
		p.Addr[i] = netip.MustParseAddr(addrs[i])
	}
	router.Start(t)

	vip := lvsbgptest.VIP.String()
	var sp [2]*lvsbgptest.Speaker
	var n [2]*ourNode
	var wrapper [2]string
	for i, name := range names {
		sp[i] = lvsbgptest.StartSpeaker(t, p.NS[i], dir, name, addrs[i], "mode heartbeat", "drain-time 1s")
		n[i] = newOurNode(t, p.NS[i], name, haCF(p, i, "off"))
		if err := os.WriteFile(filepath.Join(n[i].conf(), "haresources"), []byte("lvs1 bgp::"+vip+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		wrapper[i] = filepath.Join(n[i].conf(), "resource.d", "bgp")
		w := fmt.Sprintf("#!/bin/sh\n# heartbeatd gives resource scripts a fixed environment: set what the packaged script\n# and the test binary acting as lvs-bgp need.\n"+
			"LVS_BGP='%s' LVS_BGP_SOCKET='%s' %s='%s'\nexport LVS_BGP LVS_BGP_SOCKET %s\nexec '%s' \"$@\"\n",
			self, sp[i].Socket, lvsbgptest.TableEnv, sp[i].Table, lvsbgptest.TableEnv, script)
		if err := os.WriteFile(wrapper[i], []byte(w), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Both sessions up before heartbeat starts, so that what follows times heartbeat and
	// one UPDATE, not BGP's connection set-up.
	t0 := time.Now()
	for i := range sp {
		waitFor(t, 30*time.Second, names[i]+"'s BGP session", func() bool {
			st, err := speakerStatus(sp[i])
			return err == nil && len(st.Neighbors) == 1 && st.Neighbors[0].Up
		})
	}
	t.Logf("both BGP sessions established after %v", time.Since(t0).Round(10*time.Millisecond))

	// resourceStatus runs "bgp VIP status" through node i's wrapper, in its namespace.
	resourceStatus := func(i int) (string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := p.NS[i].CommandContext(ctx, wrapper[i], vip, "status").CombinedOutput()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		} else if err != nil {
			code = -1
		}
		return strings.TrimSpace(string(out)), code
	}
	// wantHolder checks (4): the packaged script's status on both nodes, and both
	// speakers' own view; holders lists the nodes that hold and announce the VIP.
	wantHolder := func(step string, holders ...int) {
		t.Helper()
		for i := range names {
			want, wantCode := "stopped", 3
			if slices.Contains(holders, i) {
				want, wantCode = "running", 0
			}
			if out, code := resourceStatus(i); out != want || code != wantCode {
				t.Errorf("%s: %s: bgp %s status = %q (exit %d), want %q (exit %d)", step, names[i], vip, out, code, want, wantCode)
			}
			select {
			case <-sp[i].Exited():
				if wantCode != 3 {
					t.Errorf("%s: %s: lvs-bgp has exited", step, names[i])
				}
				continue // no lvs-bgp to ask
			default:
			}
			st, err := speakerStatus(sp[i])
			if err != nil {
				t.Errorf("%s: %s: lvs-bgp ctl status: %v", step, names[i], err)
				continue
			}
			if len(st.VIPs) != 1 || st.VIPs[0].Held != (wantCode == 0) || st.VIPs[0].Announced != (wantCode == 0) || !st.VIPs[0].Healthy {
				t.Errorf("%s: %s: lvs-bgp ctl status vips = %+v, want healthy, held and announced %v", step, names[i], st.VIPs, wantCode == 0)
			}
		}
	}

	// (1) start-up: lvs1 acquires the group and announces; lvs2 holds nothing.
	t1 := time.Now()
	n[0].start()
	n[1].start()
	router.WaitHops(t, "start-up (from starting heartbeatd)", startBound, addrs[0])
	wantRsc(t, n[0], "local")
	wantRsc(t, n[1], "local") // its own, empty, share
	if h := router.Hops(); !slices.Equal(h, []string{addrs[0]}) {
		t.Fatalf("start-up: next hops %v once both nodes settled, want only lvs1's", h)
	}
	if out, err := router.Birdc("show", "route", "for", vip, "all"); err != nil || strings.Count(out, "BGP.as_path:") != 1 || !strings.Contains(out, "via "+addrs[0]) {
		t.Errorf("start-up: birdc show route: want one path, via lvs1: %v\n%s", err, out)
	}
	wantHolder("start-up", 0)
	t.Logf("start-up: lvs1's path only, %v after heartbeatd started", time.Since(t1).Round(10*time.Millisecond))

	// (2) hb_standby on lvs1: the path moves to lvs2.
	standby := make(chan string, 1)
	t2 := time.Now()
	go func() {
		out, code := n[0].query("standby")
		standby <- fmt.Sprintf("%q exit %d", out, code)
	}()
	m := watchHops(router, t2, moveBound, 1*time.Second, addrs[1])
	t.Logf("standby: %s", <-standby)
	if !m.reached {
		t.Fatalf("standby: next hops never became lvs2's alone within %v; last %v", moveBound, m.last)
	}
	t.Logf("standby: route on lvs2 alone %v after hb_standby (lvs1 withdrawn after %v); longest time without a path %v (%d zero-path samples of %d, every 50 ms); both paths at once for %v",
		m.at.Round(10*time.Millisecond), m.firstWithout(addrs[0]).Round(10*time.Millisecond), m.longestGap.Round(10*time.Millisecond), m.zero, m.samples, m.overlap.Round(10*time.Millisecond))
	if m.longestGap > bgpGapBound {
		t.Errorf("standby: the router had no path to %s for %v, want at most %v", vip, m.longestGap, bgpGapBound)
	}
	wantRsc(t, n[1], "all")
	wantHolder("after standby", 1)

	// (3) kill -9 of lvs2's heartbeatd: lvs1 takes over after deadtime, and lvs2's
	// lvs-bgp, never told to withdraw, keeps its path: two next hops (dual-active).
	n[1].kill9()
	t3 := time.Now()
	router.WaitHops(t, "kill -9 of lvs2's heartbeatd", failoverBound, addrs[0], addrs[1])
	t.Logf("kill -9: lvs1 announced %v after lvs2's heartbeatd died (deadtime %v); lvs2's path stays", time.Since(t3).Round(10*time.Millisecond), Deadtime)
	wantRsc(t, n[0], "all")
	for range 10 { // and it stays: nothing on lvs2 withdraws
		if h := router.Hops(); !slices.Equal(h, []string{addrs[0], addrs[1]}) {
			t.Fatalf("kill -9: next hops %v, want both (lvs2's lvs-bgp still announces)", h)
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantHolder("after kill -9 of lvs2's heartbeatd", 0, 1)

	// ... until lvs2's lvs-bgp stops: SIGTERM withdraws first, then drains 1 s.
	t4 := time.Now()
	if err := sp[1].Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	router.WaitHops(t, "SIGTERM of lvs2's lvs-bgp", 5*time.Second, addrs[0])
	select {
	case <-sp[1].Exited():
	case <-time.After(10 * time.Second):
		t.Fatal("lvs2's lvs-bgp still running 10 s after SIGTERM")
	}
	t.Logf("SIGTERM: lvs2's lvs-bgp exited %v after the signal (drain-time 1s)", time.Since(t4).Round(10*time.Millisecond))
	wantHolder("after SIGTERM of lvs2's lvs-bgp", 0)
}

// speakerStatus is an lvs-bgp's "ctl status", decoded.
func speakerStatus(s *lvsbgptest.Speaker) (lvsbgp.Status, error) {
	var st lvsbgp.Status
	out, code, err := lvsbgp.Query(s.Socket, []string{"status"})
	if err == nil && code != 0 {
		err = fmt.Errorf("exit %d: %s", code, out)
	}
	if err == nil {
		err = json.Unmarshal([]byte(out), &st)
	}
	return st, err
}

// hopsWatch is what watchHops saw.
type hopsWatch struct {
	reached    bool
	at         time.Duration // since the start, when want was first seen
	last       []string
	samples    int
	zero       int           // samples without a path
	longestGap time.Duration // longest run without a path: from its first sample to the next with one
	overlap    time.Duration // runs with more than one path, summed likewise
	seen       []sample
}

type sample struct {
	at   time.Duration
	hops []string
}

// firstWithout is when a sample first lacked hop (-1 if none did).
func (w *hopsWatch) firstWithout(hop string) time.Duration {
	for _, s := range w.seen {
		if !slices.Contains(s.hops, hop) {
			return s.at
		}
	}
	return -1
}

// watchHops samples the router's next hops every 50 ms from start until they are want
// and have stayed so for settle, or until limit.
func watchHops(r *lvsbgptest.Router, start time.Time, limit, settle time.Duration, want ...string) *hopsWatch {
	w := &hopsWatch{}
	var gapFrom, bothFrom time.Duration = -1, -1
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for ; ; <-tick.C {
		h := r.Hops()
		now := time.Since(start)
		w.samples++
		w.last = h
		w.seen = append(w.seen, sample{now, h})
		switch {
		case len(h) == 0:
			w.zero++
			if gapFrom < 0 {
				gapFrom = now
			}
		case gapFrom >= 0:
			w.longestGap = max(w.longestGap, now-gapFrom)
			gapFrom = -1
		}
		switch {
		case len(h) > 1:
			if bothFrom < 0 {
				bothFrom = now
			}
		case bothFrom >= 0:
			w.overlap += now - bothFrom
			bothFrom = -1
		}
		if slices.Equal(h, want) {
			if !w.reached {
				w.reached, w.at = true, now
			}
			if now-w.at >= settle {
				return w
			}
		} else if w.reached {
			w.reached = false // it left want again: wait for it anew
		}
		if now > limit {
			if gapFrom >= 0 {
				w.longestGap = max(w.longestGap, now-gapFrom)
			}
			return w
		}
	}
}
