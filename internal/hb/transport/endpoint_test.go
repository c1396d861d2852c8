package transport

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/compat/hbwire"
)

func keys(t testing.TB, secret string) *hbwire.Keyring {
	t.Helper()
	kr, err := hbwire.NewKeyring(1, hbwire.Key{Index: 1, Method: hbwire.SHA1, Secret: []byte(secret)})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

var t0 = time.Unix(0x6b0692c0, 0)

func newEP(t testing.TB, node string, gen uint32, secret string) *Endpoint {
	t.Helper()
	var u [16]byte
	copy(u[:], node+"-uuid-0123456789")
	e, err := NewEndpoint(Config{Node: node, UUID: u, Generation: gen, Keys: keys(t, secret),
		Nodes: []string{"lvs1", "lvs2"}, Now: func() time.Time { return t0 }, History: 20})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// capturedPackets reads datagrams the original sent (see compat/hbwire).
func capturedPackets(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open("../../../compat/hbwire/testdata/captured/sha1.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		b, err := hex.DecodeString(strings.Fields(l)[2])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestSealMatchesOriginal seals every message the original sent in the captures again,
// from the same inputs (its own fields, which compat/hbwire's builders make; node, uuid,
// generation, time, load, sequence number), and requires the same bytes: the trailer's
// fields, their encodings and both digests. (compat/hbwire's TestBuildersMatchCaptures
// checks that the captures hold every type.)
func TestSealMatchesOriginal(t *testing.T) {
	kr := keys(t, "doss123")
	for _, pkt := range capturedPackets(t) {
		m, err := hbwire.Verify(pkt, kr)
		if err != nil {
			t.Fatal(err)
		}
		typ, v := m.Value(hbwire.FType), m.Value
		own := m.Own()
		var u [16]byte
		uuid, _ := m.Bytes(hbwire.FSrcUUID)
		copy(u[:], uuid)
		gen, _ := m.Hex(hbwire.FHG)
		ts, _ := m.Hex(hbwire.FTS)
		e, err := NewEndpoint(Config{Node: v(hbwire.FSrc), UUID: u, Generation: uint32(gen), Keys: kr,
			Nodes: []string{"lvs1", "lvs2"}, Now: func() time.Time { return time.Unix(int64(ts), 0) },
			Load: func() string { return v(hbwire.FLoad) }})
		if err != nil {
			t.Fatal(err)
		}
		if du, ok := m.Bytes(hbwire.FDestUUID); ok {
			e.peers[v(hbwire.FDest)] = &peer{uuid: du}
		}
		var got []byte
		switch typ {
		case hbwire.TRexmit:
			first, _ := m.Dec(hbwire.FFirstSeq)
			last, _ := m.Dec(hbwire.FLastSeq)
			got, err = e.RexmitRequest(v(hbwire.FDest), first, last)
		case hbwire.TAck:
			got, err = e.SealControl(own)
		default:
			seq, _ := m.Hex(hbwire.FSeq)
			e.seq = seq - 1
			got, err = e.Seal(own)
		}
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pkt) {
			t.Errorf("%s: sealed\n%q\nwant (original)\n%q", typ, got, pkt)
		}
	}
}

func TestOpenChecks(t *testing.T) {
	a := newEP(t, "lvs1", 100, "k")
	b := newEP(t, "lvs2", 200, "k")
	p1, _ := a.Seal(hbwire.StatusMessage("active", 10000))
	p2, _ := a.Seal(hbwire.StatusMessage("active", 10000))
	if _, err := b.Open(p1); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(p2); err != nil {
		t.Fatal(err)
	}
	// Replays of both are refused.
	for i, p := range [][]byte{p1, p2} {
		if _, err := b.Open(p); !errors.Is(err, ErrReplay) {
			t.Errorf("replay %d: %v, want ErrReplay", i, err)
		}
	}
	// Our own packets (bcast loops back) are dropped.
	own, _ := b.Seal(hbwire.StatusMessage("active", 10000))
	if _, err := b.Open(own); !errors.Is(err, ErrFromSelf) {
		t.Errorf("own packet: %v", err)
	}
	// A node not in ha.cf, with the right key, is dropped.
	stranger := newEP(t, "lvs3", 1, "k")
	ps, _ := stranger.Seal(hbwire.StatusMessage("active", 10000))
	if _, err := b.Open(ps); !errors.Is(err, ErrUnknownNode) {
		t.Errorf("unknown node: %v", err)
	}
	// Another cluster's key.
	other := newEP(t, "lvs1", 100, "other")
	po, _ := other.Seal(hbwire.StatusMessage("active", 10000))
	if _, err := b.Open(po); !hbwire.IsAuthError(err) {
		t.Errorf("wrong key: %v", err)
	}
	// The peer restarts with a higher generation: seq 1 is accepted...
	a2 := newEP(t, "lvs1", 101, "k")
	q1, _ := a2.Seal(hbwire.StatusMessage("up", 10000))
	if _, err := b.Open(q1); err != nil {
		t.Errorf("new generation: %v", err)
	}
	// ...and the previous incarnation's packets are now refused, even
	// with sequence numbers never seen.
	p3, _ := a.Seal(hbwire.StatusMessage("active", 10000))
	if _, err := b.Open(p3); !errors.Is(err, ErrOldGeneration) {
		t.Errorf("old generation: %v", err)
	}
	if gen, seq, ok := b.PeerGeneration("lvs1"); !ok || gen != 101 || seq != 1 {
		t.Errorf("PeerGeneration = %d, %d, %v", gen, seq, ok)
	}
}

func TestReplayWindow(t *testing.T) {
	a := newEP(t, "lvs1", 7, "k")
	b := newEP(t, "lvs2", 8, "k")
	a.cfg.History = 400
	var pkts [][]byte
	for range 300 {
		p, _ := a.Seal(hbwire.StatusMessage("active", 1))
		pkts = append(pkts, p)
	}
	mustOpen := func(i int) *Received {
		t.Helper()
		r, err := b.Open(pkts[i])
		if err != nil {
			t.Fatalf("seq %d: %v", i+1, err)
		}
		return r
	}
	mustOpen(0)
	// seq 2..4 lost; 5 arrives: NS_rexmit for 2, 3, 4 (decimal, one each).
	r := mustOpen(4)
	var asked []string
	for _, rp := range r.Reply {
		m, err := hbwire.Verify(rp, b.cfg.Keys)
		if err != nil {
			t.Fatal(err)
		}
		if m.Value(hbwire.FType) == hbwire.TRexmit {
			asked = append(asked, m.Value(hbwire.FFirstSeq)+"-"+m.Value(hbwire.FLastSeq))
			if m.Value(hbwire.FDest) != "lvs1" {
				t.Errorf("rexmit dest = %q", m.Value(hbwire.FDest))
			}
		}
	}
	if diff := cmp.Diff([]string{"2-2", "3-3", "4-4"}, asked); diff != "" {
		t.Errorf("rexmit requests (-want +got):\n%s", diff)
	}
	// Late arrivals inside the window are accepted once.
	mustOpen(2)
	if _, err := b.Open(pkts[2]); !errors.Is(err, ErrReplay) {
		t.Errorf("second copy of seq 3: %v", err)
	}
	// Move far ahead: seq 3's neighbour 4 falls out of the window.
	mustOpen(299)
	if _, err := b.Open(pkts[3]); !errors.Is(err, ErrReplay) {
		t.Errorf("seq 4 older than the window: %v", err)
	}
	// Within the window but never seen: accepted.
	mustOpen(299 - ReplayWindow + 1)
}

func TestRexmitAndHistory(t *testing.T) {
	a := newEP(t, "lvs1", 7, "k")
	b := newEP(t, "lvs2", 8, "k")
	var pkts [][]byte
	for range 30 { // History is 20: seqs 1..10 are forgotten
		p, _ := a.Seal(hbwire.StatusMessage("active", 1))
		pkts = append(pkts, p)
	}
	// b must know a's generation for a's control messages to count, and
	// vice versa.
	pb, _ := b.Seal(hbwire.StatusMessage("active", 1))
	if _, err := a.Open(pb); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(pkts[29]); err != nil {
		t.Fatal(err)
	}
	req, _ := b.RexmitRequest("lvs1", 12, 14)
	r, err := a.Open(req)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Control || len(r.Reply) != 3 {
		t.Fatalf("rexmit answer: control=%v, %d datagrams", r.Control, len(r.Reply))
	}
	for i, p := range r.Reply {
		if !bytes.Equal(p, pkts[11+i]) {
			t.Errorf("retransmission %d differs from the original send", i)
		}
	}
	// Forgotten, and a request for too much is capped.
	req, _ = b.RexmitRequest("lvs1", 1, 5)
	if r, _ := a.Open(req); len(r.Reply) != 0 {
		t.Errorf("retransmitted %d forgotten messages", len(r.Reply))
	}
	req, _ = b.RexmitRequest("lvs1", 11, 30)
	if r, _ := a.Open(req); len(r.Reply) != MaxRexmitPerRequest {
		t.Errorf("one request made us send %d", len(r.Reply))
	}
	// A request for another node is not ours to answer.
	req, _ = b.RexmitRequest("lvs9", 12, 12)
	if r, _ := a.Open(req); len(r.Reply) != 0 {
		t.Errorf("answered a request addressed elsewhere")
	}
	if _, ok := a.Sent(10); ok {
		t.Error("history kept more than its bound")
	}
	if _, ok := a.Sent(11); !ok {
		t.Error("history lost a recent message")
	}
}

func TestAcks(t *testing.T) {
	a := newEP(t, "lvs1", 7, "k")
	b := newEP(t, "lvs2", 8, "k")
	var acks []string
	for range 25 {
		p, _ := a.Seal(hbwire.StatusMessage("active", 1))
		r, err := b.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, rp := range r.Reply {
			m, _ := hbwire.Verify(rp, b.cfg.Keys)
			if m.Value(hbwire.FType) == hbwire.TAck {
				acks = append(acks, m.Value(hbwire.FAckSeq))
				if _, ok := m.Bytes(hbwire.FDestUUID); !ok {
					t.Error("ack without destuuid")
				}
			}
		}
	}
	if diff := cmp.Diff([]string{"1", "b", "15"}, acks); diff != "" {
		t.Errorf("acks (-want +got):\n%s", diff)
	}
}

func TestStateFiles(t *testing.T) {
	dir := t.TempDir()
	g1, err := LoadGeneration(dir, time.Unix(1795592896, 0))
	if err != nil || g1 != 1795592896 {
		t.Fatalf("first generation = %d, %v", g1, err)
	}
	b, _ := os.ReadFile(dir + "/" + GenerationFile)
	if string(b) != "     1795592896\n" {
		t.Errorf("hb_generation = %q", b)
	}
	g2, _ := LoadGeneration(dir, time.Unix(5, 0))
	if g2 != g1+1 {
		t.Errorf("second generation = %d, want %d", g2, g1+1)
	}
	u1, err := LoadUUID(dir)
	if err != nil {
		t.Fatal(err)
	}
	u2, _ := LoadUUID(dir)
	if u1 != u2 || u1 == [16]byte{} || u1[6]>>4 != 4 {
		t.Errorf("uuid %x then %x", u1, u2)
	}
	if err := os.WriteFile(dir+"/"+UUIDFile, []byte("short"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadUUID(dir); err == nil {
		t.Error("short hb_uuid accepted")
	}
}

func TestRerequest(t *testing.T) {
	a := newEP(t, "lvs1", 7, "k")
	b := newEP(t, "lvs2", 8, "k")
	a.cfg.History = 100
	var pkts [][]byte
	for range 12 {
		p, _ := a.Seal(hbwire.StatusMessage("active", 1))
		pkts = append(pkts, p)
	}
	for _, i := range []int{0, 4} { // 2, 3, 4 missing
		if _, err := b.Open(pkts[i]); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]uint64{2, 3, 4}, b.Missing("lvs1")); diff != "" {
		t.Fatalf("missing (-want +got):\n%s", diff)
	}
	if _, err := b.Open(pkts[2]); err != nil { // 3 arrives
		t.Fatal(err)
	}
	asked := func(reqs [][]byte) (out []string) {
		for _, r := range reqs {
			m, _ := hbwire.Verify(r, b.cfg.Keys)
			out = append(out, m.Value(hbwire.FFirstSeq))
		}
		return out
	}
	// Already asked once on the jump; four more tries, then given up.
	for i := range MaxRexmitTries - 1 {
		if diff := cmp.Diff([]string{"2", "4"}, asked(b.Rerequest())); diff != "" {
			t.Fatalf("round %d (-want +got):\n%s", i, diff)
		}
	}
	if got := b.Rerequest(); len(got) != 0 {
		t.Errorf("still asking after %d tries: %v", MaxRexmitTries, asked(got))
	}
	if m := b.Missing("lvs1"); len(m) != 0 {
		t.Errorf("still missing %v", m)
	}
	// Given up: a very late copy counts as a duplicate; acks move on.
	if _, err := b.Open(pkts[1]); !errors.Is(err, ErrReplay) {
		t.Errorf("late seq 2 after giving up: %v", err)
	}
	var acks []string
	for _, p := range pkts[5:] {
		r, err := b.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, rp := range r.Reply {
			m, _ := hbwire.Verify(rp, b.cfg.Keys)
			if m.Value(hbwire.FType) == hbwire.TAck {
				acks = append(acks, m.Value(hbwire.FAckSeq))
			}
		}
	}
	if diff := cmp.Diff([]string{"b"}, acks); diff != "" {
		t.Errorf("acks after the gap (-want +got):\n%s", diff)
	}
}

func TestControlBeforeHeartbeat(t *testing.T) {
	a := newEP(t, "lvs1", 7, "k")
	b := newEP(t, "lvs2", 8, "k")
	req, _ := a.RexmitRequest("lvs2", 1, 1)
	if _, err := b.Open(req); !errors.Is(err, ErrNotHeardFrom) {
		t.Errorf("control before any heartbeat: %v", err)
	}
	p, _ := a.Seal(hbwire.StatusMessage("up", 1))
	if _, err := b.Open(p); err != nil {
		t.Fatal(err)
	}
	if r, err := b.Open(req); err != nil || !r.Control {
		t.Errorf("control after a heartbeat: %v", err)
	}
}

func TestAddRemoveNode(t *testing.T) {
	b := newEP(t, "lvs2", 8, "k")
	c := newEP(t, "lvs3", 1, "k")
	p1, _ := c.Seal(hbwire.StatusMessage("active", 1))
	if _, err := b.Open(p1); !errors.Is(err, ErrUnknownNode) {
		t.Fatalf("before AddNode: %v", err)
	}
	b.AddNode("lvs3")
	p2, _ := c.Seal(hbwire.StatusMessage("active", 1))
	if _, err := b.Open(p2); err != nil {
		t.Fatalf("after AddNode: %v", err)
	}
	b.RemoveNode("lvs3")
	p3, _ := c.Seal(hbwire.StatusMessage("active", 1))
	if _, err := b.Open(p3); !errors.Is(err, ErrUnknownNode) {
		t.Fatalf("after RemoveNode: %v", err)
	}
}
