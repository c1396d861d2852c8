package main

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// quoteCfg has monitor and alert lines whose arguments have an unbalanced quote. mon 1.3.6
// reads them without complaint; at run time perl's quotewords gives it no words for
// them: it calls such an alert without its configured arguments (exit= prefix or not),
// and such a monitor has no argv, so its exec fails and every check fails with no output.
const quoteCfg = oracleDirs + `
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
	runs := startBoth(t, quoteCfg, sched, "")
	waitConsumed(t, runs, 60*time.Second)
	// g.monitor has failed every second since the start: its two alerts (numalerts)
	// are long sent.
	wantList, gotList, want, got := finish(t, runs)
	// How often g.monitor failed depends on each one's speed (mond fails the check
	// without starting a process): its failures count once.
	for _, l := range []map[string][]string{wantList, gotList} {
		l["list failurehist"] = slices.Compact(l["list failurehist"])
	}
	if diff := cmp.Diff(wantList, gotList); diff != "" {
		t.Errorf("client listings differ (-mon +mond):\n%s", diff)
	}
	if len(want["g.monitor"]) != 2 || len(want["g.alerts"]) == 0 {
		t.Fatalf("mon recorded %d alerts for g.monitor (want 2) and %d for g.alerts", len(want["g.monitor"]), len(want["g.alerts"]))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alerts differ (-mon +mond):\n%s", diff)
	}
}
