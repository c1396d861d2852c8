package director

import (
	"context"
	"net/netip"
	"os/exec"
	"strings"
	"testing"

	"github.com/lvskit/lvskit/internal/ipvs"
	"github.com/lvskit/lvskit/vmtest"
)

// guestSetup builds, with the original ipvsadm 1.31, a table the way a site would.
const guestSetup = `
/sbin/ipvsadm -A -t 10.144.43.185:8080 -s rr
/sbin/ipvsadm -a -t 10.144.43.185:8080 -r 10.144.43.175 -w 5 -g
/sbin/ipvsadm -a -t 10.144.43.185:8080 -r 10.144.43.187 -w 5 -g
/sbin/ipvsadm -a -t 10.144.43.185:8080 -r 10.144.43.142 -w 5 -g
/sbin/ipvsadm -A -u 10.144.43.185:53 -s wlc -p 360 -M 255.255.255.0
/sbin/ipvsadm -a -u 10.144.43.185:53 -r 10.144.43.175 -i -w 2 -x 100 -y 10
/sbin/ipvsadm -A -f 9 -s sh -p
/sbin/ipvsadm -a -f 9 -r 10.144.43.142 -m -w 1
/sbin/ipvsadm -A -t [2001:db8::5]:443 -s lc
/sbin/ipvsadm -a -t [2001:db8::5]:443 -r [2001:db8::6]:8443 -m
`

// siteConfig is guestSetup as a Desired state: what the kernel holds after it must
// compare equal to it, or a director restarting over its own table would edit it.
func siteConfig() Desired {
	a := netip.MustParseAddr
	return Desired{Services: []Service{
		manual(),
		{
			Service: ipvs.Service{Key: ipvs.ServiceKey{Protocol: ipvs.UDP, Addr: vip, Port: 53}, Scheduler: "wlc",
				Flags: ipvs.SvcPersistent, Timeout: 360, Netmask: 0xffffff00},
			Dests: []ipvs.Destination{{Key: rs(175, 0), Forward: ipvs.Tunnel, Weight: 2, UThreshold: 100, LThreshold: 10}},
		},
		{
			// ipvsadm's -p without a value: 360 s (IPVS_SVC_PERSISTENT_TIMEOUT).
			Service: ipvs.Service{Key: fwm9, Scheduler: "sh", Flags: ipvs.SvcPersistent, Timeout: 360},
			Dests:   []ipvs.Destination{{Key: rs(142, 0), Forward: ipvs.Masq, Weight: 1}},
		},
		{
			Service: ipvs.Service{Key: ipvs.ServiceKey{Protocol: ipvs.TCP, Addr: a("2001:db8::5"), Port: 443}, Scheduler: "lc"},
			Dests:   []ipvs.Destination{{Key: ipvs.DestKey{Addr: a("2001:db8::6"), Port: 8443}, Forward: ipvs.Masq, Weight: 1}},
		},
	}}
}

// TestIntegrationKernelAdopt runs inside the IPVS VM (go test ./vmtest -run TestVMSuite;
// it skips elsewhere): it reads a table made by ipvsadm 1.31, plans nothing for the same
// configuration, then applies a changed one and checks that the kernel's entries were
// edited, not replaced.
func TestIntegrationKernelAdopt(t *testing.T) {
	vmtest.RequireGuest(t)
	setup := exec.Command("/bin/sh", "-c", "set -e\n"+guestSetup)
	if out, err := setup.CombinedOutput(); err != nil || len(out) > 0 {
		t.Fatalf("ipvsadm 1.31 building the table: %v\n%s", err, out)
	}
	guestAdopt(t)
}

func guestAdopt(t *testing.T) {
	ctx := context.Background()
	c, err := ipvs.OpenKernel()
	if err != nil {
		t.Fatalf("OpenKernel: %v", err)
	}
	defer c.Close()

	cur, err := Read(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	ops, err := Plan(cur, siteConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 0 {
		t.Errorf("the table ipvsadm built from the same configuration needs changes: %q", formatOps(ops))
		for _, s := range cur {
			t.Logf("kernel: %+v", s)
		}
	}

	// A changed configuration: edits and an add, nothing removed.
	want := siteConfig()
	want.Services[0].Service.Scheduler = "wrr"
	want.Services[0].Dests[1].Weight = 0 // quiesce 187
	want.Services[0].Dests = append(want.Services[0].Dests, dr(200, 3))
	want.Services[1].Dests[0].Weight = 7
	ops, err = Apply(ctx, c, want)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	wantOps := []string{
		"-E -t 10.144.43.185:8080 -s wrr",
		"-e -t 10.144.43.185:8080 -r 10.144.43.187:8080 -g -w 0",
		"-a -t 10.144.43.185:8080 -r 10.144.43.200:8080 -g -w 3",
		"-e -u 10.144.43.185:53 -r 10.144.43.175:53 -i -w 7 -x 100 -y 10",
	}
	if got := formatOps(ops); strings.Join(got, "\n") != strings.Join(wantOps, "\n") {
		t.Errorf("ops:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantOps, "\n"))
	}
	cur, err = Read(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := Plan(cur, want); len(again) != 0 {
		t.Errorf("after Apply the kernel still differs: %q", formatOps(again))
	}
	if len(cur) != 4 {
		t.Errorf("%d services after Apply, want 4 (nothing removed)", len(cur))
	}
}
