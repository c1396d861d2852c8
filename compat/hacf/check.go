package hacf

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Host answers the questions about this machine that heartbeat asks while checking its
// configuration. A nil Host skips those checks.
type Host interface {
	InterfaceExists(name string) bool
	UserExists(name string) bool
	Executable(path string) bool
	// Resolvable reports whether a ucast peer (address or host name) resolves.
	Resolvable(host string) bool
	// Resolvable6 reports whether a ucast6 peer resolves to an IPv6 address as the
	// original's plugin resolves it (getaddrinfo for IPv6 with AI_ADDRCONFIG): never on
	// a host without an IPv6 address beyond loopback.
	Resolvable6(host string) bool
	// UDPService names the /etc/services entry for a UDP port, "" if none.
	UDPService(port int) string
	// ServicePort is the /etc/services UDP port of a service name, 0 if none.
	ServicePort(name string) int
}

// Check fills in the defaults heartbeat applies after reading ha.cf and checks the whole
// configuration as heartbeat does before starting, for the node named localNode (uname
// -n). It returns every error (as *Diag, joined); warnings are added to c.Warnings.
func (c *Config) Check(localNode string, host Host) error {
	var errs []error
	fail := func(hb, format string, args ...any) {
		errs = append(errs, &Diag{File: c.File, Msg: fmt.Sprintf(format, args...), Heartbeat: hb})
	}
	failAt := func(line int, hb, format string, args ...any) {
		errs = append(errs, &Diag{File: c.File, Line: line, Msg: fmt.Sprintf(format, args...), Heartbeat: hb})
	}
	ms := func(d time.Duration) int64 { return d.Milliseconds() }

	if c.Keepalive == 0 {
		c.Keepalive = DefaultKeepalive
	}
	if !c.has("deadtime") {
		c.Deadtime = DefaultDeadtime
	}
	if len(c.Media) == 0 {
		fail("No heartbeat media defined", "no heartbeat media: want at least one bcast, mcast or ucast line")
	}
	if c.Warntime <= 0 {
		c.Warntime = c.Deadtime / 2
	}
	if len(c.Nodes) == 0 && !strings.EqualFold(c.Autojoin, "any") {
		fail("no nodes defined", "no node lines")
	}
	if local := strings.ToLower(localNode); !c.HasNode(local) {
		if strings.EqualFold(c.Autojoin, "any") {
			c.Nodes = append(c.Nodes, local)
		} else {
			fail(fmt.Sprintf("Current node [%s] not in configuration!", local),
				"this node %q (uname -n) is not declared: add \"node %s\"", local, local)
		}
	}
	if ms(c.Deadtime) <= 2*ms(c.Keepalive) {
		fail(fmt.Sprintf("Dead time [%d] is too small compared to keeplive [%d]", ms(c.Deadtime), ms(c.Keepalive)),
			"deadtime %v must be more than twice keepalive %v", c.Deadtime, c.Keepalive)
	}
	if c.Warntime >= c.Deadtime {
		c.Warnings = append(c.Warnings, &Diag{File: c.File, Severity: Warning,
			Msg: fmt.Sprintf("warntime %v is not below deadtime %v: no late-heartbeat warning will come before a node is declared dead", c.Warntime, c.Deadtime)})
	}
	if !c.has("initdead") {
		switch {
		case c.Deadtime > 10*time.Second:
			c.Initdead = c.Deadtime
		case c.Deadtime < 6*time.Second:
			c.Initdead = 12 * time.Second
		default:
			c.Initdead = 2 * c.Deadtime
		}
	}
	if c.Initdead < c.Deadtime {
		fail(fmt.Sprintf("Initial dead time [%d] is smaller than deadtime [%d]", ms(c.Initdead), ms(c.Deadtime)),
			"initdead %v is smaller than deadtime %v", c.Initdead, c.Deadtime)
	} else if c.Initdead < 10*time.Second {
		c.Warnings = append(c.Warnings, &Diag{File: c.File, Severity: Warning,
			Msg:       fmt.Sprintf("initdead %v may be too small: it covers slow network start-up and should be at least deadtime and 10 s", c.Initdead),
			Heartbeat: fmt.Sprintf("Initial dead time [%d ms] may be too small!", ms(c.Initdead))})
	} else if c.Initdead < 2*c.Deadtime && c.has("initdead") {
		c.Warnings = append(c.Warnings, &Diag{File: c.File, Severity: Warning,
			Msg: fmt.Sprintf("initdead %v is less than twice deadtime %v, as ha.cf's documentation recommends", c.Initdead, c.Deadtime)})
	}
	if !c.has("deadping") {
		c.Deadping = c.Deadtime
	} else if ms(c.Deadping) <= 2*ms(c.Keepalive) {
		fail(fmt.Sprintf("Ping dead time [%d] is too small compared to keeplive [%d]", ms(c.Deadping), ms(c.Keepalive)),
			"deadping %v must be more than twice keepalive %v", c.Deadping, c.Keepalive)
	}
	defPort := DefaultUDPPort
	if host != nil {
		if p := host.ServicePort("ha-cluster"); p > 0 {
			defPort = p
		}
	}
	if c.UDPPort == 0 {
		c.UDPPort = defPort
	}
	for i := range c.Media {
		if c.Media[i].Port == 0 {
			c.Media[i].Port = defPort
		}
	}
	if c.AutoFailback == FailbackLegacy {
		c.Warnings = append(c.Warnings, &Diag{File: c.File, Severity: Warning,
			Msg:       "auto_failback is legacy (the default): resources return to their home node; write 'auto_failback on' or 'off'",
			Heartbeat: "Deprecated 'legacy' auto_failback option selected."})
	}
	noSyslog := c.LogFacility == "" || c.LogFacility == "none" || c.LogFacility == "kern"
	if c.LogFile == "" && c.DebugFile == "" && noSyslog && c.UseLogd != nil && !*c.UseLogd {
		fail("No log entry found in ha.cf and use_logd is set to off", "no logfile, debugfile or logfacility, and use_logd is off: nowhere to log")
	}
	if !strings.EqualFold(c.Autojoin, "none") {
		fail("R1 style resource management conflicts with  autojoin set",
			"autojoin %s conflicts with R1 (haresources) resource management; remove it or set it to none", c.Autojoin)
	}

	if host != nil {
		if c.UDPPort != defPort {
			if s := host.UDPService(c.UDPPort); s != "" && s != "ha-cluster" {
				c.Warnings = append(c.Warnings, &Diag{File: c.File, Severity: Warning,
					Msg:       fmt.Sprintf("udp port %d is reserved for service %q in /etc/services", c.UDPPort, s),
					Heartbeat: fmt.Sprintf("heartbeat: udp port %d reserved for service \"%s\".", c.UDPPort, s)})
			}
		}
		for _, m := range c.Media {
			switch m.Kind {
			case Bcast:
				if !host.InterfaceExists(m.Interface) {
					failAt(m.Line, fmt.Sprintf("Illegal bcast [UDP/IP broadcast] in config file [%s]", m.Interface),
						"bcast %s: no such network interface", m.Interface)
				}
			case Ucast:
				for _, p := range m.Peers {
					if !host.Resolvable(p) {
						failAt(m.Line, "glib: ucast: cannot resolve hostname", "ucast %s: cannot resolve %q", m.Interface, p)
					}
				}
			case Ucast6:
				for _, p := range m.Peers {
					if !host.Resolvable6(p) {
						failAt(m.Line, fmt.Sprintf("glib: ucast6 [%s] bad addr [%s]", m.Interface, p),
							"ucast6 %s: %q does not resolve to an IPv6 address here (or this host has no IPv6 address but loopback)", m.Interface, p)
					}
				}
			}
		}
		for _, ch := range c.Children {
			if !host.UserExists(ch.User) {
				failAt(ch.Line, fmt.Sprintf("Invalid uid [%s] specified for client child", ch.User), "respawn: no such user %q", ch.User)
			}
			if !ch.IsIPFail() && !host.Executable(ch.Path) {
				failAt(ch.Line, fmt.Sprintf("Client child command [%s] is not executable", ch.Path), "respawn: %s is not an executable file", ch.Path)
			}
		}
	}
	return errors.Join(errs...)
}

// IsIPFail reports whether the child is heartbeat's ipfail, which heartbeatd has built in
// (so the program need not exist once heartbeat is uninstalled).
func (ch Child) IsIPFail() bool {
	return ch.Path == "ipfail" || strings.HasSuffix(ch.Path, "/ipfail")
}

// IPFail reports whether ha.cf asks for ipfail.
func (c *Config) IPFail() bool {
	for _, ch := range c.Children {
		if ch.IsIPFail() {
			return true
		}
	}
	return false
}

// has reports whether name was set with a valid value (an invalid one is already an
// error, and must not also be checked as if it were zero).
func (c *Config) has(name string) bool { return c.valid[name] }
