package metrics

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/monconf"
	"github.com/lvskit/lvskit/internal/clock"
	"github.com/lvskit/lvskit/internal/mon/daemon"
	"github.com/lvskit/lvskit/internal/mon/sched"
	"github.com/lvskit/lvskit/internal/runner"
	"github.com/lvskit/lvskit/internal/statushttp"
	"github.com/lvskit/lvskit/internal/statushttp/statushttptest"
)

const testCfg = `mondir = @DIR@
alertdir = @DIR@

hostgroup web w1
hostgroup db d1

watch web
    service http
        interval 10s
        monitor http.monitor
        period wd {Sun-Sat}
            alert bad.alert
            upalert bad.alert
    service ping
        interval 10s
        monitor ping.monitor
        period wd {Sun-Sat}
            alert bad.alert

watch db
    service pg
        interval 1h
        monitor pg.monitor
        period wd {Sun-Sat}
            alert bad.alert
`

var t0 = time.Unix(1_700_000_000, 0)

// testDaemon runs a daemon on testCfg with a fake clock at t0 and a fake runner: http
// fails, ping and pg succeed, bad.alert exits 1.
func testDaemon(t *testing.T) (*daemon.Daemon, *clock.Fake) {
	t.Helper()
	dir := t.TempDir()
	for _, p := range []string{"http.monitor", "ping.monitor", "pg.monitor", "bad.alert"} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg := strings.ReplaceAll(testCfg, "@DIR@", dir)
	clk := clock.NewFake(t0)
	fake := &runner.Fake{Respond: func(c runner.Cmd) runner.Result {
		switch filepath.Base(c.Path) {
		case "http.monitor":
			return runner.Result{Output: []byte("w1 down\n"), ExitCode: 1}
		case "bad.alert":
			return runner.Result{ExitCode: 1}
		}
		return runner.Result{Output: []byte("ok\n")}
	}}
	d, err := daemon.New(daemon.Options{ConfigPath: "/etc/mon/mon.cf", Runner: fake, Clock: clk, Builtins: daemon.BuiltinOff,
		Parse: func(string) (*monconf.Config, error) { return monconf.Parse("mon.cf", strings.NewReader(cfg)) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); d.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return d, clk
}

// until waits (bounded) for cond on the daemon's state.
func until(t *testing.T, d *daemon.Daemon, what string, cond func(daemon.State) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond(d.State()) {
		if time.Now().After(deadline) {
			t.Fatalf("never %s: %+v", what, d.State().Services)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func serve(t *testing.T, d Daemon, clients func() int) string {
	t.Helper()
	stop, addr, err := statushttp.Listen("127.0.0.1:0", Handler(d, clients))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stop() })
	return "http://" + addr.String()
}

// Services in different states, scraped through the real handler: promtool accepts
// the exposition and every value is the engine's.
func TestMetrics(t *testing.T) {
	d, clk := testDaemon(t)
	// A reset first (counted), then pg disabled (a reset would enable it again).
	if err := d.Reset(false); err != nil {
		t.Fatal(err)
	}
	d.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
		a, err := e.DisableService("db", "pg", false, "admin", now)
		if err != nil {
			t.Fatal(err)
		}
		return a
	})
	base := serve(t, d, func() int { return 3 })
	// First round on time, at t0+10s.
	clk.Advance(10 * time.Second)
	until(t, d, "first round", func(s daemon.State) bool {
		return s.Services[0].Failures == 1 && s.Services[1].Checks == 1 && !s.Services[0].Running && !s.Services[1].Running
	})
	// Second round 15 s late: the loop was away from t0+20s to t0+35s.
	clk.Advance(25 * time.Second)
	until(t, d, "second round", func(s daemon.State) bool {
		return s.Services[0].Failures == 2 && s.Services[1].Checks == 2 && !s.Services[0].Running && !s.Services[1].Running
	})
	d.WaitAlerts()
	until(t, d, "alert failures counted", func(s daemon.State) bool { return s.Services[0].AlertFailures == 2 })

	code, body := statushttptest.Get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("/metrics: %d\n%s", code, body)
	}
	statushttptest.CheckMetrics(t, body)
	loaded := d.State().ConfigLoaded
	http, ping, pg := `{group="web",service="http"}`, `{group="web",service="ping"}`, `{group="db",service="pg"}`
	for _, tc := range []struct{ sample, want string }{
		{"mond_service_up" + http, "0"},
		{"mond_service_up" + ping, "1"},
		{"mond_service_up" + pg, "0"},
		{"mond_service_opstatus" + http, "0"},
		{"mond_service_opstatus" + ping, "1"},
		{"mond_service_opstatus" + pg, "7"},
		{"mond_service_last_check_timestamp_seconds" + http, unixText(35 * time.Second)},
		{"mond_service_last_check_timestamp_seconds" + pg, "0"},
		// http's next check: an interval after its late check ended at t0+35s.
		{"mond_service_next_check_timestamp_seconds" + http, unixText(45 * time.Second)},
		{"mond_service_monitor_running" + http, "0"},
		{"mond_service_disabled" + pg, "1"},
		{"mond_service_disabled" + http, "0"},
		{"mond_service_acknowledged" + http, "0"},
		{"mond_service_checks_total" + http, "2"},
		{"mond_service_checks_total" + pg, "0"},
		{"mond_service_checks_late_total" + http, "1"},
		{"mond_service_checks_late_total" + ping, "1"},
		{"mond_service_failures_total" + http, "2"},
		{"mond_service_failures_total" + ping, "0"},
		{"mond_service_alerts_total" + http, "2"},
		{"mond_service_upalerts_total" + http, "0"},
		{"mond_service_alert_failures_total" + http, "2"},
		{"mond_service_alert_failures_total" + ping, "0"},
		{"mond_service_monitor_timeouts_total" + http, "0"},
		{"mond_service_monitors_not_run_total" + http, "0"},
		{"mond_services ", "3"},
		{"mond_services_failing ", "1"},
		{"mond_scheduler_running ", "1"},
		{"mond_client_connections ", "3"},
		{`mond_config_reloads_total{result="installed"}`, "1"},
		{`mond_config_reloads_total{result="refused"}`, "0"},
		{"mond_config_reload_timestamp_seconds ", unixText(loaded.Sub(t0))},
		{`lvskit_build_info{`, "1"},
	} {
		if got := statushttptest.Sample(body, tc.sample); got != tc.want {
			t.Errorf("%s = %q, want %q", tc.sample, got, tc.want)
		}
	}
	if !strings.Contains(string(body), `daemon="mond"`) {
		t.Error("lvskit_build_info lacks daemon=\"mond\"")
	}
}

// /readyz follows mon's stop and start; /healthz is always ok.
func TestReadyz(t *testing.T) {
	d, _ := testDaemon(t)
	base := serve(t, d, nil)
	wait := func(code int, sub string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			c, body := statushttptest.Get(t, base+"/readyz")
			if c == code && strings.Contains(string(body), sub) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz: %d %q, want %d with %q", c, body, code, sub)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	for _, step := range []struct {
		stop       bool
		code       int
		sub        string
		schedValue string
	}{
		{false, 200, "ready", "1"},
		{true, 503, "scheduler stopped by client command", "0"},
		{false, 200, "ready", "1"},
	} {
		d.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
			if step.stop {
				e.Stop(now)
			} else {
				e.Start()
			}
			return sched.Actions{}
		})
		wait(step.code, step.sub)
		if _, body := statushttptest.Get(t, base+"/metrics"); statushttptest.Sample(body, "mond_scheduler_running ") != step.schedValue {
			t.Errorf("stop=%v: mond_scheduler_running %q", step.stop, statushttptest.Sample(body, "mond_scheduler_running "))
		}
		if code, body := statushttptest.Get(t, base+"/healthz"); code != 200 || string(body) != "ok\n" {
			t.Errorf("/healthz: %d %q", code, body)
		}
	}
}

// unixText is the exposition's text of the Unix time t0+d.
func unixText(d time.Duration) string {
	return strconv.FormatFloat(float64(t0.Add(d).UnixNano())/1e9, 'g', -1, 64)
}

var snakeRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// walkKeys calls f with every object key in v, at any depth.
func walkKeys(v any, f func(string)) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			f(k)
			walkKeys(e, f)
		}
	case []any:
		for _, e := range x {
			walkKeys(e, f)
		}
	}
}

// /status (and /) is snake_case throughout, its times RFC 3339 or null.
func TestStatus(t *testing.T) {
	d, clk := testDaemon(t)
	base := serve(t, d, func() int { return 1 })
	clk.Advance(10 * time.Second)
	until(t, d, "first round", func(s daemon.State) bool {
		return s.Services[0].Failures == 1 && s.Services[1].Checks == 1 && !s.Services[0].Running && !s.Services[1].Running
	})
	d.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions { e.Stop(now); return sched.Actions{} })
	for _, p := range []string{"/status", "/"} {
		code, body := statushttptest.Get(t, base+p)
		if code != 200 {
			t.Fatalf("%s: %d", p, code)
		}
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			t.Fatalf("%s: %v\n%s", p, err, body)
		}
		n := 0
		walkKeys(v, func(k string) {
			n++
			if !snakeRe.MatchString(k) {
				t.Errorf("%s: key %q is not snake_case", p, k)
			}
		})
		if n < 30 {
			t.Errorf("%s: only %d keys:\n%s", p, n, body)
		}
		var s struct {
			Daemon           string  `json:"daemon"`
			Config           string  `json:"config"`
			Ready            bool    `json:"ready"`
			NotReady         string  `json:"not_ready"`
			SchedulerRunning bool    `json:"scheduler_running"`
			StoppedSince     *string `json:"scheduler_stopped_since"`
			Clients          int     `json:"client_connections"`
			Services         []struct {
				Group, Service string
				OpStatusName   string  `json:"opstatus_name"`
				LastCheck      *string `json:"last_check"`
				NextCheck      *string `json:"next_check"`
				Failures       int     `json:"failures"`
				Disabled       bool    `json:"disabled"`
			} `json:"services"`
		}
		if err := json.Unmarshal(body, &s); err != nil {
			t.Fatal(err)
		}
		if s.Daemon != "mond" || s.Config != "/etc/mon/mon.cf" || s.Ready || !strings.Contains(s.NotReady, "scheduler stopped") ||
			s.SchedulerRunning || s.StoppedSince == nil || s.Clients != 1 || len(s.Services) != 3 {
			t.Errorf("%s: %s", p, body)
			continue
		}
		http, pg := s.Services[0], s.Services[2]
		if http.Group != "web" || http.Service != "http" || http.OpStatusName != "fail" || http.Failures != 1 ||
			http.LastCheck == nil || *http.LastCheck != "2023-11-14T22:13:30Z" || http.NextCheck == nil ||
			*http.NextCheck != "2023-11-14T22:13:40Z" {
			t.Errorf("%s: http %+v", p, http)
		}
		if pg.OpStatusName != "untested" || pg.LastCheck != nil {
			t.Errorf("%s: pg %+v", p, pg)
		}
	}
}
