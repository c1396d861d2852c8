package lvsalert

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/internal/ipvs"
	"golang.org/x/sys/unix"
)

func runMain(t *testing.T, f ipvs.Client, args ...string) (code int, stdout, stderr string, opened bool) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, Env{
		Stdout: &out, Stderr: &errb, Resolver: testResolver, Clock: &stepClock{},
		Open: func() (ipvs.Client, error) {
			opened = true
			if f == nil {
				return nil, unix.ENOPROTOOPT
			}
			return f, nil
		},
	})
	return code, out.String(), errb.String(), opened
}

// TestMainManualLines runs the manual's mon.cf alert and upalert lines, with the
// arguments mon 1.3 puts before them, against the manual's table.
func TestMainManualLines(t *testing.T) {
	f := manualTable(t)
	cfg := []string{"-P", "tcp", "-V", "10.144.43.185:8080", "-R", "10.144.43.175", "-W", "5", "-F", "dr"}

	code, _, stderr, _ := runMain(t, f, append(monArgs(), cfg...)...)
	if code != ExitOK || stderr != "" {
		t.Fatalf("alert: exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
	if diff := cmp.Diff([]row{{"10.144.43.187:8080", 5, "dr"}, {"10.144.43.142:8080", 5, "dr"}}, rows(t, f, vip8080)); diff != "" {
		t.Errorf("after alert (-want +got):\n%s", diff)
	}

	code, _, stderr, _ = runMain(t, f, append(append(monArgs("-u"), cfg...), "-u", "1")...)
	if code != ExitOK || stderr != "" {
		t.Fatalf("upalert: exit %d, stderr %q; want 0 and nothing", code, stderr)
	}
	if diff := cmp.Diff([]row{{"10.144.43.175:8080", 5, "dr"}, {"10.144.43.187:8080", 5, "dr"}, {"10.144.43.142:8080", 5, "dr"}}, rows(t, f, vip8080)); diff != "" {
		t.Errorf("after upalert (-want +got):\n%s", diff)
	}

	// Again: adding a present server is a note on stderr and exit 0.
	code, _, stderr, _ = runMain(t, f, append(append(monArgs("-u"), cfg...), "-u", "1")...)
	if code != ExitOK || !strings.Contains(stderr, "already in") {
		t.Errorf("second upalert: exit %d, stderr %q; want 0 and a note", code, stderr)
	}
}

func TestMainExitCodes(t *testing.T) {
	t.Run("usage error names the flag and does not touch IPVS", func(t *testing.T) {
		code, _, stderr, opened := runMain(t, manualTable(t), "-P", "tcp", "-V", "10.144.43.185", "-R", "10.144.43.175", "-u", "-W", "five")
		if code != ExitUsage {
			t.Errorf("exit %d, want %d", code, ExitUsage)
		}
		if !strings.HasPrefix(stderr, `lvs-alert: -W: "five" is not a weight`) {
			t.Errorf("stderr %q", stderr)
		}
		if opened {
			t.Error("IPVS opened for a bad command line")
		}
	})
	t.Run("help", func(t *testing.T) {
		code, stdout, _, _ := runMain(t, nil, "--help")
		if code != ExitOK || !strings.Contains(stdout, "-V vip:port") {
			t.Errorf("exit %d, stdout %q", code, stdout)
		}
	})
	t.Run("no IPVS", func(t *testing.T) {
		code, _, stderr, _ := runMain(t, nil, "-P", "tcp", "-V", "10.144.43.185:8080", "-R", "10.144.43.175")
		if code != ExitIPVS || !strings.Contains(stderr, "lvs-alert: opening IPVS: protocol not available") {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
	})
	t.Run("kernel refuses", func(t *testing.T) {
		f := manualTable(t)
		f.Fail("DelDestination", unix.EPERM)
		code, _, stderr, _ := runMain(t, f, "-P", "tcp", "-V", "10.144.43.185:8080", "-R", "10.144.43.175")
		want := "lvs-alert: removing 10.144.43.175:8080 from TCP 10.144.43.185:8080: operation not permitted\n"
		if code != ExitIPVS || stderr != want {
			t.Errorf("exit %d, stderr %q; want %d, %q", code, stderr, ExitIPVS, want)
		}
	})
	t.Run("warnings do not stop a removal", func(t *testing.T) {
		f := manualTable(t)
		code, _, stderr, _ := runMain(t, f, "-P", "tcp", "-V", "10.144.43.185:8080", "-R", "10.144.43.175", "-F", "gate")
		if code != ExitOK || !strings.Contains(stderr, `lvs-alert: warning: -F: "gate"`) {
			t.Errorf("exit %d, stderr %q", code, stderr)
		}
		if len(rows(t, f, vip8080)) != 2 {
			t.Errorf("not removed: %v", rows(t, f, vip8080))
		}
	})
}
