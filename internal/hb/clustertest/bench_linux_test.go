package clustertest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/hb/interop"
	"github.com/lvskit/lvskit/internal/netnstest"
)

// The benchmark and the soak are not tests: they run only when asked for, through
// `make bench-heartbeat` (LVSKIT_BENCH_HEARTBEAT=1, RUNS=20; SOAK=600 adds the soak).

func benchEnabled(t *testing.T) {
	if os.Getenv("LVSKIT_BENCH_HEARTBEAT") == "" {
		t.Skip("benchmark: run with `make bench-heartbeat`")
	}
}

// vipIn asks the namespace's kernel directly (no exec), so the takeover time is not
// blurred by process start-up.
func vipIn(ns *netnstest.NS) bool {
	has := false
	_ = ns.Do(func() error {
		as, err := net.InterfaceAddrs()
		if err != nil {
			return err
		}
		for _, a := range as {
			if n, ok := a.(*net.IPNet); ok && n.IP.String() == VIP {
				has = true
			}
		}
		return nil
	})
	return has
}

// waitVIP polls every 5 ms and returns when the VIP is up in ns.
func waitVIP(ns *netnstest.NS, timeout time.Duration) (time.Time, bool) {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if vipIn(ns) {
			return time.Now(), true
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Time{}, false
}

// vmHWM is a process's peak resident set in kB.
func vmHWM(pid int) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			f := strings.Fields(v)
			if len(f) > 0 {
				n, _ := strconv.Atoi(f[0])
				return n
			}
		}
	}
	return 0
}

// nsProcs lists the pids whose network namespace is ns and whose name is comm.
func nsProcs(ns *netnstest.NS, comm string) []int {
	var pids []int
	for _, pid := range ns.Pids() {
		c, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if strings.TrimSpace(string(c)) == comm {
			pids = append(pids, pid)
		}
	}
	return pids
}

type benchResult struct {
	name      string
	latencies []time.Duration
	rssKB     []int // per run: the survivor's peak RSS (all its processes)
}

func (r benchResult) report(t *testing.T) {
	if len(r.latencies) == 0 {
		t.Logf("%s: no successful run", r.name)
		return
	}
	l := append([]time.Duration(nil), r.latencies...)
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	p := func(q float64) time.Duration {
		i := int(q*float64(len(l))+0.999999) - 1
		return l[max(0, min(i, len(l)-1))]
	}
	maxRSS := 0
	for _, k := range r.rssKB {
		maxRSS = max(maxRSS, k)
	}
	t.Logf("%-12s runs=%d min=%v p50=%v p95=%v max=%v  deadtime+100ms=%v  peak RSS=%d kB",
		r.name, len(l), l[0].Round(time.Millisecond), p(0.5).Round(time.Millisecond), p(0.95).Round(time.Millisecond),
		l[len(l)-1].Round(time.Millisecond), Deadtime+100*time.Millisecond, maxRSS)
}

func runs() int {
	if n, err := strconv.Atoi(os.Getenv("RUNS")); err == nil && n > 0 {
		return n
	}
	return 20
}

// TestBenchTakeover: kill -9 of the active node to VIP up on the survivor, RUNS times for
// heartbeatd and for the original with the same ha.cf (keepalive 200ms, deadtime 2),
// and for keepalived's VRRP with the same detection budget (keepalived_linux_test.go).
func TestBenchTakeover(t *testing.T) {
	benchEnabled(t)
	interop.Require(t, true)
	ours := benchResult{name: "heartbeatd"}
	for i := 0; i < runs(); i++ {
		p := interop.NewPair(t)
		var n [2]*ourNode
		for j, name := range []string{"lvs1", "lvs2"} {
			n[j] = newOurNode(t, p.NS[j], name, haCF(p, j, "on"))
		}
		n[0].start()
		n[1].start()
		if _, ok := waitVIP(p.NS[0], startBound); !ok {
			t.Fatalf("run %d: no VIP on lvs1", i)
		}
		wantRsc(t, n[1], "local")
		time.Sleep(time.Duration(i%5) * 37 * time.Millisecond) // spread the kill over the keepalive phase
		t0 := time.Now()
		n[0].kill9()
		t1, ok := waitVIP(p.NS[1], failoverBound)
		if !ok {
			t.Fatalf("run %d: heartbeatd did not take over", i)
		}
		ours.latencies = append(ours.latencies, t1.Sub(t0))
		ours.rssKB = append(ours.rssKB, vmHWM(n[1].cmd.Process.Pid))
		n[1].kill9()
	}
	orig := benchResult{name: "heartbeat"}
	for i := 0; i < runs(); i++ {
		p := interop.NewPair(t)
		a := interop.StartHeartbeat(t, p.NS[0], interop.Config{Name: "lvs1", HACF: haCF(p, 0, "on"), Authkeys: authkeysSHA1,
			Haresources: haresources, Scripts: map[string]string{"rec": interop.Recorder(filepath.Join(t.TempDir(), "rec"))}})
		b := interop.StartHeartbeat(t, p.NS[1], interop.Config{Name: "lvs2", HACF: haCF(p, 1, "on"), Authkeys: authkeysSHA1,
			Haresources: haresources, Scripts: map[string]string{"rec": interop.Recorder(filepath.Join(t.TempDir(), "rec"))}})
		if _, ok := waitVIP(p.NS[0], originalBound); !ok {
			t.Fatalf("run %d: no VIP on the original lvs1", i)
		}
		if err := b.WaitClStatus(originalBound, "local", "rscstatus"); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(i%5) * 37 * time.Millisecond)
		t0 := time.Now()
		a.Kill9()
		t1, ok := waitVIP(p.NS[1], originalBound)
		if !ok {
			t.Fatalf("run %d: the original did not take over", i)
		}
		orig.latencies = append(orig.latencies, t1.Sub(t0))
		rss := 0
		for _, pid := range nsProcs(p.NS[1], "heartbeat") {
			rss += vmHWM(pid)
		}
		orig.rssKB = append(orig.rssKB, rss)
		b.Kill9()
	}
	kad := keepalivedTakeovers(t, runs())
	ours.report(t)
	orig.report(t)
	kad.report(t)
}

// TestBenchSoak: keepalive 100ms, deadtime 500ms, both cores busy, SOAK seconds: no
// false failover (no node declared dead, the VIP never moves) — for heartbeatd and,
// beside it under the same load, for a keepalived VRRP pair whose master-down interval
// is the same 500 ms (advert_int 0.14: no backup turning master).
func TestBenchSoak(t *testing.T) {
	benchEnabled(t)
	secs, _ := strconv.Atoi(os.Getenv("SOAK"))
	if secs <= 0 {
		t.Skip("soak: set SOAK=600 (seconds)")
	}
	interop.Require(t, false)
	p := interop.NewPair(t)
	cf := func(i int) string {
		return fmt.Sprintf("keepalive 100ms\nwarntime 300ms\ndeadtime 500ms\ninitdead 4\nudpport %d\nucast eth0 %s\nauto_failback on\nnode lvs1\nnode lvs2\ncrm off\n",
			interop.Port, p.Addr[1-i])
	}
	var n [2]*ourNode
	for j, name := range []string{"lvs1", "lvs2"} {
		n[j] = newOurNode(t, p.NS[j], name, cf(j))
	}
	n[0].start()
	n[1].start()
	waitFor(t, startBound, "VIP on lvs1", func() bool { return owner(p) == "a" })
	if _, err := exec.LookPath("keepalived"); err != nil {
		t.Fatal("keepalived not installed: make bench-heartbeat installs Debian's keepalived")
	}
	kp := interop.NewPair(t)
	advert := keepalivedAdvertInt(500 * time.Millisecond)
	ka := [2]*keepalivedNode{startKeepalived(t, kp.NS[0], keepalivedConf(kp, 0, advert)), startKeepalived(t, kp.NS[1], keepalivedConf(kp, 1, advert))}
	if _, ok := waitVIP(kp.NS[0], startBound); !ok {
		t.Fatal("no VIP on keepalived's master")
	}
	time.Sleep(time.Second)
	if vipIn(kp.NS[1]) {
		t.Fatal("both keepalived nodes hold the VIP before the soak")
	}
	// Load both cores with two busy loops.
	for range 2 {
		c := exec.Command("sh", "-c", "while :; do :; done")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Process.Kill(); _ = c.Wait() })
	}
	end := time.Now().Add(time.Duration(secs) * time.Second)
	moved, kmoved := 0, 0
	for time.Now().Before(end) {
		if owner(p) != "a" {
			moved++
		}
		if !vipIn(kp.NS[0]) || vipIn(kp.NS[1]) {
			kmoved++
		}
		time.Sleep(time.Second)
	}
	kmaster := strings.Count(ka[1].logText(), "Entering MASTER STATE")
	t.Logf("soak %ds, keepalived advert_int %.2f (master-down 500ms), same load: VIP off its master in %d samples, backup turned master %d times", secs, advert, kmoved, kmaster)
	if kmoved > 0 || kmaster > 0 {
		t.Errorf("keepalived failed over falsely: VIP off its master in %d of the 1s samples, backup turned master %d times", kmoved, kmaster)
	}
	late := 0
	for j := range 2 {
		log := n[j].logText()
		late += strings.Count(log, "Late heartbeat")
		if strings.Contains(log, "is dead") {
			t.Errorf("%s declared its peer dead during the soak:\n%s", n[j].name, log)
		}
	}
	t.Logf("soak %ds, keepalive 100ms, deadtime 500ms, 2 busy loops: VIP off lvs1 in %d samples, %d late-heartbeat warnings", secs, moved, late)
	if moved > 0 {
		t.Errorf("the VIP left lvs1 in %d of the 1s samples", moved)
	}
}
