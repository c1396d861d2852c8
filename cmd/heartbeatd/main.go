// Command heartbeatd is lvskit's heartbeat 3.0.6 (R1, "crm off") drop-in: it reads
// /etc/ha.d/ha.cf, authkeys and haresources unchanged, speaks heartbeat's UDP protocol
// (so it forms one cluster with a node still running the original), and runs the
// resource groups as heartbeat's ResourceManager does, with IPaddr and IPaddr2 built in.
// Called through a link named hb_standby, hb_takeover or cl_status it acts as that
// program. See internal/hb/cli for its command line (heartbeatd --help).
package main

import (
	"os"

	"github.com/lvskit/lvskit/internal/hb/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[0], os.Args[1:], os.Stdout, os.Stderr, cli.NewHost()))
}
