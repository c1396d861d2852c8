// Package lvsarp is lvs-arp (cmd/lvs-arp): it switches a node between the LVS
// real-server and director ARP roles, what the manual did with the "hidden" kernel patch
// (Part II: rc.local on the real servers, /etc/init.d/lvs start and stop), done the way
// current kernels need it. Call it from rc.local or a heartbeat resource script:
//
//	lvs-arp realserver -i eth0 --vip 10.144.43.185      # rc.local, "lvs stop"
//	lvs-arp director   -i eth0 --vip 10.144.43.185      # "lvs start"
//	lvs-arp status     -i eth0 --vip 10.144.43.185
//	lvs-arp announce   -i eth0 --vip 10.144.43.185      # "lvs start", once the table is up
//	lvs-arp realserver -i eth0 --vip 10.144.43.185 --vip 2001:db8::185
//
// realserver sets net.ipv4.conf.{all,IFACE}.arp_ignore=1 and arp_announce=2 (see
// compat/arphidden: the kernel takes the maximum of "all" and the interface) and then
// adds each IPv4 VIP as a /32 on lo (label lo:0), so the node accepts the VIP's packets
// that a DR director sends it without answering ARP for the VIP or announcing it. With
// --vip-dev tunl0 (LVS/TUN) the VIP goes on tunl0 instead, which is brought up, and
// rp_filter is turned off on it and on "all" (decapsulated packets come in on tunl0
// from addresses routed through eth0). director does the reverse in the reverse order:
// the VIPs leave --vip-dev first, then the sysctls go back to 0. Putting the VIP on eth0
// stays the job of heartbeat's IPaddr (or /etc/init.d/lvs). Both are idempotent.
//
// announce sends gratuitous ARP for each VIP on each interface (request and reply
// pairs, as heartbeat's send_arp: --count pairs --interval apart), so the gateway sends
// the VIP's traffic to this node now rather than when its ARP entry expires. A director
// that takes over calls it after its IPVS table is in place: announced earlier, the
// traffic reaches a node with no IPVS service yet, whose own stack resets it (IPVS
// handles nothing in a network namespace until its first service exists).
//
// IPv6 VIPs (--vip takes both families, mixed) need none of those settings. Measured
// on Linux 6.18 in network namespaces (cmd/lvs-arp's TestIntegrationNetns6), with the
// VIP on lo: a neighbour solicitation for the VIP that comes in on eth0 is not
// answered, multicast (eth0 does not join the VIP's solicited-node group; lo does) or
// unicast (the probes of a neighbour whose stale entry still names this node: the
// kernel looks the target up among the receiving interface's own addresses only),
// while one for the node's eth0 address is; and the node, answering a client from the
// VIP, solicits the client from its link-local address, not from the VIP (the kernel
// takes the packet's source for a solicitation only when it is an address of that
// interface), which is what arp_announce=2 does for IPv4. Only proxy NDP (forwarding,
// proxy_ndp and an "ip -6 neigh add proxy" entry for the VIP) would answer for it, and
// lvs-arp sets none of that. So realserver adds an IPv6 VIP to lo as a /128 (a shorter
// prefix would route the rest of it to lo too) without duplicate address detection
// (nodad: the director holds the same address by design), director removes it, and
// both set the ARP sysctls only when an IPv4 VIP is given (or none at all).
//
// With --vip-dev tunl0 an IPv6 VIP goes on ip6tnl0, the ip6_tunnel module's fallback
// device, where the IPv6-in-IPv6 packets IPVS sends a tunnelled real server of an IPv6
// service arrive (it is brought up; IPv6 has no rp_filter). Proven with IPVS in the VM
// (cmd/lvs-arp's TestVMTunnel6), with one condition on the director: the tunnelled
// packets must not come from the VIP. ip6tnl0 drops a packet whose outer source is one
// of the real server's own addresses, the VIP is one, and the fallback device cannot
// be given allow-localremote. Linux does pick the VIP as the director's source towards
// its LAN while the VIP is preferred: as a /128 (or with the LAN's prefix, added after
// the director's own address) it wins the longest-prefix rule. So add the director's
// IPv6 VIP deprecated, "ip addr add VIP/128 dev eth0 preferred_lft 0" (IPaddr2's
// preferred_lft=0): still answered on, never a source. LVS/DR needs it too for the
// director's own connections to the real servers (health checks): from the VIP they
// go unanswered, each real server answering itself (TestIntegrationNetns6).
//
// announce sends, for an IPv6 VIP, unsolicited neighbour advertisements instead of
// gratuitous ARP (override flag set, from the VIP to all nodes, --count of them
// --interval apart, as heartbeat's send_ua), so the neighbours' entries for the VIP,
// stale ones included, move to this node's MAC. The VIP must be on the interface and
// past duplicate address detection.
//
// status prints the settings and the role they amount to, and exits 0 for realserver
// or director, 1 for a mix of both (for example hidden on all but the VIP not on lo).
package lvsarp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/lvskit/lvskit/compat/arphidden"
	"github.com/lvskit/lvskit/internal/buildinfo"
	"github.com/lvskit/lvskit/internal/hostnet"
)

// Usage is lvs-arp --help.
const Usage = `usage: lvs-arp realserver|director|status|announce [-i IFACE]... [--vip ADDR]... [--vip-dev DEV]
  realserver   hide the IPv4 VIPs from ARP (arp_ignore=1, arp_announce=2 on all and
               IFACE) and hold the VIPs on DEV, IPv4 as /32, IPv6 as /128 nodad (Linux
               answers no neighbour solicitation on IFACE for an address on DEV): a DR
               or TUN real server, a standby director
  director     the reverse: VIPs off DEV, arp_ignore and arp_announce back to 0
  status       print the settings and the role they amount to (exit 1 when mixed)
  announce     gratuitous ARP (IPv4) or unsolicited neighbour advertisements (IPv6)
               for the VIPs on IFACE (the VIPs must be on IFACE)
  -i, --interface IFACE   interface the ARP requests and neighbour solicitations come
                          in on (default eth0; repeatable)
      --vip ADDR          a virtual IP, IPv4 or IPv6 (repeatable)
      --vip-dev DEV       where a real server holds the VIPs: lo (LVS/DR, default) or
                          tunl0 (LVS/TUN; IPv6 VIPs go on ip6tnl0)
      --count N           announce: request/reply pairs (IPv4) or advertisements
                          (IPv6) to send (default 3)
      --interval DUR      announce: time between them (default 200ms)
      --version           lvskit's build
An IPv6 VIP on a director's IFACE wants preferred_lft 0 (ip addr add VIP/128 dev IFACE
preferred_lft 0): preferred, it is the director's source towards the real servers,
which hold it themselves (see lvs-arp(8)).
`

// Host is what lvs-arp needs from the system: hostnet's addresses and sysctls, and
// bringing an interface up (tunl0 is down when the ipip module creates it). NewHost
// returns this machine's.
type Host interface {
	hostnet.Net
	LinkUp(name string) error
	// Detach runs lvs-arp again with args, in the background and in a session of its
	// own, and returns once it has started.
	Detach(args []string) error
}

// Main runs lvs-arp with args (without the program name) on h and returns its exit
// status: 0 done (status: a role), 1 failed (status: mixed), 2 a bad command line.
func Main(args []string, stdout, stderr io.Writer, h Host) int {
	fs := pflag.NewFlagSet("lvs-arp", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	ifaces := fs.StringArrayP("interface", "i", nil, "")
	vips := fs.StringArray("vip", nil, "")
	vipDev := fs.String("vip-dev", "lo", "")
	count := fs.Int("count", 3, "")
	interval := fs.Duration("interval", 200*time.Millisecond, "")
	// --repeat: the detached rest of an announcement (see announce).
	repeat := fs.Bool("repeat", false, "")
	_ = fs.MarkHidden("repeat")
	help := fs.BoolP("help", "h", false, "")
	version := fs.Bool("version", false, "")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "lvs-arp: %v\n%s", err, Usage)
		return 2
	}
	if *help {
		fmt.Fprint(stdout, Usage)
		return 0
	}
	if *version {
		fmt.Fprintln(stdout, buildinfo.String("lvs-arp"))
		return 0
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, Usage)
		return 2
	}
	if len(*ifaces) == 0 {
		*ifaces = []string{"eth0"}
	}
	var addrs []netip.Addr
	for _, v := range *vips {
		a, err := parseVIP(v)
		if err != nil {
			fmt.Fprintf(stderr, "lvs-arp: --vip %q: %v\n", v, err)
			return 2
		}
		addrs = append(addrs, a)
	}
	if *vipDev != "lo" && *vipDev != "tunl0" {
		fmt.Fprintf(stderr, "lvs-arp: --vip-dev %q: not implemented (lo for LVS/DR, tunl0 for LVS/TUN)\n", *vipDev)
		return 2
	}
	c := config{ifaces: *ifaces, vips: addrs, vipDev: *vipDev}
	var err error
	switch fs.Arg(0) {
	case "realserver":
		err = c.realServer(h)
	case "director":
		err = c.director(h)
	case "announce":
		if len(addrs) == 0 {
			fmt.Fprintf(stderr, "lvs-arp: announce: no --vip given\n")
			return 2
		}
		if *count < 1 || *count > 100 || *interval < 0 || *interval > 10*time.Second {
			fmt.Fprintf(stderr, "lvs-arp: announce: --count must be 1..100 and --interval 0..10s\n")
			return 2
		}
		err = c.announce(h, hostnet.ARP{Count: *count, Interval: *interval}, *repeat)
	case "status":
		role, lines, err := c.status(h)
		if err != nil {
			fmt.Fprintf(stderr, "lvs-arp: %v\n", err)
			return 2
		}
		for _, l := range lines {
			fmt.Fprintln(stdout, l)
		}
		fmt.Fprintf(stdout, "role: %s\n", role)
		if role == "mixed" {
			return 1
		}
		return 0
	default:
		fmt.Fprintf(stderr, "lvs-arp: unknown action %q\n%s", fs.Arg(0), Usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "lvs-arp: %v\n", err)
		return 1
	}
	return 0
}

// parseVIP takes an IPv4 address or an IPv6 one a node can hold as a service address:
// not link-local (a VIP is routed to), multicast, loopback, unspecified, zoned or an
// IPv4-mapped address (give the IPv4 address).
func parseVIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	switch {
	case err != nil:
		return netip.Addr{}, errors.New("want an IPv4 or IPv6 address")
	case a.Is4():
		return a, nil
	case a.Is4In6():
		return netip.Addr{}, fmt.Errorf("an IPv4-mapped IPv6 address: give the IPv4 address %v", a.Unmap())
	case a.Zone() != "":
		return netip.Addr{}, errors.New("want an IPv6 address without a zone")
	case a.IsLinkLocalUnicast(), a.IsMulticast(), a.IsLoopback(), a.IsUnspecified():
		return netip.Addr{}, errors.New("want a unicast IPv6 address that is not link-local, loopback or ::")
	}
	return a, nil
}

type config struct {
	ifaces []string
	vips   []netip.Addr
	vipDev string
}

// ip6tnl0 is where an LVS/TUN real server holds an IPv6 VIP: the fallback device of
// the ip6_tunnel module, which takes the IPv6-in-IPv6 packets IPVS sends a tunnelled
// real server of an IPv6 service, as tunl0 takes IPIP.
const ip6tnl0 = "ip6tnl0"

// devFor is where a real server holds VIP a: --vip-dev, or for an IPv6 VIP with
// --vip-dev tunl0, ip6tnl0.
func (c config) devFor(a netip.Addr) string {
	if a.Is6() && c.vipDev == "tunl0" {
		return ip6tnl0
	}
	return c.vipDev
}

// vipAddress is VIP a as the real server holds it: an IPv4 VIP a /32 labelled DEV:0;
// an IPv6 one a /128 (IPv6 has no labels) added without duplicate address detection,
// which would find the director holding it.
func (c config) vipAddress(a netip.Addr) hostnet.Address {
	if a.Is6() {
		return hostnet.Address{Prefix: netip.PrefixFrom(a, 128), Interface: c.devFor(a), NoDAD: true}
	}
	return hostnet.Address{Prefix: netip.PrefixFrom(a, 32), Interface: c.vipDev, Label: c.vipDev + ":0"}
}

// has4 and has6 say whether an IPv4 or IPv6 VIP was given.
func (c config) has4() bool { return slices.ContainsFunc(c.vips, netip.Addr.Is4) }
func (c config) has6() bool { return slices.ContainsFunc(c.vips, netip.Addr.Is6) }

// arp says whether the ARP sysctls are lvs-arp's business: when an IPv4 VIP is given,
// or none at all (the settings alone, as before IPv6); IPv6 VIPs need none of them.
func (c config) arp() bool { return len(c.vips) == 0 || c.has4() }

// hideOn is where the ARP sysctls are set: the interfaces ARP requests arrive on and,
// as the manual set hidden on lo (or tunl0), the VIP's device.
func (c config) hideOn() []string { return append(append([]string{}, c.ifaces...), c.vipDev) }

func setAll(h Host, ss []arphidden.Sysctl) error {
	for _, s := range ss {
		if err := h.SetSysctl(s.Name, s.Value); err != nil {
			return fmt.Errorf("sysctl %s=%s: %w", s.Name, s.Value, err)
		}
	}
	return nil
}

func (c config) realServer(h Host) error {
	// Hidden first, then the VIP: never a moment with the VIP on lo answering ARP.
	if c.arp() {
		if err := setAll(h, arphidden.Settings(true, c.hideOn()...)); err != nil {
			return err
		}
	}
	if c.vipDev == "tunl0" && c.has4() {
		if err := h.LinkUp("tunl0"); err != nil {
			return fmt.Errorf("tunl0 (is the ipip module loaded?): %w", err)
		}
		for _, n := range []string{"net.ipv4.conf.tunl0.rp_filter", "net.ipv4.conf.all.rp_filter"} {
			if err := h.SetSysctl(n, "0"); err != nil {
				return fmt.Errorf("sysctl %s=0: %w", n, err)
			}
		}
	}
	if c.vipDev == "tunl0" && c.has6() {
		if err := h.LinkUp(ip6tnl0); err != nil {
			return fmt.Errorf("%s, for the IPv6 VIPs (is the ip6_tunnel module loaded?): %w", ip6tnl0, err)
		}
	}
	for _, a := range c.vips {
		if err := h.AddAddress(c.vipAddress(a)); err != nil {
			return err
		}
	}
	return nil
}

func (c config) director(h Host) error {
	for _, a := range c.vips {
		if err := h.DelAddress(c.vipAddress(a)); err != nil {
			return err
		}
	}
	if !c.arp() {
		return nil
	}
	return setAll(h, arphidden.Settings(false, c.hideOn()...))
}

// announce sends the first pair (or, for an IPv6 VIP, the first neighbour
// advertisement) of every announcement before it returns, so its status says whether
// the announcement went out, and leaves the repeats to a detached copy of itself (as
// heartbeat's IPaddr leaves them to send_arp in the background): a director taking
// over need not wait for them before starting its next resource. repeat is that copy:
// it waits one interval, then sends the rest.
func (c config) announce(h Host, arp hostnet.ARP, repeat bool) error {
	if repeat {
		time.Sleep(arp.Interval)
	}
	for _, ifc := range c.ifaces {
		for _, a := range c.vips {
			if err := canAnnounce(h, ifc, a); err != nil {
				return fmt.Errorf("announce: %w", err)
			}
		}
	}
	now := arp
	if !repeat {
		now.Count = 1
	}
	for _, ifc := range c.ifaces {
		for _, a := range c.vips {
			var err error
			if a.Is4() {
				err = h.SendGratuitousARP(context.Background(), ifc, a, now)
			} else {
				err = h.SendUnsolicitedNA(context.Background(), ifc, a, hostnet.NA{Count: now.Count, Interval: now.Interval})
			}
			if err != nil {
				return err
			}
		}
	}
	if repeat || arp.Count == 1 {
		return nil
	}
	args := []string{"announce", "--repeat", "--count", strconv.Itoa(arp.Count - 1), "--interval", arp.Interval.String()}
	for _, ifc := range c.ifaces {
		args = append(args, "-i", ifc)
	}
	for _, a := range c.vips {
		args = append(args, "--vip", a.String())
	}
	if err := h.Detach(args); err != nil {
		return fmt.Errorf("announce: repeats: %w", err)
	}
	return nil
}

// canAnnounce checks that a is on ifc, and an IPv6 a past duplicate address
// detection: a tentative address cannot be the advertisements' source, and one that
// failed DAD is another node's.
func canAnnounce(h Host, ifc string, a netip.Addr) error {
	if a.Is4() {
		ok, err := h.HasAddress(ifc, a)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%v is not on %s", a, ifc)
		}
		return nil
	}
	st, err := h.DADState(ifc, a)
	if err != nil {
		return err
	}
	switch st {
	case hostnet.DADAbsent:
		return fmt.Errorf("%v is not on %s", a, ifc)
	case hostnet.DADTentative:
		return fmt.Errorf("%v is still tentative on %s (duplicate address detection not done): announce it once DAD is over, or add it nodad", a, ifc)
	case hostnet.DADFailed:
		return fmt.Errorf("%v failed duplicate address detection on %s: another node holds it", a, ifc)
	}
	return nil
}

// status reads each setting; the role is realserver when every interface ARP requests
// arrive on is effectively hidden (the maximum of all and the interface) and every VIP
// is on the VIP device (ip6tnl0 for an IPv6 VIP with tunl0), director when none is
// hidden and no VIP is there. With IPv6 VIPs only the ARP settings are neither read
// nor counted: they do not hide an IPv6 address, and need not.
func (c config) status(h Host) (string, []string, error) {
	get := func(n string) (int, error) {
		v, err := h.Sysctl(n)
		if err != nil {
			return 0, err
		}
		var i int
		if _, err := fmt.Sscan(strings.TrimSpace(v), &i); err != nil {
			return 0, fmt.Errorf("sysctl %s: %q: %w", n, v, err)
		}
		return i, nil
	}
	var lines []string
	hidden, shown := 0, 0
	if c.arp() {
		for _, ifc := range c.ifaces {
			var eff [2]int
			for i, k := range []string{"arp_ignore", "arp_announce"} {
				all, err := get("net.ipv4.conf.all." + k)
				if err != nil {
					return "", nil, err
				}
				one, err := get("net.ipv4.conf." + ifc + "." + k)
				if err != nil {
					return "", nil, err
				}
				eff[i] = max(all, one)
				lines = append(lines, fmt.Sprintf("%s %s=%d (all %d, %s %d)", ifc, k, eff[i], all, ifc, one))
			}
			if eff[0] >= 1 && eff[1] >= 2 {
				hidden++
			} else if eff[0] == 0 && eff[1] == 0 {
				shown++
			}
		}
	}
	held, absent := 0, 0
	for _, a := range c.vips {
		dev := c.devFor(a)
		ok, err := h.HasAddress(dev, a)
		if err != nil {
			return "", nil, err
		}
		if ok {
			held++
			lines = append(lines, fmt.Sprintf("vip %s on %s", a, dev))
		} else {
			absent++
			lines = append(lines, fmt.Sprintf("vip %s not on %s", a, dev))
		}
	}
	switch {
	case (!c.arp() || hidden == len(c.ifaces)) && absent == 0:
		return "realserver", lines, nil
	case (!c.arp() || shown == len(c.ifaces)) && held == 0:
		return "director", lines, nil
	}
	return "mixed", lines, nil
}
