package pingnode

import (
	"context"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/netnstest"
)

// TestIntegrationPingLoopback pings 127.0.0.1 (which answers) and 192.0.2.99 (which
// nobody has: no route) inside a fresh network namespace.
func TestIntegrationPingLoopback(t *testing.T) {
	ns := netnstest.New(t)
	var got []netip.Addr
	var mu sync.Mutex
	errc := make(chan error, 1)
	go func() {
		errc <- ns.Do(func() error {
			p, err := Listen() // the socket lives in the namespace from now on
			if err != nil {
				return err
			}
			defer p.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			_ = p.Run(ctx, []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.0.2.99")}, 100*time.Millisecond, func(a netip.Addr) {
				mu.Lock()
				got = append(got, a)
				mu.Unlock()
			})
			return nil
		})
	}()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("ping test did not finish")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) < 2 {
		t.Fatalf("%d replies in 500 ms at 100 ms intervals: %v", len(got), got)
	}
	for _, a := range got {
		if a != netip.MustParseAddr("127.0.0.1") {
			t.Errorf("reply from %v, which nobody should answer for", a)
		}
	}
}
