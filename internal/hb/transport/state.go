package transport

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Files the original keeps in /var/lib/heartbeat.
const (
	StateDir       = "/var/lib/heartbeat"
	GenerationFile = "hb_generation"
	UUIDFile       = "hb_uuid"
)

// LoadGeneration returns this run's generation and records it in dir, as
// the original does at start-up: the stored value plus one, or the current
// time in seconds when there is none. The file holds the number
// right-aligned in 15 columns and a newline ("     1795592896\n").
func LoadGeneration(dir string, now time.Time) (uint32, error) {
	path := filepath.Join(dir, GenerationFile)
	var gen uint64
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		g, perr := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 32)
		if perr != nil {
			return 0, fmt.Errorf("%s: %w", path, perr)
		}
		gen = g + 1
	case errors.Is(err, fs.ErrNotExist):
		gen = uint64(now.Unix())
	default:
		return 0, err
	}
	if gen > 0xffffffff {
		gen = 1
	}
	if err := writeAtomic(path, fmt.Appendf(nil, "%15d\n", gen), 0o644); err != nil {
		return 0, err
	}
	return uint32(gen), nil
}

// LoadUUID returns the node's uuid from dir, creating a random (version 4)
// one on first use. The file holds the 16 raw bytes.
func LoadUUID(dir string) ([16]byte, error) {
	var u [16]byte
	path := filepath.Join(dir, UUIDFile)
	b, err := os.ReadFile(path)
	if err == nil {
		if len(b) != 16 {
			return u, fmt.Errorf("%s: %d bytes, want 16", path, len(b))
		}
		copy(u[:], b)
		return u, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return u, err
	}
	if _, err := rand.Read(u[:]); err != nil {
		return u, err
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u, writeAtomic(path, u[:], 0o644)
}

func writeAtomic(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, mode); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// LoadAvg reads /proc/loadavg for the ld field.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "0.00 0.00 0.00 1/1 1"
	}
	return strings.TrimSpace(string(b))
}
