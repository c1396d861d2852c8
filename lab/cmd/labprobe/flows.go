//go:build linux

package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// sources expands "A-B" (an inclusive range of IPv4 addresses, or one address) and a
// port range into n (address, port) pairs: address first, so consecutive flows differ
// in their address, then the port. The same arguments give the same pairs, which is
// what lets the BGP scenario send one flow through several directors.
func sources(spec string, port0, n int) ([]netip.AddrPort, error) {
	lo, hi, ok := strings.Cut(spec, "-")
	if !ok {
		hi = lo
	}
	a, err := netip.ParseAddr(lo)
	if err != nil {
		return nil, fmt.Errorf("-src: %w", err)
	}
	b, err := netip.ParseAddr(hi)
	if err != nil {
		return nil, fmt.Errorf("-src: %w", err)
	}
	var addrs []netip.Addr
	for x := a; x.Compare(b) <= 0 && x.IsValid(); x = x.Next() {
		addrs = append(addrs, x)
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("-src %q: empty range", spec)
	}
	out := make([]netip.AddrPort, n)
	for i := range out {
		out[i] = netip.AddrPortFrom(addrs[i%len(addrs)], uint16(port0+i/len(addrs)))
	}
	return out, nil
}

// dialFrom connects from src to dst. SO_REUSEADDR lets a source pair be used again
// while its last connection is in TIME_WAIT on this side; flows closes with a reset,
// so normally there is none.
func dialFrom(ctx context.Context, src netip.AddrPort, dst string, timeout time.Duration) (*net.TCPConn, error) {
	d := net.Dialer{
		Timeout:   timeout,
		LocalAddr: net.TCPAddrFromAddrPort(src),
		Control: func(_, _ string, c syscall.RawConn) error {
			var serr error
			c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1)
			})
			return serr
		},
	}
	c, err := d.DialContext(ctx, "tcp", dst)
	if err != nil {
		return nil, err
	}
	return c.(*net.TCPConn), nil
}

// ask sends one request on c and returns the name of the real server that answered:
// an HTTP GET whose body's first word is the server's name (busybox httpd serving
// /srv/<node>), or a line to labprobe echo ("rs1: x").
func ask(c net.Conn, http bool) (string, error) {
	r := bufio.NewReader(c)
	if http {
		if _, err := io.WriteString(c, "GET / HTTP/1.0\r\n\r\n"); err != nil {
			return "", err
		}
		b, err := io.ReadAll(io.LimitReader(r, 4096))
		if err != nil {
			return "", err
		}
		_, body, ok := strings.Cut(string(b), "\r\n\r\n")
		if !ok || !strings.HasPrefix(string(b), "HTTP/1.0 200") && !strings.HasPrefix(string(b), "HTTP/1.1 200") {
			return "", fmt.Errorf("bad_answer")
		}
		return strings.Fields(body + " ?")[0], nil
	}
	if _, err := io.WriteString(c, "x\n"); err != nil {
		return "", err
	}
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	name, _, ok := strings.Cut(line, ":")
	if !ok {
		return "", fmt.Errorf("bad_answer")
	}
	return name, nil
}

// flows opens n short connections, each from its own (address, port), asks which real
// server answers and closes it with a reset (no TIME_WAIT on either side, so the same
// pair can be sent again at once, through another director). One line per flow:
//
//	<ms> flow 10.0.1.10:20000 rs2
//	<ms> flow 10.0.1.11:20000 fail connection_refused
func flows(args []string) error {
	fs := flag.NewFlagSet("flows", flag.ContinueOnError)
	addr := fs.String("addr", "", "HOST:PORT of the service")
	src := fs.String("src", "", "source addresses, A-B inclusive (must be the client's)")
	port0 := fs.Int("port", 20000, "first source port")
	n := fs.Int("n", 1000, "number of flows")
	par := fs.Int("parallel", 32, "flows in flight at once")
	timeout := fs.Duration("timeout", 2*time.Second, "bound on one flow")
	http := fs.Bool("http", false, "speak HTTP (GET /) instead of the echo's lines")
	out := fs.String("out", "-", "log file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srcs, err := sources(*src, *port0, *n)
	if err != nil {
		return err
	}
	log, err := openLog(*out)
	if err != nil {
		return err
	}
	ctx, cancel := bounded(10 * time.Minute)
	defer cancel()
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < *par; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(srcs) {
					return
				}
				s := srcs[i]
				name, err := oneFlow(ctx, s, *addr, *timeout, *http)
				if err != nil {
					log.printf("flow %s fail %s", s, short(err))
				} else {
					log.printf("flow %s %s", s, name)
				}
			}
		}()
	}
	wg.Wait()
	return nil
}

func oneFlow(ctx context.Context, src netip.AddrPort, dst string, timeout time.Duration, http bool) (string, error) {
	c, err := dialFrom(ctx, src, dst, timeout)
	if err != nil {
		return "", err
	}
	defer func() {
		c.SetLinger(0)
		c.Close()
	}()
	c.SetDeadline(time.Now().Add(timeout))
	return ask(c, http)
}

// holds keeps n connections to an echo service, each from its own (address, port),
// and sends a line on each every interval. A late answer is not a failure (TCP
// retransmits across a change of director); a reset or close is. It runs until the
// bound or SIGTERM, then logs one summary line:
//
//	<ms> holds open=300 broken=0 answered=9000 slow=3 dialfail=0
//
// and, as they happen, "<ms> holds broken SRC reason" lines.
func holds(args []string) error {
	fs := flag.NewFlagSet("holds", flag.ContinueOnError)
	addr := fs.String("addr", "", "HOST:PORT of the echo service")
	src := fs.String("src", "", "source addresses, A-B inclusive (must be the client's)")
	port0 := fs.Int("port", 30000, "first source port")
	n := fs.Int("n", 300, "number of connections")
	every := fs.Duration("every", time.Second, "time between lines on one connection")
	wait := fs.Duration("wait", 3*time.Second, "after this long without an answer a line is slow (and still awaited)")
	dur := fs.Duration("for", 5*time.Minute, "bound on the whole run")
	out := fs.String("out", "-", "log file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	srcs, err := sources(*src, *port0, *n)
	if err != nil {
		return err
	}
	log, err := openLog(*out)
	if err != nil {
		return err
	}
	ctx, cancel := bounded(*dur)
	defer cancel()
	var open, broken, answered, slow, dialfail atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32) // dials in flight
	for i, s := range srcs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			c, err := dialFrom(ctx, s, *addr, 3*time.Second)
			<-sem
			if err != nil {
				dialfail.Add(1)
				log.printf("holds dialfail %s %s", s, short(err))
				return
			}
			open.Add(1)
			defer c.Close()
			go func() { <-ctx.Done(); c.SetDeadline(time.Now()) }()
			// Spread the connections' lines over the interval.
			if !tick(ctx, time.Duration(i)*(*every)/time.Duration(len(srcs))+time.Millisecond) {
				return
			}
			r := bufio.NewReader(c)
			for seq := 1; ctx.Err() == nil; seq++ {
				start := time.Now()
				if _, err := fmt.Fprintf(c, "%d\n", seq); err != nil {
					if ctx.Err() == nil {
						broken.Add(1)
						log.printf("holds broken %s %s", s, short(err))
					}
					return
				}
				want := ": " + strconv.Itoa(seq)
				for {
					c.SetReadDeadline(time.Now().Add(*wait))
					line, err := r.ReadString('\n')
					if ctx.Err() != nil {
						return
					}
					if ne, ok := err.(net.Error); ok && ne.Timeout() {
						slow.Add(1)
						continue
					}
					if err != nil {
						broken.Add(1)
						log.printf("holds broken %s %s", s, short(err))
						return
					}
					if strings.HasSuffix(strings.TrimSpace(line), want) {
						answered.Add(1)
						break
					}
				}
				if rest := *every - time.Since(start); rest > 0 && !tick(ctx, rest) {
					return
				}
			}
		}()
	}
	// A first summary once every connection is open, so the scenario knows they are.
	go func() {
		for ctx.Err() == nil && open.Load()+dialfail.Load() < int64(len(srcs)) {
			tick(ctx, 100*time.Millisecond)
		}
		if ctx.Err() == nil {
			log.printf("holds ready open=%d dialfail=%d", open.Load(), dialfail.Load())
		}
	}()
	wg.Wait()
	log.printf("holds open=%d broken=%d answered=%d slow=%d dialfail=%d", open.Load(), broken.Load(), answered.Load(), slow.Load(), dialfail.Load())
	return nil
}
