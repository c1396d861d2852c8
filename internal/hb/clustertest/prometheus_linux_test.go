package clustertest

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/hb/interop"
	"github.com/lvskit/lvskit/internal/netnstest"
)

// Ports of the daemons' HTTP listeners in the test (the examples' defaults).
const (
	hbHTTPPort   = 9694
	mondHTTPPort = 9583
	promPort     = 9090
)

// TestPrometheusSeesTakeover: a real Prometheus (Debian's package) scrapes both
// heartbeatd nodes and a mond every second; after kill -9 of the active node, a query
// through Prometheus's HTTP API (promtool query) sees the survivor's takeover counted,
// the dead node's target down, and mond's service up.
func TestPrometheusSeesTakeover(t *testing.T) {
	interop.Require(t, false)
	prom, err := exec.LookPath("prometheus")
	if err != nil {
		t.Fatal("prometheus not installed: make deps installs Debian's prometheus package")
	}
	p := interop.NewPair(t)
	var n [2]*ourNode
	for i, name := range []string{"lvs1", "lvs2"} {
		n[i] = newOurNode(t, p.NS[i], name, haCF(p, i, "on"))
		n[i].more = []string{"--http", fmt.Sprintf("%s:%d", p.Addr[i], hbHTTPPort)}
		n[i].start()
	}
	waitFor(t, startBound, "VIP on lvs1", func() bool { return owner(p) == "a" })

	// mond beside heartbeatd on lvs2, as on a director: one watch that succeeds.
	startMondIn(t, p.NS[1], fmt.Sprintf("127.0.0.1:%d", mondHTTPPort))

	// Prometheus in lvs2's namespace: it reaches lvs1 over the pair's link.
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 900ms
scrape_configs:
  - job_name: heartbeatd
    static_configs:
      - targets: ['%s:%d']
        labels: {node: lvs1}
      - targets: ['%s:%d']
        labels: {node: lvs2}
  - job_name: mond
    static_configs:
      - targets: ['127.0.0.1:%d']
        labels: {node: lvs2}
`, p.Addr[0], hbHTTPPort, p.Addr[1], hbHTTPPort, mondHTTPPort)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("promtool", "check", "config", filepath.Join(dir, "prometheus.yml")).CombinedOutput(); err != nil {
		t.Fatalf("promtool check config: %v\n%s", err, out)
	}
	promLog, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer promLog.Close()
	pc := p.NS[1].Command(prom, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), fmt.Sprintf("--web.listen-address=127.0.0.1:%d", promPort),
		"--log.level=warn")
	pc.Stdout, pc.Stderr = promLog, promLog
	if err := pc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Process.Kill(); pc.Wait() })
	query := func(q string) map[string]float64 { return promQuery(t, p.NS[1], q) }
	dumpLog := func() string { b, _ := os.ReadFile(promLog.Name()); return string(b) }

	// All three targets up and lvs1's own takeover (its start-up acquisition) seen;
	// lvs2 has taken nothing yet.
	waitFor(t, 60*time.Second, "Prometheus scraping all three targets", func() bool {
		up := query(`up`)
		return len(up) == 3 && up["heartbeatd/lvs1"] == 1 && up["heartbeatd/lvs2"] == 1 && up["mond/lvs2"] == 1
	})
	if got := query(`sum by (job, node) (heartbeat_takeovers_total)`); got["heartbeatd/lvs2"] != 0 {
		t.Fatalf("lvs2's takeovers before the failover = %v, want 0 (all: %v)", got["heartbeatd/lvs2"], got)
	}
	if got := query(`lvskit_build_info`); len(got) != 3 {
		t.Errorf("lvskit_build_info series = %v, want one per target", got)
	}
	waitFor(t, 30*time.Second, "mond's service up in Prometheus", func() bool {
		return query(`mond_service_up{group="web",service="http"}`)["mond/lvs2"] == 1
	})

	n[0].kill9()
	t0 := time.Now()
	waitFor(t, failoverBound, "VIP on lvs2 after kill -9 of lvs1", func() bool { return hasVIP(p.NS[1]) })
	t.Logf("takeover after kill -9: %v", time.Since(t0).Round(10*time.Millisecond))
	waitFor(t, 30*time.Second, "the takeover counted in Prometheus", func() bool {
		return query(`sum by (job, node) (heartbeat_takeovers_total)`)["heartbeatd/lvs2"] >= 1
	})
	waitFor(t, 30*time.Second, "lvs1's target down in Prometheus", func() bool {
		return query(`up{job="heartbeatd"}`)["heartbeatd/lvs1"] == 0
	})
	if got := query(`heartbeat_resource_group_running{job="heartbeatd"}`); len(got) == 0 || got["heartbeatd/lvs2"] != 1 {
		t.Errorf("heartbeat_resource_group_running after the takeover = %v, want lvs2 running", got)
	}
	if t.Failed() {
		t.Logf("prometheus log:\n%s", dumpLog())
	}
}

// promQuery asks the Prometheus in ns (through promtool query instant, its HTTP API)
// and returns the vector's values keyed "job/node".
func promQuery(t *testing.T, ns *netnstest.NS, q string) map[string]float64 {
	t.Helper()
	out, err := ns.Command("promtool", "query", "instant", "-o", "json",
		fmt.Sprintf("http://127.0.0.1:%d", promPort), q).Output()
	if err != nil {
		return nil // not up yet; the callers poll
	}
	var vec []struct {
		Metric map[string]string `json:"metric"`
		Value  [2]any            `json:"value"`
	}
	if err := json.Unmarshal(out, &vec); err != nil {
		t.Fatalf("promtool query %q: %v\n%s", q, err, out)
	}
	res := map[string]float64{}
	for _, s := range vec {
		v, _ := strconv.ParseFloat(fmt.Sprint(s.Value[1]), 64)
		res[s.Metric["job"]+"/"+s.Metric["node"]] += v
	}
	return res
}

// startMondIn runs mond in ns with one watch whose monitor succeeds and its metrics
// listener on addr.
func startMondIn(t *testing.T, ns *netnstest.NS, addr string) {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"mon.d", "alert.d", "log.d", "state.d"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cf := strings.ReplaceAll(`cfbasedir = @DIR@
statedir = @DIR@/state.d
logdir = @DIR@/log.d
alertdir = @DIR@/alert.d
mondir = @DIR@/mon.d
authfile = @DIR@/auth.cf

hostgroup web 127.0.0.1

watch web
    service http
        interval 1s
        monitor ok.monitor
        period wd {Sun-Sat}
            alert mail.alert root
`, "@DIR@", dir)
	for name, body := range map[string]string{"mon.cf": cf, "auth.cf": "list: all\n",
		"mon.d/ok.monitor": "#!/bin/sh\nexit 0\n", "alert.d/mail.alert": "#!/bin/sh\nexit 0\n"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	out, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := ns.Command(mondBin, "-c", filepath.Join(dir, "mon.cf"), "-P", filepath.Join(dir, "mon.pid"), "--metrics-listen", addr)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
}
