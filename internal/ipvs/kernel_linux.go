//go:build linux

package ipvs

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"time"

	"golang.org/x/sys/unix"
)

// OpenKernel opens a generic netlink socket and looks up the kernel's IPVS family.
// When the family is missing (no ip_vs module) it fails with an error that
// errors.Is(err, unix.ENOPROTOOPT), the errno behind ipvsadm's "Can't initialize
// ipvs: Protocol not available". It runs no program and writes nothing unless
// WithModprobe asks for ipvsadm's modprobe retry. The look-up is bounded by the
// WithTimeout duration (DefaultTimeout).
func OpenKernel(opts ...Option) (*Kernel, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	t, err := openSocket()
	if err != nil {
		return nil, &OpError{Op: "open generic netlink socket", Err: err}
	}
	k := newKernel(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	err = k.resolveFamily(ctx)
	if err != nil && cfg.modprobe && errors.Is(err, unix.ENOPROTOOPT) {
		// ipvsadm: if initialising fails, run modprobe and, when it succeeds,
		// initialise again; otherwise report the first failure.
		if modprobe(ctx, cfg.modOut) == nil {
			err = k.resolveFamily(ctx)
		}
	}
	if err != nil {
		t.Close()
		return nil, err
	}
	return k, nil
}

// modprobe runs "/sbin/modprobe -- ip_vs" like ipvsadm 1.31's modprobe_ipvs.
func modprobe(ctx context.Context, out io.Writer) error {
	cmd := exec.CommandContext(ctx, "/sbin/modprobe", "--", "ip_vs")
	cmd.Stdout, cmd.Stderr = out, out
	return cmd.Run()
}

// sockTransport is a NETLINK_GENERIC socket in non-blocking mode, registered with
// the Go runtime's poller so that read deadlines work.
type sockTransport struct {
	f *os.File
}

func openSocket() (*sockTransport, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, unix.NETLINK_GENERIC)
	if err != nil {
		return nil, err
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, err
	}
	// Error acks without a copy of the request: smaller acks, more per buffer.
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	// Room for a Batch window of acks; FORCE works for root, else the sysctl cap.
	if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 1<<20) != nil {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, 1<<20)
	}
	return &sockTransport{f: os.NewFile(uintptr(fd), "netlink-ipvs")}, nil
}

func (s *sockTransport) Send(b []byte) error {
	_, err := s.f.Write(b)
	return unwrapPathError(err)
}

func (s *sockTransport) Receive(b []byte) (int, error) {
	n, err := s.f.Read(b)
	return n, unwrapPathError(err)
}

func (s *sockTransport) SetReadDeadline(t time.Time) error { return s.f.SetReadDeadline(t) }
func (s *sockTransport) Close() error                      { return s.f.Close() }

// unwrapPathError drops os.File's "read netlink-ipvs:" wrapping, so errors print
// as the bare errno inside OpError.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
