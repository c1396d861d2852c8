package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/lvskit/lvskit/compat/hacf"
)

func printDirectives(w io.Writer) {
	names := make([]string, 0, len(hacf.Directives))
	for n := range hacf.Directives {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d := hacf.Directives[n]
		line := fmt.Sprintf("%-24s %s", n, d.Support)
		if d.Note != "" {
			line += ": " + d.Note
		}
		fmt.Fprintln(w, line)
	}
}

const usage = `usage: heartbeatd --check [-d DIR] [--node NAME]
  --check        check DIR/ha.cf, DIR/authkeys and DIR/haresources as heartbeat 3.0.6
                 would, print every problem, exit 0 if heartbeat would start, 1 if not
  -d DIR         configuration directory (default /etc/ha.d); with --check only
  --node NAME    check for this node (default: uname -n)
  --directives   list every ha.cf directive of heartbeat 3.0.6 and what heartbeatd
                 does with it
heartbeat's daemon options (-f, -k, -r, -s, -R, -C, -M, -D, -W, -l, -V, -v) are not
implemented yet.
`

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer, host checkHost) int {
	check, dir, node := false, "/etc/ha.d", ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() (string, bool) {
			if v, ok := strings.CutPrefix(a, "="); ok {
				return v, true
			}
			if i+1 >= len(args) {
				fmt.Fprintf(stderr, "heartbeatd: option %s needs a value\n%s", a, usage)
				return "", false
			}
			i++
			return args[i], true
		}
		switch {
		case a == "--check":
			check = true
		case a == "-d" && check, a == "--config-dir":
			v, ok := next()
			if !ok {
				return 1
			}
			dir = v
		case strings.HasPrefix(a, "--config-dir="):
			dir = strings.TrimPrefix(a, "--config-dir=")
		case a == "--node":
			v, ok := next()
			if !ok {
				return 1
			}
			node = v
		case strings.HasPrefix(a, "--node="):
			node = strings.TrimPrefix(a, "--node=")
		case a == "--directives":
			printDirectives(stdout)
			return 0
		case a == "-h" || a == "--help":
			fmt.Fprint(stdout, usage)
			return 0
		default:
			fmt.Fprintf(stderr, "heartbeatd: %s: not implemented yet: heartbeatd can only check a configuration (--check); the daemon is not built\n%s", a, usage)
			return 1
		}
	}
	if !check {
		fmt.Fprintf(stderr, "heartbeatd: running as a daemon is not implemented yet; only --check is\n%s", usage)
		return 1
	}
	if node == "" {
		h, err := os.Hostname()
		if err != nil {
			fmt.Fprintf(stderr, "heartbeatd: uname -n: %v\n", err)
			return 1
		}
		node = h
	}
	r := checkDir(dir, node, host)
	for _, w := range r.Warnings {
		fmt.Fprintf(stderr, "heartbeatd: warning: %v\n", w)
	}
	for _, e := range r.Errors {
		fmt.Fprintf(stderr, "heartbeatd: %v\n", e)
	}
	if len(r.Errors) > 0 {
		fmt.Fprintf(stderr, "heartbeatd: configuration in %s has errors: heartbeat would not start\n", dir)
		return 1
	}
	fmt.Fprintf(stdout, "heartbeatd: configuration in %s OK for node %s: %d nodes, %d media, %d resource groups\n",
		dir, strings.ToLower(node), len(r.Config.Nodes), len(r.Config.Media), len(r.Resources.Groups))
	return 0
}
