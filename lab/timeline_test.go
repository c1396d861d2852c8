package lab

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

const full = "10.0.0.100:7000>10.0.0.21,10.0.0.22,10.0.0.23;10.0.0.100:8080>10.0.0.21,10.0.0.22,10.0.0.23"

// run is a synthetic run of every phase, as the guest logs it; edit changes a file's
// text before it is parsed.
func synthetic(edit func(files map[string]string)) map[string][]byte {
	files := map[string]string{
		"events": `1000 setup begin
5000 setup done
5100 act start-hb d1
6000 phase 1 begin traffic spreads
11000 phase 1 end
11000 phase 2 begin mond
11100 act stop-http rs2
16000 act start-http rs2
19000 phase 2 end
19000 phase 3 begin kill
22000 act kill-hb d1
30000 act restart d1 (mon stop, lvs stop, heartbeatd: as after a reboot)
36000 phase 3 end
36000 phase 4 begin cut
37000 act cut d2
45000 act reconnect d2
46000 act service heartbeat restart on d2
55000 phase 4 end
56000 client stopped
56000 phase 5 begin nothing left behind
58000 left daemons=0
58100 left d1 vip-eth0=no services=0
59000 left netns=0 procs=0 root-services=0
`,
		"state.log": `5500 state d1 vip=lo ipvs=- sync=backup hb=1 mon=0
5500 state d2 vip=lo ipvs=- sync=backup hb=1 mon=0
5800 state d1 vip=eth0 ipvs=` + full + ` sync=master hb=1 mon=1
13500 state d1 vip=eth0 ipvs=10.0.0.100:7000>10.0.0.21,10.0.0.22,10.0.0.23;10.0.0.100:8080>10.0.0.21,10.0.0.23 sync=master hb=1 mon=1
16800 state d1 vip=eth0 ipvs=` + full + ` sync=master hb=1 mon=1
22000 state d1 vip=eth0 ipvs=` + full + ` sync=master hb=0 mon=1
26000 state d2 vip=eth0 ipvs=` + full + ` sync=master hb=1 mon=1
30500 state d1 vip=lo ipvs=- sync=backup hb=0 mon=0
31000 state d1 vip=lo ipvs=- sync=backup hb=1 mon=0
39500 state d2 vip=lo ipvs=- sync=backup hb=1 mon=1
41500 state d1 vip=eth0 ipvs=` + full + ` sync=master hb=1 mon=1
47000 state d2 vip=lo ipvs=- sync=backup hb=1 mon=0
57000 state d1 vip=lo ipvs=- sync=backup hb=0 mon=0
57000 state d2 vip=lo ipvs=- sync=backup hb=0 mon=0
`,
	}
	var client strings.Builder
	servers := []string{"rs1", "rs2", "rs3"}
	for i, t := 0, int64(6000); t < 56000; i, t = i+1, t+200 {
		s := servers[i%3]
		switch {
		case s == "rs2" && t > 11100 && t < 13500:
			fmt.Fprintf(&client, "%d req fail connection_refused\n", t)
		case t > 25500 && t < 26500:
			fmt.Fprintf(&client, "%d req fail i/o_timeout\n", t)
		default:
			fmt.Fprintf(&client, "%d req ok %s\n", t, s)
		}
	}
	files["client.log"] = client.String()
	var hold strings.Builder
	fmt.Fprintf(&hold, "19500 hold open 10.0.1.2:40000\n")
	for i, t := 1, int64(19600); t < 36000; i, t = i+1, t+300 {
		fmt.Fprintf(&hold, "%d hold ok rs1 %d\n", t, i)
	}
	files["hold.log"] = hold.String()
	if edit != nil {
		edit(files)
	}
	out := map[string][]byte{}
	for k, v := range files {
		out[k] = []byte(v)
	}
	return out
}

func parse(t *testing.T, edit func(map[string]string)) *Report {
	t.Helper()
	r, err := Parse(synthetic(edit))
	if err != nil {
		t.Fatal(err)
	}
	r.Phases = AllPhases
	return r
}

func TestGoodRun(t *testing.T) {
	r := parse(t, nil)
	if bad := r.Check(); len(bad) != 0 {
		t.Errorf("a run within bounds failed:\n%s", strings.Join(bad, "\n"))
	}
	if len(r.Failovers) != 2 {
		t.Fatalf("failovers %+v", r.Failovers)
	}
	if f := r.Failovers[0]; f.TakenBy != "d2" || f.Duration().Milliseconds() != 4000 || f.GaveUp != 30500 {
		t.Errorf("kill failover %+v", f)
	}
	if f := r.Failovers[1]; f.TakenBy != "d1" || f.Duration().Milliseconds() != 4500 || f.GaveUp != 39500 {
		t.Errorf("cut failover %+v", f)
	}
	p := r.Stats[2]
	if p.Failed == 0 || p.ByServer["rs2"] == 0 {
		t.Errorf("phase 2 stats %+v", p)
	}
	var tl bytes.Buffer
	r.Timeline(&tl)
	for _, want := range []string{
		"director: d1   table: rs1 rs3", "director: d1 + d2   table: rs1 rs2 rs3   (TWO DIRECTORS)",
		"failover after kill-hb d1 at 17.0s: d1 held the group until its reboot 8.5s later; d2 director after 4.0s",
		"mond removed rs2 2.4s after its HTTP stopped", "phase 1 ends: 25 requests, 0 failed, 100.0% ok",
		"client: 5 failed requests until 21.4s (i/o_timeout×5)",
	} {
		if !strings.Contains(tl.String(), want) {
			t.Errorf("timeline lacks %q:\n%s", want, tl.String())
		}
	}
}

// Each way a run can miss its bounds is reported.
func TestBadRuns(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(map[string]string)
		want string
	}{
		{"rs2 never removed", func(f map[string]string) {
			f["state.log"] = strings.Replace(f["state.log"], "8080>10.0.0.21,10.0.0.23", "8080>10.0.0.21,10.0.0.22,10.0.0.23", 1)
		}, "phase 2: rs2 never left the table"},
		{"connection broken", func(f map[string]string) {
			f["hold.log"] += "25000 hold broken connection_reset_by_peer\n"
		}, "phase 3: long-lived connection broken"},
		{"connection moved", func(f map[string]string) {
			f["hold.log"] = strings.Replace(f["hold.log"], "35500 hold ok rs1", "35500 hold ok rs3", 1)
		}, "phase 3: the long-lived connection moved from rs1 to rs3"},
		{"no takeover", func(f map[string]string) {
			f["state.log"] = strings.Replace(f["state.log"], "26000 state d2 vip=eth0", "26000 state d2 vip=lo", 1)
		}, "phase 3: no other director took over after kill-hb d1"},
		{"whole group late", func(f map[string]string) {
			// mond starts 11.5 s after the kill: past deadtime + 3 s.
			f["state.log"] = strings.Replace(f["state.log"], "sync=master hb=1 mon=1\n30500 state d1", "sync=master hb=1 mon=0\n30500 state d1", 1)
			f["state.log"] = strings.Replace(f["state.log"], "31000 state d1 vip=lo ipvs=- sync=backup hb=1 mon=0\n",
				"31000 state d1 vip=lo ipvs=- sync=backup hb=1 mon=0\n33500 state d2 vip=eth0 ipvs="+full+" sync=master hb=1 mon=1\n", 1)
		}, "phase 3: d2 ran the whole group (VIP, lvs, mond) 11.5s after the kill, bound 11s"},
		{"cut node keeps the VIP", func(f map[string]string) {
			f["state.log"] = strings.Replace(f["state.log"], "39500 state d2 vip=lo ipvs=-", "39500 state d2 vip=eth0 ipvs="+full, 1)
			f["state.log"] = strings.Replace(f["state.log"], "47000 state d2 vip=lo ipvs=-", "47000 state d2 vip=eth0 ipvs="+full, 1)
			f["state.log"] = strings.Replace(f["state.log"], "41500 state d1", "39600 state d1", 1)
		}, "phase 4: two directors active"},
		{"phase 1 failure", func(f map[string]string) {
			f["client.log"] = strings.Replace(f["client.log"], "7000 req ok", "7000 req fail connection_refused", 1)
		}, "phase 1: request failed at 2.0s (connection_refused)"},
		{"phase 1 timeouts", func(f map[string]string) {
			for _, t := range []string{"7000", "7200", "7400"} {
				f["client.log"] = strings.Replace(f["client.log"], t+" req ok", t+" req fail i/o_timeout", 1)
			}
		}, "phase 1: request failed at 2.4s (i/o_timeout)"},
		{"phase 3 failure after takeover", func(f map[string]string) {
			f["client.log"] = strings.Replace(f["client.log"], "33000 req ok", "33000 req fail connection_refused", 1)
		}, "phase 3: request failed at 28.0s"},
		{"failure outside the outage", func(f map[string]string) {
			f["client.log"] = strings.Replace(f["client.log"], "17000 req ok", "17000 req fail connection_refused", 1)
		}, "phase 2: request failed at 12.0s"},
		{"left behind", func(f map[string]string) {
			f["events"] = strings.Replace(f["events"], "left daemons=0", "left daemons=2", 1)
		}, "phase 5: left behind: daemons=2"},
		{"scenario error", func(f map[string]string) {
			f["events"] += "60000 timeout d1 director\n"
		}, "scenario: timeout d1 director"},
	} {
		r := parse(t, tc.edit)
		bad := strings.Join(r.Check(), "\n")
		if !strings.Contains(bad, tc.want) {
			t.Errorf("%s: want %q in:\n%s", tc.name, tc.want, bad)
		}
	}
}

func TestParseErrors(t *testing.T) {
	_, err := Parse(map[string][]byte{"client.log": []byte("12 req\nx y\n"), "state.log": []byte("5 state d1\n")})
	if err == nil || !strings.Contains(err.Error(), "client.log:1") || !strings.Contains(err.Error(), "state.log:1") {
		t.Errorf("err %v", err)
	}
}
