// Package pingnode keeps heartbeat's ping nodes alive: it sends an ICMP echo request to
// every ping address each keepalive, as heartbeat's ping medium does, and reports each
// echo reply, which membership turns into the ping node's "ping" status (or "dead"
// after deadping without one).
//
// It uses a raw ICMP socket (root, as heartbeat runs), or an unprivileged ICMP datagram
// socket where net.ipv4.ping_group_range allows it.
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
)

// Pinger sends echo requests and reads replies.
type Pinger struct {
	conn *icmp.PacketConn
	raw  bool
	id   int
	seq  int
}

// Listen opens the ICMP socket.
func Listen() (*Pinger, error) {
	c, err := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
	raw := err == nil
	if err != nil {
		c, err = icmp.ListenPacket("udp4", "0.0.0.0")
	}
	if err != nil {
		return nil, fmt.Errorf("ping nodes: icmp socket: %w", err)
	}
	return &Pinger{conn: c, raw: raw, id: os.Getpid() & 0xffff}, nil
}

// Close closes the socket.
func (p *Pinger) Close() error { return p.conn.Close() }

// Send sends one echo request to addr.
func (p *Pinger) Send(addr netip.Addr) error {
	p.seq = (p.seq + 1) & 0xffff
	m := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: p.id, Seq: p.seq, Data: []byte("heartbeatd ping node")}}
	b, err := m.Marshal(nil)
	if err != nil {
		return err
	}
	var to net.Addr = &net.IPAddr{IP: addr.AsSlice()}
	if !p.raw {
		to = &net.UDPAddr{IP: addr.AsSlice()}
	}
	if _, err := p.conn.WriteTo(b, to); err != nil {
		return fmt.Errorf("ping %v: %w", addr, err)
	}
	return nil
}

// Receive waits until deadline for an echo reply to one of our requests and returns
// who sent it.
func (p *Pinger) Receive(deadline time.Time) (netip.Addr, error) {
	buf := make([]byte, 1500)
	for {
		if err := p.conn.SetReadDeadline(deadline); err != nil {
			return netip.Addr{}, err
		}
		n, from, err := p.conn.ReadFrom(buf)
		if err != nil {
			return netip.Addr{}, err
		}
		m, err := icmp.ParseMessage(1, buf[:n])
		if err != nil || m.Type != ipv4.ICMPTypeEchoReply {
			continue
		}
		echo, ok := m.Body.(*icmp.Echo)
		// The kernel rewrites the id of datagram sockets, so only raw sockets check it.
		if !ok || (p.raw && echo.ID != p.id) {
			continue
		}
		var ip net.IP
		switch a := from.(type) {
		case *net.IPAddr:
			ip = a.IP
		case *net.UDPAddr:
			ip = a.IP
		}
		if addr, ok := netip.AddrFromSlice(ip.To4()); ok {
			return addr, nil
		}
	}
}

// Run pings addrs every interval until ctx ends, calling reply (from its own goroutine)
// for each echo reply. It returns ctx's error, or the first send error that is not a
// transient network one.
func (p *Pinger) Run(ctx context.Context, addrs []netip.Addr, interval time.Duration, reply func(netip.Addr)) error {
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			a, err := p.Receive(time.Now().Add(200 * time.Millisecond))
			if err == nil {
				reply(a)
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
		}
	}()
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
