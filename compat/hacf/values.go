package hacf

import (
	"strings"
	"time"
)

// numChars are the characters heartbeat's time reader takes as the number part.
const numChars = "0123456789."

// ParseTime reads a time value the way heartbeat 3.0.6 does: a number of seconds, or of
// milliseconds with an "ms"/"msec" suffix, or of microseconds with "us"/"usec", rounded to
// the nearest millisecond. It reports false where heartbeat's reader returns its error
// value; callers apply the directive's own range check on top.
func ParseTime(s string) (time.Duration, bool) {
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
	ms := int64(atof(s[:n])*mult/div + 0.5)
	return time.Duration(ms) * time.Millisecond, true
}

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
