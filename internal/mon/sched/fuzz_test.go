package sched

import "testing"

// FuzzEvalBool: dependency expressions come from mon.cf; evaluation must never panic.
func FuzzEvalBool(f *testing.F) {
	for _, s := range []string{"1 && 0", "!(1 || 0) and not 0", "((1)", "1 &&", "", "0 or 1 or (1 && !0)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		evalBool(s)
		tokenize(s)
	})
}
