package sched

import "time"

// MonitorNotRun reports that the monitor Tick asked for could not be started for a
// reason of mond's own — out of file descriptors, fork failing — so it checked nothing:
// the service is no longer running and its next check comes at the next interval, but
// its opstatus, failure counters and alert state stay as they were. (mon, whose fork or
// pipe fails the same way, logs and likewise leaves the service's state alone.)
func (e *Engine) MonitorNotRun(group, service string, now time.Time) {
	st := e.byKey[key{group, service}]
	if st == nil || !st.running {
		return
	}
	st.counts.NotRun++
	st.running = false
	e.procs--
	e.resetTimer(st, now.UnixNano())
}
