package lvsbgp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/lvskit/lvskit/internal/ctlsock"
)

// The control socket is heartbeatd's protocol (internal/ctlsock), with lvs-bgp's bounds.
const (
	// maxRequest bounds a request line: the longest real one, "withdraw" and an IPv6
	// address, is under 100 bytes.
	maxRequest = 1 << 10
	maxArgs    = 4
	// maxConns bounds the connections served at once: the clients are one-shot
	// resource scripts and people.
	maxConns     = 8
	queryTimeout = 10 * time.Second
	// SocketMode is the control socket's mode: root and its group.
	SocketMode = ctlsock.Mode
)

// ListenControl opens the control socket at path, replacing a stale one, never
// reachable with the umask's mode (internal/ctlsock.Listen).
func ListenControl(path string) (net.Listener, error) {
	return ctlsock.Listen(path, "lvs-bgp")
}

// ServeControl answers requests on ln with q until ln is closed.
func ServeControl(ln net.Listener, q func(ctx context.Context, args []string) (string, int)) {
	_ = ctlsock.Serve(ln, ctlsock.Config{Name: "lvs-bgp", MaxRequest: maxRequest, MaxArgs: maxArgs, MaxConns: maxConns,
		RequestTimeout: 5 * time.Second, QueryTimeout: queryTimeout, ReplyTimeout: 5 * time.Second}, q)
}

// Query sends args to the lvs-bgp listening on socket and returns its answer.
func Query(socket string, args []string) (string, int, error) {
	out, code, err := ctlsock.Query(socket, args, queryTimeout+5*time.Second)
	var de *ctlsock.DialError
	if errors.As(err, &de) {
		return "", 0, fmt.Errorf("lvs-bgp not running? %w", de.Err)
	}
	return out, code, err
}
