package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/monconf"
	"github.com/lvskit/lvskit/internal/mon/sched"
	"github.com/lvskit/lvskit/internal/runner"
)

func newTestDaemon(t *testing.T, cfg string, mode BuiltinMode, r runner.Runner) (*Daemon, string) {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"mon.d", "alert.d"} {
		os.MkdirAll(filepath.Join(dir, sub), 0o755)
	}
	cfg = strings.ReplaceAll(cfg, "@DIR@", dir)
	d, err := New(Options{ConfigPath: "mon.cf", Builtins: mode, Runner: r,
		Parse: func(string) (*monconf.Config, error) { return monconf.Parse("mon.cf", strings.NewReader(cfg)) }})
	if err != nil {
		t.Fatal(err)
	}
	return d, dir
}

const ruleCfg = `mondir = @DIR@/mon.d
alertdir = @DIR@/alert.d

hostgroup g 127.0.0.1

watch g
    service s
        interval 1s
        monitor tcp.monitor -p 1
        period wd {Sun-Sat}
            alert a.alert
`

// The built-in rule: a program of that name in mondir wins ("auto"), unless built-ins
// are preferred; with built-ins off only mondir counts.
func TestMonitorScriptVersusBuiltin(t *testing.T) {
	d, dir := newTestDaemon(t, ruleCfg, BuiltinAuto, &runner.Fake{})
	if p, ok := d.monitorPath("tcp.monitor"); !ok || p != "builtin:tcp.monitor" {
		t.Errorf("auto, no script: %q %v", p, ok)
	}
	script := filepath.Join(dir, "mon.d", "tcp.monitor")
	os.WriteFile(script, []byte("#!/bin/sh\nexit 0\n"), 0o644)
	if p, _ := d.monitorPath("tcp.monitor"); p != "builtin:tcp.monitor" {
		t.Errorf("auto, non-executable script must not count: %q", p)
	}
	os.Chmod(script, 0o755)
	if p, _ := d.monitorPath("tcp.monitor"); p != script {
		t.Errorf("auto, script present: %q, want %q", p, script)
	}
	if _, ok := d.monitorPath("nosuch.monitor"); ok {
		t.Error("unknown monitor resolved")
	}
	d.opt.Builtins = BuiltinPrefer
	if p, _ := d.monitorPath("tcp.monitor"); p != "builtin:tcp.monitor" {
		t.Errorf("prefer: %q", p)
	}
	d.opt.Builtins = BuiltinOff
	os.Remove(script)
	if _, ok := d.monitorPath("tcp.monitor"); ok {
		t.Error("off: built-in used")
	}
}

// End to end with a fake runner: the script in mondir runs with the hosts appended, and
// its failure calls the alert with mon's arguments and the output on stdin.
func TestDaemonRunsMonitorAndAlert(t *testing.T) {
	fake := &runner.Fake{Respond: func(c runner.Cmd) runner.Result {
		if strings.HasSuffix(c.Path, "tcp.monitor") {
			return runner.Result{Output: []byte("127.0.0.1\ndown\n"), ExitCode: 1}
		}
		return runner.Result{}
	}}
	d, dir := newTestDaemon(t, ruleCfg, BuiltinAuto, fake)
	os.WriteFile(filepath.Join(dir, "mon.d", "tcp.monitor"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(dir, "alert.d", "a.alert"), []byte("#!/bin/sh\n"), 0o755)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var alert *runner.Cmd
		calls := fake.Calls()
		for i := range calls {
			if strings.HasSuffix(calls[i].Path, "a.alert") {
				alert = &calls[i]
			}
		}
		if alert != nil {
			mon := calls[0]
			if got := strings.Join(mon.Args, " "); got != "-p 1 127.0.0.1" {
				t.Errorf("monitor args %q", got)
			}
			if got := strings.Join(alert.Args[:6], " "); got != "-s s -g g -h 127.0.0.1" {
				t.Errorf("alert args %q", got)
			}
			if string(alert.Stdin) != "127.0.0.1\ndown\n" {
				t.Errorf("alert stdin %q", alert.Stdin)
			}
			env := strings.Join(alert.Env, "\n")
			for _, want := range []string{"MON_ALERTTYPE=failure", "MON_RETVAL=1", "MON_LAST_SUMMARY=127.0.0.1", "MON_OPSTATUS=0"} {
				if !strings.Contains(env, want) {
					t.Errorf("alert env lacks %s", want)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no alert; calls %+v", calls)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestHistoricFileReadAtStart(t *testing.T) {
	dir := t.TempDir()
	hist := filepath.Join(dir, "hist")
	os.WriteFile(hist, []byte("# comment\nalert g s 100 /a/x () old\n\nalert g s 200 /a/x () new\n"), 0o644)
	cfg := "historicfile = " + hist + "\n\nhostgroup g h\n\nwatch g\n    service s\n        period wd {Sun-Sat}\n            alert x\n"
	d, err := New(Options{ConfigPath: "mon.cf", Runner: &runner.Fake{},
		Parse: func(string) (*monconf.Config, error) { return monconf.Parse("mon.cf", strings.NewReader(cfg)) }})
	if err != nil {
		t.Fatal(err)
	}
	var h []string
	d.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions { h = e.AlertHistory(); return sched.Actions{} })
	if len(h) != 2 || !strings.HasSuffix(h[1], "new") {
		t.Fatalf("history %q", h)
	}
}

// The command line's -p and -t win over serverport and trapport; 0 keeps mon.cf's.
func TestPortOverrides(t *testing.T) {
	cf, err := monconf.Parse("mon.cf", strings.NewReader("serverport = 3000\ntrapport = 3001\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		ov               Overrides
		server, trapPort int
	}{
		{Overrides{}, 3000, 3001},
		{Overrides{Port: 4000}, 4000, 3001},
		{Overrides{TrapPort: 4001}, 3000, 4001},
	} {
		if p := ResolvePaths(&cf.Globals, tc.ov); p.ServerPort != tc.server || p.TrapPort != tc.trapPort {
			t.Errorf("%+v: ports %d, %d; want %d, %d", tc.ov, p.ServerPort, p.TrapPort, tc.server, tc.trapPort)
		}
	}
}
