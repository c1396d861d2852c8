// Package perlnum converts strings to numbers the way perl's numeric context does.
// Both mon.cf (mon is perl) and Time::Period specs are read by perl, so a value
// such as "5x" or "1e2" must mean what perl makes of it, not what strconv does.
package perlnum

import "strconv"

// Prefix is perl's numeric value of a string: the longest prefix that reads as a
// decimal number (sign, digits, fraction, exponent) or "inf"/"infinity"/"nan" in any
// case; 0 when there is none. Leading white space is the caller's business: perl
// skips it, but some callers have already split on it.
func Prefix(v string) float64 {
	i := 0
	if i < len(v) && (v[i] == '+' || v[i] == '-') {
		i++
	}
	rest := v[i:]
	for _, w := range []string{"infinity", "inf", "nan"} {
		if len(rest) >= len(w) && equalFold(rest[:len(w)], w) {
			f, _ := strconv.ParseFloat(v[:i+len(w)], 64)
			return f
		}
	}
	digits := 0
	for i < len(v) && isDigit(v[i]) {
		i++
		digits++
	}
	if i < len(v) && v[i] == '.' {
		j := i + 1
		for j < len(v) && isDigit(v[j]) {
			j++
			digits++
		}
		i = j
	}
	if digits == 0 {
		return 0
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		j := i + 1
		if j < len(v) && (v[j] == '+' || v[j] == '-') {
			j++
		}
		k := j
		for k < len(v) && isDigit(v[k]) {
			k++
		}
		if k > j {
			i = k
		}
	}
	f, _ := strconv.ParseFloat(v[:i], 64)
	return f
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// equalFold compares ASCII case-insensitively; lower is already lower case.
func equalFold(s, lower string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
