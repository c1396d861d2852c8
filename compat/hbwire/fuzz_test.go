package hbwire

import (
	"bytes"
	"testing"
)

// FuzzDecode: no input may panic or be accepted in a form that does not
// re-encode to an equivalent message; Verify must never accept garbage.
func FuzzDecode(f *testing.F) {
	kr, _ := NewKeyring(1, Key{Index: 1, Method: SHA1, Secret: []byte("doss123")})
	good, _ := Sign(statusMsg(), kr)
	f.Add(good)
	f.Add(Marshal(statusMsg()))
	f.Add([]byte(">>>\nt=status\n(1)srcuuid=AAAA\nauth=1 00\n<<<\n"))
	f.Add([]byte("###\n%%%\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Decode(b)
		if err != nil {
			return
		}
		if len(p.Msg.Fields) > MaxFields {
			t.Fatalf("%d fields", len(p.Msg.Fields))
		}
		if !p.Classic {
			again, err := Decode(Marshal(p.Msg))
			if err != nil {
				t.Fatalf("re-decode: %v", err)
			}
			if !bytes.Equal(Marshal(again.Msg), Marshal(p.Msg)) {
				t.Fatal("re-encode differs")
			}
		}
		if _, err := Verify(b, kr); err == nil && !bytes.Equal(b, good) {
			// Only a correctly signed packet verifies; the fuzzer
			// cannot forge HMAC-SHA1, so any other success is a bug.
			if m, _ := Verify(b, kr); m != nil {
				re, _ := Sign(m.Clone(), kr)
				if !bytes.Equal(re, b) && !p.Classic {
					t.Fatalf("verified a packet that does not re-sign identically: %q", b)
				}
			}
		}
	})
}
