package bgpconf

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lvskit/lvskit/internal/ipvs"
)

const head = "router-id 10.0.0.11\nlocal-as 65011\nneighbor 10.0.0.1 remote-as 65000\n"

func TestParseFull(t *testing.T) {
	conf := `# a director of three
router-id 10.0.0.11
local-as 4200000011        # 4-byte
neighbor 10.0.0.1 remote-as 65000 hold-time 9 keepalive 3 port 1179 passive local-address 10.0.0.11
neighbor 2001:db8::1 remote-as 1.10
neighbor 10.0.0.2 remote-as 65000 hold-time 0
neighbor 10.0.0.3 remote-as 65000 hold-time 30
vip 10.0.0.100
vip 2001:db8::100 port 80 TCP
check-interval 500ms
drain-time 20
mode heartbeat
next-hop 10.0.0.11
next-hop 2001:db8::11
`
	got, err := Parse("bgp.conf", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		RouterID: netip.MustParseAddr("10.0.0.11"),
		LocalAS:  4200000011,
		Neighbors: []Neighbor{
			{Addr: netip.MustParseAddr("10.0.0.1"), RemoteAS: 65000, HoldTime: 9 * time.Second, Keepalive: 3 * time.Second,
				Port: 1179, Passive: true, LocalAddress: netip.MustParseAddr("10.0.0.11"), Line: 4},
			{Addr: netip.MustParseAddr("2001:db8::1"), RemoteAS: 65546, HoldTime: 3 * time.Second, Keepalive: time.Second, Port: 179, Line: 5},
			{Addr: netip.MustParseAddr("10.0.0.2"), RemoteAS: 65000, Port: 179, Line: 6},
			{Addr: netip.MustParseAddr("10.0.0.3"), RemoteAS: 65000, HoldTime: 30 * time.Second, Keepalive: 10 * time.Second, Port: 179, Line: 7},
		},
		VIPs: []VIP{
			{Addr: netip.MustParseAddr("10.0.0.100"), Line: 8},
			{Addr: netip.MustParseAddr("2001:db8::100"), Port: 80, Protocol: ipvs.TCP, Line: 9},
		},
		CheckInterval: 500 * time.Millisecond,
		DrainTime:     20 * time.Second,
		Mode:          Heartbeat,
		NextHop4:      netip.MustParseAddr("10.0.0.11"),
		NextHop6:      netip.MustParseAddr("2001:db8::11"),
	}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); d != "" {
		t.Errorf("(-want +got)\n%s", d)
	}
	if p := got.VIPs[1].Prefix().String(); p != "2001:db8::100/128" {
		t.Errorf("prefix %s", p)
	}
	if s := got.VIPs[1].String(); s != "2001:db8::100 port 80 tcp" {
		t.Errorf("String %q", s)
	}
}

func TestParseDefaults(t *testing.T) {
	c, err := Parse("bgp.conf", []byte(head+"next-hop self\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.CheckInterval != time.Second || c.DrainTime != DefaultDrainTime || c.Mode != Standalone || c.NextHop4.IsValid() {
		t.Errorf("defaults: %+v", c)
	}
	if n := c.Neighbors[0]; n.HoldTime != 3*time.Second || n.Keepalive != time.Second || n.Port != 179 || n.Passive {
		t.Errorf("neighbor defaults: %+v", n)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, conf, want string
	}{
		{"unknown", head + "routerid 1.2.3.4\n", `bgp.conf:4: unknown directive "routerid"`},
		{"router-id v6", "router-id ::1\nlocal-as 1\nneighbor 10.0.0.1 remote-as 2\n", "bgp.conf:1: router-id: want an IPv4 address"},
		{"router-id twice", head + "router-id 10.0.0.12\n", "bgp.conf:4: router-id given again (first on line 1)"},
		{"router-id missing", "local-as 1\nneighbor 10.0.0.1 remote-as 2\n", "bgp.conf: router-id missing"},
		{"local-as missing", "router-id 1.2.3.4\nneighbor 10.0.0.1 remote-as 2\n", "bgp.conf: local-as missing"},
		{"no neighbor", "router-id 1.2.3.4\nlocal-as 1\n", "bgp.conf: no neighbor"},
		{"as 0", head + "neighbor 10.0.0.2 remote-as 0\n", "bgp.conf:4: neighbor 10.0.0.2: remote-as: AS 0 is reserved"},
		{"as trans", "router-id 1.2.3.4\nlocal-as 23456\nneighbor 10.0.0.1 remote-as 2\n", "bgp.conf:2: local-as: AS 23456 is AS_TRANS"},
		{"as too big", "router-id 1.2.3.4\nlocal-as 4294967296\nneighbor 10.0.0.1 remote-as 2\n", "bgp.conf:2: local-as: want an AS number"},
		{"as max", "router-id 1.2.3.4\nlocal-as 4294967295\nneighbor 10.0.0.1 remote-as 2\n", "reserved (RFC 7300)"},
		{"asdot bad", "router-id 1.2.3.4\nlocal-as 1.65536\nneighbor 10.0.0.1 remote-as 2\n", "bgp.conf:2: local-as: want an AS number"},
		{"hold 2", head + "neighbor 10.0.0.2 remote-as 1 hold-time 2\n", "hold-time 2: want 0 or at least 3 seconds (RFC 4271)"},
		{"hold big", head + "neighbor 10.0.0.2 remote-as 1 hold-time 65536\n", "hold-time: want whole seconds, 0 to 65535"},
		{"hold frac", head + "neighbor 10.0.0.2 remote-as 1 hold-time 3.5\n", `hold-time: want whole seconds, 0 to 65535, got "3.5"`},
		{"keepalive = hold", head + "neighbor 10.0.0.2 remote-as 1 hold-time 3 keepalive 3\n", "keepalive 3: want 1 to 2, below hold-time 3"},
		{"keepalive 0", head + "neighbor 10.0.0.2 remote-as 1 keepalive 0\n", "keepalive 0: want 1 to 2"},
		{"keepalive with hold 0", head + "neighbor 10.0.0.2 remote-as 1 hold-time 0 keepalive 1\n", "sends no keepalives"},
		{"port 0", head + "neighbor 10.0.0.2 remote-as 1 port 0\n", "port: want 1 to 65535"},
		{"no remote-as", head + "neighbor 10.0.0.2 65000\n", "bgp.conf:4: neighbor: want ADDR remote-as AS"},
		{"neighbor bad addr", head + "neighbor 10.0.0.300 remote-as 1\n", `neighbor: want an IPv4 or IPv6 address, got "10.0.0.300"`},
		{"neighbor multicast", head + "neighbor 224.0.0.1 remote-as 1\n", "neighbor: want a unicast address"},
		{"neighbor twice", head + "neighbor 10.0.0.1 remote-as 1\n", "bgp.conf:4: neighbor 10.0.0.1 given again (first on line 3)"},
		{"option twice", head + "neighbor 10.0.0.2 remote-as 1 passive passive\n", "passive given twice"},
		{"option unknown", head + "neighbor 10.0.0.2 remote-as 1 bfd on\n", `unknown option "bfd"`},
		{"option no value", head + "neighbor 10.0.0.2 remote-as 1 port\n", "port needs a value"},
		{"local-address family", head + "neighbor 10.0.0.2 remote-as 1 local-address ::1\n", "other address family"},
		{"vip bad", head + "vip 10.0.0\n", "bgp.conf:4: vip: want an IPv4 or IPv6 address"},
		{"vip zone", head + "vip fe80::1%eth0\n", "vip: want an IPv4 or IPv6 address"},
		{"vip twice", head + "vip 10.0.0.100\nvip 10.0.0.100 port 80 tcp\n", "bgp.conf:5: vip 10.0.0.100 given again (first on line 4)"},
		{"vip proto", head + "vip 10.0.0.100 port 80 icmp\n", `want tcp, udp or sctp after the port, got "icmp"`},
		{"vip port", head + "vip 10.0.0.100 port x tcp\n", "vip 10.0.0.100: port: want 0 to 65535"},
		{"vip args", head + "vip 10.0.0.100 80\n", "vip: want ADDR [port N tcp|udp|sctp]"},
		{"vip is neighbor", head + "vip 10.0.0.1\n", "vip 10.0.0.1 is neighbor 10.0.0.1's address"},
		{"check-interval small", head + "check-interval 1ms\n", "check-interval: want 100ms to 1m0s, got 1ms"},
		{"check-interval bad", head + "check-interval soon\n", `check-interval: want a duration such as 1s or 500ms, got "soon"`},
		{"drain big", head + "drain-time 2h\n", "drain-time: want at most 1m0s"},
		{"drain negative", head + "drain-time -1s\n", "drain-time: want a duration"},
		{"mode", head + "mode active\n", `mode: want standalone or heartbeat, got "active"`},
		{"mode args", head + "mode\n", "mode: want one value, standalone or heartbeat; got 0"},
		{"next-hop twice", head + "next-hop 10.0.0.11\nnext-hop 10.0.0.12\n", "next-hop for IPv4 given again (first on line 4)"},
		{"next-hop self and addr", head + "next-hop self\nnext-hop 10.0.0.12\n", "next-hop self is given too"},
		{"next-hop addr and self", head + "next-hop 10.0.0.12\nnext-hop self\n", "next-hop self: an address is given too"},
		{"next-hop bad", head + "next-hop router\n", `next-hop: want self or a unicast address, got "router"`},
		{"vip6 without next hop", head + "vip 2001:db8::100\n", `bgp.conf:4: vip 2001:db8::100: an IPv6 VIP over IPv4 neighbors needs "next-hop ADDR"`},
		{"long line", head + "vip " + strings.Repeat("1", maxLine) + "\n", "bgp.conf:4: line longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("bgp.conf", []byte(tc.conf))
			if err == nil || c != nil {
				t.Fatalf("got %+v, want error %q", c, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

// TestParseEveryProblem: --check prints every problem, so Parse goes on after one.
func TestParseEveryProblem(t *testing.T) {
	_, err := Parse("f", []byte("router-id x\nlocal-as y\nneighbor 10.0.0.1 remote-as 1 hold-time 1\nvip z\n"))
	l := List(err)
	if len(l) != 4 {
		t.Fatalf("got %d problems, want 4:\n%v", len(l), err)
	}
	var e *Error
	if !errors.As(l[3], &e) || e.Line != 4 || e.File != "f" {
		t.Errorf("last problem %#v", l[3])
	}
	if !errors.As(err, &e) || e.Line != 1 {
		t.Errorf("errors.As on the list: %#v", e)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(head + "vip 10.0.0.100\nvip ::1 port 1 udp\nnext-hop self\nmode heartbeat\ndrain-time 0\n"))
	f.Add([]byte("neighbor 1.2.3.4 remote-as 1.1 hold-time 0 passive port 9\n#x\n\n"))
	f.Add([]byte("local-as 65535.65535\nnext-hop 1.2.3.4\nnext-hop ::2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f", data)
		if (c == nil) == (err == nil) {
			t.Fatalf("config %v and error %v", c, err)
		}
		if err != nil {
			for _, e := range List(err) {
				if !strings.HasPrefix(e.Error(), "f") {
					t.Fatalf("error without the file: %q", e)
				}
			}
			return
		}
		if !c.RouterID.Is4() || c.LocalAS == 0 || len(c.Neighbors) == 0 {
			t.Fatalf("accepted incomplete config %+v", c)
		}
		for _, n := range c.Neighbors {
			if n.HoldTime != 0 && (n.HoldTime < 3*time.Second || n.Keepalive <= 0 || n.Keepalive >= n.HoldTime) {
				t.Fatalf("bad timers accepted: %+v", n)
			}
		}
		seen := map[netip.Addr]bool{}
		for _, v := range c.VIPs {
			if seen[v.Addr] || !v.Addr.IsValid() {
				t.Fatalf("vip %v twice or invalid", v)
			}
			seen[v.Addr] = true
		}
	})
}
