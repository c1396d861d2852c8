package cli

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/lvskit/lvskit/compat/authkeys"
	"github.com/lvskit/lvskit/compat/hacf"
)

var update = flag.Bool("update", false, "rerun Debian's heartbeat 3.0.6 on testdata/check/* and rewrite heartbeat.golden (root)")

// oracleHost answers as the machine the oracle ran on looked from inside its
// namespaces: interfaces lo and eth0, users root and hacluster (Debian's heartbeat
// package creates it), this host's programs, IP literals and localhost resolvable, this
// host's /etc/services.
type oracleHost struct{}

func (oracleHost) InterfaceExists(name string) bool { return name == "lo" || name == "eth0" }
func (oracleHost) UserExists(name string) bool      { return name == "root" || name == "hacluster" }
func (oracleHost) Executable(path string) bool      { return realHost{}.Executable(path) }
func (oracleHost) Resolvable(h string) bool {
	return h == "localhost" || (h != "" && (h[0] >= '0' && h[0] <= '9') && strings.Count(h, ".") == 3)
}

// Resolvable6: the machine heartbeat 3.0.6 was run on had no IPv6 address but ::1.
func (oracleHost) Resolvable6(string) bool            { return false }
func (oracleHost) UDPService(port int) string         { return realHost{}.UDPService(port) }
func (oracleHost) ServicePort(name string) int        { return realHost{}.ServicePort(name) }
func (oracleHost) ResourceScript(string, string) bool { return true }

// stageCase copies a case into a temporary directory with the authkeys mode the oracle
// gave it (git keeps no modes).
func stageCase(t *testing.T, src string) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"ha.cf", "authkeys", "haresources"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if b, err := os.ReadFile(filepath.Join(src, "authkeys.mode")); err == nil {
		m, err := strconv.ParseUint(strings.TrimSpace(string(b)), 8, 32)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, "authkeys"), os.FileMode(m)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestCheckAgainstHeartbeat runs the check on every case heartbeat 3.0.6 was run on and
// requires the same verdict, and that each error heartbeatd reports in heartbeat's words
// is one heartbeat logged. Where heartbeatd refuses a directive it does not implement
// (STONITH, serial media, ...), it must refuse with such an error whatever heartbeat did.
func TestCheckAgainstHeartbeat(t *testing.T) {
	cases, err := filepath.Glob("testdata/check/*")
	if err != nil || len(cases) < 100 {
		t.Fatalf("cases: %v, %d found", err, len(cases))
	}
	for _, c := range cases {
		name := filepath.Base(c)
		t.Run(name, func(t *testing.T) {
			golden := filepath.Join(c, "heartbeat.golden")
			if *update {
				regenerate(t, c, golden)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			lines := strings.Split(strings.TrimSpace(string(want)), "\n")
			verdict := strings.TrimPrefix(lines[len(lines)-1], "VERDICT: ")
			logged := map[string]bool{}
			for _, l := range lines {
				logged[l] = true
				for _, p := range []string{"ERROR: ", "WARN: ", "info: "} {
					logged[strings.TrimPrefix(l, p)] = true
				}
			}
			node := "node1"
			if b, err := os.ReadFile(filepath.Join(c, "nodename")); err == nil {
				node = strings.TrimSpace(string(b))
			}
			r := checkDir(stageCase(t, c), node, oracleHost{})
			unsupported := false
			for _, e := range r.Errors {
				var d *hacf.Diag
				if errors.As(e, &d) && d.Unsupported {
					unsupported = true
				}
			}
			got := "ok"
			if len(r.Errors) > 0 {
				got = "error"
			}
			switch {
			case unsupported:
				t.Logf("heartbeatd refuses what it does not implement (heartbeat: %s): %v", verdict, r.Errors)
			case got != verdict:
				t.Fatalf("verdict %s, heartbeat 3.0.6: %s\nour errors: %v\nheartbeat's log:\n%s", got, verdict, r.Errors, want)
			}
			for _, e := range r.Errors {
				hb, _, _ := strings.Cut(heartbeatText(e), "\n")
				if hb != "" && !logged[hb] {
					t.Errorf("error %q claims heartbeat logs %q, but its log is:\n%s", e, hb, want)
				}
			}
		})
	}
}

func heartbeatText(err error) string {
	var d *hacf.Diag
	if errors.As(err, &d) {
		return d.Heartbeat
	}
	var a *authkeys.Error
	if errors.As(err, &a) {
		return a.Heartbeat
	}
	return ""
}

func regenerate(t *testing.T, caseDir, golden string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("-update needs root (the oracle runs heartbeat in namespaces)")
	}
	if _, err := os.Stat("/usr/libexec/heartbeat/heartbeat"); err != nil {
		t.Fatalf("-update needs Debian's heartbeat 3.0.6: %v", err)
	}
	out, err := exec.Command("testdata/heartbeat-oracle.sh", caseDir).CombinedOutput()
	if err != nil {
		t.Fatalf("oracle: %v\n%s", err, out)
	}
	if err := os.WriteFile(golden, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSeedConfigurationChecks(t *testing.T) {
	var out, errb bytes.Buffer
	dir := stageCase(t, "testdata/check/seed")
	code := Main("heartbeatd", []string{"--check", "-d", dir, "--node", "Linux187"}, &out, &errb, oracleHost{})
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
	}
	if !strings.Contains(out.String(), "OK for node linux187: 2 nodes, 1 media, 1 resource groups") {
		t.Errorf("stdout %q", out.String())
	}
	if !strings.Contains(errb.String(), "'auto_failback legacy'") {
		t.Errorf("the nice_failback reading is not explained:\n%s", errb.String())
	}
}

func TestCheckExitStatus(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--check", "-d", "testdata/check/illegal-directive", "--node", "node1"}, 1, `unknown directive "foo"`},
		{[]string{"--check", "-d", "/nonexistent"}, 1, "no such file"},
		{[]string{"--run-dir", "/nonexistent", "-k"}, 1, "not running"},
		// not running: -r starts heartbeatd, as heartbeat -r does, if the files allow
		{[]string{"--run-dir", "/nonexistent", "--config-dir", "testdata/check/illegal-directive", "--node", "node1", "-r"}, 1, "would not start"},
		{[]string{"-R"}, 1, "-R: not implemented"},
		{[]string{"--bogus"}, 1, "unknown option"},
		{[]string{"--check", "--node"}, 1, "needs a value"},
		{[]string{"--directives"}, 0, ""},
	} {
		var out, errb bytes.Buffer
		code := Main("heartbeatd", tc.args, &out, &errb, oracleHost{})
		if code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("heartbeatd %q = %d, stderr %q; want %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}

// TestReloadBadConfig: heartbeatd -r with a running daemon and a bad configuration
// reports the errors with their file:line and does not signal the daemon, as heartbeat
// -r says "Config errors: Heartbeat pid N NOT restarted" and exits 1.
func TestReloadBadConfig(t *testing.T) {
	run := t.TempDir()
	// This test's own pid stands for the daemon: were it signalled, SIGHUP would end
	// the test binary.
	if err := os.WriteFile(filepath.Join(run, "heartbeat.pid"), []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := Main("heartbeatd", []string{"--run-dir", run, "--config-dir", "testdata/check/illegal-directive", "--node", "node1", "-r"}, &out, &errb, oracleHost{})
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	want := fmt.Sprintf("Config errors: Heartbeat pid %d NOT restarted", os.Getpid())
	if !strings.Contains(errb.String(), want) || !strings.Contains(errb.String(), "ha.cf:") {
		t.Errorf("stderr %q: want the file:line of the error and %q", errb.String(), want)
	}
}

// TestCRCWarned: a crc key is accepted as heartbeat accepts it (oracle case
// authkeys-crc), but --check says it lets anyone forge packets, and so does the daemon's
// log at start.
func TestCRCWarned(t *testing.T) {
	dir := stageCase(t, "testdata/check/authkeys-crc")
	var out, errb bytes.Buffer
	if code := Main("heartbeatd", []string{"--check", "-d", dir, "--node", "node1"}, &out, &errb, oracleHost{}); code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, errb.String())
	}
	want := "authkeys:2: key 2 uses crc, which adds no security"
	if !strings.Contains(errb.String(), "heartbeatd: warning: "+filepath.Join(dir, want)) {
		t.Errorf("--check stderr lacks %q:\n%s", want, errb.String())
	}

	logfile := filepath.Join(t.TempDir(), "ha-log")
	cf := filepath.Join(dir, "ha.cf")
	b, err := os.ReadFile(cf)
	if err != nil {
		t.Fatal(err)
	}
	b = bytes.ReplaceAll(b, []byte("logfile /dev/stderr"), []byte("logfile "+logfile))
	if err := os.WriteFile(cf, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := checkDir(dir, "node1", oracleHost{})
	if len(r.Errors) > 0 {
		t.Fatal(r.Errors)
	}
	logger, err := openLog(r, 0, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	logger.Close()
	log, _ := os.ReadFile(logfile)
	if !strings.Contains(string(log), "WARN: "+filepath.Join(dir, want)) {
		t.Errorf("start log lacks the crc warning:\n%s", log)
	}
}
