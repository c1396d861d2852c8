package ipvsadm

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// This file has the C library conversions whose exact edge cases decide what ipvsadm
// accepts: strtol/strtoul (base 10 and 0), atoi, glibc's inet_aton (which takes "10.1",
// hex and octal parts, and trailing blanks), inet_pton (strict) and inet_ntop.

func cIsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func cIsDigit(c byte) bool { return c >= '0' && c <= '9' }

func digitVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'Z':
		return int(c-'A') + 10
	}
	return 99
}

// strtoCore is the core of C's strtoul/strtol on a 64-bit machine: it returns the magnitude, the
// sign, the index where parsing stopped (0 when no digits) and whether the magnitude
// overflowed uint64.
func strtoCore(s string, base int) (mag uint64, neg bool, end int, overflow bool) {
	i := 0
	for i < len(s) && cIsSpace(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if (base == 0 || base == 16) && i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') &&
		i+2 < len(s) && digitVal(s[i+2]) < 16 {
		i += 2
		base = 16
	} else if base == 0 {
		if i < len(s) && s[i] == '0' {
			base = 8
		} else {
			base = 10
		}
	}
	start := i
	for i < len(s) && digitVal(s[i]) < base {
		d := uint64(digitVal(s[i]))
		if mag > (math.MaxUint64-d)/uint64(base) {
			overflow = true
		}
		if !overflow {
			mag = mag*uint64(base) + d
		}
		i++
	}
	if i == start {
		return 0, false, 0, false
	}
	return mag, neg, i, overflow
}

// strtol is C's strtol(s, &end, base) for a 64-bit long; erange reports ERANGE.
func strtol(s string, base int) (v int64, end int, erange bool) {
	mag, neg, end, of := strtoCore(s, base)
	if neg {
		if of || mag > 1<<63 {
			return math.MinInt64, end, true
		}
		return -int64(mag), end, false
	}
	if of || mag > math.MaxInt64 {
		return math.MaxInt64, end, true
	}
	return int64(mag), end, false
}

// strtoul is C's strtoul for a 64-bit unsigned long ("-1" is ULONG_MAX).
func strtoul(s string, base int) (v uint64, end int, erange bool) {
	mag, neg, end, of := strtoCore(s, base)
	if of {
		return math.MaxUint64, end, true
	}
	if neg {
		return -mag, end, false
	}
	return mag, end, false
}

// atoi is C's atoi (strtol base 10 truncated to int).
func atoi(s string) int32 {
	v, _, _ := strtol(s, 10)
	return int32(v)
}

// stringToNumber is ipvsadm's string_to_number: a whole base-10 number within [min,max],
// or -1.
func stringToNumber(s string, min, max int64) int64 {
	v, end, erange := strtol(s, 10)
	if end == len(s) && end != 0 {
		if !erange && min <= v && v <= max {
			return v
		}
	}
	return -1
}

// inetAton is glibc's inet_aton.
func inetAton(s string) ([4]byte, bool) {
	var res [4]byte
	parts := 0
	i := 0
	var val uint64
	for {
		if i >= len(s) || !cIsDigit(s[i]) {
			return res, false
		}
		v, end, erange := strtoul(s[i:], 0)
		if erange || v > 0xffffffff {
			return res, false
		}
		val = v
		i += end
		if i < len(s) && s[i] == '.' {
			if parts > 2 || val > 0xff {
				return res, false
			}
			res[parts] = byte(val)
			parts++
			i++
			continue
		}
		break
	}
	if i < len(s) && !cIsSpace(s[i]) {
		return res, false
	}
	max := [4]uint64{0xffffffff, 0xffffff, 0xffff, 0xff}
	if val > max[parts] {
		return res, false
	}
	for k := 3; k >= parts; k-- {
		res[k] |= byte(val)
		val >>= 8
	}
	return res, true
}

// inetPton4 is glibc's inet_pton(AF_INET): exactly four decimal parts, no leading zeros.
func inetPton4(s string) ([4]byte, bool) {
	var tmp [4]byte
	sawDigit := false
	octets := 0
	tp := 0
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case cIsDigit(ch):
			n := uint(tmp[tp])*10 + uint(ch-'0')
			if sawDigit && tmp[tp] == 0 {
				return tmp, false
			}
			if n > 255 {
				return tmp, false
			}
			tmp[tp] = byte(n)
			if !sawDigit {
				octets++
				if octets > 4 {
					return tmp, false
				}
				sawDigit = true
			}
		case ch == '.' && sawDigit:
			if octets == 4 {
				return tmp, false
			}
			tp++
			tmp[tp] = 0
			sawDigit = false
		default:
			return tmp, false
		}
	}
	if octets < 4 {
		return tmp, false
	}
	return tmp, true
}

// inetPton6 is glibc's inet_pton(AF_INET6).
func inetPton6(s string) ([16]byte, bool) {
	var tmp [16]byte
	if len(s) == 0 {
		return tmp, false
	}
	i := 0
	if s[0] == ':' {
		i++
		if i == len(s) || s[i] != ':' {
			return tmp, false
		}
	}
	tp := 0
	colonp := -1
	curtok := i
	xdigits := 0
	val := uint32(0)
	for i < len(s) {
		ch := s[i]
		i++
		if d := digitVal(ch); d < 16 {
			if xdigits == 4 {
				return tmp, false
			}
			val = val<<4 | uint32(d)
			xdigits++
			continue
		}
		if ch == ':' {
			curtok = i
			if xdigits == 0 {
				if colonp >= 0 {
					return tmp, false
				}
				colonp = tp
				continue
			} else if i == len(s) {
				return tmp, false
			}
			if tp+2 > 16 {
				return tmp, false
			}
			tmp[tp], tmp[tp+1] = byte(val>>8), byte(val)
			tp += 2
			xdigits, val = 0, 0
			continue
		}
		if ch == '.' && tp+4 <= 16 {
			if v4, ok := inetPton4(s[curtok:]); ok {
				copy(tmp[tp:], v4[:])
				tp += 4
				xdigits = 0
				break
			}
		}
		return tmp, false
	}
	if xdigits > 0 {
		if tp+2 > 16 {
			return tmp, false
		}
		tmp[tp], tmp[tp+1] = byte(val>>8), byte(val)
		tp += 2
	}
	if colonp >= 0 {
		if tp == 16 {
			return tmp, false
		}
		n := tp - colonp
		var out [16]byte
		copy(out[:colonp], tmp[:colonp])
		copy(out[16-n:], tmp[colonp:tp])
		tmp = out
		tp = 16
	}
	if tp != 16 {
		return tmp, false
	}
	return tmp, true
}

// inetNtoa formats an IPv4 address as inet_ntoa/inet_ntop do.
func inetNtoa(b [4]byte) string {
	var buf [15]byte
	o := strconv.AppendUint(buf[:0], uint64(b[0]), 10)
	for _, x := range b[1:] {
		o = append(o, '.')
		o = strconv.AppendUint(o, uint64(x), 10)
	}
	return string(o)
}

// inetNtop6 is glibc's inet_ntop(AF_INET6): the first longest run (>= 2) of zero words
// becomes "::", and ::a.b.c.d / ::ffff:a.b.c.d keep a dotted tail.
func inetNtop6(b [16]byte) string {
	var w [8]int
	for i := range w {
		w[i] = int(b[2*i])<<8 | int(b[2*i+1])
	}
	bestBase, bestLen := -1, 0
	curBase, curLen := -1, 0
	for i := 0; i < 8; i++ {
		if w[i] == 0 {
			if curBase == -1 {
				curBase, curLen = i, 1
			} else {
				curLen++
			}
		} else if curBase != -1 {
			if bestBase == -1 || curLen > bestLen {
				bestBase, bestLen = curBase, curLen
			}
			curBase = -1
		}
	}
	if curBase != -1 && (bestBase == -1 || curLen > bestLen) {
		bestBase, bestLen = curBase, curLen
	}
	if bestBase != -1 && bestLen < 2 {
		bestBase = -1
	}
	var sb strings.Builder
	for i := 0; i < 8; i++ {
		if bestBase != -1 && i >= bestBase && i < bestBase+bestLen {
			if i == bestBase {
				sb.WriteByte(':')
			}
			continue
		}
		if i != 0 {
			sb.WriteByte(':')
		}
		if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && w[5] == 0xffff)) {
			sb.WriteString(inetNtoa([4]byte{b[12], b[13], b[14], b[15]}))
			return sb.String()
		}
		fmt.Fprintf(&sb, "%x", w[i])
	}
	if bestBase != -1 && bestBase+bestLen == 8 {
		sb.WriteByte(':')
	}
	return sb.String()
}

// ntop formats an address the way inet_ntop does for its family.
func ntop(a netip.Addr) string {
	if a.Is4() {
		return inetNtoa(a.As4())
	}
	if a.IsValid() {
		return inetNtop6(a.As16())
	}
	return "0.0.0.0"
}
