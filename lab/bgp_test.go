package lab

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/lvskit/lvskit/vmtest"
)

// TestLabBGP runs the BGP scenario in the VM (root, qemu and BIRD 2; one boot of about
// three minutes on a quiet machine) and holds it to its bounds. The timeline is logged.
// make test runs it after TestLab, alone, as the lab's bounds need.
func TestLabBGP(t *testing.T) {
	if testing.Short() {
		t.Skip("the BGP lab boots a VM for minutes; -short skips it")
	}
	if err := vmtest.Available(); err != nil {
		t.Skip(err)
	}
	if _, err := os.Stat(hostBird); err != nil {
		t.Skipf("BIRD 2 (the router) is not installed: %v (make deps)", err)
	}
	rep, err := RunBGP(context.Background(), BGPOptions{Logf: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	var tl bytes.Buffer
	rep.Timeline(&tl)
	t.Logf("timeline:\n%s", tl.String())
	for _, b := range rep.Check() {
		t.Error(b)
	}
	if t.Failed() {
		t.Logf("scenario stderr:\n%s\nsyslog:\n%s", rep.Stderr, rep.Files["syslog"])
	}
}

// TestParseBGP reads a scenario's events and holds them to the bounds.
func TestParseBGP(t *testing.T) {
	ev := `1000 setup begin speaker=bird hold=3s drain=5s
5000 measure setup announce-ms 3000
5001 setup done
6000 phase b begin the same flows
6500 measure b agreement 99.9
6501 measure b failed-flows 0
6502 measure b slow-flows 1
6503 measure b ignored
7000 phase b end
`
	r, err := ParseBGP([]byte(ev))
	if err != nil {
		t.Fatal(err)
	}
	r.Phases = []string{"b"}
	bad := r.Check()
	if len(bad) != 1 || !strings.Contains(bad[0], "agreement = 99.9, bound == 100") {
		t.Errorf("Check = %q, want the agreement's failure alone", bad)
	}
	r.Measures[1].Value = 100
	if bad := r.Check(); len(bad) != 0 {
		t.Errorf("Check = %q, want none", bad)
	}
	var tl bytes.Buffer
	r.Timeline(&tl)
	if !strings.Contains(tl.String(), "ok   agreement") {
		t.Errorf("timeline:\n%s", tl.String())
	}
}
