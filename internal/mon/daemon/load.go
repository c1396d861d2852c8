package daemon

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/lvskit/lvskit/compat/monconf"
)

// LoadOptions say how LoadConfig reads mon.cf.
type LoadOptions struct {
	// M4 is the m4 program (default "m4"); ForceM4 runs it whatever the file's name
	// (mon -M).
	M4      string
	ForceM4 bool
}

// LoadConfig reads and parses the mon.cf at path as mon 1.3.6 does: through "m4 PATH"
// when its name ends in ".m4" (or with ForceM4), the authfile and userfile it names
// checked for readability relative to the working directory. This is monconf's I/O:
// the parser itself only reads what it is given.
func LoadConfig(path string, opt LoadOptions) (*monconf.Config, error) {
	popt := monconf.Options{Readable: readable}
	if !opt.ForceM4 && !strings.HasSuffix(path, ".m4") {
		f, err := os.Open(path)
		if err != nil {
			return nil, &monconf.ParseError{File: path, Msg: fmt.Sprintf("could not open cf file: %s: %v", path, err)}
		}
		defer f.Close()
		return monconf.ParseWithOptions(path, f, popt)
	}
	m4 := opt.M4
	if m4 == "" {
		m4 = "m4"
	}
	// mon reads m4's output through a pipe and only looks at m4's exit status when
	// closing it, after the whole output parsed: a parse error therefore wins over an
	// m4 failure.
	cmd := exec.Command(m4, path)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	cf, err := monconf.ParseWithOptions(path, bytes.NewReader(out), popt)
	if err != nil {
		return nil, err
	}
	if runErr != nil {
		return nil, &monconf.ParseError{File: path, Msg: fmt.Sprintf(
			"Could not open pipe to m4 (check that m4 is properly installed and in your PATH): %v: %s",
			runErr, strings.TrimSpace(stderr.String()))}
	}
	return cf, nil
}

// readable is mon's check of "authfile" and "userfile" while reading mon.cf.
func readable(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	f.Close()
	return true
}
