package daemon

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadConfigM4(t *testing.T) {
	if _, err := exec.LookPath("m4"); err != nil {
		t.Skip("m4 not installed")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "mon.cf.m4")
	src := "define(`_IV_', `30s')dnl\nwatch g\nservice s\ninterval _IV_\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Watches[0].Services[0].Interval; got != 30*time.Second {
		t.Errorf("interval = %v, want 30s (m4 expanded)", got)
	}
	// The same text under a plain name is not run through m4.
	plain := filepath.Join(dir, "mon.cf")
	if err := os.WriteFile(plain, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(plain, LoadOptions{}); err == nil {
		t.Errorf("plain file: want error for unexpanded macro")
	}
	if _, err := LoadConfig(plain, LoadOptions{ForceM4: true}); err != nil {
		t.Errorf("ForceM4: %v", err)
	}
	// m4 failing is an error once the output parsed.
	if _, err := LoadConfig(plain, LoadOptions{ForceM4: true, M4: "false"}); err == nil ||
		!strings.Contains(err.Error(), "Could not open pipe to m4") {
		t.Errorf("failing m4: %v, want the m4 error", err)
	}
	if _, err := LoadConfig(filepath.Join(dir, "missing.cf"), LoadOptions{}); err == nil ||
		!strings.Contains(err.Error(), "could not open cf file") {
		t.Errorf("missing file: %v, want could not open", err)
	}
}

// mon checks while reading that authfile and userfile can be read (relative to the
// working directory).
func TestLoadConfigChecksReadable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mon.cf")
	for _, tc := range []struct {
		file string
		ok   bool
	}{{path, true}, {filepath.Join(dir, "nosuch"), false}} {
		if err := os.WriteFile(path, []byte("userfile = "+tc.file+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadConfig(path, LoadOptions{}); (err == nil) != tc.ok {
			t.Errorf("userfile %s: %v, want ok=%v", tc.file, err, tc.ok)
		}
	}
}
