package daemon

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/lvskit/lvskit/internal/mon/monitors"
	"github.com/lvskit/lvskit/internal/mon/sched"
	"github.com/lvskit/lvskit/internal/runner"
)

func (d *Daemon) shutdown() {
	close(d.done)
	d.mu.Lock()
	for _, cancel := range d.running {
		cancel()
	}
	d.mu.Unlock()
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

func (d *Daemon) startMonitor(m sched.RunMonitor) {
	ctx, cancel := context.WithCancel(context.Background())
	key := m.Group + "/" + m.Service
	d.running[key] = cancel
	gen := d.gen
	timeout := d.opt.MonitorTimeout
	go func() {
		defer cancel()
		var exit int
		var out string
		if name, ok := strings.CutPrefix(m.Path, builtinPrefix); ok {
			f, _ := monitors.Lookup(name)
			mctx := ctx
			if timeout > 0 {
				var c2 context.CancelFunc
				mctx, c2 = context.WithTimeout(ctx, timeout)
				defer c2()
			}
			r := f(mctx, m.Args)
			exit, out = r.Exit, r.Output
		} else {
			var pid int
			res := d.opt.Runner.Run(ctx, runner.Cmd{
				Path: m.Path, Args: m.Args, Env: environ(m.Env), Capture: true, Timeout: timeout,
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
			out = string(res.Output)
			switch {
			case res.Err != nil:
				// mon's child logs "could not exec" and exits 1.
				exit, out = 1, ""
				d.opt.Log("err", fmt.Sprintf("could not exec '%s': %v", m.Path, res.Err))
			case res.TimedOut:
				exit = 1
				out = fmt.Sprintf("monitor timed out after %s\n", timeout) + out
			case res.Signal != 0:
				// mon takes $? >> 8, which is 0 for a program killed by a signal.
				exit = 0
			default:
				exit = res.ExitCode
			}
		}
		select {
		case d.results <- monResult{gen, m.Group, m.Service, exit, out}:
		case <-d.done:
		}
	}()
}

func (d *Daemon) startAlert(al sched.Alert) {
	d.alertsWG.Add(1)
	go func() {
		defer d.alertsWG.Done()
		res := d.opt.Runner.Run(context.Background(), runner.Cmd{
			Path: al.Path, Args: al.Args, Env: environ(al.Env), Stdin: []byte(al.Stdin),
		})
		if res.Err != nil {
			d.opt.Log("err", fmt.Sprintf("could not exec alert %s: %v", al.Path, res.Err))
		}
	}()
}
