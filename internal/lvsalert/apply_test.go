package lvsalert

import (
	"bytes"
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/internal/ipvs"
	"golang.org/x/sys/unix"
)

var (
	rs142 = ipvs.DestKey{Addr: netip.MustParseAddr("10.144.43.142"), Port: 8080}
	rs187 = ipvs.DestKey{Addr: netip.MustParseAddr("10.144.43.187"), Port: 8080}
)

// manualTable is the table /etc/init.d/lvs start builds in the manual's §三 4.6, minus
// the real servers a test leaves out.
func manualTable(t *testing.T, without ...ipvs.DestKey) *ipvs.Fake {
	t.Helper()
	f := ipvs.NewFake()
	ctx := context.Background()
	if err := f.AddService(ctx, ipvs.Service{Key: vip8080, Scheduler: "rr"}); err != nil {
		t.Fatal(err)
	}
	// Added in reverse: the kernel (and the fake) list the newest first, so the table
	// reads in the manual's order.
	for _, d := range []ipvs.DestKey{rs142, rs187, rs175} {
		if contains(without, d) {
			continue
		}
		if err := f.AddDestination(ctx, vip8080, ipvs.Destination{Key: d, Family: ipvs.FamilyIPv4, Forward: ipvs.Route, Weight: 5}); err != nil {
			t.Fatal(err)
		}
	}
	f.ResetCalls()
	return f
}

func contains(ds []ipvs.DestKey, d ipvs.DestKey) bool {
	for _, x := range ds {
		if x == d {
			return true
		}
	}
	return false
}

// row is a destination as a comparable summary.
type row struct {
	Dest    string
	Weight  int32
	Forward string
}

func rows(t *testing.T, f *ipvs.Fake, k ipvs.ServiceKey) []row {
	t.Helper()
	ds, err := f.Destinations(context.Background(), k)
	if err != nil {
		t.Fatalf("Destinations: %v", err)
	}
	var out []row
	for _, d := range ds {
		out = append(out, row{DestString(d.Key), d.Weight, ForwardString(d.Forward)})
	}
	return out
}

func TestApply(t *testing.T) {
	down := Request{Service: vip8080, Dest: rs175, Forward: ipvs.Route}
	up := Request{Service: vip8080, Dest: rs175, Up: true, Weight: 5, Forward: ipvs.Route}
	tests := []struct {
		name      string
		table     func(t *testing.T) *ipvs.Fake
		req       Request
		wantRows  []row
		wantLog   []string
		wantNotes string // substring; "" means no notes at all
	}{
		{
			name:     "down removes the real server",
			table:    func(t *testing.T) *ipvs.Fake { return manualTable(t) },
			req:      down,
			wantRows: []row{{"10.144.43.187:8080", 5, "dr"}, {"10.144.43.142:8080", 5, "dr"}},
			wantLog:  []string{"DelDestination TCP 10.144.43.185:8080 10.144.43.175:8080"},
		},
		{
			name:      "down of an absent real server is a note, not an error",
			table:     func(t *testing.T) *ipvs.Fake { return manualTable(t, rs175) },
			req:       down,
			wantRows:  []row{{"10.144.43.187:8080", 5, "dr"}, {"10.144.43.142:8080", 5, "dr"}},
			wantNotes: "10.144.43.175:8080 is not in TCP 10.144.43.185:8080; nothing to remove",
		},
		{
			name:      "down when the service does not exist",
			table:     func(t *testing.T) *ipvs.Fake { return ipvs.NewFake() },
			req:       down,
			wantNotes: "TCP 10.144.43.185:8080 is not defined",
		},
		{
			name:  "up adds with weight and method",
			table: func(t *testing.T) *ipvs.Fake { return manualTable(t, rs175) },
			req:   Request{Service: vip8080, Dest: rs175, Up: true, Weight: 7, Forward: ipvs.Tunnel},
			wantRows: []row{ // newest first, as the kernel lists them
				{"10.144.43.175:8080", 7, "tun"}, {"10.144.43.187:8080", 5, "dr"}, {"10.144.43.142:8080", 5, "dr"},
			},
			wantLog: []string{"AddDestination TCP 10.144.43.185:8080 10.144.43.175:8080 w=7 tun"},
		},
		{
			name:      "up of a present real server with the same settings changes nothing",
			table:     func(t *testing.T) *ipvs.Fake { return manualTable(t) },
			req:       up,
			wantRows:  []row{{"10.144.43.175:8080", 5, "dr"}, {"10.144.43.187:8080", 5, "dr"}, {"10.144.43.142:8080", 5, "dr"}},
			wantNotes: "10.144.43.175:8080 is already in TCP 10.144.43.185:8080 (weight 5, dr); nothing to do",
		},
		{
			name: "up of a present real server left at weight 0 edits it in place",
			table: func(t *testing.T) *ipvs.Fake {
				f := manualTable(t)
				setWeight(t, f, vip8080, rs175, 0)
				f.ResetCalls()
				return f
			},
			req:       up,
			wantRows:  []row{{"10.144.43.175:8080", 5, "dr"}, {"10.144.43.187:8080", 5, "dr"}, {"10.144.43.142:8080", 5, "dr"}},
			wantLog:   []string{"UpdateDestination TCP 10.144.43.185:8080 10.144.43.175:8080 w=5 dr"},
			wantNotes: "changed weight 0 -> 5, dr -> dr",
		},
		{
			name: "fwmark service",
			table: func(t *testing.T) *ipvs.Fake {
				f := ipvs.NewFake()
				fw := ipvs.ServiceKey{Family: ipvs.FamilyIPv4, FWMark: 9}
				if err := f.AddService(context.Background(), ipvs.Service{Key: fw, Scheduler: "sh"}); err != nil {
					t.Fatal(err)
				}
				f.ResetCalls()
				return f
			},
			req:      Request{Service: ipvs.ServiceKey{Family: ipvs.FamilyIPv4, FWMark: 9}, Dest: ipvs.DestKey{Addr: rs175.Addr}, Up: true, Weight: 1, Forward: ipvs.Route},
			wantLog:  []string{"AddDestination FWM 9 10.144.43.175:0 w=1 dr"},
			wantRows: []row{{"10.144.43.175:0", 1, "dr"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.table(t)
			var notes bytes.Buffer
			a := &Applier{Client: f, Clock: &stepClock{}, Notes: &notes}
			if err := a.Apply(context.Background(), tt.req); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if diff := cmp.Diff(tt.wantLog, mutations(f)); diff != "" {
				t.Errorf("IPVS changes (-want +got):\n%s", diff)
			}
			if _, err := f.Service(context.Background(), tt.req.Service); err == nil {
				if diff := cmp.Diff(tt.wantRows, rows(t, f, tt.req.Service)); diff != "" {
					t.Errorf("table (-want +got):\n%s", diff)
				}
			}
			if tt.wantNotes == "" && notes.Len() != 0 {
				t.Errorf("notes = %q, want none", notes.String())
			}
			if !strings.Contains(notes.String(), tt.wantNotes) {
				t.Errorf("notes = %q, want them to contain %q", notes.String(), tt.wantNotes)
			}
		})
	}
}

// TestIdempotent applies the same alert twice in each direction: the second run must
// leave the table as the first did and succeed.
func TestIdempotent(t *testing.T) {
	for _, up := range []bool{false, true} {
		f := manualTable(t)
		req := Request{Service: vip8080, Dest: rs175, Up: up, Weight: 5, Forward: ipvs.Route}
		a := &Applier{Client: f, Clock: &stepClock{}}
		if err := a.Apply(context.Background(), req); err != nil {
			t.Fatalf("up=%v first Apply: %v", up, err)
		}
		first := rows(t, f, vip8080)
		if err := a.Apply(context.Background(), req); err != nil {
			t.Fatalf("up=%v second Apply: %v", up, err)
		}
		if diff := cmp.Diff(first, rows(t, f, vip8080)); diff != "" {
			t.Errorf("up=%v: second Apply changed the table (-first +second):\n%s", up, diff)
		}
		if got := len(rows(t, f, vip8080)); (up && got != 3) || (!up && got != 2) {
			t.Errorf("up=%v: %d real servers left", up, got)
		}
	}
}

// raceFake answers as if another process changed the table between lvs-alert's look
// and its change: the add finds the entry present, the delete finds it gone.
type raceFake struct {
	*ipvs.Fake
	racer func()
}

func (r *raceFake) AddDestination(ctx context.Context, k ipvs.ServiceKey, d ipvs.Destination) error {
	r.racer()
	return r.Fake.AddDestination(ctx, k, d)
}

func (r *raceFake) DelDestination(ctx context.Context, k ipvs.ServiceKey, d ipvs.DestKey) error {
	r.racer()
	return r.Fake.DelDestination(ctx, k, d)
}

func TestApplyRaces(t *testing.T) {
	t.Run("added meanwhile", func(t *testing.T) {
		f := manualTable(t, rs175)
		rf := &raceFake{Fake: f, racer: func() {
			if err := f.AddDestination(context.Background(), vip8080, ipvs.Destination{Key: rs175, Forward: ipvs.Route, Weight: 1}); err != nil {
				t.Fatal(err)
			}
		}}
		var notes bytes.Buffer
		a := &Applier{Client: rf, Clock: &stepClock{}, Notes: &notes}
		if err := a.Apply(context.Background(), Request{Service: vip8080, Dest: rs175, Up: true, Weight: 5, Forward: ipvs.Route}); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		want := []row{{"10.144.43.175:8080", 5, "dr"}, {"10.144.43.187:8080", 5, "dr"}, {"10.144.43.142:8080", 5, "dr"}}
		if diff := cmp.Diff(want, rows(t, f, vip8080)); diff != "" {
			t.Errorf("table (-want +got):\n%s", diff)
		}
	})
	t.Run("removed meanwhile", func(t *testing.T) {
		f := manualTable(t)
		rf := &raceFake{Fake: f, racer: func() {
			if err := f.DelDestination(context.Background(), vip8080, rs175); err != nil {
				t.Fatal(err)
			}
		}}
		var notes bytes.Buffer
		a := &Applier{Client: rf, Clock: &stepClock{}, Notes: &notes}
		if err := a.Apply(context.Background(), Request{Service: vip8080, Dest: rs175}); err != nil {
			t.Fatalf("Apply: %v", err)
		}
		if !strings.Contains(notes.String(), "before we removed it") {
			t.Errorf("notes = %q", notes.String())
		}
	})
}

func TestDrain(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		active     uint32
		perStep    uint32 // connections ending per poll
		drain      time.Duration
		meddle     func(t *testing.T, f *ipvs.Fake, step int) // another actor during the wait
		wantRemove bool
		wantSleeps int
		wantNotes  string
	}{
		{name: "no active connections: removed at once", active: 0, drain: 30 * time.Second, wantRemove: true, wantSleeps: 0},
		{name: "connections end after 3 polls", active: 9, perStep: 3, drain: 30 * time.Second, wantRemove: true, wantSleeps: 3},
		{
			name: "connections never end: removed at the deadline", active: 5, perStep: 0, drain: 10 * time.Second,
			wantRemove: true, wantSleeps: 10, wantNotes: "timed out after 10s with 5 active connections; removing it",
		},
		{
			name: "deadline shorter than a poll", active: 5, perStep: 0, drain: 300 * time.Millisecond,
			wantRemove: true, wantSleeps: 1, wantNotes: "timed out after 300ms",
		},
		{
			name: "an upalert restores the weight meanwhile: not removed", active: 5, perStep: 1, drain: 30 * time.Second,
			meddle: func(t *testing.T, f *ipvs.Fake, step int) {
				if step == 2 {
					setWeight(t, f, vip8080, rs175, 5)
				}
			},
			wantRemove: false, wantSleeps: 2, wantNotes: "cancelled: its weight was set to 5 meanwhile",
		},
		{
			name: "removed by someone else meanwhile", active: 5, perStep: 1, drain: 30 * time.Second,
			meddle: func(t *testing.T, f *ipvs.Fake, step int) {
				if step == 1 {
					if err := f.DelDestination(context.Background(), vip8080, rs175); err != nil {
						t.Fatal(err)
					}
				}
			},
			wantRemove: true, wantSleeps: 1, wantNotes: "left TCP 10.144.43.185:8080 while draining",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := manualTable(t)
			setActive(t, f, vip8080, rs175, tt.active)
			clk := &stepClock{now: start}
			var weightsSeen []int32
			clk.onSleep = func() {
				if d, ok := destOf(t, f, vip8080, rs175); ok {
					weightsSeen = append(weightsSeen, d.Weight)
					n := uint32(0)
					if d.ActiveConns >= tt.perStep {
						n = d.ActiveConns - tt.perStep
					}
					setActive(t, f, vip8080, rs175, n)
				}
				if tt.meddle != nil {
					tt.meddle(t, f, clk.sleeps)
				}
			}
			var notes bytes.Buffer
			a := &Applier{Client: f, Clock: clk, Notes: &notes}
			err := a.Apply(context.Background(), Request{Service: vip8080, Dest: rs175, Drain: tt.drain})
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			_, present := destOf(t, f, vip8080, rs175)
			if removed := !present; removed != tt.wantRemove {
				t.Errorf("removed = %v, want %v (changes %q)", removed, tt.wantRemove, mutations(f))
			}
			if clk.sleeps != tt.wantSleeps {
				t.Errorf("polls = %d, want %d", clk.sleeps, tt.wantSleeps)
			}
			for _, w := range weightsSeen {
				if w != 0 && tt.meddle == nil {
					t.Errorf("weight %d while draining, want 0", w)
				}
			}
			if elapsed := clk.now.Sub(start); elapsed > tt.drain {
				t.Errorf("drain waited %s, more than its bound %s", elapsed, tt.drain)
			}
			if tt.wantNotes == "" && notes.Len() != 0 {
				t.Errorf("notes = %q, want none", notes.String())
			}
			if !strings.Contains(notes.String(), tt.wantNotes) {
				t.Errorf("notes = %q, want %q", notes.String(), tt.wantNotes)
			}
		})
	}
}

func TestDrainCancelled(t *testing.T) {
	f := manualTable(t)
	setActive(t, f, vip8080, rs175, 5)
	ctx, cancel := context.WithCancel(context.Background())
	clk := &stepClock{onSleep: cancel}
	a := &Applier{Client: f, Clock: clk}
	err := a.Apply(ctx, Request{Service: vip8080, Dest: rs175, Drain: time.Minute})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply = %v, want context.Canceled", err)
	}
	// Stopped mid-drain: the server stays, at weight 0, for an upalert to restore.
	if diff := cmp.Diff([]row{{"10.144.43.175:8080", 0, "dr"}, {"10.144.43.187:8080", 5, "dr"}, {"10.144.43.142:8080", 5, "dr"}}, rows(t, f, vip8080)); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
}

func TestApplyKernelErrors(t *testing.T) {
	tests := []struct {
		name    string
		failOp  string
		errno   error
		req     Request
		without []ipvs.DestKey
		want    string
	}{
		{"delete refused", "DelDestination", unix.EPERM, Request{Service: vip8080, Dest: rs175},
			nil, "removing 10.144.43.175:8080 from TCP 10.144.43.185:8080: operation not permitted"},
		{"add refused", "AddDestination", unix.ENOMEM, Request{Service: vip8080, Dest: rs175, Up: true, Weight: 5, Forward: ipvs.Route},
			[]ipvs.DestKey{rs175}, "adding 10.144.43.175:8080 to TCP 10.144.43.185:8080 (weight 5, dr): cannot allocate memory"},
		{"edit refused", "UpdateDestination", unix.EINVAL, Request{Service: vip8080, Dest: rs175, Up: true, Weight: 9, Forward: ipvs.Route},
			nil, "setting 10.144.43.175:8080 in TCP 10.144.43.185:8080 to weight 9, dr: invalid argument"},
		{"listing refused", "Destinations", unix.EPERM, Request{Service: vip8080, Dest: rs175},
			nil, "listing the real servers of TCP 10.144.43.185:8080: operation not permitted"},
		{"drain weight refused", "UpdateDestination", unix.EPERM, Request{Service: vip8080, Dest: rs175, Drain: time.Second},
			nil, "draining 10.144.43.175:8080 in TCP 10.144.43.185:8080: setting weight 0: operation not permitted"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := manualTable(t, tt.without...)
			f.Fail(tt.failOp, tt.errno)
			err := (&Applier{Client: f, Clock: &stepClock{}}).Apply(context.Background(), tt.req)
			if err == nil {
				t.Fatal("Apply succeeded, want an error")
			}
			if !errors.Is(err, tt.errno) {
				t.Errorf("error %v does not wrap %v", err, tt.errno)
			}
			if err.Error() != tt.want {
				t.Errorf("error = %q, want %q", err, tt.want)
			}
		})
	}
}

func TestUpWithoutService(t *testing.T) {
	f := ipvs.NewFake()
	err := (&Applier{Client: f, Clock: &stepClock{}}).Apply(context.Background(), Request{Service: vip8080, Dest: rs175, Up: true, Weight: 5})
	if err == nil || !strings.Contains(err.Error(), "no such virtual service") {
		t.Fatalf("Apply = %v, want a no-such-service error", err)
	}
	if m := mutations(f); len(m) != 0 {
		t.Errorf("changes made: %q", m)
	}
}

// dumpFake answers Destinations as the kernel does for a service it does not have: an
// empty dump, no error (ip_vs_genl_dump_dests). Only Service says ESRCH.
type dumpFake struct{ *ipvs.Fake }

func (d dumpFake) Destinations(ctx context.Context, k ipvs.ServiceKey) ([]ipvs.DestinationInfo, error) {
	ds, err := d.Fake.Destinations(ctx, k)
	if errors.Is(err, unix.ESRCH) {
		return nil, nil
	}
	return ds, err
}

func TestMissingServiceAsTheKernelReportsIt(t *testing.T) {
	f := dumpFake{ipvs.NewFake()}
	var notes bytes.Buffer
	a := &Applier{Client: f, Clock: &stepClock{}, Notes: &notes}
	err := a.Apply(context.Background(), Request{Service: vip8080, Dest: rs175, Up: true, Weight: 5, Forward: ipvs.Route})
	if err == nil || !strings.Contains(err.Error(), "no such virtual service") {
		t.Errorf("up: %v, want no such virtual service", err)
	}
	if err := a.Apply(context.Background(), Request{Service: vip8080, Dest: rs175}); err != nil {
		t.Errorf("down: %v", err)
	}
	if !strings.Contains(notes.String(), "TCP 10.144.43.185:8080 is not defined") {
		t.Errorf("notes %q", notes.String())
	}
	if m := mutations(f.Fake); len(m) != 0 {
		t.Errorf("changes made: %q", m)
	}
}
