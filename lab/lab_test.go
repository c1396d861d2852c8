package lab

import (
	"bytes"
	"context"
	"testing"

	"github.com/lvskit/lvskit/vmtest"
)

// TestLab runs the whole scenario in the VM (root and qemu; one boot of a few
// minutes) and holds it to its bounds. The timeline is logged.
func TestLab(t *testing.T) {
	runLab(t, Default())
}

// TestLabLocal runs the scenario whose directors are also real servers, as in the
// manual (Options.DirectorsServe), and holds it to its bounds.
func TestLabLocal(t *testing.T) {
	runLab(t, DirectorsServeDefault())
}

func runLab(t *testing.T, opts Options) {
	if testing.Short() {
		t.Skip("the lab boots a VM for minutes; -short skips it")
	}
	if err := vmtest.Available(); err != nil {
		t.Skip(err)
	}
	opts.Logf = t.Logf
	rep, err := Run(context.Background(), opts)
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
		t.Logf("scenario stderr:\n%s\nsyslog:\n%s", rep.Stderr, rep.Syslog)
	}
}
