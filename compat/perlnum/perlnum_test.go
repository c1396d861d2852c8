package perlnum

import (
	"math"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

var cases = []string{
	"", "0", "5", "5x", "-3", "+7", "1.5", ".5", "5.", ".", "-", "+", "1e2", "1e", "1e+",
	"1E-2x", "2.5e3.1", "inf", "-Inf", "infinity", "INFINITYx", "nan", "NaN1", "0x10",
	"007", "1_000", "abc", "12 34", "e5",
}

func TestPrefix(t *testing.T) {
	want := map[string]float64{
		"": 0, "5x": 5, "-3": -3, "+7": 7, ".5": 0.5, "5.": 5, ".": 0, "1e": 1, "1e+": 1,
		"1E-2x": 0.01, "2.5e3.1": 2500, "0x10": 0, "007": 7, "1_000": 1, "abc": 0, "12 34": 12, "e5": 0,
	}
	for in, w := range want {
		if got := Prefix(in); got != w {
			t.Errorf("Prefix(%q) = %v, want %v", in, got, w)
		}
	}
	if !math.IsInf(Prefix("-Inf"), -1) || !math.IsInf(Prefix("INFINITYx"), 1) || !math.IsNaN(Prefix("NaN1")) {
		t.Errorf("inf/nan prefixes not recognised")
	}
}

// TestPrefixAgainstPerl compares with perl itself (0 + $s) where perl is installed.
func TestPrefixAgainstPerl(t *testing.T) {
	if _, err := exec.LookPath("perl"); err != nil {
		t.Skip("perl not installed: the differential check needs it")
	}
	cmd := exec.Command("perl", "-e", `no warnings; while (<STDIN>) { chomp; print 0+$_, "\n" }`)
	cmd.Stdin = strings.NewReader(strings.Join(cases, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("perl: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(cases) {
		t.Fatalf("perl gave %d lines for %d cases", len(lines), len(cases))
	}
	for i, in := range cases {
		got := Prefix(in)
		var w float64
		switch strings.ToLower(lines[i]) {
		case "inf":
			w = math.Inf(1)
		case "-inf":
			w = math.Inf(-1)
		case "nan", "-nan":
			if !math.IsNaN(got) {
				t.Errorf("Prefix(%q) = %v, perl says NaN", in, got)
			}
			continue
		default:
			w, err = strconv.ParseFloat(lines[i], 64)
			if err != nil {
				t.Fatalf("perl output %q: %v", lines[i], err)
			}
		}
		if got != w {
			t.Errorf("Prefix(%q) = %v, perl says %v", in, got, w)
		}
	}
}
