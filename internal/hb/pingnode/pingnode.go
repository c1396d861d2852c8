// Package pingnode keeps heartbeat's ping nodes alive: it sends an echo request to
// every ping address each keepalive, as heartbeat's ping and ping6 media do (ICMP for an
// IPv4 address, ICMPv6 for an IPv6 one), and reports each echo reply, which membership
// turns into the ping node's "ping" status (or "dead" after deadping without one).
//
// It uses raw ICMP and ICMPv6 sockets (root, as heartbeat runs), or unprivileged ICMP
// datagram sockets where net.ipv4.ping_group_range allows them (it covers both).
package pingnode

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// IANA protocol numbers, as icmp.ParseMessage wants them.
const (
	protoICMP   = 1
	protoICMPv6 = 58
)

// payload is the data of every echo request.
var payload = []byte("heartbeatd ping node")

// Pinger sends echo requests and reads replies.
type Pinger struct {
	v4, v6 *sock // nil when no address of that family is pinged
	id     int
	seq    int
}

// sock is one family's socket.
type sock struct {
	conn *icmp.PacketConn
	v6   bool
	raw  bool
}

// Listen opens the sockets addrs need: ICMP for IPv4 addresses, ICMPv6 for IPv6 ones
// (an IPv4-mapped IPv6 address, which ping6 accepts, included: like heartbeat's ping6,
// nothing answers it).
func Listen(addrs []netip.Addr) (*Pinger, error) {
	p := &Pinger{id: os.Getpid() & 0xffff}
	for _, a := range addrs {
		var err error
		switch {
		case a.Is4() && p.v4 == nil:
			p.v4, err = listen(false)
		case !a.Is4() && p.v6 == nil:
			p.v6, err = listen(true)
		}
		if err != nil {
			p.Close()
			return nil, err
		}
	}
	if p.v4 == nil && p.v6 == nil {
		return nil, errors.New("ping nodes: no address to ping")
	}
	return p, nil
}

func listen(v6 bool) (*sock, error) {
	rawNet, dgramNet, wildcard, what := "ip4:icmp", "udp4", "0.0.0.0", "icmp"
	if v6 {
		rawNet, dgramNet, wildcard, what = "ip6:ipv6-icmp", "udp6", "::", "icmpv6"
	}
	c, err := icmp.ListenPacket(rawNet, wildcard)
	raw := err == nil
	if err != nil {
		c, err = icmp.ListenPacket(dgramNet, wildcard)
	}
	if err != nil {
		return nil, fmt.Errorf("ping nodes: %s socket: %w", what, err)
	}
	if raw && v6 {
		// A raw ICMPv6 socket gets every ICMPv6 message (neighbour discovery ...): only
		// echo replies are wanted. A filter that cannot be set only costs wake-ups.
		var f ipv6.ICMPFilter
		f.SetAll(true)
		f.Accept(ipv6.ICMPTypeEchoReply)
		_ = c.IPv6PacketConn().SetICMPFilter(&f)
	}
	return &sock{conn: c, v6: v6, raw: raw}, nil
}

// Close closes the sockets.
func (p *Pinger) Close() error {
	var errs []error
	for _, s := range []*sock{p.v4, p.v6} {
		if s != nil {
			errs = append(errs, s.conn.Close())
		}
	}
	return errors.Join(errs...)
}

// echoRequest is the echo request with id, seq and data: ICMP, or ICMPv6 with v6. An
// ICMPv6 checksum covers the IPv6 addresses, which the kernel chooses: it is left zero
// for the kernel to fill, as it does on every raw and datagram ICMPv6 socket.
func echoRequest(v6 bool, id, seq int, data []byte) ([]byte, error) {
	var typ icmp.Type = ipv4.ICMPTypeEcho
	if v6 {
		typ = ipv6.ICMPTypeEchoRequest
	}
	m := icmp.Message{Type: typ, Body: &icmp.Echo{ID: id & 0xffff, Seq: seq & 0xffff, Data: data}}
	return m.Marshal(nil)
}

// parseEchoReply reads b, an ICMP (or, with v6, ICMPv6) message without its IP header,
// and returns its identifier when it is an echo reply.
func parseEchoReply(v6 bool, b []byte) (id int, ok bool) {
	proto, want := protoICMP, icmp.Type(ipv4.ICMPTypeEchoReply)
	if v6 {
		proto, want = protoICMPv6, ipv6.ICMPTypeEchoReply
	}
	m, err := icmp.ParseMessage(proto, b)
	if err != nil || m.Type != want || m.Code != 0 {
		return 0, false
	}
	echo, ok := m.Body.(*icmp.Echo)
	if !ok {
		return 0, false
	}
	return echo.ID, true
}

// Send sends one echo request to addr, over ICMP or ICMPv6 as its family says.
func (p *Pinger) Send(addr netip.Addr) error {
	s := p.v4
	if !addr.Is4() {
		s = p.v6
	}
	if s == nil {
		return fmt.Errorf("ping %v: no socket for its address family", addr)
	}
	p.seq = (p.seq + 1) & 0xffff
	b, err := echoRequest(s.v6, p.id, p.seq, payload)
	if err != nil {
		return err
	}
	var to net.Addr = &net.IPAddr{IP: addr.AsSlice()}
	if !s.raw {
		to = &net.UDPAddr{IP: addr.AsSlice()}
	}
	if _, err := s.conn.WriteTo(b, to); err != nil {
		return fmt.Errorf("ping %v: %w", addr, err)
	}
	return nil
}

// receive waits until deadline for an echo reply to one of our requests on s and
// returns who sent it.
func (p *Pinger) receive(s *sock, deadline time.Time) (netip.Addr, error) {
	buf := make([]byte, 1500)
	for {
		if err := s.conn.SetReadDeadline(deadline); err != nil {
			return netip.Addr{}, err
		}
		n, from, err := s.conn.ReadFrom(buf)
		if err != nil {
			return netip.Addr{}, err
		}
		id, ok := parseEchoReply(s.v6, buf[:n])
		// The kernel rewrites the id of datagram sockets (and delivers them only their
		// own replies), so only raw sockets check it.
		if !ok || (s.raw && id != p.id) {
			continue
		}
		var ip net.IP
		switch a := from.(type) {
		case *net.IPAddr:
			ip = a.IP
		case *net.UDPAddr:
			ip = a.IP
		}
		if s.v6 {
			ip = ip.To16()
		} else {
			ip = ip.To4()
		}
		if addr, ok := netip.AddrFromSlice(ip); ok {
			return addr, nil
		}
	}
}

// Run pings addrs every interval until ctx ends, calling reply (from the sockets' own
// goroutines, one per address family) for each echo reply. It returns ctx's error.
func (p *Pinger) Run(ctx context.Context, addrs []netip.Addr, interval time.Duration, reply func(netip.Addr)) error {
	done := make(chan struct{})
	defer close(done)
	for _, s := range []*sock{p.v4, p.v6} {
		if s == nil {
			continue
		}
		go func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				a, err := p.receive(s, time.Now().Add(200*time.Millisecond))
				if err == nil {
					reply(a)
					continue
				}
				if errors.Is(err, net.ErrClosed) {
					return
				}
			}
		}()
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		for _, a := range addrs {
			// An unreachable ping node is exactly what deadping is for; keep going.
			_ = p.Send(a)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}
