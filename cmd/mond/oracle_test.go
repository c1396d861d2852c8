package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/lvskit/lvskit/compat/monconf"
)

// The oracle test runs Debian's mon 1.3.6 and mond on the same mon.cf (on loopback, each
// in its own directory and ports) with the same scripted monitor — its verdict and output
// follow a schedule file per service — and an alert that records its argv, MON_*
// environment and stdin. The recordings are compared per service, ordered by the check
// that triggered them, with times normalised: same alerts, same arguments, same
// environment, same input. Schedules end in successes, so nothing is pending when the
// run stops.
//
// Configs live in testdata/mon/oracle/*.cf with @DIR@ for the run's directory (and an
// optional *.disabled state file both load with -l);
// schedules in *.sched: "group.service: EXIT summary[|detail...]; ..." one service a
// line. Each check's output ends with "check=N", which tags the alerts it causes; a
// service written "!group.service" is not tagged (for observe_detail, which compares
// whole outputs) and its alerts are tagged with the count of finished checks instead.

const monBin = "/usr/sbin/mon"

// oracleDirs opens the configs written here: the directories startOracle and startMond
// make.
const oracleDirs = `cfbasedir = @DIR@
statedir = @DIR@/state.d
logdir = @DIR@/log.d
alertdir = @DIR@/alert.d
mondir = @DIR@/mon.d
authfile = @DIR@/auth.cf
`

type oracleRun struct {
	port  int // client port; the trap port is port+1
	dir   string
	cmd   *exec.Cmd
	sched map[string][]string
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	p := l.Addr().(*net.TCPAddr).Port
	// the trap port is p+1 (UDP); make sure it is free too.
	u, err := net.ListenPacket("udp4", fmt.Sprintf("0.0.0.0:%d", p+1))
	if err != nil {
		return freePort(t)
	}
	u.Close()
	return p
}

const monitorScript = `#!/bin/sh
# Scripted monitor: check N prints line N of the service's schedule and exits with its code.
d=@DIR@
k="$MON_GROUP.$MON_SERVICE"
n=$(cat "$d/cnt/$k" 2>/dev/null || echo 0)
n=$((n+1))
echo $n > "$d/cnt/$k.tmp" && mv "$d/cnt/$k.tmp" "$d/cnt/$k"
printf '%s\n' "$(basename "$0") $*" > "$d/margs/$k.tmp" && mv "$d/margs/$k.tmp" "$d/margs/$k"
line=$(sed -n "${n}p" "$d/sched/$k")
[ -z "$line" ] && line=$(tail -n 1 "$d/sched/$k")
# Each check's argv and MON_* environment (newlines in values as "|").
{
  printf 'argv=%s\n' "$(basename "$0") $*"
  env -0 | tr '\n\0' '|\n' | grep -E '^(MON_|FOO=)' | sort | sed 's/^/env=/'
} > "$d/menv/$k.$n"
# A line written "~..." holds the check until the test writes go/<service>.<check>.
case "$line" in
"~"*)
  line=${line#"~"}
  : > "$d/held/$k.$n"
  while [ ! -e "$d/go/$k.$n" ]; do sleep 0.1; done
  ;;
esac
code=${line%% *}
rest=${line#* }
printf '%s\n' "$rest" | tr '|' '\n'
# The check number rides in the output (so in the alert's stdin), unless the service is
# marked untagged (observe_detail compares the whole output).
[ -e "$d/sched/$k.notag" ] || echo "check=$n"
# "done" counts finished checks: the alerts a check triggers run right after it ends,
# long before the next one (a second later) ends.
echo $n > "$d/done/$k.tmp" && mv "$d/done/$k.tmp" "$d/done/$k"
exit $code
`

const alertScript = `#!/bin/sh
# Recording alert: argv, MON_* environment and stdin, tagged with the check number.
d=@DIR@
k="$MON_GROUP.$MON_SERVICE"
n=$(cat "$d/done/$k" 2>/dev/null || echo 0)
f=$(mktemp "$d/rec/$k.XXXXXX")
{
  echo "check=$n"
  echo "alert=$(basename "$0")"
  for a in "$@"; do echo "arg=$a"; done
  env | grep -E '^(MON_|FOO=)' | sort | sed 's/^/env=/'
  echo "stdin:"
  cat
} > "$f.tmp"
mv "$f.tmp" "$f.rec"
`

// startOracle prepares dir for one implementation and starts it.
func startOracle(t *testing.T, impl, dir, cfgTmpl string, sched map[string][]string, monitorsUsed, alertsUsed []string, disabledState string, authExtra ...string) *oracleRun {
	t.Helper()
	for _, sub := range []string{"mon.d", "alert.d", "log.d", "state.d", "cnt", "done", "margs", "rec", "sched", "menv", "held", "go"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	w := func(path, data string, mode os.FileMode) {
		if err := os.WriteFile(path, []byte(strings.ReplaceAll(data, "@DIR@", dir)), mode); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range monitorsUsed {
		w(filepath.Join(dir, "mon.d", m), monitorScript, 0o755)
	}
	for _, a := range alertsUsed {
		w(filepath.Join(dir, "alert.d", a), alertScript, 0o755)
	}
	for k, lines := range sched {
		if name, ok := strings.CutPrefix(k, "!"); ok {
			k = name
			w(filepath.Join(dir, "sched", k+".notag"), "", 0o644)
		}
		w(filepath.Join(dir, "sched", k), strings.Join(lines, "\n")+"\n", 0o644)
	}
	w(filepath.Join(dir, "auth.cf"), "list: all\nservertime: all\n"+strings.Join(authExtra, ""), 0o644)
	w(filepath.Join(dir, "userfile"), "mon: $1$saltsalt$COEqv8xrXCDQ6KyiqgxAh0\n", 0o644)
	w(filepath.Join(dir, "mon.cf"), cfgTmpl, 0o644)
	port := freePort(t)
	args := []string{"-c", filepath.Join(dir, "mon.cf"), "-p", strconv.Itoa(port), "-t", strconv.Itoa(port + 1),
		"-P", filepath.Join(dir, "mon.pid")}
	if disabledState != "" {
		// mon -l: start with the saved disabled hosts, services and watches.
		w(filepath.Join(dir, "state.d", "disabled"), disabledState, 0o644)
		args = append(args, "-l")
	}
	var cmd *exec.Cmd
	if impl == "mon" {
		cmd = exec.Command(monBin, args...)
	} else {
		self, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		cmd = exec.Command(self, args...)
	}
	// The same small environment for both: alerts inherit it.
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "MOND_TEST_MAIN=1"}
	out, err := os.Create(filepath.Join(dir, impl+".out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	plain := map[string][]string{}
	for k, v := range sched {
		plain[strings.TrimPrefix(k, "!")] = v
	}
	r := &oracleRun{dir: dir, cmd: cmd, sched: plain, port: port}
	t.Cleanup(func() { r.stop(); out.Close() })
	return r
}

func (r *oracleRun) stop() {
	if r.cmd.Process == nil || r.cmd.ProcessState != nil {
		return
	}
	syscall.Kill(-r.cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { r.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		syscall.Kill(-r.cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

// done reports whether every service has run past its schedule.
func (r *oracleRun) done() bool {
	for k, lines := range r.sched {
		b, err := os.ReadFile(filepath.Join(r.dir, "cnt", k))
		if err != nil {
			return false
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		if n < len(lines)+1 {
			return false
		}
	}
	return true
}

var (
	bigNumRe = regexp.MustCompile(`\b1[0-9]{9}\b`)
)

// recordings returns, per service, the normalised alert records in check order.
func (r *oracleRun) recordings(t *testing.T) map[string][]string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(r.dir, "rec", "*.rec"))
	type rec struct {
		check int
		body  string
	}
	per := map[string][]rec{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(f)
		k := base[:strings.LastIndex(strings.TrimSuffix(base, ".rec"), ".")]
		body := string(b)
		body = strings.ReplaceAll(body, r.dir, "@DIR@")
		body = bigNumRe.ReplaceAllString(body, "T")
		first, rest, _ := strings.Cut(body, "\n")
		n, _ := strconv.Atoi(strings.TrimPrefix(first, "check="))
		// Prefer the tag in stdin (the output of the check that triggered the alert, or
		// for an upalert the last failing one): it does not depend on timing.
		if i := strings.LastIndex(rest, "\ncheck="); i >= 0 && strings.Contains(rest, "\nstdin:\n") {
			tag := strings.TrimSpace(rest[i+len("\ncheck="):])
			if v, err := strconv.Atoi(tag); err == nil {
				n = v
			}
		}
		if strings.Contains(rest, "env=MON_ALERTTYPE=startup\n") {
			n = 0 // a fast first check may already have run when the startup alert reads the counter
		}
		per[k] = append(per[k], rec{n, fmt.Sprintf("check %d\n%s", n, rest)})
	}
	out := map[string][]string{}
	for k, l := range per {
		sort.Slice(l, func(i, j int) bool {
			if l[i].check != l[j].check {
				return l[i].check < l[j].check
			}
			return l[i].body < l[j].body
		})
		for _, x := range l {
			out[k] = append(out[k], x.body)
		}
	}
	if b, err := os.ReadFile(filepath.Join(r.dir, "log.d", "downtime.log")); err == nil {
		// Downtime log lines: times and durations vary, the rest must match.
		var l []string
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) >= 6 && !strings.HasPrefix(line, "#") {
				keep := append([]string{f[1], f[2]}, f[5:]...) // group service interval summary
				l = append(l, strings.Join(keep, " "))
			} else if strings.HasPrefix(line, "#") {
				l = append(l, bigNumRe.ReplaceAllString(line, "T"))
			}
		}
		sort.Strings(l)
		out["downtime.log"] = l
	}
	for k := range r.sched {
		b, _ := os.ReadFile(filepath.Join(r.dir, "margs", k))
		out[k+" monitor argv"] = []string{strings.TrimSpace(string(b))}
	}
	return out
}

func parseSched(t *testing.T, path string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := map[string][]string{}
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			t.Fatalf("%s: bad line %q", path, l)
		}
		for _, c := range strings.Split(v, ";") {
			if c = strings.TrimSpace(c); c != "" {
				s[strings.TrimSpace(k)] = append(s[strings.TrimSpace(k)], c)
			}
		}
	}
	return s
}

var (
	monitorLineRe = regexp.MustCompile(`(?m)^\s*monitor\s+(\S+)`)
	alertLineRe   = regexp.MustCompile(`(?m)^\s*(?:alert|upalert|startupalert|ackalert|disablealert)\s+(?:exit=\S+\s+)?(\S+)`)
)

// startBoth starts mon and mond (startOracle) on cfg with the schedules sched, each with
// the scripted monitors and recording alerts cfg names.
func startBoth(t *testing.T, cfg string, sched map[string][]string, state string, authExtra ...string) map[string]*oracleRun {
	t.Helper()
	var mons, alerts []string
	for _, m := range monitorLineRe.FindAllStringSubmatch(cfg, -1) {
		mons = append(mons, m[1])
	}
	for _, m := range alertLineRe.FindAllStringSubmatch(cfg, -1) {
		alerts = append(alerts, m[1])
	}
	base := t.TempDir()
	runs := map[string]*oracleRun{}
	for _, impl := range []string{"mon", "mond"} {
		runs[impl] = startOracle(t, impl, filepath.Join(base, impl), cfg, sched, mons, alerts, state, authExtra...)
	}
	return runs
}

// waitConsumed waits until mon and mond have both run past their schedules. One of
// them exiting, or the timeout, fails the test with both outputs.
func waitConsumed(t *testing.T, runs map[string]*oracleRun, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !(runs["mon"].done() && runs["mond"].done()) {
		exited := false
		for _, r := range runs {
			if r.cmd.ProcessState != nil || syscall.Kill(r.cmd.Process.Pid, 0) != nil {
				exited = true
			}
		}
		if exited || time.Now().After(deadline) {
			for impl, r := range runs {
				out, _ := os.ReadFile(filepath.Join(r.dir, impl+".out"))
				t.Logf("%s output:\n%s", impl, out)
			}
			t.Fatalf("schedules not consumed in time (a process exited: %v)", exited)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// finish lets the last alerts finish writing, takes mon's and mond's client listings,
// stops both and returns the listings and the alert recordings.
func finish(t *testing.T, runs map[string]*oracleRun) (monList, mondList, monRec, mondRec map[string][]string) {
	t.Helper()
	time.Sleep(700 * time.Millisecond)
	monList, mondList = runs["mon"].listings(t), runs["mond"].listings(t)
	for _, r := range runs {
		r.stop()
	}
	return monList, mondList, runs["mon"].recordings(t), runs["mond"].recordings(t)
}

func TestOracleAgainstMon(t *testing.T) {
	if _, err := os.Stat(monBin); err != nil {
		t.Skip("mon 1.3.6 not installed (scripts/install-test-deps.sh installs it)")
	}
	if testing.Short() {
		t.Skip("oracle test runs ~40s")
	}
	cfgs, _ := filepath.Glob("../../testdata/mon/oracle/*.cf")
	if len(cfgs) == 0 {
		t.Fatal("no oracle configs")
	}
	for _, cfgPath := range cfgs {
		name := strings.TrimSuffix(filepath.Base(cfgPath), ".cf")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			b, err := os.ReadFile(cfgPath)
			if err != nil {
				t.Fatal(err)
			}
			cfg := string(b)
			sched := parseSched(t, strings.TrimSuffix(cfgPath, ".cf")+".sched")
			state := ""
			if b, err := os.ReadFile(strings.TrimSuffix(cfgPath, ".cf") + ".disabled"); err == nil {
				state = string(b)
			}
			runs := startBoth(t, cfg, sched, state)
			waitConsumed(t, runs, 150*time.Second) // ~60s normally; generous for loaded CI machines
			wantList, gotList, want, got := finish(t, runs)
			if diff := cmp.Diff(wantList, gotList); diff != "" {
				t.Errorf("client listings differ (-mon +mond):\n%s", diff)
			}
			if len(want) == 0 {
				t.Fatal("mon recorded nothing")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("alerts differ (-mon +mond):\n%s", diff)
			}
			if *update {
				writeGolden(t, name, want)
			}
		})
	}
}

var (
	digitsRe   = regexp.MustCompile(`[0-9]+`)
	replyEndRe = regexp.MustCompile(`^[0-9]{3} `)
)

// listings asks the server for its opstatus, alert and failure histories over the client
// protocol and returns them with numbers normalised and lines sorted (mon's order is
// that of perl hashes).
func (r *oracleRun) listings(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, cmd := range []string{"list opstatus", "list alerthist", "list failurehist", "list disabled", "list watch", "list state"} {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(r.port), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(10 * time.Second))
		// One command at a time, as moncmd does: mon handles only one buffered command
		// per wake-up, so a pipelined "quit" would wait for more input.
		fmt.Fprintf(c, "%s\n", cmd)
		var b strings.Builder
		rd := bufio.NewReader(c)
		for {
			l, err := rd.ReadString('\n')
			b.WriteString(l)
			if err != nil || replyEndRe.MatchString(l) {
				break
			}
		}
		fmt.Fprintf(c, "quit\n")
		c.Close()
		text := strings.ReplaceAll(b.String(), monconf.EscStr(r.dir, false), "@DIR@")
		text = strings.ReplaceAll(text, r.dir, "@DIR@")
		var lines []string
		for _, l := range strings.Split(text, "\n") {
			if l == "" {
				continue
			}
			// timer= and monitor_duration= depend on timing; other numbers are times.
			lines = append(lines, digitsRe.ReplaceAllString(l, "N"))
		}
		sort.Strings(lines)
		out[cmd] = lines
	}
	return out
}
