//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/statushttp"
	"golang.org/x/sys/unix"
)

// TestDescriptorExhaustionIsNoFailure runs mond (this test binary, MOND_TEST_MAIN=1) in
// a network namespace of its own under "ulimit -n 100", watching 20 real TCP listeners
// with the built-in tcp.monitor and 3 scripted monitors (each run forks and takes pipes
// and a pidfd), every second with alertafter 1. Then clients take mond's descriptors:
// one logged-in client on the client port (under this limit mond lowers --max-clients
// to 1). The test counts the descriptors mond then uses (base) and lowers its limit
// (prlimit) to base+1+24, so that 24 keep-alive HTTP connections on the metrics
// listener (it serves 32 at most) leave it one, while another client keeps connecting
// to the client port. For 5 s they leave mond one descriptor, which the monitors and
// the churning client fight over (mond at its limit, descriptors taken and freed all
// the time); for 5 s more, none (over the limit). The limit follows what mond uses
// because that depends on the runner: descriptors it leaves open pass to mond (a fixed
// "ulimit -n" failed in CI twice). No fakes: mond's own system calls get EMFILE from the kernel. It checks that:
//
//	(a) mond really ran out: during the exhaustion its log says, for the built-in and
//	    for a script, "could not start monitor …: too many open files; check skipped";
//	(b) no service failed meanwhile: no alert was called, and the held client's
//	    "list opstatus" shows every service up, without a last_failure;
//	(c) within 10 s of the clients closing, a newly logged-in client's "list opstatus"
//	    shows every service up and checked again since then;
//	(d) a service then really stopped gets its alert within (alertafter+1)×interval+3 s,
//	    so mond did not simply stop checking;
//	(e) over the whole run, the alerts and mond's failure history name that service
//	    alone;
//	(f) on SIGTERM mond exits within 5 s and leaves no process behind.
//
// At the limit, tcp.monitor's socket failed with EMFILE while the socket mond opened
// afterwards to tell its own trouble from the service's found a descriptor freed
// meanwhile, and healthy services failed and alerted: (b) and (e) failed every run
// until tcp.monitor reported its resource errors itself (monitors.WithResourceErrors).
//
// It takes about 15 s. It reuses the soak test's namespace, listener and client
// helpers (soak_linux_test.go).
func TestDescriptorExhaustionIsNoFailure(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: mond and its services run in a network namespace of their own (ip netns)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Fatalf("needs ip (iproute2) to create a network namespace: %v", err)
	}
	s := &soak{t: t, start: time.Now()}
	s.ns = newSoakNetns(t)
	s.dir = t.TempDir()
	fdWriteFiles(s)
	for i := 0; i < fdTCPServices; i++ {
		l := &soakListener{port: fdBasePort + i}
		if err := l.listen(s.ns); err != nil {
			t.Fatalf("listener %d: %v", l.port, err)
		}
		s.listeners = append(s.listeners, l)
		t.Cleanup(l.close)
	}
	fdStartMond(s)
	fdWaitUp(s, "at the start", s.start, 15*time.Second)
	s.logf("all %d services up; mond uses %d of its %d descriptors", fdServices, fdUsed(s), s.fdLimit)

	// The exhaustion. A client logs in and stays; the metrics listener's connections
	// then take all but one of the descriptors left (part 1: mond at its limit, the
	// last descriptor fought over by the monitors and the churning client, taken and
	// given back all the time), then all of them (part 2: over the limit).
	logFrom := fdLogSize(s)
	held := fdLogin(s)
	defer held.c.Close()
	base := fdLower(s)
	n := s.fdLimit - 1 - base
	if n < 1 || n >= statushttp.MaxConns {
		_, kinds := fdUsedKinds(s)
		t.Fatalf("mond uses %d descriptors with one client (now: %s) once its limit is lowered to %d: %d more metrics connections "+
			"would leave it one, but the metrics listener takes 1 to %d", base, kinds, s.fdLimit, n, statushttp.MaxConns-1)
	}
	metrics := fdHoldMetrics(s, n, true)
	exhaustedAt := time.Now()
	churnDone := make(chan [3]int, 1)
	go func() { churnDone <- fdChurn(s, exhaustedAt.Add(2*fdHold)) }()
	part1 := fdSample(s, fdHold)
	logMid := fdLogSize(s)
	metrics = append(metrics, fdHoldMetrics(s, statushttp.MaxConns-n+4, false)...)
	part2 := fdSample(s, fdHold)
	churn := <-churnDone
	// (b), asked on the connection held all along: answering needs no descriptor.
	heldStatus, heldErr := held.do("list opstatus", 3*time.Second)
	alertsDuring := s.alerts()
	for _, c := range metrics {
		c.Close()
	}
	held.c.Close()
	releasedAt := time.Now()
	logTo := fdLogSize(s)
	s.logf("exhaustion: mond used %d descriptors with the logged-in client; part 1 (%v, %d metrics connections): at least %d of %d in use in %d of %d samples; "+
		"part 2 (%v, %d metrics connections, those past %d waiting to be accepted): all %d in use in %d of %d samples (%s); "+
		"the churning client: %d connections, %d answered \"520 too many clients\", %d not answered in 500 ms",
		base, fdHold, n, s.fdLimit-1, s.fdLimit, part1.near, part1.samples,
		fdHold, len(metrics), statushttp.MaxConns, s.fdLimit, part2.full, part2.samples, part2.kinds,
		churn[0], churn[1], churn[2])

	// (a)
	during := fdLogLines(s, logFrom, logTo)
	var builtin, script []string
	for i, part := range [][]string{fdLogLines(s, logFrom, logMid), fdLogLines(s, logMid, logTo)} {
		var b, sc []string
		for _, l := range part {
			m := fdNotStartedRe.FindStringSubmatch(l)
			switch {
			case m == nil:
			case m[2] == "tcp":
				b = append(b, l)
			case m[2] == "script":
				sc = append(sc, l)
			}
		}
		s.logf("(a) part %d: mond logged %d built-in and %d script monitors not started for want of descriptors", i+1, len(b), len(sc))
		builtin, script = append(builtin, b...), append(script, sc...)
	}
	for _, l := range append(soakTail(builtin, 1), soakTail(script, 1)...) {
		s.logf("    %s", l)
	}
	if len(builtin) == 0 || len(script) == 0 {
		t.Errorf("(a) mond did not run out of descriptors for both kinds of monitor (%d built-in, %d script lines); "+
			"it used %d with one client, the metrics connections took %d\n%s", len(builtin), len(script), base, len(metrics), s.mondLog(30))
	}
	var called []string
	for _, l := range during {
		if strings.Contains(l, "alert: calling alert") || strings.Contains(l, "could not exec alert") {
			called = append(called, l)
		}
	}
	if len(called) > 0 {
		t.Errorf("(b) %d alerts called (or failing to start) during the exhaustion; the first:\n  %s",
			len(called), strings.Join(called[:min(len(called), 10)], "\n  "))
	}

	// (b)
	if len(alertsDuring) > 0 {
		var l []string
		for _, a := range alertsDuring {
			l = append(l, a.line)
		}
		t.Errorf("(b) alerts during the exhaustion:\n  %s", strings.Join(l, "\n  "))
	}
	if heldErr != nil {
		t.Errorf("(b) the held client's list opstatus after the exhaustion: %v (%d lines)", heldErr, len(heldStatus))
	} else if bad, n := fdNotUp(heldStatus, time.Time{}); n != fdServices || len(bad) > 0 {
		t.Errorf("(b) the held client's list opstatus after the exhaustion: %d services, not up: %v", n, bad)
	} else {
		s.logf("(b) no alert; list opstatus on the held client: all %d services opstatus=1, none with a last_failure", n)
	}

	// (c)
	since := time.Unix(releasedAt.Unix()+1, 0) // last_check is in whole seconds
	fdWaitUp(s, "after the exhaustion", since, 10*time.Second)
	s.logf("(c) all %d services up and checked again %.1fs after the clients closed; mond uses %d descriptors",
		fdServices, time.Since(releasedAt).Seconds(), fdUsed(s))
	if body, err := fdGet(s, "/metrics"); err == nil {
		s.logf("    mond_service_monitors_not_run_total over the services: %d", fdNotRunTotal(body))
	} else {
		t.Errorf("(c) GET /metrics after the exhaustion: %v", err)
	}

	// (d)
	s.listeners[fdStopped].close()
	stoppedAt := time.Now()
	svc := fmt.Sprintf("p%d", fdBasePort+fdStopped)
	bound := 2*time.Second + 3*time.Second // (alertafter 1 + 1) × interval 1 s + 3 s
	var alerted *soakAlert
	for tries := 0; alerted == nil && time.Since(stoppedAt) < bound+time.Second && tries < 100; tries++ {
		time.Sleep(100 * time.Millisecond)
		for _, a := range s.alerts() {
			if a.typ == "alert" && a.group == "tcp" && a.service == svc && !a.at.Before(stoppedAt) {
				alerted = &a
				break
			}
		}
	}
	switch {
	case alerted == nil:
		t.Errorf("(d) no alert for tcp/%s within %v of stopping it: mond stopped checking?\n%s", svc, bound+time.Second, s.mondLog(30))
	case alerted.at.Sub(stoppedAt) > bound:
		t.Errorf("(d) alert for tcp/%s %.1fs after the stop, bound %v", svc, alerted.at.Sub(stoppedAt).Seconds(), bound)
	default:
		s.logf("(d) %s, %.1fs after the stop", alerted.line, alerted.at.Sub(stoppedAt).Seconds())
	}

	// (e)
	var others []string
	for _, a := range s.alerts() {
		if a.typ != "alert" || a.group != "tcp" || a.service != svc || a.at.Before(stoppedAt) {
			others = append(others, a.line)
		}
	}
	if len(others) > 0 {
		t.Errorf("(e) alerts of services that did not fail:\n  %s", strings.Join(others, "\n  "))
	}
	if out, err := fdAdmin(s, "list failurehist"); err != nil {
		t.Errorf("(e) list failurehist: %v", err)
	} else {
		var falseFail []string
		for _, l := range out[0][:len(out[0])-1] {
			if f := strings.Fields(strings.ReplaceAll(l, `\20`, " ")); len(f) < 2 || f[0] != "tcp" || f[1] != svc {
				falseFail = append(falseFail, l)
			}
		}
		if len(falseFail) > 0 {
			t.Errorf("(e) mond's failure history has failures of services that did not fail:\n  %s", strings.Join(soakTail(falseFail, 20), "\n  "))
		} else {
			s.logf("(e) alerts and failure history (%d entries) name tcp/%s alone", len(out[0])-1, svc)
		}
	}

	// (f)
	fdTerminate(s)
}

const (
	fdTCPServices    = 20
	fdScriptServices = 3
	fdServices       = fdTCPServices + fdScriptServices
	fdBasePort       = 21000
	fdStopped        = 5 // the TCP service stopped at the end
	fdMetricsPort    = 9583
	// fdLaunchLimit is mond's descriptor limit at its start: low enough that mond
	// lowers --max-clients to 1 (half the limit less 64), high enough for whatever
	// descriptors the runner leaves open to its children (CI's runners differ: mond
	// used 8 to 10 with one client). The test then lowers it to what mond uses with one
	// client, plus fdPart1Conns metrics connections, plus the one left to fight over.
	fdLaunchLimit = 100
	// fdPart1Conns is part 1's metrics connections: fewer than the listener's 32, so
	// part 2's go over the limit.
	fdPart1Conns = 24
	fdHold       = 5 * time.Second // each part of the exhaustion
)

var fdNotStartedRe = regexp.MustCompile(`could not start monitor (\S+) for ([^/\s]+)/(\S+): too many open files; check skipped`)

func fdWriteFiles(s *soak) {
	s.writeMonFiles("0.2", fdTCPServices, func(i int) string {
		port := fdBasePort + i
		return fmt.Sprintf(`    service p%d
        interval 1s
        monitor tcp.monitor -p %d -t 2
        period wd {Sun-Sat}
            alertafter 1
            alert rec.alert alert
            upalert rec.alert upalert
`, port, port)
	}, fdScriptServices, "1s")
}

// fdStartMond starts mond in the namespace under "ulimit -n fdLaunchLimit" (soft and
// hard) with its metrics listener, and waits for its client port.
func fdStartMond(s *soak) {
	s.fdLimit = fdLaunchLimit
	s.launchMond(fdLaunchLimit, "LVSKIT_FDTEST="+s.dir, nil, "--metrics-listen", "127.0.0.1:"+strconv.Itoa(fdMetricsPort))
}

// fdUsed counts mond's descriptors below its limit: the kernel gives it a new one only
// while this is under s.fdLimit (one it inherited above the limit does not count).
func fdUsed(s *soak) int {
	n, _ := fdUsedKinds(s)
	return n
}

// fdUsedKinds is fdUsed and what they are, e.g. "socket×25 pipe×2 …".
func fdUsedKinds(s *soak) (int, string) {
	dir := fmt.Sprintf("/proc/%d/fd", s.pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return -1, err.Error()
	}
	n := 0
	kinds := map[string]int{}
	var order []string
	for _, e := range ents {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || fd >= s.fdLimit {
			continue
		}
		n++
		dst, _ := os.Readlink(filepath.Join(dir, e.Name()))
		k := dst
		if i := strings.IndexAny(dst, ":"); i > 0 {
			k = dst[:i]
		}
		if strings.HasPrefix(dst, s.dir) {
			k = "mond.log"
		}
		if kinds[k] == 0 {
			order = append(order, k)
		}
		kinds[k]++
	}
	var parts []string
	for _, k := range order {
		parts = append(parts, fmt.Sprintf("%s×%d", k, kinds[k]))
	}
	return n, strings.Join(parts, " ")
}

// fdLower lowers mond's descriptor limit (soft and hard, prlimit) so that, with the
// descriptors it uses now (one client logged in), fdPart1Conns more leave it one; it
// returns how many it uses then (fdBaseline).
func fdLower(s *soak) int {
	t := s.t
	base := fdBaseline(s)
	// Descriptors the new limit leaves above it (inherited ones, not the lowest free)
	// no longer count: the caller takes its metrics connections from the count after.
	l := base + fdPart1Conns + 1
	if l > fdLaunchLimit {
		_, kinds := fdUsedKinds(s)
		t.Fatalf("mond uses %d descriptors with one client (%s): %d more metrics connections would take it past its %d at start; raise fdLaunchLimit",
			base, kinds, fdPart1Conns, fdLaunchLimit)
	}
	lim := unix.Rlimit{Cur: uint64(l), Max: uint64(l)}
	if err := unix.Prlimit(s.pid, unix.RLIMIT_NOFILE, &lim, nil); err != nil {
		t.Fatalf("prlimit mond's descriptors to %d: %v", l, err)
	}
	s.fdLimit = l
	return fdBaseline(s)
}

// fdLogin connects and logs in. Under this limit mond serves one client at a time and
// frees a client's place just after closing its connection, so "520 too many
// clients" is retried (3 s at most).
func fdLogin(s *soak) *soakConn {
	var last string
	for start, tries := time.Now(), 0; time.Since(start) < 3*time.Second && tries < 30; tries++ {
		c, err := s.conn(3 * time.Second)
		if err != nil {
			s.t.Fatalf("connect: %v", err)
		}
		l, err := c.do("login admin "+soakPassword, 3*time.Second)
		if err == nil && l[len(l)-1] == "220 login accepted" {
			return c
		}
		c.c.Close()
		last = fmt.Sprintf("%v %q", err, l)
		if err != nil || l[len(l)-1] != "520 too many clients" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("login: %s", last)
	return nil
}

// fdAdmin is soak.admin, with fdLogin's retries.
func fdAdmin(s *soak, cmds ...string) ([][]string, error) {
	c := fdLogin(s)
	defer c.c.Close()
	var out [][]string
	for _, cmd := range cmds {
		l, err := c.do(cmd, 5*time.Second)
		if err != nil {
			return out, fmt.Errorf("%s: %v (after %d lines)", cmd, err, len(l))
		}
		out = append(out, l)
	}
	c.do("quit", time.Second)
	return out, nil
}

// fdBaseline is the fewest descriptors mond used over a second (between its monitors'
// runs).
func fdBaseline(s *soak) int {
	least := s.fdLimit
	for i := 0; i < 100; i++ {
		if n := fdUsed(s); n >= 0 && n < least {
			least = n
		}
		time.Sleep(10 * time.Millisecond)
	}
	return least
}

type fdSamples struct {
	samples, near, full int
	kinds               string // what mond's descriptors were when first all in use
}

// fdSample samples mond's descriptors every 50 ms for d.
func fdSample(s *soak, d time.Duration) fdSamples {
	var r fdSamples
	for start := time.Now(); time.Since(start) < d && r.samples < int(d/(50*time.Millisecond))+10; {
		time.Sleep(50 * time.Millisecond)
		r.samples++
		n, k := fdUsedKinds(s)
		if n >= s.fdLimit-1 {
			r.near++
		}
		if n >= s.fdLimit {
			if r.full++; r.kinds == "" {
				r.kinds = k
			}
		}
	}
	return r
}

// fdHoldMetrics opens n keep-alive connections to the metrics listener, each with a
// request sent, so mond keeps them (60 s idle timeout); with wait, it reads every
// answer (10 s at most: each accept mond's monitors beat to a descriptor backs off,
// up to a second), so they are all accepted when it returns.
func fdHoldMetrics(s *soak, n int, wait bool) []net.Conn {
	var conns []net.Conn
	err := s.ns.do(func() {
		for i := 0; i < n; i++ {
			c, err := net.DialTimeout("tcp4", "127.0.0.1:"+strconv.Itoa(fdMetricsPort), time.Second)
			if err != nil {
				s.logf("metrics connection %d: %v", i, err)
				continue
			}
			c.SetWriteDeadline(time.Now().Add(time.Second))
			io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: mond\r\n\r\n")
			conns = append(conns, c)
		}
	})
	if err != nil {
		s.t.Fatalf("metrics connections: %v", err)
	}
	if wait {
		deadline := time.Now().Add(10 * time.Second)
		for i, c := range conns {
			c.SetReadDeadline(deadline)
			// "HTTP/1.1 200 OK" … "ok\n": the body is the answer's last line.
			r := bufio.NewReader(c)
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					s.t.Fatalf("metrics connection %d of %d not answered: %v", i+1, len(conns), err)
				}
				if l == "ok\n" {
					break
				}
			}
			c.SetReadDeadline(time.Time{})
		}
	}
	s.t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}

// fdChurn connects to the client port again and again until until (600 times at most)
// and asks for the version; it returns the connections, the "520 too many clients"
// answers, and those not answered within 500 ms.
func fdChurn(s *soak, until time.Time) (n [3]int) {
	s.ns.do(func() {
		for k := 0; k < 600 && time.Now().Before(until); k++ {
			c, err := net.DialTimeout("tcp4", soakMondAddr, 500*time.Millisecond)
			if err != nil {
				time.Sleep(50 * time.Millisecond)
				continue
			}
			n[0]++
			c.SetDeadline(time.Now().Add(500 * time.Millisecond))
			io.WriteString(c, "version\n")
			l, err := bufio.NewReader(c).ReadString('\n')
			switch {
			case err == nil && strings.HasPrefix(l, "520 too many clients"):
				n[1]++
			case err != nil:
				n[2]++
			}
			c.Close()
			time.Sleep(20 * time.Millisecond)
		}
	})
	return n
}

var (
	fdStatusRe = regexp.MustCompile(`^group=(\S+) service=(\S+) opstatus=(\d+) .* last_check=(\d*) `)
	fdDetailRe = regexp.MustCompile(` last_detail=(\S*)`)
)

// fdNotUp reads a "list opstatus" answer: the services not up (opstatus other than 1,
// a last_failure, or no check started at since or later) and how many were listed.
func fdNotUp(lines []string, since time.Time) (bad []string, n int) {
	if len(lines) == 0 || lines[len(lines)-1] != "220 list opstatus completed" {
		return []string{fmt.Sprintf("answer does not end in \"220 list opstatus completed\": %q", soakTail(lines, 2))}, 0
	}
	for _, l := range lines {
		m := fdStatusRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n++
		lc, _ := strconv.ParseInt(m[4], 10, 64)
		switch {
		case m[3] != "1" || strings.Contains(l, " last_failure="):
			detail := ""
			if d := fdDetailRe.FindStringSubmatch(l); d != nil {
				detail = strings.TrimSpace(strings.NewReplacer(`\20`, " ", `\0a`, " ").Replace(d[1]))
			}
			bad = append(bad, fmt.Sprintf("%s/%s opstatus=%s (%s)", m[1], m[2], m[3], detail))
		case lc < since.Unix():
			bad = append(bad, fmt.Sprintf("%s/%s last_check=%s", m[1], m[2], m[4]))
		}
	}
	return bad, n
}

// fdWaitUp waits (max at most) for a logged-in client's "list opstatus" to show every
// service up, without a failure, checked at since or later.
func fdWaitUp(s *soak, when string, since time.Time, max time.Duration) {
	deadline := time.Now().Add(max)
	var last string
	for tries := 0; ; tries++ {
		out, err := fdAdmin(s, "list opstatus")
		if err == nil {
			bad, n := fdNotUp(out[0], since)
			if n == fdServices && len(bad) == 0 {
				return
			}
			last = fmt.Sprintf("%d services listed; not up or not checked since %d: %v", n, since.Unix(), bad)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) || tries > 100 {
			s.t.Fatalf("services not all up and checked %s within %v: %s\n%s", when, max, last, s.mondLog(30))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// fdGet fetches path from mond's metrics listener.
func fdGet(s *soak, path string) (string, error) {
	c, err := s.ns.dial("127.0.0.1:"+strconv.Itoa(fdMetricsPort), 3*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.0\r\nHost: mond\r\n\r\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(string(b), "HTTP/1.0 200") && !strings.HasPrefix(string(b), "HTTP/1.1 200") {
		return "", fmt.Errorf("answer %q", soakTail(strings.SplitN(string(b), "\n", 2), 2)[0])
	}
	return string(b), nil
}

// fdNotRunTotal sums mond_service_monitors_not_run_total over the services.
func fdNotRunTotal(metrics string) int {
	total := 0
	for _, l := range strings.Split(metrics, "\n") {
		if !strings.HasPrefix(l, "mond_service_monitors_not_run_total{") {
			continue
		}
		f := strings.Fields(l)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			total += int(v)
		}
	}
	return total
}

func fdLogSize(s *soak) int64 {
	fi, err := os.Stat(filepath.Join(s.dir, "mond.log"))
	if err != nil {
		return 0
	}
	return fi.Size()
}

// fdLogLines is mond's log between two sizes it had, in whole lines.
func fdLogLines(s *soak, from, to int64) []string {
	b, err := os.ReadFile(filepath.Join(s.dir, "mond.log"))
	if err != nil || from > int64(len(b)) {
		return nil
	}
	b = b[from:min(to, int64(len(b)))]
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// fdTerminate is (f): SIGTERM, exit within 5 s, none of mond's processes 300 ms later.
func fdTerminate(s *soak) {
	t := s.t
	sent := time.Now()
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		s.logf("(f) mond exited %.2fs after SIGTERM: %v", time.Since(sent).Seconds(), s.cmd.ProcessState)
	case <-time.After(5 * time.Second):
		t.Errorf("(f) mond still running 5 s after SIGTERM")
		return // killed by the cleanup
	}
	time.Sleep(300 * time.Millisecond)
	var left []string
	for pid, p := range s.mondProcs() {
		left = append(left, fmt.Sprintf("pid %d ppid %d pgid %d (%s)", pid, p.ppid, p.pgid, p.comm))
	}
	if len(left) > 0 {
		t.Errorf("(f) processes of mond's still alive 300 ms after it exited: %v", left)
	}
}
