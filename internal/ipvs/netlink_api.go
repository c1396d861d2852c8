package ipvs

import (
	"io"
	"time"
)

// OpError is the error of one kernel operation. Err is the kernel's errno
// (a syscall.Errno, so errors.Is(err, unix.EEXIST) works) or a transport error.
type OpError struct {
	Op  string // e.g. "add service", "dump destinations"
	Err error
}

func (e *OpError) Error() string { return "ipvs: " + e.Op + ": " + e.Err.Error() }
func (e *OpError) Unwrap() error { return e.Err }

// Option configures OpenKernel.
type Option func(*kernelConfig)

type kernelConfig struct {
	timeout  time.Duration
	window   int
	modprobe bool
	modOut   io.Writer
}

// DefaultTimeout bounds every kernel call whose context has no deadline.
const DefaultTimeout = 5 * time.Second

// DefaultBatchWindow is how many Batch requests go to the kernel in one write before
// their acknowledgements are read back. Acks of one window must fit the socket's
// receive buffer (about 1 KiB of buffer accounting each).
const DefaultBatchWindow = 128

func defaultConfig() kernelConfig {
	return kernelConfig{timeout: DefaultTimeout, window: DefaultBatchWindow}
}

// WithTimeout sets the deadline of calls whose context has none (default
// DefaultTimeout). Non-positive values keep the default.
func WithTimeout(d time.Duration) Option {
	return func(c *kernelConfig) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithBatchWindow sets how many Batch requests are pipelined per write (default
// DefaultBatchWindow; values below 1 mean 1).
func WithBatchWindow(n int) Option {
	return func(c *kernelConfig) {
		if n < 1 {
			n = 1
		}
		c.window = n
	}
}

// WithModprobe makes OpenKernel behave like ipvsadm 1.31's start-up: when
// initialising fails (no IPVS family, or GET_INFO refused), run
// "/sbin/modprobe -- ip_vs" once (its stdout and stderr go to out; nil discards
// them) and, if modprobe succeeds, initialise again; if it fails, the first error
// is returned. Without this option OpenKernel runs no program and writes nothing.
func WithModprobe(out io.Writer) Option {
	return func(c *kernelConfig) {
		c.modprobe = true
		c.modOut = out
	}
}
