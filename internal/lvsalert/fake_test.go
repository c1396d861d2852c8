package lvsalert

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/lvskit/lvskit/internal/ipvs"
	"golang.org/x/sys/unix"
)

// stepClock is a Clock whose Sleep moves time forward at once and runs onSleep, so a
// drain is a loop of steps with no real waiting.
type stepClock struct {
	now     time.Time
	sleeps  int
	onSleep func()
}

func (c *stepClock) Now() time.Time { return c.now }

func (c *stepClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps++
	c.now = c.now.Add(d)
	if c.onSleep != nil {
		c.onSleep()
	}
	return nil
}

// tableFake is a minimal stateful ipvs.Client for these tests: services and their
// destinations in memory, kernel errnos for the cases lvs-alert relies on, an error to
// inject per operation, and a log of mutations.
type tableFake struct {
	svcs  map[ipvs.ServiceKey]*fakeSvc
	order []ipvs.ServiceKey
	fail  map[string]error // operation name -> error returned instead of acting
	log   []string
}

type fakeSvc struct {
	svc   ipvs.Service
	dests []ipvs.DestinationInfo
}

var _ ipvs.Client = (*tableFake)(nil)

func newTableFake() *tableFake {
	return &tableFake{svcs: map[ipvs.ServiceKey]*fakeSvc{}, fail: map[string]error{}}
}

func (f *tableFake) injected(op string) error { return f.fail[op] }

func (f *tableFake) Info(context.Context) (ipvs.Info, error) {
	return ipvs.Info{Version: 0x010201, ConnTabSize: 4096}, nil
}

func (f *tableFake) Services(context.Context) ([]ipvs.ServiceInfo, error) {
	if err := f.injected("Services"); err != nil {
		return nil, err
	}
	var out []ipvs.ServiceInfo
	for _, k := range f.order {
		out = append(out, ipvs.ServiceInfo{Service: f.svcs[k].svc})
	}
	return out, nil
}

func (f *tableFake) Service(_ context.Context, k ipvs.ServiceKey) (ipvs.ServiceInfo, error) {
	s, ok := f.svcs[k]
	if !ok {
		return ipvs.ServiceInfo{}, unix.ESRCH
	}
	return ipvs.ServiceInfo{Service: s.svc}, nil
}

func (f *tableFake) AddService(_ context.Context, s ipvs.Service) error {
	if err := f.injected("AddService"); err != nil {
		return err
	}
	if _, ok := f.svcs[s.Key]; ok {
		return unix.EEXIST
	}
	f.svcs[s.Key] = &fakeSvc{svc: s}
	f.order = append(f.order, s.Key)
	f.log = append(f.log, "AddService "+ServiceString(s.Key))
	return nil
}

func (f *tableFake) UpdateService(_ context.Context, s ipvs.Service) error {
	x, ok := f.svcs[s.Key]
	if !ok {
		return unix.ESRCH
	}
	x.svc = s
	f.log = append(f.log, "UpdateService "+ServiceString(s.Key))
	return nil
}

func (f *tableFake) DelService(_ context.Context, k ipvs.ServiceKey) error {
	if _, ok := f.svcs[k]; !ok {
		return unix.ESRCH
	}
	delete(f.svcs, k)
	f.order = slices.DeleteFunc(f.order, func(x ipvs.ServiceKey) bool { return x == k })
	f.log = append(f.log, "DelService "+ServiceString(k))
	return nil
}

func (f *tableFake) Flush(context.Context) error {
	f.svcs, f.order = map[ipvs.ServiceKey]*fakeSvc{}, nil
	f.log = append(f.log, "Flush")
	return nil
}

func (f *tableFake) Destinations(_ context.Context, k ipvs.ServiceKey) ([]ipvs.DestinationInfo, error) {
	if err := f.injected("Destinations"); err != nil {
		return nil, err
	}
	s, ok := f.svcs[k]
	if !ok {
		return nil, unix.ESRCH
	}
	return slices.Clone(s.dests), nil
}

func (f *tableFake) dest(k ipvs.ServiceKey, d ipvs.DestKey) (*fakeSvc, int, error) {
	s, ok := f.svcs[k]
	if !ok {
		return nil, -1, unix.ESRCH
	}
	for i := range s.dests {
		if s.dests[i].Key == d {
			return s, i, nil
		}
	}
	return s, -1, nil
}

func (f *tableFake) AddDestination(_ context.Context, k ipvs.ServiceKey, d ipvs.Destination) error {
	if err := f.injected("AddDestination"); err != nil {
		return err
	}
	s, i, err := f.dest(k, d.Key)
	if err != nil {
		return err
	}
	if i >= 0 {
		return unix.EEXIST
	}
	s.dests = append(s.dests, ipvs.DestinationInfo{Destination: d})
	f.log = append(f.log, fmt.Sprintf("AddDestination %s %s w=%d %s", ServiceString(k), DestString(d.Key), d.Weight, ForwardString(d.Forward)))
	return nil
}

func (f *tableFake) UpdateDestination(_ context.Context, k ipvs.ServiceKey, d ipvs.Destination) error {
	if err := f.injected("UpdateDestination"); err != nil {
		return err
	}
	s, i, err := f.dest(k, d.Key)
	if err != nil {
		return err
	}
	if i < 0 {
		return unix.ENOENT
	}
	s.dests[i].Destination = d
	f.log = append(f.log, fmt.Sprintf("UpdateDestination %s %s w=%d %s", ServiceString(k), DestString(d.Key), d.Weight, ForwardString(d.Forward)))
	return nil
}

func (f *tableFake) DelDestination(_ context.Context, k ipvs.ServiceKey, d ipvs.DestKey) error {
	if err := f.injected("DelDestination"); err != nil {
		return err
	}
	s, i, err := f.dest(k, d)
	if err != nil {
		return err
	}
	if i < 0 {
		return unix.ENOENT
	}
	s.dests = slices.Delete(s.dests, i, i+1)
	f.log = append(f.log, fmt.Sprintf("DelDestination %s %s", ServiceString(k), DestString(d)))
	return nil
}

func (f *tableFake) Zero(context.Context, *ipvs.ServiceKey) error       { return nil }
func (f *tableFake) Timeouts(context.Context) (ipvs.Timeouts, error)    { return ipvs.Timeouts{}, nil }
func (f *tableFake) SetTimeouts(context.Context, ipvs.Timeouts) error   { return nil }
func (f *tableFake) Daemons(context.Context) ([]ipvs.SyncDaemon, error) { return nil, nil }
func (f *tableFake) StartDaemon(context.Context, ipvs.SyncDaemon) error { return nil }
func (f *tableFake) StopDaemon(context.Context, ipvs.DaemonState) error { return nil }
func (f *tableFake) Close() error                                       { return nil }
func (f *tableFake) Batch(ctx context.Context, ops []ipvs.Op) []error {
	errs := make([]error, len(ops))
	for i, op := range ops {
		switch op.Kind {
		case ipvs.OpAddService:
			errs[i] = f.AddService(ctx, op.Service)
		case ipvs.OpUpdateService:
			errs[i] = f.UpdateService(ctx, op.Service)
		case ipvs.OpDelService:
			errs[i] = f.DelService(ctx, op.Service.Key)
		case ipvs.OpAddDest:
			errs[i] = f.AddDestination(ctx, op.Service.Key, op.Dest)
		case ipvs.OpUpdateDest:
			errs[i] = f.UpdateDestination(ctx, op.Service.Key, op.Dest)
		case ipvs.OpDelDest:
			errs[i] = f.DelDestination(ctx, op.Service.Key, op.Dest.Key)
		case ipvs.OpFlush:
			errs[i] = f.Flush(ctx)
		}
	}
	return errs
}

// setActive sets a destination's active connection count, as traffic would.
func (f *tableFake) setActive(k ipvs.ServiceKey, d ipvs.DestKey, n uint32) {
	s, i, _ := f.dest(k, d)
	if i >= 0 {
		s.dests[i].ActiveConns = n
	}
}
