package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

type request struct {
	Args []string `json:"args"`
}

type reply struct {
	Out  string `json:"out"`
	Code int    `json:"code"`
}

// Querier answers control requests (Loop does).
type Querier interface {
	Query(ctx context.Context, args []string) (string, int)
}

const (
	// MaxRequest bounds a request line. The longest real one (cl_status with a node and
	// a link name) is a few hundred bytes; a bound keeps one client from making the
	// daemon buffer without limit.
	MaxRequest = 4 << 10
	maxArgs    = 16
	// maxControlConns bounds the connections served at once. The clients are one-shot
	// commands run by hand or from scripts; more at once is a runaway loop or an attack,
	// and each costs a goroutine and a file descriptor the heartbeat loop needs.
	maxControlConns = 16
	// requestTimeout bounds the wait for the request line: clients send it at once.
	requestTimeout = 5 * time.Second
	// queryTimeout bounds a standby or takeover waiting for the loop; replyTimeout the
	// write of the answer to a client that stopped reading.
	queryTimeout = 20 * time.Second
	replyTimeout = 5 * time.Second
)

// ErrRequestTooLong: a request line longer than MaxRequest.
var ErrRequestTooLong = fmt.Errorf("request longer than %d bytes", MaxRequest)

// ReadRequest reads one request line ({"args": [...]}) of at most MaxRequest bytes,
// newline included, and returns its arguments.
func ReadRequest(r io.Reader) ([]string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, MaxRequest), MaxRequest).ReadSlice('\n')
	if err != nil {
		if len(line) == MaxRequest {
			return nil, ErrRequestTooLong
		}
		return nil, fmt.Errorf("reading request: %w", err)
	}
	var req request
	if err := json.Unmarshal(line, &req); err != nil {
		return nil, fmt.Errorf("bad request: %w", err)
	}
	if len(req.Args) > maxArgs {
		return nil, fmt.Errorf("bad request: more than %d arguments", maxArgs)
	}
	return req.Args, nil
}

// ServeControl answers requests on the unix socket ln until it is closed: one JSON
// request line ({"args": [...]}) and one JSON reply line ({"out": ..., "code": N}) per
// connection.
func ServeControl(ln net.Listener, q Querier) error {
	s := controlServer{q: q, maxConns: maxControlConns, requestTimeout: requestTimeout}
	return s.serve(ln)
}

type controlServer struct {
	q              Querier
	maxConns       int
	requestTimeout time.Duration
}

func (s controlServer) serve(ln net.Listener) error {
	slots := make(chan struct{}, s.maxConns)
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			// Out of file descriptors, say: wait and retry, as net/http does, rather
			// than leave the daemon without its control socket for good.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		select {
		case slots <- struct{}{}:
		default:
			// Said at once, in the accept loop: the client has just connected, so
			// this one short write finds its socket buffer empty.
			_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
			_ = json.NewEncoder(conn).Encode(reply{Out: fmt.Sprintf("heartbeatd: busy (%d control connections): try again\n", s.maxConns), Code: 1})
			conn.Close()
			continue
		}
		go func() {
			defer func() { <-slots }()
			s.serveConn(conn)
		}()
	}
}

func (s controlServer) serveConn(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(s.requestTimeout))
	args, err := ReadRequest(conn)
	if err != nil {
		_ = conn.SetWriteDeadline(time.Now().Add(replyTimeout))
		_ = json.NewEncoder(conn).Encode(reply{Out: fmt.Sprintf("heartbeatd: %v\n", err), Code: 2})
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	out, code := s.q.Query(ctx, args)
	_ = conn.SetWriteDeadline(time.Now().Add(replyTimeout))
	_ = json.NewEncoder(conn).Encode(reply{Out: out, Code: code})
}

// ErrNotRunning: nothing answers on the control socket.
var ErrNotRunning = errors.New("heartbeatd is not running")

// Query sends args to the daemon listening on socket and returns its answer. When the
// socket refuses this user the error matches os.ErrPermission (and is a
// *PermissionError); when nothing listens there, ErrNotRunning.
func Query(socket string, args []string) (string, int, error) {
	conn, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		return "", 0, dialError(socket, err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if err := json.NewEncoder(conn).Encode(request{Args: args}); err != nil {
		return "", 0, err
	}
	var r reply
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&r); err != nil {
		return "", 0, fmt.Errorf("%s: %w", socket, err)
	}
	return r.Out, r.Code, nil
}

// dialError tells "not running" (no socket, or nobody listening) from "not allowed"
// (the socket's mode refuses this user): answering the second with the first sent
// administrators looking for a dead daemon.
func dialError(socket string, err error) error {
	switch {
	case errors.Is(err, fs.ErrPermission): // EACCES, EPERM
		return &PermissionError{Socket: socket, Err: err}
	case errors.Is(err, syscall.ENOENT), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("%w (%s: %v)", ErrNotRunning, socket, err)
	}
	return fmt.Errorf("%s: %w", socket, err)
}

// PermissionError: the control socket exists but its mode refuses this user.
type PermissionError struct {
	Socket string
	Err    error
}

func (e *PermissionError) Error() string {
	who := "run as root"
	fi, err := os.Stat(e.Socket)
	if err == nil {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && st.Gid != 0 && fi.Mode()&0o060 == 0o060 {
			g := strconv.FormatUint(uint64(st.Gid), 10)
			if grp, err := user.LookupGroupId(g); err == nil {
				g = grp.Name
			}
			who += " or as a member of group " + g
		}
	}
	return fmt.Sprintf("permission denied on %s: %s", e.Socket, who)
}

func (e *PermissionError) Unwrap() error { return e.Err }

// ControlSocketMode is the control socket's mode: its owner (root) and group.
const ControlSocketMode = 0o660

// ListenControl opens the control socket at path, replacing a stale one. The socket is
// bound in a fresh private directory (mode 0700) beside path, given its mode there, and
// only then renamed to path: bound at path directly it would have, until a chmod, the
// mode the umask leaves (0777 with umask 0), open to every local user.
func ListenControl(path string) (net.Listener, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("%s: another heartbeatd answers there", path)
	}
	dir, err := os.MkdirTemp(filepath.Dir(path), ".sock-")
	if err != nil {
		return nil, err
	}
	defer os.Remove(dir)
	tmp := filepath.Join(dir, "s")
	ln, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, err
	}
	// Close must not unlink by the bound name, which moves; the daemon removes path.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, ControlSocketMode); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	return ln, nil
}
