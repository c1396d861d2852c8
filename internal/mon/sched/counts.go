package sched

// MonitorTimedOut counts a monitor of the service killed by mond's monitor timeout;
// the daemon calls it just before MonitorExited reports that monitor's result.
func (e *Engine) MonitorTimedOut(group, service string) {
	if st := e.byKey[key{group, service}]; st != nil && st.running {
		st.counts.MonitorTimeouts++
	}
}

// AlertFailed counts an alert program of the service that failed: it could not be
// started, exited non-zero, or was killed (by mond's alert timeout or a signal).
func (e *Engine) AlertFailed(group, service string) {
	if st := e.byKey[key{group, service}]; st != nil {
		st.counts.AlertFailures++
	}
}
