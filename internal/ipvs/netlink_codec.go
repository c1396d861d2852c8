//go:build linux

package ipvs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/sys/unix"
)

// This file is the IPVS wire format: an append-only encoder for requests and a
// decoder for replies. Both work on plain byte slices so that tests run them against
// recorded kernel bytes without a socket.
//
// Why not github.com/moby/ipvs: its decoder keeps 32-bit stats only and drops the
// tunnel attributes, it has no zero/daemon/info commands, it opens a socket per call
// with no way to inject one for tests, and on a missing family it execs modprobe and
// logs through logrus on stderr. vishvananda/netlink's nl.RtAttr tree allocates per
// attribute; an append encoder into one reused buffer is simpler and cheaper.

var native = binary.NativeEndian

// errMalformed is wrapped by every decoding error, for tests and fuzzing.
var errMalformed = errors.New("malformed netlink message")

// ---- encoder ----

// encoder appends netlink messages to buf. Start a message with begin, add
// attributes, close nests with nestEnd and the message with end.
type encoder struct {
	buf []byte
}

func align4(n int) int { return (n + 3) &^ 3 }

// begin appends an nlmsghdr and a genlmsghdr and returns the message's offset.
func (e *encoder) begin(family uint16, flags uint16, seq uint32, cmd uint8, version uint8) int {
	off := len(e.buf)
	e.buf = native.AppendUint32(e.buf, 0) // length, patched by end
	e.buf = native.AppendUint16(e.buf, family)
	e.buf = native.AppendUint16(e.buf, flags)
	e.buf = native.AppendUint32(e.buf, seq)
	e.buf = native.AppendUint32(e.buf, 0) // port id: the kernel fills in ours
	e.buf = append(e.buf, cmd, version, 0, 0)
	return off
}

func (e *encoder) end(off int) {
	native.PutUint32(e.buf[off:], uint32(len(e.buf)-off))
}

func (e *encoder) attr(typ uint16, val []byte) {
	e.buf = native.AppendUint16(e.buf, uint16(sizeofNlAttr+len(val)))
	e.buf = native.AppendUint16(e.buf, typ)
	e.buf = append(e.buf, val...)
	e.pad()
}

func (e *encoder) pad() {
	for len(e.buf)%4 != 0 {
		e.buf = append(e.buf, 0)
	}
}

func (e *encoder) hdr(typ uint16, n int) {
	e.buf = native.AppendUint16(e.buf, uint16(sizeofNlAttr+n))
	e.buf = native.AppendUint16(e.buf, typ)
}

func (e *encoder) u8(typ uint16, v uint8) {
	e.hdr(typ, 1)
	e.buf = append(e.buf, v)
	e.pad()
}

func (e *encoder) u16(typ uint16, v uint16) {
	e.hdr(typ, 2)
	e.buf = native.AppendUint16(e.buf, v)
	e.pad()
}

// be16 is a port: the kernel keeps ports in network order.
func (e *encoder) be16(typ uint16, v uint16) {
	e.hdr(typ, 2)
	e.buf = binary.BigEndian.AppendUint16(e.buf, v)
	e.pad()
}

func (e *encoder) u32(typ uint16, v uint32) {
	e.hdr(typ, 4)
	e.buf = native.AppendUint32(e.buf, v)
}

// str appends a NUL-terminated string, as NLA_NUL_STRING and nla_put_string do.
func (e *encoder) str(typ uint16, s string) {
	e.hdr(typ, len(s)+1)
	e.buf = append(e.buf, s...)
	e.buf = append(e.buf, 0)
	e.pad()
}

// inetAddr appends a union nf_inet_addr (16 bytes, IPv4 in the first 4).
func (e *encoder) inetAddr(typ uint16, a netip.Addr) {
	e.hdr(typ, sizeofNfInetAddr)
	var b [16]byte
	if a.Is4() {
		v := a.As4()
		copy(b[:], v[:])
	} else if a.IsValid() {
		b = a.As16()
	}
	e.buf = append(e.buf, b[:]...)
}

func (e *encoder) nestStart(typ uint16) int {
	off := len(e.buf)
	e.hdr(typ, 0)
	return off
}

func (e *encoder) nestEnd(off int) {
	native.PutUint16(e.buf[off:], uint16(len(e.buf)-off))
}

// familyOf is the address family of a, 0 when a is invalid.
func familyOf(a netip.Addr) uint16 {
	switch {
	case a.Is4(), a.Is4In6():
		return FamilyIPv4
	case a.Is6():
		return FamilyIPv6
	}
	return 0
}

// normAddr returns a as the family fam wants it: IPv4-mapped IPv6 addresses
// become IPv4 when fam is IPv4.
func normAddr(a netip.Addr, fam uint16) netip.Addr {
	if fam == FamilyIPv4 {
		return a.Unmap()
	}
	return a
}

func serviceFamily(k ServiceKey) uint16 {
	if k.Family != 0 {
		return k.Family
	}
	if f := familyOf(k.Addr); f != 0 {
		return f
	}
	return FamilyIPv4
}

// serviceKeyAttrs appends the identifying service attributes (the ones the kernel
// needs for every command but NEW_SERVICE and SET_SERVICE).
func (e *encoder) serviceKeyAttrs(k ServiceKey) uint16 {
	fam := serviceFamily(k)
	e.u16(svcAttrAF, fam)
	if k.FWMark != 0 {
		e.u32(svcAttrFWMark, k.FWMark)
	} else {
		e.u16(svcAttrProtocol, uint16(k.Protocol))
		e.inetAddr(svcAttrAddr, normAddr(k.Addr, fam))
		e.be16(svcAttrPort, k.Port)
	}
	return fam
}

// serviceKey appends IPVS_CMD_ATTR_SERVICE with the identifying attributes only.
func (e *encoder) serviceKey(k ServiceKey) {
	n := e.nestStart(cmdAttrService)
	e.serviceKeyAttrs(k)
	e.nestEnd(n)
}

// service appends IPVS_CMD_ATTR_SERVICE with everything NEW_SERVICE and
// SET_SERVICE require. The flags mask is all ones: Service describes the whole
// configuration, so SET_SERVICE replaces every flag (as ipvsadm -E does).
func (e *encoder) service(s *Service) {
	n := e.nestStart(cmdAttrService)
	fam := e.serviceKeyAttrs(s.Key)
	e.str(svcAttrSchedName, s.Scheduler)
	if s.PEName != "" {
		e.str(svcAttrPEName, s.PEName)
	}
	e.hdr(svcAttrFlags, sizeofIPVSFlags)
	e.buf = native.AppendUint32(e.buf, uint32(s.Flags))
	e.buf = native.AppendUint32(e.buf, ^uint32(0))
	e.u32(svcAttrTimeout, s.Timeout)
	e.hdr(svcAttrNetmask, 4)
	e.buf = appendNetmask(e.buf, s.Netmask, fam)
	e.nestEnd(n)
}

// appendNetmask: the kernel keeps an IPv4 netmask as a __be32 (so 255.255.255.0 is
// bytes ff ff ff 00) and compares an IPv6 one, a prefix length, as a plain number.
// No defaults are filled in: an IPv6 service needs a prefix length of 1 to 128
// (ipvsadm sends 128), and the kernel answers 0 with EINVAL, as the fake does.
func appendNetmask(b []byte, m uint32, fam uint16) []byte {
	if fam == FamilyIPv6 {
		return native.AppendUint32(b, m)
	}
	return binary.BigEndian.AppendUint32(b, m)
}

func destFamily(d *Destination) uint16 {
	if d.Family != 0 {
		return d.Family
	}
	if f := familyOf(d.Key.Addr); f != 0 {
		return f
	}
	return FamilyIPv4
}

// destKey appends IPVS_CMD_ATTR_DEST with the identifying attributes (DEL_DEST).
func (e *encoder) destKey(d *Destination) {
	n := e.nestStart(cmdAttrDest)
	fam := destFamily(d)
	e.u16(destAttrAddrFamily, fam)
	e.inetAddr(destAttrAddr, normAddr(d.Key.Addr, fam))
	e.be16(destAttrPort, d.Key.Port)
	e.nestEnd(n)
}

// dest appends IPVS_CMD_ATTR_DEST with everything NEW_DEST and SET_DEST take. The
// tunnel attributes always go, as ipvsadm 1.31 sends them.
func (e *encoder) dest(d *Destination) {
	n := e.nestStart(cmdAttrDest)
	fam := destFamily(d)
	e.u16(destAttrAddrFamily, fam)
	e.inetAddr(destAttrAddr, normAddr(d.Key.Addr, fam))
	e.be16(destAttrPort, d.Key.Port)
	e.u32(destAttrFwdMethod, uint32(d.Forward)&connFwdMask)
	e.u32(destAttrWeight, uint32(d.Weight))
	e.u8(destAttrTunType, uint8(d.TunType))
	e.be16(destAttrTunPort, d.TunPort)
	e.u16(destAttrTunFlags, uint16(d.TunFlags))
	e.u32(destAttrUThresh, d.UThreshold)
	e.u32(destAttrLThresh, d.LThreshold)
	e.nestEnd(n)
}

// daemon appends IPVS_CMD_ATTR_DAEMON for NEW_DAEMON. Optional attributes are sent
// only when set, so the kernel applies its defaults (as ipvsadm does).
func (e *encoder) daemon(d *SyncDaemon) {
	n := e.nestStart(cmdAttrDaemon)
	e.u32(daemonAttrState, uint32(d.State))
	e.str(daemonAttrMcastIfn, d.McastIfn)
	e.u32(daemonAttrSyncID, d.SyncID)
	if d.SyncMaxLen != 0 {
		e.u16(daemonAttrSyncMaxLen, d.SyncMaxLen)
	}
	if d.McastPort != 0 {
		e.u16(daemonAttrMcastPort, d.McastPort)
	}
	if d.McastTTL != 0 {
		e.u8(daemonAttrMcastTTL, d.McastTTL)
	}
	if g := d.McastGroup; g.IsValid() {
		if g.Is4() || g.Is4In6() {
			v := g.Unmap().As4()
			e.attr(daemonAttrMcastGroup, v[:])
		} else {
			v := g.As16()
			e.attr(daemonAttrMcastGroup6, v[:])
		}
	}
	e.nestEnd(n)
}

// ---- decoder ----

// attrs iterates over a run of netlink attributes.
type attrs struct {
	b   []byte
	err error
}

// next returns the next attribute's type (flags stripped) and value.
func (a *attrs) next() (typ uint16, val []byte, ok bool) {
	if len(a.b) < sizeofNlAttr {
		if len(a.b) != 0 {
			a.err = fmt.Errorf("%w: %d trailing bytes", errMalformed, len(a.b))
		}
		return 0, nil, false
	}
	l := int(native.Uint16(a.b))
	if l < sizeofNlAttr || l > len(a.b) {
		a.err = fmt.Errorf("%w: attribute length %d of %d bytes", errMalformed, l, len(a.b))
		return 0, nil, false
	}
	typ = native.Uint16(a.b[2:]) & nlaTypeMask
	val = a.b[sizeofNlAttr:l]
	if al := align4(l); al < len(a.b) {
		a.b = a.b[al:]
	} else {
		a.b = nil
	}
	return typ, val, true
}

func getU8(v []byte) (uint8, error) {
	if len(v) < 1 {
		return 0, fmt.Errorf("%w: u8 of %d bytes", errMalformed, len(v))
	}
	return v[0], nil
}

func getU16(v []byte) (uint16, error) {
	if len(v) < 2 {
		return 0, fmt.Errorf("%w: u16 of %d bytes", errMalformed, len(v))
	}
	return native.Uint16(v), nil
}

func getBE16(v []byte) (uint16, error) {
	if len(v) < 2 {
		return 0, fmt.Errorf("%w: be16 of %d bytes", errMalformed, len(v))
	}
	return binary.BigEndian.Uint16(v), nil
}

func getU32(v []byte) (uint32, error) {
	if len(v) < 4 {
		return 0, fmt.Errorf("%w: u32 of %d bytes", errMalformed, len(v))
	}
	return native.Uint32(v), nil
}

// getUint reads a counter that is a u32 in IPVS_*_ATTR_STATS and a u64 in
// IPVS_*_ATTR_STATS64 (and in both for the byte counters): its length tells.
func getUint(v []byte) (uint64, error) {
	switch {
	case len(v) >= 8:
		return native.Uint64(v), nil
	case len(v) >= 4:
		return uint64(native.Uint32(v)), nil
	}
	return 0, fmt.Errorf("%w: counter of %d bytes", errMalformed, len(v))
}

// decoder turns reply payloads into domain values. It interns the short strings
// (scheduler, persistence engine, interface names) so that listing thousands of
// services does not allocate one string per service.
type decoder struct {
	names map[string]string
}

func (d *decoder) str(v []byte) string {
	for i, c := range v {
		if c == 0 {
			v = v[:i]
			break
		}
	}
	if s, ok := d.names[string(v)]; ok {
		return s
	}
	s := string(v)
	if d.names == nil {
		d.names = make(map[string]string)
	}
	if len(d.names) < 256 {
		d.names[s] = s
	}
	return s
}

func inetAddr(v []byte, fam uint16) (netip.Addr, error) {
	switch fam {
	case FamilyIPv4:
		if len(v) >= 4 {
			return netip.AddrFrom4([4]byte(v[:4])), nil
		}
	case FamilyIPv6:
		if len(v) >= 16 {
			return netip.AddrFrom16([16]byte(v[:16])), nil
		}
	default:
		return netip.Addr{}, fmt.Errorf("%w: address family %d", errMalformed, fam)
	}
	return netip.Addr{}, fmt.Errorf("%w: address of %d bytes for family %d", errMalformed, len(v), fam)
}

// stats decodes an IPVS_*_ATTR_STATS or _STATS64 nest.
func decodeStats(b []byte) (Stats, error) {
	var s Stats
	a := attrs{b: b}
	for typ, v, ok := a.next(); ok; typ, v, ok = a.next() {
		var p *uint64
		switch typ {
		case statsAttrConns:
			p = &s.Conns
		case statsAttrInPkts:
			p = &s.InPkts
		case statsAttrOutPkts:
			p = &s.OutPkts
		case statsAttrInBytes:
			p = &s.InBytes
		case statsAttrOutBytes:
			p = &s.OutBytes
		case statsAttrCPS:
			p = &s.CPS
		case statsAttrInPPS:
			p = &s.InPPS
		case statsAttrOutPPS:
			p = &s.OutPPS
		case statsAttrInBPS:
			p = &s.InBPS
		case statsAttrOutBPS:
			p = &s.OutBPS
		default: // IPVS_STATS_ATTR_PAD and anything newer
			continue
		}
		n, err := getUint(v)
		if err != nil {
			return s, err
		}
		*p = n
	}
	return s, a.err
}

// findAttr returns the value of the first top-level attribute of type typ in a
// generic netlink payload (after the genl header).
func findAttr(payload []byte, typ uint16) ([]byte, bool, error) {
	a := attrs{b: payload}
	for t, v, ok := a.next(); ok; t, v, ok = a.next() {
		if t == typ {
			return v, true, nil
		}
	}
	return nil, false, a.err
}

// service decodes the IPVS_CMD_ATTR_SERVICE nest of a NEW_SERVICE reply.
func (d *decoder) service(b []byte, out *ServiceInfo) error {
	*out = ServiceInfo{}
	var (
		addr, netmask       []byte
		haveAF, haveStats64 bool
		stats32             Stats
		err                 error
	)
	a := attrs{b: b}
	for typ, v, ok := a.next(); ok && err == nil; typ, v, ok = a.next() {
		switch typ {
		case svcAttrAF:
			out.Key.Family, err = getU16(v)
			haveAF = true
		case svcAttrProtocol:
			var p uint16
			p, err = getU16(v)
			out.Key.Protocol = Protocol(p)
		case svcAttrAddr:
			addr = v
		case svcAttrPort:
			out.Key.Port, err = getBE16(v)
		case svcAttrFWMark:
			out.Key.FWMark, err = getU32(v)
		case svcAttrSchedName:
			out.Scheduler = d.str(v)
		case svcAttrPEName:
			out.PEName = d.str(v)
		case svcAttrFlags:
			if len(v) < sizeofIPVSFlags {
				err = fmt.Errorf("%w: service flags of %d bytes", errMalformed, len(v))
				break
			}
			out.Flags = ServiceFlags(native.Uint32(v) & native.Uint32(v[4:]))
		case svcAttrTimeout:
			out.Timeout, err = getU32(v)
		case svcAttrNetmask:
			netmask = v
		case svcAttrStats:
			stats32, err = decodeStats(v)
		case svcAttrStats64:
			out.Stats, err = decodeStats(v)
			haveStats64 = true
		}
	}
	if err != nil {
		return err
	}
	if a.err != nil {
		return a.err
	}
	if !haveAF {
		return fmt.Errorf("%w: service without address family", errMalformed)
	}
	if !haveStats64 {
		out.Stats = stats32
	}
	if netmask != nil {
		if len(netmask) < 4 {
			return fmt.Errorf("%w: netmask of %d bytes", errMalformed, len(netmask))
		}
		if out.Key.Family == FamilyIPv6 {
			out.Netmask = native.Uint32(netmask)
		} else {
			out.Netmask = binary.BigEndian.Uint32(netmask)
		}
	}
	if out.Key.FWMark != 0 {
		// The kernel stores fwmark services with protocol TCP but reports only the
		// mark; keep the key canonical.
		out.Key.Protocol, out.Key.Port, out.Key.Addr = 0, 0, netip.Addr{}
		return nil
	}
	if addr == nil {
		return fmt.Errorf("%w: service without address or firewall mark", errMalformed)
	}
	out.Key.Addr, err = inetAddr(addr, out.Key.Family)
	return err
}

// dest decodes the IPVS_CMD_ATTR_DEST nest of a NEW_DEST reply; svcFamily is the
// family when the kernel does not say (kernels before IPVS_DEST_ATTR_ADDR_FAMILY).
func (d *decoder) dest(b []byte, svcFamily uint16, out *DestinationInfo) error {
	*out = DestinationInfo{}
	var (
		addr        []byte
		haveStats64 bool
		stats32     Stats
		err         error
		u           uint32
	)
	a := attrs{b: b}
	for typ, v, ok := a.next(); ok && err == nil; typ, v, ok = a.next() {
		switch typ {
		case destAttrAddr:
			addr = v
		case destAttrPort:
			out.Key.Port, err = getBE16(v)
		case destAttrFwdMethod:
			u, err = getU32(v)
			out.Forward = Forward(u & connFwdMask)
		case destAttrWeight:
			u, err = getU32(v)
			out.Weight = int32(u)
		case destAttrUThresh:
			out.UThreshold, err = getU32(v)
		case destAttrLThresh:
			out.LThreshold, err = getU32(v)
		case destAttrActiveConns:
			out.ActiveConns, err = getU32(v)
		case destAttrInactConns:
			out.InactConns, err = getU32(v)
		case destAttrPersistConns:
			out.PersistConns, err = getU32(v)
		case destAttrAddrFamily:
			out.Family, err = getU16(v)
		case destAttrTunType:
			var t uint8
			t, err = getU8(v)
			out.TunType = TunnelType(t)
		case destAttrTunPort:
			out.TunPort, err = getBE16(v)
		case destAttrTunFlags:
			var f uint16
			f, err = getU16(v)
			out.TunFlags = TunnelFlags(f)
		case destAttrStats:
			stats32, err = decodeStats(v)
		case destAttrStats64:
			out.Stats, err = decodeStats(v)
			haveStats64 = true
		}
	}
	if err != nil {
		return err
	}
	if a.err != nil {
		return a.err
	}
	if !haveStats64 {
		out.Stats = stats32
	}
	if out.Family == 0 {
		out.Family = svcFamily
	}
	if addr == nil {
		return fmt.Errorf("%w: destination without address", errMalformed)
	}
	out.Key.Addr, err = inetAddr(addr, out.Family)
	return err
}

// daemon decodes the IPVS_CMD_ATTR_DAEMON nest of a NEW_DAEMON reply.
func (d *decoder) daemon(b []byte, out *SyncDaemon) error {
	*out = SyncDaemon{}
	var (
		err error
		u   uint32
	)
	a := attrs{b: b}
	for typ, v, ok := a.next(); ok && err == nil; typ, v, ok = a.next() {
		switch typ {
		case daemonAttrState:
			u, err = getU32(v)
			out.State = DaemonState(u)
		case daemonAttrMcastIfn:
			out.McastIfn = d.str(v)
		case daemonAttrSyncID:
			out.SyncID, err = getU32(v)
		case daemonAttrSyncMaxLen:
			out.SyncMaxLen, err = getU16(v)
		case daemonAttrMcastGroup:
			out.McastGroup, err = inetAddr(v, FamilyIPv4)
		case daemonAttrMcastGroup6:
			out.McastGroup, err = inetAddr(v, FamilyIPv6)
		case daemonAttrMcastPort:
			out.McastPort, err = getU16(v)
		case daemonAttrMcastTTL:
			out.McastTTL, err = getU8(v)
		}
	}
	if err != nil {
		return err
	}
	return a.err
}

// ---- message framing ----

// message is one netlink message inside a receive buffer.
type message struct {
	typ     uint16
	flags   uint16
	seq     uint32
	payload []byte // after the nlmsghdr
}

// splitMessages calls fn for each netlink message in b.
func splitMessages(b []byte, fn func(m message) error) error {
	for len(b) > 0 {
		if len(b) < sizeofNlMsghdr {
			return fmt.Errorf("%w: %d trailing bytes after messages", errMalformed, len(b))
		}
		l := int(native.Uint32(b))
		if l < sizeofNlMsghdr || l > len(b) {
			return fmt.Errorf("%w: message length %d of %d bytes", errMalformed, l, len(b))
		}
		m := message{
			typ:     native.Uint16(b[4:]),
			flags:   native.Uint16(b[6:]),
			seq:     native.Uint32(b[8:]),
			payload: b[sizeofNlMsghdr:l],
		}
		if err := fn(m); err != nil {
			return err
		}
		if al := align4(l); al < len(b) {
			b = b[al:]
		} else {
			b = nil
		}
	}
	return nil
}

// errnoOf returns the error code of an NLMSG_ERROR or NLMSG_DONE payload: 0 for an
// acknowledgement, else a positive errno.
func errnoOf(payload []byte) (unix.Errno, error) {
	if len(payload) < 4 {
		return 0, fmt.Errorf("%w: error message of %d bytes", errMalformed, len(payload))
	}
	code := int32(native.Uint32(payload))
	if code > 0 {
		// The kernel sends negative errnos; tolerate the other sign.
		return unix.Errno(code), nil
	}
	return unix.Errno(-code), nil
}

// genlPayload strips the generic netlink header.
func genlPayload(m message) ([]byte, uint8, error) {
	if len(m.payload) < sizeofGenlMsghdr {
		return nil, 0, fmt.Errorf("%w: generic netlink message of %d bytes", errMalformed, len(m.payload))
	}
	return m.payload[sizeofGenlMsghdr:], m.payload[0], nil
}
