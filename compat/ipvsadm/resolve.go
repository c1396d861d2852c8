package ipvsadm

import (
	"bufio"
	"net/netip"
	"strconv"
	"strings"
)

// Resolver is what ipvsadm asks of the C library's name services: gethostbyname (IPv4
// only), gethostbyaddr, getservbyname and getservbyport. Names that are not found return
// ok=false, as the C calls return NULL.
type Resolver interface {
	HostToAddr(name string) (netip.Addr, bool)
	AddrToHost(a netip.Addr) (string, bool)
	ServiceToPort(name, proto string) (uint16, bool)
	PortToService(port uint16, proto string) (string, bool)
}

// NoResolver resolves nothing: what ipvsadm sees on a machine with no /etc/hosts, no
// /etc/services and no DNS (the real-kernel VM the golden session was captured in).
type NoResolver struct{}

func (NoResolver) HostToAddr(string) (netip.Addr, bool)        { return netip.Addr{}, false }
func (NoResolver) AddrToHost(netip.Addr) (string, bool)        { return "", false }
func (NoResolver) ServiceToPort(string, string) (uint16, bool) { return 0, false }
func (NoResolver) PortToService(uint16, string) (string, bool) { return "", false }

// hostEntry is one line of /etc/hosts.
type hostEntry struct {
	addr  netip.Addr
	names []string // canonical name first, then aliases
}

// serviceEntry is one line of /etc/services.
type serviceEntry struct {
	name    string
	port    uint16
	proto   string
	aliases []string
}

// FilesResolver answers from the text of /etc/hosts and /etc/services the way glibc's
// "files" backend does: the first matching line wins, host names match case-insensitively,
// service names and protocols exactly.
type FilesResolver struct {
	hosts    []hostEntry
	services []serviceEntry
}

// NewFilesResolver parses hosts and services file contents (either may be empty).
func NewFilesResolver(hosts, services string) *FilesResolver {
	r := &FilesResolver{}
	sc := bufio.NewScanner(strings.NewReader(hosts))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		var a netip.Addr
		if v4, ok := inetPton4(f[0]); ok {
			a = netip.AddrFrom4(v4)
		} else if v6, ok := inetPton6(f[0]); ok {
			a = netip.AddrFrom16(v6)
		} else {
			continue
		}
		r.hosts = append(r.hosts, hostEntry{addr: a, names: f[1:]})
	}
	sc = bufio.NewScanner(strings.NewReader(services))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		pp := strings.SplitN(f[1], "/", 2)
		if len(pp) != 2 {
			continue
		}
		port, err := strconv.ParseUint(pp[0], 10, 16)
		if err != nil {
			continue
		}
		r.services = append(r.services, serviceEntry{name: f[0], port: uint16(port), proto: pp[1], aliases: f[2:]})
	}
	return r
}

// HostToAddr is gethostbyname restricted to IPv4, as host_to_addr uses it.
func (r *FilesResolver) HostToAddr(name string) (netip.Addr, bool) {
	for _, h := range r.hosts {
		if !h.addr.Is4() {
			continue
		}
		for _, n := range h.names {
			if strings.EqualFold(n, name) {
				return h.addr, true
			}
		}
	}
	return netip.Addr{}, false
}

// AddrToHost is gethostbyaddr's h_name.
func (r *FilesResolver) AddrToHost(a netip.Addr) (string, bool) {
	for _, h := range r.hosts {
		if h.addr == a {
			return h.names[0], true
		}
	}
	return "", false
}

func (r *FilesResolver) ServiceToPort(name, proto string) (uint16, bool) {
	for _, s := range r.services {
		if s.proto != proto {
			continue
		}
		if s.name == name {
			return s.port, true
		}
		for _, al := range s.aliases {
			if al == name {
				return s.port, true
			}
		}
	}
	return 0, false
}

func (r *FilesResolver) PortToService(port uint16, proto string) (string, bool) {
	for _, s := range r.services {
		if s.proto == proto && s.port == port {
			return s.name, true
		}
	}
	return "", false
}
