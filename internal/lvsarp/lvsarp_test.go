package lvsarp

import (
	"bytes"
	"fmt"
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
	// noLink fails LinkUp for these links, as netlink does for a link that is not there.
	noLink map[string]bool
}

func (f *fakeHost) Detach(args []string) error { f.detached = append(f.detached, args); return nil }

func (f *fakeHost) LinkUp(name string) error {
	if f.noLink[name] {
		return fmt.Errorf("link %s: Link not found", name)
	}
	f.up = append(f.up, name)
	return nil
}

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

// An IPv6 VIP on a DR real server: a /128 on lo added nodad, and no ARP sysctl (IPv6
// needs none: see the package doc); director takes it off again, and status sees both
// roles from the VIP alone.
func TestRealServerAndBack6(t *testing.T) {
	f := newFake()
	if rc, _, e := runArgs(t, f, "realserver", "-i", "eth0", "--vip", "2001:db8::100"); rc != 0 {
		t.Fatalf("realserver: rc %d: %s", rc, e)
	}
	if d := cmp.Diff([]string{"add 2001:db8::100/128 dev lo nodad"}, f.Calls); d != "" {
		t.Errorf("realserver calls (-want +got):\n%s", d)
	}
	rc, out, _ := runArgs(t, f, "status", "--vip", "2001:db8::100")
	if rc != 0 || out != "vip 2001:db8::100 on lo\nrole: realserver\n" {
		t.Errorf("status after realserver: rc %d\n%s", rc, out)
	}
	if rc, _, e := runArgs(t, f, "realserver", "--vip", "2001:db8::100"); rc != 0 {
		t.Fatalf("realserver again: rc %d: %s", rc, e)
	}
	if d := cmp.Diff([]string{"2001:db8::100/128 dev lo nodad"}, f.List()); d != "" {
		t.Errorf("addresses (-want +got):\n%s", d)
	}
	f.Calls = nil
	if rc, _, e := runArgs(t, f, "director", "--vip", "2001:db8::100"); rc != 0 {
		t.Fatalf("director: rc %d: %s", rc, e)
	}
	if d := cmp.Diff([]string{"del 2001:db8::100/128 dev lo nodad"}, f.Calls); d != "" {
		t.Errorf("director calls (-want +got):\n%s", d)
	}
	if len(f.List()) != 0 {
		t.Errorf("addresses left: %v", f.List())
	}
	rc, out, _ = runArgs(t, f, "status", "--vip", "2001:db8::100")
	if rc != 0 || out != "vip 2001:db8::100 not on lo\nrole: director\n" {
		t.Errorf("status after director: rc %d\n%s", rc, out)
	}
}

// IPv4 and IPv6 VIPs together: hidden first, then both VIPs; back in the reverse
// order; status needs both the ARP settings and both VIPs for a role.
func TestRealServerMixedFamilies(t *testing.T) {
	f := newFake()
	vips := []string{"--vip", "10.0.0.100", "--vip", "2001:db8::100"}
	if rc, _, e := runArgs(t, f, append([]string{"realserver", "-i", "eth0"}, vips...)...); rc != 0 {
		t.Fatalf("realserver: rc %d: %s", rc, e)
	}
	want := []string{
		"sysctl net.ipv4.conf.all.arp_ignore=1", "sysctl net.ipv4.conf.all.arp_announce=2",
		"sysctl net.ipv4.conf.eth0.arp_ignore=1", "sysctl net.ipv4.conf.eth0.arp_announce=2",
		"sysctl net.ipv4.conf.lo.arp_ignore=1", "sysctl net.ipv4.conf.lo.arp_announce=2",
		"add 10.0.0.100/32 dev lo label lo:0", "add 2001:db8::100/128 dev lo nodad",
	}
	if d := cmp.Diff(want, f.Calls); d != "" {
		t.Errorf("realserver calls (-want +got):\n%s", d)
	}
	rc, out, _ := runArgs(t, f, append([]string{"status"}, vips...)...)
	if rc != 0 || !strings.Contains(out, "eth0 arp_ignore=1") || !strings.Contains(out, "vip 10.0.0.100 on lo\nvip 2001:db8::100 on lo\n") || !strings.HasSuffix(out, "role: realserver\n") {
		t.Errorf("status after realserver: rc %d\n%s", rc, out)
	}
	// The IPv6 VIP gone but the IPv4 one held and hidden: neither role.
	if err := f.DelAddress(hostnet.Address{Prefix: netip.MustParsePrefix("2001:db8::100/128"), Interface: "lo"}); err != nil {
		t.Fatal(err)
	}
	if rc, out, _ := runArgs(t, f, append([]string{"status"}, vips...)...); rc != 1 || !strings.Contains(out, "vip 2001:db8::100 not on lo") || !strings.HasSuffix(out, "role: mixed\n") {
		t.Errorf("status with the IPv6 VIP missing: rc %d\n%s", rc, out)
	}
	if rc, _, e := runArgs(t, f, append([]string{"realserver", "-i", "eth0"}, vips...)...); rc != 0 {
		t.Fatalf("realserver again: rc %d: %s", rc, e)
	}
	f.Calls = nil
	if rc, _, e := runArgs(t, f, append([]string{"director", "-i", "eth0"}, vips...)...); rc != 0 {
		t.Fatalf("director: rc %d: %s", rc, e)
	}
	if len(f.Calls) != 8 || f.Calls[0] != "del 10.0.0.100/32 dev lo label lo:0" || f.Calls[1] != "del 2001:db8::100/128 dev lo nodad" || f.Calls[2] != "sysctl net.ipv4.conf.all.arp_ignore=0" {
		t.Errorf("director must take both VIPs off lo, then show ARP again; calls %v", f.Calls)
	}
	if rc, out, _ := runArgs(t, f, append([]string{"status"}, vips...)...); rc != 0 || !strings.HasSuffix(out, "role: director\n") {
		t.Errorf("status after director: rc %d\n%s", rc, out)
	}
	// IPv6 VIPs alone leave the ARP settings as they are, either way: here the IPv4
	// real-server role of another VIP.
	g := newFake()
	runArgs(t, g, "realserver", "--vip", "10.0.0.100")
	g.Calls = nil
	for _, action := range []string{"director", "realserver"} {
		if rc, _, e := runArgs(t, g, action, "--vip", "2001:db8::100"); rc != 0 {
			t.Fatalf("%s: rc %d: %s", action, rc, e)
		}
	}
	if d := cmp.Diff([]string{"del 2001:db8::100/128 dev lo nodad", "add 2001:db8::100/128 dev lo nodad"}, g.Calls); d != "" {
		t.Errorf("IPv6-only calls (-want +got):\n%s", d)
	}
	if v, _ := g.Sysctl("net.ipv4.conf.eth0.arp_ignore"); v != "1" {
		t.Errorf("eth0.arp_ignore = %q after an IPv6-only director, want the 1 it was", v)
	}
}

// LVS/TUN with IPv6: the VIP goes on ip6tnl0 (ip6_tunnel's fallback device), which is
// brought up; rp_filter (IPv4's) is left alone; a missing ip6tnl0 says which module.
func TestTunnelRealServer6(t *testing.T) {
	f := newFake()
	if rc, _, e := runArgs(t, f, "realserver", "--vip", "2001:db8::100", "--vip-dev", "tunl0"); rc != 0 {
		t.Fatalf("rc %d: %s", rc, e)
	}
	if d := cmp.Diff([]string{"ip6tnl0"}, f.up); d != "" {
		t.Errorf("links up (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"add 2001:db8::100/128 dev ip6tnl0 nodad"}, f.Calls); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
	if rc, out, _ := runArgs(t, f, "status", "--vip", "2001:db8::100", "--vip-dev", "tunl0"); rc != 0 || !strings.Contains(out, "vip 2001:db8::100 on ip6tnl0") || !strings.HasSuffix(out, "role: realserver\n") {
		t.Errorf("status: rc %d\n%s", rc, out)
	}
	if rc, _, e := runArgs(t, f, "director", "--vip", "2001:db8::100", "--vip-dev", "tunl0"); rc != 0 || len(f.List()) != 0 {
		t.Errorf("director: rc %d: %s; addresses left %v", rc, e, f.List())
	}

	g := newFake()
	if rc, _, e := runArgs(t, g, "realserver", "--vip", "10.0.0.100", "--vip", "2001:db8::100", "--vip-dev", "tunl0"); rc != 0 {
		t.Fatalf("mixed: rc %d: %s", rc, e)
	}
	if d := cmp.Diff([]string{"tunl0", "ip6tnl0"}, g.up); d != "" {
		t.Errorf("mixed: links up (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"10.0.0.100/32 dev tunl0 label tunl0:0", "2001:db8::100/128 dev ip6tnl0 nodad"}, g.List()); d != "" {
		t.Errorf("mixed: addresses (-want +got):\n%s", d)
	}

	n := newFake()
	n.noLink = map[string]bool{"ip6tnl0": true}
	rc, _, e := runArgs(t, n, "realserver", "--vip", "2001:db8::100", "--vip-dev", "tunl0")
	if rc != 1 || !strings.Contains(e, "ip6_tunnel module") {
		t.Errorf("without ip6tnl0: rc %d %q, want 1 and the module to load", rc, e)
	}
	if len(n.List()) != 0 {
		t.Errorf("without ip6tnl0: addresses %v", n.List())
	}
}

// announce for IPv6 VIPs: unsolicited neighbour advertisements instead of gratuitous
// ARP, the first now and the rest from the detached copy; the VIP must be on the
// interface and past DAD.
func TestAnnounce6(t *testing.T) {
	f := newFake()
	if rc, _, e := runArgs(t, f, "announce", "-i", "eth0", "--vip", "2001:db8::100"); rc != 1 || !strings.Contains(e, "2001:db8::100 is not on eth0") {
		t.Fatalf("announce without the VIP on eth0: rc %d: %q", rc, e)
	}
	for _, p := range []string{"2001:db8::100/64", "10.0.0.100/32"} {
		if err := f.AddAddress(hostnet.Address{Prefix: netip.MustParsePrefix(p), Interface: "eth0"}); err != nil {
			t.Fatal(err)
		}
	}
	f.Calls = nil
	if rc, _, e := runArgs(t, f, "announce", "-i", "eth0", "--vip", "2001:db8::100", "--count", "4", "--interval", "1s"); rc != 0 {
		t.Fatalf("announce: rc %d: %s", rc, e)
	}
	if d := cmp.Diff([]string{"na eth0 2001:db8::100 count=1 interval=1s"}, f.Calls); d != "" {
		t.Errorf("announce calls (-want +got):\n%s", d)
	}
	rest := []string{"announce", "--repeat", "--count", "3", "--interval", "1s", "-i", "eth0", "--vip", "2001:db8::100"}
	if len(f.detached) != 1 || !cmp.Equal(rest, f.detached[0]) {
		t.Fatalf("detached %q, want %q", f.detached, rest)
	}
	// The detached copy sleeps one interval first: run the one with a short interval.
	f.Calls = nil
	if rc, _, e := runArgs(t, f, "announce", "--repeat", "--count", "3", "--interval", "10ms", "-i", "eth0", "--vip", "2001:db8::100"); rc != 0 {
		t.Fatalf("the detached copy: rc %d: %s", rc, e)
	}
	if d := cmp.Diff([]string{"na eth0 2001:db8::100 count=3 interval=10ms"}, f.Calls); d != "" || len(f.detached) != 1 {
		t.Errorf("the detached copy's calls (-want +got):\n%s (detached again: %d)", d, len(f.detached)-1)
	}

	// Both families: ARP for the IPv4 VIP, NA for the IPv6 one.
	f.Calls = nil
	if rc, _, e := runArgs(t, f, "announce", "-i", "eth0", "--vip", "10.0.0.100", "--vip", "2001:db8::100", "--count", "1"); rc != 0 {
		t.Fatalf("announce both: rc %d: %s", rc, e)
	}
	want := []string{"arp eth0 10.0.0.100 count=1 interval=200ms", "na eth0 2001:db8::100 count=1 interval=200ms"}
	if d := cmp.Diff(want, f.Calls); d != "" || len(f.detached) != 1 {
		t.Errorf("announce both (-want +got):\n%s (detached with --count 1: %d)", d, len(f.detached)-1)
	}

	// Not past DAD: nothing sent, and the reason.
	for st, msg := range map[hostnet.DAD]string{hostnet.DADTentative: "still tentative on eth0", hostnet.DADFailed: "another node holds it"} {
		f.SetDAD(netip.MustParseAddr("2001:db8::100"), st)
		f.Calls = nil
		rc, _, e := runArgs(t, f, "announce", "-i", "eth0", "--vip", "10.0.0.100", "--vip", "2001:db8::100")
		if rc != 1 || !strings.Contains(e, msg) {
			t.Errorf("DAD %v: rc %d %q, want 1 and %q", st, rc, e, msg)
		}
		if len(f.Calls) != 0 {
			t.Errorf("DAD %v: sent %v", st, f.Calls)
		}
	}
	// A failed send is announce's failure.
	f.SetDAD(netip.MustParseAddr("2001:db8::100"), hostnet.DADDone)
	f.Fail["na"] = fmt.Errorf("no route")
	if rc, _, e := runArgs(t, f, "announce", "-i", "eth0", "--vip", "2001:db8::100"); rc != 1 || !strings.Contains(e, "no route") {
		t.Errorf("failed NA: rc %d %q", rc, e)
	}
}

// --vip: an address a node can hold as a VIP, with a message that says what is wrong.
func TestVIPErrors(t *testing.T) {
	for v, msg := range map[string]string{
		"nope":             "want an IPv4 or IPv6 address",
		"2001:db8::1/128":  "want an IPv4 or IPv6 address",
		"fe80::1":          "not link-local",
		"fe80::1%eth0":     "without a zone",
		"ff02::1":          "not link-local, loopback",
		"::":               "not link-local, loopback",
		"::1":              "not link-local, loopback",
		"::ffff:10.0.0.1":  "give the IPv4 address 10.0.0.1",
		"2001:db8::100%lo": "without a zone",
	} {
		for _, action := range []string{"realserver", "director", "status", "announce"} {
			f := newFake()
			rc, _, e := runArgs(t, f, action, "--vip", "2001:db8::5", "--vip", v)
			if rc != 2 || !strings.Contains(e, msg) || !strings.Contains(e, fmt.Sprintf("--vip %q", v)) {
				t.Errorf("%s --vip %s: rc %d stderr %q, want 2 and %q", action, v, rc, e, msg)
			}
			if len(f.Calls) != 0 {
				t.Errorf("%s --vip %s changed the host: %v", action, v, f.Calls)
			}
		}
	}
}
