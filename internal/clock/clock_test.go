package clock

import (
	"testing"
	"time"
)

func TestFakeAfterFiresOnlyWhenDue(t *testing.T) {
	f := NewFake(time.Unix(1000, 0))
	ch := f.After(5 * time.Second)
	f.Advance(4 * time.Second)
	select {
	case <-ch:
		t.Fatal("fired early")
	default:
	}
	f.Advance(time.Second)
	select {
	case got := <-ch:
		if got.Unix() != 1005 {
			t.Fatalf("fired at %v, want 1005", got.Unix())
		}
	default:
		t.Fatal("did not fire when due")
	}
}
