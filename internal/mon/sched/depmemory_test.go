package sched

import (
	"strings"
	"testing"
	"time"
)

// dep_memory: a dependency that recovered goes on counting as failed for dep_memory
// (the manual's behaviour; mon 1.3.6 never records the time it would need, so there
// the keyword does nothing). Without it a recovered dependency passes at once.
func TestDepMemory(t *testing.T) {
	const cfg = `hostgroup g h1 h2

hostgroup gw r

watch gw
service ping
interval 10s
monitor m
%MEM%
period wd {Sun-Sat}

watch g
service a
interval 10s
monitor m
depend gw:ping
period wd {Sun-Sat}
alert a.alert
service m
interval 10s
monitor m
depend gw:ping
dep_behavior m
period wd {Sun-Sat}
alert a.alert
service hm
interval 10s
monitor m
depend gw:ping
dep_behavior hm
period wd {Sun-Sat}
alert a.alert
`
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	for _, mem := range []string{"", "dep_memory 30s"} {
		e := New(conf(t, strings.Replace(cfg, "%MEM%", mem, 1)), opts(), t0)
		// gw fails at 10s and recovers at 20s.
		e.Tick(at(10))
		e.MonitorExited("gw", "ping", 1, "h1 down\n", at(10))
		for _, s := range []string{"a", "m", "hm"} {
			e.MonitorExited("g", s, 0, "\n", at(10))
		}
		e.Tick(at(20))
		e.MonitorExited("gw", "ping", 0, "\n", at(20))
		for _, s := range []string{"a", "m", "hm"} {
			e.MonitorExited("g", s, 0, "\n", at(20))
		}
		// At 30s gw passes; with dep_memory 30s its failure at 10s still counts
		// (until 40s).
		for _, now := range []int{30, 45} {
			remembered := mem != "" && now < 40
			a := e.Tick(at(now))
			ran := map[string][]string{}
			for _, m := range a.Monitors {
				ran[m.Service] = m.Args
			}
			if _, ok := ran["m"]; ok == remembered {
				t.Errorf("%q at %ds: dep_behavior m ran its monitor: %v", mem, now, ok)
			}
			wantHosts := "h1 h2"
			if remembered {
				wantHosts = "h2" // h1 is in the remembered failure's summary
			}
			if got := strings.Join(ran["hm"], " "); got != wantHosts {
				t.Errorf("%q at %ds: dep_behavior hm hosts %q, want %q", mem, now, got, wantHosts)
			}
			r := e.MonitorExited("g", "a", 1, "down\n", at(now))
			if (len(r.Alerts) == 0) != remembered {
				t.Errorf("%q at %ds: dep_behavior a alerts %v", mem, now, r.Alerts)
			}
			e.MonitorExited("g", "a", 0, "\n", at(now))
			for _, s := range []string{"m", "hm"} {
				if _, ok := ran[s]; ok {
					e.MonitorExited("g", s, 0, "\n", at(now))
				}
			}
			if _, ok := ran["ping"]; ok {
				e.MonitorExited("gw", "ping", 0, "\n", at(now))
			}
		}
	}
}
