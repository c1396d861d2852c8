//go:build !linux

package transport

import (
	"fmt"
	"net/netip"
	"runtime"
)

// UDPLink is only implemented on Linux (SO_BINDTODEVICE).
type UDPLink struct{}

// OpenUDP is not implemented on this GOOS.
func OpenUDP(cfg UDPConfig) (*UDPLink, error) {
	return nil, fmt.Errorf("heartbeat UDP media not implemented on %s", runtime.GOOS)
}

func (l *UDPLink) Name() string      { return "" }
func (l *UDPLink) Send([]byte) error { return fmt.Errorf("not implemented") }
func (l *UDPLink) Recv([]byte) (int, netip.AddrPort, error) {
	return 0, netip.AddrPort{}, fmt.Errorf("not implemented")
}
func (l *UDPLink) Close() error { return nil }
