package timeperiod

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"math/rand"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// requirePerlTimePeriod returns perl's path, skipping the test when perl
// or Time::Period is missing.
func requirePerlTimePeriod(t *testing.T) string {
	t.Helper()
	perl, err := exec.LookPath("perl")
	if err != nil {
		t.Skip("perl not installed: differential test against Time::Period skipped")
	}
	if out, err := exec.Command(perl, "-MTime::Period", "-e", "1").CombinedOutput(); err != nil {
		t.Skipf("perl module Time::Period missing (Debian: libtime-period-perl): differential test skipped: %v %s", err, out)
	}
	return perl
}

// perlInPeriod evaluates every (spec, time) pair with perl's Time::Period
// in one perl process, with TZ set to tz. It skips the test when perl or
// the module is missing.
func perlInPeriod(t *testing.T, tz string, specs []string, times []int64) []int {
	t.Helper()
	perl := requirePerlTimePeriod(t)
	var in bytes.Buffer
	for i := range specs {
		fmt.Fprintf(&in, "%d %s\n", times[i], hex.EncodeToString([]byte(specs[i])))
	}
	// Specs travel hex-encoded so any byte survives the pipe.
	script := `$| = 0; while (<STDIN>) { chomp; my ($t, $h) = split / /, $_, 2; $h = "" unless defined $h; print inPeriod($t, pack("H*", $h)), "\n"; }`
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, perl, "-MTime::Period", "-e", script)
	cmd.Env = []string{"TZ=" + tz, "PATH=/usr/bin:/bin"}
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("perl: %v", err)
	}
	var res []int
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		n, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Fatalf("perl output %q: %v", sc.Text(), err)
		}
		res = append(res, n)
	}
	if len(res) != len(specs) {
		t.Fatalf("perl gave %d results for %d specs", len(res), len(specs))
	}
	return res
}

// genSpec builds a random spec from Time::Period's grammar with random
// defects, so that valid, invalid and borderline specs are all frequent.
func genSpec(r *rand.Rand) string {
	pick := func(xs ...string) string { return xs[r.Intn(len(xs))] }
	sp := func() string { return pick("", "", " ", "  ", "\t", "\n", "\v") }
	scales := []string{"yr", "mo", "wk", "yd", "md", "wd", "hr", "min", "sec",
		"year", "month", "week", "yday", "mday", "wday", "hour", "minute", "second",
		"Wd", "HR", "y", "", "days", "mins", "secs", "w d", "mon", "wdy", "hours"}
	value := func(scale string) string {
		switch r.Intn(12) {
		case 0:
			return pick("jan", "Feb", "march", "apr", "MAY", "jun", "jul", "aug", "sept", "oct", "nov", "december", "ja", "j")
		case 1:
			return pick("su", "Mon", "tue", "wednesday", "Thu", "fr", "sat", "s", "m", "x", "mo1")
		case 2:
			return strconv.Itoa(r.Intn(13)) + pick("am", "pm", "noon", "AM", "Pm")
		case 3:
			return pick("_", "a", "1a", "01", "007", "00", "9999", "99999999999999999999", "1970", "1969", "2038", "2100", "99", "0",
				"2.0", "1e2", "+5", "inf", "nan", "1.5", "12noonx", "0am", "13am", "0pm", "012noon")
		case 4:
			return strconv.Itoa(1970 + r.Intn(140))
		default:
			return strconv.Itoa(r.Intn(70) - 2*r.Intn(2))
		}
	}
	rng := func(scale string) string {
		v := value(scale)
		if r.Intn(2) == 0 {
			v += sp() + pick("-", "-", "-", "--", "") + sp() + value(scale)
		}
		return v
	}
	sub := func() string {
		var b strings.Builder
		n := 1 + r.Intn(3)
		for i := 0; i < n; i++ {
			sc := pick(scales[:18]...)
			if r.Intn(8) == 0 {
				sc = pick(scales...)
			}
			b.WriteString(sp() + sc + sp() + pick("{", "{", "{", "{ ", "", "{{"))
			m := r.Intn(4)
			for j := 0; j < m; j++ {
				if j > 0 {
					b.WriteString(pick(" ", "  ", "\t", ""))
				}
				b.WriteString(rng(sc))
			}
			b.WriteString(sp() + pick("}", "}", "}", " }", "", "}}"))
		}
		return b.String()
	}
	if r.Intn(2) == 0 {
		return genValidSpec(r)
	}
	switch r.Intn(25) {
	case 0:
		return pick("", " ", "none", "NONE", " none ", "nonE,", "\t")
	case 1:
		return sub() + pick(",", ", ", ",,")
	case 2:
		return pick(",", " , ") + sub()
	}
	var parts []string
	n := 1 + r.Intn(3)
	for i := 0; i < n; i++ {
		parts = append(parts, sub())
	}
	return strings.Join(parts, pick(",", ", ", " , ", ",\t"))
}

// genValidSpec builds well-formed specs with values near each scale's
// limits, so that 0 and 1 results are frequent.
func genValidSpec(r *rand.Rand) string {
	pick := func(xs ...string) string { return xs[r.Intn(len(xs))] }
	type sc struct {
		names  []string
		values func() string
	}
	num := func(lo, n int) func() string {
		return func() string { return strconv.Itoa(lo + r.Intn(n)) }
	}
	scales := []sc{
		{[]string{"yr", "year"}, func() string {
			if r.Intn(2) == 0 {
				return strconv.Itoa(r.Intn(100))
			}
			return strconv.Itoa(1970 + r.Intn(131))
		}},
		{[]string{"mo", "month"}, func() string {
			if r.Intn(2) == 0 {
				return pick("jan", "Feb", "mar", "April", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
			}
			return num(1, 12)()
		}},
		{[]string{"wk", "week"}, num(1, 6)},
		{[]string{"yd", "yday"}, num(1, 366)},
		{[]string{"md", "mday"}, num(1, 31)},
		{[]string{"wd", "wday"}, func() string {
			if r.Intn(2) == 0 {
				return pick("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "sunday", "FR")
			}
			return num(1, 7)()
		}},
		{[]string{"hr", "hour"}, func() string {
			switch r.Intn(3) {
			case 0:
				return strconv.Itoa(1+r.Intn(12)) + pick("am", "pm")
			case 1:
				return pick("12noon", "12am", "12pm")
			}
			return num(0, 24)()
		}},
		{[]string{"min", "minute"}, num(0, 60)},
		{[]string{"sec", "second"}, num(0, 60)},
	}
	var subs []string
	for n := 1 + r.Intn(3); n > 0; n-- {
		var b strings.Builder
		for m := 1 + r.Intn(3); m > 0; m-- {
			s := scales[r.Intn(len(scales))]
			if r.Intn(3) == 0 {
				s = scales[r.Intn(2)+5] // wd and hr, the common ones
			}
			fmt.Fprintf(&b, "%s {", s.names[r.Intn(2)])
			for k := 1 + r.Intn(3); k > 0; k-- {
				v := s.values()
				if r.Intn(2) == 0 {
					v += pick("-", " - ", "-") + s.values()
				}
				b.WriteString(v + " ")
			}
			b.WriteString("} ")
		}
		subs = append(subs, b.String())
	}
	return strings.Join(subs, ", ")
}

func genTime(r *rand.Rand) int64 {
	switch r.Intn(4) {
	case 0: // around a month boundary, for weeks and wrapping
		base := time.Date(1970+r.Intn(130), time.Month(1+r.Intn(12)), 1, 0, 0, 0, 0, time.UTC).Unix()
		return base + int64(r.Intn(86400*3)) - 86400
	case 1:
		return int64(r.Intn(86400 * 10))
	default:
		return r.Int63n(4102444800) // 1970..2100
	}
}

func TestDifferentialPerl(t *testing.T) {
	if testing.Short() {
		t.Skip("runs perl's Time::Period, the original; not with -short")
	}
	requirePerlTimePeriod(t)
	r := rand.New(rand.NewSource(1))
	var specs []string
	var times []int64
	// The table test's cases first, so the table itself is checked
	// against perl.
	tableSpecs := []string{"wd {Mon-Fri} hr {7am-6pm}", "wk {1}", "wk {2}", "wk {5}", "yr {2030-25}",
		"yr {99-1972}", "hr {12noon}", "wd {Th}, bogus", "wd {mo},", ",wd {mo}", "wd {}", "none"}
	for _, s := range tableSpecs {
		for i := 0; i < 40; i++ {
			specs = append(specs, s)
			times = append(times, genTime(r))
		}
	}
	for i := 0; i < 30000; i++ {
		specs = append(specs, genSpec(r))
		times = append(times, genTime(r))
	}
	for _, tz := range []string{"UTC", "Asia/Shanghai", "America/New_York"} {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			t.Logf("time zone %s not available: %v", tz, err)
			continue
		}
		want := perlInPeriod(t, tz, specs, times)
		counts := map[int]int{}
		bad := 0
		for i := range specs {
			p, _ := Parse(specs[i])
			got := p.InPeriod(time.Unix(times[i], 0).In(loc))
			counts[want[i]]++
			if got != want[i] {
				bad++
				if bad <= 20 {
					t.Errorf("TZ=%s inPeriod(%d, %q): perl %d, Go %d", tz, times[i], specs[i], want[i], got)
				}
			}
		}
		if bad > 0 {
			t.Errorf("TZ=%s: %d of %d differ", tz, bad, len(specs))
		}
		// The generator must exercise all three results, or the
		// comparison proves little.
		for _, v := range []int{-1, 0, 1} {
			if counts[v] < 100 {
				t.Errorf("TZ=%s: only %d cases where perl returns %d", tz, counts[v], v)
			}
		}
		t.Logf("TZ=%s: %d pairs, perl results %v", tz, len(specs), counts)
	}
}
