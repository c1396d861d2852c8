package lvsalert

import (
	"context"
	"errors"
	"fmt"
	"github.com/lvskit/lvskit/internal/buildinfo"
	"io"

	"github.com/lvskit/lvskit/internal/ipvs"
)

// Exit statuses.
const (
	ExitOK    = 0
	ExitIPVS  = 1 // IPVS could not be opened or refused a change
	ExitUsage = 2 // bad command line
)

// Env is what Main needs from the outside world.
type Env struct {
	Stdout, Stderr io.Writer
	Resolver       Resolver
	Clock          Clock
	// Open connects to IPVS; called only once the command line is known to be good.
	Open func() (ipvs.Client, error)
}

// Main runs lvs-alert with args (without the program name) and returns its exit status.
//
// lvs.alert always exited 0, whatever ipvsadm said; lvs-alert exits 1 when the change
// it was asked for did not happen, so mon's log and a person running it by hand can
// tell. mon ignores an alert's exit status, so this changes nothing for mon.
func Main(ctx context.Context, args []string, env Env) int {
	req, err := Parse(ctx, args, env.Resolver)
	if errors.Is(err, ErrHelp) {
		fmt.Fprint(env.Stdout, Usage)
		return ExitOK
	}
	if errors.Is(err, ErrVersion) {
		fmt.Fprintln(env.Stdout, buildinfo.String("lvs-alert"))
		return ExitOK
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "lvs-alert: %v\n", err)
		fmt.Fprintf(env.Stderr, "Try 'lvs-alert --help' for the accepted arguments.\n")
		return ExitUsage
	}
	for _, w := range req.Warnings {
		fmt.Fprintf(env.Stderr, "lvs-alert: warning: %s\n", w)
	}
	c, err := env.Open()
	if err != nil {
		fmt.Fprintf(env.Stderr, "lvs-alert: opening IPVS: %v\n", err)
		return ExitIPVS
	}
	defer c.Close()
	a := &Applier{Client: c, Clock: env.Clock, Notes: env.Stderr}
	if a.Clock == nil {
		a.Clock = RealClock{}
	}
	if err := a.Apply(ctx, req); err != nil {
		fmt.Fprintf(env.Stderr, "lvs-alert: %v\n", err)
		return ExitIPVS
	}
	return ExitOK
}
