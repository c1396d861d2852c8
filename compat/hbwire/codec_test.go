package hbwire

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func sha1Ring(t testing.TB, secret string) *Keyring {
	t.Helper()
	kr, err := NewKeyring(1, Key{Index: 1, Method: SHA1, Secret: []byte(secret)})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func statusMsg() *Message {
	m := &Message{}
	m.Add(FType, TStatus)
	m.Add(FStatus, "active")
	m.Add(FSrc, "lvs1")
	m.AddBinary(FSrcUUID, []byte("0123456789abcdef"))
	m.Add(FSeq, "1a")
	return m
}

func TestMarshalLayout(t *testing.T) {
	m := &Message{}
	m.Add(FType, TStatus)
	m.AddBinary(FSrcUUID, []byte{0, ',', '\n', 0xff})
	got := string(Marshal(m))
	want := "###\n11:(0)t=status,15:(1)srcuuid=\x00,\n\xff,%%%\n"
	if got != want {
		t.Errorf("Marshal = %q, want %q", got, want)
	}
	p, err := Decode([]byte(got))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(m, p.Msg); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for _, k := range []Key{
		{Index: 1, Method: SHA1, Secret: []byte("doss123")},
		{Index: 3, Method: MD5, Secret: []byte("Hello!")},
		{Index: 2, Method: CRC},
	} {
		kr, err := NewKeyring(k.Index, k)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Sign(statusMsg(), kr)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Verify(b, kr)
		if err != nil {
			t.Fatalf("%s: %v", k.Method, err)
		}
		want := statusMsg()
		want.Add(FAuth, got.Value(FAuth))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", k.Method, diff)
		}
		if !strings.HasPrefix(got.Value(FAuth), strconv.Itoa(k.Index)+" ") {
			t.Errorf("auth field %q does not start with key index %d", got.Value(FAuth), k.Index)
		}
	}
}

// A receiver accepts any key of its authkeys, as the original does when
// several are listed (to change keys without downtime).
func TestVerifyAnyListedKey(t *testing.T) {
	send, _ := NewKeyring(2, Key{Index: 2, Method: MD5, Secret: []byte("new")})
	recv, _ := NewKeyring(1, Key{Index: 1, Method: SHA1, Secret: []byte("old")}, Key{Index: 2, Method: MD5, Secret: []byte("new")})
	b, err := Sign(statusMsg(), send)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Verify(b, recv); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyRejects(t *testing.T) {
	kr := sha1Ring(t, "doss123")
	good, err := Sign(statusMsg(), kr)
	if err != nil {
		t.Fatal(err)
	}
	forged, _ := Sign(statusMsg(), sha1Ring(t, "guess"))
	crcRing, _ := NewKeyring(1, Key{Index: 1, Method: CRC})
	crcSigned, _ := Sign(statusMsg(), crcRing)
	idx9, _ := NewKeyring(9, Key{Index: 9, Method: SHA1, Secret: []byte("doss123")})
	unknownIdx, _ := Sign(statusMsg(), idx9)

	// Valid outer digest over a message whose inner auth field is wrong.
	m := statusMsg()
	m.Add(FAuth, "1 0000000000000000000000000000000000000000")
	body := Marshal(m)
	tok, _ := kr.token(1, body)
	badInner := append(body, []byte(strconv.Itoa(len(tok))+":"+tok+",")...)

	// Same message, no inner auth field but a valid outer digest.
	m2 := statusMsg()
	body2 := Marshal(m2)
	tok2, _ := kr.token(1, body2)
	noInner := append(body2, []byte(strconv.Itoa(len(tok2))+":"+tok2+",")...)

	tampered := bytes.Replace(good, []byte("st=active"), []byte("st=activf"), 1)

	for _, tc := range []struct {
		name string
		pkt  []byte
		want error
	}{
		{"unauthenticated", Marshal(statusMsg()), ErrNoAuth},
		{"forged with another secret", forged, ErrBadAuth},
		{"crc where sha1 is configured", crcSigned, ErrBadAuth},
		{"unknown key index", unknownIdx, ErrUnknownKey},
		{"bad inner digest", badInner, ErrBadAuth},
		{"no inner digest", noInner, ErrNoAuth},
		{"tampered value", tampered, ErrBadAuth},
		{"truncated", good[:len(good)-5], ErrFormat},
		{"garbage", []byte("hello"), ErrFormat},
	} {
		_, err := Verify(tc.pkt, kr)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: Verify error = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	many := "###\n" + strings.Repeat("8:(0)a=bcd,", MaxFields+1) + "%%%\n"
	for _, tc := range []struct {
		name, in string
		want     error
	}{
		{"empty", "", ErrFormat},
		{"no start", "11:(0)t=status,%%%\n", ErrFormat},
		{"no end", "###\n11:(0)t=status,", ErrFormat},
		{"length past end", "###\n99:(0)t=status,%%%\n", ErrFormat},
		{"huge length", "###\n99999999999999999999:(0)t=status,%%%\n", ErrFormat},
		{"negative-looking length", "###\n-1:(0)t=status,%%%\n", ErrFormat},
		{"missing comma", "###\n11:(0)t=status;%%%\n", ErrFormat},
		{"missing type", "###\n8:t=status,%%%\n", ErrFormat},
		{"unknown type", "###\n11:(9)t=status,%%%\n", ErrFormat},
		{"no name", "###\n10:(0)=status,%%%\n", ErrFormat},
		{"no equals", "###\n10:(0)tstatus,%%%\n", ErrFormat},
		{"trailing junk", "###\n11:(0)t=status,%%%\n5:1 abc,xyz", ErrFormat},
		{"too many fields", many, ErrTooMany},
		{"too large", "###\n" + strings.Repeat("x", MaxMessageSize), ErrTooLarge},
		{"classic no end", ">>>\nt=status\n", ErrFormat},
	} {
		if _, err := Decode([]byte(tc.in)); !errors.Is(err, tc.want) {
			t.Errorf("%s: Decode error = %v, want %v", tc.name, err, tc.want)
		}
	}
}

func TestDecodeClassic(t *testing.T) {
	kr := sha1Ring(t, "doss123")
	m := statusMsg()
	txt, err := classicText(m)
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := kr.token(1, txt)
	pkt := append([]byte(classicStart), txt...)
	pkt = append(pkt, "auth="+tok+"\n"+classicEnd...)
	got, err := Verify(pkt, kr)
	if err != nil {
		t.Fatal(err)
	}
	m.Add(FAuth, tok)
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !strings.Contains(string(txt), "(1)srcuuid=MDEyMzQ1Njc4OWFiY2RlZg==\n") {
		t.Errorf("classic text has no base64 srcuuid: %q", txt)
	}
	bad := bytes.Replace(pkt, []byte("st=active"), []byte("st=standby"), 1)
	if _, err := Verify(bad, kr); !errors.Is(err, ErrBadAuth) {
		t.Errorf("tampered classic message: %v", err)
	}
}

func TestSignRejectsNewline(t *testing.T) {
	m := &Message{}
	m.Add("info", "a\nb")
	if _, err := Sign(m, sha1Ring(t, "k")); err == nil {
		t.Error("Sign accepted a newline in a string value")
	}
}

func TestKeyringErrors(t *testing.T) {
	if _, err := NewKeyring(2, Key{Index: 1, Method: SHA1}); err == nil {
		t.Error("active key missing: no error")
	}
	if _, err := NewKeyring(1, Key{Index: 1, Method: "des"}); err == nil {
		t.Error("unknown method: no error")
	}
}

func TestHexDec(t *testing.T) {
	m := &Message{}
	m.Add(FSeq, "1a")
	m.Add(FFirstSeq, "118")
	if v, err := m.Hex(FSeq); err != nil || v != 0x1a {
		t.Errorf("Hex(seq) = %d, %v", v, err)
	}
	if v, err := m.Dec(FFirstSeq); err != nil || v != 118 {
		t.Errorf("Dec(firstseq) = %d, %v", v, err)
	}
	if _, err := m.Hex("nope"); err == nil {
		t.Error("missing field: no error")
	}
}
