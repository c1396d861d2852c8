//go:build linux

package hostnet

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/mdlayher/ndp"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// Linux is Net on Linux: addresses and routes by netlink, ARP through an AF_PACKET
// socket, sysctls in /proc/sys. It works in the network namespace of the calling thread.
type Linux struct{}

var _ Net = (*Linux)(nil)

// NewLinux returns the Linux implementation.
func NewLinux() *Linux { return &Linux{} }

func (*Linux) AddAddress(a Address) error {
	if err := a.Validate(); err != nil {
		return err
	}
	link, err := netlink.LinkByName(a.Interface)
	if err != nil {
		return fmt.Errorf("add %v: %w", a, err)
	}
	addr := &netlink.Addr{IPNet: prefixNet(a.Prefix), Label: a.Label}
	if a.NoDAD {
		addr.Flags = unix.IFA_F_NODAD
	}
	if a.Broadcast.IsValid() {
		addr.Broadcast = net.IP(a.Broadcast.AsSlice())
	}
	if err := netlink.AddrAdd(link, addr); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("add %v: %w", a, err)
	}
	return nil
}

func (*Linux) DelAddress(a Address) error {
	link, err := netlink.LinkByName(a.Interface)
	if err != nil {
		return fmt.Errorf("delete %v: %w", a, err)
	}
	addrs, err := netlink.AddrList(link, family(a.Prefix.Addr()))
	if err != nil {
		return fmt.Errorf("delete %v: %w", a, err)
	}
	for _, x := range addrs {
		ip, ok := ipOf(x.IP)
		if !ok || ip != a.Prefix.Addr() {
			continue
		}
		if err := netlink.AddrDel(link, &x); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) {
			return fmt.Errorf("delete %v: %w", a, err)
		}
	}
	return nil
}

func (*Linux) HasAddress(iface string, addr netip.Addr) (bool, error) {
	link, err := netlink.LinkByName(iface)
	if err != nil {
		return false, fmt.Errorf("addresses of %s: %w", iface, err)
	}
	addrs, err := netlink.AddrList(link, family(addr))
	if err != nil {
		return false, fmt.Errorf("addresses of %s: %w", iface, err)
	}
	for _, x := range addrs {
		if ip, ok := ipOf(x.IP); ok && ip == addr {
			return true, nil
		}
	}
	return false, nil
}

func (*Linux) Addresses(iface string) ([]Address, error) {
	var links []netlink.Link
	if iface != "" {
		l, err := netlink.LinkByName(iface)
		if err != nil {
			return nil, fmt.Errorf("addresses of %s: %w", iface, err)
		}
		links = []netlink.Link{l}
	} else {
		ls, err := netlink.LinkList()
		if err != nil {
			return nil, fmt.Errorf("links: %w", err)
		}
		links = ls
	}
	var out []Address
	for _, l := range links {
		addrs, err := netlink.AddrList(l, netlink.FAMILY_ALL)
		if err != nil {
			return nil, fmt.Errorf("addresses of %s: %w", l.Attrs().Name, err)
		}
		for _, x := range addrs {
			p, ok := netipPrefix(x.IPNet)
			if !ok || (p.Addr().Is6() && !p.Addr().IsGlobalUnicast()) {
				continue
			}
			if p.Addr().Is6() {
				out = append(out, Address{Prefix: p, Interface: l.Attrs().Name, NoDAD: x.Flags&unix.IFA_F_NODAD != 0})
				continue
			}
			a := Address{Prefix: p, Interface: l.Attrs().Name}
			if x.Label != l.Attrs().Name {
				a.Label = x.Label
			}
			if b, ok := netip.AddrFromSlice(x.Broadcast.To4()); ok && x.Broadcast != nil {
				a.Broadcast = b
			}
			out = append(out, a)
		}
	}
	return out, nil
}

func (*Linux) RouteInterface(addr netip.Addr) (string, int, error) {
	routes, err := netlink.RouteList(nil, family(addr))
	if err != nil {
		return "", 0, fmt.Errorf("routes: %w", err)
	}
	best, bits := 0, -1
	for _, r := range routes {
		// IPv6 connected routes have universe scope: no gateway is what tells them.
		if r.Dst == nil || r.Gw != nil || (addr.Is4() && r.Scope != netlink.SCOPE_LINK) {
			continue
		}
		p, ok := netipPrefix(r.Dst)
		if ok && p.Contains(addr) && p.Bits() > bits {
			best, bits = r.LinkIndex, p.Bits()
		}
	}
	if bits < 0 {
		return "", 0, fmt.Errorf("no connected route covers %v: give the interface in haresources (IPaddr::%v/bits/iface)", addr, addr)
	}
	link, err := netlink.LinkByIndex(best)
	if err != nil {
		return "", 0, fmt.Errorf("route to %v: %w", addr, err)
	}
	return link.Attrs().Name, bits, nil
}

func (*Linux) SendGratuitousARP(ctx context.Context, iface string, addr netip.Addr, arp ARP) error {
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		return fmt.Errorf("gratuitous ARP on %s: %w", iface, err)
	}
	if len(ifc.HardwareAddr) != 6 {
		return fmt.Errorf("gratuitous ARP on %s: not an Ethernet interface", iface)
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(htons(unix.ETH_P_ARP)))
	if err != nil {
		return fmt.Errorf("gratuitous ARP on %s: %w", iface, err)
	}
	defer unix.Close(fd)
	to := &unix.SockaddrLinklayer{Ifindex: ifc.Index, Protocol: htons(unix.ETH_P_ARP), Halen: 6,
		Addr: [8]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}
	half := arp.Interval / 2
	for i := 0; i < arp.Count; i++ {
		for j, op := range []uint16{1, 2} {
			if err := unix.Sendto(fd, ARPFrame(ifc.HardwareAddr, addr, op), 0, to); err != nil {
				return fmt.Errorf("gratuitous ARP on %s: %w", iface, err)
			}
			if i == arp.Count-1 && j == 1 {
				break
			}
			t := time.NewTimer(half)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
	}
	return nil
}

// ARPFrame is a gratuitous ARP Ethernet frame for addr from mac: a request (op 1, target
// hardware address zero) or a reply (op 2, target broadcast), sender and target
// protocol addresses both addr.
func ARPFrame(mac net.HardwareAddr, addr netip.Addr, op uint16) []byte {
	b := make([]byte, 42)
	copy(b[0:6], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(b[6:12], mac)
	binary.BigEndian.PutUint16(b[12:], unix.ETH_P_ARP)
	binary.BigEndian.PutUint16(b[14:], 1)      // Ethernet
	binary.BigEndian.PutUint16(b[16:], 0x0800) // IPv4
	b[18], b[19] = 6, 4
	binary.BigEndian.PutUint16(b[20:], op)
	copy(b[22:28], mac)
	a4 := addr.As4()
	copy(b[28:32], a4[:])
	if op == 2 {
		copy(b[32:38], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	}
	copy(b[38:42], a4[:])
	return b
}

func (*Linux) Sysctl(name string) (string, error) {
	p, err := sysctlPath(name)
	if err != nil {
		return "", err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("sysctl %s: %w", name, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func (*Linux) SetSysctl(name, value string) error {
	p, err := sysctlPath(name)
	if err != nil {
		return err
	}
	if err := os.WriteFile(p, []byte(value+"\n"), 0o644); err != nil {
		return fmt.Errorf("sysctl %s=%s: %w", name, value, err)
	}
	return nil
}

// SendUnsolicitedNA sends na.Count unsolicited neighbour advertisements for addr from
// addr to all nodes (ff02::1), override flag set, target link-layer address the
// interface's, na.Interval apart: what heartbeat's send_ua and IPv6addr send.
func (*Linux) SendUnsolicitedNA(ctx context.Context, iface string, addr netip.Addr, na NA) error {
	ifc, err := net.InterfaceByName(iface)
	if err != nil {
		return fmt.Errorf("neighbour advertisement on %s: %w", iface, err)
	}
	c, _, err := ndp.Listen(ifc, ndp.Addr(addr.String()))
	if err != nil {
		return fmt.Errorf("neighbour advertisement for %v on %s: %w", addr, iface, err)
	}
	defer c.Close()
	m := &ndp.NeighborAdvertisement{Override: true, TargetAddress: addr,
		Options: []ndp.Option{&ndp.LinkLayerAddress{Direction: ndp.Target, Addr: ifc.HardwareAddr}}}
	for i := 0; i < na.Count; i++ {
		if i > 0 {
			t := time.NewTimer(na.Interval)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		}
		if err := c.WriteTo(m, nil, netip.IPv6LinkLocalAllNodes()); err != nil {
			return fmt.Errorf("neighbour advertisement for %v on %s: %w", addr, iface, err)
		}
	}
	return nil
}

// DADState reads the address's IFA_F_TENTATIVE and IFA_F_DADFAILED flags.
func (*Linux) DADState(iface string, addr netip.Addr) (DAD, error) {
	link, err := netlink.LinkByName(iface)
	if err != nil {
		return DADAbsent, fmt.Errorf("addresses of %s: %w", iface, err)
	}
	addrs, err := netlink.AddrList(link, family(addr))
	if err != nil {
		return DADAbsent, fmt.Errorf("addresses of %s: %w", iface, err)
	}
	for _, x := range addrs {
		if ip, ok := ipOf(x.IP); !ok || ip != addr {
			continue
		}
		switch {
		case x.Flags&unix.IFA_F_DADFAILED != 0:
			return DADFailed, nil
		case x.Flags&unix.IFA_F_TENTATIVE != 0:
			return DADTentative, nil
		}
		return DADDone, nil
	}
	return DADAbsent, nil
}

func family(a netip.Addr) int {
	if a.Is4() {
		return netlink.FAMILY_V4
	}
	return netlink.FAMILY_V6
}

// ipOf converts a netlink address, IPv4 ones unmapped.
func ipOf(ip net.IP) (netip.Addr, bool) {
	a, ok := netip.AddrFromSlice(ip)
	return a.Unmap(), ok
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func prefixNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: net.IP(p.Addr().AsSlice()), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

func netipPrefix(n *net.IPNet) (netip.Prefix, bool) {
	a, ok := ipOf(n.IP)
	if !ok {
		return netip.Prefix{}, false
	}
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a, ones), true
}
