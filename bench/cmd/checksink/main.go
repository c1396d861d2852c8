// Command checksink is the health-check benchmark's real servers (bench/healthcheck.sh):
// one listener that accepts for every address routed to it (ip route add local
// 10.9.0.0/16 dev lo), answers an HTTP request with 200 and a TCP connect with nothing,
// and records when each address was checked. On SIGTERM or SIGINT it prints one line:
// the checks it saw and how late they came, each check's lateness being how much more
// than -interval passed since the same address's previous check (the checkers' own
// schedules are not visible from here; a check that comes on time every -interval has
// lateness 0 whatever its phase).
//
//	checksink -listen :80 -interval 5s -late 500ms
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"
)

func main() {
	listen := flag.String("listen", ":80", "address to listen on")
	interval := flag.Duration("interval", 5*time.Second, "the checkers' interval")
	late := flag.Duration("late", 500*time.Millisecond, "lateness above which a check is late")
	flag.Parse()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, "checksink:", err)
		os.Exit(1)
	}
	var mu sync.Mutex
	seen := map[netip.Addr][]time.Time{}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				continue
			}
			now := time.Now()
			a := c.LocalAddr().(*net.TCPAddr).AddrPort().Addr().Unmap()
			mu.Lock()
			seen[a] = append(seen[a], now)
			mu.Unlock()
			go serve(c)
		}
	}()
	<-sigs
	mu.Lock()
	defer mu.Unlock()
	var lat []time.Duration
	checks, nlate := 0, 0
	for _, ts := range seen {
		checks += len(ts)
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		for i := 1; i < len(ts); i++ {
			l := max(ts[i].Sub(ts[i-1])-*interval, 0)
			lat = append(lat, l)
			if l > *late {
				nlate++
			}
		}
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(p*float64(len(lat))))]
	}
	latePct := 0.0
	if len(lat) > 0 {
		latePct = 100 * float64(nlate) / float64(len(lat))
	}
	fmt.Printf("addresses=%d checks=%d intervals=%d late=%d late_pct=%.2f p50_ms=%d p99_ms=%d max_ms=%d\n",
		len(seen), checks, len(lat), nlate, latePct, pct(0.5).Milliseconds(), pct(0.99).Milliseconds(), pct(1).Milliseconds())
}

// serve answers an HTTP request (up to its blank line, within 3 s) with 200; a bare
// TCP check closes first, and so does this.
func serve(c net.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	r := bufio.NewReaderSize(c, 1024)
	var req []byte
	for len(req) < 8192 {
		line, err := r.ReadSlice('\n')
		req = append(req, line...)
		if err != nil {
			return
		}
		if bytes.Equal(bytes.TrimRight(line, "\r\n"), nil) {
			c.Write([]byte("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n"))
			return
		}
	}
}
