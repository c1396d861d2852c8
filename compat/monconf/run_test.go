package monconf

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestExitRangeContains(t *testing.T) {
	for _, tc := range []struct {
		r    ExitRange
		v    int
		want bool
	}{
		{"1", 1, true}, {"1", 2, false}, {"0", 0, true},
		{"1-3", 1, true}, {"1-3", 3, true}, {"1-3", 0, false}, {"1-3", 4, false},
		{"", 0, false}, {"x", 0, false}, {"3-1", 2, false},
	} {
		if got := tc.r.Contains(tc.v); got != tc.want {
			t.Errorf("ExitRange(%q).Contains(%d) = %v", tc.r, tc.v, got)
		}
	}
}

// TestAlertCommands: how mon's do_alert (Cmd) and its "test alert" command
// (TestCommand) split the same alert lines.
func TestAlertCommands(t *testing.T) {
	text := `hostgroup g h

watch g
    service s
        period p: wd {Sun-Sat}
            alert mail.alert -S "a b" root
            alert exit=2-3 mail.alert x
            alert exit = 2 mail.alert x
            alert mail.alert exit=2	y z
            alert mail.alert "unbalanced
            alert mail.alert
`
	cfg, err := ParseWithOptions("t.cf", strings.NewReader(text), Options{Readable: func(string) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	type cmds struct {
		Range     ExitRange
		Cmd, Test Command
	}
	var got []cmds
	for _, a := range cfg.Watches[0].Services[0].Periods[0].Alerts {
		got = append(got, cmds{a.ExitRange, a.Cmd, a.TestCommand()})
	}
	mail := func(text string, args ...string) Command {
		return Command{Program: "mail.alert", ArgText: text, Args: args}
	}
	want := []cmds{
		{"", mail(`-S "a b" root`, "-S", "a b", "root"), mail(`-S "a b" root`, "-S", "a b", "root")},
		{"2-3", mail("x", "x"), Command{Program: "exit=2-3", ArgText: "mail.alert x", Args: []string{"mail.alert", "x"}}},
		// "exit = 2": a range for do_alert, whose program is then the third word's
		// predecessor ("="), as perl's split gives it.
		{"2", Command{Program: "=", ArgText: "2 mail.alert x", Args: []string{"2", "mail.alert", "x"}},
			Command{Program: "exit", ArgText: "= 2 mail.alert x", Args: []string{"=", "2", "mail.alert", "x"}}},
		{"", mail("exit=2\ty z", "exit=2", "y", "z"), mail("y z", "y", "z")},
		{"", Command{Program: "mail.alert", ArgText: `"unbalanced`, QuoteError: true},
			Command{Program: "mail.alert", ArgText: `"unbalanced`, QuoteError: true}},
		{"", mail(""), mail("")},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestEscStr(t *testing.T) {
	for _, tc := range []struct {
		in, out, outQ string
	}{
		{"plain", "plain", "plain"},
		{"a b\tc\n", `a\20b\09c\0a`, `a\20b\09c\0a`},
		{`"q'` + "\x7f\xff", `\22q\27\7f\ff`, `\22q\27\7f\ff`},
		{`back\slash`, `back\slash`, `back\\slash`},
		{"", "", ""},
	} {
		if got := EscStr(tc.in, false); got != tc.out {
			t.Errorf("EscStr(%q, false) = %q, want %q", tc.in, got, tc.out)
		}
		if got := EscStr(tc.in, true); got != tc.outQ {
			t.Errorf("EscStr(%q, true) = %q, want %q", tc.in, got, tc.outQ)
		}
		if got := UnEscStr(tc.out); got != tc.in {
			t.Errorf("UnEscStr(%q) = %q, want %q", tc.out, got, tc.in)
		}
	}
	// Only two lowercase hex digits make an escape (perl's \\([0-9a-f]{2})).
	for in, want := range map[string]string{`\41\4`: `A\4`, `\4A`: `\4A`, `\\41`: `\A`, `x\`: `x\`, `\7e\7E`: `~\7E`} {
		if got := UnEscStr(in); got != want {
			t.Errorf("UnEscStr(%q) = %q, want %q", in, got, want)
		}
	}
}
