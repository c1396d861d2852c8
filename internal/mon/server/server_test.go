package server

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/mon/daemon"
	"github.com/lvskit/lvskit/internal/mon/sched"
	"github.com/lvskit/lvskit/internal/runner"
)

// testCfg has everything the listings read: views, aliases, the downtime log, a
// dependency, a hostgroup with one host.
const testCfg = `cfbasedir = @DIR@
alertdir = @DIR@
mondir = @DIR@
logdir = @DIR@
statedir = @DIR@
authfile = @DIR@/auth.cf
authtype = userfile
userfile = @DIR@/users
dtlogging = yes
cltimeout = 5s

alias web-alias
    web servers
    web:http

view v1 web solo:ping

hostgroup web 127.0.0.1 127.0.0.2

hostgroup solo 127.0.0.3

watch web
    service http
        description web servers
        interval 1h
        monitor fail.monitor
        period wd {Sun-Sat}
            alert rec.alert

watch solo
    service ping
        interval 1h
        monitor fail.monitor
        depend web:http
        period wd {Sun-Sat}
            alert rec.alert
`

// The users file's password for admin is "s3cret".
const testUsers = "admin: $6$abcdefgh$Z7KfoKnKTSZrzo5VZ0YubGLQOj9ov6sHo9TmE3zIU/LHKhpE30zCnZ0mcIXYf9r9rQ4DYaXoxAFSPFlcWdxjB.\n"

func newTestServer(t testing.TB) (*Server, string) {
	t.Helper()
	dir := t.TempDir()
	w := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.ReplaceAll(data, "@DIR@", dir)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w("mon.cf", testCfg)
	w("auth.cf", "list: all\nservertime: all\nget: all\nset: all\nsavestate: all\nloadstate: all\nack: AUTH_ANY\ndisable: admin\nenable: admin\ntest: admin\nstop: admin\nstart: admin\nreset: admin\nclear: admin\nreload: admin\n")
	w("users", testUsers)
	w("downtime.log", "# downtime log start 1\n")
	d, err := daemon.New(daemon.Options{ConfigPath: filepath.Join(dir, "mon.cf"), Runner: &runner.Fake{}})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(d, func(string, string) {})
	if err != nil {
		t.Fatal(err)
	}
	return s, dir
}

// serve runs s on a loopback listener until the test ends.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { s.Serve(ctx, l); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return l.Addr().String()
}

var finalRe = regexp.MustCompile(`^[0-9]{3} `)

type conn struct {
	t  *testing.T
	c  net.Conn
	rd *bufio.Reader
}

func dial(t *testing.T, addr string) *conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &conn{t, c, bufio.NewReader(c)}
}

// cmd sends one line and reads the answer up to its final "NNN " line; a server that
// does not answer within 5 s fails the test (a deadlock shows here).
func (c *conn) cmd(line string) string {
	c.t.Helper()
	c.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.c.Write([]byte(line + "\n")); err != nil {
		c.t.Fatalf("%q: write: %v", line, err)
	}
	var b strings.Builder
	for {
		l, err := c.rd.ReadString('\n')
		b.WriteString(l)
		if err != nil {
			c.t.Fatalf("%q: no final line (%v) after %q", line, err, b.String())
		}
		if finalRe.MatchString(l) {
			return b.String()
		}
	}
}

// Every command of mon 1.3.6's client protocol gets its final line, logged in or not,
// with or without a view; afterwards the scheduler's lock is free. "list dtlog",
// "list aliases", "list views" and any list under "setview" used to deadlock mond.
func TestEveryCommandAnswersAndFreesTheEngine(t *testing.T) {
	s, dir := newTestServer(t)
	addr := serve(t, s)
	cmds := []string{
		"version", "protid 9745", "protid 1", "getview", "setview", "setview nosuch", "setview a b",
		"checkauth list", "checkauth term", "servertime",
		"list descriptions", "list group web", "list group nosuch", "list opstatus", "list opstatus web,http",
		"list opstatus nosuch,x", "list opstatus web", "list disabled", "list alerthist", "list failurehist",
		"list failures", "list successes", "list warnings", "list pids", "list watch", "list state",
		"list aliases", "list aliases web-alias", "list aliasgroups", "list views", "list deps", "list dtlog",
		"list nosuch", "list",
		"setview v1", "list opstatus", "list descriptions", "list disabled", "list watch", "list dtlog",
		"list aliases", "list failures", "getview", "setview",
		"get maxkeep", "set maxkeep 7", "get maxkeep", "get web http interval", "set web http interval 5",
		"savestate", "savestate disabled", "savestate all", "savestate opstatus", "loadstate disabled",
		"loadstate all", "loadstate nosuch",
		"ack web http x", "disable service web http", "enable service web http", "test config", "reset",
		"term", "stop", "start", "clear timers web http", "reload auth", "dump", "bogus",
		"login admin wrong",
		"login admin s3cret",
		"disable service web http", "list disabled", "savestate disabled", "enable service web http",
		"disable host 127.0.0.3", "enable host 127.0.0.3", "disable watch web", "enable watch web",
		"disable host nosuch", "test monitor web http", "test alert web http 1 wd", "test config",
		"clear timers web http", "reload auth", "reload bogus", "stop", "list state", "start",
		"ack web http looking", "setview v1", "list opstatus", "list dtlog", "reset keepstate", "list watch",
	}
	c := dial(t, addr)
	answers := map[string]string{}
	for _, l := range cmds {
		answers[l] = c.cmd(l)
	}
	// The engine is free: a step of the scheduler completes.
	free := make(chan struct{})
	go func() {
		s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions { return sched.Actions{} })
		close(free)
	}()
	select {
	case <-free:
	case <-time.After(5 * time.Second):
		t.Fatal("the engine's lock is still held after the commands")
	}
	for l, want := range map[string]string{
		"list dtlog":        "220 list dtlog completed\n",
		"list views":        "views v1\n220 list group completed\n",
		"list aliasgroups":  "web-alias\n220 list aliasgroups completed\n",
		"setview v1":        "selecting view v1\n220 setview completed\n",
		"setview nosuch":    "504 unknown view nosuch\n",
		"term":              "520 command could not be executed, unknown command\n",
		"list nosuch":       "520 unknown list command\n",
		"bogus":             "520 invalid command\n",
		"login admin wrong": "530 login unsuccessful\n",
	} {
		if !strings.HasSuffix(answers[l], want) {
			t.Errorf("%q answered %q, want it to end %q", l, answers[l], want)
		}
	}
	if !strings.Contains(answers["list aliases"], "alias web-alias\nweb servers\nweb:http\n") {
		t.Errorf("list aliases: %q", answers["list aliases"])
	}
	if b, err := os.ReadFile(filepath.Join(dir, "disabled")); err != nil {
		t.Errorf("savestate wrote no state file: %v", err)
	} else if strings.Contains(string(b), "disable") {
		t.Errorf("state file after enable: %q", b)
	}
}

// A line longer than MaxLineLength is answered and the client dropped; the server
// keeps only MaxLineLength bytes of it.
func TestLineTooLong(t *testing.T) {
	s, _ := newTestServer(t)
	c := dial(t, serve(t, s))
	c.c.SetDeadline(time.Now().Add(5 * time.Second))
	go c.c.Write([]byte(strings.Repeat("x", 4*MaxLineLength)))
	l, err := c.rd.ReadString('\n')
	if l != "520 line too long\n" {
		t.Fatalf("answer %q (%v)", l, err)
	}
	if _, err := c.rd.ReadString('\n'); err == nil {
		t.Error("the connection stayed open")
	}
	// A line of exactly the limit is a command.
	c2 := dial(t, serve(t, s))
	if got := c2.cmd("list " + strings.Repeat("y", MaxLineLength-len("list "))); got != "520 unknown list command\n" {
		t.Errorf("line at the limit: %q", got)
	}
}

// Clients beyond MaxClients are told so and dropped at once; a slot freed serves again.
func TestMaxClients(t *testing.T) {
	s, _ := newTestServer(t)
	s.MaxClients = 2
	addr := serve(t, s)
	// Logged in, a and b are never dropped for a newcomer.
	a, b := dial(t, addr), dial(t, addr)
	a.cmd("login admin s3cret")
	b.cmd("login admin s3cret")
	x := dial(t, addr)
	x.c.SetDeadline(time.Now().Add(5 * time.Second))
	if l, err := x.rd.ReadString('\n'); l != "520 too many clients\n" {
		t.Fatalf("third client: %q (%v)", l, err)
	}
	if _, err := x.rd.ReadString('\n'); err == nil {
		t.Error("the third client stayed connected")
	}
	a.cmd("quit")
	// The slot is freed when a's handler returns: retry, bounded.
	for i := 0; ; i++ {
		y := dial(t, addr)
		y.c.SetDeadline(time.Now().Add(5 * time.Second))
		y.c.Write([]byte("version\n"))
		l, _ := y.rd.ReadString('\n')
		if l == "version 9745\n" {
			break
		}
		if i == 50 {
			t.Fatalf("no slot after a client quit: %q", l)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// flakyListener fails Accept with EMFILE a number of times, then hands out real ones.
type flakyListener struct {
	net.Listener
	fails int
}

func (f *flakyListener) Accept() (net.Conn, error) {
	if f.fails > 0 {
		f.fails--
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return f.Listener.Accept()
}

// Out of descriptors, Accept fails; Serve waits and tries again instead of returning,
// so the port answers once descriptors are free again.
func TestAcceptErrorsAreRetried(t *testing.T) {
	s, _ := newTestServer(t)
	var logged []string
	s.Log = func(prio, msg string) { logged = append(logged, prio+": "+msg) }
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, &flakyListener{Listener: l, fails: 8}) }()
	c := dial(t, l.Addr().String())
	if got := c.cmd("version"); got != "version 9745\n220 version completed\n" {
		t.Errorf("after accept errors: %q", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	if len(logged) == 0 || !strings.Contains(logged[0], "too many open files") {
		t.Errorf("the accept error was not logged: %q", logged)
	}
}

// A failed login is answered late, later for each failure of the connection.
func TestFailedLoginsAreSlowed(t *testing.T) {
	s, _ := newTestServer(t)
	c := dial(t, serve(t, s))
	start := time.Now()
	c.cmd("login admin wrong")
	c.cmd("login admin wrong")
	if el := time.Since(start); el < 3*loginDelayStep {
		t.Errorf("two failed logins answered in %v, want at least %v", el, 3*loginDelayStep)
	}
	if got := c.cmd("login admin s3cret"); got != "220 login accepted\n" {
		t.Errorf("good login after failures: %q", got)
	}
}

func TestReadLine(t *testing.T) {
	rd := bufio.NewReader(strings.NewReader("a\rb\nc\r\n" + strings.Repeat("z", 11)))
	var got []string
	for {
		l, err := readLine(rd, 10)
		if err != nil {
			if !errors.Is(err, errLineTooLong) {
				t.Errorf("last error %v, want errLineTooLong", err)
			}
			break
		}
		got = append(got, l)
	}
	if strings.Join(got, "|") != "a|b|c|" {
		t.Errorf("lines %q", got)
	}
}

// A port full of clients that connected and went quiet without logging in (a flood of
// idle connections) lets a newcomer in: the client idle longest is dropped.
func TestIdleClientsGiveWay(t *testing.T) {
	s, _ := newTestServer(t)
	s.MaxClients = 2
	addr := serve(t, s)
	a := dial(t, addr)
	a.cmd("version")
	b := dial(t, addr)
	b.cmd("version")
	time.Sleep(evictIdleAfter + 200*time.Millisecond)
	x := dial(t, addr)
	if got := x.cmd("version"); got != "version 9745\n220 version completed\n" {
		t.Fatalf("newcomer on a port full of idle clients: %q", got)
	}
	a.c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := a.rd.ReadString('\n'); err == nil {
		t.Error("the client idle longest is still connected")
	}
	if got := b.cmd("version"); got != "version 9745\n220 version completed\n" {
		t.Errorf("the other idle client: %q", got)
	}
}

// Clients counts the connections being served, for mond's metrics.
func TestClientsCounted(t *testing.T) {
	s, _ := newTestServer(t)
	addr := serve(t, s)
	waitClients := func(want int) {
		t.Helper()
		for i := 0; s.Clients() != want; i++ {
			if i == 250 {
				t.Fatalf("Clients() = %d, want %d", s.Clients(), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitClients(0)
	a, b := dial(t, addr), dial(t, addr)
	a.cmd("version")
	b.cmd("version")
	waitClients(2)
	a.cmd("quit")
	waitClients(1)
	b.c.Close()
	waitClients(0)
}
