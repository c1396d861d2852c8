package nameres

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"sync"

	"golang.org/x/net/dns/dnsmessage"
)

// NetDNS is the dns source over Go's pure resolver (/etc/resolv.conf: servers,
// search, ndots, timeout, attempts; UDP, TCP on truncation). Go's resolver sorts
// addresses by RFC 6724 and answers from /etc/hosts itself; gethostbyname does
// neither, so NetDNS watches the answers on the wire (its Dial wraps the
// connection) and returns what the servers sent, in their order.
type NetDNS struct {
	r      *net.Resolver
	server string
}

// NewNetDNS returns the dns source.
func NewNetDNS() *NetDNS {
	d := &NetDNS{}
	d.r = &net.Resolver{PreferGo: true, Dial: d.dial}
	return d
}

// NewNetDNSServer is NewNetDNS with every query sent to server (host:port)
// instead of resolv.conf's nameservers: for tests.
func NewNetDNSServer(server string) *NetDNS {
	d := NewNetDNS()
	d.server = server
	return d
}

func (d *NetDNS) dial(ctx context.Context, network, address string) (net.Conn, error) {
	if d.server != "" {
		address = d.server
	}
	return dialRecording(ctx, network, address)
}

type recorderKey struct{}

// recorder keeps the A and PTR records of every response read during one lookup.
type recorder struct {
	mu  sync.Mutex
	a   []netip.Addr
	ptr []string
}

func (r *recorder) message(b []byte) {
	var p dnsmessage.Parser
	h, err := p.Start(b)
	if err != nil || !h.Response {
		return
	}
	if p.SkipAllQuestions() != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		hdr, err := p.AnswerHeader()
		if err != nil {
			return
		}
		switch {
		case hdr.Class != dnsmessage.ClassINET:
			err = p.SkipAnswer()
		case hdr.Type == dnsmessage.TypeA:
			var a dnsmessage.AResource
			if a, err = p.AResource(); err == nil {
				r.a = append(r.a, netip.AddrFrom4(a.A))
			}
		case hdr.Type == dnsmessage.TypePTR:
			var ptr dnsmessage.PTRResource
			if ptr, err = p.PTRResource(); err == nil {
				r.ptr = append(r.ptr, ptr.PTR.String())
			}
		default:
			err = p.SkipAnswer()
		}
		if err != nil {
			return
		}
	}
}

func dialRecording(ctx context.Context, network, address string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	rec, _ := ctx.Value(recorderKey{}).(*recorder)
	if rec == nil {
		return c, nil
	}
	if u, ok := c.(*net.UDPConn); ok {
		// Still a PacketConn: Go's resolver frames by that.
		return &udpRecording{UDPConn: u, rec: rec}, nil
	}
	return &streamRecording{Conn: c, rec: rec}, nil
}

type udpRecording struct {
	*net.UDPConn
	rec *recorder
}

func (c *udpRecording) Read(b []byte) (int, error) {
	n, err := c.UDPConn.Read(b)
	if n > 0 {
		c.rec.message(b[:n])
	}
	return n, err
}

// streamRecording splits DNS over TCP's length-prefixed messages.
type streamRecording struct {
	net.Conn
	rec *recorder
	buf []byte
}

func (c *streamRecording) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.buf = append(c.buf, b[:n]...)
	for len(c.buf) >= 2 {
		l := int(c.buf[0])<<8 | int(c.buf[1])
		if len(c.buf) < 2+l {
			break
		}
		c.rec.message(c.buf[2 : 2+l])
		c.buf = c.buf[2+l:]
	}
	return n, err
}

// LookupA implements DNS.
func (d *NetDNS) LookupA(ctx context.Context, host string) ([]netip.Addr, error) {
	rec := &recorder{}
	got, err := d.r.LookupNetIP(context.WithValue(ctx, recorderKey{}, rec), "ip4", host)
	if err != nil {
		return nil, err
	}
	valid := map[netip.Addr]bool{}
	for _, a := range got {
		valid[a.Unmap()] = true
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []netip.Addr
	for _, a := range rec.a {
		if valid[a] {
			out = append(out, a)
			delete(valid, a)
		}
	}
	return out, nil
}

// LookupPTR implements DNS.
func (d *NetDNS) LookupPTR(ctx context.Context, a netip.Addr) ([]string, error) {
	rec := &recorder{}
	got, err := d.r.LookupAddr(context.WithValue(ctx, recorderKey{}, rec), a.String())
	if len(got) == 0 {
		return nil, err
	}
	valid := map[string]bool{}
	for _, n := range got {
		valid[n] = true
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []string
	for _, n := range rec.ptr {
		if valid[n] {
			out = append(out, strings.TrimSuffix(n, "."))
		}
	}
	return out, nil
}
