package director

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	"github.com/lvskit/lvskit/internal/ipvs"
)

// randomService draws a service and its real servers from a small universe, so that
// tables and configurations overlap.
func randomService(r *rand.Rand, k ipvs.ServiceKey) Service {
	scheds := []string{"rr", "wrr", "wlc", "sh"}
	s := Service{Service: ipvs.Service{Key: k, Scheduler: scheds[r.Intn(len(scheds))]}}
	if r.Intn(3) == 0 {
		s.Flags, s.Timeout, s.Netmask = ipvs.SvcPersistent, uint32(60*(1+r.Intn(5))), 0xffffff00
	}
	fwds := []ipvs.Forward{ipvs.Route, ipvs.Masq, ipvs.Tunnel}
	for last := byte(1); last <= 6; last++ {
		if r.Intn(2) == 0 {
			continue
		}
		s.Dests = append(s.Dests, ipvs.Destination{Key: rs(last, 0), Forward: fwds[r.Intn(len(fwds))], Weight: int32(r.Intn(4))})
	}
	return s
}

var universe = []ipvs.ServiceKey{svc80, svc23, fwm9, {Family: ipvs.FamilyIPv4, Protocol: ipvs.UDP, Addr: vip, Port: 53}}

// TestPlanProperties checks, over many random tables and configurations, what adopting
// promises: the plan applies without error, leaves nothing to do, gives every
// configured entry its configured settings, removes nothing it was not told to, and
// never deletes an entry it keeps (edits instead).
func TestPlanProperties(t *testing.T) {
	for seed := int64(1); seed <= 300; seed++ {
		r := rand.New(rand.NewSource(seed))
		var cur []Service
		var want Desired
		for _, k := range universe {
			if r.Intn(2) == 0 {
				cur = append(cur, randomService(r, k))
			}
			switch r.Intn(4) {
			case 0, 1:
				s := randomService(r, k)
				s.PruneDests = r.Intn(3) == 0
				want.Services = append(want.Services, s)
			case 2:
				want.RemoveServices = append(want.RemoveServices, k)
			}
		}
		want.Prune = r.Intn(5) == 0
		t.Run(fmt.Sprint(seed), func(t *testing.T) { checkPlan(t, cur, want) })
	}
}

func checkPlan(t *testing.T, cur []Service, want Desired) {
	f := table(t, cur...)
	before := read(t, f)
	ops, err := Plan(before, want)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	for i, err := range f.Batch(context.Background(), ops) {
		if err != nil {
			t.Fatalf("kernel refused %s: %v", FormatOp(ops[i]), err)
		}
	}
	after := read(t, f)
	if again, _ := Plan(after, want); len(again) != 0 {
		t.Fatalf("not converged, left: %q", formatOps(again))
	}

	got := map[ipvs.ServiceKey]Service{}
	for _, s := range after {
		got[normKey(s.Key)] = s
	}
	configured := map[ipvs.ServiceKey]Service{}
	for _, s := range want.Services {
		k := normKey(s.Key)
		configured[k] = s
		g, ok := got[k]
		if !ok {
			t.Fatalf("configured service %s missing", ServiceString(k))
		}
		if !sameService(normService(g.Service), normService(s.Service)) {
			t.Errorf("%s: %+v, configured %+v", ServiceString(k), g.Service, s.Service)
		}
		gd := map[ipvs.DestKey]ipvs.Destination{}
		for _, d := range g.Dests {
			gd[normDest(k, d).Key] = normDest(k, d)
		}
		for _, d := range s.Dests {
			d = normDest(k, d)
			if x, ok := gd[d.Key]; !ok || !sameDest(x, d) {
				t.Errorf("%s %s: %+v, configured %+v", ServiceString(k), DestString(d.Key), x, d)
			}
		}
	}
	removed := map[ipvs.ServiceKey]bool{}
	for _, k := range want.RemoveServices {
		removed[normKey(k)] = true
	}
	for _, s := range before {
		k := normKey(s.Key)
		_, isConfigured := configured[k]
		_, still := got[k]
		switch {
		case isConfigured && !still:
			t.Errorf("configured service %s was removed", ServiceString(k))
		case !isConfigured && !removed[k] && !want.Prune && !still:
			t.Errorf("service %s removed without being told to", ServiceString(k))
		case !isConfigured && (removed[k] || want.Prune) && still:
			t.Errorf("service %s kept though told to remove it", ServiceString(k))
		}
		if !isConfigured || configured[k].PruneDests {
			continue
		}
		for _, d := range s.Dests {
			found := false
			for _, x := range got[k].Dests {
				found = found || normDest(k, x).Key == normDest(k, d).Key
			}
			if !found {
				t.Errorf("%s: real server %s removed without being told to", ServiceString(k), DestString(normDest(k, d).Key))
			}
		}
	}
	// Nothing kept is ever deleted: a kept entry is edited, so its connections live.
	for _, op := range ops {
		k := normKey(op.Service.Key)
		if op.Kind == ipvs.OpDelService {
			if _, still := got[k]; still {
				t.Errorf("%s deleted and re-added", ServiceString(k))
			}
		}
		if op.Kind == ipvs.OpDelDest {
			for _, x := range got[k].Dests {
				if normDest(k, x).Key == op.Dest.Key {
					t.Errorf("%s %s deleted and re-added", ServiceString(k), DestString(op.Dest.Key))
				}
			}
		}
	}
}
