// Package lvsbgptest is the namespace tests' lvs-bgp harness, shared by internal/lvsbgp's
// integration test and internal/hb/clustertest's heartbeat-with-BGP test: an IPVS table
// read from a file (so that a test binary re-executed as lvs-bgp has a table to judge
// health by on a host without IPVS), a BIRD 2 router in a network namespace of its own
// with a bridge every director's eth0 is a port of, and lvs-bgp speakers started in the
// directors' namespaces. Only tests import it (internal/archtest holds that rule); it
// does not import internal/lvsbgp, whose own tests use it.
//
// A test binary becomes an lvs-bgp in its TestMain:
//
//	if path := os.Getenv(lvsbgptest.TableEnv); path != "" {
//		env := lvsbgp.RealEnv()
//		env.OpenIPVS = func() (lvsbgp.TableReader, error) { return lvsbgptest.FileTable(path), nil }
//		os.Exit(lvsbgp.Main(os.Args[1:], os.Stdout, os.Stderr, env))
//	}
package lvsbgptest

import (
	"context"
	"net/netip"
	"os"
	"strings"

	"github.com/lvskit/lvskit/internal/ipvs"
)

// TableEnv, set, makes a test binary whose TestMain checks it an lvs-bgp over the
// FileTable it names.
const TableEnv = "LVSBGP_TEST_TABLE"

// VIP and VIP6 are the addresses FileTable's services are on.
var (
	VIP  = netip.MustParseAddr("10.0.0.100")
	VIP6 = netip.MustParseAddr("2001:db8::100")
)

// FileTable is an IPVS table filled from the file it names at every read: "up" is a TCP
// service on VIP port 80 and one on VIP6 port 80, each with one real server of weight
// 1; anything else an empty table.
type FileTable string

// SetUp writes "up" (or, with up false, "empty") to the table's file.
func (f FileTable) SetUp(up bool) error {
	s := "empty\n"
	if up {
		s = "up\n"
	}
	return os.WriteFile(string(f), []byte(s), 0o644)
}

func (f FileTable) fake(ctx context.Context) (*ipvs.Fake, error) {
	fk := ipvs.NewFake()
	b, err := os.ReadFile(string(f))
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(string(b)) == "up" {
		for _, s := range []struct {
			fam       uint16
			mask      uint32
			vip, real netip.Addr
		}{
			{ipvs.FamilyIPv4, 0xffffffff, VIP, netip.MustParseAddr("192.168.7.1")},
			{ipvs.FamilyIPv6, 128, VIP6, netip.MustParseAddr("2001:db8:7::1")},
		} {
			k := ipvs.ServiceKey{Family: s.fam, Protocol: ipvs.TCP, Addr: s.vip, Port: 80}
			if err := fk.AddService(ctx, ipvs.Service{Key: k, Scheduler: "wlc", Netmask: s.mask}); err != nil {
				return nil, err
			}
			d := ipvs.Destination{Key: ipvs.DestKey{Addr: s.real, Port: 80}, Family: s.fam, Forward: ipvs.Route, Weight: 1}
			if err := fk.AddDestination(ctx, k, d); err != nil {
				return nil, err
			}
		}
	}
	return fk, nil
}

// Services is ipvs.Client's.
func (f FileTable) Services(ctx context.Context) ([]ipvs.ServiceInfo, error) {
	fk, err := f.fake(ctx)
	if err != nil {
		return nil, err
	}
	return fk.Services(ctx)
}

// Destinations is ipvs.Client's.
func (f FileTable) Destinations(ctx context.Context, k ipvs.ServiceKey) ([]ipvs.DestinationInfo, error) {
	fk, err := f.fake(ctx)
	if err != nil {
		return nil, err
	}
	return fk.Destinations(ctx, k)
}
