package monitors

import (
	"context"
	"io"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

var (
	httpHeaderRe = regexp.MustCompile(`(?s)^(.*?)\r?\n\r?\n`)
	httpOKRe     = regexp.MustCompile(`^HTTP/([\d.]+)\s+(200|30[12]|401)\b`)
)

type httpResult struct {
	ok            bool
	err, header   string
	headerDefined bool
}

// HTTP is http.monitor: -p port (80), -t timeout (30), -u url (/), -a user agent,
// -m regexp the response must match, -o (omit the good hosts from the detail). An
// HTTP/1.0 GET per host; 200, 301, 302 and 401 are up.
func HTTP(ctx context.Context, args []string) Result {
	opts, hosts := getopts("p:t:u:a:m:o", args)
	if len(hosts) == 0 {
		return Result{}
	}
	port := opts['p']
	if port == "" || port == "0" {
		port = "80"
	}
	timeout := atoiDefault(opts['t'], 30)
	url := opts['u']
	if url == "" || url == "0" {
		url = "/"
	}
	ua := opts['a']
	if ua == "" || ua == "0" {
		ua = "mon.d/http.monitor"
	}
	var match *regexp.Regexp
	if m := opts['m']; m != "" {
		var err error
		if match, err = regexp.Compile("(?s)" + m); err != nil {
			return Result{Output: "http.monitor: bad -m regexp: " + err.Error() + "\n", Exit: 1}
		}
	}
	good := map[string]httpResult{}
	bad := map[string]httpResult{}
	for _, h := range hosts {
		r := httpGet(ctx, h, port, url, ua, time.Duration(timeout)*time.Second, timeout, match)
		if r.ok {
			good[h] = r
		} else {
			bad[h] = r
		}
	}
	var b strings.Builder
	exit := 0
	if len(bad) > 0 {
		exit = 1
		b.WriteString(strings.Join(sortedKeys(bad), " ") + "\n")
	} else {
		b.WriteString("\n")
	}
	for _, h := range sortedKeys(bad) {
		r := bad[h]
		b.WriteString("HOST " + h + ": " + r.err + "\n")
		if r.header != "" {
			b.WriteString(r.header + "\n")
		}
		b.WriteString("\n")
	}
	if opts['o'] == "" {
		for _, h := range sortedKeys(good) {
			b.WriteString("HOST " + h + ": ok\n" + good[h].header + "\n\n")
		}
	}
	return Result{Output: b.String(), Exit: exit}
}

func sortedKeys(m map[string]httpResult) []string {
	var l []string
	for k := range m {
		l = append(l, k)
	}
	sort.Strings(l)
	return l
}

func httpGet(ctx context.Context, host, port, url, ua string, timeout time.Duration, secs int, match *regexp.Regexp) httpResult {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	content, timedOut := func() (string, bool) {
		p, err := strconv.Atoi(port)
		if err != nil {
			sp, err := net.LookupPort("tcp", port)
			if err != nil {
				return "", false
			}
			p = sp
		}
		ip, err := resolve4(ctx, host)
		if err != nil {
			return "", ctx.Err() != nil
		}
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp4", net.JoinHostPort(ip.String(), strconv.Itoa(p)))
		if err != nil {
			noteResourceError(ctx, err) // no socket for mond: not the server's failure
			return "", ctx.Err() != nil
		}
		defer c.Close()
		dl, _ := ctx.Deadline()
		c.SetDeadline(dl)
		if _, err := io.WriteString(c, "GET "+url+" HTTP/1.0\r\nHost: "+host+"\r\nUser-Agent: "+ua+"\r\n\r\n"); err != nil {
			return "", isTimeout(err)
		}
		body, err := io.ReadAll(c)
		return string(body), err != nil && isTimeout(err)
	}()
	r := httpResult{}
	if m := httpHeaderRe.FindStringSubmatch(content); m != nil {
		r.header, r.headerDefined = m[1], true
	}
	if httpOKRe.MatchString(content) {
		r.ok = true
	} else {
		r.err = "HTTP response code failure"
	}
	if match != nil {
		if match.MatchString(content) {
			r.ok, r.err = true, ""
		} else {
			r.ok, r.err = false, "Regex match failed"
		}
	}
	if !r.ok && timedOut {
		r.err = "timeout after " + strconv.Itoa(secs) + " seconds"
	}
	return r
}
