package monitors

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// now is the clock fping.monitor's start/end lines read; tests replace it.
var now = time.Now

// FPing is fping.monitor: -a (fail only if all are down), -r retries (3), -s slow
// threshold in ms, -t timeout in ms (2000), -T (traceroute; not supported). Each host
// gets retries+1 echo requests, the wait growing by 1.5 each time as fping's backoff.
func FPing(ctx context.Context, args []string) Result {
	opts, hosts := getopts("ahr:s:t:T", args)
	if opts['h'] != "" {
		return Result{Output: "usage: fping.monitor [-a] [-r num] [-s num] [-t num] [-T] host [host...]\n"}
	}
	if opts['T'] != "" {
		return Result{Output: "fping.monitor: -T (traceroute) is not implemented by mond's built-in\n", Exit: 1}
	}
	if len(hosts) == 0 {
		return Result{}
	}
	timeout := atoiDefault(opts['t'], 2000)
	retries := atoiDefault(opts['r'], 3)
	slowMs, _ := strconv.ParseFloat(opts['s'], 64)
	start := now()
	type res struct {
		up       bool
		rtt      time.Duration
		notFound bool
	}
	results := make([]res, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wait := float64(timeout)
			for try := 0; try <= retries; try++ {
				up, rtt, err := pingOnce(ctx, h, 1, time.Second, time.Duration(wait)*time.Millisecond, false)
				if err != nil && try == 0 && strings.Contains(err.Error(), "lookup") {
					results[i] = res{notFound: true}
					return
				}
				if up {
					results[i] = res{up: true, rtt: rtt}
					return
				}
				wait *= 1.5
				if ctx.Err() != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	end := now()
	var unreachable, notFound []string
	type hr struct {
		host string
		ms   float64
	}
	var alive, slow []hr
	retval := 0
	for i, h := range hosts {
		r := results[i]
		switch {
		case r.notFound:
			notFound = append(notFound, h)
			unreachable = append(unreachable, h)
			retval = 2
		case !r.up:
			unreachable = append(unreachable, h)
			if retval == 0 {
				retval = 1
			}
		default:
			ms := math.Round(float64(r.rtt.Microseconds())) / 1000
			if slowMs > 0 && ms > slowMs {
				slow = append(slow, hr{h, ms})
			} else {
				alive = append(alive, hr{h, ms})
			}
		}
	}
	var b strings.Builder
	if retval == 1 || retval == 2 || len(slow) != 0 {
		l := append([]string(nil), unreachable...)
		for _, s := range slow {
			l = append(l, s.host)
		}
		sort.Strings(l)
		b.WriteString(strings.Join(l, " ") + "\n\n")
	} else {
		b.WriteString("\n")
	}
	const rule = "------------------------------------------------------------------------------\n"
	fmt.Fprintf(&b, "start time: %s\n", start.Format("Mon Jan _2 15:04:05 2006"))
	fmt.Fprintf(&b, "end time  : %s\n", end.Format("Mon Jan _2 15:04:05 2006"))
	fmt.Fprintf(&b, "duration  : %d seconds\n\n", end.Unix()-start.Unix())
	if len(unreachable) != 0 {
		b.WriteString(rule + "unreachable hosts\n" + rule)
		b.WriteString(strings.Join(unreachable, "\n") + "\n\n")
		if len(notFound) != 0 {
			b.WriteString("address not found for " + strings.Join(notFound, " ") + "\n")
		}
		b.WriteString("\n")
	}
	if len(slow) != 0 {
		b.WriteString(rule + fmt.Sprintf("slow hosts (response time which exceeds %sms)\n", opts['s']) + rule)
		for _, s := range slow {
			fmt.Fprintf(&b, "%-40s %.2f ms\n", s.host, s.ms)
		}
	}
	if len(alive) != 0 {
		b.WriteString(rule + "reachable hosts                          rtt\n" + rule)
		for _, s := range alive {
			fmt.Fprintf(&b, "%-40s %.2f ms\n", s.host, s.ms)
		}
	}
	exit := retval
	if opts['a'] != "" {
		exit = 0
		if len(unreachable) == len(hosts) {
			exit = 1
		}
	} else if len(slow) != 0 {
		exit = 1
	}
	return Result{Output: b.String(), Exit: exit}
}
