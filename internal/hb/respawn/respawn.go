// Package respawn runs ha.cf's respawn programs (other than ipfail, which heartbeatd has
// built in) the way heartbeat 3.0.6 does, as observed running Debian's heartbeat in a
// network namespace with a recording child (see the report of issue 15 and
// internal/hb/clustertest's TestRespawnLikeOriginal):
//
//   - Children start when the node's own status becomes active (after initdead, before
//     its resources are acquired), each as "/bin/sh -c 'exec COMMAND'" (quotes in the
//     command group words; the started pid is the program), as the ha.cf user with that user's group and supplementary
//     groups, in its own process group, standard input, output and error on /dev/null,
//     with heartbeat's environment and its HA_* variables.
//   - A child that exits is started again, whatever its status (0, non-zero, a
//     signal), except exit status 100: that child stays stopped. After a short run
//     the restart comes one second later; after a long run (which resets the count
//     below) at once.
//   - A child whose run was short (under ShortRun) counts towards the rate limit; after
//     MaxShortRuns short runs in a row heartbeat logs "respawning too fast" and never
//     starts it again. A long run resets the count.
//   - At shutdown, after the resources are released, each running child's process group
//     is sent SIGTERM and waited for.
//
// The log lines are heartbeat's:
//
//	info: Starting child client "CMD" (UID,GID)
//	info: Starting "CMD" as uid UID  gid GID (pid PID)        (logged with the child's pid)
//	info: Managed CMD process PID exited with return code 0.
//	WARN: Managed CMD process PID exited with return code N.
//	WARN: Managed CMD process PID killed by signal N [SIGNAME - Description].
//	ERROR: Respawning client "CMD":
//	ERROR: Client CMD "respawning too fast"
//	info: killing CMD process group PID with signal 15
package respawn

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"time"

	"github.com/lvskit/lvskit/internal/clock"
	"github.com/lvskit/lvskit/internal/runner"
)

// Defaults observed of heartbeat 3.0.6.
const (
	// RespawnDelay is the time between a child's exit and its restart.
	RespawnDelay = time.Second
	// MaxShortRuns short runs in a row make heartbeat give the child up (the 11th exit
	// of a child that keeps failing: its first start and ten restarts).
	MaxShortRuns = 10
	// ShortRun: a run shorter than this counts towards MaxShortRuns. Observed bracket:
	// runs of 6 s count (a child living 6 s was given up after 11 runs in 74 s), runs of
	// 30 s do not (a child living 30 s was still restarted after its 11th run). The
	// exact threshold (or window) of heartbeat 3.0.6 is not yet measured.
	ShortRun = 10 * time.Second
	// NoRespawnStatus is the exit status that tells heartbeat not to restart a child.
	NoRespawnStatus = 100
)

// Logger takes heartbeat's log lines.
type Logger interface {
	Logf(level, format string, args ...any)
}

// PidLogger is a Logger that can write a line under another process's pid, as the lines
// heartbeat's forked child writes before it execs the program.
type PidLogger interface {
	LogPidf(pid int, level, format string, args ...any)
}

// Child is one respawn line.
type Child struct {
	Command  string              // as written in ha.cf: run by /bin/sh -c, and logged
	UID, GID int                 // for the log lines
	Cred     *syscall.Credential // nil: run as heartbeatd itself
}

// Config is what a Supervisor runs.
type Config struct {
	Children []Child
	Runner   runner.Runner
	Clock    clock.Clock
	Log      Logger
	Env      []string // the children's whole environment
	Dir      string   // their working directory
	// Kill signals a process group (default syscall.Kill(-pgid, sig)).
	Kill func(pgid int, sig syscall.Signal) error
	// Shell runs the commands (default /bin/sh).
	Shell string
	// Zero values take the package's defaults.
	RespawnDelay time.Duration
	ShortRun     time.Duration
	MaxShortRuns int
}

// Supervisor starts the children, restarts them and stops them.
type Supervisor struct {
	cfg  Config
	stop chan struct{}
	wg   sync.WaitGroup

	mu       sync.Mutex
	started  bool
	stopping bool
	pids     map[int]int // child index → pid of its running process
}

// New makes a Supervisor; nothing runs before Start.
func New(cfg Config) *Supervisor {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Kill == nil {
		cfg.Kill = func(pgid int, sig syscall.Signal) error { return syscall.Kill(-pgid, sig) }
	}
	if cfg.Shell == "" {
		cfg.Shell = "/bin/sh"
	}
	if cfg.RespawnDelay == 0 {
		cfg.RespawnDelay = RespawnDelay
	}
	if cfg.ShortRun == 0 {
		cfg.ShortRun = ShortRun
	}
	if cfg.MaxShortRuns == 0 {
		cfg.MaxShortRuns = MaxShortRuns
	}
	return &Supervisor{cfg: cfg, stop: make(chan struct{}), pids: map[int]int{}}
}

// Start starts every child (once; later calls do nothing, as do calls after Stop).
func (s *Supervisor) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopping {
		return
	}
	s.started = true
	for i := range s.cfg.Children {
		s.wg.Add(1)
		go s.run(i)
	}
}

func (s *Supervisor) logChild(pid int, level, format string, args ...any) {
	if pl, ok := s.cfg.Log.(PidLogger); ok {
		pl.LogPidf(pid, level, format, args...)
		return
	}
	s.cfg.Log.Logf(level, format, args...)
}

func (s *Supervisor) isStopping() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopping
}

// run keeps child i running until it exits with 100, respawns too fast, or Stop.
func (s *Supervisor) run(i int) {
	defer s.wg.Done()
	ch := s.cfg.Children[i]
	log := s.cfg.Log
	delay := time.Duration(0)
	short := 0
	for {
		log.Logf("info", "Starting child client \"%s\" (%d,%d)", ch.Command, ch.UID, ch.GID)
		if delay > 0 {
			select {
			case <-s.cfg.Clock.After(delay):
			case <-s.stop:
				return
			}
		}
		began := s.cfg.Clock.Now()
		pid := 0
		res := s.cfg.Runner.Run(context.Background(), runner.Cmd{
			Path: s.cfg.Shell, Args: []string{"-c", "exec " + ch.Command}, Env: s.cfg.Env, Dir: s.cfg.Dir,
			Credential: ch.Cred,
			Started: func(p int) {
				pid = p
				s.logChild(p, "info", "Starting \"%s\" as uid %d  gid %d (pid %d)", ch.Command, ch.UID, ch.GID, p)
				s.mu.Lock()
				s.pids[i] = p
				stopping := s.stopping
				s.mu.Unlock()
				if stopping {
					// Stop ran between our check and the start: it did not see this pid.
					s.killGroup(ch, p)
				}
			},
		})
		s.mu.Lock()
		delete(s.pids, i)
		stopping := s.stopping
		s.mu.Unlock()
		if stopping {
			return
		}
		if res.Err != nil && pid == 0 {
			log.Logf("ERROR", "Cannot exec %s: %v", ch.Command, res.Err)
		} else {
			switch {
			case res.Signal != 0:
				log.Logf("WARN", "Managed %s process %d killed by signal %d [%s].", ch.Command, pid, int(res.Signal), SignalName(res.Signal))
			case res.ExitCode == 0:
				log.Logf("info", "Managed %s process %d exited with return code 0.", ch.Command, pid)
			default:
				log.Logf("WARN", "Managed %s process %d exited with return code %d.", ch.Command, pid, res.ExitCode)
			}
			if res.Signal == 0 && res.ExitCode == NoRespawnStatus {
				return
			}
		}
		if s.cfg.Clock.Now().Sub(began) < s.cfg.ShortRun {
			short++
		} else {
			short = 0
		}
		// heartbeat's forked child sleeps a second before it execs only while the
		// short-run count is not zero: after a long run the restart is immediate
		// (observed: a child living 30 s was restarted within 0.1 s of its exit).
		delay = 0
		if short > 0 {
			delay = s.cfg.RespawnDelay
		}
		if short > s.cfg.MaxShortRuns {
			log.Logf("ERROR", "Client %s \"respawning too fast\"", ch.Command)
			return
		}
		log.Logf("ERROR", "Respawning client \"%s\":", ch.Command)
	}
}

func (s *Supervisor) killGroup(ch Child, pid int) {
	s.cfg.Log.Logf("info", "killing %s process group %d with signal 15", ch.Command, pid)
	_ = s.cfg.Kill(pid, syscall.SIGTERM)
}

// Stop sends SIGTERM to every running child's process group and waits for the children
// until ctx ends; then it sends SIGKILL and waits for them to be reaped. No child is
// started after Stop.
func (s *Supervisor) Stop(ctx context.Context) {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		s.wg.Wait()
		return
	}
	s.stopping = true
	close(s.stop)
	running := map[int]int{}
	for i, p := range s.pids {
		running[i] = p
	}
	s.mu.Unlock()
	for i := range s.cfg.Children {
		if p, ok := running[i]; ok {
			s.killGroup(s.cfg.Children[i], p)
		}
	}
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return
	case <-ctx.Done():
	}
	s.mu.Lock()
	for i, p := range s.pids {
		s.cfg.Log.Logf("WARN", "killing %s process group %d with signal 9", s.cfg.Children[i].Command, p)
		_ = s.cfg.Kill(p, syscall.SIGKILL)
	}
	s.mu.Unlock()
	<-done
}

// Running returns the pids of the children running now, by respawn line (for tests).
func (s *Supervisor) Running() map[int]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[int]int{}
	for i, p := range s.pids {
		m[i] = p
	}
	return m
}

// signalNames are heartbeat's descriptions of the signals that end a child, as its log
// lines print them ("[SIGTERM - Termination (ANSI)]"). Those marked * were seen in
// heartbeat 3.0.6's log; the others follow the same table's style.
var signalNames = map[syscall.Signal]string{
	syscall.SIGHUP:    "SIGHUP - Hangup",              // *
	syscall.SIGINT:    "SIGINT - Interrupt (ANSI)",    //
	syscall.SIGQUIT:   "SIGQUIT - Quit",               // *
	syscall.SIGILL:    "SIGILL - Illegal instruction", //
	syscall.SIGTRAP:   "SIGTRAP - Trace trap",         //
	syscall.SIGABRT:   "SIGABRT - Abort",              // *
	syscall.SIGBUS:    "SIGBUS - BUS error",           // *
	syscall.SIGFPE:    "SIGFPE - Floating-point exception",
	syscall.SIGKILL:   "SIGKILL - Kill, unblockable",      // *
	syscall.SIGUSR1:   "SIGUSR1 - User-defined signal 1",  // *
	syscall.SIGSEGV:   "SIGSEGV - Segmentation violation", // *
	syscall.SIGUSR2:   "SIGUSR2 - User-defined signal 2",  // *
	syscall.SIGPIPE:   "SIGPIPE - Broken pipe",
	syscall.SIGALRM:   "SIGALRM - Alarm clock",
	syscall.SIGTERM:   "SIGTERM - Termination (ANSI)", // *
	syscall.SIGXCPU:   "SIGXCPU - CPU limit exceeded",
	syscall.SIGXFSZ:   "SIGXFSZ - File size limit exceeded",
	syscall.SIGVTALRM: "SIGVTALRM - Virtual alarm clock",
	syscall.SIGPROF:   "SIGPROF - Profiling alarm clock",
	syscall.SIGSYS:    "SIGSYS - Bad system call",
}

// SignalName is the bracketed description heartbeat logs for a signal.
func SignalName(sig syscall.Signal) string {
	if n, ok := signalNames[sig]; ok {
		return n
	}
	return fmt.Sprintf("signal %d", int(sig))
}
