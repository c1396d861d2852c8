package transport

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/hbwire"
)

// chanLink is an in-memory Link: what is sent on one end is received on
// the other.
type chanLink struct {
	name string
	in   chan []byte
	out  chan []byte
	quit chan struct{}
}

func linkPair(name string) (*chanLink, *chanLink) {
	a2b, b2a := make(chan []byte, 64), make(chan []byte, 64)
	return &chanLink{name, b2a, a2b, make(chan struct{})}, &chanLink{name, a2b, b2a, make(chan struct{})}
}

func (l *chanLink) Name() string { return l.name }
func (l *chanLink) Send(p []byte) error {
	l.out <- append([]byte(nil), p...)
	return nil
}
func (l *chanLink) Recv(buf []byte) (int, netip.AddrPort, error) {
	select {
	case p := <-l.in:
		return copy(buf, p), netip.AddrPort{}, nil
	case <-l.quit:
		return 0, netip.AddrPort{}, net.ErrClosed
	}
}
func (l *chanLink) Close() error { close(l.quit); return nil }

// With two media, every message arrives twice: it is delivered once and
// both media count as alive.
func TestNodeTwoMedia(t *testing.T) {
	a1, b1 := linkPair("eth0")
	a2, b2 := linkPair("eth1")
	a := NewNode(newEP(t, "lvs1", 1, "k"), a1, a2)
	b := NewNode(newEP(t, "lvs2", 2, "k"), b1, b2)
	defer a.Close()
	defer b.Close()
	for range 3 {
		if err := a.Send(hbwire.StatusMessage("active", 1)); err != nil {
			t.Fatal(err)
		}
	}
	var seqs []string
	for len(seqs) < 3 {
		select {
		case in := <-b.Messages():
			seqs = append(seqs, in.Msg.Value(hbwire.FSeq))
		case <-time.After(5 * time.Second):
			t.Fatalf("got %v", seqs)
		}
	}
	// Wait until the second copies were processed too: counted as received first, then
	// classified, so wait for the classification.
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if st := b.Stats(); st.Delivered+st.Dropped[ErrDuplicate.Error()] >= 6 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	st := b.Stats()
	if st.Delivered != 3 || st.Dropped[ErrDuplicate.Error()] != 3 {
		t.Errorf("stats %+v: want 3 delivered, 3 duplicates", st)
	}
	for _, l := range []string{"eth0", "eth1"} {
		if _, ok := b.Heard("lvs1", l); !ok {
			t.Errorf("link %s not heard", l)
		}
	}
	select {
	case in := <-b.Messages():
		t.Errorf("extra delivery %v", in.Msg)
	default:
	}
}
