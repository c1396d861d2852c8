// Package statushttptest checks the daemons' HTTP listeners in tests: an exposition
// goes through Debian's promtool (package prometheus, installed by make test's deps), the
// linter Prometheus users run on exporters.
package statushttptest

import (
	"bytes"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Promtool returns promtool's path. Without it the test fails — make test installs it —
// except under -short, where it is skipped with the reason.
func Promtool(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("promtool")
	if err != nil {
		if testing.Short() {
			t.Skip("promtool not installed (Debian package prometheus; make deps installs it)")
		}
		t.Fatal("promtool not installed: make deps installs Debian's prometheus package, which ships it")
	}
	return p
}

// CheckMetrics runs `promtool check metrics` on an exposition and fails the test on any
// problem it reports (promtool prints lint findings and exits 3, format errors exit 1).
func CheckMetrics(t testing.TB, exposition []byte) {
	t.Helper()
	cmd := exec.Command(Promtool(t), "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("promtool check metrics: %v\n%s\nexposition:\n%s", err, out, exposition)
	}
}

// Get fetches url with a 10 s bound and returns the status code and body.
func Get(t testing.TB, url string) (int, []byte) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, b
}

// Sample returns the value text of the first exposition line that starts with prefix
// (a metric name with its labels, e.g. `lvskit_build_info{`), or "" when none does.
func Sample(exposition []byte, prefix string) string {
	for _, l := range strings.Split(string(exposition), "\n") {
		if strings.HasPrefix(l, prefix) {
			if i := strings.LastIndexByte(l, ' '); i >= 0 {
				return l[i+1:]
			}
		}
	}
	return ""
}
