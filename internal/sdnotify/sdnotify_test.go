package sdnotify

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// listen plays systemd's notify socket and returns what the daemon sends.
func listen(t *testing.T) <-chan string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	ch := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			ch <- string(buf[:n])
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("nothing sent")
		return ""
	}
}

func TestStates(t *testing.T) {
	ch := listen(t)
	Ready("watching 3 services")
	if m := next(t, ch); m != "READY=1\nSTATUS=watching 3 services" {
		t.Errorf("ready: %q", m)
	}
	Reloading()
	if m := next(t, ch); m != "RELOADING=1" {
		t.Errorf("reloading: %q", m)
	}
	Stopping()
	if m := next(t, ch); m != "STOPPING=1" {
		t.Errorf("stopping: %q", m)
	}
}

// The keep-alive goes out only while the probe answers: a stuck daemon is left to
// systemd's watchdog.
func TestWatchdogFollowsTheProbe(t *testing.T) {
	ch := listen(t)
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
		if m := next(t, ch); m != "WATCHDOG=1" {
			t.Fatalf("keep-alive %d: %q", i, m)
		}
	}
	<-healthy
	healthy <- false
	// Drain what was already on its way, then nothing more may come.
	time.Sleep(120 * time.Millisecond)
	for len(ch) > 0 {
		<-ch
	}
	select {
	case m := <-ch:
		if strings.Contains(m, "WATCHDOG") {
			t.Errorf("keep-alive sent while the probe fails: %q", m)
		}
	case <-time.After(400 * time.Millisecond):
	}
	cancel()
	<-done
}
