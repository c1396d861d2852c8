// Package ctlsock is the daemons' local control socket (heartbeatd's, which
// cl_status, hb_standby and hb_takeover use, and lvs-bgp's, which heartbeat's bgp
// resource script uses): one JSON request line ({"args": [...]}) and one JSON reply
// line ({"out": ..., "code": N}) per connection. The socket is created with its mode
// in a private directory and then renamed into place, so it is never reachable with
// the umask's mode; the server bounds request lines, arguments, connections and time.
package ctlsock

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"
)

// Mode is the socket's mode: root and the socket's group.
const Mode = 0o660

// Request and Reply are the protocol's two lines.
type Request struct {
	Args []string `json:"args"`
}

type Reply struct {
	Out  string `json:"out"`
	Code int    `json:"code"`
}

// Config bounds a server. Name ("heartbeatd", "lvs-bgp") starts its error replies.
type Config struct {
	Name                         string
	MaxRequest, MaxArgs          int // bytes of a request line (newline included), arguments
	MaxConns                     int // connections served at once; more are told "busy"
	RequestTimeout, QueryTimeout time.Duration
	ReplyTimeout                 time.Duration
}

// TooLong is the error of a request line longer than Max bytes.
type TooLong struct{ Max int }

func (e TooLong) Error() string { return fmt.Sprintf("request longer than %d bytes", e.Max) }

// ReadRequest reads one request line of at most maxRequest bytes and maxArgs arguments.
func ReadRequest(r io.Reader, maxRequest, maxArgs int) ([]string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, int64(maxRequest)), maxRequest).ReadSlice('\n')
	if err != nil {
		if len(line) == maxRequest {
			return nil, TooLong{maxRequest}
		}
		return nil, fmt.Errorf("reading request: %w", err)
	}
	var req Request
	if err := json.Unmarshal(line, &req); err != nil {
		return nil, fmt.Errorf("bad request: %w", err)
	}
	if len(req.Args) > maxArgs {
		return nil, fmt.Errorf("bad request: more than %d arguments", maxArgs)
	}
	return req.Args, nil
}

// Serve answers requests on ln with q until ln is closed. Accept errors (out of
// descriptors, say) are retried with a backoff from 5 ms to 1 s.
func Serve(ln net.Listener, c Config, q func(ctx context.Context, args []string) (string, int)) error {
	slots := make(chan struct{}, c.MaxConns)
	var backoff time.Duration
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		select {
		case slots <- struct{}{}:
		default:
			_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
			_ = json.NewEncoder(conn).Encode(Reply{Out: fmt.Sprintf("%s: busy (%d control connections): try again\n", c.Name, c.MaxConns), Code: 1})
			conn.Close()
			continue
		}
		go func() {
			defer func() { <-slots }()
			serveConn(conn, c, q)
		}()
	}
}

func serveConn(conn net.Conn, c Config, q func(ctx context.Context, args []string) (string, int)) {
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(c.RequestTimeout))
	args, err := ReadRequest(conn, c.MaxRequest, c.MaxArgs)
	var r Reply
	if err != nil {
		r = Reply{Out: fmt.Sprintf("%s: %v\n", c.Name, err), Code: 2}
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), c.QueryTimeout)
		r.Out, r.Code = q(ctx, args)
		cancel()
	}
	_ = conn.SetWriteDeadline(time.Now().Add(c.ReplyTimeout))
	_ = json.NewEncoder(conn).Encode(r)
}

// DialError is a failure to connect to the socket; callers say what it means for
// their daemon (not running, permission denied).
type DialError struct {
	Socket string
	Err    error
}

func (e *DialError) Error() string { return fmt.Sprintf("%s: %v", e.Socket, e.Err) }
func (e *DialError) Unwrap() error { return e.Err }

// Query sends args to the daemon listening on socket and returns its answer; the
// whole exchange is bounded by timeout.
func Query(socket string, args []string, timeout time.Duration) (string, int, error) {
	conn, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		return "", 0, &DialError{Socket: socket, Err: err}
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	if err := json.NewEncoder(conn).Encode(Request{Args: args}); err != nil {
		return "", 0, err
	}
	var r Reply
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&r); err != nil {
		return "", 0, fmt.Errorf("%s: %w", socket, err)
	}
	return r.Out, r.Code, nil
}

// Listen opens the control socket at path (its directory created), refusing when
// another daemon (name) answers there and replacing a stale socket.
func Listen(path, name string) (net.Listener, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("%s: another %s answers there", path, name)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
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
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	if err := os.Chmod(tmp, Mode); err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	return ln, nil
}
