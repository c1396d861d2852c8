// Command vmrun runs an ad-hoc shell script inside the IPVS test VM (Debian's
// kernel under qemu, the real ipvsadm 1.31 as /sbin/ipvsadm, our static
// binaries as /ours/<name>) and prints what it printed.
//
//	go run ./vmtest/cmd/vmrun [-ours ipvsadm] [-program /usr/sbin/x] [-out dir] [-timeout 5m] script.sh
//
// The script's stdout and stderr are copied to vmrun's; files it writes under
// /results are saved into -out; vmrun exits with the script's exit status.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lvskit/lvskit/vmtest"
)

func main() {
	ours := flag.String("ours", "ipvsadm", "comma-separated commands under ./cmd to build and place at /ours/<name> (empty: none)")
	out := flag.String("out", "", "directory to save the guest's /results files into")
	timeout := flag.Duration("timeout", 5*time.Minute, "bound on the script inside the guest")
	console := flag.Bool("console", false, "print the guest's serial console on stderr")
	var files, env multiFlag
	flag.Var(&files, "file", "extra guest file as guestpath=hostpath (repeatable)")
	flag.Var(&env, "env", "NAME=value exported to the script (repeatable)")
	var programs multiFlag
	flag.Var(&programs, "program", "a host program copied to the same path in the guest with the libraries it links (repeatable)")
	flag.Usage = func() {
		fmt.Fprintf(os.Stderr, "usage: vmrun [flags] script.sh\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(run(flag.Arg(0), *ours, *out, *timeout, *console, files, env, programs))
}

func run(script, ours, out string, timeout time.Duration, console bool, files, env, programs []string) int {
	body, err := os.ReadFile(script)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vmrun:", err)
		return 2
	}
	var exports strings.Builder
	for _, e := range env {
		k, v, ok := strings.Cut(e, "=")
		if !ok || k == "" {
			fmt.Fprintf(os.Stderr, "vmrun: -env %q: want NAME=value\n", e)
			return 2
		}
		fmt.Fprintf(&exports, "export %s='%s'\n", k, strings.ReplaceAll(v, "'", `'\''`))
	}
	// The exports go after a #! line, if any, so the script keeps it.
	if exports.Len() > 0 {
		if rest, ok := strings.CutPrefix(string(body), "#!"); ok {
			first, tail, _ := strings.Cut(rest, "\n")
			body = []byte("#!" + first + "\n" + exports.String() + tail)
		} else {
			body = []byte(exports.String() + string(body))
		}
	}
	opts := vmtest.Options{Script: string(body), Timeout: timeout, HostFiles: map[string]string{},
		Programs: map[string]string{},
		Logf:     func(f string, a ...any) { fmt.Fprintf(os.Stderr, f+"\n", a...) }}
	for _, p := range programs {
		opts.Programs[p] = p
	}
	if ours != "" {
		bins, cleanup, err := vmtest.BuildCommands(strings.Split(ours, ",")...)
		if err != nil {
			fmt.Fprintln(os.Stderr, "vmrun:", err)
			return 2
		}
		defer cleanup()
		for k, v := range bins {
			opts.HostFiles[k] = v
		}
	}
	for _, f := range files {
		g, h, ok := strings.Cut(f, "=")
		if !ok {
			fmt.Fprintf(os.Stderr, "vmrun: -file %q: want guestpath=hostpath\n", f)
			return 2
		}
		opts.HostFiles[g] = h
	}
	res, err := vmtest.Run(context.Background(), opts)
	if res != nil && console {
		fmt.Fprint(os.Stderr, res.Console)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vmrun:", err)
		return 2
	}
	os.Stdout.WriteString(res.Stdout())
	os.Stderr.WriteString(res.Stderr())
	if out != "" {
		for name, data := range res.Files {
			p := filepath.Join(out, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				fmt.Fprintln(os.Stderr, "vmrun:", err)
				return 2
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				fmt.Fprintln(os.Stderr, "vmrun:", err)
				return 2
			}
		}
	}
	return res.ExitCode
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
