// Package metrics is what mond serves on its optional status listener (off unless
// --metrics-listen ADDR is given), through internal/statushttp: Prometheus metrics over
// the daemon's state, the readiness probe and a JSON status.
//
// # Endpoints
//
//	/metrics   the metrics below, lvskit_build_info{daemon="mond"} and the process_*
//	           and go_* collectors
//	/healthz   200 "ok" while mond serves HTTP
//	/readyz    200 "ready" when a configuration is loaded, the main loop steps and the
//	           scheduler runs; else 503 and the reason, e.g. "scheduler stopped by
//	           client command" after moncmd's stop (or mond -S) until start
//	/status    the JSON status below (also at /)
//
// Every scrape and every /status reads the daemon once (daemon.State: one copy of the
// services' states under the engine's lock) and builds its answer from that copy, so
// neither holds the engine while writing to the network.
//
// # Metrics
//
// Per service, labelled group and service (the watch and the service in mon.cf):
//
//	mond_service_up                            1 when opstatus is ok (1), else 0
//	mond_service_opstatus                      mon's numeric opstatus (0 fail, 1 ok,
//	                                           2 coldstart, 3 warmstart, 4 linkdown,
//	                                           5 unknown, 6 timeout, 7 untested,
//	                                           8 dependency, 9 warn)
//	mond_service_last_check_timestamp_seconds  Unix time the last check started (0: none)
//	mond_service_next_check_timestamp_seconds  Unix time the next check is due (0: the
//	                                           monitor runs, or the service has no
//	                                           interval)
//	mond_service_monitor_running               1 while the monitor runs
//	mond_service_disabled                      1 when the service or its watch is disabled
//	mond_service_acknowledged                  1 while its failure is acknowledged (ack)
//	mond_service_checks_total                  checks started: monitors run (or that
//	                                           could not be run), and checks failed at
//	                                           once because the monitor line cannot be run
//	mond_service_checks_late_total             checks started more than one second
//	                                           (sched.LateAfter) after the scheduler had
//	                                           them due; checks held back on purpose
//	                                           (scheduler stopped, exclude_period, a
//	                                           monitor dependency) or asked for by
//	                                           "test monitor" are not late
//	mond_service_failures_total                failed checks (mon's failure count)
//	mond_service_alerts_total                  alerts called, every kind but test alerts
//	                                           and redistribute (mon's alert count)
//	mond_service_upalerts_total                upalerts called (also in alerts_total)
//	mond_service_alert_failures_total          alert programs that could not be started,
//	                                           exited non-zero, or were killed (by
//	                                           --alert-timeout or a signal; not those
//	                                           killed because mond was stopping)
//	mond_service_monitor_timeouts_total        monitors killed by --monitor-timeout
//	mond_service_monitors_not_run_total        monitors mond could not start for want of
//	                                           its own resources (descriptors, processes,
//	                                           memory); the check is skipped
//
// The per-service counters count from mond's start or its last successful reset
// (SIGHUP, moncmd reset): a reset rebuilds mon's state, zeroing mon's own alert and
// failure counts as mon 1.3.6 does, and mond's counters start again with them. They
// only ever go up otherwise, so a reset is what Prometheus treats as a counter reset
// (rate() and increase() handle it); a refused reset keeps them.
//
// Global:
//
//	mond_services                              services watched
//	mond_services_failing                      services whose opstatus is a failure
//	                                           (fail, linkdown, timeout)
//	mond_scheduler_running                     0 after moncmd stop (or -S) until start
//	mond_client_connections                    client connections open (port 2583)
//	mond_config_reload_timestamp_seconds       Unix time the running configuration was
//	                                           installed (at start or by a reset)
//	mond_config_reloads_total{result}          resets since start: result "installed",
//	                                           or "refused" (the running configuration
//	                                           kept); never reset
//
// # JSON status
//
// /status is one object; every key is snake_case, every time an RFC 3339 string in
// UTC to the second ("2024-05-01T12:00:00Z") or null when there is none, every duration
// a number of seconds with the unit in its key:
//
//	daemon                  "mond"
//	version, commit         the build (as lvskit_build_info)
//	time                    when the status was taken
//	start_time              when mond started
//	config                  mon.cf's path
//	config_loaded           when the running configuration was installed
//	reloads, reloads_refused  resets since start, installed and refused
//	ready                   what /readyz says; not_ready is its reason (absent when ready)
//	scheduler_running       false after moncmd stop (or -S) until start
//	scheduler_stopped_since when it stopped (null while running)
//	client_connections      client connections open
//	services_failing        as mond_services_failing
//	services                the services in config order, each:
//	  group, service        the watch and the service
//	  opstatus              mon's numeric opstatus; opstatus_name its name (fail, ok,
//	                        coldstart, warmstart, linkdown, unknown, timeout, untested,
//	                        dependency, warn)
//	  last_check            when the last check started
//	  next_check            when the next one is due (null while the monitor runs)
//	  last_success, last_failure  the last successful and failed check (a success
//	                        clears last_failure, as in mon)
//	  last_summary          the first line of the last check's output
//	  interval_seconds      the check interval (failure_interval while failing)
//	  monitor_running, disabled, acked  booleans, as the metrics
//	  alerts, upalerts, alert_failures, failures, checks, checks_late,
//	  monitor_timeouts, monitors_not_run  the per-service counters above
package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lvskit/lvskit/internal/mon/daemon"
	"github.com/lvskit/lvskit/internal/mon/sched"
	"github.com/lvskit/lvskit/internal/statushttp"
)

// Daemon is what the listener reads: *daemon.Daemon.
type Daemon interface {
	State() daemon.State
	Ready() error
}

// Handler serves the package's endpoints for d; clients (nil: none) counts the client
// connections open; extra collectors (the IPVS table's, with --ipvs-metrics) are
// served beside mond's.
func Handler(d Daemon, clients func() int, extra ...prometheus.Collector) http.Handler {
	reg := statushttp.NewRegistry("mond")
	reg.MustRegister(NewCollector(d.State, clients))
	reg.MustRegister(extra...)
	return statushttp.Handler(statushttp.Options{
		Gatherer: reg,
		Ready:    d.Ready,
		Status:   func() any { return NewStatus(d.State(), d.Ready(), count(clients)) },
	})
}

func count(f func() int) int {
	if f == nil {
		return 0
	}
	return f()
}

var svcLabels = []string{"group", "service"}

type svcMetric struct {
	desc *prometheus.Desc
	typ  prometheus.ValueType
	val  func(i *sched.Info) float64
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func gauge(name, help string, val func(i *sched.Info) float64) svcMetric {
	return svcMetric{prometheus.NewDesc(name, help, svcLabels, nil), prometheus.GaugeValue, val}
}

func counter(name, help string, val func(i *sched.Info) int) svcMetric {
	return svcMetric{prometheus.NewDesc(name, help, svcLabels, nil), prometheus.CounterValue,
		func(i *sched.Info) float64 { return float64(val(i)) }}
}

const since = " since mond started or was last reset."

var svcMetrics = []svcMetric{
	gauge("mond_service_up", "1 when the service's last check succeeded (mon opstatus ok), else 0.",
		func(i *sched.Info) float64 { return b2f(i.OpStatus == sched.StatOK) }),
	gauge("mond_service_opstatus", "mon's numeric opstatus (0 fail, 1 ok, 2 coldstart, 3 warmstart, 4 linkdown, 5 unknown, 6 timeout, 7 untested, 8 dependency, 9 warn).",
		func(i *sched.Info) float64 { return float64(i.OpStatus) }),
	gauge("mond_service_last_check_timestamp_seconds", "Unix time the service's last check started (0: none yet).",
		func(i *sched.Info) float64 { return float64(i.LastCheck) }),
	gauge("mond_service_next_check_timestamp_seconds", "Unix time the service's next check is due (0 while its monitor runs or without an interval).",
		func(i *sched.Info) float64 { return float64(i.NextCheck) / 1e9 }),
	gauge("mond_service_monitor_running", "1 while the service's monitor runs.",
		func(i *sched.Info) float64 { return b2f(i.Running) }),
	gauge("mond_service_disabled", "1 when the service or its watch is disabled.",
		func(i *sched.Info) float64 { return b2f(i.Disabled) }),
	gauge("mond_service_acknowledged", "1 while the service's failure is acknowledged.",
		func(i *sched.Info) float64 { return b2f(i.Acked) }),
	counter("mond_service_checks_total", "Checks started for the service"+since,
		func(i *sched.Info) int { return i.Checks }),
	counter("mond_service_checks_late_total", "Checks started more than one second after they were due (checks held back by stop, exclude_period or a monitor dependency are not late)"+since,
		func(i *sched.Info) int { return i.Late }),
	counter("mond_service_failures_total", "Failed checks (mon's failure count)"+since,
		func(i *sched.Info) int { return i.Failures }),
	counter("mond_service_alerts_total", "Alerts called, every kind but test alerts (mon's alert count)"+since,
		func(i *sched.Info) int { return i.Alerts }),
	counter("mond_service_upalerts_total", "Upalerts called"+since,
		func(i *sched.Info) int { return i.UpAlerts }),
	counter("mond_service_alert_failures_total", "Alert programs that could not be started, exited non-zero or were killed (--alert-timeout, a signal)"+since,
		func(i *sched.Info) int { return i.AlertFailures }),
	counter("mond_service_monitor_timeouts_total", "Monitors killed by --monitor-timeout"+since,
		func(i *sched.Info) int { return i.MonitorTimeouts }),
	counter("mond_service_monitors_not_run_total", "Monitors mond could not start for want of its own resources (descriptors, processes, memory)"+since,
		func(i *sched.Info) int { return i.NotRun }),
}

var (
	servicesDesc = prometheus.NewDesc("mond_services", "Services watched.", nil, nil)
	failingDesc  = prometheus.NewDesc("mond_services_failing",
		"Services whose opstatus is a failure (fail, linkdown, timeout).", nil, nil)
	runningDesc = prometheus.NewDesc("mond_scheduler_running",
		"1 while the scheduler runs; 0 after the client command stop (or mond -S) until start.", nil, nil)
	clientsDesc = prometheus.NewDesc("mond_client_connections", "Client connections open on mon's client port.", nil, nil)
	loadedDesc  = prometheus.NewDesc("mond_config_reload_timestamp_seconds",
		"Unix time the running configuration was installed (at start or by a reset).", nil, nil)
	reloadsDesc = prometheus.NewDesc("mond_config_reloads_total",
		"Resets (SIGHUP, moncmd reset) since mond started, by result: installed, or refused with the running configuration kept.",
		[]string{"result"}, nil)
)

// Collector is mond's metrics over the daemon's state: each Collect takes one
// snapshot and emits constant metrics from it.
type Collector struct {
	state   func() daemon.State
	clients func() int
}

// NewCollector returns a collector reading state once per scrape; clients (nil: none)
// counts the client connections open.
func NewCollector(state func() daemon.State, clients func() int) *Collector {
	return &Collector{state: state, clients: clients}
}

// Describe sends every metric's description.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range svcMetrics {
		ch <- m.desc
	}
	for _, d := range []*prometheus.Desc{servicesDesc, failingDesc, runningDesc, clientsDesc, loadedDesc, reloadsDesc} {
		ch <- d
	}
}

// Collect sends the metrics of one snapshot.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	st := c.state()
	for _, m := range svcMetrics {
		for i := range st.Services {
			s := &st.Services[i]
			ch <- prometheus.MustNewConstMetric(m.desc, m.typ, m.val(s), s.Group, s.Service)
		}
	}
	ch <- prometheus.MustNewConstMetric(servicesDesc, prometheus.GaugeValue, float64(len(st.Services)))
	ch <- prometheus.MustNewConstMetric(failingDesc, prometheus.GaugeValue, float64(failing(st.Services)))
	ch <- prometheus.MustNewConstMetric(runningDesc, prometheus.GaugeValue, b2f(st.SchedulerRunning))
	ch <- prometheus.MustNewConstMetric(clientsDesc, prometheus.GaugeValue, float64(count(c.clients)))
	ch <- prometheus.MustNewConstMetric(loadedDesc, prometheus.GaugeValue, unixSeconds(st.ConfigLoaded))
	ch <- prometheus.MustNewConstMetric(reloadsDesc, prometheus.CounterValue, float64(st.Resets), "installed")
	ch <- prometheus.MustNewConstMetric(reloadsDesc, prometheus.CounterValue, float64(st.ResetsRefused), "refused")
}

func unixSeconds(t time.Time) float64 {
	if t.IsZero() {
		return 0
	}
	return float64(t.UnixNano()) / 1e9
}

func failing(l []sched.Info) int {
	n := 0
	for _, i := range l {
		if sched.IsFailure(i.OpStatus) {
			n++
		}
	}
	return n
}
