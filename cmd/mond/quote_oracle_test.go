package main

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// quoteCfg has monitor and alert lines whose arguments have an unbalanced quote. mon 1.3.6
// reads them without complaint; at run time perl's quotewords gives it no words for
// them: it calls such an alert without its configured arguments (exit= prefix or not),
// and such a monitor has no argv, so its exec fails and every check fails with no output.
const quoteCfg = `cfbasedir = @DIR@
statedir = @DIR@/state.d
logdir = @DIR@/log.d
alertdir = @DIR@/alert.d
mondir = @DIR@/mon.d
authfile = @DIR@/auth.cf

hostgroup g 127.0.0.1 127.0.0.2

watch g
    service alerts
        interval 1s
        monitor sched.monitor
        period wd {Sun-Sat}
            alert rec.alert -a "unbalanced
            alert exit=1 rec.alert -b 'also unbalanced
            alert rec.alert -c "balanced one"
            upalert rec.alert -u "x
    service monitor
        interval 1s
        monitor sched.monitor -x "unbalanced
        period wd {Sun-Sat}
            alert rec.alert -m
            numalerts 2
`

func TestQuoteErrorsAgainstMon(t *testing.T) {
	if _, err := os.Stat(monBin); err != nil {
		t.Skip("mon 1.3.6 not installed (scripts/install-test-deps.sh installs it)")
	}
	if testing.Short() {
		t.Skip("starts mon")
	}
	// Only g.alerts runs a schedule: g.monitor's monitor never starts in either.
	sched := map[string][]string{"g.alerts": {"1 down", "0 ok"}}
	base := t.TempDir()
	runs := map[string]*oracleRun{}
	for _, impl := range []string{"mon", "mond"} {
		runs[impl] = startOracle(t, impl, filepath.Join(base, impl), quoteCfg, sched,
			[]string{"sched.monitor"}, []string{"rec.alert"}, "")
	}
	deadline := time.Now().Add(60 * time.Second)
	for !(runs["mon"].done() && runs["mond"].done()) {
		for impl, r := range runs {
			if r.cmd.ProcessState != nil || syscall.Kill(r.cmd.Process.Pid, 0) != nil {
				out, _ := os.ReadFile(filepath.Join(r.dir, impl+".out"))
				t.Fatalf("%s exited:\n%s", impl, out)
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("schedules not consumed in time")
		}
		time.Sleep(200 * time.Millisecond)
	}
	// g.monitor has failed every second since the start: its two alerts (numalerts)
	// are long sent. Let the last ones finish writing.
	time.Sleep(700 * time.Millisecond)
	wantList, gotList := runs["mon"].listings(t), runs["mond"].listings(t)
	for _, r := range runs {
		r.stop()
	}
	// How often g.monitor failed depends on each one's speed (mond fails the check
	// without starting a process): its failures count once.
	for _, l := range []map[string][]string{wantList, gotList} {
		l["list failurehist"] = slices.Compact(l["list failurehist"])
	}
	if diff := cmp.Diff(wantList, gotList); diff != "" {
		t.Errorf("client listings differ (-mon +mond):\n%s", diff)
	}
	want, got := runs["mon"].recordings(t), runs["mond"].recordings(t)
	if len(want["g.monitor"]) != 2 || len(want["g.alerts"]) == 0 {
		t.Fatalf("mon recorded %d alerts for g.monitor (want 2) and %d for g.alerts", len(want["g.monitor"]), len(want["g.alerts"]))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alerts differ (-mon +mond):\n%s", diff)
	}
}
