package ipvsmetrics

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/internal/ipvs"
	"github.com/lvskit/lvskit/internal/statushttp/statushttptest"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.prom from the collector's output")

// scrape registers c in a fresh registry and returns the text exposition promhttp
// serves for it.
func scrape(t testing.TB, c prometheus.Collector) []byte {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	return serve(t, reg)
}

func serve(t testing.TB, g prometheus.Gatherer) []byte {
	h := promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.HTTPErrorOnError})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics: %d\n%s", rec.Code, rec.Body)
	}
	return rec.Body.Bytes()
}

// withoutDuration drops the scrape duration's sample, the one value that changes
// from run to run.
func withoutDuration(b []byte) string {
	var out []string
	for _, l := range strings.SplitAfter(string(b), "\n") {
		if !strings.HasPrefix(l, prefix+"scrape_duration_seconds ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "")
}

func golden(t *testing.T, name string, got string) {
	t.Helper()
	path := "testdata/" + name
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var (
	a      = netip.MustParseAddr
	tcp80  = ipvs.ServiceKey{Family: ipvs.FamilyIPv4, Protocol: ipvs.TCP, Addr: a("10.0.0.1"), Port: 80}
	udp53  = ipvs.ServiceKey{Family: ipvs.FamilyIPv4, Protocol: ipvs.UDP, Addr: a("10.0.0.1"), Port: 53}
	fwm1   = ipvs.ServiceKey{Family: ipvs.FamilyIPv4, FWMark: 1}
	fwm1v6 = ipvs.ServiceKey{Family: ipvs.FamilyIPv6, FWMark: 1}
	tcp6   = ipvs.ServiceKey{Family: ipvs.FamilyIPv6, Protocol: ipvs.TCP, Addr: a("2001:db8::1"), Port: 443}
	sctp   = ipvs.ServiceKey{Family: ipvs.FamilyIPv4, Protocol: ipvs.SCTP, Addr: a("10.0.0.2"), Port: 3868}
)

// smallTable is a handful of services: TCP, UDP and SCTP over IPv4, fwmark 1 for
// IPv4 and for IPv6, TCP over IPv6, every forwarding method, and both sync daemons.
func smallTable(t testing.TB) *ipvs.Fake {
	f := ipvs.NewFake()
	ctx := context.Background()
	svc := func(s ipvs.Service) {
		t.Helper()
		if s.Key.Family == ipvs.FamilyIPv6 {
			s.Netmask = 128
		} else {
			s.Netmask = 0xffffffff
		}
		must(t, f.AddService(ctx, s))
	}
	dest := func(k ipvs.ServiceKey, d ipvs.Destination, active, inact, persist uint32, st ipvs.Stats) {
		t.Helper()
		must(t, f.AddDestination(ctx, k, d))
		must(t, f.SetDestCounters(k, d.Key, active, inact, persist, st))
	}
	svc(ipvs.Service{Key: tcp80, Scheduler: "wlc"})
	svc(ipvs.Service{Key: udp53, Scheduler: "rr", Flags: ipvs.SvcPersistent, Timeout: 360})
	svc(ipvs.Service{Key: fwm1, Scheduler: "sh", Flags: ipvs.SvcSchedFlag1 | ipvs.SvcSchedFlag2})
	svc(ipvs.Service{Key: fwm1v6, Scheduler: "wrr"})
	svc(ipvs.Service{Key: tcp6, Scheduler: "lc", Flags: ipvs.SvcOnePacket | ipvs.SvcPersistent, Timeout: 60, PEName: "sip"})
	svc(ipvs.Service{Key: sctp, Scheduler: "rr"})
	// Counters above 2^53 would lose digits as float64; these stay exact.
	must(t, f.SetStats(tcp80, ipvs.Stats{Conns: 1000, InPkts: 20000, OutPkts: 18000, InBytes: 3_000_000_000_000, OutBytes: 40_000_000_000_000,
		CPS: 5, InPPS: 100, OutPPS: 90, InBPS: 15000, OutBPS: 200000}))
	must(t, f.SetStats(udp53, ipvs.Stats{Conns: 7, InPkts: 70, OutPkts: 69, InBytes: 4200, OutBytes: 9000}))
	dest(tcp80, ipvs.Destination{Key: ipvs.DestKey{Addr: a("192.168.1.1"), Port: 80}, Forward: ipvs.Route, Weight: 1}, 3, 10, 0,
		ipvs.Stats{Conns: 600, InPkts: 12000, OutPkts: 11000, InBytes: 1_000_000_000_000, OutBytes: 30_000_000_000_000, CPS: 3})
	dest(tcp80, ipvs.Destination{Key: ipvs.DestKey{Addr: a("192.168.1.2"), Port: 8080}, Forward: ipvs.Masq, Weight: 2}, 2, 5, 0,
		ipvs.Stats{Conns: 400, InPkts: 8000, OutPkts: 7000, InBytes: 2_000_000_000_000, OutBytes: 10_000_000_000_000, CPS: 2})
	dest(udp53, ipvs.Destination{Key: ipvs.DestKey{Addr: a("192.168.1.3"), Port: 53}, Forward: ipvs.Tunnel, Weight: 5}, 0, 7, 4,
		ipvs.Stats{Conns: 7, InPkts: 70, OutPkts: 69, InBytes: 4200, OutBytes: 9000})
	dest(fwm1, ipvs.Destination{Key: ipvs.DestKey{Addr: a("10.0.0.1"), Port: 0}, Forward: ipvs.Local, Weight: 1}, 0, 0, 0, ipvs.Stats{})
	dest(fwm1v6, ipvs.Destination{Key: ipvs.DestKey{Addr: a("2001:db8::10"), Port: 0}, Forward: ipvs.Masq, Weight: 0}, 0, 0, 0, ipvs.Stats{})
	dest(tcp6, ipvs.Destination{Key: ipvs.DestKey{Addr: a("2001:db8::11"), Port: 8443}, Forward: ipvs.Route, Weight: 3}, 1, 0, 1,
		ipvs.Stats{Conns: 1, InPkts: 9, OutPkts: 8, InBytes: 900, OutBytes: 1800})
	must(t, f.StartDaemon(ctx, ipvs.SyncDaemon{State: ipvs.DaemonMaster, McastIfn: "lo", SyncID: 7}))
	must(t, f.StartDaemon(ctx, ipvs.SyncDaemon{State: ipvs.DaemonBackup, McastIfn: "lo", SyncID: 0}))
	f.SetInfo(ipvs.Info{Version: 0x010201, ConnTabSize: 4096})
	f.ResetCalls()
	return f
}

func fakeOf(f *ipvs.Fake) func() (ipvs.Client, error) { return fakeOpener(f) }

func fakeOpener(c ipvs.Client) func() (ipvs.Client, error) {
	return func() (ipvs.Client, error) { return c, nil }
}

// TestSmallTable scrapes a handful of services and compares every series with
// testdata/small.prom (-update rewrites it from the output; there is no oracle on the
// host: the VM test compares with ipvsadm 1.31 on a real kernel), then lints the
// exposition with promtool.
func TestSmallTable(t *testing.T) {
	f := smallTable(t)
	c := New(fakeOpener(f), 0)
	out := scrape(t, c)
	golden(t, "small.prom", withoutDuration(out))
	statushttptest.CheckMetrics(t, out)

	// One read per scrape: Info, one service dump, one destination dump per
	// service, the daemons.
	var ops []string
	for _, call := range f.Calls() {
		ops = append(ops, call.Op)
	}
	want := "Info Services Destinations Destinations Destinations Destinations Destinations Destinations Daemons"
	if got := strings.Join(ops, " "); got != want {
		t.Errorf("calls %s\nwant  %s", got, want)
	}
}

// TestServiceGone: a service deleted between the service dump and its destination
// dump (ESRCH) is left out; the scrape still succeeds.
func TestServiceGone(t *testing.T) {
	f := smallTable(t)
	c := New(fakeOpener(&goneFake{Fake: f, gone: udp53}), 0)
	out := string(scrape(t, c))
	if v := statushttptest.Sample([]byte(out), prefix+"up "); v != "1" {
		t.Fatalf("up %q\n%s", v, out)
	}
	if strings.Contains(out, `service="10.0.0.1:53"`) {
		t.Errorf("the deleted service is exported:\n%s", out)
	}
	if v := statushttptest.Sample([]byte(out), prefix+"services "); v != "5" {
		t.Errorf("services %q, want 5", v)
	}
}

type goneFake struct {
	*ipvs.Fake
	gone ipvs.ServiceKey
}

func (g *goneFake) Destinations(ctx context.Context, k ipvs.ServiceKey) ([]ipvs.DestinationInfo, error) {
	if k == g.gone {
		return nil, syscall.ESRCH
	}
	return g.Fake.Destinations(ctx, k)
}

// TestUnreadable: when IPVS cannot be read, up is 0, no series of the table is
// exported, the error counter moves, and the scrape itself succeeds.
func TestUnreadable(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(f *ipvs.Fake) func() (ipvs.Client, error)
		fail string
	}{
		{"open fails (no ip_vs module)", func(*ipvs.Fake) func() (ipvs.Client, error) {
			return func() (ipvs.Client, error) { return nil, fmt.Errorf("ipvs: %w", syscall.ENOPROTOOPT) }
		}, ""},
		{"Info EPERM", fakeOf, "Info"},
		{"Services fails", fakeOf, "Services"},
		{"Destinations fails", fakeOf, "Destinations"},
		{"Daemons fails", fakeOf, "Daemons"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := smallTable(t)
			if tc.fail != "" {
				f.Fail(tc.fail, syscall.EPERM)
			}
			c := New(tc.open(f), 0)
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(c)
			for i := 1; i <= 2; i++ {
				out := serve(t, reg)
				if v := statushttptest.Sample(out, prefix+"up "); v != "0" {
					t.Fatalf("up %q, want 0\n%s", v, out)
				}
				if v := statushttptest.Sample(out, prefix+"scrape_errors_total "); v != fmt.Sprint(i) {
					t.Errorf("scrape %d: scrape_errors_total %q, want %d", i, v, i)
				}
				var names []string
				for _, l := range strings.Split(string(out), "\n") {
					if l != "" && !strings.HasPrefix(l, "#") {
						names = append(names, strings.Fields(l)[0])
					}
				}
				if want := []string{prefix + "scrape_duration_seconds", prefix + "scrape_errors_total", prefix + "up"}; !cmp.Equal(names, want) {
					t.Errorf("series %q, want only %q", names, want)
				}
				statushttptest.CheckMetrics(t, out)
			}
			if c.LastError() == nil {
				t.Error("LastError nil after a failed scrape")
			}
			// Recovery: the fault gone, the next scrape reads the table.
			f.Fail(tc.fail, nil)
			if tc.fail != "" {
				if v := statushttptest.Sample(serve(t, reg), prefix+"up "); v != "1" {
					t.Errorf("after the fault is gone: up %q, want 1", v)
				}
				if c.LastError() != nil {
					t.Errorf("LastError %v after a good scrape", c.LastError())
				}
			}
		})
	}
}

// TestReopen: a kept client that fails (ip_vs reloaded under it) is closed and the
// read retried once on a fresh client in the same scrape; a fresh client that fails
// is not retried.
func TestReopen(t *testing.T) {
	stale, good := smallTable(t), smallTable(t)
	opens := 0
	open := func() (ipvs.Client, error) {
		opens++
		if opens == 1 {
			return stale, nil
		}
		return good, nil
	}
	c := New(open, 0)
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	if v := statushttptest.Sample(serve(t, reg), prefix+"up "); v != "1" || opens != 1 {
		t.Fatalf("first scrape: up %q, %d opens", v, opens)
	}
	stale.Fail("Info", syscall.ENOENT)
	if v := statushttptest.Sample(serve(t, reg), prefix+"up "); v != "1" || opens != 2 {
		t.Fatalf("scrape on a stale client: up %q, %d opens; want 1, 2", v, opens)
	}
	if calls := stale.Calls(); calls[len(calls)-1].Op != "Close" {
		t.Errorf("the stale client was not closed: %v", calls)
	}
	// Kept: the third scrape opens nothing.
	serve(t, reg)
	if opens != 2 {
		t.Errorf("%d opens after three scrapes, want 2", opens)
	}
}

// blockingFake never answers Services: it waits for its context, or ignores it.
type blockingFake struct {
	*ipvs.Fake
	ignoreCtx bool
	release   chan struct{}
}

func (b *blockingFake) Services(ctx context.Context) ([]ipvs.ServiceInfo, error) {
	if b.ignoreCtx {
		<-b.release
		return nil, errors.New("released")
	}
	<-ctx.Done()
	return nil, ctx.Err()
}

// TestDeadline: a kernel that does not answer makes the scrape return within its
// timeout (plus slack) with up 0, whether or not the client honours the context.
func TestDeadline(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprintf("ignoreCtx=%v", ignore), func(t *testing.T) {
			b := &blockingFake{Fake: smallTable(t), ignoreCtx: ignore, release: make(chan struct{})}
			defer close(b.release)
			const timeout = 200 * time.Millisecond
			c := New(fakeOpener(b), timeout)
			reg := prometheus.NewPedanticRegistry()
			reg.MustRegister(c)
			for i := 1; i <= 2; i++ {
				start := time.Now()
				out := serve(t, reg)
				el := time.Since(start)
				if el > timeout+time.Second {
					t.Errorf("scrape %d took %s with a %s timeout", i, el, timeout)
				}
				if v := statushttptest.Sample(out, prefix+"up "); v != "0" {
					t.Errorf("scrape %d: up %q, want 0", i, v)
				}
				if v := statushttptest.Sample(out, prefix+"scrape_errors_total "); v != fmt.Sprint(i) {
					t.Errorf("scrape %d: errors %q", i, v)
				}
			}
			if err := c.LastError(); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("LastError %v, want a deadline", err)
			}
		})
	}
}
