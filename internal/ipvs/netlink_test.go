//go:build linux

package ipvs

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }

// hexLines renders bytes 16 per line so that cmp.Diff points at the differing word.
func hexLines(b []byte) []string {
	var out []string
	for len(b) > 0 {
		n := min(16, len(b))
		out = append(out, hex.EncodeToString(b[:n]))
		b = b[n:]
	}
	return out
}

func flagsVal(flags, mask uint32) []byte {
	b := binary.LittleEndian.AppendUint32(nil, flags)
	return binary.LittleEndian.AppendUint32(b, mask)
}

var (
	keyTCP  = ServiceKey{Family: FamilyIPv4, Protocol: TCP, Addr: mustAddr("10.1.1.1"), Port: 80}
	keyV6   = ServiceKey{Family: FamilyIPv6, Protocol: UDP, Addr: mustAddr("2001:db8::1"), Port: 53}
	keyFWM  = ServiceKey{Family: FamilyIPv4, FWMark: 7}
	keySCTP = ServiceKey{Family: FamilyIPv4, Protocol: SCTP, Addr: mustAddr("10.1.1.3"), Port: 5060}
)

// svcKeyAttrs is the identifying part of a service nest, built independently of the
// production encoder.
func svcKeyAttrs(k ServiceKey) []nla {
	as := []nla{nU16(svcAttrAF, k.Family)}
	if k.FWMark != 0 {
		return append(as, nU32(svcAttrFWMark, k.FWMark))
	}
	return append(as, nU16(svcAttrProtocol, uint16(k.Protocol)), nRaw(svcAttrAddr, addr16(k.Addr.String())), nBE16(svcAttrPort, k.Port))
}

// TestRequestBytes checks every command's request, byte for byte, against
// attribute layouts written out here (the layout ipvsadm 1.31's libipvs sends,
// minus the attributes the kernel ignores for identifying-only commands).
func TestRequestBytes(t *testing.T) {
	ack := uint16(unix.NLM_F_REQUEST | unix.NLM_F_ACK)
	dump := uint16(unix.NLM_F_REQUEST | unix.NLM_F_DUMP)
	dest := Destination{Key: DestKey{Addr: mustAddr("192.168.1.4"), Port: 80}, Forward: Tunnel, Weight: 2,
		UThreshold: 100, LThreshold: 10, TunType: TunGUE, TunPort: 6080, TunFlags: TunCsum}
	destAttrs := nNest(cmdAttrDest,
		nU16(destAttrAddrFamily, FamilyIPv4), nRaw(destAttrAddr, addr16("192.168.1.4")), nBE16(destAttrPort, 80),
		nU32(destAttrFwdMethod, 2), nU32(destAttrWeight, 2), nU8(destAttrTunType, 1), nBE16(destAttrTunPort, 6080),
		nU16(destAttrTunFlags, 1), nU32(destAttrUThresh, 100), nU32(destAttrLThresh, 10))
	v6dest := Destination{Key: DestKey{Addr: mustAddr("2001:db8::10"), Port: 8443}, Weight: -1}
	v6destAttrs := nNest(cmdAttrDest,
		nU16(destAttrAddrFamily, FamilyIPv6), nRaw(destAttrAddr, addr16("2001:db8::10")), nBE16(destAttrPort, 8443),
		nU32(destAttrFwdMethod, 0), nU32(destAttrWeight, 0xffffffff), nU8(destAttrTunType, 0), nBE16(destAttrTunPort, 0),
		nU16(destAttrTunFlags, 0), nU32(destAttrUThresh, 0), nU32(destAttrLThresh, 0))
	svc := Service{Key: keyTCP, Scheduler: "sh", Flags: SvcPersistent | SvcSchedFlag1, Timeout: 600, Netmask: 0xffffff00, PEName: "sip"}
	svcAttrs := nNest(cmdAttrService, append(svcKeyAttrs(keyTCP),
		nStr(svcAttrSchedName, "sh"), nStr(svcAttrPEName, "sip"), nRaw(svcAttrFlags, flagsVal(0x9, 0xffffffff)),
		nU32(svcAttrTimeout, 600), nRaw(svcAttrNetmask, []byte{255, 255, 255, 0}))...)
	v6svc := Service{Key: keyV6, Scheduler: "rr", Netmask: 128}
	v6svcAttrs := nNest(cmdAttrService, append(svcKeyAttrs(keyV6),
		nStr(svcAttrSchedName, "rr"), nRaw(svcAttrFlags, flagsVal(0, 0xffffffff)),
		nU32(svcAttrTimeout, 0), nU32(svcAttrNetmask, 128))...) // v6 prefix length, host order
	fwm := keyFWM

	tests := []struct {
		name  string
		call  func(ctx context.Context, k *Kernel) error
		flags uint16
		cmd   uint8
		attrs []nla
	}{
		{"info", func(ctx context.Context, k *Kernel) error { _, err := k.Info(ctx); return err }, ack, cmdGetInfo, nil},
		{"services", func(ctx context.Context, k *Kernel) error { _, err := k.Services(ctx); return err }, dump, cmdGetService, nil},
		{"service", func(ctx context.Context, k *Kernel) error { _, err := k.Service(ctx, keyTCP); return err },
			ack, cmdGetService, []nla{nNest(cmdAttrService, svcKeyAttrs(keyTCP)...)}},
		{"add service", func(ctx context.Context, k *Kernel) error { return k.AddService(ctx, svc) }, ack, cmdNewService, []nla{svcAttrs}},
		{"add service v6", func(ctx context.Context, k *Kernel) error { return k.AddService(ctx, v6svc) }, ack, cmdNewService, []nla{v6svcAttrs}},
		{"edit service", func(ctx context.Context, k *Kernel) error { return k.UpdateService(ctx, svc) }, ack, cmdSetService, []nla{svcAttrs}},
		{"delete service fwmark", func(ctx context.Context, k *Kernel) error { return k.DelService(ctx, keyFWM) },
			ack, cmdDelService, []nla{nNest(cmdAttrService, nU16(svcAttrAF, 2), nU32(svcAttrFWMark, 7))}},
		{"flush", func(ctx context.Context, k *Kernel) error { return k.Flush(ctx) }, ack, cmdFlush, nil},
		{"destinations", func(ctx context.Context, k *Kernel) error { _, err := k.Destinations(ctx, keySCTP); return err },
			dump, cmdGetDest, []nla{nNest(cmdAttrService, svcKeyAttrs(keySCTP)...)}},
		{"add destination", func(ctx context.Context, k *Kernel) error { return k.AddDestination(ctx, keyTCP, dest) },
			ack, cmdNewDest, []nla{nNest(cmdAttrService, svcKeyAttrs(keyTCP)...), destAttrs}},
		{"edit destination v6", func(ctx context.Context, k *Kernel) error { return k.UpdateDestination(ctx, keyV6, v6dest) },
			ack, cmdSetDest, []nla{nNest(cmdAttrService, svcKeyAttrs(keyV6)...), v6destAttrs}},
		{"delete destination", func(ctx context.Context, k *Kernel) error { return k.DelDestination(ctx, keyTCP, dest.Key) },
			ack, cmdDelDest, []nla{nNest(cmdAttrService, svcKeyAttrs(keyTCP)...),
				nNest(cmdAttrDest, nU16(destAttrAddrFamily, 2), nRaw(destAttrAddr, addr16("192.168.1.4")), nBE16(destAttrPort, 80))}},
		{"zero all", func(ctx context.Context, k *Kernel) error { return k.Zero(ctx, nil) }, ack, cmdZero, nil},
		{"zero one", func(ctx context.Context, k *Kernel) error { return k.Zero(ctx, &fwm) },
			ack, cmdZero, []nla{nNest(cmdAttrService, nU16(svcAttrAF, 2), nU32(svcAttrFWMark, 7))}},
		{"timeouts", func(ctx context.Context, k *Kernel) error { _, err := k.Timeouts(ctx); return err }, ack, cmdGetConfig, nil},
		{"set timeouts", func(ctx context.Context, k *Kernel) error { return k.SetTimeouts(ctx, Timeouts{TCP: 900, UDP: 200}) },
			ack, cmdSetConfig, []nla{nU32(cmdAttrTimeoutTCP, 900), nU32(cmdAttrTimeoutTCPFin, 0), nU32(cmdAttrTimeoutUDP, 200)}},
		{"daemons", func(ctx context.Context, k *Kernel) error { _, err := k.Daemons(ctx); return err }, dump, cmdGetDaemon, nil},
		{"start daemon defaults", func(ctx context.Context, k *Kernel) error {
			return k.StartDaemon(ctx, SyncDaemon{State: DaemonBackup, McastIfn: "eth0", SyncID: 6})
		}, ack, cmdNewDaemon, []nla{nNest(cmdAttrDaemon, nU32(daemonAttrState, 2), nStr(daemonAttrMcastIfn, "eth0"), nU32(daemonAttrSyncID, 6))}},
		{"start daemon all", func(ctx context.Context, k *Kernel) error {
			return k.StartDaemon(ctx, SyncDaemon{State: DaemonMaster, McastIfn: "lo", SyncID: 5, SyncMaxLen: 1400,
				McastGroup: mustAddr("239.1.2.3"), McastPort: 8850, McastTTL: 3})
		}, ack, cmdNewDaemon, []nla{nNest(cmdAttrDaemon, nU32(daemonAttrState, 1), nStr(daemonAttrMcastIfn, "lo"), nU32(daemonAttrSyncID, 5),
			nU16(daemonAttrSyncMaxLen, 1400), nU16(daemonAttrMcastPort, 8850), nU8(daemonAttrMcastTTL, 3),
			nRaw(daemonAttrMcastGroup, []byte{239, 1, 2, 3}))}},
		{"start daemon v6 group", func(ctx context.Context, k *Kernel) error {
			return k.StartDaemon(ctx, SyncDaemon{State: DaemonMaster, McastIfn: "lo", McastGroup: mustAddr("ff02::81")})
		}, ack, cmdNewDaemon, []nla{nNest(cmdAttrDaemon, nU32(daemonAttrState, 1), nStr(daemonAttrMcastIfn, "lo"), nU32(daemonAttrSyncID, 0),
			nRaw(daemonAttrMcastGroup6, addr16("ff02::81")))}},
		{"stop daemon", func(ctx context.Context, k *Kernel) error { return k.StopDaemon(ctx, DaemonMaster) },
			ack, cmdDelDaemon, []nla{nNest(cmdAttrDaemon, nU32(daemonAttrState, 1))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scriptKernel{}
			s.reply = func(r request) [][]byte {
				if r.flags&unix.NLM_F_DUMP != 0 {
					return [][]byte{doneMsg(r.seq)}
				}
				if r.cmd == cmdGetInfo {
					return [][]byte{genlMsg(testFamily, 0, r.seq, cmdSetInfo, nU32(infoAttrVersion, 0x010201)), errMsg(r.seq, 0)}
				}
				if r.cmd == cmdGetService {
					return [][]byte{genlMsg(testFamily, 0, r.seq, cmdNewService, nNest(cmdAttrService, svcKeyAttrs(keyTCP)...)), errMsg(r.seq, 0)}
				}
				return [][]byte{errMsg(r.seq, 0)}
			}
			k := openScripted(t, s)
			if err := tt.call(t.Context(), k); err != nil {
				t.Fatalf("call: %v", err)
			}
			if len(s.reqs) != 1 {
				t.Fatalf("sent %d requests, want 1", len(s.reqs))
			}
			r := s.reqs[0]
			want := genlMsg(testFamily, tt.flags, r.seq, tt.cmd, tt.attrs...)
			if diff := cmp.Diff(hexLines(want), hexLines(r.raw)); diff != "" {
				t.Errorf("request bytes (-want +got):\n%s", diff)
			}
		})
	}
}

// kernelStats builds a stats nest the way the 6.1 kernel does: u32 counters with
// u64 byte counters in _STATS, everything u64 in _STATS64, each u64 possibly
// preceded by a PAD attribute for alignment.
func kernelStats(typ uint16, s Stats, wide bool) nla {
	vals := []uint64{s.Conns, s.InPkts, s.OutPkts, s.InBytes, s.OutBytes, s.CPS, s.InPPS, s.OutPPS, s.InBPS, s.OutBPS}
	var as []nla
	for i, v := range vals {
		at := uint16(statsAttrConns + i)
		if wide || at == statsAttrInBytes || at == statsAttrOutBytes {
			as = append(as, nRaw(statsAttrPad, nil), nU64(at, v))
		} else {
			as = append(as, nU32(at, uint32(v)))
		}
	}
	return nNest(typ, as...)
}

// kernelService is a NEW_SERVICE dump message as the kernel builds it.
func kernelService(seq uint32, s ServiceInfo) []byte {
	as := svcKeyAttrs(s.Key)
	as = append(as, nStr(svcAttrSchedName, s.Scheduler))
	if s.PEName != "" {
		as = append(as, nStr(svcAttrPEName, s.PEName))
	}
	nm := nBE32(svcAttrNetmask, s.Netmask)
	if s.Key.Family == FamilyIPv6 {
		nm = nU32(svcAttrNetmask, s.Netmask)
	}
	as = append(as, nRaw(svcAttrFlags, flagsVal(uint32(s.Flags), 0xffffffff)), nU32(svcAttrTimeout, s.Timeout), nm,
		kernelStats(svcAttrStats, s.Stats, false), kernelStats(svcAttrStats64, s.Stats, true))
	return genlMsg(testFamily, unix.NLM_F_MULTI, seq, cmdNewService, nNest(cmdAttrService, as...))
}

// kernelDest is a NEW_DEST dump message as the kernel builds it.
func kernelDest(seq uint32, d DestinationInfo) []byte {
	return genlMsg(testFamily, unix.NLM_F_MULTI, seq, cmdNewDest, nNest(cmdAttrDest,
		nRaw(destAttrAddr, addr16(d.Key.Addr.String())), nBE16(destAttrPort, d.Key.Port),
		nU32(destAttrFwdMethod, uint32(d.Forward)), nU32(destAttrWeight, uint32(d.Weight)),
		nU8(destAttrTunType, uint8(d.TunType)), nBE16(destAttrTunPort, d.TunPort), nU16(destAttrTunFlags, uint16(d.TunFlags)),
		nU32(destAttrUThresh, d.UThreshold), nU32(destAttrLThresh, d.LThreshold),
		nU32(destAttrActiveConns, d.ActiveConns), nU32(destAttrInactConns, d.InactConns), nU32(destAttrPersistConns, d.PersistConns),
		nU16(destAttrAddrFamily, d.Family),
		kernelStats(destAttrStats, d.Stats, false), kernelStats(destAttrStats64, d.Stats, true)))
}

var bigStats = Stats{Conns: 1<<32 + 5, InPkts: 1<<40 + 1, OutPkts: 3, InBytes: 1<<50 + 7, OutBytes: 1 << 33,
	CPS: 1<<32 + 1, InPPS: 2, OutPPS: 3, InBPS: 1 << 36, OutBPS: 5}

func TestServicesDumpMultipart(t *testing.T) {
	want := []ServiceInfo{
		{Service: Service{Key: keyTCP, Scheduler: "wlc", Flags: SvcHashed, Netmask: 0xffffffff}, Stats: bigStats},
		{Service: Service{Key: keyV6, Scheduler: "mh", Flags: SvcPersistent | SvcHashed, Timeout: 300, Netmask: 64}},
		{Service: Service{Key: keyFWM, Scheduler: "rr", Flags: SvcOnePacket | SvcHashed, Netmask: 0xffffffff}},
		{Service: Service{Key: keySCTP, Scheduler: "rr", Flags: SvcPersistent | SvcHashed, Timeout: 360, Netmask: 0xffffffff, PEName: "sip"}},
	}
	for _, one := range []bool{false, true} {
		s := &scriptKernel{oneAtATime: one}
		s.reply = func(r request) [][]byte {
			return [][]byte{
				// a late reply to an earlier, abandoned request must be skipped
				kernelService(r.seq-1, ServiceInfo{Service: Service{Key: keyTCP, Scheduler: "stale"}}),
				concat(kernelService(r.seq, want[0]), kernelService(r.seq, want[1])),
				concat(kernelService(r.seq, want[2])),
				concat(kernelService(r.seq, want[3]), doneMsg(r.seq)),
			}
		}
		k := openScripted(t, s)
		got, err := k.Services(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
			t.Errorf("one datagram per receive %v: services (-want +got):\n%s", one, diff)
		}
	}
}

func TestDestinationsDecode(t *testing.T) {
	want := []DestinationInfo{
		{Destination: Destination{Key: DestKey{Addr: mustAddr("192.168.1.4"), Port: 80}, Family: FamilyIPv4, Forward: Tunnel, Weight: 2,
			TunType: TunGUE, TunPort: 6080, TunFlags: TunCsum | TunRemCsum}, ActiveConns: 3, InactConns: 4, PersistConns: 9, Stats: bigStats},
		{Destination: Destination{Key: DestKey{Addr: mustAddr("2001:db8::10"), Port: 8443}, Family: FamilyIPv6, Forward: Masq, Weight: 1,
			UThreshold: 100, LThreshold: 10}},
		{Destination: Destination{Key: DestKey{Addr: mustAddr("192.168.1.5"), Port: 0}, Family: FamilyIPv4, Forward: Tunnel, Weight: 0,
			TunType: TunGRE}},
	}
	s := &scriptKernel{}
	s.reply = func(r request) [][]byte {
		return [][]byte{concat(kernelDest(r.seq, want[0]), kernelDest(r.seq, want[1])), kernelDest(r.seq, want[2]), doneMsg(r.seq)}
	}
	k := openScripted(t, s)
	got, err := k.Destinations(t.Context(), keyV6)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("destinations (-want +got):\n%s", diff)
	}
}

func TestDestinationFamilyDefaultsToService(t *testing.T) {
	// Kernels before IPVS_DEST_ATTR_ADDR_FAMILY do not send it.
	s := &scriptKernel{}
	s.reply = func(r request) [][]byte {
		return [][]byte{genlMsg(testFamily, unix.NLM_F_MULTI, r.seq, cmdNewDest, nNest(cmdAttrDest,
			nRaw(destAttrAddr, addr16("2001:db8::7")), nBE16(destAttrPort, 80), nU32(destAttrFwdMethod, 3), nU32(destAttrWeight, 1))),
			doneMsg(r.seq)}
	}
	k := openScripted(t, s)
	got, err := k.Destinations(t.Context(), keyV6)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Family != FamilyIPv6 || got[0].Key.Addr != mustAddr("2001:db8::7") || got[0].Forward != Route {
		t.Errorf("got %+v", got)
	}
}

func TestStats32Fallback(t *testing.T) {
	// Kernels before STATS64 send only the 32-bit nest.
	s := &scriptKernel{}
	st := Stats{Conns: 1, InPkts: 2, OutPkts: 3, InBytes: 1 << 40, OutBytes: 5, CPS: 6, InPPS: 7, OutPPS: 8, InBPS: 9, OutBPS: 10}
	s.reply = func(r request) [][]byte {
		return [][]byte{genlMsg(testFamily, unix.NLM_F_MULTI, r.seq, cmdNewService, nNest(cmdAttrService, append(svcKeyAttrs(keyTCP),
			nStr(svcAttrSchedName, "rr"), nRaw(svcAttrFlags, flagsVal(3, 1)), kernelStats(svcAttrStats, st, false))...)), doneMsg(r.seq)}
	}
	k := openScripted(t, s)
	got, err := k.Services(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Stats != st || got[0].Flags != SvcPersistent {
		t.Errorf("got %+v, want stats %+v and flags masked to 1", got, st)
	}
}

func TestErrnoPropagation(t *testing.T) {
	tests := []struct {
		name  string
		errno unix.Errno
		call  func(ctx context.Context, k *Kernel) error
		op    string
	}{
		{"add existing service", unix.EEXIST, func(ctx context.Context, k *Kernel) error {
			return k.AddService(ctx, Service{Key: keyTCP, Scheduler: "rr"})
		}, "add service"},
		{"missing scheduler", unix.ENOENT, func(ctx context.Context, k *Kernel) error {
			return k.AddService(ctx, Service{Key: keyTCP, Scheduler: "nosuch"})
		}, "add service"},
		{"delete missing service", unix.ESRCH, func(ctx context.Context, k *Kernel) error { return k.DelService(ctx, keyTCP) }, "delete service"},
		{"missing destination", unix.ENOENT, func(ctx context.Context, k *Kernel) error {
			return k.DelDestination(ctx, keyTCP, DestKey{Addr: mustAddr("10.0.0.9")})
		}, "delete destination"},
		{"not root", unix.EPERM, func(ctx context.Context, k *Kernel) error { _, err := k.Services(ctx); return err }, "list services"},
		{"get missing service", unix.ESRCH, func(ctx context.Context, k *Kernel) error { _, err := k.Service(ctx, keyTCP); return err }, "get service"},
		{"daemon running", unix.EEXIST, func(ctx context.Context, k *Kernel) error {
			return k.StartDaemon(ctx, SyncDaemon{State: DaemonMaster, McastIfn: "lo"})
		}, "start daemon"},
		{"no daemon", unix.ESRCH, func(ctx context.Context, k *Kernel) error { return k.StopDaemon(ctx, DaemonBackup) }, "stop daemon"},
		{"bad timeout", unix.EINVAL, func(ctx context.Context, k *Kernel) error { return k.SetTimeouts(ctx, Timeouts{TCP: 1 << 31}) }, "set timeouts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scriptKernel{reply: func(r request) [][]byte { return [][]byte{errMsg(r.seq, tt.errno)} }}
			k := openScripted(t, s)
			err := tt.call(t.Context(), k)
			if !errors.Is(err, tt.errno) {
				t.Fatalf("err = %v, want errno %v", err, tt.errno)
			}
			var oe *OpError
			if !errors.As(err, &oe) || oe.Op != tt.op {
				t.Errorf("err = %#v, want OpError with Op %q", err, tt.op)
			}
		})
	}
}

func TestDumpErrorInDone(t *testing.T) {
	// A dump that fails after it started reports the errno in NLMSG_DONE.
	s := &scriptKernel{reply: func(r request) [][]byte {
		done := doneMsg(r.seq)
		code := -int32(unix.EMSGSIZE)
		native.PutUint32(done[16:], uint32(code))
		return [][]byte{kernelService(r.seq, ServiceInfo{Service: Service{Key: keyTCP, Scheduler: "rr"}}), done}
	}}
	k := openScripted(t, s)
	if _, err := k.Services(t.Context()); !errors.Is(err, unix.EMSGSIZE) {
		t.Fatalf("err = %v, want EMSGSIZE", err)
	}
}

func TestMissingFamilyIsENOPROTOOPT(t *testing.T) {
	k := newKernel(&scriptKernel{noFamily: true}, defaultConfig())
	err := k.resolveFamily(t.Context())
	if !errors.Is(err, unix.ENOPROTOOPT) {
		t.Fatalf("err = %v, want ENOPROTOOPT", err)
	}
	if !strings.Contains(err.Error(), "protocol not available") {
		t.Errorf("message %q does not carry the errno text", err)
	}
}

func TestDeadline(t *testing.T) {
	s := &scriptKernel{} // never answers IPVS requests
	k := openScripted(t, s, WithTimeout(3*time.Second))
	if s.timeout != 3*time.Second {
		t.Errorf("receive timeout %v, want the configured 3s", s.timeout)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
	defer cancel()
	err := k.Flush(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if s.timeout < 50*time.Minute || s.timeout > time.Hour {
		t.Errorf("receive timeout %v, want the context's remaining hour", s.timeout)
	}
	// Without a deadline in ctx the configured default bounds each call, and an
	// unchanged timeout is not set again.
	_ = k.Flush(context.Background())
	n := s.timeouts
	_ = k.Flush(context.Background())
	if s.timeout != 3*time.Second || s.timeouts != n {
		t.Errorf("receive timeout %v set %d more times, want 3s set once", s.timeout, s.timeouts-n)
	}
	// A cancelled context fails before anything is sent.
	cctx, ccancel := context.WithCancel(t.Context())
	ccancel()
	sent := len(s.sends)
	if err := k.Flush(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want Canceled", err)
	}
	if len(s.sends) != sent {
		t.Errorf("sent a request on a cancelled context")
	}
}

func TestBatchAcksBySequence(t *testing.T) {
	var ops []Op
	for i := range 10 {
		key := ServiceKey{Family: FamilyIPv4, Protocol: TCP, Addr: netip.AddrFrom4([4]byte{10, 0, 0, byte(i)}), Port: 80}
		ops = append(ops, Op{Kind: OpAddService, Service: Service{Key: key, Scheduler: "rr"}})
	}
	ops[4] = Op{Kind: OpAddDest, Service: ops[3].Service, Dest: Destination{Key: DestKey{Addr: mustAddr("192.168.0.1"), Port: 80}, Weight: 1}}
	ops[7] = Op{Kind: OpKind(99)} // rejected locally, never sent
	failing := map[int]unix.Errno{2: unix.EEXIST, 5: unix.ENOENT, 9: unix.ESRCH}

	s := &scriptKernel{}
	var firstSeq uint32
	s.reply = nil
	pendingAcks := [][]byte{}
	s.reply = func(r request) [][]byte {
		if firstSeq == 0 {
			firstSeq = r.seq
		}
		i := int(r.seq - firstSeq)
		pendingAcks = append(pendingAcks, errMsg(r.seq, failing[i]))
		return nil
	}
	s.oneAtATime = true
	k := openScripted(t, s, WithBatchWindow(4))
	// Deliver each window's acks in reverse order, several per datagram, after the
	// write: wrap Send.
	wrapped := &reorderingKernel{scriptKernel: s, acks: &pendingAcks}
	k.t = wrapped
	errs := k.Batch(t.Context(), ops)
	if len(errs) != len(ops) {
		t.Fatalf("%d errors for %d ops", len(errs), len(ops))
	}
	for i, err := range errs {
		switch {
		case i == 7:
			if err == nil || errors.Is(err, errPending) {
				t.Errorf("op 7 (unknown kind): err = %v", err)
			}
		case failing[i] != 0:
			if !errors.Is(err, failing[i]) {
				t.Errorf("op %d: err = %v, want %v", i, err, failing[i])
			}
		default:
			if err != nil {
				t.Errorf("op %d: err = %v, want nil", i, err)
			}
		}
	}
	var oe *OpError
	if !errors.As(errs[5], &oe) || oe.Op != "add service" {
		t.Errorf("op 5 error %v does not name its operation", errs[5])
	}
	if len(wrapped.writes) != 3 {
		t.Errorf("%d writes for 10 ops with window 4, want 3", len(wrapped.writes))
	}
	if len(s.reqs) != 9 {
		t.Errorf("%d requests reached the kernel, want 9", len(s.reqs))
	}
	if s.reqs[4].cmd != cmdNewDest {
		t.Errorf("request 4 is command %d, want NEW_DEST", s.reqs[4].cmd)
	}
}

// reorderingKernel delivers the acks of each write in reverse order, in datagrams
// of two.
type reorderingKernel struct {
	*scriptKernel
	acks   *[][]byte
	writes [][]byte
}

func (r *reorderingKernel) Send(b []byte) error {
	r.writes = append(r.writes, b)
	if err := r.scriptKernel.Send(b); err != nil {
		return err
	}
	a := *r.acks
	*r.acks = nil
	for i := len(a) - 1; i >= 0; i -= 2 {
		if i > 0 {
			r.queue = append(r.queue, concat(a[i], a[i-1]))
		} else {
			r.queue = append(r.queue, a[i])
		}
	}
	return nil
}

func TestBatchDeadlineFailsRest(t *testing.T) {
	s := &scriptKernel{} // never acks
	k := openScripted(t, s, WithBatchWindow(2))
	ops := make([]Op, 5)
	for i := range ops {
		ops[i] = Op{Kind: OpFlush}
	}
	errs := k.Batch(t.Context(), ops)
	for i, err := range errs {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("op %d: err = %v, want DeadlineExceeded", i, err)
		}
	}
	if len(s.sends) != 2 { // the family lookup and the first window only
		t.Errorf("%d writes, want 2", len(s.sends))
	}
}

func TestDaemonsDecode(t *testing.T) {
	want := []SyncDaemon{
		{State: DaemonMaster, McastIfn: "eth0", SyncID: 5, SyncMaxLen: 1400, McastGroup: mustAddr("239.1.2.3"), McastPort: 8850, McastTTL: 3},
		{State: DaemonBackup, McastIfn: "eth1", SyncID: 6, SyncMaxLen: 65507, McastGroup: mustAddr("ff02::81"), McastPort: 8848, McastTTL: 1},
	}
	s := &scriptKernel{reply: func(r request) [][]byte {
		var ms [][]byte
		for _, d := range want {
			g := nRaw(daemonAttrMcastGroup6, addr16(d.McastGroup.String()))
			if d.McastGroup.Is4() {
				v := d.McastGroup.As4()
				g = nRaw(daemonAttrMcastGroup, v[:])
			}
			ms = append(ms, genlMsg(testFamily, unix.NLM_F_MULTI, r.seq, cmdNewDaemon, nNest(cmdAttrDaemon,
				nU32(daemonAttrState, uint32(d.State)), nStr(daemonAttrMcastIfn, d.McastIfn), nU32(daemonAttrSyncID, d.SyncID),
				nU16(daemonAttrSyncMaxLen, d.SyncMaxLen), nU16(daemonAttrMcastPort, d.McastPort), nU8(daemonAttrMcastTTL, d.McastTTL), g)))
		}
		return [][]byte{concat(append(ms, doneMsg(r.seq))...)}
	}}
	k := openScripted(t, s)
	got, err := k.Daemons(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
		t.Errorf("daemons (-want +got):\n%s", diff)
	}
}

func TestInfoAndTimeouts(t *testing.T) {
	s := &scriptKernel{reply: func(r request) [][]byte {
		switch r.cmd {
		case cmdGetInfo:
			return [][]byte{genlMsg(testFamily, 0, r.seq, cmdSetInfo, nU32(infoAttrVersion, 0x010201), nU32(infoAttrConnTabSize, 4096)), errMsg(r.seq, 0)}
		case cmdGetConfig:
			return [][]byte{concat(genlMsg(testFamily, 0, r.seq, cmdSetConfig, nU32(cmdAttrTimeoutTCP, 900),
				nU32(cmdAttrTimeoutTCPFin, 120), nU32(cmdAttrTimeoutUDP, 300)), errMsg(r.seq, 0))}
		}
		return [][]byte{errMsg(r.seq, unix.EINVAL)}
	}}
	k := openScripted(t, s)
	info, err := k.Info(t.Context())
	if err != nil || info != (Info{Version: 0x010201, ConnTabSize: 4096}) {
		t.Errorf("Info = %+v, %v", info, err)
	}
	to, err := k.Timeouts(t.Context())
	if err != nil || to != (Timeouts{TCP: 900, TCPFin: 120, UDP: 300}) {
		t.Errorf("Timeouts = %+v, %v", to, err)
	}
}

func TestMalformedReplyIsAnError(t *testing.T) {
	s := &scriptKernel{reply: func(r request) [][]byte {
		m := kernelService(r.seq, ServiceInfo{Service: Service{Key: keyTCP, Scheduler: "rr"}})
		native.PutUint16(m[sizeofNlMsghdr+sizeofGenlMsghdr+4:], 0xfff) // first nested attribute's length overruns
		return [][]byte{m, doneMsg(r.seq)}
	}}
	k := openScripted(t, s)
	if _, err := k.Services(t.Context()); !errors.Is(err, errMalformed) {
		t.Fatalf("err = %v, want a malformed-message error", err)
	}
}

// TestInitLikeIpvsadm: initialising is the family look-up plus GET_INFO, so an
// unprivileged caller fails at open time with EPERM, as ipvsadm does ("Can't
// initialize ipvs: Permission denied (you must be root)").
func TestInitLikeIpvsadm(t *testing.T) {
	s := &scriptKernel{reply: func(r request) [][]byte { return [][]byte{errMsg(r.seq, unix.EPERM)} }}
	k := newKernel(s, defaultConfig())
	if err := k.init(t.Context()); !errors.Is(err, unix.EPERM) {
		t.Fatalf("err = %v, want EPERM", err)
	}
	if k.family != testFamily || len(s.reqs) != 1 || s.reqs[0].cmd != cmdGetInfo {
		t.Errorf("family %#x, requests %+v: want the look-up then GET_INFO", k.family, s.reqs)
	}
	k = newKernel(&scriptKernel{noFamily: true}, defaultConfig())
	if err := k.init(t.Context()); !errors.Is(err, unix.ENOPROTOOPT) {
		t.Fatalf("err = %v, want ENOPROTOOPT", err)
	}
}
