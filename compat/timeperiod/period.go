package timeperiod

import (
	"errors"
	"time"
)

// Period is a parsed Time::Period specification. The zero value is the
// empty spec, which contains every time.
type Period struct {
	spec string
}

// Parse parses spec. When err is non-nil the returned Period is still
// usable and evaluates exactly as perl would (InPeriod returns -1 once a
// malformed sub-period is reached).
func Parse(spec string) (Period, error) {
	return Period{spec: spec}, errors.New("timeperiod: not implemented yet")
}

// String returns the spec as given to Parse.
func (p Period) String() string { return p.spec }

// InPeriod returns 1 if t is in the period, 0 if not, -1 if a malformed
// part of the spec had to be examined (perl's inPeriod result).
func (p Period) InPeriod(t time.Time) int { return -1 }

// Contains reports whether t is in the period (InPeriod(t) == 1).
func (p Period) Contains(t time.Time) bool { return p.InPeriod(t) == 1 }

// Active is perl truthiness of inPeriod: mon tests "if (inPeriod(...))",
// so -1 counts as in the period at run time.
func (p Period) Active(t time.Time) bool { return p.InPeriod(t) != 0 }
