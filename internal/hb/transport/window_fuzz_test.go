package transport

import (
	"encoding/binary"
	"testing"
)

// FuzzReplayWindow checks the bitmap window against a plain model: a seq
// is accepted iff it was never accepted and is within ReplayWindow of the
// highest seen.
func FuzzReplayWindow(f *testing.F) {
	f.Add([]byte{1, 0, 5, 0, 3, 0, 3, 0, 2, 1})
	f.Add([]byte{10, 0, 0, 1, 10, 0, 9, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p := &peer{highest: 1}
		p.seen[0] = 1
		model := map[uint64]bool{1: true}
		highest := uint64(1)
		for len(b) >= 2 {
			v := uint64(binary.LittleEndian.Uint16(b)) % 700
			b = b[2:]
			s := uint64(1)
			if v >= 350 { // jump ahead
				s = highest + v - 349
			} else if highest > v { // look back
				s = highest - v
			}
			want := !model[s] && (s > highest || highest-s < ReplayWindow)
			if got := p.accept(s); got != want {
				t.Fatalf("accept(%d) with highest %d = %v, want %v", s, highest, got, want)
			}
			if want {
				model[s] = true
				highest = max(highest, s)
			}
			if p.highest != highest {
				t.Fatalf("highest %d, want %d", p.highest, highest)
			}
		}
	})
}
