// Command lab-bgp runs the BGP lab scenario (package lab, RunBGP) in the qemu VM and
// prints its timeline; it exits 1 when the scenario misses one of its bounds.
// `make lab-bgp` runs it.
//
//	go run ./lab/cmd/lab-bgp [-phases a,b,c,d,e,n,f] [-speaker lvs-bgp|bird] [-out DIR] [-v]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lvskit/lvskit/lab"
	"github.com/lvskit/lvskit/vmtest"
)

func main() {
	phases := flag.String("phases", "", "comma-separated phases to run (default: "+strings.Join(lab.BGPPhases, ",")+")")
	speaker := flag.String("speaker", "", "the directors' BGP speaker: lvs-bgp or bird (default: lvs-bgp when cmd/lvs-bgp is in the tree, else bird)")
	verbose := flag.Bool("v", false, "print the run's progress")
	out := flag.String("out", "", "write the scenario's result files (events, flows-*.log, holds-*.log, state.log, syslog) into this directory")
	flag.Parse()
	if err := vmtest.Available(); err != nil {
		fmt.Fprintln(os.Stderr, "lab-bgp:", err)
		os.Exit(2)
	}
	opts := lab.BGPOptions{Speaker: *speaker}
	if *phases != "" {
		opts.Phases = strings.Split(*phases, ",")
	}
	if *verbose {
		opts.Logf = func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
	}
	fmt.Fprintln(os.Stderr, "lab-bgp: building and booting the VM (a few minutes under emulation)...")
	rep, err := lab.RunBGP(context.Background(), opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, "lab-bgp:", err)
		os.Exit(1)
	}
	if *out != "" {
		for name, data := range rep.Files {
			p := filepath.Join(*out, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err == nil {
				err = os.WriteFile(p, data, 0o644)
			}
		}
	}
	rep.Timeline(os.Stdout)
	if bad := rep.Check(); len(bad) > 0 {
		fmt.Println()
		for _, b := range bad {
			fmt.Println("FAIL:", b)
		}
		fmt.Printf("\n---- scenario stderr\n%s\n", rep.Stderr)
		os.Exit(1)
	}
	fmt.Println("\nlab-bgp: every phase that ran held its bounds")
}
