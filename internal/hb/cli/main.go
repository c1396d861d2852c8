package cli

import (
	"fmt"
	"github.com/lvskit/lvskit/internal/buildinfo"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/internal/hb/daemon"
)

func printDirectives(w io.Writer) {
	names := make([]string, 0, len(hacf.Directives))
	for n := range hacf.Directives {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d := hacf.Directives[n]
		line := fmt.Sprintf("%-24s %s", n, d.Support)
		if d.Note != "" {
			line += ": " + d.Note
		}
		fmt.Fprintln(w, line)
	}
}

const usage = `usage: heartbeatd [-f] [-d]... [--node NAME] [--config-dir DIR] [--state-dir DIR]
                  [--run-dir DIR] [--http ADDR] [--ipvs-metrics]  run the daemon (heartbeat's R1 mode)
       heartbeatd -k | -r | -s | -V                  stop / reload / status / version
       heartbeatd --check [-d DIR] [--node NAME]     check a configuration
       heartbeatd --directives
       heartbeatd [--run-dir DIR] standby [all|local|foreign|failback]   (= hb_standby)
       heartbeatd [--run-dir DIR] takeover [all|local|foreign|failback]  (= hb_takeover)
       heartbeatd [--run-dir DIR] cl_status SUBCOMMAND [ARGS]
  -f             stay in the foreground (heartbeat forks into the background)
  -k             stop the running heartbeatd: it releases its resources and tells its peer
  -r             reload: check ha.cf and authkeys, then have the running heartbeatd
                 re-read them (= SIGHUP). A new authkeys and new timers (keepalive,
                 warntime, deadtime, initdead, deadping) apply at once; any other ha.cf
                 change is refused (nothing changes) and a new haresources is not
                 applied: both need a restart. Resources stay put. Exit 0 when the files
                 are in force, 1 on errors (the daemon is then not signalled) or when
                 the daemon could not apply them. With no heartbeatd running, -r starts
                 it, as heartbeat -r does
  -s             report whether heartbeatd runs (exit 0) or not (exit 3)
  -d             raise the debug level (once per -d); with --check: -d DIR
  -V, -v         print the version (heartbeat's: 3.0.6)
  --version      heartbeat's version, then lvskit's build
  --check        check DIR/ha.cf, DIR/authkeys and DIR/haresources as heartbeat 3.0.6
                 would, print every problem, exit 0 if heartbeat would start, 1 if not
  --node NAME    this node's name (default: uname -n)
  --config-dir   configuration directory (default /etc/ha.d)
  --state-dir    hb_generation and hb_uuid (default /var/lib/heartbeat)
  --run-dir      heartbeat.pid and heartbeat/heartbeatd.sock (default /var/run, or
                 $HEARTBEATD_RUN_DIR)
  --http ADDR    serve HTTP on ADDR (off by default): /metrics (Prometheus), /healthz,
                 /readyz (200 once this node has joined the cluster, else 503 and
                 why), /status and / (JSON); see heartbeatd(8)
  --ipvs-metrics with --http, /metrics also has this host's IPVS table
                 (lvskit_ipvs_*: per virtual service and real server, as ipvsadm -Ln)
  --directives   list every ha.cf directive of heartbeat 3.0.6 and what heartbeatd
                 does with it
Installed as hb_standby, hb_takeover or cl_status (a link named so), heartbeatd acts as
that command. heartbeat's -R, -C, -D, -W, -l are not implemented.
Refused where heartbeat 3.0.6 accepts: an ha.cf time (keepalive, warntime, deadtime,
initdead, deadping, max_rexmit_delay) over one day, 86400 s: 3.0.6 truncates or wraps
such values (deadtime 99999999999999999999 runs as 0 s); heartbeatd names the line and
the bound. Warned where 3.0.6 is silent: a crc key in authkeys (anyone can forge packets).
`

// Main runs heartbeatd called by name (its argv[0]) with args and returns its exit
// status. Called as hb_standby, hb_takeover or cl_status (a link named so, in any
// directory), it acts as that program, as the original's separate programs do. host
// answers --check's questions about the machine (NewHost: this one).
func Main(name string, args []string, stdout, stderr io.Writer, host Host) int {
	p := defaultPaths()
	switch prog := filepath.Base(name); prog {
	case "hb_standby":
		return query(p, prog, append([]string{"standby"}, args...), stdout, stderr)
	case "hb_takeover":
		return query(p, prog, append([]string{"takeover"}, args...), stdout, stderr)
	case "cl_status":
		return query(p, prog, args, stdout, stderr)
	}
	check, dirSet, node, fg, debug, httpAddr, ipvsMetrics := false, false, "", false, 0, "", false
	mode := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, bool) {
			if i+1 >= len(args) {
				fmt.Fprintf(stderr, "heartbeatd: option %s needs a value\n%s", a, usage)
				return "", false
			}
			i++
			return args[i], true
		}
		long := func(flag string, dst *string) (bool, bool) {
			if v, ok := strings.CutPrefix(a, flag+"="); ok {
				*dst = v
				return true, true
			}
			if a != flag {
				return false, true
			}
			v, ok := next()
			*dst = v
			return true, ok
		}
		if m, ok := long("--config-dir", &p.configDir); m {
			if !ok {
				return 1
			}
			dirSet = true
			continue
		}
		var matched, ok bool
		for _, f := range []struct {
			name string
			dst  *string
		}{{"--state-dir", &p.stateDir}, {"--run-dir", &p.runDir}, {"--node", &node}, {"--http", &httpAddr}} {
			if matched, ok = long(f.name, f.dst); matched {
				break
			}
		}
		if matched {
			if !ok {
				return 1
			}
			continue
		}
		switch {
		case a == "--check":
			check = true
		case a == "--ipvs-metrics":
			ipvsMetrics = true
		case a == "-d" && check:
			v, ok := next()
			if !ok {
				return 1
			}
			p.configDir, dirSet = v, true
		case a == "-d":
			debug++
		case a == "-f":
			fg = true
		case a == "-k" || a == "-s" || a == "-r" || a == "-V" || a == "-v":
			mode = a
		case a == "-M":
			// No management daemon to disable: heartbeatd never starts one.
		case a == "standby" || a == "takeover":
			return query(p, "heartbeatd "+a, args[i:], stdout, stderr)
		case a == "cl_status":
			return query(p, "cl_status", args[i+1:], stdout, stderr)
		case a == "--directives":
			printDirectives(stdout)
			return 0
		case a == "-h" || a == "--help":
			fmt.Fprint(stdout, usage)
			return 0
		case a == "--version":
			// -V and -v print heartbeat's version, which scripts compare; the long
			// option adds lvskit's build on a line of its own.
			fmt.Fprintf(stdout, "3.0.6 (lvskit heartbeatd)\n%s\n", buildinfo.String("heartbeatd"))
			return 0
		case a == "-R" || a == "-C" || a == "-D" || a == "-W" || a == "-l":
			fmt.Fprintf(stderr, "heartbeatd: %s: not implemented\n%s", a, usage)
			return 1
		default:
			fmt.Fprintf(stderr, "heartbeatd: %s: unknown option\n%s", a, usage)
			return 1
		}
	}
	switch mode {
	case "-k":
		return stopDaemon(p, stdout, stderr, 10*time.Minute)
	case "-s":
		return statusDaemon(p, stdout, stderr)
	case "-V", "-v":
		fmt.Fprintln(stdout, "3.0.6 (lvskit heartbeatd)")
		return 0
	}
	if node == "" {
		h, err := os.Hostname()
		if err != nil {
			fmt.Fprintf(stderr, "heartbeatd: uname -n: %v\n", err)
			return 1
		}
		node = h
	}
	node = strings.ToLower(node)
	_ = dirSet
	r := checkDir(p.configDir, node, host)
	if mode == "-r" {
		if _, running := runningPid(p); running {
			return reloadDaemon(p, r, stdout, stderr, 30*time.Second)
		}
		// heartbeat -r with no heartbeat running starts one (observed: it exits 0 and
		// the daemon runs), and so does heartbeatd -r.
		args = slices.DeleteFunc(slices.Clone(args), func(a string) bool { return a == "-r" })
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(stderr, "heartbeatd: warning: %v\n", w)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(stderr, "heartbeatd: %v\n", e)
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(stderr, "heartbeatd: configuration in %s has errors: heartbeat would not start\n", p.configDir)
		return 1
	}
	if check {
		fmt.Fprintf(stdout, "heartbeatd: configuration in %s OK for node %s: %d nodes, %d media, %d resource groups\n",
			p.configDir, node, len(r.Config.Nodes), len(r.Config.Media), len(r.Resources.Groups))
		return 0
	}
	if !fg {
		return background(args, stderr)
	}
	cfg := r.Config
	logger, err := openLog(r, debug, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "heartbeatd: %v\n", err)
		return 1
	}
	defer logger.Close()
	o := daemon.Options{Node: node, HA: cfg, Keys: r.Keys, Groups: r.Resources.Groups, ConfigDir: p.configDir,
		StateDir: p.stateDir, Socket: p.socket(), HTTPAddr: httpAddr, IPVSMetrics: ipvsMetrics, Log: logger}
	reread := func() checkResult { return checkDir(p.configDir, node, host) }
	return foreground(o, p, logger, stderr, reread)
}

// openLog opens the daemon's log as ha.cf says and logs the check's warnings into it:
// in the background stderr goes nowhere anyone reads, so a warning (a crc key) printed
// only there would be lost.
func openLog(r checkResult, debug int, stderr io.Writer) (*daemon.FileLogger, error) {
	cfg := r.Config
	facility, fallback := cfg.LogFacility, stderr
	if os.Getenv(backgroundEnv) != "" {
		fallback = nil
		if cfg.LogFile == "" && cfg.DebugFile == "" && (facility == "" || facility == "none") {
			facility = "daemon" // in the background, without a destination: syslog
		}
	}
	logger, err := daemon.OpenLogger(cfg.LogFile, cfg.DebugFile, facility, cfg.Debug+debug, fallback)
	if err != nil {
		return nil, err
	}
	logWarnings(logger, r)
	return logger, nil
}

// logWarnings logs what the check found worth a warning (a crc key, a setting heartbeatd
// ignores), as heartbeat logs its own configuration warnings.
func logWarnings(logger *daemon.FileLogger, r checkResult) {
	for _, w := range r.Warnings {
		logger.Logf("WARN", "%v", w)
	}
}
