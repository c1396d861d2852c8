package lab

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

const fullLocal = "10.0.0.100:7000>10.0.0.21,10.0.0.11,10.0.0.12;10.0.0.100:8080>10.0.0.21,10.0.0.11,10.0.0.12"

// listing is the scenario's log of ipvsadm -L -n on a director whose own entry is
// forwarded fwd, by tool (lvskit or 1.31).
func listing(t int64, node, tool, fwd string) string {
	var b strings.Builder
	for _, l := range []string{
		"Prot LocalAddress:Port Scheduler Flags",
		"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn",
		"TCP  10.0.0.100:8080 rr",
		"  -> 10.0.0.11:8080               " + map[bool]string{true: fwd, false: "Route"}[node == "d1"] + "   5      0          2",
		"  -> 10.0.0.12:8080               " + map[bool]string{true: fwd, false: "Route"}[node == "d2"] + "   5      0          2",
		"  -> 10.0.0.21:8080               Route   5      0          2",
	} {
		fmt.Fprintf(&b, "%d obs ipvsadm %s %s: %s\n", t, node, tool, l)
	}
	return b.String()
}

// syntheticLocal is a run whose directors serve (phases 1 2 3 6 5), as the guest logs
// it; edit changes a file's text before it is parsed.
func syntheticLocal(t *testing.T, edit func(files map[string]string)) *Report {
	t.Helper()
	files := map[string]string{
		"events": `1000 setup begin
5000 setup done
5100 act start-hb d1
6000 phase 1 begin traffic spreads over rs1 d1 d2
` + listing(6100, "d1", "lvskit", "Route") + listing(6200, "d1", "1.31", "Route") + `11000 phase 1 end
11000 phase 2 begin mond removes a dead real server and adds it back
11100 act stop-http d2
16000 act start-http d2
19000 phase 2 end
19000 phase 3 begin kill -9 the active director's heartbeatd
22000 obs long-lived connection served by d2
22000 act kill-hb d1
30000 act restart d1 (off the network; mon stop, lvs stop; its HTTP and echo restarted; heartbeatd: as a reboot)
31000 act back d1 (on the segment, serving as a real server)
36000 phase 3 end
37000 phase 6 begin after the failover d2 directs, traffic spreads over rs1 d1 d2
` + listing(37100, "d2", "lvskit", "Route") + listing(37200, "d2", "1.31", "Route") + `42000 phase 6 end
42000 client stopped
42000 phase 5 begin nothing left behind
44000 left daemons=0
44100 left d1 vip-eth0=no services=0
44200 left d2 vip-eth0=no services=0
45000 left netns=0 procs=0 root-services=0
`,
		"state.log": `5500 state d1 vip=lo ipvs=- sync=backup hb=1 mon=0
5500 state d2 vip=lo ipvs=- sync=backup hb=1 mon=0
5800 state d1 vip=eth0 ipvs=` + fullLocal + ` sync=master hb=1 mon=1
13500 state d1 vip=eth0 ipvs=10.0.0.100:7000>10.0.0.21,10.0.0.11,10.0.0.12;10.0.0.100:8080>10.0.0.21,10.0.0.11 sync=master hb=1 mon=1
16800 state d1 vip=eth0 ipvs=` + fullLocal + ` sync=master hb=1 mon=1
22000 state d1 vip=eth0 ipvs=` + fullLocal + ` sync=master hb=0 mon=1
26000 state d2 vip=eth0 ipvs=` + fullLocal + ` sync=master hb=1 mon=1
30500 state d1 vip=lo ipvs=- sync=backup hb=0 mon=0
31500 state d1 vip=lo ipvs=- sync=backup hb=1 mon=0
43000 state d1 vip=lo ipvs=- sync=backup hb=0 mon=0
43000 state d2 vip=lo ipvs=- sync=backup hb=0 mon=0
`,
	}
	var client strings.Builder
	servers := []string{"rs1", "d1", "d2"}
	for i, t := 0, int64(6000); t < 42000; i, t = i+1, t+200 {
		s := servers[i%3]
		switch {
		case s == "d2" && t > 11100 && t < 13500:
			fmt.Fprintf(&client, "%d req fail connection_refused\n", t)
		case t > 25500 && t < 26500:
			fmt.Fprintf(&client, "%d req fail i/o_timeout\n", t)
		case s == "d1" && t > 30000 && t < 32500:
			// d1 rebooting: refused, though only the local window allows it
			fmt.Fprintf(&client, "%d req fail connection_refused\n", t)
		default:
			fmt.Fprintf(&client, "%d req ok %s\n", t, s)
		}
	}
	files["client.log"] = client.String()
	var hold strings.Builder
	fmt.Fprintf(&hold, "19500 hold open 10.0.1.2:40000\n")
	for i, t := 1, int64(19600); t < 36000; i, t = i+1, t+300 {
		fmt.Fprintf(&hold, "%d hold ok d2 %d\n", t, i)
	}
	files["hold.log"] = hold.String()
	if edit != nil {
		edit(files)
	}
	out := map[string][]byte{}
	for k, v := range files {
		out[k] = []byte(v)
	}
	r, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	r.Phases = DirectorsServePhases
	r.DirectorsServe = true
	r.Servers = Servers(true)
	return r
}

func TestGoodRunDirectorsServe(t *testing.T) {
	r := syntheticLocal(t, nil)
	if bad := r.Check(); len(bad) != 0 {
		t.Errorf("a run within bounds failed:\n%s", strings.Join(bad, "\n"))
	}
	if got, _ := r.OwnEntry("d2", "1.31", 37000, 42000); strings.Join(got, " ") != "10.0.0.12:8080 Route 5 0 2" {
		t.Errorf("d2's own entry by 1.31: %q", got)
	}
	var tl bytes.Buffer
	r.Timeline(&tl)
	for _, want := range []string{
		"real servers rs1 d1 d2: the directors serve too",
		"director: d1   table: d1 d2 rs1", "director: d2   table: d1 d2 rs1",
		"mond removed d2 2.4s after its HTTP stopped",
		"phase 6 ends: 25 requests, 0 failed, 100.0% ok; answered by rs1 8, d1 8, d2 9",
		"phase 1: ipvsadm -L -n on d1 lists its own entry as -> 10.0.0.11:8080 Route 5 0 2; ipvsadm 1.31: -> 10.0.0.11:8080 Route 5 0 2",
		"phase 6: ipvsadm -L -n on d2 lists its own entry as -> 10.0.0.12:8080 Route 5 0 2",
		"served by d2",
	} {
		if !strings.Contains(tl.String(), want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl.String())
		}
	}
	// Without DirectorsServe the same failures of the reboot are outside phase 3's
	// outage: the local window is what allows them.
	r.DirectorsServe = false
	if bad := strings.Join(r.Check(), "\n"); !strings.Contains(bad, "phase 3: request failed at") {
		t.Errorf("the reboot's failures passed without the directors-serve window:\n%s", bad)
	}
}

// Each way a run whose directors serve can miss its bounds is reported.
func TestBadRunsDirectorsServe(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(map[string]string)
		want string
	}{
		{"own entry missing", func(f map[string]string) {
			f["events"] = strings.Replace(f["events"], "6100 obs ipvsadm d1 lvskit:   -> 10.0.0.11:8080", "6100 obs ipvsadm d1 lvskit:   -> 10.0.0.13:8080", 1)
		}, "phase 1: ipvsadm -L -n on d1 lists no entry for its own address 10.0.0.11"},
		{"1.31 differs", func(f map[string]string) {
			f["events"] = strings.Replace(f["events"], listing(37200, "d2", "1.31", "Route"), listing(37200, "d2", "1.31", "Local"), 1)
		}, "phase 6: d2's own entry: lvskit's ipvsadm prints Route 5, ipvsadm 1.31 Local 5"},
		{"masq", func(f map[string]string) {
			f["events"] = strings.Replace(f["events"], listing(6100, "d1", "lvskit", "Route"), listing(6100, "d1", "lvskit", "Masq"), 1)
		}, "phase 1: ipvsadm lists d1's own entry forwarded Masq"},
		{"no listing", func(f map[string]string) {
			f["events"] = strings.Replace(f["events"], listing(37100, "d2", "lvskit", "Route"), "", 1)
		}, "phase 6: no ipvsadm listing of d2's table"},
		{"phase 6 failure", func(f map[string]string) {
			f["client.log"] = strings.Replace(f["client.log"], "40000 req ok", "40000 req fail connection_refused", 1)
		}, "phase 6: request failed at 35.0s (connection_refused)"},
		{"old director not serving", func(f map[string]string) {
			for t := 37000; t < 42000; t += 200 {
				f["client.log"] = strings.Replace(f["client.log"], fmt.Sprintf("%d req ok d1", t), fmt.Sprintf("%d req ok rs1", t), 1)
			}
		}, "phase 6: d1 answered 0 of"},
		{"two directors in phase 6", func(f map[string]string) {
			f["state.log"] = strings.Replace(f["state.log"], "43000 state d1", "38000 state d1 vip=eth0 ipvs="+fullLocal+" sync=master hb=1 mon=1\n43000 state d1", 1)
		}, "phase 6: directors [d1 d2] at 33.0s, want d2 alone"},
		{"hold on the killed director", func(f map[string]string) {
			f["hold.log"] = strings.ReplaceAll(f["hold.log"], "hold ok d2", "hold ok d1")
		}, "phase 3: the long-lived connection was served by d1, the director killed and rebooted"},
		{"failure after the old director is back", func(f map[string]string) {
			f["client.log"] = strings.Replace(f["client.log"], "34000 req ok", "34000 req fail connection_refused", 1)
		}, "phase 3: request failed at 29.0s"},
		{"phase 1 spread", func(f map[string]string) {
			for t := 6000; t < 11000; t += 200 {
				f["client.log"] = strings.Replace(f["client.log"], fmt.Sprintf("%d req ok d1", t), fmt.Sprintf("%d req ok rs1", t), 1)
			}
		}, "phase 1: d1 answered 0 of"},
	} {
		r := syntheticLocal(t, tc.edit)
		bad := strings.Join(r.Check(), "\n")
		if !strings.Contains(bad, tc.want) {
			t.Errorf("%s: want %q in:\n%s", tc.name, tc.want, bad)
		}
	}
}

func TestCheckPhases(t *testing.T) {
	for _, c := range []struct {
		opts Options
		ok   bool
	}{
		{Default(), true},
		{DirectorsServeDefault(), true},
		{Options{Phases: []int{1, 5}, DirectorsServe: true}, true},
		{Options{Phases: []int{1, 3, 6, 5}}, true},
		{Options{Phases: []int{1, 6}}, false},
		{Options{Phases: []int{1, 4}, DirectorsServe: true}, false},
		{Options{Phases: []int{7}}, false},
	} {
		if err := checkPhases(c.opts); (err == nil) != c.ok {
			t.Errorf("checkPhases(%v, serve %v) = %v, want ok %v", c.opts.Phases, c.opts.DirectorsServe, err, c.ok)
		}
	}
}

// The directors-serve run's environment names its servers; the default's names none,
// so the scenario keeps its own (rs1 rs2 rs3).
func TestScenarioEnv(t *testing.T) {
	env := strings.Join(scenarioEnv(Options{Phases: DirectorsServePhases, DirectorsServe: true, Every: 200e6}), "\n")
	for _, want := range []string{"PHASES=1 2 3 6 5", "SERVERS=rs1 d1 d2", "REALSERVERS=rs1", "VICTIM=d2"} {
		if !strings.Contains(env, want+"\n") && !strings.HasSuffix(env, want) {
			t.Errorf("env lacks %s:\n%s", want, env)
		}
	}
	if env := strings.Join(scenarioEnv(Options{Phases: AllPhases, Every: 200e6}), "\n"); strings.Contains(env, "SERVERS") || strings.Contains(env, "VICTIM") {
		t.Errorf("default env: %s", env)
	}
}
