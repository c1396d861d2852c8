package daemon

import (
	"bytes"
	"errors"
	"fmt"
	"os"

	"github.com/lvskit/lvskit/compat/monconf"
)

// ErrNotText and ErrNoWatches are the reasons mond refuses a mon.cf that mon 1.3.6
// would install: binary junk parses as a config without watches in mon, and an empty or
// truncated file (an editor's crash, a full disk) silently stops all monitoring on the
// next reset. mond keeps the running configuration instead and logs why.
var (
	ErrNotText   = errors.New("not a text file")
	ErrNoWatches = errors.New("defines no watches")
)

// CheckText reports the first byte of data that no text file has: NUL and the other
// control characters but tab, LF, VT, FF, CR and ESC. Bytes of 0x80 and above pass, so
// old configs in Latin-1 still load.
func CheckText(name string, data []byte) error {
	for i, b := range data {
		if b < 0x20 && b != '\t' && b != '\n' && b != '\v' && b != '\f' && b != '\r' && b != 0x1b || b == 0x7f {
			line := 1 + bytes.Count(data[:i], []byte{'\n'})
			return fmt.Errorf("%s:%d: %w (byte 0x%02x at offset %d)", name, line, ErrNotText, b, i)
		}
	}
	return nil
}

// ReadConfig checks that path is a text file, then parses it with parse. A file that
// cannot be read is left to parse, which says why in its own words.
func ReadConfig(path string, parse func(string) (*monconf.Config, error)) (*monconf.Config, error) {
	if data, err := os.ReadFile(path); err == nil {
		if err := CheckText(path, data); err != nil {
			return nil, err
		}
	}
	return parse(path)
}

// checkReplacement refuses a new configuration without watches while the running one
// has some.
func checkReplacement(path string, next *monconf.Config, runningWatches int) error {
	if len(next.Watches) == 0 && runningWatches > 0 {
		return fmt.Errorf("%s: %w (the running configuration has %d)", path, ErrNoWatches, runningWatches)
	}
	return nil
}
