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

// sockTransport is a blocking NETLINK_GENERIC socket used with plain write and
// recvmmsg system calls; SO_RCVTIMEO bounds each read (see Kernel.arm for why not the
// runtime poller).
type sockTransport struct {
	fd   int
	iov  []unix.Iovec
	hdrs []mmsghdr
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

// mmsghdr is struct mmsghdr (x/sys/unix has none); Go pads it like C does.
type mmsghdr struct {
	hdr unix.Msghdr
	len uint32
}

// Receive reads with recvmmsg and MSG_WAITFORONE: it waits for the first datagram
// and takes whatever else is queued, which the kernel produces while the call
// runs (a dump's next part, or NLMSG_DONE, is made as the previous part is read).
// A datagram larger than its buffer (MSG_TRUNC) is an error, not a silent cut.
func (s *sockTransport) Receive(bufs [][]byte, lens []int) (int, error) {
	n := min(len(bufs), len(lens))
	if n == 0 {
		return 0, errors.New("no receive buffer")
	}
	if len(s.hdrs) < n {
		s.iov = make([]unix.Iovec, n)
		s.hdrs = make([]mmsghdr, n)
	}
	for i := range n {
		if len(bufs[i]) == 0 {
			return 0, errors.New("empty receive buffer")
		}
		s.iov[i].Base = &bufs[i][0]
		s.iov[i].SetLen(len(bufs[i]))
		s.hdrs[i] = mmsghdr{hdr: unix.Msghdr{Iov: &s.iov[i]}}
		s.hdrs[i].hdr.SetIovlen(1)
	}
	for {
		r, _, e := unix.Syscall6(unix.SYS_RECVMMSG, uintptr(s.fd), uintptr(unsafe.Pointer(&s.hdrs[0])), uintptr(n), unix.MSG_WAITFORONE, 0, 0)
		switch e {
		case 0:
			for i := range int(r) {
				if s.hdrs[i].hdr.Flags&unix.MSG_TRUNC != 0 {
					return 0, fmt.Errorf("kernel sent a datagram larger than the %d-byte receive buffer", len(bufs[i]))
				}
				lens[i] = int(s.hdrs[i].len)
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
