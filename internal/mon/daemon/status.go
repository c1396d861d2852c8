package daemon

import (
	"errors"
	"fmt"
	"time"

	"github.com/lvskit/lvskit/internal/mon/sched"
)

// State is a snapshot of the daemon for its metrics and JSON status, taken in one
// hold of the engine's lock and never changed after.
type State struct {
	// Now is the daemon's clock when the snapshot was taken; Started when New ran.
	Now, Started time.Time
	// ConfigPath is mon.cf's path; ConfigLoaded when the running configuration was
	// installed (at start or by the last successful reset).
	ConfigPath   string
	ConfigLoaded time.Time
	// Resets and ResetsRefused count Reset's outcomes since start (SIGHUP and
	// "reset" alike): installed, and refused with the running configuration kept.
	Resets, ResetsRefused int64
	// SchedulerRunning is false after mon's "stop" (or -S) until "start";
	// StoppedSince is when it stopped (zero while running).
	SchedulerRunning bool
	StoppedSince     time.Time
	// Services are the engine's services in config order.
	Services []sched.Info
}

// State takes a snapshot of the daemon. It holds the engine's lock only to copy the
// services' states.
func (d *Daemon) State() State {
	d.mu.Lock()
	s := State{Now: d.opt.Clock.Now(), Started: d.started, ConfigPath: d.opt.ConfigPath,
		ConfigLoaded: d.loaded, Services: d.eng.Infos()}
	stopped, since := d.eng.Stopped()
	d.mu.Unlock()
	s.Resets, s.ResetsRefused = d.resets.Load(), d.resetsRefused.Load()
	s.SchedulerRunning = !stopped
	if stopped {
		s.StoppedSince = time.Unix(since, 0)
	}
	return s
}

// ErrSchedulerStopped is Ready's answer while mon's scheduler is stopped.
var ErrSchedulerStopped = errors.New("scheduler stopped by client command (stop, or mond -S); start resumes it")

// loopStall is how long the main loop may go without stepping before Ready says so;
// it steps at least once a second.
const loopStall = 5 * time.Second

// Ready reports whether mond is doing its job: a configuration is loaded (always, once
// New returned), the main loop runs and has stepped within the last few seconds, and
// the scheduler is not stopped. It takes no lock, so a probe never waits on the
// engine.
func (d *Daemon) Ready() error {
	last := d.lastLoop.Load()
	switch {
	case last == 0:
		return errors.New("main loop not started")
	case time.Since(time.Unix(0, last)) > loopStall:
		return fmt.Errorf("main loop has not stepped for %s", time.Since(time.Unix(0, last)).Round(time.Second))
	case !d.schedRunning.Load():
		return ErrSchedulerStopped
	}
	return nil
}
