// Package lvsarp is lvs-arp (cmd/lvs-arp): it switches a node between the LVS
// real-server and director ARP roles, what the manual did with the "hidden" kernel patch
// (Part II: rc.local on the real servers, /etc/init.d/lvs start and stop), done the way
// current kernels need it. Call it from rc.local or a heartbeat resource script:
//
//	lvs-arp realserver -i eth0 --vip 10.144.43.185      # rc.local, "lvs stop"
//	lvs-arp director   -i eth0 --vip 10.144.43.185      # "lvs start"
//	lvs-arp status     -i eth0 --vip 10.144.43.185
//	lvs-arp announce   -i eth0 --vip 10.144.43.185      # "lvs start", once the table is up
//
// realserver sets net.ipv4.conf.{all,IFACE}.arp_ignore=1 and arp_announce=2 (see
// compat/arphidden: the kernel takes the maximum of "all" and the interface) and then
// adds each VIP as a /32 on lo (label lo:0), so the node accepts the VIP's packets that
// a DR director sends it without answering ARP for the VIP or announcing it. With
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
// status prints the settings and the role they amount to, and exits 0 for realserver
// or director, 1 for a mix of both (for example hidden on all but the VIP not on lo).
package lvsarp

import (
	"context"
	"fmt"
	"github.com/lvskit/lvskit/internal/buildinfo"
	"io"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/lvskit/lvskit/compat/arphidden"
	"github.com/lvskit/lvskit/internal/hostnet"
)

// Usage is lvs-arp --help.
const Usage = `usage: lvs-arp realserver|director|status|announce [-i IFACE]... [--vip ADDR]... [--vip-dev DEV]
  realserver   hide the VIPs from ARP (arp_ignore=1, arp_announce=2 on all and IFACE)
               and hold them as /32 on DEV: a DR or TUN real server, a standby director
  director     the reverse: VIPs off DEV, arp_ignore and arp_announce back to 0
  status       print the settings and the role they amount to (exit 1 when mixed)
  announce     gratuitous ARP for the VIPs on IFACE (the VIPs must be on IFACE)
  -i, --interface IFACE   interface the ARP requests come in on (default eth0; repeatable)
      --vip ADDR          a virtual IP (repeatable)
      --vip-dev DEV       where a real server holds the VIPs: lo (LVS/DR, default) or
                          tunl0 (LVS/TUN)
      --count N           announce: request/reply pairs to send (default 3)
      --interval DUR      announce: time between pairs (default 200ms)
      --version           lvskit's build
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
		a, err := netip.ParseAddr(v)
		if err != nil || !a.Is4() {
			fmt.Fprintf(stderr, "lvs-arp: --vip %q: want an IPv4 address\n", v)
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

type config struct {
	ifaces []string
	vips   []netip.Addr
	vipDev string
}

func (c config) vipAddress(a netip.Addr) hostnet.Address {
	return hostnet.Address{Prefix: netip.PrefixFrom(a, 32), Interface: c.vipDev, Label: c.vipDev + ":0"}
}

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
	if err := setAll(h, arphidden.Settings(true, c.hideOn()...)); err != nil {
		return err
	}
	if c.vipDev == "tunl0" && len(c.vips) > 0 {
		if err := h.LinkUp("tunl0"); err != nil {
			return fmt.Errorf("tunl0 (is the ipip module loaded?): %w", err)
		}
		for _, n := range []string{"net.ipv4.conf.tunl0.rp_filter", "net.ipv4.conf.all.rp_filter"} {
			if err := h.SetSysctl(n, "0"); err != nil {
				return fmt.Errorf("sysctl %s=0: %w", n, err)
			}
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
	return setAll(h, arphidden.Settings(false, c.hideOn()...))
}

// announce sends the first pair of every announcement before it returns, so its
// status says whether the announcement went out, and leaves the repeats to a detached
// copy of itself (as heartbeat's IPaddr leaves them to send_arp in the background): a
// director taking over need not wait for them before starting its next resource.
// repeat is that copy: it waits one interval, then sends the rest.
func (c config) announce(h Host, arp hostnet.ARP, repeat bool) error {
	if repeat {
		time.Sleep(arp.Interval)
	}
	for _, ifc := range c.ifaces {
		for _, a := range c.vips {
			ok, err := h.HasAddress(ifc, a)
			if err != nil {
				return err
			}
			if !ok {
				return fmt.Errorf("announce: %v is not on %s", a, ifc)
			}
		}
	}
	now := arp
	if !repeat {
		now.Count = 1
	}
	for _, ifc := range c.ifaces {
		for _, a := range c.vips {
			if err := h.SendGratuitousARP(context.Background(), ifc, a, now); err != nil {
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

// status reads each setting; the role is realserver when every interface ARP requests
// arrive on is effectively hidden (the maximum of all and the interface) and every VIP
// is on the VIP device, director when none is hidden and no VIP is there.
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
	held, absent := 0, 0
	for _, a := range c.vips {
		ok, err := h.HasAddress(c.vipDev, a)
		if err != nil {
			return "", nil, err
		}
		if ok {
			held++
			lines = append(lines, fmt.Sprintf("vip %s on %s", a, c.vipDev))
		} else {
			absent++
			lines = append(lines, fmt.Sprintf("vip %s not on %s", a, c.vipDev))
		}
	}
	switch {
	case hidden == len(c.ifaces) && absent == 0:
		return "realserver", lines, nil
	case shown == len(c.ifaces) && held == 0:
		return "director", lines, nil
	}
	return "mixed", lines, nil
}
