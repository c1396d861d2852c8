// Package netnstest is the tests' one way to make network namespaces.
//
// New makes a named namespace (it shows in "ip netns list", so "ip -n NAME" and
// "ip netns exec NAME" reach it) with lo up; Do runs a function on an OS thread switched
// into it, so that the sockets it opens live there; Command and Run start programs in
// it; Veth, Bridge and Link's methods wire namespaces together through netlink. All of
// it goes away when the test ends: processes left in a namespace are killed, then the
// namespace is deleted; a veth end or bridge in the test's own namespace is deleted too.
// (A test process that dies without its cleanups, on go test's -timeout say, leaves its
// namespaces in "ip netns list", named after its pid.)
//
// It needs root and ip(8); Require (which New calls) skips a test that cannot have
// them, or that runs with -short. Off Linux New skips the test, and Veth, Bridge, Link,
// Pids and KillAll do not exist.
package netnstest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// Prefix starts the name of every namespace New makes; the process id and a counter
// follow ("lvskit-nst-4242-3").
const Prefix = "lvskit-nst-"

// RunTimeout bounds a command started by Run.
const RunTimeout = 20 * time.Second

var (
	probeOnce sync.Once
	probeWhy  string
)

// Unavailable says why this process cannot make network namespaces ("" when it can):
// not root, no ip(8), not Linux, or the kernel refuses. It does not look at -short.
func Unavailable() string {
	probeOnce.Do(func() {
		switch {
		case os.Geteuid() != 0:
			probeWhy = "needs root: creates network namespaces"
		default:
			if _, err := exec.LookPath("ip"); err != nil {
				probeWhy = "needs ip(8) from iproute2 (scripts/install-test-deps.sh installs it)"
			} else {
				probeWhy = probe()
			}
		}
	})
	return probeWhy
}

// Require skips t when it runs with -short or when Unavailable has a reason.
func Require(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: network namespace tests skipped")
	}
	if why := Unavailable(); why != "" {
		t.Skip(why)
	}
}

// Command is exec.Command for a program run in n by "ip netns exec", which execs it
// (the process started is the program itself) with the namespace's /sys.
func (n *NS) Command(name string, arg ...string) *exec.Cmd {
	return exec.Command("ip", n.execArgs(name, arg)...)
}

// CommandContext is Command with a context, as exec.CommandContext.
func (n *NS) CommandContext(ctx context.Context, name string, arg ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", n.execArgs(name, arg)...)
}

func (n *NS) execArgs(name string, arg []string) []string {
	return append([]string{"netns", "exec", n.Name, name}, arg...)
}

// Run runs argv in n, bounded by RunTimeout, and returns its combined output; an error
// names the command and carries the output.
func (n *NS) Run(argv ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), RunTimeout)
	defer cancel()
	out, err := n.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("in %s: %s: %w: %s", n.Name, strings.Join(argv, " "), err, bytes.TrimSpace(out))
	}
	return out, nil
}

// String is the namespace's name.
func (n *NS) String() string { return n.Name }
