// Package metrics is mond's optional Prometheus endpoint (off unless --metrics-listen is
// given): per-service status, last check time and alert and failure counts, in the plain
// text exposition format, written by hand to keep mond free of dependencies.
package metrics

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/lvskit/lvskit/internal/mon/sched"
)

// Write renders the metrics for infos.
func Write(w io.Writer, infos []sched.Info) {
	type metric struct {
		name, help, typ string
		val             func(sched.Info) string
	}
	b2s := func(b bool) string {
		if b {
			return "1"
		}
		return "0"
	}
	ms := []metric{
		{"mond_service_up", "1 when the service's last check succeeded (mon opstatus ok).", "gauge",
			func(i sched.Info) string { return b2s(i.OpStatus == sched.StatOK) }},
		{"mond_service_opstatus", "mon's numeric opstatus (0 fail, 1 ok, 7 untested, ...).", "gauge",
			func(i sched.Info) string { return fmt.Sprint(i.OpStatus) }},
		{"mond_service_last_check_timestamp_seconds", "Unix time the last check started (0: never).", "gauge",
			func(i sched.Info) string { return fmt.Sprint(i.LastCheck) }},
		{"mond_service_alerts_total", "Alerts sent for the service since start or reset.", "counter",
			func(i sched.Info) string { return fmt.Sprint(i.Alerts) }},
		{"mond_service_failures_total", "Failed checks since start or reset.", "counter",
			func(i sched.Info) string { return fmt.Sprint(i.Failures) }},
		{"mond_service_monitor_running", "1 while the service's monitor runs.", "gauge",
			func(i sched.Info) string { return b2s(i.Running) }},
	}
	for _, m := range ms {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", m.name, m.help, m.name, m.typ)
		for _, i := range infos {
			fmt.Fprintf(w, "%s{group=\"%s\",service=\"%s\"} %s\n", m.name, esc(i.Group), esc(i.Service), m.val(i))
		}
	}
}

func esc(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s)
}

// Handler serves /metrics from infos().
func Handler(infos func() []sched.Info) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		Write(w, infos())
	})
}
