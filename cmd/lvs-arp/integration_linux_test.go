//go:build linux

package main

import (
	"bufio"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/netnstest"
)

// build builds lvs-arp for the test.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "lvs-arp")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestIntegrationNetns runs the built command in a fresh network namespace with an
// eth0, both ways, and reads back what the kernel holds (root; skipped otherwise).
func TestIntegrationNetns(t *testing.T) {
	ns := netnstest.New(t)
	bin := build(t)
	in := func(args ...string) (string, error) {
		out, err := ns.Run(args...)
		return string(out), err
	}
	// Made here rather than by netnstest.Veth: both ends stay down until the announcement.
	if out, err := in("ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth1"); err != nil {
		t.Skipf("no veth here: %v\n%s", err, out)
	}
	sysctl := func(name string) string {
		out, _ := in("cat", "/proc/sys/net/ipv4/conf/"+strings.ReplaceAll(name, ".", "/"))
		return strings.TrimSpace(out)
	}
	if out, err := in(bin, "realserver", "-i", "eth0", "--vip", "10.9.9.9"); err != nil {
		t.Fatalf("realserver: %v\n%s", err, out)
	}
	for name, want := range map[string]string{"all.arp_ignore": "1", "all.arp_announce": "2", "eth0.arp_ignore": "1", "eth0.arp_announce": "2", "lo.arp_ignore": "1"} {
		if got := sysctl(name); got != want {
			t.Errorf("after realserver: %s = %q, want %s", name, got, want)
		}
	}
	if out, _ := in("ip", "-o", "-4", "addr", "show", "dev", "lo"); !strings.Contains(out, "10.9.9.9/32") || !strings.Contains(out, "lo:0") {
		t.Errorf("VIP not on lo as lo:0:\n%s", out)
	}
	if out, err := in(bin, "status", "--vip", "10.9.9.9"); err != nil || !strings.HasSuffix(out, "role: realserver\n") {
		t.Errorf("status: %v\n%s", err, out)
	}
	if out, err := in(bin, "director", "-i", "eth0", "--vip", "10.9.9.9"); err != nil {
		t.Fatalf("director: %v\n%s", err, out)
	}
	for _, name := range []string{"all.arp_ignore", "all.arp_announce", "eth0.arp_ignore", "eth0.arp_announce"} {
		if got := sysctl(name); got != "0" {
			t.Errorf("after director: %s = %q, want 0", name, got)
		}
	}
	if out, _ := in("ip", "-o", "-4", "addr", "show", "dev", "lo"); strings.Contains(out, "10.9.9.9") {
		t.Errorf("VIP left on lo:\n%s", out)
	}

	// announce: the first pair from the command, the second from its detached copy,
	// as seen on the veth's other end.
	if _, err := exec.LookPath("tcpdump"); err != nil {
		t.Log("tcpdump not installed: announce not checked on the wire")
		return
	}
	in("ip", "link", "set", "eth0", "up")
	in("ip", "link", "set", "eth1", "up")
	in("ip", "addr", "add", "10.9.9.9/32", "dev", "eth0")
	capture := ns.Command("timeout", "10", "tcpdump", "-n", "-l", "-i", "eth1", "-c", "4", "arp")
	var got strings.Builder
	capture.Stdout = &got
	stderr, err := capture.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := capture.Start(); err != nil {
		t.Fatal(err)
	}
	// tcpdump says "listening on eth1" once it captures.
	listening := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening on") {
				listening <- true
			}
		}
		close(listening)
	}()
	select {
	case ok := <-listening:
		if !ok {
			t.Fatal("tcpdump ended without capturing")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("tcpdump did not start capturing within 10s")
	}
	if out, err := in(bin, "announce", "-i", "eth0", "--vip", "10.9.9.9", "--count", "2", "--interval", "300ms"); err != nil {
		t.Fatalf("announce: %v\n%s", err, out)
	}
	capture.Wait()
	if n := strings.Count(got.String(), "10.9.9.9"); n < 4 {
		t.Errorf("saw %d ARP packets for the VIP, want 4 (2 request/reply pairs):\n%s", n, got.String())
	}
}
