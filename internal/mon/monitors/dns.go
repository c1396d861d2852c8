package monitors

import (
	"context"
	"fmt"
	"math/rand"
	"net"
	"strconv"
	"strings"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// DNS is dns.monitor's caching mode: -caching_only -query name[:type[:target]] ...
// [-tcp] [-retry n] [-retransmit s] [-timeout s] server... Each server must answer
// each query with at least one record (and, with a target, one record whose data
// equals one of the target's). The exit status is the largest number of servers that
// failed one query. Zone mode (-zone/-master: SOA serial comparison) is not built in;
// it reports so and exits 1.
func DNS(ctx context.Context, args []string) Result {
	var queries, zones, masters, servers []string
	caching, useTCP := false, false
	retries, retrans, timeout := 2, 5, 0
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "-" {
			servers = append(servers, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		val := ""
		if k, v, ok := strings.Cut(name, "="); ok {
			name, val = k, v
		}
		needVal := func() string {
			if val != "" {
				return val
			}
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch name {
		case "caching_only":
			caching = true
		case "tcp":
			useTCP = true
		case "query":
			queries = append(queries, needVal())
		case "zone":
			zones = append(zones, needVal())
		case "master":
			masters = append(masters, needVal())
		case "retry":
			retries, _ = strconv.Atoi(needVal())
		case "retransmit":
			retrans, _ = strconv.Atoi(needVal())
		case "timeout":
			timeout, _ = strconv.Atoi(needVal())
		case "serial_threshold":
			needVal()
		case "debug", "failsingle":
		default:
			return Result{Output: "Problems with Options, sorry\n", Exit: 255}
		}
	}
	if len(servers) == 0 {
		return Result{Output: "dns.monitor: at least one server must be specified\n", Exit: 255}
	}
	if !caching {
		_ = zones
		_ = masters
		return Result{Output: "dns.monitor: zone mode (-zone/-master) is not implemented by mond's built-in; install dns.monitor in mondir\n", Exit: 1}
	}
	if len(queries) == 0 {
		return Result{Output: "dns.monitor: At least one query must be specified\n", Exit: 255}
	}
	wait := time.Duration(retrans) * time.Second
	if timeout > 0 {
		wait = time.Duration(timeout) * time.Second
	}
	errCnt := 0
	var allSummary strings.Builder
	var reasons []string
	for _, q := range queries {
		parts := strings.SplitN(q, ":", 3)
		name, typ, target := parts[0], "A", ""
		if len(parts) > 1 && parts[1] != "" {
			typ = strings.ToUpper(parts[1])
		}
		if len(parts) > 2 {
			target = parts[2]
		}
		failed := 0
		var summary, result strings.Builder
		for _, srv := range servers {
			ans, err := dnsQuery(ctx, srv, name, typ, useTCP, retries, wait)
			if err != nil || len(ans) == 0 {
				failed++
				msg := ""
				if err != nil {
					msg = err.Error()
				} else {
					msg = "NOERROR"
				}
				fmt.Fprintf(&result, "\n%s query for %s from %s failed %s\n", typ, name, srv, msg)
				fmt.Fprintf(&summary, "%s@%s ", name, srv)
				continue
			}
			if target != "" {
				tans, _ := dnsQuery(ctx, srv, target, typ, useTCP, retries, wait)
				match := false
				for _, a := range ans {
					for _, t := range tans {
						if a == t {
							match = true
						}
					}
				}
				if !match {
					failed++
					fmt.Fprintf(&result, "Query %s:%s failed to match %s\n", name, typ, target)
				}
			}
		}
		if failed > 0 {
			if failed > errCnt {
				errCnt = failed
			}
			allSummary.WriteString(summary.String() + " ")
			reasons = append(reasons, result.String())
		}
	}
	if errCnt == 0 {
		return Result{}
	}
	var b strings.Builder
	b.WriteString(allSummary.String() + "\n")
	for _, r := range reasons {
		for _, l := range strings.Split(strings.TrimSuffix(r, "\n"), "\n") {
			b.WriteString(l + "\n")
		}
		b.WriteString("\n")
	}
	return Result{Output: b.String(), Exit: errCnt}
}

var dnsTypes = map[string]dnsmessage.Type{
	"A": dnsmessage.TypeA, "AAAA": dnsmessage.TypeAAAA, "MX": dnsmessage.TypeMX, "NS": dnsmessage.TypeNS,
	"CNAME": dnsmessage.TypeCNAME, "TXT": dnsmessage.TypeTXT, "SOA": dnsmessage.TypeSOA, "PTR": dnsmessage.TypePTR,
	"SRV": dnsmessage.TypeSRV,
}

// dnsQuery asks server for name/type and returns the answers' data as strings.
func dnsQuery(ctx context.Context, server, name, typ string, useTCP bool, retries int, wait time.Duration) ([]string, error) {
	t, ok := dnsTypes[typ]
	if !ok {
		return nil, fmt.Errorf("unsupported query type %s", typ)
	}
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	qn, err := dnsmessage.NewName(name)
	if err != nil {
		return nil, err
	}
	id := uint16(rand.Intn(65536))
	msg := dnsmessage.Message{Header: dnsmessage.Header{ID: id, RecursionDesired: true},
		Questions: []dnsmessage.Question{{Name: qn, Type: t, Class: dnsmessage.ClassINET}}}
	pkt, err := msg.Pack()
	if err != nil {
		return nil, err
	}
	network := "udp"
	if useTCP {
		network = "tcp"
	}
	addr := net.JoinHostPort(server, "53")
	if _, _, err := net.SplitHostPort(server); err == nil {
		addr = server
	}
	var lastErr error
	for try := 0; try <= retries; try++ {
		d := net.Dialer{Timeout: wait}
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			noteResourceError(ctx, err) // no socket for mond: not the server's failure
			lastErr = err
			continue
		}
		c.SetDeadline(time.Now().Add(wait))
		out := pkt
		if useTCP {
			out = append([]byte{byte(len(pkt) >> 8), byte(len(pkt))}, pkt...)
		}
		if _, err := c.Write(out); err != nil {
			c.Close()
			lastErr = err
			continue
		}
		buf := make([]byte, 65536)
		n, err := c.Read(buf)
		c.Close()
		if err != nil {
			lastErr = fmt.Errorf("query timed out")
			continue
		}
		in := buf[:n]
		if useTCP && n >= 2 {
			in = in[2:]
		}
		var resp dnsmessage.Message
		if err := resp.Unpack(in); err != nil || resp.ID != id {
			lastErr = fmt.Errorf("bad response")
			continue
		}
		if resp.RCode != dnsmessage.RCodeSuccess {
			return nil, fmt.Errorf("%s", strings.ToUpper(strings.TrimPrefix(resp.RCode.String(), "RCode")))
		}
		var l []string
		for _, a := range resp.Answers {
			if a.Header.Type == t {
				l = append(l, a.Body.GoString())
			}
		}
		return l, nil
	}
	return nil, lastErr
}
