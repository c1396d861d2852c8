package monitors

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	probing "github.com/prometheus-community/pro-bing"
)

// pingOnce sends count echo requests to host and reports whether any reply came back
// (ping -c COUNT's exit status), within wait after the last request.
func pingOnce(ctx context.Context, host string, count int, interval, wait time.Duration, v6 bool) (bool, time.Duration, error) {
	p := probing.New(host)
	if v6 {
		p.SetNetwork("ip6")
	} else {
		p.SetNetwork("ip4")
	}
	if err := p.Resolve(); err != nil {
		return false, 0, err
	}
	p.Count = count
	p.Interval = interval
	p.Timeout = time.Duration(count-1)*interval + wait
	// Raw ICMP when root; the unprivileged ICMP datagram socket otherwise.
	p.SetPrivileged(isRoot())
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			p.Stop()
		case <-done:
		}
	}()
	err := p.RunWithContext(ctx)
	close(done)
	if err != nil {
		noteResourceError(ctx, err) // no socket for mond: not the host's failure
		return false, 0, err
	}
	st := p.Statistics()
	return st.PacketsRecv > 0, st.AvgRtt, nil
}

// Ping is ping.monitor: -c count (1), -6; a host is up when "ping -c COUNT host"
// succeeds. The hosts are pinged concurrently; the summary lists the failed ones in
// argument order, as the script does.
func Ping(ctx context.Context, args []string) Result {
	count, v6, hosts, bad := pingArgs(args)
	if bad != "" {
		return Result{Output: bad + "\n", Exit: 1}
	}
	if len(hosts) == 0 {
		return Result{Output: "ping: no hosts found\n", Exit: 1}
	}
	ok := make([]bool, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// iputils ping -c N without -W waits up to 10s for the last reply.
			up, _, _ := pingOnce(ctx, h, count, time.Second, 10*time.Second, v6)
			ok[i] = up
		}()
	}
	wg.Wait()
	var failed []string
	for i, h := range hosts {
		if !ok[i] {
			failed = append(failed, h)
		}
	}
	if len(failed) > 0 {
		return Result{Output: strings.Join(failed, " ") + "\n", Exit: 1}
	}
	return Result{}
}

// pingArgs parses ping.monitor's getopt(1) command line: -c N, -6, options may follow
// hosts (GNU getopt permutes).
func pingArgs(args []string) (count int, v6 bool, hosts []string, bad string) {
	count = 1
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return count, v6, append(hosts, args[i+1:]...), ""
		case a == "-6":
			v6 = true
		case strings.HasPrefix(a, "-c"):
			v := a[2:]
			if v == "" {
				if i+1 >= len(args) {
					return 0, false, nil, "Terminating..."
				}
				i++
				v = args[i]
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				n = 1
			}
			count = n
		case strings.HasPrefix(a, "-") && len(a) > 1:
			return 0, false, nil, "Terminating..."
		default:
			hosts = append(hosts, a)
		}
	}
	return count, v6, hosts, ""
}
