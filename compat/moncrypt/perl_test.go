package moncrypt

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestCryptPerl compares Crypt with perl's crypt (the C library's crypt(3), which mon
// itself calls) on random passwords and salts of every supported format.
func TestCryptPerl(t *testing.T) {
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("perl not installed: differential test skipped")
	}
	const saltChars = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	r := rand.New(rand.NewSource(1))
	word := func(chars string, n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = chars[r.Intn(len(chars))]
		}
		return string(b)
	}
	var printable strings.Builder
	for c := byte(' '); c <= '~'; c++ {
		printable.WriteByte(c)
	}
	type pair struct{ pass, setting string }
	var cases []pair
	for i := 0; i < 200; i++ {
		pass := word(printable.String(), r.Intn(20))
		var setting string
		switch i % 5 {
		case 0:
			setting = word(saltChars, 2)
		case 1:
			setting = "$1$" + word(saltChars, 1+r.Intn(8)) + "$"
		case 2:
			setting = "$5$" + word(saltChars, 1+r.Intn(16)) + "$"
		case 3:
			setting = "$6$" + word(saltChars, 1+r.Intn(16)) + "$"
		case 4:
			setting = fmt.Sprintf("$6$rounds=%d$%s$", 1000+r.Intn(500), word(saltChars, 8))
		}
		cases = append(cases, pair{pass, setting})
	}
	var in bytes.Buffer
	for _, c := range cases {
		fmt.Fprintf(&in, "%s %s\n", hex.EncodeToString([]byte(c.pass)), hex.EncodeToString([]byte(c.setting)))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, perl, "-ne", `chomp; my ($p, $s) = map { pack("H*", $_) } split / /; print crypt($p, $s), "\n";`)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("perl: %v", err)
	}
	hashes := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(hashes) != len(cases) {
		t.Fatalf("perl gave %d hashes for %d cases", len(hashes), len(cases))
	}
	for i, c := range cases {
		// The stored hash is the setting a login is checked with.
		got, err := Crypt(c.pass, hashes[i])
		if err != nil || got != hashes[i] {
			t.Errorf("Crypt(%q, %q) = %q, %v; perl's crypt gave it for setting %q", c.pass, hashes[i], got, err, c.setting)
		}
	}
}
