package interop

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/netnstest"
)

// Original binaries (Debian's heartbeat 1:3.0.6).
const (
	HeartbeatBin = "/usr/libexec/heartbeat/heartbeat"
	ClStatusBin  = "/usr/bin/cl_status"
)

// Require skips t unless it can make network namespaces (netnstest.Require) and has
// the tools the harness needs.
func Require(t testing.TB, needHeartbeat bool) {
	t.Helper()
	netnstest.Require(t)
	tools := []string{"unshare", "nsenter"}
	if needHeartbeat {
		tools = append(tools, HeartbeatBin, ClStatusBin, "tcpdump")
	}
	for _, c := range tools {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s not installed (scripts/install-test-deps.sh installs it): %v", c, err)
		}
	}
}

// Pair is two network namespaces joined by a veth pair whose ends are both
// called Iface ("eth0", as in the manual's ha.cf), with Addr[0] and Addr[1]
// on a /24 whose broadcast address is Bcast.
type Pair struct {
	NS    [2]*netnstest.NS
	Addr  [2]netip.Addr
	Addr6 [2]netip.Addr // beside Addr, /64, for the IPv6 media
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

// NewPair creates the two namespaces and the link between them, up with
// carrier; they are deleted (with every process still in them) when the
// test ends.
func NewPair(t testing.TB) *Pair {
	t.Helper()
	p := &Pair{
		NS:    [2]*netnstest.NS{netnstest.New(t), netnstest.New(t)},
		Addr:  [2]netip.Addr{netip.MustParseAddr("10.200.6.1"), netip.MustParseAddr("10.200.6.2")},
		Addr6: [2]netip.Addr{netip.MustParseAddr("fd00:200:6::1"), netip.MustParseAddr("fd00:200:6::2")},
		Bcast: netip.MustParseAddr("10.200.6.255"),
		Iface: "eth0",
	}
	a, b := netnstest.Veth(t, p.NS[0], p.Iface, p.NS[1], p.Iface)
	for i, l := range []netnstest.Link{a, b} {
		l.AddAddr(t, p.Addr[i].String()+"/24") // broadcast p.Bcast
		l.AddAddr(t, p.Addr6[i].String()+"/64")
	}
	return p
}
