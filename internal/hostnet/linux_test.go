//go:build linux

package hostnet

import (
	"context"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/netnstest"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// inNewNetns runs f on a thread switched into a fresh network namespace holding a veth
// pair eth0 <-> peer0, both up, eth0 with 192.0.2.1/24; the namespace goes when the
// test ends.
func inNewNetns(t *testing.T, f func()) {
	t.Helper()
	ns := netnstest.New(t)
	eth0, _ := netnstest.Veth(t, ns, "eth0", ns, "peer0")
	eth0.AddAddr(t, "192.0.2.1/24")
	done := make(chan error, 1)
	go func() { done <- ns.Do(func() error { f(); return nil }) }()
	select {
	case err := <-done:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("namespace test did not finish in 30 s")
	}
}

func TestIntegrationVIPWithLabel(t *testing.T) {
	inNewNetns(t, func() {
		h := NewLinux()
		iface, bits, err := h.RouteInterface(netip.MustParseAddr("192.0.2.185"))
		if err != nil || iface != "eth0" || bits != 24 {
			t.Errorf("RouteInterface = %q, %d, %v; want eth0, 24", iface, bits, err)
			return
		}
		vip := Address{Prefix: netip.MustParsePrefix("192.0.2.185/32"), Interface: "eth0", Label: "eth0:0",
			Broadcast: netip.MustParseAddr("192.0.2.185")}
		for i := 0; i < 2; i++ { // the second add is a no-op, as a restart would do
			if err := h.AddAddress(vip); err != nil {
				t.Errorf("add #%d: %v", i+1, err)
				return
			}
		}
		l, _ := netlink.LinkByName("eth0")
		addrs, _ := netlink.AddrList(l, netlink.FAMILY_V4)
		found := false
		for _, a := range addrs {
			if a.IP.Equal(net.ParseIP("192.0.2.185")) {
				found = true
				if a.Label != "eth0:0" || !a.Broadcast.Equal(net.ParseIP("192.0.2.185")) {
					t.Errorf("kernel has %v label %q brd %v", a.IPNet, a.Label, a.Broadcast)
				}
			}
		}
		if as, err := h.Addresses("eth0"); err != nil || len(as) != 2 || as[1] != vip {
			t.Errorf("Addresses(eth0) = %v, %v; want the interface's address and %v", as, err, vip)
		}
		if ok, err := h.HasAddress("eth0", vip.Prefix.Addr()); !found || !ok || err != nil {
			t.Errorf("VIP not on eth0: found %v, HasAddress %v, %v", found, ok, err)
		}
		for i := 0; i < 2; i++ {
			if err := h.DelAddress(vip); err != nil {
				t.Errorf("delete #%d: %v", i+1, err)
			}
		}
		if ok, _ := h.HasAddress("eth0", vip.Prefix.Addr()); ok {
			t.Error("VIP still there after delete")
		}
		if ok, _ := h.HasAddress("eth0", netip.MustParseAddr("192.0.2.1")); !ok {
			t.Error("delete removed the interface's own address")
		}
		if err := h.AddAddress(Address{Prefix: netip.MustParsePrefix("192.0.2.9/32"), Interface: "eth0", Label: "eth1:0"}); err == nil {
			t.Error("label of another interface accepted")
		}
	})
}

func TestIntegrationGratuitousARP(t *testing.T) {
	inNewNetns(t, func() {
		peer, err := net.InterfaceByName("peer0")
		if err != nil {
			t.Error(err)
			return
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ARP)))
		if err != nil {
			t.Error(err)
			return
		}
		defer unix.Close(fd)
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Ifindex: peer.Index, Protocol: htons(unix.ETH_P_ARP)}); err != nil {
			t.Error(err)
			return
		}
		_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Sec: 0, Usec: 200000})
		eth0, _ := net.InterfaceByName("eth0")
		vip := netip.MustParseAddr("192.0.2.185")
		if err := NewLinux().SendGratuitousARP(context.Background(), "eth0", vip, ARP{Count: 3, Interval: 20 * time.Millisecond}); err != nil {
			t.Error(err)
			return
		}
		var ops []byte
		buf := make([]byte, 2048)
		deadline := time.Now().Add(3 * time.Second)
		for len(ops) < 6 && time.Now().Before(deadline) {
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil || n < 42 {
				continue
			}
			if string(buf[6:12]) != string(eth0.HardwareAddr) || string(buf[28:32]) != string(vip.AsSlice()) || string(buf[38:42]) != string(vip.AsSlice()) {
				continue // something else, e.g. the kernel's own ARP
			}
			ops = append(ops, buf[21])
		}
		if string(ops) != "\x01\x02\x01\x02\x01\x02" {
			t.Errorf("ARP ops seen %v, want 3 request/reply pairs", ops)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if err := NewLinux().SendGratuitousARP(ctx, "eth0", vip, ARPIPaddr); err == nil {
			t.Error("a cancelled announcement returned no error")
		}
	})
}

func TestIntegrationSysctlStaysInNamespace(t *testing.T) {
	host, err := NewLinux().Sysctl("net.ipv4.conf.all.arp_announce")
	if err != nil {
		t.Skipf("no /proc/sys: %v", err)
	}
	inNewNetns(t, func() {
		h := NewLinux()
		for name, v := range map[string]string{"net.ipv4.conf.all.arp_announce": "2", "net.ipv4.conf.eth0.arp_ignore": "1"} {
			if err := h.SetSysctl(name, v); err != nil {
				t.Error(err)
				continue
			}
			if got, err := h.Sysctl(name); got != v || err != nil {
				t.Errorf("%s = %q, %v; want %q", name, got, err, v)
			}
		}
	})
	if after, _ := NewLinux().Sysctl("net.ipv4.conf.all.arp_announce"); after != host {
		t.Errorf("host's arp_announce changed from %s to %s", host, after)
	}
}
