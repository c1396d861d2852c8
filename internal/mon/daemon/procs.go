package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lvskit/lvskit/internal/mon/monitors"
	"github.com/lvskit/lvskit/internal/mon/sched"
	"github.com/lvskit/lvskit/internal/runner"
)

// DefaultAlertTimeout is mond's --alert-timeout default. An alert is a short program
// (lvs.alert runs one ipvsadm, mail.alert hands a message to the local MTA, both in
// well under a second), but mail may be slow: an MTA delivering synchronously waits
// up to five minutes for an SMTP reply (RFC 5321 §4.5.3.2). An alert still running
// after that is hung, and killing it keeps hung alerts from piling up behind a
// service that fails every interval.
const DefaultAlertTimeout = 5 * time.Minute

// maxMonitorOutput bounds what is kept of a monitor's output. mon keeps it all, but
// every use of it is small — the summary line, the detail monshow shows, an alert's
// stdin — and it comes back as MON_LAST_OUTPUT in the environment of the service's
// next monitor and alerts, where Linux refuses a single string over 128 KiB
// (MAX_ARG_STRLEN): beyond that, exec itself would fail.
const maxMonitorOutput = 64 << 10

// maxAlertStderr bounds the standard error kept of an alert; only its first lines are
// logged.
const maxAlertStderr = 4 << 10

// shutdownGrace bounds how long Run waits, once it has killed them, for the monitors
// and alerts to be reaped. A killed process group goes at once; the runner itself
// waits up to two seconds for a pipe held open by a process that left the group.
const shutdownGrace = 3 * time.Second

// progCtx is the context every monitor and alert runs under: cancelling it (shutdown)
// makes the runner kill each one's process group. The caller holds d.mu.
func (d *Daemon) progCtx() context.Context {
	if d.progs == nil {
		d.progs, d.killProgs = context.WithCancel(context.Background())
	}
	return d.progs
}

// shutdown kills every running monitor and alert with its process group, so none
// outlives mond (mon leaves them running), and waits for them, at most shutdownGrace.
func (d *Daemon) shutdown() {
	close(d.done)
	d.mu.Lock()
	d.progCtx()
	d.killProgs()
	d.mu.Unlock()
	// No program starts once progs is cancelled (startMonitor and startAlert check it
	// under d.mu), so the wait groups only go down from here.
	reaped := make(chan struct{})
	go func() {
		d.monitorsWG.Wait()
		d.alertsWG.Wait()
		close(reaped)
	}()
	select {
	case <-reaped:
	case <-time.After(shutdownGrace):
		d.opt.Log("err", fmt.Sprintf("monitors or alerts not reaped %s after they were killed; exiting anyway", shutdownGrace))
	}
}

// WaitAlerts waits until every alert started so far has finished.
func (d *Daemon) WaitAlerts() { d.alertsWG.Wait() }

// environ is mond's environment with vars set over it.
func environ(vars map[string]string) []string {
	env := os.Environ()
	keep := env[:0]
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if _, over := vars[k]; !over && k != "MOND_FORKED" {
			keep = append(keep, kv)
		}
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		keep = append(keep, k+"="+vars[k])
	}
	return keep
}

// startMonitor runs m and reports its result to Run; the caller holds d.mu.
func (d *Daemon) startMonitor(m sched.RunMonitor) {
	life := d.progCtx()
	if life.Err() != nil {
		return // mond is stopping
	}
	ctx, cancel := context.WithCancel(life)
	key := m.Group + "/" + m.Service
	d.running[key] = cancel
	gen := d.gen
	timeout := d.opt.MonitorTimeout
	d.monitorsWG.Add(1)
	go func() {
		defer d.monitorsWG.Done()
		defer cancel()
		var exit int
		var out string
		var timedOut bool
		if name, ok := strings.CutPrefix(m.Path, builtinPrefix); ok {
			f, _ := monitors.Lookup(name)
			mctx := ctx
			if timeout > 0 {
				var c2 context.CancelFunc
				mctx, c2 = context.WithTimeout(ctx, timeout)
				defer c2()
			}
			mctx, resourceErr := monitors.WithResourceErrors(mctx)
			r := f(mctx, m.Args)
			exit, out = r.Exit, r.Output
			timedOut = ctx.Err() == nil && errors.Is(mctx.Err(), context.DeadlineExceeded)
			if exit != 0 && ctx.Err() == nil {
				// A built-in's connect fails like a dead host when mond itself is out
				// of descriptors or memory. tcp.monitor says so itself (a socket
				// opened afterwards may find a descriptor freed meanwhile); for the
				// others, a socket of mond's own tells the two apart.
				if err := resourceErr(); err != nil {
					d.monitorNotRun(gen, m, err)
					return
				}
				if err := socketProbe(); runner.IsResourceError(err) {
					d.monitorNotRun(gen, m, err)
					return
				}
			}
		} else {
			var pid int
			res := d.opt.Runner.Run(ctx, runner.Cmd{
				Path: m.Path, Args: m.Args, Env: environ(m.Env), Capture: true, Timeout: timeout,
				MaxOutput: maxMonitorOutput,
				Started: func(p int) {
					pid = p
					d.mu.Lock()
					d.pids[p] = key
					d.mu.Unlock()
				},
			})
			d.mu.Lock()
			delete(d.pids, pid)
			d.mu.Unlock()
			// Noted once per run, and only for a run whose result counts (not one
			// killed by a reset or by shutdown).
			if res.Dropped > 0 && ctx.Err() == nil {
				d.opt.Log("notice", fmt.Sprintf("output of monitor %s for %s kept to its first %d bytes, %d more dropped",
					m.Path, key, maxMonitorOutput, res.Dropped))
			}
			out = string(res.Output)
			switch {
			case runner.IsResourceError(res.Err):
				// mond's own trouble (descriptors, processes, memory) says nothing
				// about the service: failing it would alert, and lvs.alert would
				// take a healthy real server out.
				d.monitorNotRun(gen, m, res.Err)
				return
			case res.Err != nil:
				// mon's child logs "could not exec" and exits 1.
				exit, out = 1, ""
				d.opt.Log("err", fmt.Sprintf("could not exec '%s': %v", m.Path, res.Err))
			case res.TimedOut:
				exit, timedOut = 1, true
				out = fmt.Sprintf("monitor timed out after %s\n", timeout) + out
			case res.Signal != 0:
				// mon takes $? >> 8, which is 0 for a program killed by a signal.
				exit = 0
			default:
				exit = res.ExitCode
			}
		}
		select {
		case d.results <- monResult{gen, m.Group, m.Service, exit, out, timedOut}:
		case <-d.done:
		}
	}()
}

// socketProbe opens and closes a socket, as a built-in monitor's check would: its
// error says whether mond can open one at all just now.
var socketProbe = func() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_DGRAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	return syscall.Close(fd)
}

// monitorNotRun logs a monitor mond could not start and gives the service back to the
// scheduler unchanged, its next check one interval on.
func (d *Daemon) monitorNotRun(gen int, m sched.RunMonitor, err error) {
	errno, _ := runner.ResourceErrno(err)
	d.opt.Log("err", fmt.Sprintf("could not start monitor %s for %s/%s: %v; check skipped", m.Path, m.Group, m.Service, errno))
	d.mu.Lock()
	if gen == d.gen {
		delete(d.running, m.Group+"/"+m.Service)
		d.eng.MonitorNotRun(m.Group, m.Service, d.opt.Clock.Now())
	}
	d.mu.Unlock()
	d.poke()
}

// startAlert runs al in the background; the caller holds d.mu.
//
// The alerts of one service start in the order they were called, one after another
// (each runs on its own once started, as mon's do): a down alert started after the
// upalert that followed it would take a healthy real server out. An alert that cannot
// start for want of mond's own resources (descriptors, processes, memory) is not lost
// either — lvs.alert not run leaves a dead real server in IPVS, or a live one out of
// it until the service changes again: it is tried again 1 s later, then after waits
// doubling to 30 s, until mond stops, and the service's later alerts wait behind it.
func (d *Daemon) startAlert(al sched.Alert) {
	life := d.progCtx()
	if life.Err() != nil {
		d.opt.Log("notice", fmt.Sprintf("alert %s for %s/%s not called: mond is stopping", al.Path, al.Group, al.Service))
		return
	}
	key := al.Group + "/" + al.Service
	_, dispatching := d.alertBacklog[key]
	d.backlog(key, append(d.alertBacklog[key], al))
	if !dispatching {
		d.alertsWG.Add(1)
		go d.dispatchAlerts(life, key)
	}
}

const (
	// maxAlertBacklog bounds the alerts of one service waiting to start; past it the
	// oldest goes (the newest say what the service is now).
	maxAlertBacklog = 16
	alertRetryFirst = time.Second
	alertRetryMax   = 30 * time.Second
)

// backlog makes q the alerts of the service key waiting to start, without the oldest
// past maxAlertBacklog; the caller holds d.mu.
func (d *Daemon) backlog(key string, q []sched.Alert) {
	for len(q) > maxAlertBacklog {
		d.opt.Log("err", fmt.Sprintf("alert %s for %s dropped, not called: %d later alerts of the service wait for mond's resources",
			q[0].Path, key, len(q)-1))
		q = q[1:]
	}
	d.alertBacklog[key] = q
}

// alertRetryWait is the wait before the next try of an alert that failed to start
// fails times: 1 s, doubling, at most 30 s.
func alertRetryWait(fails int) time.Duration {
	w := alertRetryFirst
	for i := 1; i < fails && w < alertRetryMax; i++ {
		w *= 2
	}
	return min(w, alertRetryMax)
}

// dispatchAlerts starts the alerts of the service key in order until none is left
// (its key is in alertBacklog while it runs), each once the one before it has
// started, waiting while mond lacks the resources to start them.
func (d *Daemon) dispatchAlerts(life context.Context, key string) {
	defer d.alertsWG.Done()
	fails := 0
	short := false // an alert of this backlog could not start: those after it are late
	for {
		d.mu.Lock()
		q := d.alertBacklog[key]
		if len(q) == 0 {
			delete(d.alertBacklog, key)
			d.mu.Unlock()
			return
		}
		al, gen := q[0], d.gen
		d.alertBacklog[key] = q[1:]
		d.mu.Unlock()
		if d.launchAlert(life, al, gen, fails, short) {
			fails = 0
			continue
		}
		d.mu.Lock()
		d.backlog(key, append([]sched.Alert{al}, d.alertBacklog[key]...))
		if fails == 0 && gen == d.gen {
			d.eng.AlertFailed(al.Group, al.Service) // once per alert, not per try
		}
		d.mu.Unlock()
		fails++
		short = true
		select {
		case <-life.Done():
			d.mu.Lock()
			q := d.alertBacklog[key]
			delete(d.alertBacklog, key)
			d.mu.Unlock()
			for _, al := range q {
				d.opt.Log("notice", fmt.Sprintf("alert %s for %s not called: mond is stopping", al.Path, key))
			}
			return
		case <-d.opt.Clock.After(alertRetryWait(fails)):
		}
	}
}

// launchAlert starts al, to run and be logged in the background, and returns once it
// has started (true) or could not start for want of mond's resources (false: nothing
// ran; the caller keeps it for another try). fails is how many times it could not
// before; late says it waited for such a failure.
func (d *Daemon) launchAlert(life context.Context, al sched.Alert, gen, fails int, late bool) bool {
	started := make(chan bool, 1)
	var once sync.Once
	var began atomic.Bool
	tell := func(ok bool) { once.Do(func() { started <- ok }) }
	d.alertsWG.Add(1)
	go func() {
		defer d.alertsWG.Done()
		at := d.opt.Clock.Now()
		res := d.opt.Runner.Run(life, runner.Cmd{
			Path: al.Path, Args: al.Args, Env: environ(al.Env), Stdin: []byte(al.Stdin), Timeout: d.opt.AlertTimeout,
			CaptureStderr: true, MaxOutput: maxAlertStderr, Stdout: d.opt.AlertOutput,
			Started: func(int) { began.Store(true); tell(true) },
		})
		if errno, ok := runner.ResourceErrno(res.Err); ok && !began.Load() && life.Err() == nil {
			d.opt.Log("err", fmt.Sprintf("could not start alert %s for %s/%s: %v; it and the service's later alerts wait, tried again in %v",
				al.Path, al.Group, al.Service, errno, alertRetryWait(fails+1)))
			tell(false)
			return
		}
		tell(true) // ended without starting (a missing program): the next may go
		if late {
			d.opt.Log("notice", fmt.Sprintf("alert %s for %s/%s called %v late: it waited for mond's resources",
				al.Path, al.Group, al.Service, at.Sub(time.Unix(al.Time, 0)).Round(time.Second)))
		}
		d.alertEnded(life, al, gen, res)
	}()
	return <-started
}

// alertEnded logs how an alert ended.
func (d *Daemon) alertEnded(life context.Context, al sched.Alert, gen int, res runner.Result) {
	if d.opt.AlertOutput != nil && len(res.Stderr) > 0 {
		d.opt.AlertOutput.Write(res.Stderr)
	}
	if prio, msg := alertTrouble(al, res, d.opt.AlertTimeout, life.Err() != nil); msg != "" {
		d.opt.Log(prio, msg)
		if prio == "err" {
			// Counted against the configuration that called it, not a newer one.
			d.mu.Lock()
			if gen == d.gen {
				d.eng.AlertFailed(al.Group, al.Service)
			}
			d.mu.Unlock()
		}
	}
}

// alertTrouble is the log line for an alert that did not end well, "" for one that
// exited 0. An alert that failed is worth a trace: lvs.alert failing leaves IPVS
// other than mon's view of the service.
func alertTrouble(al sched.Alert, res runner.Result, timeout time.Duration, stopping bool) (prio, msg string) {
	switch {
	case res.Err != nil:
		return "err", fmt.Sprintf("could not exec alert %s: %v", al.Path, res.Err)
	case res.TimedOut:
		msg = fmt.Sprintf("alert %s for %s/%s timed out after %s, killed", al.Path, al.Group, al.Service, timeout)
	case stopping && res.Signal == syscall.SIGKILL:
		// Killed by shutdown, as asked: worth a note, not an error.
		return "notice", fmt.Sprintf("alert %s for %s/%s killed: mond is stopping", al.Path, al.Group, al.Service)
	case res.Signal != 0:
		msg = fmt.Sprintf("alert %s %s killed by signal %d (%v)", al.Path, strings.Join(al.Args, " "), int(res.Signal), res.Signal)
	case res.ExitCode != 0:
		msg = fmt.Sprintf("alert %s %s exited %d", al.Path, strings.Join(al.Args, " "), res.ExitCode)
	default:
		return "", ""
	}
	if s := firstLines(res.Stderr, 3, 512); s != "" {
		msg += ": " + s
	}
	return "err", msg
}

// firstLines is the first n non-blank lines of b joined with " | ", cut to max bytes:
// one log line.
func firstLines(b []byte, n, max int) string {
	var lines []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" && len(lines) < n {
			lines = append(lines, l)
		}
	}
	s := strings.Join(lines, " | ")
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "") + "..."
	}
	return s
}
