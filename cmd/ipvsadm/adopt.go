package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/lvskit/lvskit/compat/ipvsadm"
	"github.com/lvskit/lvskit/internal/buildinfo"
	"github.com/lvskit/lvskit/internal/director"
)

const adoptUsage = `Usage: ipvsadm-adopt [--dry-run] [-v] < rules
Bring the IPVS table to the rules on stdin without flushing it: add what is missing,
edit what differs in place, remove only what -D/-d lines name. Entries already as
configured, and their connections, are left alone. The rules are ipvsadm -R's format
(ipvsadm-save's output; lines starting with # are comments); -C is refused.
  --dry-run   print the changes it would make, make none
  -v          print each change as it is made
  --version   print lvskit's version and build
`

// RunAdopt is ipvsadm-adopt, lvskit's addition to the ipvsadm-save/ipvsadm-restore
// pair: what a director runs when it becomes active. ipvsadm-restore flushes first,
// which drops every connection the table carries (the synced ones of a failover, the
// ones a restarted director was serving); adopting keeps them.
func RunAdopt(env Env) int {
	fs := pflag.NewFlagSet("ipvsadm-adopt", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	dry := fs.Bool("dry-run", false, "")
	verbose := fs.BoolP("verbose", "v", false, "")
	help := fs.BoolP("help", "h", false, "")
	version := fs.Bool("version", false, "")
	if err := fs.Parse(env.Args[1:]); err != nil {
		fmt.Fprintf(env.Stderr, "ipvsadm-adopt: %v\n%s", err, adoptUsage)
		return 2
	}
	if *help {
		fmt.Fprint(env.Stdout, adoptUsage)
		return 0
	}
	if *version {
		fmt.Fprintln(env.Stdout, buildinfo.String("ipvsadm-adopt"))
		return 0
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(env.Stderr, "ipvsadm-adopt: unexpected argument %q: the rules come on stdin\n%s", fs.Arg(0), adoptUsage)
		return 2
	}
	resolver := env.Resolver
	if resolver == nil {
		resolver = ipvsadm.NoResolver{}
	}
	stdin := env.Stdin
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	desired, err := director.ParseRules("stdin", stdin, ipvsadm.ParseEnv{Resolver: resolver, PosixMeHarder: env.PosixMeHarder})
	if err != nil {
		fmt.Fprintf(env.Stderr, "ipvsadm-adopt: %v\n", err)
		return 2
	}
	c, err := env.Open()
	if err != nil && env.Modprobe != nil && env.Modprobe() {
		c, err = env.Open()
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "ipvsadm-adopt: Can't initialize ipvs: %s\n", ipvsadm.Strerror(ipvsadm.OpInit, err))
		return 2
	}
	defer c.Close()
	ctx := context.Background()
	if *dry {
		cur, err := director.Read(ctx, c)
		if err != nil {
			fmt.Fprintf(env.Stderr, "ipvsadm-adopt: %v\n", err)
			return 1
		}
		ops, err := director.Plan(cur, desired)
		if err != nil {
			fmt.Fprintf(env.Stderr, "ipvsadm-adopt: %v\n", err)
			return 1
		}
		for _, op := range ops {
			fmt.Fprintf(env.Stdout, "ipvsadm %s\n", director.FormatOp(op))
		}
		return 0
	}
	ops, err := director.Apply(ctx, c, desired)
	if err != nil {
		var joined interface{ Unwrap() []error }
		errs := []error{err}
		if errors.As(err, &joined) {
			errs = joined.Unwrap()
		}
		for _, e := range errs {
			fmt.Fprintf(env.Stderr, "ipvsadm-adopt: %v\n", e)
		}
	}
	if *verbose {
		for _, op := range ops {
			fmt.Fprintf(env.Stdout, "ipvsadm %s\n", director.FormatOp(op))
		}
	}
	if err != nil {
		return 1
	}
	return 0
}
