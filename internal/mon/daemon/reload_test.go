package daemon

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/mon/sched"
	"github.com/lvskit/lvskit/internal/runner"
)

func TestCheckText(t *testing.T) {
	for _, tc := range []struct {
		data string
		err  string
	}{
		{"watch g\n\tservice s\r\n\f\v\x1b[0m\n", ""},
		{"description caf\xe9 (Latin-1)\n", ""},
		{"", ""},
		{"a\nb\n\x00c", "f:3: not a text file (byte 0x00 at offset 4)"},
		{"\x7fELF", "f:1: not a text file (byte 0x7f at offset 0)"},
		{"ok\n\x01", "f:2: not a text file (byte 0x01 at offset 3)"},
	} {
		err := CheckText("f", []byte(tc.data))
		if tc.err == "" && err != nil || tc.err != "" && (err == nil || err.Error() != tc.err || !errors.Is(err, ErrNotText)) {
			t.Errorf("CheckText(%q) = %v, want %q", tc.data, err, tc.err)
		}
	}
}

// A reset to a config that is empty, binary junk or does not parse keeps the running
// one, says why in the log, and "test config" says the same. mon 1.3.6 installs the
// first two as a config without watches.
func TestResetRefusesEmptyJunkAndBrokenConfigs(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "mon.cf")
	good := strings.ReplaceAll(ruleCfg, "@DIR@", dir)
	os.MkdirAll(filepath.Join(dir, "mon.d"), 0o755)
	os.WriteFile(cfgPath, []byte(good), 0o644)
	var logged []string
	d, err := New(Options{ConfigPath: cfgPath, Runner: &runner.Fake{},
		Log: func(prio, msg string) { logged = append(logged, prio+": "+msg) }})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, data, reason string
	}{
		{"empty", "", "defines no watches (the running configuration has 1)"},
		{"comments only", "# nothing here\n\n", "defines no watches"},
		{"binary junk", "\x7fELF\x02\x01\x01\x00\x00junk", "not a text file (byte 0x7f at offset 0)"},
		{"parse error", "hostgroup g 127.0.0.1\n\nwatch g\n    service s\n        interval banana\n", "mon.cf:5:"},
	} {
		os.WriteFile(cfgPath, []byte(tc.data), 0o644)
		logged = nil
		if err := d.Reset(false); err == nil || !errors.Is(err, ErrConfig) {
			t.Errorf("%s: Reset = %v, want a config error", tc.name, err)
		}
		if err := d.CheckConfig(); err == nil || !strings.Contains(err.Error(), tc.reason) {
			t.Errorf("%s: CheckConfig = %v, want %q", tc.name, err, tc.reason)
		}
		if len(logged) != 1 || !strings.HasPrefix(logged[0], "err: error reading config file: ") ||
			!strings.Contains(logged[0], tc.reason) || !strings.HasSuffix(logged[0], "the running configuration is kept") {
			t.Errorf("%s: logged %q", tc.name, logged)
		}
		if n := len(runningServices(d)); n != 1 {
			t.Errorf("%s: %d services run after the refused reset, want 1", tc.name, n)
		}
	}
	// A good config is installed, and after it an empty one is refused still.
	os.WriteFile(cfgPath, []byte(strings.Replace(good, "service s", "service s2", 1)), 0o644)
	if err := d.Reset(false); err != nil {
		t.Fatalf("good config: %v", err)
	}
	if s := runningServices(d); len(s) != 1 || s[0] != "g/s2" {
		t.Errorf("after the good reset: %v", s)
	}
}

func runningServices(d *Daemon) []string {
	var l []string
	d.WithEngine(func(e *sched.Engine, _ time.Time) sched.Actions {
		for _, gs := range e.Services() {
			l = append(l, gs[0]+"/"+gs[1])
		}
		return sched.Actions{}
	})
	return l
}
