package sched

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Unix(1_700_000_000, 0)

func opts() Options {
	return Options{
		MonitorPath: func(n string) (string, bool) { return "/mon.d/" + n, n != "missing.monitor" },
		AlertPath:   func(n string) (string, bool) { return "/alert.d/" + n, n != "missing.alert" },
		Rand:        func(n int64) int64 { return 0 },
	}
}

func svc(p *Period) *Service {
	return &Service{Group: "g", Name: "s", Interval: 10 * time.Second, Monitor: "test.monitor -x", Periods: []*Period{p}}
}

// run steps the engine second by second for n seconds; each monitor that starts
// finishes at once with the next verdict of the schedule ('F' fail, 'O' ok). It returns
// one word per alert: its type and, for failures, the check number.
func run(t *testing.T, e *Engine, n int, schedule string) []string {
	t.Helper()
	var got []string
	check := 0
	now := t0
	for i := 0; i <= n; i++ {
		now = t0.Add(time.Duration(i) * time.Second)
		a := e.Tick(now)
		for _, m := range a.Monitors {
			exit, out := 0, "ok\n"
			if check < len(schedule) && schedule[check] == 'F' {
				exit, out = 1, "h1 down\ndetail\n"
			}
			check++
			r := e.MonitorExited(m.Group, m.Service, exit, out, now)
			for _, al := range r.Alerts {
				got = append(got, al.Type+"@"+itoa(check))
			}
		}
	}
	return got
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + fmtInt(i)) }
func fmtInt(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return fmtInt(i/10) + string(rune('0'+i%10))
}

func TestAlertSequences(t *testing.T) {
	for _, tc := range []struct {
		name     string
		p        Period
		schedule string
		want     []string
	}{
		{"every failure alerts by default", Period{Alerts: []string{"a.alert"}, UpAlerts: []string{"a.alert"}},
			"FFOO", []string{"alert@1", "alert@2", "upalert@3"}},
		{"no upalert without upalert line", Period{Alerts: []string{"a.alert"}},
			"FO", []string{"alert@1"}},
		{"upalert needs a sent down alert", Period{Alerts: []string{"a.alert"}, UpAlerts: []string{"a.alert"}, AlertAfterConsec: 3},
			"FFOFFFO", []string{"alert@6", "upalert@7"}},
		{"alertafter 6 alertevery 1h", Period{Alerts: []string{"a.alert"}, UpAlerts: []string{"a.alert"}, AlertAfterConsec: 6, AlertEvery: time.Hour},
			"FFFFFFFFFOFFFFFF", []string{"alert@6", "upalert@10", "alert@16"}},
		{"numalerts caps, success re-arms", Period{Alerts: []string{"a.alert"}, NumAlerts: 2},
			"FFFFOFFF", []string{"alert@1", "alert@2", "alert@6", "alert@7"}},
		{"alertevery strict survives success", Period{Alerts: []string{"a.alert"}, AlertEvery: time.Hour, AlertEveryMode: AlertEveryStrict},
			"FFOFF", []string{"alert@1"}},
		{"alertevery summary mode re-arms on success", Period{Alerts: []string{"a.alert"}, AlertEvery: time.Hour},
			"FFOFF", []string{"alert@1", "alert@4"}},
		{"alertafter 20s (time form)", Period{Alerts: []string{"a.alert"}, AlertAfterInterval: 20 * time.Second},
			"FFFFF", []string{"alert@4", "alert@5"}},
		{"alertafter 3 in 30s", Period{Alerts: []string{"a.alert"}, AlertAfterCount: 3, AlertAfterInterval: 30 * time.Second},
			"FFFFF", []string{"alert@3", "alert@4"}}, // the 5th starts a new 30s window
		{"exit range", Period{Alerts: []string{"exit=2 a.alert", "b.alert"}},
			"F", []string{"alert@1"}},
		{"missing alert not counted", Period{Alerts: []string{"missing.alert"}, UpAlerts: []string{"a.alert"}},
			"FO", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.p
			cfg := Config{Groups: map[string][]string{"g": {"h1"}}, Services: []*Service{svc(&p)}}
			e := New(cfg, opts(), t0)
			got := run(t, e, 10*len(tc.schedule), tc.schedule)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFirstCheckAfterOneInterval(t *testing.T) {
	cfg := Config{Groups: map[string][]string{"g": {"h1", "h2"}}, Services: []*Service{svc(&Period{})}}
	e := New(cfg, opts(), t0)
	if a := e.Tick(t0.Add(9 * time.Second)); len(a.Monitors) != 0 {
		t.Fatalf("monitor ran before one interval: %+v", a.Monitors)
	}
	a := e.Tick(t0.Add(10 * time.Second))
	if len(a.Monitors) != 1 {
		t.Fatalf("monitor did not run at one interval")
	}
	m := a.Monitors[0]
	if diff := cmp.Diff([]string{"-x", "h1", "h2"}, m.Args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	if m.Path != "/mon.d/test.monitor" || m.Env["MON_GROUP"] != "g" || m.Env["MON_SERVICE"] != "s" || m.Env["MON_LAST_SUCCESS"] != "0" {
		t.Errorf("monitor %+v", m)
	}
	// While running it is not started again.
	if a := e.Tick(t0.Add(30 * time.Second)); len(a.Monitors) != 0 {
		t.Fatal("started twice")
	}
}

func TestRandstartAndFailureInterval(t *testing.T) {
	s := svc(&Period{Alerts: []string{"a.alert"}})
	s.FailureInterval = 3 * time.Second
	o := opts()
	o.Rand = func(n int64) int64 { return n - 1 }
	e := New(Config{Groups: map[string][]string{"g": {"h"}}, Services: []*Service{s}, RandStart: 5 * time.Second}, o, t0)
	if a := e.Tick(t0.Add(4 * time.Second)); len(a.Monitors) != 1 {
		t.Fatal("randstart: want first run at rand(5)=4s")
	}
	e.MonitorExited("g", "s", 1, "x\n", t0.Add(4*time.Second))
	if a := e.Tick(t0.Add(6 * time.Second)); len(a.Monitors) != 0 {
		t.Fatal("failure_interval: ran too early")
	}
	if a := e.Tick(t0.Add(7 * time.Second)); len(a.Monitors) != 1 {
		t.Fatal("failure_interval: want next run 3s after failure")
	}
	e.MonitorExited("g", "s", 0, "ok\n", t0.Add(7*time.Second))
	if a := e.Tick(t0.Add(16 * time.Second)); len(a.Monitors) != 0 {
		t.Fatal("back to interval: ran too early")
	}
	if a := e.Tick(t0.Add(17 * time.Second)); len(a.Monitors) != 1 {
		t.Fatal("back to interval: want run 10s after success")
	}
}

func TestAlertArgvAndEnv(t *testing.T) {
	p := &Period{Alerts: []string{`lvs.alert -P tcp -V 10.0.0.1:80 -R "a b"`}, UpAlerts: []string{"lvs.alert -u 1"}}
	s := svc(p)
	s.Description = "web"
	s.HasDescription = true
	cfg := Config{Groups: map[string][]string{"g": {"h1", "h2"}}, Services: []*Service{s}, StateDir: "/st", LogDir: "/lg", CfBaseDir: "/cf"}
	e := New(cfg, opts(), t0)
	e.DisableHost("h2", false)
	e.Tick(t0.Add(10 * time.Second))
	a := e.MonitorExited("g", "s", 1, "h1\ndetail\n", t0.Add(10*time.Second))
	if len(a.Alerts) != 1 {
		t.Fatalf("alerts: %+v", a.Alerts)
	}
	al := a.Alerts[0]
	wantArgs := []string{"-s", "s", "-g", "g", "-h", "h1", "-t", "1700000010", "-P", "tcp", "-V", "10.0.0.1:80", "-R", "a b"}
	if diff := cmp.Diff(wantArgs, al.Args); diff != "" {
		t.Errorf("args (-want +got):\n%s", diff)
	}
	wantEnv := map[string]string{
		"MON_LAST_SUMMARY": "h1", "MON_LAST_FAILURE": "1700000010", "MON_FIRST_FAILURE": "1700000010",
		"MON_FIRST_SUCCESS": "", "MON_LAST_SUCCESS": "0", "MON_DESCRIPTION": "web", "MON_GROUP": "g",
		"MON_SERVICE": "s", "MON_RETVAL": "1", "MON_OPSTATUS": "0", "MON_ALERTTYPE": "failure",
		"MON_STATEDIR": "/st", "MON_LOGDIR": "/lg", "MON_CFBASEDIR": "/cf",
	}
	if diff := cmp.Diff(wantEnv, al.Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	if al.Stdin != "h1\ndetail\n" {
		t.Errorf("stdin %q", al.Stdin)
	}
	e.Tick(t0.Add(20 * time.Second))
	a = e.MonitorExited("g", "s", 0, "\n", t0.Add(20*time.Second))
	if len(a.Alerts) != 1 || a.Alerts[0].Type != "upalert" {
		t.Fatalf("upalert: %+v", a.Alerts)
	}
	up := a.Alerts[0]
	if diff := cmp.Diff([]string{"-s", "s", "-g", "g", "-h", "h1", "-t", "1700000020", "-u", "-u", "1"}, up.Args); diff != "" {
		t.Errorf("upalert args (-want +got):\n%s", diff)
	}
	if up.Stdin != "h1\ndetail\n" || up.Env["MON_OPSTATUS"] != "1" || up.Env["MON_ALERTTYPE"] != "up" || up.Env["MON_RETVAL"] != "0" {
		t.Errorf("upalert %+v", up)
	}
	if h := e.AlertHistory(); len(h) != 2 || !strings.HasPrefix(h[0], "alert g s 1700000010 /alert.d/lvs.alert (-P tcp") {
		t.Errorf("alert history %q", h)
	}
}

func TestDisabledAndAckSuppressAlerts(t *testing.T) {
	p := &Period{Alerts: []string{"a.alert"}, AckAlerts: []string{"a.alert"}}
	cfg := Config{Groups: map[string][]string{"g": {"h1"}}, Services: []*Service{svc(p)}}
	e := New(cfg, opts(), t0)
	if err := e.DisableWatch("g", false); err != nil {
		t.Fatal(err)
	}
	if got := run(t, e, 20, "FF"); len(got) != 0 {
		t.Fatalf("disabled watch alerted: %v", got)
	}
	e.DisableWatch("g", true)
	e.Tick(t0.Add(30 * time.Second))
	if a := e.MonitorExited("g", "s", 1, "h1 down\ndetail\n", t0.Add(30*time.Second)); len(a.Alerts) != 1 {
		t.Fatalf("enabled watch did not alert: %+v", a.Alerts)
	}
	a, err := e.Ack("g", "s", "me: fixing", t0.Add(35*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Alerts) != 1 || a.Alerts[0].Flags&FlAckAlert == 0 || a.Alerts[0].Args[len(a.Alerts[0].Args)-1] != "-a" {
		t.Fatalf("ackalert: %+v", a.Alerts)
	}
	e.Tick(t0.Add(40 * time.Second))
	if a := e.MonitorExited("g", "s", 1, "h1 down\ndetail\n", t0.Add(40*time.Second)); len(a.Alerts) != 0 {
		t.Fatalf("acked failure alerted: %+v", a.Alerts)
	}
}

func TestStartupAlertsAndStop(t *testing.T) {
	p := &Period{StartupAlerts: []string{"s.alert x"}, Alerts: []string{"a.alert"}}
	cfg := Config{Groups: map[string][]string{"g": {"h1"}}, Services: []*Service{svc(p)}}
	e := New(cfg, opts(), t0)
	a := e.Startup(t0)
	if len(a.Alerts) != 1 || a.Alerts[0].Type != "startupalert" || a.Alerts[0].Env["MON_OPSTATUS"] != "7" || a.Alerts[0].Env["MON_ALERTTYPE"] != "startup" {
		t.Fatalf("startup: %+v", a.Alerts)
	}
	e.Stop(t0)
	if a := e.Tick(t0.Add(time.Minute)); len(a.Monitors) != 0 {
		t.Fatal("stopped scheduler ran a monitor")
	}
	e.Start()
	if a := e.Tick(t0.Add(time.Minute)); len(a.Monitors) != 1 {
		t.Fatal("started scheduler did not run")
	}
}

func TestDependencies(t *testing.T) {
	up := &Service{Group: "gw", Name: "ping", Interval: 10 * time.Second, Monitor: "m", Periods: []*Period{{}}}
	web := &Service{Group: "g", Name: "s", Interval: 10 * time.Second, Monitor: "m", Depend: "gw:ping",
		Periods: []*Period{{Alerts: []string{"a.alert"}}}}
	cfg := Config{Groups: map[string][]string{"g": {"h1"}, "gw": {"r"}}, Services: []*Service{up, web}}
	e := New(cfg, opts(), t0)
	e.Tick(t0.Add(10 * time.Second))
	e.MonitorExited("gw", "ping", 1, "r\n", t0.Add(10*time.Second))
	if a := e.MonitorExited("g", "s", 1, "h1\n", t0.Add(10*time.Second)); len(a.Alerts) != 0 {
		t.Fatalf("alert despite failed dependency: %+v", a.Alerts)
	}
	e.Tick(t0.Add(20 * time.Second))
	e.MonitorExited("gw", "ping", 0, "\n", t0.Add(20*time.Second))
	if a := e.MonitorExited("g", "s", 1, "h1\n", t0.Add(20*time.Second)); len(a.Alerts) != 1 {
		t.Fatalf("no alert with dependency up: %+v", a.Alerts)
	}
	for expr, want := range map[string]bool{"1 && 0": false, "1 || 0": true, "!(0) and 1": true, "not 1": false} {
		if got, err := evalBool(expr); err != nil || got != want {
			t.Errorf("evalBool(%q) = %v, %v", expr, got, err)
		}
	}
	if _, err := evalBool("1 &&"); err == nil {
		t.Error("evalBool accepted a syntax error")
	}
}

func TestQuoteWords(t *testing.T) {
	got := QuoteWords(` -a "b c" 'd\e' f\ g  `)
	if diff := cmp.Diff([]string{"-a", "b c", `d\e`, "f g"}, got); diff != "" {
		t.Error(diff)
	}
}
