// Package daemon is heartbeatd's running daemon, around the decision core
// (internal/hb/core, which decides everything and does no I/O):
//
//   - run.go: Loop drives a Core from real channels (messages from the transport, ping
//     replies, the ends of group starts and stops, control requests) and a clock, and
//     publishes snapshots of it for queries.
//   - system.go: Open and Run wire it to the system: the state files and UDP media
//     (internal/hb/transport), ping nodes, the resource group executor with the built-in
//     IPaddr agents, the watchdog device, realtime scheduling.
//   - control.go: the control socket answering cl_status (clstatus.go), hb_standby and
//     hb_takeover, and its client, Query.
//   - status.go: the --http listener's JSON status and Prometheus metrics.
//   - reload.go: a re-read ha.cf and authkeys applied to the running daemon: keys and
//     timers in place, everything else refused as needing a restart, resources never
//     touched.
//   - log.go: heartbeat's log lines, to its logfile, debugfile and syslog.
package daemon
