package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/lvskit/lvskit/compat/authkeys"
	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/compat/hbwire"
	"github.com/lvskit/lvskit/internal/clock"
	"github.com/lvskit/lvskit/internal/hb/core"
	"github.com/lvskit/lvskit/internal/hb/groupexec"
	"github.com/lvskit/lvskit/internal/hb/ipaddr"
	"github.com/lvskit/lvskit/internal/hb/pingnode"
	"github.com/lvskit/lvskit/internal/hb/respawn"
	"github.com/lvskit/lvskit/internal/hb/transport"
	"github.com/lvskit/lvskit/internal/hostnet"
	"github.com/lvskit/lvskit/internal/ipvsmetrics"
	"github.com/lvskit/lvskit/internal/runner"
	"github.com/lvskit/lvskit/internal/statushttp"
	"github.com/prometheus/client_golang/prometheus"
)

// Options are what the command line and the configuration files give the daemon.
type Options struct {
	Node      string // lower-cased node name
	HA        *hacf.Config
	Keys      *authkeys.Keys
	Groups    []haresources.Group
	ConfigDir string // /etc/ha.d: resource.d is looked up here
	StateDir  string // /var/lib/heartbeat: hb_generation, hb_uuid
	Socket    string // control socket for cl_status, standby, takeover
	HTTPAddr  string // JSON status and metrics listener; "" for none
	// IPVSMetrics adds the IPVS table's metrics (internal/ipvsmetrics) to HTTPAddr's.
	IPVSMetrics bool
	Log         core.Logger
	// ScriptTimeout bounds each resource script run (default groupexec's).
	ScriptTimeout time.Duration
}

// DefaultRTPrio is the SCHED_RR priority with "realtime on" and no rtprio: low, since
// any real-time priority already runs before every normal process.
const DefaultRTPrio = 1

// Daemon is a running heartbeatd.
type Daemon struct {
	opts      Options
	loop      *Loop
	node      *transport.Node
	pinger    *pingnode.Pinger
	pings     chan string
	ctl       net.Listener
	stopHTTP  func() error // the --http listener's
	agents    []*ipaddr.Agent
	pingAddrs []netip.Addr
	pingNames map[netip.Addr][]string // the ha.cf texts (Core.Ping's) of each of pingAddrs
	watchdog  *watchdogDev
	children  *respawn.Supervisor // ha.cf's respawn programs but ipfail; nil with none

	// reloadMu serializes reloads; curHA and curKeys are the configuration in force.
	reloadMu sync.Mutex
	curHA    *hacf.Config
	curKeys  *authkeys.Keys
	// lastReload is the outcome of the latest reload, for heartbeatd -r (guarded by
	// resultMu: the control socket reads it).
	resultMu   sync.Mutex
	lastReload ReloadResult
}

// Keyring converts authkeys into the wire's keyring.
func Keyring(k *authkeys.Keys) (*hbwire.Keyring, error) {
	var keys []hbwire.Key
	for _, key := range k.Keys {
		keys = append(keys, hbwire.Key{Index: key.Num, Method: hbwire.Method(key.Method), Secret: []byte(key.Secret)})
	}
	return hbwire.NewKeyring(k.Auth, keys...)
}

// Open prepares everything (state files, sockets, media) without starting.
func Open(o Options) (*Daemon, error) {
	d := &Daemon{opts: o, curHA: o.HA, curKeys: o.Keys}
	opened := false
	defer func() {
		// Not by a named error result: "return nil, err" would hand close a nil d.
		if !opened {
			d.close()
		}
	}()
	kr, err := Keyring(o.Keys)
	if err != nil {
		return nil, fmt.Errorf("authkeys: %w", err)
	}
	if err := os.MkdirAll(o.StateDir, 0o755); err != nil {
		return nil, err
	}
	gen, err := transport.LoadGeneration(o.StateDir, time.Now())
	if err != nil {
		return nil, fmt.Errorf("generation: %w", err)
	}
	uuid, err := transport.LoadUUID(o.StateDir)
	if err != nil {
		return nil, fmt.Errorf("uuid: %w", err)
	}
	links, err := openMedia(o.HA)
	if err != nil {
		return nil, err
	}
	ep, err := transport.NewEndpoint(transport.Config{Node: o.Node, UUID: uuid, Generation: gen, Keys: kr,
		Nodes: o.HA.Nodes, Load: transport.LoadAvg})
	if err != nil {
		for _, l := range links {
			l.Close()
		}
		return nil, err
	}
	d.node = transport.NewNode(ep, links...)

	netw := hostnet.NewLinux()
	hidden := false
	if b, err := os.ReadFile(filepath.Join(o.ConfigDir, "resource.d", string(ipaddr.IPaddr))); err == nil && ipaddr.HiddenPatched(b) {
		hidden = true
		o.Log.Logf("info", "resource.d/IPaddr sets the hidden ARP flag: the built-in IPaddr sets arp_ignore/arp_announce instead")
	}
	builtins := map[string]groupexec.Builtin{}
	for _, k := range ipaddr.Kinds {
		// Only IPaddr was ever patched for the hidden flag.
		a := &ipaddr.Agent{Kind: k, Net: netw, Hidden: hidden && k == ipaddr.IPaddr,
			Log: func(msg string) { o.Log.Logf("ERROR", "%s", msg) }}
		d.agents = append(d.agents, a)
		builtins[string(k)] = a
	}
	exe := &groupexec.Executor{
		Runner:   runner.Exec{},
		Dirs:     []string{filepath.Join(o.ConfigDir, "resource.d"), "/etc/init.d"},
		Env:      scriptEnv(o),
		Timeout:  o.ScriptTimeout,
		Builtins: builtins,
		Log:      func(level, msg string) { o.Log.Logf(level, "%s", msg) },
	}

	// Every ping node address, each once, and the ping nodes it keeps alive: membership
	// knows a ping node by the addresses as ha.cf writes them ("ping gw", "ping6 0::1"),
	// the pinger hears a reply from an address ("10.0.0.254", "::1").
	pingNames := map[netip.Addr][]string{}
	var addrs []netip.Addr
	addPing := func(a netip.Addr, name string) {
		if _, ok := pingNames[a]; !ok {
			addrs = append(addrs, a)
		}
		if !slices.Contains(pingNames[a], name) {
			pingNames[a] = append(pingNames[a], name)
		}
	}
	for _, p := range o.HA.Pings {
		a, err := resolve(p, false)
		if err != nil {
			return nil, fmt.Errorf("ping %s: %w", p, err)
		}
		addPing(a, p)
	}
	for _, p := range o.HA.Pings6 {
		// hacf let only IPv6 addresses through, as heartbeat's ping6 does.
		if !hacf.ValidPing6(p) {
			return nil, fmt.Errorf("ping6 %s: not an IPv6 address", p)
		}
		addPing(netip.MustParseAddr(p), p)
	}
	for _, g := range o.HA.PingGroups {
		for _, p := range g.Addrs {
			a, err := resolve(p, false)
			if err != nil {
				return nil, fmt.Errorf("ping_group %s %s: %w", g.Name, p, err)
			}
			addPing(a, p)
		}
	}
	if len(addrs) > 0 {
		if d.pinger, err = pingnode.Listen(addrs); err != nil {
			return nil, err
		}
		d.pings = make(chan string, 64)
	}
	// heartbeat opens the watchdog at start and, when it cannot, says so and runs
	// without one (its log: "ERROR: Cannot open watchdog device: /dev/watchdog").
	var watchdogErr error
	var tickler core.Tickler
	if o.HA.Watchdog != "" {
		if d.watchdog, watchdogErr = openWatchdog(o.HA.Watchdog); watchdogErr == nil {
			tickler = d.watchdog
		}
	}
	if d.children, err = newChildren(o); err != nil {
		return nil, err
	}
	var onActive func()
	if d.children != nil {
		onActive = d.children.Start
	}
	d.loop, err = NewLoop(LoopConfig{Core: core.Config{Node: o.Node, HA: o.HA, Groups: o.Groups, Net: d.node, Log: o.Log, Watchdog: tickler},
		Clock: clock.Real{}, In: d.node.Messages(), Pings: d.pings, Runner: exe, OnActive: onActive})
	if err != nil {
		return nil, err
	}
	d.pingAddrs, d.pingNames = addrs, pingNames
	if o.Socket != "" {
		if err := os.MkdirAll(filepath.Dir(o.Socket), 0o755); err != nil {
			return nil, err
		}
		if d.ctl, err = ListenControl(o.Socket); err != nil {
			return nil, fmt.Errorf("control socket: %w", err)
		}
	}
	if o.HTTPAddr != "" {
		var extra []prometheus.Collector
		if o.IPVSMetrics {
			extra = append(extra, ipvsmetrics.New(ipvsmetrics.Kernel(0), 0))
		}
		stop, _, err := statushttp.Listen(o.HTTPAddr, StatusHandler(d.loop.Snapshot, extra...))
		if err != nil {
			return nil, fmt.Errorf("status listener: %w", err)
		}
		d.stopHTTP = stop
	}
	o.Log.Logf("info", "Configuration validated. Starting heartbeat 3.0.6 (lvskit heartbeatd)")
	o.Log.Logf("info", "heartbeat: node %s generation %d; %d media, %d resource groups", o.Node, gen, len(links), len(o.Groups))
	if watchdogErr != nil {
		o.Log.Logf("ERROR", "Cannot open watchdog device: %s", o.HA.Watchdog)
		o.Log.Logf("info", "watchdog: %v", watchdogErr)
	} else if d.watchdog != nil {
		o.Log.Logf("info", "watchdog %s: written every %v; a node whose heartbeat stops is rebooted by it", o.HA.Watchdog, o.HA.Keepalive)
	}
	opened = true
	return d, nil
}

// Loop is the daemon's loop (for queries).
func (d *Daemon) Loop() *Loop { return d.loop }

// Run runs until ctx ends, then stops cleanly.
func (d *Daemon) Run(ctx context.Context) error {
	pctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if d.pinger != nil {
		go func() {
			_ = d.pinger.Run(pctx, d.pingAddrs, d.opts.HA.Keepalive, func(a netip.Addr) {
				for _, name := range d.pingNames[a] {
					select {
					case d.pings <- name:
					default:
					}
				}
			})
		}()
	}
	if d.ctl != nil {
		go func() { _ = ServeControl(d.ctl, daemonQuerier{d}) }()
	}
	if d.opts.HA.Realtime {
		prio := d.opts.HA.RTPrio
		if prio <= 0 {
			prio = DefaultRTPrio
		}
		if err := makeRealtime(prio); err != nil {
			d.opts.Log.Logf("WARN", "realtime scheduling (SCHED_RR %d): %v", prio, err)
		} else {
			d.opts.Log.Logf("info", "realtime scheduling: SCHED_RR priority %d", prio)
		}
		go func() {
			t := time.NewTicker(d.opts.HA.Keepalive)
			defer t.Stop()
			for {
				select {
				case <-pctx.Done():
					return
				case <-t.C:
					_ = makeRealtime(prio)
				}
			}
		}()
	}
	err := d.loop.Run(ctx)
	if d.children != nil {
		// As heartbeat: after the resources are released, SIGTERM to each child's
		// process group, and a wait for it (bounded, then SIGKILL).
		sctx, scancel := context.WithTimeout(context.Background(), ChildStopTimeout)
		d.children.Stop(sctx)
		scancel()
	}
	cancel()
	for _, a := range d.agents {
		a.Wait()
	}
	if d.watchdog != nil {
		if err == nil {
			if werr := d.watchdog.Disarm(); werr != nil {
				d.opts.Log.Logf("ERROR", "watchdog: disarming: %v", werr)
			}
		} else {
			// Resources may still be held: the reboot frees them, as heartbeat's
			// watchdog does for a heartbeat that cannot stop them.
			d.opts.Log.Logf("ERROR", "watchdog %s left armed (%v): the node reboots when it expires", d.opts.HA.Watchdog, err)
			_ = d.watchdog.Abandon()
		}
		d.watchdog = nil
	}
	d.close()
	return err
}

// ChildStopTimeout bounds the wait for respawn children at shutdown, after their SIGTERM;
// those still running are then killed (heartbeat 3.0.6 waits for them without limit).
const ChildStopTimeout = 10 * time.Second

// newChildren makes the supervisor of ha.cf's respawn lines, but ipfail (built in) and
// failfast; nil when there are none.
func newChildren(o Options) (*respawn.Supervisor, error) {
	var kids []respawn.Child
	for _, ch := range o.HA.Children {
		if ch.IsIPFail() || ch.Failfast {
			continue
		}
		k := respawn.Child{Command: ch.Command}
		u, err := user.Lookup(ch.User)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: respawn %s: %w", o.HA.File, ch.Line, ch.User, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		k.UID, k.GID = uid, gid
		cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if gids, err := u.GroupIds(); err == nil {
			for _, g := range gids {
				if n, err := strconv.Atoi(g); err == nil {
					cred.Groups = append(cred.Groups, uint32(n))
				}
			}
		}
		if os.Geteuid() == 0 {
			k.Cred = cred
		} // else: not root, the child runs as heartbeatd's user (it cannot change)
		kids = append(kids, k)
	}
	if len(kids) == 0 {
		return nil, nil
	}
	dir := filepath.Join(o.StateDir, "cores", "root")
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		dir = "/"
	}
	return respawn.New(respawn.Config{Children: kids, Runner: runner.Exec{}, Clock: clock.Real{}, Log: o.Log,
		Env: childEnv(o, os.Environ()), Dir: dir}), nil
}

// childEnv is the respawn children's environment, as heartbeat gives it: its own
// environment, HA_name=value for each ha.cf directive (HA_keepalive, HA_deadtime, ...),
// the variables resource scripts get (HA_DIR, HA_CURHOST, HA_LOGFILE, ...) and ha.cf's
// env lines.
func childEnv(o Options, inherited []string) []string {
	vars := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vars[k]; !ok {
			order = append(order, k)
		}
		vars[k] = v
	}
	for _, kv := range inherited {
		if k, v, ok := strings.Cut(kv, "="); ok {
			set(k, v)
		}
	}
	for _, dir := range o.HA.Directives {
		switch dir.Name {
		case "node", "respawn", "failfast", "env", "ucast", "bcast", "mcast", "ping", "ping_group", "apiauth", "stonith", "stonith_host", "serial":
			continue
		}
		set("HA_"+dir.Name, strings.Join(dir.Args, " "))
	}
	set("HA_DEBUGLOG", o.HA.DebugFile)
	for _, kv := range scriptEnv(o) {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "PATH" {
			set(k, v)
		}
	}
	env := make([]string, 0, len(order))
	for _, k := range order {
		env = append(env, k+"="+vars[k])
	}
	return env
}

func (d *Daemon) close() {
	if d.watchdog != nil {
		// opened, never run: nothing to guard
		_ = d.watchdog.Disarm()
		d.watchdog = nil
	}
	if d.ctl != nil {
		d.ctl.Close()
		_ = os.Remove(d.opts.Socket)
	}
	if d.stopHTTP != nil {
		_ = d.stopHTTP()
	}
	if d.pinger != nil {
		d.pinger.Close()
	}
	if d.node != nil {
		// Give the last messages (shutdone) a moment on the wire before the sockets go.
		d.node.Close()
	}
}

// resolve is a ucast peer's IPv4 address (v6 false) or a ucast6 peer's IPv6 one.
func resolve(host string, v6 bool) (netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return a, nil
	}
	ips, err := net.LookupIP(host)
	if err != nil {
		return netip.Addr{}, err
	}
	for _, ip := range ips {
		if (ip.To4() != nil) == v6 {
			continue
		}
		if a, ok := netip.AddrFromSlice(ip); ok {
			return a.Unmap(), nil
		}
	}
	if v6 {
		return netip.Addr{}, errors.New("no IPv6 address")
	}
	return netip.Addr{}, errors.New("no IPv4 address")
}

// openMedia opens one UDP link per medium (per peer address for ucast), skipping ucast
// lines that point at one of this host's own addresses (a shared ha.cf lists both).
func openMedia(h *hacf.Config) ([]transport.Link, error) {
	own := map[netip.Addr]bool{}
	if as, err := net.InterfaceAddrs(); err == nil {
		for _, a := range as {
			if n, ok := a.(*net.IPNet); ok {
				if x, ok := netip.AddrFromSlice(n.IP); ok {
					own[x.Unmap()] = true
				}
			}
		}
	}
	var links []transport.Link
	fail := func(err error) ([]transport.Link, error) {
		for _, l := range links {
			l.Close()
		}
		return nil, err
	}
	for _, m := range h.Media {
		cfg := transport.UDPConfig{Kind: transport.MediumKind(m.Kind), Iface: m.Interface, Port: m.Port,
			Group: m.Group, TTL: m.TTL, Loop: m.Loop}
		if cfg.Port == 0 {
			cfg.Port = h.UDPPort
		}
		switch m.Kind {
		case hacf.Ucast, hacf.Ucast6:
			for _, p := range m.Peers {
				a, err := resolve(p, m.Kind == hacf.Ucast6)
				if err != nil {
					return fail(fmt.Errorf("%s:%d: %s %s %s: %w", h.File, m.Line, m.Kind, m.Interface, p, err))
				}
				if own[a] {
					continue
				}
				cfg.Peer = a
				l, err := transport.OpenUDP(cfg)
				if err != nil {
					return fail(fmt.Errorf("%s:%d: %w", h.File, m.Line, err))
				}
				links = append(links, l)
			}
		case hacf.Bcast, hacf.Mcast, hacf.Mcast6:
			l, err := transport.OpenUDP(cfg)
			if err != nil {
				return fail(fmt.Errorf("%s:%d: %w", h.File, m.Line, err))
			}
			links = append(links, l)
		default:
			return fail(fmt.Errorf("%s:%d: medium %s is not implemented", h.File, m.Line, m.Kind))
		}
	}
	if len(links) == 0 {
		return nil, fmt.Errorf("%s: no usable heartbeat medium", h.File)
	}
	return links, nil
}

// scriptEnv is the environment resource scripts get: a fixed PATH and heartbeat's HA_*
// variables (ha.cf's env directives included).
func scriptEnv(o Options) []string {
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HA_DIR=" + o.ConfigDir, "HA_RCDIR=" + filepath.Join(o.ConfigDir, "rc.d"), "HA_CURHOST=" + o.Node,
		"HA_LOGFACILITY=" + o.HA.LogFacility, "HA_LOGFILE=" + o.HA.LogFile, "HA_DEBUGFILE=" + o.HA.DebugFile,
		"HA_debug=" + fmt.Sprint(o.HA.Debug)}
	keys := make([]string, 0, len(o.HA.Env))
	for k := range o.HA.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		env = append(env, k+"="+o.HA.Env[k])
	}
	return env
}
