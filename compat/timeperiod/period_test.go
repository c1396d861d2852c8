package timeperiod

import (
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05", s)
	if err != nil {
		panic(err)
	}
	return t // UTC
}

func TestInPeriodTable(t *testing.T) {
	// 2026-11-25 is a Wednesday; November 2026 starts on a Sunday.
	tests := []struct {
		spec string
		time string
		want int
	}{
		{"", "2026-11-25 10:00:00", 1},
		{"   ", "2026-11-25 10:00:00", 1},
		{"none", "2026-11-25 10:00:00", 0},
		{" NoNe ", "2026-11-25 10:00:00", 0},
		{"wd {Mon-Fri}", "2026-11-25 10:00:00", 1},
		{"wd {Mon-Fri}", "2026-11-29 10:00:00", 0}, // Sunday
		{"wd {Sat-Mon}", "2026-11-29 10:00:00", 1}, // wraps
		{"wd {Sat-Mon}", "2026-11-25 10:00:00", 0},
		{"wday {Wednesday}", "2026-11-25 10:00:00", 1},
		{"wd {4}", "2026-11-25 10:00:00", 1}, // 1 is Sunday
		{"wd {Mon-Fri} hr {7am-6pm}", "2026-11-25 18:59:59", 1},
		{"wd {Mon-Fri} hr {7am-6pm}", "2026-11-25 19:00:00", 0},
		{"wd {Mon-Fri} hr {7am-6pm}", "2026-11-25 06:59:59", 0},
		{"hr {12am}", "2026-11-25 00:30:00", 1},
		{"hr {12pm}", "2026-11-25 12:30:00", 1},
		{"hr {12noon}", "2026-11-25 12:30:00", 1},
		{"hr {11noon}", "2026-11-25 12:30:00", -1},
		{"hr {9am - 5pm}", "2026-11-25 17:00:00", 1},
		{"hr {20-4}", "2026-11-25 03:00:00", 1},
		{"hr {24}", "2026-11-25 03:00:00", -1},
		{"hr {13pm}", "2026-11-25 03:00:00", -1},
		{"mo {Nov-Feb}", "2026-01-10 00:00:00", 1},
		{"mo {jan feb nov dec}", "2026-11-25 00:00:00", 1},
		{"mo {Jan Feb} mo {Nov Dec}", "2026-11-25 00:00:00", 1},
		{"mo {13}", "2026-11-25 00:00:00", -1},
		{"md {25}", "2026-11-25 00:00:00", 1},
		{"md {0}", "2026-11-25 00:00:00", -1},
		{"yd {329}", "2026-11-25 00:00:00", 1},
		{"yd {367}", "2026-11-25 00:00:00", -1},
		{"yr {26}", "2026-11-25 00:00:00", 1},
		{"yr {2026}", "2026-11-25 00:00:00", 1},
		{"yr {2030-25}", "2026-11-25 00:00:00", 1}, // years do not wrap: put in order
		{"yr {1000}", "2026-11-25 00:00:00", -1},
		{"min {0-29}", "2026-11-25 00:29:59", 1},
		{"min {0-29}", "2026-11-25 00:30:00", 0},
		{"sec {0-4 10-14}", "2026-11-25 00:00:12", 1},
		{"minute {60}", "2026-11-25 00:00:12", -1},
		// Week of month: Sun 1 Nov is week 1, Sun 8 Nov starts week 2.
		{"wk {1}", "2026-11-07 00:00:00", 1},
		{"wk {2}", "2026-11-08 00:00:00", 1},
		{"wk {5}", "2026-11-29 00:00:00", 1},
		{"wk {7}", "2026-11-29 00:00:00", -1},
		{"wd {Mon Wed Fri} hr {9am-4pm}, wd{Tue Thu} hr {9am-2pm}", "2026-11-26 15:00:00", 0},
		{"wd {Mon Wed Fri} hr {9am-4pm}, wd{Tue Thu} hr {9am-2pm}", "2026-11-26 14:00:00", 1},
		// First matching sub-period wins: a later malformed one is not seen.
		{"wd {We}, bogus", "2026-11-25 00:00:00", 1},
		{"wd {Th}, bogus", "2026-11-25 00:00:00", -1},
		{"wd {}", "2026-11-25 00:00:00", 0},
		{"wd {Mon", "2026-11-25 00:00:00", -1},
		{"w {1}", "2026-11-25 00:00:00", -1},
		{"days {1}", "2026-11-25 00:00:00", -1},
		{"wd {mo} x", "2026-11-25 00:00:00", -1},
		{"wd {mo},", "2026-11-24 00:00:00", 0}, // trailing empty field dropped
		{",wd {mo}", "2026-11-24 00:00:00", -1},
		{"wd {x}", "2026-11-25 00:00:00", -1},
		{"wd {-}", "2026-11-25 00:00:00", -1},
		{"WD {WED}", "2026-11-25 00:00:00", 1},
		{"wd {we}", "1969-12-31 00:00:00", -1},
	}
	for _, tt := range tests {
		p, _ := Parse(tt.spec)
		if got := p.InPeriod(at(tt.time)); got != tt.want {
			t.Errorf("InPeriod(%q, %s) = %d, want %d", tt.spec, tt.time, got, tt.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, spec := range []string{"wd {Mon", "bogus", "hr {25}", "wd {Mon}, x {1}", "mo {1-}"} {
		if _, err := Parse(spec); err == nil {
			t.Errorf("Parse(%q): want error", spec)
		}
	}
	for _, spec := range []string{"", "none", "wd {Mon-Fri} hr {7am-6pm}", "wd {}", "hour {12noon}"} {
		if _, err := Parse(spec); err != nil {
			t.Errorf("Parse(%q): %v", spec, err)
		}
	}
}

func TestContainsActive(t *testing.T) {
	p, err := Parse("wd {Th}, bogus")
	if err == nil {
		t.Fatal("want error for malformed sub-period")
	}
	wed := at("2026-11-25 00:00:00")
	if p.Contains(wed) || !p.Active(wed) {
		t.Errorf("Contains/Active on -1 = %v/%v, want false/true", p.Contains(wed), p.Active(wed))
	}
	if got := p.String(); got != "wd {Th}, bogus" {
		t.Errorf("String() = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "none", "wd {Mon-Fri} hr {7am-6pm}", "yr {99-1972}",
		"wk {1 3 5} wd {Mon Wed Fri} hr {9am-4pm}", "mo {Nov-Feb}, min{0 - 29}", "hr {12noon}",
		"sec {0-4 10-14 20-24}", "{", "}{", "wd { - }", "year {0}, month {jan}"} {
		f.Add(s, int64(1764064800))
	}
	f.Fuzz(func(t *testing.T, spec string, sec int64) {
		p, err := Parse(spec)
		tm := time.Unix(sec%(1<<40), 0).UTC()
		r := p.InPeriod(tm)
		if r < -1 || r > 1 {
			t.Fatalf("InPeriod = %d", r)
		}
		if err == nil && r == -1 && sec >= 0 {
			t.Fatalf("Parse(%q) ok but InPeriod = -1", spec)
		}
	})
}
