package sched

import (
	"fmt"
	"strconv"
	"time"
)

// trapTimers runs a service's traptimeout and trapduration timers (mon's main loop).
func (e *Engine) trapTimers(a *Actions, st *ServiceState, now time.Time) {
	tn, t := now.UnixNano(), now.Unix()
	if to := st.cfg.TrapTimeout; to > 0 && tn >= st.trapDue && t-st.lastTrap > secs(to) {
		st.trapDue = tn + int64(to)
		out := fmt.Sprintf("trap timeout\ntrap timeout after %ds at %s\n", secs(to), now.Format("Mon Jan _2 15:04:05 2006"))
		e.processEvent(a, st, 'T', 1, out, t)
	}
	if st.trapDurationDue != 0 && tn >= st.trapDurationDue {
		e.setOpStatus(st, StatOK)
		st.trapDurationDue = 0
	}
}

// Trap is a trap mon's trap port accepted: its group and service (mapped to the
// "default" watch as mon does when the group is unknown), status (the exit value,
// 0 ok), summary and detail.
func (e *Engine) Trap(group, service string, sta int, summary, detail string, now time.Time) (Actions, error) {
	var a Actions
	intended := ""
	if !e.hasWatch(group) && e.hasWatch("default") {
		intended = group + ":" + service
		group = "default"
	}
	if group == "default" && e.byKey[key{"default", service}] == nil && e.byKey[key{"default", "default"}] != nil {
		service = "default"
	}
	if _, ok := e.groups[group]; !ok {
		return a, fmt.Errorf("trap received for undefined group %s", group)
	}
	st := e.byKey[key{group, service}]
	if st == nil {
		return a, fmt.Errorf("trap received for undefined service type %s/%s", group, service)
	}
	tn := now.UnixNano()
	if st.cfg.TrapTimeout > 0 {
		st.trapDue = tn + int64(st.cfg.TrapTimeout)
	}
	st.lastTrap = now.Unix()
	st.intended = intended
	if st.cfg.TrapDuration > 0 {
		st.trapDurationDue = tn + int64(st.cfg.TrapDuration)
	}
	if len(summary) == 0 || summary[len(summary)-1] != '\n' {
		summary += "\n"
	}
	e.processEvent(&a, st, 't', sta, summary+"\n"+detail, now.Unix())
	st.intended = ""
	return a, nil
}

// LastTrap returns the time of a service's last trap (0: none), for opstatus.
func (e *Engine) LastTrap(group, service string) string {
	if st := e.byKey[key{group, service}]; st != nil {
		return strconv.FormatInt(st.lastTrap, 10)
	}
	return "0"
}
