package bgpconf

import (
	"bytes"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/lvskit/lvskit/internal/ipvs"
)

type parser struct {
	file string
	errs Errors
	c    Config
	seen map[string]int // single-valued directive -> line first given
	nh   [2]int         // line of next-hop for IPv4, IPv6
}

func (p *parser) errorf(line int, format string, args ...any) {
	p.errs = append(p.errs, &Error{File: p.file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// Parse types data, the contents of file (named in the errors). It returns the Config,
// or nil and an Errors holding every problem found.
func Parse(file string, data []byte) (*Config, error) {
	p := &parser{file: file, seen: map[string]int{}}
	p.c.CheckInterval = DefaultCheckInterval
	p.c.DrainTime = DefaultDrainTime
	for n, raw := range bytes.Split(data, []byte("\n")) {
		line := n + 1
		if len(raw) > maxLine {
			p.errorf(line, "line longer than %d bytes", maxLine)
			continue
		}
		s := string(raw)
		if i := strings.IndexByte(s, '#'); i >= 0 {
			s = s[:i]
		}
		f := strings.Fields(s)
		if len(f) == 0 {
			continue
		}
		p.directive(line, f[0], f[1:])
	}
	p.whole()
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return &p.c, nil
}

func (p *parser) once(line int, name string) bool {
	if first, ok := p.seen[name]; ok {
		p.errorf(line, "%s given again (first on line %d)", name, first)
		return false
	}
	p.seen[name] = line
	return true
}

// one checks that a single-valued directive has exactly one value.
func (p *parser) one(line int, name, what string, args []string) (string, bool) {
	if len(args) != 1 {
		p.errorf(line, "%s: want one value, %s; got %d", name, what, len(args))
		return "", false
	}
	return args[0], p.once(line, name)
}

func (p *parser) directive(line int, name string, args []string) {
	switch name {
	case "router-id":
		v, ok := p.one(line, name, "an IPv4 address", args)
		if !ok {
			return
		}
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is4() || a.IsUnspecified() {
			p.errorf(line, "router-id: want an IPv4 address other than 0.0.0.0, got %q", v)
			return
		}
		p.c.RouterID = a
	case "local-as":
		v, ok := p.one(line, name, "an AS number", args)
		if !ok {
			return
		}
		as, err := parseAS(v)
		if err != nil {
			p.errorf(line, "local-as: %v", err)
			return
		}
		p.c.LocalAS = as
	case "neighbor":
		p.neighbor(line, args)
	case "vip":
		p.vip(line, args)
	case "check-interval":
		v, ok := p.one(line, name, "a duration (1s, 500ms)", args)
		if !ok {
			return
		}
		d, err := parseDuration(v)
		if err == nil && (d < MinCheckInterval || d > MaxCheckInterval) {
			err = fmt.Errorf("want %v to %v, got %v", MinCheckInterval, MaxCheckInterval, d)
		}
		if err != nil {
			p.errorf(line, "check-interval: %v", err)
			return
		}
		p.c.CheckInterval = d
	case "drain-time":
		v, ok := p.one(line, name, "a duration (10s)", args)
		if !ok {
			return
		}
		d, err := parseDuration(v)
		if err == nil && d > MaxDrainTime {
			err = fmt.Errorf("want at most %v, got %v", MaxDrainTime, d)
		}
		if err != nil {
			p.errorf(line, "drain-time: %v", err)
			return
		}
		p.c.DrainTime = d
	case "mode":
		v, ok := p.one(line, name, "standalone or heartbeat", args)
		if !ok {
			return
		}
		switch v {
		case "standalone":
			p.c.Mode = Standalone
		case "heartbeat":
			p.c.Mode = Heartbeat
		default:
			p.errorf(line, "mode: want standalone or heartbeat, got %q", v)
		}
	case "next-hop":
		p.nextHop(line, args)
	default:
		p.errorf(line, "unknown directive %q: want router-id, local-as, neighbor, vip, check-interval, drain-time, mode or next-hop", name)
	}
}

func (p *parser) nextHop(line int, args []string) {
	if len(args) != 1 {
		p.errorf(line, "next-hop: want one value, self or an address; got %d", len(args))
		return
	}
	if args[0] == "self" {
		if !p.once(line, "next-hop self") {
			return
		}
		if p.nh[0] != 0 || p.nh[1] != 0 {
			p.errorf(line, "next-hop self: an address is given too")
		}
		return
	}
	a, err := netip.ParseAddr(args[0])
	if err != nil || a.Zone() != "" || a.IsUnspecified() || a.IsMulticast() {
		p.errorf(line, "next-hop: want self or a unicast address, got %q", args[0])
		return
	}
	a = a.Unmap()
	fam := 0
	if a.Is6() {
		fam = 1
	}
	if first := p.nh[fam]; first != 0 {
		p.errorf(line, "next-hop for IPv%d given again (first on line %d)", 4+2*fam, first)
		return
	}
	if first, ok := p.seen["next-hop self"]; ok {
		p.errorf(line, "next-hop %s: next-hop self is given too (line %d)", a, first)
		return
	}
	p.nh[fam] = line
	if fam == 0 {
		p.c.NextHop4 = a
	} else {
		p.c.NextHop6 = a
	}
}

// addr parses a unicast address without a zone.
func addr(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("want an IPv4 or IPv6 address, got %q", s)
	}
	a = a.Unmap()
	if a.IsUnspecified() || a.IsMulticast() || (a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255})) {
		return netip.Addr{}, fmt.Errorf("want a unicast address, got %s", a)
	}
	return a, nil
}

func (p *parser) neighbor(line int, args []string) {
	if len(args) < 3 || args[1] != "remote-as" {
		p.errorf(line, "neighbor: want ADDR remote-as AS [hold-time S] [keepalive S] [port N] [passive] [local-address A]")
		return
	}
	a, err := addr(args[0])
	if err != nil {
		p.errorf(line, "neighbor: %v", err)
		return
	}
	n := Neighbor{Addr: a, Port: DefaultPort, Line: line}
	if n.RemoteAS, err = parseAS(args[2]); err != nil {
		p.errorf(line, "neighbor %s: remote-as: %v", a, err)
		return
	}
	holdSet, kaSet := false, false
	seen := map[string]bool{}
	for i := 3; i < len(args); i++ {
		opt := args[i]
		if seen[opt] {
			p.errorf(line, "neighbor %s: %s given twice", a, opt)
			return
		}
		seen[opt] = true
		if opt == "passive" {
			n.Passive = true
			continue
		}
		if i+1 >= len(args) {
			switch opt {
			case "hold-time", "keepalive", "port", "local-address":
				p.errorf(line, "neighbor %s: %s needs a value", a, opt)
			default:
				p.errorf(line, "neighbor %s: unknown option %q: want hold-time, keepalive, port, passive or local-address", a, opt)
			}
			return
		}
		v := args[i+1]
		i++
		switch opt {
		case "hold-time", "keepalive":
			s, err := strconv.ParseUint(v, 10, 32)
			if err != nil || s > maxHoldTime {
				p.errorf(line, "neighbor %s: %s: want whole seconds, 0 to %d, got %q", a, opt, maxHoldTime, v)
				return
			}
			if opt == "hold-time" {
				n.HoldTime, holdSet = time.Duration(s)*time.Second, true
			} else {
				n.Keepalive, kaSet = time.Duration(s)*time.Second, true
			}
		case "port":
			s, err := strconv.ParseUint(v, 10, 16)
			if err != nil || s == 0 {
				p.errorf(line, "neighbor %s: port: want 1 to 65535, got %q", a, v)
				return
			}
			n.Port = uint16(s)
		case "local-address":
			la, err := addr(v)
			if err != nil {
				p.errorf(line, "neighbor %s: local-address: %v", a, err)
				return
			}
			if la.Is4() != a.Is4() {
				p.errorf(line, "neighbor %s: local-address %s is of the other address family", a, la)
				return
			}
			n.LocalAddress = la
		default:
			p.errorf(line, "neighbor %s: unknown option %q: want hold-time, keepalive, port, passive or local-address", a, opt)
			return
		}
	}
	if !holdSet {
		n.HoldTime = DefaultHoldTime
	}
	switch {
	case n.HoldTime == 0:
		if kaSet && n.Keepalive != 0 {
			p.errorf(line, "neighbor %s: keepalive %d with hold-time 0: a session without a hold time sends no keepalives", a, n.Keepalive/time.Second)
			return
		}
		n.Keepalive = 0
	case n.HoldTime < 3*time.Second:
		p.errorf(line, "neighbor %s: hold-time %d: want 0 or at least 3 seconds (RFC 4271)", a, n.HoldTime/time.Second)
		return
	case !kaSet:
		// RFC 4271's suggestion: a third of the hold time.
		n.Keepalive = max(n.HoldTime/3/time.Second*time.Second, time.Second)
		if !holdSet {
			n.Keepalive = DefaultKeepalive
		}
	case n.Keepalive == 0 || n.Keepalive >= n.HoldTime:
		p.errorf(line, "neighbor %s: keepalive %d: want 1 to %d, below hold-time %d", a, n.Keepalive/time.Second, n.HoldTime/time.Second-1, n.HoldTime/time.Second)
		return
	}
	for _, o := range p.c.Neighbors {
		if o.Addr == n.Addr {
			p.errorf(line, "neighbor %s given again (first on line %d)", a, o.Line)
			return
		}
	}
	p.c.Neighbors = append(p.c.Neighbors, n)
}

func (p *parser) vip(line int, args []string) {
	if len(args) != 1 && len(args) != 4 || len(args) == 4 && args[1] != "port" {
		p.errorf(line, "vip: want ADDR [port N tcp|udp|sctp]")
		return
	}
	a, err := addr(args[0])
	if err != nil {
		p.errorf(line, "vip: %v", err)
		return
	}
	v := VIP{Addr: a, Line: line}
	if len(args) == 4 {
		port, err := strconv.ParseUint(args[2], 10, 16)
		if err != nil {
			p.errorf(line, "vip %s: port: want 0 to 65535, got %q", a, args[2])
			return
		}
		v.Port = uint16(port)
		switch strings.ToLower(args[3]) {
		case "tcp":
			v.Protocol = ipvs.TCP
		case "udp":
			v.Protocol = ipvs.UDP
		case "sctp":
			v.Protocol = ipvs.SCTP
		default:
			p.errorf(line, "vip %s: want tcp, udp or sctp after the port, got %q", a, args[3])
			return
		}
	}
	// One line per address: the route announced is the address's, so two lines would
	// leave open which health decides it.
	for _, o := range p.c.VIPs {
		if o.Addr == a {
			p.errorf(line, "vip %s given again (first on line %d)", a, o.Line)
			return
		}
	}
	p.c.VIPs = append(p.c.VIPs, v)
}

// whole checks what only the whole file can tell.
func (p *parser) whole() {
	if !p.c.RouterID.IsValid() {
		if _, given := p.seen["router-id"]; !given {
			p.errorf(0, "router-id missing: want router-id followed by an IPv4 address")
		}
	}
	if p.c.LocalAS == 0 {
		if _, given := p.seen["local-as"]; !given {
			p.errorf(0, "local-as missing: want local-as followed by an AS number")
		}
	}
	if len(p.c.Neighbors) == 0 && len(p.errs) == 0 {
		p.errorf(0, "no neighbor: want at least one neighbor line")
	}
	v6Neighbor := false
	for _, n := range p.c.Neighbors {
		v6Neighbor = v6Neighbor || n.Addr.Is6()
	}
	for _, v := range p.c.VIPs {
		for _, n := range p.c.Neighbors {
			if v.Addr == n.Addr {
				p.errorf(v.Line, "vip %s is neighbor %s's address (line %d)", v.Addr, n.Addr, n.Line)
			}
		}
		// Over an IPv4 session "self" is an IPv4 address, which a router rejects as
		// an IPv6 route's next hop (BIRD: "mismatched address family") and drops.
		if v.Addr.Is6() && !p.c.NextHop6.IsValid() && !v6Neighbor && len(p.c.Neighbors) > 0 {
			p.errorf(v.Line, "vip %s: an IPv6 VIP over IPv4 neighbors needs \"next-hop ADDR\" with this director's IPv6 address (self would be an IPv4 address, which routers reject for an IPv6 route)", v.Addr)
		}
	}
}

// parseAS reads an AS number: asplain (65011, 4200000000) or asdot (1.10 = 65546).
func parseAS(s string) (uint32, error) {
	var as uint64
	if hi, lo, dot := strings.Cut(s, "."); dot {
		h, err1 := strconv.ParseUint(hi, 10, 16)
		l, err2 := strconv.ParseUint(lo, 10, 16)
		if err1 != nil || err2 != nil {
			return 0, fmt.Errorf("want an AS number, 1 to 4294967295 or asdot 0.1 to 65535.65535, got %q", s)
		}
		as = h<<16 | l
	} else {
		var err error
		if as, err = strconv.ParseUint(s, 10, 32); err != nil {
			return 0, fmt.Errorf("want an AS number, 1 to 4294967295 or asdot 0.1 to 65535.65535, got %q", s)
		}
	}
	switch as {
	case 0:
		return 0, fmt.Errorf("AS 0 is reserved (RFC 7607)")
	case asTrans:
		return 0, fmt.Errorf("AS %d is AS_TRANS, a placeholder for 4-byte AS numbers (RFC 6793)", asTrans)
	case math.MaxUint32:
		return 0, fmt.Errorf("AS %d is reserved (RFC 7300)", as)
	}
	return uint32(as), nil
}

// parseDuration reads a Go duration (500ms, 1s, 1m30s) or bare seconds (ha.cf's way).
func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("want a duration such as 1s or 500ms, got %q", s)
	}
	return d, nil
}
