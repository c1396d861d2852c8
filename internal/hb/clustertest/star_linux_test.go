package clustertest

import (
	"net"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/hbwire"
	"github.com/lvskit/lvskit/internal/hb/interop"
	"github.com/lvskit/lvskit/internal/netnstest"
)

// Gateway is the third namespace's address on the shared segment: the ping node.
const Gateway = "10.200.6.254"

// star is three namespaces: the two nodes, each with eth0 on a veth whose other end is
// a port of bridge br0 in the gateway namespace, which has Gateway on br0. Port[i] is
// node i's bridge port, so setting Port[i] down cuts node i off from both the peer and
// the ping node.
type star struct {
	*interop.Pair
	GW   *netnstest.NS
	Port [2]netnstest.Link
}

func newStar(t *testing.T) *star {
	t.Helper()
	interop.Require(t, false)
	s := &star{Pair: &interop.Pair{NS: [2]*netnstest.NS{netnstest.New(t), netnstest.New(t)},
		Addr:  [2]netip.Addr{netip.MustParseAddr("10.200.6.1"), netip.MustParseAddr("10.200.6.2")},
		Bcast: netip.MustParseAddr("10.200.6.255"), Iface: "eth0"}, GW: netnstest.New(t)}
	br := netnstest.Bridge(t, s.GW, "br0")
	br.AddAddr(t, Gateway+"/24")
	for i := range 2 {
		var eth0 netnstest.Link
		eth0, s.Port[i] = netnstest.Veth(t, s.NS[i], "eth0", s.GW, "port"+strconv.Itoa(i))
		s.Port[i].SetMaster(t, br)
		eth0.AddAddr(t, s.Addr[i].String()+"/24") // broadcast s.Bcast
	}
	// Wait until each node reaches the gateway (carrier, bridge forwarding).
	for i := range 2 {
		waitFor(t, 15*time.Second, "node "+strconv.Itoa(i)+" reaches the gateway", func() bool {
			_, err := s.NS[i].Run("ping", "-c", "1", "-W", "1", Gateway)
			return err == nil
		})
	}
	return s
}

// starPair makes (does not start) lvs1 and lvs2 on the star, auto_failback on, with
// extra ha.cf lines.
func starPair(t *testing.T, s *star, extra ...string) [2]*ourNode {
	var n [2]*ourNode
	for i, name := range []string{"lvs1", "lvs2"} {
		n[i] = newOurNode(t, s.NS[i], name, haCF(s.Pair, i, "on", extra...))
	}
	return n
}

// ipfailPair is starPair watching the gateway as ping node, with ipfail.
func ipfailPair(t *testing.T, s *star) [2]*ourNode {
	return starPair(t, s, "ping "+Gateway, "deadping 2", "respawn hacluster /usr/lib/heartbeat/ipfail")
}

// TestNoDualActive: with the gateway as ping node, cut the active node off from the
// ping node and its peer (its bridge port down): the peer takes the VIP after deadtime
// and the cut-off node, which sees neither, releases it; at no moment do both hold it for
// longer than deadtime (sampled every 100 ms). Then the link comes back: the node
// rejoins and (auto_failback on) gets its group back, still never both for longer.
func TestNoDualActive(t *testing.T) {
	s := newStar(t)
	n := ipfailPair(t, s)
	n[0].start()
	n[1].start()
	waitFor(t, startBound, "VIP on lvs1", func() bool { return owner(s.Pair) == "a" })
	waitFor(t, startBound, "lvs1 sees the ping node", func() bool {
		out, _ := n[0].query("cl_status", "nodestatus", Gateway)
		return out == "ping"
	})

	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvs1's log:\n%s\nlvs2's log:\n%s", n[0].logText(), n[1].logText())
		}
	})
	smp := startSampler(s.NS)
	s.Port[0].SetDown(t)
	waitFor(t, failoverBound, "VIP on lvs2 after lvs1 was cut off", func() bool { return hasVIP(s.NS[1]) })
	waitFor(t, failoverBound, "cut-off lvs1 releases the VIP", func() bool { return !hasVIP(s.NS[0]) })
	wantRsc(t, n[0], "none") // polled: the release may still be finishing

	s.Port[0].SetUp(t)
	waitFor(t, 3*startBound, "VIP back on lvs1 after the link returned", func() bool { return owner(s.Pair) == "a" })

	// The same with nftables dropping everything on lvs1's eth0, both ways.
	nft := func(args ...string) {
		t.Helper()
		if _, err := s.NS[0].Run(append([]string{"nft"}, args...)...); err != nil {
			t.Fatal(err)
		}
	}
	nft("add", "table", "inet", "cut")
	nft("add", "chain", "inet", "cut", "in", "{ type filter hook input priority 0 ; }")
	nft("add", "chain", "inet", "cut", "out", "{ type filter hook output priority 0 ; }")
	nft("add", "rule", "inet", "cut", "in", "iifname", "eth0", "drop")
	nft("add", "rule", "inet", "cut", "out", "oifname", "eth0", "drop")
	waitFor(t, failoverBound, "VIP on lvs2 after nftables cut lvs1 off", func() bool { return hasVIP(s.NS[1]) })
	waitFor(t, failoverBound, "cut-off lvs1 releases the VIP", func() bool { return !hasVIP(s.NS[0]) })
	nft("delete", "table", "inet", "cut")
	waitFor(t, 3*startBound, "VIP back on lvs1 after the drop rules went", func() bool { return owner(s.Pair) == "a" })

	longest, samples := smp.end()
	t.Logf("longest time both held the VIP: %v (%d samples)", longest, samples)
	if longest > Deadtime {
		t.Fatalf("both nodes held the VIP for %v, longer than deadtime %v", longest, Deadtime)
	}
	if samples < 10 {
		t.Fatalf("only %d samples", samples)
	}
}

// TestForgedPackets: a third namespace (the gateway) sends heartbeat packets claiming to
// come from lvs2 (unsigned, signed with a wrong key, and replays of lvs2's own captured
// packets once lvs2 is dead): lvs1's membership and resources do not change.
func TestForgedPackets(t *testing.T) {
	s := newStar(t)
	n := starPair(t, s)
	capt := interop.StartCapture(t, s.GW, "br0", interop.Port)
	n[0].start()
	n[1].start()
	waitFor(t, startBound, "VIP on lvs1", func() bool { return owner(s.Pair) == "a" })
	wantRsc(t, n[1], "local")
	time.Sleep(time.Second)
	dgs, err := capt.Stop()
	if err != nil {
		t.Fatal(err)
	}
	var replays [][]byte
	for _, d := range dgs {
		if d.Src.Addr() == s.Addr[1] {
			replays = append(replays, d.Payload)
		}
	}
	if len(replays) < 5 {
		t.Fatalf("captured only %d packets of lvs2", len(replays))
	}

	wrong, err := hbwire.NewKeyring(1, hbwire.Key{Index: 1, Method: hbwire.SHA1, Secret: []byte("not-the-key")})
	if err != nil {
		t.Fatal(err)
	}
	forge := func(fields ...string) [][]byte {
		m := &hbwire.Message{}
		for i := 0; i+1 < len(fields); i += 2 {
			m.Add(fields[i], fields[i+1])
		}
		m.Add(hbwire.FSrc, "lvs2")
		m.Add(hbwire.FSeq, "fffff")
		m.Add(hbwire.FHG, "7fffffff")
		m.Add(hbwire.FTS, "0")
		m.Add(hbwire.FTTL, "3")
		signed, err := hbwire.Sign(m, wrong)
		if err != nil {
			t.Fatal(err)
		}
		unsigned := []byte("###\n" + string(signed[4:strings.Index(string(signed), "%%%")]) + "%%%\n")
		return [][]byte{signed, unsigned}
	}
	var forged [][]byte
	forged = append(forged, forge("t", "hb_takeover", "rsc_hold", "all")...)
	forged = append(forged, forge("t", "ask_resources", "rsc_hold", "all", "info", "me")...)
	forged = append(forged, forge("t", "resource", "rsc_hold", "all", "rtype", "full", "isstable", "1")...)
	forged = append(forged, forge("t", "status", "st", "active", "dt", "7d0", "protocol", "1")...)

	send := func(pkts [][]byte, d time.Duration) {
		t.Helper()
		err := s.GW.Do(func() error {
			c, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: s.Addr[0].AsSlice(), Port: interop.Port})
			if err != nil {
				return err
			}
			defer c.Close()
			for end := time.Now().Add(d); time.Now().Before(end); {
				for _, p := range pkts {
					_, _ = c.Write(p)
				}
				time.Sleep(50 * time.Millisecond)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	// Both alive: forged takeover and standby requests move nothing.
	send(forged, 2*time.Second)
	if o := owner(s.Pair); o != "a" {
		t.Fatalf("after forged packets VIP holders = %q, want lvs1 only", o)
	}
	wantRsc(t, n[0], "local")

	// lvs2 dies: neither forged nor replayed status messages bring it back.
	n[1].kill9()
	waitFor(t, failoverBound, "lvs1 sees lvs2 dead", func() bool {
		out, _ := n[0].query("cl_status", "nodestatus", "lvs2")
		return out == "dead"
	})
	send(append(forged, replays...), 2*Deadtime)
	for _, q := range [][]string{{"nodestatus", "lvs2"}, {"hblinkstatus", "lvs2", "eth0"}} {
		if out, _ := n[0].query(append([]string{"cl_status"}, q...)...); out != "dead" {
			t.Errorf("after forged and replayed packets, lvs1 cl_status %v = %q, want dead", q, out)
		}
	}
	if !hasVIP(s.NS[0]) {
		t.Error("lvs1 lost the VIP to forged packets")
	}
}

// TestIPFailPingLoss: the LVS manual's own fix for its §6 split brain: the active node
// loses the gateway (ping node) but still hears its peer; with ipfail it hands its
// resources to the peer, which still reaches the gateway. When the gateway answers again
// the group goes home (auto_failback on).
func TestIPFailPingLoss(t *testing.T) {
	s := newStar(t)
	n := ipfailPair(t, s)
	n[0].start()
	n[1].start()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("lvs1's log:\n%s\nlvs2's log:\n%s", n[0].logText(), n[1].logText())
		}
	})
	waitFor(t, startBound, "VIP on lvs1", func() bool { return owner(s.Pair) == "a" })
	for i := range 2 {
		waitFor(t, startBound, n[i].name+" sees the ping node", func() bool {
			out, _ := n[i].query("cl_status", "nodestatus", Gateway)
			return out == "ping"
		})
	}
	nft := func(args ...string) {
		t.Helper()
		if _, err := s.GW.Run(append([]string{"nft"}, args...)...); err != nil {
			t.Fatal(err)
		}
	}
	// The gateway stops answering lvs1's pings; heartbeats still cross the bridge.
	nft("add", "table", "inet", "gw")
	nft("add", "chain", "inet", "gw", "in", "{ type filter hook input priority 0 ; }")
	nft("add", "rule", "inet", "gw", "in", "ip", "saddr", s.Addr[0].String(), "icmp", "type", "echo-request", "drop")
	smp := startSampler(s.NS)
	waitFor(t, failoverBound+10*time.Second, "VIP on lvs2 after lvs1 lost the gateway", func() bool { return owner(s.Pair) == "b" })
	if out, _ := n[1].query("cl_status", "nodestatus", "lvs1"); out != "active" {
		t.Errorf("lvs2: nodestatus lvs1 = %q, want active (only the gateway was lost)", out)
	}
	nft("delete", "table", "inet", "gw")
	waitFor(t, 3*startBound, "VIP back on lvs1 with the gateway back", func() bool { return owner(s.Pair) == "a" })
	longest, _ := smp.end()
	if longest > Deadtime {
		t.Fatalf("both nodes held the VIP for %v", longest)
	}
}
