// Package nameres is ipvsadm's name service as ipvsadm 1.31 gets it from the C
// library: host names through the sources the "hosts:" line of /etc/nsswitch.conf
// lists ("files": /etc/hosts read as glibc's files backend reads it; "dns": the
// DNS servers of /etc/resolv.conf through Go's pure resolver), service names from
// /etc/services ("services: files" is all glibc ships). It implements
// compat/ipvsadm.Resolver, so parsing and listing stay pure and are tested with
// fakes; the DNS side is the small DNS interface, one deadline per lookup.
package nameres

import (
	"context"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/lvskit/lvskit/compat/ipvsadm"
)

// DNS is the DNS source of the hosts database: answers as they came off the wire,
// never from /etc/hosts (that is the files source's job).
type DNS interface {
	// LookupA returns host's IPv4 addresses in the order of the answer, as
	// gethostbyname's h_addr_list has them.
	LookupA(ctx context.Context, host string) ([]netip.Addr, error)
	// LookupPTR returns the names of a's PTR records in the order of the answer,
	// without the final dot, as gethostbyaddr's h_name is the first.
	LookupPTR(ctx context.Context, a netip.Addr) ([]string, error)
}

// DefaultTimeout bounds each DNS lookup. glibc's own bound is resolv.conf's
// timeout × attempts per server (5 s × 2 by default), which Go's resolver also
// honours inside this one.
const DefaultTimeout = 15 * time.Second

// Resolver answers ipvsadm's four questions. Host lookups go through Sources in
// order ("files", "dns"; others are skipped), the first answer wins; answers
// are remembered for the process's lifetime (ipvsadm 1.31 asks again for each
// line of a listing, with the same answers unless the zone changes meanwhile).
type Resolver struct {
	Files   *ipvsadm.FilesResolver
	DNS     DNS      // nil: the dns source answers nothing
	Sources []string // of the hosts database
	Timeout time.Duration

	mu    sync.Mutex // one lookup at a time
	hosts map[string]hostAnswer
	addrs map[netip.Addr]addrAnswer
}

type hostAnswer struct {
	a  netip.Addr
	ok bool
}

type addrAnswer struct {
	name string
	ok   bool
}

var _ ipvsadm.Resolver = (*Resolver)(nil)

// System reads /etc/hosts, /etc/services and /etc/nsswitch.conf and resolves
// through Go's resolver for DNS.
func System() *Resolver {
	hosts, _ := os.ReadFile("/etc/hosts")
	services, _ := os.ReadFile("/etc/services")
	nss, err := os.ReadFile("/etc/nsswitch.conf")
	var sources []string
	if err == nil {
		sources = HostsSources(string(nss))
	} else {
		sources = HostsSources("")
	}
	return &Resolver{
		Files:   ipvsadm.NewFilesResolver(string(hosts), string(services)),
		DNS:     NewNetDNS(),
		Sources: sources,
		Timeout: DefaultTimeout,
	}
}

// HostsSources returns the sources of the "hosts:" line of an nsswitch.conf text,
// action items ([NOTFOUND=return]) left out; without such a line glibc's default,
// "dns [!UNAVAIL=return] files", read as dns then files.
func HostsSources(nsswitch string) []string {
	var line string
	found := false
	for _, l := range strings.Split(nsswitch, "\n") {
		if i := strings.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		l = strings.TrimSpace(l)
		if rest, ok := strings.CutPrefix(l, "hosts"); ok {
			rest = strings.TrimSpace(rest)
			if r, ok := strings.CutPrefix(rest, ":"); ok {
				line, found = r, true
			}
		}
	}
	if !found {
		return []string{"dns", "files"}
	}
	var out []string
	inAction := false
	for _, f := range strings.Fields(line) {
		if inAction || strings.HasPrefix(f, "[") {
			inAction = !strings.HasSuffix(f, "]")
			continue
		}
		out = append(out, f)
	}
	return out
}

func (r *Resolver) ctx() (context.Context, context.CancelFunc) {
	t := r.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	return context.WithTimeout(context.Background(), t)
}

// numericName reports names gethostbyname answers itself (glibc's
// __nss_hostname_digits_dots) without asking any source: digits and dots not
// ending in a dot. inet_aton already failed on them, so they are not found.
func numericName(name string) bool {
	if name == "" || name[0] < '0' || name[0] > '9' || strings.HasSuffix(name, ".") {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c != '.' && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// HostToAddr is gethostbyname(name)->h_addr_list[0], IPv4 only.
func (r *Resolver) HostToAddr(name string) (netip.Addr, bool) {
	if numericName(name) {
		return netip.Addr{}, false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if h, ok := r.hosts[name]; ok {
		return h.a, h.ok
	}
	var ans hostAnswer
	for _, s := range r.Sources {
		switch s {
		case "files":
			if r.Files != nil {
				ans.a, ans.ok = r.Files.HostToAddr(name)
			}
		case "dns":
			if r.DNS != nil {
				ctx, cancel := r.ctx()
				as, _ := r.DNS.LookupA(ctx, name)
				cancel()
				for _, a := range as {
					if a = a.Unmap(); a.Is4() {
						ans = hostAnswer{a, true}
						break
					}
				}
			}
		}
		if ans.ok {
			break
		}
	}
	if r.hosts == nil {
		r.hosts = map[string]hostAnswer{}
	}
	r.hosts[name] = ans
	return ans.a, ans.ok
}

// AddrToHost is gethostbyaddr's h_name.
func (r *Resolver) AddrToHost(a netip.Addr) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if h, ok := r.addrs[a]; ok {
		return h.name, h.ok
	}
	var ans addrAnswer
	for _, s := range r.Sources {
		switch s {
		case "files":
			if r.Files != nil {
				ans.name, ans.ok = r.Files.AddrToHost(a)
			}
		case "dns":
			if r.DNS != nil {
				ctx, cancel := r.ctx()
				names, _ := r.DNS.LookupPTR(ctx, a)
				cancel()
				if len(names) > 0 && names[0] != "" {
					ans = addrAnswer{names[0], true}
				}
			}
		}
		if ans.ok {
			break
		}
	}
	if r.addrs == nil {
		r.addrs = map[netip.Addr]addrAnswer{}
	}
	r.addrs[a] = ans
	return ans.name, ans.ok
}

// ServiceToPort is getservbyname: /etc/services.
func (r *Resolver) ServiceToPort(name, proto string) (uint16, bool) {
	if r.Files == nil {
		return 0, false
	}
	return r.Files.ServiceToPort(name, proto)
}

// PortToService is getservbyport: /etc/services.
func (r *Resolver) PortToService(port uint16, proto string) (string, bool) {
	if r.Files == nil {
		return "", false
	}
	return r.Files.PortToService(port, proto)
}
