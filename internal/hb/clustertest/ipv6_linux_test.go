package clustertest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/hb/interop"
	"github.com/lvskit/lvskit/internal/netnstest"
)

// vip6 as the kernel prints it, and as haresources needs it (no "::", which heartbeat
// takes for an argument separator).
const (
	vip6   = "2001:db8:6::100"
	vip6HR = "2001:db8:6:0:0:0:0:100"
)

func ip6Has(ns *netnstest.NS, addr string) bool {
	out, err := exec.Command("ip", "-n", ns.Name, "-o", "-6", "addr", "show", "dev", "eth0").CombinedOutput()
	return err == nil && strings.Contains(string(out), " "+addr+"/")
}

func linkMAC(t *testing.T, ns *netnstest.NS) string {
	t.Helper()
	out, err := exec.Command("ip", "-n", ns.Name, "-o", "link", "show", "dev", "eth0").CombinedOutput()
	if err != nil {
		t.Fatalf("ip link: %v: %s", err, out)
	}
	f := strings.Fields(string(out))
	for i, w := range f {
		if w == "link/ether" && i+1 < len(f) {
			return f[i+1]
		}
	}
	t.Fatalf("no MAC in %s", out)
	return ""
}

func mustIP(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %v: %v: %s", args, err, out)
	}
}

// lockedBuf is a bytes.Buffer tcpdump writes while the test reads.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuf) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// TestIPv6VIPFailover: haresources "lvs1 IPaddr2::2001:db8:6:0:0:0:0:100/64/eth0"; after kill -9
// of lvs1, lvs2 has the VIP within the failover bound and announces it: lvs1's
// namespace (the peer on the link, VIP removed as a reboot would, a stale neighbour
// entry for the VIP planted) sees an unsolicited NA (override, target the VIP, lvs2's
// MAC), and its neighbour entry for the VIP then points to lvs2's MAC.
func TestIPv6VIPFailover(t *testing.T) {
	interop.Require(t, false)
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Skip("tcpdump not installed")
	}
	p := interop.NewPair(t)
	for i, a := range []string{"2001:db8:6::1/64", "2001:db8:6::2/64"} {
		mustIP(t, "-n", p.NS[i].Name, "addr", "add", a, "dev", p.Iface, "nodad")
	}
	var n [2]*ourNode
	for i, name := range []string{"lvs1", "lvs2"} {
		n[i] = newOurNode(t, p.NS[i], name, haCF(p, i, "on"))
		// The harness's haresources, with the IPv6 VIP instead.
		if err := os.WriteFile(filepath.Join(n[i].conf(), "haresources"), []byte("lvs1 IPaddr2::"+vip6HR+"/64/"+p.Iface+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n[0].start()
	n[1].start()
	waitFor(t, startBound, "IPv6 VIP on lvs1", func() bool { return ip6Has(p.NS[0], vip6) && !ip6Has(p.NS[1], vip6) })
	wantRsc(t, n[0], "local")
	if st, _ := n[0].query("cl_status", "rscstatus"); st != "local" {
		t.Errorf("lvs1 rscstatus %q", st)
	}

	mac2 := linkMAC(t, p.NS[1])
	n[0].kill9()
	t0 := time.Now()
	// lvs1's namespace as after a reboot, watching the link with a stale entry for the VIP.
	mustIP(t, "-n", p.NS[0].Name, "addr", "del", vip6+"/64", "dev", p.Iface)
	mustIP(t, "-n", p.NS[0].Name, "neigh", "replace", vip6, "lladdr", "02:00:00:00:00:01", "dev", p.Iface, "nud", "stale")
	ctx, cancel := context.WithTimeout(context.Background(), failoverBound+10*time.Second)
	defer cancel()
	var capt lockedBuf
	td := p.NS[0].CommandContext(ctx, "tcpdump", "-i", p.Iface, "-nn", "-e", "-l", "-v", "icmp6 and ip6[40] == 136")
	td.Stdout, td.Stderr = &capt, &capt
	if err := td.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = td.Wait() }()

	waitFor(t, failoverBound, "IPv6 VIP on lvs2 after kill -9 of lvs1", func() bool { return ip6Has(p.NS[1], vip6) })
	t.Logf("IPv6 VIP on lvs2 %v after kill -9 (deadtime %v)", time.Since(t0).Round(10*time.Millisecond), Deadtime)
	na := func() bool {
		s := capt.String()
		for _, l := range strings.Split(s, "\n") {
			if strings.Contains(l, " "+mac2+" > 33:33:00:00:00:01") && strings.Contains(l, "neighbor advertisement") &&
				strings.Contains(l, "tgt is "+vip6) && strings.Contains(l, "override") && !strings.Contains(l, "solicited") {
				return true
			}
		}
		return false
	}
	if !within(5*time.Second, na) {
		t.Fatalf("no unsolicited NA for %s from %s seen by lvs1's namespace:\n%s", vip6, mac2, capt.String())
	}
	waitFor(t, 5*time.Second, "lvs1's neighbour entry for the VIP pointing to lvs2", func() bool {
		out, _ := exec.Command("ip", "-n", p.NS[0].Name, "neigh", "show", vip6, "dev", p.Iface).CombinedOutput()
		return strings.Contains(string(out), "lladdr "+mac2)
	})
	// Five NAs, as IPaddr2's send_ua -c 5.
	time.Sleep(time.Second)
	if c := strings.Count(capt.String(), "tgt is "+vip6); c != 5 {
		t.Errorf("%d NAs for the VIP, want 5:\n%s", c, capt.String())
	}
	out, _ := n[1].query("cl_status", "rscstatus")
	if out != "all" {
		t.Errorf("lvs2 rscstatus %q, want all", out)
	}
}
