package main

// usage is mond --help: mon's options, mond's own, and where mond departs from mon
// 1.3.6 on purpose (doc.go says more).
const usage = `usage: mond [options]

mon 1.3.6's options:
  -a, --alertdir DIR        alert directories (colon-separated)
  -A, --authfile FILE       auth.cf
  -b, --basedir DIR         base directory
  -B, --cfbasedir DIR       config base directory
  -c, --configfile FILE     mon.cf (default CFBASEDIR/mon.cf, /etc/mon/mon.cf)
  -d, --debug               log to stderr too, stay in the foreground
  -D, --statedir DIR        state directory
  -f, --fork                run in the background
  -h, --help                this text
  -i, --sleep SECS          accepted; mond's scheduler granularity is always 1 s
  -k, --maxkeep NUM         alert and failure history length
  -l, --loadstate [TYPE]    load saved state (disabled)
  -L, --logdir DIR          log directory
  -M, --m4 [PATH]           preprocess mon.cf with m4
  -m, --maxprocs NUM        most monitors running at once
  -O, --syslogfacility FAC  syslog facility
  -p, --port NUM            client port (2583)
  -P, --pidfile FILE        pid file
  -r, --randstart TIME      spread the first checks over TIME (e.g. 30s)
  -S, --stopped             start with the scheduler stopped
  -s, --scriptdir DIR       monitor directories (colon-separated)
  -t, --trapport NUM        trap port (2583)
  -v, --version             print the version (mon's release line; --version adds
                            lvskit's build on a second line)

mond's own:
  --check FILE                  check FILE as a reset would (file:line errors), exit
  --builtin-monitors MODE       auto (default): a script in mondir wins over mond's
                                built-in of the same name; prefer: the built-in wins;
                                off: never use built-ins
  --monitor-timeout DURATION    kill monitors running longer (default 0: never, as mon)
  --alert-timeout DURATION      kill alerts running longer, with their process group
                                (default 5m; 0: never, as mon)
  --max-clients NUM             most concurrent clients on the client port (64)
  --metrics-listen ADDR         HTTP status on ADDR (e.g. 127.0.0.1:9583; off):
                                /metrics Prometheus mond_* metrics, /healthz,
                                /readyz (503 while the scheduler is stopped),
                                /status and / JSON status (snake_case keys)
  --ipvs-metrics                with --metrics-listen, /metrics also has this host's
                                IPVS table (lvskit_ipvs_*, as ipvsadm -Ln; for
                                directors without heartbeatd)

Where mond departs from mon 1.3.6 on purpose:
  - A reset (SIGHUP, "moncmd reset") keeps the running configuration when the new
    mon.cf does not parse, is not a text file, or defines no watches while the running
    one has watches; the reason is logged. mon installs the last two.
  - The client port bounds its clients: a command line longer than 8192 bytes is
    answered "520 line too long" and the client dropped; a client beyond --max-clients
    is answered "520 too many clients" and dropped, unless a client that never
    logged in has been quiet for a second: that one is dropped instead (and
    --max-clients is kept below half of mond's descriptor limit); a failed login is answered after a
    growing delay, at most 5 a second over all clients. mon has no such limits.
  - A monitor that mond could not start for lack of resources (descriptors,
    processes, memory), or a built-in monitor that failed while mond could not open a
    socket, is logged as mond's problem and its check skipped, not counted as a
    failure of the service. An alert mond could not start so is tried again 1 s
    later, then after waits doubling to 30 s, until it starts or mond stops (mon
    loses it); a service's alerts always start in the order they were called, its
    later ones waiting behind such an alert (at most 16 wait; the oldest go first).
  - On SIGTERM mond kills the running monitors and alerts with their process groups.
  - A monitor's output past 64 KiB is read and dropped (bounded memory; mon passes
    the output to the next run's environment, where the kernel refuses more than
    128 KiB); an alert's non-zero exit and its standard error are logged.
  - dep_memory keeps a recovered dependency failing for that long, as mon's man page
    says (mon 1.3.6 never records the failure time it needs: there it does nothing).
  - Not implemented: monremote; "set"/"get" of service variables (only maxkeep);
    savestate/loadstate of anything but the disabled state.
`
