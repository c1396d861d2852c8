//go:build linux

package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netns"
)

// TestSoakHostileClients runs mond (this test binary, MOND_TEST_MAIN=1) in a network
// namespace of its own with a file-descriptor limit of 1024 and 50 services — 40
// built-in tcp.monitor checks of real listeners in the namespace and 10 scripted
// monitors — while a hostile client opens 5,000 connections to its client port (most
// left idle: five times what the limit allows), keeps opening and closing more, sends
// junk and 64 MiB lines and every command of mon 1.3.6's client protocol without
// logging in. One TCP service is stopped in the middle and started again. It checks
// that:
//
//	(a) the stopped service's alert and upalert come within (alertafter+1)×interval+3 s;
//	(b) no other service fails (alerts, or mond's failure history);
//	(c) after the attack, a logged-in client gets the whole "list opstatus" (retried for
//	    20 s while mond recovers, from running out of descriptors above all);
//	(d) mond's peak RSS (VmHWM) stays under 100 MiB;
//	(e) after SIGTERM mond exits within 5 s and leaves no process behind.
//
// Every unauthenticated command is answered before the flood (mond does not hang), and
// "term" is refused (auth.cf does not grant it).
func TestSoakHostileClients(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test (about a minute); skipped with -short")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root: it creates a network namespace")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip (iproute2) to create a network namespace")
	}
	s := &soak{t: t, start: time.Now()}
	s.ns = newSoakNetns(t)
	s.dir = t.TempDir()
	s.writeFiles()
	s.startListeners()
	s.startMond()
	s.waitAllUp()

	// Phase 1: the protocol, junk and huge lines, while mond still has descriptors.
	var huge sync.WaitGroup
	hugeConns := make([]net.Conn, soakHugeConns)
	for i := range hugeConns {
		huge.Add(1)
		go func() { defer huge.Done(); hugeConns[i] = s.hugeLine(i) }()
	}
	var p1 sync.WaitGroup
	for i := 0; i < soakProtocolConns; i++ {
		p1.Add(1)
		go func() { defer p1.Done(); s.protocolRound(i, 5*time.Second, &s.early) }()
	}
	for i := 0; i < soakBadLoginConns; i++ {
		p1.Add(1)
		go func() { defer p1.Done(); s.badLogins(i) }()
	}
	for i := 0; i < soakJunkConns; i++ {
		p1.Add(1)
		go func() { defer p1.Done(); s.junk(i) }()
	}
	p1.Wait()
	s.logf("phase 1 done")

	// Phase 2: the flood, then connections opened and closed all the time, more
	// protocol and junk, the stopped service; 40 s in all, longer than mond's client
	// timeout (30 s), so idle clients it accepted are dropped during the attack.
	holdUntil := time.Now().Add(soakHold)
	flood := s.flood()
	var late sync.WaitGroup
	late.Add(1)
	go func() { defer late.Done(); s.churn(holdUntil) }()
	for i := 0; i < soakLateConns; i++ {
		late.Add(1)
		go func() { defer late.Done(); s.protocolRound(i, 3*time.Second, &s.late) }()
	}
	for i := 0; i < soakJunkConns; i++ {
		late.Add(1)
		go func() { defer late.Done(); s.junk(100 + i) }()
	}
	time.Sleep(time.Second)
	s.stopService()
	s.waitAlert("alert", s.stoppedAt, s.bound(soakStopped)+time.Second)
	time.Sleep(time.Until(s.stoppedAt.Add(15 * time.Second)))
	s.restartService()
	s.waitAlert("upalert", s.restartedAt, s.bound(soakStopped)+time.Second)
	time.Sleep(time.Until(holdUntil))
	late.Wait()
	huge.Wait()
	s.classify(flood)
	for _, c := range append(flood, hugeConns...) {
		if c != nil {
			c.Close()
		}
	}
	s.logf("hostile connections closed")

	// Phase 3: recovery, history, SIGTERM.
	s.checkRecovery()
	s.checkAlerts()
	s.terminate()
	s.report()
}

const (
	soakTCPServices    = 40
	soakScriptServices = 10
	soakBasePort       = 20000
	soakStopped        = 7 // the TCP service stopped and started again (interval 2 s, alertafter 2)
	soakMondPort       = 2583
	soakFloodConns     = 5000
	soakFloodWorkers   = 16
	soakHugeConns      = 3
	soakHugeBytes      = 64 << 20
	soakProtocolConns  = 8
	soakLateConns      = 4
	soakJunkConns      = 4
	soakBadLoginConns  = 4
	soakChurnWorkers   = 4
	soakChurnDials     = 5000 // at most, over all workers
	soakHold           = 40 * time.Second
	soakFDLimit        = 1024
	soakRSSLimit       = 100 << 20
	soakPassword       = "s3cret"
	// The same user and hash as client_test.go's (password s3cret).
	soakUsers = "admin: $6$abcdefgh$Z7KfoKnKTSZrzo5VZ0YubGLQOj9ov6sHo9TmE3zIU/LHKhpE30zCnZ0mcIXYf9r9rQ4DYaXoxAFSPFlcWdxjB.\n"
	// Anyone may list, get, ask the time and save/load the disabled state; everything
	// that changes or stops mond (term above all) needs admin.
	soakAuth = "list: all\nget: all\nservertime: all\nsavestate: all\nloadstate: all\n" +
		"set: admin\nreset: admin\nterm: admin\nstop: admin\nstart: admin\ndisable: admin\nenable: admin\n" +
		"test: admin\nack: admin\nreload: admin\nclear: admin\n"
)

// TCP service i: interval 1 s or 2 s, alertafter 1 or 2.
func soakInterval(i int) time.Duration {
	if i%2 == 0 {
		return time.Second
	}
	return 2 * time.Second
}

func soakAlertAfter(i int) int { return (i/2)%2 + 1 }

// soakCommands is mon 1.3.6's client protocol as an unauthenticated client may send it;
// each group is sent in order on one connection, and "quit" ends every round.
var soakCommands = [][]string{
	{"list dtlog"}, {"list aliases"}, {"list aliasgroups"}, {"list views"}, {"setview X", "list opstatus"},
	{"list opstatus"}, {"list pids"}, {"list deps"}, {"list disabled"}, {"list alerthist"}, {"list failurehist"},
	{"list watch"}, {"list state"}, {"list descriptions"}, {"list group tcp"}, {"list failures"},
	{"list successes"}, {"list warnings"}, {"get maxkeep"}, {"set maxkeep 5"}, {"savestate all"},
	{"loadstate disabled"}, {"version"}, {"protid 9745"}, {"checkauth list"}, {"getview"}, {"login x y"},
	{"servertime"}, {"ack"}, {"disable"}, {"enable"}, {"test config"}, {"reset"}, {"term"},
}

type soak struct {
	t     *testing.T
	start time.Time
	ns    *soakNetns
	dir   string
	mark  string // LVSKIT_SOAK=dir, in mond's environment and so in its children's
	// fdLimit is mond's descriptor limit (TestDescriptorExhaustionIsNoFailure).
	fdLimit int

	listeners []*soakListener

	cmd      *exec.Cmd
	pid      int
	exited   chan struct{}
	sampling chan struct{}
	peakHWM  atomic.Int64
	peakRSS  atomic.Int64
	peakFDs  atomic.Int64
	peakThr  atomic.Int64

	stoppedAt, restartedAt time.Time

	early, late soakReplies

	mu                   sync.Mutex
	floodDialed          int
	floodDialFailed      int
	floodDialErrs        map[string]int
	floodActiveAnswered  int
	floodActiveNoAnswer  int
	floodActiveBusy      int
	churnDials           int64
	churnAnswered        int64
	churnBusy            int64
	churnOther           int64
	churnFirst           time.Duration
	endAnswered          int
	endClosed            int
	endSilent            int
	hugeSent             []int64
	hugeOutcome          []string
	junkSent, junkAnswer int
	badLoginAnswers      int
	badLoginNoAnswer     int
	recoveredAfter       time.Duration
	exitAfter            time.Duration
}

func (s *soak) logf(format string, args ...any) {
	s.t.Helper()
	s.t.Logf("[%5.1fs] %s", time.Since(s.start).Seconds(), fmt.Sprintf(format, args...))
}

// soakReplies counts the final reply line of every command.
type soakReplies struct {
	mu       sync.Mutex
	finals   map[string]map[string]int
	noAnswer map[string]int
	sent     int
}

var soakVarying = regexp.MustCompile(`PID \d+@\S+`)

func (r *soakReplies) add(cmd, final string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.finals == nil {
		r.finals, r.noAnswer = map[string]map[string]int{}, map[string]int{}
	}
	r.sent++
	if err != nil {
		r.noAnswer[cmd]++
		return
	}
	if r.finals[cmd] == nil {
		r.finals[cmd] = map[string]int{}
	}
	r.finals[cmd][soakVarying.ReplaceAllString(final, "PID n@host")]++
}

// unanswered counts the commands that got no answer and lists them.
func (r *soakReplies) unanswered() (int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	var cmds []string
	for c, k := range r.noAnswer {
		n += k
		cmds = append(cmds, c)
	}
	sort.Strings(cmds)
	return n, cmds
}

// accepted counts cmd's "220" answers.
func (r *soakReplies) accepted(cmd string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for f, k := range r.finals[cmd] {
		if strings.HasPrefix(f, "220") {
			n += k
		}
	}
	return n
}

func (r *soakReplies) summary() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	cmds := map[string]bool{}
	for c := range r.finals {
		cmds[c] = true
	}
	for c := range r.noAnswer {
		cmds[c] = true
	}
	var names []string
	for c := range cmds {
		names = append(names, c)
	}
	sort.Strings(names)
	var b strings.Builder
	fmt.Fprintf(&b, "%d commands sent", r.sent)
	for _, c := range names {
		var parts []string
		for f, n := range r.finals[c] {
			parts = append(parts, fmt.Sprintf("%q×%d", f, n))
		}
		sort.Strings(parts)
		if n := r.noAnswer[c]; n > 0 {
			parts = append(parts, fmt.Sprintf("no answer×%d", n))
		}
		fmt.Fprintf(&b, "\n    %-20s %s", c, strings.Join(parts, ", "))
	}
	return b.String()
}

// soakNetns is a named network namespace with lo up, deleted at the end of the test.
type soakNetns struct {
	name string
	h    netns.NsHandle
}

func newSoakNetns(t *testing.T) *soakNetns {
	name := fmt.Sprintf("lvskit-soak-%d", os.Getpid())
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			t.Errorf("ip netns del %s: %v\n%s", name, err, out)
		}
	})
	if out, err := exec.Command("ip", "-n", name, "link", "set", "lo", "up").CombinedOutput(); err != nil {
		t.Fatalf("lo up in %s: %v\n%s", name, err, out)
	}
	h, err := netns.GetFromName(name)
	if err != nil {
		t.Fatalf("open netns %s: %v", name, err)
	}
	t.Cleanup(func() { h.Close() })
	return &soakNetns{name: name, h: h}
}

// do runs f on a thread of its own switched into the namespace; sockets f opens live
// there and may be used from any goroutine afterwards. The thread stays locked, so it
// ends with its goroutine instead of going back to the runtime in the namespace.
func (n *soakNetns) do(f func()) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := netns.Set(n.h); err != nil {
			errc <- err
			return
		}
		f()
		errc <- nil
	}()
	return <-errc
}

func (n *soakNetns) dial(addr string, timeout time.Duration) (net.Conn, error) {
	var c net.Conn
	var err error
	if e := n.do(func() { c, err = net.DialTimeout("tcp4", addr, timeout) }); e != nil {
		return nil, e
	}
	return c, err
}

var soakMondAddr = "127.0.0.1:" + strconv.Itoa(soakMondPort)

// soakListener is a real TCP service in the namespace: it accepts and closes.
type soakListener struct {
	port int
	mu   sync.Mutex
	l    net.Listener
	n    atomic.Int64
}

func (l *soakListener) listen(ns *soakNetns) error {
	var ln net.Listener
	var err error
	if e := ns.do(func() { ln, err = net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(l.port)) }); e != nil {
		return e
	}
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.l = ln
	l.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			l.n.Add(1)
			c.Close()
		}
	}()
	return nil
}

func (l *soakListener) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.l != nil {
		l.l.Close()
		l.l = nil
	}
}

func (s *soak) writeFiles() {
	// The scripted monitor takes a second, so about half of them are running at any
	// time (and when mond is told to stop).
	s.writeMonFiles("1", soakTCPServices, func(i int) string {
		port := soakBasePort + i
		return fmt.Sprintf(`    service p%d
        description listener on port %d
        interval %ds
        monitor tcp.monitor -p %d -t 2
        period wd {Sun-Sat}
            alertafter %d
            alert rec.alert alert
            upalert rec.alert upalert
`, port, port, soakInterval(i)/time.Second, port, soakAlertAfter(i))
	}, soakScriptServices, "2s")
}

// writeMonFiles writes the soak tests' mond directory: ok.monitor (it records its pid
// and takes monitorSleep seconds), rec.alert (it appends "<type> <group> <service>
// <time>", read by soak.alerts; its last argument is the type), auth.cf, users, and a
// mon.cf watching the nTCP services tcpService(i) gives (each a "service" block) and
// nScript services of ok.monitor every scriptInterval.
func (s *soak) writeMonFiles(monitorSleep string, nTCP int, tcpService func(i int) string, nScript int, scriptInterval string) {
	t := s.t
	for _, sub := range []string{"mon.d", "alert.d", "log.d", "state.d"} {
		if err := os.MkdirAll(filepath.Join(s.dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	w := func(name, data string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(s.dir, name), []byte(strings.ReplaceAll(data, "@DIR@", s.dir)), mode); err != nil {
			t.Fatal(err)
		}
	}
	w("mon.d/ok.monitor", "#!/bin/sh\necho $$ >> @DIR@/pids\nsleep "+monitorSleep+"\nexit 0\n", 0o755)
	w("alert.d/rec.alert", "#!/bin/sh\necho $$ >> @DIR@/pids\nfor a; do type=$a; done\n"+
		"echo \"$type $MON_GROUP $MON_SERVICE $(date +%s.%N)\" >> @DIR@/alerts\n", 0o755)
	w("auth.cf", soakAuth, 0o644)
	w("users", soakUsers, 0o644)
	var cf strings.Builder
	cf.WriteString(`cfbasedir = @DIR@
alertdir = @DIR@/alert.d
mondir = @DIR@/mon.d
logdir = @DIR@/log.d
statedir = @DIR@/state.d
authfile = @DIR@/auth.cf
authtype = userfile
userfile = @DIR@/users
dtlogging = yes

hostgroup tcp 127.0.0.1

hostgroup script 127.0.0.1

watch tcp
`)
	for i := range nTCP {
		cf.WriteString(tcpService(i))
	}
	cf.WriteString("\nwatch script\n")
	for i := range nScript {
		fmt.Fprintf(&cf, `    service s%d
        interval %s
        monitor ok.monitor
        period wd {Sun-Sat}
            alertafter 1
            alert rec.alert alert
            upalert rec.alert upalert
`, i, scriptInterval)
	}
	w("mon.cf", cf.String(), 0o644)
}

func (s *soak) startListeners() {
	for i := 0; i < soakTCPServices; i++ {
		l := &soakListener{port: soakBasePort + i}
		if err := l.listen(s.ns); err != nil {
			s.t.Fatalf("listener %d: %v", l.port, err)
		}
		s.listeners = append(s.listeners, l)
		s.t.Cleanup(l.close)
	}
}

func (s *soak) startMond() {
	soft, hard := s.launchMond(soakFDLimit, "LVSKIT_SOAK="+s.dir, func() {
		s.sampling = make(chan struct{})
		go s.sample()
	})
	s.logf("mond pid %d in netns %s, fd limit %s/%s", s.pid, s.ns.name, soft, hard)
}

// launchMond starts mond (this test binary) in the namespace under "ulimit -n limit",
// on the soak's files and ports with extra arguments, its output in dir/mond.log and
// mark (NAME=value) in its environment to tell its leftovers by; started runs as soon as
// it runs; then it waits for the client port and checks the pid file and the limit,
// and returns the limit (soft, hard). What mond leaves is killed when the test ends.
func (s *soak) launchMond(limit int, mark string, started func(), extra ...string) (soft, hard string) {
	t := s.t
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(filepath.Join(s.dir, "mond.log"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { logf.Close() })
	pidFile := filepath.Join(s.dir, "mon.pid")
	// ip netns exec and sh both exec: the process started is mond itself.
	args := append([]string{"netns", "exec", s.ns.name, "sh", "-c", fmt.Sprintf(`ulimit -n %d && exec "$@"`, limit), "sh",
		self, "-d", "-c", filepath.Join(s.dir, "mon.cf"), "-p", strconv.Itoa(soakMondPort), "-t", strconv.Itoa(soakMondPort + 1),
		"-P", pidFile}, extra...)
	s.cmd = exec.Command("ip", args...)
	s.mark = mark
	s.cmd.Env = []string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "MOND_TEST_MAIN=1", s.mark}
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	// mond leads a process group of its own, so "a process in mond's group" means one
	// it did not move to a group of its own.
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.pid = s.cmd.Process.Pid
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			s.cmd.Process.Kill()
			<-s.exited
		}
		// What a failed test left of mond's: its monitors and alerts (our descendants).
		for pid := range s.mondProcs() {
			if s.marked(pid) {
				syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	})
	if started != nil {
		started()
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := s.ns.dial(soakMondAddr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		select {
		case <-s.exited:
			t.Fatalf("mond exited at start: %v\n%s", s.cmd.ProcessState, s.mondLog(40))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("mond did not listen in 10 s: %v\n%s", err, s.mondLog(40))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if b, err := os.ReadFile(pidFile); err != nil || strings.TrimSpace(string(b)) != strconv.Itoa(s.pid) {
		t.Fatalf("pid file %q (%v) is not the started process %d", b, err, s.pid)
	}
	limits, _ := os.ReadFile(fmt.Sprintf("/proc/%d/limits", s.pid))
	m := regexp.MustCompile(`Max open files\s+(\d+)\s+(\d+)`).FindSubmatch(limits)
	if m == nil || string(m[1]) != strconv.Itoa(limit) {
		t.Fatalf("mond's descriptor limit is not %d:\n%s", limit, limits)
	}
	return string(m[1]), string(m[2])
}

// sample records mond's peak memory, descriptors and threads every 100 ms.
func (s *soak) sample() {
	defer close(s.sampling)
	re := regexp.MustCompile(`(?m)^(VmHWM|VmRSS|Threads):\s+(\d+)`)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid))
		if err == nil {
			for _, m := range re.FindAllSubmatch(b, -1) {
				n, _ := strconv.ParseInt(string(m[2]), 10, 64)
				switch string(m[1]) {
				case "VmHWM":
					soakMax(&s.peakHWM, n<<10)
				case "VmRSS":
					soakMax(&s.peakRSS, n<<10)
				case "Threads":
					soakMax(&s.peakThr, n)
				}
			}
			if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.pid)); err == nil {
				soakMax(&s.peakFDs, int64(len(ents)))
			}
		}
		select {
		case <-s.exited:
			return
		case <-tick.C:
		}
	}
}

func soakMax(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// soakConn is one client connection speaking mon's protocol.
type soakConn struct {
	c net.Conn
	r *bufio.Reader
}

var soakFinalRe = regexp.MustCompile(`^[2-5][0-9][0-9]( |$)`)

// do sends one command and reads up to its final "2xx"/"5xx" line.
func (c *soakConn) do(cmd string, timeout time.Duration) ([]string, error) {
	c.c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(c.c, cmd+"\n"); err != nil {
		return nil, err
	}
	var lines []string
	for len(lines) < 10000 {
		l, err := c.r.ReadString('\n')
		if err != nil {
			return lines, err
		}
		l = strings.TrimRight(l, "\r\n")
		lines = append(lines, l)
		if soakFinalRe.MatchString(l) {
			return lines, nil
		}
	}
	return lines, errors.New("more than 10000 lines")
}

func (s *soak) conn(timeout time.Duration) (*soakConn, error) {
	c, err := s.ns.dial(soakMondAddr, timeout)
	if err != nil {
		return nil, err
	}
	return &soakConn{c: c, r: bufio.NewReader(c)}, nil
}

// admin logs in and runs cmds, returning each command's lines.
func (s *soak) admin(timeout time.Duration, cmds ...string) ([][]string, error) {
	c, err := s.conn(timeout)
	if err != nil {
		return nil, err
	}
	defer c.c.Close()
	l, err := c.do("login admin "+soakPassword, timeout)
	if err != nil {
		return nil, fmt.Errorf("login: %v %q", err, l)
	}
	if len(l) == 0 || l[len(l)-1] != "220 login accepted" {
		return nil, fmt.Errorf("login: %q", l)
	}
	var out [][]string
	for _, cmd := range cmds {
		l, err := c.do(cmd, timeout)
		if err != nil {
			return out, fmt.Errorf("%s: %v (after %d lines)", cmd, err, len(l))
		}
		out = append(out, l)
	}
	c.do("quit", time.Second)
	return out, nil
}

// opstatus checks a "list opstatus" answer: every service listed, and with want (when
// not empty) in each line.
func soakOpstatus(lines []string, want string) error {
	if len(lines) == 0 || lines[len(lines)-1] != "220 list opstatus completed" {
		return fmt.Errorf("does not end in \"220 list opstatus completed\": %q", soakTail(lines, 3))
	}
	seen := map[string]bool{}
	var bad []string
	for _, l := range lines[:len(lines)-1] {
		g := regexp.MustCompile(`^group=(\S+) service=(\S+) `).FindStringSubmatch(l)
		if g == nil {
			continue
		}
		seen[g[1]+"/"+g[2]] = true
		if want != "" && !strings.Contains(l, " "+want+" ") {
			bad = append(bad, g[1]+"/"+g[2])
		}
	}
	var missing []string
	for i := 0; i < soakTCPServices; i++ {
		if k := fmt.Sprintf("tcp/p%d", soakBasePort+i); !seen[k] {
			missing = append(missing, k)
		}
	}
	for i := 0; i < soakScriptServices; i++ {
		if k := fmt.Sprintf("script/s%d", i); !seen[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%d of 50 services listed; missing %v", len(seen), missing)
	}
	if len(bad) > 0 {
		return fmt.Errorf("not %s: %v", want, bad)
	}
	return nil
}

func soakTail(l []string, n int) []string {
	if len(l) > n {
		return l[len(l)-n:]
	}
	return l
}

// waitAllUp waits (15 s at most) for all 50 services to have succeeded.
func (s *soak) waitAllUp() {
	deadline := time.Now().Add(15 * time.Second)
	for {
		out, err := s.admin(5*time.Second, "list opstatus")
		if err == nil {
			if err = soakOpstatus(out[0], "opstatus=1"); err == nil {
				s.logf("all 50 services up")
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("services not all up 15 s after the start: %v\n%s", err, s.mondLog(30))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// protocolRound sends every command once on one connection, in an order rotated by i,
// then quit; a command not answered in time ends the round.
func (s *soak) protocolRound(i int, timeout time.Duration, r *soakReplies) {
	c, err := s.conn(timeout)
	if err != nil {
		r.add("(connect)", "", err)
		return
	}
	defer c.c.Close()
	n := len(soakCommands)
	for k := 0; k < n; k++ {
		for _, cmd := range soakCommands[(k+i*5)%n] {
			l, err := c.do(cmd, soakTimeout(cmd, timeout))
			final := ""
			if len(l) > 0 {
				final = l[len(l)-1]
			}
			if err != nil {
				r.add(cmd, final, err)
				return
			}
			r.add(cmd, final, nil)
		}
	}
	l, err := c.do("quit", timeout)
	r.add("quit", strings.Join(soakTail(l, 1), ""), err)
}

// soakTimeout is how long cmd may take: a failed login may be answered late (mond
// slows password guessing down), so logins get 15 s.
func soakTimeout(cmd string, d time.Duration) time.Duration {
	if strings.HasPrefix(cmd, "login") {
		return max(d, 15*time.Second)
	}
	return d
}

// badLogins tries wrong passwords and unknown users, 5 in all.
func (s *soak) badLogins(i int) {
	c, err := s.conn(5 * time.Second)
	if err != nil {
		s.mu.Lock()
		s.badLoginNoAnswer++
		s.mu.Unlock()
		return
	}
	defer c.c.Close()
	for k := 0; k < 5; k++ {
		cmd := "login x y"
		if k%2 == 0 {
			cmd = fmt.Sprintf("login admin wrong%d-%d", i, k)
		}
		l, err := c.do(cmd, soakTimeout(cmd, 0))
		s.mu.Lock()
		if err != nil {
			s.badLoginNoAnswer++
		} else {
			s.badLoginAnswers++
			if l[len(l)-1] != "530 login unsuccessful" {
				s.t.Errorf("%q answered %q", cmd, l)
			}
		}
		s.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// junk sends 300 lines of garbage (binary, long, CR-ended, commands with junk
// arguments) in 5 s at most, and counts the answers.
func (s *soak) junk(i int) {
	c, err := s.ns.dial(soakMondAddr, 3*time.Second)
	if err != nil {
		return
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	answers := make(chan int, 1)
	go func() {
		n := 0
		sc := bufio.NewScanner(c)
		for sc.Scan() {
			n++
		}
		answers <- n
	}()
	sent := 0
	for k := 0; k < 300; k++ {
		var line []byte
		switch k % 6 {
		case 0:
			line = []byte(fmt.Sprintf("garbage %d %d !@#$%%^&*()\n", i, k))
		case 1:
			line = make([]byte, 200)
			for j := range line {
				line[j] = byte((i*31 + k*7 + j*13) % 256)
				if line[j] == '\n' || line[j] == '\r' {
					line[j] = 'x'
				}
			}
			line = append(line, '\n')
		case 2:
			line = append(bytes.Repeat([]byte("A"), 8192), '\n')
		case 3:
			line = []byte("list opstatus\r")
		case 4:
			line = append([]byte("list group "), append(bytes.Repeat([]byte("%s%n\x00"), 500), '\n')...)
		case 5:
			line = []byte("setview " + strings.Repeat("v", 2000) + "\r\n")
		}
		if _, err := c.Write(line); err != nil {
			break
		}
		sent++
	}
	c.(*net.TCPConn).CloseWrite()
	n := <-answers
	s.mu.Lock()
	s.junkSent += sent
	s.junkAnswer += n
	s.mu.Unlock()
}

// hugeLine sends 64 MiB without a newline (15 s at most) and returns the connection,
// kept open until the end of the attack.
func (s *soak) hugeLine(i int) net.Conn {
	c, err := s.ns.dial(soakMondAddr, 3*time.Second)
	outcome := func(sent int64, what string) {
		s.mu.Lock()
		s.hugeSent = append(s.hugeSent, sent)
		s.hugeOutcome = append(s.hugeOutcome, what)
		s.mu.Unlock()
	}
	if err != nil {
		outcome(0, "connect: "+err.Error())
		return nil
	}
	chunk := bytes.Repeat([]byte("Z"), 256<<10)
	deadline := time.Now().Add(15 * time.Second)
	c.SetWriteDeadline(deadline)
	var sent int64
	what := "complete"
	for sent < soakHugeBytes {
		n, err := c.Write(chunk)
		sent += int64(n)
		if err != nil {
			what = "stopped: " + err.Error()
			if errors.Is(err, os.ErrDeadlineExceeded) {
				what = "not read within 15 s"
			}
			break
		}
	}
	outcome(sent, what)
	return c
}

// flood opens up to 5,000 connections (20 s at most); every tenth sends one command
// and a junk line and waits 3 s for the answer, the others stay idle.
func (s *soak) flood() []net.Conn {
	conns := make([][]net.Conn, soakFloodWorkers)
	deadline := time.Now().Add(20 * time.Second)
	var wg sync.WaitGroup
	var active sync.WaitGroup
	for w := 0; w < soakFloodWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.ns.do(func() {
				for j := w; j < soakFloodConns && time.Now().Before(deadline); j += soakFloodWorkers {
					c, err := net.DialTimeout("tcp4", soakMondAddr, time.Second)
					s.mu.Lock()
					if err != nil {
						s.floodDialFailed++
						if s.floodDialErrs == nil {
							s.floodDialErrs = map[string]int{}
						}
						s.floodDialErrs[soakErrKind(err)]++
					} else {
						s.floodDialed++
					}
					s.mu.Unlock()
					if err != nil {
						continue
					}
					conns[w] = append(conns[w], c)
					if j%10 == 0 {
						active.Add(1)
						go func() {
							defer active.Done()
							sc := &soakConn{c: c, r: bufio.NewReader(c)}
							cmds := soakCommands[(j/10)%len(soakCommands)]
							l, err := sc.do("\x01\x02junk "+strconv.Itoa(j), 3*time.Second)
							busy := err == nil && l[len(l)-1] == "520 too many clients"
							if err == nil && !busy {
								_, err = sc.do(cmds[0], soakTimeout(cmds[0], 3*time.Second))
							}
							s.mu.Lock()
							switch {
							case busy:
								s.floodActiveBusy++
							case err == nil:
								s.floodActiveAnswered++
							default:
								s.floodActiveNoAnswer++
							}
							s.mu.Unlock()
							c.SetDeadline(time.Time{})
						}()
					}
				}
			})
		}()
	}
	wg.Wait()
	s.mu.Lock()
	s.logf("flood: %d connections opened, %d failed %v; mond's descriptors now %d", s.floodDialed, s.floodDialFailed, s.floodDialErrs, s.fds())
	s.mu.Unlock()
	active.Wait()
	var all []net.Conn
	for _, l := range conns {
		all = append(all, l...)
	}
	return all
}

// churn opens connections one after the other until until (5,000 at most): each sends
// one command and waits 2 s for the answer, or (one in three) closes at once.
func (s *soak) churn(until time.Time) {
	var wg sync.WaitGroup
	var dials, answered, busy, other atomic.Int64
	begin := time.Now()
	var first atomic.Int64 // when the first was answered, after begin
	for w := 0; w < soakChurnWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.ns.do(func() {
				for k := 0; k < soakChurnDials/soakChurnWorkers && time.Now().Before(until); k++ {
					dials.Add(1)
					c, err := net.DialTimeout("tcp4", soakMondAddr, time.Second)
					if err != nil {
						other.Add(1)
						continue
					}
					if k%3 == 0 {
						other.Add(1)
						c.Close()
						time.Sleep(30 * time.Millisecond)
						continue
					}
					sc := &soakConn{c: c, r: bufio.NewReader(c)}
					l, err := sc.do(soakCommands[(w*7+k)%len(soakCommands)][0], 2*time.Second)
					switch {
					case err == nil && l[len(l)-1] == "520 too many clients":
						busy.Add(1)
					case err == nil:
						answered.Add(1)
						first.CompareAndSwap(0, int64(time.Since(begin)))
					default:
						other.Add(1)
					}
					c.Close()
					time.Sleep(30 * time.Millisecond)
				}
			})
		}()
	}
	wg.Wait()
	s.mu.Lock()
	s.churnDials, s.churnAnswered, s.churnBusy, s.churnOther = dials.Load(), answered.Load(), busy.Load(), other.Load()
	s.churnFirst = time.Duration(first.Load())
	s.mu.Unlock()
}

func soakErrKind(err error) string {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded) || strings.Contains(err.Error(), "timeout"):
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	}
	return err.Error()
}

func (s *soak) fds() int {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", s.pid))
	if err != nil {
		return -1
	}
	return len(ents)
}

// classify asks every flood connection for the version once (3 s for all): answered,
// closed by mond, or silent (never accepted, or mond stuck).
func (s *soak) classify(conns []net.Conn) {
	deadline := time.Now().Add(3 * time.Second)
	work := make(chan net.Conn)
	var wg sync.WaitGroup
	var answered, closed, silent atomic.Int64
	for w := 0; w < 256; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				c.SetDeadline(deadline)
				_, err := io.WriteString(c, "version\n")
				if err == nil {
					buf := make([]byte, 4096)
					for {
						var n int
						n, err = c.Read(buf)
						if err != nil || bytes.Contains(buf[:n], []byte("220 version completed")) {
							break
						}
					}
				}
				switch {
				case err == nil:
					answered.Add(1)
				case errors.Is(err, os.ErrDeadlineExceeded):
					silent.Add(1)
				default:
					closed.Add(1)
				}
			}
		}()
	}
	for _, c := range conns {
		work <- c
	}
	close(work)
	wg.Wait()
	s.mu.Lock()
	s.endAnswered, s.endClosed, s.endSilent = int(answered.Load()), int(closed.Load()), int(silent.Load())
	s.mu.Unlock()
	s.logf("end of the attack: of %d flood connections %d answered \"version\", %d were closed by mond, %d silent; mond's descriptors %d",
		len(conns), answered.Load(), closed.Load(), silent.Load(), s.fds())
}

func (s *soak) stopService() {
	s.listeners[soakStopped].close()
	s.stoppedAt = time.Now()
	s.logf("stopped listener %d (mond's descriptors %d)", soakBasePort+soakStopped, s.fds())
}

func (s *soak) restartService() {
	if err := s.listeners[soakStopped].listen(s.ns); err != nil {
		s.t.Fatalf("restart listener: %v", err)
	}
	s.restartedAt = time.Now()
	s.logf("restarted listener %d (mond's descriptors %d)", soakBasePort+soakStopped, s.fds())
}

// bound is how soon after a change service i's alert must come.
func (s *soak) bound(i int) time.Duration {
	return time.Duration(soakAlertAfter(i)+1)*soakInterval(i) + 3*time.Second
}

type soakAlert struct {
	typ, group, service string
	at                  time.Time
	line                string
}

func (s *soak) alerts() []soakAlert {
	b, _ := os.ReadFile(filepath.Join(s.dir, "alerts"))
	var out []soakAlert
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		if len(f) != 4 {
			if l != "" {
				out = append(out, soakAlert{typ: "?", line: l})
			}
			continue
		}
		sec, _ := strconv.ParseFloat(f[3], 64)
		out = append(out, soakAlert{f[0], f[1], f[2], time.Unix(0, int64(sec*1e9)), l})
	}
	return out
}

// waitAlert waits (bounded) for the stopped service's alert of type typ after since.
func (s *soak) waitAlert(typ string, since time.Time, max time.Duration) {
	deadline := since.Add(max)
	for time.Now().Before(deadline) {
		for _, a := range s.alerts() {
			if a.typ == typ && a.service == fmt.Sprintf("p%d", soakBasePort+soakStopped) && !a.at.Before(since) {
				s.logf("%s after %.1fs", a.line, a.at.Sub(since).Seconds())
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.logf("no %s within %v", typ, max)
}

// checkAlerts is (a) and (b): the stopped service's alert and upalert in time, no
// other alert, and no other service in mond's failure history.
func (s *soak) checkAlerts() {
	t := s.t
	svc := fmt.Sprintf("p%d", soakBasePort+soakStopped)
	bound := s.bound(soakStopped)
	var firstAlert, firstUp *soakAlert
	var others []string
	all := s.alerts()
	for i := range all {
		a := &all[i]
		if a.group != "tcp" || a.service != svc {
			others = append(others, a.line)
			continue
		}
		switch {
		case a.typ == "alert" && a.at.Before(s.stoppedAt):
			others = append(others, a.line+" (before the stop)")
		case a.typ == "alert" && firstAlert == nil:
			firstAlert = a
		case a.typ == "upalert" && a.at.Before(s.restartedAt):
			others = append(others, a.line+" (before the restart)")
		case a.typ == "upalert" && firstUp == nil:
			firstUp = a
		}
	}
	s.logf("alerts seen: %d lines", len(all))
	for _, a := range all {
		s.logf("  %s", a.line)
	}
	switch {
	case firstAlert == nil:
		t.Errorf("(a) no alert for tcp %s after it was stopped (bound %v)", svc, bound)
	case firstAlert.at.Sub(s.stoppedAt) > bound:
		t.Errorf("(a) alert for tcp %s %.1fs after the stop, bound %v", svc, firstAlert.at.Sub(s.stoppedAt).Seconds(), bound)
	}
	switch {
	case firstUp == nil:
		t.Errorf("(a) no upalert for tcp %s after it was restarted (bound %v)", svc, bound)
	case firstUp.at.Sub(s.restartedAt) > bound:
		t.Errorf("(a) upalert for tcp %s %.1fs after the restart, bound %v", svc, firstUp.at.Sub(s.restartedAt).Seconds(), bound)
	}
	if len(others) > 0 {
		t.Errorf("(b) %d alerts of services that did not fail:\n  %s", len(others), strings.Join(others, "\n  "))
	}
	if s.recoveredAfter < 0 {
		return // (c) failed: mond does not answer
	}
	out, err := s.admin(5*time.Second, "list failurehist", "list alerthist")
	if err != nil {
		t.Errorf("(b) list failurehist: %v", err)
		return
	}
	var falseFail []string
	for _, l := range out[0][:len(out[0])-1] {
		if f := strings.Fields(strings.ReplaceAll(l, `\20`, " ")); len(f) < 2 || f[0] != "tcp" || f[1] != svc {
			falseFail = append(falseFail, l)
		}
	}
	s.logf("mond's failure history: %d entries, alert history: %d entries", len(out[0])-1, len(out[1])-1)
	if len(falseFail) > 0 {
		t.Errorf("(b) mond's failure history has %d failures of services that did not fail:\n  %s", len(falseFail),
			strings.Join(soakTail(falseFail, 20), "\n  "))
	}
}

// checkRecovery is (c): a logged-in client gets the whole list opstatus within 20 s.
func (s *soak) checkRecovery() {
	closed := time.Now()
	deadline := closed.Add(20 * time.Second)
	var lastErr error
	tries := 0
	for time.Now().Before(deadline) {
		tries++
		out, err := s.admin(3*time.Second, "list opstatus")
		if err == nil {
			err = soakOpstatus(out[0], "")
		}
		if err == nil {
			s.recoveredAfter = time.Since(closed)
			s.logf("(c) list opstatus: 50 services, 220 list opstatus completed, %.1fs after the attack (%d tries)",
				s.recoveredAfter.Seconds(), tries)
			return
		}
		lastErr = err
		select {
		case <-s.exited:
			s.recoveredAfter = -1
			s.t.Errorf("(c) mond exited during the attack: %v", s.cmd.ProcessState)
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
	s.recoveredAfter = -1
	s.t.Errorf("(c) no complete list opstatus for a logged-in client within 20 s of the attack's end (%d tries): %v", tries, lastErr)
}

type soakProc struct {
	pid, ppid, pgid int
	start           string
	comm            string
}

func soakReadProc(pid int) (soakProc, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return soakProc{}, false
	}
	st := string(b)
	open, end := strings.IndexByte(st, '('), strings.LastIndexByte(st, ')')
	if open < 0 || end < open {
		return soakProc{}, false
	}
	f := strings.Fields(st[end+1:])
	if len(f) < 20 || f[0] == "Z" || f[0] == "X" {
		return soakProc{}, false // gone, or a zombie waiting for its parent
	}
	p := soakProc{pid: pid, comm: st[open+1 : end], start: f[19]}
	p.ppid, _ = strconv.Atoi(f[1])
	p.pgid, _ = strconv.Atoi(f[2])
	return p, true
}

// mondProcs lists live processes that are mond's: its children, members of its
// process group, and anything with the test's mark in its environment.
func (s *soak) mondProcs() map[int]soakProc {
	out := map[int]soakProc{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == s.pid {
			continue
		}
		p, ok := soakReadProc(pid)
		if !ok {
			continue
		}
		if p.ppid == s.pid || p.pgid == s.pid {
			out[pid] = p
			continue
		}
		if s.marked(pid) {
			out[pid] = p
		}
	}
	return out
}

// marked reports whether pid has the test's mark in its environment.
func (s *soak) marked(pid int) bool {
	env, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	for _, kv := range bytes.Split(env, []byte{0}) {
		if string(kv) == s.mark {
			return true
		}
	}
	return false
}

// terminate is (e): SIGTERM, exit within 5 s, nothing of mond's left 300 ms later.
func (s *soak) terminate() {
	t := s.t
	// SIGTERM while monitors run (the scripted ones sleep a second), so their end is
	// checked too.
	before := s.mondProcs()
	for wait := time.Now().Add(5 * time.Second); len(before) < 3 && time.Now().Before(wait); before = s.mondProcs() {
		time.Sleep(50 * time.Millisecond)
	}
	recorded := map[int]bool{}
	if b, err := os.ReadFile(filepath.Join(s.dir, "pids")); err == nil {
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				recorded[n] = true
			}
		}
	}
	s.logf("SIGTERM to mond; %d processes of mond's running (%d monitor/alert pids recorded in the run)", len(before), len(recorded))
	sent := time.Now()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		s.exitAfter = time.Since(sent)
		s.logf("(e) mond exited %.2fs after SIGTERM: %v", s.exitAfter.Seconds(), s.cmd.ProcessState)
	case <-time.After(5 * time.Second):
		s.exitAfter = -1
		t.Errorf("(e) mond still running 5 s after SIGTERM; goroutines follow (SIGQUIT)")
		syscall.Kill(s.pid, syscall.SIGQUIT)
		select {
		case <-s.exited:
		case <-time.After(2 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
		s.logf("mond's goroutines at SIGQUIT:\n%s", s.goroutines())
	}
	<-s.sampling
	time.Sleep(300 * time.Millisecond)
	left := s.mondProcs()
	for pid, p := range before {
		if q, ok := soakReadProc(pid); ok && q.start == p.start {
			left[pid] = q
		}
	}
	for pid := range recorded {
		if q, ok := soakReadProc(pid); ok && s.marked(pid) {
			left[pid] = q
		}
	}
	if len(left) > 0 {
		var l []string
		for pid, p := range left {
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			l = append(l, fmt.Sprintf("pid %d ppid %d pgid %d (%s) %q", pid, p.ppid, p.pgid, p.comm, bytes.ReplaceAll(cmdline, []byte{0}, []byte{' '})))
		}
		sort.Strings(l)
		t.Errorf("(e) %d processes of mond's still alive 300 ms after it exited:\n  %s", len(l), strings.Join(l, "\n  "))
		for pid := range left {
			if s.marked(pid) {
				syscall.Kill(pid, syscall.SIGKILL) // mond's leftovers: our descendants
			}
		}
	}
}

func (s *soak) report() {
	t := s.t
	s.mu.Lock()
	defer s.mu.Unlock()
	s.logf("protocol before the flood (%d connections): %s", soakProtocolConns, s.early.summary())
	s.logf("protocol during the flood (%d connections): %s", soakLateConns, s.late.summary())
	noAnswer, unanswered := s.early.unanswered()
	termOK := s.early.accepted("term") + s.late.accepted("term")
	if noAnswer > 0 {
		t.Errorf("%d commands before the flood got no answer within 5 s (mond stuck?); the first unanswered of each round: %v", noAnswer, unanswered)
	}
	if termOK > 0 {
		t.Errorf("\"term\" without login was accepted %d times", termOK)
	}
	s.logf("bad logins: %d answered, %d not; junk: %d lines sent on %d connections, %d answer lines",
		s.badLoginAnswers, s.badLoginNoAnswer, s.junkSent, 2*soakJunkConns, s.junkAnswer)
	for i := range s.hugeSent {
		s.logf("huge line %d: %d MiB sent, %s", i, s.hugeSent[i]>>20, s.hugeOutcome[i])
	}
	s.logf("flood: %d connections opened (%d failed: %v); active ones (one in ten): %d answered, %d \"520 too many clients\", %d no answer; "+
		"at the end %d answered, %d closed by mond, %d silent",
		s.floodDialed, s.floodDialFailed, s.floodDialErrs, s.floodActiveAnswered, s.floodActiveBusy, s.floodActiveNoAnswer,
		s.endAnswered, s.endClosed, s.endSilent)
	var accepts int64
	for _, l := range s.listeners {
		accepts += l.n.Load()
	}
	s.logf("churn: %d connections, %d answered (the first %.1fs after the flood), %d \"520 too many clients\", %d closed at once, failed or unanswered",
		s.churnDials, s.churnAnswered, s.churnFirst.Seconds(), s.churnBusy, s.churnOther)
	s.logf("listeners: %d tcp.monitor connections accepted", accepts)
	s.logf("mond peaks: VmHWM %.1f MiB, VmRSS %.1f MiB, %d descriptors (limit %d), %d threads",
		float64(s.peakHWM.Load())/(1<<20), float64(s.peakRSS.Load())/(1<<20), s.peakFDs.Load(), soakFDLimit, s.peakThr.Load())
	if s.peakHWM.Load() >= soakRSSLimit {
		t.Errorf("(d) mond's peak RSS (VmHWM) %.1f MiB is over %d MiB", float64(s.peakHWM.Load())/(1<<20), soakRSSLimit>>20)
	}
	if t.Failed() {
		s.logf("mond's log (errors and warnings, last 40):\n%s", s.mondLogMatching(
			regexp.MustCompile(`(?i)^(err|crit|alert|warning|panic|fatal)|accept|too many|emfile`), 40))
	}
}

// goroutines summarises the goroutine dump SIGQUIT made mond write: one line per
// distinct wait state and stack of lvskit functions (innermost first), with how many
// goroutines share it; goroutines without lvskit functions are only counted.
func (s *soak) goroutines() string {
	b, err := os.ReadFile(filepath.Join(s.dir, "mond.log"))
	if err != nil {
		return err.Error()
	}
	head := regexp.MustCompile(`^goroutine \d+ .*\[([^\]]+)\]:$`)
	count := map[string]int{}
	var order []string
	state, frames := "", []string(nil)
	others := 0
	flush := func() {
		if state == "" {
			return
		}
		if len(frames) == 0 {
			others++
			state = ""
			return
		}
		state = regexp.MustCompile(`, \d+ minutes`).ReplaceAllString(state, "")
		k := "[" + state + "] " + strings.Join(frames, " < ")
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
		state, frames = "", nil
	}
	for _, l := range strings.Split(string(b), "\n") {
		if m := head.FindStringSubmatch(l); m != nil {
			flush()
			state = m[1]
			continue
		}
		if state != "" && strings.HasPrefix(l, "github.com/lvskit/lvskit/") && len(frames) < 5 {
			f := strings.TrimPrefix(l, "github.com/lvskit/lvskit/")
			if i := strings.LastIndexByte(f, '('); i > 0 && strings.HasSuffix(f, ")") {
				f = f[:i]
			}
			frames = append(frames, f)
		}
		if l == "" {
			flush()
		}
	}
	flush()
	sort.SliceStable(order, func(i, j int) bool { return count[order[i]] > count[order[j]] })
	var out []string
	for i, k := range order {
		if i == 15 {
			out = append(out, fmt.Sprintf("… %d more kinds", len(order)-15))
			break
		}
		out = append(out, fmt.Sprintf("%5d× %s", count[k], k))
	}
	out = append(out, fmt.Sprintf("%5d× runtime and library goroutines", others))
	return "    " + strings.Join(out, "\n    ")
}

// mondLog is the last n lines of mond's output.
func (s *soak) mondLog(n int) string {
	return s.mondLogMatching(nil, n)
}

func (s *soak) mondLogMatching(re *regexp.Regexp, n int) string {
	f, err := os.Open(filepath.Join(s.dir, "mond.log"))
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var keep []string
	counts := map[string]int{}
	rd := bufio.NewReader(f)
	for {
		l, err := rd.ReadString('\n')
		if err != nil && l == "" {
			break
		}
		l = strings.TrimSuffix(l, "\n")
		if re != nil && !re.MatchString(l) {
			continue
		}
		// The refusals of the unauthenticated commands are expected and many.
		if strings.Contains(l, "not authenticated") || strings.Contains(l, "gave bad password") || strings.Contains(l, "not in file") {
			counts["refused or bad login (expected)"]++
			continue
		}
		// Alerts are listed by the test; the log's errors matter more.
		if strings.HasPrefix(l, "alert: calling ") {
			counts["alert calls"]++
			continue
		}
		if len(l) > 300 {
			l = l[:300] + "…"
		}
		keep = append(keep, l)
		if len(keep) > 4*n {
			keep = keep[len(keep)-n:]
		}
	}
	keep = soakTail(keep, n)
	if len(counts) > 0 {
		keep = append(keep, fmt.Sprintf("(%v lines left out)", counts))
	}
	return "    " + strings.Join(keep, "\n    ")
}
