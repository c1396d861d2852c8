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

import "time"

// Config is what the engine needs from mon.cf, already parsed and validated.
type Config struct {
	// Groups maps a hostgroup to its members, in order.
	Groups map[string][]string
	// Watches lists the services, in config order.
	Services []*Service
	// RandStart spreads the first checks over [0, RandStart).
	RandStart time.Duration
	// MaxProcs bounds concurrently running monitors; 0 is no bound.
	MaxProcs int
	// HistLength is mon's histlength (MAX_KEEP); 0 means the default 100.
	HistLength int
	// ExcludePeriod, when now is inside it, runs no monitor at all.
	ExcludePeriod string
	// DepRecurLimit bounds dependency recursion; 0 means mon's default 10.
	DepRecurLimit int
	// StateDir, LogDir, CfBaseDir feed MON_STATEDIR, MON_LOGDIR, MON_CFBASEDIR.
	StateDir, LogDir, CfBaseDir string
}

// Service is one "service" block of a watch.
type Service struct {
	Group, Name string
	// Interval between checks; zero means the service is never polled.
	Interval        time.Duration
	FailureInterval time.Duration
	RandSkew        time.Duration
	// Monitor is the monitor line: program name, then its arguments. A trailing ";;"
	// means "do not append the hosts".
	Monitor         string
	AllowEmptyGroup bool
	// Description is set when HasDescription (mon tells "" from unset).
	Description    string
	HasDescription bool
	// Depend is the dependency expression (SELF: already substituted); DepBehavior is
	// "a" (default), "m" or "hm".
	Depend                                 string
	DepBehavior                            string
	AlertDepend, MonitorDepend, HostDepend string
	DepMemory                              time.Duration
	ExcludeHosts                           []string
	ExcludePeriod                          string
	Redistribute                           string
	UnackSummary                           bool
	// TrapTimeout: a failure ("trap timeout") when no trap came for this long.
	// TrapDuration: a failing trap turns back to ok after this long.
	TrapTimeout, TrapDuration time.Duration
	// Env holds the service's VAR=value lines, passed to monitors and alerts.
	Env     map[string]string
	Periods []*Period
}

// AlertEveryMode is alertevery's modifier.
type AlertEveryMode int

// The alertevery modifiers.
const (
	AlertEverySummary       AlertEveryMode = iota // default: a changed summary re-alerts
	AlertEveryStrict                              // nothing re-alerts early; success does not reset
	AlertEveryObserveDetail                       // a changed output (summary or detail) re-alerts
	AlertEveryIgnoreSummary                       // nothing re-alerts early
)

// Period is one "period" section of a service.
type Period struct {
	// Label is the period's tag (the period text itself when untagged).
	Label string
	// Spec is the Time::Period expression; "" matches always.
	Spec string
	// Alert lines: "[exit=RANGE ]program args...".
	Alerts, UpAlerts, StartupAlerts, AckAlerts, DisableAlerts []string
	AlertEvery                                                time.Duration
	AlertEveryMode                                            AlertEveryMode
	// AlertAfterConsec is "alertafter N" (0: unset).
	AlertAfterConsec int
	// AlertAfterCount/AlertAfterInterval are "alertafter N T" (count 0: unset) or, with
	// count 0 and interval set, "alertafter T".
	AlertAfterCount    int
	AlertAfterInterval time.Duration
	NumAlerts          int
	NoCompAlerts       bool
	AlertsDontCount    bool
	AlertExitRange     string
}
