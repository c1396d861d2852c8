package metrics

import (
	"encoding/json"
	"time"

	"github.com/lvskit/lvskit/internal/buildinfo"
	"github.com/lvskit/lvskit/internal/mon/daemon"
)

// Status is mond's JSON status; the package doc describes every key.
type Status struct {
	Daemon                string    `json:"daemon"`
	Version               string    `json:"version"`
	Commit                string    `json:"commit"`
	Time                  Time      `json:"time"`
	StartTime             Time      `json:"start_time"`
	Config                string    `json:"config"`
	ConfigLoaded          Time      `json:"config_loaded"`
	Reloads               int64     `json:"reloads"`
	ReloadsRefused        int64     `json:"reloads_refused"`
	Ready                 bool      `json:"ready"`
	NotReady              string    `json:"not_ready,omitempty"`
	SchedulerRunning      bool      `json:"scheduler_running"`
	SchedulerStoppedSince Time      `json:"scheduler_stopped_since"`
	ClientConnections     int       `json:"client_connections"`
	ServicesFailing       int       `json:"services_failing"`
	Services              []Service `json:"services"`
}

// Service is one service in Status.
type Service struct {
	Group           string `json:"group"`
	Service         string `json:"service"`
	OpStatus        int    `json:"opstatus"`
	OpStatusName    string `json:"opstatus_name"`
	LastCheck       Time   `json:"last_check"`
	NextCheck       Time   `json:"next_check"`
	LastSuccess     Time   `json:"last_success"`
	LastFailure     Time   `json:"last_failure"`
	LastSummary     string `json:"last_summary"`
	IntervalSeconds int64  `json:"interval_seconds"`
	MonitorRunning  bool   `json:"monitor_running"`
	Disabled        bool   `json:"disabled"`
	Acked           bool   `json:"acked"`
	Alerts          int    `json:"alerts"`
	UpAlerts        int    `json:"upalerts"`
	AlertFailures   int    `json:"alert_failures"`
	Failures        int    `json:"failures"`
	Checks          int    `json:"checks"`
	ChecksLate      int    `json:"checks_late"`
	MonitorTimeouts int    `json:"monitor_timeouts"`
	MonitorsNotRun  int    `json:"monitors_not_run"`
}

// Time is a time in the status: an RFC 3339 string in UTC to the second, or null for
// the zero time (none).
type Time time.Time

// MarshalJSON writes t as the package doc says.
func (t Time) MarshalJSON() ([]byte, error) {
	if time.Time(t).IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(time.Time(t).UTC().Truncate(time.Second).Format(time.RFC3339))
}

func unix(sec int64) Time {
	if sec == 0 {
		return Time{}
	}
	return Time(time.Unix(sec, 0))
}

// opStatusNames are mon's names of the opstatus values.
var opStatusNames = []string{"fail", "ok", "coldstart", "warmstart", "linkdown", "unknown", "timeout", "untested", "dependency", "warn"}

// OpStatusName is mon's name for an opstatus ("" for one mon does not have).
func OpStatusName(s int) string {
	if s < 0 || s >= len(opStatusNames) {
		return ""
	}
	return opStatusNames[s]
}

// NewStatus builds the status of a snapshot; ready is the daemon's readiness.
func NewStatus(st daemon.State, ready error, clients int) Status {
	s := Status{Daemon: "mond", Version: buildinfo.Version, Commit: buildinfo.Commit(), Time: Time(st.Now),
		StartTime: Time(st.Started), Config: st.ConfigPath, ConfigLoaded: Time(st.ConfigLoaded),
		Reloads: st.Resets, ReloadsRefused: st.ResetsRefused, Ready: ready == nil,
		SchedulerRunning: st.SchedulerRunning, SchedulerStoppedSince: Time(st.StoppedSince),
		ClientConnections: clients, ServicesFailing: failing(st.Services), Services: []Service{}}
	if ready != nil {
		s.NotReady = ready.Error()
	}
	for _, i := range st.Services {
		next := Time{}
		if i.NextCheck != 0 {
			next = Time(time.Unix(0, i.NextCheck))
		}
		s.Services = append(s.Services, Service{Group: i.Group, Service: i.Service, OpStatus: i.OpStatus,
			OpStatusName: OpStatusName(i.OpStatus), LastCheck: unix(i.LastCheck), NextCheck: next,
			LastSuccess: unix(i.LastSuccess), LastFailure: unix(i.LastFailure), LastSummary: i.LastSummary,
			IntervalSeconds: i.Interval, MonitorRunning: i.Running, Disabled: i.Disabled, Acked: i.Acked,
			Alerts: i.Alerts, UpAlerts: i.UpAlerts, AlertFailures: i.AlertFailures, Failures: i.Failures,
			Checks: i.Checks, ChecksLate: i.Late, MonitorTimeouts: i.MonitorTimeouts, MonitorsNotRun: i.NotRun})
	}
	return s
}
