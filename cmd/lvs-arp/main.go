// Command lvs-arp switches a node between the LVS real-server and director ARP roles,
// what the manual did with the "hidden" kernel patch, and announces a VIP with
// gratuitous ARP once a new director's table is up. See internal/lvsarp for what each
// action does, and lvsarp.Usage (lvs-arp --help).
package main

import (
	"os"

	"github.com/lvskit/lvskit/internal/lvsarp"
)

func main() {
	os.Exit(lvsarp.Main(os.Args[1:], os.Stdout, os.Stderr, lvsarp.NewHost()))
}
