package monconf

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func mustParse(t *testing.T, text string) *Config {
	t.Helper()
	cfg, err := ParseWithOptions("test.cf", strings.NewReader(text), Options{Readable: func(string) bool { return true }})
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return cfg
}

func parseErr(t *testing.T, text string) *ParseError {
	t.Helper()
	_, err := ParseWithOptions("test.cf", strings.NewReader(text), Options{Readable: func(string) bool { return false }})
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("Parse(%q): want *ParseError, got %v", text, err)
	}
	return pe
}

func TestDefaults(t *testing.T) {
	cfg := mustParse(t, "hostgroup g h\n\nwatch g\nservice s\nperiod wd {Mon}\n")
	g := cfg.Globals
	want := defaultGlobals()
	if diff := cmp.Diff(want, g, cmpopts.IgnoreUnexported(), cmpopts.EquateEmpty(), cmpopts.IgnoreFields(Globals{}, "ExcludePeriodParsed")); diff != "" {
		t.Errorf("globals (-want +got):\n%s", diff)
	}
	s := cfg.Watches[0].Services[0]
	if s.Interval != 0 || s.RandSkew != 0 || s.DepBehavior != "a" || s.MonitorCmd != nil {
		t.Errorf("service defaults: %+v", s)
	}
	p := s.Periods[0]
	if p.AlertEvery != 0 || p.NumAlerts != 0 || p.AlertAfterForm != AlertAfterNone {
		t.Errorf("period defaults: %+v", p)
	}
}

func TestGlobals(t *testing.T) {
	cfg := mustParse(t, `alertdir = /a:/b
basedir = base/
cfbasedir = ./cf/./x//
mondir=/m
histlength   =    50
serverport = 3000
trapport = 3001x
pidfile =
randstart = 1.5m
maxprocs = 5
authtype = getpwnam userfile
cltimeout = 10S
dtlogging = 1.0
dep_behavior = hm
dep_memory = 5m
unack_summary = yes
startupalerts_on_reset = ON
exclude_period = hr {1am-2am}
`)
	g := cfg.Globals
	checks := []struct {
		name      string
		got, want any
	}{
		{"alertdir", g.AlertDir, "/a:/b"},
		{"basedir", g.BaseDir, "base"},
		{"cfbasedir", g.CfBaseDir, "cf/x"},
		{"mondir", g.MonDir, "/m"},
		{"histlength", g.HistLength, 50},
		{"serverport", g.ServerPort, 3000},
		{"trapport", g.TrapPort, 3001},
		{"pidfile", g.PidFile, ""},
		{"pidfile set", g.Set["pidfile"], true},
		{"randstart", g.RandStart, 90 * time.Second},
		{"maxprocs", g.MaxProcs, 5},
		{"authtypes", g.AuthTypes, []string{"getpwnam", "userfile"}},
		{"cltimeout", g.ClientTimeout, 10 * time.Second},
		{"dtlogging", g.DtLogging, true},
		{"dep_behavior", g.DepBehavior, "hm"},
		{"dep_memory", g.DepMemory, 5 * time.Minute},
		{"unack_summary", g.UnackSummary, true},
		{"startupalerts_on_reset", g.StartupAlertsOnReset, true},
		{"exclude_period", g.ExcludePeriod, "hr {1am-2am}"},
		{"exclude_period in", g.ExcludePeriodParsed.Contains(time.Date(2026, 1, 1, 1, 30, 0, 0, time.UTC)), true},
		{"raw", g.Raw["trapport"], "3001x"},
	}
	for _, c := range checks {
		if !cmp.Equal(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
}

func TestServiceAndPeriods(t *testing.T) {
	cfg := mustParse(t, `dep_behavior = m
hostgroup web 10.0.0.1 10.0.0.2
  10.0.0.3

watch web
    service http
	interval 10s
	failure_interval 2s
	randskew 1s
	monitor http.monitor -p 8080 -t 10 "a b" ;;
	description web check
	depend SELF:ping other:x
	exclude_hosts 10.0.0.2 10.0.0.2 10.0.0.9
	FOO=bar baz
	period wd {Mon-Fri} hr {7am-6pm}
	    alert lvs.alert -P tcp -V 10.144.43.185:8080 \
	        -R 10.144.43.175 -W 5 -F dr
	    alert exit=1-3 mail.alert 'x y'
	    alertevery 1h strict
	    alertafter 6
	    numalerts 24
	    upalert lvs.alert -u 1
	period NIGHT: hr {10pm-6am}
	    alertafter 3 30m
	    alertevery 2h summary
	    no_comp_alerts
    service ping
	dep_memory 1m
	period
	    alertafter 10m
	    startupalert s.alert
`)
	if diff := cmp.Diff([]*Hostgroup{{Name: "web", Hosts: []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, Line: 2}}, cfg.Hostgroups); diff != "" {
		t.Errorf("hostgroups (-want +got):\n%s", diff)
	}
	if len(cfg.Watches) != 1 || len(cfg.Watches[0].Services) != 2 {
		t.Fatalf("watches: %+v", cfg.Watches)
	}
	s := cfg.Watches[0].Services[0]
	if s.Interval != 10*time.Second || s.FailureInterval != 2*time.Second || s.RandSkew != time.Second {
		t.Errorf("durations: %v %v %v", s.Interval, s.FailureInterval, s.RandSkew)
	}
	if diff := cmp.Diff(&Command{Program: "http.monitor", ArgText: `-p 8080 -t 10 "a b"`, Args: []string{"-p", "8080", "-t", "10", "a b"}}, s.MonitorCmd); diff != "" || !s.NoHosts {
		t.Errorf("monitor (-want +got):\n%s NoHosts=%v", diff, s.NoHosts)
	}
	if s.Depend != "web:ping other:x" || s.DepBehavior != "m" || s.Description != "web check" {
		t.Errorf("depend=%q behavior=%q description=%q", s.Depend, s.DepBehavior, s.Description)
	}
	if diff := cmp.Diff([]string{"10.0.0.2", "10.0.0.9"}, s.ExcludeHosts); diff != "" {
		t.Errorf("exclude_hosts (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]EnvVar{{"FOO", "bar baz"}}, s.Env); diff != "" {
		t.Errorf("env (-want +got):\n%s", diff)
	}
	p := s.Periods[0]
	if p.Label != "wd {Mon-Fri} hr {7am-6pm}" || p.Spec != p.Label {
		t.Errorf("period label %q spec %q", p.Label, p.Spec)
	}
	wantAlerts := []*AlertLine{
		{Raw: "lvs.alert -P tcp -V 10.144.43.185:8080 -R 10.144.43.175 -W 5 -F dr", Line: 17,
			Cmd: Command{Program: "lvs.alert", ArgText: "-P tcp -V 10.144.43.185:8080 -R 10.144.43.175 -W 5 -F dr",
				Args: strings.Fields("-P tcp -V 10.144.43.185:8080 -R 10.144.43.175 -W 5 -F dr")}},
		{Raw: "exit=1-3 mail.alert 'x y'", ExitRange: "1-3", Line: 18,
			Cmd: Command{Program: "mail.alert", ArgText: "'x y'", Args: []string{"x y"}}},
	}
	if diff := cmp.Diff(wantAlerts, p.Alerts); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	if p.AlertEvery != time.Hour || p.AlertEveryMode != "strict" || p.AlertAfterConsec != 6 ||
		p.AlertAfterForm != AlertAfterCount || p.NumAlerts != 24 || len(p.UpAlerts) != 1 {
		t.Errorf("period 1: %+v", p)
	}
	if !p.Parsed.Contains(time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("period 1 should contain Wednesday noon")
	}
	n := s.Periods[1]
	if n.Label != "NIGHT" || n.Spec != "hr {10pm-6am}" || n.AlertAfter != 3 || n.AlertAfterInterval != 30*time.Minute ||
		n.AlertAfterForm != AlertAfterCountTime || n.AlertEvery != 2*time.Hour || n.AlertEveryMode != "summary" || !n.NoCompAlerts {
		t.Errorf("period 2: %+v", n)
	}
	ping := cfg.Watches[0].Services[1]
	if ping.DepMemory != time.Minute || ping.Periods[0].Spec != "" || ping.Periods[0].AlertAfterInterval != 10*time.Minute ||
		ping.Periods[0].AlertAfterForm != AlertAfterTime || len(ping.Periods[0].StartupAlerts) != 1 {
		t.Errorf("ping: %+v %+v", ping, ping.Periods[0])
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %q", cfg.Warnings)
	}
}

func TestMonitorCommand(t *testing.T) {
	tests := []struct {
		in      string
		want    *Command
		noHosts bool
	}{
		{"", nil, false},
		{"ping.monitor", &Command{Program: "ping.monitor"}, false},
		{"ping.monitor 0", &Command{Program: "ping.monitor"}, false}, // perl drops a "0" argument string
		{"tcp.monitor -p 80;;", &Command{Program: "tcp.monitor", ArgText: "-p 80", Args: []string{"-p", "80"}}, true},
		{"x.monitor a 'b", &Command{Program: "x.monitor", ArgText: "a 'b", QuoteError: true}, false},
		{`x.monitor "a\"b" c\ d`, &Command{Program: "x.monitor", ArgText: `"a\"b" c\ d`, Args: []string{`a"b`, "c d"}}, false},
	}
	for _, tt := range tests {
		got, nh := monitorCommand(tt.in)
		if diff := cmp.Diff(tt.want, got); diff != "" || nh != tt.noHosts {
			t.Errorf("monitorCommand(%q) (-want +got):\n%s noHosts=%v", tt.in, diff, nh)
		}
	}
}

func TestQuirks(t *testing.T) {
	// A watch right after a hostgroup line (even with a comment line in
	// between) is read as more hosts, as mon does: the LVS manual's
	// files as printed define no watch at all.
	cfg := mustParse(t, "hostgroup g a\n# c\nwatch g\nservice s\n")
	if len(cfg.Watches) != 0 || !cmp.Equal(cfg.Hostgroups[0].Hosts, []string{"a", "watch", "g", "service", "s"}) {
		t.Errorf("absorbed watch: watches=%d hosts=%q", len(cfg.Watches), cfg.Hostgroups[0].Hosts)
	}
	if !cmp.Equal(cfg.Warnings, []string{"Warning: hostgroup g has no watch assigned to it!"}) {
		t.Errorf("warnings %q", cfg.Warnings)
	}
	// A watch without hostgroup monitors the host named like the group.
	cfg = mustParse(t, "watch lonely\nservice s\n")
	if hg := cfg.Hostgroups[0]; hg.Name != "lonely" || !hg.Implicit || !cmp.Equal(hg.Hosts, []string{"lonely"}) {
		t.Errorf("implicit hostgroup %+v", hg)
	}
	// A blank line ends the watch; what follows outside records is ignored.
	cfg = mustParse(t, "watch g\nservice s\n\ninterval xx\n")
	if cfg.Watches[0].Services[0].Interval != 0 {
		t.Errorf("interval after blank line applied")
	}
	// Durations: "00s" is accepted (perl truth of the string "00").
	cfg = mustParse(t, "watch g\nservice s\ninterval 00s\n")
	if !cfg.Watches[0].Services[0].Set["interval"] || cfg.Watches[0].Services[0].Interval != 0 {
		t.Errorf("interval 00s")
	}
	// Continuation: leading white space of the next line is dropped, a
	// comment line inside is skipped.
	cfg = mustParse(t, "watch g\nservice s\nmonitor a \\\n   b\\\n# x\n    c\n")
	if got := cfg.Watches[0].Services[0].Monitor; got != "a bc" {
		t.Errorf("continued monitor = %q", got)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		text string
		line int
		msg  string
	}{
		{"foo = bar\n", 1, "cf error: unknown variable 'foo'"},
		{"\n\nwatch g\nservice s\ninterval 30\n", 5, "cf error: invalid time interval '30'"},
		{"watch g\nservice s\nperiod wd hr\n", 3, "cf error: malformed period 'wd hr'"},
		{"watch g\nservice s\nperiod wd {Mon}\ninterval 1m\n", 4, "cf error: unknown syntax [interval 1m]"},
		{"watch g\nservice s\nalert x\n", 3, "cf error: unknown syntax [alert x] (alert belongs after a period line)"},
		{"watch g\nservice s\nperiod wd {Mon}\ncomp_alerts\n", 4, "cf error: unknown syntax [comp_alerts]"},
		{"userfile = nope\n", 1, "cf error: userfile 'nope' does not exist or is not readable"},
		{"authtype = getpwnam pam\n", 1, "cf error: could not use PAM authentication"},
		{"watch g\nservice s\nperiod wd {Mon}\nalertafter 4 30m\n", 0, ""}, // interval unset: accepted
		{"watch g\nservice s\ninterval 10m\nperiod wd {Mon}\nalertafter 4 30m\n", 5, "cf error:  interval & alertafter not sensible"},
	}
	for _, tt := range tests {
		if tt.line == 0 {
			mustParse(t, tt.text)
			continue
		}
		pe := parseErr(t, tt.text)
		if pe.Line != tt.line || !strings.HasPrefix(pe.Msg, tt.msg) || pe.File != "test.cf" {
			t.Errorf("Parse(%q) = %v; want line %d %q", tt.text, pe, tt.line, tt.msg)
		}
		if !strings.HasPrefix(pe.Error(), "test.cf:") {
			t.Errorf("Error() = %q, want file:line first", pe.Error())
		}
	}
}

func TestPeriodNowOption(t *testing.T) {
	// mon validates a period by evaluating it now: a malformed
	// sub-period after one that matches is accepted.
	text := "watch g\nservice s\nperiod wd {We}, bogus\n"
	wed := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	if _, err := ParseWithOptions("t", strings.NewReader(text), Options{Now: wed}); err != nil {
		t.Errorf("with Now on a Wednesday: %v", err)
	}
	if _, err := ParseWithOptions("t", strings.NewReader(text), Options{Now: wed.AddDate(0, 0, 1)}); err == nil {
		t.Errorf("with Now on a Thursday: want error")
	}
	if _, err := Parse("t", strings.NewReader(text)); err == nil {
		t.Errorf("strict default: want error")
	}
}

// parseFile parses a file of testdata; a ".m4" file goes through m4 first, as mond's
// loader (internal/mon/daemon.LoadConfig) and mon do.
func parseFile(path string, opt Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(path, ".m4") {
		if data, err = exec.Command("m4", path).Output(); err != nil {
			return nil, fmt.Errorf("m4 %s: %w", path, err)
		}
	}
	return ParseWithOptions(path, bytes.NewReader(data), opt)
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/oracle/*.cf")
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("watch g\nservice s\nmonitor a \\\n b\nperiod x: wd {Mon}\nalert exit=1 a 'b\n")
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := ParseWithOptions("f.cf", strings.NewReader(text), Options{Readable: func(string) bool { return true }})
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 1 {
				t.Fatalf("error without a line: %v", err)
			}
			return
		}
		for _, w := range cfg.Watches {
			for _, s := range w.Services {
				if !reTag.MatchString(s.Name) {
					t.Fatalf("bad service name %q accepted", s.Name)
				}
				for _, p := range s.Periods {
					if _, err := p.Parsed, error(nil); err != nil {
						t.Fatal(err)
					}
					if p.AlertEvery < 0 || p.AlertAfterInterval < 0 || p.NumAlerts < 0 {
						t.Fatalf("negative value in %+v", p)
					}
				}
			}
		}
	})
}

func TestFirstUseAndDuration(t *testing.T) {
	cfg := mustParse(t, "monremote = x\n\nwatch g\nservice s\ntraptimeout 5m\nperiod wd {Mon}\nnumalerts 3\n")
	u, ok := cfg.FirstUse("traptimeout", "numalerts")
	if !ok || u.Line != 5 || u.Keyword != "traptimeout" || u.Watch != "g" || u.Service != "s" {
		t.Errorf("FirstUse = %+v, %v", u, ok)
	}
	u, ok = cfg.FirstUse(ParseOnly...)
	if !ok || u.Line != 1 || u.Keyword != "monremote" || u.String() != "line 1: global option monremote" {
		t.Errorf("FirstUse(ParseOnly) = %+v (%s), %v", u, u, ok)
	}
	u, ok = cfg.FirstUse("numalerts")
	if !ok || u.Period != "wd {Mon}" || u.Line != 7 {
		t.Errorf("FirstUse(numalerts) = %+v", u)
	}
	if _, ok := cfg.FirstUse("interval"); ok {
		t.Errorf("FirstUse(interval): not used")
	}
	for in, want := range map[string]time.Duration{"60s": time.Minute, "1.5M": 90 * time.Second, " 2h ": 2 * time.Hour, "1d": 24 * time.Hour, "0s": 0} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"60", "", "5 m", "-1s", "1w", ".5s"} {
		if _, err := ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q): want error", in)
		}
	}
}

func TestSeedFixed(t *testing.T) {
	cfg, err := parseFile("testdata/oracle/seed3-fixed.cf", Options{Readable: func(string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Watches) != 4 {
		t.Fatalf("watches = %d, want 4", len(cfg.Watches))
	}
	s := cfg.Watches[2].Services[0]
	if s.Name != "webcache" || s.Interval != 5*time.Second ||
		!cmp.Equal(s.MonitorCmd, &Command{Program: "http.monitor", ArgText: "-p 8080 -t 10", Args: []string{"-p", "8080", "-t", "10"}}) {
		t.Errorf("server3 webcache: %+v %+v", s, s.MonitorCmd)
	}
	p := s.Periods[0]
	if p.AlertAfterConsec != 6 || p.AlertEvery != time.Hour || p.NumAlerts != 24 ||
		!cmp.Equal(p.UpAlerts[0].Cmd.Args, strings.Fields("-P tcp -V 10.144.43.185:8080 -R 10.144.43.187 -W 5 -F dr -u 1")) {
		t.Errorf("server3 period: %+v", p)
	}
	gw := cfg.Watches[3].Services[0]
	if gw.Name != "ping" || !cmp.Equal(gw.MonitorCmd.Args, []string{"10.144.43.254"}) ||
		gw.Periods[0].Alerts[0].Cmd.Program != "heartbeat.alert" || !cmp.Equal(gw.Periods[0].UpAlerts[0].Cmd.Args, []string{"-u"}) {
		t.Errorf("server4 ping: %+v", gw)
	}
	if cfg.Globals.MaxProcs != 20 || cfg.Globals.RandStart != time.Minute || cfg.Globals.DtLogFile != "/var/run/mon/log.d/downtime.log" {
		t.Errorf("globals: %+v", cfg.Globals)
	}
}

func TestPeriodKeywordsAccumulate(t *testing.T) {
	cfg := mustParse(t, "watch g\nservice s\nperiod wd {Mon}\nalertafter 3\nalertafter 10m\nalertevery 1h strict\nalertevery 2h\n")
	p := cfg.Watches[0].Services[0].Periods[0]
	if p.AlertAfterConsec != 3 || p.AlertAfterInterval != 10*time.Minute || p.AlertAfterForm != AlertAfterTime {
		t.Errorf("alertafter: consec=%d interval=%v form=%v", p.AlertAfterConsec, p.AlertAfterInterval, p.AlertAfterForm)
	}
	if p.AlertEvery != 2*time.Hour || p.AlertEveryMode != "" {
		t.Errorf("alertevery = %v %q, want 2h without modifier", p.AlertEvery, p.AlertEveryMode)
	}
	if p.Lines["alertevery"] != 7 || !p.Set["alertafter"] {
		t.Errorf("Lines/Set: %v %v", p.Lines, p.Set)
	}
}
