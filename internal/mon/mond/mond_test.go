package mond

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lvskit/lvskit/internal/mon/daemon"
)

func TestCheck(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, text string
		rc         int
		out, err   string
	}{
		{"good", "hostgroup g h\nhostgroup unused h\n\nwatch g\nservice s\ninterval 5s\n", 0, "good: OK\n",
			"Warning: hostgroup unused has no watch assigned to it!\n"},
		{"bad", "watch g\nservice s\ninterval 5\n", 1, "", "bad:3: cf error: invalid time interval '5'"},
		{"empty", "# nothing\n", 1, "", "defines no watches (a reset to it is refused while watches run)"},
		{"junk", "watch g\x00\n", 1, "", "not a text file"},
		{"remote", "monremote = /bin/true\n\nwatch g\nservice s\n", 1, "", "monremote is not implemented by mond"},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, []byte(tc.text), 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errb bytes.Buffer
		rc := Check(path, daemon.LoadOptions{}, &out, &errb)
		if rc != tc.rc || !strings.HasSuffix(out.String(), tc.out) || !strings.Contains(errb.String(), tc.err) {
			t.Errorf("%s: rc %d, stdout %q, stderr %q; want %d, %q, %q", tc.name, rc, out.String(), errb.String(), tc.rc, tc.out, tc.err)
		}
	}
}
