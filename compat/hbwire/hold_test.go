package hbwire_test

import (
	"testing"

	"github.com/lvskit/lvskit/compat/hbwire"
)

func TestHoldAlgebra(t *testing.T) {
	for _, tc := range []struct {
		h              hbwire.Hold
		local, foreign bool
		mirror         hbwire.Hold
	}{
		{hbwire.HoldNone, false, false, hbwire.HoldNone},
		{hbwire.HoldLocal, true, false, hbwire.HoldForeign},
		{hbwire.HoldForeign, false, true, hbwire.HoldLocal},
		{hbwire.HoldAll, true, true, hbwire.HoldAll},
		{"", false, false, hbwire.HoldNone},
		{"bogus", false, false, hbwire.HoldNone},
	} {
		if tc.h.Local() != tc.local || tc.h.Foreign() != tc.foreign || tc.h.Mirror() != tc.mirror {
			t.Errorf("%q: local %v foreign %v mirror %q; want %v %v %q", tc.h, tc.h.Local(), tc.h.Foreign(), tc.h.Mirror(),
				tc.local, tc.foreign, tc.mirror)
		}
		if tc.h == hbwire.HoldNone || tc.h.Local() || tc.h.Foreign() {
			if got := hbwire.HoldOf(tc.local, tc.foreign); got != tc.h {
				t.Errorf("HoldOf(%v, %v) = %q, want %q", tc.local, tc.foreign, got, tc.h)
			}
		}
	}
}
