//go:build linux

package ipvs

import (
	"errors"
	"net/netip"
	"os"
	"runtime"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/vmtest"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// openInNewNetns opens a Kernel whose socket lives in a fresh network namespace,
// so the test never touches the host's IPVS table. The namespace goes away with
// the socket: the thread that created it is never unlocked and ends with its
// goroutine. Where this kernel has no IPVS (the development hosts and CI) the test
// skips: it runs inside the VM of go test ./vmtest -run TestVMSuite.
func openInNewNetns(t *testing.T) *Kernel {
	t.Helper()
	if !vmtest.InGuest() {
		if testing.Short() {
			t.Skip("needs root and a kernel with IPVS; not with -short (the VM suite runs it: " + vmtest.SuiteCommand + ")")
		}
		if os.Geteuid() != 0 {
			vmtest.RequireGuest(t) // skips, naming the suite
		}
	}
	type result struct {
		k   *Kernel
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ch <- result{err: err}
			return
		}
		// The sync daemons want an interface that is up.
		if lo, err := netlink.LinkByName("lo"); err == nil {
			_ = netlink.LinkSetUp(lo)
		}
		k, err := OpenKernel()
		ch <- result{k, err}
	}()
	r := <-ch
	if errors.Is(r.err, unix.ENOPROTOOPT) && !vmtest.InGuest() {
		vmtest.RequireGuest(t) // this kernel has no IPVS: skips, naming the suite
	}
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { r.k.Close() })
	return r.k
}

// TestIntegrationKernel drives a real kernel through every call: the reference
// configuration (the one the replay transcripts were recorded with), listing,
// the errnos ipvsadm maps to messages, zeroing, a pipelined batch, daemons and
// timeouts.
func TestIntegrationKernel(t *testing.T) {
	k := openInNewNetns(t)
	ctx := t.Context()

	info, err := k.Info(ctx)
	if err != nil || info.Version < 0x010200 {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	applyReference(t, ctx, k)

	svcs, err := k.Services(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got := map[ServiceKey]Service{}
	for _, s := range svcs {
		got[s.Key] = s.Service
	}
	for _, s := range []Service{refS1, refS2, refS3, refS4, refS5, refS6} {
		s.Flags |= SvcHashed
		if diff := cmp.Diff(s, got[s.Key], addrEq); diff != "" {
			t.Errorf("service %v (-applied +listed):\n%s", s.Key, diff)
		}
	}
	for _, s := range []Service{refS1, refS3, refS4} {
		ds, err := k.Destinations(ctx, s.Key)
		if err != nil {
			t.Fatal(err)
		}
		var want, have []Destination
		for _, d := range refD {
			if d.svc == s.Key {
				d.d.Family = s.Key.Family
				want = append(want, d.d)
			}
		}
		for _, d := range ds {
			have = append(have, d.Destination)
		}
		sortDests(want)
		sortDests(have)
		if diff := cmp.Diff(want, have, addrEq); diff != "" {
			t.Errorf("destinations of %v (-applied +listed):\n%s", s.Key, diff)
		}
	}
	if to, err := k.Timeouts(ctx); err != nil || to != refTimeouts {
		t.Errorf("Timeouts = %+v, %v; want %+v", to, err, refTimeouts)
	}
	if ds, err := k.Daemons(ctx); err != nil || len(ds) != 2 || ds[0] != refMaster || ds[1].SyncID != refBackup.SyncID {
		t.Errorf("Daemons = %+v, %v", ds, err)
	}

	miss := ServiceKey{Family: FamilyIPv4, Protocol: TCP, Addr: mustAddr("10.9.9.9"), Port: 80}
	for _, c := range []struct {
		what string
		err  error
		want unix.Errno
	}{
		{"add existing service", k.AddService(ctx, refS1), unix.EEXIST},
		{"unknown scheduler", k.AddService(ctx, Service{Key: miss, Scheduler: "nosuch", Netmask: ^uint32(0)}), unix.ENOENT},
		{"delete missing service", k.DelService(ctx, miss), unix.ESRCH},
		{"add dest to missing service", k.AddDestination(ctx, miss, refD[0].d), unix.ESRCH},
		{"add existing dest", k.AddDestination(ctx, refS1.Key, refD[0].d), unix.EEXIST},
		{"delete missing dest", k.DelDestination(ctx, refS1.Key, DestKey{Addr: mustAddr("192.0.2.1"), Port: 1}), unix.ENOENT},
		{"start running daemon", k.StartDaemon(ctx, refMaster), unix.EEXIST},
		{"IPv6 service without prefix length", k.AddService(ctx, Service{Key: ServiceKey{Family: FamilyIPv6, FWMark: 99}, Scheduler: "rr"}), unix.EINVAL},
	} {
		if !errors.Is(c.err, c.want) {
			t.Errorf("%s: err = %v, want %s", c.what, c.err, unix.ErrnoName(c.want))
		}
	}
	if _, err := k.Service(ctx, miss); !errors.Is(err, unix.ESRCH) {
		t.Errorf("Service(missing) err = %v, want ESRCH", err)
	}
	if err := k.Zero(ctx, &refS1.Key); err != nil {
		t.Error(err)
	}
	if err := k.Zero(ctx, nil); err != nil {
		t.Error(err)
	}
	for _, st := range []DaemonState{DaemonMaster, DaemonBackup} {
		if err := k.StopDaemon(ctx, st); err != nil {
			t.Error(err)
		}
	}

	// A pipelined batch larger than several windows, with failures in it.
	if err := k.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	var ops []Op
	for i := range 300 {
		key := ServiceKey{Family: FamilyIPv4, Protocol: TCP, Addr: netip.AddrFrom4([4]byte{10, 30, byte(i >> 8), byte(i)}), Port: 80}
		ops = append(ops, Op{Kind: OpAddService, Service: Service{Key: key, Scheduler: "rr", Netmask: ^uint32(0)}})
		for j := range 3 {
			ops = append(ops, Op{Kind: OpAddDest, Service: Service{Key: key},
				Dest: Destination{Key: DestKey{Addr: netip.AddrFrom4([4]byte{172, 30, byte(i), byte(j)}), Port: 80}, Forward: Route, Weight: 1}})
		}
	}
	ops = append(ops, ops[0], ops[1]) // both fail with EEXIST
	errs := k.Batch(ctx, ops)
	for i, err := range errs {
		if i >= len(ops)-2 {
			if !errors.Is(err, unix.EEXIST) {
				t.Errorf("op %d: err = %v, want EEXIST", i, err)
			}
		} else if err != nil {
			t.Errorf("op %d: %v", i, err)
		}
	}
	svcs, err = k.Services(ctx)
	if err != nil || len(svcs) != 300 {
		t.Fatalf("%d services after the batch, %v", len(svcs), err)
	}
	n := 0
	for _, s := range svcs {
		ds, err := k.Destinations(ctx, s.Key)
		if err != nil {
			t.Fatal(err)
		}
		n += len(ds)
	}
	if n != 900 {
		t.Errorf("%d destinations after the batch, want 900", n)
	}
	if err := k.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

func sortDests(ds []Destination) {
	sort.Slice(ds, func(i, j int) bool { return ds[i].Key.Addr.Less(ds[j].Key.Addr) })
}
