// Package bgpspeaker is lvs-bgp's BGP speaker: GoBGP (github.com/osrg/gobgp/v3) used as
// a library, with nothing of BGP written here. It starts a BGP server from a
// compat/bgpconf Config, adds the neighbors with their timers, announces a VIP's host
// route (origin IGP, next hop self or the configured address) and withdraws it, lists
// the neighbors' states, and stops gracefully: withdraw everything, wait until every
// established neighbor's adj-rib-out is empty (the withdrawals are on their way), then
// close the sessions.
//
// Which VIPs to announce is not decided here (see internal/lvsbgp).
package bgpspeaker

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/server"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/lvskit/lvskit/compat/bgpconf"
)

// ConnectRetry is how long GoBGP waits before dialling a neighbor again. GoBGP's
// default, 120 s, would leave a restarted router without this director's paths for
// two minutes.
const ConnectRetry = 5 * time.Second

// Neighbor is what Neighbors reports about one peer.
type Neighbor struct {
	Addr  netip.Addr
	State string // idle, connect, active, opensent, openconfirm, established
	Up    bool   // established
}

// Speaker is a running GoBGP server. Its methods are safe for concurrent use.
type Speaker struct {
	mu        sync.Mutex
	srv       *server.BgpServer
	cfg       *bgpconf.Config
	announced map[netip.Addr][]byte // VIP -> the path's UUID, for DeletePath
}

// Start starts a BGP server for cfg and adds its neighbors; logf receives GoBGP's
// messages of level info and above.
func Start(ctx context.Context, cfg *bgpconf.Config, logf func(level, msg string)) (*Speaker, error) {
	srv := server.NewBgpServer(server.LoggerOption(newLogger(logf)))
	go srv.Serve()
	s := &Speaker{srv: srv, cfg: cfg, announced: map[netip.Addr][]byte{}}
	// Listen (on 179) only when a neighbor waits for its router to connect: a director
	// whose sessions are all active need not hold the BGP port.
	port := int32(-1)
	for _, n := range cfg.Neighbors {
		if n.Passive {
			port = bgpconf.DefaultPort
		}
	}
	err := srv.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn:        cfg.LocalAS,
		RouterId:   cfg.RouterID.String(),
		ListenPort: port,
	}})
	if err != nil {
		srv.Stop()
		return nil, fmt.Errorf("starting BGP: %w", err)
	}
	for _, n := range cfg.Neighbors {
		if err := s.AddNeighbor(ctx, n); err != nil {
			_ = srv.StopBgp(context.Background(), &api.StopBgpRequest{})
			srv.Stop()
			return nil, err
		}
	}
	return s, nil
}

var (
	familyV4 = &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}
	familyV6 = &api.Family{Afi: api.Family_AFI_IP6, Safi: api.Family_SAFI_UNICAST}
)

// AddNeighbor adds n with both unicast families: an IPv6 VIP may go over an IPv4
// session and the other way round (multiprotocol BGP).
func (s *Speaker) AddNeighbor(ctx context.Context, n bgpconf.Neighbor) error {
	p := &api.Peer{
		Conf: &api.PeerConf{NeighborAddress: n.Addr.String(), PeerAsn: n.RemoteAS},
		Timers: &api.Timers{Config: &api.TimersConfig{
			ConnectRetry:      uint64(ConnectRetry / time.Second),
			HoldTime:          uint64(n.HoldTime / time.Second),
			KeepaliveInterval: uint64(n.Keepalive / time.Second),
		}},
		Transport: &api.Transport{PassiveMode: n.Passive, RemotePort: uint32(n.Port)},
		AfiSafis: []*api.AfiSafi{
			{Config: &api.AfiSafiConfig{Family: familyV4, Enabled: true}},
			{Config: &api.AfiSafiConfig{Family: familyV6, Enabled: true}},
		},
	}
	if n.LocalAddress.IsValid() {
		p.Transport.LocalAddress = n.LocalAddress.String()
	}
	if err := s.srv.AddPeer(ctx, &api.AddPeerRequest{Peer: p}); err != nil {
		return fmt.Errorf("adding neighbor %s: %w", n.Addr, err)
	}
	return nil
}

// DeleteNeighbor closes the session with addr and forgets it.
func (s *Speaker) DeleteNeighbor(ctx context.Context, addr netip.Addr) error {
	if err := s.srv.DeletePeer(ctx, &api.DeletePeerRequest{Address: addr.String()}); err != nil {
		return fmt.Errorf("deleting neighbor %s: %w", addr, err)
	}
	return nil
}

// SetConfig replaces the config used for next hops of later announcements (a reload
// that kept the router id, AS and listening).
func (s *Speaker) SetConfig(cfg *bgpconf.Config) {
	s.mu.Lock()
	s.cfg = cfg
	s.mu.Unlock()
}

func (s *Speaker) path(vip netip.Addr) (*api.Path, error) {
	nh, fam := s.cfg.NextHop4, familyV4
	if vip.Is6() {
		nh, fam = s.cfg.NextHop6, familyV6
	}
	if !nh.IsValid() {
		// The unspecified address is GoBGP's "self": each session's local address.
		nh = netip.IPv4Unspecified()
		if vip.Is6() {
			nh = netip.IPv6Unspecified()
		}
	}
	nlri, err := anypb.New(&api.IPAddressPrefix{Prefix: vip.String(), PrefixLen: uint32(vip.BitLen())})
	if err != nil {
		return nil, err
	}
	origin, err := anypb.New(&api.OriginAttribute{Origin: 0}) // IGP
	if err != nil {
		return nil, err
	}
	var hop *anypb.Any
	if vip.Is4() {
		hop, err = anypb.New(&api.NextHopAttribute{NextHop: nh.String()})
	} else {
		hop, err = anypb.New(&api.MpReachNLRIAttribute{Family: fam, NextHops: []string{nh.String()}, Nlris: []*anypb.Any{nlri}})
	}
	if err != nil {
		return nil, err
	}
	return &api.Path{Family: fam, Nlri: nlri, Pattrs: []*anypb.Any{origin, hop}}, nil
}

// Announce adds vip's host route to the global RIB, which GoBGP sends to every
// established neighbor and to each neighbor that comes up later. Announcing an
// announced VIP does nothing.
func (s *Speaker) Announce(ctx context.Context, vip netip.Addr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.announced[vip]; ok {
		return nil
	}
	p, err := s.path(vip)
	if err != nil {
		return fmt.Errorf("announcing %s: %w", vip, err)
	}
	r, err := s.srv.AddPath(ctx, &api.AddPathRequest{TableType: api.TableType_GLOBAL, Path: p})
	if err != nil {
		return fmt.Errorf("announcing %s: %w", vip, err)
	}
	s.announced[vip] = r.Uuid
	return nil
}

// Withdraw deletes vip's route; GoBGP sends the withdrawal. Withdrawing a VIP not
// announced does nothing.
func (s *Speaker) Withdraw(ctx context.Context, vip netip.Addr) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.announced[vip]
	if !ok {
		return nil
	}
	if err := s.srv.DeletePath(ctx, &api.DeletePathRequest{TableType: api.TableType_GLOBAL, Uuid: id}); err != nil {
		return fmt.Errorf("withdrawing %s: %w", vip, err)
	}
	delete(s.announced, vip)
	return nil
}

// Announced lists the VIPs announced, sorted.
func (s *Speaker) Announced() []netip.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := make([]netip.Addr, 0, len(s.announced))
	for a := range s.announced {
		l = append(l, a)
	}
	slices.SortFunc(l, netip.Addr.Compare)
	return l
}

// Neighbors lists the neighbors and their session states, in address order.
func (s *Speaker) Neighbors(ctx context.Context) ([]Neighbor, error) {
	var l []Neighbor
	err := s.srv.ListPeer(ctx, &api.ListPeerRequest{}, func(p *api.Peer) {
		if p.State == nil {
			return
		}
		a, err := netip.ParseAddr(p.State.NeighborAddress)
		if err != nil {
			return
		}
		st := p.State.SessionState
		l = append(l, Neighbor{Addr: a.Unmap(), State: stateName(st), Up: st == api.PeerState_ESTABLISHED})
	})
	if err != nil {
		return nil, fmt.Errorf("listing neighbors: %w", err)
	}
	slices.SortFunc(l, func(a, b Neighbor) int { return a.Addr.Compare(b.Addr) })
	return l, nil
}

func stateName(st api.PeerState_SessionState) string {
	switch st {
	case api.PeerState_IDLE:
		return "idle"
	case api.PeerState_CONNECT:
		return "connect"
	case api.PeerState_ACTIVE:
		return "active"
	case api.PeerState_OPENSENT:
		return "opensent"
	case api.PeerState_OPENCONFIRM:
		return "openconfirm"
	case api.PeerState_ESTABLISHED:
		return "established"
	}
	return "unknown"
}

// AdvertisedTo counts the routes in the adj-rib-out of each established neighbor:
// what GoBGP has sent, or is sending, to it.
func (s *Speaker) AdvertisedTo(ctx context.Context) (map[netip.Addr]int, error) {
	ns, err := s.Neighbors(ctx)
	if err != nil {
		return nil, err
	}
	m := map[netip.Addr]int{}
	for _, n := range ns {
		if !n.Up {
			continue
		}
		for _, fam := range []*api.Family{familyV4, familyV6} {
			err := s.srv.ListPath(ctx, &api.ListPathRequest{TableType: api.TableType_ADJ_OUT, Name: n.Addr.String(), Family: fam},
				func(d *api.Destination) { m[n.Addr] += len(d.Paths) })
			if err != nil {
				return nil, fmt.Errorf("adj-rib-out of %s: %w", n.Addr, err)
			}
		}
	}
	return m, nil
}

// WithdrawAll withdraws every announced VIP and waits, until ctx ends, for the
// adj-rib-outs to empty.
func (s *Speaker) WithdrawAll(ctx context.Context) error {
	var errs []error
	for _, v := range s.Announced() {
		errs = append(errs, s.Withdraw(ctx, v))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for {
		m, err := s.AdvertisedTo(ctx)
		if err != nil {
			return err
		}
		left := 0
		for _, n := range m {
			left += n
		}
		if left == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("withdrawals still queued for %d routes: %w", left, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop closes every session (a CEASE notification each) and stops the server. It
// does not withdraw first: call WithdrawAll for a graceful stop.
func (s *Speaker) Stop(ctx context.Context) error {
	err := s.srv.StopBgp(ctx, &api.StopBgpRequest{})
	s.srv.Stop()
	if err != nil {
		return fmt.Errorf("stopping BGP: %w", err)
	}
	return nil
}
