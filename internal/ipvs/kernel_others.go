//go:build !linux

package ipvs

import (
	"fmt"
	"runtime"
)

// Kernel is the netlink Client; it exists only on Linux. On other systems
// OpenKernel always fails.
type Kernel struct{ Client }

// OpenKernel fails: IPVS is a Linux kernel facility.
func OpenKernel(opts ...Option) (*Kernel, error) {
	return nil, fmt.Errorf("ipvs: kernel IPVS is not implemented on %s", runtime.GOOS)
}
