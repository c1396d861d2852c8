package monconf

import (
	"fmt"
	"strings"
)

// EscStr is mon's esc_str, the escaping of values in its client protocol
// ("list opstatus") and state files: control characters, space, bytes
// above 126 and quotes as \xx (lowercase hex); with inQuotes, backslashes
// doubled.
func EscStr(s string, inQuotes bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c <= 32 || c > 126 || c == '"' || c == '\'':
			fmt.Fprintf(&b, "\\%02x", c)
		case inQuotes && c == '\\':
			b.WriteString(`\\`)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// UnEscStr is mon's un_esc_str (used on traps, ack comments and saved
// state): every \xx with two lowercase hex digits becomes that byte; all
// else is kept.
func UnEscStr(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+2 < len(s) && isLowerHex(s[i+1]) && isLowerHex(s[i+2]) {
			b.WriteByte(hexVal(s[i+1])<<4 | hexVal(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isLowerHex(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'f' }

func hexVal(c byte) byte {
	if isDigit(c) {
		return c - '0'
	}
	return c - 'a' + 10
}
