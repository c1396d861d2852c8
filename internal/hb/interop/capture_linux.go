package interop

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/netnstest"
)

// Datagram is one captured UDP/IPv4 packet.
type Datagram struct {
	Src, Dst netip.AddrPort
	Payload  []byte
}

// Capture is a running tcpdump writing a pcap file.
type Capture struct {
	cmd    *exec.Cmd
	file   string
	cancel context.CancelFunc
	done   chan error
}

// StartCapture starts tcpdump on iface in namespace ns for UDP port port and
// waits until it is listening. It is stopped when the test ends.
func StartCapture(t testing.TB, ns *netnstest.NS, iface string, port int) *Capture {
	t.Helper()
	file := filepath.Join(t.TempDir(), "cap.pcap")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	cmd := ns.CommandContext(ctx, "tcpdump", "-i", iface, "-U", "-n",
		"-w", file, "-s", "0", "udp", "port", strconv.Itoa(port))
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	stderr, err := cmd.StderrPipe()
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("tcpdump: %v", err)
	}
	c := &Capture{cmd: cmd, file: file, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		signalled := false
		for sc.Scan() {
			if !signalled && strings.Contains(sc.Text(), "listening on") {
				close(ready)
				signalled = true
			}
		}
		if !signalled {
			close(ready)
		}
		c.done <- cmd.Wait()
	}()
	t.Cleanup(func() { _, _ = c.Stop() })
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		t.Fatal("tcpdump did not start listening")
	}
	return c
}

// Stop ends the capture and returns the UDP datagrams it saw.
func (c *Capture) Stop() ([]Datagram, error) {
	if c.cmd == nil {
		return nil, fmt.Errorf("capture already stopped")
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
	c.cancel()
	c.cmd = nil
	b, err := os.ReadFile(c.file)
	if err != nil {
		return nil, err
	}
	return ParsePcap(b)
}

// ParsePcap extracts UDP/IPv4 datagrams from a classic pcap file with
// Ethernet link type (what tcpdump writes for a veth).
func ParsePcap(b []byte) ([]Datagram, error) {
	if len(b) < 24 {
		return nil, fmt.Errorf("pcap: short file")
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		bo = binary.LittleEndian
	default:
		bo = binary.BigEndian
	}
	if lt := bo.Uint32(b[20:]); lt != 1 {
		return nil, fmt.Errorf("pcap: link type %d, want Ethernet", lt)
	}
	var out []Datagram
	for off := 24; off+16 <= len(b); {
		incl := int(bo.Uint32(b[off+8:]))
		off += 16
		if incl < 0 || off+incl > len(b) {
			return out, fmt.Errorf("pcap: truncated record")
		}
		pkt := b[off : off+incl]
		off += incl
		if len(pkt) < 14+20+8 || binary.BigEndian.Uint16(pkt[12:]) != 0x0800 {
			continue
		}
		ip := pkt[14:]
		ihl := int(ip[0]&0x0f) * 4
		if ip[0]>>4 != 4 || ip[9] != 17 || len(ip) < ihl+8 {
			continue
		}
		tot := int(binary.BigEndian.Uint16(ip[2:]))
		if tot > len(ip) || tot < ihl+8 {
			continue
		}
		udp := ip[ihl:tot]
		src := netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[12:16])), binary.BigEndian.Uint16(udp[0:]))
		dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte(ip[16:20])), binary.BigEndian.Uint16(udp[2:]))
		out = append(out, Datagram{Src: src, Dst: dst, Payload: append([]byte(nil), udp[8:]...)})
	}
	return out, nil
}
