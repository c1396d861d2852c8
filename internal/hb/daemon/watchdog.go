package daemon

import (
	"fmt"
	"os"
)

// watchdogDev is the kernel watchdog device of ha.cf's "watchdog" directive. Any write
// restarts the device's countdown; when it runs out, the kernel reboots the node. A
// write of 'V' just before closing is the "magic close" that disarms the device
// (unless the driver was built or loaded with nowayout, as heartbeat's ha.cf warns).
type watchdogDev struct {
	path string
	f    *os.File
}

func openWatchdog(path string) (*watchdogDev, error) {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return nil, err
	}
	return &watchdogDev{path: path, f: f}, nil
}

// Tickle restarts the countdown. (A zero-length write does not: the kernel's watchdog
// core ignores it.)
func (w *watchdogDev) Tickle() error {
	if _, err := w.f.Write([]byte{'1'}); err != nil {
		return fmt.Errorf("%s: %w", w.path, err)
	}
	return nil
}

// Disarm stops the device: the daemon stopped cleanly, with its resources released.
func (w *watchdogDev) Disarm() error {
	_, err := w.f.Write([]byte{'V'})
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %w", w.path, err)
	}
	return nil
}

// Abandon closes the device armed: it reboots the node when its countdown ends.
func (w *watchdogDev) Abandon() error { return w.f.Close() }
