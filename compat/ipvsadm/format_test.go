package ipvsadm

import (
	"bytes"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/internal/ipvs"
)

func TestLargenum(t *testing.T) {
	cases := []struct {
		n          uint64
		abbr, full string
	}{
		{0, "        0", "        0"},
		{99999999, " 99999999", " 99999999"},
		{100000000, "  100000K", " 100000000"},
		{123456789, "  123456K", " 123456789"},
		{1234567890, "    1234M", " 1234567890"},
		{99999999999, "   99999M", " 99999999999"},
		{12345678901234, "   12345G", " 12345678901234"},
		{123456789012345, "     123T", " 123456789012345"},
		{18446744073709551615, "18446744T", " 18446744073709551615"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		p := &Printer{W: &b}
		p.largenum(c.n, 0)
		if b.String() != c.abbr {
			t.Errorf("%d: %q, want %q", c.n, b.String(), c.abbr)
		}
		b.Reset()
		p.largenum(c.n, FmtExact)
		if b.String() != c.full {
			t.Errorf("%d exact: %q, want %q", c.n, b.String(), c.full)
		}
	}
}

func TestStatsAndRateLines(t *testing.T) {
	svc := ipvs.ServiceInfo{
		Service: ipvs.Service{Key: ipvs.ServiceKey{Family: ipvs.FamilyIPv4, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("192.0.2.10"), Port: 80}, Scheduler: "rr", Netmask: 0xffffffff},
		Stats:   ipvs.Stats{Conns: 123456789, InPkts: 5, OutPkts: 6, InBytes: 1234567890123, OutBytes: 7, CPS: 1, InPPS: 2, OutPPS: 3, InBPS: 400000000, OutBPS: 5},
	}
	dest := ipvs.DestinationInfo{
		Destination: ipvs.Destination{Key: ipvs.DestKey{Addr: netip.MustParseAddr("198.51.100.1"), Port: 80}, Forward: ipvs.Route, Weight: 1},
		Stats:       ipvs.Stats{Conns: 1, CPS: 123456789, InPPS: 2, OutPPS: 3, InBPS: 123456789, OutBPS: 0},
	}
	cases := []struct {
		f    Format
		want string
	}{
		{FmtNumeric | FmtStats, "" +
			"TCP  192.0.2.10:80                 123456K        5        6    1234G        7\n" +
			"  -> 198.51.100.1:80                     1        0        0        0        0\n"},
		{FmtNumeric | FmtStats | FmtExact, "" +
			"TCP  192.0.2.10:80                123456789        5        6 1234567890123        7\n" +
			"  -> 198.51.100.1:80                     1        0        0        0        0\n"},
		{FmtNumeric | FmtRate, "" +
			"TCP  192.0.2.10:80                       1        2        3  400000K        5\n" +
			"  -> 198.51.100.1:80              123456789        2        3  123456K        0\n"},
	}
	for _, c := range cases {
		var b bytes.Buffer
		p := &Printer{W: &b, R: NoResolver{}}
		p.ServiceEntry(svc, []ipvs.DestinationInfo{dest}, c.f)
		if diff := cmp.Diff(c.want, b.String()); diff != "" {
			t.Errorf("format %#x (-want +got):\n%s", c.f, diff)
		}
	}
}

// TestSortWraps: libipvs compares addresses by subtracting them as unsigned 32-bit
// numbers into an int, so addresses 2^31 or more apart sort "backwards"; ipvsadm's
// listing order follows, and so must ours.
func TestSortWraps(t *testing.T) {
	mk := func(a string, port uint16) ipvs.ServiceInfo {
		return ipvs.ServiceInfo{Service: ipvs.Service{Key: ipvs.ServiceKey{Family: ipvs.FamilyIPv4, Protocol: ipvs.TCP, Addr: netip.MustParseAddr(a), Port: port}}}
	}
	s := []ipvs.ServiceInfo{mk("10.0.0.1", 80), mk("200.0.0.1", 80), mk("10.0.0.1", 22), {Service: ipvs.Service{Key: ipvs.ServiceKey{Family: ipvs.FamilyIPv4, FWMark: 3}}}}
	SortServices(s)
	var got []string
	for _, x := range s {
		if x.Key.FWMark != 0 {
			got = append(got, "fwm")
			continue
		}
		got = append(got, netip.AddrPortFrom(x.Key.Addr, x.Key.Port).String())
	}
	want := []string{"200.0.0.1:80", "10.0.0.1:22", "10.0.0.1:80", "fwm"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
}

func TestDaemonsLine(t *testing.T) {
	var b bytes.Buffer
	p := &Printer{W: &b}
	p.Daemons([]ipvs.SyncDaemon{
		{State: ipvs.DaemonMaster, McastIfn: "eth0", SyncID: 1},
		{State: ipvs.DaemonBackup, McastIfn: "lo", SyncID: 7, SyncMaxLen: 1400, McastGroup: netip.MustParseAddr("ff02::1"), McastPort: 8848, McastTTL: 2},
	})
	want := "master sync daemon (mcast=eth0, syncid=1)\n" +
		"backup sync daemon (mcast=lo, syncid=7, maxlen=1400, group=ff02::1, port=8848, ttl=2)\n"
	if b.String() != want {
		t.Errorf("got:\n%s", b.String())
	}
}
