package authkeys

import (
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSeedAuthkeys(t *testing.T) {
	// The manual's authkeys (Part II §4.3), unchanged.
	k, err := Parse(DefaultPath, strings.NewReader("auth 1\n1 sha1 doss123\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Key{Num: 1, Method: SHA1, Secret: "doss123", Line: 2}
	if d := cmp.Diff(want, k.Active()); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		auth     int
		keys     int
		err      string
	}{
		{"multi", "auth 1\n1 crc\n2 sha1 HI!\n3 md5 Hello!\n", 1, 3, ""},
		{"crc", "auth 2\n2 crc\n", 2, 1, ""},
		{"indented", "  auth 1\n  # comment\n  1 sha1 key\n", 1, 1, ""},
		{"only first word of key", "auth 1\n1 sha1 two words\n", 1, 1, ""},
		{"method glued", "auth 1\n1sha1 key\n", 1, 1, ""},
		{"15", "auth 15\n15 sha1 key\n", 15, 1, ""},
		{"16", "auth 16\n16 sha1 key\n", 16, 0, "authkeys:2: key number 16: want 0 to 15"},
		{"no auth", "1 sha1 key\n", -1, 1, `authkeys: no "auth N" line`},
		{"empty", "", -1, 0, `no "auth N" line`},
		{"auth junk", "auth x\n1 sha1 key\n", -1, 1, `authkeys:1: want "auth N"`},
		{"missing key", "auth 2\n1 sha1 key\n", 2, 1, "authkeys:1: auth 2: no valid key 2"},
		{"crc with key", "auth 1\n1 crc key\n", 1, 0, "authkeys:2: method crc takes no key"},
		{"sha1 without key", "auth 1\n1 sha1\n", 1, 0, "authkeys:2: method sha1 needs a key"},
		{"bad method", "auth 1\n1 sha256 key\n", 1, 0, `authkeys:2: method "sha256": want crc, md5 or sha1`},
		{"junk", "auth 1\n1 sha1 key\nhello world\n", 1, 1, `authkeys:3: want "N method [key]"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := Parse("authkeys", strings.NewReader(tc.in))
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("error %v, want %q", err, tc.err)
			}
			if k.Auth != tc.auth || len(k.Keys) != tc.keys {
				t.Errorf("auth %d, %d keys; want %d, %d", k.Auth, len(k.Keys), tc.auth, tc.keys)
			}
		})
	}
}

// TestCRCWarns: heartbeat accepts crc keys silently although they let anyone forge
// packets; heartbeatd accepts them too (oracle cases authkeys-crc, authkeys-multi) and
// warns about each, naming its line. sha1 and md5 keys draw no warning.
func TestCRCWarns(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     []string
	}{
		{"crc active", "auth 2\n2 crc\n", []string{"authkeys:2: key 2 uses crc, which adds no security"}},
		{"crc listed", "auth 2\n1 crc\n2 sha1 key\n", []string{"authkeys:2: key 1 uses crc"}},
		{"two crc", "auth 1\n1 crc\n3 crc\n", []string{"authkeys:2: key 1 uses crc", "authkeys:3: key 3 uses crc"}},
		{"sha1 md5", "auth 1\n1 sha1 a\n2 md5 b\n", nil},
		{"crc redefined", "auth 1\n1 crc\n1 sha1 a\n", nil},
		{"refused crc", "auth 1\n1 sha1 a\n2 crc key\n", nil}, // an error, not a key
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := Parse("authkeys", strings.NewReader(tc.in))
			if err != nil && tc.name != "refused crc" {
				t.Fatal(err)
			}
			var got []string
			for _, w := range k.Warnings {
				got = append(got, w.Error())
			}
			if len(got) != len(tc.want) {
				t.Fatalf("warnings %q, want %d", got, len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) || !strings.Contains(got[i], "use sha1") {
					t.Errorf("warning %q, want %q... use sha1", got[i], w)
				}
			}
		})
	}
}

// TestCheckMode: only read bits for group and others count, as in heartbeat (oracle
// cases authkeys-mode-*: 600, 400 and 620 pass, 640, 604 and 644 fail).
func TestCheckMode(t *testing.T) {
	for mode, ok := range map[fs.FileMode]bool{0o600: true, 0o400: true, 0o620: true, 0o700: true, 0o640: false, 0o604: false, 0o644: false} {
		err := CheckMode("authkeys", mode)
		if (err == nil) != ok {
			t.Errorf("mode %o: %v", mode, err)
		}
		if err != nil && !strings.Contains(err.Error(), "chmod 600 authkeys") {
			t.Errorf("mode %o: message %q does not say what to do", mode, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("auth 1\n1 sha1 doss123\n")
	f.Add("auth 3\n1 crc\n2 sha1 HI!\n3 md5 Hello!\n")
	if b, err := os.ReadFile("/usr/share/doc/heartbeat/authkeys"); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Parse("authkeys", strings.NewReader(s))
		if err == nil {
			a := k.Active()
			if a.Method == "" || (a.Method.NeedsKey() && a.Secret == "") {
				t.Fatalf("accepted without a usable active key: %+v", k)
			}
			crc := 0
			for _, key := range k.Keys {
				if key.Method == CRC {
					crc++
				}
			}
			if crc > 0 && len(k.Warnings) == 0 {
				t.Fatalf("crc key accepted without a warning: %+v", k)
			}
		}
	})
}
