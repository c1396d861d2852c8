package daemon

import (
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// makeRealtime puts every thread of the process under SCHED_RR at prio, as heartbeat's
// "realtime on" (the default) does, so that busy processes cannot delay keepalives past
// deadtime. SCHED_RESET_ON_FORK keeps resource scripts (and threads created later) at
// normal priority; the daemon calls this again every keepalive to catch new threads.
func makeRealtime(prio int) error {
	ents, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	var first error
	for _, e := range ents {
		tid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cur, err := unix.SchedGetAttr(tid, 0)
		if err == nil && cur.Policy == unix.SCHED_RR && int(cur.Priority) == prio {
			continue
		}
		attr := unix.SchedAttr{Policy: unix.SCHED_RR, Priority: uint32(prio), Flags: unix.SCHED_FLAG_RESET_ON_FORK}
		if err := unix.SchedSetAttr(tid, &attr, 0); err != nil && first == nil {
			first = err
		}
	}
	return first
}
