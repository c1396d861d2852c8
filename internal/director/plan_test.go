package director

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/internal/ipvs"
)

var (
	vip   = netip.MustParseAddr("10.144.43.185")
	svc80 = ipvs.ServiceKey{Family: ipvs.FamilyIPv4, Protocol: ipvs.TCP, Addr: vip, Port: 8080}
	svc23 = ipvs.ServiceKey{Family: ipvs.FamilyIPv4, Protocol: ipvs.TCP, Addr: vip, Port: 23}
	fwm9  = ipvs.ServiceKey{Family: ipvs.FamilyIPv4, FWMark: 9}
)

func rs(last byte, port uint16) ipvs.DestKey {
	return ipvs.DestKey{Addr: netip.AddrFrom4([4]byte{10, 144, 43, last}), Port: port}
}

func dr(last byte, w int32) ipvs.Destination {
	return ipvs.Destination{Key: rs(last, 0), Forward: ipvs.Route, Weight: w}
}

// manual is the configuration of the manual's /etc/init.d/lvs start (Part II, 三 4.6).
func manual() Service {
	return Service{
		Service: ipvs.Service{Key: svc80, Scheduler: "rr"},
		Dests:   []ipvs.Destination{dr(175, 5), dr(187, 5), dr(142, 5)},
	}
}

// table builds a fake kernel table by applying services through the Client, so what
// Plan sees is what a kernel reports (hashed flag, default netmask, dest ports).
func table(t *testing.T, svcs ...Service) *ipvs.Fake {
	t.Helper()
	f := ipvs.NewFake()
	ctx := context.Background()
	for _, s := range svcs {
		s.Service.Netmask = 0xffffffff
		if err := f.AddService(ctx, s.Service); err != nil {
			t.Fatalf("AddService %v: %v", s.Key, err)
		}
		for _, d := range s.Dests {
			d = normDest(normKey(s.Key), d)
			if err := f.AddDestination(ctx, s.Key, d); err != nil {
				t.Fatalf("AddDestination %v: %v", d.Key, err)
			}
		}
	}
	f.ResetCalls()
	return f
}

func read(t *testing.T, f *ipvs.Fake) []Service {
	t.Helper()
	cur, err := Read(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return cur
}

func formatOps(ops []ipvs.Op) []string {
	var out []string
	for _, op := range ops {
		out = append(out, FormatOp(op))
	}
	return out
}

func TestPlan(t *testing.T) {
	withWeight := func(s Service, i int, w int32) Service {
		s.Dests = append([]ipvs.Destination(nil), s.Dests...)
		s.Dests[i].Weight = w
		return s
	}
	tests := []struct {
		name    string
		table   []Service
		desired Desired
		want    []string
	}{
		{
			name:    "empty table: everything added",
			desired: Desired{Services: []Service{manual()}},
			want: []string{
				"-A -t 10.144.43.185:8080 -s rr",
				"-a -t 10.144.43.185:8080 -r 10.144.43.175:8080 -g -w 5",
				"-a -t 10.144.43.185:8080 -r 10.144.43.187:8080 -g -w 5",
				"-a -t 10.144.43.185:8080 -r 10.144.43.142:8080 -g -w 5",
			},
		},
		{
			name:    "table already as configured: nothing to do",
			table:   []Service{manual()},
			desired: Desired{Services: []Service{manual()}},
		},
		{
			name:    "mon removed a real server: it is added back, nothing else touched",
			table:   []Service{{Service: manual().Service, Dests: manual().Dests[1:]}},
			desired: Desired{Services: []Service{manual()}},
			want:    []string{"-a -t 10.144.43.185:8080 -r 10.144.43.175:8080 -g -w 5"},
		},
		{
			name:    "weight differs: edited in place, not deleted and added",
			table:   []Service{withWeight(manual(), 1, 0)},
			desired: Desired{Services: []Service{manual()}},
			want:    []string{"-e -t 10.144.43.185:8080 -r 10.144.43.187:8080 -g -w 5"},
		},
		{
			name: "forwarding method and scheduler differ",
			table: []Service{{Service: ipvs.Service{Key: svc80, Scheduler: "wlc"},
				Dests: []ipvs.Destination{{Key: rs(175, 0), Forward: ipvs.Tunnel, Weight: 5}, dr(187, 5), dr(142, 5)}}},
			desired: Desired{Services: []Service{manual()}},
			want: []string{
				"-E -t 10.144.43.185:8080 -s rr",
				"-e -t 10.144.43.185:8080 -r 10.144.43.175:8080 -g -w 5",
			},
		},
		{
			name:    "an unlisted real server is kept",
			table:   []Service{{Service: manual().Service, Dests: append(manual().Dests, dr(200, 1))}},
			desired: Desired{Services: []Service{manual()}},
		},
		{
			name:  "an unlisted real server is removed with PruneDests",
			table: []Service{{Service: manual().Service, Dests: append(manual().Dests, dr(200, 1))}},
			desired: Desired{Services: []Service{func() Service {
				s := manual()
				s.PruneDests = true
				return s
			}()}},
			want: []string{"-d -t 10.144.43.185:8080 -r 10.144.43.200:8080"},
		},
		{
			name:    "an unlisted service is kept",
			table:   []Service{manual(), {Service: ipvs.Service{Key: svc23, Scheduler: "rr"}, Dests: []ipvs.Destination{dr(175, 1)}}},
			desired: Desired{Services: []Service{manual()}},
		},
		{
			name:    "an unlisted service is removed when configured to be",
			table:   []Service{manual(), {Service: ipvs.Service{Key: svc23, Scheduler: "rr"}}},
			desired: Desired{Services: []Service{manual()}, RemoveServices: []ipvs.ServiceKey{svc23, fwm9}},
			want:    []string{"-D -t 10.144.43.185:23"},
		},
		{
			name:    "Prune removes every unlisted service",
			table:   []Service{manual(), {Service: ipvs.Service{Key: svc23, Scheduler: "rr"}}, {Service: ipvs.Service{Key: fwm9, Scheduler: "sh"}}},
			desired: Desired{Services: []Service{manual()}, Prune: true},
			// In the table's order (the fake lists newest first).
			want: []string{"-D -f 9", "-D -t 10.144.43.185:23"},
		},
		{
			name:  "a real server to remove from a service not otherwise configured",
			table: []Service{{Service: ipvs.Service{Key: svc23, Scheduler: "rr"}, Dests: []ipvs.Destination{dr(175, 1), dr(187, 1)}}},
			desired: Desired{RemoveDests: []DestRef{
				{Service: svc23, Dest: rs(187, 0)},
				{Service: svc23, Dest: rs(99, 0)}, // absent: nothing to do
			}},
			want: []string{"-d -t 10.144.43.185:23 -r 10.144.43.187:23"},
		},
		{
			name:  "fwmark service with persistence",
			table: nil,
			desired: Desired{Services: []Service{{
				Service: ipvs.Service{Key: fwm9, Scheduler: "sh", Flags: ipvs.SvcPersistent, Timeout: 300, Netmask: 0xffffff00},
				Dests:   []ipvs.Destination{dr(175, 1)},
			}}},
			want: []string{
				"-A -f 9 -s sh -p 300 -M 255.255.255.0",
				"-a -f 9 -r 10.144.43.175:0 -g -w 1",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := table(t, tt.table...)
			ops, err := Plan(read(t, f), tt.desired)
			if err != nil {
				t.Fatalf("Plan: %v", err)
			}
			if diff := cmp.Diff(tt.want, formatOps(ops)); diff != "" {
				t.Errorf("ops (-want +got):\n%s", diff)
			}
			// Applied to the fake kernel, the plan must succeed and leave nothing to do.
			for i, err := range f.Batch(context.Background(), ops) {
				if err != nil {
					t.Errorf("kernel refused %s: %v", FormatOp(ops[i]), err)
				}
			}
			again, err := Plan(read(t, f), tt.desired)
			if err != nil {
				t.Fatal(err)
			}
			if len(again) != 0 {
				t.Errorf("second plan not empty: %q", formatOps(again))
			}
		})
	}
}

func TestPlanRejectsContradictions(t *testing.T) {
	tests := []struct {
		name    string
		desired Desired
		want    string
	}{
		{"service twice", Desired{Services: []Service{manual(), manual()}}, "service TCP 10.144.43.185:8080 is configured twice"},
		{"real server twice (port defaulted)", Desired{Services: []Service{{
			Service: ipvs.Service{Key: svc80},
			Dests:   []ipvs.Destination{dr(175, 1), {Key: rs(175, 8080), Forward: ipvs.Route}},
		}}}, "real server 10.144.43.175:8080 of TCP 10.144.43.185:8080 is configured twice"},
		{"service configured and removed", Desired{Services: []Service{manual()}, RemoveServices: []ipvs.ServiceKey{svc80}}, "both configured and to be removed"},
		{"real server configured and removed", Desired{Services: []Service{manual()}, RemoveDests: []DestRef{{svc80, rs(175, 0)}}}, "both configured and to be removed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ops, err := Plan(nil, tt.desired)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Plan = %q, %v; want an error containing %q", formatOps(ops), err, tt.want)
			}
		})
	}
}

// TestApplyKeepsLiveConnections is the point of adopting: a real server that carries
// connections keeps them through a reconfiguration of its weight and its service's
// scheduler, because it is edited, never deleted and re-added, and nothing is flushed.
func TestApplyKeepsLiveConnections(t *testing.T) {
	cur := manual()
	cur.Service.Scheduler = "wlc"
	cur.Dests[0].Weight = 1
	f := table(t, cur)
	if err := f.SetDestCounters(svc80, rs(175, 8080), 42, 7, 0, ipvs.Stats{Conns: 1000}); err != nil {
		t.Fatal(err)
	}
	ops, err := Apply(context.Background(), f, Desired{Services: []Service{manual()}})
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	want := []string{
		"-E -t 10.144.43.185:8080 -s rr",
		"-e -t 10.144.43.185:8080 -r 10.144.43.175:8080 -g -w 5",
	}
	if diff := cmp.Diff(want, formatOps(ops)); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
	ds, err := f.Destinations(context.Background(), svc80)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Key == rs(175, 8080) {
			if d.ActiveConns != 42 || d.InactConns != 7 || d.Stats.Conns != 1000 || d.Weight != 5 {
				t.Errorf("after Apply: active %d inactive %d conns %d weight %d; want 42 7 1000 5 (the entry was replaced?)",
					d.ActiveConns, d.InactConns, d.Stats.Conns, d.Weight)
			}
		}
	}
	for _, c := range f.Calls() {
		if c.Op == "Flush" || c.Op == "DelService" || c.Op == "DelDestination" {
			t.Errorf("Apply called %v", c)
		}
	}
}

func TestApplyReportsEachFailure(t *testing.T) {
	cur := manual()
	cur.Dests = cur.Dests[:2] // 142 missing
	cur.Dests[0].Weight = 1   // 175 to edit
	f := table(t, cur)
	f.Fail("UpdateDestination", syscall.EPERM)
	ops, err := Apply(context.Background(), f, Desired{Services: []Service{manual()}})
	if err == nil {
		t.Fatal("Apply succeeded, want the edit's failure")
	}
	if !errors.Is(err, syscall.EPERM) {
		t.Errorf("error %v does not wrap EPERM", err)
	}
	if want := "ipvsadm -e -t 10.144.43.185:8080 -r 10.144.43.175:8080 -g -w 5: operation not permitted"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if len(ops) != 2 {
		t.Errorf("ops = %q, want the edit and the add", formatOps(ops))
	}
	// The add went through despite the failed edit.
	f.Fail("UpdateDestination", nil)
	again, err := Plan(read(t, f), Desired{Services: []Service{manual()}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"-e -t 10.144.43.185:8080 -r 10.144.43.175:8080 -g -w 5"}, formatOps(again)); diff != "" {
		t.Errorf("left to do (-want +got):\n%s", diff)
	}
}

func TestApplyReadFailure(t *testing.T) {
	f := table(t, manual())
	f.Fail("Destinations", syscall.EIO)
	_, err := Apply(context.Background(), f, Desired{Services: []Service{manual()}})
	if !errors.Is(err, syscall.EIO) || !strings.Contains(err.Error(), "listing the real servers of TCP 10.144.43.185:8080") {
		t.Fatalf("Apply = %v", err)
	}
}
