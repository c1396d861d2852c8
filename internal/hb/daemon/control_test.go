package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

type fakeQuerier struct{ got []string }

func (f *fakeQuerier) Query(_ context.Context, args []string) (string, int) {
	f.got = args
	return "local\n", 3
}

func TestControlSocketRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hb.sock")
	ln, err := ListenControl(path)
	if err != nil {
		t.Fatal(err)
	}
	q := &fakeQuerier{}
	done := make(chan error, 1)
	go func() { done <- ServeControl(ln, q) }()
	out, code, err := Query(path, []string{"rscstatus", "-m"})
	if err != nil || out != "local\n" || code != 3 {
		t.Fatalf("Query = %q, %d, %v", out, code, err)
	}
	if strings.Join(q.got, " ") != "rscstatus -m" {
		t.Errorf("server got %q", q.got)
	}
	if _, err := ListenControl(path); err == nil {
		t.Error("a second daemon could take over a live control socket")
	}
	ln.Close()
	if err := <-done; err != nil {
		t.Errorf("ServeControl: %v", err)
	}
	if _, _, err := Query(path, []string{"hbstatus"}); err == nil {
		t.Error("Query succeeded with nothing listening")
	}
}

func TestControlSocketCreatedWithItsMode(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "hb.sock")
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		t.Skip("inotify:", err)
	}
	defer unix.Close(fd)
	if _, err := unix.InotifyAddWatch(fd, dir, unix.IN_CREATE|unix.IN_MOVED_TO); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0)
	ln, err := ListenControl(path)
	syscall.Umask(old)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()

	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != ControlSocketMode {
		t.Errorf("%s: mode %v, want a socket with mode %o", path, fi.Mode(), ControlSocketMode)
	}
	buf := make([]byte, 64<<10)
	n, err := unix.Read(fd, buf)
	if err != nil {
		t.Fatal(err)
	}
	moved := false
	for off := 0; off+unix.SizeofInotifyEvent <= n; {
		ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
		name := strings.TrimRight(string(buf[off+unix.SizeofInotifyEvent:off+unix.SizeofInotifyEvent+int(ev.Len)]), "\x00")
		off += unix.SizeofInotifyEvent + int(ev.Len)
		switch {
		case ev.Mask&unix.IN_MOVED_TO != 0 && name == "hb.sock":
			moved = true
		case ev.Mask&unix.IN_CREATE != 0 && ev.Mask&unix.IN_ISDIR != 0 && name != "hb.sock":
			// the private directory the socket is bound in
		default:
			t.Errorf("inotify: %q mask %#x: the socket was created where others could reach it", name, ev.Mask)
		}
	}
	if !moved {
		t.Error("the socket did not arrive at its path by a rename")
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left behind in %s: %v", dir, ents)
	}
	// It works, and replaces a stale socket (nobody listening) the same way.
	ln.Close()
	ln2, err := ListenControl(path)
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	defer ln2.Close()
	go func() { _ = ServeControl(ln2, &fakeQuerier{}) }()
	if _, code, err := Query(path, []string{"rscstatus"}); err != nil || code != 3 {
		t.Errorf("Query = %d, %v", code, err)
	}
}

// serveTest serves a fake querier on a fresh socket with the given bounds.
func serveTest(t *testing.T, maxConns int, timeout time.Duration) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "hb.sock")
	ln, err := ListenControl(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() { _ = controlServer{q: &fakeQuerier{}, maxConns: maxConns, requestTimeout: timeout}.serve(ln) }()
	return path
}

// exchange sends raw bytes and returns the daemon's reply.
func exchange(t *testing.T, path string, send []byte) reply {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = c.Write(send) }()
	var r reply
	if err := json.NewDecoder(c).Decode(&r); err != nil {
		t.Fatalf("no reply: %v", err)
	}
	return r
}

// TestControlRequestBounded: a request line may be MaxRequest bytes, newline included;
// a longer one is answered with an error and the connection closed, without the daemon
// reading the rest.
func TestControlRequestBounded(t *testing.T) {
	path := serveTest(t, 4, 5*time.Second)
	fits := func(n int) []byte {
		// {"args":["..."]} and its newline are 14 bytes around the x's
		return []byte(`{"args":["` + strings.Repeat("x", n-14) + `"]}` + "\n")
	}
	if r := exchange(t, path, fits(MaxRequest)); r.Code != 3 {
		t.Errorf("%d-byte request: %+v", MaxRequest, r)
	}
	r := exchange(t, path, fits(MaxRequest+1))
	if r.Code != 2 || !strings.Contains(r.Out, "request longer than 4096 bytes") {
		t.Errorf("%d-byte request: %+v", MaxRequest+1, r)
	}
	// A client streaming without end is cut off at the bound, not read on.
	r = exchange(t, path, bytes.Repeat([]byte("x"), 1<<20))
	if r.Code != 2 || !strings.Contains(r.Out, "request longer") {
		t.Errorf("endless request: %+v", r)
	}
	if r := exchange(t, path, []byte("{\n")); r.Code != 2 || !strings.Contains(r.Out, "bad request") {
		t.Errorf("bad JSON: %+v", r)
	}
}

// TestControlConnectionsBounded: a client that sends nothing is cut off after the
// request timeout, and connections beyond the cap are told the daemon is busy at once.
func TestControlConnectionsBounded(t *testing.T) {
	// The request timeout is long beside the bounds below so that a loaded machine
	// (CI's race pass) tells "busy at once" from "waited for a slot".
	const timeout = 2 * time.Second
	path := serveTest(t, 2, timeout)
	var idle []net.Conn
	for range 2 {
		c, err := net.Dial("unix", path)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		idle = append(idle, c)
	}
	time.Sleep(300 * time.Millisecond) // both accepted and holding their slots
	start := time.Now()
	if r := exchange(t, path, []byte(`{"args":["rscstatus"]}`+"\n")); r.Code != 1 || !strings.Contains(r.Out, "busy") {
		t.Errorf("third connection: %+v, want busy", r)
	}
	if took := time.Since(start); took > timeout/2 {
		t.Errorf("busy answer took %v: it waited for a slot (the request timeout is %v)", took, timeout)
	}
	for _, c := range idle {
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		var r reply
		if err := json.NewDecoder(c).Decode(&r); err != nil || r.Code != 2 || !strings.Contains(r.Out, "timeout") {
			t.Errorf("idle connection: %+v, %v; want a timeout reply", r, err)
		}
	}
	// The slots are released just after the timeout replies: ask until answered (2 s).
	var r reply
	for i := 0; i < 40; i++ {
		if r = exchange(t, path, []byte(`{"args":["rscstatus"]}`+"\n")); r.Code == 3 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r.Code != 3 {
		t.Errorf("after the idle ones went: %+v", r)
	}
}

// TestQueryErrors: permission denied is not "not running".
func TestQueryErrors(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "hb.sock")
	opErr := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "unix", Err: os.NewSyscallError("connect", errno)}
	}
	for _, tc := range []struct {
		errno            syscall.Errno
		notRunning, perm bool
	}{
		{syscall.EACCES, false, true},
		{syscall.EPERM, false, true},
		{syscall.ENOENT, true, false},
		{syscall.ECONNREFUSED, true, false},
		{syscall.EAGAIN, false, false},
	} {
		err := dialError(sock, opErr(tc.errno))
		if errors.Is(err, ErrNotRunning) != tc.notRunning || errors.Is(err, os.ErrPermission) != tc.perm {
			t.Errorf("%v: %v: not running %v, permission %v", tc.errno, err, errors.Is(err, ErrNotRunning), errors.Is(err, os.ErrPermission))
		}
		if tc.perm && !strings.Contains(err.Error(), "permission denied on "+sock+": run as root") {
			t.Errorf("%v: %q", tc.errno, err)
		}
	}
	if _, _, err := Query(sock, []string{"hbstatus"}); !errors.Is(err, ErrNotRunning) {
		t.Errorf("no socket: %v", err)
	}
}

func FuzzReadRequest(f *testing.F) {
	f.Add([]byte(`{"args":["rscstatus","-m"]}` + "\n"))
	f.Add([]byte(`{"args":["hblinkstatus","lvs2","eth0"]}` + "\n"))
	f.Add([]byte(`{"args":[]}`))
	f.Add(append(bytes.Repeat([]byte(" "), MaxRequest), '\n'))
	f.Fuzz(func(t *testing.T, b []byte) {
		args, err := ReadRequest(bytes.NewReader(b))
		i := bytes.IndexByte(b, '\n')
		if err == nil && (i < 0 || i >= MaxRequest || len(args) > maxArgs) {
			t.Fatalf("accepted %d args from a line of %d bytes (newline at %d)", len(args), len(b), i)
		}
		if (i < 0 && len(b) >= MaxRequest || i >= MaxRequest) && !errors.Is(err, ErrRequestTooLong) {
			t.Fatalf("line over the bound: %v", err)
		}
	})
}
