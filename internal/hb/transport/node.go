package transport

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/lvskit/lvskit/compat/hbwire"
)

// Inbound is a message accepted from a peer, with the link it came on.
type Inbound struct {
	Msg  *hbwire.Message
	From string
	Link string
	Addr netip.AddrPort
}

// Stats counts what a Node received. Drops are keyed by reason.
type Stats struct {
	Received  int
	Delivered int
	Control   int
	Dropped   map[string]int
	SendErrs  int
}

// Node runs one Endpoint over a set of Links: a reader per link, replies
// (retransmissions, NS_rexmit, NS_ackmsg) sent on every link, accepted
// messages delivered on a bounded channel.
type Node struct {
	ep    *Endpoint
	links []Link
	in    chan Inbound
	wg    sync.WaitGroup
	mu    sync.Mutex
	stats Stats
	once  sync.Once
	quit  chan struct{}
	// lastHeard[node][link]: last authentic packet from node on link.
	lastHeard map[string]map[string]time.Time
}

func (n *Node) heard(node, link string) {
	now := n.ep.cfg.Now()
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.lastHeard[node] == nil {
		n.lastHeard[node] = map[string]time.Time{}
	}
	n.lastHeard[node][link] = now
}

// Heard returns when an authentic packet from node last arrived on link
// (duplicates included): the input of per-medium link status.
func (n *Node) Heard(node, link string) (time.Time, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	t, ok := n.lastHeard[node][link]
	return t, ok
}

// InboundQueue is the capacity of the channel returned by Messages; when the
// consumer falls behind, messages are dropped (and counted) rather than
// queued without bound.
const InboundQueue = 256

// NewNode starts reading every link.
func NewNode(ep *Endpoint, links ...Link) *Node {
	n := &Node{ep: ep, links: links, in: make(chan Inbound, InboundQueue), stats: Stats{Dropped: map[string]int{}},
		quit: make(chan struct{}), lastHeard: map[string]map[string]time.Time{}}
	for _, l := range links {
		n.wg.Add(1)
		go n.read(l)
	}
	n.wg.Add(1)
	go n.rerequest()
	return n
}

// RexmitInterval is how often missing messages are asked for again.
const RexmitInterval = time.Second

func (n *Node) rerequest() {
	defer n.wg.Done()
	t := time.NewTicker(RexmitInterval)
	defer t.Stop()
	for {
		select {
		case <-n.quit:
			return
		case <-t.C:
			for _, p := range n.ep.Rerequest() {
				_ = n.sendAll(p)
			}
		}
	}
}

// Endpoint returns the node's protocol layer.
func (n *Node) Endpoint() *Endpoint { return n.ep }

// Messages delivers accepted non-control messages.
func (n *Node) Messages() <-chan Inbound { return n.in }

// Send seals m and sends it on every link.
func (n *Node) Send(m *hbwire.Message) error {
	pkt, err := n.ep.Seal(m)
	if err != nil {
		return err
	}
	return n.sendAll(pkt)
}

// SendRaw sends an already signed datagram on every link (tests use it to
// replay and forge).
func (n *Node) SendRaw(pkt []byte) error { return n.sendAll(pkt) }

func (n *Node) sendAll(pkt []byte) error {
	var errs []error
	for _, l := range n.links {
		if err := l.Send(pkt); err != nil {
			errs = append(errs, err)
			n.mu.Lock()
			n.stats.SendErrs++
			n.mu.Unlock()
		}
	}
	// Heartbeat only needs one working medium.
	if len(errs) == len(n.links) {
		return errors.Join(errs...)
	}
	return nil
}

// Stats returns a copy of the counters.
func (n *Node) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.stats
	s.Dropped = make(map[string]int, len(n.stats.Dropped))
	for k, v := range n.stats.Dropped {
		s.Dropped[k] = v
	}
	return s
}

// DropReason classifies an Open error for counting.
func DropReason(err error) string {
	for _, e := range []error{ErrDuplicate, ErrFromSelf, ErrUnknownNode, ErrReplay, ErrOldGeneration, ErrMissingField, ErrNotHeardFrom,
		hbwire.ErrUnknownKey, hbwire.ErrNoAuth, hbwire.ErrBadAuth, hbwire.ErrTooLarge, hbwire.ErrTooMany, hbwire.ErrFormat} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return "other"
}

func (n *Node) read(l Link) {
	defer n.wg.Done()
	buf := make([]byte, hbwire.MaxMessageSize+1)
	for {
		k, from, err := l.Recv(buf)
		if err != nil {
			select {
			case <-n.quit:
				return
			default:
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient error must not end the medium for good.
			n.mu.Lock()
			n.stats.Dropped["receive error"]++
			n.mu.Unlock()
			time.Sleep(10 * time.Millisecond)
			continue
		}
		n.mu.Lock()
		n.stats.Received++
		n.mu.Unlock()
		r, err := n.ep.Open(buf[:k])
		if r != nil {
			n.heard(r.From, l.Name())
		}
		if err != nil {
			n.mu.Lock()
			n.stats.Dropped[DropReason(err)]++
			n.mu.Unlock()
			continue
		}
		for _, p := range r.Reply {
			_ = n.sendAll(p)
		}
		if r.Control {
			n.mu.Lock()
			n.stats.Control++
			n.mu.Unlock()
			continue
		}
		select {
		case n.in <- Inbound{Msg: r.Msg, From: r.From, Link: l.Name(), Addr: from}:
			n.mu.Lock()
			n.stats.Delivered++
			n.mu.Unlock()
		default:
			n.mu.Lock()
			n.stats.Dropped["inbound queue full"]++
			n.mu.Unlock()
		}
	}
}

// Close closes the links and waits for the readers.
func (n *Node) Close() error {
	var err error
	n.once.Do(func() {
		close(n.quit)
		var errs []error
		for _, l := range n.links {
			errs = append(errs, l.Close())
		}
		n.wg.Wait()
		err = errors.Join(errs...)
	})
	return err
}
