package monconf

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lvskit/lvskit/compat/perlnum"
)

// Helpers reproducing the few perl behaviours mon's reader relies on
// (byte strings, ASCII classes, numeric conversion of strings).

// isSpace is perl's \s on bytes: space, \t, \n, \v, \f, \r.
func isSpace(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r'
}

func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// asciiLower is perl's lc on a byte string.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func trimLeft(s string) string {
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return s[i:]
}

func trimRight(s string) string {
	j := len(s)
	for j > 0 && isSpace(s[j-1]) {
		j--
	}
	return s[:j]
}

func trim(s string) string { return trimRight(trimLeft(s)) }

// splitSpace is perl's split(/\s+/, s): a leading empty field when s
// starts with white space, no trailing empty fields.
func splitSpace(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); {
		if isSpace(s[i]) {
			j := i
			for j < len(s) && isSpace(s[j]) {
				j++
			}
			out = append(out, s[start:i])
			start, i = j, j
			continue
		}
		i++
	}
	out = append(out, s[start:])
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// splitSpaceN is perl's split(/\s+/, s, n) for n >= 2: at most n fields,
// the last one keeping the rest of the string.
func splitSpaceN(s string, n int) []string {
	var out []string
	start := 0
	for i := 0; i < len(s) && len(out) < n-1; {
		if isSpace(s[i]) {
			j := i
			for j < len(s) && isSpace(s[j]) {
				j++
			}
			out = append(out, s[start:i])
			start, i = j, j
			continue
		}
		i++
	}
	out = append(out, s[start:])
	// With a limit perl keeps trailing empty fields.
	return out
}

// perlNum is perl's numeric value of a string: leading white space skipped, then
// the longest numeric prefix (perlnum.Prefix).
func perlNum(v string) float64 { return perlnum.Prefix(trimLeft(v)) }

// perlInt is perlNum truncated to an int (saturating), for the options
// mon keeps as strings and uses as numbers (maxprocs, histlength...).
func perlInt(v string) int {
	f := perlNum(v)
	switch {
	case math.IsNaN(f):
		return 0
	case f >= math.MaxInt64:
		return math.MaxInt64
	case f <= math.MinInt64:
		return math.MinInt64
	}
	return int(f)
}

// dhms is mon's dhmstos: "N{s,m,h,d}" (N may have a fraction, white space
// around is allowed, case does not matter) to seconds. ok is false where
// dhmstos returns undef. truthy is perl truthiness of the result, which
// mon tests for most keywords: a result of 0 is false, except that with
// the "s" unit dhmstos returns the number's own text, so "00s" or "0.0s"
// are true (and mean 0 seconds).
func dhms(str string) (d time.Duration, truthy, ok bool) {
	s := trim(asciiLower(str))
	if len(s) < 2 {
		return 0, false, false
	}
	unit := s[len(s)-1]
	num := s[:len(s)-1]
	if !validDecimal(num) {
		return 0, false, false
	}
	var mult float64
	switch unit {
	case 's':
		mult = 1
	case 'm':
		mult = 60
	case 'h':
		mult = 3600
	case 'd':
		mult = 86400
	default:
		return 0, false, false
	}
	n, _ := strconv.ParseFloat(num, 64)
	secs := n * mult
	if unit == 's' {
		truthy = num != "0"
	} else {
		truthy = secs != 0
	}
	return secondsToDuration(secs), truthy, true
}

// validDecimal matches \d+(?:\.\d+)?
func validDecimal(s string) bool {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i == 0 {
		return false
	}
	if i == len(s) {
		return true
	}
	if s[i] != '.' {
		return false
	}
	j := i + 1
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	return j > i+1 && j == len(s)
}

// secondsToDuration converts, saturating at the largest Duration (mon
// accepts any size).
func secondsToDuration(secs float64) time.Duration {
	ns := secs * 1e9
	if ns >= math.MaxInt64 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(math.Round(ns))
}

// canonPath is File::Spec::Unix->canonpath: collapse "//", drop "/."
// components, a leading "./" and a trailing "/"; ".." is left alone.
func canonPath(p string) string {
	if p == "" {
		return ""
	}
	p = reSlashes.ReplaceAllString(p, "/")
	p = reSlashDot.ReplaceAllString(p, "/")
	if p != "./" {
		p = reLeadDot.ReplaceAllString(p, "")
	}
	p = reLeadDotDot.ReplaceAllString(p, "/")
	if p == "/.." {
		p = "/"
	}
	if p != "/" {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}

var (
	reSlashes    = regexp.MustCompile(`/{2,}`)
	reSlashDot   = regexp.MustCompile(`(?:/\.)+(?:/|$)`)
	reLeadDot    = regexp.MustCompile(`^(?:\./)+`)
	reLeadDotDot = regexp.MustCompile(`^/(?:\.\./)+`)
)
