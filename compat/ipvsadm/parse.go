package ipvsadm

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	"github.com/lvskit/lvskit/internal/ipvs"
)

// Cmd is an ipvsadm command (CMD_* in ipvsadm.c, same order).
type Cmd int

const (
	CmdNone Cmd = iota
	CmdAdd
	CmdEdit
	CmdDel
	CmdFlush
	CmdList
	CmdAddDest
	CmdDelDest
	CmdEditDest
	CmdTimeout
	CmdStartDaemon
	CmdStopDaemon
	CmdRestore
	CmdSave
	CmdZero
)

var cmdNames = [...]string{
	"add-service", "edit-service", "delete-service", "flush", "list", "add-server",
	"delete-server", "edit-server", "set", "start-daemon", "stop-daemon", "restore", "save",
	"zero",
}

// Option bit numbers (OPTC_* in ipvsadm.c, same order: the compatibility check walks them
// in this order, which decides which message is printed).
const (
	optNumeric = iota
	optConnection
	optService
	optScheduler
	optPersistent
	optNetmask
	optServer
	optForward
	optWeight
	optUThreshold
	optLThreshold
	optMcast
	optTimeout
	optDaemon
	optStats
	optRate
	optThresholds
	optPersistentConn
	optNoSort
	optSyncID
	optExact
	optOnePacket
	optPE
	optSchedFlags
	optMcastGroup
	optMcastPort
	optMcastTTL
	optSyncMaxLen
	optTunInfo
	optTunType
	optTunPort
	optTunNoCsum
	optTunCsum
	optTunRemCsum
	numOpts
)

var optNames = [numOpts]string{
	"numeric", "connection", "service-address", "scheduler", "persistent", "netmask",
	"real-server", "forwarding-method", "weight", "u-threshold", "l-threshold",
	"mcast-interface", "timeout", "daemon", "stats", "rate", "thresholds", "persistent-conn",
	"nosort", "syncid", "exact", "ops", "pe", "sched-flags", "mcast-group", "mcast-port",
	"mcast-ttl", "sync-maxlen", "tun-info", "tun-type", "tun-port", "tun-nocsum", "tun-csum",
	"tun-remcsum",
}

// commandsVsOptions is ipvsadm's table of legal command/option combinations: '+'
// compulsory, 'x' illegal, '1' at most one of the '1's, ' ' optional. Columns follow the
// opt* order above.
var commandsVsOptions = [...]string{
	// columns: n c svc s p M r fwd w x y mcast tmo dmn st rt thr pc nosort sid ex ops pe b grp port ttl maxlen tinf ttype tport nocs csum remc
	CmdAdd - 1:         "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",
	CmdEdit - 1:        "xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx",
	CmdDel - 1:         "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	CmdFlush - 1:       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	CmdList - 1:        " 11xxxxxxxxx11       xxxxxxx xxxxx",
	CmdAddDest - 1:     "xx+xxx+    xxxxxxxxxxxxxxxxxx     ",
	CmdDelDest - 1:     "xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx",
	CmdEditDest - 1:    "xx+xxx+    xxxxxxxxxxxxxxxxxx     ",
	CmdTimeout - 1:     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	CmdStartDaemon - 1: "xxxxxxxxxxx xxxxxxx xxxx    xxxxxx",
	CmdStopDaemon - 1:  "xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx",
	CmdRestore - 1:     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	CmdSave - 1:        " xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	CmdZero - 1:        "xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
}

// Tunnel types and the tunnel option check table (tunnel_types_v_options).
var tunNames = [...]string{"ipip", "gue", "gre"}
var tunFlagNames = [...]string{"-c", "+c", "r+c"}
var tunFlagOpts = [...]string{"--tun-nocsum", "--tun-csum", "--tun-remcsum"}
var tunOpts = [...]int{optTunPort, optTunNoCsum, optTunCsum, optTunRemCsum}
var tunnelTypesVsOptions = [...]string{
	"xxxx", // ipip
	"+111", // gue
	"x11x", // gre
}

// Format are the FMT_* listing flags.
type Format uint32

const (
	FmtNumeric Format = 1 << iota
	FmtRule
	FmtStats
	FmtRate
	FmtThresholds
	FmtPersistentConn
	FmtNoSort
	FmtExact
	FmtTunInfo
)

// Service mirrors ipvs_service_t as ipvsadm fills it while parsing.
type Service struct {
	AF       uint16
	Protocol uint16
	Addr     [16]byte // IPv4 in the first 4 bytes
	Port     uint16
	FWMark   uint32
	Sched    string
	Flags    uint32
	Timeout  uint32
	Netmask  uint32 // IPv4: the mask's bytes as a big-endian number; IPv6: prefix length
	PEName   string
}

// Dest mirrors ipvs_dest_t.
type Dest struct {
	AF         uint16
	Addr       [16]byte
	Port       uint16
	ConnFlags  uint32
	Weight     int32
	UThreshold uint32
	LThreshold uint32
	TunType    uint8
	TunPort    uint16
	TunFlags   uint16
}

// Daemon mirrors ipvs_daemon_t.
type Daemon struct {
	State      uint32
	McastIfn   string
	SyncID     uint32
	SyncMaxLen uint16
	McastAF    uint16
	McastGroup [16]byte
	McastPort  uint16
	McastTTL   uint8
}

// Command is one parsed ipvsadm command line.
type Command struct {
	Cmd      Cmd
	Options  uint64
	Format   Format
	Svc      Service
	Dest     Dest
	Timeouts ipvs.Timeouts
	Daemon   Daemon
}

// Has reports whether option bit o was given.
func (c *Command) Has(o int) bool { return c.Options&(1<<uint(o)) != 0 }

// Exit ends ipvsadm at once: Stdout/Stderr are printed and the process exits with Code
// (C's fail(), usage_exit(), version_exit(), tryhelp_exit()). Code -1 is exit status 255.
//
// Return marks process_options' "return -1" rather than exit(): a popt error found after
// the command word. Outside -R it ends ipvsadm with status 255 all the same; inside -R the
// restore goes on with the next line.
//
// Crash marks where ipvsadm 1.31 dies of SIGSEGV (Code 139, as a shell reports it):
// nothing more is printed and its buffered stdout is lost.
type Exit struct {
	Code   int
	Stdout string
	Stderr string
	Return bool
	Crash  bool
}

func (e *Exit) Error() string { return fmt.Sprintf("exit %d: %s%s", e.Code, e.Stdout, e.Stderr) }

// Status is the process exit status for Code.
func (e *Exit) Status() int { return e.Code & 0xff }

func fail(code int, format string, args ...any) *Exit {
	return &Exit{Code: code, Stderr: fmt.Sprintf(format, args...) + "\n"}
}

// Protocol numbers and address families.
const (
	afInet  = 2
	afInet6 = 10

	protoTCP  = 6
	protoUDP  = 17
	protoSCTP = 132
)

// IP_VS_* constants.
const (
	svcFPersistent = 0x0001
	svcFOnePacket  = 0x0004
	svcFSched1     = 0x0008
	svcFSched2     = 0x0010
	svcFSched3     = 0x0020

	connFMasq      = 0x0000
	connFLocalNode = 0x0001
	connFTunnel    = 0x0002
	connFDRoute    = 0x0003
	connFFwdMask   = 0x0007

	stateMaster = 1
	stateBackup = 2

	maxTimeout              = 86400 * 31
	defaultPersistTimeout   = 360
	defSched                = "wlc"
	defMcastIfn             = "eth0"
	schedNameMax            = 16
	peNameMax               = 16
	ifNameMax               = 16
	serviceNone, serviceAdr = 0, 1
	servicePort             = 2
)

// Tags of options that have no short name (values outside ASCII, as in ipvsadm.c).
const (
	tagSet = 128 + iota
	tagStartDaemon
	tagStopDaemon
	tagMcastInterface
	tagTimeout
	tagDaemon
	tagStats
	tagRate
	tagThresholds
	tagPersistentConn
	tagSort
	tagNoSort
	tagPE
	tagSCTPService
	tagMcastGroup
	tagMcastPort
	tagMcastTTL
	tagSyncMaxLen
	tagTunInfo
	tagTunType
	tagTunPort
	tagTunNoCsum
	tagTunCsum
	tagTunRemCsum
)

var optionsTable = []poptOption{
	{"add-service", 'A', poptArgNone, false, 'A'},
	{"edit-service", 'E', poptArgNone, false, 'E'},
	{"delete-service", 'D', poptArgNone, false, 'D'},
	{"clear", 'C', poptArgNone, false, 'C'},
	{"list", 'L', poptArgNone, false, 'L'},
	{"list", 'l', poptArgNone, false, 'l'},
	{"zero", 'Z', poptArgNone, false, 'Z'},
	{"add-server", 'a', poptArgNone, false, 'a'},
	{"edit-server", 'e', poptArgNone, false, 'e'},
	{"delete-server", 'd', poptArgNone, false, 'd'},
	{"set", 0, poptArgNone, false, tagSet},
	{"help", 'h', poptArgNone, false, 'h'},
	{"version", 'v', poptArgNone, false, 'v'},
	{"restore", 'R', poptArgNone, false, 'R'},
	{"save", 'S', poptArgNone, false, 'S'},
	{"start-daemon", 0, poptArgString, false, tagStartDaemon},
	{"stop-daemon", 0, poptArgString, false, tagStopDaemon},
	{"tcp-service", 't', poptArgString, false, 't'},
	{"udp-service", 'u', poptArgString, false, 'u'},
	{"sctp-service", 0, poptArgString, false, tagSCTPService},
	{"fwmark-service", 'f', poptArgString, false, 'f'},
	{"scheduler", 's', poptArgString, false, 's'},
	{"persistent", 'p', poptArgString, true, 'p'},
	{"netmask", 'M', poptArgString, false, 'M'},
	{"real-server", 'r', poptArgString, false, 'r'},
	{"masquerading", 'm', poptArgNone, false, 'm'},
	{"ipip", 'i', poptArgNone, false, 'i'},
	{"gatewaying", 'g', poptArgNone, false, 'g'},
	{"weight", 'w', poptArgString, false, 'w'},
	{"u-threshold", 'x', poptArgString, false, 'x'},
	{"l-threshold", 'y', poptArgString, false, 'y'},
	{"numeric", 'n', poptArgNone, false, 'n'},
	{"connection", 'c', poptArgNone, false, 'c'},
	{"mcast-interface", 0, poptArgString, false, tagMcastInterface},
	{"syncid", 0, poptArgString, false, 'I'},
	{"timeout", 0, poptArgNone, false, tagTimeout},
	{"daemon", 0, poptArgNone, false, tagDaemon},
	{"stats", 0, poptArgNone, false, tagStats},
	{"rate", 0, poptArgNone, false, tagRate},
	{"thresholds", 0, poptArgNone, false, tagThresholds},
	{"persistent-conn", 0, poptArgNone, false, tagPersistentConn},
	{"nosort", 0, poptArgNone, false, tagNoSort},
	{"sort", 0, poptArgNone, false, tagSort},
	{"exact", 'X', poptArgNone, false, 'X'},
	{"ipv6", '6', poptArgNone, false, '6'},
	{"ops", 'o', poptArgNone, false, 'o'},
	{"pe", 0, poptArgString, false, tagPE},
	{"sched-flags", 'b', poptArgString, false, 'b'},
	{"mcast-group", 0, poptArgString, false, tagMcastGroup},
	{"mcast-port", 0, poptArgString, false, tagMcastPort},
	{"mcast-ttl", 0, poptArgString, false, tagMcastTTL},
	{"sync-maxlen", 0, poptArgString, false, tagSyncMaxLen},
	{"tun-info", 0, poptArgNone, false, tagTunInfo},
	{"tun-type", 0, poptArgString, false, tagTunType},
	{"tun-port", 0, poptArgString, false, tagTunPort},
	{"tun-nocsum", 0, poptArgNone, false, tagTunNoCsum},
	{"tun-csum", 0, poptArgNone, false, tagTunCsum},
	{"tun-remcsum", 0, poptArgNone, false, tagTunRemCsum},
}

// ParseEnv is what parsing needs from outside: name resolution and popt's environment
// switch.
type ParseEnv struct {
	Resolver      Resolver
	PosixMeHarder bool // POSIXLY_CORRECT or POSIX_ME_HARDER is set
}

// Parse is ipvsadm's parse_options followed by the checks of process_options that come
// before any kernel call. argv[0] is the program name as invoked (it appears in messages).
// On success it returns the command; otherwise an *Exit to carry out.
func Parse(argv []string, env ParseEnv) (*Command, *Exit) {
	if env.Resolver == nil {
		env.Resolver = NoResolver{}
	}
	ce := &Command{}
	ce.Dest.Weight = 1
	ce.Dest.ConnFlags = connFDRoute
	ce.Svc.Netmask = 0xffffffff

	if ex := parseOptions(argv, ce, env); ex != nil {
		return nil, ex
	}
	if ex := genericOptCheck(ce.Cmd, ce.Options); ex != nil {
		return nil, ex
	}

	if ce.Cmd == CmdAdd || ce.Cmd == CmdEdit {
		if ce.Svc.FWMark == 0 && ce.Svc.Port == 0 && ce.Svc.Flags&svcFPersistent == 0 {
			return nil, fail(2, "Zero port specified for non-persistent service")
		}
		if ce.Svc.Flags&svcFOnePacket != 0 && ce.Svc.FWMark == 0 && ce.Svc.Protocol != protoUDP {
			return nil, fail(2, "One-Packet Scheduling is only for UDP virtual services")
		}
		if ce.Svc.Sched == "" {
			ce.Svc.Sched = defSched
		}
	}
	if ce.Cmd == CmdStartDaemon && ce.Daemon.McastIfn == "" {
		ce.Daemon.McastIfn = defMcastIfn
	}

	fwd := ce.Dest.ConnFlags & connFFwdMask
	if ce.Cmd == CmdAddDest || ce.Cmd == CmdEditDest {
		if ce.Svc.FWMark == 0 && (fwd == connFTunnel || fwd == connFDRoute) {
			ce.Dest.Port = ce.Svc.Port
		}
		if ce.Dest.AF != ce.Svc.AF && fwd != connFTunnel {
			return nil, fail(2, "Different address family is allowed only for tunneling servers")
		}
		tunMask := uint64(1)<<optTunType | 1<<optTunPort | 1<<optTunNoCsum | 1<<optTunCsum | 1<<optTunRemCsum
		if ce.Options&tunMask != 0 && fwd != connFTunnel {
			return nil, fail(2, "Tunnel options conflict with forward method")
		}
		if ex := tunnelOptCheck(int(ce.Dest.TunType), ce.Options); ex != nil {
			return nil, ex
		}
	}

	if ce.Cmd == CmdList {
		o := ce.Options
		bit := func(i int) uint64 { return 1 << uint(i) }
		if (o&(bit(optConnection)|bit(optTimeout)|bit(optDaemon)) != 0 &&
			o&(bit(optStats)|bit(optRate)|bit(optThresholds)) != 0) ||
			(o&(bit(optTimeout)|bit(optDaemon)) != 0 && o&bit(optPersistentConn) != 0) {
			return nil, fail(2, "options conflicts in the list command")
		}
	}
	if ce.Cmd == CmdSave {
		ce.Format |= FmtRule
	}
	return ce, nil
}

func tryHelp(prog string) *Exit {
	return &Exit{Code: -1, Stderr: fmt.Sprintf("Try `%s -h' or '%s --help' for more information.\n", prog, prog)}
}

func setCommand(ce *Command, c Cmd) *Exit {
	if ce.Cmd != CmdNone {
		return fail(2, "multiple commands specified")
	}
	ce.Cmd = c
	return nil
}

func setOption(ce *Command, o int) *Exit {
	b := uint64(1) << uint(o)
	if ce.Options&b != 0 {
		return fail(2, "multiple '%s' options specified", optNames[o])
	}
	ce.Options |= b
	return nil
}

func parseOptions(argv []string, ce *Command, env ParseEnv) *Exit {
	prog := argv[0]
	con := newPoptContext(optionsTable, argv, env.PosixMeHarder)
	schedFlagsArg := ""

	c := con.getNextOpt()
	if c < 0 {
		return tryHelp(prog)
	}
	arg := func() string {
		if con.optArg == nil {
			return ""
		}
		return *con.optArg
	}
	var ex *Exit
	switch c {
	case 'A':
		ex = setCommand(ce, CmdAdd)
	case 'E':
		ex = setCommand(ce, CmdEdit)
	case 'D':
		ex = setCommand(ce, CmdDel)
	case 'a':
		ex = setCommand(ce, CmdAddDest)
	case 'e':
		ex = setCommand(ce, CmdEditDest)
	case 'd':
		ex = setCommand(ce, CmdDelDest)
	case 'C':
		ex = setCommand(ce, CmdFlush)
	case 'L', 'l':
		ex = setCommand(ce, CmdList)
	case 'Z':
		ex = setCommand(ce, CmdZero)
	case tagSet:
		ex = setCommand(ce, CmdTimeout)
	case 'R':
		ex = setCommand(ce, CmdRestore)
	case 'S':
		ex = setCommand(ce, CmdSave)
	case tagStartDaemon:
		ex = setCommand(ce, CmdStartDaemon)
		switch arg() {
		case "master":
			ce.Daemon.State = stateMaster
		case "backup":
			ce.Daemon.State = stateBackup
		default:
			return fail(2, "illegal start-daemon parameter specified")
		}
	case tagStopDaemon:
		ex = setCommand(ce, CmdStopDaemon)
		switch arg() {
		case "master":
			ce.Daemon.State = stateMaster
		case "backup":
			ce.Daemon.State = stateBackup
		default:
			return fail(2, "illegal start_daemon specified")
		}
	case 'h':
		return &Exit{Code: 0, Stdout: Usage(prog)}
	case 'v':
		return &Exit{Code: 0, Stdout: Version()}
	default:
		return tryHelp(prog)
	}
	if ex != nil {
		return ex
	}

	for {
		c = con.getNextOpt()
		if c < 0 {
			break
		}
		switch c {
		case 't', 'u', tagSCTPService:
			if ex := setOption(ce, optService); ex != nil {
				return ex
			}
			switch c {
			case 't':
				ce.Svc.Protocol = protoTCP
			case 'u':
				ce.Svc.Protocol = protoUDP
			default:
				ce.Svc.Protocol = protoSCTP
			}
			if parseService(arg(), &ce.Svc, env.Resolver)&serviceAdr == 0 {
				return fail(2, "illegal virtual server address[:port] specified")
			}
		case 'f':
			if ex := setOption(ce, optService); ex != nil {
				return ex
			}
			ce.Svc.AF = afInet
			ce.Svc.Protocol = protoTCP
			fw, ex := parseFWMark(arg())
			if ex != nil {
				return ex
			}
			ce.Svc.FWMark = fw
		case 's':
			if ex := setOption(ce, optScheduler); ex != nil {
				return ex
			}
			ce.Svc.Sched = cTrunc(arg(), schedNameMax-1)
		case 'p':
			if ex := setOption(ce, optPersistent); ex != nil {
				return ex
			}
			ce.Svc.Flags |= svcFPersistent
			t, ex := parseTimeout(con.optArg, 1, maxTimeout)
			if ex != nil {
				return ex
			}
			ce.Svc.Timeout = t
		case 'M':
			if ex := setOption(ce, optNetmask); ex != nil {
				return ex
			}
			if ce.Svc.AF != afInet6 {
				m, ok := parseNetmask(arg(), env.Resolver)
				if !ok {
					return fail(2, "illegal virtual server persistent mask specified")
				}
				ce.Svc.Netmask = m
			} else {
				ce.Svc.Netmask = uint32(atoi(arg()))
				if ce.Svc.Netmask < 1 || ce.Svc.Netmask > 128 {
					return fail(2, "illegal ipv6 netmask specified")
				}
			}
		case 'r':
			if ex := setOption(ce, optServer); ex != nil {
				return ex
			}
			t := ce.Svc
			parse := parseService(arg(), &t, env.Resolver)
			ce.Dest.AF = t.AF
			ce.Dest.Addr = t.Addr
			ce.Dest.Port = t.Port
			if parse&serviceAdr == 0 {
				return fail(2, "illegal real server address[:port] specified")
			}
			if parse == serviceAdr {
				ce.Dest.Port = ce.Svc.Port
			}
		case 'i':
			if ex := setOption(ce, optForward); ex != nil {
				return ex
			}
			ce.Dest.ConnFlags = connFTunnel
		case 'g':
			if ex := setOption(ce, optForward); ex != nil {
				return ex
			}
			ce.Dest.ConnFlags = connFDRoute
		case 'm':
			if ex := setOption(ce, optForward); ex != nil {
				return ex
			}
			ce.Dest.ConnFlags = connFMasq
		case 'w':
			if ex := setOption(ce, optWeight); ex != nil {
				return ex
			}
			// Debian's 1.31 carries a patch raising the limit from 65535 to INT_MAX
			// (Debian bug #814348); the drop-in follows the binary people run.
			v := stringToNumber(arg(), 0, 2147483647)
			ce.Dest.Weight = int32(v)
			if v == -1 {
				return fail(2, "illegal weight specified")
			}
		case 'x':
			if ex := setOption(ce, optUThreshold); ex != nil {
				return ex
			}
			v := stringToNumber(arg(), 0, 2147483647)
			ce.Dest.UThreshold = uint32(v)
			if v == -1 {
				return fail(2, "illegal u_threshold specified")
			}
		case 'y':
			if ex := setOption(ce, optLThreshold); ex != nil {
				return ex
			}
			v := stringToNumber(arg(), 0, 2147483647)
			ce.Dest.LThreshold = uint32(v)
			if v == -1 {
				return fail(2, "illegal l_threshold specified")
			}
		case 'c':
			if ex := setOption(ce, optConnection); ex != nil {
				return ex
			}
		case 'n':
			if ex := setOption(ce, optNumeric); ex != nil {
				return ex
			}
			ce.Format |= FmtNumeric
		case tagMcastInterface:
			if ex := setOption(ce, optMcast); ex != nil {
				return ex
			}
			ce.Daemon.McastIfn = cTrunc(arg(), ifNameMax-1)
		case 'I':
			if ex := setOption(ce, optSyncID); ex != nil {
				return ex
			}
			v := stringToNumber(arg(), 0, 255)
			ce.Daemon.SyncID = uint32(v)
			if v == -1 {
				return fail(2, "illegal syncid specified")
			}
		case tagTimeout:
			if ex := setOption(ce, optTimeout); ex != nil {
				return ex
			}
		case tagDaemon:
			if ex := setOption(ce, optDaemon); ex != nil {
				return ex
			}
		case tagStats:
			if ex := setOption(ce, optStats); ex != nil {
				return ex
			}
			ce.Format |= FmtStats
		case tagRate:
			if ex := setOption(ce, optRate); ex != nil {
				return ex
			}
			ce.Format |= FmtRate
		case tagThresholds:
			if ex := setOption(ce, optThresholds); ex != nil {
				return ex
			}
			ce.Format |= FmtThresholds
		case tagPersistentConn:
			if ex := setOption(ce, optPersistentConn); ex != nil {
				return ex
			}
			ce.Format |= FmtPersistentConn
		case tagNoSort:
			if ex := setOption(ce, optNoSort); ex != nil {
				return ex
			}
			ce.Format |= FmtNoSort
		case tagSort:
			// Sorting is the default; accepted for compatibility.
		case 'X':
			if ex := setOption(ce, optExact); ex != nil {
				return ex
			}
			ce.Format |= FmtExact
		case '6':
			if ce.Svc.FWMark != 0 {
				ce.Svc.AF = afInet6
				ce.Svc.Netmask = 128
			} else {
				return fail(2, "-6 used before -f\n")
			}
		case 'o':
			if ex := setOption(ce, optOnePacket); ex != nil {
				return ex
			}
			ce.Svc.Flags |= svcFOnePacket
		case tagPE:
			if ex := setOption(ce, optPE); ex != nil {
				return ex
			}
			ce.Svc.PEName = cTrunc(arg(), peNameMax)
		case 'b':
			if ex := setOption(ce, optSchedFlags); ex != nil {
				return ex
			}
			schedFlagsArg = cTrunc(arg(), 127)
		case tagMcastGroup:
			if ex := setOption(ce, optMcastGroup); ex != nil {
				return ex
			}
			a := arg()
			if strings.Contains(a, ":") {
				v6, ok := inetPton6(a)
				if !ok || v6[0] != 0xff {
					return fail(2, "invalid IPv6 mcast-group `%s'", a)
				}
				ce.Daemon.McastGroup = v6
				ce.Daemon.McastAF = afInet6
			} else {
				v4, ok := inetPton4(a)
				if !ok || v4[0]&0xf0 != 0xe0 {
					return fail(2, "invalid IPv4 mcast-group `%s'", a)
				}
				copy(ce.Daemon.McastGroup[:], v4[:])
				ce.Daemon.McastAF = afInet
			}
		case tagMcastPort:
			if ex := setOption(ce, optMcastPort); ex != nil {
				return ex
			}
			v := stringToNumber(arg(), 1, 65535)
			if v == -1 {
				return fail(2, "illegal mcast-port specified")
			}
			ce.Daemon.McastPort = uint16(v)
		case tagMcastTTL:
			if ex := setOption(ce, optMcastTTL); ex != nil {
				return ex
			}
			v := stringToNumber(arg(), 1, 255)
			if v == -1 {
				return fail(2, "illegal mcast-ttl specified")
			}
			ce.Daemon.McastTTL = uint8(v)
		case tagSyncMaxLen:
			if ex := setOption(ce, optSyncMaxLen); ex != nil {
				return ex
			}
			v := stringToNumber(arg(), 1, 65535-20-8)
			if v == -1 {
				return fail(2, "illegal sync-maxlen specified")
			}
			ce.Daemon.SyncMaxLen = uint16(v)
		case tagTunInfo:
			if ex := setOption(ce, optTunInfo); ex != nil {
				return ex
			}
			ce.Format |= FmtTunInfo
		case tagTunType:
			if ex := setOption(ce, optTunType); ex != nil {
				return ex
			}
			t := -1
			for i, n := range tunNames {
				if arg() == n {
					t = i
				}
			}
			if t == -1 {
				return fail(2, "illegal tunnel type specified")
			}
			ce.Dest.TunType = uint8(t)
		case tagTunPort:
			if ex := setOption(ce, optTunPort); ex != nil {
				return ex
			}
			v := stringToNumber(arg(), 1, 65535)
			if v == -1 {
				return fail(2, "illegal tunnel port specified")
			}
			ce.Dest.TunPort = uint16(v)
		case tagTunNoCsum:
			if ex := setOption(ce, optTunNoCsum); ex != nil {
				return ex
			}
		case tagTunCsum:
			if ex := setOption(ce, optTunCsum); ex != nil {
				return ex
			}
			ce.Dest.TunFlags |= 1
		case tagTunRemCsum:
			if ex := setOption(ce, optTunRemCsum); ex != nil {
				return ex
			}
			ce.Dest.TunFlags |= 2
		default:
			return fail(2, "invalid option `%s'", con.badOption())
		}
	}

	if c < -1 {
		return &Exit{Code: -1, Return: true, Stderr: fmt.Sprintf("%s: %s\n", con.badOption(), poptStrerror(c))}
	}

	if ce.Cmd == CmdTimeout {
		a0, ok0 := con.getArg()
		var a1, a2 string
		var ok1, ok2 bool
		if ok0 {
			a1, ok1 = con.getArg()
		}
		if ok1 {
			a2, ok2 = con.getArg()
		}
		if !ok2 {
			return fail(2, "--set option requires 3 timeout values")
		}
		var ex *Exit
		var t [3]uint32
		for i, a := range []string{a0, a1, a2} {
			a := a
			if t[i], ex = parseTimeout(&a, 0, maxTimeout); ex != nil {
				return ex
			}
		}
		ce.Timeouts = ipvs.Timeouts{TCP: t[0], TCPFin: t[1], UDP: t[2]}
	}

	if a, ok := con.getArg(); ok {
		return fail(2, "unexpected argument %s", a)
	}

	if schedFlagsArg != "" {
		ce.Svc.Flags &^= svcFSched1 | svcFSched2 | svcFSched3
		f, ex := parseSchedFlags(ce.Svc.Sched, schedFlagsArg)
		if ex != nil {
			return ex
		}
		ce.Svc.Flags |= f
	}
	return nil
}

// cTrunc is strncpy into a buffer of n+1 bytes (or n without room for the NUL).
func cTrunc(s string, n int) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	if len(s) > n {
		return s[:n]
	}
	return s
}

func parseTimeout(s *string, min, max int64) (uint32, *Exit) {
	if s == nil {
		return defaultPersistTimeout, nil
	}
	v := stringToNumber(*s, min, max)
	if v == -1 {
		return 0, fail(2, "invalid timeout value `%s' specified", *s)
	}
	return uint32(v), nil
}

func parseFWMark(s string) (uint32, *Exit) {
	v, end, erange := strtol(s, 10)
	l := uint64(v)
	if end != len(s) || end == 0 || erange || l == 0 || l > 0xffffffff {
		return 0, fail(2, "invalid fwmark value `%s' specified", s)
	}
	return uint32(l), nil
}

func parseNetmask(s string, r Resolver) (uint32, bool) {
	if a, ok := inetAton(s); ok {
		return binary.BigEndian.Uint32(a[:]), true
	}
	if a, ok := r.HostToAddr(s); ok && a.Is4() {
		b := a.As4()
		return binary.BigEndian.Uint32(b[:]), true
	}
	return 0, false
}

func strIsDigit(s string) bool {
	for i := 0; i < len(s); i++ {
		if !cIsDigit(s[i]) {
			return false
		}
	}
	return true
}

func protoName(p uint16) string {
	switch p {
	case protoTCP:
		return "tcp"
	case protoUDP:
		return "udp"
	case protoSCTP:
		return "sctp"
	}
	return ""
}

// parseService is ipvsadm's parse_service: host[:port], [ipv6]:port or an IPv6 address
// alone. It returns a mask of serviceAdr and servicePort.
func parseService(buf string, svc *Service, r Resolver) int {
	if i := strings.IndexByte(buf, 0); i >= 0 {
		buf = buf[:i]
	}
	if strIsDigit(buf) {
		return serviceNone
	}
	result := serviceNone
	port := ""
	hasPort := false
	if buf[0] == '[' {
		buf = buf[1:]
		i := strings.IndexByte(buf, ']')
		if i < 0 {
			return serviceNone
		}
		rest := buf[i+1:]
		buf = buf[:i]
		if len(rest) == 0 || rest[0] != ':' {
			return serviceNone
		}
		port, hasPort = rest[1:], true
	}
	if v6, ok := inetPton6(buf); ok {
		svc.Addr = v6
		svc.AF = afInet6
		svc.Netmask = 128
	} else {
		// strrchr(buf, ':') on the possibly already cut buffer: a bracketed
		// non-IPv6 host loses its port here, as in ipvsadm.
		if i := strings.LastIndexByte(buf, ':'); i >= 0 {
			port, hasPort = buf[i+1:], true
			buf = buf[:i]
		} else {
			port, hasPort = "", false
		}
		if a, ok := inetAton(buf); ok {
			svc.Addr = [16]byte{}
			copy(svc.Addr[:], a[:])
			svc.AF = afInet
		} else if a, ok := r.HostToAddr(buf); ok && a.Is4() {
			b := a.As4()
			svc.Addr = [16]byte{}
			copy(svc.Addr[:], b[:])
			svc.AF = afInet
		} else {
			return serviceNone
		}
	}
	result |= serviceAdr
	if hasPort {
		result |= servicePort
		if n := stringToNumber(port, 0, 65535); n != -1 {
			svc.Port = uint16(n)
		} else if p, ok := serviceToPort(port, svc.Protocol, r); ok {
			svc.Port = p
		} else {
			return serviceNone
		}
	}
	return result
}

func serviceToPort(name string, proto uint16, r Resolver) (uint16, bool) {
	pn := protoName(proto)
	if pn == "" {
		return 0, false
	}
	return r.ServiceToPort(name, pn)
}

// errSegfault is the Exit for inputs on which ipvsadm 1.31 dereferences NULL (-b with
// only commas): the real program dies of SIGSEGV, which a shell reports as 139.
var errSegfault = &Exit{Code: 139, Crash: true}

func parseSchedFlags(sched, arg string) (uint32, *Exit) {
	if sched == "" {
		sched = defSched
	}
	var flags uint32
	toks := strings.FieldsFunc(arg, func(r rune) bool { return r == ',' })
	if len(toks) == 0 {
		return 0, errSegfault
	}
	for _, f := range toks {
		switch f {
		case "flag-1":
			flags |= svcFSched1
		case "flag-2":
			flags |= svcFSched2
		case "flag-3":
			flags |= svcFSched3
		case "sh-fallback", "sh-port", "mh-fallback", "mh-port":
			if strings.HasSuffix(f, "fallback") {
				flags |= svcFSched1
			} else {
				flags |= svcFSched2
			}
			if sched != f[:2] {
				return 0, fail(2, "incompatible scheduler flag `%s'", f)
			}
		default:
			return 0, fail(2, "invalid scheduler flag `%s'", f)
		}
	}
	return flags, nil
}

func genericOptCheck(cmd Cmd, options uint64) *Exit {
	row := commandsVsOptions[cmd-1]
	last, count := 0, 0
	for j := 0; j < numOpts; j++ {
		c := byte(' ')
		if j < len(row) {
			c = row[j]
		}
		if options&(1<<uint(j)) == 0 {
			if c == '+' {
				return fail(2, "You need to supply the '%s' option for the '%s' command", optNames[j], cmdNames[cmd-1])
			}
			continue
		}
		if c == 'x' {
			return fail(2, "Illegal '%s' option with the '%s' command", optNames[j], cmdNames[cmd-1])
		}
		if c == '1' {
			count++
			if count == 1 {
				last = j
				continue
			}
			return fail(2, "The option '%s' conflicts with the '%s' option in the '%s' command", optNames[j], optNames[last], cmdNames[cmd-1])
		}
	}
	return nil
}

func tunnelOptCheck(tunType int, options uint64) *Exit {
	row := tunnelTypesVsOptions[tunType]
	last, count := 0, 0
	for j := 0; j < len(tunOpts); j++ {
		k := tunOpts[j]
		c := row[j]
		if options&(1<<uint(k)) == 0 {
			if c == '+' {
				return fail(2, "You need to supply the '%s' option for the '%s' tunnel type", optNames[k], tunNames[tunType])
			}
			continue
		}
		if c == 'x' {
			return fail(2, "Illegal '%s' option with the '%s' tunnel type", optNames[k], tunNames[tunType])
		}
		if c == '1' {
			count++
			if count == 1 {
				last = k
				continue
			}
			return fail(2, "The option '%s' conflicts with the '%s' option in the '%s' tunnel type", optNames[k], optNames[last], tunNames[tunType])
		}
	}
	return nil
}

// addrOf returns the address in a C-style (af, bytes) pair as a netip.Addr.
func addrOf(af uint16, b [16]byte) netip.Addr {
	if af == afInet6 {
		return netip.AddrFrom16(b)
	}
	return netip.AddrFrom4([4]byte{b[0], b[1], b[2], b[3]})
}
