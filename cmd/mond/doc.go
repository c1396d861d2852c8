// Command mond is a drop-in for mon 1.3.6: it reads the same mon.cf, runs the same
// monitor and alert programs the same way (or built-in monitors for the common scripts),
// and answers Debian's moncmd and monshow on TCP 2583.
//
// # Command line
//
// mon's options: -c config, -p port, -t trapport, -P pidfile, -L logdir, -D statedir,
// -a alertdir, -s mondir, -b basedir, -B cfbasedir, -A authfile, -m maxprocs, -k maxkeep,
// -r randstart, -S (start stopped), -l [disabled] (load saved state), -f (background),
// -d (log to stderr too), -O facility, -M [m4], -v, -h. mond adds:
//
//	--check FILE                 parse FILE as mon would, report errors (file:line), exit
//	--builtin-monitors MODE      auto (default), prefer or off — see below
//	--monitor-timeout DURATION   kill monitors running longer (mon has no limit; off)
//	--alert-timeout DURATION     kill alerts running longer, with their process group,
//	                             and log it (default 5m; 0: never, as mon). Not a mon.cf
//	                             keyword: mon 1.3.6 rejects unknown ones
//	--metrics-listen ADDR        HTTP status on ADDR (off by default): /metrics
//	                             (Prometheus), /healthz, /readyz, /status and / (JSON);
//	                             internal/mon/metrics documents every metric and key
//	--max-clients NUM            most concurrent clients on the client port (64)
//
// # Where mond departs from mon 1.3.6 on purpose (mond --help lists these too)
//
//   - A reset (SIGHUP, "moncmd reset", and "test config" and --check alike) keeps the
//     running configuration when the new mon.cf does not parse, is not a text file
//     (a control byte other than tab, CR, LF, VT, FF, ESC), or defines no watches
//     while the running one has some; the reason is logged. mon installs the last two
//     and silently watches nothing.
//   - The client port is bounded: lines of at most 8192 bytes ("520 line too long",
//     then the client is dropped), at most --max-clients clients ("520 too many
//     clients"), failed logins answered after a growing delay (0.5 s more per failure
//     of the connection, at most 4 s) and at most 5 a second over all clients. Accept
//     errors (out of descriptors) are retried with a growing pause up to 1 s, so the
//     port never dies. The status listener (--metrics-listen) serves at most 32
//     connections and drops clients that are slow to send.
//   - An ack of an unknown group or service is answered once ("520 unknown group" or
//     "520 unknown service"); mon answers a second time and creates the service.
//   - dep_memory works as the man page says: a dependency that failed within its
//     dep_memory still counts as failing after it recovers (its alerts held back with
//     dep_behavior a, its monitor with m, the hosts of its last failure's summary with
//     hm). mon 1.3.6 reads the time of the dependency's last failure but never records
//     it, so there dep_memory does nothing. Without dep_memory the two agree.
//
// # Built-in monitors and scripts of the same name
//
// ping.monitor, fping.monitor, tcp.monitor, telnet.monitor, http.monitor, smtp.monitor
// and dns.monitor (caching mode) are built in (internal/mon/monitors): same arguments,
// summary, detail and exit status as Debian's scripts, run inside mond without forking.
// The rule, with the default --builtin-monitors=auto: an executable file of that name
// in one of the mondir directories wins — mond then runs exactly what mon would run;
// the built-in is used only when no such program exists (a machine without perl or
// without mon's scripts). "prefer" uses the built-in even when the script exists;
// "off" never uses built-ins.
//
// # Traps
//
// mon's trap port (UDP, -t / trapport, default 2583) is served: traps as Mon::Client
// sends them, authenticated by auth.cf's trap section, alerting with -T; traptimeout
// (-O alerts) and trapduration are honoured, and a trap for an unknown group goes to
// the "default" watch with MON_TRAP_INTENDED set.
//
// # Behaviour kept from mon 1.3.6 (the program, where it differs from the man page)
//
//   - The first check of a service comes one interval after start (or at a random
//     point within randstart), not at start.
//   - Every failure alerts unless alertevery, alertafter or numalerts hold it back.
//   - An upalert is sent only for a period that sent a down alert (unless no_comp_alerts).
//   - upalertafter is accepted and has no effect (1.3.6 stores it per period but reads
//     it per service).
//   - A disabled service or watch still runs its monitor; only alerts are suppressed. A
//     disablealert is therefore never sent for "disable service".
//   - A monitor killed by a signal counts as success ($? >> 8 is 0).
//   - A monitor or alert line whose arguments have an unbalanced quote (or end in a lone
//     backslash) is accepted. perl's quotewords gives mon no words for it: the alert is
//     called without its configured arguments, and the monitor has no argv, so every
//     check fails with no output (mond starts nothing for it). mond logs why.
//   - The downtime log is written only with "dtlogging = yes".
//   - redistribute is called for every alert decision of the service, before the
//     disabled, dependency and ack checks: each failure, each success (as an upalert,
//     -u, whether or not a failure came before), the startup alert and a "disable
//     service" (-D, the user as stdin), with the alert arguments and the monitor's
//     output as stdin; it is neither counted nor logged as an alert.
//   - unack_summary (global, or "unack_summary yes" in a service; a bare one in a
//     service is rejected as in mon) drops the ack of a failure whose summary changes,
//     so it alerts again; it is about alerts, not listings.
//   - alertexitrange limits a period's failure alerts (not up, startup or ack alerts)
//     to monitor exit values in its range; alerts_dont_count only leaves the period's
//     alerts out of "list opstatus"'s alerts_sent.
//   - Monitors get MON_GROUP, MON_SERVICE, MON_LAST_SUMMARY, MON_LAST_OUTPUT,
//     MON_LAST_FAILURE, MON_FIRST_FAILURE, MON_LAST_SUCCESS (once set), MON_DEPEND_STATUS
//     (once a dependency was evaluated), MON_DESCRIPTION (when set), MON_STATEDIR,
//     MON_LOGDIR and MON_CFBASEDIR, and the service's own variables; alerts get those
//     but MON_DEPEND_STATUS, plus MON_RETVAL, MON_OPSTATUS, MON_ALERTTYPE, MON_ACK (an
//     ack'd failure) and MON_TRAP_INTENDED, and MON_FIRST_SUCCESS, always empty.
//   - monerrfile applies to -f only: the background mond appends its stdout and stderr
//     to it after a "Mon starting at" line, and the alerts' output goes there (their
//     standard error once they end). A monitor's standard error is part of its output.
//
// mond schedules checks exactly one interval apart (mon's one-second loop lets them
// drift), which changes timing, not the sequence of alerts.
//
// # Monitors and alerts as processes (where mond is stricter than mon)
//
// Each monitor and alert runs in its own process group. On SIGTERM mond kills every
// running one with its group and waits (at most 3 s) for them, so none outlives it. Of
// a monitor's output the first 64 KiB are kept (summary, detail, the alerts' stdin and
// MON_LAST_OUTPUT, which Linux refuses to exec beyond 128 KiB); the rest is read and
// dropped, noted once in the log. An alert that exits non-zero or is killed is logged
// with its first lines of standard error. A monitor mond cannot start for want of its
// own resources (descriptors, processes, memory: EMFILE, ENFILE, EAGAIN, ENOMEM) is
// logged and its check skipped; the service's state is unchanged (mon, whose fork
// fails the same way, does likewise). A monitor that does not exist or cannot be
// executed still fails as in mon. An alert mond cannot start for want of its own
// resources is tried again 1 s later, then after waits doubling to 30 s, until it
// starts or mond stops (mon loses it: lvs.alert not run leaves a dead real server in
// IPVS, or a live one out); a service's alerts start one after another in the order
// they were called, so its later alerts wait behind such an alert (16 at most, the
// oldest dropped first, logged).
//
// # Not implemented (rejected with an error, or reported)
//
//   - monremote (rejected), authtype pam (rejected by the parser), getpwnam and shadow
//     logins (refused with a logged reason: use userfile), and userfile hashes other
//     than DES, $1$, $5$ and $6$ (yescrypt $y$, bcrypt $2b$, Apache $apr1$ — the last
//     one fails in mon too).
//   - The "set"/"get" client commands for service variables (only maxkeep), and
//     "savestate"/"loadstate" of opstatus (only the disabled state).
//   - dns.monitor's zone mode as a built-in (the script is used when present).
//   - fping.monitor -T (traceroute) as a built-in.
package main
