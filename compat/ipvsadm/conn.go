package ipvsadm

import (
	"bufio"
	"fmt"
	"io"
)

// ConnProcFile is where ipvsadm -c reads the connection table.
const ConnProcFile = "/proc/net/ip_vs_conn"

// ListConn is list_conn: it formats /proc/net/ip_vs_conn text (header line first). It
// returns a non-nil *Exit when ipvsadm would stop (empty file: status 1 with a message;
// a line sscanf cannot read at all: status 1, silently).
func (p *Printer) ListConn(r io.Reader, f Format) *Exit {
	br := bufio.NewReader(r)
	if _, ok := fgets(br, 256); !ok {
		return &Exit{Code: 1, Stderr: fmt.Sprintf("unexpected input from %s\n", ConnProcFile)}
	}
	p.printf("IPVS connection entries\n")
	if f&FmtPersistentConn != 0 {
		p.printf("pro expire %-11s %-18s %-18s %-18s %-16s %s\n", "state", "source", "virtual", "destination", "pe name", "pe_data")
	} else {
		p.printf("pro expire %-11s %-18s %-18s %s\n", "state", "source", "virtual", "destination")
	}
	for {
		line, ok := fgets(br, 256)
		if !ok {
			return nil
		}
		if ex := p.printConn(line, f); ex != nil {
			return ex
		}
	}
}

// fgets reads like C's fgets into a buffer of size n: at most n-1 bytes, through the
// first newline.
func fgets(br *bufio.Reader, n int) (string, bool) {
	var b []byte
	for len(b) < n-1 {
		c, err := br.ReadByte()
		if err != nil {
			break
		}
		b = append(b, c)
		if c == '\n' {
			break
		}
	}
	if len(b) == 0 {
		return "", false
	}
	return string(b), true
}

// scanner is a tiny sscanf for the conversions print_conn uses.
type scanner struct {
	s string
	i int
}

func (sc *scanner) skipWS() {
	for sc.i < len(sc.s) && cIsSpace(sc.s[sc.i]) {
		sc.i++
	}
}

// word is %s; ok=false when the input is exhausted.
func (sc *scanner) word() (string, bool) {
	sc.skipWS()
	st := sc.i
	for sc.i < len(sc.s) && !cIsSpace(sc.s[sc.i]) {
		sc.i++
	}
	if sc.i == st {
		return "", false
	}
	w := sc.s[st:sc.i]
	if k := indexNUL(w); k >= 0 {
		w = w[:k]
	}
	return w, true
}

// number is %X (base 16) or %d (base 10), converted as strtoul does.
func (sc *scanner) number(base int) (uint64, bool) {
	sc.skipWS()
	if sc.i >= len(sc.s) {
		return 0, false
	}
	u, end, _ := strtoul(sc.s[sc.i:], base)
	if end == 0 {
		return 0, false
	}
	sc.i += end
	return u, true
}

func (p *Printer) printConn(buf string, f Format) *Exit {
	sc := &scanner{s: buf}
	var protocol, temp1, temp2, temp3, state, peName, peData string
	var cport, vport, dport uint16
	var expires uint32
	// sscanf(buf, "%s %s %hX %s %hX %s %hX %s %d %s %s"): n counts the conversions
	// made before the first failure; later fields keep their zero values.
	n := 0
	func() {
		word := func(dst *string) bool {
			w, ok := sc.word()
			if ok {
				*dst = w
				n++
			}
			return ok
		}
		num := func(base int, set func(uint64)) bool {
			v, ok := sc.number(base)
			if ok {
				set(v)
				n++
			}
			return ok
		}
		_ = word(&protocol) && word(&temp1) &&
			num(16, func(v uint64) { cport = uint16(v) }) && word(&temp2) &&
			num(16, func(v uint64) { vport = uint16(v) }) && word(&temp3) &&
			num(16, func(v uint64) { dport = uint16(v) }) && word(&state) &&
			num(10, func(v uint64) { expires = uint32(v) }) && word(&peName) && word(&peData)
	}()
	if n == 0 {
		sc2 := &scanner{s: buf}
		sc2.skipWS()
		if sc2.i >= len(buf) {
			// sscanf returned EOF: ipvsadm exits with status 1.
			return &Exit{Code: 1}
		}
	}

	var proto uint16
	switch protocol {
	case "TCP":
		proto = protoTCP
	case "UDP":
		proto = protoUDP
	case "SCTP":
		proto = protoSCTP
	}

	af, daf := uint16(afInet), uint16(afInet)
	var caddr, vaddr, daddr [16]byte
	if v6, ok := inetPton6(temp1); ok {
		caddr = v6
		if v, ok := inetPton6(temp2); ok {
			vaddr = v
		}
		af = afInet6
	} else if v4, ok := inetPton4(temp1); ok {
		copy(caddr[:], v4[:])
		if v, ok := inetPton4(temp2); ok {
			copy(vaddr[:], v[:])
		}
	} else {
		putBE32(caddr[:], hexAddr(temp1))
		putBE32(vaddr[:], hexAddr(temp2))
	}
	if v6, ok := inetPton6(temp3); ok {
		daddr = v6
		daf = afInet6
	} else if v4, ok := inetPton4(temp3); ok {
		copy(daddr[:], v4[:])
	} else {
		putBE32(daddr[:], hexAddr(temp3))
	}

	cname := p.addrportToAnyname(af, caddr, cport, proto, f)
	vname := p.addrportToAnyname(af, vaddr, vport, proto, f)
	dname := p.addrportToAnyname(daf, daddr, dport, proto, f)

	expire := fmt.Sprintf("%02d:%02d", int32(expires/60), int32(expires%60))
	if f&FmtPersistentConn != 0 && n == 11 {
		p.printf("%-3s %-6s %-11s %-18s %-18s %-16s %-18s %s\n", protocol, expire, state, cname, vname, dname, peName, peData)
	} else {
		p.printf("%-3s %-6s %-11s %-18s %-18s %s\n", protocol, expire, state, cname, vname, dname)
	}
	return nil
}

func hexAddr(s string) uint32 {
	v, _, _ := strtoul(s, 16)
	return uint32(v)
}

func putBE32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}
