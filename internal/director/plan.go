// Package director brings an IPVS table to a configured state without flushing it.
//
// A director that starts, or takes over from another, finds a table that may already
// carry traffic: entries it made before a restart, entries an operator or mon's
// lvs.alert changed. Flushing it (ipvsadm -C, then the configuration) drops every
// connection those entries serve. Plan instead computes the smallest list of changes:
// it adds what is missing, edits what differs in place (an edit keeps the entry and its
// connections; delete + add would not), and removes only what the configuration says to
// remove. Apply reads the table, plans and applies through an ipvs.Client.
package director

import (
	"fmt"
	"net/netip"

	"github.com/lvskit/lvskit/internal/ipvs"
)

// Service is a virtual service with its real servers.
type Service struct {
	ipvs.Service
	Dests []ipvs.Destination
	// PruneDests removes real servers of this service that the table has and Dests
	// does not list. Off, they are left alone: they may be there on purpose.
	PruneDests bool
}

// DestRef names one real server of one service.
type DestRef struct {
	Service ipvs.ServiceKey
	Dest    ipvs.DestKey
}

// Desired is the configured state.
type Desired struct {
	Services []Service
	// RemoveServices and RemoveDests are deleted when present.
	RemoveServices []ipvs.ServiceKey
	RemoveDests    []DestRef
	// Prune deletes every service of the table that Services does not list.
	Prune bool
}

// DefaultScheduler is what the kernel is given when a Service names none (ipvsadm's
// default).
const DefaultScheduler = "wlc"

// normKey is a service's identity as the kernel keys it: a fwmark service by family
// and mark only, the family of an address service taken from its address when unset.
func normKey(k ipvs.ServiceKey) ipvs.ServiceKey {
	if k.FWMark != 0 {
		if k.Family == 0 {
			k.Family = ipvs.FamilyIPv4
		}
		return ipvs.ServiceKey{Family: k.Family, FWMark: k.FWMark}
	}
	if k.Family == 0 {
		k.Family = family(k.Addr)
	}
	return ipvs.ServiceKey{Family: k.Family, Protocol: k.Protocol, Addr: k.Addr.Unmap(), Port: k.Port}
}

func family(a netip.Addr) uint16 {
	if a.Unmap().Is4() {
		return ipvs.FamilyIPv4
	}
	return ipvs.FamilyIPv6
}

// normService fills in what the kernel fills in, so a configured service compares
// equal to the same service read back: the default scheduler and netmask, and no
// "hashed" flag (the kernel sets it on every service in its table).
func normService(s ipvs.Service) ipvs.Service {
	s.Key = normKey(s.Key)
	if s.Scheduler == "" {
		s.Scheduler = DefaultScheduler
	}
	s.Flags &^= ipvs.SvcHashed
	if s.Netmask == 0 {
		if s.Key.Family == ipvs.FamilyIPv6 {
			s.Netmask = 128
		} else {
			s.Netmask = 0xffffffff
		}
	}
	return s
}

// normDest fills in a real server's defaults: the service's port for an address
// service when none is given (as ipvsadm does), the family of its address.
func normDest(svc ipvs.ServiceKey, d ipvs.Destination) ipvs.Destination {
	d.Key.Addr = d.Key.Addr.Unmap()
	if d.Key.Port == 0 && svc.FWMark == 0 {
		d.Key.Port = svc.Port
	}
	if d.Family == 0 {
		d.Family = family(d.Key.Addr)
	}
	if d.Forward != ipvs.Tunnel {
		// Tunnel settings mean nothing to other methods; the kernel may still report
		// whatever was last set.
		d.TunType, d.TunPort, d.TunFlags = 0, 0, 0
	}
	return d
}

func sameService(a, b ipvs.Service) bool {
	return a.Scheduler == b.Scheduler && a.Flags == b.Flags && a.Timeout == b.Timeout &&
		a.Netmask == b.Netmask && a.PEName == b.PEName
}

func sameDest(a, b ipvs.Destination) bool {
	return a.Forward == b.Forward && a.Weight == b.Weight && a.UThreshold == b.UThreshold &&
		a.LThreshold == b.LThreshold && a.TunType == b.TunType && a.TunPort == b.TunPort &&
		a.TunFlags == b.TunFlags
}

// Plan returns the operations that bring current (the table as read) to desired, in
// the order to apply them: per desired service, in the configuration's order, the
// service added or edited, its real servers edited, added, then removed; then the
// services to remove. An entry that is already as configured gets no operation, so a
// second Plan over the result is empty. It fails only on a contradictory
// configuration, before anything is changed.
func Plan(current []Service, desired Desired) ([]ipvs.Op, error) {
	if err := validate(desired); err != nil {
		return nil, err
	}
	cur := map[ipvs.ServiceKey]*Service{}
	for i := range current {
		k := normKey(current[i].Key)
		cur[k] = &current[i]
	}
	removeDest := map[DestRef]bool{}
	for _, r := range desired.RemoveDests {
		k := normKey(r.Service)
		removeDest[DestRef{k, normDest(k, ipvs.Destination{Key: r.Dest}).Key}] = true
	}

	var ops []ipvs.Op
	wanted := map[ipvs.ServiceKey]bool{}
	for _, want := range desired.Services {
		ws := normService(want.Service)
		k := ws.Key
		wanted[k] = true
		have, ok := cur[k]
		if !ok {
			ops = append(ops, ipvs.Op{Kind: ipvs.OpAddService, Service: ws})
			for _, d := range want.Dests {
				ops = append(ops, ipvs.Op{Kind: ipvs.OpAddDest, Service: ws, Dest: normDest(k, d)})
			}
			continue
		}
		if hs := normService(have.Service); !sameService(hs, ws) {
			ops = append(ops, ipvs.Op{Kind: ipvs.OpUpdateService, Service: ws})
		}
		haveDests := map[ipvs.DestKey]ipvs.Destination{}
		for _, d := range have.Dests {
			d = normDest(k, d)
			haveDests[d.Key] = d
		}
		listed := map[ipvs.DestKey]bool{}
		var adds []ipvs.Op
		for _, d := range want.Dests {
			d = normDest(k, d)
			listed[d.Key] = true
			h, ok := haveDests[d.Key]
			switch {
			case !ok:
				adds = append(adds, ipvs.Op{Kind: ipvs.OpAddDest, Service: ws, Dest: d})
			case !sameDest(h, d):
				ops = append(ops, ipvs.Op{Kind: ipvs.OpUpdateDest, Service: ws, Dest: d})
			}
		}
		ops = append(ops, adds...)
		for _, d := range have.Dests {
			d = normDest(k, d)
			if listed[d.Key] {
				continue
			}
			if want.PruneDests || removeDest[DestRef{k, d.Key}] {
				ops = append(ops, ipvs.Op{Kind: ipvs.OpDelDest, Service: ws, Dest: ipvs.Destination{Key: d.Key}})
			}
		}
	}

	// Real servers to remove from services the configuration does not describe.
	for _, r := range desired.RemoveDests {
		k := normKey(r.Service)
		have, ok := cur[k]
		if !ok || wanted[k] {
			continue
		}
		dk := normDest(k, ipvs.Destination{Key: r.Dest}).Key
		for _, d := range have.Dests {
			if normDest(k, d).Key == dk {
				ops = append(ops, ipvs.Op{Kind: ipvs.OpDelDest, Service: ipvs.Service{Key: k}, Dest: ipvs.Destination{Key: dk}})
				break
			}
		}
	}

	removeSvc := map[ipvs.ServiceKey]bool{}
	for _, k := range desired.RemoveServices {
		removeSvc[normKey(k)] = true
	}
	for _, s := range current {
		k := normKey(s.Key)
		if wanted[k] {
			continue
		}
		if removeSvc[k] || desired.Prune {
			ops = append(ops, ipvs.Op{Kind: ipvs.OpDelService, Service: ipvs.Service{Key: k}})
		}
	}
	return ops, nil
}

// validate rejects a configuration that says two things about one entry.
func validate(d Desired) error {
	svcs := map[ipvs.ServiceKey]bool{}
	for _, s := range d.Services {
		k := normKey(s.Key)
		if svcs[k] {
			return fmt.Errorf("service %s is configured twice", ServiceString(k))
		}
		svcs[k] = true
		dests := map[ipvs.DestKey]bool{}
		for _, dst := range s.Dests {
			dk := normDest(k, dst).Key
			if dests[dk] {
				return fmt.Errorf("real server %s of %s is configured twice", DestString(dk), ServiceString(k))
			}
			dests[dk] = true
		}
		for _, r := range d.RemoveDests {
			if normKey(r.Service) == k && dests[normDest(k, ipvs.Destination{Key: r.Dest}).Key] {
				return fmt.Errorf("real server %s of %s is both configured and to be removed", DestString(r.Dest), ServiceString(k))
			}
		}
	}
	for _, k := range d.RemoveServices {
		if svcs[normKey(k)] {
			return fmt.Errorf("service %s is both configured and to be removed", ServiceString(normKey(k)))
		}
	}
	return nil
}

// ServiceString names a service as ipvsadm -L -n does ("TCP 10.0.0.1:80", "FWM 5").
func ServiceString(k ipvs.ServiceKey) string {
	if k.FWMark != 0 {
		if k.Family == ipvs.FamilyIPv6 {
			return fmt.Sprintf("FWM %d IPv6", k.FWMark)
		}
		return fmt.Sprintf("FWM %d", k.FWMark)
	}
	return k.Protocol.String() + " " + netip.AddrPortFrom(k.Addr, k.Port).String()
}

// DestString names a real server as ipvsadm -L -n does.
func DestString(k ipvs.DestKey) string { return netip.AddrPortFrom(k.Addr, k.Port).String() }
