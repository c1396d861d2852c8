package lvsalert

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"

	"github.com/lvskit/lvskit/internal/ipvs"
	"golang.org/x/sys/unix"
)

// Clock is the drain loop's time seam: tests step it instead of sleeping.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx is done, whichever is first.
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx is done.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// DrainPoll is how often a drain looks at the real server's active connections.
const DrainPoll = time.Second

// Applier carries out Requests against an IPVS table.
type Applier struct {
	Client ipvs.Client
	Clock  Clock
	// Notes receives one line per thing worth telling mon's log that is not an error:
	// where lvs.alert's ipvsadm would have printed "No such destination" or
	// "Destination already exists", and how a drain went.
	Notes io.Writer
}

func (a *Applier) notef(format string, args ...any) {
	if a.Notes != nil {
		fmt.Fprintf(a.Notes, "lvs-alert: "+format+"\n", args...)
	}
}

// Apply brings the table to what req asks for. Doing what is already done is not an
// error; anything the kernel refuses is, with the operation and the entries named.
func (a *Applier) Apply(ctx context.Context, req Request) error {
	if req.Up {
		return a.up(ctx, req)
	}
	return a.down(ctx, req)
}

// isNoService reports the kernel's answer for an absent virtual service (ESRCH, "No
// such service"); ENOENT is accepted too since some paths report that.
func isNoService(err error) bool {
	return errors.Is(err, unix.ESRCH) || errors.Is(err, unix.ENOENT)
}

// lookup returns the destination named by req, whether it is there, and whether the
// service itself is there.
func (a *Applier) lookup(ctx context.Context, req Request) (d ipvs.DestinationInfo, found, svcFound bool, err error) {
	dests, err := a.Client.Destinations(ctx, req.Service)
	if err != nil {
		if isNoService(err) {
			return d, false, false, nil
		}
		return d, false, false, fmt.Errorf("listing the real servers of %s: %w", ServiceString(req.Service), err)
	}
	for _, x := range dests {
		if x.Key == req.Dest {
			return x, true, true, nil
		}
	}
	if len(dests) == 0 {
		// The kernel dumps no real servers for a service it does not have, without
		// an error; only GET_SERVICE says ESRCH.
		if _, err := a.Client.Service(ctx, req.Service); err != nil {
			if isNoService(err) {
				return d, false, false, nil
			}
			return d, false, false, fmt.Errorf("looking up %s: %w", ServiceString(req.Service), err)
		}
	}
	return d, false, true, nil
}

func (a *Applier) up(ctx context.Context, req Request) error {
	svc, rs := ServiceString(req.Service), DestString(req.Dest)
	cur, found, svcFound, err := a.lookup(ctx, req)
	if err != nil {
		return err
	}
	if !svcFound {
		return fmt.Errorf("adding %s to %s: no such virtual service (it is created by ipvsadm -A, e.g. in /etc/init.d/lvs start)", rs, svc)
	}
	if !found {
		d := ipvs.Destination{Key: req.Dest, Family: family(req.Dest.Addr), Forward: req.Forward, Weight: req.Weight}
		err := a.Client.AddDestination(ctx, req.Service, d)
		if err == nil {
			return nil
		}
		if errors.Is(err, unix.ESRCH) {
			return fmt.Errorf("adding %s to %s: no such virtual service (it was removed meanwhile?)", rs, svc)
		}
		if !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("adding %s to %s (weight %d, %s): %w", rs, svc, req.Weight, ForwardString(req.Forward), err)
		}
		// Someone added it between our look and our add: fall through to compare.
		if cur, found, _, err = a.lookup(ctx, req); err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("adding %s to %s: the kernel says it exists but does not list it", rs, svc)
		}
	}
	if cur.Weight == req.Weight && cur.Forward == req.Forward {
		a.notef("%s is already in %s (weight %d, %s); nothing to do", rs, svc, cur.Weight, ForwardString(cur.Forward))
		return nil
	}
	// Present with other settings (e.g. weight 0 from an interrupted drain): edit it in
	// place, which keeps its connections, rather than delete and add.
	d := cur.Destination
	d.Weight, d.Forward = req.Weight, req.Forward
	if err := a.Client.UpdateDestination(ctx, req.Service, d); err != nil {
		return fmt.Errorf("setting %s in %s to weight %d, %s: %w", rs, svc, req.Weight, ForwardString(req.Forward), err)
	}
	a.notef("%s was already in %s; changed weight %d -> %d, %s -> %s", rs, svc,
		cur.Weight, req.Weight, ForwardString(cur.Forward), ForwardString(req.Forward))
	return nil
}

func (a *Applier) down(ctx context.Context, req Request) error {
	svc, rs := ServiceString(req.Service), DestString(req.Dest)
	cur, found, svcFound, err := a.lookup(ctx, req)
	if err != nil {
		return err
	}
	if !svcFound {
		a.notef("%s is not defined; %s is not in it, nothing to remove", svc, rs)
		return nil
	}
	if !found {
		a.notef("%s is not in %s; nothing to remove", rs, svc)
		return nil
	}
	if req.Drain > 0 {
		done, err := a.drain(ctx, req, cur)
		if err != nil || done {
			return err
		}
	}
	err = a.Client.DelDestination(ctx, req.Service, req.Dest)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ESRCH):
		a.notef("%s left %s before we removed it; nothing to remove", rs, svc)
		return nil
	}
	return fmt.Errorf("removing %s from %s: %w", rs, svc, err)
}

// drain sets the real server's weight to 0 and waits, bounded by req.Drain, for its
// active connections to end. done is true when there is nothing left to delete: the
// server vanished, or someone (an upalert) gave it a weight again, which cancels the
// removal rather than undoing their work.
func (a *Applier) drain(ctx context.Context, req Request, cur ipvs.DestinationInfo) (done bool, err error) {
	svc, rs := ServiceString(req.Service), DestString(req.Dest)
	if cur.Weight != 0 {
		d := cur.Destination
		d.Weight = 0
		if err := a.Client.UpdateDestination(ctx, req.Service, d); err != nil {
			return false, fmt.Errorf("draining %s in %s: setting weight 0: %w", rs, svc, err)
		}
	}
	deadline := a.Clock.Now().Add(req.Drain)
	// The loop is bounded by the deadline; the count bound guards against a clock that
	// does not move.
	maxPolls := int(req.Drain/DrainPoll) + 2
	for i := 0; ; i++ {
		if cur.ActiveConns == 0 {
			return false, nil
		}
		if i >= maxPolls || !a.Clock.Now().Before(deadline) {
			a.notef("drain of %s in %s timed out after %s with %d active connections; removing it", rs, svc, req.Drain, cur.ActiveConns)
			return false, nil
		}
		wait := DrainPoll
		if left := deadline.Sub(a.Clock.Now()); left < wait {
			wait = left
		}
		if err := a.Clock.Sleep(ctx, wait); err != nil {
			return false, fmt.Errorf("draining %s in %s: %w", rs, svc, err)
		}
		var found, svcFound bool
		cur, found, svcFound, err = a.lookup(ctx, req)
		if err != nil {
			return false, fmt.Errorf("draining: %w", err)
		}
		if !found || !svcFound {
			a.notef("%s left %s while draining; nothing to remove", rs, svc)
			return true, nil
		}
		if cur.Weight != 0 {
			a.notef("drain of %s in %s cancelled: its weight was set to %d meanwhile (an upalert?); not removing it", rs, svc, cur.Weight)
			return true, nil
		}
	}
}

// ServiceString names a virtual service as ipvsadm -L -n does ("TCP 10.0.0.1:80",
// "FWM 5").
func ServiceString(k ipvs.ServiceKey) string {
	if k.IsFWMark() {
		if k.Family == ipvs.FamilyIPv6 {
			return "FWM " + strconv.FormatUint(uint64(k.FWMark), 10) + " IPv6"
		}
		return "FWM " + strconv.FormatUint(uint64(k.FWMark), 10)
	}
	return k.Protocol.String() + " " + netip.AddrPortFrom(k.Addr, k.Port).String()
}

// DestString names a real server as ipvsadm -L -n does.
func DestString(k ipvs.DestKey) string { return netip.AddrPortFrom(k.Addr, k.Port).String() }

// ForwardString is the -F word for a forwarding method.
func ForwardString(f ipvs.Forward) string {
	switch f {
	case ipvs.Route:
		return "dr"
	case ipvs.Masq:
		return "nat"
	case ipvs.Tunnel:
		return "tun"
	case ipvs.Local:
		return "local"
	case ipvs.Bypass:
		return "bypass"
	}
	return "forward(" + strconv.FormatUint(uint64(f), 10) + ")"
}
