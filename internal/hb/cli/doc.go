// Package cli is heartbeatd's command line (cmd/heartbeatd runs Main): lvskit's
// heartbeat 3.0.6 (R1, "crm off") drop-in reads /etc/ha.d/ha.cf, authkeys and
// haresources unchanged, speaks heartbeat's UDP protocol (so it forms one cluster with a
// node still running the original), and runs the resource groups as heartbeat's
// ResourceManager does, with IPaddr and IPaddr2 built in.
//
//	heartbeatd [-f] [-d] [--node NAME]      run (in the background unless -f)
//	heartbeatd -k | -s                      stop the running daemon / report status
//	heartbeatd -r                           reload ha.cf and authkeys (= SIGHUP)
//	heartbeatd --check [-d DIR]             check a configuration as heartbeat would
//	heartbeatd standby|takeover [SHARE]     hb_standby / hb_takeover
//	heartbeatd cl_status SUBCOMMAND ...     cl_status (hbstatus, listnodes, nodetype,
//	                                        nodestatus, listhblinks, hblinkstatus,
//	                                        rscstatus, parameter)
//
// Called through a link named hb_standby, hb_takeover or cl_status it acts as that
// program. The running daemon answers those on a unix socket
// (/var/run/heartbeat/heartbeatd.sock, mode 0660: root and the socket's group; anyone
// else is told permission denied); --http ADDR adds an HTTP listener (Prometheus
// metrics, /healthz, /readyz, a JSON status; internal/hb/daemon documents them). Logs go to ha.cf's logfile, debugfile and logfacility in heartbeat's
// line format. internal/hb/core decides what the node does, internal/hb/daemon runs it.
//
// A reload (-r, or SIGHUP to the daemon) checks the files as --check does; with errors
// it reports them (file:line) and the running daemon changes nothing. Otherwise a new
// authkeys takes effect at once (signing with the new active key, verifying with every
// listed key) and so do new keepalive, warntime, deadtime, initdead and deadping; any
// other ha.cf change is refused with a log line saying a restart is needed (heartbeat
// 3.0.6 restarts itself for those, keeping its resources; heartbeatd does not). A
// reload never starts or stops a resource. With no daemon running, -r starts one, as
// heartbeat -r does.
package cli
