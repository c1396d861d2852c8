// Command lab-bgp runs the BGP lab scenario (package lab, RunBGP) in the qemu VM and
// prints its timeline; it exits 1 when the scenario misses one of its bounds.
// `make lab-bgp` runs it.
//
//	go run ./lab/cmd/lab-bgp [-phases a,b,c,d,e,n,f] [-speaker lvs-bgp|bird] [-midflow MODE] [-out DIR] [-v]
//
// With more than one -midflow mode (make lab-bgp-midflow: sloppy,none,sync) it runs
// phase d (kill -9 of a director under 300 long-lived connections) once per mode, a
// boot each, and prints how many connections each mode broke: the measurement behind
// the lab's sloppy_tcp. Only the bounds of the lab's own mode (sloppy) decide its exit.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/lvskit/lvskit/lab"
	"github.com/lvskit/lvskit/vmtest"
)

func main() {
	phases := flag.String("phases", "", "comma-separated phases to run (default: "+strings.Join(lab.BGPPhases, ",")+")")
	speaker := flag.String("speaker", "", "the directors' BGP speaker: lvs-bgp or bird (default: lvs-bgp when cmd/lvs-bgp is in the tree, else bird)")
	verbose := flag.Bool("v", false, "print the run's progress")
	out := flag.String("out", "", "write the scenario's result files (events, flows-*.log, holds-*.log, state.log, syslog) into this directory")
	midflow := flag.String("midflow", "", "how a director takes the middle of another's flow: "+strings.Join(lab.MidFlowModes, ", ")+"; several (comma-separated) compare them on phase d")
	flag.Parse()
	if err := vmtest.Available(); err != nil {
		fmt.Fprintln(os.Stderr, "lab-bgp:", err)
		os.Exit(2)
	}
	if modes := strings.Split(*midflow, ","); len(modes) > 1 {
		os.Exit(compare(modes, *speaker, *phases, *verbose))
	}
	opts := lab.BGPOptions{Speaker: *speaker, MidFlow: *midflow}
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

// compare runs phase d once per mid-flow mode and prints the connections each broke.
func compare(modes []string, speaker, phases string, verbose bool) int {
	if phases == "" {
		phases = "d,f"
	}
	type row struct {
		mode string
		rep  *lab.BGPReport
		bad  []string
	}
	var rows []row
	rc := 0
	for _, m := range modes {
		opts := lab.BGPOptions{Speaker: speaker, MidFlow: m, Phases: strings.Split(phases, ",")}
		if verbose {
			opts.Logf = func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }
		}
		fmt.Fprintf(os.Stderr, "lab-bgp: mid-flow %s: building and booting the VM...\n", m)
		rep, err := lab.RunBGP(context.Background(), opts)
		if err != nil {
			fmt.Fprintf(os.Stderr, "lab-bgp: mid-flow %s: %v\n", m, err)
			return 1
		}
		rep.Timeline(os.Stdout)
		fmt.Println()
		bad := rep.Check()
		if m == lab.MidFlowModes[0] && len(bad) > 0 {
			rc = 1
		}
		rows = append(rows, row{m, rep, bad})
	}
	val := func(r *lab.BGPReport, name string) string {
		if v, ok := r.Measure("d", name); ok {
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
		return "-"
	}
	fmt.Println("mid-flow comparison, phase d (kill -9 of d3 under long-lived connections through ECMP):")
	fmt.Printf("%-8s %6s %10s %7s %6s %12s  %s\n", "mode", "open", "via-d3", "broken", "slow", "withdraw-ms", "bounds")
	for _, r := range rows {
		verdict := "held"
		if len(r.bad) > 0 {
			verdict = "missed: " + strings.Join(r.bad, "; ")
		}
		fmt.Printf("%-8s %6s %10s %7s %6s %12s  %s\n", r.mode, val(r.rep, "holds-open"), val(r.rep, "holds-via-killed"),
			val(r.rep, "holds-broken"), val(r.rep, "holds-slow"), val(r.rep, "withdraw-ms"), verdict)
	}
	return rc
}
