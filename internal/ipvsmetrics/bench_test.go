package ipvsmetrics

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/lvskit/lvskit/internal/ipvs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// bigTable is nsvc services with ndest real servers each: TCP, UDP and fwmark
// services over IPv4, with every tenth a TCP service and every tenth a fwmark
// service over IPv6; counters in the billions.
func bigTable(tb testing.TB, nsvc, ndest int) *ipvs.Fake {
	f := ipvs.NewFake()
	ctx := context.Background()
	var ops []ipvs.Op
	for i := range nsvc {
		k := ipvs.ServiceKey{Family: ipvs.FamilyIPv4, Addr: netip.AddrFrom4([4]byte{10, 20, byte(i >> 8), byte(i)}), Port: 80}
		six := false
		switch {
		case i%10 == 9:
			k = ipvs.ServiceKey{Family: ipvs.FamilyIPv6, Protocol: ipvs.TCP, Addr: netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 14: byte(i >> 8), 15: byte(i)}), Port: 443}
			six = true
		case i%10 == 8:
			k = ipvs.ServiceKey{Family: ipvs.FamilyIPv6, FWMark: uint32(i + 1)}
			six = true
		case i%3 == 0:
			k.Protocol = ipvs.TCP
		case i%3 == 1:
			k.Protocol = ipvs.UDP
			k.Port = 53
		default:
			k = ipvs.ServiceKey{Family: ipvs.FamilyIPv4, FWMark: uint32(i + 1)}
		}
		s := ipvs.Service{Key: k, Scheduler: "wlc", Netmask: 0xffffffff}
		if six {
			s.Netmask = 128
		}
		ops = append(ops, ipvs.Op{Kind: ipvs.OpAddService, Service: s})
		for j := range ndest {
			d := ipvs.Destination{Key: ipvs.DestKey{Addr: netip.AddrFrom4([4]byte{172, 16, byte(j), byte(i)}), Port: 8080}, Forward: ipvs.Forward(j % 4), Weight: int32(j + 1)}
			if six {
				d.Key.Addr = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 1, 13: byte(j), 14: byte(i >> 8), 15: byte(i)})
			}
			if d.Forward == ipvs.Local {
				d.Forward = ipvs.Route
			}
			ops = append(ops, ipvs.Op{Kind: ipvs.OpAddDest, Service: ipvs.Service{Key: k}, Dest: d})
		}
	}
	for i, err := range f.Batch(ctx, ops) {
		if err != nil {
			tb.Fatalf("op %d %+v: %v", i, ops[i], err)
		}
	}
	big := ipvs.Stats{Conns: 123456789, InPkts: 9876543210, OutPkts: 8765432109, InBytes: 12345678901234, OutBytes: 23456789012345,
		CPS: 12, InPPS: 3456, OutPPS: 2345, InBPS: 1234567, OutBPS: 2345678}
	svcs, _ := f.Services(ctx)
	for _, s := range svcs {
		must(tb, f.SetStats(s.Key, big))
		ds, _ := f.Destinations(ctx, s.Key)
		for _, d := range ds {
			must(tb, f.SetDestCounters(s.Key, d.Key, 17, 4242, 3, big))
		}
	}
	return f
}

// snapshot answers the dumps of a Fake from a copy indexed by key: the Fake finds a
// service by a linear search, which over 5,000 services would dominate the
// measurement; the copies it returns are fresh slices, as the kernel client's are.
type snapshot struct {
	*ipvs.Fake
	svcs  []ipvs.ServiceInfo
	dests map[ipvs.ServiceKey][]ipvs.DestinationInfo
}

func newSnapshot(tb testing.TB, f *ipvs.Fake) *snapshot {
	ctx := context.Background()
	s := &snapshot{Fake: f, dests: map[ipvs.ServiceKey][]ipvs.DestinationInfo{}}
	var err error
	if s.svcs, err = f.Services(ctx); err != nil {
		tb.Fatal(err)
	}
	for _, si := range s.svcs {
		if s.dests[si.Key], err = f.Destinations(ctx, si.Key); err != nil {
			tb.Fatal(err)
		}
	}
	return s
}

func (s *snapshot) Services(ctx context.Context) ([]ipvs.ServiceInfo, error) {
	return append([]ipvs.ServiceInfo(nil), s.svcs...), nil
}

func (s *snapshot) Destinations(ctx context.Context, k ipvs.ServiceKey) ([]ipvs.DestinationInfo, error) {
	return append([]ipvs.DestinationInfo(nil), s.dests[k]...), nil
}

// BenchmarkScrape is a full collection of 5,000 services × 4 real servers (TCP, UDP,
// fwmark; a fifth over IPv6) through a registry's Gather, and through promhttp's
// handler writing the text exposition. The table's reads are the snapshot's (no
// kernel: this host has no IPVS), so this measures the collector and client_golang.
func BenchmarkScrape(b *testing.B) {
	const nsvc, ndest = 5000, 4
	snap := newSnapshot(b, bigTable(b, nsvc, ndest))
	c := New(fakeOpener(snap), 0)
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		b.Fatal(err)
	}
	series := 0
	for _, mf := range mfs {
		series += len(mf.Metric)
	}
	b.Run("Gather", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := reg.Gather(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(series), "series")
	})
	b.Run("HTTP", func(b *testing.B) {
		h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		var size int
		b.ReportAllocs()
		for b.Loop() {
			w := &countWriter{h: http.Header{}}
			h.ServeHTTP(w, req)
			size = w.n
		}
		b.ReportMetric(float64(series), "series")
		b.ReportMetric(float64(size), "bytes/scrape")
	})
}

// countWriter is a ResponseWriter that only counts the body.
type countWriter struct {
	h http.Header
	n int
}

func (w *countWriter) Header() http.Header { return w.h }
func (w *countWriter) WriteHeader(int)     {}
func (w *countWriter) Write(b []byte) (int, error) {
	w.n += len(b)
	return len(b), nil
}

var _ io.Writer = (*countWriter)(nil)

// BenchmarkOpenKernel is what opening a client per scrape would add: a generic
// netlink socket, the IPVS family's lookup and the client's receive buffers. On a
// host without ip_vs (this one) the lookup fails with ENOPROTOOPT after the same
// round trip to the kernel; with ip_vs, GET_INFO follows, which a scrape asks for
// anyway.
func BenchmarkOpenKernel(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		k, err := ipvs.OpenKernel()
		if err == nil {
			k.Close()
		}
	}
}
