package director

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/compat/ipvsadm"
	"github.com/lvskit/lvskit/internal/ipvs"
)

// manualRules are the ipvsadm lines of the manual's /etc/init.d/lvs start, in -R form.
const manualRules = `# /etc/ipvsadm.rules
-A -t 10.144.43.185:8080 -s rr
-a -t 10.144.43.185:8080 -r 10.144.43.175 -w 5 -g
-a -t 10.144.43.185:8080 -r 10.144.43.187 -w 5 -g

-a -t 10.144.43.185:8080 -r 10.144.43.142 -w 5 -g
`

// savedRules is what ipvsadm 1.31 -S printed for a table of every kind (the golden
// reference session).
const savedRules = `-A -t 192.0.2.10:80 -s rr
-a -t 192.0.2.10:80 -r 198.51.100.1:80 -g -w 3
-a -t 192.0.2.10:80 -r 198.51.100.2:80 -i -w 1 --tun-type ipip
-a -t 192.0.2.10:80 -r 198.51.100.3:8080 -m -w 1
-A -u 192.0.2.20:53 -s wlc -p 360 -M 255.255.255.0
-a -u 192.0.2.20:53 -r 198.51.100.4:53 -g -w 1
-A -t [2001:db8::5]:443 -s lc
-a -t [2001:db8::5]:443 -r [2001:db8::6]:443 -m -w 1
-A -f 9 -s sh -b sh-port
`

func TestParseRulesIsTheManualsConfiguration(t *testing.T) {
	d, err := ParseRules("rules", strings.NewReader(manualRules), ipvsadm.ParseEnv{})
	if err != nil {
		t.Fatal(err)
	}
	// Over the table the manual's script builds, nothing to do...
	ops, err := Plan(read(t, table(t, manual())), d)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 0 {
		t.Errorf("rules differ from the manual's table: %q", formatOps(ops))
	}
	// ...and over an empty one, the script itself.
	ops, err = Plan(nil, d)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"-A -t 10.144.43.185:8080 -s rr",
		"-a -t 10.144.43.185:8080 -r 10.144.43.175:8080 -g -w 5",
		"-a -t 10.144.43.185:8080 -r 10.144.43.187:8080 -g -w 5",
		"-a -t 10.144.43.185:8080 -r 10.144.43.142:8080 -g -w 5",
	}
	if diff := cmp.Diff(want, formatOps(ops)); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
}

func TestParseRulesRoundTrip(t *testing.T) {
	d, err := ParseRules("saved", strings.NewReader(savedRules), ipvsadm.ParseEnv{})
	if err != nil {
		t.Fatal(err)
	}
	f := ipvs.NewFake()
	if _, err := Apply(context.Background(), f, d); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	cur := read(t, f)
	if len(cur) != 4 {
		t.Fatalf("%d services, want 4", len(cur))
	}
	ops, err := Plan(cur, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 0 {
		t.Errorf("the table made from the rules differs from them: %q", formatOps(ops))
	}
}

func TestParseRulesRemovals(t *testing.T) {
	d, err := ParseRules("r", strings.NewReader("-D -t 10.144.43.185:23\n-d -t 10.144.43.185:8080 -r 10.144.43.200\n"), ipvsadm.ParseEnv{})
	if err != nil {
		t.Fatal(err)
	}
	cur := []Service{manual(), {Service: ipvs.Service{Key: svc23, Scheduler: "rr"}}}
	cur[0].Dests = append(cur[0].Dests, dr(200, 1))
	ops, err := Plan(read(t, table(t, cur...)), d)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"-d -t 10.144.43.185:8080 -r 10.144.43.200:8080", "-D -t 10.144.43.185:23"}
	if diff := cmp.Diff(want, formatOps(ops)); diff != "" {
		t.Errorf("ops (-want +got):\n%s", diff)
	}
}

func TestParseRulesErrors(t *testing.T) {
	tests := []struct{ rules, want string }{
		{"-C\n", "r:1: -C would flush the table, which adopting never does"},
		{"-a -t 10.0.0.1:80 -r 10.0.0.2\n", "r:1: real server for TCP 10.0.0.1:80, which no earlier -A line declares"},
		{"-A -t 10.0.0.1:80\n-A -t 10.0.0.1:80 -s rr\n", "r:2: service TCP 10.0.0.1:80 declared twice"},
		{"-L -n\n", `r:1: "-L" is not a table rule`},
		{"-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.0.2 -w nine\n", "r:2: "},
		{"-A -t 10.0.0.1:80\n-a -t 10.0.0.1:80 -r 10.0.0.2\n-d -t 10.0.0.1:80 -r 10.0.0.2\n", "both configured and to be removed"},
	}
	for _, tt := range tests {
		_, err := ParseRules("r", strings.NewReader(tt.rules), ipvsadm.ParseEnv{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseRules(%q) = %v, want an error containing %q", tt.rules, err, tt.want)
		}
	}
}

// FuzzParseRules: any input gives rules or an error naming stdin and a line, never a
// panic; rules it accepts can be planned against an empty and a full table.
func FuzzParseRules(f *testing.F) {
	f.Add(manualRules)
	f.Add(savedRules)
	f.Add("-C\n")
	f.Add("-a -t 10.0.0.1:80 -r 10.0.0.2\n")
	f.Add("-A -f 7 -s rr\n-a -f 7 -r 10.0.0.2 -g\n-D -t 10.0.0.9:80\n")
	f.Fuzz(func(t *testing.T, rules string) {
		d, err := ParseRules("stdin", strings.NewReader(rules), ipvsadm.ParseEnv{Resolver: ipvsadm.NoResolver{}})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "stdin") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		if _, err := Plan(nil, d); err != nil {
			t.Fatalf("accepted rules do not plan against an empty table: %v", err)
		}
		if _, err := Plan(d.Services, d); err != nil {
			t.Fatalf("accepted rules do not plan against themselves: %v", err)
		}
	})
}
