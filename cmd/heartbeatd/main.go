// Command heartbeatd is lvskit's heartbeat 3.0.6 (R1) drop-in.
//
// Only configuration checking exists so far:
//
//	heartbeatd --check [-d DIR] [--node NAME]
//
// reads DIR/ha.cf, DIR/authkeys and DIR/haresources (DIR defaults to /etc/ha.d) as
// heartbeat 3.0.6 would, prints every error and warning with file:line, and exits 0 when
// heartbeat would start with them and 1 otherwise. NAME (default: uname -n) is the node
// the check is for. heartbeat's own options (-f, -k, -r, -s, -d, ...) answer "not
// implemented" with exit status 1 until the daemon exists.
package main

import (
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, realHost{}))
}
