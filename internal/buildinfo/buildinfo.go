// Package buildinfo says which lvskit build a binary is: the version the build was
// given (make sets it with -ldflags "-X .../buildinfo.Version=...") and the commit Go
// recorded from the source tree. Every binary's --version prints String; the legacy
// version strings scripts parse (ipvsadm's "ipvsadm v1.31 ...", mon's "1.3.6") stay
// where they were.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// Version is set at link time; "devel" for a plain go build.
var Version = "devel"

// Commit returns the VCS revision (12 hex digits, "+dirty" when the tree had
// changes) or "unknown" when the binary was built without VCS information.
func Commit() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	rev, dirty := "", false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "unknown"
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if dirty {
		rev += "+dirty"
	}
	return rev
}

// String is the line --version prints: "lvskit PROGRAM VERSION (commit C, goX.Y)".
func String(program string) string {
	return fmt.Sprintf("lvskit %s %s (commit %s, %s)", program, Version, Commit(), runtime.Version())
}
