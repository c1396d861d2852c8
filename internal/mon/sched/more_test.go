package sched

import (
	"testing"
	"time"
)

func TestRandskewMaxprocsExcludePeriodEmptyGroup(t *testing.T) {
	t.Run("randskew", func(t *testing.T) {
		s := svc(&Period{})
		s.RandSkew = 3 * time.Second
		o := opts()
		calls := 0
		// First call: the skew magnitude (rand(3)=2 → 3s); second: the sign (1 → +).
		o.Rand = func(n int64) int64 { calls++; return n - 1 }
		e := New(Config{Groups: map[string][]string{"g": {"h"}}, Services: []*Service{s}}, o, t0)
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
		a1, a2 := svc(&Period{}), svc(&Period{})
		a2.Name = "s2"
		e := New(Config{Groups: map[string][]string{"g": {"h"}}, Services: []*Service{a1, a2}, MaxProcs: 1}, opts(), t0)
		if a := e.Tick(t0.Add(10 * time.Second)); len(a.Monitors) != 1 {
			t.Fatalf("maxprocs 1 started %d", len(a.Monitors))
		}
		e.MonitorExited("g", "s", 0, "", t0.Add(11*time.Second))
		if a := e.Tick(t0.Add(11 * time.Second)); len(a.Monitors) != 1 || a.Monitors[0].Service != "s2" {
			t.Fatalf("throttled monitor not started once a slot freed: %+v", a.Monitors)
		}
	})
	t.Run("exclude_period", func(t *testing.T) {
		s := svc(&Period{})
		s.ExcludePeriod = "off"
		o := opts()
		excluded := true
		o.InPeriod = func(_ time.Time, spec string) bool { return spec == "off" && excluded }
		e := New(Config{Groups: map[string][]string{"g": {"h"}}, Services: []*Service{s}}, o, t0)
		if a := e.Tick(t0.Add(10 * time.Second)); len(a.Monitors) != 0 {
			t.Fatal("ran inside exclude_period")
		}
		excluded = false
		if a := e.Tick(t0.Add(11 * time.Second)); len(a.Monitors) != 1 {
			t.Fatal("did not run right after exclude_period ended")
		}
	})
	t.Run("empty group and exclude_hosts", func(t *testing.T) {
		s := svc(&Period{})
		s.ExcludeHosts = []string{"h2"}
		e := New(Config{Groups: map[string][]string{"g": {"h1", "h2"}}, Services: []*Service{s}}, opts(), t0)
		e.DisableHost("h1", false)
		if a := e.Tick(t0.Add(10 * time.Second)); len(a.Monitors) != 0 {
			t.Fatal("monitor ran with no hosts left")
		}
		s.AllowEmptyGroup = true
		if a := e.Tick(t0.Add(20 * time.Second)); len(a.Monitors) != 1 || len(a.Monitors[0].Args) != 1 {
			t.Fatalf("allow_empty_group: %+v", a.Monitors)
		}
	})
	t.Run("missing monitor retried", func(t *testing.T) {
		s := svc(&Period{})
		s.Monitor = "missing.monitor"
		e := New(Config{Groups: map[string][]string{"g": {"h"}}, Services: []*Service{s}}, opts(), t0)
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
	p := &Period{Alerts: []string{"a.alert"}, UpAlerts: []string{"a.alert"}, AlertAfterConsec: 5, NoCompAlerts: true}
	cfg := Config{Groups: map[string][]string{"g": {"h1"}}, Services: []*Service{svc(p)}}
	got := run(t, New(cfg, opts(), t0), 40, "FFOO")
	if len(got) != 1 || got[0] != "upalert@3" {
		t.Fatalf("no_comp_alerts: upalert even without a down alert, once: %v", got)
	}
}
