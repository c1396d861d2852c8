// Package lvsalert is lvs-alert: the manual's lvs.alert (a mon alert that takes a real
// server out of an IPVS service when mon says it is down and puts it back when mon says
// it is up), done through the ipvs.Client instead of a shell running ipvsadm.
//
// Parse turns the command line (mon's alert arguments followed by the ones configured in
// mon.cf) into a Request; Apply brings the IPVS table to what the Request asks for,
// idempotently; Main ties both to an exit status for cmd/lvs-alert.
package lvsalert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/lvskit/lvskit/internal/ipvs"
	"github.com/spf13/pflag"
)

// DefaultDrainTimeout bounds --drain when it is given without a value.
const DefaultDrainTimeout = 60 * time.Second

// Request is what one lvs-alert invocation asks for.
type Request struct {
	Service ipvs.ServiceKey
	Dest    ipvs.DestKey
	// Up adds (or restores) the real server; otherwise it is removed.
	Up      bool
	Weight  int32        // with Up
	Forward ipvs.Forward // with Up
	// Drain, when non-zero, makes a removal gentle: weight 0 first, then wait until the
	// real server has no active connections or Drain has passed, then delete.
	Drain time.Duration
	// Warnings are problems in flags the request does not use (e.g. a bad -F on a down
	// alert): lvs.alert ignored those flags, so they must not stop a removal.
	Warnings []string
}

// UsageError is bad input on the command line; Main exits 2 for it.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// ErrHelp is returned by Parse for --help, ErrVersion for --version.
var (
	ErrHelp    = errors.New("help requested")
	ErrVersion = errors.New("version requested")
)

// Resolver looks up host and service names, as ipvsadm does for -t/-r arguments
// (/etc/hosts, /etc/services). *net.Resolver satisfies it.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
	LookupPort(ctx context.Context, network, service string) (int, error)
}

// Usage is printed for --help and after a usage error.
const Usage = `Usage: lvs-alert [mon's alert arguments] -P tcp|udp -V vip:port -R realserver[:port]
                 [-W weight] [-F dr|nat|tun] [-u] [--drain[=TIMEOUT]]
       lvs-alert [mon's alert arguments] -f fwmark -R realserver[:port] ...

The manual's lvs.alert for mon: without -u it removes the real server from the
virtual service; with -u (mon passes it for an upalert) it adds it back.

  -P tcp|udp          protocol of the virtual service (sctp also accepted)
  -V vip:port         virtual service address; [v6addr]:port for IPv6; host and
                      service names are looked up as ipvsadm does
  -f fwmark           a firewall-mark virtual service instead of -P/-V (lvskit
                      extension; IPv6 mark when -R is an IPv6 address)
  -R realserver[:port]  the real server; the port defaults to the service's
  -W weight           weight to add it with (required with -u)
  -F dr|nat|tun       forwarding method to add it with (default dr)
  -u                  up: add the real server (mon passes -u for upalerts; the
                      manual's "-u 1" is accepted: as with lvs.alert's getopts,
                      reading stops at the first non-option, here the 1)
  --drain[=TIMEOUT]   when removing: set weight 0, wait until its active
                      connections reach 0 or TIMEOUT passes (default 60s;
                      Go duration or seconds), then delete (lvskit extension)

Accepted and ignored, as lvs.alert did: -s service -g group -h hosts -t time
-l time, and mon's -a -D -T -O (an alert with those removes, as lvs.alert did).
Adding a server already present (its weight and method are set to the asked
ones) or removing an absent one is not an error. Exit 0 on success, 1 when
IPVS refused a change, 2 for bad arguments. --version names lvskit's build.
`

// durationFlag is --drain's value: a Go duration or a number of seconds.
type durationFlag struct{ d *time.Duration }

func (f durationFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return ""
	}
	return f.d.String()
}

func (f durationFlag) Set(s string) error {
	d, err := parseDuration(s)
	if err != nil {
		return err
	}
	*f.d = d
	return nil
}

func (durationFlag) Type() string { return "duration" }

func parseDuration(s string) (time.Duration, error) {
	if n, err := strconv.ParseUint(s, 10, 32); err == nil {
		if n == 0 {
			return 0, errors.New("must be more than 0")
		}
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a duration (e.g. 30s, 2m, or a number of seconds)", s)
	}
	if d <= 0 {
		return 0, errors.New("must be more than 0")
	}
	return d, nil
}

// Parse reads lvs-alert's command line (without the program name).
func Parse(ctx context.Context, args []string, r Resolver) (Request, error) {
	fs := pflag.NewFlagSet("lvs-alert", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	// Getopt::Std stops at the first argument that is not an option (the "1" of the
	// manual's "-u 1"); so does this, so the same lines mean the same thing.
	fs.SetInterspersed(false)
	// mon's alert arguments. lvs.alert's getopts("s:g:h:t:l:P:V:R:W:F:u") consumed
	// -s -g -h -t -l and never used them; -a -D -T -O were unknown options it warned
	// about and then went on as a down alert.
	for _, n := range []string{"s", "g", "h", "t", "l"} {
		fs.StringP("mon-"+n, n, "", "")
	}
	monFlags := map[string]*bool{}
	for _, n := range []string{"a", "D", "T", "O"} {
		monFlags[n] = fs.BoolP("mon-"+n, n, false, "")
	}
	proto := fs.StringP("protocol", "P", "", "")
	vip := fs.StringP("virtual", "V", "", "")
	fwmark := fs.StringP("fwmark", "f", "", "")
	rs := fs.StringP("real", "R", "", "")
	weight := fs.StringP("weight", "W", "", "")
	fwd := fs.StringP("forward", "F", "", "")
	up := fs.BoolP("up", "u", false, "")
	var drain time.Duration
	fs.Var(durationFlag{&drain}, "drain", "")
	fs.Lookup("drain").NoOptDefVal = DefaultDrainTimeout.String()
	help := fs.Bool("help", false, "")
	version := fs.Bool("version", false, "")

	if err := fs.Parse(args); err != nil {
		return Request{}, usagef("%v", err)
	}
	if *help {
		return Request{}, ErrHelp
	}
	if *version {
		return Request{}, ErrVersion
	}
	req := Request{Up: *up, Drain: drain}
	// Positional arguments (the "1" of the manual's "-u 1") are ignored, as lvs.alert's
	// getopts left them unread; options after them too, but that is worth a warning.
	if rest := fs.Args(); len(rest) > 1 {
		req.Warnings = append(req.Warnings, fmt.Sprintf("ignored %q: options after the non-option %q are not read (as lvs.alert did)", rest[1:], rest[0]))
	}
	for _, n := range []string{"a", "D", "T", "O"} {
		if *monFlags[n] && !req.Up {
			req.Warnings = append(req.Warnings, fmt.Sprintf("mon's -%s alert is handled as a down alert, as lvs.alert did", n))
		}
	}
	if req.Up && req.Drain != 0 {
		return Request{}, usagef("--drain: only applies when removing a real server (without -u)")
	}

	// The virtual service.
	switch {
	case *fwmark != "" && *vip != "":
		return Request{}, usagef("-f and -V: give one virtual service, either -V vip:port or -f fwmark")
	case *fwmark != "" && *proto != "":
		return Request{}, usagef("-P: a firewall-mark service (-f) has no protocol; drop -P")
	case *fwmark == "" && *vip == "":
		return Request{}, usagef("-V: missing; expected the virtual service as -V vip:port (or -f fwmark)")
	}
	if *rs == "" {
		return Request{}, usagef("-R: missing; expected the real server as -R address[:port]")
	}

	var p ipvs.Protocol
	network := "tcp"
	if *fwmark == "" {
		switch strings.ToLower(*proto) {
		case "tcp":
			p = ipvs.TCP
		case "udp":
			p, network = ipvs.UDP, "udp"
		case "sctp":
			p, network = ipvs.SCTP, "sctp"
		case "":
			return Request{}, usagef("-P: missing; expected -P tcp or -P udp")
		default:
			return Request{}, usagef("-P: %q is not a protocol; expected tcp or udp", *proto)
		}
		addr, port, err := parseHostPort(ctx, r, *vip, network)
		if err != nil {
			return Request{}, usagef("-V: %v; expected vip:port, e.g. -V 10.144.43.185:8080", err)
		}
		req.Service = ipvs.ServiceKey{Family: family(addr), Protocol: p, Addr: addr, Port: port}
	} else {
		m, err := strconv.ParseUint(*fwmark, 0, 32)
		if err != nil || m == 0 {
			return Request{}, usagef("-f: %q is not a firewall mark; expected an integer greater than zero", *fwmark)
		}
		req.Service = ipvs.ServiceKey{Family: ipvs.FamilyIPv4, FWMark: uint32(m)}
	}

	addr, port, err := parseHostPort(ctx, r, *rs, network)
	if err != nil {
		return Request{}, usagef("-R: %v; expected address[:port], e.g. -R 10.144.43.175", err)
	}
	if req.Service.IsFWMark() {
		req.Service.Family = family(addr)
	} else if port == 0 {
		port = req.Service.Port
	}
	req.Dest = ipvs.DestKey{Addr: addr, Port: port}

	// -W and -F only matter when adding; lvs.alert did not look at them otherwise, so a
	// mistake there must not keep a dead server in the table.
	w, werr := parseWeight(*weight)
	f, ferr := parseForward(*fwd)
	if req.Up {
		if werr != nil {
			return Request{}, werr
		}
		if ferr != nil {
			return Request{}, ferr
		}
		if family(addr) != req.Service.Family && f != ipvs.Tunnel {
			// The kernel allows a real server of the other family only when tunnelled.
			return Request{}, usagef("-R: %s is not of the virtual service's address family (only -F tun allows that)", addr)
		}
	} else {
		if werr != nil && *weight != "" {
			req.Warnings = append(req.Warnings, werr.Error()+" (ignored when removing)")
		}
		if ferr != nil {
			req.Warnings = append(req.Warnings, ferr.Error()+" (ignored when removing)")
		}
	}
	req.Weight, req.Forward = w, f
	return req, nil
}

func parseWeight(s string) (int32, error) {
	if s == "" {
		return 0, usagef("-W: missing; adding a real server (-u) needs its weight, e.g. -W 5")
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 {
		return 0, usagef("-W: %q is not a weight; expected an integer from 0 to %d", s, int32(^uint32(0)>>1))
	}
	return int32(n), nil
}

func parseForward(s string) (ipvs.Forward, error) {
	switch strings.ToLower(s) {
	case "", "dr":
		// lvs.alert used -g (direct routing) for anything but nat and tun; an absent -F
		// keeps that default, an unknown word is reported instead of guessed.
		return ipvs.Route, nil
	case "nat":
		return ipvs.Masq, nil
	case "tun":
		return ipvs.Tunnel, nil
	}
	return ipvs.Route, usagef("-F: %q is not a forwarding method; expected dr, nat or tun", s)
}

func family(a netip.Addr) uint16 {
	if a.Is4() {
		return ipvs.FamilyIPv4
	}
	return ipvs.FamilyIPv6
}

// parseHostPort reads host[:port] or [v6]:port, resolving names as ipvsadm does. A
// missing port is 0.
func parseHostPort(ctx context.Context, r Resolver, s, network string) (netip.Addr, uint16, error) {
	host, port := s, ""
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.Index(s, "]")
		if end < 0 {
			return netip.Addr{}, 0, fmt.Errorf("%q has no closing ]", s)
		}
		host, port = s[1:end], s[end+1:]
		if port != "" {
			if !strings.HasPrefix(port, ":") {
				return netip.Addr{}, 0, fmt.Errorf("%q: unexpected %q after ]", s, port)
			}
			port = port[1:]
			if port == "" {
				return netip.Addr{}, 0, fmt.Errorf("%q: empty port", s)
			}
		}
	case strings.Count(s, ":") == 1:
		i := strings.LastIndex(s, ":")
		host, port = s[:i], s[i+1:]
		if port == "" {
			return netip.Addr{}, 0, fmt.Errorf("%q: empty port", s)
		}
	}
	if host == "" {
		return netip.Addr{}, 0, fmt.Errorf("%q: empty address", s)
	}
	addr, err := lookupHost(ctx, r, host)
	if err != nil {
		return netip.Addr{}, 0, err
	}
	if port == "" {
		return addr, 0, nil
	}
	if n, err := strconv.ParseUint(port, 10, 16); err == nil {
		return addr, uint16(n), nil
	}
	if r == nil {
		return netip.Addr{}, 0, fmt.Errorf("%q is not a port number", port)
	}
	n, err := r.LookupPort(ctx, network, port)
	if err != nil || n <= 0 || n > 65535 {
		return netip.Addr{}, 0, fmt.Errorf("%q is neither a port number nor a known service name", port)
	}
	return addr, uint16(n), nil
}

func lookupHost(ctx context.Context, r Resolver, host string) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return netip.Addr{}, fmt.Errorf("%q: zoned addresses are not supported", host)
		}
		return a.Unmap(), nil
	}
	if r == nil {
		return netip.Addr{}, fmt.Errorf("%q is not an IP address", host)
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil || len(addrs) == 0 {
		return netip.Addr{}, fmt.Errorf("%q is neither an IP address nor a known host name", host)
	}
	// ipvsadm resolves with gethostbyname, i.e. IPv4 first.
	for _, a := range addrs {
		if a.Unmap().Is4() {
			return a.Unmap(), nil
		}
	}
	return addrs[0], nil
}
