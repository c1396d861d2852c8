package interop

import (
	"fmt"
	"os"
	"strings"
)

// Medium selects the heartbeat medium an ha.cf uses.
type Medium string

// The UDP media of heartbeat 3.0.6.
const (
	Ucast  Medium = "ucast"
	Bcast  Medium = "bcast"
	Mcast  Medium = "mcast"
	Ucast6 Medium = "ucast6"
	Mcast6 Medium = "mcast6"
)

// McastGroup and McastGroup6 are the groups used for mcast and mcast6 tests.
const (
	McastGroup  = "239.0.6.1"
	McastGroup6 = "ff05::6:1"
)

// Port is the udpport tests use (the manual's).
const Port = 1001

// HACF returns an R1 ha.cf for node self (0 or 1) of p, naming nodes names,
// on medium m, with short timers so tests stay quick. extra lines are
// appended (e.g. "auto_failback off").
func HACF(p *Pair, self int, names [2]string, m Medium, extra ...string) string {
	var b strings.Builder
	b.WriteString("keepalive 500ms\nwarntime 2\ndeadtime 4\ninitdead 6\n")
	fmt.Fprintf(&b, "udpport %d\n", Port)
	switch m {
	case Ucast:
		fmt.Fprintf(&b, "ucast %s %s\n", p.Iface, p.Addr[1-self])
	case Bcast:
		fmt.Fprintf(&b, "bcast %s\n", p.Iface)
	case Mcast:
		fmt.Fprintf(&b, "mcast %s %s %d 1 0\n", p.Iface, McastGroup, Port)
	case Ucast6:
		fmt.Fprintf(&b, "ucast6 %s %s\n", p.Iface, p.Addr6[1-self])
	case Mcast6:
		fmt.Fprintf(&b, "mcast6 %s %s %d 1 0\n", p.Iface, McastGroup6, Port)
	}
	b.WriteString("auto_failback on\n")
	fmt.Fprintf(&b, "node %s\nnode %s\n", names[0], names[1])
	b.WriteString("crm off\n")
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	return b.String()
}

// Authkeys returns an authkeys file using key 1 with method and secret.
func Authkeys(method, secret string) string {
	if method == "crc" {
		return "auth 1\n1 crc\n"
	}
	return fmt.Sprintf("auth 1\n1 %s %s\n", method, secret)
}

// Recorder returns a resource script that appends "<arg>" lines to logPath
// and answers status from a marker file next to it.
func Recorder(logPath string) string {
	return `#!/bin/sh
echo "$1" >> ` + logPath + `
case "$1" in
start) touch ` + logPath + `.on ;;
stop) rm -f ` + logPath + `.on ;;
status) if [ -f ` + logPath + `.on ]; then echo running; else echo stopped; fi ;;
esac
exit 0
`
}

// RecorderLines returns what a Recorder script logged ("start", "stop",
// "status"), oldest first.
func RecorderLines(logPath string) []string {
	b, err := os.ReadFile(logPath)
	if err != nil {
		return nil
	}
	return strings.Fields(string(b))
}
