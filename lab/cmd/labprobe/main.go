// Command labprobe is the lab's own instrument inside the VM (see package lab): the
// client's traffic, the long-lived connection, the real servers' echo service, and the
// watcher that samples who is director. Every line it logs starts with the time since
// boot in milliseconds (CLOCK_BOOTTIME, the clock of /proc/uptime that the scenario
// script also uses), so the logs of several processes merge into one timeline.
//
//	labprobe get   -url URL -every D -timeout D -for D -out FILE   HTTP requests, one connection each
//	labprobe hold  -addr HOST:PORT -every D -for D -out FILE        one TCP connection kept open
//	labprobe echo  -listen ADDR -name NAME                          line echo server ("NAME: line")
//	labprobe watch -ns d1,d2 -vip ADDR -every D -for D -out FILE    director state on change
//	labprobe flows -addr HOST:PORT -src A-B -port P -n N [-http]    N short flows, each from its own
//	                                                                (address, port): who answered
//	labprobe holds -addr HOST:PORT -src A-B -port P -n N -for D     N long-lived connections, resets counted
//
// Every mode is bounded by -for and ends early on SIGTERM.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: labprobe get|hold|echo|watch|flows|holds [flags]")
		os.Exit(2)
	}
	os.Exit(run(os.Args[1], os.Args[2:]))
}
