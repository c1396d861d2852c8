package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// UDPLink is a ucast, bcast, mcast, ucast6 or mcast6 medium. Like the original it uses two
// sockets, both bound to the interface (SO_BINDTODEVICE) so that
// heartbeats on one interface never count for another: a send socket on an
// ephemeral port with IPTOS_LOWDELAY, and a receive socket on udpport with
// SO_REUSEADDR and SO_REUSEPORT.
type UDPLink struct {
	cfg  UDPConfig
	send *net.UDPConn
	recv *net.UDPConn
	dst  *net.UDPAddr
}

var _ Link = (*UDPLink)(nil)

// OpenUDP opens the medium in the calling thread's network namespace.
func OpenUDP(cfg UDPConfig) (*UDPLink, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	ifi, err := net.InterfaceByName(cfg.Iface)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", cfg.Kind, cfg.Iface, err)
	}
	l := &UDPLink{cfg: cfg}
	switch cfg.Kind {
	case Ucast:
		l.dst = &net.UDPAddr{IP: cfg.Peer.AsSlice(), Port: cfg.Port}
	case Bcast:
		b, err := broadcastAddr(ifi)
		if err != nil {
			return nil, fmt.Errorf("bcast %s: %w", cfg.Iface, err)
		}
		l.dst = &net.UDPAddr{IP: b.AsSlice(), Port: cfg.Port}
	case Mcast, Mcast6:
		l.dst = &net.UDPAddr{IP: cfg.Group.AsSlice(), Port: cfg.Port}
	case Ucast6:
		l.dst = &net.UDPAddr{IP: cfg.Peer.AsSlice(), Port: cfg.Port}
	}
	if cfg.Kind.v6() && (cfg.Peer.IsLinkLocalUnicast() || cfg.Group.IsLinkLocalMulticast() || cfg.Group.IsInterfaceLocalMulticast()) {
		l.dst.Zone = cfg.Iface // a link-local peer or group is reached through the medium's interface
	}
	sendCtl := func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			s := int(fd)
			if serr = unix.BindToDevice(s, cfg.Iface); serr != nil {
				serr = fmt.Errorf("SO_BINDTODEVICE: %w", serr)
				return
			}
			if cfg.Kind.v6() {
				_ = unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_TCLASS, iptosLowDelay)
			} else {
				_ = unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_TOS, iptosLowDelay)
			}
			switch cfg.Kind {
			case Bcast:
				serr = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_BROADCAST, 1)
			case Mcast:
				serr = unix.SetsockoptIPMreqn(s, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, &unix.IPMreqn{Ifindex: int32(ifi.Index)})
				if serr == nil {
					serr = unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, cfg.TTL)
				}
				if serr == nil {
					serr = unix.SetsockoptInt(s, unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, boolInt(cfg.Loop))
				}
			case Mcast6:
				serr = unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, ifi.Index)
				if serr == nil {
					serr = unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, cfg.TTL)
				}
				if serr == nil {
					serr = unix.SetsockoptInt(s, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, boolInt(cfg.Loop))
				}
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
	recvCtl := func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			s := int(fd)
			if serr = unix.BindToDevice(s, cfg.Iface); serr != nil {
				serr = fmt.Errorf("SO_BINDTODEVICE: %w", serr)
				return
			}
			_ = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
			_ = unix.SetsockoptInt(s, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
			switch cfg.Kind {
			case Mcast:
				mreq := &unix.IPMreqn{Multiaddr: cfg.Group.As4(), Ifindex: int32(ifi.Index)}
				serr = unix.SetsockoptIPMreqn(s, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq)
			case Mcast6:
				mreq := &unix.IPv6Mreq{Multiaddr: cfg.Group.As16(), Interface: uint32(ifi.Index)}
				serr = unix.SetsockoptIPv6Mreq(s, unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, mreq)
			}
		})
		if err != nil {
			return err
		}
		return serr
	}
	ctx := context.Background()
	network, any := "udp4", "0.0.0.0"
	if cfg.Kind.v6() {
		network, any = "udp6", "[::]"
	}
	sc, err := (&net.ListenConfig{Control: sendCtl}).ListenPacket(ctx, network, any+":0")
	if err != nil {
		return nil, fmt.Errorf("%s %s: send socket: %w", cfg.Kind, cfg.Iface, err)
	}
	l.send = sc.(*net.UDPConn)
	rc, err := (&net.ListenConfig{Control: recvCtl}).ListenPacket(ctx, network, any+":"+strconv.Itoa(cfg.Port))
	if err != nil {
		l.send.Close()
		return nil, fmt.Errorf("%s %s: receive socket on port %d: %w", cfg.Kind, cfg.Iface, cfg.Port, err)
	}
	l.recv = rc.(*net.UDPConn)
	return l, nil
}

func broadcastAddr(ifi *net.Interface) (netip.Addr, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return netip.Addr{}, err
	}
	for _, a := range addrs {
		n, ok := a.(*net.IPNet)
		if !ok || n.IP.To4() == nil {
			continue
		}
		ip, mask := n.IP.To4(), n.Mask
		if len(mask) == 16 {
			mask = mask[12:]
		}
		var b [4]byte
		for i := range b {
			b[i] = ip[i] | ^mask[i]
		}
		return netip.AddrFrom4(b), nil
	}
	return netip.Addr{}, errors.New("no IPv4 address")
}

// Name returns the interface name.
func (l *UDPLink) Name() string { return l.cfg.Iface }

// Dest is where Send sends.
func (l *UDPLink) Dest() netip.AddrPort { return l.dst.AddrPort() }

// Send sends one datagram.
func (l *UDPLink) Send(pkt []byte) error {
	_, err := l.send.WriteToUDP(pkt, l.dst)
	if err != nil {
		return fmt.Errorf("%s %s: %w", l.cfg.Kind, l.cfg.Iface, err)
	}
	return nil
}

// Recv receives one datagram; datagrams larger than buf are truncated and
// then fail verification.
func (l *UDPLink) Recv(buf []byte) (int, netip.AddrPort, error) {
	n, from, err := l.recv.ReadFromUDPAddrPort(buf)
	return n, from, err
}

// Close closes both sockets.
func (l *UDPLink) Close() error {
	return errors.Join(l.send.Close(), l.recv.Close())
}

// boolInt is a boolean socket option's value.
func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// iptosLowDelay is IPTOS_LOWDELAY of <netinet/ip.h>, the TOS the original
// sets on its send sockets.
const iptosLowDelay = 0x10
