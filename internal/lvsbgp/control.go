package lvsbgp

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

// The control socket speaks heartbeatd's protocol: one JSON request line
// ({"args": [...]}) and one JSON reply line ({"out": ..., "code": N}) per connection.
const (
	// maxRequest bounds a request line: the longest real one, "withdraw" and an IPv6
	// address, is under 100 bytes.
	maxRequest = 1 << 10
	maxArgs    = 4
	// maxConns bounds the connections served at once: the clients are one-shot
	// resource scripts and people.
	maxConns       = 8
	requestTimeout = 5 * time.Second
	queryTimeout   = 10 * time.Second
	replyTimeout   = 5 * time.Second
	// SocketMode is the control socket's mode: root and its group.
	SocketMode = 0o660
)

type request struct {
	Args []string `json:"args"`
}

type reply struct {
	Out  string `json:"out"`
	Code int    `json:"code"`
}

// ListenControl opens the control socket at path, replacing a stale one: bound in a
// fresh private directory (0700) beside path, given SocketMode there, then renamed to
// path, so it is never reachable with the umask's mode.
func ListenControl(path string) (net.Listener, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("%s: another lvs-bgp answers there", path)
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
	if err := os.Chmod(tmp, SocketMode); err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	return ln, nil
}

// ServeControl answers requests on ln with q until ln is closed.
func ServeControl(ln net.Listener, q func(ctx context.Context, args []string) (string, int)) {
	slots := make(chan struct{}, maxConns)
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(50 * time.Millisecond) // out of descriptors, say: retry
			continue
		}
		select {
		case slots <- struct{}{}:
		default:
			_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
			_ = json.NewEncoder(conn).Encode(reply{Out: "lvs-bgp: busy: try again\n", Code: 1})
			conn.Close()
			continue
		}
		go func() {
			defer func() { <-slots }()
			defer conn.Close()
			_ = conn.SetReadDeadline(time.Now().Add(requestTimeout))
			args, err := readRequest(conn)
			var r reply
			if err != nil {
				r = reply{Out: fmt.Sprintf("lvs-bgp: %v\n", err), Code: 2}
			} else {
				ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
				r.Out, r.Code = q(ctx, args)
				cancel()
			}
			_ = conn.SetWriteDeadline(time.Now().Add(replyTimeout))
			_ = json.NewEncoder(conn).Encode(r)
		}()
	}
}

func readRequest(r io.Reader) ([]string, error) {
	line, err := bufio.NewReaderSize(io.LimitReader(r, maxRequest), maxRequest).ReadSlice('\n')
	if err != nil {
		if len(line) == maxRequest {
			return nil, fmt.Errorf("request longer than %d bytes", maxRequest)
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

// Query sends args to the lvs-bgp listening on socket and returns its answer.
func Query(socket string, args []string) (string, int, error) {
	conn, err := net.DialTimeout("unix", socket, 5*time.Second)
	if err != nil {
		return "", 0, fmt.Errorf("lvs-bgp not running? %w", err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(queryTimeout + 5*time.Second))
	if err := json.NewEncoder(conn).Encode(request{Args: args}); err != nil {
		return "", 0, err
	}
	var r reply
	if err := json.NewDecoder(bufio.NewReader(conn)).Decode(&r); err != nil {
		return "", 0, fmt.Errorf("%s: %w", socket, err)
	}
	return r.Out, r.Code, nil
}
