//go:build linux

package ipvs

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// The transcripts in testdata/kernel-6.1 were recorded on Debian's 6.1 kernel
// (linux-image-6.1.0-56-amd64) under qemu: a throwaway program drove a Kernel whose
// transport logged every datagram written ("send") and read ("recv"), running the
// call sequences below. ipvsadm 1.31 in the same VM listed the configuration that
// applyReference creates exactly as it lists the same configuration made with
// ipvsadm's own commands (ipvsadm -S -n, -L --daemon, -L --timeout). Replaying them
// checks the encoder against bytes the real kernel accepted and the decoder against
// bytes the real kernel produced.

type event struct {
	send bool
	b    []byte
}

func loadTranscript(t *testing.T, name string) []event {
	t.Helper()
	f, err := os.Open("testdata/kernel-6.1/" + name + ".txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var evs []event
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for ln := 1; sc.Scan(); ln++ {
		dir, h, ok := strings.Cut(sc.Text(), " ")
		if !ok || (dir != "send" && dir != "recv") {
			t.Fatalf("%s.txt:%d: want \"send|recv HEX\"", name, ln)
		}
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatalf("%s.txt:%d: %v", name, ln, err)
		}
		evs = append(evs, event{send: dir == "send", b: b})
	}
	return evs
}

// replayKernel checks each write against the transcript and answers with the
// datagrams recorded after it.
type replayKernel struct {
	t     *testing.T
	evs   []event
	queue [][]byte
}

func (r *replayKernel) Send(b []byte) error {
	r.t.Helper()
	if len(r.evs) == 0 || !r.evs[0].send {
		r.t.Fatalf("unexpected write:\n%s", hex.Dump(b))
	}
	if diff := cmp.Diff(hexLines(r.evs[0].b), hexLines(b)); diff != "" {
		r.t.Errorf("request differs from the one the 6.1 kernel accepted (-recorded +sent):\n%s", diff)
	}
	r.evs = r.evs[1:]
	for len(r.evs) > 0 && !r.evs[0].send {
		r.queue = append(r.queue, r.evs[0].b)
		r.evs = r.evs[1:]
	}
	return nil
}

func (r *replayKernel) Receive(bufs [][]byte, lens []int) (int, error) {
	if len(r.queue) == 0 {
		return 0, os.ErrDeadlineExceeded
	}
	n := 0
	for n < len(bufs) && len(r.queue) > 0 {
		lens[n] = copy(bufs[n], r.queue[0])
		r.queue = r.queue[1:]
		n++
	}
	return n, nil
}

func (r *replayKernel) SetReceiveTimeout(time.Duration) error { return nil }
func (r *replayKernel) Close() error                          { return nil }

func replay(t *testing.T, name string, run func(ctx context.Context, k *Kernel)) {
	r := &replayKernel{t: t, evs: loadTranscript(t, name)}
	k := newKernel(r, defaultConfig())
	if err := k.resolveFamily(t.Context()); err != nil {
		t.Fatal(err)
	}
	run(t.Context(), k)
	if len(r.evs) != 0 || len(r.queue) != 0 {
		t.Errorf("%d transcript events and %d datagrams left unused", len(r.evs), len(r.queue))
	}
}

var (
	refS1 = Service{Key: ServiceKey{Family: FamilyIPv4, Protocol: TCP, Addr: mustAddr("10.1.1.1"), Port: 80}, Scheduler: "wlc"}
	refS2 = Service{Key: ServiceKey{Family: FamilyIPv4, Protocol: UDP, Addr: mustAddr("10.1.1.2"), Port: 53}, Scheduler: "sh",
		Flags: SvcPersistent | SvcSchedFlag1 | SvcSchedFlag2, Timeout: 600, Netmask: 0xffffff00}
	refS3 = Service{Key: ServiceKey{Family: FamilyIPv4, FWMark: 7}, Scheduler: "rr", Flags: SvcOnePacket}
	refS4 = Service{Key: ServiceKey{Family: FamilyIPv6, Protocol: TCP, Addr: mustAddr("2001:db8::1"), Port: 443}, Scheduler: "mh",
		Flags: SvcPersistent, Timeout: 300, Netmask: 64}
	refS5 = Service{Key: ServiceKey{Family: FamilyIPv4, Protocol: SCTP, Addr: mustAddr("10.1.1.3"), Port: 5060}, Scheduler: "rr",
		Flags: SvcPersistent, Timeout: 360, Netmask: 0xffffffff, PEName: "sip"}
	refS6 = Service{Key: ServiceKey{Family: FamilyIPv6, FWMark: 9}, Scheduler: "wrr", Netmask: 128}

	refD = []struct {
		svc ServiceKey
		d   Destination
	}{
		{refS1.Key, Destination{Key: DestKey{Addr: mustAddr("192.168.1.2"), Port: 80}, Forward: Masq, Weight: 1}},
		{refS1.Key, Destination{Key: DestKey{Addr: mustAddr("192.168.1.3"), Port: 80}, Forward: Route, Weight: 5, UThreshold: 100, LThreshold: 10}},
		{refS1.Key, Destination{Key: DestKey{Addr: mustAddr("192.168.1.4"), Port: 80}, Forward: Tunnel, Weight: 2, TunType: TunGUE, TunPort: 6080, TunFlags: TunCsum}},
		{refS1.Key, Destination{Key: DestKey{Addr: mustAddr("192.168.1.5"), Port: 80}, Forward: Tunnel, Weight: 0, TunType: TunGUE, TunPort: 6081, TunFlags: TunRemCsum}},
		{refS3.Key, Destination{Key: DestKey{Addr: mustAddr("192.168.2.1"), Port: 0}, Forward: Route, Weight: 3}},
		{refS4.Key, Destination{Key: DestKey{Addr: mustAddr("2001:db8::10"), Port: 8443}, Forward: Masq, Weight: 1}},
	}
	refTimeouts = Timeouts{TCP: 900, TCPFin: 60, UDP: 200}
	refMaster   = SyncDaemon{State: DaemonMaster, McastIfn: "lo", SyncID: 5, SyncMaxLen: 1400, McastGroup: mustAddr("239.1.2.3"), McastPort: 8850, McastTTL: 3}
	refBackup   = SyncDaemon{State: DaemonBackup, McastIfn: "lo", SyncID: 6}
)

// applyReference is the configuration the ipvsadm commands
//
//	-A -t 10.1.1.1:80 -s wlc
//	-a -t 10.1.1.1:80 -r 192.168.1.2:80 -m -w 1
//	-a -t 10.1.1.1:80 -r 192.168.1.3:80 -g -w 5 -x 100 -y 10
//	-a -t 10.1.1.1:80 -r 192.168.1.4:80 -i -w 2 --tun-type gue --tun-port 6080 --tun-csum
//	-a -t 10.1.1.1:80 -r 192.168.1.5:80 -i -w 0 --tun-type gue --tun-port 6081 --tun-remcsum
//	-A -u 10.1.1.2:53 -s sh -b sh-fallback,sh-port -p 600 -M 255.255.255.0
//	-A -f 7 -s rr -o;  -a -f 7 -r 192.168.2.1 -g -w 3
//	-A -t [2001:db8::1]:443 -s mh -p 300 -M 64;  -a -t [2001:db8::1]:443 -r [2001:db8::10]:8443 -m -w 1
//	-A --sctp-service 10.1.1.3:5060 -s rr -p 360 --pe sip
//	-A -f 9 -6 -s wrr
//	--set 900 60 200
//	--start-daemon master --mcast-interface lo --syncid 5 --sync-maxlen 1400 --mcast-group 239.1.2.3 --mcast-port 8850 --mcast-ttl 3
//	--start-daemon backup --mcast-interface lo --syncid 6
//
// make (ipvsadm's netmask 0xffffffff for IPv4 services is left to the caller).
func applyReference(t *testing.T, ctx context.Context, k *Kernel) {
	for _, s := range []Service{refS1, refS2, refS3, refS4, refS5, refS6} {
		if err := k.AddService(ctx, s); err != nil {
			t.Errorf("add %v: %v", s.Key, err)
		}
		for _, d := range refD {
			if d.svc == s.Key {
				if err := k.AddDestination(ctx, s.Key, d.d); err != nil {
					t.Errorf("add %v: %v", d.d.Key, err)
				}
			}
		}
	}
	if err := k.SetTimeouts(ctx, refTimeouts); err != nil {
		t.Error(err)
	}
	for _, d := range []SyncDaemon{refMaster, refBackup} {
		if err := k.StartDaemon(ctx, d); err != nil {
			t.Error(err)
		}
	}
}

func TestReplayKernel61Apply(t *testing.T) {
	replay(t, "apply", func(ctx context.Context, k *Kernel) {
		applyReference(t, ctx, k)
	})
}

func TestReplayKernel61Flush(t *testing.T) {
	replay(t, "flush", func(ctx context.Context, k *Kernel) {
		if err := k.Flush(ctx); err != nil {
			t.Error(err)
		}
	})
}

func TestReplayKernel61List(t *testing.T) {
	type listed struct {
		Svc   ServiceInfo
		Dests []DestinationInfo
	}
	var got []listed
	var info Info
	var to Timeouts
	var daemons []SyncDaemon
	replay(t, "list", func(ctx context.Context, k *Kernel) {
		var err error
		if info, err = k.Info(ctx); err != nil {
			t.Fatal(err)
		}
		svcs, err := k.Services(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range svcs {
			one, err := k.Service(ctx, s.Key)
			if err != nil || !cmp.Equal(one, s, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })) {
				t.Errorf("Service(%v) = %+v, %v; the dump said %+v", s.Key, one, err, s)
			}
			ds, err := k.Destinations(ctx, s.Key)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, listed{s, ds})
		}
		if to, err = k.Timeouts(ctx); err != nil {
			t.Fatal(err)
		}
		if daemons, err = k.Daemons(ctx); err != nil {
			t.Fatal(err)
		}
	})
	if info != (Info{Version: 0x010201, ConnTabSize: 4096}) {
		t.Errorf("info = %+v", info)
	}
	if to != refTimeouts {
		t.Errorf("timeouts = %+v, want %+v", to, refTimeouts)
	}
	// The kernel fills in the sync defaults: maxlen 65507 (payload of a 64 KiB
	// datagram), group 224.0.0.81, port 8848, ttl 1.
	backup := refBackup
	backup.SyncMaxLen, backup.McastGroup, backup.McastPort, backup.McastTTL = 65507, mustAddr("224.0.0.81"), 8848, 1
	if diff := cmp.Diff([]SyncDaemon{refMaster, backup}, daemons, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("daemons (-want +got):\n%s", diff)
	}
	// What the kernel reports for each service: what was sent, with HASHED set.
	want := map[ServiceKey]Service{}
	for _, s := range []Service{refS1, refS2, refS3, refS4, refS5, refS6} {
		s.Flags |= SvcHashed
		want[s.Key] = s
	}
	if len(got) != len(want) {
		t.Fatalf("listed %d services, want %d", len(got), len(want))
	}
	for _, l := range got {
		w, ok := want[l.Svc.Key]
		if !ok {
			t.Errorf("unexpected service %+v", l.Svc)
			continue
		}
		if diff := cmp.Diff(w, l.Svc.Service, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("service %v (-want +got):\n%s", l.Svc.Key, diff)
		}
		var wd []Destination
		for _, d := range refD {
			if d.svc == l.Svc.Key {
				d.d.Family = l.Svc.Key.Family
				wd = append(wd, d.d)
			}
		}
		var gd []Destination
		for _, d := range l.Dests {
			gd = append(gd, d.Destination)
		}
		// The kernel lists destinations newest first.
		for i, j := 0, len(wd)-1; i < j; i, j = i+1, j-1 {
			wd[i], wd[j] = wd[j], wd[i]
		}
		if diff := cmp.Diff(wd, gd, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("destinations of %v (-want +got):\n%s", l.Svc.Key, diff)
		}
	}
}

// TestReplayKernel61Errors: the errnos the 6.1 kernel answers, which ipvsadm maps to
// its messages together with the operation.
func TestReplayKernel61Errors(t *testing.T) {
	replay(t, "errors", func(ctx context.Context, k *Kernel) {
		s1 := refS1.Key
		miss := ServiceKey{Family: FamilyIPv4, Protocol: TCP, Addr: mustAddr("10.9.9.9"), Port: 80}
		d := Destination{Key: DestKey{Addr: mustAddr("192.168.1.2"), Port: 80}, Weight: 1}
		nd := Destination{Key: DestKey{Addr: mustAddr("192.168.9.9"), Port: 80}, Weight: 1}
		check := func(what string, err error, want unix.Errno) {
			t.Helper()
			if want == 0 {
				if err != nil {
					t.Errorf("%s: %v", what, err)
				}
				return
			}
			if !errors.Is(err, want) {
				t.Errorf("%s: err = %v, want %s", what, err, unix.ErrnoName(want))
			}
		}
		check("add existing service", k.AddService(ctx, Service{Key: s1, Scheduler: "wlc"}), unix.EEXIST)
		check("unknown scheduler", k.AddService(ctx, Service{Key: miss, Scheduler: "nosuch"}), unix.ENOENT)
		check("unknown pe", k.AddService(ctx, Service{Key: miss, Scheduler: "rr", PEName: "nosuch"}), unix.ENOENT)
		check("edit missing service", k.UpdateService(ctx, Service{Key: miss, Scheduler: "rr"}), unix.ESRCH)
		check("delete missing service", k.DelService(ctx, miss), unix.ESRCH)
		check("zero missing service", k.Zero(ctx, &miss), unix.ESRCH)
		_, err := k.Service(ctx, miss)
		check("get missing service", err, unix.ESRCH)
		ds, err := k.Destinations(ctx, miss)
		check("destinations of a missing service", err, 0)
		if len(ds) != 0 {
			t.Errorf("destinations of a missing service: %v", ds)
		}
		check("add dest to missing service", k.AddDestination(ctx, miss, d), unix.ESRCH)
		check("add existing dest", k.AddDestination(ctx, s1, d), unix.EEXIST)
		check("edit missing dest", k.UpdateDestination(ctx, s1, nd), unix.ENOENT)
		check("delete missing dest", k.DelDestination(ctx, s1, nd.Key), unix.ENOENT)
		check("start running daemon", k.StartDaemon(ctx, SyncDaemon{State: DaemonMaster, McastIfn: "lo"}), unix.EEXIST)
		check("non-multicast group", k.StartDaemon(ctx, SyncDaemon{State: DaemonMaster, McastIfn: "lo", McastGroup: mustAddr("10.0.0.1")}), unix.EINVAL)
		check("zero one", k.Zero(ctx, &s1), 0)
		check("zero all", k.Zero(ctx, nil), 0)
		check("edit dest", k.UpdateDestination(ctx, s1, Destination{Key: d.Key, Forward: Route, Weight: 7}), 0)
		check("edit service", k.UpdateService(ctx, Service{Key: s1, Scheduler: "rr", Flags: SvcPersistent, Timeout: 100, Netmask: 0xffff0000}), 0)
		check("delete dest", k.DelDestination(ctx, s1, DestKey{Addr: mustAddr("192.168.1.5"), Port: 80}), 0)
		check("stop daemon", k.StopDaemon(ctx, DaemonBackup), 0)
		check("stop stopped daemon", k.StopDaemon(ctx, DaemonBackup), unix.ESRCH)
		res := k.Batch(ctx, []Op{
			{Kind: OpAddService, Service: Service{Key: miss, Scheduler: "rr"}},
			{Kind: OpAddService, Service: Service{Key: miss, Scheduler: "rr"}},
			{Kind: OpAddDest, Service: Service{Key: miss}, Dest: d},
			{Kind: OpAddDest, Service: Service{Key: miss}, Dest: d},
			{Kind: OpDelDest, Service: Service{Key: miss}, Dest: nd},
			{Kind: OpDelService, Service: Service{Key: miss}},
			{Kind: OpDelService, Service: Service{Key: miss}},
		})
		want := []unix.Errno{0, unix.EEXIST, 0, unix.EEXIST, unix.ENOENT, 0, unix.ESRCH}
		for i, err := range res {
			check(fmt.Sprintf("batch op %d", i), err, want[i])
		}
	})
}
