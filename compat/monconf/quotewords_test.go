package monconf

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

	"github.com/google/go-cmp/cmp"
)

func TestQuoteWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{"", nil, true},
		{"a b  c", []string{"a", "b", "c"}, true},
		{`-p 8080 -t 10`, []string{"-p", "8080", "-t", "10"}, true},
		{`"a b" c`, []string{"a b", "c"}, true},
		{`a"b c"d`, []string{"ab cd"}, true},
		{`'a\'b' c`, []string{`a\'b`, "c"}, true},
		{`"a\"b"`, []string{`a"b`}, true},
		{`a\ b`, []string{"a b"}, true},
		{`a "b`, nil, false},
		{`a\`, nil, false},
		{" a", []string{"", "a"}, true},
		{"a ", []string{"a", ""}, true},
	}
	for _, tt := range tests {
		got, ok := QuoteWords(tt.in)
		if ok != tt.ok || !cmp.Equal(got, tt.want) {
			t.Errorf("QuoteWords(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestQuoteWordsPerl compares QuoteWords with perl's Text::ParseWords on
// random strings over an alphabet of the characters that matter.
func TestQuoteWordsPerl(t *testing.T) {
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("perl not installed: differential test skipped")
	}
	r := rand.New(rand.NewSource(2))
	alphabet := []string{"a", "b", " ", "  ", "\t", `"`, `'`, `\`, "x", "\n", "-"}
	var ins []string
	for i := 0; i < 5000; i++ {
		var b strings.Builder
		for n := r.Intn(10); n > 0; n-- {
			b.WriteString(alphabet[r.Intn(len(alphabet))])
		}
		ins = append(ins, b.String())
	}
	var in bytes.Buffer
	for _, s := range ins {
		fmt.Fprintf(&in, "%s\n", hex.EncodeToString([]byte(s)))
	}
	// Each result: count, then each word hex-encoded ("U" for undef).
	script := `use Text::ParseWords; while (<STDIN>) { chomp; my @w = quotewords('\s+', 0, pack("H*", $_)); print scalar(@w), join("", map { " " . (defined $_ ? unpack("H*", $_) . "." : "U") } @w), "\n"; }`
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, perl, "-e", script)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("perl: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(ins) {
		t.Fatalf("perl gave %d lines for %d inputs", len(lines), len(ins))
	}
	bad := 0
	for i, s := range ins {
		got, _ := QuoteWords(s)
		var b strings.Builder
		fmt.Fprint(&b, len(got))
		for _, w := range got {
			fmt.Fprintf(&b, " %s.", hex.EncodeToString([]byte(w)))
		}
		// perl's undef words are "" for exec.
		want := strings.ReplaceAll(lines[i], " U", " .")
		if b.String() != want {
			bad++
			if bad < 15 {
				t.Errorf("QuoteWords(%q): Go %s, perl %s", s, b.String(), lines[i])
			}
		}
	}
}

// FuzzQuoteWords: monitor and alert arguments and ack comments come from mon.cf and
// clients; QuoteWords never panics, gives no words when it fails, and never more words
// than bytes plus one (perl's trailing empty word).
func FuzzQuoteWords(f *testing.F) {
	for _, s := range []string{`-a "b c" 'd' e\ f`, `"unterminated`, `\`, ` `, "a\tb\n", `'a\'b'`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, ok := QuoteWords(s)
		if !ok && w != nil || len(w) > len(s)+1 {
			t.Fatalf("QuoteWords(%q) = %q, %v", s, w, ok)
		}
	})
}
