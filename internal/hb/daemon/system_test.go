package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An Open that fails part way returns its error and closes what it opened (it used to
// panic on the nil daemon its deferred cleanup was handed).
func TestOpenFailureReported(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	o := Options{Node: "lvs1", HA: parseCF(t, baseCF), Keys: parseKeys(t, "auth 1\n1 sha1 doss123\n"),
		StateDir: filepath.Join(file, "state"), Log: nopLog{}}
	d, err := Open(o)
	if err == nil || d != nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("Open = %v, %v; want nil and the state directory's error", d, err)
	}
}

type nopLog struct{}

func (nopLog) Logf(string, string, ...any) {}
