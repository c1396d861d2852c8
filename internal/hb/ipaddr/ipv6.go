package ipaddr

import (
	"context"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/internal/hostnet"
)

// IPv6 service addresses. heartbeat 3.0.6 has two ways to name one in haresources:
//
// heartbeat's ResourceManager splits a resource's arguments at "::", so an address is
// written in haresources without "::" (IPv6addr::2001:db8:6:0:0:0:0:100/64/eth0); a
// compressed one reaches the agent cut in two and fails, as with the original.
//
//   - IPv6addr::address[/bits[/interface]]: the IPv6addr agent. It adds the address
//     with DAD, waits for DAD to end, and sends 5 unsolicited neighbour advertisements
//     1 s apart before start returns (start takes about 7 s).
//   - IPaddr2::address[/bits[/interface]]: the OCF IPaddr2 agent handles IPv6 (add with
//     DAD, wait for it, send_ua -i 200 -c 5: 5 NAs 200 ms apart, in the foreground), but
//     3.0.6's haresources wrapper sets lvs_support=1, which that agent refuses for IPv6
//     ("The IPv6 does not support lvs_support", exit 6): with the original an IPv6
//     IPaddr2 line never starts. heartbeatd runs it as the OCF agent would.
//
// The NAs go from the address to ff02::1 with the override flag and the interface's
// MAC as target link-layer address. A missing interface or prefix length comes from
// the connected route covering the address.

// isV6Arg reports whether a haresources argument names an IPv6 address (an IPv4 one
// may hold a colon only in its interface label, after a slash).
func isV6Arg(arg string) bool {
	a, _, _ := strings.Cut(arg, "/")
	return strings.Contains(a, ":")
}

// v6Arg is a parsed IPv6 argument.
type v6Arg struct {
	Addr      netip.Addr
	Bits      int    // -1 when not given
	Interface string // "" when not given
}

// parseV6 parses address[/bits[/interface]] as kind's wrapper splits it. IPaddr2's
// wrapper takes a fourth field (broadcast) and a third that starts with a digit as a
// broadcast, meaningless for IPv6: both are refused rather than ignored.
func parseV6(kind Kind, arg string) (v6Arg, error) {
	p := v6Arg{Bits: -1}
	parts := strings.Split(arg, "/")
	a, err := netip.ParseAddr(parts[0])
	if err != nil || !a.Is6() || a.Is4In6() || a.Zone() != "" {
		return p, fmt.Errorf("%s %s: %q is not an IPv6 address (haresources splits arguments at \"::\", as heartbeat does: write the address in full, 2001:db8:6:0:0:0:0:100)", kind, arg, parts[0])
	}
	if !a.IsGlobalUnicast() {
		return p, fmt.Errorf("%s %s: %v is not a global unicast address", kind, arg, a)
	}
	p.Addr = a
	if len(parts) > 3 {
		return p, fmt.Errorf("%s %s: want address[/bits[/interface]] (IPv6 has no broadcast)", kind, arg)
	}
	if len(parts) > 1 && parts[1] != "" {
		n, err := strconv.Atoi(parts[1])
		if err != nil || n < 0 || n > 128 {
			return p, fmt.Errorf("%s %s: prefix length %q is not 0-128", kind, arg, parts[1])
		}
		p.Bits = n
	}
	if len(parts) > 2 && parts[2] != "" {
		ifc := parts[2]
		switch {
		case ifc[0] >= '0' && ifc[0] <= '9':
			return p, fmt.Errorf("%s %s: %q is a broadcast, which IPv6 has not", kind, arg, ifc)
		case strings.Contains(ifc, ":"):
			return p, fmt.Errorf("%s %s: %q: IPv6 addresses take no alias label", kind, arg, ifc)
		}
		p.Interface = ifc
	}
	return p, nil
}

// resolveV6 fills in the interface and prefix length from the connected route.
func (a *Agent) resolveV6(arg string) (hostnet.Address, error) {
	p, err := parseV6(a.Kind, arg)
	if err != nil {
		return hostnet.Address{}, err
	}
	if p.Interface == "" || p.Bits < 0 {
		ifc, bits, err := a.Net.RouteInterface(p.Addr)
		if err != nil {
			return hostnet.Address{}, fmt.Errorf("%s %s: %w", a.Kind, arg, err)
		}
		if p.Interface == "" {
			p.Interface = ifc
		}
		if p.Bits < 0 {
			p.Bits = bits
		}
	}
	return hostnet.Address{Prefix: netip.PrefixFrom(p.Addr, p.Bits), Interface: p.Interface}, nil
}

// na is the announcement kind's agent sends, or the Agent's override.
func (a *Agent) na() hostnet.NA {
	if a.ARP.Count > 0 {
		return hostnet.NA{Count: a.ARP.Count, Interval: a.ARP.Interval}
	}
	if a.Kind == IPv6addr {
		return hostnet.NAIPv6addr
	}
	return hostnet.NAIPaddr2
}

// DADTimeout bounds the wait for DAD, as IPaddr2's ten 1 s polls do; DADPoll is how
// often heartbeatd looks.
var (
	DADTimeout = 10 * time.Second
	DADPoll    = 100 * time.Millisecond
)

// startV6 adds the address, waits for DAD (removing the address if another node has
// it), then announces it in the foreground.
func (a *Agent) startV6(ctx context.Context, arg string) error {
	addr, err := a.resolveV6(arg)
	if err != nil {
		return err
	}
	if ifc, err := a.where(addr.Prefix.Addr()); err != nil {
		return err
	} else if ifc != "" {
		return nil
	}
	if err := a.Net.AddAddress(addr); err != nil {
		return fmt.Errorf("%s %s: %w", a.Kind, arg, err)
	}
	deadline := time.Now().Add(DADTimeout)
	for {
		st, err := a.Net.DADState(addr.Interface, addr.Prefix.Addr())
		if err != nil {
			return fmt.Errorf("%s %s: %w", a.Kind, arg, err)
		}
		if st == hostnet.DADFailed {
			_ = a.Net.DelAddress(addr)
			return fmt.Errorf("%s %s: IPv6 address collision %v [DAD]", a.Kind, arg, addr.Prefix.Addr())
		}
		if st != hostnet.DADTentative {
			break
		}
		if time.Now().After(deadline) {
			// IPaddr2 warns and goes on; the NAs then fail, which is logged.
			break
		}
		t := time.NewTimer(DADPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
	if err := a.Net.SendUnsolicitedNA(ctx, addr.Interface, addr.Prefix.Addr(), a.na()); err != nil {
		// The agents log a failed send_ua and still succeed: the address is up.
		a.logf("%s %s: %v", a.Kind, arg, err)
	}
	return nil
}

func (a *Agent) logf(format string, args ...any) {
	if a.Log != nil {
		a.Log(fmt.Sprintf(format, args...))
	}
}

// serviceAddr is the address an argument names, IPv4 or IPv6, for status and stop.
func (a *Agent) serviceAddr(arg string) (netip.Addr, error) {
	if a.Kind == IPv6addr || isV6Arg(arg) {
		if a.Kind == IPaddr {
			return netip.Addr{}, fmt.Errorf("%s %s: IPaddr is IPv4 only (IPaddr2 and IPv6addr take IPv6)", a.Kind, arg)
		}
		p, err := parseV6(a.Kind, arg)
		return p.Addr, err
	}
	p, err := haresources.ParseIPaddr(arg)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%s %s: %w", a.Kind, arg, err)
	}
	return p.Addr, nil
}
