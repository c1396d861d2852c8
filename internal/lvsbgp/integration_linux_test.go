//go:build linux

package lvsbgp

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/lvsbgp/lvsbgptest"
	"github.com/lvskit/lvskit/internal/netnstest"
)

// TestMain: with lvsbgptest.TableEnv set, the test binary is an lvs-bgp whose IPVS
// table is a lvsbgptest.FileTable. The host has no IPVS, and a process of its own per
// director is what a kill -9 needs.
func TestMain(m *testing.M) {
	if path := os.Getenv(lvsbgptest.TableEnv); path != "" {
		env := RealEnv()
		env.OpenIPVS = func() (TableReader, error) { return lvsbgptest.FileTable(path), nil }
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr, env))
	}
	os.Exit(m.Run())
}

// TestIntegrationBIRD: three directors' lvs-bgp announce 10.0.0.100 to one BIRD 2
// router, which installs an ECMP route; health, kill -9 and SIGTERM take each path
// out within their bounds.
func TestIntegrationBIRD(t *testing.T) {
	dir := t.TempDir()
	router := lvsbgptest.NewRouter(t, dir)
	addrs := []string{"10.0.0.11", "10.0.0.12", "10.0.0.13"}
	var nss []*netnstest.NS
	for i, a := range addrs {
		nss = append(nss, router.AddDirector(t, fmt.Sprintf("d%d", i+1), a))
	}
	router.Start(t)

	const drain = 2 * time.Second
	var ds []*lvsbgptest.Speaker
	for i, a := range addrs {
		ds = append(ds, lvsbgptest.StartSpeaker(t, nss[i], dir, fmt.Sprintf("d%d", i+1), a, fmt.Sprintf("drain-time %v", drain)))
	}

	// (a) every healthy director's path: three next hops.
	router.WaitHops(t, "start", 30*time.Second, "10.0.0.11", "10.0.0.12", "10.0.0.13")
	if out, err := router.Birdc("show", "route", "for", "10.0.0.100", "all"); err != nil || strings.Count(out, "BGP.as_path: 65011") != 3 {
		t.Errorf("birdc show route: %v\n%s", err, out)
	}

	// (b) d3's table loses its last real server: withdrawn within check-interval + 1 s.
	ds[2].Table.SetUp(false)
	if el := router.WaitHops(t, "d3 unhealthy", 10*time.Second, "10.0.0.11", "10.0.0.12"); el > 2*time.Second {
		t.Errorf("d3 withdrawn after %v, want within check-interval + 1 s = 2s", el)
	}

	// ... and announced again once it has one.
	ds[2].Table.SetUp(true)
	router.WaitHops(t, "d3 healthy again", 10*time.Second, "10.0.0.11", "10.0.0.12", "10.0.0.13")

	// (c) a director that dies without its kernel closing the session (power, panic,
	// a hung host; here SIGSTOP): the router drops its path hold-time after the last
	// keepalive, 3 s, + 1 s slack.
	ds[2].Cmd.Process.Signal(syscall.SIGSTOP)
	if el := router.WaitHops(t, "d3 frozen", 15*time.Second, "10.0.0.11", "10.0.0.12"); el > 4*time.Second {
		t.Errorf("d3's path dropped %v after it froze, want within hold time 3 s + 1 s", el)
	}
	ds[2].Cmd.Process.Signal(syscall.SIGKILL)

	// kill -9 of d2: its kernel closes the TCP session at once, so the router drops
	// the path at once; the hold time bounds it anyway.
	ds[1].Cmd.Process.Signal(syscall.SIGKILL)
	if el := router.WaitHops(t, "d2 killed (kill -9)", 15*time.Second, "10.0.0.11"); el > 4*time.Second {
		t.Errorf("d2's path dropped %v after kill -9, want within hold time 3 s + 1 s", el)
	}

	// (d) SIGTERM of d1: withdrawn before it exits, and it waits drain-time.
	start := time.Now()
	ds[0].Cmd.Process.Signal(syscall.SIGTERM)
	var withdrawn, exited time.Duration
	for withdrawn == 0 || exited == 0 {
		if withdrawn == 0 && len(router.Hops()) == 0 {
			withdrawn = time.Since(start)
		}
		select {
		case <-ds[0].Exited():
			exited = time.Since(start)
			if withdrawn == 0 {
				t.Fatalf("d1 exited after %v with its path still at the router", exited)
			}
		default:
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("SIGTERM: withdrawn after %v, exited after %v (0: not yet) within 20s", withdrawn, exited)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("SIGTERM: path gone at the router after %v, process exited after %v (drain-time %v)", withdrawn.Round(10*time.Millisecond), exited.Round(10*time.Millisecond), drain)
	if exited-withdrawn < drain-500*time.Millisecond {
		t.Errorf("exited %v after the withdrawal, want about drain-time %v", exited-withdrawn, drain)
	}
	if h := router.Hops(); len(h) != 0 {
		t.Errorf("after d1 exited the router still has %v", h)
	}
}

// TestIntegrationBIRDIPv6: an IPv6 VIP (/128) announced beside the IPv4 one over the
// same sessions (multiprotocol BGP), each director naming its IPv6 address as the next
// hop: BIRD installs an IPv6 ECMP route through both, health withdraws both families'
// routes of a director, and kill -9 drops its IPv6 path as its IPv4 one.
func TestIntegrationBIRDIPv6(t *testing.T) {
	dir := t.TempDir()
	router := lvsbgptest.NewRouter(t, dir)
	router.EnableIPv6(t)
	type director struct{ name, addr, addr6 string }
	dirs := []director{{"d1", "10.0.0.11", "2001:db8::11"}, {"d2", "10.0.0.12", "2001:db8::12"}}
	var ds []*lvsbgptest.Speaker
	var nss []*netnstest.NS
	for _, d := range dirs {
		ns := router.AddDirector(t, d.name, d.addr)
		if out, err := ns.Run("ip", "-6", "addr", "add", d.addr6+"/64", "dev", "eth0", "nodad"); err != nil {
			t.Fatalf("%s: %v: %s", d.name, err, out)
		}
		nss = append(nss, ns)
	}
	router.Start(t)
	for i, d := range dirs {
		ds = append(ds, lvsbgptest.StartSpeaker(t, nss[i], dir, d.name, d.addr,
			"vip "+lvsbgptest.VIP6.String()+" port 80 tcp", "next-hop "+d.addr6))
	}
	router.WaitHops6(t, "start (IPv6)", 30*time.Second, "2001:db8::11", "2001:db8::12")
	router.WaitHops(t, "start (IPv4)", 10*time.Second, "10.0.0.11", "10.0.0.12")
	if out, err := router.Birdc("show", "route", "for", lvsbgptest.VIP6.String(), "all"); err != nil ||
		strings.Count(out, "BGP.as_path: 65011") != 2 || !strings.Contains(out, lvsbgptest.VIP6.String()+"/128") {
		t.Errorf("birdc show route for %s: %v\n%s", lvsbgptest.VIP6, err, out)
	}

	// d2's table loses its real servers: both its routes go.
	ds[1].Table.SetUp(false)
	router.WaitHops6(t, "d2 unhealthy (IPv6)", 10*time.Second, "2001:db8::11")
	router.WaitHops(t, "d2 unhealthy (IPv4)", 10*time.Second, "10.0.0.11")
	ds[1].Table.SetUp(true)
	router.WaitHops6(t, "d2 healthy again (IPv6)", 10*time.Second, "2001:db8::11", "2001:db8::12")

	// kill -9 of d1: its IPv6 path goes within the hold time.
	ds[0].Cmd.Process.Signal(syscall.SIGKILL)
	if el := router.WaitHops6(t, "d1 killed (IPv6)", 15*time.Second, "2001:db8::12"); el > 4*time.Second {
		t.Errorf("d1's IPv6 path dropped %v after kill -9, want within hold time 3 s + 1 s", el)
	}
}
