package transport

import (
	"fmt"
	"net/netip"
)

// Link is one heartbeat medium: it sends datagrams to the peers and
// receives theirs.
type Link interface {
	// Name is how the original names the link in its logs and in
	// cl_status listhblinks: the interface name.
	Name() string
	Send(pkt []byte) error
	// Recv blocks for the next datagram; it fails once the link is closed.
	Recv(buf []byte) (int, netip.AddrPort, error)
	Close() error
}

// MediumKind is the ha.cf medium directive.
type MediumKind string

// UDP media of heartbeat 3.0.6.
const (
	Ucast  MediumKind = "ucast"
	Bcast  MediumKind = "bcast"
	Mcast  MediumKind = "mcast"
	Ucast6 MediumKind = "ucast6"
	Mcast6 MediumKind = "mcast6"
)

// v6 says the medium is one of the IPv6 ones.
func (k MediumKind) v6() bool { return k == Ucast6 || k == Mcast6 }

// UDPConfig is one ucast/bcast/mcast line of ha.cf plus udpport.
type UDPConfig struct {
	Kind  MediumKind
	Iface string
	Port  int
	Peer  netip.Addr // ucast, ucast6: the peer's address
	Group netip.Addr // mcast, mcast6: the group
	TTL   int        // mcast: 1..255; mcast6: the hop limit
	Loop  bool       // mcast, mcast6: loop back to ourselves
}

func (c UDPConfig) validate() error {
	if c.Iface == "" {
		return fmt.Errorf("%s: no interface", c.Kind)
	}
	if c.Port <= 0 || c.Port > 65535 {
		return fmt.Errorf("%s %s: bad port %d", c.Kind, c.Iface, c.Port)
	}
	switch c.Kind {
	case Ucast:
		if !c.Peer.Is4() {
			return fmt.Errorf("ucast %s: peer %v is not an IPv4 address", c.Iface, c.Peer)
		}
	case Ucast6:
		if !c.Peer.Is6() || c.Peer.Is4In6() {
			return fmt.Errorf("ucast6 %s: peer %v is not an IPv6 address", c.Iface, c.Peer)
		}
	case Mcast6:
		if !c.Group.Is6() || !c.Group.IsMulticast() {
			return fmt.Errorf("mcast6 %s: %v is not an IPv6 multicast group", c.Iface, c.Group)
		}
		if c.TTL < 1 || c.TTL > 255 {
			return fmt.Errorf("mcast6 %s: hops %d out of range 1..255", c.Iface, c.TTL)
		}
	case Bcast:
	case Mcast:
		if !c.Group.Is4() || !c.Group.IsMulticast() {
			return fmt.Errorf("mcast %s: %v is not an IPv4 multicast group", c.Iface, c.Group)
		}
		if c.TTL < 1 || c.TTL > 255 {
			return fmt.Errorf("mcast %s: ttl %d out of range 1..255", c.Iface, c.TTL)
		}
	default:
		return fmt.Errorf("medium %q not implemented", c.Kind)
	}
	return nil
}
