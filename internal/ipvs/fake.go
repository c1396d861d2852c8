package ipvs

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"sync"
	"syscall"
)

// Fake is a stateful in-memory IPVS for tests. It answers with the errnos the Linux
// kernel (6.1's ip_vs_ctl.c, generic netlink path) returns for the same requests, so
// code under test prints the same messages it would on a real kernel:
//
//	add service that exists            EEXIST
//	unknown scheduler or PE            ENOENT
//	IPv6 service netmask not 1..128    EINVAL
//	edit/delete/zero/get missing svc   ESRCH
//	dest op on a missing service       ESRCH
//	add dest that exists               EEXIST
//	edit/delete missing dest           ENOENT
//	dest weight < 0, lower > upper threshold   ERANGE
//	GUE tunnel without port, non-unicast dest, other family without tunnelling  EINVAL
//	start a running daemon             EEXIST;  unknown interface  ENODEV
//	stop a daemon that is not running  ESRCH
//
// Services are listed newest-first within the order the fake keeps (not the kernel's
// hash order, which depends on a per-boot pointer); destinations newest-first like the
// kernel's list. Fault injection (Fail) makes any operation return an error; every call
// is recorded (Calls). Fake is safe for concurrent use.
type Fake struct {
	mu sync.Mutex

	info     Info
	services []*fakeService // newest first
	timeouts Timeouts
	daemons  []SyncDaemon // master before backup

	schedulers map[string]bool
	pes        map[string]bool
	ifaces     map[string]int // name → MTU

	faults map[string]error
	calls  []Call
}

var _ Client = (*Fake)(nil)

type fakeService struct {
	svc   Service
	stats Stats
	dests []*DestinationInfo // newest first
}

// Call is one recorded Client call: its method name and arguments.
type Call struct {
	Op   string
	Args []any
}

func (c Call) String() string { return fmt.Sprintf("%s%v", c.Op, c.Args) }

// KernelSchedulers are the schedulers of Linux 6.1 (ipvsadm 1.31's list).
var KernelSchedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh"}

// NewFake returns an empty IPVS with version 1.2.1, a 4096-entry connection table,
// the default timeouts (900 120 300), all of KernelSchedulers, the "sip" persistence
// engine and one interface, lo (MTU 65536): like the test VM, which has no eth0.
func NewFake() *Fake {
	f := &Fake{
		info:       Info{Version: 0x010201, ConnTabSize: 4096},
		timeouts:   Timeouts{TCP: 900, TCPFin: 120, UDP: 300},
		schedulers: map[string]bool{"none": true},
		pes:        map[string]bool{"sip": true},
		ifaces:     map[string]int{"lo": 65536},
		faults:     map[string]error{},
	}
	for _, s := range KernelSchedulers {
		f.schedulers[s] = true
	}
	return f
}

// SetSchedulers replaces the set of schedulers the fake kernel knows ("none" is always
// accepted, as by the kernel).
func (f *Fake) SetSchedulers(names ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.schedulers = map[string]bool{"none": true}
	for _, n := range names {
		f.schedulers[n] = true
	}
}

// SetInterfaces replaces the network interfaces (name → MTU) sync daemons may use.
func (f *Fake) SetInterfaces(ifaces map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ifaces = map[string]int{}
	for k, v := range ifaces {
		f.ifaces[k] = v
	}
}

// SetInfo sets what Info reports.
func (f *Fake) SetInfo(i Info) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.info = i
}

// Fail makes every later call of operation op (a Client method name such as
// "AddService", or "Batch" for the batch as a whole) return err; nil removes the fault.
// A fault on a single-operation method also applies to that kind of op inside Batch.
func (f *Fake) Fail(op string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err == nil {
		delete(f.faults, op)
		return
	}
	f.faults[op] = err
}

// Calls returns the calls made so far, oldest first.
func (f *Fake) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Call(nil), f.calls...)
}

// ResetCalls forgets the recorded calls.
func (f *Fake) ResetCalls() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

// SetStats sets the counters a service reports.
func (f *Fake) SetStats(k ServiceKey, s Stats) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	svc := f.find(k)
	if svc == nil {
		return syscall.ESRCH
	}
	svc.stats = s
	return nil
}

// SetDestCounters sets the connection counters and stats a destination reports.
func (f *Fake) SetDestCounters(k ServiceKey, d DestKey, active, inact, persist uint32, s Stats) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	svc := f.find(k)
	if svc == nil {
		return syscall.ESRCH
	}
	dest := svc.findDest(d)
	if dest == nil {
		return syscall.ENOENT
	}
	dest.ActiveConns, dest.InactConns, dest.PersistConns, dest.Stats = active, inact, persist, s
	return nil
}

func (f *Fake) record(op string, args ...any) error {
	f.calls = append(f.calls, Call{Op: op, Args: args})
	return f.faults[op]
}

// normKey is the identity the kernel looks services up by.
func normKey(k ServiceKey) ServiceKey {
	if k.FWMark != 0 {
		return ServiceKey{Family: k.Family, FWMark: k.FWMark}
	}
	if k.Family == 0 {
		k.Family = FamilyIPv4
		if k.Addr.Is6() {
			k.Family = FamilyIPv6
		}
	}
	return ServiceKey{Family: k.Family, Protocol: k.Protocol, Addr: k.Addr, Port: k.Port}
}

func (f *Fake) find(k ServiceKey) *fakeService {
	k = normKey(k)
	for _, s := range f.services {
		if s.svc.Key == k {
			return s
		}
	}
	return nil
}

func (s *fakeService) findDest(k DestKey) *DestinationInfo {
	for _, d := range s.dests {
		if d.Key == k {
			return d
		}
	}
	return nil
}

func validFamily(fam uint16) bool { return fam == FamilyIPv4 || fam == FamilyIPv6 }

// checkService is ip_vs_genl_parse_service's and ip_vs_add/edit_service's validation.
func (f *Fake) checkService(s Service) error {
	k := s.Key
	if !validFamily(k.Family) && !(k.Family == 0 && k.FWMark == 0 && k.Addr.IsValid()) {
		return syscall.EAFNOSUPPORT
	}
	if k.FWMark == 0 && !k.Addr.IsValid() {
		return syscall.EINVAL
	}
	if !f.schedulers[s.Scheduler] {
		return syscall.ENOENT
	}
	if s.PEName != "" && !f.pes[s.PEName] {
		return syscall.ENOENT
	}
	if normKey(k).Family == FamilyIPv6 && (s.Netmask < 1 || s.Netmask > 128) {
		return syscall.EINVAL
	}
	return nil
}

func (f *Fake) Info(ctx context.Context) (Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("Info"); err != nil {
		return Info{}, err
	}
	return f.info, nil
}

func (f *Fake) serviceInfo(s *fakeService) ServiceInfo {
	return ServiceInfo{Service: s.svc, Stats: s.stats}
}

func (f *Fake) Services(ctx context.Context) ([]ServiceInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("Services"); err != nil {
		return nil, err
	}
	out := make([]ServiceInfo, 0, len(f.services))
	for _, s := range f.services {
		out = append(out, f.serviceInfo(s))
	}
	return out, nil
}

func (f *Fake) Service(ctx context.Context, k ServiceKey) (ServiceInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("Service", k); err != nil {
		return ServiceInfo{}, err
	}
	s := f.find(k)
	if s == nil {
		return ServiceInfo{}, syscall.ESRCH
	}
	return f.serviceInfo(s), nil
}

func (f *Fake) AddService(ctx context.Context, s Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("AddService", s); err != nil {
		return err
	}
	return f.addService(s)
}

func (f *Fake) addService(s Service) error {
	if !validFamily(normKey(s.Key).Family) {
		return syscall.EAFNOSUPPORT
	}
	if f.find(s.Key) != nil {
		return syscall.EEXIST
	}
	if err := f.checkService(s); err != nil {
		return err
	}
	s.Key = normKey(s.Key)
	s.Flags |= SvcHashed
	f.services = append([]*fakeService{{svc: s}}, f.services...)
	return nil
}

func (f *Fake) UpdateService(ctx context.Context, s Service) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("UpdateService", s); err != nil {
		return err
	}
	return f.updateService(s)
}

func (f *Fake) updateService(s Service) error {
	cur := f.find(s.Key)
	if cur == nil {
		return syscall.ESRCH
	}
	if err := f.checkService(s); err != nil {
		return err
	}
	s.Key = cur.svc.Key
	s.Flags |= SvcHashed
	cur.svc = s
	return nil
}

func (f *Fake) DelService(ctx context.Context, k ServiceKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("DelService", k); err != nil {
		return err
	}
	return f.delService(k)
}

func (f *Fake) delService(k ServiceKey) error {
	for i, s := range f.services {
		if s.svc.Key == normKey(k) {
			f.services = append(f.services[:i:i], f.services[i+1:]...)
			return nil
		}
	}
	return syscall.ESRCH
}

func (f *Fake) Flush(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("Flush"); err != nil {
		return err
	}
	f.services = nil
	return nil
}

func (f *Fake) Destinations(ctx context.Context, k ServiceKey) ([]DestinationInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("Destinations", k); err != nil {
		return nil, err
	}
	s := f.find(k)
	if s == nil {
		return nil, syscall.ESRCH
	}
	out := make([]DestinationInfo, 0, len(s.dests))
	for _, d := range s.dests {
		out = append(out, *d)
	}
	return out, nil
}

// unicast is the kernel's test of a real server address (inet_addr_type must be local or
// unicast; IPv6 must be unicast and not link-local).
func unicast(a netip.Addr) bool {
	if a.Is4() {
		b := a.As4()
		return !(b[0] == 0 || a.IsMulticast() || b == [4]byte{255, 255, 255, 255})
	}
	return a.IsValid() && !a.IsUnspecified() && !a.IsMulticast() && !a.IsLinkLocalUnicast()
}

func (f *Fake) checkDest(s *fakeService, d *Destination, adding bool) error {
	if d.Family == 0 {
		// The kernel takes the service's family when none is sent; a Go caller that
		// leaves Family zero means the address's own family.
		d.Family = FamilyIPv4
		if d.Key.Addr.Is6() {
			d.Family = FamilyIPv6
		}
	}
	if !validFamily(d.Family) {
		return syscall.EAFNOSUPPORT
	}
	if d.Family != normKey(s.svc.Key).Family {
		if len(f.daemons) > 0 {
			return syscall.EINVAL
		}
		if d.Forward != Tunnel {
			return syscall.EINVAL
		}
	}
	if d.Weight < 0 {
		return syscall.ERANGE
	}
	if d.LThreshold > d.UThreshold {
		return syscall.ERANGE
	}
	if d.Forward == Tunnel && d.TunType == TunGUE && d.TunPort == 0 {
		return syscall.EINVAL
	}
	return nil
}

func (f *Fake) AddDestination(ctx context.Context, k ServiceKey, d Destination) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("AddDestination", k, d); err != nil {
		return err
	}
	return f.addDest(k, d)
}

func (f *Fake) addDest(k ServiceKey, d Destination) error {
	s := f.find(k)
	if s == nil {
		return syscall.ESRCH
	}
	if err := f.checkDest(s, &d, true); err != nil {
		return err
	}
	if s.findDest(d.Key) != nil {
		return syscall.EEXIST
	}
	if !unicast(d.Key.Addr) {
		return syscall.EINVAL
	}
	s.dests = append([]*DestinationInfo{{Destination: d}}, s.dests...)
	return nil
}

func (f *Fake) UpdateDestination(ctx context.Context, k ServiceKey, d Destination) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("UpdateDestination", k, d); err != nil {
		return err
	}
	return f.updateDest(k, d)
}

func (f *Fake) updateDest(k ServiceKey, d Destination) error {
	s := f.find(k)
	if s == nil {
		return syscall.ESRCH
	}
	if err := f.checkDest(s, &d, false); err != nil {
		return err
	}
	cur := s.findDest(d.Key)
	if cur == nil {
		return syscall.ENOENT
	}
	cur.Destination = d
	return nil
}

func (f *Fake) DelDestination(ctx context.Context, k ServiceKey, d DestKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("DelDestination", k, d); err != nil {
		return err
	}
	return f.delDest(k, d)
}

func (f *Fake) delDest(k ServiceKey, d DestKey) error {
	s := f.find(k)
	if s == nil {
		return syscall.ESRCH
	}
	for i, x := range s.dests {
		if x.Key == d {
			s.dests = append(s.dests[:i:i], s.dests[i+1:]...)
			return nil
		}
	}
	return syscall.ENOENT
}

func (f *Fake) Zero(ctx context.Context, k *ServiceKey) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	var arg any
	if k != nil {
		arg = *k
	}
	if err := f.record("Zero", arg); err != nil {
		return err
	}
	zero := func(s *fakeService) {
		s.stats = Stats{}
		for _, d := range s.dests {
			d.Stats = Stats{}
		}
	}
	if k == nil {
		for _, s := range f.services {
			zero(s)
		}
		return nil
	}
	s := f.find(*k)
	if s == nil {
		return syscall.ESRCH
	}
	zero(s)
	return nil
}

func (f *Fake) Timeouts(ctx context.Context) (Timeouts, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("Timeouts"); err != nil {
		return Timeouts{}, err
	}
	return f.timeouts, nil
}

func (f *Fake) SetTimeouts(ctx context.Context, t Timeouts) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("SetTimeouts", t); err != nil {
		return err
	}
	if t.TCP != 0 {
		f.timeouts.TCP = t.TCP
	}
	if t.TCPFin != 0 {
		f.timeouts.TCPFin = t.TCPFin
	}
	if t.UDP != 0 {
		f.timeouts.UDP = t.UDP
	}
	return nil
}

func (f *Fake) Daemons(ctx context.Context) ([]SyncDaemon, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("Daemons"); err != nil {
		return nil, err
	}
	return append([]SyncDaemon(nil), f.daemons...), nil
}

// StartDaemon fills in the kernel's defaults (group 224.0.0.81, port 8848, TTL 1, and a
// maximum message length from the interface MTU) as start_sync_thread does.
func (f *Fake) StartDaemon(ctx context.Context, d SyncDaemon) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("StartDaemon", d); err != nil {
		return err
	}
	if d.State != DaemonMaster && d.State != DaemonBackup {
		return syscall.EINVAL
	}
	if d.McastGroup.IsValid() && !d.McastGroup.IsMulticast() {
		return syscall.EINVAL
	}
	for _, s := range f.services {
		for _, x := range s.dests {
			if x.Family != normKey(s.svc.Key).Family {
				return syscall.EINVAL
			}
		}
	}
	if !d.McastGroup.IsValid() {
		d.McastGroup = netip.AddrFrom4([4]byte{224, 0, 0, 81})
	}
	if d.McastPort == 0 {
		d.McastPort = 8848
	}
	if d.McastTTL == 0 {
		d.McastTTL = 1
	}
	mtu, ok := f.ifaces[d.McastIfn]
	if !ok {
		return syscall.ENODEV
	}
	hlen := 28
	if d.McastGroup.Is6() {
		hlen = 48
	}
	minMTU := 1
	if d.State == DaemonBackup {
		mtu = max(1500, min(mtu, 65535))
		minMTU = 1024
	} else {
		mtu = 1500
	}
	if d.SyncMaxLen != 0 {
		d.SyncMaxLen = uint16(max(minMTU, min(int(d.SyncMaxLen), 65535-hlen)))
	} else {
		d.SyncMaxLen = uint16(mtu - hlen)
	}
	for _, x := range f.daemons {
		if x.State == d.State {
			return syscall.EEXIST
		}
	}
	f.daemons = append(f.daemons, d)
	sort.SliceStable(f.daemons, func(i, j int) bool { return f.daemons[i].State < f.daemons[j].State })
	return nil
}

func (f *Fake) StopDaemon(ctx context.Context, state DaemonState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.record("StopDaemon", state); err != nil {
		return err
	}
	for i, x := range f.daemons {
		if x.State == state {
			f.daemons = append(f.daemons[:i:i], f.daemons[i+1:]...)
			return nil
		}
	}
	return syscall.ESRCH
}

// Batch applies ops in order; a fault set for "Batch" fails every op, a fault set for
// an op's single-operation method fails those ops.
func (f *Fake) Batch(ctx context.Context, ops []Op) []error {
	f.mu.Lock()
	defer f.mu.Unlock()
	errs := make([]error, len(ops))
	batchErr := f.record("Batch", len(ops))
	for i, op := range ops {
		if batchErr != nil {
			errs[i] = batchErr
			continue
		}
		var name string
		switch op.Kind {
		case OpAddService:
			name = "AddService"
		case OpUpdateService:
			name = "UpdateService"
		case OpDelService:
			name = "DelService"
		case OpAddDest:
			name = "AddDestination"
		case OpUpdateDest:
			name = "UpdateDestination"
		case OpDelDest:
			name = "DelDestination"
		case OpFlush:
			name = "Flush"
		default:
			errs[i] = syscall.EINVAL
			continue
		}
		if err := f.faults[name]; err != nil {
			errs[i] = err
			continue
		}
		switch op.Kind {
		case OpAddService:
			errs[i] = f.addService(op.Service)
		case OpUpdateService:
			errs[i] = f.updateService(op.Service)
		case OpDelService:
			errs[i] = f.delService(op.Service.Key)
		case OpAddDest:
			errs[i] = f.addDest(op.Service.Key, op.Dest)
		case OpUpdateDest:
			errs[i] = f.updateDest(op.Service.Key, op.Dest)
		case OpDelDest:
			errs[i] = f.delDest(op.Service.Key, op.Dest.Key)
		case OpFlush:
			f.services = nil
		}
	}
	return errs
}

func (f *Fake) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_ = f.record("Close")
	return nil
}
