//go:build linux

package ipvs

import (
	"bufio"
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

// testdata/ipvsadm-1.31/requests.txt holds the generic netlink requests the real
// ipvsadm 1.31 (Debian's ipvsadm 1:1.31-1+b1) sent to a 6.1 kernel for each
// command line, captured on an nlmon device in a qemu VM (the GET_INFO every
// ipvsadm run starts with and the controller look-ups are left out). This test
// checks that the requests this package sends for the same operations carry the
// same attributes with the same bytes.

type capturedCmd struct {
	args string
	reqs [][]byte
}

func loadCaptured(t *testing.T) []capturedCmd {
	t.Helper()
	f, err := os.Open("testdata/ipvsadm-1.31/requests.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []capturedCmd
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#") || line == "":
		case strings.HasPrefix(line, "cmd "):
			out = append(out, capturedCmd{args: strings.TrimPrefix(line, "cmd ")})
		case strings.HasPrefix(line, "req ") && len(out) > 0:
			b, err := hex.DecodeString(strings.TrimPrefix(line, "req "))
			if err != nil {
				t.Fatal(err)
			}
			out[len(out)-1].reqs = append(out[len(out)-1].reqs, b)
		default:
			t.Fatalf("bad line %q", line)
		}
	}
	return out
}

// attrTree flattens a request's attributes to path → value, e.g. "1/3" for
// IPVS_SVC_ATTR_ADDR inside IPVS_CMD_ATTR_SERVICE.
func attrTree(t *testing.T, payload []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	top := attrs{b: payload}
	for typ, v, ok := top.next(); ok; typ, v, ok = top.next() {
		if typ == cmdAttrService || typ == cmdAttrDest || typ == cmdAttrDaemon {
			in := attrs{b: v}
			for it, iv, ok := in.next(); ok; it, iv, ok = in.next() {
				out[fmt.Sprintf("%d/%d", typ, it)] = hex.EncodeToString(iv)
			}
			if in.err != nil {
				t.Fatal(in.err)
			}
			continue
		}
		out[fmt.Sprint(typ)] = hex.EncodeToString(v)
	}
	if top.err != nil {
		t.Fatal(top.err)
	}
	return out
}

func TestRequestsMatchIpvsadm131(t *testing.T) {
	v4 := func(s string, p uint16, proto Protocol) ServiceKey {
		return ServiceKey{Family: FamilyIPv4, Protocol: proto, Addr: mustAddr(s), Port: p}
	}
	k80 := v4("10.1.1.1", 80, TCP)
	k6 := ServiceKey{Family: FamilyIPv6, Protocol: TCP, Addr: mustAddr("2001:db8::1"), Port: 443}
	fwm7 := ServiceKey{Family: FamilyIPv4, FWMark: 7}
	dst := func(s string, p uint16) DestKey { return DestKey{Addr: mustAddr(s), Port: p} }
	// What ipvsadm asks for, as calls on this package (ipvsadm's defaults spelt
	// out: IPv4 persistence netmask 255.255.255.255, IPv6 prefix 128).
	calls := map[string]func(ctx context.Context, k *Kernel) error{
		"-A -t 10.1.1.1:80 -s wlc": func(ctx context.Context, k *Kernel) error {
			return k.AddService(ctx, Service{Key: k80, Scheduler: "wlc", Netmask: 0xffffffff})
		},
		"-A -u 10.1.1.2:53 -s sh -b sh-fallback,sh-port -p 600 -M 255.255.255.0": func(ctx context.Context, k *Kernel) error {
			return k.AddService(ctx, Service{Key: v4("10.1.1.2", 53, UDP), Scheduler: "sh",
				Flags: SvcPersistent | SvcSchedFlag1 | SvcSchedFlag2, Timeout: 600, Netmask: 0xffffff00})
		},
		"-A -f 7 -s rr -o": func(ctx context.Context, k *Kernel) error {
			return k.AddService(ctx, Service{Key: fwm7, Scheduler: "rr", Flags: SvcOnePacket, Netmask: 0xffffffff})
		},
		"-A -t [2001:db8::1]:443 -s mh -p 300 -M 64": func(ctx context.Context, k *Kernel) error {
			return k.AddService(ctx, Service{Key: k6, Scheduler: "mh", Flags: SvcPersistent, Timeout: 300, Netmask: 64})
		},
		"-A --sctp-service 10.1.1.3:5060 -s rr -p 360 --pe sip": func(ctx context.Context, k *Kernel) error {
			return k.AddService(ctx, Service{Key: v4("10.1.1.3", 5060, SCTP), Scheduler: "rr", Flags: SvcPersistent,
				Timeout: 360, Netmask: 0xffffffff, PEName: "sip"})
		},
		"-A -f 9 -6 -s wrr": func(ctx context.Context, k *Kernel) error {
			return k.AddService(ctx, Service{Key: ServiceKey{Family: FamilyIPv6, FWMark: 9}, Scheduler: "wrr", Netmask: 128})
		},
		"-E -t 10.1.1.1:80 -s rr -p 100 -M 255.255.0.0": func(ctx context.Context, k *Kernel) error {
			return k.UpdateService(ctx, Service{Key: k80, Scheduler: "rr", Flags: SvcPersistent, Timeout: 100, Netmask: 0xffff0000})
		},
		"-a -t 10.1.1.1:80 -r 192.168.1.2:80 -m -w 1": func(ctx context.Context, k *Kernel) error {
			return k.AddDestination(ctx, k80, Destination{Key: dst("192.168.1.2", 80), Forward: Masq, Weight: 1})
		},
		"-a -t 10.1.1.1:80 -r 192.168.1.3:80 -g -w 5 -x 100 -y 10": func(ctx context.Context, k *Kernel) error {
			return k.AddDestination(ctx, k80, Destination{Key: dst("192.168.1.3", 80), Forward: Route, Weight: 5, UThreshold: 100, LThreshold: 10})
		},
		"-a -t 10.1.1.1:80 -r 192.168.1.4:80 -i -w 2 --tun-type gue --tun-port 6080 --tun-csum": func(ctx context.Context, k *Kernel) error {
			return k.AddDestination(ctx, k80, Destination{Key: dst("192.168.1.4", 80), Forward: Tunnel, Weight: 2,
				TunType: TunGUE, TunPort: 6080, TunFlags: TunCsum})
		},
		"-a -t [2001:db8::1]:443 -r [2001:db8::10]:8443 -m -w 1": func(ctx context.Context, k *Kernel) error {
			return k.AddDestination(ctx, k6, Destination{Key: dst("2001:db8::10", 8443), Forward: Masq, Weight: 1})
		},
		"-a -f 7 -r 192.168.2.1 -g -w 3": func(ctx context.Context, k *Kernel) error {
			return k.AddDestination(ctx, fwm7, Destination{Key: dst("192.168.2.1", 0), Forward: Route, Weight: 3})
		},
		"-e -t 10.1.1.1:80 -r 192.168.1.2:80 -g -w 7": func(ctx context.Context, k *Kernel) error {
			return k.UpdateDestination(ctx, k80, Destination{Key: dst("192.168.1.2", 80), Forward: Route, Weight: 7})
		},
		"-d -t 10.1.1.1:80 -r 192.168.1.4:80": func(ctx context.Context, k *Kernel) error {
			return k.DelDestination(ctx, k80, dst("192.168.1.4", 80))
		},
		"-Z -t 10.1.1.1:80": func(ctx context.Context, k *Kernel) error { return k.Zero(ctx, &k80) },
		"-Z":                func(ctx context.Context, k *Kernel) error { return k.Zero(ctx, nil) },
		"--set 900 60 200": func(ctx context.Context, k *Kernel) error {
			return k.SetTimeouts(ctx, Timeouts{TCP: 900, TCPFin: 60, UDP: 200})
		},
		"--start-daemon master --mcast-interface lo --syncid 5 --sync-maxlen 1400 --mcast-group 239.1.2.3 --mcast-port 8850 --mcast-ttl 3": func(ctx context.Context, k *Kernel) error {
			return k.StartDaemon(ctx, SyncDaemon{State: DaemonMaster, McastIfn: "lo", SyncID: 5, SyncMaxLen: 1400,
				McastGroup: mustAddr("239.1.2.3"), McastPort: 8850, McastTTL: 3})
		},
		"--start-daemon backup --mcast-interface lo --syncid 6": func(ctx context.Context, k *Kernel) error {
			return k.StartDaemon(ctx, SyncDaemon{State: DaemonBackup, McastIfn: "lo", SyncID: 6})
		},
		"--stop-daemon backup":  func(ctx context.Context, k *Kernel) error { return k.StopDaemon(ctx, DaemonBackup) },
		"-L -n --daemon":        func(ctx context.Context, k *Kernel) error { _, err := k.Daemons(ctx); return err },
		"-L --timeout":          func(ctx context.Context, k *Kernel) error { _, err := k.Timeouts(ctx); return err },
		"-D -t 10.1.1.1:80":     func(ctx context.Context, k *Kernel) error { return k.DelService(ctx, k80) },
		"-C":                    func(ctx context.Context, k *Kernel) error { return k.Flush(ctx) },
		"-L -n (first request)": func(ctx context.Context, k *Kernel) error { _, err := k.Services(ctx); return err },
	}
	// Where the kernel reads a full description, the attributes must be the same
	// set: the service nest of NEW/SET_SERVICE, the destination nest of
	// NEW/SET_DEST, the daemon nest of NEW_DAEMON and everything at the top level.
	// Elsewhere ipvsadm sends a whole description (e.g. an empty scheduler name in
	// the service nest of NEW_DEST) and this package only the identifying part,
	// which must agree.
	exact := func(cmd uint8, path string) bool {
		nest, _, nested := strings.Cut(path, "/")
		switch {
		case !nested:
			return true
		case nest == fmt.Sprint(cmdAttrService):
			return cmd == cmdNewService || cmd == cmdSetService
		case nest == fmt.Sprint(cmdAttrDest):
			return cmd == cmdNewDest || cmd == cmdSetDest
		case nest == fmt.Sprint(cmdAttrDaemon):
			return cmd == cmdNewDaemon
		}
		return true
	}

	captured := loadCaptured(t)
	if len(captured) < len(calls)-1 {
		t.Fatalf("%d captured commands, want at least %d", len(captured), len(calls)-1)
	}
	for _, c := range captured {
		name := c.args
		if name == "-L -n" {
			name = "-L -n (first request)"
		}
		call, ok := calls[name]
		if !ok {
			t.Errorf("no call for captured command %q", c.args)
			continue
		}
		t.Run(name, func(t *testing.T) {
			if len(c.reqs) == 0 {
				t.Fatal("nothing captured")
			}
			s := &scriptKernel{reply: func(r request) [][]byte {
				if r.flags&unix.NLM_F_DUMP != 0 {
					return [][]byte{doneMsg(r.seq)}
				}
				return [][]byte{errMsg(r.seq, 0)}
			}}
			k := openScripted(t, s)
			if err := call(t.Context(), k); err != nil {
				t.Fatal(err)
			}
			if len(s.reqs) != 1 {
				t.Fatalf("%d requests, want 1", len(s.reqs))
			}
			theirs := c.reqs[0]
			var tm message
			_ = splitMessages(theirs, func(m message) error { tm = m; return nil })
			ours := s.reqs[0]
			if len(tm.payload) < 4 {
				t.Fatal("short captured request")
			}
			if tm.payload[0] != ours.cmd || tm.payload[1] != ipvsGenlVersion {
				t.Errorf("command %d version %d; ipvsadm sent %d version %d", ours.cmd, ipvsGenlVersion, tm.payload[0], tm.payload[1])
			}
			// libnl adds NLM_F_ACK to dump requests too; the kernel ignores it there.
			if tf, of := tm.flags|unix.NLM_F_ACK, ours.flags|unix.NLM_F_ACK; tf != of {
				t.Errorf("flags %#x; ipvsadm sent %#x", ours.flags, tm.flags)
			}
			theirT, ourT := attrTree(t, tm.payload[4:]), attrTree(t, ours.attrs)
			var diffs []string
			for p, v := range ourT {
				if tv, ok := theirT[p]; !ok {
					diffs = append(diffs, fmt.Sprintf("attribute %s=%s not sent by ipvsadm", p, v))
				} else if tv != v {
					diffs = append(diffs, fmt.Sprintf("attribute %s=%s, ipvsadm sent %s", p, v, tv))
				}
			}
			var extra []string
			for p, v := range theirT {
				if _, ok := ourT[p]; !ok {
					if exact(ours.cmd, p) {
						diffs = append(diffs, fmt.Sprintf("ipvsadm also sent %s=%s", p, v))
					} else {
						extra = append(extra, p+"="+v)
					}
				}
			}
			if len(extra) > 0 {
				sort.Strings(extra)
				t.Logf("ipvsadm also sends %v, which the kernel does not read for command %d", extra, ours.cmd)
			}
			sort.Strings(diffs)
			for _, d := range diffs {
				t.Error(d)
			}
		})
	}
}

// TestDestDumpRequestsMatchIpvsadm131: ipvsadm -L -n dumps each service's
// destinations; for each service it asked about, this package's Destinations
// request must carry the same attributes.
func TestDestDumpRequestsMatchIpvsadm131(t *testing.T) {
	var list *capturedCmd
	for _, c := range loadCaptured(t) {
		if c.args == "-L -n" {
			list = &c
		}
	}
	if list == nil || len(list.reqs) < 2 {
		t.Fatal("no -L -n capture with destination dumps")
	}
	var dec decoder
	for i, theirs := range list.reqs[1:] {
		var tm message
		_ = splitMessages(theirs, func(m message) error { tm = m; return nil })
		if len(tm.payload) < 4 || tm.payload[0] != cmdGetDest {
			t.Fatalf("request %d is not GET_DEST", i+1)
		}
		nest, ok, err := findAttr(tm.payload[4:], cmdAttrService)
		if !ok || err != nil {
			t.Fatalf("request %d: no service nest: %v", i+1, err)
		}
		var si ServiceInfo
		if err := dec.service(nest, &si); err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		s := &scriptKernel{reply: func(r request) [][]byte { return [][]byte{doneMsg(r.seq)} }}
		k := openScripted(t, s)
		if _, err := k.Destinations(t.Context(), si.Key); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(attrTree(t, tm.payload[4:]), attrTree(t, s.reqs[0].attrs)); diff != "" {
			t.Errorf("destinations of %v (-ipvsadm +ours):\n%s", si.Key, diff)
		}
		if tm.flags|unix.NLM_F_ACK != s.reqs[0].flags|unix.NLM_F_ACK {
			t.Errorf("flags %#x, ipvsadm %#x", s.reqs[0].flags, tm.flags)
		}
	}
}
