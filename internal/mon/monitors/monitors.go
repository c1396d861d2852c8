// Package monitors holds mond's built-in versions of the monitor scripts legacy mon.cf
// files use most: ping.monitor, fping.monitor, tcp.monitor, telnet.monitor, http.monitor,
// smtp.monitor and dns.monitor. Each takes the same arguments as the script in Debian's
// mon 1.3.6 package (options, then the hosts) and produces the same output — the first
// line is mon's summary, the rest the detail — and the same exit status, but runs inside
// mond, without forking perl for every check.
//
// Which one runs, the script or the built-in, is decided by the caller (cmd/mond): a real
// file of that name in mondir wins unless mond is told to prefer built-ins.
package monitors

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/lvskit/lvskit/compat/libc"
)

// Result is a monitor's output and exit status.
type Result struct {
	Output string
	Exit   int
}

// Func is a built-in monitor: args are argv[1:] as mon passes them (configured arguments
// followed by the hosts).
type Func func(ctx context.Context, args []string) Result

// Builtins maps a monitor script name to its built-in.
var Builtins = map[string]Func{
	"tcp.monitor":    TCP,
	"telnet.monitor": Telnet,
	"http.monitor":   HTTP,
	"smtp.monitor":   SMTP,
	"ping.monitor":   Ping,
	"fping.monitor":  FPing,
	"dns.monitor":    DNS,
}

// Lookup returns the built-in for a monitor name.
func Lookup(name string) (Func, bool) {
	f, ok := Builtins[name]
	return f, ok
}

// getopts parses args like perl's Getopt::Std::getopts(spec): single-letter options,
// "x:" taking a value (attached or the next argument), bundling allowed, stopping at the
// first non-option or "--". Unknown options are skipped (perl warns and goes on).
func getopts(spec string, args []string) (opts map[byte]string, rest []string) {
	opts = map[byte]string{}
	i := 0
	for ; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			i++
			break
		}
		if len(a) < 2 || a[0] != '-' {
			break
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			k := strings.IndexByte(spec, c)
			if k < 0 || c == ':' {
				fmt.Fprintf(os.Stderr, "Unknown option: %c\n", c)
				continue
			}
			if k+1 < len(spec) && spec[k+1] == ':' {
				if j+1 < len(a) {
					opts[c] = a[j+1:]
				} else if i+1 < len(args) {
					i++
					opts[c] = args[i]
				} else {
					opts[c] = ""
				}
				break
			}
			opts[c] = "1"
		}
	}
	return opts, args[i:]
}

// perlErr renders a network error the way perl's $! prints it: glibc's strerror text.
func perlErr(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return libc.Strerror(errno)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "Unknown host"
	}
	return err.Error()
}

// atoiDefault is perl's "$opt || default" for a numeric option.
func atoiDefault(s string, def int) int {
	n := 0
	seen := false
	for _, c := range strings.TrimSpace(s) {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
		seen = true
	}
	if !seen || n == 0 {
		return def
	}
	return n
}

// resolve4 is perl's inet_aton/gethostbyname: a dotted quad or a name's first IPv4
// address.
func resolve4(ctx context.Context, host string) (net.IP, error) {
	if ip := net.ParseIP(host); ip != nil {
		if ip4 := ip.To4(); ip4 != nil {
			return ip4, nil
		}
		return nil, fmt.Errorf("not IPv4")
	}
	ips, err := net.DefaultResolver.LookupIP(ctx, "ip4", host)
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("lookup %s failed", host)
	}
	return ips[0], nil
}
