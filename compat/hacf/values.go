package hacf

import (
	"math"
	"strings"
	"time"
)

// numChars are the characters heartbeat's time reader takes as the number part.
const numChars = "0123456789."

// MaxTime bounds every time in ha.cf (keepalive, deadtime, warntime, initdead, deadping,
// conn_logd_time, max_rexmit_delay). heartbeat 3.0.6 has no bound of its own: it keeps
// times as C longs of milliseconds, hands them to glib timers as 32-bit milliseconds
// (wrapping silently past 49.7 days) and turns a number past 2^63 ms into LONG_MIN. A day
// is far beyond any working heartbeat timing (its ha.cf documents keepalive 2, deadtime
// 30, initdead 120) and keeps every derived time (2×keepalive, deadlines, time.Duration
// nanoseconds) clear of overflow.
const MaxTime = 24 * time.Hour

// ParseTime reads a time value the way heartbeat 3.0.6 does: a number of seconds, or of
// milliseconds with an "ms"/"msec" suffix, or of microseconds with "us"/"usec", rounded to
// the nearest millisecond. It reports false where heartbeat's reader returns its error
// value, and for a time above MaxTime; callers apply the directive's own range check on
// top.
func ParseTime(s string) (time.Duration, bool) {
	ms, ok := readMillis(s)
	if !ok || ms > float64(MaxTime/time.Millisecond) {
		return 0, false
	}
	return time.Duration(ms) * time.Millisecond, true
}

// readMillis is heartbeat's time reader (cl_get_msec) up to its final conversion to a
// C long: the value in milliseconds, already rounded down after adding 0.5, as a float so
// that huge values are seen rather than wrapped.
func readMillis(s string) (float64, bool) {
	s = strings.TrimLeft(s, " \t\n\r\f")
	if s == "" || !strings.ContainsRune(numChars, rune(s[0])) {
		return 0, false
	}
	n := 0
	for n < len(s) && strings.IndexByte(numChars, s[n]) >= 0 {
		n++
	}
	units := strings.TrimLeft(s[n:], " \t\n\r\f")
	mult, div := 1000.0, 1.0
	switch {
	case hasPrefixFold(units, "ms"):
		mult = 1
	case hasPrefixFold(units, "us"):
		mult, div = 1, 1000
	case units != "":
		return 0, false
	}
	return math.Floor(atof(s[:n])*mult/div + 0.5), true
}

// hbLongMax is where heartbeat's conversion of a time to a C long overflows: from there
// on x86-64 yields LONG_MIN, which every heartbeat time setter refuses as negative.
const hbLongMax = 1 << 63

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// atof reads the longest leading decimal number (digits, one dot, digits) of s as C's
// atof does for the characters ParseTime passes it; "1.5.3" is 1.5 and "." is 0.
func atof(s string) float64 {
	var v, scale float64 = 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if scale == 0 {
				v = v*10 + float64(c-'0')
			} else {
				v += float64(c-'0') * scale
				scale /= 10
			}
		case c == '.' && scale == 0:
			scale = 0.1
		default:
			return v
		}
	}
	return v
}

// atoi is C's atoi: optional blanks and sign, then digits; anything else stops it, and no
// digits at all is 0. heartbeat reads hopfudge, debug, udpport and friends this way, so
// "debug abc" is debug 0.
func atoi(s string) int64 {
	s = strings.TrimLeft(s, " \t\n\r\f\v")
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg = s[0] == '-'
		s = s[1:]
	}
	var v int64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if v < 1<<40 { // saturate instead of overflowing; every range check fails anyway
			v = v*10 + int64(s[i]-'0')
		}
	}
	if neg {
		return -v
	}
	return v
}

// ParseBool reads a boolean as heartbeat does: true, on, yes, y, 1 and false, off, no,
// n, 0, in any case.
func ParseBool(s string) (value, ok bool) {
	switch strings.ToLower(s) {
	case "true", "on", "yes", "y", "1":
		return true, true
	case "false", "off", "no", "n", "0":
		return false, true
	}
	return false, false
}

// syslogFacilities are the names heartbeat accepts for logfacility (case matters:
// "LOCAL0" is refused). "none" turns syslog off.
var syslogFacilities = map[string]bool{
	"none": true, "kern": true, "user": true, "mail": true, "daemon": true, "auth": true,
	"syslog": true, "lpr": true, "news": true, "uucp": true, "cron": true,
	"authpriv": true, "ftp": true, "local0": true, "local1": true, "local2": true,
	"local3": true, "local4": true, "local5": true, "local6": true, "local7": true,
}
