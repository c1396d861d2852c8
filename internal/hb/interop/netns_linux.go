package interop

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Original binaries (Debian's heartbeat 1:3.0.6).
const (
	HeartbeatBin = "/usr/libexec/heartbeat/heartbeat"
	ClStatusBin  = "/usr/bin/cl_status"
)

// Require skips t unless it runs as root with the tools the harness needs.
func Require(t testing.TB, needHeartbeat bool) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates network namespaces")
	}
	tools := []string{"ip", "unshare", "nsenter"}
	if needHeartbeat {
		tools = append(tools, HeartbeatBin, ClStatusBin, "tcpdump")
	}
	for _, c := range tools {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s not installed (scripts/install-test-deps.sh installs it): %v", c, err)
		}
	}
}

var nsCounter atomic.Int64

// Pair is two network namespaces joined by a veth pair whose ends are both
// called Iface ("eth0", as in the manual's ha.cf), with Addr[0] and Addr[1]
// on a /24 whose broadcast address is Bcast.
type Pair struct {
	NS    [2]string
	Addr  [2]netip.Addr
	Bcast netip.Addr
	Iface string
}

// Run runs a command with a bounded time and returns its combined output.
func Run(ctx context.Context, argv ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, bytes.TrimSpace(out))
	}
	return out, nil
}

// NewPair creates the two namespaces and the link between them; they are
// deleted (with every process still in them) when the test ends.
func NewPair(t testing.TB) *Pair {
	t.Helper()
	n := nsCounter.Add(1)
	base := "lvskit-hb" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(n, 10)
	p := &Pair{
		NS:    [2]string{base + "a", base + "b"},
		Addr:  [2]netip.Addr{netip.MustParseAddr("10.200.6.1"), netip.MustParseAddr("10.200.6.2")},
		Bcast: netip.MustParseAddr("10.200.6.255"),
		Iface: "eth0",
	}
	ctx := context.Background()
	vA, vB := "hbv"+strconv.Itoa(os.Getpid()%100000)+"a"+strconv.FormatInt(n, 10), "hbv"+strconv.Itoa(os.Getpid()%100000)+"b"+strconv.FormatInt(n, 10)
	t.Cleanup(func() { p.destroy() })
	steps := [][]string{
		{"ip", "netns", "add", p.NS[0]},
		{"ip", "netns", "add", p.NS[1]},
		{"ip", "link", "add", vA, "type", "veth", "peer", "name", vB},
		{"ip", "link", "set", vA, "netns", p.NS[0]},
		{"ip", "link", "set", vB, "netns", p.NS[1]},
		{"ip", "-n", p.NS[0], "link", "set", vA, "name", p.Iface},
		{"ip", "-n", p.NS[1], "link", "set", vB, "name", p.Iface},
	}
	for i := range 2 {
		steps = append(steps,
			[]string{"ip", "-n", p.NS[i], "addr", "add", p.Addr[i].String() + "/24", "brd", p.Bcast.String(), "dev", p.Iface},
			[]string{"ip", "-n", p.NS[i], "link", "set", "lo", "up"},
			[]string{"ip", "-n", p.NS[i], "link", "set", p.Iface, "up"},
		)
	}
	for _, s := range steps {
		if _, err := Run(ctx, s...); err != nil {
			t.Fatalf("namespace setup: %v", err)
		}
	}
	// "link set up" returns before the veth has carrier; broadcasts and
	// multicasts sent before then are silently lost.
	for i := range 2 {
		deadline := time.Now().Add(10 * time.Second)
		for {
			out, err := Run(ctx, "ip", "-n", p.NS[i], "-o", "link", "show", p.Iface)
			if err == nil && strings.Contains(string(out), "state UP") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s in %s never came up: %s %v", p.Iface, p.NS[i], out, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return p
}

func (p *Pair) destroy() {
	for _, ns := range p.NS {
		killNamespace(ns)
		_, _ = Run(context.Background(), "ip", "netns", "del", ns)
	}
}

// killNamespace SIGKILLs every process left in namespace ns (all of them
// were started by this harness for this test).
func killNamespace(ns string) {
	for range 50 {
		out, err := Run(context.Background(), "ip", "netns", "pids", ns)
		if err != nil {
			return
		}
		pids := strings.Fields(string(out))
		if len(pids) == 0 {
			return
		}
		for _, s := range pids {
			if pid, err := strconv.Atoi(s); err == nil && pid > 1 {
				_ = unix.Kill(pid, unix.SIGKILL)
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Do runs fn on a thread switched into namespace ns. Sockets created by fn
// stay in ns after Do returns.
func Do(ns string, fn func() error) error {
	runtime.LockOSThread()
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open own netns: %w", err)
	}
	defer orig.Close()
	target, err := os.Open("/var/run/netns/" + ns)
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("open netns %s: %w", ns, err)
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("setns %s: %w", ns, err)
	}
	ferr := fn()
	if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
		// Leave the thread locked: the runtime discards it when the
		// goroutine exits, so no other goroutine runs in ns by accident.
		return fmt.Errorf("setns back: %w", err)
	}
	runtime.UnlockOSThread()
	return ferr
}

// Exec runs argv inside namespace ns (network only).
func (p *Pair) Exec(ns string, argv ...string) ([]byte, error) {
	return Run(context.Background(), append([]string{"ip", "netns", "exec", ns}, argv...)...)
}
