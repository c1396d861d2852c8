package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/monconf"
	"github.com/lvskit/lvskit/internal/mon/sched"
	"github.com/lvskit/lvskit/internal/runner"
)

const countsCfg = `mondir = @DIR@/mon.d
alertdir = @DIR@/alert.d

hostgroup g 127.0.0.1

watch g
    service slow
        interval 1s
        monitor slow.monitor
        period wd {Sun-Sat}
            alert bad.alert
    service nores
        interval 1s
        monitor nores.monitor
        period wd {Sun-Sat}
            alert bad.alert
`

// The daemon's events reach the engine's counters: a monitor killed by the monitor
// timeout, one that could not be started for want of descriptors, an alert that
// exited non-zero.
func TestDaemonCounts(t *testing.T) {
	fake := &runner.Fake{Respond: func(c runner.Cmd) runner.Result {
		switch filepath.Base(c.Path) {
		case "slow.monitor":
			return runner.Result{Output: []byte("hung\n"), ExitCode: -1, Signal: syscall.SIGKILL, TimedOut: true}
		case "nores.monitor":
			return runner.Result{ExitCode: -1, Err: fmt.Errorf("start %s: %w", c.Path,
				&os.PathError{Op: "fork/exec", Path: c.Path, Err: syscall.EMFILE})}
		case "bad.alert":
			return runner.Result{ExitCode: 2}
		}
		return runner.Result{}
	}}
	d, dir := newTestDaemon(t, countsCfg, BuiltinOff, fake)
	d.opt.MonitorTimeout = time.Second
	for _, p := range []string{"mon.d/slow.monitor", "mon.d/nores.monitor", "alert.d/bad.alert"} {
		os.WriteFile(filepath.Join(dir, p), []byte("#!/bin/sh\n"), 0o755)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		d.WaitAlerts()
		st := d.State()
		slow, nores := st.Services[0], st.Services[1]
		if slow.MonitorTimeouts >= 1 && slow.AlertFailures >= 1 && nores.NotRun >= 1 {
			if nores.Failures != 0 || nores.Alerts != 0 || nores.AlertFailures != 0 {
				t.Errorf("a monitor not run changed the service: %+v", nores)
			}
			if slow.Checks < slow.MonitorTimeouts || slow.AlertFailures > slow.Alerts {
				t.Errorf("slow: %+v", slow)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("counts never moved: slow %+v, nores %+v", slow, nores)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Resets are counted, installed and refused; Ready follows the main loop and mon's
// stop and start.
func TestStateResetsAndReady(t *testing.T) {
	var broken atomic.Bool
	cfg := strings.ReplaceAll(ruleCfg, "@DIR@", t.TempDir())
	d, err := New(Options{ConfigPath: "mon.cf", Runner: &runner.Fake{}, Stopped: true,
		Parse: func(string) (*monconf.Config, error) {
			if broken.Load() {
				return nil, errors.New("mon.cf:1: broken")
			}
			return monconf.Parse("mon.cf", strings.NewReader(cfg))
		}})
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Ready(); err == nil || !strings.Contains(err.Error(), "main loop not started") {
		t.Errorf("Ready before Run: %v", err)
	}
	st := d.State()
	if st.SchedulerRunning || st.StoppedSince.IsZero() || st.ConfigLoaded.IsZero() || st.ConfigPath != "mon.cf" || len(st.Services) != 1 {
		t.Errorf("state at start (-S): %+v", st)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitReady := func(want error) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := d.Ready()
			if errors.Is(err, want) || err == nil && want == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("Ready = %v, want %v", err, want)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitReady(ErrSchedulerStopped)
	d.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions { e.Start(); return sched.Actions{} })
	waitReady(nil)
	d.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions { e.Stop(now); return sched.Actions{} })
	waitReady(ErrSchedulerStopped)
	d.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions { e.Start(); return sched.Actions{} })
	waitReady(nil)

	if err := d.Reset(false); err != nil {
		t.Fatal(err)
	}
	broken.Store(true)
	if err := d.Reset(false); err == nil {
		t.Fatal("a broken config was installed")
	}
	if err := d.Reset(false); err == nil {
		t.Fatal("a broken config was installed")
	}
	if st := d.State(); st.Resets != 1 || st.ResetsRefused != 2 || !st.SchedulerRunning {
		t.Errorf("after resets: %d installed, %d refused, running %v; want 1, 2, true", st.Resets, st.ResetsRefused, st.SchedulerRunning)
	}
}
