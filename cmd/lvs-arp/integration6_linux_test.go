//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lvskit/lvskit/internal/hostnet"
	"github.com/lvskit/lvskit/internal/netnstest"
)

// TestIntegrationNetns6 is the IPv6 real server and director on a real kernel: a client
// namespace and a node namespace on a veth pair (both eth0, 2001:db8::/64). As a real
// server (lvs-arp realserver --vip 2001:db8::100) the node holds the VIP on lo as a
// /128 nodad and answers no neighbour solicitation for it, multicast or unicast (the
// client's entry ends FAILED), though it answers for its own eth0 address and accepts
// the VIP's packets; it solicits from its link-local address, not the VIP. A director
// (the client, for a moment) that holds the VIP preferred reaches the real server from
// the VIP and gets no answer, deprecated it does. As a director holding the VIP on
// eth0, lvs-arp announce moves the client's stale entry for the VIP, planted with a
// wrong MAC, to the node's MAC, twice (the second advertisement from the detached
// copy). What the client receives from the node is captured on its eth0.
func TestIntegrationNetns6(t *testing.T) {
	cl, node := netnstest.New(t), netnstest.New(t)
	bin := build(t)
	// No DAD on the namespaces' addresses, link-local ones included: the node's
	// link-local address is where its own solicitations come from.
	for _, n := range []*netnstest.NS{cl, node} {
		if err := n.Do(func() error {
			return hostnet.NewLinux().SetSysctl("net.ipv6.conf.default.accept_dad", "0")
		}); err != nil {
			t.Fatal(err)
		}
	}
	clEth, nodeEth := netnstest.Veth(t, cl, "eth0", node, "eth0")
	clEth.AddAddr(t, "2001:db8::1/64")
	nodeEth.AddAddr(t, "2001:db8::2/64")
	// The client gives up on a neighbour after 3 solicitations 250 ms apart, and
	// probes a stale entry after 1 s rather than 5.
	if err := cl.Do(func() error {
		h := hostnet.NewLinux()
		if err := h.SetSysctl("net.ipv6.neigh.eth0.retrans_time_ms", "250"); err != nil {
			return err
		}
		return h.SetSysctl("net.ipv6.neigh.eth0.delay_first_probe_time", "1")
	}); err != nil {
		t.Fatal(err)
	}
	nodeMAC := macOf(t, node, "eth0")
	const vip = "2001:db8::100"
	in := func(n *netnstest.NS, args ...string) string {
		t.Helper()
		out, err := n.Run(args...)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	cap := captureICMPv6(t, cl, "eth0", nodeMAC)

	// The real server.
	in(node, bin, "realserver", "-i", "eth0", "--vip", vip)
	if out := in(node, "ip", "-o", "-6", "addr", "show", "dev", "lo"); !strings.Contains(out, "inet6 "+vip+"/128 ") || !strings.Contains(out, "nodad") {
		t.Errorf("VIP not on lo as a /128 nodad:\n%s", out)
	}
	if out := in(node, bin, "status", "-i", "eth0", "--vip", vip); out != "vip "+vip+" on lo\nrole: realserver\n" {
		t.Errorf("status:\n%s", out)
	}
	// The node answers for its own address (so a silence below is not a broken link)...
	sendUDP(t, cl, "2001:db8::2")
	if st := waitNeigh(t, cl, "2001:db8::2", 10*time.Second, "REACHABLE", "FAILED"); !strings.Contains(st, "lladdr "+nodeMAC.String()+" REACHABLE") {
		t.Fatalf("the node's eth0 address was not resolved: %q", st)
	}
	// ... but not for the VIP: multicast solicitations go unanswered...
	sendUDP(t, cl, vip)
	if st := waitNeigh(t, cl, vip, 10*time.Second, "REACHABLE", "FAILED"); !strings.Contains(st, "FAILED") {
		t.Errorf("the client resolved the VIP held on the real server's lo: %q", st)
	}
	// ... and so do unicast probes of a stale entry that names the node (as it would
	// after the node was the director), while the datagram the entry lets through is
	// taken: the node answers it from the VIP (port unreachable), as a DR real server
	// answers the director's packets.
	in(cl, "ip", "-6", "neigh", "replace", vip, "lladdr", nodeMAC.String(), "dev", "eth0", "nud", "stale")
	sendUDP(t, cl, vip)
	if st := waitNeigh(t, cl, vip, 10*time.Second, "REACHABLE", "FAILED"); !strings.Contains(st, "FAILED") {
		t.Errorf("the real server answered the client's unicast probes for the VIP: %q", st)
	}
	seen := cap.stop()
	var answeredFromVIP bool
	for _, p := range seen {
		switch {
		case p.typ == 136 && p.target == netip.MustParseAddr(vip):
			t.Errorf("the real server advertised the VIP: %v", p)
		case p.typ == 135 && p.src == netip.MustParseAddr(vip):
			t.Errorf("the real server solicited from the VIP (the client learns the VIP's MAC from it): %v", p)
		case p.typ == 1 && p.src == netip.MustParseAddr(vip):
			answeredFromVIP = true
		}
	}
	if !answeredFromVIP {
		t.Errorf("no answer from the VIP to the datagram sent to the real server; saw %v", seen)
	}
	if t.Failed() {
		t.Logf("ICMPv6 from the node: %v", seen)
	}

	// The package doc's condition on a director: the client, playing the director,
	// holds the VIP on eth0. Preferred, it is the source of the director's own
	// connections to the real server, which answers itself and never the director;
	// deprecated (preferred_lft 0) it is not, and the real server's refusal comes back.
	in(cl, "ip", "addr", "add", vip+"/128", "dev", "eth0", "nodad")
	if err := dialNode(cl); !isTimeout(err) {
		t.Errorf("director's connection to the real server with its VIP preferred: %v, want a timeout (sent from the VIP)", err)
	}
	in(cl, "ip", "addr", "change", vip+"/128", "dev", "eth0", "nodad", "preferred_lft", "0")
	if err := dialNode(cl); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("director's connection to the real server with its VIP deprecated: %v, want refused (port 1)", err)
	}
	in(cl, "ip", "addr", "del", vip+"/128", "dev", "eth0")

	// The director: the VIP leaves lo, then IPaddr2 (here ip) puts it on eth0.
	in(node, bin, "director", "-i", "eth0", "--vip", vip)
	if out := in(node, "ip", "-o", "-6", "addr", "show", "dev", "lo"); strings.Contains(out, vip) {
		t.Errorf("VIP left on lo:\n%s", out)
	}
	if out := in(node, bin, "status", "-i", "eth0", "--vip", vip); out != "vip "+vip+" not on lo\nrole: director\n" {
		t.Errorf("status:\n%s", out)
	}
	nodeEth.AddAddr(t, vip+"/64")
	const wrong = "02:00:00:00:00:99"
	in(cl, "ip", "-6", "neigh", "replace", vip, "lladdr", wrong, "dev", "eth0", "nud", "stale")
	if st := in(cl, "ip", "-6", "neigh", "show", vip, "dev", "eth0"); !strings.Contains(st, "lladdr "+wrong+" STALE") {
		t.Fatalf("planted entry: %q", st)
	}
	cap = captureICMPv6(t, cl, "eth0", nodeMAC)
	in(node, bin, "announce", "-i", "eth0", "--vip", vip, "--count", "2", "--interval", "300ms")
	// The first advertisement went out before announce returned.
	st := waitNeigh(t, cl, vip, 2*time.Second, "lladdr "+nodeMAC.String())
	if !strings.Contains(st, "lladdr "+nodeMAC.String()) {
		t.Errorf("the client's entry for the VIP after announce: %q, want the director's MAC %v", st, nodeMAC)
	}
	// The second comes from the detached copy, 300 ms later.
	deadline := time.Now().Add(5 * time.Second)
	nas := 0
	for time.Now().Before(deadline) && nas < 2 {
		time.Sleep(100 * time.Millisecond)
		nas = 0
		for _, p := range cap.snapshot() {
			if p.typ == 136 && p.target == netip.MustParseAddr(vip) && p.override && p.dst == netip.IPv6LinkLocalAllNodes() {
				nas++
			}
		}
	}
	if seen := cap.stop(); nas != 2 {
		t.Errorf("saw %d unsolicited advertisements for the VIP with the override flag, want 2:\n%v", nas, seen)
	}
}

// dialNode connects from n to port 1 of the node's eth0 address (2001:db8::2), for at
// most 2 s.
func dialNode(n *netnstest.NS) error {
	var derr error
	if err := n.Do(func() error {
		c, err := net.DialTimeout("tcp6", "[2001:db8::2]:1", 2*time.Second)
		if err == nil {
			c.Close()
		}
		derr = err
		return nil
	}); err != nil {
		return err
	}
	return derr
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// macOf is the MAC of interface name in n.
func macOf(t *testing.T, n *netnstest.NS, name string) net.HardwareAddr {
	t.Helper()
	var mac net.HardwareAddr
	if err := n.Do(func() error {
		ifc, err := net.InterfaceByName(name)
		if err == nil {
			mac = ifc.HardwareAddr
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return mac
}

// sendUDP sends one datagram from n to port 9 (discard) of addr, which makes n resolve
// addr (or use its entry for it).
func sendUDP(t *testing.T, n *netnstest.NS, addr string) {
	t.Helper()
	if err := n.Do(func() error {
		c, err := net.Dial("udp6", net.JoinHostPort(addr, "9"))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("lvs-arp test"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// waitNeigh polls n's neighbour entry for addr on eth0 until it contains one of want
// or timeout passes, and returns the last one read.
func waitNeigh(t *testing.T, n *netnstest.NS, addr string, timeout time.Duration, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out, err := n.Run("ip", "-6", "neigh", "show", addr, "dev", "eth0")
		if err != nil {
			t.Fatal(err)
		}
		st := strings.TrimSpace(string(out))
		for _, w := range want {
			if strings.Contains(st, w) {
				return st
			}
		}
		if time.Now().After(deadline) {
			return st
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// icmp6 is an ICMPv6 message seen on the wire: type, addresses, and for neighbour
// solicitations and advertisements the target (and an advertisement's override flag).
type icmp6 struct {
	typ      byte
	src, dst netip.Addr
	target   netip.Addr
	override bool
}

func (p icmp6) String() string {
	return fmt.Sprintf("{type %d %v > %v target %v override %v}", p.typ, p.src, p.dst, p.target, p.override)
}

type capture struct {
	mu     sync.Mutex
	seen   []icmp6
	closed atomic.Bool
	done   chan struct{}
}

func (c *capture) snapshot() []icmp6 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]icmp6(nil), c.seen...)
}

// stop ends the capture (within 200 ms, the socket's receive timeout) and returns what
// it saw.
func (c *capture) stop() []icmp6 {
	c.closed.Store(true)
	select {
	case <-c.done:
	case <-time.After(5 * time.Second):
	}
	return c.snapshot()
}

// captureICMPv6 records the ICMPv6 messages that interface name of n receives from
// the MAC from, for at most a minute, on a packet socket opened in n.
func captureICMPv6(t *testing.T, n *netnstest.NS, name string, from net.HardwareAddr) *capture {
	t.Helper()
	fd := -1
	if err := n.Do(func() error {
		ifc, err := net.InterfaceByName(name)
		if err != nil {
			return err
		}
		var proto uint16 = unix.ETH_P_IPV6
		proto = proto<<8 | proto>>8 // network byte order
		s, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, int(proto))
		if err != nil {
			return err
		}
		if err := unix.Bind(s, &unix.SockaddrLinklayer{Protocol: proto, Ifindex: ifc.Index}); err != nil {
			unix.Close(s)
			return err
		}
		if err := unix.SetsockoptTimeval(s, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &unix.Timeval{Usec: 200000}); err != nil {
			unix.Close(s)
			return err
		}
		fd = s
		return nil
	}); err != nil {
		t.Fatalf("capture on %s in %s: %v", name, n, err)
	}
	c := &capture{done: make(chan struct{})}
	t.Cleanup(func() { c.stop() })
	go func() {
		defer close(c.done)
		defer unix.Close(fd)
		buf := make([]byte, 2048)
		for end := time.Now().Add(time.Minute); !c.closed.Load() && time.Now().Before(end); {
			m, _, err := unix.Recvfrom(fd, buf, 0)
			if err != nil {
				continue // the receive timeout
			}
			b := buf[:m]
			// Ethernet, IPv6 with ICMPv6 (58) as its next header.
			if len(b) < 14+40+4 || !bytes.Equal(b[6:12], from) || b[14+6] != 58 {
				continue
			}
			src, _ := netip.AddrFromSlice(b[14+8 : 14+24])
			dst, _ := netip.AddrFromSlice(b[14+24 : 14+40])
			p := icmp6{typ: b[54], src: src, dst: dst}
			if (p.typ == 135 || p.typ == 136) && len(b) >= 54+24 {
				p.target, _ = netip.AddrFromSlice(b[54+8 : 54+24])
				p.override = p.typ == 136 && b[54+4]&0x20 != 0
			}
			c.mu.Lock()
			c.seen = append(c.seen, p)
			c.mu.Unlock()
		}
	}()
	return c
}
