package interop

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/hbwire"
	"github.com/lvskit/lvskit/internal/hb/transport"
	"github.com/lvskit/lvskit/internal/netnstest"
)

// goPeer is a minimal lvskit node on the transport: it sends status
// heartbeats every keepalive and records what it accepts.
type goPeer struct {
	node   *transport.Node
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	seqs map[uint64]bool // seqs accepted from the original
	st   []string        // st= of its status messages, in order
	typs map[string]int
}

func startGoPeer(t *testing.T, p *Pair, i int, name string, m Medium, kr *hbwire.Keyring) *goPeer {
	t.Helper()
	cfg := transport.UDPConfig{Kind: transport.MediumKind(m), Iface: p.Iface, Port: Port, Peer: p.Addr[1-i],
		Group: netip.MustParseAddr(McastGroup), TTL: 1}
	if m == Ucast6 || m == Mcast6 {
		cfg.Peer, cfg.Group = p.Addr6[1-i], netip.MustParseAddr(McastGroup6)
	}
	var l *transport.UDPLink
	if err := p.NS[i].Do(func() error {
		var err error
		l, err = transport.OpenUDP(cfg)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	state := t.TempDir()
	gen, err := transport.LoadGeneration(state, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	uuid, err := transport.LoadUUID(state)
	if err != nil {
		t.Fatal(err)
	}
	ep, err := transport.NewEndpoint(transport.Config{Node: name, UUID: uuid, Generation: gen, Keys: kr,
		Nodes: []string{"lvs1", "lvs2"}, Load: transport.LoadAvg})
	if err != nil {
		t.Fatal(err)
	}
	g := &goPeer{node: transport.NewNode(ep, l), done: make(chan struct{}), seqs: map[uint64]bool{}, typs: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	go func() {
		defer close(g.done)
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			_ = g.node.Send(hbwire.StatusMessage("active", 4000))
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	go func() {
		for in := range g.node.Messages() {
			g.mu.Lock()
			if s, err := in.Msg.Hex(hbwire.FSeq); err == nil {
				g.seqs[s] = true
			}
			typ := in.Msg.Value(hbwire.FType)
			g.typs[typ]++
			if typ == hbwire.TReqNodes && in.Msg.Value(hbwire.FDest) == name {
				_ = g.node.Send(hbwire.RepNodesMessage(in.From, []string{"lvs1", "lvs2"}, nil))
			}
			if typ == hbwire.TStatus {
				g.st = append(g.st, in.Msg.Value(hbwire.FStatus))
			}
			g.mu.Unlock()
		}
	}()
	t.Cleanup(g.stop)
	return g
}

func (g *goPeer) stop() {
	g.cancel()
	<-g.done
	g.node.Close()
}

// holes returns the sequence numbers missing between the lowest and the
// highest accepted from the original.
func (g *goPeer) holes() (lo, hi uint64, missing []uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for s := range g.seqs {
		if lo == 0 || s < lo {
			lo = s
		}
		hi = max(hi, s)
	}
	for s := lo; s <= hi && lo > 0; s++ {
		if !g.seqs[s] {
			missing = append(missing, s)
		}
	}
	return lo, hi, missing
}

func dropHeartbeats(t *testing.T, ns *netnstest.NS, d time.Duration) {
	t.Helper()
	for _, cmd := range [][]string{
		{"nft", "add", "table", "inet", "hbdrop"},
		{"nft", "add", "chain", "inet", "hbdrop", "in", "{ type filter hook input priority 0 ; }"},
		{"nft", "add", "rule", "inet", "hbdrop", "in", "udp", "dport", fmt.Sprint(Port), "drop"},
	} {
		if _, err := ns.Run(cmd...); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(d)
	if _, err := ns.Run("nft", "delete", "table", "inet", "hbdrop"); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestIntegrationGoNodeWithOriginal* join a Go transport node (lvs2) to a
// cluster with the original heartbeat 3.0.6 (lvs1) over each UDP medium:
// the original must count lvs2 as an active member (cl_status), lvs2 must
// accept the original's authenticated heartbeats, retransmissions must
// work in both directions (ucast), and when lvs2 stops the original must
// declare it dead.
func TestIntegrationGoNodeWithOriginalUcast(t *testing.T) { goNodeWithOriginal(t, Ucast) }

// TestIntegrationGoNodeWithOriginalBcast: as above over bcast.
func TestIntegrationGoNodeWithOriginalBcast(t *testing.T) { goNodeWithOriginal(t, Bcast) }

// TestIntegrationGoNodeWithOriginalMcast: as above over mcast.
func TestIntegrationGoNodeWithOriginalMcast(t *testing.T) { goNodeWithOriginal(t, Mcast) }

// TestIntegrationGoNodeWithOriginalUcast6: as above over ucast6 (IPv6 unicast).
func TestIntegrationGoNodeWithOriginalUcast6(t *testing.T) { goNodeWithOriginal(t, Ucast6) }

// TestIntegrationGoNodeWithOriginalMcast6: as above over mcast6 (IPv6 multicast).
func TestIntegrationGoNodeWithOriginalMcast6(t *testing.T) { goNodeWithOriginal(t, Mcast6) }

func goNodeWithOriginal(t *testing.T, m Medium) {
	Require(t, true)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Skip("nft not installed (nftables)")
	}
	p := NewPair(t)
	names := [2]string{"lvs1", "lvs2"}
	kr, err := hbwire.NewKeyring(1, hbwire.Key{Index: 1, Method: hbwire.SHA1, Secret: []byte("doss123")})
	if err != nil {
		t.Fatal(err)
	}
	rec := filepath.Join(t.TempDir(), "rec.log")
	_ = os.Chmod(filepath.Dir(rec), 0o777)
	orig := StartHeartbeat(t, p.NS[0], Config{
		Name:        names[0],
		HACF:        HACF(p, 0, names, m),
		Authkeys:    Authkeys("sha1", "doss123"),
		Haresources: "lvs1 rec\n",
		Scripts:     map[string]string{"rec": Recorder(rec)},
	})
	g := startGoPeer(t, p, 1, names[1], m, kr)

	if err := orig.WaitClStatus(30*time.Second, "active", "nodestatus", "lvs2"); err != nil {
		g.mu.Lock()
		t.Logf("accepted from original: %v, stats %+v", g.typs, g.node.Stats())
		g.mu.Unlock()
		t.Fatalf("%v\nlog:\n%s", err, orig.Log())
	}
	waitFor(t, 10*time.Second, "status st=active from the original", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return slices.Contains(g.st, "active")
	})
	if out, err := orig.ClStatus("listhblinks", "lvs2"); err != nil || !strings.Contains(out, "eth0") {
		t.Errorf("cl_status listhblinks lvs2 = %q, %v", out, err)
	}
	if out, err := orig.ClStatus("hblinkstatus", "lvs2", "eth0"); err != nil || out != "up" {
		t.Errorf("cl_status hblinkstatus lvs2 eth0 = %q, %v", out, err)
	}

	if m == Ucast {
		// Original -> Go: lose ~3 of its packets; lvs2 asks
		// with NS_rexmit and must end up with no hole.
		dropHeartbeats(t, p.NS[1], 1500*time.Millisecond)
		waitFor(t, 10*time.Second, "retransmissions from the original", func() bool {
			lo, hi, missing := g.holes()
			return hi > lo && len(missing) == 0
		})
		// Go -> original: the original asks lvs2 and must
		// report nothing missing afterwards.
		dropHeartbeats(t, p.NS[0], 1500*time.Millisecond)
		waitFor(t, 10*time.Second, "the original to recover lvs2's lost packets", func() bool {
			return strings.Contains(orig.Log(), "No pkts missing from lvs2!")
		})
	}
	st := g.node.Stats()
	if st.Dropped[hbwire.ErrBadAuth.Error()] != 0 || st.Dropped[hbwire.ErrFormat.Error()] != 0 {
		t.Errorf("Go node rejected the original's packets: %v", st.Dropped)
	}
	for _, l := range strings.Split(orig.Log(), "\n") {
		if strings.Contains(l, "authentication") || strings.Contains(l, "ERROR") && strings.Contains(l, "lvs2") {
			t.Errorf("original complained: %s", l)
		}
	}

	g.stop()
	if err := orig.WaitClStatus(15*time.Second, "dead", "nodestatus", "lvs2"); err != nil {
		t.Fatalf("%v\nlog:\n%s", err, orig.Log())
	}
	t.Logf("accepted from original: %v; stats %+v", g.typs, g.node.Stats())
}

// TestIntegrationOriginalRejectsWrongKey: a Go node signing with another
// cluster's key, or sending unsigned packets, is never taken as a member
// by the original, while the original's own packets still verify here.
func TestIntegrationOriginalRejectsWrongKey(t *testing.T) {
	Require(t, true)
	p := NewPair(t)
	names := [2]string{"lvs1", "lvs2"}
	orig := StartHeartbeat(t, p.NS[0], Config{
		Name: names[0], HACF: HACF(p, 0, names, Ucast), Authkeys: Authkeys("sha1", "doss123"),
	})
	wrong, _ := hbwire.NewKeyring(1, hbwire.Key{Index: 1, Method: hbwire.SHA1, Secret: []byte("guess")})
	g := startGoPeer(t, p, 1, names[1], Ucast, wrong)
	// Unsigned copies of the heartbeats too.
	stop := make(chan struct{})
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(300 * time.Millisecond):
				_ = g.node.SendRaw(hbwire.Marshal(hbwire.StatusMessage("active", 4000)))
			}
		}
	}()
	defer close(stop)
	// Past initdead (6 s) the original has decided about lvs2.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if out, _ := orig.ClStatus("nodestatus", "lvs2"); out == "active" || out == "up" {
			t.Fatalf("original took a wrongly keyed node as %q", out)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if out, _ := orig.ClStatus("nodestatus", "lvs2"); out != "dead" {
		t.Errorf("cl_status nodestatus lvs2 = %q, want dead", out)
	}
	st := g.node.Stats()
	if st.Delivered != 0 || st.Dropped[hbwire.ErrBadAuth.Error()] == 0 {
		t.Errorf("with the wrong key the Go node must drop the original's packets: %+v", st)
	}
}
