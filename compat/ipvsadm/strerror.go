package ipvsadm

import (
	"errors"
	"syscall"

	"github.com/lvskit/lvskit/compat/libc"
)

// Op names the libipvs call an error came from: ipvs_strerror's messages depend on it.
type Op int

const (
	OpInit Op = iota
	OpAddService
	OpUpdateService
	OpDelService
	OpZeroService
	OpAddDest
	OpUpdateDest
	OpDelDest
	OpStartDaemon
	OpStopDaemon
	OpGetServices
	OpGetDests
	OpGetService
	OpFlush
	OpSetTimeout
	OpGetTimeout
	OpGetDaemon
	OpGetInfo
)

type opErr struct {
	op  Op
	err syscall.Errno
}

var opMessages = map[opErr]string{
	{OpAddService, syscall.EEXIST}:    "Service already exists",
	{OpAddService, syscall.ENOENT}:    "Scheduler or persistence engine not found",
	{OpUpdateService, syscall.ESRCH}:  "No such service",
	{OpUpdateService, syscall.ENOENT}: "Scheduler or persistence engine not found",
	{OpDelService, syscall.ESRCH}:     "No such service",
	{OpZeroService, syscall.ESRCH}:    "No such service",
	{OpAddDest, syscall.ESRCH}:        "Service not defined",
	{OpAddDest, syscall.EEXIST}:       "Destination already exists",
	{OpUpdateDest, syscall.ESRCH}:     "Service not defined",
	{OpUpdateDest, syscall.ENOENT}:    "No such destination",
	{OpDelDest, syscall.ESRCH}:        "Service not defined",
	{OpDelDest, syscall.ENOENT}:       "No such destination",
	{OpStartDaemon, syscall.EEXIST}:   "Daemon has already run",
	{OpStopDaemon, syscall.ESRCH}:     "No daemon is running",
	{OpGetServices, syscall.ESRCH}:    "No such service",
	{OpGetDests, syscall.ESRCH}:       "No such service",
	{OpGetService, syscall.ESRCH}:     "No such service",
}

var anyOpMessages = map[syscall.Errno]string{
	syscall.EPERM:        "Permission denied (you must be root)",
	syscall.EINVAL:       "Invalid operation.  Possibly wrong module version, address not unicast, ...",
	syscall.ENOPROTOOPT:  "Protocol not available",
	syscall.ENOMEM:       "Memory allocation problem",
	syscall.EOPNOTSUPP:   "Operation not supported with IPv6",
	syscall.EAFNOSUPPORT: "Operation not supported with specified address family",
	syscall.EMSGSIZE:     "Module is wrong version",
}

// Errno extracts the errno of a Client error; errors without one count as EINVAL, the
// errno libipvs reports when the netlink exchange itself fails.
func Errno(err error) syscall.Errno {
	var e syscall.Errno
	if errors.As(err, &e) {
		return e
	}
	return syscall.EINVAL
}

// Strerror is libipvs's ipvs_strerror for an error of op.
func Strerror(op Op, err error) string {
	e := Errno(err)
	if m, ok := opMessages[opErr{op, e}]; ok {
		return m
	}
	if m, ok := anyOpMessages[e]; ok {
		return m
	}
	return libc.Strerror(e)
}
