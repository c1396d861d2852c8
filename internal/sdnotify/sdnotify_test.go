package sdnotify

import (
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/sdnotify/sdnotifytest"
)

func TestStates(t *testing.T) {
	sock := sdnotifytest.Listen(t)
	t.Setenv("NOTIFY_SOCKET", sock.Path)
	Ready("watching 3 services")
	if m := sock.Next(5 * time.Second); m != "READY=1\nSTATUS=watching 3 services" {
		t.Errorf("ready: %q", m)
	}
	Reloading()
	if m := sock.Next(5 * time.Second); m != "RELOADING=1" {
		t.Errorf("reloading: %q", m)
	}
	Stopping()
	if m := sock.Next(5 * time.Second); m != "STOPPING=1" {
		t.Errorf("stopping: %q", m)
	}
}

// The keep-alive goes out only while the probe answers: a stuck daemon is left to
// systemd's watchdog.
func TestWatchdogFollowsTheProbe(t *testing.T) {
	sock := sdnotifytest.Listen(t)
	t.Setenv("NOTIFY_SOCKET", sock.Path)
	t.Setenv("WATCHDOG_USEC", strconv.Itoa(int((100 * time.Millisecond).Microseconds())))
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	healthy := make(chan bool, 1)
	healthy <- true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		Watchdog(ctx, func(ctx context.Context) bool {
			select {
			case ok := <-healthy:
				healthy <- ok
				return ok
			case <-ctx.Done():
				return false
			}
		})
		close(done)
	}()
	for i := 0; i < 3; i++ {
		if m := sock.Next(5 * time.Second); m != "WATCHDOG=1" {
			t.Fatalf("keep-alive %d: %q", i, m)
		}
	}
	<-healthy
	healthy <- false
	// What was already on its way is drained; then nothing more may come.
	time.Sleep(120 * time.Millisecond)
	sock.Drain()
	if m := sock.Next(400 * time.Millisecond); strings.Contains(m, "WATCHDOG") {
		t.Errorf("keep-alive sent while the probe fails: %q", m)
	}
	cancel()
	<-done
}
