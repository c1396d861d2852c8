package daemon

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/lvskit/lvskit/compat/authkeys"
	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/compat/hbwire"
	"github.com/lvskit/lvskit/internal/hb/core"
)

// A reload (SIGHUP, heartbeatd -r) re-reads ha.cf and authkeys, as heartbeat 3.0.6 does.
// What the original does, observed by running Debian's 3.0.6 in network namespaces
// (internal/hb/clustertest, TestReloadInteropOriginal and the notes there):
//
//   - Nothing changed: it logs "Configuration unchanged." and does nothing.
//   - authkeys changed (ha.cf not): it logs "Rereading authentication file." and, in
//     place, signs from then on with the new active key. A key no longer listed is
//     refused ("Invalid authentication [1] in message!"). It also refuses packets
//     signed with a key still listed but not active ("authtoken does not match"),
//     although it accepts every listed key at start and authkeys(5) says every listed
//     key verifies: heartbeatd keeps verifying with every listed key, so the two-step
//     rotation (add the new key, then make it active, on both nodes) loses no heartbeat.
//   - ha.cf changed at all (even a comment): it restarts itself ("Heartbeat restart
//     triggered.", an exec of itself with a new generation) keeping its resources: the
//     peer sees "Heartbeat restart on node X", no resource script runs.
//   - A bad file: heartbeat -r prints the errors and "Config errors: Heartbeat pid N
//     NOT restarted", exits 1, and the running daemon is not signalled.
//
// heartbeatd does not restart itself: it applies in place what it can (authkeys; the
// timers keepalive, warntime, deadtime, initdead, deadping, which is what the original's
// restart amounts to for them) and refuses every other ha.cf change with a log line
// saying a restart is needed, changing nothing (a restart of heartbeatd releases the
// resources, which the original's self-restart does not). A reload never starts or
// stops a resource.

// ReloadPlan is what re-reading the configuration would change in the running daemon.
type ReloadPlan struct {
	Keys    bool     // authkeys changed: applied in place
	Timers  []string // timer changes applied in place, "deadtime 2s -> 3s"
	Restart []string // changed ha.cf directives the running daemon cannot apply
	Groups  bool     // haresources changed: not applied by a reload
}

// Unchanged reports whether the reload has nothing to do.
func (p ReloadPlan) Unchanged() bool {
	return !p.Keys && len(p.Timers) == 0 && len(p.Restart) == 0 && !p.Groups
}

// PlanReload compares the configuration in force (cur) with the one just read (next).
func PlanReload(cur, next *hacf.Config, curKeys, nextKeys *authkeys.Keys, curGroups, nextGroups []haresources.Group) ReloadPlan {
	var p ReloadPlan
	p.Keys = !sameKeys(curKeys, nextKeys)
	for _, t := range reloadTimers {
		if a, b := *t.field(cur), *t.field(next); a != b {
			p.Timers = append(p.Timers, fmt.Sprintf("%s %v -> %v", t.name, a, b))
		}
	}
	for _, o := range reloadRestart {
		if !reflect.DeepEqual(o.value(cur), o.value(next)) {
			p.Restart = append(p.Restart, o.name)
		}
	}
	groupLine := func(g *haresources.Group) *int { return &g.Line }
	p.Groups = !reflect.DeepEqual(lineless(curGroups, groupLine), lineless(nextGroups, groupLine))
	return p
}

// reloadTimers are applied in place by a reload.
var reloadTimers = []struct {
	name  string
	field func(*hacf.Config) *time.Duration
}{
	{"keepalive", func(c *hacf.Config) *time.Duration { return &c.Keepalive }},
	{"warntime", func(c *hacf.Config) *time.Duration { return &c.Warntime }},
	{"deadtime", func(c *hacf.Config) *time.Duration { return &c.Deadtime }},
	{"initdead", func(c *hacf.Config) *time.Duration { return &c.Initdead }},
	{"deadping", func(c *hacf.Config) *time.Duration { return &c.Deadping }},
}

// reloadRestart are the settings a reload refuses to change: name (as logged), the
// ha.cf directives behind it, and its value (line numbers left out: a comment added
// above a line changes nothing).
var reloadRestart = []struct {
	name       string
	directives []string
	value      func(*hacf.Config) any
}{
	{"node", []string{"node"}, func(c *hacf.Config) any { return c.Nodes }},
	{"media (bcast/mcast/ucast/mcast6/ucast6/serial)", []string{"bcast", "mcast", "ucast", "mcast6", "ucast6", "serial"},
		func(c *hacf.Config) any { return lineless(c.Media, func(m *hacf.Medium) *int { return &m.Line }) }},
	{"udpport", []string{"udpport"}, func(c *hacf.Config) any { return c.UDPPort }},
	{"ping", []string{"ping"}, func(c *hacf.Config) any { return c.Pings }},
	{"ping6", []string{"ping6"}, func(c *hacf.Config) any { return c.Pings6 }},
	{"ping_group", []string{"ping_group"},
		func(c *hacf.Config) any {
			return lineless(c.PingGroups, func(g *hacf.PingGroup) *int { return &g.Line })
		}},
	{"auto_failback", []string{"auto_failback", "nice_failback"}, func(c *hacf.Config) any { return c.AutoFailback }},
	{"hopfudge", []string{"hopfudge"}, func(c *hacf.Config) any { return c.HopFudge }},
	{"debug", []string{"debug"}, func(c *hacf.Config) any { return c.Debug }},
	{"cluster", []string{"cluster"}, func(c *hacf.Config) any { return c.Cluster }},
	{"logfile", []string{"logfile"}, func(c *hacf.Config) any { return c.LogFile }},
	{"debugfile", []string{"debugfile"}, func(c *hacf.Config) any { return c.DebugFile }},
	{"logfacility", []string{"logfacility"}, func(c *hacf.Config) any { return c.LogFacility }},
	{"use_logd", []string{"use_logd"}, func(c *hacf.Config) any { return boolp(c.UseLogd) }},
	{"realtime", []string{"realtime"}, func(c *hacf.Config) any { return c.Realtime }},
	{"rtprio", []string{"rtprio"}, func(c *hacf.Config) any { return c.RTPrio }},
	{"watchdog", []string{"watchdog"}, func(c *hacf.Config) any { return c.Watchdog }},
	{"msgfmt", []string{"msgfmt"}, func(c *hacf.Config) any { return c.Msgfmt }},
	{"compression", []string{"compression"}, func(c *hacf.Config) any { return c.Compression }},
	{"compression_threshold", []string{"compression_threshold"}, func(c *hacf.Config) any { return c.CompressionThreshold }},
	{"traditional_compression", []string{"traditional_compression"}, func(c *hacf.Config) any { return c.TraditionalCompression }},
	{"autojoin", []string{"autojoin"}, func(c *hacf.Config) any { return c.Autojoin }},
	{"uuidfrom", []string{"uuidfrom"}, func(c *hacf.Config) any { return c.UUIDFrom }},
	{"hbgenmethod", []string{"hbgenmethod"}, func(c *hacf.Config) any { return c.Hbgenmethod }},
	{"max_rexmit_delay", []string{"max_rexmit_delay"}, func(c *hacf.Config) any { return c.MaxRexmitDelay }},
	{"coredumps", []string{"coredumps"}, func(c *hacf.Config) any { return c.Coredumps }},
	{"env", []string{"env"}, func(c *hacf.Config) any { return emptyNil(c.Env) }},
	{"respawn/failfast", []string{"respawn", "failfast"},
		func(c *hacf.Config) any { return lineless(c.Children, func(ch *hacf.Child) *int { return &ch.Line }) }},
	{"apiauth", []string{"apiauth"},
		func(c *hacf.Config) any { return lineless(c.APIAuth, func(a *hacf.APIAuth) *int { return &a.Line }) }},
}

// lineless is a copy of xs with each element's line number zeroed.
func lineless[T any](xs []T, line func(*T) *int) []T {
	out := make([]T, len(xs))
	copy(out, xs)
	for i := range out {
		*line(&out[i]) = 0
	}
	return out
}

func sameKeys(a, b *authkeys.Keys) bool {
	if a == nil || b == nil {
		return a == b
	}
	if a.Auth != b.Auth || len(a.Keys) != len(b.Keys) {
		return false
	}
	for n, k := range a.Keys {
		o, ok := b.Keys[n]
		if !ok || o.Method != k.Method || o.Secret != k.Secret {
			return false
		}
	}
	return true
}

func boolp(b *bool) string {
	if b == nil {
		return "unset"
	}
	return fmt.Sprint(*b)
}

func emptyNil(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// ErrRestartNeeded is returned by Reload when ha.cf changed in a way only a restart
// applies; nothing was changed.
var ErrRestartNeeded = errors.New("a restart of heartbeatd is needed")

// Reload applies a configuration read again from disk (already checked as heartbeatd
// --check does) to the running daemon: everything PlanReload says can be applied, or,
// when some change needs a restart, nothing at all. Resources are never touched.
func (d *Daemon) Reload(ctx context.Context, ha *hacf.Config, keys *authkeys.Keys, groups []haresources.Group) (ReloadPlan, error) {
	d.reloadMu.Lock()
	defer d.reloadMu.Unlock()
	log := d.opts.Log
	plan := PlanReload(d.curHA, ha, d.curKeys, keys, d.opts.Groups, groups)
	if plan.Unchanged() {
		log.Logf("info", "Configuration unchanged.")
		return plan, nil
	}
	if len(plan.Restart) > 0 {
		log.Logf("ERROR", "Reload refused: %s changed in %s: heartbeatd cannot apply this while running; "+
			"restart heartbeatd to apply it (it releases its resources on the way). Nothing was changed.",
			strings.Join(plan.Restart, ", "), ha.File)
		return plan, fmt.Errorf("%s changed: %w", strings.Join(plan.Restart, ", "), ErrRestartNeeded)
	}
	if plan.Groups {
		log.Logf("WARN", "haresources changed: a reload does not apply it; heartbeatd keeps the resource groups it started with until it is restarted")
	}
	var kr *hbwire.Keyring
	if plan.Keys {
		var err error
		if kr, err = Keyring(keys); err != nil {
			log.Logf("ERROR", "authkeys: %v: nothing was changed", err)
			return plan, fmt.Errorf("authkeys: %w", err)
		}
	}
	if len(plan.Timers) > 0 {
		if err := d.applyTimers(ctx, ha); err != nil {
			return plan, err
		}
	}
	if kr != nil {
		log.Logf("info", "Rereading authentication file.")
		d.node.Endpoint().SetKeys(kr)
		d.curKeys = keys
		log.Logf("info", "authkeys: signing with key %d (%s); accepting keys %s", keys.Auth, keys.Active().Method, keyNums(keys))
	}
	return plan, nil
}

func (d *Daemon) applyTimers(ctx context.Context, ha *hacf.Config) error {
	if err := d.loop.Do(ctx, func(c *core.Core, now time.Time) error {
		c.SetTimers(now, ha)
		return nil
	}); err != nil {
		return fmt.Errorf("reload: %w", err)
	}
	h := *d.curHA
	h.Keepalive, h.Warntime, h.Deadtime, h.Initdead, h.Deadping = ha.Keepalive, ha.Warntime, ha.Deadtime, ha.Initdead, ha.Deadping
	changed := PlanReload(d.curHA, &h, nil, nil, nil, nil).Timers
	d.curHA = &h
	d.opts.Log.Logf("info", "ha.cf reloaded: %s", strings.Join(changed, ", "))
	if d.pinger != nil && ha.Keepalive != d.opts.HA.Keepalive {
		d.opts.Log.Logf("info", "ping nodes are still pinged every %v (the keepalive heartbeatd started with) until it is restarted", d.opts.HA.Keepalive)
	}
	return nil
}

func keyNums(k *authkeys.Keys) string {
	var s []string
	for n := 1; n <= 15; n++ {
		if _, ok := k.Keys[n]; ok {
			s = append(s, fmt.Sprint(n))
		}
	}
	return strings.Join(s, ",")
}

// ReloadResult is the outcome of a reload: Seq counts reloads since the start, Code is
// heartbeatd -r's exit status (0 applied or nothing to do, 1 refused or bad files) and
// Msg says what happened.
type ReloadResult struct {
	Seq  uint64
	Code int
	Msg  string
}

// ReloadDone records the outcome of a reload for heartbeatd -r to collect.
func (d *Daemon) ReloadDone(code int, msg string) {
	d.resultMu.Lock()
	defer d.resultMu.Unlock()
	d.lastReload = ReloadResult{Seq: d.lastReload.Seq + 1, Code: code, Msg: msg}
}

// LastReload is the latest reload's outcome (Seq 0: none yet).
func (d *Daemon) LastReload() ReloadResult {
	d.resultMu.Lock()
	defer d.resultMu.Unlock()
	return d.lastReload
}

// ReloadStatusQuery is the control request heartbeatd -r uses to learn the outcome of
// the reload its SIGHUP started; the answer is "SEQ CODE MESSAGE".
const ReloadStatusQuery = "reloadstatus"

// FormatReloadResult and ParseReloadResult are the two ends of ReloadStatusQuery.
func FormatReloadResult(r ReloadResult) string {
	return fmt.Sprintf("%d %d %s\n", r.Seq, r.Code, strings.ReplaceAll(r.Msg, "\n", " "))
}

// ParseReloadResult reads FormatReloadResult's answer.
func ParseReloadResult(s string) (ReloadResult, error) {
	var r ReloadResult
	f := strings.SplitN(strings.TrimSuffix(s, "\n"), " ", 3)
	if len(f) < 2 {
		return r, fmt.Errorf("reload status %q", s)
	}
	if _, err := fmt.Sscan(f[0], &r.Seq); err != nil {
		return r, fmt.Errorf("reload status %q: %w", s, err)
	}
	if _, err := fmt.Sscan(f[1], &r.Code); err != nil {
		return r, fmt.Errorf("reload status %q: %w", s, err)
	}
	if len(f) == 3 {
		r.Msg = f[2]
	}
	return r, nil
}

// daemonQuerier answers the control socket: the loop's queries plus the reload status.
type daemonQuerier struct{ d *Daemon }

func (q daemonQuerier) Query(ctx context.Context, args []string) (string, int) {
	if len(args) == 1 && args[0] == ReloadStatusQuery {
		return FormatReloadResult(q.d.LastReload()), 0
	}
	return q.d.loop.Query(ctx, args)
}
