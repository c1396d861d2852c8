//go:build !linux

package hostnet

import (
	"context"
	"net/netip"
)

// Linux is unavailable here; every method returns ErrNotImplemented.
type Linux struct{}

// NewLinux returns a Net that fails with ErrNotImplemented.
func NewLinux() *Linux { return &Linux{} }

func (*Linux) AddAddress(Address) error                       { return ErrNotImplemented }
func (*Linux) DelAddress(Address) error                       { return ErrNotImplemented }
func (*Linux) HasAddress(string, netip.Addr) (bool, error)    { return false, ErrNotImplemented }
func (*Linux) Addresses(string) ([]Address, error)            { return nil, ErrNotImplemented }
func (*Linux) RouteInterface(netip.Addr) (string, int, error) { return "", 0, ErrNotImplemented }
func (*Linux) Sysctl(string) (string, error)                  { return "", ErrNotImplemented }
func (*Linux) SetSysctl(string, string) error                 { return ErrNotImplemented }
func (*Linux) SendGratuitousARP(context.Context, string, netip.Addr, ARP) error {
	return ErrNotImplemented
}
func (*Linux) SendUnsolicitedNA(context.Context, string, netip.Addr, NA) error {
	return ErrNotImplemented
}
func (*Linux) DADState(string, netip.Addr) (DAD, error) { return DADAbsent, ErrNotImplemented }
