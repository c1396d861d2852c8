package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/user"
	"strconv"
	"syscall"
	"time"

	"github.com/lvskit/lvskit/internal/ctlsock"
)

// The control socket is internal/ctlsock's protocol; these are heartbeatd's bounds.
type (
	request = ctlsock.Request
	reply   = ctlsock.Reply
)

// Querier answers control requests (Loop does).
type Querier interface {
	Query(ctx context.Context, args []string) (string, int)
}

const (
	// MaxRequest bounds a request line, newline included: the longest real one
	// (cl_status with a node and a link name) is far shorter.
	MaxRequest = 4 << 10
	maxArgs    = 16
	// maxControlConns bounds the connections served at once (a monitoring script
	// polling cl_status, a person or two).
	maxControlConns = 16
	// requestTimeout bounds the wait for the request line: clients send it at once.
	requestTimeout = 5 * time.Second
	// queryTimeout bounds a standby or takeover waiting for the loop; replyTimeout the
	// writing of the reply.
	queryTimeout = 20 * time.Second
	replyTimeout = 5 * time.Second
)

// ErrRequestTooLong is ReadRequest's error for a line over MaxRequest bytes.
var ErrRequestTooLong error = ctlsock.TooLong{Max: MaxRequest}

// ReadRequest reads one bounded request line.
func ReadRequest(r io.Reader) ([]string, error) {
	return ctlsock.ReadRequest(r, MaxRequest, maxArgs)
}

// ServeControl answers requests on ln with q until ln is closed.
func ServeControl(ln net.Listener, q Querier) error {
	return controlServer{q: q, maxConns: maxControlConns, requestTimeout: requestTimeout}.serve(ln)
}

// controlServer is ServeControl with its bounds as fields, for the tests.
type controlServer struct {
	q              Querier
	maxConns       int
	requestTimeout time.Duration
}

func (s controlServer) serve(ln net.Listener) error {
	return ctlsock.Serve(ln, ctlsock.Config{Name: "heartbeatd", MaxRequest: MaxRequest, MaxArgs: maxArgs,
		MaxConns: s.maxConns, RequestTimeout: s.requestTimeout, QueryTimeout: queryTimeout, ReplyTimeout: replyTimeout}, s.q.Query)
}

// ErrNotRunning: nothing answers on the control socket.
var ErrNotRunning = errors.New("heartbeatd is not running")

// Query sends args to the daemon listening on socket and returns its answer. When the
// socket refuses this user the error matches os.ErrPermission (and is a
// *PermissionError); when nothing listens there, ErrNotRunning.
// Query sends args to the heartbeatd listening on socket and returns its answer.
func Query(socket string, args []string) (string, int, error) {
	out, code, err := ctlsock.Query(socket, args, 30*time.Second)
	var de *ctlsock.DialError
	if errors.As(err, &de) {
		return "", 0, dialError(socket, de.Err)
	}
	return out, code, err
}

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

// ControlSocketMode is the control socket's mode: root and the socket's group
// (cl_status run by a member of it is answered, as heartbeat's API socket allows).
const ControlSocketMode = ctlsock.Mode

// ListenControl opens heartbeatd's control socket at path (internal/ctlsock.Listen).
func ListenControl(path string) (net.Listener, error) {
	return ctlsock.Listen(path, "heartbeatd")
}
