// Command lvs-bgp announces a director's VIPs over BGP while its IPVS table has a live
// real server for them, so that routers spread the VIPs' flows over the directors by
// ECMP. See internal/lvsbgp and lvsbgp.Usage (lvs-bgp --help).
package main

import (
	"os"

	"github.com/lvskit/lvskit/internal/lvsbgp"
)

func main() {
	os.Exit(lvsbgp.Main(os.Args[1:], os.Stdout, os.Stderr, lvsbgp.RealEnv()))
}
