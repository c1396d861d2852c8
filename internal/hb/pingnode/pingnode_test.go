package pingnode

import (
	"context"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// TestIntegrationPingLoopback pings 127.0.0.1 (which answers) and 192.0.2.99 (which
// nobody has: no route) inside a fresh network namespace.
func TestIntegrationPingLoopback(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to create a network namespace")
	}
	var got []netip.Addr
	var mu sync.Mutex
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		ns, err := netns.New()
		if err != nil {
			errc <- err
			return
		}
		defer ns.Close()
		defer func() {
			if netns.Set(orig) == nil {
				runtime.UnlockOSThread()
			}
		}()
		lo, err := netlink.LinkByName("lo")
		if err == nil {
			err = netlink.LinkSetUp(lo)
		}
		if err != nil {
			errc <- err
			return
		}
		p, err := Listen() // the socket lives in this namespace from now on
		if err != nil {
			errc <- err
			return
		}
		defer p.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		defer cancel()
		_ = p.Run(ctx, []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("192.0.2.99")}, 100*time.Millisecond, func(a netip.Addr) {
			mu.Lock()
			got = append(got, a)
			mu.Unlock()
		})
		errc <- nil
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
