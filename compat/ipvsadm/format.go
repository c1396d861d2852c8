package ipvsadm

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/lvskit/lvskit/internal/ipvs"
)

// cService is a service as ipvsadm's print functions see it (ipvs_service_entry_t).
type cService struct {
	af       uint16
	protocol uint16
	addr     [16]byte
	port     uint16
	fwmark   uint32
	sched    string
	flags    uint32
	timeout  uint32
	netmask  uint32
	pe       string
	stats    ipvs.Stats
}

// cDest is ipvs_dest_entry_t.
type cDest struct {
	af                     uint16
	addr                   [16]byte
	port                   uint16
	connFlags              uint32
	weight                 int32
	uthresh, lthresh       uint32
	active, inact, persist uint32
	tunType                uint8
	tunPort                uint16
	tunFlags               uint16
	stats                  ipvs.Stats
}

func addrBytes(a netip.Addr) [16]byte {
	var b [16]byte
	if a.Is4() {
		v := a.As4()
		copy(b[:], v[:])
	} else if a.IsValid() {
		b = a.As16()
	}
	return b
}

func familyOf(fam uint16, a netip.Addr) uint16 {
	if fam != 0 {
		return fam
	}
	if a.Is6() {
		return afInet6
	}
	return afInet
}

func toCService(s ipvs.ServiceInfo) cService {
	k := s.Key
	return cService{
		af:       familyOf(k.Family, k.Addr),
		protocol: uint16(k.Protocol),
		addr:     addrBytes(k.Addr),
		port:     k.Port,
		fwmark:   k.FWMark,
		sched:    s.Scheduler,
		flags:    uint32(s.Flags),
		timeout:  s.Timeout,
		netmask:  s.Netmask,
		pe:       s.PEName,
		stats:    s.Stats,
	}
}

func toCDest(d ipvs.DestinationInfo) cDest {
	return cDest{
		af:        familyOf(d.Family, d.Key.Addr),
		addr:      addrBytes(d.Key.Addr),
		port:      d.Key.Port,
		connFlags: uint32(d.Forward),
		weight:    d.Weight,
		uthresh:   d.UThreshold,
		lthresh:   d.LThreshold,
		active:    d.ActiveConns,
		inact:     d.InactConns,
		persist:   d.PersistConns,
		tunType:   uint8(d.TunType),
		tunPort:   d.TunPort,
		tunFlags:  uint16(d.TunFlags),
		stats:     d.Stats,
	}
}

func be32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// cmpServices is libipvs's ipvs_cmp_services, with C's int arithmetic: differences of
// unsigned 32-bit values wrap to a signed int, so far-apart addresses compare "backwards".
func cmpServices(s1, s2 *cService) int {
	if r := int32(s1.fwmark - s2.fwmark); r != 0 {
		return int(r)
	}
	if r := int(s1.af) - int(s2.af); r != 0 {
		return r
	}
	if r := int(s1.protocol) - int(s2.protocol); r != 0 {
		return r
	}
	var r int32
	if s1.af == afInet6 {
		for i := 0; r == 0 && i < 4; i++ {
			r = int32(be32(s1.addr[4*i:]) - be32(s2.addr[4*i:]))
		}
	} else {
		r = int32(be32(s1.addr[:]) - be32(s2.addr[:]))
	}
	if r != 0 {
		return int(r)
	}
	return int(s1.port) - int(s2.port)
}

// cmpDests is libipvs's ipvs_cmp_dests (the family of the first entry decides).
func cmpDests(d1, d2 *cDest) int {
	var r int32
	if d1.af == afInet6 {
		for i := 0; r == 0 && i < 4; i++ {
			r = int32(be32(d1.addr[4*i:]) - be32(d2.addr[4*i:]))
		}
	} else {
		r = int32(be32(d1.addr[:]) - be32(d2.addr[:]))
	}
	if r != 0 {
		return int(r)
	}
	return int(d1.port) - int(d2.port)
}

// glibcSort is glibc's qsort as Debian's glibc runs it for these arrays: a top-down merge
// sort (msort_with_tmp) that takes from the left run while cmp <= 0. Reproducing the exact
// algorithm keeps the order identical even where the comparison is not transitive.
func glibcSort[T any](a []T, cmp func(x, y *T) int) {
	if len(a) <= 1 {
		return
	}
	tmp := make([]T, len(a))
	msort(a, tmp, cmp)
}

func msort[T any](b, tmp []T, cmp func(x, y *T) int) {
	n := len(b)
	if n <= 1 {
		return
	}
	n1 := n / 2
	b1, b2 := b[:n1], b[n1:]
	msort(b1, tmp, cmp)
	msort(b2, tmp, cmp)
	i, j, k := 0, 0, 0
	for i < len(b1) && j < len(b2) {
		if cmp(&b1[i], &b2[j]) <= 0 {
			tmp[k] = b1[i]
			i++
		} else {
			tmp[k] = b2[j]
			j++
		}
		k++
	}
	for i < len(b1) {
		tmp[k] = b1[i]
		i++
		k++
	}
	copy(b, tmp[:k])
}

// SortServices orders services as ipvsadm does when --nosort is not given.
func SortServices(s []ipvs.ServiceInfo) {
	type pair struct {
		c cService
		s ipvs.ServiceInfo
	}
	p := make([]pair, len(s))
	for i := range s {
		p[i] = pair{toCService(s[i]), s[i]}
	}
	glibcSort(p, func(x, y *pair) int { return cmpServices(&x.c, &y.c) })
	for i := range p {
		s[i] = p[i].s
	}
}

// SortDests orders destinations as ipvsadm does when --nosort is not given.
func SortDests(d []ipvs.DestinationInfo) {
	order := destOrder(d)
	sorted := make([]ipvs.DestinationInfo, len(d))
	for i, j := range order {
		sorted[i] = d[j]
	}
	copy(d, sorted)
}

// destOrder is the order SortDests puts d in, as indices into d: the same merge sort
// over small keys instead of the destinations themselves (a listing of thousands of
// services spent its sorting time copying them).
func destOrder(d []ipvs.DestinationInfo) []int {
	keys := make([]cDest, len(d))
	order := make([]int, len(d))
	for i := range d {
		a := d[i].Key.Addr
		keys[i] = cDest{af: familyOf(d[i].Family, a), addr: addrBytes(a), port: d[i].Key.Port}
		order[i] = i
	}
	glibcSort(order, func(x, y *int) int { return cmpDests(&keys[*x], &keys[*y]) })
	return order
}

// Printer writes ipvsadm's listings.
type Printer struct {
	W io.Writer
	R Resolver

	buf, num []byte // scratch for the lines built without fmt
}

// padRight appends s left-justified in a field of width w, as printf's %-ws.
func padRight(b []byte, s string, w int) []byte {
	b = append(b, s...)
	for i := len(s); i < w; i++ {
		b = append(b, ' ')
	}
	return b
}

// padRightNum appends the digits d left-justified in a field of width w (%-wd).
func padRightNum(b, d []byte, w int) []byte {
	b = append(b, d...)
	for i := len(d); i < w; i++ {
		b = append(b, ' ')
	}
	return b
}

func (p *Printer) printf(format string, args ...any) { fmt.Fprintf(p.W, format, args...) }

// cstr truncates s as snprintf into a buffer of size n does.
func cstr(s string, n int) string {
	if len(s) > n-1 {
		return s[:n-1]
	}
	return s
}

func (p *Printer) addrToAnyname(af uint16, addr [16]byte) string {
	a := addrOf(af, addr)
	if p.R != nil {
		if n, ok := p.R.AddrToHost(a); ok {
			return n
		}
	}
	return ntop(a)
}

func (p *Printer) portToAnyname(port uint16, proto uint16) string {
	if pn := protoName(proto); pn != "" && p.R != nil {
		if n, ok := p.R.PortToService(port, pn); ok {
			return n
		}
	}
	return fmt.Sprintf("%d", port)
}

// addrportToAnyname is addrport_to_anyname (a 60-byte buffer).
func (p *Printer) addrportToAnyname(af uint16, addr [16]byte, port, proto uint16, f Format) string {
	lb, rb := "", ""
	if af != afInet {
		lb, rb = "[", "]"
	}
	var s string
	if f&FmtNumeric != 0 {
		// (the listing's hottest string: built without fmt)
		s = lb + ntop(addrOf(af, addr)) + rb + ":" + strconv.FormatUint(uint64(port), 10)
	} else {
		s = fmt.Sprintf("%s%s%s:%s", lb, p.addrToAnyname(af, addr), rb, p.portToAnyname(port, proto))
	}
	return cstr(s, 60)
}

// ListHeader is list_all's first line.
func (p *Printer) ListHeader(info ipvs.Info) {
	v := info.Version
	p.printf("IP Virtual Server version %d.%d.%d (size=%d)\n", (v>>16)&0xff, (v>>8)&0xff, v&0xff, int32(info.ConnTabSize))
}

// Title is print_title.
func (p *Printer) Title(f Format) {
	switch {
	case f&FmtStats != 0:
		p.printf("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n",
			"Prot LocalAddress:Port", "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes")
	case f&FmtRate != 0:
		p.printf("%-33s %8s %8s %8s %8s %8s\n  -> RemoteAddress:Port\n",
			"Prot LocalAddress:Port", "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS")
	case f&FmtThresholds != 0:
		p.printf("%-33s %-10s %-10s %-10s %-10s\n  -> RemoteAddress:Port\n",
			"Prot LocalAddress:Port", "Uthreshold", "Lthreshold", "ActiveConn", "InActConn")
	case f&FmtPersistentConn != 0:
		p.printf("%-33s %-9s %-11s %-10s %-10s\n  -> RemoteAddress:Port\n",
			"Prot LocalAddress:Port", "Weight", "PersistConn", "ActiveConn", "InActConn")
	case f&FmtTunInfo != 0:
		p.printf("Prot LocalAddress:Port Scheduler Flags\n" +
			"  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n")
	case f&FmtRule == 0:
		p.printf("Prot LocalAddress:Port Scheduler Flags\n" +
			"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	}
}

func (p *Printer) largenum(i uint64, f Format) {
	if f&FmtExact != 0 {
		s := fmt.Sprintf("%d", i)
		w := len(s) + 1
		if len(s) <= 8 {
			w = 9
		}
		p.printf("%*d", w, i)
		return
	}
	switch {
	case i < 100000000:
		p.printf("%9d", i)
	case i < 1000000000:
		p.printf("%8dK", i/1000)
	case i < 100000000000:
		p.printf("%8dM", i/1000000)
	case i < 100000000000000:
		p.printf("%8dG", i/1000000000)
	default:
		p.printf("%8dT", i/1000000000000)
	}
}

func schedFlagsString(se *cService) string {
	var b strings.Builder
	switch se.sched {
	case "sh", "mh":
		if se.flags&svcFSched1 != 0 {
			b.WriteString(se.sched + "-fallback,")
		}
		if se.flags&svcFSched2 != 0 {
			b.WriteString(se.sched + "-port,")
		}
	default:
		if se.flags&svcFSched1 != 0 {
			b.WriteString("flag-1,")
		}
		if se.flags&svcFSched2 != 0 {
			b.WriteString("flag-2,")
		}
		if se.flags&svcFSched3 != 0 {
			b.WriteString("flag-3,")
		}
	}
	s := b.String()
	if s != "" {
		s = s[:len(s)-1]
	}
	return s
}

func protocolName(p uint16) string {
	switch p {
	case protoTCP:
		return "TCP"
	case protoUDP:
		return "UDP"
	case protoSCTP:
		return "SCTP"
	}
	return "?"
}

func optionFromProtocol(p uint16) string {
	switch p {
	case protoTCP:
		return "-t"
	case protoUDP:
		return "-u"
	case protoSCTP:
		return "--sctp-service"
	}
	return "--xxx-service"
}

func fwdName(flags uint32) string {
	switch flags & connFFwdMask {
	case connFMasq:
		return "Masq"
	case connFLocalNode:
		return "Local"
	case connFTunnel:
		return "Tunnel"
	case connFDRoute:
		return "Route"
	}
	return "(null)"
}

func fwdSwitch(flags uint32) string {
	switch flags & connFFwdMask {
	case connFMasq:
		return "-m"
	case connFTunnel:
		return "-i"
	case connFLocalNode, connFDRoute:
		return "-g"
	}
	return "(null)"
}

func tunFlagIdx(names [3]string, f uint16) string {
	if int(f) < len(names) {
		return names[f]
	}
	return "(null)"
}

func fwdTunInfo(e *cDest) (string, bool) {
	if e.connFlags&connFFwdMask != connFTunnel {
		return "", false
	}
	var s string
	switch e.tunType {
	case 0:
		s = tunNames[0]
	case 1:
		s = fmt.Sprintf("%s:%d:%s", tunNames[1], e.tunPort, tunFlagIdx(tunFlagNames, e.tunFlags))
	case 2:
		s = fmt.Sprintf("%s:%s", tunNames[2], tunFlagIdx(tunFlagNames, e.tunFlags))
	default:
		return "", false
	}
	return cstr(s, 16), true
}

func inetNtoaMask(m uint32) string {
	return inetNtoa([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)})
}

// ServiceEntry is print_service_entry for one service and its destinations (already
// fetched; sorted here unless --nosort).
func (p *Printer) ServiceEntry(s ipvs.ServiceInfo, dests []ipvs.DestinationInfo, f Format) {
	se := toCService(s)
	var svcName string
	if se.fwmark != 0 {
		if f&FmtRule != 0 {
			if se.af == afInet6 {
				svcName = fmt.Sprintf("-f %d -6", int32(se.fwmark))
			} else {
				svcName = fmt.Sprintf("-f %d", int32(se.fwmark))
			}
		} else {
			if se.af == afInet6 {
				svcName = fmt.Sprintf("FWM  %d IPv6", int32(se.fwmark))
			} else {
				svcName = fmt.Sprintf("FWM  %d", int32(se.fwmark))
			}
		}
	} else {
		vname := p.addrportToAnyname(se.af, se.addr, se.port, se.protocol, f)
		if f&FmtRule != 0 {
			svcName = cstr(optionFromProtocol(se.protocol)+" "+vname, 1024)
		} else {
			svcName = cstr(string(padRight(p.num[:0], protocolName(se.protocol), 4))+" "+vname, 1024)
			if se.af != afInet6 && len(svcName) > 33 {
				svcName = svcName[:33]
			}
		}
	}

	switch {
	case f&FmtRule != 0:
		p.printf("-A %s -s %s", svcName, se.sched)
		if se.flags&svcFPersistent != 0 {
			p.printf(" -p %d", se.timeout)
			if se.af == afInet && se.netmask != 0xffffffff {
				p.printf(" -M %s", inetNtoaMask(se.netmask))
			}
			if se.af == afInet6 && se.netmask != 128 {
				p.printf(" -M %d", int32(se.netmask))
			}
		}
		if se.pe != "" {
			p.printf(" --pe %s", se.pe)
		}
		if se.flags&svcFOnePacket != 0 {
			p.printf(" -o")
		}
		if se.flags&(svcFSched1|svcFSched2|svcFSched3) != 0 {
			p.printf(" -b %s", schedFlagsString(&se))
		}
	case f&FmtStats != 0:
		p.printf("%-33s", svcName)
		p.largenum(se.stats.Conns, f)
		p.largenum(se.stats.InPkts, f)
		p.largenum(se.stats.OutPkts, f)
		p.largenum(se.stats.InBytes, f)
		p.largenum(se.stats.OutBytes, f)
	case f&FmtRate != 0:
		p.printf("%-33s", svcName)
		p.largenum(se.stats.CPS, f)
		p.largenum(se.stats.InPPS, f)
		p.largenum(se.stats.OutPPS, f)
		p.largenum(se.stats.InBPS, f)
		p.largenum(se.stats.OutBPS, f)
	default:
		io.WriteString(p.W, svcName)
		io.WriteString(p.W, " ")
		io.WriteString(p.W, se.sched)
		if se.flags&(svcFSched1|svcFSched2|svcFSched3) != 0 {
			p.printf(" (%s)", schedFlagsString(&se))
		}
		if se.flags&svcFPersistent != 0 {
			p.printf(" persistent %d", se.timeout)
			if se.af == afInet && se.netmask != 0xffffffff {
				p.printf(" mask %s", inetNtoaMask(se.netmask))
			}
			if se.af == afInet6 && se.netmask != 128 {
				p.printf(" mask %d", int32(se.netmask))
			}
			if se.pe != "" {
				p.printf(" pe %s", se.pe)
			}
		}
		if se.flags&svcFOnePacket != 0 {
			p.printf(" ops")
		}
	}
	io.WriteString(p.W, "\n")

	var order []int
	if f&FmtNoSort == 0 {
		order = destOrder(dests)
	}
	for i := range dests {
		d := &dests[i]
		if order != nil {
			d = &dests[order[i]]
		}
		e := toCDest(*d)
		dname := p.addrportToAnyname(e.af, e.addr, e.port, se.protocol, f)
		if f&FmtRule == 0 && e.af != afInet6 && len(dname) > 28 {
			dname = dname[:28]
		}
		switch {
		case f&FmtRule != 0:
			if e.connFlags&connFFwdMask == connFTunnel {
				p.tunnelRule(svcName, dname, &e)
			} else {
				p.printf("-a %s -r %s %s -w %d\n", svcName, dname, fwdSwitch(e.connFlags), e.weight)
			}
		case f&FmtStats != 0:
			p.printf("  -> %-28s", dname)
			p.largenum(e.stats.Conns, f)
			p.largenum(e.stats.InPkts, f)
			p.largenum(e.stats.OutPkts, f)
			p.largenum(e.stats.InBytes, f)
			p.largenum(e.stats.OutBytes, f)
			p.printf("\n")
		case f&FmtRate != 0:
			p.printf("  -> %-28s %8d %8d %8d", dname, e.stats.CPS, e.stats.InPPS, e.stats.OutPPS)
			p.largenum(e.stats.InBPS, f)
			p.largenum(e.stats.OutBPS, f)
			p.printf("\n")
		case f&FmtThresholds != 0:
			p.printf("  -> %-28s %-10d %-10d %-10d %-10d\n", dname, e.uthresh, e.lthresh, e.active, e.inact)
		case f&FmtPersistentConn != 0:
			p.printf("  -> %-28s %-9d %-11d %-10d %-10d\n", dname, uint32(e.weight), e.persist, e.active, e.inact)
		case f&FmtTunInfo != 0:
			ti, ok := fwdTunInfo(&e)
			if !ok {
				ti = "n/a"
			}
			p.printf("  -> %-28s %-7s %-13s %-6d %-10d %-10d\n", dname, fwdName(e.connFlags), ti, e.weight, e.active, e.inact)
		default:
			// "  -> %-28s %-7s %-6d %-10d %-10d\n", without fmt: a listing of thousands
			// of services spends its user time here.
			b := append(p.buf[:0], "  -> "...)
			b = padRight(b, dname, 28)
			b = append(b, ' ')
			b = padRight(b, fwdName(e.connFlags), 7)
			b = append(b, ' ')
			p.num = strconv.AppendInt(p.num[:0], int64(e.weight), 10)
			b = padRightNum(b, p.num, 6)
			b = append(b, ' ')
			p.num = strconv.AppendUint(p.num[:0], uint64(e.active), 10)
			b = padRightNum(b, p.num, 10)
			b = append(b, ' ')
			p.num = strconv.AppendUint(p.num[:0], uint64(e.inact), 10)
			b = padRightNum(b, p.num, 10)
			b = append(b, '\n')
			p.buf = b
			p.W.Write(b)
		}
	}
}

func (p *Printer) tunnelRule(svcName, dname string, e *cDest) {
	sw := fwdSwitch(e.connFlags)
	switch e.tunType {
	case 2:
		p.printf("-a %s -r %s %s -w %d --tun-type %s %s\n", svcName, dname, sw, e.weight, tunNames[2], tunFlagIdx(tunFlagOpts, e.tunFlags))
	case 1:
		p.printf("-a %s -r %s %s -w %d --tun-type %s --tun-port %d %s\n", svcName, dname, sw, e.weight, tunNames[1], e.tunPort, tunFlagIdx(tunFlagOpts, e.tunFlags))
	case 0:
		p.printf("-a %s -r %s %s -w %d --tun-type %s\n", svcName, dname, sw, e.weight, tunNames[0])
	default:
		p.printf("-a %s -r %s %s -w %d\n", svcName, dname, sw, e.weight)
	}
}

// Timeouts is list_timeout.
func (p *Printer) Timeouts(t ipvs.Timeouts) {
	p.printf("Timeout (tcp tcpfin udp): %d %d %d\n", int32(t.TCP), int32(t.TCPFin), int32(t.UDP))
}

// Daemons is list_daemon: one line per running sync daemon, in the kernel's order (master
// first).
func (p *Printer) Daemons(ds []ipvs.SyncDaemon) {
	for i := 0; i < len(ds) && i < 2; i++ {
		d := &ds[i]
		if d.State&(ipvs.DaemonMaster|ipvs.DaemonBackup) == 0 {
			continue
		}
		typ := "backup"
		if d.State&ipvs.DaemonMaster != 0 {
			typ = "master"
		}
		p.printf("%s sync daemon (mcast=%s, syncid=%d", typ, d.McastIfn, int32(d.SyncID))
		if d.SyncMaxLen != 0 {
			p.printf(", maxlen=%d", d.SyncMaxLen)
		}
		if d.McastGroup.IsValid() {
			p.printf(", group=%s", ntop(d.McastGroup))
		}
		if d.McastPort != 0 {
			p.printf(", port=%d", d.McastPort)
		}
		if d.McastTTL != 0 {
			p.printf(", ttl=%d", d.McastTTL)
		}
		p.printf(")\n")
	}
}
