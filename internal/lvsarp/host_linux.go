//go:build linux

package lvsarp

import (
	"fmt"

	"github.com/vishvananda/netlink"

	"github.com/lvskit/lvskit/internal/daemonize"
	"github.com/lvskit/lvskit/internal/hostnet"
)

type linuxHost struct{ *hostnet.Linux }

// NewHost is this machine: hostnet's Linux implementation, netlink and the re-exec of
// internal/daemonize.
func NewHost() Host { return linuxHost{hostnet.NewLinux()} }

func (linuxHost) LinkUp(name string) error {
	l, err := netlink.LinkByName(name)
	if err != nil {
		return fmt.Errorf("link %s: %w", name, err)
	}
	return netlink.LinkSetUp(l)
}

// Detach starts the copy with no stdio: a resource script's caller waits for its
// output pipes to close.
func (linuxHost) Detach(args []string) error {
	_, err := daemonize.Start(daemonize.Options{Args: args})
	return err
}
