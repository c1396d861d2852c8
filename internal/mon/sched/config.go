// Package sched is mond's scheduler and alert state machine: what mon 1.3.6 does between
// "a monitor is due" and "this alert program is called with these arguments". It is pure:
// time comes in as arguments, randomness from an injected source, and the effects go out
// as actions (run this monitor, call this alert) that the daemon executes. Tests drive it
// with a fake clock, one step at a time.
//
// The semantics follow the mon 1.3.6 program (/usr/sbin/mon), including its quirks, because
// mond must be a drop-in: timers count from start-up (the first check comes one interval
// after start unless randstart is set), every failure alerts unless alertevery, alertafter
// or numalerts hold it back, upalerts are sent only for periods that sent a down alert,
// upalertafter has no effect (1.3.6 stores it per period but reads it per service), and a
// disabled service still runs its monitor but sends no alerts.
package sched

import (
	"time"

	"github.com/lvskit/lvskit/compat/monconf"
)

// Config is what the engine runs. The engine reads mon.cf's values as compat/monconf
// parsed them — a monitor or alert as its program and argv (monconf.Command), exit
// ranges, periods that answer Contains(time) — and keeps no copy of its own: there is
// one reading of mon.cf, the one compared with mon's. The engine never changes Cf, so
// the daemon may share it with its other readers.
type Config struct {
	// Cf is the parsed mon.cf: its hostgroups, its watches with their services and
	// periods, and the globals exclude_period and dep_recur_limit.
	Cf *monconf.Config
	// RandStart spreads the first checks over [0, RandStart) (randstart, or -r).
	RandStart time.Duration
	// MaxProcs bounds concurrently running monitors; 0 is no bound (maxprocs, or -m).
	MaxProcs int
	// HistLength is mon's histlength (MAX_KEEP; or -k); 0 means the default 100.
	HistLength int
	// StateDir, LogDir, CfBaseDir feed MON_STATEDIR, MON_LOGDIR, MON_CFBASEDIR.
	StateDir, LogDir, CfBaseDir string
}
