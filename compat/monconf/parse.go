package monconf

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// ParseError is a configuration error at a line of a file.
type ParseError struct {
	File string
	Line int
	Msg  string // mon's wording, e.g. "cf error: unknown syntax [foo]"
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Options change how a file is parsed.
type Options struct {
	// Readable reports whether a file can be read; mon checks "authfile"
	// and "userfile" values while parsing. nil: os.Open relative to the
	// working directory, as mon does.
	Readable func(path string) bool
	// M4 is the m4 program (default "m4"); ForceM4 runs it whatever the
	// file name (mon's -M option).
	M4      string
	ForceM4 bool
}

// Parse parses a mon.cf read from r; name is used in error messages.
func Parse(name string, r io.Reader) (*Config, error) {
	return ParseWithOptions(name, r, Options{})
}

// ParseWithOptions is Parse with options.
func ParseWithOptions(name string, r io.Reader, opt Options) (*Config, error) {
	return nil, errors.New("monconf: not implemented yet")
}

// ParseFile reads and parses path, running m4 on it first when its name
// ends in ".m4" (as mon 1.3.6 does).
func ParseFile(path string) (*Config, error) {
	return ParseFileWithOptions(path, Options{})
}

// ParseFileWithOptions is ParseFile with options.
func ParseFileWithOptions(path string, opt Options) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("could not open cf file: %w", err)
	}
	defer f.Close()
	return ParseWithOptions(path, f, opt)
}
