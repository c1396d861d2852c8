package examples_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lvskit/lvskit/internal/hb/daemon"
	"github.com/lvskit/lvskit/internal/ipvsmetrics"
	"github.com/lvskit/lvskit/internal/mon/metrics"
	"github.com/lvskit/lvskit/internal/statushttp"
	"github.com/lvskit/lvskit/internal/statushttp/statushttptest"
)

const dashboard = "grafana/lvskit-directors.json"

// exported returns every metric name the daemons' listeners can export: the
// collectors' descriptions (whatever the state, so series that appear only with
// services or groups count) and what the shared registry gathers.
func exported(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	for _, c := range []prometheus.Collector{metrics.NewCollector(nil, nil), daemon.NewCollector(nil), ipvsmetrics.New(nil, 0)} {
		ch := make(chan *prometheus.Desc, 256)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			m := fq.FindStringSubmatch(d.String())
			if m == nil {
				t.Fatalf("no fqName in %s", d)
			}
			names[m[1]] = true
		}
	}
	mfs, err := statushttp.NewRegistry("test").Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		names[mf.GetName()] = true
	}
	return names
}

// exprs returns every PromQL expression of the dashboard (panel targets,
// annotations, template queries), keyed by where it is.
func exprs(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile(dashboard)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", dashboard, err)
	}
	out := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if s, ok := e.(string); ok && (k == "expr" || (k == "query" && strings.Contains(s, "("))) {
					out[path+"."+k] = s
				}
				walk(path+"."+k, e)
			}
		case []any:
			for i, e := range v {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		}
	}
	walk("", v)
	return out
}

var (
	promqlStrings   = regexp.MustCompile(`"(\\.|[^"\\])*"|'(\\.|[^'\\])*'`)
	promqlMatchers  = regexp.MustCompile(`\{[^}]*\}|\[[^\]]*\]`)
	promqlGrouping  = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promqlIdent     = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*(\s*\()?`)
	promqlKeywords  = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "inf": true, "nan": true}
	grafanaVariable = regexp.MustCompile(`\$\{?\w+\}?`)
)

// metricNames returns the metric names an expression selects: identifiers that are
// not functions, keywords, label names or Grafana variables.
func metricNames(expr string) []string {
	e := promqlStrings.ReplaceAllString(expr, `""`)
	e = grafanaVariable.ReplaceAllString(e, "")
	e = promqlMatchers.ReplaceAllString(e, " ")
	e = promqlGrouping.ReplaceAllString(e, " ")
	// label_values(metric, label): the label is not a metric.
	e = regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*\w+\s*\)`).ReplaceAllString(e, "$1")
	var names []string
	for _, m := range promqlIdent.FindAllString(e, -1) {
		if strings.HasSuffix(m, "(") || promqlKeywords[m] {
			continue
		}
		names = append(names, m)
	}
	return names
}

func TestMetricNamesOfExpressions(t *testing.T) {
	for expr, want := range map[string]string{
		`sum by (instance, group) (increase(heartbeat_takeovers_total{instance=~"$instance"}[$__rate_interval]))`: "heartbeat_takeovers_total",
		`time() - heartbeat_last_state_change_timestamp_seconds{instance=~"a"}`:                                   "heartbeat_last_state_change_timestamp_seconds",
		`max by (a) (x_weight{b="c"} > bool 0) or on (d) y_total`:                                                 "x_weight y_total",
		`label_values(lvskit_build_info, instance)`:                                                               "lvskit_build_info",
	} {
		if got := strings.Join(metricNames(expr), " "); got != want {
			t.Errorf("metricNames(%q) = %q, want %q", expr, got, want)
		}
	}
}

// TestDashboard: every query of the Grafana dashboard names only metrics the daemons
// export, is valid PromQL (promtool checks it as a recording rule), and the dashboard
// covers what a pair of directors needs: the VIP's holder, failovers, real servers
// in and out, connection rates.
func TestDashboard(t *testing.T) {
	have := exported(t)
	all := exprs(t)
	if len(all) < 10 {
		t.Fatalf("%d queries in %s; the dashboard lost its panels?", len(all), dashboard)
	}
	used := map[string]bool{}
	var rules strings.Builder
	rules.WriteString("groups:\n- name: dashboard\n  rules:\n")
	keys := make([]string, 0, len(all))
	for k := range all {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, where := range keys {
		expr := all[where]
		names := metricNames(expr)
		if len(names) == 0 {
			t.Errorf("%s: %q names no metric", where, expr)
		}
		for _, n := range names {
			used[n] = true
			if !have[n] {
				t.Errorf("%s: %q: metric %s is not exported by mond, heartbeatd or the IPVS collector", where, expr, n)
			}
		}
		// Grafana's variables, as Grafana would substitute them.
		e := strings.NewReplacer("$__rate_interval", "1m", "$__range", "1h", "$__interval", "30s", "$instance", ".*").Replace(expr)
		e = strings.ReplaceAll(e, "label_values(lvskit_build_info, instance)", "lvskit_build_info")
		j, _ := json.Marshal(e)
		fmt.Fprintf(&rules, "  - record: dashboard:q%d\n    expr: %s\n", i, j)
	}
	for _, n := range []string{"heartbeat_resource_group_running", "heartbeat_takeovers_total", "lvskit_ipvs_real_server_weight",
		"mond_service_up", "lvskit_ipvs_service_connections_total"} {
		if !used[n] {
			t.Errorf("the dashboard does not show %s", n)
		}
	}
	f := filepath.Join(t.TempDir(), "rules.yml")
	if err := os.WriteFile(f, []byte(rules.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(statushttptest.Promtool(t), "check", "rules", f).CombinedOutput(); err != nil {
		t.Errorf("promtool check rules (the dashboard's queries): %v\n%s\n%s", err, out, rules.String())
	}
}
