//go:build !linux

package lvsarp

import "github.com/lvskit/lvskit/internal/hostnet"

type otherHost struct{ hostnet.Net }

// NewHost is a host where lvs-arp is not implemented.
func NewHost() Host { return otherHost{hostnet.NewLinux()} }

func (otherHost) LinkUp(string) error   { return hostnet.ErrNotImplemented }
func (otherHost) Detach([]string) error { return hostnet.ErrNotImplemented }
