// Package arphidden translates the "hidden" ARP flag of the old 2.4-kernel patch that
// the LVS manual relies on into what current kernels offer.
//
// With the patch, "echo 1 > /proc/sys/net/ipv4/conf/all/hidden" plus the same for lo
// (or tunl0) made the addresses of those interfaces invisible to ARP: a real server
// with the virtual IP on lo:0 did not answer ARP requests for it on eth0, and did not
// use it as the source of its own ARP requests. The manual's scripts set it to 1 on real
// servers (and in its patched IPaddr) and to 0 on the director while it owns the VIP.
//
// Current kernels have no "hidden"; the same effect comes from two sysctls, which the
// kernel applies per interface as the maximum of conf/all and conf/<interface>:
//
//   - arp_ignore=1: answer an ARP request only if the target address is configured on
//     the interface the request came in on (so a VIP on lo is not answered on eth0, while
//     a director's VIP on eth0:0 still is);
//   - arp_announce=2: always use the best local address of the outgoing interface as the
//     source of ARP requests (so the VIP on lo never appears as a sender).
//
// Clearing hidden sets both back to 0, the kernel default.
package arphidden

import (
	"fmt"
	"path"
	"strings"
)

// Sysctl is one setting by dotted name.
type Sysctl struct {
	Name  string
	Value string
}

// Settings are the sysctls equivalent to setting hidden on or off for the given
// interfaces ("all", "lo", "tunl0", ...). conf/all is always included, since the kernel
// takes the maximum of all and the interface.
func Settings(hidden bool, ifaces ...string) []Sysctl {
	ignore, announce := "0", "0"
	if hidden {
		ignore, announce = "1", "2"
	}
	seen := map[string]bool{}
	var out []Sysctl
	for _, ifc := range append([]string{"all"}, ifaces...) {
		if seen[ifc] {
			continue
		}
		seen[ifc] = true
		out = append(out,
			Sysctl{Name: "net.ipv4.conf." + ifc + ".arp_ignore", Value: ignore},
			Sysctl{Name: "net.ipv4.conf." + ifc + ".arp_announce", Value: announce})
	}
	return out
}

// FromProcWrite translates a write the old scripts make, such as
// "echo 1 > /proc/sys/net/ipv4/conf/lo/hidden", into the equivalent settings. It
// reports false when p is not a hidden flag.
func FromProcWrite(p, value string) ([]Sysctl, bool, error) {
	p = path.Clean(p)
	dir, file := path.Split(p)
	if file != "hidden" || !strings.HasPrefix(dir, "/proc/sys/net/ipv4/conf/") {
		return nil, false, nil
	}
	ifc := strings.TrimSuffix(strings.TrimPrefix(dir, "/proc/sys/net/ipv4/conf/"), "/")
	if ifc == "" || strings.Contains(ifc, "/") {
		return nil, false, nil
	}
	switch strings.TrimSpace(value) {
	case "0":
		return Settings(false, ifc), true, nil
	case "1":
		return Settings(true, ifc), true, nil
	}
	return nil, true, fmt.Errorf("%s: value %q: want 0 or 1", p, value)
}
