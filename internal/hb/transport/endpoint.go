package transport

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/lvskit/lvskit/compat/hbwire"
)

// Reasons a received packet is dropped. hbwire's ErrFormat, ErrBadAuth,
// ErrNoAuth and ErrUnknownKey are returned as they are.
var (
	ErrFromSelf      = errors.New("packet from this node")
	ErrUnknownNode   = errors.New("packet from a node not in the cluster")
	ErrReplay        = errors.New("duplicate or replayed sequence number")
	ErrOldGeneration = errors.New("packet from an earlier generation of the node")
	ErrMissingField  = errors.New("required field missing")
	ErrNotHeardFrom  = errors.New("control message from a node not heard from yet")
	// ErrDuplicate is a copy of a message just accepted, as arrives when
	// several media are configured; it proves the medium it came on is up.
	// errors.Is(ErrDuplicate, ErrReplay) holds.
	ErrDuplicate = fmt.Errorf("%w: recent duplicate", ErrReplay)
)

// Defaults, as observed from the original.
const (
	DefaultTTL     = 3   // ttl= on every message of a two-node cluster
	DefaultHistory = 200 // sent messages kept for retransmission
	// ReplayWindow is how far below the highest sequence number seen a
	// late (retransmitted) message is still accepted once.
	ReplayWindow = 256
	// AckEvery: the original acknowledges a peer's messages with NS_ackmsg
	// at ackseq 1, 11, 21, ... (every 10 messages).
	AckEvery = 10
	// MaxRexmitPerRequest bounds how much one NS_rexmit can make us send.
	MaxRexmitPerRequest = 10
	// MaxGap bounds the retransmissions we ask for after one jump in a
	// peer's sequence numbers.
	MaxGap = 32
	// MaxRexmitTries is how often a missing message is asked for before
	// it is given up as lost (the original also gives up, logging "lost
	// packet(s)").
	MaxRexmitTries = 5
	// DuplicateSlack: a copy of one of the last DuplicateSlack messages is
	// ErrDuplicate (link evidence), anything older ErrReplay.
	DuplicateSlack = 8
	// maxAsked bounds the outstanding requests per peer.
	maxAsked = 4 * MaxGap
)

// Config describes the local node.
type Config struct {
	Node       string   // our node name (uname -n)
	UUID       [16]byte // contents of hb_uuid
	Generation uint32   // contents of hb_generation for this run
	Keys       *hbwire.Keyring
	// Nodes are the cluster's node names (ha.cf node lines); packets from
	// any other name are dropped.
	Nodes   []string
	TTL     int
	History int
	Now     func() time.Time
	// Load returns the "ld" field (/proc/loadavg without its newline).
	Load func() string
}

type sentMsg struct {
	seq uint64
	pkt []byte
}

type peer struct {
	uuid    []byte
	gen     uint64
	started bool
	highest uint64
	seen    [ReplayWindow / 64]uint64 // bit i: highest-i seen
	// contig is the highest seq such that all seqs from the first one
	// received in this generation up to it were received.
	contig  uint64
	lastAck uint64
	// asked counts NS_rexmit requests per missing seq (at most MaxGap
	// entries per jump, pruned as they arrive or are given up).
	asked map[uint64]int
}

// Endpoint is the protocol layer of one node. Safe for concurrent use.
type Endpoint struct {
	cfg   Config
	mu    sync.Mutex
	seq   uint64
	hist  []sentMsg // ring, oldest first once full
	head  int
	peers map[string]*peer
	nodes map[string]bool
}

// NewEndpoint checks cfg and returns an endpoint whose first sequenced
// message gets seq 1.
func NewEndpoint(cfg Config) (*Endpoint, error) {
	if cfg.Node == "" {
		return nil, errors.New("transport: no node name")
	}
	if cfg.Keys == nil {
		return nil, errors.New("transport: no keyring")
	}
	if cfg.TTL == 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.History <= 0 {
		cfg.History = DefaultHistory
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.Nodes = slices.Clone(cfg.Nodes)
	e := &Endpoint{cfg: cfg, peers: map[string]*peer{}, nodes: map[string]bool{}}
	for _, n := range cfg.Nodes {
		e.nodes[n] = true
	}
	return e, nil
}

// SetKeys replaces the keyring (a reload of authkeys): messages sealed from now on are
// signed with its active key, and received ones verified with its keys. Messages kept
// for retransmission keep the signature they were sent with.
func (e *Endpoint) SetKeys(kr *hbwire.Keyring) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.cfg.Keys = kr
}

// Node returns the local node name.
func (e *Endpoint) Node() string { return e.cfg.Node }

// trailer appends the fields the original adds to every message, in its
// order: [destuuid], src, srcuuid, [seq], hg, ts, [ld], ttl. auth is added
// by hbwire.Sign.
func (e *Endpoint) trailer(m *hbwire.Message, seq uint64) {
	for _, f := range []string{hbwire.FSrc, hbwire.FSrcUUID, hbwire.FSeq, hbwire.FHG, hbwire.FTS, hbwire.FLoad, hbwire.FTTL, hbwire.FAuth} {
		m.Del(f)
	}
	if dest, ok := m.Get(hbwire.FDest); ok {
		if _, has := m.Get(hbwire.FDestUUID); !has {
			if p := e.peers[dest]; p != nil && p.uuid != nil {
				m.AddBinary(hbwire.FDestUUID, p.uuid)
			}
		}
	}
	m.Add(hbwire.FSrc, e.cfg.Node)
	m.AddBinary(hbwire.FSrcUUID, e.cfg.UUID[:])
	if seq != 0 {
		m.AddHex(hbwire.FSeq, seq)
	}
	m.AddHex(hbwire.FHG, uint64(e.cfg.Generation))
	m.AddHex(hbwire.FTS, uint64(e.cfg.Now().Unix()))
	if seq != 0 {
		ld := "0.00 0.00 0.00 1/1 1"
		if e.cfg.Load != nil {
			ld = e.cfg.Load()
		}
		m.Add(hbwire.FLoad, ld)
	}
	m.Add(hbwire.FTTL, strconv.Itoa(e.cfg.TTL))
}

// Seal turns m (its own fields first, e.g. t=status, st=active,
// dt=..., protocol=1) into a signed datagram with the next sequence
// number, and keeps it for retransmission. m is modified.
func (e *Endpoint) Seal(m *hbwire.Message) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.trailer(m, e.seq+1)
	pkt, err := hbwire.Sign(m, e.cfg.Keys)
	if err != nil {
		return nil, err
	}
	e.seq++
	e.remember(sentMsg{seq: e.seq, pkt: pkt})
	return pkt, nil
}

// SealControl signs a control message (NS_rexmit, NS_ackmsg), which the
// original sends without seq and ld and never retransmits.
func (e *Endpoint) SealControl(m *hbwire.Message) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.trailer(m, 0)
	return hbwire.Sign(m, e.cfg.Keys)
}

func (e *Endpoint) remember(s sentMsg) {
	if len(e.hist) < e.cfg.History {
		e.hist = append(e.hist, s)
		return
	}
	e.hist[e.head] = s
	e.head = (e.head + 1) % len(e.hist)
}

// Sent returns the datagram sent with seq, if still in the history.
func (e *Endpoint) Sent(seq uint64) ([]byte, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, s := range e.hist {
		if s.seq == seq {
			return s.pkt, true
		}
	}
	return nil, false
}

// LastSeq is the sequence number of the last sealed message.
func (e *Endpoint) LastSeq() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.seq
}

// Received is an accepted message and what the endpoint wants done about it.
type Received struct {
	Msg  *hbwire.Message
	From string
	// Control is true for NS_rexmit / NS_ackmsg, which the endpoint
	// handles itself; they are not for the layers above.
	Control bool
	// Reply holds datagrams to send now: retransmissions answering an
	// NS_rexmit, our NS_rexmit for a gap, our NS_ackmsg.
	Reply [][]byte
}

// Open verifies pkt and applies the per-peer checks: known node, not our
// own, generation not older than the newest seen, sequence number not seen
// before and not older than the replay window. For ErrDuplicate it also
// returns the Received (not to be delivered), so that the caller can count
// the medium as alive.
func (e *Endpoint) Open(pkt []byte) (*Received, error) {
	e.mu.Lock()
	keys := e.cfg.Keys
	e.mu.Unlock()
	m, err := hbwire.Verify(pkt, keys)
	if err != nil {
		return nil, err
	}
	src, ok := m.Get(hbwire.FSrc)
	if !ok {
		return nil, fmt.Errorf("%w: src", ErrMissingField)
	}
	if src == e.cfg.Node {
		return nil, ErrFromSelf
	}
	gen, err := m.Hex(hbwire.FHG)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMissingField, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.nodes[src] {
		return nil, fmt.Errorf("%w: %q", ErrUnknownNode, src)
	}
	p := e.peers[src]
	if p == nil {
		p = &peer{}
		e.peers[src] = p
	}
	if p.started && gen < p.gen {
		return nil, fmt.Errorf("%w: %s hg=%x < %x", ErrOldGeneration, src, gen, p.gen)
	}
	r := &Received{Msg: m, From: src}
	t := m.Value(hbwire.FType)
	if t == hbwire.TRexmit || t == hbwire.TAck {
		// Control messages carry no seq; they must belong to the
		// peer's current generation.
		if !p.started {
			return nil, fmt.Errorf("%w: %s", ErrNotHeardFrom, src)
		}
		if gen != p.gen {
			return nil, fmt.Errorf("%w: %s control message for generation %x", ErrOldGeneration, src, gen)
		}
		r.Control = true
		if t == hbwire.TRexmit && m.Value(hbwire.FDest) == e.cfg.Node {
			r.Reply = e.rexmitLocked(m)
		}
		return r, nil
	}
	seq, err := m.Hex(hbwire.FSeq)
	if err != nil || seq == 0 {
		return nil, fmt.Errorf("%w: seq", ErrMissingField)
	}
	if !p.started || gen > p.gen {
		// First message, or the peer restarted with a new generation.
		*p = peer{gen: gen, started: true, highest: seq, contig: seq}
		p.seen[0] = 1
		if uuid, ok := m.Bytes(hbwire.FSrcUUID); ok {
			p.uuid = append([]byte(nil), uuid...)
		}
		r.Reply = e.ackLocked(src, p)
		return r, nil
	}
	prev := p.highest
	if !p.accept(seq) {
		if seq <= p.highest && p.highest-seq < DuplicateSlack {
			return r, fmt.Errorf("%w: %s seq %x", ErrDuplicate, src, seq)
		}
		return nil, fmt.Errorf("%w: %s seq %x (highest %x)", ErrReplay, src, seq, p.highest)
	}
	if uuid, ok := m.Bytes(hbwire.FSrcUUID); ok {
		p.uuid = append(p.uuid[:0], uuid...)
	}
	// Ask once for what a jump skipped, one NS_rexmit per sequence number
	// as the original does.
	if seq > prev+1 {
		first := prev + 1
		if seq-first > MaxGap {
			first = seq - MaxGap
		}
		for s := first; s < seq; s++ {
			if b, err := e.rexmitRequestLocked(src, s, s); err == nil {
				r.Reply = append(r.Reply, b)
			}
			if p.asked == nil {
				p.asked = map[uint64]int{}
			}
			if len(p.asked) < maxAsked {
				p.asked[s] = 1
			}
		}
	}
	delete(p.asked, seq)
	for p.contig < p.highest && p.has(p.contig+1) {
		p.contig++
	}
	r.Reply = append(r.Reply, e.ackLocked(src, p)...)
	return r, nil
}

// Rerequest asks again for messages still missing after an NS_rexmit, one
// request per seq, and gives a message up after MaxRexmitTries requests.
// The caller sends the result on every link about once a second.
func (e *Endpoint) Rerequest() [][]byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out [][]byte
	for _, name := range e.cfg.Nodes {
		p := e.peers[name]
		if p == nil || len(p.asked) == 0 {
			continue
		}
		seqs := make([]uint64, 0, len(p.asked))
		for s := range p.asked {
			seqs = append(seqs, s)
		}
		slices.Sort(seqs)
		for _, s := range seqs {
			switch {
			case p.has(s) || s > p.highest || p.highest-s >= ReplayWindow:
				delete(p.asked, s)
			case p.asked[s] >= MaxRexmitTries:
				// Lost for good: count it as seen so that acks move on.
				p.mark(s)
				delete(p.asked, s)
			default:
				p.asked[s]++
				if b, err := e.rexmitRequestLocked(name, s, s); err == nil {
					out = append(out, b)
				}
			}
		}
		for p.contig < p.highest && p.has(p.contig+1) {
			p.contig++
		}
	}
	return out
}

// Missing returns the seqs of node still asked for, in order.
func (e *Endpoint) Missing(node string) []uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.peers[node]
	if p == nil {
		return nil
	}
	var out []uint64
	for s := range p.asked {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// mark records s (within the window) as seen.
func (p *peer) mark(s uint64) {
	if s > p.highest || p.highest-s >= ReplayWindow {
		return
	}
	d := p.highest - s
	p.seen[d/64] |= 1 << (d % 64)
}

// has reports whether seq (within the window) was seen.
func (p *peer) has(s uint64) bool {
	if s > p.highest || p.highest-s >= ReplayWindow {
		return false
	}
	d := p.highest - s
	return p.seen[d/64]&(1<<(d%64)) != 0
}

// accept records seq and reports whether it is new.
func (p *peer) accept(s uint64) bool {
	if s > p.highest {
		shift := s - p.highest
		if shift >= ReplayWindow {
			p.seen = [ReplayWindow / 64]uint64{}
		} else {
			for range shift {
				// shift the bitmap left by one bit across words
				var carry uint64
				for i := range p.seen {
					next := p.seen[i] >> 63
					p.seen[i] = p.seen[i]<<1 | carry
					carry = next
				}
			}
		}
		p.highest = s
		p.seen[0] |= 1
		if p.highest-p.contig > ReplayWindow {
			p.contig = p.highest - ReplayWindow
		}
		return true
	}
	d := p.highest - s
	if d >= ReplayWindow {
		return false
	}
	bit := uint64(1) << (d % 64)
	if p.seen[d/64]&bit != 0 {
		return false
	}
	p.seen[d/64] |= bit
	return true
}

func (e *Endpoint) ackLocked(src string, p *peer) [][]byte {
	// Acknowledge at 1, 11, 21, ... once everything up to it arrived.
	a := p.contig - (p.contig-1)%AckEvery
	if a == 0 || a <= p.lastAck {
		return nil
	}
	p.lastAck = a
	m := hbwire.AckMessage(src, a)
	e.trailer(m, 0)
	b, err := hbwire.Sign(m, e.cfg.Keys)
	if err != nil {
		return nil
	}
	return [][]byte{b}
}

func (e *Endpoint) rexmitRequestLocked(dest string, first, last uint64) ([]byte, error) {
	m := hbwire.RexmitMessage(dest, first, last)
	e.trailer(m, 0)
	return hbwire.Sign(m, e.cfg.Keys)
}

// RexmitRequest builds an NS_rexmit asking dest for first..last (the
// original writes these two in decimal, unlike seq).
func (e *Endpoint) RexmitRequest(dest string, first, last uint64) ([]byte, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.rexmitRequestLocked(dest, first, last)
}

// rexmitLocked answers an NS_rexmit with the stored datagrams, byte for
// byte as first sent (the original does the same), at most
// MaxRexmitPerRequest of them.
func (e *Endpoint) rexmitLocked(m *hbwire.Message) [][]byte {
	first, err1 := m.Dec(hbwire.FFirstSeq)
	last, err2 := m.Dec(hbwire.FLastSeq)
	if err1 != nil || err2 != nil || last < first {
		return nil
	}
	if last-first >= MaxRexmitPerRequest {
		last = first + MaxRexmitPerRequest - 1
	}
	var out [][]byte
	for _, s := range e.hist {
		if s.seq >= first && s.seq <= last {
			out = append(out, s.pkt)
		}
	}
	return out
}

// PeerGeneration returns the newest generation and highest seq seen from node.
func (e *Endpoint) PeerGeneration(node string) (gen, seq uint64, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p := e.peers[node]
	if p == nil || !p.started {
		return 0, 0, false
	}
	return p.gen, p.highest, true
}

// AddNode accepts packets from node from now on (autojoin, hb_addnode).
func (e *Endpoint) AddNode(node string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.nodes[node] {
		e.nodes[node] = true
		e.cfg.Nodes = append(e.cfg.Nodes, node)
	}
}

// RemoveNode drops node and forgets its sequence state (hb_delnode).
func (e *Endpoint) RemoveNode(node string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.nodes, node)
	delete(e.peers, node)
	e.cfg.Nodes = slices.DeleteFunc(e.cfg.Nodes, func(n string) bool { return n == node })
}
