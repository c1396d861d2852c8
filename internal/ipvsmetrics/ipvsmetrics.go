package ipvsmetrics

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/lvskit/lvskit/internal/ipvs"
	"github.com/prometheus/client_golang/prometheus"
)

// DefaultTimeout bounds a scrape's read of IPVS when New is given 0.
const DefaultTimeout = 5 * time.Second

// Collector is a prometheus.Collector over the kernel's IPVS table: every Collect
// reads the table once (Info, one service dump, one destination dump per service,
// the sync daemons) and exports it. It is safe for concurrent use; concurrent
// scrapes read the kernel one after another.
type Collector struct {
	open    func() (ipvs.Client, error)
	timeout time.Duration

	// sem is held by the goroutine reading the kernel; it guards client.
	sem    chan struct{}
	client ipvs.Client

	scrapeErrors atomic.Uint64
	errMu        sync.Mutex
	lastErr      error

	d descs
}

// Kernel returns an open function for New over the real kernel: ipvs.OpenKernel
// without modprobe (a scrape never loads modules), its initialisation bounded by
// timeout (ipvs.DefaultTimeout when 0).
func Kernel(timeout time.Duration) func() (ipvs.Client, error) {
	return func() (ipvs.Client, error) {
		k, err := ipvs.OpenKernel(ipvs.WithTimeout(timeout))
		if err != nil {
			return nil, err
		}
		return k, nil
	}
}

// New returns a Collector that reads IPVS through clients made by open (Kernel's
// result for the real kernel; a function returning an ipvs.Fake in tests). Each
// scrape's read runs under one context with the deadline timeout (DefaultTimeout
// when 0). open is called on the first scrape and again after any failed read;
// the client is kept between scrapes otherwise (see the package doc).
func New(open func() (ipvs.Client, error), timeout time.Duration) *Collector {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &Collector{open: open, timeout: timeout, sem: make(chan struct{}, 1), d: newDescs()}
}

// LastError returns the error of the most recent failed scrape, or nil when the
// most recent scrape read the table.
func (c *Collector) LastError() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.lastErr
}

// Close closes the kept client, if any, waiting for a read in progress.
func (c *Collector) Close() error {
	c.sem <- struct{}{}
	defer func() { <-c.sem }()
	if c.client == nil {
		return nil
	}
	err := c.client.Close()
	c.client = nil
	return err
}

// Describe sends every descriptor the collector uses; all are made once, in New.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.d.all() {
		ch <- d
	}
}

// Collect reads the table once and sends its metrics. When IPVS cannot be read
// (no ip_vs module, no CAP_NET_ADMIN, the deadline) it sends lvskit_ipvs_up 0, the
// error counter and the duration, and nothing of the table.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	t, err := c.read(ctx)
	c.errMu.Lock()
	c.lastErr = err
	c.errMu.Unlock()
	if err != nil {
		c.scrapeErrors.Add(1)
		ch <- prometheus.MustNewConstMetric(c.d.up, prometheus.GaugeValue, 0)
	} else {
		ch <- prometheus.MustNewConstMetric(c.d.up, prometheus.GaugeValue, 1)
		c.emit(ch, t)
	}
	ch <- prometheus.MustNewConstMetric(c.d.scrapeErrors, prometheus.CounterValue, float64(c.scrapeErrors.Load()))
	ch <- prometheus.MustNewConstMetric(c.d.duration, prometheus.GaugeValue, time.Since(start).Seconds())
}

// table is one read of the kernel's IPVS state.
type table struct {
	info     ipvs.Info
	services []ipvs.ServiceInfo
	dests    [][]ipvs.DestinationInfo // per service
	daemons  []ipvs.SyncDaemon
}

// read reads the table in a goroutine of its own and waits for it at most until
// ctx's deadline: a client that does not honour ctx (or a kernel that does not
// answer) delays no scrape beyond its timeout. A read that outlives its scrape
// keeps the client until it ends, so the next scrape waits for it (again at most
// until its own deadline) rather than piling up readers.
func (c *Collector) read(ctx context.Context) (*table, error) {
	select {
	case c.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("ipvsmetrics: the previous scrape's read of IPVS is still running: %w", ctx.Err())
	}
	type result struct {
		t   *table
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-c.sem }()
		t, err := c.readLocked(ctx)
		done <- result{t, err}
	}()
	select {
	case r := <-done:
		return r.t, r.err
	case <-ctx.Done():
		select {
		case r := <-done:
			return r.t, r.err
		default:
		}
		return nil, fmt.Errorf("ipvsmetrics: reading IPVS: %w", ctx.Err())
	}
}

// readLocked reads through the kept client, opening one when there is none. A
// failed read drops the client; when the client was kept from an earlier scrape it
// may be stale (ip_vs reloaded: its generic netlink family changed), so the read is
// tried once more on a fresh one within the same deadline.
func (c *Collector) readLocked(ctx context.Context) (*table, error) {
	fresh := false
	if c.client == nil {
		cl, err := c.open()
		if err != nil {
			return nil, err
		}
		c.client, fresh = cl, true
	}
	t, err := readTable(ctx, c.client)
	if err == nil {
		return t, nil
	}
	c.client.Close()
	c.client = nil
	if fresh || ctx.Err() != nil {
		return nil, err
	}
	cl, err2 := c.open()
	if err2 != nil {
		return nil, err
	}
	c.client = cl
	if t, err = readTable(ctx, cl); err != nil {
		cl.Close()
		c.client = nil
		return nil, err
	}
	return t, nil
}

// readTable reads Info, the services, each service's destinations and the daemons.
// A service deleted between the service dump and its destination dump (ESRCH) is
// left out, as ipvsadm -Ln would have missed it a moment later.
func readTable(ctx context.Context, cl ipvs.Client) (*table, error) {
	info, err := cl.Info(ctx)
	if err != nil {
		return nil, err
	}
	svcs, err := cl.Services(ctx)
	if err != nil {
		return nil, err
	}
	t := &table{info: info, services: svcs[:0], dests: make([][]ipvs.DestinationInfo, 0, len(svcs))}
	for _, s := range svcs {
		d, err := cl.Destinations(ctx, s.Key)
		if errors.Is(err, syscall.ESRCH) {
			continue
		}
		if err != nil {
			return nil, err
		}
		t.services = append(t.services, s)
		t.dests = append(t.dests, d)
	}
	if t.daemons, err = cl.Daemons(ctx); err != nil {
		return nil, err
	}
	return t, nil
}

// emit sends the table's metrics.
func (c *Collector) emit(ch chan<- prometheus.Metric, t *table) {
	d := &c.d
	gauge := func(desc *prometheus.Desc, v float64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, lv...)
	}
	counter := func(desc *prometheus.Desc, v uint64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.CounterValue, float64(v), lv...)
	}
	gauge(d.version, 1, versionString(t.info.Version))
	gauge(d.connTab, float64(t.info.ConnTabSize))
	gauge(d.services, float64(len(t.services)))
	nreal := 0
	for _, ds := range t.dests {
		nreal += len(ds)
	}
	gauge(d.realServers, float64(nreal))
	for _, sd := range t.daemons {
		gauge(d.daemon, 1, sd.State.String(), sd.McastIfn, strconv.FormatUint(uint64(sd.SyncID), 10))
	}
	for i := range t.services {
		s := &t.services[i]
		af, proto, svc := serviceLabels(s.Key)
		gauge(d.svcInfo, 1, af, proto, svc, s.Scheduler, flagsString(&s.Service), persistentString(&s.Service), s.PEName)
		st := &s.Stats
		counter(d.svcConns, st.Conns, af, proto, svc)
		counter(d.svcInPkts, st.InPkts, af, proto, svc)
		counter(d.svcOutPkts, st.OutPkts, af, proto, svc)
		counter(d.svcInBytes, st.InBytes, af, proto, svc)
		counter(d.svcOutBytes, st.OutBytes, af, proto, svc)
		gauge(d.svcCPS, float64(st.CPS), af, proto, svc)
		gauge(d.svcInPPS, float64(st.InPPS), af, proto, svc)
		gauge(d.svcOutPPS, float64(st.OutPPS), af, proto, svc)
		gauge(d.svcInBPS, float64(st.InBPS), af, proto, svc)
		gauge(d.svcOutBPS, float64(st.OutBPS), af, proto, svc)
		for j := range t.dests[i] {
			r := &t.dests[i][j]
			real, fwd := addrPort(r.Key.Addr, r.Key.Port), forwardName(r.Forward)
			lv := []string{af, proto, svc, real, fwd}
			gauge(d.rsWeight, float64(r.Weight), lv...)
			gauge(d.rsActive, float64(r.ActiveConns), lv...)
			gauge(d.rsInact, float64(r.InactConns), lv...)
			gauge(d.rsPersist, float64(r.PersistConns), lv...)
			st := &r.Stats
			counter(d.rsConns, st.Conns, lv...)
			counter(d.rsInPkts, st.InPkts, lv...)
			counter(d.rsOutPkts, st.OutPkts, lv...)
			counter(d.rsInBytes, st.InBytes, lv...)
			counter(d.rsOutBytes, st.OutBytes, lv...)
			gauge(d.rsCPS, float64(st.CPS), lv...)
			gauge(d.rsInPPS, float64(st.InPPS), lv...)
			gauge(d.rsOutPPS, float64(st.OutPPS), lv...)
			gauge(d.rsInBPS, float64(st.InBPS), lv...)
			gauge(d.rsOutBPS, float64(st.OutBPS), lv...)
		}
	}
}

// serviceLabels are the af, protocol and service labels of a virtual service, as
// ipvsadm -Ln names it: "TCP  10.0.0.1:80", "TCP  [2001:db8::1]:80", "FWM  1",
// "FWM  1 IPv6".
func serviceLabels(k ipvs.ServiceKey) (af, proto, svc string) {
	af = "inet"
	if k.Family == ipvs.FamilyIPv6 || k.Family == 0 && k.Addr.Is6() {
		af = "inet6"
	}
	if k.FWMark != 0 {
		// ipvsadm prints the mark as a signed int.
		return af, "FWM", strconv.FormatInt(int64(int32(k.FWMark)), 10)
	}
	return af, k.Protocol.String(), addrPort(k.Addr, k.Port)
}

// addrPort is ipvsadm's address:port, the IPv6 address in brackets.
func addrPort(a netip.Addr, port uint16) string {
	return netip.AddrPortFrom(a.WithZone(""), port).String()
}

// forwardName is the Forward column of ipvsadm -Ln.
func forwardName(f ipvs.Forward) string {
	switch f {
	case ipvs.Masq:
		return "Masq"
	case ipvs.Local:
		return "Local"
	case ipvs.Tunnel:
		return "Tunnel"
	case ipvs.Route:
		return "Route"
	case ipvs.Bypass:
		return "Bypass"
	}
	return "unknown"
}

// flagsString is what ipvsadm -Ln prints of the service's flags besides
// persistence: the scheduler flags it prints in parentheses, and "ops", joined
// by commas.
func flagsString(s *ipvs.Service) string {
	var f []string
	switch s.Scheduler {
	case "sh", "mh":
		if s.Flags&ipvs.SvcSchedFlag1 != 0 {
			f = append(f, s.Scheduler+"-fallback")
		}
		if s.Flags&ipvs.SvcSchedFlag2 != 0 {
			f = append(f, s.Scheduler+"-port")
		}
	default:
		if s.Flags&ipvs.SvcSchedFlag1 != 0 {
			f = append(f, "flag-1")
		}
		if s.Flags&ipvs.SvcSchedFlag2 != 0 {
			f = append(f, "flag-2")
		}
		if s.Flags&ipvs.SvcSchedFlag3 != 0 {
			f = append(f, "flag-3")
		}
	}
	if s.Flags&ipvs.SvcOnePacket != 0 {
		f = append(f, "ops")
	}
	return strings.Join(f, ",")
}

// persistentString is the persistence timeout in seconds of a persistent service
// (ipvsadm's "persistent 360"), empty for one that is not.
func persistentString(s *ipvs.Service) string {
	if s.Flags&ipvs.SvcPersistent == 0 {
		return ""
	}
	return strconv.FormatUint(uint64(s.Timeout), 10)
}

// versionString is ipvsadm's "1.2.1" of Info.Version.
func versionString(v uint32) string {
	return fmt.Sprintf("%d.%d.%d", v>>16&0xff, v>>8&0xff, v&0xff)
}
