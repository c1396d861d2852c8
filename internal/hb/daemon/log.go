package daemon

import (
	"fmt"
	"io"
	"log/syslog"
	"os"
	"strings"
	"sync"
	"time"
)

// FileLogger writes heartbeat 3.0.6's log lines:
//
//	heartbeat[1234]: 2026/11/25_08:30:00 info: Link lvs2:eth0 up.
//
// to logfile (every level but debug), debugfile (everything) and syslog under
// logfacility, as ha.cf configures them; with none configured, to Fallback (stderr when
// running in the foreground), as heartbeat does without a log destination.
type FileLogger struct {
	Prog     string // "heartbeat", so existing log watchers keep matching
	Debug    int    // debug level; debug lines are written only when > 0
	Fallback io.Writer

	mu        sync.Mutex
	logfile   *os.File
	debugfile *os.File
	sys       *syslog.Writer
	now       func() time.Time
}

// OpenLogger opens the destinations; empty names are skipped, facility "none" or ""
// means no syslog.
func OpenLogger(logfile, debugfile, facility string, debug int, fallback io.Writer) (*FileLogger, error) {
	l := &FileLogger{Prog: "heartbeat", Debug: debug, Fallback: fallback, now: time.Now}
	open := func(p string) (*os.File, error) {
		return os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	}
	var err error
	if logfile != "" && logfile != "/dev/null" {
		if l.logfile, err = open(logfile); err != nil {
			return nil, fmt.Errorf("logfile: %w", err)
		}
	}
	if debugfile != "" && debugfile != "/dev/null" {
		if l.debugfile, err = open(debugfile); err != nil {
			l.Close()
			return nil, fmt.Errorf("debugfile: %w", err)
		}
	}
	if facility != "" && facility != "none" {
		if p, ok := facilities[facility]; ok {
			// A missing syslog daemon is not fatal: heartbeat keeps running too.
			l.sys, _ = syslog.New(p|syslog.LOG_INFO, "heartbeat")
		}
	}
	return l, nil
}

var facilities = map[string]syslog.Priority{
	"kern": syslog.LOG_KERN, "user": syslog.LOG_USER, "mail": syslog.LOG_MAIL, "daemon": syslog.LOG_DAEMON,
	"auth": syslog.LOG_AUTH, "syslog": syslog.LOG_SYSLOG, "lpr": syslog.LOG_LPR, "news": syslog.LOG_NEWS,
	"uucp": syslog.LOG_UUCP, "cron": syslog.LOG_CRON, "authpriv": syslog.LOG_AUTHPRIV, "ftp": syslog.LOG_FTP,
	"local0": syslog.LOG_LOCAL0, "local1": syslog.LOG_LOCAL1, "local2": syslog.LOG_LOCAL2, "local3": syslog.LOG_LOCAL3,
	"local4": syslog.LOG_LOCAL4, "local5": syslog.LOG_LOCAL5, "local6": syslog.LOG_LOCAL6, "local7": syslog.LOG_LOCAL7,
}

// Format is one log line in heartbeat's format.
func Format(prog string, pid int, t time.Time, level, msg string) string {
	return fmt.Sprintf("%s[%d]: %s %s: %s\n", prog, pid, t.Format("2006/01/02_15:04:05"), level, strings.TrimRight(msg, "\n"))
}

// Logf writes one line.
func (l *FileLogger) Logf(level, format string, args ...any) {
	l.LogPidf(os.Getpid(), level, format, args...)
}

// LogPidf writes one line under another pid: heartbeat's forked children log their own
// lines before they exec (respawn.PidLogger).
func (l *FileLogger) LogPidf(pid int, level, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	debug := level == "debug"
	if debug && l.Debug <= 0 {
		return
	}
	line := Format(l.Prog, pid, l.now(), level, msg)
	l.mu.Lock()
	defer l.mu.Unlock()
	wrote := false
	if l.debugfile != nil {
		_, _ = l.debugfile.WriteString(line)
		wrote = true
	}
	if !debug && l.logfile != nil {
		_, _ = l.logfile.WriteString(line)
		wrote = true
	}
	if l.sys != nil {
		wrote = true
		text := level + ": " + msg
		switch level {
		case "CRIT":
			_ = l.sys.Crit(text)
		case "ERROR":
			_ = l.sys.Err(text)
		case "WARN":
			_ = l.sys.Warning(text)
		case "debug":
			_ = l.sys.Debug(text)
		default:
			_ = l.sys.Info(text)
		}
	}
	if !wrote && l.Fallback != nil {
		_, _ = io.WriteString(l.Fallback, line)
	}
}

// Close closes the files.
func (l *FileLogger) Close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, f := range []*os.File{l.logfile, l.debugfile} {
		if f != nil {
			f.Close()
		}
	}
	if l.sys != nil {
		l.sys.Close()
	}
}
