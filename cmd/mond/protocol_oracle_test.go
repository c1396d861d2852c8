package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// protoCfg gives every listing something to show: aliases, views, the downtime log, a
// dependency, a failing and a passing service, a one-host group, and a service that
// stays down (for acks).
const protoCfg = oracleDirs + `authtype = userfile
userfile = @DIR@/userfile
dtlogging = yes
dtlogfile = downtime.log

alias web-alias
    web servers of the site
    web:http

view v1 web solo:ping

view v2 solo

hostgroup web 127.0.0.1 127.0.0.2

hostgroup solo 127.0.0.3

watch web
    service http
        description the web servers
        interval 1s
        monitor sched.monitor
        period wd {Sun-Sat}
            alert rec.alert
            upalert rec.alert

watch solo
    service ping
        interval 1s
        monitor sched.monitor
        depend web:http
        period wd {Sun-Sat}
            alert rec.alert

hostgroup down 127.0.0.4

watch down
    service x
        interval 1s
        monitor sched.monitor
        period wd {Sun-Sat}
            alert rec.alert
`

// protoAuth grants every command: the unauthenticated part is checked first with a
// session that has not logged in.
const protoAuth = "get: all\nset: all\nsavestate: all\nloadstate: all\nack: admin\ndisable: admin\nenable: admin\n" +
	"test: admin\nstop: admin\nstart: admin\nreset: admin\nclear: admin\nreload: admin\ncheckauth: all\n"

// crypt("s3cret", "$1$adminslt$"), written over the oracle's userfile.
const protoUsers = "admin: $1$adminslt$FoC9eYn0zqXk5h7Q2r4CC.\n"

// protoCommands are sent in order on one connection. Unknown names differ between
// commands: mon creates a watch when some commands merely look one up (perl
// autovivification), and later commands would then find it. Where mond departs from mon on
// purpose its answer is in protoDepartures.
var protoCommands = []string{
	"version", "protid 9745", "protid 1", "getview", "setview", "setview nosuch", "setview a b",
	"checkauth list", "checkauth term", "servertime",
	"list descriptions", "list group web", "list group nosuch", "list opstatus", "list opstatus web,http",
	"list opstatus nosuch,x", "list opstatus solo", "list disabled", "list failures", "list successes",
	"list warnings", "list watch", "list state", "list aliases", "list aliases web-alias", "list aliasgroups",
	"list views", "list deps", "list dtlog", "list nosuch",
	"setview v1", "getview", "list opstatus", "list descriptions", "list watch", "list failures", "list disabled",
	"setview v2", "list opstatus", "setview",
	"get maxkeep", "set maxkeep 7", "get maxkeep", "get web http interval",
	"set web http description new",
	"savestate", "savestate disabled", "loadstate disabled",
	"term", "stop", "ack web http x", "disable service web http",
	"login admin wrong", "login admin s3cret",
	"disable service web http", "disable host 127.0.0.3", "disable watch solo", "list disabled",
	"savestate disabled", "enable service web http", "enable host 127.0.0.3", "enable watch solo",
	"list disabled", "loadstate disabled", "list disabled", "enable service web http", "enable host 127.0.0.3",
	"enable watch solo", "savestate disabled",
	"disable host nosuch", "disable service nosuch x", "disable watch nowatch", "enable watch nowatch",
	"ack web http looking into it", "list opstatus web,http",
	// The comment is the first word as perl's parse_line splits it, un-escaped; none
	// when a quote is unbalanced.
	`ack down x "a quoted" comment`, "list opstatus down,x", `ack down x  a\20b c`, "list opstatus down,x",
	`ack down x "unbalanced comment`, "list opstatus down,x",
	"stop", "list state", "start", "list state", "clear timers web http", "clear timers nosuch x", "clear bogus",
	"reload auth", "reload bogus", "test config", "test bogus", "bogus", "dump",
	// Last: in mon these create the watch "nosuch" (perl autovivification), after which
	// mon reports it as known.
	"get nosuch x y", "set nosuch x y z",
}

// protoDepartures: mond's answer where it differs from mon 1.3.6 by design (help text).
var protoDepartures = map[string]string{
	// Service variables are not settable or readable by mond (documented).
	"get web http interval":        "520 web,http get is not implemented by mond\n",
	"get nosuch x y":               "520 nosuch,x get is not implemented by mond\n",
	"set web http description new": "520 web,http set is not implemented by mond\n",
	"set nosuch x y z":             "520 nosuch,x set is not implemented by mond\n",
}

// normalise makes an answer comparable: the run's directory, numbers and the order
// of perl's hashes (data lines sorted; the final line stays last).
func normaliseAnswer(dir, ans string) string {
	if dir != "" {
		ans = strings.ReplaceAll(ans, dir, "@DIR@")
	}
	ans = digitsRe.ReplaceAllString(ans, "N")
	lines := strings.Split(strings.TrimSuffix(ans, "\n"), "\n")
	if len(lines) > 1 {
		data := lines[:len(lines)-1]
		sort.Strings(data)
	}
	return strings.Join(lines, "\n") + "\n"
}

func sendAll(t *testing.T, port int, cmds []string) []string {
	t.Helper()
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	rd := bufio.NewReader(c)
	var out []string
	for _, cmd := range cmds {
		c.SetDeadline(time.Now().Add(15 * time.Second))
		fmt.Fprintf(c, "%s\n", cmd)
		var b strings.Builder
		for {
			l, err := rd.ReadString('\n')
			b.WriteString(l)
			if err != nil {
				t.Fatalf("%q: %v after %q", cmd, err, b.String())
			}
			if replyEndRe.MatchString(l) {
				break
			}
		}
		out = append(out, b.String())
	}
	return out
}

// Every list, set, get, setview, savestate and loadstate command of mon 1.3.6 (and the
// rest of the protocol) sent to mon and mond on the same config and state: the same
// answers, numbers and hash order aside, but for the departures mond's help lists.
func TestClientCommandsAgainstMon(t *testing.T) {
	if _, err := os.Stat(monBin); err != nil {
		t.Skip("mon 1.3.6 not installed (scripts/install-test-deps.sh installs it)")
	}
	if testing.Short() {
		t.Skip("starts mon")
	}
	sched := map[string][]string{"web.http": {"1 web down", "1 web down", "0 ok"}, "solo.ping": {"0 ok"}, "down.x": {"1 down"}}
	runs := startBoth(t, protoCfg, sched, "", protoAuth)
	for _, r := range runs {
		if err := os.WriteFile(filepath.Join(r.dir, "userfile"), []byte(protoUsers), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	waitConsumed(t, runs, 60*time.Second)
	// Both stopped before the commands, so later checks change nothing between them.
	for _, r := range runs {
		sendAll(t, r.port, []string{"login admin s3cret", "stop"})
	}
	time.Sleep(1500 * time.Millisecond)
	got := map[string][]string{}
	for impl, r := range runs {
		for _, a := range sendAll(t, r.port, protoCommands) {
			got[impl] = append(got[impl], normaliseAnswer(r.dir, a))
		}
	}
	for i, cmd := range protoCommands {
		want, have := got["mon"][i], got["mond"][i]
		if dep, ok := protoDepartures[cmd]; ok {
			want = normaliseAnswer("", dep)
		}
		if diff := cmp.Diff(want, have); diff != "" {
			t.Errorf("%q (-mon +mond):\n%s", cmd, diff)
		}
	}
	// An ack of an unknown group or service: mon answers "520 unknown group" (or
	// service), then goes on as if it existed, answers a second time ("220 ack
	// completed", which a client reads as the answer to its next command) and creates
	// the watch. mond answers once.
	for _, impl := range []string{"mon", "mond"} {
		for cmd, want := range map[string]string{"ack nogroup x y": "520 unknown group\n", "ack web nosuch y": "520 unknown service\n"} {
			if ans := sendAll(t, runs[impl].port, []string{"login admin s3cret", cmd}); ans[1] != want {
				t.Errorf("%s: %q answered %q, want %q", impl, cmd, ans[1], want)
			}
		}
	}
}
