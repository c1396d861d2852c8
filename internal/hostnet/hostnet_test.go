package hostnet

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSysctlPath(t *testing.T) {
	for name, want := range map[string]string{
		"net.ipv4.conf.all.arp_ignore":    "/proc/sys/net/ipv4/conf/all/arp_ignore",
		"net.ipv4.conf.eth0.1.arp_ignore": "/proc/sys/net/ipv4/conf/eth0.1/arp_ignore",
		"net.ipv4.ip_forward":             "/proc/sys/net/ipv4/ip_forward",
		"net.ipv4.conf.lo.arp_announce":   "/proc/sys/net/ipv4/conf/lo/arp_announce",
	} {
		if got, err := sysctlPath(name); got != want || err != nil {
			t.Errorf("sysctlPath(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	for _, bad := range []string{"", "net/ipv4", "net.ipv4.conf.....x", "../etc"} {
		if _, err := sysctlPath(bad); err == nil {
			t.Errorf("sysctlPath(%q) accepted", bad)
		}
	}
}

func TestFake(t *testing.T) {
	f := NewFake(map[netip.Prefix]string{netip.MustParsePrefix("10.0.0.0/8"): "eth1", netip.MustParsePrefix("10.144.43.0/24"): "eth0"})
	if ifc, bits, err := f.RouteInterface(netip.MustParseAddr("10.144.43.185")); ifc != "eth0" || bits != 24 || err != nil {
		t.Errorf("route: %s %d %v", ifc, bits, err)
	}
	vip := Address{Prefix: netip.MustParsePrefix("10.144.43.185/24"), Interface: "eth0", Label: "eth0:0"}
	if err := f.AddAddress(vip); err != nil {
		t.Fatal(err)
	}
	if err := f.SendGratuitousARP(context.Background(), "eth0", vip.Prefix.Addr(), ARPIPaddr); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"10.144.43.185/24 dev eth0 label eth0:0"}, f.List()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	f.Fail["del"] = errors.New("EPERM")
	if err := f.DelAddress(vip); err == nil {
		t.Error("injected failure not returned")
	}
	want := []string{
		"route 10.144.43.185",
		"add 10.144.43.185/24 dev eth0 label eth0:0",
		"arp eth0 10.144.43.185 count=10 interval=500ms",
		"del 10.144.43.185/24 dev eth0 label eth0:0",
	}
	if d := cmp.Diff(want, f.Calls); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
	if err := f.AddAddress(Address{Prefix: netip.MustParsePrefix("10.0.0.1/32"), Interface: "eth0", Label: "lo:0"}); err == nil {
		t.Error("bad label accepted")
	}
}
