package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/internal/clock"
	"github.com/lvskit/lvskit/internal/hb/core"
	"github.com/lvskit/lvskit/internal/hb/transport"
)

// GroupRunner starts and stops resource groups (groupexec.Executor does).
type GroupRunner interface {
	Acquire(ctx context.Context, g haresources.Group) error
	Release(ctx context.Context, g haresources.Group) error
}

// Loop runs a Core: messages from the transport, ping replies, group results and
// requests from the control socket, with time from a clock.
type Loop struct {
	core   *core.Core
	log    core.Logger
	clk    clock.Clock
	in     <-chan transport.Inbound
	pings  <-chan string
	groups map[string]haresources.Group
	runner GroupRunner
	// ShutdownTimeout bounds a clean stop (heartbeat waits for its resource scripts
	// without limit; a bound keeps a stuck script from hanging heartbeatd -k forever).
	ShutdownTimeout time.Duration
	// onActive runs once, in the loop, when this node's status first becomes active
	// (heartbeat starts its respawn children then).
	onActive func()

	done chan doneMsg
	ctl  chan func(now time.Time)
	wg   sync.WaitGroup

	mu   sync.Mutex
	snap core.Snapshot
}

type doneMsg struct {
	key string
	err error
}

// LoopConfig wires a Loop.
type LoopConfig struct {
	Core   core.Config // Exec is set by NewLoop
	Clock  clock.Clock
	In     <-chan transport.Inbound
	Pings  <-chan string // may be nil
	Runner GroupRunner
	// OnActive, if set, runs once when the node's own status first becomes active.
	OnActive func()
}

// NewLoop makes the core and the loop around it.
func NewLoop(cfg LoopConfig) (*Loop, error) {
	l := &Loop{onActive: cfg.OnActive, clk: cfg.Clock, in: cfg.In, pings: cfg.Pings, runner: cfg.Runner, log: cfg.Core.Log, groups: map[string]haresources.Group{},
		done: make(chan doneMsg, 16), ctl: make(chan func(time.Time)), ShutdownTimeout: 10 * time.Minute}
	if l.clk == nil {
		l.clk = clock.Real{}
	}
	for _, g := range cfg.Core.Groups {
		l.groups[g.Key()] = g
	}
	cc := cfg.Core
	cc.Exec = l.exec
	c, err := core.New(cc, l.clk.Now())
	if err != nil {
		return nil, err
	}
	l.core = c
	l.snap = c.Snapshot()
	return l, nil
}

// exec runs a group start or stop in the background. The context is not the daemon's:
// a stop under way when a shutdown begins must finish.
func (l *Loop) exec(key string, start bool) {
	g := l.groups[key]
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		var err error
		if start {
			err = l.runner.Acquire(context.Background(), g)
		} else {
			err = l.runner.Release(context.Background(), g)
		}
		l.done <- doneMsg{key, err}
	}()
}

// Snapshot is the latest published state; safe from any goroutine.
func (l *Loop) Snapshot() core.Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.snap
}

// Do runs f in the loop's goroutine and returns its error (standby, takeover).
func (l *Loop) Do(ctx context.Context, f func(c *core.Core, now time.Time) error) error {
	res := make(chan error, 1)
	select {
	case l.ctl <- func(now time.Time) { res <- f(l.core, now) }:
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (l *Loop) publish() {
	s := l.core.Snapshot()
	if l.onActive != nil && s.Status == "active" && !s.Shutdown {
		f := l.onActive
		l.onActive = nil
		f()
	}
	l.mu.Lock()
	l.snap = s
	l.mu.Unlock()
}

// Run runs until ctx ends, then stops cleanly (releases resources, sends shutdone)
// within ShutdownTimeout, and returns.
func (l *Loop) Run(ctx context.Context) error {
	c := l.core
	c.Tick(l.clk.Now())
	l.publish()
	stopping := ctx.Done()
	var giveUp <-chan time.Time
	for !c.ShutDown() {
		now := l.clk.Now()
		wait := c.Next(now).Sub(now)
		if wait < 0 {
			wait = 0
		}
		timer := l.clk.After(wait)
		select {
		case <-stopping:
			stopping = nil
			giveUp = l.clk.After(l.ShutdownTimeout)
			c.Shutdown(l.clk.Now())
		case <-giveUp:
			l.log.Logf("ERROR", "shutdown: resources not released after %v; exiting anyway", l.ShutdownTimeout)
			l.publish()
			return errors.New("shutdown timed out")
		case in, ok := <-l.in:
			if !ok {
				l.in = nil
				continue
			}
			c.Receive(l.clk.Now(), in.From, in.Link, in.Msg)
		case a := <-l.pings:
			c.Ping(l.clk.Now(), a)
		case d := <-l.done:
			c.Done(l.clk.Now(), d.key, d.err)
		case f := <-l.ctl:
			f(l.clk.Now())
		case <-timer:
		}
		c.Tick(l.clk.Now())
		l.publish()
	}
	l.wg.Wait()
	return nil
}

// Query answers a control request (cl_status arguments, or "standby"/"takeover"
// with a share) with output and an exit status.
func (l *Loop) Query(ctx context.Context, args []string) (string, int) {
	if len(args) == 0 {
		return "no command\n", 2
	}
	switch args[0] {
	case "standby", "takeover":
		which := "all"
		if len(args) > 1 {
			which = args[1]
		}
		err := l.Do(ctx, func(c *core.Core, now time.Time) error {
			if args[0] == "standby" {
				return c.Standby(now, which)
			}
			return c.Takeover(now, which)
		})
		if err != nil {
			return fmt.Sprintf("%s: %v\n", args[0], err), 1
		}
		return "", 0
	}
	return ClStatus(l.Snapshot(), args)
}
