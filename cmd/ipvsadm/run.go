package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/lvskit/lvskit/compat/ipvsadm"
	"github.com/lvskit/lvskit/internal/buildinfo"
	"github.com/lvskit/lvskit/internal/ipvs"
)

// Env is everything Run needs from the outside world, so tests can run ipvsadm against
// the fake client with captured streams.
type Env struct {
	Args           []string // argv, argv[0] as invoked
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// StdoutIsTTY makes stdout line-buffered, as C stdio does for a terminal; otherwise
	// stdout is fully buffered (4 KiB) and flushed at exit, so when stdout and stderr
	// share a pipe the error messages come first, as with the original.
	StdoutIsTTY bool

	// Open is ipvs_init: it connects to IPVS. Info is called on the client right after.
	Open func() (ipvs.Client, error)
	// Modprobe runs "/sbin/modprobe -- ip_vs" and reports whether it exited 0. Nil: none.
	Modprobe func() bool
	// OpenConn opens /proc/net/ip_vs_conn.
	OpenConn func() (io.ReadCloser, error)
	Resolver ipvsadm.Resolver
	// PosixMeHarder: POSIXLY_CORRECT or POSIX_ME_HARDER is set (popt then stops at the
	// first non-option word).
	PosixMeHarder bool

	// Crash, when set, ends the process the way 1.31 ends where it dereferences NULL:
	// killed by SIGSEGV. Nil: Run returns 139, the status a shell reports for that.
	Crash func()

	// noBatch makes -R apply each line on its own (tests compare both ways).
	noBatch bool
}

// exitCode unwinds Run like C's exit().
type exitCode int

type app struct {
	env     Env
	crashed bool
	prog    string
	out     *bufio.Writer
	tty     bool
	client  ipvs.Client
	info    ipvs.Info
	ctx     context.Context
}

// Run is ipvsadm's main: it returns the exit status.
func Run(env Env) (status int) {
	if env.Resolver == nil {
		env.Resolver = ipvsadm.NoResolver{}
	}
	if env.Stdin == nil {
		env.Stdin = bytes.NewReader(nil)
	}
	prog := "ipvsadm"
	if len(env.Args) > 0 {
		prog = env.Args[0]
	} else {
		env.Args = []string{prog}
	}
	if len(env.Args) == 2 && env.Args[1] == "--lvskit-version" {
		// -v and --version print 1.31's line, byte for byte, as scripts parse it; this
		// option, which 1.31 does not have, names lvskit's build (no kernel needed).
		fmt.Fprintln(env.Stdout, buildinfo.String(filepath.Base(prog)))
		return 0
	}
	a := &app{env: env, prog: prog, out: bufio.NewWriterSize(env.Stdout, 4096), tty: env.StdoutIsTTY, ctx: context.Background()}
	defer func() {
		if r := recover(); r != nil {
			c, ok := r.(exitCode)
			if !ok {
				_ = a.out.Flush()
				panic(r)
			}
			status = int(c) & 0xff
		}
		if a.crashed {
			// C's stdio buffer dies with the process.
			if a.env.Crash != nil {
				a.env.Crash()
			}
			return
		}
		_ = a.out.Flush()
		if a.client != nil {
			_ = a.client.Close()
		}
	}()

	if err := a.init(); err != nil {
		if env.Modprobe != nil && env.Modprobe() {
			err = a.init()
		}
		if err != nil {
			a.fail(2, "Can't initialize ipvs: %s\nAre you sure that IP Virtual Server is built in the kernel or as module?",
				ipvsadm.Strerror(ipvsadm.OpInit, err))
		}
	}

	// check_ipvs_version: warn when the kernel's IPVS is older than 1.1.4.
	if a.info.Version < 0x010104 {
		v := a.info.Version
		a.errorf("Warning: IPVS version mismatch: \n"+
			"  Kernel compiled with IPVS version %d.%d.%d\n"+
			"  ipvsadm v1.31  requires minimum IPVS version %d.%d.%d\n\n",
			(v>>16)&0xff, (v>>8)&0xff, v&0xff, 1, 1, 4)
	}

	if len(env.Args) == 1 {
		a.listAll(0)
		return 0
	}
	return a.processOptions(env.Args, false) & 0xff
}

func (a *app) init() error {
	if a.client != nil {
		_ = a.client.Close()
		a.client = nil
	}
	c, err := a.env.Open()
	if err != nil {
		return err
	}
	info, err := c.Info(a.ctx)
	if err != nil {
		_ = c.Close()
		return err
	}
	a.client, a.info = c, info
	return nil
}

// write sends stdout text through the stdio-like buffer.
func (a *app) write(s string) {
	_, _ = a.out.WriteString(s)
	if a.tty && bytes.IndexByte([]byte(s), '\n') >= 0 {
		_ = a.out.Flush()
	}
}

type outWriter struct{ a *app }

func (w outWriter) Write(b []byte) (int, error) { w.a.write(string(b)); return len(b), nil }

func (a *app) errorf(format string, args ...any) {
	fmt.Fprintf(a.env.Stderr, format, args...)
}

// fail is ipvsadm's fail(): message and newline on stderr, then exit.
func (a *app) fail(code int, format string, args ...any) {
	a.errorf(format+"\n", args...)
	panic(exitCode(code))
}

func (a *app) exit(code int) { panic(exitCode(code)) }

// carryOut performs an Exit from the parser.
func (a *app) carryOut(ex *ipvsadm.Exit) {
	if ex.Crash {
		a.crashed = true
		a.exit(ex.Code)
	}
	if ex.Stdout != "" {
		a.write(ex.Stdout)
	}
	if ex.Stderr != "" {
		a.errorf("%s", ex.Stderr)
	}
	a.exit(ex.Code)
}

func (a *app) printer() *ipvsadm.Printer {
	return &ipvsadm.Printer{W: outWriter{a}, R: a.env.Resolver}
}

func (a *app) parse(argv []string) (*ipvsadm.Command, *ipvsadm.Exit) {
	return ipvsadm.Parse(argv, ipvsadm.ParseEnv{Resolver: a.env.Resolver, PosixMeHarder: a.env.PosixMeHarder})
}

// processOptions is process_options: parse one command line and carry it out. It
// returns 0 or -1 like the C function; fatal conditions exit through panic.
func (a *app) processOptions(argv []string, readingStdin bool) int {
	ce, ex := a.parse(argv)
	if ex != nil {
		if ex.Return {
			a.errorf("%s", ex.Stderr)
			return -1
		}
		a.carryOut(ex)
	}
	return a.execute(ce, readingStdin)
}

func (a *app) execute(ce *ipvsadm.Command, readingStdin bool) int {
	switch ce.Cmd {
	case ipvsadm.CmdList:
		switch {
		case ce.Has(ipvsadm.OptConnection):
			a.listConn(ce.Format)
		case ce.Has(ipvsadm.OptService):
			a.listService(ce, ce.Format)
		case ce.Has(ipvsadm.OptTimeout):
			a.listTimeout()
		case ce.Has(ipvsadm.OptDaemon):
			a.listDaemon()
		default:
			a.listAll(ce.Format)
		}
		return 0
	case ipvsadm.CmdRestore:
		return a.restoreTable(readingStdin)
	case ipvsadm.CmdSave:
		a.listAll(ce.Format)
		return 0
	}
	if op, ok := ipvsadm.BatchOp(ce); ok {
		return a.report(ce, a.applyOne(op))
	}
	var err error
	switch ce.Cmd {
	case ipvsadm.CmdZero:
		err = a.client.Zero(a.ctx, ipvsadm.ZeroKey(ce))
	case ipvsadm.CmdTimeout:
		err = a.client.SetTimeouts(a.ctx, ce.Timeouts)
	case ipvsadm.CmdStartDaemon:
		err = a.client.StartDaemon(a.ctx, ipvsadm.DaemonOf(ce))
	case ipvsadm.CmdStopDaemon:
		err = a.client.StopDaemon(a.ctx, ipvs.DaemonState(ce.Daemon.State))
	}
	return a.report(ce, err)
}

// applyOne makes one table change with the Client's single-operation call.
func (a *app) applyOne(op ipvs.Op) error {
	switch op.Kind {
	case ipvs.OpAddService:
		return a.client.AddService(a.ctx, op.Service)
	case ipvs.OpUpdateService:
		return a.client.UpdateService(a.ctx, op.Service)
	case ipvs.OpDelService:
		return a.client.DelService(a.ctx, op.Service.Key)
	case ipvs.OpAddDest:
		return a.client.AddDestination(a.ctx, op.Service.Key, op.Dest)
	case ipvs.OpUpdateDest:
		return a.client.UpdateDestination(a.ctx, op.Service.Key, op.Dest)
	case ipvs.OpDelDest:
		return a.client.DelDestination(a.ctx, op.Service.Key, op.Dest.Key)
	case ipvs.OpFlush:
		return a.client.Flush(a.ctx)
	}
	return fmt.Errorf("ipvsadm: unknown operation %d", op.Kind)
}

// report prints a kernel error the way process_options does and returns its result.
func (a *app) report(ce *ipvsadm.Command, err error) int {
	if err == nil {
		return 0
	}
	a.errorf("%s\n", ipvsadm.Strerror(ipvsadm.OpOf(ce.Cmd), err))
	return -1
}

// restoreTable is restore_table: one command per line of stdin. Runs of consecutive
// table changes go to the kernel as one Client.Batch; the batch is flushed before any
// other command and before ipvsadm would stop, so the output and the table's state are
// those of line-by-line execution.
func (a *app) restoreTable(readingStdin bool) int {
	if readingStdin {
		a.carryOut(&ipvsadm.Exit{Code: -1, Stderr: fmt.Sprintf("Try `%s -h' or '%s --help' for more information.\n", a.prog, a.prog)})
	}
	result := 0
	var pending []*ipvsadm.Command
	var ops []ipvs.Op
	flush := func() {
		if len(ops) == 0 {
			return
		}
		errs := a.client.Batch(a.ctx, ops)
		for i, ce := range pending {
			var err error
			if i < len(errs) {
				err = errs[i]
			}
			result = a.report(ce, err)
		}
		pending, ops = pending[:0], ops[:0]
	}
	// Whatever ends the process mid-restore applies the queued changes first.
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(exitCode); ok {
				flush()
			}
			panic(r)
		}
	}()

	lr := ipvsadm.NewLineReader(a.env.Stdin, a.prog)
	for {
		argv, ok := lr.Next()
		if !ok {
			break
		}
		if len(argv) <= 1 {
			continue
		}
		ce, ex := a.parse(argv)
		if ex != nil {
			flush()
			if ex.Return {
				a.errorf("%s", ex.Stderr)
				result = -1
				continue
			}
			a.carryOut(ex)
		}
		if op, ok := ipvsadm.BatchOp(ce); ok && !a.env.noBatch {
			pending = append(pending, ce)
			ops = append(ops, op)
			continue
		}
		flush()
		result = a.execute(ce, true)
	}
	flush()
	return result
}

func (a *app) listAll(f ipvsadm.Format) {
	p := a.printer()
	if f&ipvsadm.FmtRule == 0 {
		p.ListHeader(a.info)
	}
	svcs, err := a.client.Services(a.ctx)
	if err != nil {
		a.errorf("%s\n", ipvsadm.Strerror(ipvsadm.OpGetServices, err))
		a.exit(1)
	}
	if f&ipvsadm.FmtNoSort == 0 {
		ipvsadm.SortServices(svcs)
	}
	p.Title(f)
	for _, s := range svcs {
		a.serviceEntry(p, s, f)
	}
}

func (a *app) serviceEntry(p *ipvsadm.Printer, s ipvs.ServiceInfo, f ipvsadm.Format) {
	dests, err := a.client.Destinations(a.ctx, s.Key)
	if err != nil {
		a.errorf("%s\n", ipvsadm.Strerror(ipvsadm.OpGetDests, err))
		a.exit(1)
	}
	p.ServiceEntry(s, dests, f)
}

func (a *app) listService(ce *ipvsadm.Command, f ipvsadm.Format) {
	s, err := a.client.Service(a.ctx, ipvsadm.ServiceOf(ce).Key)
	if err != nil {
		a.errorf("%s\n", ipvsadm.Strerror(ipvsadm.OpGetService, err))
		a.exit(1)
	}
	p := a.printer()
	p.Title(f)
	a.serviceEntry(p, s, f)
}

func (a *app) listTimeout() {
	t, err := a.client.Timeouts(a.ctx)
	if err != nil {
		a.exit(1)
	}
	a.printer().Timeouts(t)
}

func (a *app) listDaemon() {
	d, err := a.client.Daemons(a.ctx)
	if err != nil {
		a.exit(1)
	}
	a.printer().Daemons(d)
}

func (a *app) listConn(f ipvsadm.Format) {
	if a.env.OpenConn == nil {
		a.errorf("cannot open file %s\n", ipvsadm.ConnProcFile)
		a.exit(1)
	}
	r, err := a.env.OpenConn()
	if err != nil {
		a.errorf("cannot open file %s\n", ipvsadm.ConnProcFile)
		a.exit(1)
	}
	defer r.Close()
	if ex := a.printer().ListConn(r, f); ex != nil {
		a.carryOut(ex)
	}
}
