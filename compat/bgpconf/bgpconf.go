// Package bgpconf types /etc/lvskit/bgp.conf, lvs-bgp's one config file: which routers
// a director speaks BGP to and which VIPs it announces to them while healthy.
//
// The format is ha.cf's spirit: one directive a line, its values separated by blanks,
// '#' to the end of the line a comment, blank lines ignored.
//
//	router-id 10.0.0.11                     # IPv4, required
//	local-as 65011                          # 1..4294967295, asplain or asdot (1.10)
//	neighbor 10.0.0.1 remote-as 65000 [hold-time 3] [keepalive 1] [port 179]
//	                                  [passive] [local-address A]
//	vip 10.0.0.100                          # /32 (/128 for IPv6) while healthy
//	vip 2001:db8::100 port 80 tcp           # only this IPVS service's health counts
//	check-interval 1s                       # IPVS poll period (default 1s)
//	drain-time 10s                          # graceful stop: withdraw, wait, exit (default 5s)
//	mode standalone | heartbeat             # default standalone
//	next-hop self | ADDR                    # once per address family; default self
//
// hold-time and keepalive are whole seconds (a BGP OPEN carries seconds); hold-time is
// 0 (no keepalives, the session never times out) or at least 3 (RFC 4271 4.2), and
// keepalive, when the hold time is not 0, is at least 1 and below it. Their defaults,
// 3 and 1, make a dead director's path leave the router within 3 s (the router keeps
// a path until hold-time after the last keepalive it got).
//
// Parse is pure: bytes in, a Config or every problem found out, each an *Error naming
// file:line and what was expected.
package bgpconf

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/lvskit/lvskit/internal/ipvs"
)

// DefaultPath is where lvs-bgp reads its config.
const DefaultPath = "/etc/lvskit/bgp.conf"

// Defaults and bounds.
const (
	DefaultHoldTime      = 3 * time.Second
	DefaultKeepalive     = time.Second
	DefaultPort          = 179
	DefaultCheckInterval = time.Second
	DefaultDrainTime     = 5 * time.Second
	// MinCheckInterval keeps a typo ("1ms") from polling the kernel a thousand times a
	// second; MaxCheckInterval keeps the health verdict from going stale past any hold
	// time a router would sensibly use.
	MinCheckInterval = 100 * time.Millisecond
	MaxCheckInterval = time.Minute
	// MaxDrainTime bounds a graceful stop: systemd's default stop timeout is 90 s.
	MaxDrainTime = time.Minute
	// maxHoldTime is the 16-bit field of the OPEN message.
	maxHoldTime = 65535
	// maxLine bounds one line; the longest legitimate one is a neighbor with every
	// option, well under 200 bytes.
	maxLine = 4 << 10
	// asTrans (RFC 6793) is a placeholder for 4-byte AS numbers, never a real AS.
	asTrans = 23456
)

// Mode says what decides whether a healthy VIP is announced.
type Mode int

const (
	// Standalone announces every healthy VIP.
	Standalone Mode = iota
	// Heartbeat announces a healthy VIP only while heartbeat's "bgp" resource for it
	// is started (lvs-bgp's control socket: announce VIP / withdraw VIP).
	Heartbeat
)

func (m Mode) String() string {
	if m == Heartbeat {
		return "heartbeat"
	}
	return "standalone"
}

// Neighbor is one BGP peer (a router).
type Neighbor struct {
	Addr         netip.Addr
	RemoteAS     uint32
	HoldTime     time.Duration // 0 or >= 3 s, whole seconds
	Keepalive    time.Duration // < HoldTime, whole seconds; 0 when HoldTime is 0
	Port         uint16
	Passive      bool       // wait for the router to connect
	LocalAddress netip.Addr // invalid: the kernel's choice
	Line         int
}

// VIP is one address announced as a host route while healthy.
type VIP struct {
	Addr netip.Addr
	// Port and Protocol, when Protocol is not 0, narrow the health check to that one
	// IPVS virtual service; otherwise every service on Addr counts.
	Port     uint16
	Protocol ipvs.Protocol
	Line     int
}

// Prefix is the host route announced for v: /32 or /128.
func (v VIP) Prefix() netip.Prefix { return netip.PrefixFrom(v.Addr, v.Addr.BitLen()) }

// String is "ADDR" or "ADDR port P proto" as written in the file.
func (v VIP) String() string {
	if v.Protocol == 0 {
		return v.Addr.String()
	}
	return fmt.Sprintf("%s port %d %s", v.Addr, v.Port, strings.ToLower(v.Protocol.String()))
}

// Config is bgp.conf, typed.
type Config struct {
	RouterID      netip.Addr
	LocalAS       uint32
	Neighbors     []Neighbor
	VIPs          []VIP
	CheckInterval time.Duration
	DrainTime     time.Duration
	Mode          Mode
	// NextHop4 and NextHop6 are the next hops announced for IPv4 and IPv6 VIPs;
	// invalid means "self" (the session's local address).
	NextHop4, NextHop6 netip.Addr
}

// VIP returns the configured VIP with address a.
func (c *Config) VIP(a netip.Addr) (VIP, bool) {
	for _, v := range c.VIPs {
		if v.Addr == a.Unmap() {
			return v, true
		}
	}
	return VIP{}, false
}

// Error is one problem, tied to a line of the file (Line 0: the whole file).
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Errors is every problem Parse found, in file order; errors.As finds each *Error.
type Errors []*Error

func (es Errors) Error() string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n")
}

// Unwrap lets errors.As and errors.Is see each problem.
func (es Errors) Unwrap() []error {
	l := make([]error, len(es))
	for i, e := range es {
		l[i] = e
	}
	return l
}

// List returns err's problems one by one (err itself when it is not an Errors).
func List(err error) []error {
	var es Errors
	if errors.As(err, &es) {
		return es.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
