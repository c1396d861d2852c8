package hbwire_test

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lvskit/lvskit/compat/hbwire"
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
