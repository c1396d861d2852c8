//go:build linux

package ipvs

import (
	"encoding/binary"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// This file is the test double of the kernel's side of the socket (the
// mdlayher/nltest pattern): Kernel runs its real encoder and decoder over a
// transport whose replies a test scripts per request.

const testFamily = 0x1c // the id a scripted controller hands out for "IPVS"

// request is one message a Kernel sent, as the scripted kernel sees it.
type request struct {
	raw   []byte // the whole message
	typ   uint16
	flags uint16
	seq   uint32
	cmd   uint8
	attrs []byte
}

// scriptKernel answers each request with the datagrams reply returns. Requests to
// the generic netlink controller are answered with testFamily unless noFamily.
type scriptKernel struct {
	mu       sync.Mutex
	reply    func(r request) [][]byte
	noFamily bool
	// oneAtATime makes Receive return one datagram per call.
	oneAtATime bool
	sends      [][]byte  // every Send buffer
	reqs       []request // every IPVS request
	queue      [][]byte
	closed     bool
	timeout    time.Duration
	timeouts   int // how often it was set
}

func (s *scriptKernel) Send(b []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sends = append(s.sends, append([]byte(nil), b...))
	return splitMessages(b, func(m message) error {
		r := request{raw: rebuildHeader(m), typ: m.typ, flags: m.flags, seq: m.seq}
		if len(m.payload) >= sizeofGenlMsghdr {
			r.cmd = m.payload[0]
			r.attrs = m.payload[sizeofGenlMsghdr:]
		}
		if m.typ == unix.GENL_ID_CTRL {
			if s.noFamily {
				s.queue = append(s.queue, errMsg(m.seq, unix.ENOENT))
				return nil
			}
			e := encoder{}
			off := e.begin(unix.GENL_ID_CTRL, 0, m.seq, unix.CTRL_CMD_NEWFAMILY, 2)
			e.str(unix.CTRL_ATTR_FAMILY_NAME, "IPVS")
			e.u16(unix.CTRL_ATTR_FAMILY_ID, testFamily)
			e.end(off)
			s.queue = append(s.queue, e.buf, errMsg(m.seq, 0))
			return nil
		}
		s.reqs = append(s.reqs, r)
		if s.reply != nil {
			s.queue = append(s.queue, s.reply(r)...)
		}
		return nil
	})
}

// rebuildHeader returns the message's bytes (header and payload) again.
func rebuildHeader(m message) []byte {
	b := make([]byte, sizeofNlMsghdr, sizeofNlMsghdr+len(m.payload))
	native.PutUint32(b, uint32(sizeofNlMsghdr+len(m.payload)))
	native.PutUint16(b[4:], m.typ)
	native.PutUint16(b[6:], m.flags)
	native.PutUint32(b[8:], m.seq)
	return append(b, m.payload...)
}

// Receive hands out the queued datagrams, as many as there are buffers; with
// oneAtATime, one per call.
func (s *scriptKernel) Receive(bufs [][]byte, lens []int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.queue) == 0 {
		// Nothing will ever come: behave like the receive timeout passing.
		return 0, os.ErrDeadlineExceeded
	}
	n := 0
	for n < len(bufs) && len(s.queue) > 0 && (n == 0 || !s.oneAtATime) {
		d := s.queue[0]
		if len(d) > len(bufs[n]) {
			return 0, fmt.Errorf("scripted datagram of %d bytes, buffer of %d", len(d), len(bufs[n]))
		}
		s.queue = s.queue[1:]
		lens[n] = copy(bufs[n], d)
		n++
	}
	return n, nil
}

func (s *scriptKernel) SetReceiveTimeout(d time.Duration) error {
	s.mu.Lock()
	s.timeout = d
	s.timeouts++
	s.mu.Unlock()
	return nil
}

func (s *scriptKernel) Close() error {
	s.closed = true
	return nil
}

// openScripted returns a Kernel over s, with the family already resolved.
func openScripted(t testing.TB, s *scriptKernel, opts ...Option) *Kernel {
	t.Helper()
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	k := newKernel(s, cfg)
	if err := k.resolveFamily(t.Context()); err != nil {
		t.Fatalf("resolveFamily: %v", err)
	}
	return k
}

// errMsg is an NLMSG_ERROR for seq: code 0 is an acknowledgement.
func errMsg(seq uint32, code unix.Errno) []byte {
	b := make([]byte, sizeofNlMsghdr+4+sizeofNlMsghdr)
	native.PutUint32(b, uint32(len(b)))
	native.PutUint16(b[4:], unix.NLMSG_ERROR)
	native.PutUint32(b[8:], seq)
	native.PutUint32(b[16:], uint32(-int32(code)))
	// the echoed request header (NETLINK_CAP_ACK): only its seq matters here
	native.PutUint32(b[20:], sizeofNlMsghdr)
	native.PutUint32(b[28:], seq)
	return b
}

// doneMsg ends a dump.
func doneMsg(seq uint32) []byte {
	b := make([]byte, sizeofNlMsghdr+4)
	native.PutUint32(b, uint32(len(b)))
	native.PutUint16(b[4:], unix.NLMSG_DONE)
	native.PutUint16(b[6:], unix.NLM_F_MULTI)
	native.PutUint32(b[8:], seq)
	return b
}

// ---- an encoder for kernel replies, independent of the production encoder ----

// nla is one attribute for the test-side builder.
type nla struct {
	typ  uint16
	val  []byte
	nest []nla
}

func (a nla) bytes() []byte {
	val := a.val
	if a.nest != nil {
		val = nil
		for _, n := range a.nest {
			val = append(val, n.bytes()...)
		}
	}
	b := make([]byte, 4, 4+len(val)+3)
	binary.LittleEndian.PutUint16(b, uint16(4+len(val)))
	binary.LittleEndian.PutUint16(b[2:], a.typ)
	b = append(b, val...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func nU8(t uint16, v uint8) nla { return nla{typ: t, val: []byte{v}} }
func nU16(t uint16, v uint16) nla {
	return nla{typ: t, val: binary.LittleEndian.AppendUint16(nil, v)}
}
func nBE16(t uint16, v uint16) nla { return nla{typ: t, val: binary.BigEndian.AppendUint16(nil, v)} }
func nU32(t uint16, v uint32) nla {
	return nla{typ: t, val: binary.LittleEndian.AppendUint32(nil, v)}
}
func nBE32(t uint16, v uint32) nla { return nla{typ: t, val: binary.BigEndian.AppendUint32(nil, v)} }
func nU64(t uint16, v uint64) nla {
	return nla{typ: t, val: binary.LittleEndian.AppendUint64(nil, v)}
}
func nStr(t uint16, s string) nla  { return nla{typ: t, val: append([]byte(s), 0)} }
func nRaw(t uint16, b []byte) nla  { return nla{typ: t, val: b} }
func nNest(t uint16, n ...nla) nla { return nla{typ: t, nest: append([]nla{}, n...)} }

func addr16(s string) []byte {
	b := make([]byte, 16)
	a := mustAddr(s)
	if a.Is4() {
		v := a.As4()
		copy(b, v[:])
	} else {
		v := a.As16()
		copy(b, v[:])
	}
	return b
}

// genlMsg is a whole generic netlink message with the test-side builder.
func genlMsg(typ, flags uint16, seq uint32, cmd uint8, as ...nla) []byte {
	var body []byte
	body = append(body, cmd, 1, 0, 0)
	for _, a := range as {
		body = append(body, a.bytes()...)
	}
	b := make([]byte, 16, 16+len(body))
	binary.LittleEndian.PutUint32(b, uint32(16+len(body)))
	binary.LittleEndian.PutUint16(b[4:], typ)
	binary.LittleEndian.PutUint16(b[6:], flags)
	binary.LittleEndian.PutUint32(b[8:], seq)
	return append(b, body...)
}

// concat joins messages into one datagram.
func concat(ms ...[]byte) []byte {
	var b []byte
	for _, m := range ms {
		b = append(b, m...)
	}
	return b
}
