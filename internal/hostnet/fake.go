package hostnet

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"sync"
)

// Fake is an in-memory Net: it keeps addresses and sysctls, records every call, and
// fails an operation on demand.
type Fake struct {
	mu      sync.Mutex
	addrs   map[Address]bool
	routes  map[netip.Prefix]string
	sysctls map[string]string
	dadSeq  map[netip.Addr][]DAD
	// Calls is the log of calls, one line each ("add 10.0.0.1/24 dev eth0 label eth0:0").
	Calls []string
	// Fail maps an operation ("add", "del", "arp", "na", "sysctl", "route") to the error it
	// returns.
	Fail map[string]error
}

var _ Net = (*Fake)(nil)

// NewFake makes a Fake with connected routes (prefix → interface).
func NewFake(routes map[netip.Prefix]string) *Fake {
	return &Fake{addrs: map[Address]bool{}, routes: routes, sysctls: map[string]string{}, dadSeq: map[netip.Addr][]DAD{}, Fail: map[string]error{}}
}

func (f *Fake) call(op, format string, args ...any) error {
	f.Calls = append(f.Calls, op+" "+fmt.Sprintf(format, args...))
	return f.Fail[op]
}

func (f *Fake) AddAddress(a Address) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("add", "%v", a); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	f.addrs[a] = true
	return nil
}

func (f *Fake) DelAddress(a Address) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("del", "%v", a); err != nil {
		return err
	}
	for x := range f.addrs {
		if x.Interface == a.Interface && x.Prefix.Addr() == a.Prefix.Addr() {
			delete(f.addrs, x)
		}
	}
	return nil
}

func (f *Fake) HasAddress(iface string, addr netip.Addr) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for x := range f.addrs {
		if x.Interface == iface && x.Prefix.Addr() == addr {
			return true, nil
		}
	}
	return false, nil
}

// Addresses lists the addresses of iface ("" for all), sorted.
func (f *Fake) Addresses(iface string) ([]Address, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Address
	for a := range f.addrs {
		if iface == "" || a.Interface == iface {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, nil
}

// List is the configured addresses as strings, sorted, for tests.
func (f *Fake) List() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s []string
	for a := range f.addrs {
		s = append(s, a.String())
	}
	sort.Strings(s)
	return s
}

func (f *Fake) RouteInterface(addr netip.Addr) (string, int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("route", "%v", addr); err != nil {
		return "", 0, err
	}
	best, bits := "", -1
	for p, ifc := range f.routes {
		if p.Contains(addr) && p.Bits() > bits {
			best, bits = ifc, p.Bits()
		}
	}
	if bits < 0 {
		return "", 0, fmt.Errorf("no connected route covers %v", addr)
	}
	return best, bits, nil
}

func (f *Fake) SendGratuitousARP(_ context.Context, iface string, addr netip.Addr, arp ARP) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.call("arp", "%s %v count=%d interval=%v", iface, addr, arp.Count, arp.Interval)
}

func (f *Fake) SendUnsolicitedNA(_ context.Context, iface string, addr netip.Addr, na NA) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.call("na", "%s %v count=%d interval=%v", iface, addr, na.Count, na.Interval)
}

// SetDAD sets the DAD state DADState reports for a configured addr (DADDone when unset);
// the states given are reported in turn, the last one from then on.
func (f *Fake) SetDAD(addr netip.Addr, states ...DAD) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.dadSeq[addr] = states
}

func (f *Fake) DADState(iface string, addr netip.Addr) (DAD, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	present := false
	for x := range f.addrs {
		if x.Interface == iface && x.Prefix.Addr() == addr {
			present = true
		}
	}
	if !present {
		return DADAbsent, nil
	}
	if seq := f.dadSeq[addr]; len(seq) > 0 {
		st := seq[0]
		if len(seq) > 1 {
			f.dadSeq[addr] = seq[1:]
		}
		return st, nil
	}
	return DADDone, nil
}

func (f *Fake) Sysctl(name string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.sysctls[name]
	if !ok {
		return "", fmt.Errorf("sysctl %s: no such setting", name)
	}
	return v, nil
}

func (f *Fake) SetSysctl(name, value string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.call("sysctl", "%s=%s", name, value); err != nil {
		return err
	}
	f.sysctls[name] = value
	return nil
}
