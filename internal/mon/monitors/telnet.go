package monitors

import (
	"context"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Telnet is telnet.monitor: -p port (23), -t timeout (10), -l login prompt as a perl
// match operator (default /ogin:/i). Connects (answering telnet option negotiation with
// refusals, as Net::Telnet does) and waits for the prompt.
func Telnet(ctx context.Context, args []string) Result {
	opts, hosts := getopts("l:p:t:", args)
	timeout := time.Duration(atoiDefault(opts['t'], 10)) * time.Second
	port := atoiDefault(opts['p'], 23)
	login := opts['l']
	if login == "" || login == "0" {
		login = "/ogin:/i"
	}
	re, err := perlMatchOp(login)
	if err != nil {
		return Result{Output: "telnet.monitor: bad -l pattern: " + err.Error() + "\n", Exit: 1}
	}
	type failure struct{ host, msg string }
	var fails []failure
	for _, h := range hosts {
		if msg := telnetCheck(ctx, h, port, timeout, re); msg != "" {
			fails = append(fails, failure{h, msg})
		}
	}
	if len(fails) == 0 {
		return Result{}
	}
	var names []string
	for _, f := range fails {
		names = append(names, f.host)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(strings.Join(names, " ") + "\n")
	for _, f := range fails {
		b.WriteString(f.host + ": " + f.msg + "\n")
	}
	return Result{Output: b.String(), Exit: 1}
}

// perlMatchOp turns Net::Telnet's match operator string ("/ogin:/i") into a regexp.
func perlMatchOp(s string) (*regexp.Regexp, error) {
	if len(s) >= 2 && s[0] == '/' {
		if end := strings.LastIndexByte(s, '/'); end > 0 {
			pat, flags := s[1:end], s[end+1:]
			prefix := ""
			for _, f := range flags {
				if strings.ContainsRune("imsx", f) {
					prefix += string(f)
				}
			}
			if prefix != "" {
				pat = "(?" + prefix + ")" + pat
			}
			return regexp.Compile(pat)
		}
	}
	return regexp.Compile(regexp.QuoteMeta(s))
}

const (
	tnIAC  = 255
	tnDONT = 254
	tnDO   = 253
	tnWONT = 252
	tnWILL = 251
	tnSB   = 250
	tnSE   = 240
)

func telnetCheck(ctx context.Context, host string, port int, timeout time.Duration, prompt *regexp.Regexp) string {
	ip, err := resolve4(ctx, host)
	if err != nil {
		return "unknown remote host: " + host
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp4", net.JoinHostPort(ip.String(), strconv.Itoa(port)))
	if err != nil {
		noteResourceError(ctx, err) // no socket for mond: not the server's failure
		if isTimeout(err) {
			return `problem connecting to "` + host + `", port ` + strconv.Itoa(port) + ": connect timed-out"
		}
		return `problem connecting to "` + host + `", port ` + strconv.Itoa(port) + ": " + perlErr(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	var text []byte
	buf := make([]byte, 4096)
	state := 0 // 0 data, 1 after IAC, 2 option byte of verb, 3 in SB, 4 IAC in SB
	var verb byte
	for {
		n, err := c.Read(buf)
		for _, ch := range buf[:n] {
			switch state {
			case 0:
				if ch == tnIAC {
					state = 1
				} else {
					text = append(text, ch)
				}
			case 1:
				switch ch {
				case tnDO, tnDONT, tnWILL, tnWONT:
					verb, state = ch, 2
				case tnSB:
					state = 3
				case tnIAC:
					text = append(text, ch)
					state = 0
				default:
					state = 0
				}
			case 2:
				// Refuse everything, as Net::Telnet does by default.
				switch verb {
				case tnDO:
					c.Write([]byte{tnIAC, tnWONT, ch})
				case tnWILL:
					c.Write([]byte{tnIAC, tnDONT, ch})
				}
				state = 0
			case 3:
				if ch == tnIAC {
					state = 4
				}
			case 4:
				if ch == tnSE {
					state = 0
				} else {
					state = 3
				}
			}
		}
		if prompt.Match(text) {
			return ""
		}
		if err != nil {
			if isTimeout(err) {
				return "did not get prompt: pattern match timed-out"
			}
			return "did not get prompt: pattern match read eof"
		}
	}
}
