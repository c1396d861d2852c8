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
//   - status.go: the --http listener (internal/statushttp's endpoints): Prometheus
//     metrics from a Collector over one snapshot per scrape, /readyz from Ready, and
//     the JSON status.
//   - reload.go: a re-read ha.cf and authkeys applied to the running daemon: keys and
//     timers in place, everything else refused as needing a restart, resources never
//     touched.
//   - log.go: heartbeat's log lines, to its logfile, debugfile and syslog.
//
// # The --http listener
//
// /metrics exports, beside lvskit_build_info and the process_* and go_* collectors:
//
//	heartbeat_node_up{node,type}                 1 if the node (this one, the peer, a ping node) is alive
//	heartbeat_node_status{node,type,status}      1 for the node's status, 0 for its other ones
//	                                             (normal: init, up, active, dead; ping: ping, dead)
//	heartbeat_link_up{node,link}                 1 if the link to the peer is up
//	heartbeat_local_status{status}               1 for this node's status (init, up, active)
//	heartbeat_member                             1 when this node has joined the cluster (= /readyz)
//	heartbeat_resource_status{status}            1 for cl_status rscstatus (none, local, foreign, all, transition)
//	heartbeat_resource_group_running{group}      1 if this node runs the group
//	heartbeat_ping_nodes, heartbeat_ping_nodes_up  ping nodes configured, answering
//	heartbeat_last_state_change_timestamp_seconds  when the node's view last changed
//	                                             (seconds since: time() - it)
//	heartbeat_takeovers_total{group}             starts of the group that succeeded here
//	heartbeat_releases_total{group}              stops of the group that succeeded here
//	heartbeat_failed_starts_total{group}         starts of the group that failed here
//	heartbeat_dual_active_total{group}           peer announcements claiming a group this node runs
//	heartbeat_failed_stops_total, heartbeat_node_deaths_total, heartbeat_late_heartbeats_total,
//	heartbeat_messages_sent_total, heartbeat_send_errors_total, heartbeat_messages_received_total,
//	heartbeat_messages_received_by_type_total{type}
//
// A state is one series per possible value, 1 for the current one, so a dashboard
// selects it (heartbeat_node_status{node="lvs2",status="active"} == 1) and a series
// never changes its labels.
//
// /readyz is 200 once the node is a member (status active, initial resource
// negotiation over), else 503 with why: starting, resources not yet settled, cut off,
// shutting down. /healthz is 200 while the process serves.
//
// /status (and /) is a core.Snapshot in JSON; its field comments document every key.
// Keys are snake_case: node, status, rscstatus, member, negotiated, cut_off,
// stop_failed, shutting_down, nodes[] (name, type, status, links[] (name, status)),
// running_groups, groups, ping_nodes_up, counters (sent, send_errors, received,
// received_by_type[] (type, count), late_heartbeats, node_deaths, failed_stops,
// groups[] (group, takeovers, releases, failed_starts, dual_active)), parameters
// (cl_status hbparameter's names), last_state_change (RFC 3339, UTC).
package daemon
