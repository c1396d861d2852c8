package nameres

import (
	"context"
	"errors"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/ipvsadm"
	"github.com/lvskit/lvskit/internal/nameres/dnstest"
)

type fakeDNS struct {
	a     map[string][]netip.Addr
	ptr   map[netip.Addr][]string
	calls []string
	block bool // wait for the deadline
}

func (f *fakeDNS) LookupA(ctx context.Context, host string) ([]netip.Addr, error) {
	f.calls = append(f.calls, "A "+host)
	if f.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if as, ok := f.a[host]; ok {
		return as, nil
	}
	return nil, errors.New("no such host")
}

func (f *fakeDNS) LookupPTR(ctx context.Context, a netip.Addr) ([]string, error) {
	f.calls = append(f.calls, "PTR "+a.String())
	if f.block {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return f.ptr[a], nil
}

var ip = netip.MustParseAddr

func TestHostsSources(t *testing.T) {
	for in, want := range map[string][]string{
		"hosts: files dns\n":                                      {"files", "dns"},
		"passwd: files\nhosts:   dns  files # comment\n":          {"dns", "files"},
		"hosts: files mdns4_minimal [NOTFOUND=return] dns myhost": {"files", "mdns4_minimal", "dns", "myhost"},
		"hosts: files [ NOTFOUND=return ] dns":                    {"files", "dns"},
		"hosts: files\n":                                          {"files"},
		"":                                                        {"dns", "files"},
		"# hosts: files\n":                                        {"dns", "files"},
	} {
		if got := HostsSources(in); !slices.Equal(got, want) {
			t.Errorf("HostsSources(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestResolverSources(t *testing.T) {
	files := ipvsadm.NewFilesResolver("10.0.1.1 both.test filesonly\n2001:db8::1 v6only\n", "http 80/tcp www\n")
	dns := &fakeDNS{
		a: map[string][]netip.Addr{
			"both.test": {ip("10.0.2.2")}, "dnsonly": {ip("10.0.2.3"), ip("10.0.2.4")},
			"mapped": {ip("::ffff:10.0.2.5")},
		},
		ptr: map[netip.Addr][]string{ip("10.0.1.1"): {"ptr-of-files"}, ip("10.0.2.3"): {"first", "second"}},
	}
	r := &Resolver{Files: files, DNS: dns, Sources: []string{"files", "dns"}, Timeout: time.Second}
	for name, want := range map[string]string{
		"both.test": "10.0.1.1", "FILESONLY": "10.0.1.1", "dnsonly": "10.0.2.3", "mapped": "10.0.2.5",
		"v6only": "", "nowhere": "", "10.0.0.300": "", "1.2.3.4.5": "",
	} {
		a, ok := r.HostToAddr(name)
		if got := ""; ok {
			got = a.String()
			if got != want {
				t.Errorf("HostToAddr(%q) = %s, want %q", name, got, want)
			}
		} else if want != "" {
			t.Errorf("HostToAddr(%q) not found, want %s", name, want)
		}
	}
	// Numeric names never reach a source; the others are asked once.
	r.HostToAddr("dnsonly")
	if want := []string{"A dnsonly", "A mapped", "A nowhere", "A v6only"}; !slices.Equal(sorted(dns.calls), want) {
		t.Errorf("DNS calls %q, want %q", sorted(dns.calls), want)
	}
	dns.calls = nil
	for a, want := range map[string]string{"10.0.1.1": "both.test", "10.0.2.3": "first", "2001:db8::1": "v6only", "10.9.9.9": ""} {
		n, ok := r.AddrToHost(ip(a))
		if ok != (want != "") || n != want {
			t.Errorf("AddrToHost(%s) = %q %v, want %q", a, n, ok, want)
		}
	}
	if want := []string{"PTR 10.0.2.3", "PTR 10.9.9.9"}; !slices.Equal(sorted(dns.calls), want) {
		t.Errorf("DNS calls %q, want %q", sorted(dns.calls), want)
	}
	if p, ok := r.ServiceToPort("www", "tcp"); !ok || p != 80 {
		t.Errorf("ServiceToPort(www) = %d %v", p, ok)
	}
	if n, ok := r.PortToService(80, "tcp"); !ok || n != "http" {
		t.Errorf("PortToService(80) = %q %v", n, ok)
	}

	// dns first: its answer wins; files only: no DNS at all.
	r = &Resolver{Files: files, DNS: dns, Sources: []string{"dns", "files"}}
	if a, _ := r.HostToAddr("both.test"); a != ip("10.0.2.2") {
		t.Errorf("dns files: both.test = %s", a)
	}
	if n, _ := r.AddrToHost(ip("10.0.1.1")); n != "ptr-of-files" {
		t.Errorf("dns files: 10.0.1.1 = %s", n)
	}
	dns.calls = nil
	r = &Resolver{Files: files, DNS: dns, Sources: []string{"files"}}
	r.HostToAddr("dnsonly")
	r.AddrToHost(ip("10.0.2.3"))
	if len(dns.calls) != 0 {
		t.Errorf("hosts: files asked DNS: %q", dns.calls)
	}
}

func TestResolverDeadline(t *testing.T) {
	dns := &fakeDNS{block: true}
	r := &Resolver{Files: ipvsadm.NewFilesResolver("", ""), DNS: dns, Sources: []string{"files", "dns"}, Timeout: 50 * time.Millisecond}
	start := time.Now()
	if _, ok := r.HostToAddr("slow"); ok {
		t.Error("found a name whose lookup timed out")
	}
	if _, ok := r.AddrToHost(ip("10.1.1.1")); ok {
		t.Error("found a name for an address whose lookup timed out")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("two lookups took %v with a 50ms deadline", d)
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestNetDNS runs the real dns source against dnstest: answers in the server's
// order (Go's resolver would put the reachable loopback address first), PTR's
// first name without its dot, IPv6 reverse names, NXDOMAIN and NODATA.
func TestNetDNS(t *testing.T) {
	srv := dnstest.Start(t, "127.0.0.1:0", dnstest.Zone{
		A: map[string][]netip.Addr{
			"multi.lvs.test": {ip("10.255.0.21"), ip("127.0.0.21"), ip("10.255.0.22")},
			"web1.lvs.test":  {ip("10.0.0.11")},
		},
		AAAA: map[string][]netip.Addr{"v6.lvs.test": {ip("2001:db8::11")}},
		PTR: map[netip.Addr][]string{
			ip("10.0.0.11"):    {"web1.lvs.test", "alias.lvs.test"},
			ip("2001:db8::11"): {"v6.lvs.test"},
		},
	})
	d := NewNetDNSServer(srv.Addr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := d.LookupA(ctx, "multi.lvs.test")
	if want := []netip.Addr{ip("10.255.0.21"), ip("127.0.0.21"), ip("10.255.0.22")}; err != nil || !slices.Equal(got, want) {
		t.Errorf("LookupA(multi) = %v %v, want %v", got, err, want)
	}
	if sorted, err := d.r.LookupNetIP(ctx, "ip4", "multi.lvs.test"); err == nil {
		t.Logf("Go's resolver alone: %v", sorted)
	}
	got, err = d.LookupA(ctx, "web1.lvs.test.")
	if err != nil || !slices.Equal(got, []netip.Addr{ip("10.0.0.11")}) {
		t.Errorf("LookupA(web1.) = %v %v", got, err)
	}
	for _, n := range []string{"v6.lvs.test", "nxdomain.lvs.test"} {
		if got, err := d.LookupA(ctx, n); len(got) != 0 || err == nil {
			t.Errorf("LookupA(%s) = %v %v, want an error", n, got, err)
		}
	}
	names, err := d.LookupPTR(ctx, ip("10.0.0.11"))
	if want := []string{"web1.lvs.test", "alias.lvs.test"}; err != nil || !slices.Equal(names, want) {
		t.Errorf("LookupPTR(10.0.0.11) = %q %v, want %q", names, err, want)
	}
	names, err = d.LookupPTR(ctx, ip("2001:db8::11"))
	if err != nil || !slices.Equal(names, []string{"v6.lvs.test"}) {
		t.Errorf("LookupPTR(2001:db8::11) = %q %v", names, err)
	}
	if names, err := d.LookupPTR(ctx, ip("10.0.0.99")); len(names) != 0 || err == nil {
		t.Errorf("LookupPTR(10.0.0.99) = %q %v, want an error", names, err)
	}
	t.Logf("queries: %q", srv.Queries())
}
