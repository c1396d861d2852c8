package hbwire_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/hbwire"
	"github.com/lvskit/lvskit/internal/hb/interop"
)

var update = flag.Bool("update", false, "re-capture testdata/captured/*.txt by running the original heartbeat 3.0.6 in namespaces (root)")

// The keys the captures were made with (as written to the originals' authkeys).
var captureKeys = []struct {
	file   string
	method hbwire.Method
	secret string
}{
	{"sha1", hbwire.SHA1, "doss123"},
	{"md5", hbwire.MD5, "Hello!"},
	{"crc", hbwire.CRC, ""},
}

type captured struct {
	src, dst string
	pkt      []byte
}

func readCaptured(t *testing.T, name string) []captured {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "captured", name+".txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []captured
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		if l == "" || l[0] == '#' {
			continue
		}
		fs := strings.Fields(l)
		if len(fs) != 3 {
			t.Fatalf("%s: bad line %q", name, l)
		}
		b, err := hex.DecodeString(fs[2])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, captured{fs[0], fs[1], b})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

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
		if _, err := p.Exec(p.NS[1], cmd...); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2 * time.Second)
	if _, err := p.Exec(p.NS[1], "nft", "delete", "table", "inet", "hbdrop"); err != nil {
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

// TestCaptured checks every datagram the original sent: it verifies with
// the right key, re-encodes and re-signs byte for byte, and is rejected
// with a wrong key or after tampering.
func TestCaptured(t *testing.T) {
	for _, ck := range captureKeys {
		t.Run(ck.file, func(t *testing.T) {
			if *update {
				recapture(t, string(ck.method), ck.secret, ck.file)
			}
			kr, err := hbwire.NewKeyring(1, hbwire.Key{Index: 1, Method: ck.method, Secret: []byte(ck.secret)})
			if err != nil {
				t.Fatal(err)
			}
			wrong, _ := hbwire.NewKeyring(1, hbwire.Key{Index: 1, Method: ck.method, Secret: []byte(ck.secret + "x")})
			otherIdx, _ := hbwire.NewKeyring(2, hbwire.Key{Index: 2, Method: ck.method, Secret: []byte(ck.secret)})
			pkts := readCaptured(t, ck.file)
			if len(pkts) < 10 {
				t.Fatalf("only %d captured datagrams", len(pkts))
			}
			types := map[string]int{}
			for i, c := range pkts {
				if _, err := netip.ParseAddrPort(c.src); err != nil {
					t.Fatal(err)
				}
				m, err := hbwire.Verify(c.pkt, kr)
				if err != nil {
					t.Fatalf("datagram %d from %s: %v\n%q", i, c.src, err, c.pkt)
				}
				types[m.Value(hbwire.FType)]++
				again, err := hbwire.Sign(m.Clone(), kr)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(again, c.pkt) {
					t.Fatalf("datagram %d: re-signed bytes differ\n got %q\nwant %q", i, again, c.pkt)
				}
				if ck.method != hbwire.CRC {
					if _, err := hbwire.Verify(c.pkt, wrong); !hbwire.IsAuthError(err) {
						t.Errorf("datagram %d verified with the wrong secret: %v", i, err)
					}
				}
				if _, err := hbwire.Verify(c.pkt, otherIdx); err == nil {
					t.Errorf("datagram %d verified with a keyring lacking key 1", i)
				}
				// Flip one byte of a value: must never verify.
				bad := bytes.Clone(c.pkt)
				j := bytes.Index(bad, []byte("src="))
				bad[j+4] ^= 0x20
				if _, err := hbwire.Verify(bad, kr); err == nil {
					t.Errorf("datagram %d verified after tampering", i)
				}
			}
			for _, want := range []string{hbwire.TStatus, hbwire.TAck, hbwire.TRexmit} {
				if types[want] == 0 {
					t.Errorf("no %s message among captures: %v", want, types)
				}
			}
		})
	}
}
