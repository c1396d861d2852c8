package monitors

import (
	"bufio"
	"context"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

type smtpResult struct {
	ok          bool
	err, detail string
}

// SMTP is smtp.monitor: -p port (25), -t timeout (30); expects the 220 greeting, a 250
// answer to HELO and a 221 answer to quit.
func SMTP(ctx context.Context, args []string) Result {
	opts, hosts := getopts("p:t:", args)
	port := opts['p']
	if port == "" || port == "0" {
		port = "25"
	}
	timeout := time.Duration(atoiDefault(opts['t'], 30)) * time.Second
	good := map[string]smtpResult{}
	bad := map[string]smtpResult{}
	for _, h := range hosts {
		r := smtpCheck(ctx, h, port, timeout)
		if r.ok {
			good[h] = r
		} else {
			bad[h] = r
		}
	}
	var b strings.Builder
	badHosts := sortedSMTP(bad)
	if len(bad) == 0 {
		b.WriteString("\n")
	} else {
		b.WriteString(strings.Join(badHosts, " ") + "\n")
	}
	sep := strings.Repeat("=", 78) + "\n"
	for _, h := range badHosts {
		b.WriteString(h + " failed with error " + bad[h].err + "\n")
		b.WriteString("detail for " + h + "\n" + sep)
		if bad[h].detail != "" {
			b.WriteString(bad[h].detail)
		} else {
			b.WriteString("no detail\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
	for _, h := range sortedSMTP(good) {
		b.WriteString(h + " succeeded\n")
		b.WriteString("detail for " + h + "\n" + sep)
		if good[h].detail != "" {
			b.WriteString(good[h].detail)
		} else {
			b.WriteString("no detail\n")
		}
		b.WriteString("\n")
	}
	if len(bad) > 0 {
		return Result{Output: b.String(), Exit: 1}
	}
	return Result{Output: b.String()}
}

func sortedSMTP(m map[string]smtpResult) []string {
	var l []string
	for k := range m {
		l = append(l, k)
	}
	sort.Strings(l)
	return l
}

func smtpCheck(ctx context.Context, host, port string, timeout time.Duration) (r smtpResult) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p, err := strconv.Atoi(port)
	if err != nil {
		if p, err = net.LookupPort("tcp", port); err != nil {
			r.err = "Unable to create SMTP connection to port " + port
			return r
		}
	}
	ip, err := resolve4(ctx, host)
	var c net.Conn
	if err == nil {
		var d net.Dialer
		c, err = d.DialContext(ctx, "tcp4", net.JoinHostPort(ip.String(), strconv.Itoa(p)))
	}
	if err != nil {
		noteResourceError(ctx, err) // no socket for mond: not the server's failure
		if ctx.Err() != nil {
			r.err = "timeout"
		} else {
			r.err = "Unable to create SMTP connection to port " + port
		}
		return r
	}
	defer c.Close()
	dl, _ := ctx.Deadline()
	c.SetDeadline(dl)
	rd := bufio.NewReader(c)
	read := func() (string, bool) {
		l, err := rd.ReadString('\n')
		r.detail += l
		return l, err == nil || l != ""
	}
	fail := func(msg string) smtpResult {
		c.Write([]byte("QUIT\r\n"))
		r.err = msg
		return r
	}
	timedOut := func() bool { return ctx.Err() != nil }
	in, _ := read()
	for strings.HasPrefix(in, "220-") {
		in, _ = read()
	}
	if timedOut() {
		r.err = "timeout"
		return r
	}
	if !strings.HasPrefix(in, "220 ") {
		return fail("did not receive 220 greeting")
	}
	me, _ := os.Hostname()
	c.Write([]byte("HELO " + me + "\r\n"))
	in, _ = read()
	for strings.HasPrefix(in, "250-") {
		in, _ = read()
	}
	if timedOut() {
		r.err = "timeout"
		return r
	}
	if !strings.HasPrefix(in, "250 ") {
		return fail("did not get 250 response to HELO")
	}
	c.Write([]byte("quit\r\n"))
	in, _ = read()
	if timedOut() {
		r.err = "timeout"
		return r
	}
	if !strings.HasPrefix(in, "221 ") {
		return fail("did not get 221 response to quit")
	}
	r.ok = true
	c.Write([]byte("QUIT\r\n"))
	return r
}
