package ipvs

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var ctx = context.Background()

var addrCmp = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func tcpKey(addr string, port uint16) ServiceKey {
	a := netip.MustParseAddr(addr)
	fam := FamilyIPv4
	if a.Is6() {
		fam = FamilyIPv6
	}
	return ServiceKey{Family: fam, Protocol: TCP, Addr: a, Port: port}
}

func dest(addr string, port uint16, fwd Forward, w int32) Destination {
	return Destination{Key: DestKey{Addr: netip.MustParseAddr(addr), Port: port}, Forward: fwd, Weight: w}
}

func TestFakeErrnos(t *testing.T) {
	f := NewFake()
	k := tcpKey("192.0.2.10", 80)
	steps := []struct {
		name string
		do   func() error
		want error
	}{
		{"add", func() error { return f.AddService(ctx, Service{Key: k, Scheduler: "rr", Netmask: 0xffffffff}) }, nil},
		{"add again", func() error { return f.AddService(ctx, Service{Key: k, Scheduler: "rr"}) }, syscall.EEXIST},
		{"unknown scheduler", func() error { return f.AddService(ctx, Service{Key: tcpKey("192.0.2.11", 80), Scheduler: "nosuch"}) }, syscall.ENOENT},
		{"empty scheduler", func() error { return f.AddService(ctx, Service{Key: tcpKey("192.0.2.11", 80)}) }, syscall.ENOENT},
		{"none scheduler", func() error { return f.AddService(ctx, Service{Key: tcpKey("192.0.2.12", 80), Scheduler: "none"}) }, nil},
		{"unknown pe", func() error {
			return f.AddService(ctx, Service{Key: tcpKey("192.0.2.13", 80), Scheduler: "rr", PEName: "nope"})
		}, syscall.ENOENT},
		{"ipv6 netmask", func() error { return f.AddService(ctx, Service{Key: tcpKey("2001:db8::1", 80), Scheduler: "rr"}) }, syscall.EINVAL},
		{"edit missing", func() error { return f.UpdateService(ctx, Service{Key: tcpKey("192.0.2.99", 80), Scheduler: "rr"}) }, syscall.ESRCH},
		{"edit bad sched", func() error { return f.UpdateService(ctx, Service{Key: k, Scheduler: "x"}) }, syscall.ENOENT},
		{"del missing", func() error { return f.DelService(ctx, tcpKey("192.0.2.99", 80)) }, syscall.ESRCH},
		{"zero missing", func() error { k := tcpKey("192.0.2.99", 80); return f.Zero(ctx, &k) }, syscall.ESRCH},
		{"dest on missing svc", func() error {
			return f.AddDestination(ctx, tcpKey("192.0.2.99", 80), dest("198.51.100.1", 80, Route, 1))
		}, syscall.ESRCH},
		{"add dest", func() error { return f.AddDestination(ctx, k, dest("198.51.100.1", 80, Route, 1)) }, nil},
		{"add dest again", func() error { return f.AddDestination(ctx, k, dest("198.51.100.1", 80, Masq, 5)) }, syscall.EEXIST},
		{"negative weight", func() error { return f.AddDestination(ctx, k, dest("198.51.100.2", 80, Route, -1)) }, syscall.ERANGE},
		{"lower > upper", func() error {
			d := dest("198.51.100.2", 80, Route, 1)
			d.LThreshold = 10
			return f.AddDestination(ctx, k, d)
		}, syscall.ERANGE},
		{"multicast dest", func() error { return f.AddDestination(ctx, k, dest("224.1.1.1", 80, Route, 1)) }, syscall.EINVAL},
		{"zero dest", func() error { return f.AddDestination(ctx, k, dest("0.0.0.0", 80, Route, 1)) }, syscall.EINVAL},
		{"v6 dest not tunnel", func() error { return f.AddDestination(ctx, k, dest("2001:db8::2", 80, Masq, 1)) }, syscall.EINVAL},
		{"v6 dest tunnel", func() error { return f.AddDestination(ctx, k, dest("2001:db8::2", 80, Tunnel, 1)) }, nil},
		{"gue without port", func() error {
			d := dest("198.51.100.3", 80, Tunnel, 1)
			d.TunType = TunGUE
			return f.AddDestination(ctx, k, d)
		}, syscall.EINVAL},
		{"edit missing dest", func() error { return f.UpdateDestination(ctx, k, dest("198.51.100.9", 80, Route, 1)) }, syscall.ENOENT},
		{"del missing dest", func() error {
			return f.DelDestination(ctx, k, DestKey{Addr: netip.MustParseAddr("198.51.100.9"), Port: 80})
		}, syscall.ENOENT},
		{"edit dest", func() error { return f.UpdateDestination(ctx, k, dest("198.51.100.1", 80, Masq, 0)) }, nil},
		// A mixed-family destination exists: the kernel refuses sync daemons before
		// it looks at the interface.
		{"start daemon mixed family", func() error { return f.StartDaemon(ctx, SyncDaemon{State: DaemonMaster, McastIfn: "lo"}) }, syscall.EINVAL},
		{"stop not running", func() error { return f.StopDaemon(ctx, DaemonMaster) }, syscall.ESRCH},
	}
	for _, s := range steps {
		if err := s.do(); !errors.Is(err, s.want) && !(err == nil && s.want == nil) {
			t.Errorf("%s: got %v, want %v", s.name, err, s.want)
		}
	}
}

func TestFakeListing(t *testing.T) {
	f := NewFake()
	k := tcpKey("192.0.2.10", 80)
	fw := ServiceKey{Family: FamilyIPv4, Protocol: TCP, FWMark: 9}
	must(t, f.AddService(ctx, Service{Key: k, Scheduler: "rr", Netmask: 0xffffffff}))
	must(t, f.AddService(ctx, Service{Key: fw, Scheduler: "sh", Flags: SvcSchedFlag2, Netmask: 0xffffffff}))
	must(t, f.AddDestination(ctx, k, dest("198.51.100.1", 80, Route, 3)))
	must(t, f.AddDestination(ctx, k, dest("198.51.100.2", 80, Tunnel, 1)))

	got, err := f.Service(ctx, ServiceKey{Family: FamilyIPv4, FWMark: 9})
	must(t, err)
	want := Service{Key: ServiceKey{Family: FamilyIPv4, FWMark: 9}, Scheduler: "sh", Flags: SvcSchedFlag2 | SvcHashed, Netmask: 0xffffffff}
	if diff := cmp.Diff(want, got.Service, addrCmp); diff != "" {
		t.Errorf("fwmark service (-want +got):\n%s", diff)
	}
	ds, err := f.Destinations(ctx, k)
	must(t, err)
	// Newest first, like the kernel's list.
	if len(ds) != 2 || ds[0].Key.Addr.String() != "198.51.100.2" || ds[0].Family != FamilyIPv4 {
		t.Errorf("destinations: %+v", ds)
	}
	must(t, f.SetStats(k, Stats{Conns: 7}))
	must(t, f.Zero(ctx, nil))
	s, _ := f.Service(ctx, k)
	if s.Stats.Conns != 0 {
		t.Errorf("zero all left %d conns", s.Stats.Conns)
	}
	must(t, f.Flush(ctx))
	all, _ := f.Services(ctx)
	if len(all) != 0 {
		t.Errorf("flush left %d services", len(all))
	}
}

func TestFakeTimeoutsAndDaemons(t *testing.T) {
	f := NewFake()
	must(t, f.SetTimeouts(ctx, Timeouts{TCP: 10, UDP: 20}))
	to, _ := f.Timeouts(ctx)
	if to != (Timeouts{TCP: 10, TCPFin: 120, UDP: 20}) {
		t.Errorf("timeouts %+v", to)
	}
	must(t, f.StartDaemon(ctx, SyncDaemon{State: DaemonBackup, McastIfn: "lo", SyncID: 7}))
	must(t, f.StartDaemon(ctx, SyncDaemon{State: DaemonMaster, McastIfn: "lo"}))
	if err := f.StartDaemon(ctx, SyncDaemon{State: DaemonMaster, McastIfn: "lo"}); !errors.Is(err, syscall.EEXIST) {
		t.Errorf("second master: %v", err)
	}
	ds, _ := f.Daemons(ctx)
	want := []SyncDaemon{
		{State: DaemonMaster, McastIfn: "lo", SyncMaxLen: 1472, McastGroup: netip.MustParseAddr("224.0.0.81"), McastPort: 8848, McastTTL: 1},
		{State: DaemonBackup, McastIfn: "lo", SyncID: 7, SyncMaxLen: 65507, McastGroup: netip.MustParseAddr("224.0.0.81"), McastPort: 8848, McastTTL: 1},
	}
	if diff := cmp.Diff(want, ds, addrCmp); diff != "" {
		t.Errorf("daemons (-want +got):\n%s", diff)
	}
	if err := f.StartDaemon(ctx, SyncDaemon{State: DaemonMaster, McastIfn: "eth0"}); !errors.Is(err, syscall.EEXIST) && !errors.Is(err, syscall.ENODEV) {
		t.Errorf("eth0: %v", err)
	}
	must(t, f.StopDaemon(ctx, DaemonMaster))
	if err := f.StartDaemon(ctx, SyncDaemon{State: DaemonMaster, McastIfn: "eth0"}); !errors.Is(err, syscall.ENODEV) {
		t.Errorf("eth0: %v", err)
	}
}

func TestFakeFaultsAndBatch(t *testing.T) {
	f := NewFake()
	k := tcpKey("192.0.2.10", 80)
	f.Fail("AddDestination", syscall.ENOMEM)
	errs := f.Batch(ctx, []Op{
		{Kind: OpAddService, Service: Service{Key: k, Scheduler: "rr"}},
		{Kind: OpAddService, Service: Service{Key: k, Scheduler: "rr"}},
		{Kind: OpAddDest, Service: Service{Key: k}, Dest: dest("198.51.100.1", 80, Masq, 1)},
		{Kind: OpDelService, Service: Service{Key: k}},
		{Kind: OpDelService, Service: Service{Key: k}},
	})
	want := []error{nil, syscall.EEXIST, syscall.ENOMEM, nil, syscall.ESRCH}
	if diff := cmp.Diff(want, errs, cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) || (a == nil && b == nil) })); diff != "" {
		t.Errorf("batch errors (-want +got):\n%s", diff)
	}
	f.Fail("AddDestination", nil)
	f.Fail("Services", syscall.EPERM)
	if _, err := f.Services(ctx); !errors.Is(err, syscall.EPERM) {
		t.Errorf("fault: %v", err)
	}
	calls := f.Calls()
	if len(calls) != 2 || calls[0].Op != "Batch" || calls[1].Op != "Services" {
		t.Errorf("calls: %v", calls)
	}
}

func TestFakeConcurrent(t *testing.T) {
	f := NewFake()
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			k := tcpKey("192.0.2.10", uint16(1000+i))
			for j := 0; j < 50; j++ {
				_ = f.AddService(ctx, Service{Key: k, Scheduler: "rr"})
				_, _ = f.Services(ctx)
				_ = f.DelService(ctx, k)
			}
		}(i)
	}
	wg.Wait()
	if s, _ := f.Services(ctx); len(s) != 0 {
		t.Errorf("%d services left", len(s))
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
