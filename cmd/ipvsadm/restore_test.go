package main

import (
	"bytes"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/internal/ipvs"
)

type outcome struct {
	Stdout, Stderr, Both string
	Status               int
	Table                string
	Calls                int
}

func runRestore(t *testing.T, input string, noBatch bool, setup func(*ipvs.Fake)) outcome {
	t.Helper()
	fake := ipvs.NewFake()
	if setup != nil {
		setup(fake)
	}
	var o, e, both bytes.Buffer
	env := testEnv(fake, []string{"ipvsadm", "-R"}, input)
	env.Stdout = multiWriter{&o, &both}
	env.Stderr = multiWriter{&e, &both}
	env.noBatch = noBatch
	st := Run(env)
	batches := 0
	for _, c := range fake.Calls() {
		if c.Op == "Batch" {
			batches++
		}
	}
	fake.Fail("Services", nil)
	fake.Fail("Destinations", nil)
	var save bytes.Buffer
	senv := testEnv(fake, []string{"ipvsadm", "-S", "-n"}, "")
	senv.Stdout, senv.Stderr = &save, &save
	Run(senv)
	return outcome{Stdout: o.String(), Stderr: e.String(), Both: both.String(), Status: st, Table: save.String(), Calls: batches}
}

type multiWriter []interface{ Write([]byte) (int, error) }

func (m multiWriter) Write(b []byte) (int, error) {
	for _, w := range m {
		w.Write(b)
	}
	return len(b), nil
}

// TestRestoreBatchEqualsLineByLine checks that batching consecutive changes into one
// Client.Batch gives the output, exit status and final table of line-by-line execution.
func TestRestoreBatchEqualsLineByLine(t *testing.T) {
	inputs := map[string]string{
		"plain":               "-A -t 192.0.2.10:80 -s rr\n-a -t 192.0.2.10:80 -r 198.51.100.1:80 -g -w 3\n-a -t 192.0.2.10:80 -r 198.51.100.2 -m\n",
		"kernel errors go on": "-A -t 1.1.1.1:80\n-A -t 1.1.1.1:80\n-A -t 1.1.1.2:80\n-a -t 9.9.9.9:80 -r 1.2.3.4\n-A -t 1.1.1.3:80\n",
		"last line fails":     "-A -t 1.1.1.8:80 -s nosuch\n",
		"popt error goes on":  "-A -t 1.1.1.6:80\n-L -Q\n-A -t 1.1.1.7:80\n",
		"popt error last":     "-A -t 1.1.1.6:80\n-L -n --frob\n",
		"parse error stops":   "-A -t 1.1.1.4:80\n-A -t 1.1.1.4:80\n-Q\n-A -t 1.1.1.5:80\n",
		"fail() stops":        "-A -t 1.1.1.4:80\n-a -t 1.1.1.4:80 -r 2.2.2.2 -w -5\n-A -t 1.1.1.5:80\n",
		"comment stops":       "-A -t 1.1.1.4:80\n# a comment\n-A -t 1.1.1.5:80\n",
		"listing between":     "-A -t 1.1.1.1:80\n-L -n\n-D -t 1.1.1.1:80\n-D -t 1.1.1.1:80\n-L -n\n-A -u 1.1.1.1:53\n-S -n\n",
		"nested restore":      "-A -t 1.1.1.1:80\n-R\n-A -t 1.1.1.2:80\n",
		"help mid-way":        "-A -t 1.1.1.1:80\n-h\n-A -t 1.1.1.2:80\n",
		"flush and zero":      "-A -t 1.1.1.1:80\n-a -t 1.1.1.1:80 -r 2.2.2.2\n-Z\n-C\n-A -t 1.1.1.9:80\n--set 1 2 3\n-L --timeout\n",
		"blank and ipvsadm":   "\n  \nipvsadm -A -t 1.1.1.1:80\nipvsadm\n-d -t 1.1.1.1:80 -r 5.5.5.5\n",
		"tail blanks lost":    "-A -t 1.1.1.1:80\n-A -t 1.1.1.2:80  ",
		"no final newline":    "-A -t 1.1.1.1:80\n-A -t 1.1.1.2:80",
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			lineByLine := runRestore(t, in, true, nil)
			batched := runRestore(t, in, false, nil)
			if lineByLine.Calls != 0 {
				t.Fatalf("line-by-line mode used Batch %d times", lineByLine.Calls)
			}
			batched.Calls, lineByLine.Calls = 0, 0
			if diff := cmp.Diff(lineByLine, batched); diff != "" {
				t.Errorf("batched differs from line by line (-line +batch):\n%s", diff)
			}
		})
	}
}

func TestRestoreSemantics(t *testing.T) {
	cases := []struct {
		name, in string
		want     outcome
	}{
		{"kernel errors go on", "-A -t 1.1.1.1:80\n-A -t 1.1.1.1:80\n-A -t 1.1.1.2:80\n", outcome{
			Stderr: "Service already exists\n", Status: 0,
			Table: "-A -t 1.1.1.1:80 -s wlc\n-A -t 1.1.1.2:80 -s wlc\n"}},
		{"last line's status", "-A -t 1.1.1.1:80\n-A -t 1.1.1.1:80\n", outcome{
			Stderr: "Service already exists\n", Status: 255,
			Table: "-A -t 1.1.1.1:80 -s wlc\n"}},
		{"parse error stops, earlier lines stay", "-A -t 1.1.1.4:80\n-Q\n-A -t 1.1.1.5:80\n", outcome{
			Stderr: "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n", Status: 255,
			Table: "-A -t 1.1.1.4:80 -s wlc\n"}},
		{"fail() exits 2", "-A -t 1.1.1.4:80\n-A -t 1.1.1.5\n-A -t 1.1.1.6:80\n", outcome{
			Stderr: "Zero port specified for non-persistent service\n", Status: 2,
			Table: "-A -t 1.1.1.4:80 -s wlc\n"}},
		{"popt error after the command goes on", "-A -t 1.1.1.6:80\n-L -Q\n-A -t 1.1.1.7:80\n", outcome{
			Stderr: "-Q: unknown option\n", Status: 0,
			Table: "-A -t 1.1.1.6:80 -s wlc\n-A -t 1.1.1.7:80 -s wlc\n"}},
	}
	for _, c := range cases {
		got := runRestore(t, c.in, false, nil)
		got.Both, got.Calls = "", 0
		if diff := cmp.Diff(c.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", c.name, diff)
		}
	}
}

// TestRestoreOrderOfMessages: with stdout and stderr on one pipe, kernel errors come
// before buffered listings, as with C stdio.
func TestRestoreOrderOfMessages(t *testing.T) {
	got := runRestore(t, "-A -t 1.1.1.1:80\n-L -n\n-A -t 1.1.1.1:80\n", false, nil)
	if !strings.HasPrefix(got.Both, "Service already exists\nIP Virtual Server version") {
		t.Errorf("combined output:\n%s", got.Both)
	}
}

func TestRestoreBatchFault(t *testing.T) {
	got := runRestore(t, "-A -t 1.1.1.1:80\n-A -t 1.1.1.2:80\n", false, func(f *ipvs.Fake) {
		f.Fail("AddService", syscall.ENOMEM)
	})
	if got.Stderr != "Memory allocation problem\nMemory allocation problem\n" || got.Status != 255 {
		t.Errorf("got %+v", got)
	}
}
