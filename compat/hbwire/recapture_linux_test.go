package hbwire_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/hb/interop"
)

// recapture runs two originals with the given key for a while, with one
// short loss of packets so that retransmission requests are captured too,
// then hb_standby and hb_takeover on lvs1, then stops lvs2 and lvs1.
func recapture(t *testing.T, method, secret, file string) {
	interop.Require(t, true)
	p := interop.NewPair(t)
	names := [2]string{"lvs1", "lvs2"}
	rec := filepath.Join(t.TempDir(), "rec.log")
	_ = os.Chmod(filepath.Dir(rec), 0o777)
	c := interop.StartCapture(t, p.NS[0], p.Iface, interop.Port)
	var nodes [2]*interop.Node
	for i := range 2 {
		nodes[i] = interop.StartHeartbeat(t, p.NS[i], interop.Config{
			Name:        names[i],
			HACF:        interop.HACF(p, i, names, interop.Ucast),
			Authkeys:    interop.Authkeys(method, secret),
			Haresources: "lvs1 rec\n",
			Scripts:     map[string]string{"rec": interop.Recorder(rec)},
		})
	}
	if err := nodes[0].WaitClStatus(30*time.Second, "active", "nodestatus", names[1]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(8 * time.Second) // resource negotiation
	for _, cmd := range [][]string{
		{"nft", "add", "table", "inet", "hbdrop"},
		{"nft", "add", "chain", "inet", "hbdrop", "in", "{ type filter hook input priority 0 ; }"},
		{"nft", "add", "rule", "inet", "hbdrop", "in", "udp", "dport", fmt.Sprint(interop.Port), "drop"},
	} {
		if _, err := p.NS[1].Run(cmd...); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2 * time.Second)
	if _, err := p.NS[1].Run("nft", "delete", "table", "inet", "hbdrop"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	// R1 resource hand-over messages: standby, then take back.
	if out, err := nodes[0].Exec("/usr/share/heartbeat/hb_standby"); err != nil {
		t.Fatalf("hb_standby: %v: %s", err, out)
	}
	time.Sleep(8 * time.Second)
	if out, err := nodes[0].Exec("/usr/share/heartbeat/hb_takeover"); err != nil {
		t.Fatalf("hb_takeover: %v: %s", err, out)
	}
	time.Sleep(8 * time.Second)
	nodes[1].Stop()
	nodes[0].Stop()
	dgs, err := c.Stop()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "# Captured from heartbeat 3.0.6 (Debian) by `go test ./compat/hbwire -run TestCaptured -update`.\n")
	fmt.Fprintf(&b, "# Two nodes lvs1 %s, lvs2 %s, ucast on udp %d, authkeys: %q.\n", p.Addr[0], p.Addr[1], interop.Port, interop.Authkeys(method, secret))
	fmt.Fprintf(&b, "# One line per datagram: source destination payload-in-hex.\n")
	for _, d := range dgs {
		fmt.Fprintf(&b, "%s %s %x\n", d.Src, d.Dst, d.Payload)
	}
	if err := os.MkdirAll(filepath.Join("testdata", "captured"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("testdata", "captured", file+".txt"), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d datagrams", file, len(dgs))
}
