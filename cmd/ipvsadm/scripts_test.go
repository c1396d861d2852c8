package main

import (
	"bytes"
	"testing"

	"github.com/lvskit/lvskit/internal/ipvs"
)

func TestSaveScript(t *testing.T) {
	fake := ipvs.NewFake()
	var o, e bytes.Buffer
	env := testEnv(fake, []string{"ipvsadm", "-A", "-t", "192.0.2.10:80", "-s", "rr"}, "")
	env.Stdout, env.Stderr = &o, &e
	if st := Run(env); st != 0 {
		t.Fatalf("add: %d %s", st, e.String())
	}
	for _, c := range []struct {
		args   []string
		status int
		out    string
		err    string
	}{
		{[]string{"ipvsadm-save"}, 0, "-A -t 192.0.2.10:80 -s rr\n", ""},
		{[]string{"ipvsadm-save", "-n", "ignored"}, 0, "-A -t 192.0.2.10:80 -s rr\n", ""},
		{[]string{"/sbin/ipvsadm-save", "-x"}, 1, "", "ipvsadm-save: Script to save the IPVS table to stdout.\n   With the -n option, prints out the table in numeric format.\n"},
	} {
		o.Reset()
		e.Reset()
		env := testEnv(fake, c.args, "")
		env.Stdout, env.Stderr = &o, &e
		if st := RunSave(env); st != c.status || o.String() != c.out || e.String() != c.err {
			t.Errorf("%v: status %d stdout %q stderr %q", c.args, st, o.String(), e.String())
		}
	}
}

func TestRestoreScript(t *testing.T) {
	fake := ipvs.NewFake()
	var o, e bytes.Buffer
	env := testEnv(fake, []string{"ipvsadm", "-A", "-t", "192.0.2.99:80"}, "")
	env.Stdout, env.Stderr = &o, &e
	Run(env)
	// Comment lines are dropped and the table is cleared first.
	in := "# saved\n-A -t 192.0.2.10:80 -s rr\n#-A -t 192.0.2.11:80\n-a -t 192.0.2.10:80 -r 198.51.100.1 -m\n\n\n"
	env = testEnv(fake, []string{"ipvsadm-restore"}, in)
	env.Stdout, env.Stderr = &o, &e
	if st := RunRestore(env); st != 0 || e.Len() != 0 {
		t.Fatalf("restore: %d %q", st, e.String())
	}
	o.Reset()
	env = testEnv(fake, []string{"ipvsadm", "-S", "-n"}, "")
	env.Stdout, env.Stderr = &o, &e
	Run(env)
	want := "-A -t 192.0.2.10:80 -s rr\n-a -t 192.0.2.10:80 -r 198.51.100.1:80 -m -w 1\n"
	if o.String() != want {
		t.Errorf("table after restore:\n%s", o.String())
	}
	// The status is that of "ipvsadm -R": its last line failed.
	env = testEnv(fake, []string{"ipvsadm-restore"}, "-A -t 192.0.2.10:80\n-A -t 192.0.2.10:80\n")
	e.Reset()
	env.Stdout, env.Stderr = &o, &e
	if st := RunRestore(env); st != 255 || e.String() != "Service already exists\n" {
		t.Errorf("restore with error: %d %q", st, e.String())
	}
}
