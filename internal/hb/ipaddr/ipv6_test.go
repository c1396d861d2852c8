package ipaddr

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/internal/hostnet"
)

func fakeHost6() *hostnet.Fake {
	f := hostnet.NewFake(map[netip.Prefix]string{
		netip.MustParsePrefix("10.144.43.0/24"):    "eth0",
		netip.MustParsePrefix("2001:db8:6::/64"):   "eth0",
		netip.MustParsePrefix("2001:db8:7::/48"):   "eth1",
		netip.MustParsePrefix("2001:db8:7:1::/64"): "eth2",
	})
	f.Calls = nil
	return f
}

func TestResolveV6(t *testing.T) {
	for _, c := range []struct {
		kind Kind
		arg  string
		want string // Address or error substring after "error: "
	}{
		{IPaddr2, "2001:db8:6::100/64/eth0", "2001:db8:6::100/64 dev eth0"},
		{IPaddr2, "2001:db8:6::100", "2001:db8:6::100/64 dev eth0"},
		{IPaddr2, "2001:db8:6::100/128", "2001:db8:6::100/128 dev eth0"},
		{IPaddr2, "2001:db8:7:1::5", "2001:db8:7:1::5/64 dev eth2"}, // longest route
		{IPaddr2, "2001:db8:6::100//eth3", "2001:db8:6::100/64 dev eth3"},
		{IPaddr2, "2001:DB8:6:0::100/64/eth0", "2001:db8:6::100/64 dev eth0"},
		{IPv6addr, "2001:db8:6::100/64/eth0", "2001:db8:6::100/64 dev eth0"},
		{IPv6addr, "2001:db8:6::100", "2001:db8:6::100/64 dev eth0"},
		{IPaddr2, "2001:db8:6::100/129", "error: prefix length"},
		{IPaddr2, "2001:db8:6::100/64/eth0:1", "error: no alias label"},
		{IPaddr2, "2001:db8:6::100/64/eth0/2001:db8:6::ffff", "error: no broadcast"},
		{IPaddr2, "2001:db8:6::100/64/2001:db8:6::ffff", "error: broadcast"},
		{IPaddr2, "fe80::1/64/eth0", "error: not a global unicast"},
		{IPaddr2, "ff02::1/64/eth0", "error: not a global unicast"},
		{IPaddr2, "2001:db8:9::1", "error: no connected route"},
		{IPv6addr, "10.144.43.185/24/eth0", "error: not an IPv6 address"},
		{IPaddr, "2001:db8:6::100/64/eth0", "error: not an IPv4 address"},
		// IPv4 with a label keeps its IPv4 meaning.
		{IPaddr2, "10.144.43.185/24/eth0:1", "10.144.43.185/24 dev eth0 label eth0:1 brd 10.144.43.255"},
	} {
		a := &Agent{Kind: c.kind, Net: fakeHost6()}
		got, err := a.Resolve(c.arg)
		if want, ok := strings.CutPrefix(c.want, "error: "); ok {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s %s: err %v, want one containing %q (got %v)", c.kind, c.arg, err, want, got)
			}
			continue
		}
		if err != nil || got.String() != c.want {
			t.Errorf("%s %s = %v, %v; want %s", c.kind, c.arg, got, err, c.want)
		}
	}
}

// The add/announce/remove sequence, as the original's agents do it: add with DAD, wait
// for DAD, then the NAs before start returns.
func TestStartStopV6(t *testing.T) {
	for _, c := range []struct {
		kind Kind
		na   string
	}{
		{IPaddr2, "na eth0 2001:db8:6::100 count=5 interval=200ms"},
		{IPv6addr, "na eth0 2001:db8:6::100 count=5 interval=1s"},
	} {
		t.Run(string(c.kind), func(t *testing.T) {
			defer func(d time.Duration) { DADPoll = d }(DADPoll)
			DADPoll = time.Millisecond
			f := fakeHost6()
			vip := netip.MustParseAddr("2001:db8:6::100")
			f.SetDAD(vip, hostnet.DADTentative, hostnet.DADTentative, hostnet.DADDone)
			a := &Agent{Kind: c.kind, Net: f}
			arg := "2001:db8:6::100/64/eth0"
			if st, _ := a.Status(arg); st != "stopped" {
				t.Fatalf("status before %q", st)
			}
			if err := a.Start(context.Background(), arg); err != nil {
				t.Fatal(err)
			}
			// Foreground: the NAs are sent when Start returns.
			want := []string{"add 2001:db8:6::100/64 dev eth0", c.na}
			if d := cmp.Diff(want, f.Calls); d != "" {
				t.Errorf("calls (-want +got):\n%s", d)
			}
			if st, _ := a.Status(arg); st != "running" {
				t.Errorf("status after start %q", st)
			}
			f.Calls = nil
			if err := a.Start(context.Background(), arg); err != nil || len(f.Calls) != 0 {
				t.Errorf("second start: %v, calls %v", err, f.Calls)
			}
			for i := 0; i < 2; i++ {
				if err := a.Stop(arg); err != nil {
					t.Fatal(err)
				}
			}
			if d := cmp.Diff([]string{"del 2001:db8:6::100/128 dev eth0"}, f.Calls); d != "" {
				t.Errorf("stop calls (-want +got):\n%s", d)
			}
			if st, _ := a.Status(arg); st != "stopped" || len(f.List()) != 0 {
				t.Errorf("status after stop %q, left %v", st, f.List())
			}
		})
	}
}

// DAD failure: the address is removed again and start fails, as IPaddr2 does.
func TestStartV6DADFailed(t *testing.T) {
	f := fakeHost6()
	f.SetDAD(netip.MustParseAddr("2001:db8:6::100"), hostnet.DADFailed)
	a := &Agent{Kind: IPaddr2, Net: f}
	err := a.Start(context.Background(), "2001:db8:6::100/64/eth0")
	if err == nil || !strings.Contains(err.Error(), "collision") {
		t.Fatalf("start: %v, want a DAD collision", err)
	}
	want := []string{"add 2001:db8:6::100/64 dev eth0", "del 2001:db8:6::100/64 dev eth0"}
	if d := cmp.Diff(want, f.Calls); d != "" {
		t.Errorf("calls (-want +got):\n%s", d)
	}
}

// A failed NA is logged; the address stays and start succeeds, as with send_ua.
func TestStartV6NAFails(t *testing.T) {
	f := fakeHost6()
	f.Fail["na"] = errors.New("boom")
	var logged []string
	a := &Agent{Kind: IPv6addr, Net: f, Log: func(m string) { logged = append(logged, m) }}
	if err := a.Start(context.Background(), "2001:db8:6::100"); err != nil {
		t.Fatal(err)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], "boom") || len(f.List()) != 1 {
		t.Errorf("logged %q, addresses %v", logged, f.List())
	}
}

func TestIsBuiltinIPv6addr(t *testing.T) {
	if !IsBuiltin("IPv6addr") {
		t.Error("IPv6addr is not built in")
	}
}
