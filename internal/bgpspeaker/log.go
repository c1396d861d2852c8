package bgpspeaker

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	gobgplog "github.com/osrg/gobgp/v3/pkg/log"
)

// logger routes GoBGP's log to ours at info and warning only: GoBGP's debug level
// logs every message of every session, and its errors are a peer's problems (a
// refused connection, a bad OPEN) that the daemon reports as warnings and survives;
// Panic and Fatal do as GoBGP expects of them after logging.
type logger struct{ logf func(level, msg string) }

func newLogger(logf func(level, msg string)) *logger {
	if logf == nil {
		logf = func(string, string) {}
	}
	return &logger{logf}
}

func format(msg string, f gobgplog.Fields) string {
	var b strings.Builder
	b.WriteString("gobgp: ")
	b.WriteString(msg)
	for _, k := range slices.Sorted(maps.Keys(f)) {
		if k == gobgplog.FieldFacility {
			continue
		}
		fmt.Fprintf(&b, " %s=%v", k, f[k])
	}
	return b.String()
}

func (l *logger) Panic(msg string, f gobgplog.Fields) {
	l.logf("warning", format(msg, f))
	panic(msg)
}

func (l *logger) Fatal(msg string, f gobgplog.Fields) {
	l.logf("warning", format(msg, f))
	panic("gobgp: fatal: " + msg)
}

func (l *logger) Error(msg string, f gobgplog.Fields) { l.logf("warning", format(msg, f)) }
func (l *logger) Warn(msg string, f gobgplog.Fields)  { l.logf("warning", format(msg, f)) }
func (l *logger) Info(msg string, f gobgplog.Fields)  { l.logf("info", format(msg, f)) }
func (l *logger) Debug(string, gobgplog.Fields)       {}

func (l *logger) SetLevel(gobgplog.LogLevel)  {}
func (l *logger) GetLevel() gobgplog.LogLevel { return gobgplog.InfoLevel }
