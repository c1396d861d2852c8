// Command lvs-alert is the manual's lvs.alert for mon: it removes a real server from an
// IPVS virtual service on a down alert and adds it back on an upalert, through netlink
// rather than by running ipvsadm. See lvsalert.Usage (lvs-alert --help).
package main

import (
	"context"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/lvskit/lvskit/internal/ipvs"
	"github.com/lvskit/lvskit/internal/lvsalert"
)

func main() {
	// mon does not signal its alerts, but a person or an init script may: a drain then
	// stops waiting and the process exits instead of being killed mid-change.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(lvsalert.Main(ctx, os.Args[1:], lvsalert.Env{
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Resolver: net.DefaultResolver,
		Clock:    lvsalert.RealClock{},
		Open: func() (ipvs.Client, error) {
			// lvs.alert ran ipvsadm, which loads ip_vs itself when it is missing.
			return ipvs.OpenKernel(ipvs.WithModprobe(os.Stderr))
		},
	}))
}
