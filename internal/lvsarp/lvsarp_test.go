package lvsarp

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lvskit/lvskit/internal/hostnet"
)

type fakeHost struct {
	*hostnet.Fake
	up       []string
	detached [][]string
}

func (f *fakeHost) Detach(args []string) error { f.detached = append(f.detached, args); return nil }

func (f *fakeHost) LinkUp(name string) error { f.up = append(f.up, name); return nil }

// newFake is a node as the kernel starts it: every ARP setting 0.
func newFake() *fakeHost {
	f := &fakeHost{Fake: hostnet.NewFake(nil)}
	for _, ifc := range []string{"all", "eth0", "lo", "tunl0"} {
		for _, k := range []string{"arp_ignore", "arp_announce"} {
			f.SetSysctl("net.ipv4.conf."+ifc+"."+k, "0")
		}
	}
	f.Calls = nil
	return f
}

func runArgs(t *testing.T, h Host, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	rc := Main(args, &out, &errb, h)
	return rc, out.String(), errb.String()
}

// The manual's real-server rc.local and /etc/init.d/lvs start, in both directions,
// with the order that never leaves the VIP on lo unhidden.
func TestRealServerAndBack(t *testing.T) {
	f := newFake()
	if rc, _, e := runArgs(t, f, "realserver", "-i", "eth0", "--vip", "10.144.43.185"); rc != 0 {
		t.Fatalf("realserver: rc %d: %s", rc, e)
	}
	want := []string{
		"sysctl net.ipv4.conf.all.arp_ignore=1", "sysctl net.ipv4.conf.all.arp_announce=2",
		"sysctl net.ipv4.conf.eth0.arp_ignore=1", "sysctl net.ipv4.conf.eth0.arp_announce=2",
		"sysctl net.ipv4.conf.lo.arp_ignore=1", "sysctl net.ipv4.conf.lo.arp_announce=2",
		"add 10.144.43.185/32 dev lo label lo:0",
	}
	if d := cmp.Diff(want, f.Calls); d != "" {
		t.Errorf("realserver calls (-want +got):\n%s", d)
	}
	rc, out, _ := runArgs(t, f, "status", "--vip", "10.144.43.185")
	if rc != 0 || !strings.HasSuffix(out, "role: realserver\n") {
		t.Errorf("status after realserver: rc %d\n%s", rc, out)
	}
	// Idempotent: again is no error and changes nothing.
	if rc, _, e := runArgs(t, f, "realserver", "--vip", "10.144.43.185"); rc != 0 {
		t.Fatalf("realserver again: rc %d: %s", rc, e)
	}
	if d := cmp.Diff([]string{"10.144.43.185/32 dev lo label lo:0"}, f.List()); d != "" {
		t.Errorf("addresses (-want +got):\n%s", d)
	}

	f.Calls = nil
	if rc, _, e := runArgs(t, f, "director", "--vip", "10.144.43.185"); rc != 0 {
		t.Fatalf("director: rc %d: %s", rc, e)
	}
	if f.Calls[0] != "del 10.144.43.185/32 dev lo label lo:0" {
		t.Errorf("director must take the VIP off lo before showing ARP again; calls %v", f.Calls)
	}
	if len(f.List()) != 0 {
		t.Errorf("addresses left: %v", f.List())
	}
	rc, out, _ = runArgs(t, f, "status", "--vip", "10.144.43.185")
	if rc != 0 || !strings.HasSuffix(out, "role: director\n") {
		t.Errorf("status after director: rc %d\n%s", rc, out)
	}
	if rc, _, e := runArgs(t, f, "director", "--vip", "10.144.43.185"); rc != 0 {
		t.Errorf("director again: rc %d: %s", rc, e)
	}
}

func TestTunnelRealServer(t *testing.T) {
	f := newFake()
	if rc, _, e := runArgs(t, f, "realserver", "--vip", "10.0.0.100", "--vip-dev", "tunl0"); rc != 0 {
		t.Fatalf("rc %d: %s", rc, e)
	}
	if d := cmp.Diff([]string{"tunl0"}, f.up); d != "" {
		t.Errorf("links up (-want +got):\n%s", d)
	}
	for _, n := range []string{"net.ipv4.conf.tunl0.rp_filter", "net.ipv4.conf.all.rp_filter", "net.ipv4.conf.tunl0.arp_ignore"} {
		if v, _ := f.Sysctl(n); v == "" || (strings.HasSuffix(n, "rp_filter") && v != "0") {
			t.Errorf("%s = %q", n, v)
		}
	}
	if d := cmp.Diff([]string{"10.0.0.100/32 dev tunl0 label tunl0:0"}, f.List()); d != "" {
		t.Errorf("addresses (-want +got):\n%s", d)
	}
}

// Hidden on all but the VIP missing is neither role: status says so and exits 1.
func TestStatusMixed(t *testing.T) {
	f := newFake()
	f.SetSysctl("net.ipv4.conf.all.arp_ignore", "1")
	f.SetSysctl("net.ipv4.conf.all.arp_announce", "2")
	rc, out, _ := runArgs(t, f, "status", "--vip", "10.0.0.100")
	if rc != 1 || !strings.Contains(out, "eth0 arp_ignore=1 (all 1, eth0 0)") || !strings.HasSuffix(out, "role: mixed\n") {
		t.Errorf("rc %d\n%s", rc, out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"maybe"}, {"realserver", "--vip", "nope"}, {"realserver", "--vip", "::1"},
		{"realserver", "--vip-dev", "eth1"}, {"realserver", "--bogus"}, {"director", "extra"},
	} {
		f := newFake()
		if rc, _, e := runArgs(t, f, args...); rc != 2 || e == "" {
			t.Errorf("%q: rc %d stderr %q, want 2 and a message", args, rc, e)
		}
		if len(f.Calls) != 0 {
			t.Errorf("%q changed the host: %v", args, f.Calls)
		}
	}
	if rc, out, _ := runArgs(t, newFake(), "--help"); rc != 0 || !strings.HasPrefix(out, "usage:") {
		t.Errorf("--help: rc %d %q", rc, out)
	}
}

// announce: the VIP must be on the interface (announcing an address the node does not
// hold would steal it); then one send per interface and VIP with the given pacing.
func TestAnnounce(t *testing.T) {
	f := newFake()
	if rc, _, e := runArgs(t, f, "announce", "-i", "eth0", "--vip", "10.144.43.185"); rc != 1 || !strings.Contains(e, "not on eth0") {
		t.Fatalf("announce without the VIP on eth0: rc %d: %q", rc, e)
	}
	f.Calls = nil
	if err := f.AddAddress(hostnet.Address{Prefix: netip.MustParsePrefix("10.144.43.185/32"), Interface: "eth0"}); err != nil {
		t.Fatal(err)
	}
	f.Calls = nil
	if rc, _, e := runArgs(t, f, "announce", "-i", "eth0", "--vip", "10.144.43.185", "--count", "2", "--interval", "100ms"); rc != 0 {
		t.Fatalf("announce: rc %d: %s", rc, e)
	}
	// The first pair now, the rest from a detached copy.
	if d := cmp.Diff([]string{"arp eth0 10.144.43.185 count=1 interval=100ms"}, f.Calls); d != "" {
		t.Errorf("announce calls (-want +got):\n%s", d)
	}
	rest := []string{"announce", "--repeat", "--count", "1", "--interval", "100ms", "-i", "eth0", "--vip", "10.144.43.185"}
	if len(f.detached) != 1 || !cmp.Equal(rest, f.detached[0]) {
		t.Fatalf("detached %q, want %q", f.detached, rest)
	}
	f.Calls = nil
	if rc, _, e := runArgs(t, f, f.detached[0]...); rc != 0 {
		t.Fatalf("the detached copy: rc %d: %s", rc, e)
	}
	if d := cmp.Diff([]string{"arp eth0 10.144.43.185 count=1 interval=100ms"}, f.Calls); d != "" || len(f.detached) != 1 {
		t.Errorf("the detached copy's calls (-want +got):\n%s (detached again: %d)", d, len(f.detached)-1)
	}
	for _, args := range [][]string{{"announce", "-i", "eth0"}, {"announce", "--vip", "10.144.43.185", "--count", "0"}} {
		if rc, _, _ := runArgs(t, f, args...); rc != 2 {
			t.Errorf("%v: rc %d, want 2", args, rc)
		}
	}
}

func TestVersion(t *testing.T) {
	if rc, out, _ := runArgs(t, newFake(), "--version"); rc != 0 || !strings.HasPrefix(out, "lvskit lvs-arp ") {
		t.Errorf("--version: rc %d, %q", rc, out)
	}
}
