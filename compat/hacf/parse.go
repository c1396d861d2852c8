package hacf

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strings"
	"time"
)

// DefaultPath is where heartbeat reads ha.cf; heartbeat names it this way in its messages.
const DefaultPath = "/etc/ha.d/ha.cf"

const (
	whitespace = " \t\n\r\f"
	delims     = ", \t\n\r\f"
	// maxLine bounds the memory one line may take. heartbeat reads lines of up to 1023
	// bytes; longer ones are refused here rather than split as fgets would.
	maxLine = 64 << 10
)

// Support says what heartbeatd does with a directive.
type Support int

const (
	// Honoured: heartbeatd acts on it as heartbeat does.
	Honoured Support = iota
	// Accepted: checked like heartbeat checks it, then without effect in heartbeatd; the
	// Note says why that is harmless.
	Accepted
	// NotImplemented: heartbeatd refuses to start with it (an error), rather than run
	// without a function the administrator asked for.
	NotImplemented
)

func (s Support) String() string {
	switch s {
	case Honoured:
		return "honoured"
	case Accepted:
		return "accepted, no effect"
	}
	return "not implemented"
}

// DirectiveInfo describes one ha.cf directive of heartbeat 3.0.6.
type DirectiveInfo struct {
	Name      string
	WholeLine bool // takes the rest of the line rather than each value on its own
	Support   Support
	Note      string
	set       func(c *Config, v string) error
}

// valueError is a problem with one value: what to tell the user, and what heartbeat logs.
type valueError struct {
	msg, heartbeat string
	unsupported    bool
}

func (e *valueError) Error() string { return e.msg }

func bad(hb, format string, args ...any) error {
	return &valueError{msg: fmt.Sprintf(format, args...), heartbeat: hb}
}

// Directives lists every directive heartbeat 3.0.6 knows, by name.
var Directives = map[string]*DirectiveInfo{}

func init() {
	for _, d := range directiveList {
		Directives[d.Name] = d
	}
}

func timeSetter(name string, min int64, field func(*Config) *time.Duration) func(*Config, string) error {
	return func(c *Config, v string) error {
		t, err := timeValue(name, v, min, "")
		if err != nil {
			return err
		}
		*field(c) = t
		return nil
	}
}

// timeValue reads a time directive's value: at least min milliseconds, at most MaxTime.
// hb is what heartbeat logs when it refuses the value, "" when it logs nothing.
func timeValue(name, v string, min int64, hb string) (time.Duration, error) {
	ms, ok := readMillis(v)
	if ok && ms > float64(MaxTime/time.Millisecond) {
		return 0, outOfRange(name, v, ms < hbLongMax, hb, "at most %d, one day; or %dms", int64(MaxTime/time.Second), MaxTime.Milliseconds())
	}
	if !ok || ms < float64(min) {
		cmp := ">= 0"
		if min > 0 {
			cmp = "> 0"
		}
		return 0, bad(hb, "%s %q: want a time %s: seconds (\"2\", \"1.5\") or with an ms or us suffix (\"500ms\"); heartbeat 3.0.6 does not accept an s suffix", name, v, cmp)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// outOfRange refuses a number above heartbeatd's bound. heartbeat accepts some of these
// (then wraps or misuses them): those errors are marked unsupported, and only the others
// may claim heartbeat's words.
func outOfRange(name, v string, hbAccepts bool, hb, allowed string, args ...any) error {
	msg := fmt.Sprintf("%s %s: out of range (%s)", name, v, fmt.Sprintf(allowed, args...))
	if hbAccepts {
		return &valueError{msg: msg, unsupported: true}
	}
	return &valueError{msg: msg, heartbeat: hb}
}

func boolSetter(name string, field func(*Config) *bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, ok := ParseBool(v)
		if !ok {
			return bad("", "%s %q: want a boolean (on/off, yes/no, true/false, y/n, 1/0)", name, v)
		}
		if field != nil {
			*field(c) = b
		}
		return nil
	}
}

func intSetter(name string, lo, hi int64, hb string, field func(*Config) *int) func(*Config, string) error {
	return func(c *Config, v string) error {
		n := atoi(v)
		if n < lo || n > hi {
			h := ""
			if hb != "" {
				h = fmt.Sprintf(hb, v)
			}
			return bad(h, "%s %q: want a number from %d to %d", name, v, lo, hi)
		}
		if field != nil {
			*field(c) = int(n)
		}
		return nil
	}
}

func oneOf(name string, fold bool, hb string, field func(*Config) *string, values ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		for _, w := range values {
			if v == w || (fold && strings.EqualFold(v, w)) {
				if field != nil {
					*field(c) = w
				}
				return nil
			}
		}
		h := ""
		if hb != "" {
			h = fmt.Sprintf(hb, v)
		}
		return bad(h, "%s %q: want one of %s", name, v, strings.Join(values, ", "))
	}
}

func ignoreValue(*Config, string) error { return nil }

// Parse reads ha.cf from r. name is used in messages (normally DefaultPath). It returns
// the configuration even when there are errors, with every error found (as *Diag,
// joined), so that a check reports them all at once as heartbeat does.
func Parse(name string, r io.Reader) (*Config, error) {
	c := &Config{File: name, Realtime: true, Coredumps: true, Msgfmt: "classic",
		Compression: "zlib", CompressionThreshold: 2, Autojoin: "none", UUIDFrom: "file",
		Hbgenmethod: "file", HopFudge: 1, Env: map[string]string{}, valid: map[string]bool{}}
	var errs []error
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLine)
	lineno := 0
	for sc.Scan() {
		lineno++
		if err := c.parseLine(lineno, sc.Text()); err != nil {
			errs = append(errs, err...)
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			err = fmt.Errorf("line longer than %d bytes", maxLine)
		}
		errs = append(errs, &Diag{File: name, Line: lineno + 1, Msg: err.Error()})
	}
	return c, errors.Join(errs...)
}

func (c *Config) parseLine(lineno int, line string) []error {
	bp := strings.TrimLeft(line, whitespace)
	if i := strings.IndexByte(bp, '#'); i >= 0 {
		bp = bp[:i]
	}
	if i := strings.IndexAny(bp, "\r\n"); i >= 0 {
		bp = bp[:i]
	}
	if bp == "" {
		return nil
	}
	n := strings.IndexAny(bp, whitespace)
	if n < 0 {
		n = len(bp)
	}
	name := bp[:n]
	rest := strings.TrimLeft(bp[n:], delims)
	var errs []error
	diag := func(err error) {
		d := &Diag{File: c.File, Line: lineno, Msg: err.Error()}
		var ve *valueError
		if errors.As(err, &ve) {
			d.Heartbeat = ve.heartbeat
			d.Unsupported = ve.unsupported
		}
		errs = append(errs, d)
	}
	if name == "udp" {
		c.warn(lineno, "directive 'udp' is the old name of 'bcast'", "WARNING: directive 'udp' replaced by 'bcast'")
		name = "bcast"
	}
	d := Directives[name]
	if d == nil {
		diag(bad(fmt.Sprintf("Illegal directive [%s] in /etc/ha.d//ha.cf", name), "unknown directive %q", name))
		return errs
	}
	var args []string
	if d.WholeLine {
		if rest != "" {
			args = []string{rest}
		}
	} else {
		args = strings.FieldsFunc(rest, func(r rune) bool { return strings.ContainsRune(delims, r) })
	}
	c.Directives = append(c.Directives, Directive{Name: name, Args: args, Line: lineno})
	if d.WholeLine && len(args) == 0 {
		args = []string{""}
	}
	for _, v := range args {
		if err := d.set(c, v); err != nil {
			diag(err)
		} else {
			c.valid[name] = true
		}
	}
	if d.Support == NotImplemented {
		diag(&valueError{msg: fmt.Sprintf("%s: not implemented by heartbeatd: %s", name, d.Note), unsupported: true})
	}
	return errs
}

func (c *Config) warn(line int, msg, hb string) {
	c.Warnings = append(c.Warnings, &Diag{File: c.File, Line: line, Severity: Warning, Msg: msg, Heartbeat: hb})
}

// HasNode reports whether name (any case) is a declared cluster node.
func (c *Config) HasNode(name string) bool {
	name = strings.ToLower(name)
	for _, n := range c.Nodes {
		if n == name {
			return true
		}
	}
	return false
}

func (c *Config) addNode(v string) error {
	v = strings.ToLower(v)
	if !c.HasNode(v) {
		c.Nodes = append(c.Nodes, v)
	}
	return nil
}

func (c *Config) currentLine() int {
	if len(c.Directives) == 0 {
		return 0
	}
	return c.Directives[len(c.Directives)-1].Line
}

func (c *Config) addBcast(v string) error {
	c.Media = append(c.Media, Medium{Kind: Bcast, Line: c.currentLine(), Interface: v, Port: c.UDPPort})
	c.mediaSeen = true
	return nil
}

func (c *Config) addUcast(v string) error {
	f := strings.Fields(v)
	if len(f) == 0 {
		return bad("", "ucast: want an interface and a peer address")
	}
	if len(f) < 2 {
		return bad(fmt.Sprintf("glib: ucast: [%s] missing target IP address/hostname", f[0]), "ucast %s: want a peer address or host name after the interface", f[0])
	}
	c.Media = append(c.Media, Medium{Kind: Ucast, Line: c.currentLine(), Interface: f[0], Port: c.UDPPort, Peers: f[1:]})
	c.mediaSeen = true
	return nil
}

func (c *Config) addMcast(v string) error { return c.addMulticast(Mcast, v) }

// addMcast6 reads "mcast6 interface group port hops loop", mcast's form with an IPv6
// group and a hop limit (heartbeat 3.0.6's mcast6 plugin).
func (c *Config) addMcast6(v string) error { return c.addMulticast(Mcast6, v) }

func (c *Config) addMulticast(kind MediumKind, v string) error {
	f := strings.Fields(v)
	ttl := "ttl"
	if kind == Mcast6 {
		ttl = "hops"
	}
	names := []string{"interface", "multicast group", "port", ttl, "loop"}
	if len(f) < len(names) {
		hb := ""
		switch {
		case kind == Mcast && len(f) == 4:
			hb = fmt.Sprintf("glib: mcast [%s] missing loop", f[0])
		case kind == Mcast6 && len(f) >= 2:
			hb = fmt.Sprintf("mcast6 [%s] missing %s", f[0], names[len(f)])
		}
		return bad(hb, "%s: want \"%s interface group port %s loop\", missing %s", kind, kind, ttl, names[len(f)])
	}
	m := Medium{Kind: kind, Line: c.currentLine(), Interface: f[0]}
	g, err := netip.ParseAddr(f[1])
	if kind == Mcast && (err != nil || !g.Is4() || !g.IsMulticast()) {
		return bad(fmt.Sprintf("glib: mcast [%s] bad addr [%s]", f[0], f[1]), "mcast %s: group %q is not an IPv4 multicast address (224.0.0.0-239.255.255.255)", f[0], f[1])
	}
	if kind == Mcast6 && (err != nil || !g.Is6() || g.Is4In6() || !g.IsMulticast() || g.Zone() != "") {
		return bad(fmt.Sprintf(" mcast6 [%s] bad addr [%s]", f[0], f[1]), "mcast6 %s: group %q is not an IPv6 multicast address (ff00::/8)", f[0], f[1])
	}
	m.Group = g
	if p := atoi(f[2]); p <= 0 || p > 65535 {
		return bad("", "%s %s: port %q: want 1-65535", kind, f[0], f[2])
	} else {
		m.Port = int(p)
	}
	if t := atoi(f[3]); t < 0 || t > 255 {
		return bad("", "%s %s: %s %q: want 0-255", kind, f[0], ttl, f[3])
	} else {
		m.TTL = int(t)
	}
	switch atoi(f[4]) {
	case 0:
	case 1:
		m.Loop = true
	default:
		return bad("", "%s %s: loop %q: want 0 or 1", kind, f[0], f[4])
	}
	c.Media = append(c.Media, m)
	c.mediaSeen = true
	return nil
}

// addUcast6 reads "ucast6 interface peer...", ucast's form with IPv6 peers (addresses
// or host names) on the udpport in force.
func (c *Config) addUcast6(v string) error {
	f := strings.Fields(v)
	if len(f) < 2 {
		return bad("", "ucast6: want an interface and a peer's IPv6 address or host name")
	}
	for _, p := range f[1:] {
		if a, err := netip.ParseAddr(p); err == nil && (!a.Is6() || a.Is4In6()) {
			return bad(fmt.Sprintf("ucast6 [%s] bad addr [%s]", f[0], p), "ucast6 %s: %s is not an IPv6 address (use ucast for IPv4)", f[0], p)
		}
	}
	c.Media = append(c.Media, Medium{Kind: Ucast6, Line: c.currentLine(), Interface: f[0], Port: c.UDPPort, Peers: f[1:]})
	c.mediaSeen = true
	return nil
}

// addPing6 reads one value of "ping6 address...". heartbeat 3.0.6's ping6 plugin takes
// only what inet_pton(AF_INET6) takes (no host name, no IPv4 address, no "%zone") and
// refuses anything else: "Illegal ping6 [ping6 membership] in config file [v]". It
// names the node after the address as written, lower-cased as every node name; an
// address written again is the same node, one written differently ("::1", "0::1") is
// another.
func (c *Config) addPing6(v string) error {
	if !ValidPing6(v) {
		return bad(fmt.Sprintf("Illegal ping6 [ping6 membership] in config file [%s]", v),
			"ping6 %q: want an IPv6 address (heartbeat 3.0.6's ping6 takes no host name, IPv4 address or %%zone)", v)
	}
	name := strings.ToLower(v)
	if name != v {
		// 3.0.6 lists the node in lower case but its plugin reports the replies under the
		// name as written, which the master refuses ("bad node [FD00::1] in message"): the
		// node never comes up there.
		c.warn(c.currentLine(), fmt.Sprintf("ping6 %s: heartbeat 3.0.6 never counts this ping node up (it names it %s, then refuses its replies as from an unknown node %s); heartbeatd does; write it in lower case for both to agree", v, name, v), "")
	}
	for _, p := range c.Pings6 {
		if p == name {
			return nil
		}
	}
	c.Pings6 = append(c.Pings6, name)
	return nil
}

// ValidPing6 reports whether heartbeat 3.0.6's ping6 accepts addr: an IPv6 address in
// text form (inet_pton's, which the address parser here matches: "::ffff:1.2.3.4" is
// one, "1.2.3.4", "fe80::1%eth0" and host names are not).
func ValidPing6(addr string) bool {
	a, err := netip.ParseAddr(addr)
	return err == nil && a.Is6() && a.Zone() == ""
}

func (c *Config) addPingGroup(v string) error {
	f := strings.Fields(v)
	if len(f) < 2 {
		return bad("", "ping_group: want a group name and at least one address")
	}
	c.PingGroups = append(c.PingGroups, PingGroup{Name: f[0], Addrs: f[1:], Line: c.currentLine()})
	return nil
}

func (c *Config) setUDPPort(v string) error {
	p := atoi(v)
	if p <= 0 {
		return bad(fmt.Sprintf("heartbeat: invalid port [%s] specified.", v), "udpport %q: want a port number 1-65535", v)
	}
	if p > 65535 {
		// heartbeat takes the port modulo 65536 without a word; refuse instead.
		return &valueError{msg: fmt.Sprintf("udpport %q: want a port number 1-65535 (heartbeat would silently use it modulo 65536)", v), unsupported: true}
	}
	if c.mediaSeen {
		c.warn(c.currentLine(), fmt.Sprintf("udpport %s comes after bcast/ucast lines, which keep the port in force when they were read (as in heartbeat)", v), "")
	}
	c.UDPPort = int(p)
	return nil
}

func (c *Config) setAutoFailback(v string) error {
	if b, ok := ParseBool(v); ok {
		c.AutoFailback = FailbackOff
		if b {
			c.AutoFailback = FailbackOn
		}
		c.AutoFailbackSet = true
		return nil
	}
	if strings.EqualFold(v, "legacy") {
		c.AutoFailback = FailbackLegacy
		c.AutoFailbackSet = false
		return nil
	}
	return bad("", "auto_failback %q: want on, off or legacy", v)
}

// setNiceFailback reproduces heartbeat 3.0.6 exactly: whatever the value, nice_failback
// means "auto_failback off" when an auto_failback on/off line came before it, and
// "auto_failback legacy" otherwise. (heartbeat tests its own global where it meant the
// value; heartbeatd must agree with a peer running it.)
func (c *Config) setNiceFailback(v string) error {
	line := c.currentLine()
	c.warn(line, "nice_failback is obsolete: use auto_failback on, off or legacy",
		"nice_failback flag is obsolete.. Use auto_failback {on, off, legacy} instead.")
	if _, ok := ParseBool(v); !ok {
		return bad("", "nice_failback %q: want a boolean", v)
	}
	if c.AutoFailbackSet {
		c.warn(line, fmt.Sprintf("'nice_failback %s' means 'auto_failback off' here, because an auto_failback line comes before it", v),
			fmt.Sprintf("'nice_failback %s' has been changed to 'auto_failback off'", v))
		c.AutoFailback = FailbackOff
	} else {
		c.warn(line, fmt.Sprintf("heartbeat 3.0.6 reads 'nice_failback %s' as 'auto_failback legacy' (resources return to their home node); write 'auto_failback off' to keep them where they are", v),
			fmt.Sprintf("nice_failback %s has been strictly interpreted as 'auto_failback legacy'", v))
		c.AutoFailback = FailbackLegacy
	}
	return nil
}

func (c *Config) setLogFacility(v string) error {
	if !syslogFacilities[v] {
		return bad(fmt.Sprintf("Log facility(%s) not valid", v), "logfacility %q: want a syslog facility name such as daemon or local0 (lower case), or none", v)
	}
	c.LogFacility = v
	return nil
}

func (c *Config) setUseLogd(v string) error {
	b, ok := ParseBool(v)
	if !ok {
		return bad("", "use_logd %q: want a boolean", v)
	}
	c.UseLogd = &b
	return nil
}

func (c *Config) setEnv(v string) error {
	i := strings.IndexByte(v, '=')
	if i <= 0 {
		return bad(fmt.Sprintf("set_env: invalid nvpair(%s)", v), "env %q: want NAME=value", v)
	}
	c.Env["HA_"+v[:i]] = v[i+1:]
	return nil
}

func (c *Config) setWatchdog(v string) error {
	if c.watchdogSet {
		return bad("heartbeat: Watchdog device multiply specified.", "watchdog given twice")
	}
	c.watchdogSet = true
	c.Watchdog = v
	return nil
}

func (c *Config) setBaud(v string) error {
	if c.baudSet {
		return bad("heartbeat: Baudrate multiply specified.", "baud given twice")
	}
	c.baudSet = true
	switch atoi(v) {
	case 9600, 19200, 38400, 57600, 115200, 230400, 460800:
		return nil
	}
	return bad(fmt.Sprintf("heartbeat: invalid baudrate [%s] specified.", v), "baud %q: want 9600, 19200, 38400, 57600, 115200, 230400 or 460800", v)
}

func (c *Config) setPacemaker(v string) error {
	if b, ok := ParseBool(v); ok && !b {
		return nil
	}
	for _, w := range []string{"minimal", "manual", "respawn", "valgrind"} {
		if strings.EqualFold(v, w) {
			return &valueError{msg: fmt.Sprintf("crm/pacemaker %s: not supported: heartbeatd implements heartbeat's R1 resource management (haresources) only; use 'crm off' or remove the line", v), unsupported: true}
		}
	}
	if _, ok := ParseBool(v); ok {
		return &valueError{msg: fmt.Sprintf("crm/pacemaker %s: not supported: heartbeatd implements heartbeat's R1 resource management (haresources) only; use 'crm off' or remove the line", v), unsupported: true}
	}
	return bad("", "crm/pacemaker %q: want on, off, respawn, minimal, manual or valgrind", v)
}

func childSetter(failfast bool) func(*Config, string) error {
	return func(c *Config, v string) error {
		uid := v
		if i := strings.IndexAny(v, whitespace); i >= 0 {
			uid = v[:i]
		}
		cmd := strings.TrimLeft(strings.TrimPrefix(v, uid), whitespace)
		if uid == "" || cmd == "" {
			return bad("", "respawn: want \"respawn user /path/to/program [args]\"")
		}
		if cmd[0] != '/' {
			return bad(fmt.Sprintf("Client child command [%s] is not full pathname", cmd), "respawn %s: command %q is not a full path name", uid, cmd)
		}
		path := cmd
		if i := strings.IndexAny(cmd, whitespace); i >= 0 {
			path = cmd[:i]
		}
		c.Children = append(c.Children, Child{User: uid, Command: cmd, Path: path, Failfast: failfast, Line: c.currentLine()})
		return nil
	}
}

func (c *Config) setAPIAuth(v string) error {
	hb := fmt.Sprintf("Invalid apiauth directive [%s]", v)
	f := strings.Fields(v)
	if len(f) == 0 {
		return bad(hb, "apiauth: want \"apiauth client uid=list gid=list\"")
	}
	a := APIAuth{Client: f[0], Line: c.currentLine()}
	var uidSet, gidSet bool
	for _, kv := range f[1:] {
		switch {
		case strings.HasPrefix(kv, "uid="):
			if uidSet {
				return bad(hb, "apiauth %s: uid= given twice", a.Client)
			}
			uidSet, a.UIDs = true, splitList(kv[4:])
		case strings.HasPrefix(kv, "gid="):
			if gidSet {
				return bad(hb, "apiauth %s: gid= given twice", a.Client)
			}
			gidSet, a.GIDs = true, splitList(kv[4:])
		default:
			return bad(hb, "apiauth %s: %q is neither uid=list nor gid=list", a.Client, kv)
		}
	}
	if !uidSet && !gidSet {
		return bad(hb, "apiauth %s: want uid=list and/or gid=list", a.Client)
	}
	for _, o := range c.APIAuth {
		if o.Client == a.Client {
			return bad(fmt.Sprintf("Duplicate apiauth directive for API client %s: [%s]", a.Client, v), "apiauth %s given twice", a.Client)
		}
	}
	c.APIAuth = append(c.APIAuth, a)
	return nil
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

func (c *Config) stonithLine(v string) error {
	if strings.TrimSpace(v) == "" {
		return bad("No Stonith type given", "stonith: want a STONITH device type")
	}
	return nil
}
