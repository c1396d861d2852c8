//go:build linux

package lvsbgptest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/netnstest"
)

// The routed network: the router at RouterAddr (AS RouterAS) on a /24, the directors
// in AS DirectorAS.
const (
	RouterAddr  = "10.0.0.1"
	RouterAddr6 = "2001:db8::1" // on the same bridge, /64, with EnableIPv6
	RouterAS    = 65000
	DirectorAS  = 65011
)

// birdConf is the router's config before its neighbors: BIRD dials nobody (passive),
// its hold time is lvs-bgp's default (3 s), and merge paths makes one ECMP kernel route
// of the directors' equal paths.
const birdConf = `router id %[1]s;
log "%[2]s" all;
protocol device { scan time 1; }
protocol kernel {
	ipv4 { export all; import none; };
	merge paths on;
}
template bgp director {
	local %[1]s as %[3]d;
	passive on;
	hold time 3;
	keepalive time 1;
	ipv4 { import all; export none; };%[4]s
}
`

// birdConf6 is what EnableIPv6 adds: the IPv6 unicast family on the same (IPv4)
// sessions, and its kernel table.
const birdConf6 = `
	ipv6 { import all; export none; };`

const birdKernel6 = `protocol kernel kernel6 {
	ipv6 { export all; import none; };
	merge paths on;
}
`

// Router is a BIRD 2 router in a namespace of its own, with bridge br0 (RouterAddr/24)
// that every director's eth0 is a port of: the directors reach each other through it
// too.
type Router struct {
	NS   *netnstest.NS
	Sock string // birdc's socket
	dir  string
	br   netnstest.Link
	conf string // the neighbors
	v6   bool
}

// NewRouter makes the router's namespace and bridge; its files go in dir. It skips the
// test without root (netnstest.Require) or without BIRD 2.
func NewRouter(t testing.TB, dir string) *Router {
	t.Helper()
	netnstest.Require(t)
	for _, p := range []string{"bird", "birdc"} {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("%s not installed (scripts/install-test-deps.sh installs BIRD 2)", p)
		}
	}
	r := &Router{NS: netnstest.New(t), Sock: filepath.Join(dir, "bird.ctl"), dir: dir}
	r.br = netnstest.Bridge(t, r.NS, "br0")
	r.br.AddAddr(t, RouterAddr+"/24")
	return r
}

// EnableIPv6 gives the bridge RouterAddr6/64 and BIRD the IPv6 unicast family on every
// session (multiprotocol BGP over the IPv4 sessions) with an ECMP kernel route per
// prefix, as for IPv4; call it before Start.
func (r *Router) EnableIPv6(t testing.TB) {
	t.Helper()
	r.br.AddAddr(t, RouterAddr6+"/64")
	r.v6 = true
}

func (r *Router) logPath() string { return filepath.Join(r.dir, "bird.log") }

// AddDirector makes a director's namespace, its eth0 at addr/24 a port of the router's
// bridge, and names it to BIRD as neighbor name (AS DirectorAS); call it before Start.
func (r *Router) AddDirector(t testing.TB, name, addr string) *netnstest.NS {
	t.Helper()
	ns := netnstest.New(t)
	eth0, port := netnstest.Veth(t, ns, "eth0", r.NS, "port"+name)
	port.SetMaster(t, r.br)
	eth0.AddAddr(t, addr+"/24")
	r.conf += fmt.Sprintf("protocol bgp %s from director { neighbor %s as %d; }\n", name, addr, DirectorAS)
	return ns
}

// Start checks the config (bird -p) and runs BIRD in the foreground until the test
// ends; if the test failed by then, its log and "show protocols" go to the test's log.
func (r *Router) Start(t testing.TB) {
	t.Helper()
	path := filepath.Join(r.dir, "bird.conf")
	v6, k6 := "", ""
	if r.v6 {
		v6, k6 = birdConf6, birdKernel6
	}
	conf := fmt.Sprintf(birdConf, RouterAddr, r.logPath(), RouterAS, v6) + k6 + r.conf
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := r.NS.Run("bird", "-p", "-c", path); err != nil {
		t.Fatalf("bird -p: %v\n%s", err, out)
	}
	bird := r.NS.Command("bird", "-f", "-c", path, "-s", r.Sock)
	if err := bird.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(r.logPath())
			t.Logf("bird's log:\n%s", b)
			out, _ := r.Birdc("show", "protocols", "all")
			t.Logf("birdc show protocols all:\n%s", out)
			for _, tab := range []string{"master4", "master6"} {
				out, _ = r.Birdc("show", "route", "table", tab, "all")
				t.Logf("birdc show route table %s all:\n%s", tab, out)
			}
		}
		_ = bird.Process.Kill()
		_ = bird.Wait()
	})
}

// Birdc runs birdc on the router's socket.
func (r *Router) Birdc(args ...string) (string, error) {
	out, err := r.NS.Run(append([]string{"birdc", "-s", r.Sock}, args...)...)
	return string(out), err
}

var (
	via  = regexp.MustCompile(`via (10\.0\.0\.\d+)`)
	via6 = regexp.MustCompile(`via (2001:db8::[0-9a-f]+)`)
)

// Hops is the next hops, sorted, of the router's kernel route to VIP ("ip route show
// 10.0.0.100"): what the router forwards the VIP's packets to.
func (r *Router) Hops() []string { return r.hops("-4", VIP.String(), via) }

// Hops6 is Hops for VIP6 ("ip -6 route show 2001:db8::100").
func (r *Router) Hops6() []string { return r.hops("-6", VIP6.String(), via6) }

func (r *Router) hops(family, vip string, re *regexp.Regexp) []string {
	out, _ := r.NS.Run("ip", family, "route", "show", vip)
	var l []string
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		l = append(l, m[1])
	}
	slices.Sort(l)
	return l
}

// WaitHops polls Hops every 20 ms until it is want, for at most limit, logs and returns
// how long that took; after limit it fails the test.
func (r *Router) WaitHops(t testing.TB, what string, limit time.Duration, want ...string) time.Duration {
	t.Helper()
	return r.waitHops(t, what, limit, r.Hops, want)
}

// WaitHops6 is WaitHops for VIP6.
func (r *Router) WaitHops6(t testing.TB, what string, limit time.Duration, want ...string) time.Duration {
	t.Helper()
	return r.waitHops(t, what, limit, r.Hops6, want)
}

func (r *Router) waitHops(t testing.TB, what string, limit time.Duration, hops func() []string, want []string) time.Duration {
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

// Speaker is an lvs-bgp (the test binary re-executed as one, see the package comment)
// running in a director's namespace.
type Speaker struct {
	Name   string
	Table  FileTable // "up" when started
	Conf   string
	Socket string
	Log    string // its standard output and error
	Cmd    *exec.Cmd
	exited chan struct{}
}

// StartSpeaker starts the test binary as lvs-bgp --foreground in ns, with a healthy
// table and a config of router-id addr, local-as DirectorAS, the router as neighbor
// (hold-time 3, keepalive 1), vip VIP port 80 tcp and check-interval 1s, then extra
// lines; its files go in dir, named after name. It is killed when the test ends, and
// its log shown if the test failed.
func StartSpeaker(t testing.TB, ns *netnstest.NS, dir, name, addr string, extra ...string) *Speaker {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := &Speaker{Name: name, Table: FileTable(filepath.Join(dir, name+".table")), Conf: filepath.Join(dir, name+".conf"),
		Socket: filepath.Join(dir, name+".sock"), Log: filepath.Join(dir, name+".log"), exited: make(chan struct{})}
	if err := s.Table.SetUp(true); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf("router-id %s\nlocal-as %d\nneighbor %s remote-as %d hold-time 3 keepalive 1\nvip %s port 80 tcp\ncheck-interval 1s\n",
		addr, DirectorAS, RouterAddr, RouterAS, VIP)
	for _, l := range extra {
		conf += l + "\n"
	}
	if err := os.WriteFile(s.Conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	logf, err := os.Create(s.Log)
	if err != nil {
		t.Fatal(err)
	}
	s.Cmd = ns.Command(self, "--foreground", "-f", s.Conf, "--socket", s.Socket)
	s.Cmd.Env = append(os.Environ(), TableEnv+"="+string(s.Table))
	s.Cmd.Stdout, s.Cmd.Stderr = logf, logf
	if err := s.Cmd.Start(); err != nil {
		logf.Close()
		t.Fatal(err)
	}
	go func() { _ = s.Cmd.Wait(); logf.Close(); close(s.exited) }()
	t.Cleanup(func() {
		_ = s.Cmd.Process.Kill()
		<-s.exited
		if t.Failed() {
			b, _ := os.ReadFile(s.Log)
			t.Logf("%s's lvs-bgp log:\n%s", name, strings.TrimRight(string(b), "\n"))
		}
	})
	return s
}

// Exited is closed once the speaker's process has exited.
func (s *Speaker) Exited() <-chan struct{} { return s.exited }
