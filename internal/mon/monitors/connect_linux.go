package monitors

import (
	"errors"
	"net"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// errConnectTimeout is a connect that did not finish within the timeout.
var errConnectTimeout = errors.New("timeout")

// connect4 opens and closes a TCP connection to ip:port with the fewest system calls
// (socket, connect, close when the answer is immediate, as on a local network), waiting
// through the runtime poller otherwise. tcp.monitor runs it for every host of every
// check, so its cost is most of mond's CPU time in large configs.
func connect4(ip net.IP, port int, timeout time.Duration) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	sa := &unix.SockaddrInet4{Port: port}
	copy(sa.Addr[:], ip.To4())
	err = unix.Connect(fd, sa)
	if err == nil || err != unix.EINPROGRESS {
		unix.Close(fd)
		return err
	}
	f := os.NewFile(uintptr(fd), "tcp")
	defer f.Close()
	if err := f.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var connErr error
	werr := rc.Write(func(fd uintptr) bool {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		if n, _ := unix.Poll(pfd, 0); n == 0 {
			return false // not connected yet: wait for the poller
		}
		v, err := unix.GetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_ERROR)
		switch {
		case err != nil:
			connErr = err
		case v != 0:
			connErr = unix.Errno(v)
		}
		return true
	})
	if werr != nil {
		if errors.Is(werr, os.ErrDeadlineExceeded) {
			return errConnectTimeout
		}
		return werr
	}
	return connErr
}
