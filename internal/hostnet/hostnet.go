// Package hostnet is what heartbeatd's built-in IPaddr and IPaddr2 resources need from
// the host: add and remove a service address (with an alias label such as "eth0:0"),
// announce it with gratuitous ARP as heartbeat's send_arp does, find the interface whose
// route covers an address (IPaddr's findif), and read and write the ARP sysctls.
//
// Net is the interface; Linux (netlink, AF_PACKET, /proc/sys) implements it on Linux,
// other systems get a "not implemented" error, and Fake records calls for tests.
package hostnet

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// Address is a service address on an interface.
type Address struct {
	Prefix    netip.Prefix // address and prefix length
	Interface string       // base interface, e.g. "eth0"
	Label     string       // alias label, e.g. "eth0:0"; "" for none
	Broadcast netip.Addr   // zero for none; IPv4 only
	// NoDAD adds an IPv6 address without Duplicate Address Detection (IFA_F_NODAD,
	// "ip addr add ... nodad"): usable at once instead of tentative for a second or two.
	NoDAD bool
}

func (a Address) String() string {
	s := a.Prefix.String() + " dev " + a.Interface
	if a.Label != "" {
		s += " label " + a.Label
	}
	if a.Broadcast.IsValid() {
		s += " brd " + a.Broadcast.String()
	}
	if a.NoDAD {
		s += " nodad"
	}
	return s
}

// Validate checks what the kernel would refuse less clearly: an IPv4 address, and a
// label that starts with the interface name (the kernel's rule for IPv4 labels), or an
// IPv6 address without label or broadcast (IPv6 has neither).
func (a Address) Validate() error {
	if a.Prefix.IsValid() && a.Prefix.Addr().Is6() && !a.Prefix.Addr().Is4In6() {
		if a.Interface == "" {
			return errors.New("address " + a.Prefix.String() + ": no interface")
		}
		if a.Label != "" || a.Broadcast.IsValid() {
			return fmt.Errorf("address %v: an IPv6 address takes no label or broadcast", a.Prefix)
		}
		return nil
	}
	if !a.Prefix.IsValid() || !a.Prefix.Addr().Is4() {
		return fmt.Errorf("address %v: want an IPv4 or IPv6 address with a prefix length", a.Prefix)
	}
	if a.NoDAD {
		return fmt.Errorf("address %v: nodad is for IPv6 addresses", a.Prefix)
	}
	if a.Interface == "" {
		return errors.New("address " + a.Prefix.String() + ": no interface")
	}
	if a.Label != "" && (!strings.HasPrefix(a.Label, a.Interface) || len(a.Label) > 15) {
		return fmt.Errorf("label %q: must start with the interface name %q and be at most 15 characters", a.Label, a.Interface)
	}
	return nil
}

// ARP says how a gratuitous ARP announcement is sent: Count pairs (an ARP request and an
// ARP reply, as heartbeat's send_arp sends, because some hosts heed only one of them),
// Interval apart, each packet half an interval after the previous.
type ARP struct {
	Count    int
	Interval time.Duration
}

// The announcements of heartbeat 3.0.6's resource agents: IPaddr sends 10 pairs 500 ms
// apart, IPaddr2 5 pairs 200 ms apart (ARP_REPEAT/ARP_INTERVAL_MS, arp_count/arp_interval
// defaults).
var (
	ARPIPaddr  = ARP{Count: 10, Interval: 500 * time.Millisecond}
	ARPIPaddr2 = ARP{Count: 5, Interval: 200 * time.Millisecond}
)

// NA says how an IPv6 address is announced: Count unsolicited neighbour advertisements
// (override flag, target and source the address, to ff02::1, target link-layer address
// the interface's MAC), Interval apart.
type NA struct {
	Count    int
	Interval time.Duration
}

// The announcements of heartbeat 3.0.6's agents for IPv6 (seen on the wire): IPaddr2
// runs send_ua -i 200 -c 5 (5 NAs 200 ms apart), IPv6addr sends 5 NAs 1 s apart; both
// in the foreground, after the address has passed DAD.
var (
	NAIPaddr2  = NA{Count: 5, Interval: 200 * time.Millisecond}
	NAIPv6addr = NA{Count: 5, Interval: time.Second}
)

// DAD is the Duplicate Address Detection state of an IPv6 address.
type DAD int

const (
	DADDone      DAD = iota // usable (or IPv4, or added with nodad)
	DADTentative            // still being checked
	DADFailed               // another node has it
	DADAbsent               // not configured on the interface
)

func (d DAD) String() string {
	return [...]string{"done", "tentative", "dadfailed", "absent"}[d]
}

// Net is the host's network configuration as heartbeatd uses it.
type Net interface {
	// AddAddress adds a; adding one already present is not an error.
	AddAddress(a Address) error
	// DelAddress removes a; removing one absent is not an error.
	DelAddress(a Address) error
	// HasAddress reports whether addr is configured on iface (any prefix length).
	HasAddress(iface string, addr netip.Addr) (bool, error)
	// Addresses lists the IPv4 and global IPv6 addresses of iface (not link-local
	// ones), or of every interface when iface is "".
	Addresses(iface string) ([]Address, error)
	// RouteInterface is the interface and prefix length of the connected route that
	// covers addr, the defaults IPaddr takes when haresources gives neither.
	RouteInterface(addr netip.Addr) (iface string, bits int, err error)
	// SendGratuitousARP announces addr on iface; it returns when all packets are sent
	// or ctx ends.
	SendGratuitousARP(ctx context.Context, iface string, addr netip.Addr, arp ARP) error
	// SendUnsolicitedNA announces the IPv6 addr on iface; it returns when all
	// advertisements are sent or ctx ends.
	SendUnsolicitedNA(ctx context.Context, iface string, addr netip.Addr, na NA) error
	// DADState is the DAD state of addr on iface.
	DADState(iface string, addr netip.Addr) (DAD, error)
	// Sysctl reads a sysctl by dotted name ("net.ipv4.conf.all.arp_ignore").
	Sysctl(name string) (string, error)
	// SetSysctl writes one.
	SetSysctl(name, value string) error
}

// ErrNotImplemented is returned on systems without an implementation.
var ErrNotImplemented = errors.New("hostnet: not implemented on this system")

// sysctlPath maps a dotted sysctl name to its /proc/sys path, refusing names that could
// leave /proc/sys.
func sysctlPath(name string) (string, error) {
	if name == "" || strings.Contains(name, "/") || strings.Contains(name, "..") {
		return "", fmt.Errorf("sysctl %q: want a dotted name such as net.ipv4.conf.all.arp_ignore", name)
	}
	// Interface names may contain dots; only the fixed prefix levels are split here.
	parts := strings.SplitN(name, ".", 5)
	if len(parts) == 5 && parts[0] == "net" && (parts[1] == "ipv4" || parts[1] == "ipv6") && parts[2] == "conf" {
		i := strings.LastIndexByte(parts[3]+"."+parts[4], '.')
		rest := parts[3] + "." + parts[4]
		return "/proc/sys/net/" + parts[1] + "/conf/" + rest[:i] + "/" + rest[i+1:], nil
	}
	return "/proc/sys/" + strings.ReplaceAll(name, ".", "/"), nil
}
