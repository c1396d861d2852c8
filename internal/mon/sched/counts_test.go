package sched

import (
	"testing"
	"time"
)

// TestCounts drives the engine through each counted event and checks that its counter,
// and only the counters it should, moved.
func TestCounts(t *testing.T) {
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	for _, tc := range []struct {
		name  string
		svc   string // service lines
		steps func(t *testing.T, e *Engine)
		want  Counts
	}{
		{"on time", "", func(t *testing.T, e *Engine) {
			for _, s := range []int{10, 20} {
				mustStart(t, e, at(s))
				e.MonitorExited("g", "s", 0, "ok\n", at(s))
			}
		}, Counts{Checks: 2}},
		{"within LateAfter is on time", "", func(t *testing.T, e *Engine) {
			mustStart(t, e, t0.Add(10*time.Second+LateAfter))
		}, Counts{Checks: 1}},
		{"started more than LateAfter after due is late", "", func(t *testing.T, e *Engine) {
			mustStart(t, e, t0.Add(10*time.Second+LateAfter+time.Millisecond))
		}, Counts{Checks: 1, Late: 1}},
		{"held back by stop is not late", "", func(t *testing.T, e *Engine) {
			e.Stop(at(5))
			if a := e.Tick(at(10)); len(a.Monitors) != 0 {
				t.Fatal("a check started while stopped")
			}
			e.Start()
			mustStart(t, e, at(30))
		}, Counts{Checks: 1}},
		{"held back by exclude_period is not late", "exclude_period wd {Sun-Sat}", func(t *testing.T, e *Engine) {
			if a := e.Tick(at(10)); len(a.Monitors) != 0 {
				t.Fatal("a check started in its exclude_period")
			}
			service(e, "g", "s").ExcludePeriod = ""
			mustStart(t, e, at(30))
		}, Counts{Checks: 1}},
		{"test monitor is not late", "", func(t *testing.T, e *Engine) {
			if err := e.TestMonitor("g", "s"); err != nil {
				t.Fatal(err)
			}
			mustStart(t, e, at(3))
		}, Counts{Checks: 1}},
		{"a loop stalled past the due time is late", "", func(t *testing.T, e *Engine) {
			mustStart(t, e, at(10))
			e.MonitorExited("g", "s", 0, "ok\n", at(10))
			mustStart(t, e, at(25))
		}, Counts{Checks: 2, Late: 1}},
		{"not run", "", func(t *testing.T, e *Engine) {
			mustStart(t, e, at(10))
			e.MonitorNotRun("g", "s", at(10))
			e.MonitorNotRun("g", "s", at(11)) // not running any more: not counted
		}, Counts{Checks: 1, NotRun: 1}},
		{"monitor timeout", "", func(t *testing.T, e *Engine) {
			mustStart(t, e, at(10))
			e.MonitorTimedOut("g", "s")
			e.MonitorExited("g", "s", 1, "monitor timed out\n", at(12))
			e.MonitorTimedOut("g", "s") // not running: not counted
		}, Counts{Checks: 1, MonitorTimeouts: 1}},
		{"alert failures", "", func(t *testing.T, e *Engine) {
			e.AlertFailed("g", "s")
			e.AlertFailed("g", "s")
			e.AlertFailed("g", "nosuch")
		}, Counts{AlertFailures: 2}},
		{"upalerts", "", func(t *testing.T, e *Engine) {
			for i, exit := range []int{1, 0, 1, 0, 0} {
				s := 10 * (i + 1)
				mustStart(t, e, at(s))
				e.MonitorExited("g", "s", exit, "x\n", at(s))
			}
		}, Counts{Checks: 5, UpAlerts: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(conf(t, oneService("h", tc.svc, "alert a.alert\nupalert u.alert")), opts(), t0)
			tc.steps(t, e)
			if got := e.Infos()[0].Counts; got != tc.want {
				t.Errorf("counts = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestCountsResetWithEngine(t *testing.T) {
	cfg := conf(t, oneService("h", "", "alert a.alert\nupalert u.alert"))
	e := New(cfg, opts(), t0)
	mustStart(t, e, t0.Add(10*time.Second))
	e.MonitorExited("g", "s", 1, "x\n", t0.Add(10*time.Second))
	if i := e.Infos()[0]; i.Checks != 1 || i.Alerts != 1 || i.Failures != 1 {
		t.Fatalf("before: %+v", i)
	}
	// A reset builds a new engine: every count starts again at zero, mon's included.
	if i := New(cfg, opts(), t0).Infos()[0]; i.Counts != (Counts{}) || i.Alerts != 0 || i.Failures != 0 {
		t.Errorf("after: %+v", i)
	}
}

func mustStart(t *testing.T, e *Engine, now time.Time) {
	t.Helper()
	if a := e.Tick(now); len(a.Monitors) != 1 {
		t.Fatalf("Tick(%v): %d monitors, want 1", now.Sub(t0), len(a.Monitors))
	}
}
