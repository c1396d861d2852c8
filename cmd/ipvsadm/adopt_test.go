package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lvskit/lvskit/internal/ipvs"
)

// adopt runs ipvsadm-adopt with args and stdin against fake, returning stdout, stderr,
// the status and the table afterwards (ipvsadm -S -n).
func adopt(t *testing.T, fake *ipvs.Fake, stdin string, args ...string) (string, string, int, string) {
	t.Helper()
	var o, e bytes.Buffer
	env := testEnv(fake, append([]string{"ipvsadm-adopt"}, args...), stdin)
	env.Stdout, env.Stderr = &o, &e
	st := RunAdopt(env)
	var save bytes.Buffer
	senv := testEnv(fake, []string{"ipvsadm", "-S", "-n"}, "")
	senv.Stdout, senv.Stderr = &save, &save
	Run(senv)
	return o.String(), e.String(), st, save.String()
}

func restore(t *testing.T, fake *ipvs.Fake, rules string) {
	t.Helper()
	var out bytes.Buffer
	env := testEnv(fake, []string{"ipvsadm", "-R"}, rules)
	env.Stdout, env.Stderr = &out, &out
	if st := Run(env); st != 0 {
		t.Fatalf("ipvsadm -R: status %d: %s", st, out.String())
	}
}

const adoptRules = `# the director's table
-A -t 10.0.0.100:8080 -s rr
-a -t 10.0.0.100:8080 -r 10.0.0.21 -w 5 -g
-a -t 10.0.0.100:8080 -r 10.0.0.22 -w 5 -g
`

func TestAdopt(t *testing.T) {
	const want = "-A -t 10.0.0.100:8080 -s rr\n" +
		"-a -t 10.0.0.100:8080 -r 10.0.0.21:8080 -g -w 5\n" +
		"-a -t 10.0.0.100:8080 -r 10.0.0.22:8080 -g -w 5\n"
	t.Run("empty table", func(t *testing.T) {
		fake := ipvs.NewFake()
		out, errOut, st, table := adopt(t, fake, adoptRules, "-v")
		if st != 0 || errOut != "" || table != want {
			t.Fatalf("status %d stderr %q table:\n%s", st, errOut, table)
		}
		if n := strings.Count(out, "\n"); n != 3 {
			t.Errorf("-v printed %d changes, want 3:\n%s", n, out)
		}
	})
	t.Run("already configured: no change at all", func(t *testing.T) {
		fake := ipvs.NewFake()
		restore(t, fake, strings.SplitN(adoptRules, "\n", 2)[1])
		before := len(fake.Calls())
		out, errOut, st, table := adopt(t, fake, adoptRules, "-v")
		if st != 0 || errOut != "" || out != "" || table != want {
			t.Fatalf("status %d stdout %q stderr %q table:\n%s", st, out, errOut, table)
		}
		for _, c := range fake.Calls()[before:] {
			if c.Op != "Services" && c.Op != "Destinations" && c.Op != "Info" && c.Op != "Close" {
				t.Errorf("adopting a configured table called %s", c.Op)
			}
		}
	})
	t.Run("edits in place, keeps what it was not told to remove", func(t *testing.T) {
		fake := ipvs.NewFake()
		// a restarted director's table: a weight changed by hand, an extra real server
		restore(t, fake, "-A -t 10.0.0.100:8080 -s rr\n-a -t 10.0.0.100:8080 -r 10.0.0.21 -w 1 -g\n-a -t 10.0.0.100:8080 -r 10.0.0.23 -w 5 -g\n")
		out, _, st, table := adopt(t, fake, adoptRules, "--dry-run")
		if st != 0 || out != "ipvsadm -e -t 10.0.0.100:8080 -r 10.0.0.21:8080 -g -w 5\nipvsadm -a -t 10.0.0.100:8080 -r 10.0.0.22:8080 -g -w 5\n" {
			t.Fatalf("--dry-run: status %d:\n%s", st, out)
		}
		if !strings.Contains(table, "10.0.0.21:8080 -g -w 1") {
			t.Fatalf("--dry-run changed the table:\n%s", table)
		}
		_, errOut, st, table := adopt(t, fake, adoptRules)
		if st != 0 || errOut != "" {
			t.Fatalf("status %d stderr %q", st, errOut)
		}
		// 10.0.0.23 stays: no -d line names it (it may carry connections).
		if want := want + "-a -t 10.0.0.100:8080 -r 10.0.0.23:8080 -g -w 5\n"; table != want {
			t.Fatalf("table:\n%s\nwant:\n%s", table, want)
		}
	})
	t.Run("bad rules: file:line, nothing changed", func(t *testing.T) {
		fake := ipvs.NewFake()
		_, errOut, st, table := adopt(t, fake, "-A -t 10.0.0.100:8080 -s rr\n-C\n")
		if st != 2 || !strings.Contains(errOut, "stdin:2:") || table != "" {
			t.Fatalf("status %d stderr %q table %q", st, errOut, table)
		}
		_, errOut, st, _ = adopt(t, fake, "-a -t 10.0.0.100:8080 -r 10.0.0.21\n")
		if st != 2 || !strings.Contains(errOut, "stdin:1:") {
			t.Fatalf("status %d stderr %q", st, errOut)
		}
	})
	t.Run("usage", func(t *testing.T) {
		_, errOut, st, _ := adopt(t, ipvs.NewFake(), "", "rules.txt")
		if st != 2 || !strings.Contains(errOut, "Usage: ipvsadm-adopt") {
			t.Fatalf("status %d stderr %q", st, errOut)
		}
	})
}
