package hacf

import (
	"fmt"
	"net/netip"
	"time"
)

// DefaultUDPPort is heartbeat's port when neither udpport nor /etc/services' ha-cluster
// entry says otherwise.
const DefaultUDPPort = 694

// Defaults heartbeat 3.0.6 applies when a directive is absent.
const (
	DefaultKeepalive = 1 * time.Second
	DefaultDeadtime  = 30 * time.Second
)

// AutoFailback is the auto_failback setting.
type AutoFailback int

const (
	// FailbackLegacy is heartbeat's default: resources go back to their home node, and
	// the node behaves as pre-auto_failback versions did (no hb_standby, no ipfail).
	FailbackLegacy AutoFailback = iota
	FailbackOn
	FailbackOff
)

func (a AutoFailback) String() string {
	switch a {
	case FailbackOn:
		return "on"
	case FailbackOff:
		return "off"
	}
	return "legacy"
}

// MediumKind says how heartbeats travel.
type MediumKind string

const (
	Bcast  MediumKind = "bcast"
	Mcast  MediumKind = "mcast"
	Ucast  MediumKind = "ucast"
	Mcast6 MediumKind = "mcast6"
	Ucast6 MediumKind = "ucast6"
	Serial MediumKind = "serial"
)

// Medium is one heartbeat path, named as heartbeat names its links.
type Medium struct {
	Kind      MediumKind
	Line      int
	Interface string     // bcast, mcast, ucast, mcast6, ucast6
	Port      int        // UDP port: udpport in force at declaration (bcast, ucast, ucast6), or mcast's own
	Group     netip.Addr // mcast, mcast6
	TTL       int        // mcast; mcast6: the hop limit
	Loop      bool       // mcast, mcast6
	Peers     []string   // ucast, ucast6 targets, addresses or host names, as written
	Device    string     // serial
}

// PingGroup is a ping_group: a pseudo-node that is up while any of its addresses answers.
type PingGroup struct {
	Name  string
	Addrs []string
	Line  int
}

// Child is a respawn (or failfast) line: a program heartbeat starts and restarts.
type Child struct {
	User     string
	Command  string // the whole command line, as written
	Path     string // its first word
	Failfast bool
	Line     int
}

// APIAuth is an apiauth line.
type APIAuth struct {
	Client     string
	UIDs, GIDs []string
	Line       int
}

// Directive is one directive as read, for tools that need what the file literally says.
type Directive struct {
	Name string
	Args []string
	Line int
}

// Config is ha.cf's content. Time fields hold the values heartbeat will use: Parse
// leaves unset ones zero, Check fills the defaults.
type Config struct {
	File string

	Nodes      []string // lower-cased, in order, each once
	Media      []Medium
	Pings      []string // ping nodes
	Pings6     []string // ping6 nodes: IPv6 addresses as written, lower-cased (their names), each once
	PingGroups []PingGroup

	Keepalive, Deadtime, Warntime, Initdead, Deadping time.Duration
	UDPPort                                           int // 0 until set or defaulted
	AutoFailback                                      AutoFailback
	AutoFailbackSet                                   bool

	HopFudge    int
	Debug       int
	Cluster     string
	LogFile     string
	DebugFile   string
	LogFacility string
	UseLogd     *bool
	Realtime    bool
	// Watchdog is the watchdog device ("watchdog" directive): written every keepalive,
	// closed with the magic 'V' on a clean stop.
	Watchdog string
	RTPrio   int

	Msgfmt                 string
	Compression            string
	CompressionThreshold   int
	TraditionalCompression bool
	Autojoin               string
	UUIDFrom               string
	Hbgenmethod            string
	MaxRexmitDelay         time.Duration
	Coredumps              bool
	Env                    map[string]string
	Children               []Child
	APIAuth                []APIAuth

	Directives []Directive
	// Warnings are what heartbeat would log as warnings, plus lvskit's own remarks on
	// settings heartbeatd accepts but does not act on.
	Warnings []*Diag

	// parse state
	valid                map[string]bool // directives set with a valid value
	watchdogSet, baudSet bool
	mediaSeen            bool
}

// Severity of a Diag.
type Severity int

const (
	Error Severity = iota
	Warning
)

// Diag is an error or warning tied to a place in a file.
type Diag struct {
	File     string
	Line     int // 0 when about the whole file
	Severity Severity
	Msg      string
	// Heartbeat is the line heartbeat 3.0.6 logs for the same problem, when it logs one,
	// without its "ERROR: " or "WARN: " prefix; tests compare it with the original's log.
	Heartbeat string
	// Unsupported marks an error that only heartbeatd raises: a directive or value
	// heartbeat accepts but heartbeatd does not implement.
	Unsupported bool
}

func (d *Diag) Error() string {
	if d.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", d.File, d.Line, d.Msg)
	}
	return fmt.Sprintf("%s: %s", d.File, d.Msg)
}
