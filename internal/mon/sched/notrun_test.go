package sched

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMonitorNotRun(t *testing.T) {
	alerting := oneService("h", "", "alert a.alert\nupalert a.alert")
	for _, tc := range []struct {
		name string
		// before is the verdict of each check run before the one that cannot start.
		before string
	}{
		{"untested service stays untested", ""},
		{"ok service stays ok", "O"},
		{"failing service keeps its failures", "FF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := conf(t, alerting)
			cfg.MaxProcs = 1
			e := New(cfg, opts(), t0)
			now := t0
			for _, v := range tc.before {
				now = now.Add(10 * time.Second)
				if a := e.Tick(now); len(a.Monitors) != 1 {
					t.Fatalf("no check at %v", now)
				}
				exit := 0
				if v == 'F' {
					exit = 1
				}
				e.MonitorExited("g", "s", exit, "h\n", now)
			}
			want := e.Infos()[0]
			now = now.Add(10 * time.Second)
			if a := e.Tick(now); len(a.Monitors) != 1 {
				t.Fatal("check not started")
			}
			e.MonitorNotRun("g", "s", now)
			got := e.Infos()[0]
			// The attempt is counted as a check that was not run; its time stays in
			// LastCheck and the next check is an interval on. Everything the check
			// would decide is unchanged.
			if got.Checks != want.Checks+1 || got.NotRun != want.NotRun+1 {
				t.Errorf("counts %+v after %+v: want one more check and one more not run", got.Counts, want.Counts)
			}
			got.LastCheck, got.NextCheck, got.Counts = want.LastCheck, want.NextCheck, want.Counts
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("state changed (-want +got):\n%s", diff)
			}
			if a := e.Tick(now.Add(9 * time.Second)); len(a.Monitors) != 0 {
				t.Error("next check before the interval")
			}
			// The maxprocs slot was given back: with maxprocs 1 the check starts again.
			if a := e.Tick(now.Add(10 * time.Second)); len(a.Monitors) != 1 || len(a.Alerts) != 0 {
				t.Errorf("next interval: %d monitors, %d alerts; want 1 and 0", len(a.Monitors), len(a.Alerts))
			}
		})
	}
	t.Run("not running or unknown: no-op", func(t *testing.T) {
		e := New(conf(t, alerting), opts(), t0)
		e.MonitorNotRun("g", "s", t0)
		e.MonitorNotRun("g", "nosuch", t0)
		if e.procs != 0 {
			t.Errorf("procs = %d", e.procs)
		}
		if a := e.Tick(t0.Add(10 * time.Second)); len(a.Monitors) != 1 {
			t.Error("first check no longer one interval after start")
		}
	})
}
