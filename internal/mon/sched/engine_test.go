package sched

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lvskit/lvskit/compat/monconf"
)

var t0 = time.Unix(1_700_000_000, 0)

func opts() Options {
	return Options{
		MonitorPath: func(n string) (string, bool) { return "/mon.d/" + n, n != "missing.monitor" },
		AlertPath:   func(n string) (string, bool) { return "/alert.d/" + n, n != "missing.alert" },
		Rand:        func(n int64) int64 { return 0 },
	}
}

// conf parses a mon.cf for the engine, as the daemon does (every file readable).
func conf(t *testing.T, text string) Config {
	t.Helper()
	cf, err := monconf.ParseWithOptions("test.cf", strings.NewReader(text),
		monconf.Options{Readable: func(string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	return Config{Cf: cf}
}

// oneService is the usual test mon.cf: hostgroup g of hosts and, in watch g, service s
// checked every 10s by "test.monitor -x", with the service lines svc and one period
// always in force holding the lines period (lines separated by newlines).
func oneService(hosts, svc, period string) string {
	text := "hostgroup g " + hosts + "\n\nwatch g\nservice s\ninterval 10s\nmonitor test.monitor -x\n"
	if svc != "" {
		text += svc + "\n" // a blank line would end the watch
	}
	text += "period wd {Sun-Sat}\n"
	if period != "" {
		text += period + "\n"
	}
	return text
}

// service returns the engine's configuration of group/name, to change in a test.
func service(e *Engine, group, name string) *monconf.Service { return e.byKey[key{group, name}].cfg }

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
		period   string
		schedule string
		want     []string
	}{
		{"every failure alerts by default", "alert a.alert\nupalert a.alert",
			"FFOO", []string{"alert@1", "alert@2", "upalert@3"}},
		{"no upalert without upalert line", "alert a.alert",
			"FO", []string{"alert@1"}},
		{"upalert needs a sent down alert", "alert a.alert\nupalert a.alert\nalertafter 3",
			"FFOFFFO", []string{"alert@6", "upalert@7"}},
		{"alertafter 6 alertevery 1h", "alert a.alert\nupalert a.alert\nalertafter 6\nalertevery 1h",
			"FFFFFFFFFOFFFFFF", []string{"alert@6", "upalert@10", "alert@16"}},
		{"numalerts caps, success re-arms", "alert a.alert\nnumalerts 2",
			"FFFFOFFF", []string{"alert@1", "alert@2", "alert@6", "alert@7"}},
		{"alertevery strict survives success", "alert a.alert\nalertevery 1h strict",
			"FFOFF", []string{"alert@1"}},
		{"alertevery summary mode re-arms on success", "alert a.alert\nalertevery 1h",
			"FFOFF", []string{"alert@1", "alert@4"}},
		{"alertafter 20s (time form)", "alert a.alert\nalertafter 20s",
			"FFFFF", []string{"alert@4", "alert@5"}},
		{"alertafter 3 in 30s", "alert a.alert\nalertafter 3 30s",
			"FFFFF", []string{"alert@3", "alert@4"}}, // the 5th starts a new 30s window
		{"exit range", "alert exit=2 a.alert\nalert b.alert",
			"F", []string{"alert@1"}},
		{"alertexitrange", "alert a.alert\nalertexitrange 2-3",
			"F", nil},
		{"missing alert not counted", "alert missing.alert\nupalert a.alert",
			"FO", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := New(conf(t, oneService("h1", "", tc.period)), opts(), t0)
			got := run(t, e, 10*len(tc.schedule), tc.schedule)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFirstCheckAfterOneInterval(t *testing.T) {
	e := New(conf(t, oneService("h1 h2", "", "")), opts(), t0)
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
	cfg := conf(t, oneService("h", "failure_interval 3s", "alert a.alert"))
	cfg.RandStart = 5 * time.Second
	o := opts()
	o.Rand = func(n int64) int64 { return n - 1 }
	e := New(cfg, o, t0)
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
	cfg := conf(t, oneService("h1 h2", "description web", `alert lvs.alert -P tcp -V 10.0.0.1:80 -R "a b"
upalert lvs.alert -u 1`))
	cfg.StateDir, cfg.LogDir, cfg.CfBaseDir = "/st", "/lg", "/cf"
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
	e := New(conf(t, oneService("h1", "", "alert a.alert\nackalert a.alert")), opts(), t0)
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
	e := New(conf(t, oneService("h1", "", "startupalert s.alert x\nalert a.alert")), opts(), t0)
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
	e := New(conf(t, `hostgroup g h1

hostgroup gw r

watch gw
service ping
interval 10s
monitor m
period wd {Sun-Sat}

watch g
service s
interval 10s
monitor m
depend gw:ping
period wd {Sun-Sat}
alert a.alert
`), opts(), t0)
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

// TestQuoteErrors: monitor and alert lines whose arguments have an unbalanced quote run
// as mon 1.3.6 runs them (cmd/mond's TestQuoteErrorsAgainstMon compares the two): perl's
// quotewords gives no words, so an alert is called without its configured arguments,
// and the monitor has no argv — its exec fails and the check fails with no output.
func TestQuoteErrors(t *testing.T) {
	o := opts()
	var logs []string
	o.Log = func(prio, msg string) { logs = append(logs, prio+": "+msg) }
	e := New(conf(t, `hostgroup g h1

watch g
service s
interval 10s
monitor test.monitor -x "y
period wd {Sun-Sat}
alert a.alert -a "unbalanced
alert b.alert -b 'fine'
`), o, t0)
	now := t0.Add(10 * time.Second)
	a := e.Tick(now)
	if len(a.Monitors) != 0 {
		t.Fatalf("monitor with no argv started: %+v", a.Monitors)
	}
	var got [][]string
	for _, al := range a.Alerts {
		got = append(got, append([]string{al.Name}, al.Args...))
		if al.Stdin != "" || al.Env["MON_RETVAL"] != "1" {
			t.Errorf("alert %s: stdin %q, MON_RETVAL %q; want none and 1", al.Name, al.Stdin, al.Env["MON_RETVAL"])
		}
	}
	want := [][]string{
		{"a.alert", "-s", "s", "-g", "g", "-h", "h1", "-t", "1700000010"},
		{"b.alert", "-s", "s", "-g", "g", "-h", "h1", "-t", "1700000010", "-b", "fine"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	if e.OpStatus("g", "s") != StatFail {
		t.Errorf("opstatus %d, want failure", e.OpStatus("g", "s"))
	}
	if due, _ := e.NextDue(); !due.Equal(now.Add(10 * time.Second)) {
		t.Errorf("next check at %v, want one interval on", due.Sub(t0))
	}
	var said []string
	for _, l := range logs {
		if strings.Contains(l, "unbalanced quote") {
			said = append(said, l)
		}
	}
	if len(said) != 2 {
		t.Errorf("want the monitor and the alert logged, got %q", said)
	}
}

// TestTestAlertSplitsItsOwnWay: "test alert" takes the line's first word as the program,
// so an exit= line names a program "exit=N" (which mon never finds), and drops an exit=
// word opening the arguments.
func TestTestAlertSplitsItsOwnWay(t *testing.T) {
	e := New(conf(t, oneService("h1", "", "alert exit=2 a.alert x\nalert b.alert exit=3 y z")), opts(), t0)
	a, err := e.TestAlert("alert", "g", "s", "2", "wd {Sun-Sat}", t0)
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, al := range a.Alerts {
		got = append(got, append([]string{al.Name}, al.Args[8:]...))
	}
	if diff := cmp.Diff([][]string{{"exit=2", "a.alert", "x"}, {"b.alert", "y", "z"}}, got); diff != "" {
		t.Errorf("test alerts (-want +got):\n%s", diff)
	}
}
