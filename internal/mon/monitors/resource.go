package monitors

import (
	"context"
	"errors"
	"sync"
	"syscall"
)

// A built-in's check can fail for a reason of mond's own — no descriptor left for its
// socket (EMFILE, ENFILE), no memory — that says nothing about the service. Such a
// built-in notes the error in its context; the caller, having made the context with
// WithResourceErrors, reads it after the run and skips the check instead of failing
// the service. (A socket the caller opens after the run cannot tell: a descriptor
// freed in between lets it succeed, and the service fails falsely.) Every built-in
// notes the errors of the sockets it opens: tcp, http, smtp, telnet, dns, ping, fping.

type resourceKey struct{}

type resourceNote struct {
	mu  sync.Mutex
	err error
}

// WithResourceErrors returns a context for a built-in's run, and a function that gives
// the first error of mond's own resources the run noted (nil when none).
func WithResourceErrors(ctx context.Context) (context.Context, func() error) {
	n := &resourceNote{}
	return context.WithValue(ctx, resourceKey{}, n), func() error {
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.err
	}
}

// noteResourceError reports whether err is mond's own lack of descriptors or memory,
// and if so notes it in ctx (the first one).
func noteResourceError(ctx context.Context, err error) bool {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return false
	}
	switch errno {
	case syscall.EMFILE, syscall.ENFILE, syscall.EAGAIN, syscall.ENOMEM: // as runner.IsResourceError
	default:
		return false
	}
	if n, ok := ctx.Value(resourceKey{}).(*resourceNote); ok {
		n.mu.Lock()
		if n.err == nil {
			n.err = err
		}
		n.mu.Unlock()
	}
	return true
}
