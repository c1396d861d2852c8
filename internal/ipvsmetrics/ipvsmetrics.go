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
	dto "github.com/prometheus/client_model/go"
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

// emit sends the table's metrics. The few table-level series are const metrics;
// the per-service and per-real-server series (tens of thousands on a large
// director) are samples over slabs allocated once per scrape, sharing one label
// set per service or real server (see sample).
func (c *Collector) emit(ch chan<- prometheus.Metric, t *table) {
	d := &c.d
	gauge := func(desc *prometheus.Desc, v float64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, v, lv...)
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

	nsvc := len(t.services)
	var (
		samples  = make([]sample, 0, nsvc*svcSeries+nreal*rsSeries)
		counters = make([]dto.Counter, nsvc*svcCounters+nreal*rsCounters)
		gauges   = make([]dto.Gauge, nsvc*svcGauges+nreal*rsGauges)
		values   = make([]string, 0, nsvc*len(infoLabels)+nreal*len(rsLabels))
		pairs    = make([]dto.LabelPair, 0, nsvc*(len(infoLabels)+len(svcLabels))+nreal*len(rsLabels))
		ptrs     = make([]*dto.LabelPair, 0, cap(pairs))
	)
	// labels makes a label set from names and values, both in label name order.
	labels := func(names []*string, vals ...string) []*dto.LabelPair {
		start := len(ptrs)
		for i, n := range names {
			values = append(values, vals[i])
			pairs = append(pairs, dto.LabelPair{})
			lp := &pairs[len(pairs)-1]
			lp.Name, lp.Value = n, &values[len(values)-1]
			ptrs = append(ptrs, lp)
		}
		return ptrs[start:len(ptrs):len(ptrs)]
	}
	add := func(desc *prometheus.Desc, lp []*dto.LabelPair, v float64, counter bool) {
		samples = append(samples, sample{desc: desc, labels: lp, value: v})
		m := &samples[len(samples)-1]
		if counter {
			m.counter = &counters[0]
			counters = counters[1:]
			m.counter.Value = &m.value
		} else {
			m.gauge = &gauges[0]
			gauges = gauges[1:]
			m.gauge.Value = &m.value
		}
	}
	for i := range t.services {
		s := &t.services[i]
		af, proto, svc := serviceLabels(s.Key)
		// Sorted by name: af, flags, pe, persistent, protocol, scheduler, service.
		add(d.svcInfo, labels(infoNames, af, flagsString(&s.Service), s.PEName, persistentString(&s.Service), proto, s.Scheduler, svc), 1, false)
		lp := labels(svcNames, af, proto, svc)
		st := &s.Stats
		add(d.svcConns, lp, float64(st.Conns), true)
		add(d.svcInPkts, lp, float64(st.InPkts), true)
		add(d.svcOutPkts, lp, float64(st.OutPkts), true)
		add(d.svcInBytes, lp, float64(st.InBytes), true)
		add(d.svcOutBytes, lp, float64(st.OutBytes), true)
		add(d.svcCPS, lp, float64(st.CPS), false)
		add(d.svcInPPS, lp, float64(st.InPPS), false)
		add(d.svcOutPPS, lp, float64(st.OutPPS), false)
		add(d.svcInBPS, lp, float64(st.InBPS), false)
		add(d.svcOutBPS, lp, float64(st.OutBPS), false)
		for j := range t.dests[i] {
			r := &t.dests[i][j]
			// Sorted by name: af, forward, protocol, real, service.
			lp := labels(rsNames, af, forwardName(r.Forward), proto, addrPort(r.Key.Addr, r.Key.Port), svc)
			add(d.rsWeight, lp, float64(r.Weight), false)
			add(d.rsActive, lp, float64(r.ActiveConns), false)
			add(d.rsInact, lp, float64(r.InactConns), false)
			add(d.rsPersist, lp, float64(r.PersistConns), false)
			st := &r.Stats
			add(d.rsConns, lp, float64(st.Conns), true)
			add(d.rsInPkts, lp, float64(st.InPkts), true)
			add(d.rsOutPkts, lp, float64(st.OutPkts), true)
			add(d.rsInBytes, lp, float64(st.InBytes), true)
			add(d.rsOutBytes, lp, float64(st.OutBytes), true)
		}
	}
	for i := range samples {
		ch <- &samples[i]
	}
}

// Series per service and per real server, for the slabs.
const (
	svcCounters = 5
	svcGauges   = 1 + 5 // info, rates
	svcSeries   = svcCounters + svcGauges
	rsCounters  = 5
	rsGauges    = 4
	rsSeries    = rsCounters + rsGauges
)

// sample is one series of a service or real server: a prometheus.Metric like a
// const metric, but its label set is built once per service or real server and
// shared by that object's series, and its dto values live in per-scrape slabs, so
// a series costs no allocation of its own here. Label pairs are sorted by name,
// as the registry expects, and never changed after the scrape built them.
type sample struct {
	desc    *prometheus.Desc
	labels  []*dto.LabelPair
	value   float64
	counter *dto.Counter
	gauge   *dto.Gauge
}

func (s *sample) Desc() *prometheus.Desc { return s.desc }

func (s *sample) Write(m *dto.Metric) error {
	m.Label = s.labels
	m.Counter, m.Gauge = s.counter, s.gauge
	return nil
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
