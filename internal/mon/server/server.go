// Package server is mon's client protocol on TCP 2583, as Debian's moncmd, monshow and
// Mon::Client speak it: one command per line (ended by CR or LF), answered by zero or
// more data lines and a final "220 ..." (success) or "5xx ..." line. Commands other than
// login, protid, version, quit, checkauth, setview and getview need the permission
// auth.cf grants; without it the answer is "520 command could not be executed, unknown
// command", as in mon 1.3.6.
package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lvskit/lvskit/compat/monconf"
	"github.com/lvskit/lvskit/internal/mon/daemon"
	"github.com/lvskit/lvskit/internal/mon/sched"
)

// ProtVersion is mon's protocol version (0x2611).
const ProtVersion = 9745

// Server answers clients for one daemon.
type Server struct {
	D *daemon.Daemon
	// Terminate is called for "term".
	Terminate func()
	Log       func(prio, msg string)

	// MaxClients bounds concurrent clients; 0 means DefaultMaxClients.
	MaxClients int

	mu       sync.Mutex
	auth     *Auth
	hostname string

	busyMu     sync.Mutex
	busyLogged time.Time        // when "too many clients" was last logged
	clients    map[*client]bool // connected clients, for evictIdle
	logins     loginLimiter
	open       atomic.Int64 // connections being served
}

// Clients returns the number of client connections open, for mond's metrics.
func (s *Server) Clients() int { return int(s.open.Load()) }

// New builds a server and loads auth.cf; a missing auth.cf is an error, as in mon.
func New(d *daemon.Daemon, logf func(prio, msg string)) (*Server, error) {
	s := &Server{D: d, Log: logf}
	if s.Log == nil {
		s.Log = func(string, string) {}
	}
	s.hostname, _ = os.Hostname()
	if err := s.ReloadAuth(); err != nil {
		return nil, err
	}
	return s, nil
}

// ReloadAuth re-reads auth.cf ("reload auth", and after a reset).
func (s *Server) ReloadAuth() error {
	_, p := s.D.Config()
	a, err := LoadAuth(p.AuthFile)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	s.auth = a
	return nil
}

// Limits of the client port. mon 1.3.6 has none: a client could send a line of any
// length and open connections until mon ran out of descriptors. mond answers each
// excess with a clear error and drops that client, so the port and the monitors (which
// need descriptors too) keep working whatever a client sends.
const (
	// MaxLineLength bounds one command line; mon's longest real commands (an ack with
	// its comment, a login) are far shorter.
	MaxLineLength = 8192
	// DefaultMaxClients bounds concurrent clients (moncmd, monshow and the CGI
	// front-ends each hold one connection for a few commands).
	DefaultMaxClients = 64
	// writeTimeout bounds how long an answer may wait on a client that does not read.
	writeTimeout = 30 * time.Second
)

// loginDelayStep is how much longer each failed login of a connection waits before its
// answer (at most loginDelayMax), and failedLoginsPerSecond bounds failed logins over
// all connections, so passwords cannot be guessed at network speed. (Variables for the
// fuzzer's sake.)
var (
	loginDelayStep        = 500 * time.Millisecond
	loginDelayMax         = 4 * time.Second
	failedLoginsPerSecond = 5
)

// Serve accepts clients on l until ctx is done. Accept errors (out of descriptors,
// above all) are retried with a growing pause, as net/http's server does, so the port
// never stops answering; only ctx ends Serve.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	max := s.MaxClients
	if max <= 0 {
		max = DefaultMaxClients
	}
	slots := make(chan struct{}, max)
	var pause time.Duration
	for {
		c, err := l.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if pause == 0 {
				pause = 5 * time.Millisecond
				s.Log("err", "accept returned error: "+err.Error()+"; retrying")
			} else if pause *= 2; pause > time.Second {
				pause = time.Second
			}
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return nil
			}
			continue
		}
		if pause != 0 {
			s.Log("notice", "accepting clients again")
			pause = 0
		}
		select {
		case slots <- struct{}{}:
			go s.serveOne(c, slots)
			continue
		default:
		}
		// Full. Clients that connected and went quiet without logging in (a flood of
		// idle connections) give way: the one idle longest is dropped, so an
		// administrator still gets in; logged-in clients are never dropped.
		if !s.evictIdle() {
			s.rejectBusy(c, max)
			continue
		}
		select {
		case slots <- struct{}{}:
			go s.serveOne(c, slots)
		case <-time.After(time.Second):
			s.rejectBusy(c, max)
		}
	}
}

func (s *Server) serveOne(c net.Conn, slots chan struct{}) {
	s.open.Add(1)
	defer func() { s.open.Add(-1); <-slots }()
	s.handle(c)
}

// evictIdleAfter is how long a client that has not logged in may be quiet before a
// newcomer on a full port takes its place.
const evictIdleAfter = time.Second

// evictIdle closes the connection of the client, not logged in, that has been quiet
// longest (at least evictIdleAfter); it reports whether there was one.
func (s *Server) evictIdle() bool {
	now := time.Now().UnixNano()
	var victim *client
	s.busyMu.Lock()
	for c := range s.clients {
		idle := now - c.lastActive.Load()
		if c.loggedIn.Load() || idle < int64(evictIdleAfter) {
			continue
		}
		if victim == nil || c.lastActive.Load() < victim.lastActive.Load() {
			victim = c
		}
	}
	if victim != nil {
		delete(s.clients, victim)
	}
	s.busyMu.Unlock()
	if victim == nil {
		return false
	}
	s.Log("notice", "closing idle client "+victim.host+": the client port is full")
	victim.conn.Close()
	return true
}

// rejectBusy answers a client over the limit and closes it at once, so excess clients
// never hold descriptors.
func (s *Server) rejectBusy(c net.Conn, max int) {
	s.busyMu.Lock()
	now := time.Now()
	logIt := now.Sub(s.busyLogged) >= 10*time.Second
	if logIt {
		s.busyLogged = now
	}
	s.busyMu.Unlock()
	if logIt {
		s.Log("err", fmt.Sprintf("closing client %s: %d clients connected, the most mond serves", c.RemoteAddr(), max))
	}
	c.SetWriteDeadline(now.Add(100 * time.Millisecond))
	io.WriteString(c, "520 too many clients\n")
	c.Close()
}

type client struct {
	// lastActive (Unix nanoseconds) and loggedIn are read by the accept loop when
	// the port is full (evictIdle).
	lastActive atomic.Int64
	loggedIn   atomic.Bool
	conn       net.Conn
	host       string
	user       string
	view       string
	w          *bufio.Writer
	failures   int // failed logins on this connection
}

func (c *client) write(format string, args ...any) {
	fmt.Fprintf(c.w, format, args...)
}

func (s *Server) handle(conn net.Conn) {
	defer conn.Close()
	cf, _ := s.D.Config()
	host, _, _ := net.SplitHostPort(conn.RemoteAddr().String())
	if !clientAllowed(cf.Globals.ClientAllow, host) {
		s.Log("notice", "closing unwanted client: "+host)
		return
	}
	timeout := cf.Globals.ClientTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	c := &client{conn: conn, host: host, w: bufio.NewWriter(conn)}
	c.lastActive.Store(time.Now().UnixNano())
	s.busyMu.Lock()
	if s.clients == nil {
		s.clients = map[*client]bool{}
	}
	s.clients[c] = true
	s.busyMu.Unlock()
	defer func() {
		s.busyMu.Lock()
		delete(s.clients, c)
		s.busyMu.Unlock()
	}()
	rd := bufio.NewReader(conn)
	for {
		conn.SetReadDeadline(time.Now().Add(timeout))
		line, err := readLine(rd, MaxLineLength)
		if errors.Is(err, errLineTooLong) {
			s.Log("err", fmt.Sprintf("closing client %s: command line longer than %d bytes", host, MaxLineLength))
			conn.SetWriteDeadline(time.Now().Add(writeTimeout))
			c.write("520 line too long\n")
			c.w.Flush()
			return
		}
		if err != nil {
			return
		}
		c.lastActive.Store(time.Now().UnixNano())
		if line == "" {
			continue
		}
		quit := s.command(c, line)
		c.lastActive.Store(time.Now().UnixNano())
		conn.SetWriteDeadline(time.Now().Add(writeTimeout))
		if c.w.Flush() != nil || quit {
			return
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine reads up to CR or LF (mon splits on either), at most max bytes before it.
func readLine(rd *bufio.Reader, max int) (string, error) {
	var b []byte
	for {
		ch, err := rd.ReadByte()
		if err != nil {
			return "", err
		}
		if ch == '\r' || ch == '\n' {
			return string(b), nil
		}
		if len(b) == max {
			return "", errLineTooLong
		}
		b = append(b, ch)
	}
}

// clientAllowed applies clientallow: space-separated perl patterns matched against the
// whole client address, unescaped dots made literal as mon does.
func clientAllowed(allow, ip string) bool {
	if allow == "" {
		allow = `\d+.\d+.\d+.\d+`
	}
	dot := regexp.MustCompile(`([^\[\\])\.`)
	for _, pat := range strings.Fields(allow) {
		pat = dot.ReplaceAllString(pat, `$1\.`)
		if re, err := regexp.Compile(`^(?:` + pat + `)$`); err == nil && re.MatchString(ip) {
			return true
		}
	}
	return false
}

var cmdRe = regexp.MustCompile(`(?i)^(dump|login|disable|enable|quit|list|set|get|setview|getview|stop|start|loadstate|savestate|reset|clear|checkauth|reload|term|test|servertime|ack|version|protid)(\s+(.*))?$`)

func (s *Server) allowed(c *client, cmd string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok := s.auth.Allowed(c.user, cmd)
	if !ok {
		s.Log("err", fmt.Sprintf("user '%s' tried '%s', not authenticated", c.user, cmd))
	}
	return ok
}

// command runs one client command; it reports whether the connection should close.
func (s *Server) command(c *client, line string) bool {
	if !strings.HasPrefix(strings.ToLower(line), "login") {
		s.Log("info", fmt.Sprintf("client command \"%s\"", line))
	}
	m := cmdRe.FindStringSubmatch(line)
	if m == nil {
		c.write("520 invalid command\n")
		return false
	}
	cmd, args := strings.ToLower(m[1]), m[3]
	gated := map[string]bool{"reset": true, "reload": true, "clear": true, "test": true, "loadstate": true,
		"savestate": true, "term": true, "stop": true, "start": true, "set": true, "get": true, "list": true,
		"ack": true, "disable": true, "enable": true, "servertime": true}
	if gated[cmd] && !s.allowed(c, cmd) {
		c.write("520 command could not be executed, unknown command\n")
		return false
	}
	switch cmd {
	case "quit":
		c.write("220 quitting\n")
		return true
	case "protid":
		if n, _ := strconv.Atoi(strings.TrimSpace(args)); n == ProtVersion {
			c.write("220 protocol match\n")
		} else {
			c.write("520 protocol mismatch\n")
		}
	case "version":
		c.write("version %d\n220 version completed\n", ProtVersion)
	case "login":
		s.login(c, args)
	case "checkauth":
		f := strings.Fields(args)
		a := ""
		if len(f) > 0 {
			a = f[0]
		}
		s.mu.Lock()
		ok := s.auth.Allowed(c.user, a)
		s.mu.Unlock()
		if ok {
			c.write("220 command authorized\n")
		} else {
			c.write("520 command could not be executed\n")
		}
	case "reset":
		keep := strings.Contains(args, "keepstate")
		if regexp.MustCompile(`(?i)stopped`).MatchString(args) {
			s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions { e.Stop(now); return sched.Actions{} })
		}
		if keep {
			// mond keeps the disabled state across "reset keepstate" (mon also keeps
			// opstatus, which mond does not save).
			s.saveState("disabled")
		}
		if err := s.D.Reset(keep); err != nil {
			c.write("520 reset PID %d@%s failed, error in config file\n", os.Getpid(), s.hostname)
		} else {
			s.ReloadAuth()
			if keep {
				s.LoadState("disabled")
			}
			c.write("220 reset PID %d@%s\n", os.Getpid(), s.hostname)
		}
	case "reload":
		ok := true
		for _, w := range strings.Fields(args) {
			if w != "auth" {
				ok = false
				break
			}
			if err := s.ReloadAuth(); err != nil {
				s.Log("err", err.Error())
			}
		}
		if ok {
			c.write("220 reload completed\n")
		} else {
			c.write("520 unknown reload command\n")
		}
	case "clear":
		f := strings.Fields(args)
		if len(f) >= 3 && strings.EqualFold(f[0], "timers") {
			var err error
			s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
				err = e.ClearTimers(f[1], f[2], now)
				return sched.Actions{}
			})
			if err != nil {
				c.write("520 unknown group\n")
			} else {
				c.write("220 clear timers completed\n")
			}
		} else {
			c.write("520 unknown clear command\n")
		}
	case "test":
		s.test(c, args)
	case "term":
		c.write("220 terminating server\n")
		c.w.Flush()
		if s.Terminate != nil {
			s.Terminate()
		}
		return true
	case "stop":
		s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions { e.Stop(now); return sched.Actions{} })
		c.write("220 stop completed\n")
	case "start":
		s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions { e.Start(); return sched.Actions{} })
		c.write("220 start completed\n")
	case "servertime":
		now := time.Now()
		c.write("%d %s\n220 servertime completed\n", now.Unix(), now.Format("Mon Jan _2 15:04:05 2006"))
	case "list":
		s.list(c, args)
	case "ack":
		s.ack(c, args)
	case "disable", "enable":
		s.disen(c, cmd, args)
	case "setview":
		f := strings.Fields(args)
		switch {
		case len(f) > 1:
			c.write("500 Unknown setview command\n")
		case len(f) == 1:
			if s.viewItems(f[0]) == nil {
				c.write("504 unknown view %s\n", f[0])
			} else {
				c.view = f[0]
				c.write("selecting view %s\n220 setview completed\n", f[0])
			}
		default:
			c.view = ""
			c.write("no view selected -- all groups will be displayed\n220 setview completed\n")
		}
	case "getview":
		if c.view != "" {
			c.write("view %s selected\n", c.view)
		} else {
			c.write("no view selected -- all groups will be displayed\n")
		}
		c.write("220 getview completed\n")
	case "set":
		s.set(c, args)
	case "get":
		s.get(c, args)
	case "savestate":
		if strings.TrimSpace(args) == "" {
			c.write("520 savestate error, arguments required\n")
		} else {
			for _, w := range strings.Fields(args) {
				s.saveState(w)
			}
			c.write("220 savestate completed\n")
		}
	case "loadstate":
		for _, w := range strings.Fields(args) {
			s.LoadState(w)
		}
		c.write("220 loadstate completed\n")
	default: // dump (debug only in mon)
		c.write("520 command could not be executed, unknown command\n")
	}
	return false
}

func (s *Server) login(c *client, args string) {
	user, pass, _ := strings.Cut(strings.TrimSpace(args), " ")
	pass = strings.TrimLeft(pass, " \t")
	cf, p := s.D.Config()
	for _, t := range cf.Globals.AuthTypes {
		ok, err := CheckPassword(t, p.UserFile, user, pass, c.host)
		if err != nil {
			s.Log("warning", err.Error())
		}
		if ok {
			c.user = user
			c.loggedIn.Store(true)
			c.failures = 0
			s.Log("info", "authenticated "+user)
			c.write("220 login accepted\n")
			return
		}
	}
	// A failed login is answered late: later for each failure on this connection, and
	// never more than failedLoginsPerSecond over all clients. The answer is what mon
	// says; only its timing differs.
	c.failures++
	time.Sleep(min(time.Duration(c.failures)*loginDelayStep, loginDelayMax))
	s.logins.wait()
	c.write("530 login unsuccessful\n")
}

// loginLimiter spaces failed logins over all clients at least 1/failedLoginsPerSecond
// apart.
type loginLimiter struct {
	mu   sync.Mutex
	next time.Time
}

func (l *loginLimiter) wait() {
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(time.Second / time.Duration(failedLoginsPerSecond))
	l.mu.Unlock()
	time.Sleep(at.Sub(now))
}

func (s *Server) viewItems(name string) map[string]bool {
	cf, _ := s.D.Config()
	for _, v := range cf.Views {
		if v.Name == name {
			m := map[string]bool{}
			for _, it := range v.Items {
				m[it] = true
			}
			return m
		}
	}
	return nil
}

// viewFilter returns whether a group (and service) is shown to a client with the view
// it selected (all of them without one).
func (s *Server) viewFilter(c *client) func(group, service string) bool {
	if c.view == "" {
		return func(string, string) bool { return true }
	}
	items := s.viewItems(c.view)
	return func(group, service string) bool {
		return items[group] || (service != "" && items[group+":"+service])
	}
}

func (s *Server) test(c *client, args string) {
	kind, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	f := strings.Fields(rest)
	switch kind {
	case "monitor":
		g, sv := at(f, 0), at(f, 1)
		var err error
		s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
			err = e.TestMonitor(g, sv)
			return sched.Actions{}
		})
		if err != nil {
			c.write("%s %s not defined\n", g, sv)
		}
		c.write("220 test monitor completed\n")
	case "alert", "startupalert", "upalert", "ackalert", "disablealert":
		parts := strings.SplitN(strings.TrimSpace(rest), " ", 4)
		for len(parts) < 4 {
			parts = append(parts, "")
		}
		var err error
		s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
			var a sched.Actions
			a, err = e.TestAlert(kind, parts[0], parts[1], parts[2], parts[3], now)
			return a
		})
		if err != nil {
			c.write("520 %s\n", err.Error())
		} else {
			c.write("220 test alert completed\n")
		}
	case "config":
		if err := s.D.CheckConfig(); err != nil {
			c.write("%s", err.Error())
			c.write("\n520 test config completed, errors found in config file\n")
		} else {
			c.write("220 test config completed OK, no errors found\n")
		}
	default:
		c.write("520 test error\n")
	}
}

func at(l []string, i int) string {
	if i < len(l) {
		return l[i]
	}
	return ""
}

func (s *Server) ack(c *client, args string) {
	parts := strings.SplitN(strings.TrimSpace(args), " ", 3)
	for len(parts) < 3 {
		parts = append(parts, "")
	}
	g, sv := parts[0], parts[1]
	// mon: the first word of the comment as perl's parse_line splits it (none when
	// a quote is unbalanced), un-escaped.
	comment := ""
	if w, ok := monconf.QuoteWords(strings.TrimLeft(parts[2], " \t\n\v\f\r")); ok && len(w) > 0 {
		comment = monconf.UnEscStr(w[0])
	}
	var err error
	unknown := ""
	s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
		if !e.Has(g, sv) {
			// mon names what is missing (and then, unlike mond, answers a second time
			// and creates the service: its ack falls through).
			unknown = "group"
			for _, gs := range e.Services() {
				if gs[0] == g {
					unknown = "service"
				}
			}
			return sched.Actions{}
		}
		var a sched.Actions
		a, err = e.Ack(g, sv, c.user+": "+comment, now)
		return a
	})
	switch {
	case unknown != "":
		c.write("520 unknown %s\n", unknown)
	case err != nil:
		c.write("520 service is in a non-failure state\n")
	default:
		c.write("220 ack completed\n")
	}
}

func (s *Server) disen(c *client, cmd, args string) {
	what, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	rest = strings.TrimSpace(rest)
	enable := cmd == "enable"
	changed := false
	switch what {
	case "watch":
		var err error
		s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
			err = e.DisableWatch(rest, enable)
			return sched.Actions{}
		})
		switch {
		case err != nil && enable:
			c.write("520 enable error, unknown watch\n")
		case err != nil:
			c.write("520 disable error, unknown watch \"%s\"\n", rest)
		default:
			changed = true
			c.write("220 %s watch completed\n", cmd)
		}
	case "service":
		g, sv, _ := strings.Cut(rest, " ")
		sv = strings.TrimSpace(sv)
		var err error
		s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
			var a sched.Actions
			a, err = e.DisableService(g, sv, enable, c.user, now)
			return a
		})
		switch {
		case err != nil && enable:
			c.write("520 enable error, unknown group\n")
		case err != nil:
			c.write("520 disable error, unknown service\n")
		case enable:
			changed = true
			c.write("220 enable completed\n")
		default:
			changed = true
			c.write("220 disable service completed\n")
		}
	case "host":
		hosts := strings.Fields(rest)
		var notFound []string
		s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
			if !enable {
				for _, h := range hosts {
					if !e.HostExists(h) {
						notFound = append(notFound, h)
					}
				}
				if len(notFound) > 0 {
					return sched.Actions{}
				}
			}
			for _, h := range hosts {
				// A group with this host as its only member has its watch disabled
				// (enabled) too, so mon does not complain about an empty group.
				for _, g := range e.SingletonGroups(h) {
					e.DisableWatch(g, enable)
				}
				e.DisableHost(h, enable)
			}
			return sched.Actions{}
		})
		switch {
		case len(notFound) > 0:
			c.write("520 disable host failed, host(s) %s do not exist\n", strings.Join(notFound, " "))
		case enable:
			changed = true
			c.write("220 enable completed\n")
		default:
			changed = true
			c.write("220 disable host completed\n")
		}
	default:
		c.write("520 command could not be executed\n")
	}
	if changed {
		s.saveState("disabled")
	}
}

func (s *Server) set(c *client, args string) {
	if m := regexp.MustCompile(`^maxkeep\s+(\d+)`).FindStringSubmatch(args); m != nil {
		n, _ := strconv.Atoi(m[1])
		s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions { e.SetMaxKeep(n); return sched.Actions{} })
		c.write("220 set completed\n")
		return
	}
	f := strings.Fields(args)
	c.write("520 %s,%s set is not implemented by mond\n", at(f, 0), at(f, 1))
}

func (s *Server) get(c *client, args string) {
	if regexp.MustCompile(`^maxkeep\s*$`).MatchString(args) {
		var n int
		s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions { n = e.MaxKeep(); return sched.Actions{} })
		c.write("maxkeep = %d\n220 set completed\n", n)
		return
	}
	f := strings.Fields(args)
	c.write("520 %s,%s get is not implemented by mond\n", at(f, 0), at(f, 1))
}

func (s *Server) list(c *client, args string) {
	f := strings.Fields(args)
	what := at(f, 0)
	_, rest, _ := strings.Cut(strings.TrimSpace(args), " ")
	rest = strings.TrimSpace(rest)
	var out []string
	fail := ""
	// Listings of the configuration and of files are answered without the engine: the
	// scheduler never waits on a file read for a client.
	switch what {
	case "aliases", "aliasgroups", "views":
		out = s.listAliases(what, f[1:])
	case "dtlog":
		out, fail = s.listDtlog()
	}
	if out != nil || fail != "" {
		s.writeList(c, out, fail)
		return
	}
	viewMatch := s.viewFilter(c)
	s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
		svcs := e.Services()
		switch what {
		case "descriptions":
			for _, gs := range svcs {
				if viewMatch(gs[0], gs[1]) {
					out = append(out, fmt.Sprintf("%s %s %s", gs[0], gs[1], monconf.EscStr(e.Description(gs[0], gs[1]), true)))
				}
			}
			out = append(out, "220 list descriptions completed")
		case "group":
			if hs, ok := e.Group(rest); ok && len(hs) > 0 {
				out = append(out, "hostgroup "+rest+" "+strings.Join(hs, " "), "220 list group completed")
			} else {
				fail = "520 list group error, undefined group"
			}
		case "opstatus":
			if rest == "" {
				for _, gs := range svcs {
					if viewMatch(gs[0], gs[1]) {
						out = append(out, e.OpstatusLine(gs[0], gs[1], now))
					}
				}
			} else {
				for _, item := range strings.Fields(rest) {
					g, sv, _ := strings.Cut(item, ",")
					if sv != "" && !e.Has(g, sv) {
						fail = fmt.Sprintf("520 %s,%s does not exist", g, sv)
						return sched.Actions{}
					}
					for _, gs := range svcs {
						if gs[0] == g && (sv == "" || gs[1] == sv) {
							out = append(out, e.OpstatusLine(gs[0], gs[1], now))
						}
					}
				}
			}
			out = append(out, "220 list opstatus completed")
		case "disabled":
			for _, g := range e.GroupNames() {
				if !viewMatch(g, "") {
					continue
				}
				hs, _ := e.Group(g)
				var dis []string
				for _, h := range hs {
					if strings.HasPrefix(h, "*") {
						dis = append(dis, h[1:])
					}
				}
				if len(dis) > 0 {
					out = append(out, "group "+g+": "+strings.Join(dis, " "))
				}
			}
			seen := map[string]bool{}
			for _, gs := range svcs {
				if !seen[gs[0]] && e.WatchDisabled(gs[0]) && viewMatch(gs[0], "") {
					out = append(out, "watch "+gs[0])
				}
				seen[gs[0]] = true
				if e.ServiceDisabled(gs[0], gs[1]) && viewMatch(gs[0], gs[1]) {
					out = append(out, "watch "+gs[0]+" service "+gs[1])
				}
			}
			out = append(out, "220 list disabled completed")
		case "alerthist":
			for _, l := range e.AlertHistory() {
				out = append(out, monconf.EscStr(l, false))
			}
			out = append(out, "220 list alerthist completed")
		case "failurehist":
			for _, l := range e.FailureHistory() {
				out = append(out, monconf.EscStr(l, false))
			}
			out = append(out, "220 list failurehist completed")
		case "failures", "successes", "warnings":
			for _, gs := range svcs {
				st := e.OpStatus(gs[0], gs[1])
				ok := (what == "failures" && sched.IsFailure(st)) || (what == "successes" && sched.IsSuccess(st)) ||
					(what == "warnings" && sched.IsWarning(st))
				if ok && viewMatch(gs[0], gs[1]) {
					out = append(out, e.OpstatusLine(gs[0], gs[1], now))
				}
			}
			if what == "failures" {
				out = append(out, "220 list failures completed")
			} else {
				out = append(out, "220 list successes completed")
			}
		case "pids":
			out = append(out, fmt.Sprintf("server %d", os.Getpid()))
			out = append(out, "@PIDS@")
			out = append(out, "220 list pids completed")
		case "watch":
			for _, gs := range svcs {
				if viewMatch(gs[0], gs[1]) {
					out = append(out, gs[0]+" "+gs[1])
				}
			}
			out = append(out, "220 list watch completed")
		case "state":
			if st, since := e.Stopped(); st {
				out = append(out, fmt.Sprintf("scheduler stopped since %d", since))
			} else {
				out = append(out, "scheduler running")
			}
			out = append(out, "220 list state completed")
		case "deps":
			for _, gs := range svcs {
				dep := e.Depend(gs[0], gs[1])
				if dep != "" {
					out = append(out, fmt.Sprintf("exp %s %s '%s'", gs[0], gs[1], monconf.EscStr(dep, true)))
				} else {
					out = append(out, fmt.Sprintf("exp %s %s 'NONE'", gs[0], gs[1]))
				}
				refs := regexp.MustCompile(`[a-zA-Z0-9_.-]+:[a-zA-Z0-9_.-]+`).FindAllString(dep, -1)
				if len(refs) > 0 {
					out = append(out, fmt.Sprintf("cmp %s %s %s", gs[0], gs[1], strings.Join(refs, " ")))
				} else {
					out = append(out, fmt.Sprintf("cmp %s %s NONE", gs[0], gs[1]))
				}
			}
			out = append(out, "220 list deps completed")
		default:
			fail = "520 unknown list command"
		}
		return sched.Actions{}
	})
	s.writeList(c, out, fail)
}

func (s *Server) writeList(c *client, out []string, fail string) {
	if fail != "" {
		c.write("%s\n", fail)
		return
	}
	for _, l := range out {
		if l == "@PIDS@" {
			for _, p := range s.D.Pids() {
				c.write("%s\n", p)
			}
			continue
		}
		c.write("%s\n", l)
	}
}

func (s *Server) listAliases(what string, want []string) []string {
	cf, _ := s.D.Config()
	var out []string
	switch what {
	case "aliases":
		byName := map[string][]string{}
		var names []string
		for _, a := range cf.Aliases {
			byName[a.Name] = a.Lines
			names = append(names, a.Name)
		}
		if len(want) == 0 {
			want = names
		}
		for _, n := range want {
			out = append(out, "alias "+n)
			out = append(out, byName[n]...)
			out = append(out, "")
		}
		out = append(out, "220 list aliases completed")
	case "aliasgroups":
		var names []string
		for _, a := range cf.Aliases {
			names = append(names, a.Name)
		}
		if len(names) > 0 {
			out = append(out, strings.Join(names, " "))
		}
		out = append(out, "220 list aliasgroups completed")
	case "views":
		var names []string
		for _, v := range cf.Views {
			names = append(names, v.Name)
		}
		sort.Strings(names)
		out = append(out, "views "+strings.Join(names, " "), "220 list group completed")
	}
	return out
}

func (s *Server) listDtlog() ([]string, string) {
	cf, p := s.D.Config()
	if !cf.Globals.DtLogging {
		return nil, "520 list dtlog error, dtlogging is not turned on"
	}
	b, err := os.ReadFile(p.DtLogFile)
	if err != nil {
		return nil, "520 list dtlog error, cannot open dtlog"
	}
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "" {
			continue
		}
		out = append(out, l)
	}
	return append(out, "220 list dtlog completed"), ""
}

// saveState writes statedir/disabled ("disabled" or "all"), as mon does after every
// disable/enable so that "mon -l" can restore it.
func (s *Server) saveState(what string) {
	if what != "disabled" && what != "all" {
		return
	}
	_, p := s.D.Config()
	var lines []string
	s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
		for _, g := range e.GroupNames() {
			hs, _ := e.Group(g)
			for _, h := range hs {
				if strings.HasPrefix(h, "*") {
					lines = append(lines, "disable host "+h[1:])
				}
			}
		}
		seen := map[string]bool{}
		for _, gs := range e.Services() {
			if !seen[gs[0]] && e.WatchDisabled(gs[0]) {
				lines = append(lines, "disable watch "+gs[0])
			}
			seen[gs[0]] = true
			if e.ServiceDisabled(gs[0], gs[1]) {
				lines = append(lines, "disable service "+gs[0]+" "+gs[1])
			}
		}
		return sched.Actions{}
	})
	data := strings.Join(lines, "\n")
	if data != "" {
		data += "\n"
	}
	if err := os.WriteFile(p.StateDir+"/disabled", []byte(data), 0o644); err != nil {
		s.Log("err", "could not write to state file: "+err.Error())
	}
}

// LoadState restores statedir/disabled (mon -l, "loadstate disabled").
func (s *Server) LoadState(what string) {
	if what != "disabled" && what != "all" {
		return
	}
	_, p := s.D.Config()
	b, err := os.ReadFile(p.StateDir + "/disabled")
	if err != nil {
		s.Log("err", "could not read state file: "+err.Error())
		return
	}
	s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
		for _, l := range strings.Split(string(b), "\n") {
			f := strings.Fields(l)
			if len(f) < 3 || f[0] != "disable" {
				continue
			}
			switch f[1] {
			case "host":
				e.DisableHost(f[2], false)
			case "watch":
				e.DisableWatch(f[2], false)
			case "service":
				if len(f) >= 4 {
					e.DisableService(f[2], f[3], false, "", now)
				}
			}
		}
		return sched.Actions{}
	})
}
