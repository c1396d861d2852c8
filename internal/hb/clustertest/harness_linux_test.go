package clustertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/hb/interop"
	"github.com/lvskit/lvskit/internal/lvsbgp"
	"github.com/lvskit/lvskit/internal/lvsbgp/lvsbgptest"
	"github.com/lvskit/lvskit/internal/netnstest"
)

// heartbeatdBin and mondBin are built once by TestMain when the tests can run.
var heartbeatdBin, mondBin string

func TestMain(m *testing.M) {
	// With lvsbgptest.TableEnv set the test binary is an lvs-bgp over a file-fed IPVS
	// table: TestBGPPair's speakers, and the lvs-bgp its bgp resource script calls.
	if path := os.Getenv(lvsbgptest.TableEnv); path != "" {
		env := lvsbgp.RealEnv()
		env.OpenIPVS = func() (lvsbgp.TableReader, error) { return lvsbgptest.FileTable(path), nil }
		os.Exit(lvsbgp.Main(os.Args[1:], os.Stdout, os.Stderr, env))
	}
	code := func() int {
		if os.Geteuid() == 0 {
			dir, err := os.MkdirTemp("", "heartbeatd-bin")
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			defer os.RemoveAll(dir)
			_ = os.Chmod(dir, 0o755)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
			defer cancel()
			// One go build for both: -o names a directory.
			cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+"/", "github.com/lvskit/lvskit/cmd/heartbeatd", "github.com/lvskit/lvskit/cmd/mond")
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "go build heartbeatd mond: %v\n%s", err, out)
				return 1
			}
			heartbeatdBin, mondBin = filepath.Join(dir, "heartbeatd"), filepath.Join(dir, "mond")
		}
		return m.Run()
	}()
	os.Exit(code)
}

// VIP is the service address of the tests' resource group.
const VIP = "10.200.6.100"

// Timers every test uses (ms units as heartbeat accepts them): deadtime 2 s.
const (
	Keepalive = "200ms"
	Deadtime  = 2 * time.Second
)

// haCF is the ha.cf both kinds of node get: the manual's shape (ucast, udpport 1001,
// node lines) with short timers.
func haCF(p *interop.Pair, self int, failback string, extra ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "keepalive %s\nwarntime 1\ndeadtime %d\ninitdead 4\nudpport %d\n", Keepalive, int(Deadtime/time.Second), interop.Port)
	fmt.Fprintf(&b, "ucast %s %s\n", p.Iface, p.Addr[1-self])
	fmt.Fprintf(&b, "auto_failback %s\nnode lvs1\nnode lvs2\ncrm off\n", failback)
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	return b.String()
}

const authkeysSHA1 = "auth 1\n1 sha1 doss123\n"

// haresources: the VIP through IPaddr2 (the original's IPaddr agent fails inside a
// namespace: it times out on its interface probing), then the recording script.
const haresources = "lvs1 IPaddr2::" + VIP + "/24/eth0 rec\n"

// ourNode is one heartbeatd in a namespace.
type ourNode struct {
	t    *testing.T
	name string
	ns   *netnstest.NS
	dir  string   // conf/ (config dir), state/, run/, ha-log, out
	more []string // more heartbeatd arguments (e.g. --http)
	cmd  *exec.Cmd
	done chan struct{}
}

func (n *ourNode) conf() string   { return filepath.Join(n.dir, "conf") }
func (n *ourNode) runDir() string { return filepath.Join(n.dir, "run") }
func (n *ourNode) recLog() string { return filepath.Join(n.dir, "rec.log") }
func (n *ourNode) logText() string {
	b, _ := os.ReadFile(filepath.Join(n.dir, "ha-log"))
	return string(b)
}

// newOurNode writes the node's files; start runs it.
func newOurNode(t *testing.T, ns *netnstest.NS, name, hacf string) *ourNode {
	t.Helper()
	if heartbeatdBin == "" {
		t.Skip("heartbeatd not built (needs root)")
	}
	n := &ourNode{t: t, name: name, ns: ns, dir: filepath.Join(t.TempDir(), name)}
	for _, d := range []string{"conf/resource.d", "state", "run"} {
		if err := os.MkdirAll(filepath.Join(n.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	hacf = "logfile " + filepath.Join(n.dir, "ha-log") + "\ndebugfile " + filepath.Join(n.dir, "ha-debug") + "\n" + hacf
	files := map[string]string{"ha.cf": hacf, "authkeys": authkeysSHA1, "haresources": haresources}
	for f, body := range files {
		if err := os.WriteFile(filepath.Join(n.conf(), f), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(n.conf(), "resource.d", "rec"), []byte(interop.Recorder(n.recLog())), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.kill9)
	return n
}

func (n *ourNode) args(extra ...string) []string {
	return append([]string{"--node", n.name, "--config-dir", n.conf(), "--state-dir", filepath.Join(n.dir, "state"),
		"--run-dir", n.runDir()}, extra...)
}

// start runs heartbeatd -f in the node's namespace.
func (n *ourNode) start() {
	n.t.Helper()
	out, err := os.OpenFile(filepath.Join(n.dir, "out"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		n.t.Fatal(err)
	}
	defer out.Close()
	n.cmd = n.ns.Command(heartbeatdBin, append([]string{"-f"}, n.args(n.more...)...)...)
	n.cmd.Stdout, n.cmd.Stderr = out, out
	if err := n.cmd.Start(); err != nil {
		n.t.Fatal(err)
	}
	n.done = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(n.cmd, n.done)
	waitFor(n.t, 15*time.Second, n.name+" control socket", func() bool {
		_, code := n.query("cl_status", "hbstatus")
		return code == 0
	})
}

// query runs "heartbeatd cl_status|standby|takeover ..." in the namespace.
func (n *ourNode) query(args ...string) (string, int) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := n.ns.CommandContext(ctx, heartbeatdBin, append([]string{"--run-dir", n.runDir()}, args...)...)
	var b bytes.Buffer
	cmd.Stdout, cmd.Stderr = &b, &b
	err := cmd.Run()
	code := 0
	if err != nil {
		code = -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
	}
	return strings.TrimSpace(b.String()), code
}

// kill9 kills the daemon as a crash would (nothing is released).
func (n *ourNode) kill9() {
	if n.cmd == nil || n.cmd.Process == nil {
		return
	}
	select {
	case <-n.done:
	default:
		_ = n.cmd.Process.Kill()
		select {
		case <-n.done:
		case <-time.After(10 * time.Second):
			n.t.Errorf("%s: heartbeatd did not die after SIGKILL", n.name)
		}
	}
	// "ip netns exec" execs the daemon in its own process: the pid killed is
	// heartbeatd's.
	n.cmd = nil
}

// stop is heartbeatd -k.
func (n *ourNode) stop() {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := n.ns.CommandContext(ctx, heartbeatdBin, n.args("-k")...).CombinedOutput()
	if err != nil {
		n.t.Fatalf("%s: heartbeatd -k: %v: %s", n.name, err, out)
	}
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		n.t.Fatalf("%s: still running after -k", n.name)
	}
	n.cmd = nil
}

// crashCleanup makes the namespace look like a rebooted machine after a kill -9: the
// VIP and the recorder's "running" marker are gone.
func crashCleanup(t *testing.T, ns *netnstest.NS, recLog string) {
	t.Helper()
	_, _ = exec.Command("ip", "-n", ns.Name, "addr", "del", VIP+"/24", "dev", "eth0").CombinedOutput()
	_ = os.Remove(recLog + ".on")
}

// hasVIP reports whether namespace ns has the VIP.
func hasVIP(ns *netnstest.NS) bool {
	out, err := exec.Command("ip", "-n", ns.Name, "-o", "-4", "addr", "show").CombinedOutput()
	return err == nil && strings.Contains(string(out), " "+VIP+"/")
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// within reports whether cond holds before timeout passes.
func within(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// owner says which namespaces hold the VIP: "a", "b", "ab" or "".
func owner(p *interop.Pair) string {
	s := ""
	for i, l := range []string{"a", "b"} {
		if hasVIP(p.NS[i]) {
			s += l
		}
	}
	return s
}

// every runs sample every 100 ms, for at most 10 minutes, until the returned stop is
// called; stop returns once the last sample is done, so what sample wrote can be read
// without a lock.
func every(sample func()) (stop func()) {
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 6000; i++ {
			sample()
			select {
			case <-quit:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() { close(quit); <-done }
}

// sampler watches two namespaces every 100 ms and records the longest time both held
// the VIP at once.
type sampler struct {
	since   time.Time
	longest time.Duration
	samples int
	stop    func()
}

func startSampler(ns [2]*netnstest.NS) *sampler {
	s := &sampler{}
	s.stop = every(func() {
		both := hasVIP(ns[0]) && hasVIP(ns[1])
		now := time.Now()
		s.samples++
		switch {
		case both && s.since.IsZero():
			s.since = now
		case both:
			s.longest = max(s.longest, now.Sub(s.since))
		default:
			s.since = time.Time{}
		}
	})
	return s
}

func (s *sampler) end() (time.Duration, int) {
	s.stop()
	return s.longest, s.samples
}
