package lvsalert

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/ipvs"
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

// mutations are the destination changes recorded by the fake, one line each.
func mutations(f *ipvs.Fake) []string {
	var out []string
	for _, c := range f.Calls() {
		switch c.Op {
		case "AddDestination", "UpdateDestination":
			k, d := c.Args[0].(ipvs.ServiceKey), c.Args[1].(ipvs.Destination)
			out = append(out, fmt.Sprintf("%s %s %s w=%d %s", c.Op, ServiceString(k), DestString(d.Key), d.Weight, ForwardString(d.Forward)))
		case "DelDestination":
			k, d := c.Args[0].(ipvs.ServiceKey), c.Args[1].(ipvs.DestKey)
			out = append(out, fmt.Sprintf("%s %s %s", c.Op, ServiceString(k), DestString(d)))
		case "AddService", "UpdateService", "DelService", "Flush":
			out = append(out, fmt.Sprintf("%v", c))
		}
	}
	return out
}

// destOf returns a destination as the fake reports it.
func destOf(t *testing.T, f *ipvs.Fake, k ipvs.ServiceKey, d ipvs.DestKey) (ipvs.DestinationInfo, bool) {
	t.Helper()
	ds, err := f.Destinations(context.Background(), k)
	if err != nil {
		return ipvs.DestinationInfo{}, false
	}
	for _, x := range ds {
		if x.Key == d {
			return x, true
		}
	}
	return ipvs.DestinationInfo{}, false
}

// setWeight changes a destination's weight as another process would.
func setWeight(t *testing.T, f *ipvs.Fake, k ipvs.ServiceKey, d ipvs.DestKey, w int32) {
	t.Helper()
	cur, ok := destOf(t, f, k, d)
	if !ok {
		t.Fatalf("setWeight: %s not in %s", DestString(d), ServiceString(k))
	}
	cur.Weight = w
	if err := f.UpdateDestination(context.Background(), k, cur.Destination); err != nil {
		t.Fatal(err)
	}
}

// setActive sets a destination's active connection count, as traffic would.
func setActive(t *testing.T, f *ipvs.Fake, k ipvs.ServiceKey, d ipvs.DestKey, n uint32) {
	t.Helper()
	if err := f.SetDestCounters(k, d, n, 0, 0, ipvs.Stats{}); err != nil {
		t.Fatal(err)
	}
}
