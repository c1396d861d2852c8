// Package ipaddr is heartbeatd's built-in IPaddr and IPaddr2 resources: the service
// address of a haresources group, added on start, announced by gratuitous ARP, removed
// on stop, with the defaults heartbeat 3.0.6's agents use.
//
//   - The argument is haresources' address[/bits[/interface][/broadcast]]. Missing
//     interface and prefix length come from the connected route that covers the address
//     (IPaddr's findif); a missing broadcast is the highest address of the subnet.
//   - IPaddr puts the address on an alias label, the given one ("eth0:1") or the first
//     free "eth0:N"; IPaddr2 adds it without a label unless one is given.
//   - IPaddr announces it with 10 ARP request/reply pairs 500 ms apart, IPaddr2 with 5
//     pairs 200 ms apart, in the background as the agents do by default.
//   - IPaddr2 and IPv6addr take IPv6 addresses: see ipv6.go.
//   - status is "running" when the address is on some interface, "stopped" otherwise.
//   - Hidden, for sites whose IPaddr was patched as the LVS manual's (it set the old
//     hidden flag on all and lo after adding the address), applies arp_ignore and
//     arp_announce instead (compat/arphidden).
package ipaddr

import (
	"context"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/lvskit/lvskit/compat/arphidden"
	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/internal/hostnet"
)

// Kind is the resource agent emulated.
type Kind string

const (
	IPaddr  Kind = "IPaddr"
	IPaddr2 Kind = "IPaddr2"
	// IPv6addr is heartbeat's IPv6 address agent (see ipv6.go).
	IPv6addr Kind = "IPv6addr"
)

// Kinds are the resources heartbeatd builds in: a haresources resource of one of these
// names runs here, and no script of that name is looked for.
var Kinds = []Kind{IPaddr, IPaddr2, IPv6addr}

// IsBuiltin reports whether a haresources resource (its script name) is one of Kinds.
func IsBuiltin(script string) bool {
	for _, k := range Kinds {
		if string(k) == script {
			return true
		}
	}
	return false
}

// Agent runs IPaddr or IPaddr2 against a host.
type Agent struct {
	Kind   Kind
	Net    hostnet.Net
	Hidden bool
	// ARP overrides the agent's default announcement when Count > 0.
	ARP hostnet.ARP
	// Log, when set, gets what the agents log but do not fail on (a failed NA).
	Log func(msg string)

	wg sync.WaitGroup
}

// Resolve works out the address to configure for arg, as the agent would.
func (a *Agent) Resolve(arg string) (hostnet.Address, error) {
	if a.Kind == IPv6addr || (a.Kind == IPaddr2 && isV6Arg(arg)) {
		return a.resolveV6(arg)
	}
	p, err := haresources.ParseIPaddr(arg)
	if err != nil {
		return hostnet.Address{}, fmt.Errorf("%s %s: %w", a.Kind, arg, err)
	}
	base, label, _ := strings.Cut(p.Interface, ":")
	if label != "" {
		label = p.Interface
	}
	bits := p.Bits
	if base == "" || bits < 0 {
		ifc, rbits, err := a.Net.RouteInterface(p.Addr)
		if err != nil {
			return hostnet.Address{}, fmt.Errorf("%s %s: %w", a.Kind, arg, err)
		}
		if base == "" {
			base = ifc
		}
		if bits < 0 {
			bits = rbits
		}
	}
	addr := hostnet.Address{Prefix: netip.PrefixFrom(p.Addr, bits), Interface: base, Label: label, Broadcast: p.Broadcast}
	if !addr.Broadcast.IsValid() {
		addr.Broadcast = lastAddr(addr.Prefix)
	}
	if a.Kind == IPaddr && addr.Label == "" {
		l, err := a.freeLabel(base)
		if err != nil {
			return hostnet.Address{}, fmt.Errorf("%s %s: %w", a.Kind, arg, err)
		}
		addr.Label = l
	}
	return addr, nil
}

func (a *Agent) freeLabel(base string) (string, error) {
	as, err := a.Net.Addresses(base)
	if err != nil {
		return "", err
	}
	used := map[string]bool{}
	for _, x := range as {
		used[x.Label] = true
	}
	for n := 0; n < 1000; n++ {
		l := base + ":" + strconv.Itoa(n)
		if !used[l] {
			return l, nil
		}
	}
	return "", fmt.Errorf("no free alias label on %s", base)
}

// lastAddr is the highest address of the prefix: the broadcast address heartbeat's
// agents default to (the address itself for a /32).
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	if p.Bits() == 0 {
		host = ^uint32(0)
	}
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// where finds the interface holding addr, "" if none.
func (a *Agent) where(addr netip.Addr) (string, error) {
	as, err := a.Net.Addresses("")
	if err != nil {
		return "", err
	}
	for _, x := range as {
		if x.Prefix.Addr() == addr {
			return x.Interface, nil
		}
	}
	return "", nil
}

// Status is "running" when the address is configured, "stopped" otherwise: words
// ResourceManager's status test recognises.
func (a *Agent) Status(arg string) (string, error) {
	addr, err := a.serviceAddr(arg)
	if err != nil {
		return "", err
	}
	ifc, err := a.where(addr)
	if err != nil {
		return "", err
	}
	if ifc != "" {
		return "running", nil
	}
	return "stopped", nil
}

// Start adds the address (nothing to do if it is already configured) and starts the
// gratuitous ARP announcement in the background; ctx bounds the announcement.
func (a *Agent) Start(ctx context.Context, arg string) error {
	if a.Kind == IPv6addr || (a.Kind == IPaddr2 && isV6Arg(arg)) {
		return a.startV6(ctx, arg)
	}
	addr, err := a.Resolve(arg)
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
	if a.Hidden {
		for _, s := range arphidden.Settings(true, "lo") {
			if err := a.Net.SetSysctl(s.Name, s.Value); err != nil {
				return fmt.Errorf("%s %s: %w", a.Kind, arg, err)
			}
		}
	}
	arp := hostnet.ARPIPaddr
	if a.Kind == IPaddr2 {
		arp = hostnet.ARPIPaddr2
	}
	if a.ARP.Count > 0 {
		arp = a.ARP
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		// A failed announcement is logged by the daemon through the error it gets from
		// Wait; the address itself is up, which is what matters for the resource.
		_ = a.Net.SendGratuitousARP(ctx, addr.Interface, addr.Prefix.Addr(), arp)
	}()
	return nil
}

// Wait waits for background announcements to end.
func (a *Agent) Wait() { a.wg.Wait() }

// Stop removes the address from whichever interface holds it; stopping a stopped
// address succeeds, as resource scripts must.
func (a *Agent) Stop(arg string) error {
	addr, err := a.serviceAddr(arg)
	if err != nil {
		return err
	}
	ifc, err := a.where(addr)
	if err != nil || ifc == "" {
		return err
	}
	if err := a.Net.DelAddress(hostnet.Address{Prefix: netip.PrefixFrom(addr, addr.BitLen()), Interface: ifc}); err != nil {
		return fmt.Errorf("%s %s: %w", a.Kind, arg, err)
	}
	return nil
}

var hiddenWrite = regexp.MustCompile(`/proc/sys/net/ipv4/conf/[^/\s]+/hidden`)

// HiddenPatched reports whether an IPaddr script sets the old hidden ARP flag, as the
// LVS manual's patched add_interface does; heartbeatd then sets Agent.Hidden.
func HiddenPatched(script []byte) bool { return hiddenWrite.Match(script) }
