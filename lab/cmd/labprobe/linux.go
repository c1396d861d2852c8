//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/lvskit/lvskit/internal/ipvs"
)

func run(mode string, args []string) int {
	modes := map[string]func([]string) error{"get": get, "hold": hold, "echo": echo, "watch": watch, "flows": flows, "holds": holds}
	f, ok := modes[mode]
	if !ok {
		fmt.Fprintf(os.Stderr, "labprobe: unknown mode %q (get, hold, echo, watch, flows, holds)\n", mode)
		return 2
	}
	if err := f(args); err != nil {
		fmt.Fprintf(os.Stderr, "labprobe %s: %v\n", mode, err)
		return 1
	}
	return 0
}

// now is milliseconds since boot, the clock of /proc/uptime.
func now() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0
	}
	return ts.Sec*1000 + ts.Nsec/1e6
}

// logger writes whole lines with O_APPEND, so several probes may share a file and a
// probe killed mid-run leaves only complete lines.
type logger struct {
	mu sync.Mutex
	f  *os.File
}

func openLog(path string) (*logger, error) {
	if path == "" || path == "-" {
		return &logger{f: os.Stdout}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &logger{f: f}, nil
}

func (l *logger) printf(format string, args ...any) {
	line := strconv.FormatInt(now(), 10) + " " + fmt.Sprintf(format, args...) + "\n"
	l.mu.Lock()
	defer l.mu.Unlock()
	l.f.WriteString(line)
}

// bounded is a context that ends after d or on SIGTERM/SIGINT.
func bounded(d time.Duration) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	return ctx, func() { stop(); cancel() }
}

// tick sleeps until the next multiple of every after start, or until ctx ends.
func tick(ctx context.Context, every time.Duration) bool {
	t := time.NewTimer(every)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// short keeps the last part of an error, which says what went wrong
// ("connection refused", "i/o timeout"), on one line.
func short(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return strings.ReplaceAll(s, " ", "_")
}

func get(args []string) error {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	url := fs.String("url", "", "URL to fetch")
	every := fs.Duration("every", 200*time.Millisecond, "time between request starts")
	timeout := fs.Duration("timeout", 2*time.Second, "bound on one request")
	dur := fs.Duration("for", time.Minute, "bound on the whole run")
	out := fs.String("out", "-", "log file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := openLog(*out)
	if err != nil {
		return err
	}
	ctx, cancel := bounded(*dur)
	defer cancel()
	client := &http.Client{Timeout: *timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	max := int(*dur / *every) + 1
	for i := 0; i < max && ctx.Err() == nil; i++ {
		start := time.Now()
		resp, err := client.Get(*url)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			log.printf("req fail %s", short(err))
		} else {
			body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
			resp.Body.Close()
			switch {
			case err != nil:
				log.printf("req fail %s", short(err))
			case resp.StatusCode != http.StatusOK:
				log.printf("req fail status_%d", resp.StatusCode)
			default:
				log.printf("req ok %s", strings.Fields(string(body) + " ?")[0])
			}
		}
		if rest := *every - time.Since(start); rest > 0 && !tick(ctx, rest) {
			break
		}
	}
	return nil
}

// hold keeps one TCP connection to an echo service and sends a numbered line every
// interval. A late answer is not a failure (TCP retransmits across a failover); only a
// reset or close of the connection is ("hold broken"), after which it stops.
func hold(args []string) error {
	fs := flag.NewFlagSet("hold", flag.ContinueOnError)
	addr := fs.String("addr", "", "HOST:PORT of the echo service")
	every := fs.Duration("every", 200*time.Millisecond, "time between lines")
	wait := fs.Duration("wait", 3*time.Second, "after this long without an answer, log \"hold slow\" (and keep waiting)")
	dur := fs.Duration("for", time.Minute, "bound on the whole run")
	out := fs.String("out", "-", "log file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := openLog(*out)
	if err != nil {
		return err
	}
	ctx, cancel := bounded(*dur)
	defer cancel()
	d := net.Dialer{Timeout: 3 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", *addr)
	if err != nil {
		log.printf("hold broken dial_%s", short(err))
		return nil
	}
	defer conn.Close()
	log.printf("hold open %s", conn.LocalAddr())
	go func() { <-ctx.Done(); conn.SetDeadline(time.Now()) }()
	r := bufio.NewReader(conn)
	for seq := 1; ctx.Err() == nil; seq++ {
		start := time.Now()
		if _, err := fmt.Fprintf(conn, "%d\n", seq); err != nil {
			if ctx.Err() == nil {
				log.printf("hold broken %s", short(err))
			}
			return nil
		}
		want := fmt.Sprintf(": %d", seq)
		for {
			conn.SetReadDeadline(time.Now().Add(*wait))
			line, err := r.ReadString('\n')
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				log.printf("hold slow %d", seq)
				continue
			}
			if err != nil {
				log.printf("hold broken %s", short(err))
				return nil
			}
			line = strings.TrimSpace(line)
			if strings.HasSuffix(line, want) {
				log.printf("hold ok %s %d", strings.TrimSuffix(line, want), seq)
				break
			}
		}
		if rest := *every - time.Since(start); rest > 0 && !tick(ctx, rest) {
			break
		}
	}
	log.printf("hold closed")
	return nil
}

func echo(args []string) error {
	fs := flag.NewFlagSet("echo", flag.ContinueOnError)
	listen := fs.String("listen", ":7000", "address to listen on")
	name := fs.String("name", "", "this server's name, prefixed to every answer")
	dur := fs.Duration("for", 10*time.Minute, "bound on the whole run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	ctx, cancel := bounded(*dur)
	defer cancel()
	go func() { <-ctx.Done(); ln.Close() }()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		go func() {
			defer c.Close()
			go func() { <-ctx.Done(); c.Close() }()
			s := bufio.NewScanner(c)
			for s.Scan() {
				if _, err := fmt.Fprintf(c, "%s: %s\n", *name, s.Text()); err != nil {
					return
				}
			}
		}()
	}
}

// watch samples, in each named network namespace, whether the VIP is on eth0 (a
// director), on lo (a real server or standby) or nowhere, the IPVS table, the sync
// daemons, and whether heartbeatd and mond run there; it logs a node's line whenever
// it changes:
//
//	<ms> state d1 vip=eth0 ipvs=10.0.0.100:8080>10.0.0.21,10.0.0.22 sync=master hb=1 mon=1
func watch(args []string) error {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	nsList := fs.String("ns", "", "comma-separated network namespace names (/run/netns/NAME)")
	vip := fs.String("vip", "", "the virtual IP")
	every := fs.Duration("every", 200*time.Millisecond, "sampling interval")
	dur := fs.Duration("for", 10*time.Minute, "bound on the whole run")
	out := fs.String("out", "-", "log file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	addr, err := netip.ParseAddr(*vip)
	if err != nil {
		return fmt.Errorf("-vip: %w", err)
	}
	log, err := openLog(*out)
	if err != nil {
		return err
	}
	ctx, cancel := bounded(*dur)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for _, ns := range strings.Split(*nsList, ",") {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := watchNS(ctx, ns, addr, *every, log); err != nil {
				errs <- fmt.Errorf("%s: %w", ns, err)
				cancel()
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

func watchNS(ctx context.Context, ns string, vip netip.Addr, every time.Duration, log *logger) error {
	// The thread enters the namespace for good: sockets opened here stay in it.
	runtime.LockOSThread()
	path := filepath.Join("/run/netns", ns)
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return err
	}
	nsLink := fmt.Sprintf("net:[%d]", st.Ino)
	if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("setns: %w", err)
	}
	unix.Close(fd)
	k, err := ipvs.OpenKernel()
	if err != nil {
		return err
	}
	defer k.Close()
	last := ""
	for {
		s := sample(ctx, k, vip, nsLink)
		if s != last {
			log.printf("state %s %s", ns, s)
			last = s
		}
		if !tick(ctx, every) {
			return nil
		}
	}
}

func sample(ctx context.Context, k ipvs.Client, vip netip.Addr, nsLink string) string {
	where := "-"
	for _, ifc := range []string{"lo", "eth0"} {
		if hasAddr(ifc, vip) {
			where = ifc
		}
	}
	var svcs []string
	if list, err := k.Services(ctx); err != nil {
		svcs = append(svcs, "error")
	} else {
		for _, s := range list {
			var ds []string
			dl, _ := k.Destinations(ctx, s.Key)
			for _, d := range dl {
				ds = append(ds, d.Key.Addr.String())
			}
			sort.Strings(ds)
			svcs = append(svcs, fmt.Sprintf("%s>%s", netip.AddrPortFrom(s.Key.Addr, s.Key.Port), strings.Join(ds, ",")))
		}
	}
	sort.Strings(svcs)
	sync := []string{}
	if ds, err := k.Daemons(ctx); err == nil {
		for _, d := range ds {
			sync = append(sync, d.State.String())
		}
	}
	sort.Strings(sync)
	procs := processes(nsLink)
	return fmt.Sprintf("vip=%s ipvs=%s sync=%s hb=%d mon=%d", where, orDash(strings.Join(svcs, ";")),
		orDash(strings.Join(sync, "+")), min(procs["heartbeatd"], 1), min(procs["mond"], 1))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func hasAddr(ifc string, a netip.Addr) bool {
	i, err := net.InterfaceByName(ifc)
	if err != nil {
		return false
	}
	addrs, err := i.Addrs()
	if err != nil {
		return false
	}
	for _, x := range addrs {
		if n, ok := x.(*net.IPNet); ok {
			if p, ok := netip.AddrFromSlice(n.IP); ok && p.Unmap() == a {
				return true
			}
		}
	}
	return false
}

// processes counts, by command name, the processes whose network namespace is nsLink
// (threads are not counted: /proc lists processes only).
func processes(nsLink string) map[string]int {
	n := map[string]int{}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return n
	}
	for _, e := range ents {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/" + e.Name() + "/ns/net"); err != nil || l != nsLink {
			continue
		}
		comm, err := os.ReadFile("/proc/" + e.Name() + "/comm")
		if err != nil {
			continue
		}
		n[strings.TrimSpace(string(comm))]++
	}
	return n
}
