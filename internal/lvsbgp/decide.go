package lvsbgp

import (
	"net/netip"

	"github.com/lvskit/lvskit/compat/bgpconf"
	"github.com/lvskit/lvskit/internal/ipvs"
)

// Table is one read of the IPVS table: the services and each one's real servers.
type Table struct {
	Services []ipvs.ServiceInfo
	Dests    map[ipvs.ServiceKey][]ipvs.DestinationInfo
}

// Healthy is mond's verdict read back from the table: a VIP is healthy while at least
// one virtual service on its address (or the one service its vip line names) has at
// least one real server of weight above 0. mond's lvs.alert sets a dead real server's
// weight to 0 or deletes it, so a site's mon.cf decides without a change.
// Firewall-mark services have no address and count for no VIP.
func Healthy(vips []bgpconf.VIP, t Table) map[netip.Addr]bool {
	h := make(map[netip.Addr]bool, len(vips))
	for _, v := range vips {
		h[v.Addr] = false
		for _, s := range t.Services {
			k := s.Key
			if k.IsFWMark() || k.Addr.Unmap() != v.Addr {
				continue
			}
			if v.Protocol != 0 && (k.Protocol != v.Protocol || k.Port != v.Port) {
				continue
			}
			for _, d := range t.Dests[k] {
				if d.Weight > 0 {
					h[v.Addr] = true
				}
			}
		}
	}
	return h
}

// FailuresBeforeUnhealthy is how many IPVS reads in a row must fail before every VIP
// counts as unhealthy. One failed read is more likely the reader's trouble (a deadline
// missed on a loaded director, a netlink buffer overrun during a large dump) than the
// table's; withdrawing on it would pull every VIP of this director from the routers,
// and put them back a second later, on a hiccup. Three in a row (3 s at the default
// check-interval) stays within a router's 3 s hold time, the order of time a dead
// director takes to be noticed anyway.
const FailuresBeforeUnhealthy = 3

// Verdict keeps the health verdict across reads: the last good read's verdict holds
// through up to FailuresBeforeUnhealthy-1 failed reads.
type Verdict struct {
	last  map[netip.Addr]bool
	fails int
}

// Observe takes one read's outcome (health from Healthy, or err) and returns the
// verdict to act on and the consecutive failures so far.
func (v *Verdict) Observe(health map[netip.Addr]bool, err error) (map[netip.Addr]bool, int) {
	if err == nil {
		v.fails = 0
		v.last = health
		return health, 0
	}
	v.fails++
	if v.fails >= FailuresBeforeUnhealthy {
		v.last = nil
	}
	return v.last, v.fails
}

// Want is which VIPs to announce: in standalone mode every healthy VIP; in heartbeat
// mode a healthy VIP only while heartbeat holds it (its bgp resource started).
func Want(cfg *bgpconf.Config, healthy, held map[netip.Addr]bool) map[netip.Addr]bool {
	w := map[netip.Addr]bool{}
	for _, v := range cfg.VIPs {
		if healthy[v.Addr] && (cfg.Mode == bgpconf.Standalone || held[v.Addr]) {
			w[v.Addr] = true
		}
	}
	return w
}
