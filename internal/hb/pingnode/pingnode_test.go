package pingnode

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/netnstest"
)

// TestEchoRequest: the bytes on the wire. ICMP echo request is type 8 with its checksum;
// ICMPv6's is type 128 with the checksum left zero for the kernel (RFC 3542: it computes
// it on ICMPv6 sockets, over the addresses it chooses).
func TestEchoRequest(t *testing.T) {
	data := []byte("abc")
	for _, tc := range []struct {
		v6   bool
		want []byte
	}{
		{false, []byte{8, 0, 0x21, 0x62, 0x12, 0x34, 0x00, 0x07, 'a', 'b', 'c'}},
		{true, []byte{128, 0, 0, 0, 0x12, 0x34, 0x00, 0x07, 'a', 'b', 'c'}},
	} {
		b, err := echoRequest(tc.v6, 0x1234, 7, data)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b, tc.want) {
			t.Errorf("v6 %v: % x, want % x", tc.v6, b, tc.want)
		}
		if !tc.v6 && checksum(b) != 0 {
			t.Errorf("ICMP checksum does not verify: % x", b)
		}
	}
	// id and seq are 16 bits on the wire: larger values wrap rather than fail.
	b, err := echoRequest(true, 0x12345, 0x10002, nil)
	if err != nil || len(b) != 8 || binary.BigEndian.Uint16(b[4:]) != 0x2345 || binary.BigEndian.Uint16(b[6:]) != 2 {
		t.Errorf("% x, %v", b, err)
	}
}

// checksum is the Internet checksum of b (0 when b carries a correct one).
func checksum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return ^uint16(s)
}

func TestParseEchoReply(t *testing.T) {
	reply6 := []byte{129, 0, 0xbe, 0xef, 0x12, 0x34, 0x00, 0x07, 'x'}
	reply4 := []byte{0, 0, 0xed, 0xc3, 0x12, 0x34, 0x00, 0x07} // checksum not checked: the kernel did
	for _, tc := range []struct {
		name string
		v6   bool
		b    []byte
		ok   bool
	}{
		{"icmpv6 echo reply", true, reply6, true},
		{"icmpv6 echo reply, no data", true, reply6[:8], true},
		{"icmpv6 echo request (ours, looped back)", true, []byte{128, 0, 0, 0, 0x12, 0x34, 0, 7}, false},
		{"icmpv6 echo reply, code 1", true, []byte{129, 1, 0, 0, 0x12, 0x34, 0, 7}, false},
		{"icmpv6 destination unreachable", true, append([]byte{1, 3, 0, 0, 0, 0, 0, 0}, make([]byte, 48)...), false},
		{"icmpv6 neighbour advertisement", true, append([]byte{136, 0, 0, 0, 0x60, 0, 0, 0}, make([]byte, 16)...), false},
		{"icmp echo reply read as icmpv6", true, reply4, false},
		{"icmpv6 echo reply, truncated", true, reply6[:3], false},
		{"icmpv6 echo reply, header only", true, reply6[:4], false},
		{"empty", true, nil, false},
		{"icmp echo reply", false, reply4, true},
		{"icmpv6 echo reply read as icmp", false, reply6, false},
		{"icmp echo request", false, []byte{8, 0, 0, 0, 0x12, 0x34, 0, 7}, false},
	} {
		id, ok := parseEchoReply(tc.v6, tc.b)
		if ok != tc.ok || (ok && id != 0x1234) {
			t.Errorf("%s: id %#x ok %v, want ok %v (id 0x1234)", tc.name, id, ok, tc.ok)
		}
	}
	// A request we build, turned into its reply as a host would (type 129), parses.
	req, _ := echoRequest(true, 0xfeed, 9, payload)
	rep := slices.Clone(req)
	rep[0] = 129
	if id, ok := parseEchoReply(true, rep); !ok || id != 0xfeed {
		t.Errorf("the reply to our own request: id %#x ok %v", id, ok)
	}
}

// FuzzParseEchoReply: any bytes, either family: no panic, and what is taken for an echo
// reply is one, with the identifier of its bytes 4-5.
func FuzzParseEchoReply(f *testing.F) {
	f.Add(true, []byte{129, 0, 0, 0, 0x12, 0x34, 0, 7, 'x'})
	f.Add(false, []byte{0, 0, 0, 0, 0x12, 0x34, 0, 7})
	f.Add(true, []byte{1, 3, 0, 0, 0, 0, 0, 0, 0x60})
	f.Add(true, []byte{129})
	f.Fuzz(func(t *testing.T, v6 bool, b []byte) {
		id, ok := parseEchoReply(v6, b)
		if !ok {
			return
		}
		want := byte(0)
		if v6 {
			want = 129
		}
		if len(b) < 8 || b[0] != want || b[1] != 0 || id != int(binary.BigEndian.Uint16(b[4:])) {
			t.Fatalf("v6 %v: % x taken for an echo reply with id %#x", v6, b, id)
		}
	})
}

// pingIn runs one Pinger for d in namespace ns, pinging addrs every 100 ms, and returns
// the addresses replies came from.
func pingIn(t *testing.T, ns *netnstest.NS, addrs []netip.Addr, d time.Duration) []netip.Addr {
	t.Helper()
	var got []netip.Addr
	var mu sync.Mutex
	errc := make(chan error, 1)
	go func() {
		errc <- ns.Do(func() error {
			p, err := Listen(addrs) // the sockets live in the namespace from now on
			if err != nil {
				return err
			}
			defer p.Close()
			ctx, cancel := context.WithTimeout(context.Background(), d)
			defer cancel()
			_ = p.Run(ctx, addrs, 100*time.Millisecond, func(a netip.Addr) {
				mu.Lock()
				got = append(got, a)
				mu.Unlock()
			})
			return nil
		})
	}()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(d + 20*time.Second):
		t.Fatal("ping test did not finish")
	}
	mu.Lock()
	defer mu.Unlock()
	return slices.Clone(got)
}

// TestIntegrationPingLoopback pings, from one Pinger in a fresh network namespace,
// 127.0.0.1 and ::1 (which answer) and 192.0.2.99 and 2001:db8::99 (which nobody has: no
// route): ICMP and ICMPv6 side by side.
func TestIntegrationPingLoopback(t *testing.T) {
	ns := netnstest.New(t)
	lo4, lo6 := netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")
	addrs := []netip.Addr{lo4, netip.MustParseAddr("192.0.2.99"), lo6, netip.MustParseAddr("2001:db8::99")}
	got := pingIn(t, ns, addrs, 500*time.Millisecond)
	n := map[netip.Addr]int{}
	for _, a := range got {
		n[a]++
		if a != lo4 && a != lo6 {
			t.Errorf("reply from %v, which nobody should answer for", a)
		}
	}
	if n[lo4] < 2 || n[lo6] < 2 {
		t.Fatalf("replies in 500 ms at 100 ms intervals: %d from %v, %d from %v (all: %v)", n[lo4], lo4, n[lo6], lo6, got)
	}
}

// TestIntegrationPing6Neighbour: ICMPv6 echo over a link to another namespace, the reply
// counted from the address pinged; once that address is gone, no reply.
func TestIntegrationPing6Neighbour(t *testing.T) {
	a, b := netnstest.New(t), netnstest.New(t)
	la, lb := netnstest.Veth(t, a, "eth0", b, "eth0")
	la.AddAddr(t, "fd00:200:6::1/64")
	lb.AddAddr(t, "fd00:200:6::2/64")
	peer, other := netip.MustParseAddr("fd00:200:6::2"), netip.MustParseAddr("fd00:200:6::3")
	// A fresh veth pair: the first neighbour solicitation may go out before the peer's
	// end is up, and the kernel asks again only a second later. Wait (5 s at most)
	// until the peer has answered once, then count.
	for i := 0; len(pingIn(t, a, []netip.Addr{peer}, time.Second)) == 0; i++ {
		if i == 4 {
			t.Fatalf("no reply from %v in 5 s", peer)
		}
	}
	got := pingIn(t, a, []netip.Addr{peer, other}, time.Second)
	n := 0
	for _, r := range got {
		if r != peer {
			t.Errorf("reply from %v, want only %v's", r, peer)
		}
		n++
	}
	if n < 3 {
		t.Fatalf("%d replies from %v in 1 s at 100 ms intervals: %v", n, peer, got)
	}
	if _, err := b.Run("ip", "-6", "addr", "del", "fd00:200:6::2/64", "dev", "eth0"); err != nil {
		t.Fatal(err)
	}
	if got := pingIn(t, a, []netip.Addr{peer}, 500*time.Millisecond); len(got) != 0 {
		t.Errorf("replies from %v after its address was deleted: %v", peer, got)
	}
}
