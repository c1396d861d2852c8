// Command lab runs the lab scenario (package lab) on this machine and prints its
// timeline; it exits 1 when the scenario misses one of its bounds. `make lab` runs it.
// With -mode auto (the default) the scenario runs directly in network namespaces when
// the host kernel has IPVS, else in the qemu VM. -directors-serve runs the setup as the
// manual had it, its directors also real servers (`make lab-local`; lab.Options'
// DirectorsServe): phases 1, 2, 3, 6, 5.
//
//	go run ./lab/cmd/lab [-mode auto|vm|here] [-directors-serve] [-phases 1,2,3,4,5] [-v]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/lvskit/lvskit/lab"
	"github.com/lvskit/lvskit/vmtest"
)

func main() {
	phases := flag.String("phases", "", "comma-separated phases to run (default: every phase that can run)")
	verbose := flag.Bool("v", false, "print the run's progress")
	mode := flag.String("mode", string(lab.ModeAuto), "where the scenario runs: auto (here when the host kernel has IPVS, else the VM), vm or here")
	serve := flag.Bool("directors-serve", false, "the directors are also real servers, as in the manual (table rs1 d1 d2; phases 1,2,3,6,5)")
	flag.Parse()
	chosen, why, err := lab.ChooseMode(lab.Mode(*mode), lab.HostHasIPVS)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Fprintln(os.Stderr, "lab:", why)
	if chosen == lab.ModeVM {
		if err := vmtest.Available(); err != nil {
			fmt.Fprintln(os.Stderr, "lab:", err)
			os.Exit(2)
		}
	} else if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "lab: running here needs root (namespaces, mounts)")
		os.Exit(2)
	}
	opts := lab.Default()
	if *serve {
		opts = lab.DirectorsServeDefault()
	}
	opts.Mode = chosen
	if *phases != "" {
		opts.Phases = nil
		for _, p := range strings.Split(*phases, ",") {
			n, err := strconv.Atoi(p)
			if err != nil {
				fmt.Fprintf(os.Stderr, "lab: -phases %q: %v\n", *phases, err)
				os.Exit(2)
			}
			opts.Phases = append(opts.Phases, n)
		}
	}
	if *verbose {
		opts.Logf = func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
	}
	if chosen == lab.ModeVM {
		fmt.Fprintln(os.Stderr, "lab: building and booting the VM (a few minutes under emulation)...")
	} else {
		fmt.Fprintln(os.Stderr, "lab: building and running the scenario (a few minutes)...")
	}
	rep, err := lab.Run(context.Background(), opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab:", err)
		os.Exit(1)
	}
	rep.Timeline(os.Stdout)
	if bad := rep.Check(); len(bad) > 0 {
		fmt.Println()
		for _, b := range bad {
			fmt.Println("FAIL:", b)
		}
		fmt.Printf("\n---- scenario stderr\n%s\n---- syslog\n%s", rep.Stderr, rep.Syslog)
		os.Exit(1)
	}
	fmt.Println("\nlab: every phase that ran held its bounds")
}
