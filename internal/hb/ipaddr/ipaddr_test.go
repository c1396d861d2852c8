package ipaddr

import (
	"context"
	"net/netip"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/internal/hostnet"
)

func fakeHost() *hostnet.Fake {
	f := hostnet.NewFake(map[netip.Prefix]string{netip.MustParsePrefix("10.144.43.0/24"): "eth0"})
	_ = f.AddAddress(hostnet.Address{Prefix: netip.MustParsePrefix("10.144.43.187/24"), Interface: "eth0"})
	f.Calls = nil
	return f
}

// The manual's haresources: "Linux187 10.144.43.185 lvs mon" (IPaddr, all defaults).
func TestManualVIP(t *testing.T) {
	f := fakeHost()
	a := &Agent{Kind: IPaddr, Net: f}
	if st, _ := a.Status("10.144.43.185"); st != "stopped" {
		t.Fatalf("status before %q", st)
	}
	if err := a.Start(context.Background(), "10.144.43.185"); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	want := []string{
		"route 10.144.43.185",
		"add 10.144.43.185/24 dev eth0 label eth0:0 brd 10.144.43.255",
		"arp eth0 10.144.43.185 count=10 interval=500ms",
	}
	if d := cmp.Diff(want, f.Calls); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
	if st, _ := a.Status("10.144.43.185"); st != "running" {
		t.Errorf("status after start %q", st)
	}
	// Start again: already there, nothing done.
	f.Calls = nil
	if err := a.Start(context.Background(), "10.144.43.185"); err != nil || len(f.Calls) != 1 {
		t.Errorf("second start: %v, calls %v", err, f.Calls)
	}
	for i := 0; i < 2; i++ {
		if err := a.Stop("10.144.43.185"); err != nil {
			t.Fatal(err)
		}
	}
	if st, _ := a.Status("10.144.43.185"); st != "stopped" {
		t.Errorf("status after stop %q", st)
	}
	if d := cmp.Diff([]string{"10.144.43.187/24 dev eth0"}, f.List()); d != "" {
		t.Errorf("left (-want +got):\n%s", d)
	}
}

func TestResolve(t *testing.T) {
	f := fakeHost()
	_ = f.AddAddress(hostnet.Address{Prefix: netip.MustParsePrefix("10.144.43.190/24"), Interface: "eth0", Label: "eth0:0"})
	for _, tc := range []struct {
		kind Kind
		arg  string
		want string
	}{
		{IPaddr, "10.144.43.185", "10.144.43.185/24 dev eth0 label eth0:1 brd 10.144.43.255"},
		{IPaddr, "10.144.43.185/32/eth0/10.144.43.185", "10.144.43.185/32 dev eth0 label eth0:1 brd 10.144.43.185"},
		{IPaddr, "10.144.43.185/24/eth0:5", "10.144.43.185/24 dev eth0 label eth0:5 brd 10.144.43.255"},
		{IPaddr2, "10.144.43.185", "10.144.43.185/24 dev eth0 brd 10.144.43.255"},
		{IPaddr2, "10.144.43.185/25/eth1/10.1.1.1", "10.144.43.185/25 dev eth1 brd 10.1.1.1"},
	} {
		a := &Agent{Kind: tc.kind, Net: f}
		got, err := a.Resolve(tc.arg)
		if err != nil || got.String() != tc.want {
			t.Errorf("%s %s = %v, %v; want %s", tc.kind, tc.arg, got, err, tc.want)
		}
	}
	if _, err := (&Agent{Kind: IPaddr, Net: f}).Resolve("192.168.9.9"); err == nil {
		t.Error("address without a covering route resolved")
	}
}

func TestIPaddr2AndHidden(t *testing.T) {
	f := fakeHost()
	a := &Agent{Kind: IPaddr2, Net: f, Hidden: true}
	if err := a.Start(context.Background(), "10.144.43.185/24/eth0"); err != nil {
		t.Fatal(err)
	}
	a.Wait()
	want := []string{
		"add 10.144.43.185/24 dev eth0 brd 10.144.43.255",
		"sysctl net.ipv4.conf.all.arp_ignore=1",
		"sysctl net.ipv4.conf.all.arp_announce=2",
		"sysctl net.ipv4.conf.lo.arp_ignore=1",
		"sysctl net.ipv4.conf.lo.arp_announce=2",
		"arp eth0 10.144.43.185 count=5 interval=200ms",
	}
	if d := cmp.Diff(want, f.Calls); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
}

func TestHiddenPatched(t *testing.T) {
	b, err := os.ReadFile("testdata/IPaddr-add_interface") // the manual's Part II §4.7
	if err != nil {
		t.Fatal(err)
	}
	if !HiddenPatched(b) {
		t.Error("the manual's patched add_interface not recognised")
	}
	if HiddenPatched([]byte("CMD=\"$IFCONFIG $iface $ipaddr $IFEXTRA\"\n$CMD\n")) {
		t.Error("an unpatched script recognised")
	}
}

func TestIsBuiltin(t *testing.T) {
	for script, want := range map[string]bool{"IPaddr": true, "IPaddr2": true, "ipaddr": false, "IPsrcaddr": false, "": false} {
		if got := IsBuiltin(script); got != want {
			t.Errorf("IsBuiltin(%q) = %v, want %v", script, got, want)
		}
	}
}
