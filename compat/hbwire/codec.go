package hbwire

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
)

// Framing markers. heartbeat 3.0.6 always sends the netstring form on its
// media; the classic form is what its inner digest is computed over and what
// much older releases sent.
const (
	netStart     = "###\n"
	netEnd       = "%%%\n"
	classicStart = ">>>\n"
	classicEnd   = "<<<\n"
)

// Decoder limits. Any input, however hostile, costs at most MaxMessageSize
// bytes plus MaxFields small headers.
const (
	// MaxMessageSize is the largest packet accepted: one UDP datagram.
	MaxMessageSize = 65535
	// MaxFields bounds the number of fields in one message. Real R1
	// messages carry fewer than 20.
	MaxFields = 256
	// MaxNameLen is the longest field name the original accepts (MAX_NAME_LEN-1).
	MaxNameLen = 254
)

// Errors returned by Decode and Verify; test with errors.Is.
var (
	ErrTooLarge   = errors.New("message too large")
	ErrFormat     = errors.New("malformed message")
	ErrTooMany    = errors.New("too many fields")
	ErrNoAuth     = errors.New("message not authenticated")
	ErrBadAuth    = errors.New("authentication failed")
	ErrUnknownKey = errors.New("unknown auth key index")
)

func formatErr(off int, what string) error {
	return fmt.Errorf("%w: offset %d: %s", ErrFormat, off, what)
}

// Marshal returns the netstring form of m without the trailing digest:
// "###\n", then "<len>:(<type>)<name>=<value>," per field, then "%%%\n".
// The trailing digest is computed over exactly these bytes.
func Marshal(m *Message) []byte {
	n := len(netStart) + len(netEnd)
	for _, f := range m.Fields {
		n += len(f.Name) + len(f.Value) + 16
	}
	b := make([]byte, 0, n)
	b = append(b, netStart...)
	for _, f := range m.Fields {
		l := 2 + len(strconv.Itoa(int(f.Type))) + len(f.Name) + 1 + len(f.Value)
		b = strconv.AppendInt(b, int64(l), 10)
		b = append(b, ':', '(')
		b = strconv.AppendInt(b, int64(f.Type), 10)
		b = append(b, ')')
		b = append(b, f.Name...)
		b = append(b, '=')
		b = append(b, f.Value...)
		b = append(b, ',')
	}
	return append(b, netEnd...)
}

// Packet is a decoded datagram: the message, the bytes the trailing digest
// covers, and the trailing auth string ("<index> <hex>"), if any.
type Packet struct {
	Msg     *Message
	Signed  []byte // "###\n" ... "%%%\n" (netstring) or the classic text
	Auth    string // trailing netstring auth, "" when absent
	Classic bool
}

// Decode parses a datagram in netstring or classic form without checking
// any digest. It never allocates more than a small multiple of len(b).
func Decode(b []byte) (*Packet, error) {
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrTooLarge, len(b))
	}
	switch {
	case bytes.HasPrefix(b, []byte(netStart)):
		return decodeNetstring(b)
	case bytes.HasPrefix(b, []byte(classicStart)):
		return decodeClassic(b)
	}
	return nil, formatErr(0, "no start marker")
}

// peel reads one netstring "<len>:<data>," at b[off:].
func peel(b []byte, off int) (data []byte, next int, err error) {
	i := off
	n := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		if i-off >= 6 { // 6 digits exceed MaxMessageSize
			return nil, 0, formatErr(off, "netstring length too long")
		}
		n = n*10 + int(b[i]-'0')
		i++
	}
	if i == off || i >= len(b) || b[i] != ':' {
		return nil, 0, formatErr(off, "bad netstring length")
	}
	i++
	if n > len(b)-i-1 {
		return nil, 0, formatErr(off, "netstring exceeds packet")
	}
	if b[i+n] != ',' {
		return nil, 0, formatErr(i+n, "netstring without trailing comma")
	}
	return b[i : i+n], i + n + 1, nil
}

func parseNV(nv []byte, off int) (Field, error) {
	// "(<type>)<name>=<value>"
	if len(nv) < 4 || nv[0] != '(' {
		return Field{}, formatErr(off, "field without type")
	}
	end := bytes.IndexByte(nv, ')')
	if end < 2 || end > 3 {
		return Field{}, formatErr(off, "bad field type")
	}
	t, err := strconv.ParseUint(string(nv[1:end]), 10, 8)
	if err != nil || t > uint64(Uncompress) {
		return Field{}, formatErr(off, "unknown field type")
	}
	rest := nv[end+1:]
	eq := bytes.IndexByte(rest, '=')
	if eq <= 0 {
		return Field{}, formatErr(off, "field without name")
	}
	if eq > MaxNameLen {
		return Field{}, formatErr(off, "field name too long")
	}
	name := rest[:eq]
	if bytes.IndexByte(name, 0) >= 0 {
		return Field{}, formatErr(off, "NUL in field name")
	}
	return Field{Name: string(name), Type: FieldType(t), Value: append([]byte(nil), rest[eq+1:]...)}, nil
}

func decodeNetstring(b []byte) (*Packet, error) {
	m := &Message{}
	off := len(netStart)
	for {
		if off >= len(b) {
			return nil, formatErr(off, "no end marker")
		}
		if bytes.HasPrefix(b[off:], []byte(netEnd)) {
			off += len(netEnd)
			break
		}
		if len(m.Fields) >= MaxFields {
			return nil, fmt.Errorf("%w (max %d)", ErrTooMany, MaxFields)
		}
		nv, next, err := peel(b, off)
		if err != nil {
			return nil, err
		}
		f, err := parseNV(nv, off)
		if err != nil {
			return nil, err
		}
		m.Fields = append(m.Fields, f)
		off = next
	}
	p := &Packet{Msg: m, Signed: b[:off]}
	if off == len(b) {
		return p, nil
	}
	auth, next, err := peel(b, off)
	if err != nil {
		return nil, err
	}
	// heartbeat itself sends nothing after the digest; a trailing NUL is
	// tolerated because C senders may count the terminator.
	if rest := b[next:]; len(rest) > 1 || (len(rest) == 1 && rest[0] != 0) {
		return nil, formatErr(next, "trailing bytes after auth")
	}
	p.Auth = string(auth)
	return p, nil
}

func decodeClassic(b []byte) (*Packet, error) {
	m := &Message{}
	body := b[len(classicStart):]
	if i := bytes.IndexByte(body, 0); i >= 0 {
		body = body[:i]
	}
	end := bytes.Index(body, []byte(classicEnd))
	if end < 0 {
		return nil, formatErr(len(b), "no end marker")
	}
	off := len(classicStart)
	for _, line := range bytes.Split(body[:end], []byte{'\n'}) {
		if len(line) == 0 {
			off++
			continue
		}
		if len(m.Fields) >= MaxFields {
			return nil, fmt.Errorf("%w (max %d)", ErrTooMany, MaxFields)
		}
		typ := String
		l := line
		if l[0] == '(' {
			e := bytes.IndexByte(l, ')')
			if e < 2 || e > 3 {
				return nil, formatErr(off, "bad field type")
			}
			t, err := strconv.ParseUint(string(l[1:e]), 10, 8)
			if err != nil || t > uint64(Uncompress) {
				return nil, formatErr(off, "unknown field type")
			}
			typ = FieldType(t)
			l = l[e+1:]
		}
		eq := bytes.IndexByte(l, '=')
		if eq <= 0 || eq > MaxNameLen {
			return nil, formatErr(off, "bad field name")
		}
		val := append([]byte(nil), l[eq+1:]...)
		if typ == Binary {
			d, err := b64.DecodeString(string(val))
			if err != nil {
				return nil, formatErr(off, "bad base64 in binary field")
			}
			val = d
		}
		m.Fields = append(m.Fields, Field{Name: string(l[:eq]), Type: typ, Value: val})
		off += len(line) + 1
	}
	return &Packet{Msg: m, Classic: true}, nil
}

// classicText is the text heartbeat's inner "auth" field digest covers: each
// field except auth as "[(<type>)]<name>=<value>\n" (type omitted for
// strings, binary values in standard padded base64), with no markers.
func classicText(m *Message) ([]byte, error) {
	var b []byte
	for _, f := range m.Fields {
		if f.Name == FAuth {
			continue
		}
		var val []byte
		switch f.Type {
		case String:
			if bytes.IndexByte(f.Value, '\n') >= 0 {
				return nil, fmt.Errorf("field %s: newline in value not supported", f.Name)
			}
			val = f.Value
		case Binary:
			b = append(b, "(1)"...)
			val = []byte(b64.EncodeToString(f.Value))
		default:
			return nil, fmt.Errorf("field %s: %v fields are not implemented", f.Name, f.Type)
		}
		b = append(b, f.Name...)
		b = append(b, '=')
		b = append(b, val...)
		b = append(b, '\n')
	}
	return b, nil
}
