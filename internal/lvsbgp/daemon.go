package lvsbgp

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lvskit/lvskit/compat/bgpconf"
	"github.com/lvskit/lvskit/internal/bgpspeaker"
	"github.com/lvskit/lvskit/internal/ipvs"
)

// TableReader is the part of ipvs.Client the health check reads.
type TableReader interface {
	Services(ctx context.Context) ([]ipvs.ServiceInfo, error)
	Destinations(ctx context.Context, k ipvs.ServiceKey) ([]ipvs.DestinationInfo, error)
}

// Speaker is what the daemon asks of the BGP speaker (*bgpspeaker.Speaker; a fake in
// tests).
type Speaker interface {
	Announce(ctx context.Context, vip netip.Addr) error
	Withdraw(ctx context.Context, vip netip.Addr) error
	WithdrawAll(ctx context.Context) error
	Neighbors(ctx context.Context) ([]bgpspeaker.Neighbor, error)
	AddNeighbor(ctx context.Context, n bgpconf.Neighbor) error
	DeleteNeighbor(ctx context.Context, addr netip.Addr) error
	SetConfig(cfg *bgpconf.Config)
	Stop(ctx context.Context) error
}

// Logf logs one message at level "info" or "warning".
type Logf func(level, format string, args ...any)

// Daemon ties health to routes: each Step reads the IPVS table and announces or
// withdraws so that exactly the VIPs Want names are announced.
type Daemon struct {
	table TableReader
	logf  Logf

	mu        sync.Mutex
	cfg       *bgpconf.Config
	sp        Speaker
	verdict   Verdict
	healthy   map[netip.Addr]bool
	held      map[netip.Addr]bool // heartbeat mode: VIPs whose bgp resource is started
	announced map[netip.Addr]bool
	neighbors []bgpspeaker.Neighbor
	fails     int
	draining  bool
	announces uint64
	withdraws uint64
}

// NewDaemon returns a daemon over a started speaker.
func NewDaemon(cfg *bgpconf.Config, table TableReader, sp Speaker, logf Logf) *Daemon {
	return &Daemon{cfg: cfg, table: table, sp: sp, logf: logf,
		healthy: map[netip.Addr]bool{}, held: map[netip.Addr]bool{}, announced: map[netip.Addr]bool{}}
}

// readTable reads the services, and the real servers of those on a VIP's address,
// under ctx's deadline.
func readTable(ctx context.Context, r TableReader, vips []bgpconf.VIP) (Table, error) {
	svcs, err := r.Services(ctx)
	if err != nil {
		return Table{}, fmt.Errorf("reading IPVS services: %w", err)
	}
	t := Table{Services: svcs, Dests: map[ipvs.ServiceKey][]ipvs.DestinationInfo{}}
	for _, s := range svcs {
		if s.Key.IsFWMark() || !slices.ContainsFunc(vips, func(v bgpconf.VIP) bool { return v.Addr == s.Key.Addr.Unmap() }) {
			continue
		}
		d, err := r.Destinations(ctx, s.Key)
		if err != nil {
			return Table{}, fmt.Errorf("reading real servers of %s:%d: %w", s.Key.Addr, s.Key.Port, err)
		}
		t.Dests[s.Key] = d
	}
	return t, nil
}

// Step reads the table once (bounded by the check interval) and reconciles.
func (d *Daemon) Step(ctx context.Context) {
	d.mu.Lock()
	cfg := d.cfg
	d.mu.Unlock()
	rctx, cancel := context.WithTimeout(ctx, cfg.CheckInterval)
	t, err := readTable(rctx, d.table, cfg.VIPs)
	cancel()
	var health map[netip.Addr]bool
	if err == nil {
		health = Healthy(cfg.VIPs, t)
	}
	nctx, cancel := context.WithTimeout(ctx, time.Second)
	ns, nerr := d.sp.Neighbors(nctx)
	cancel()

	d.mu.Lock()
	defer d.mu.Unlock()
	verdict, fails := d.verdict.Observe(health, err)
	switch {
	case err != nil && fails < FailuresBeforeUnhealthy:
		d.logf("warning", "%v (failure %d of %d before the VIPs count as unhealthy)", err, fails, FailuresBeforeUnhealthy)
	case err != nil && fails == FailuresBeforeUnhealthy:
		d.logf("warning", "%v (failure %d in a row: every VIP now counts as unhealthy)", err, fails)
	case err == nil && d.fails >= FailuresBeforeUnhealthy:
		d.logf("info", "IPVS table readable again after %d failed reads", d.fails)
	}
	d.fails = fails
	for _, v := range cfg.VIPs {
		if was, now := d.healthy[v.Addr], verdict[v.Addr]; was != now {
			d.logf("info", "vip %s: %s", v, map[bool]string{true: "healthy", false: "unhealthy"}[now])
		}
	}
	d.healthy = map[netip.Addr]bool{}
	for a, h := range verdict {
		d.healthy[a] = h
	}
	if nerr == nil {
		d.logNeighbors(ns)
		d.neighbors = ns
	}
	d.reconcile(ctx)
}

func (d *Daemon) logNeighbors(ns []bgpspeaker.Neighbor) {
	old := map[netip.Addr]bool{}
	for _, n := range d.neighbors {
		old[n.Addr] = n.Up
	}
	for _, n := range ns {
		if was, known := old[n.Addr]; n.Up != was || (!known && n.Up) {
			d.logf("info", "neighbor %s: %s", n.Addr, n.State)
		}
	}
}

// reconcile announces what Want names and withdraws the rest; d.mu is held.
func (d *Daemon) reconcile(ctx context.Context) {
	if d.draining {
		return
	}
	want := Want(d.cfg, d.healthy, d.held)
	for _, v := range d.cfg.VIPs {
		if want[v.Addr] && !d.announced[v.Addr] {
			if err := d.sp.Announce(ctx, v.Addr); err != nil {
				d.logf("warning", "%v", err)
				continue
			}
			d.announced[v.Addr] = true
			d.announces++
			d.logf("info", "announced %s", v.Prefix())
		}
	}
	for _, a := range sortedKeys(d.announced) {
		if !want[a] {
			if err := d.sp.Withdraw(ctx, a); err != nil {
				d.logf("warning", "%v", err)
				continue
			}
			delete(d.announced, a)
			d.withdraws++
			d.logf("info", "withdrew %s", netip.PrefixFrom(a, a.BitLen()))
		}
	}
}

func sortedKeys(m map[netip.Addr]bool) []netip.Addr {
	l := make([]netip.Addr, 0, len(m))
	for a := range m {
		l = append(l, a)
	}
	slices.SortFunc(l, netip.Addr.Compare)
	return l
}

// Drain withdraws every VIP for a graceful stop and waits, bounded by ctx, until the
// neighbors' adj-rib-outs are empty; no VIP is announced again afterwards.
func (d *Daemon) Drain(ctx context.Context) error {
	d.mu.Lock()
	d.draining = true
	n := len(d.announced)
	d.withdraws += uint64(n)
	d.announced = map[netip.Addr]bool{}
	d.mu.Unlock()
	if err := d.sp.WithdrawAll(ctx); err != nil {
		return fmt.Errorf("withdrawing %d VIPs: %w", n, err)
	}
	return nil
}

// Query answers a control request: status [VIP], announce VIP, withdraw VIP.
func (d *Daemon) Query(ctx context.Context, args []string) (string, int) {
	if len(args) == 0 {
		return "usage: status [VIP] | announce VIP | withdraw VIP\n", 2
	}
	if args[0] == "status" && len(args) == 1 {
		return string(d.StatusJSON()) + "\n", 0
	}
	if len(args) != 2 || (args[0] != "status" && args[0] != "announce" && args[0] != "withdraw") {
		return fmt.Sprintf("unknown request %q: want status [VIP], announce VIP or withdraw VIP\n", strings.Join(args, " ")), 2
	}
	a, err := netip.ParseAddr(args[1])
	if err != nil {
		return fmt.Sprintf("%s: want an address, got %q\n", args[0], args[1]), 2
	}
	a = a.Unmap()
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.cfg.VIP(a)
	if !ok {
		return fmt.Sprintf("%s is not a vip of %s\n", a, "bgp.conf"), 1
	}
	switch args[0] {
	case "status":
		// heartbeat's resource status: "running" while started.
		if d.held[a] || (d.cfg.Mode == bgpconf.Standalone && d.announced[a]) {
			return "running\n", 0
		}
		return "stopped\n", 3
	case "announce", "withdraw":
		if d.cfg.Mode != bgpconf.Heartbeat {
			return fmt.Sprintf("mode standalone: health alone decides whether %s is announced\n", a), 1
		}
		d.held[a] = args[0] == "announce"
		d.logf("info", "heartbeat: %s %s", args[0], v)
		d.reconcile(ctx)
		state := "withdrawn"
		if d.announced[a] {
			state = "announced"
		} else if args[0] == "announce" {
			state = "held, not announced: unhealthy"
		}
		return fmt.Sprintf("%s: %s\n", a, state), 0
	}
	return "", 2
}

// Reload applies a new config: neighbors added, removed or changed one by one; a new
// router id, AS or listening need restarts the speaker with restart (the sessions go
// down and come back); new next hops re-announce every VIP.
func (d *Daemon) Reload(ctx context.Context, cfg *bgpconf.Config, restart func(*bgpconf.Config) (Speaker, error)) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.cfg
	if old.RouterID != cfg.RouterID || old.LocalAS != cfg.LocalAS || listens(old) != listens(cfg) {
		d.logf("info", "reload: router-id, local-as or passive neighbors changed: restarting BGP")
		sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := d.sp.Stop(sctx)
		cancel()
		if err != nil {
			d.logf("warning", "%v", err)
		}
		sp, err := restart(cfg)
		if err != nil {
			return err
		}
		d.sp, d.cfg = sp, cfg
		d.withdraws += uint64(len(d.announced))
		d.announced = map[netip.Addr]bool{}
		d.reconcile(ctx)
		return nil
	}
	var errs []error
	for _, n := range old.Neighbors {
		if i := slices.IndexFunc(cfg.Neighbors, func(m bgpconf.Neighbor) bool { return m.Addr == n.Addr }); i < 0 || !sameNeighbor(n, cfg.Neighbors[i]) {
			errs = append(errs, d.sp.DeleteNeighbor(ctx, n.Addr))
		}
	}
	for _, n := range cfg.Neighbors {
		if i := slices.IndexFunc(old.Neighbors, func(m bgpconf.Neighbor) bool { return m.Addr == n.Addr }); i < 0 || !sameNeighbor(n, old.Neighbors[i]) {
			errs = append(errs, d.sp.AddNeighbor(ctx, n))
		}
	}
	d.sp.SetConfig(cfg)
	d.cfg = cfg
	if old.NextHop4 != cfg.NextHop4 || old.NextHop6 != cfg.NextHop6 {
		for _, a := range sortedKeys(d.announced) {
			errs = append(errs, d.sp.Withdraw(ctx, a))
			delete(d.announced, a)
			d.withdraws++
		}
	}
	for a := range d.held {
		if _, ok := cfg.VIP(a); !ok {
			delete(d.held, a)
		}
	}
	d.reconcile(ctx)
	return errors.Join(errs...)
}

func listens(c *bgpconf.Config) bool {
	return slices.ContainsFunc(c.Neighbors, func(n bgpconf.Neighbor) bool { return n.Passive })
}

func sameNeighbor(a, b bgpconf.Neighbor) bool {
	a.Line, b.Line = 0, 0
	return a == b
}

// Config returns the running config.
func (d *Daemon) Config() *bgpconf.Config {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cfg
}

// Stop stops the speaker.
func (d *Daemon) Stop(ctx context.Context) error {
	d.mu.Lock()
	sp := d.sp
	d.mu.Unlock()
	return sp.Stop(ctx)
}
