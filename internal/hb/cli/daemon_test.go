package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/lvskit/lvskit/internal/hb/daemon"
)

// With no daemon running, the client entry points say so, each in its own words.
func TestClientsWithoutDaemon(t *testing.T) {
	t.Setenv("HEARTBEATD_RUN_DIR", t.TempDir())
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // on stdout
		err  string // on stderr
	}{
		{"cl_status", []string{"hbstatus"}, 1, "Heartbeat is stopped on this machine.", ""},
		{"/usr/bin/cl_status", []string{"rscstatus"}, 1, "", "not running"},
		{"hb_standby", nil, 1, "", "not running"},
		{"hb_takeover", []string{"all"}, 1, "", "not running"},
		{"heartbeatd", []string{"cl_status", "hbstatus"}, 1, "Heartbeat is stopped on this machine.", ""},
		{"heartbeatd", []string{"standby"}, 1, "", "not running"},
		{"heartbeatd", []string{"-s"}, 3, "heartbeat is stopped", ""},
		{"heartbeatd", []string{"-k"}, 1, "", "not running"},
		{"heartbeatd", []string{"-V"}, 0, "3.0.6", ""},
		{"heartbeatd", []string{"--version"}, 0, "3.0.6 (lvskit heartbeatd)\nlvskit heartbeatd ", ""},
		// The original answers these without heartbeat.
		{"cl_status", nil, 0, "Usage: cl_status <sub-command> [<options>] [<parameters>]\n", ""},
		{"cl_status", []string{"-h"}, 0, "\trscstatus\n"[1:], ""},
		{"cl_status", []string{"bogus"}, 11, "", "cl_status: [" + strconv.Itoa(os.Getpid()) + "]: ERROR: bogus: invalid sub-command.\n"},
		{"heartbeatd", []string{"cl_status", "parameter"}, 11, "", "]: ERROR: parameter: invalid sub-command.\n"},
	} {
		var out, errb bytes.Buffer
		code := Main(tc.name, tc.args, &out, &errb, oracleHost{})
		if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errb.String(), tc.err) {
			t.Errorf("%s %q = %d, stdout %q, stderr %q; want %d, %q, %q", tc.name, tc.args, code, out.String(), errb.String(), tc.code, tc.out, tc.err)
		}
	}
}

// A pid file naming a live process makes -s report it running; a stale one does not.
func TestStatusFromPidFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HEARTBEATD_RUN_DIR", dir)
	pidfile := filepath.Join(dir, "heartbeat.pid")
	if err := os.WriteFile(pidfile, []byte("999999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := Main("heartbeatd", []string{"-s"}, &out, &out, oracleHost{}); code != 3 {
		t.Errorf("stale pid file: -s = %d (%s), want 3", code, out.String())
	}
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := Main("heartbeatd", []string{"-s"}, &out, &out, oracleHost{}); code != 0 || !strings.Contains(out.String(), "running") {
		t.Errorf("live pid file: -s = %d (%s), want 0 running", code, out.String())
	}
}

// TestHelperClient is not a test: run as a subprocess with HEARTBEATD_TEST_CLIENT=1, it
// is the client command named by its arguments (after --).
func TestHelperClient(t *testing.T) {
	if os.Getenv("HEARTBEATD_TEST_CLIENT") != "1" {
		t.Skip("subprocess helper")
	}
	args := flag.Args()
	os.Exit(Main(args[0], args[1:], os.Stdout, os.Stderr, oracleHost{}))
}

type answer struct{}

func (answer) Query(context.Context, []string) (string, int) { return "local\n", 0 }

// TestClientRefusedByPermission: a user the control socket's mode refuses is told so,
// not that heartbeat is stopped. As in heartbeat's cl_status, hbstatus then says heartbeat
// runs but refuses the connection, with status 0 (it does run); other commands fail.
// The clients run as nobody (uid 65534) in a subprocess.
func TestClientRefusedByPermission(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	// Directories nobody can traverse, holding a copy of this test binary it can run.
	open := func(dir string) string {
		for d := dir; d != os.TempDir(); d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(open(t.TempDir()), "heartbeatd.test")
	b, err := os.ReadFile(exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, b, 0o755); err != nil {
		t.Fatal(err)
	}
	p := paths{runDir: open(t.TempDir())}
	if err := os.MkdirAll(filepath.Dir(p.socket()), 0o755); err != nil {
		t.Fatal(err)
	}
	ln, err := daemon.ListenControl(p.socket())
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() { _ = daemon.ServeControl(ln, answer{}) }()
	// heartbeatd's pid file names a live process: this one.
	if err := os.WriteFile(p.pidfile(), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	client := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		cmd := exec.Command(bin, append([]string{"-test.run=^TestHelperClient$", "--"}, args...)...)
		cmd.Env = append(os.Environ(), "HEARTBEATD_TEST_CLIENT=1", "HEARTBEATD_RUN_DIR="+p.runDir)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return cmd.ProcessState.ExitCode(), out.String(), errb.String()
	}
	denied := "permission denied on " + p.socket() + ": run as root"
	for _, tc := range []struct {
		args     []string
		code     int
		out, err string
	}{
		{[]string{"cl_status", "hbstatus"}, 0, "Heartbeat is apparently running on this machine, but refuses my connection\n", "cl_status: " + denied},
		{[]string{"cl_status", "rscstatus"}, 1, "", "cl_status: " + denied},
		{[]string{"hb_standby"}, 1, "", "hb_standby: " + denied},
		{[]string{"heartbeatd", "cl_status", "listnodes"}, 1, "", "cl_status: " + denied},
	} {
		code, out, errs := client(tc.args...)
		if code != tc.code || out != tc.out || !strings.Contains(errs, tc.err) || strings.Contains(out+errs, "stopped") {
			t.Errorf("%q as nobody: exit %d, stdout %q, stderr %q; want %d, %q, %q", tc.args, code, out, errs, tc.code, tc.out, tc.err)
		}
	}
	// With no live daemon behind the socket, hbstatus says stopped.
	if err := os.WriteFile(p.pidfile(), []byte("999999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := client("cl_status", "hbstatus"); code != 1 || out != "Heartbeat is stopped on this machine.\n" || !strings.Contains(errs, denied) {
		t.Errorf("stale socket: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	// root is answered.
	t.Setenv("HEARTBEATD_RUN_DIR", p.runDir)
	var out, errb bytes.Buffer
	if code := Main("cl_status", []string{"rscstatus"}, &out, &errb, oracleHost{}); code != 0 || out.String() != "local\n" {
		t.Errorf("as root: %d %q %q", code, out.String(), errb.String())
	}
}

// cl_status's usage and its refusal of an unknown sub-command, against heartbeat
// 3.0.6's cl_status (which answers both without heartbeat running).
func TestClStatusAgainstOriginal(t *testing.T) {
	const orig = "/usr/bin/cl_status"
	if fi, err := os.Lstat(orig); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Skip("heartbeat 3.0.6's cl_status not installed (scripts/install-test-deps.sh installs it)")
	}
	t.Setenv("HEARTBEATD_RUN_DIR", t.TempDir())
	for _, args := range [][]string{nil, {"-h"}, {"bogus"}, {"--help"}} {
		cmd := exec.Command(orig, args...)
		var oout, oerr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &oout, &oerr
		_ = cmd.Run()
		var out, errb bytes.Buffer
		code := Main("cl_status", args, &out, &errb, oracleHost{})
		// cl_log's prefix carries the time, the host and the pid.
		prefix := regexp.MustCompile(`(?m)^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \S+ cl_status: \[\d+\]: `)
		oe, ue := prefix.ReplaceAllString(oerr.String(), ""), prefix.ReplaceAllString(errb.String(), "")
		if code != cmd.ProcessState.ExitCode() || out.String() != oout.String() || ue != oe {
			t.Errorf("cl_status %q: original %d, %q, %q; ours %d, %q, %q", args, cmd.ProcessState.ExitCode(), oout.String(), oe, code, out.String(), ue)
		}
	}
}
