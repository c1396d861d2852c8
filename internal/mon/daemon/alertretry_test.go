package daemon

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/clock"
	"github.com/lvskit/lvskit/internal/mon/sched"
	"github.com/lvskit/lvskit/internal/runner"
)

const retryCfg = `alertdir = @DIR@/alert.d

hostgroup g 10.0.0.1

watch g
    service s
        period wd {Sun-Sat}
            alert lvs.alert
`

// shortRunner fails every alert with EMFILE while short is set, as exec does when
// mond is out of descriptors, and records, in the fake clock's time, every try.
type shortRunner struct {
	clk   *clock.Fake
	mu    sync.Mutex
	short bool
	tries []string // "args@seconds since start", failed ones prefixed "!"
	start time.Time
}

func (r *shortRunner) set(short bool) {
	r.mu.Lock()
	r.short = short
	r.mu.Unlock()
}

func (r *shortRunner) Run(_ context.Context, c runner.Cmd) runner.Result {
	r.mu.Lock()
	defer r.mu.Unlock()
	at := fmt.Sprintf("%s@%v", strings.Join(c.Args[7:], " "), r.clk.Now().Sub(r.start))
	if r.short {
		r.tries = append(r.tries, "!"+at)
		return runner.Result{ExitCode: -1,
			Err: fmt.Errorf("start %s: %w", c.Path, &os.PathError{Op: "fork/exec", Path: c.Path, Err: syscall.EMFILE})}
	}
	r.tries = append(r.tries, at)
	if c.Started != nil {
		c.Started(1)
	}
	return runner.Result{}
}

func (r *shortRunner) log() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.tries)
}

// alertsCalled has the engine's service call one alert per name, in order: args[0]
// tells them apart in the runner's record ("down1", "up1", ...).
func alertsCalled(d *Daemon, names ...string) {
	d.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
		var a sched.Actions
		for _, n := range names {
			a.Alerts = append(a.Alerts, sched.Alert{Group: "g", Service: "s", Name: "lvs.alert", Path: "/x/lvs.alert",
				Args: []string{"-s", "s", "-g", "g", "-h", "10.0.0.1", "-t", n}, Type: "alert", Time: now.Unix()})
		}
		return a
	})
}

// waitTries waits (10 s at most) until the runner has recorded n tries, moving the
// fake clock to exactly the instant the daemon waits for whenever it waits: the
// tries are recorded at the times the daemon chose, however slow the machine.
func waitTries(t *testing.T, clk *clock.Fake, r *shortRunner, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(r.log()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d tries, want %d: %q", len(r.log()), n, r.log())
		}
		if at, ok := clk.Next(); ok {
			clk.Advance(at.Sub(clk.Now()))
		}
		time.Sleep(time.Millisecond)
	}
}

// waitWaiting waits (10 s at most) until the daemon waits on the fake clock.
func waitWaiting(t *testing.T, clk *clock.Fake) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
		if _, ok := clk.Next(); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the daemon never waited to try again")
		}
	}
}

// shortDaemon builds a daemon out of descriptors for its alerts (its runner fails
// them all) and has its service call first, then waits until that alert has failed
// to start and the daemon waits to try it again.
func shortDaemon(t *testing.T, first string) (*Daemon, *clock.Fake, *shortRunner, *logRecorder) {
	t.Helper()
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	r := &shortRunner{clk: clk, start: clk.Now(), short: true}
	d, _, logs := procDaemon(t, retryCfg, nil, Options{Runner: r, Clock: clk})
	alertsCalled(d, first)
	waitTries(t, clk, r, 1)
	waitWaiting(t, clk)
	return d, clk, r, logs
}

// An alert that mond could not start for want of descriptors is tried again, 1 s,
// 2 s, 4 s ... later, and the service's later alerts wait behind it and then run in
// the order they were called: an upalert must not run before the down alert it
// follows (lvs.alert would leave the real server out).
func TestAlertRetriedInOrderWhenMondIsShort(t *testing.T) {
	d, clk, r, logs := shortDaemon(t, "down1")
	alertsCalled(d, "up1", "down2")
	if got := r.log(); len(got) != 1 {
		t.Fatalf("later alerts did not wait behind the one that failed: %q", got)
	}
	waitTries(t, clk, r, 4) // tries at 0, 1 s, 3 s, 7 s
	r.set(false)
	waitTries(t, clk, r, 7)
	d.WaitAlerts()
	got := r.log()
	want := []string{"!down1@0s", "!down1@1s", "!down1@3s", "!down1@7s"}
	if !slices.Equal(got[:4], want) {
		t.Errorf("tries %q, want %q first (1 s, doubling)", got[:4], want)
	}
	if at := got[4:]; !slices.Equal(at, []string{"down1@15s", "up1@15s", "down2@15s"}) {
		t.Errorf("after the shortage: %q, want down1, up1, down2 at 15 s", at)
	}
	if l := logs.matching("could not start alert"); len(l) != 4 ||
		l[0] != "err: could not start alert /x/lvs.alert for g/s: too many open files; it and the service's later alerts wait, tried again in 1s" ||
		!strings.HasSuffix(l[3], "tried again in 8s") {
		t.Errorf("log %q", l)
	}
	if l := logs.matching("s late: "); len(l) != 3 || l[0] != "notice: alert /x/lvs.alert for g/s called 15s late: it waited for mond's resources" {
		t.Errorf("log %q, want a notice per alert run late", l)
	}
	d.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
		if in := e.Infos()[0]; in.AlertFailures != 1 {
			t.Errorf("alert failures %d, want 1 (the alert that could not start, counted once)", in.AlertFailures)
		}
		return sched.Actions{}
	})
	// The backlog is gone: a new alert runs at once.
	alertsCalled(d, "down3")
	d.WaitAlerts()
	if got := r.log(); got[len(got)-1] != "down3@15s" {
		t.Errorf("after the backlog: %q", got)
	}
}

// The backlog is bounded (the newest alerts kept), and on shutdown the alerts still
// waiting are logged as not called, not waited for.
func TestAlertBacklogBoundedAndDroppedOnStop(t *testing.T) {
	d, clk, r, logs := shortDaemon(t, "a0")
	var names []string
	for i := 1; i <= maxAlertBacklog+3; i++ {
		names = append(names, fmt.Sprintf("a%d", i))
	}
	alertsCalled(d, names...)
	if l := logs.matching("dropped"); len(l) != 4 || l[0] != "err: alert /x/lvs.alert for g/s dropped, not called: 16 later alerts of the service wait for mond's resources" {
		t.Errorf("log %q, want the 4 oldest dropped", l)
	}
	waitTries(t, clk, r, 2)
	if got := r.log(); got[1] != "!a4@1s" {
		t.Errorf("tries %q: want the oldest kept, a4, tried at 1 s", got)
	}
	start := time.Now()
	d.shutdown() // what Run does when mond is told to stop
	if took := time.Since(start); took >= shutdownGrace {
		t.Errorf("shutdown took %v: it waited for the alerts waiting for resources", took)
	}
	d.WaitAlerts()
	if l := logs.matching("not called: mond is stopping"); len(l) != maxAlertBacklog {
		t.Errorf("log %q, want %d alerts not called", l, maxAlertBacklog)
	}
	if got := r.log(); len(got) != 2 {
		t.Errorf("tries %q after the stop", got)
	}
}
