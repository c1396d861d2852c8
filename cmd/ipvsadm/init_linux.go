//go:build linux

package main

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// initError turns a failure to find the IPVS netlink family into the errno ipvsadm 1.31
// reports: libipvs then falls back to a raw IP socket, which fails with EPERM for a user
// without CAP_NET_RAW, and whose IPVS getsockopt fails with ENOPROTOOPT otherwise.
func initError(err error) error {
	if !errors.Is(err, unix.ENOPROTOOPT) {
		return err
	}
	fd, serr := unix.Socket(unix.AF_INET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.IPPROTO_RAW)
	if serr != nil {
		return serr
	}
	unix.Close(fd)
	return err
}

// modprobe is modprobe_ipvs: "/sbin/modprobe -- ip_vs" with ipvsadm's stdout and stderr.
func modprobe() bool {
	cmd := exec.Command("/sbin/modprobe", "--", "ip_vs")
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	return cmd.Run() == nil
}

// dieOfSIGSEGV ends the process killed by SIGSEGV, as ipvsadm 1.31 ends where it
// dereferences NULL: the Go runtime's own handler is replaced by the default action
// first, so no traceback is printed and the shell sees the signal (status 139).
func dieOfSIGSEGV() {
	type sigaction struct {
		handler  uintptr
		flags    uint64
		restorer uintptr
		mask     uint64
	}
	var sa sigaction // handler 0 is SIG_DFL
	_, _, _ = unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(unix.SIGSEGV), uintptr(unsafe.Pointer(&sa)), 0, 8, 0, 0)
	// To this very thread, so it is delivered on the syscall's return: kill(2) to the
	// process may hand it to another thread and let os.Exit win the race (a loaded CI
	// machine saw exit status 139 instead of the signal).
	runtime.LockOSThread()
	_ = unix.Tgkill(os.Getpid(), unix.Gettid(), unix.SIGSEGV)
	time.Sleep(time.Second)
	os.Exit(139) // not reached
}
