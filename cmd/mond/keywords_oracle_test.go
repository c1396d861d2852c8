package main

import (
	"fmt"
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
)

// The keyword oracle: mon 1.3.6 and mond on small configs, one per mon.cf keyword whose
// behaviour the scheduled oracle (TestOracleAgainstMon) does not reach, driven through
// the same scripted monitor and recording alert. A schedule line written "~..." holds
// that check until the case's step releases it, so a client command (ack, disable) or
// a pause lands at the same point of both runs' schedules. Besides the alerts (argv,
// environment, stdin) and the client listings, each check's monitor argv and MON_*
// environment are compared, and the raw counters of "list opstatus" (alerts_sent, ack,
// depstatus) that the listings' normalisation hides.

// kwStep waits until every run holds the checks in wait ("group.service.N"), sends cmds
// to each (their answers are compared), waits pause, records each run's check count of
// the services in count, then releases the checks in release.
type kwStep struct {
	wait    []string
	cmds    []string
	pause   time.Duration
	count   []string
	release []string
}

type kwCase struct {
	name  string
	cfg   string // after oracleDirs
	sched map[string][]string
	steps []kwStep
	// loose services are checked a number of times that depends on timing (a pause
	// while their monitor runs): their records lose their check numbers and are
	// compared as sets.
	loose []string
	// advanced: the counts taken by a step are compared as "did it move" for these.
	advanced []string
}

// depSteps: the dependent's first check ends while the dependency fails (held at its
// second failing check); then, for 2.5 s, the dependency stays failed while the
// dependent's monitor runs (or not).
var depSteps = []kwStep{
	{wait: []string{"gw.ping.2", "dep.s.1"}, release: []string{"dep.s.1"}},
	// The pause is six check intervals: under a loaded CI machine (the VM suite's qemu
	// runs beside at a higher priority) mon 1.3.6 once ran no check of dep.s in 2.5 s.
	{pause: 6 * time.Second, count: []string{"dep.s"}, release: []string{"gw.ping.2"}},
}

const kwAuth = "ack: all\ndisable: all\nenable: all\n"

var kwCases = []kwCase{
	{
		// redistribute: called with the alert arguments and stdin of every alert
		// decision, before the disabled, depend and ack checks: on every failure,
		// on every success (as an upalert, even without a failure before it), at
		// startup, and for a disable (-D, the user as stdin) — but it is not
		// counted nor logged as an alert.
		name: "redistribute",
		cfg: `hostgroup r 127.0.0.1 127.0.0.2

watch r
    service s
        interval 1s
        monitor sched.monitor
        redistribute rec.alert redis -x "two words"
        period wd {Sun-Sat}
            alert rec.alert down
            alertevery 1h
            upalert rec.alert up
            startupalert rec.alert start
    service t
        interval 1s
        monitor sched.monitor
        redistribute rec.alert redis
        period wd {Sun-Sat}
            alert rec.alert down
`,
		sched: map[string][]string{
			"r.s": {"0 ", "1 a|detail", "1 a|detail", "0 fine", "0 "},
			"r.t": {"0 ", "1 b", "~1 b", "1 b", "0 "},
		},
		steps: []kwStep{{wait: []string{"r.t.3"}, cmds: []string{"disable service r t"}, pause: time.Second, release: []string{"r.t.3"}}},
	},
	{
		// unack_summary: an ack'd failure alerts again once its summary changes
		// (the ack is dropped and alertafter starts over); without it, the ack holds
		// until the service recovers. Also ackalert and MON_ACK.
		name: "unack_summary",
		cfg: `hostgroup u 127.0.0.1

watch u
    service yes
        interval 1s
        monitor sched.monitor
        unack_summary yes
        period wd {Sun-Sat}
            alert rec.alert down
            ackalert rec.alert ack
            upalert rec.alert up
    service no
        interval 1s
        monitor sched.monitor
        period wd {Sun-Sat}
            alert rec.alert down
            ackalert rec.alert ack
            upalert rec.alert up
`,
		sched: map[string][]string{
			"u.yes": {"1 a", "~1 a", "1 a", "1 b", "1 b", "0 ", "0 "},
			"u.no":  {"1 a", "~1 a", "1 a", "1 b", "1 b", "0 ", "0 "},
		},
		steps: []kwStep{
			{wait: []string{"u.yes.2", "u.no.2"}, cmds: []string{"ack u yes looking into it", "ack u no looking into it"},
				pause: time.Second, release: []string{"u.yes.2", "u.no.2"}},
		},
	},
	{
		// alertexitrange limits a period's failure alerts to exit values in the
		// range (an alert line's exit= limits that line); alerts_dont_count leaves
		// a period's alerts out of "list opstatus"'s alerts_sent.
		name: "exitrange",
		cfg: `hostgroup x 127.0.0.1

watch x
    service s
        interval 1s
        monitor sched.monitor
        period p1: wd {Sun-Sat}
            alert rec.alert p1
            alertexitrange 2-3
            upalert rec.alert p1up
        period p2: wd {Sun-Sat}
            alert rec.alert p2
            alerts_dont_count
            alertexitrange 5
        period p3: wd {Sun-Sat}
            alert exit=1 rec.alert p3one
            alert rec.alert p3any
            alerts_dont_count
`,
		sched: map[string][]string{
			"x.s": {"1 one", "2 two", "3 three", "5 five", "~4 four", "0 ", "0 "},
		},
		// Held at the failing check 5: alerts_sent counts p1's alerts only.
		steps: []kwStep{{wait: []string{"x.s.5"}, cmds: []string{"list opstatus x,s"}, release: []string{"x.s.5"}}},
	},
	{
		// dep_behavior m: while the dependency fails the dependent's monitor is
		// not run at all (its check count stands still).
		name: "dep_m",
		cfg: `hostgroup gw 127.0.0.9

hostgroup dep 127.0.0.10

watch gw
    service ping
        interval 1s
        monitor sched.monitor
        period wd {Sun-Sat}
            alert rec.alert
            upalert rec.alert

watch dep
    service s
        interval 1s
        monitor sched.monitor
        depend gw:ping
        dep_behavior m
        period wd {Sun-Sat}
            alert rec.alert
            upalert rec.alert
`,
		sched: map[string][]string{
			"gw.ping": {"1 gw", "~1 gw", "0 ", "0 "},
			"dep.s":   {"~1 d", "1 d", "1 d", "0 ", "0 "},
		},
		steps: depSteps,
	},
	{
		// dep_behavior a (the default): the dependent's monitor runs, its failure
		// alerts are suppressed while the dependency fails (MON_DEPEND_STATUS=0 for
		// its next check), its summary still recorded.
		name: "dep_a",
		cfg: `hostgroup gw 127.0.0.9

hostgroup dep 127.0.0.10

watch gw
    service ping
        interval 1s
        monitor sched.monitor
        period wd {Sun-Sat}
            alert rec.alert

watch dep
    service s
        interval 1s
        monitor sched.monitor
        depend gw:ping
        period wd {Sun-Sat}
            alert rec.alert
            alertevery 1h
            upalert rec.alert
`,
		sched: map[string][]string{
			"gw.ping": {"1 gw", "~1 gw", "0 ", "0 "},
			"!dep.s":  {"~1 d", "1 d", "1 d", "1 d", "1 d", "1 d", "1 d", "1 d", "0 ", "0 "},
		},
		steps:    depSteps,
		loose:    []string{"dep.s", "gw.ping"},
		advanced: []string{"dep.s"},
	},
	{
		// dep_behavior hm: the dependent's monitor runs without the hosts named in
		// the failing dependency's summary; its alerts are not suppressed.
		name: "dep_hm",
		cfg: `hostgroup gw 127.0.0.9

hostgroup dep 127.0.0.10 127.0.0.11

watch gw
    service ping
        interval 1s
        monitor sched.monitor
        period wd {Sun-Sat}
            alert rec.alert

watch dep
    service s
        interval 1s
        monitor sched.monitor
        depend gw:ping
        dep_behavior hm
        period wd {Sun-Sat}
            alert rec.alert
            alertevery 1h
            upalert rec.alert
`,
		sched: map[string][]string{
			"gw.ping": {"1 127.0.0.10 down", "~1 127.0.0.10 down", "0 ", "0 "},
			"!dep.s":  {"~1 d", "1 d", "1 d", "1 d", "1 d", "1 d", "1 d", "1 d", "0 ", "0 "},
		},
		steps:    depSteps,
		loose:    []string{"dep.s", "gw.ping"},
		advanced: []string{"dep.s"},
	},
	{
		// The environment of monitors and alerts: description, user variables,
		// MON_LAST_* after failures and successes.
		name: "environment",
		cfg: `hostgroup e 127.0.0.1

watch e
    service s
        description the "environment" service
        FOO=bar baz
        interval 1s
        monitor sched.monitor -x
        period wd {Sun-Sat}
            alert rec.alert
            upalert rec.alert
`,
		sched: map[string][]string{
			"e.s": {"0 first|line two", "1 bad|detail", "1 worse", "0 ", "0 "},
		},
	},
}

var kwCheckRe = regexp.MustCompile(`(?m)^(check |check=)[0-9]+$`)

// monitorRecords returns each check's monitor record of every service, times
// normalised; for a loose service, the set of distinct records.
func (r *oracleRun) monitorRecords(t *testing.T, loose []string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for k := range r.sched {
		n := 0
		for {
			b, err := os.ReadFile(filepath.Join(r.dir, "menv", fmt.Sprintf("%s.%d", k, n+1)))
			if err != nil {
				break
			}
			n++
			if n > len(r.sched[k]) {
				break // past the schedule: timing decides how many more there are
			}
			body := strings.ReplaceAll(string(b), r.dir, "@DIR@")
			body = bigNumRe.ReplaceAllString(body, "T")
			body = kwCheckRe.ReplaceAllString(body, "${1}C")
			out[k+" monitor"] = append(out[k+" monitor"], body)
		}
		if contains(loose, k) {
			out[k+" monitor"] = uniqSorted(out[k+" monitor"])
		}
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func uniqSorted(l []string) []string {
	sort.Strings(l)
	var u []string
	for i, x := range l {
		if i == 0 || x != l[i-1] {
			u = append(u, x)
		}
	}
	return u
}

var opstatusFieldRe = regexp.MustCompile(`\b(group|service|opstatus|last_opstatus|exitval|ack|alerts_sent|depstatus)=(\S*)`)

// opstatusCounters is "list opstatus" reduced to the fields that are not times.
func (r *oracleRun) opstatusCounters(t *testing.T) []string {
	t.Helper()
	return opstatusReduce(sendAll(t, r.port, []string{"list opstatus"})[0])
}

func opstatusReduce(ans string) []string {
	var l []string
	for _, line := range strings.Split(ans, "\n") {
		if !strings.HasPrefix(line, "group=") {
			continue
		}
		var f []string
		for _, m := range opstatusFieldRe.FindAllStringSubmatch(line, -1) {
			f = append(f, m[0])
		}
		l = append(l, strings.Join(f, " "))
	}
	sort.Strings(l)
	return l
}

func (r *oracleRun) checks(k string) int {
	b, _ := os.ReadFile(filepath.Join(r.dir, "cnt", k))
	n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return n
}

func TestKeywordsAgainstMon(t *testing.T) {
	if _, err := os.Stat(monBin); err != nil {
		t.Skip("mon 1.3.6 not installed (scripts/install-test-deps.sh installs it)")
	}
	if testing.Short() {
		t.Skip("oracle test runs mon and mond side by side, ~1 min (2 min on a loaded machine)")
	}
	for _, c := range kwCases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			runs := startBoth(t, oracleDirs+"\n"+c.cfg, c.sched, "", kwAuth)
			seen := map[string][]string{}
			for i, s := range c.steps {
				deadline := time.Now().Add(60 * time.Second)
				for {
					held := 0
					for _, r := range runs {
						for _, w := range s.wait {
							if _, err := os.Stat(filepath.Join(r.dir, "held", w)); err == nil {
								held++
							}
						}
					}
					if held == len(runs)*len(s.wait) {
						break
					}
					exited := false
					for _, r := range runs {
						if syscall.Kill(r.cmd.Process.Pid, 0) != nil {
							exited = true
						}
					}
					if exited || time.Now().After(deadline) {
						for impl, r := range runs {
							out, _ := os.ReadFile(filepath.Join(r.dir, impl+".out"))
							t.Logf("%s output:\n%s", impl, out)
						}
						t.Fatalf("step %d: %v not held in time (a process exited: %v)", i, s.wait, exited)
					}
					time.Sleep(100 * time.Millisecond)
				}
				// Let the alerts of the checks before finish.
				time.Sleep(300 * time.Millisecond)
				before := map[string]map[string]int{}
				for impl, r := range runs {
					before[impl] = map[string]int{}
					for _, k := range s.count {
						before[impl][k] = r.checks(k)
					}
					for j, a := range sendAll(t, r.port, s.cmds) {
						if strings.HasPrefix(s.cmds[j], "list opstatus") {
							// Its counters, not normalised away.
							seen[impl] = append(seen[impl], opstatusReduce(a)...)
						} else {
							seen[impl] = append(seen[impl], normaliseAnswer(r.dir, a))
						}
					}
				}
				time.Sleep(s.pause)
				for impl, r := range runs {
					for _, k := range s.count {
						d := r.checks(k) - before[impl][k]
						v := strconv.Itoa(d)
						if contains(c.advanced, k) {
							v = strconv.FormatBool(d > 0)
						}
						seen[impl] = append(seen[impl], fmt.Sprintf("step %d: %s checks during the pause: %s", i, k, v))
					}
					for _, w := range s.release {
						if err := os.WriteFile(filepath.Join(r.dir, "go", w), nil, 0o644); err != nil {
							t.Fatal(err)
						}
					}
				}
			}
			waitConsumed(t, runs, 90*time.Second)
			time.Sleep(300 * time.Millisecond)
			counters := map[string][]string{}
			monitorsRec := map[string]map[string][]string{}
			for impl, r := range runs {
				counters[impl] = r.opstatusCounters(t)
				monitorsRec[impl] = r.monitorRecords(t, c.loose)
			}
			wantList, gotList, want, got := finish(t, runs)
			for _, rec := range []map[string][]string{want, got} {
				for k, lines := range runs["mon"].sched {
					if contains(c.loose, k) {
						continue
					}
					// Past its schedule a service goes on succeeding for as long as
					// the other services take: what that causes depends on timing.
					var kept []string
					for _, x := range rec[k] {
						var n int
						fmt.Sscanf(x, "check %d", &n)
						if n <= len(lines) {
							kept = append(kept, x)
						}
					}
					rec[k] = kept
				}
				for _, k := range c.loose {
					var l []string
					for _, x := range rec[k] {
						l = append(l, kwCheckRe.ReplaceAllString(x, "${1}C"))
					}
					if l != nil {
						rec[k] = uniqSorted(l)
					}
				}
			}
			if c.loose != nil {
				// How many failures a loose service has depends on timing.
				for _, l := range []map[string][]string{wantList, gotList} {
					for k := range l {
						l[k] = uniqSorted(l[k])
					}
				}
			}
			if diff := cmp.Diff(seen["mon"], seen["mond"]); diff != "" {
				t.Errorf("step answers differ (-mon +mond):\n%s", diff)
			}
			if diff := cmp.Diff(counters["mon"], counters["mond"]); diff != "" {
				t.Errorf("list opstatus counters differ (-mon +mond):\n%s", diff)
			}
			if diff := cmp.Diff(wantList, gotList); diff != "" {
				t.Errorf("client listings differ (-mon +mond):\n%s", diff)
			}
			if diff := cmp.Diff(monitorsRec["mon"], monitorsRec["mond"]); diff != "" {
				t.Errorf("monitor argv and environment differ (-mon +mond):\n%s", diff)
			}
			if len(want) == 0 {
				t.Fatal("mon recorded nothing")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("alerts differ (-mon +mond):\n%s", diff)
			}
			if testing.Verbose() {
				for impl, rec := range map[string]map[string][]string{"mon": want, "mond": got} {
					t.Logf("%s's alerts:\n%s", impl, dumpRec(rec))
					t.Logf("%s's monitors:\n%s", impl, dumpRec(monitorsRec[impl]))
					t.Logf("%s's steps:\n%s", impl, strings.Join(seen[impl], "\n"))
					t.Logf("%s's counters:\n%s", impl, strings.Join(counters[impl], "\n"))
				}
			}
		})
	}
}

func dumpRec(rec map[string][]string) string {
	var keys []string
	for k := range rec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("=== " + k + "\n")
		for _, r := range rec[k] {
			b.WriteString(r + "---\n")
		}
	}
	return b.String()
}

// monerrfile: mon -f and mond -f append their standard output and error to it, after a
// "Mon starting at" line, and their alerts inherit them; a monitor's standard error
// is part of its output (so the alert's stdin), never the file's.
func TestMonErrFileAgainstMon(t *testing.T) {
	if _, err := os.Stat(monBin); err != nil {
		t.Skip("mon 1.3.6 not installed (scripts/install-test-deps.sh installs it)")
	}
	if testing.Short() {
		t.Skip("oracle test runs mon -f and mond -f, ~8s")
	}
	const cfg = oracleDirs + `monerrfile = @DIR@/err.log

hostgroup e 127.0.0.1

watch e
    service s
        interval 1s
        monitor noisy.monitor
        period wd {Sun-Sat}
            alert noisy.alert
`
	const monitor = "#!/bin/sh\necho summary\necho monitor-stderr >&2\nexit 1\n"
	const alert = "#!/bin/sh\nread summary\necho \"alert-stdout $MON_ALERTTYPE $summary\"\n" +
		"echo \"alert-stderr $*\" | sed 's/-t [0-9]*/-t T/' >&2\ncat\n"
	base := t.TempDir()
	got := map[string][]string{}
	for _, impl := range []string{"mon", "mond"} {
		dir := filepath.Join(base, impl)
		for _, sub := range []string{"mon.d", "alert.d", "log.d", "state.d"} {
			os.MkdirAll(filepath.Join(dir, sub), 0o755)
		}
		w := func(path, data string, mode os.FileMode) {
			if err := os.WriteFile(filepath.Join(dir, path), []byte(strings.ReplaceAll(data, "@DIR@", dir)), mode); err != nil {
				t.Fatal(err)
			}
		}
		w("mon.cf", cfg, 0o644)
		w("auth.cf", "list: all\n", 0o644)
		w("mon.d/noisy.monitor", monitor, 0o755)
		w("alert.d/noisy.alert", alert, 0o755)
		port := freePort(t)
		args := []string{"-f", "-c", filepath.Join(dir, "mon.cf"), "-p", strconv.Itoa(port), "-t", strconv.Itoa(port + 1),
			"-P", filepath.Join(dir, "mon.pid")}
		var cmd *exec.Cmd
		if impl == "mon" {
			cmd = exec.Command(monBin, args...)
		} else {
			self, _ := os.Executable()
			cmd = exec.Command(self, args...)
		}
		cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "MOND_TEST_MAIN=1"}
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s -f: %v\n%s", impl, err, out)
		}
		var pid int
		deadline := time.Now().Add(20 * time.Second)
		for pid == 0 && time.Now().Before(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "mon.pid"))
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			time.Sleep(100 * time.Millisecond)
		}
		if pid == 0 {
			t.Fatalf("%s -f wrote no pid file", impl)
		}
		t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
		// Two failing checks, each with its alert.
		for time.Now().Before(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "err.log"))
			if strings.Count(string(b), "alert-stdout") >= 2 && strings.Count(string(b), "alert-stderr") >= 2 {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		syscall.Kill(pid, syscall.SIGTERM)
		time.Sleep(500 * time.Millisecond)
		b, _ := os.ReadFile(filepath.Join(dir, "err.log"))
		var lines []string
		for _, l := range strings.Split(string(b), "\n") {
			switch {
			case strings.HasPrefix(l, "Mon starting at "):
				if _, err := time.Parse("Mon Jan _2 15:04:05 2006", strings.TrimPrefix(l, "Mon starting at ")); err != nil {
					t.Errorf("%s: %q: %v", impl, l, err)
				}
				l = "Mon starting at DATE"
			case strings.HasPrefix(l, "alert-"), l == "monitor-stderr":
			default:
				continue // mon's perl warnings, mond's log lines
			}
			if !contains(lines, l) {
				lines = append(lines, l)
			}
		}
		sort.Strings(lines)
		got[impl] = lines
	}
	t.Logf("mon's monerrfile: %q", got["mon"])
	if len(got["mon"]) < 3 {
		t.Fatalf("mon's monerrfile: %q", got["mon"])
	}
	if diff := cmp.Diff(got["mon"], got["mond"]); diff != "" {
		t.Errorf("monerrfile differs (-mon +mond):\n%s", diff)
	}
}
