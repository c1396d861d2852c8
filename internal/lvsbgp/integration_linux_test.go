//go:build linux

package lvsbgp

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/ipvs"
	"github.com/lvskit/lvskit/internal/netnstest"
)

// speakerEnv, set, makes the test binary an lvs-bgp whose IPVS table is an ipvs.Fake
// filled from the file it names at every read: "up" is a service on the VIP with one
// real server of weight 1, anything else an empty table. The host has no IPVS, and a
// process of its own per director is what a kill -9 needs.
const speakerEnv = "LVSBGP_TEST_TABLE"

func TestMain(m *testing.M) {
	if path := os.Getenv(speakerEnv); path != "" {
		env := RealEnv()
		env.OpenIPVS = func() (TableReader, error) { return fileTable(path), nil }
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr, env))
	}
	os.Exit(m.Run())
}

type fileTable string

func (f fileTable) fake(ctx context.Context) (*ipvs.Fake, error) {
	fk := ipvs.NewFake()
	b, err := os.ReadFile(string(f))
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(string(b)) == "up" {
		k := ipvs.ServiceKey{Family: ipvs.FamilyIPv4, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.0.0.100"), Port: 80}
		if err := fk.AddService(ctx, ipvs.Service{Key: k, Scheduler: "wlc"}); err != nil {
			return nil, err
		}
		d := ipvs.Destination{Key: ipvs.DestKey{Addr: netip.MustParseAddr("192.168.7.1"), Port: 80}, Family: ipvs.FamilyIPv4, Forward: ipvs.Route, Weight: 1}
		if err := fk.AddDestination(ctx, k, d); err != nil {
			return nil, err
		}
	}
	return fk, nil
}

func (f fileTable) Services(ctx context.Context) ([]ipvs.ServiceInfo, error) {
	fk, err := f.fake(ctx)
	if err != nil {
		return nil, err
	}
	return fk.Services(ctx)
}

func (f fileTable) Destinations(ctx context.Context, k ipvs.ServiceKey) ([]ipvs.DestinationInfo, error) {
	fk, err := f.fake(ctx)
	if err != nil {
		return nil, err
	}
	return fk.Destinations(ctx, k)
}

const birdConf = `router id 10.0.0.1;
log "%s" all;
protocol device { scan time 1; }
protocol kernel {
	ipv4 { export all; import none; };
	merge paths on;
}
template bgp director {
	local 10.0.0.1 as 65000;
	passive on;
	hold time 3;
	keepalive time 1;
	ipv4 { import all; export none; };
}
`

type director struct {
	name  string
	addr  string
	ns    *netnstest.NS
	table string
	cmd   *exec.Cmd
	log   string
	done  chan error
}

// TestIntegrationBIRD: three directors' lvs-bgp announce 10.0.0.100 to one BIRD 2
// router, which installs an ECMP route; health, kill -9 and SIGTERM take each path
// out within their bounds.
func TestIntegrationBIRD(t *testing.T) {
	netnstest.Require(t)
	for _, p := range []string{"bird", "birdc"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not installed (scripts/install-test-deps.sh installs BIRD 2)", p)
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	router := netnstest.New(t)
	br := netnstest.Bridge(t, router, "br0")
	br.AddAddr(t, "10.0.0.1/24")

	conf := fmt.Sprintf(birdConf, filepath.Join(dir, "bird.log"))
	var ds []*director
	for i := 1; i <= 3; i++ {
		d := &director{name: fmt.Sprintf("d%d", i), addr: fmt.Sprintf("10.0.0.1%d", i), ns: netnstest.New(t)}
		eth0, port := netnstest.Veth(t, d.ns, "eth0", router, "port"+d.name)
		port.SetMaster(t, br)
		eth0.AddAddr(t, d.addr+"/24")
		conf += fmt.Sprintf("protocol bgp %s from director { neighbor %s as 65011; }\n", d.name, d.addr)
		ds = append(ds, d)
	}
	birdPath, sock := filepath.Join(dir, "bird.conf"), filepath.Join(dir, "bird.ctl")
	if err := os.WriteFile(birdPath, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	bird := router.Command("bird", "-f", "-c", birdPath, "-s", sock)
	if out, err := router.Run("bird", "-p", "-c", birdPath); err != nil {
		t.Fatalf("bird -p: %v\n%s", err, out)
	}
	if err := bird.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { bird.Process.Kill(); bird.Wait() })

	const drain = 2 * time.Second
	for _, d := range ds {
		d.table = filepath.Join(dir, d.name+".table")
		d.log = filepath.Join(dir, d.name+".log")
		cf := filepath.Join(dir, d.name+".conf")
		os.WriteFile(d.table, []byte("up\n"), 0o644)
		os.WriteFile(cf, []byte(fmt.Sprintf("router-id %s\nlocal-as 65011\nneighbor 10.0.0.1 remote-as 65000 hold-time 3 keepalive 1\nvip 10.0.0.100 port 80 tcp\ncheck-interval 1s\ndrain-time %v\n", d.addr, drain)), 0o644)
		logf, err := os.Create(d.log)
		if err != nil {
			t.Fatal(err)
		}
		d.cmd = d.ns.Command(self, "--foreground", "-f", cf, "--socket", filepath.Join(dir, d.name+".sock"))
		d.cmd.Env = append(os.Environ(), speakerEnv+"="+d.table)
		d.cmd.Stdout, d.cmd.Stderr = logf, logf
		if err := d.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		d.done = make(chan error, 1)
		go func() { d.done <- d.cmd.Wait(); logf.Close() }()
	}
	t.Cleanup(func() {
		for _, d := range ds {
			d.cmd.Process.Kill()
			<-d.done
		}
		if t.Failed() {
			for _, d := range ds {
				b, _ := os.ReadFile(d.log)
				t.Logf("%s's log:\n%s", d.name, b)
			}
			b, _ := os.ReadFile(filepath.Join(dir, "bird.log"))
			t.Logf("bird's log:\n%s", b)
			out, _ := router.Run("birdc", "-s", sock, "show", "protocols")
			t.Logf("birdc show protocols:\n%s", out)
		}
	})

	via := regexp.MustCompile(`via (10\.0\.0\.\d+)`)
	hops := func() []string {
		out, _ := router.Run("ip", "route", "show", "10.0.0.100")
		var l []string
		for _, m := range via.FindAllStringSubmatch(string(out), -1) {
			l = append(l, m[1])
		}
		slices.Sort(l)
		return l
	}
	// waitHops polls the router's kernel route until its next hops are want, for at
	// most limit, and returns how long that took.
	waitHops := func(what string, limit time.Duration, want ...string) time.Duration {
		t.Helper()
		start := time.Now()
		for {
			got := hops()
			if slices.Equal(got, want) {
				el := time.Since(start)
				t.Logf("%s: next hops %v after %v", what, want, el.Round(10*time.Millisecond))
				return el
			}
			if time.Since(start) > limit {
				t.Fatalf("%s: next hops %v after %v, want %v", what, got, limit, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	// (a) every healthy director's path: three next hops.
	waitHops("start", 30*time.Second, "10.0.0.11", "10.0.0.12", "10.0.0.13")
	if out, err := router.Run("birdc", "-s", sock, "show", "route", "for", "10.0.0.100", "all"); err != nil || strings.Count(string(out), "BGP.as_path: 65011") != 3 {
		t.Errorf("birdc show route: %v\n%s", err, out)
	}

	// (b) d3's table loses its last real server: withdrawn within check-interval + 1 s.
	os.WriteFile(ds[2].table, []byte("empty\n"), 0o644)
	if el := waitHops("d3 unhealthy", 10*time.Second, "10.0.0.11", "10.0.0.12"); el > 2*time.Second {
		t.Errorf("d3 withdrawn after %v, want within check-interval + 1 s = 2s", el)
	}

	// ... and announced again once it has one.
	os.WriteFile(ds[2].table, []byte("up\n"), 0o644)
	waitHops("d3 healthy again", 10*time.Second, "10.0.0.11", "10.0.0.12", "10.0.0.13")

	// (c) a director that dies without its kernel closing the session (power, panic,
	// a hung host; here SIGSTOP): the router drops its path hold-time after the last
	// keepalive, 3 s, + 1 s slack.
	ds[2].cmd.Process.Signal(syscall.SIGSTOP)
	if el := waitHops("d3 frozen", 15*time.Second, "10.0.0.11", "10.0.0.12"); el > 4*time.Second {
		t.Errorf("d3's path dropped %v after it froze, want within hold time 3 s + 1 s", el)
	}
	ds[2].cmd.Process.Signal(syscall.SIGKILL)

	// kill -9 of d2: its kernel closes the TCP session at once, so the router drops
	// the path at once; the hold time bounds it anyway.
	ds[1].cmd.Process.Signal(syscall.SIGKILL)
	if el := waitHops("d2 killed (kill -9)", 15*time.Second, "10.0.0.11"); el > 4*time.Second {
		t.Errorf("d2's path dropped %v after kill -9, want within hold time 3 s + 1 s", el)
	}

	// (d) SIGTERM of d1: withdrawn before it exits, and it waits drain-time.
	start := time.Now()
	ds[0].cmd.Process.Signal(syscall.SIGTERM)
	var withdrawn, exited time.Duration
	for withdrawn == 0 || exited == 0 {
		if withdrawn == 0 && len(hops()) == 0 {
			withdrawn = time.Since(start)
		}
		select {
		case <-ds[0].done:
			exited = time.Since(start)
			ds[0].done <- nil // for the cleanup
			if withdrawn == 0 {
				t.Fatalf("d1 exited after %v with its path still at the router", exited)
			}
		default:
		}
		if time.Since(start) > 20*time.Second {
			t.Fatalf("SIGTERM: withdrawn after %v, exited after %v (0: not yet) within 20s", withdrawn, exited)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("SIGTERM: path gone at the router after %v, process exited after %v (drain-time %v)", withdrawn.Round(10*time.Millisecond), exited.Round(10*time.Millisecond), drain)
	if exited-withdrawn < drain-500*time.Millisecond {
		t.Errorf("exited %v after the withdrawal, want about drain-time %v", exited-withdrawn, drain)
	}
	if h := hops(); len(h) != 0 {
		t.Errorf("after d1 exited the router still has %v", h)
	}
}
