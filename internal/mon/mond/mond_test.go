package mond

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
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

func TestClientsWithinDescriptors(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	room := int(min(lim.Cur, 1<<20))/2 - 64
	var logged []string
	logf := func(prio, msg string) { logged = append(logged, prio+": "+msg) }
	if got := clientsWithin(64, logf); got != min(64, room) {
		t.Errorf("64 → %d", got)
	}
	if got := clientsWithin(room+1000, logf); got != room || len(logged) == 0 || !strings.Contains(logged[len(logged)-1], "lowered") {
		t.Errorf("%d → %d, log %q", room+1000, got, logged)
	}
}
