package transport_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/hbwire"
	"github.com/lvskit/lvskit/internal/hb/interop"
	"github.com/lvskit/lvskit/internal/hb/transport"
)

func ring(t testing.TB, secret string) *hbwire.Keyring {
	kr, err := hbwire.NewKeyring(1, hbwire.Key{Index: 1, Method: hbwire.SHA1, Secret: []byte(secret)})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// openNode opens a link of kind in namespace ns and starts a Node on it.
func openNode(t *testing.T, p *interop.Pair, i int, name string, gen uint32, secret string, kind transport.MediumKind) *transport.Node {
	t.Helper()
	cfg := transport.UDPConfig{Kind: kind, Iface: p.Iface, Port: interop.Port, Peer: p.Addr[1-i],
		Group: netip.MustParseAddr(interop.McastGroup), TTL: 1}
	var l *transport.UDPLink
	if err := p.NS[i].Do(func() error {
		var err error
		l, err = transport.OpenUDP(cfg)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var u [16]byte
	copy(u[:], name)
	ep, err := transport.NewEndpoint(transport.Config{Node: name, UUID: u, Generation: gen, Keys: ring(t, secret),
		Nodes: []string{"lvs1", "lvs2"}})
	if err != nil {
		t.Fatal(err)
	}
	n := transport.NewNode(ep, l)
	t.Cleanup(func() { n.Close() })
	return n
}

func recvFrom(t *testing.T, n *transport.Node, from string, timeout time.Duration) transport.Inbound {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case in := <-n.Messages():
			if in.From == from {
				return in
			}
		case <-deadline:
			t.Fatalf("nothing from %s within %v; stats %+v", from, timeout, n.Stats())
		}
	}
}

// TestIntegrationUDPMedia exchanges status messages between two Go nodes
// in two namespaces over each medium, then sends forged, wrongly keyed,
// replayed and stranger packets over the real sockets and checks each is
// dropped for the right reason.
func TestIntegrationUDPMedia(t *testing.T) {
	interop.Require(t, false)
	for _, kind := range []transport.MediumKind{transport.Ucast, transport.Bcast, transport.Mcast} {
		t.Run(string(kind), func(t *testing.T) {
			p := interop.NewPair(t)
			a := openNode(t, p, 0, "lvs1", 10, "doss123", kind)
			b := openNode(t, p, 1, "lvs2", 20, "doss123", kind)
			var sent [][]byte
			for range 12 {
				m := hbwire.StatusMessage("active", 10000)
				pkt, err := a.Endpoint().Seal(m)
				if err != nil {
					t.Fatal(err)
				}
				if err := a.SendRaw(pkt); err != nil {
					t.Fatal(err)
				}
				sent = append(sent, pkt)
			}
			for range 12 {
				in := recvFrom(t, b, "lvs1", 5*time.Second)
				if in.Msg.Value(hbwire.FStatus) != "active" || in.Link != "eth0" || in.Addr.Addr() != p.Addr[0] {
					t.Errorf("got %v on %s from %v", in.Msg, in.Link, in.Addr)
				}
			}
			if err := b.Send(hbwire.StatusMessage("up", 10000)); err != nil {
				t.Fatal(err)
			}
			recvFrom(t, a, "lvs2", 5*time.Second)
			if _, ok := b.Heard("lvs1", "eth0"); !ok {
				t.Error("Heard(lvs1, eth0) not recorded")
			}

			// Hostile traffic from a's sockets.
			forger := openEndpoint(t, "lvs1", 10, "guess")
			forged, _ := forger.Seal(hbwire.StatusMessage("active", 1))
			stranger := openEndpoint(t, "lvs9", 1, "doss123")
			strange, _ := stranger.Seal(hbwire.StatusMessage("active", 1))
			old := openEndpoint(t, "lvs1", 9, "doss123")
			oldGen, _ := old.Seal(hbwire.StatusMessage("active", 1))
			bogus := hbwire.Marshal(hbwire.StatusMessage("active", 1))
			for _, pkt := range [][]byte{sent[0], sent[11], forged, strange, oldGen, bogus, []byte("junk")} {
				if err := a.SendRaw(pkt); err != nil {
					t.Fatal(err)
				}
			}
			// A valid message after them proves they were all processed.
			if err := a.Send(hbwire.StatusMessage("active", 10000)); err != nil {
				t.Fatal(err)
			}
			in := recvFrom(t, b, "lvs1", 5*time.Second)
			if seq := in.Msg.Value(hbwire.FSeq); seq != "d" {
				t.Errorf("delivered seq %s, want d: a hostile packet got through", seq)
			}
			// An old replay is refused; a copy of the latest message is
			// refused too but counts as proof that the link is up.
			want := map[string]int{
				transport.ErrReplay.Error():        1,
				transport.ErrDuplicate.Error():     1,
				hbwire.ErrBadAuth.Error():          1,
				transport.ErrUnknownNode.Error():   1,
				transport.ErrOldGeneration.Error(): 1,
				hbwire.ErrNoAuth.Error():           1,
				hbwire.ErrFormat.Error():           1,
			}
			got := b.Stats().Dropped
			delete(got, transport.ErrFromSelf.Error()) // bcast/mcast loop back
			for k, v := range want {
				if got[k] != v {
					t.Errorf("dropped for %q: %d, want %d (all: %v)", k, got[k], v, got)
				}
			}
		})
	}
}

func openEndpoint(t *testing.T, name string, gen uint32, secret string) *transport.Endpoint {
	var u [16]byte
	ep, err := transport.NewEndpoint(transport.Config{Node: name, UUID: u, Generation: gen, Keys: ring(t, secret),
		Nodes: []string{"lvs1", "lvs2", "lvs9"}})
	if err != nil {
		t.Fatal(err)
	}
	return ep
}

func TestOpenUDPValidation(t *testing.T) {
	for _, c := range []transport.UDPConfig{
		{Kind: transport.Ucast, Iface: "eth0", Port: 694},
		{Kind: transport.Mcast, Iface: "eth0", Port: 694, Group: netip.MustParseAddr("10.0.0.1"), TTL: 1},
		{Kind: transport.Bcast, Iface: "", Port: 694},
		{Kind: "serial", Iface: "ttyS0", Port: 694},
		{Kind: transport.Bcast, Iface: "eth0", Port: 0},
	} {
		if _, err := transport.OpenUDP(c); err == nil {
			t.Errorf("OpenUDP(%+v) accepted", c)
		}
	}
}
