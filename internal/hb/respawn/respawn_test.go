package respawn

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/clock"
	"github.com/lvskit/lvskit/internal/runner"
)

// fakeRunner starts "processes" that run until the test ends them.
type fakeRunner struct {
	mu      sync.Mutex
	next    int
	calls   []runner.Cmd
	running map[int]chan runner.Result
	started chan int
}

func newFakeRunner() *fakeRunner {
	return &fakeRunner{next: 100, running: map[int]chan runner.Result{}, started: make(chan int, 100)}
}

func (f *fakeRunner) Run(_ context.Context, c runner.Cmd) runner.Result {
	f.mu.Lock()
	f.next++
	pid := f.next
	f.calls = append(f.calls, c)
	end := make(chan runner.Result, 1)
	f.running[pid] = end
	f.mu.Unlock()
	c.Started(pid)
	f.started <- pid
	res := <-end
	f.mu.Lock()
	delete(f.running, pid)
	f.mu.Unlock()
	return res
}

func (f *fakeRunner) end(pid int, r runner.Result) {
	f.mu.Lock()
	ch := f.running[pid]
	f.mu.Unlock()
	ch <- r
}

type logRec struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRec) Logf(level, format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, level+": "+fmt.Sprintf(format, args...))
}

func (l *logRec) LogPidf(pid int, level, format string, args ...any) {
	l.Logf(level, "[%d] "+format, append([]any{pid}, args...)...)
}

func (l *logRec) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

type harness struct {
	t    *testing.T
	clk  *clock.Fake
	run  *fakeRunner
	log  *logRec
	sup  *Supervisor
	mu   sync.Mutex
	kill []string
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, clk: clock.NewFake(time.Unix(1000, 0)), run: newFakeRunner(), log: &logRec{}}
	h.sup = New(Config{
		Children: []Child{{Command: `/x/child a "b c"`, UID: 101, GID: 104, Cred: &syscall.Credential{Uid: 101, Gid: 104, Groups: []uint32{103, 104}}}},
		Runner:   h.run, Clock: h.clk, Log: h.log, Env: []string{"HA_FOO=bar"}, Dir: "/var/lib/heartbeat/cores/root",
		Kill: func(pgid int, sig syscall.Signal) error {
			h.mu.Lock()
			h.kill = append(h.kill, fmt.Sprintf("%d:%d", pgid, sig))
			h.mu.Unlock()
			if sig == syscall.SIGTERM {
				go h.run.end(pgid, runner.Result{ExitCode: -1, Signal: syscall.SIGTERM})
			}
			return nil
		},
	})
	return h
}

// started waits for the next start.
func (h *harness) started() int {
	h.t.Helper()
	select {
	case pid := <-h.run.started:
		return pid
	case <-time.After(5 * time.Second):
		h.t.Fatalf("no start; log:\n%s", h.log.text())
		return 0
	}
}

func (h *harness) noStart(after time.Duration) {
	h.t.Helper()
	h.advanceWhenWaiting(after)
	select {
	case pid := <-h.run.started:
		h.t.Fatalf("unexpected start of pid %d; log:\n%s", pid, h.log.text())
	case <-time.After(100 * time.Millisecond):
	}
}

// advanceWhenWaiting moves the fake clock once the supervisor has logged its restart
// (and so waits on the clock, or has stopped).
func (h *harness) advanceWhenWaiting(d time.Duration) {
	time.Sleep(20 * time.Millisecond)
	h.clk.Advance(d)
}

func (h *harness) exit(pid int, r runner.Result, ran time.Duration) {
	h.clk.Advance(ran)
	h.run.end(pid, r)
}

func TestStartRunsShellAsUserWithEnv(t *testing.T) {
	h := newHarness(t)
	h.sup.Start()
	pid := h.started()
	c := h.run.calls[0]
	if c.Path != "/bin/sh" || strings.Join(c.Args, "|") != `-c|exec /x/child a "b c"` {
		t.Errorf("argv %s %q", c.Path, c.Args)
	}
	if c.Credential == nil || c.Credential.Uid != 101 || c.Credential.Gid != 104 || len(c.Credential.Groups) != 2 {
		t.Errorf("credential %+v", c.Credential)
	}
	if len(c.Env) != 1 || c.Dir != "/var/lib/heartbeat/cores/root" || c.Stdout != nil || c.Capture {
		t.Errorf("env %q dir %q", c.Env, c.Dir)
	}
	want := `info: Starting child client "/x/child a "b c"" (101,104)
info: [101] Starting "/x/child a "b c"" as uid 101  gid 104 (pid 101)`
	if got := h.log.text(); got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
	h.sup.Stop(context.Background())
	if !strings.HasSuffix(h.log.text(), fmt.Sprintf(`info: killing /x/child a "b c" process group %d with signal 15`, pid)) {
		t.Errorf("log:\n%s", h.log.text())
	}
	if len(h.kill) != 1 || h.kill[0] != fmt.Sprintf("%d:15", pid) {
		t.Errorf("kills %v", h.kill)
	}
}

// Exits with 0, non-zero and a signal after short runs are restarted one second later,
// with heartbeat's lines; an exit with 100 is not.
func TestRestartAndExit100(t *testing.T) {
	h := newHarness(t)
	h.sup.Start()
	pid := h.started()
	h.exit(pid, runner.Result{ExitCode: 0}, 2*time.Second)
	h.noStart(999 * time.Millisecond)
	h.advanceWhenWaiting(time.Millisecond)
	pid = h.started()
	h.exit(pid, runner.Result{ExitCode: 1}, 2*time.Second)
	h.advanceWhenWaiting(time.Second)
	pid = h.started()
	h.exit(pid, runner.Result{ExitCode: -1, Signal: syscall.SIGKILL}, 2*time.Second)
	h.advanceWhenWaiting(time.Second)
	pid = h.started()
	h.exit(pid, runner.Result{ExitCode: 100}, time.Second)
	h.noStart(time.Minute)
	want := `info: Starting child client "/x/child a "b c"" (101,104)
info: [101] Starting "/x/child a "b c"" as uid 101  gid 104 (pid 101)
info: Managed /x/child a "b c" process 101 exited with return code 0.
ERROR: Respawning client "/x/child a "b c"":
info: Starting child client "/x/child a "b c"" (101,104)
info: [102] Starting "/x/child a "b c"" as uid 101  gid 104 (pid 102)
WARN: Managed /x/child a "b c" process 102 exited with return code 1.
ERROR: Respawning client "/x/child a "b c"":
info: Starting child client "/x/child a "b c"" (101,104)
info: [103] Starting "/x/child a "b c"" as uid 101  gid 104 (pid 103)
WARN: Managed /x/child a "b c" process 103 killed by signal 9 [SIGKILL - Kill, unblockable].
ERROR: Respawning client "/x/child a "b c"":
info: Starting child client "/x/child a "b c"" (101,104)
info: [104] Starting "/x/child a "b c"" as uid 101  gid 104 (pid 104)
WARN: Managed /x/child a "b c" process 104 exited with return code 100.`
	if got := h.log.text(); got != want {
		t.Errorf("log:\n%s\nwant:\n%s", got, want)
	}
	h.sup.Stop(context.Background())
	if len(h.kill) != 0 {
		t.Errorf("nothing runs, yet killed %v", h.kill)
	}
}

// Eleven short runs in a row: the eleventh exit gives the child up for good.
func TestRespawningTooFast(t *testing.T) {
	h := newHarness(t)
	h.sup.Start()
	for i := 0; i < 11; i++ {
		if i > 0 {
			h.advanceWhenWaiting(time.Second)
		}
		pid := h.started()
		h.exit(pid, runner.Result{ExitCode: 1}, 5*time.Second)
	}
	h.noStart(time.Hour)
	lines := strings.Split(h.log.text(), "\n")
	if last := lines[len(lines)-1]; last != `ERROR: Client /x/child a "b c" "respawning too fast"` {
		t.Errorf("last line %q", last)
	}
	if n := strings.Count(h.log.text(), "Respawning client"); n != 10 {
		t.Errorf("%d respawns, want 10", n)
	}
	h.sup.Stop(context.Background())
}

// A long run resets the count: ten short runs, a long one, ten short ones again. The
// restart after the long run is immediate.
func TestLongRunResetsCount(t *testing.T) {
	h := newHarness(t)
	h.sup.Start()
	runs := []time.Duration{}
	for i := 0; i < 10; i++ {
		runs = append(runs, time.Second)
	}
	runs = append(runs, 2*ShortRun)
	for i := 0; i < 10; i++ {
		runs = append(runs, time.Second)
	}
	for i, d := range runs {
		if i > 0 && runs[i-1] < ShortRun { // after the long run: restarted at once
			h.advanceWhenWaiting(time.Second)
		}
		pid := h.started()
		h.exit(pid, runner.Result{ExitCode: 1}, d)
	}
	h.advanceWhenWaiting(time.Second)
	pid := h.started() // the 22nd start: still respawned
	if strings.Contains(h.log.text(), "too fast") {
		t.Fatalf("gave up:\n%s", h.log.text())
	}
	h.sup.Stop(context.Background())
	if h.kill[0] != fmt.Sprintf("%d:15", pid) {
		t.Errorf("kills %v", h.kill)
	}
}

// Stop during the respawn delay starts nothing more and kills nothing.
func TestStopDuringDelay(t *testing.T) {
	h := newHarness(t)
	h.sup.Start()
	pid := h.started()
	h.exit(pid, runner.Result{ExitCode: 1}, time.Second)
	time.Sleep(20 * time.Millisecond)
	h.sup.Stop(context.Background())
	h.noStart(time.Minute)
	if len(h.kill) != 0 {
		t.Errorf("kills %v", h.kill)
	}
	h.sup.Start() // after Stop: nothing
	h.noStart(time.Minute)
}

// A child that ignores SIGTERM is killed when Stop's context ends.
func TestStopEscalates(t *testing.T) {
	h := newHarness(t)
	h.sup.cfg.Kill = func(pgid int, sig syscall.Signal) error {
		h.mu.Lock()
		h.kill = append(h.kill, fmt.Sprintf("%d:%d", pgid, sig))
		h.mu.Unlock()
		if sig == syscall.SIGKILL {
			go h.run.end(pgid, runner.Result{ExitCode: -1, Signal: syscall.SIGKILL})
		}
		return nil
	}
	h.sup.Start()
	pid := h.started()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	h.sup.Stop(ctx)
	if strings.Join(h.kill, " ") != fmt.Sprintf("%d:15 %d:9", pid, pid) {
		t.Errorf("kills %v", h.kill)
	}
	if strings.Contains(h.log.text(), "Managed") {
		t.Errorf("an exit at shutdown is not logged:\n%s", h.log.text())
	}
}
