//go:build linux

package ipvs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// OpenKernel opens a generic netlink socket and initialises like ipvsadm 1.31's
// ipvs_init: it looks up the kernel's IPVS family and asks for IPVS_CMD_GET_INFO.
// When the family is missing (no ip_vs module) it fails with an error that
// errors.Is(err, unix.ENOPROTOOPT), the errno behind ipvsadm's "Can't initialize
// ipvs: Protocol not available"; without CAP_NET_ADMIN, GET_INFO fails with EPERM
// ("Permission denied (you must be root)"). It runs no program and writes nothing
// unless WithModprobe asks for ipvsadm's modprobe retry. Initialisation is bounded
// by the WithTimeout duration (DefaultTimeout).
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
	err = k.init(ctx)
	if err != nil && cfg.modprobe {
		// ipvsadm: when initialising fails, run modprobe and, if it succeeds,
		// initialise again; if modprobe fails, report the first failure.
		if modprobe(ctx, cfg.modOut) == nil {
			err = k.init(ctx)
		}
	}
	if err != nil {
		t.Close()
		return nil, err
	}
	return k, nil
}

// init resolves the family and checks that IPVS answers (GET_INFO needs
// CAP_NET_ADMIN, as every IPVS command does).
func (k *Kernel) init(ctx context.Context) error {
	if k.family == 0 {
		if err := k.resolveFamily(ctx); err != nil {
			return err
		}
	}
	_, err := k.Info(ctx)
	return err
}

// modprobe runs "/sbin/modprobe -- ip_vs" like ipvsadm 1.31's modprobe_ipvs.
func modprobe(ctx context.Context, out io.Writer) error {
	cmd := exec.CommandContext(ctx, "/sbin/modprobe", "--", "ip_vs")
	cmd.Stdout, cmd.Stderr = out, out
	return cmd.Run()
}

// sockTransport is a blocking NETLINK_GENERIC socket used with plain read and
// write system calls; SO_RCVTIMEO bounds each read (see Kernel.arm for why not the
// runtime poller).
type sockTransport struct {
	fd int
}

func openSocket() (*sockTransport, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
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
	return &sockTransport{fd: fd}, nil
}

func (s *sockTransport) Send(b []byte) error {
	for {
		_, err := unix.Write(s.fd, b)
		if err != unix.EINTR {
			return err
		}
	}
}

// Receive reads with MSG_TRUNC, which makes netlink return a datagram's full
// length, so that a datagram larger than b is an error rather than silently cut.
func (s *sockTransport) Receive(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, errors.New("empty receive buffer")
	}
	for {
		r, _, e := unix.Syscall6(unix.SYS_RECVFROM, uintptr(s.fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), unix.MSG_TRUNC, 0, 0)
		switch e {
		case 0:
			if int(r) > len(b) {
				return 0, fmt.Errorf("kernel sent a %d-byte datagram, more than the %d-byte receive buffer", r, len(b))
			}
			return int(r), nil
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return 0, os.ErrDeadlineExceeded
		}
		return 0, e
	}
}

func (s *sockTransport) SetReceiveTimeout(d time.Duration) error {
	tv := unix.NsecToTimeval(d.Nanoseconds())
	return unix.SetsockoptTimeval(s.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
}

func (s *sockTransport) Close() error { return unix.Close(s.fd) }
