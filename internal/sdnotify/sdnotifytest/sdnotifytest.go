// Package sdnotifytest plays systemd's notification socket for tests of daemons that
// report to it (internal/sdnotify).
package sdnotifytest

import (
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Socket is a notification socket; Path goes into the daemon's NOTIFY_SOCKET.
type Socket struct {
	Path string
	msgs chan string
}

// Listen opens a socket in a temporary directory, closed when the test ends.
func Listen(t testing.TB) *Socket {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	s := &Socket{Path: path, msgs: make(chan string, 1000)}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			s.msgs <- string(buf[:n])
		}
	}()
	return s
}

// Await returns the next message that starts with prefix, skipping others; the test
// fails when none comes within timeout.
func (s *Socket) Await(t testing.TB, prefix string, timeout time.Duration) string {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case m := <-s.msgs:
			if strings.HasPrefix(m, prefix) {
				return m
			}
		case <-deadline:
			t.Fatalf("no %q on the notify socket within %v", prefix, timeout)
			return ""
		}
	}
}

// Drain discards what has arrived so far and returns how many messages it was.
func (s *Socket) Drain() int {
	n := 0
	for {
		select {
		case <-s.msgs:
			n++
		default:
			return n
		}
	}
}

// Next returns the next message, or "" when none comes within timeout.
func (s *Socket) Next(timeout time.Duration) string {
	select {
	case m := <-s.msgs:
		return m
	case <-time.After(timeout):
		return ""
	}
}
