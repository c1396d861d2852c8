package mond

import (
	"fmt"
	"io"
	"log/syslog"
)

// newLogger logs to syslog (ident "mon", as mon does) and, with -d, to stderr too.
func newLogger(facility string, debug bool, stderr io.Writer) func(prio, msg string) {
	fac := map[string]syslog.Priority{"daemon": syslog.LOG_DAEMON, "local0": syslog.LOG_LOCAL0, "local1": syslog.LOG_LOCAL1,
		"local2": syslog.LOG_LOCAL2, "local3": syslog.LOG_LOCAL3, "local4": syslog.LOG_LOCAL4, "local5": syslog.LOG_LOCAL5,
		"local6": syslog.LOG_LOCAL6, "local7": syslog.LOG_LOCAL7, "user": syslog.LOG_USER}[facility]
	if fac == 0 {
		fac = syslog.LOG_DAEMON
	}
	w, _ := syslog.New(fac|syslog.LOG_INFO, "mon")
	return func(prio, msg string) {
		if debug {
			fmt.Fprintf(stderr, "%s: %s\n", prio, msg)
		}
		if w == nil {
			return
		}
		switch prio {
		case "crit":
			w.Crit(msg)
		case "err":
			w.Err(msg)
		case "alert":
			w.Alert(msg)
		case "warning":
			w.Warning(msg)
		case "notice":
			w.Notice(msg)
		case "debug":
			w.Debug(msg)
		default:
			w.Info(msg)
		}
	}
}
