//go:build linux

package ipvs

import (
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestOpenKernelWithoutIPVS runs the real socket code against this machine's
// kernel: where IPVS is missing (as on the development hosts, whose kernels cannot
// load ip_vs) OpenKernel must fail with ENOPROTOOPT, the errno behind ipvsadm's
// "Can't initialize ipvs: Protocol not available".
func TestOpenKernelWithoutIPVS(t *testing.T) {
	k, err := OpenKernel(WithTimeout(2 * time.Second))
	if err == nil {
		k.Close()
		t.Skip("this kernel has IPVS; TestIntegrationKernel covers it")
	}
	if errors.Is(err, unix.EPERM) {
		t.Skip("IPVS is there but this user may not use it")
	}
	if !errors.Is(err, unix.ENOPROTOOPT) {
		t.Fatalf("OpenKernel: %v, want ENOPROTOOPT", err)
	}
	if got, want := err.Error(), "ipvs: look up generic netlink family IPVS: protocol not available"; got != want {
		t.Errorf("error text %q, want %q", got, want)
	}
}

// TestSocketTransport talks to the generic netlink controller, which every Linux
// kernel has: a request and its replies, then a receive timeout that must come back
// as os.ErrDeadlineExceeded.
func TestSocketTransport(t *testing.T) {
	s, err := openSocket()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var e encoder
	off := e.begin(unix.GENL_ID_CTRL, unix.NLM_F_REQUEST|unix.NLM_F_ACK, 7, unix.CTRL_CMD_GETFAMILY, 1)
	e.str(unix.CTRL_ATTR_FAMILY_NAME, "nlctrl")
	e.end(off)
	if err := s.SetReceiveTimeout(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := s.Send(e.buf); err != nil {
		t.Fatal(err)
	}
	bufs := [][]byte{make([]byte, receiveBufSize), make([]byte, receiveBufSize)}
	lens := make([]int, 2)
	var id uint16
	acked := false
	for !acked {
		n, err := s.Receive(bufs, lens)
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			// the reply and the ack are both queued when the write returns
			t.Errorf("received %d datagrams in one call, want 2", n)
		}
		for i := range n {
			err = errors.Join(err, splitMessages(bufs[i][:lens[i]], func(m message) error {
				if m.seq != 7 {
					t.Errorf("reply with sequence %d", m.seq)
				}
				if m.typ == unix.NLMSG_ERROR {
					code, err := errnoOf(m.payload)
					if err != nil || code != 0 {
						t.Fatalf("error reply %v %v", code, err)
					}
					acked = true
					return nil
				}
				p, _, err := genlPayload(m)
				if err != nil {
					return err
				}
				v, ok, err := findAttr(p, unix.CTRL_ATTR_FAMILY_ID)
				if ok {
					id, err = getU16(v)
				}
				return err
			}))
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if id != unix.GENL_ID_CTRL {
		t.Errorf("nlctrl family id %#x, want %#x", id, unix.GENL_ID_CTRL)
	}
	if err := s.SetReceiveTimeout(20 * time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Receive(bufs, lens); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("receive with nothing pending: %v, want os.ErrDeadlineExceeded", err)
	}
	// A datagram larger than the buffer is an error, not a silent cut.
	if err := s.SetReceiveTimeout(2 * time.Second); err != nil {
		t.Fatal(err)
	}
	e.buf = e.buf[:0]
	off = e.begin(unix.GENL_ID_CTRL, unix.NLM_F_REQUEST|unix.NLM_F_ACK, 8, unix.CTRL_CMD_GETFAMILY, 1)
	e.str(unix.CTRL_ATTR_FAMILY_NAME, "nlctrl")
	e.end(off)
	if err := s.Send(e.buf); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Receive([][]byte{bufs[0][:16]}, lens); err == nil {
		t.Error("a truncated datagram was not reported")
	}
}
