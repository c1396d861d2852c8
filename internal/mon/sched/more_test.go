package sched

import (
	"testing"
	"time"
)

func TestRandskewMaxprocsExcludePeriodEmptyGroup(t *testing.T) {
	t.Run("randskew", func(t *testing.T) {
		o := opts()
		calls := 0
		// First call: the skew magnitude (rand(3)=2 → 3s); second: the sign (1 → +).
		o.Rand = func(n int64) int64 { calls++; return n - 1 }
		e := New(conf(t, oneService("h", "randskew 3s", "")), o, t0)
		e.Tick(t0.Add(10 * time.Second))
		e.MonitorExited("g", "s", 0, "", t0.Add(10*time.Second))
		if a := e.Tick(t0.Add(22 * time.Second)); len(a.Monitors) != 0 {
			t.Fatal("ran before interval+skew")
		}
		if a := e.Tick(t0.Add(23 * time.Second)); len(a.Monitors) != 1 {
			t.Fatal("did not run at interval+skew (10+3)")
		}
	})
	t.Run("maxprocs", func(t *testing.T) {
		cfg := conf(t, oneService("h", "", "")+"service s2\ninterval 10s\nmonitor test.monitor\n")
		cfg.MaxProcs = 1
		e := New(cfg, opts(), t0)
		if a := e.Tick(t0.Add(10 * time.Second)); len(a.Monitors) != 1 {
			t.Fatalf("maxprocs 1 started %d", len(a.Monitors))
		}
		e.MonitorExited("g", "s", 0, "", t0.Add(11*time.Second))
		if a := e.Tick(t0.Add(11 * time.Second)); len(a.Monitors) != 1 || a.Monitors[0].Service != "s2" {
			t.Fatalf("throttled monitor not started once a slot freed: %+v", a.Monitors)
		}
	})
	// t0 is at second 20 of its minute: excluded at t0+10s, no longer at t0+11s.
	for name, cfg := range map[string]string{
		"exclude_period":        oneService("h", "exclude_period sec {30}", ""),
		"global exclude_period": "exclude_period = sec {30}\n\n" + oneService("h", "", ""),
	} {
		t.Run(name, func(t *testing.T) {
			e := New(conf(t, cfg), opts(), t0)
			if a := e.Tick(t0.Add(10 * time.Second)); len(a.Monitors) != 0 {
				t.Fatal("ran inside the period")
			}
			if a := e.Tick(t0.Add(11 * time.Second)); len(a.Monitors) != 1 {
				t.Fatal("did not run right after the period ended")
			}
		})
	}
	t.Run("empty group and exclude_hosts", func(t *testing.T) {
		e := New(conf(t, oneService("h1 h2", "exclude_hosts h2", "")), opts(), t0)
		e.DisableHost("h1", false)
		if a := e.Tick(t0.Add(10 * time.Second)); len(a.Monitors) != 0 {
			t.Fatal("monitor ran with no hosts left")
		}
		service(e, "g", "s").AllowEmptyGroup = true
		if a := e.Tick(t0.Add(20 * time.Second)); len(a.Monitors) != 1 || len(a.Monitors[0].Args) != 1 {
			t.Fatalf("allow_empty_group: %+v", a.Monitors)
		}
	})
	t.Run("missing monitor retried", func(t *testing.T) {
		e := New(conf(t, "hostgroup g h\n\nwatch g\nservice s\ninterval 10s\nmonitor missing.monitor\n"), opts(), t0)
		for i := 10; i < 13; i++ {
			if a := e.Tick(t0.Add(time.Duration(i) * time.Second)); len(a.Monitors) != 0 {
				t.Fatal("missing monitor started")
			}
		}
		if due, _ := e.NextDue(); due.After(t0.Add(10 * time.Second)) {
			t.Fatalf("missing monitor not kept due: %v", due)
		}
	})
}

func TestNoCompAlerts(t *testing.T) {
	cfg := conf(t, oneService("h1", "", "alert a.alert\nupalert a.alert\nalertafter 5\nno_comp_alerts"))
	got := run(t, New(cfg, opts(), t0), 40, "FFOO")
	if len(got) != 1 || got[0] != "upalert@3" {
		t.Fatalf("no_comp_alerts: upalert even without a down alert, once: %v", got)
	}
}
