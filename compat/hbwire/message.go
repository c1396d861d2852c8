package hbwire

import (
	"fmt"
	"strconv"
)

// FieldType is the type tag heartbeat writes in parentheses before each field,
// e.g. "(0)t=status" or "(1)srcuuid=...".
type FieldType uint8

// Field types of the cluster-glue message library. Only String and Binary occur
// in the messages heartbeat 3.0.6 exchanges in R1 mode; the others are carried
// opaquely so that decoding and re-encoding are byte-exact.
const (
	String     FieldType = 0
	Binary     FieldType = 1
	Struct     FieldType = 2
	List       FieldType = 3
	Compress   FieldType = 4
	Uncompress FieldType = 5
)

func (t FieldType) String() string {
	switch t {
	case String:
		return "string"
	case Binary:
		return "binary"
	case Struct:
		return "struct"
	case List:
		return "list"
	case Compress:
		return "compress"
	case Uncompress:
		return "uncompress"
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// Field is one name/value pair. Value holds the raw bytes: the text of a
// String, the bytes of a Binary (not base64), the unparsed text of the others.
type Field struct {
	Name  string
	Type  FieldType
	Value []byte
}

// Well-known field names (heartbeat's F_* names) used by the transport and
// by membership/resource code built on it.
const (
	FType     = "t"
	FStatus   = "st"
	FDeadtime = "dt"
	FProtocol = "protocol"
	FSrc      = "src"
	FSrcUUID  = "srcuuid"
	FDest     = "dest"
	FDestUUID = "destuuid"
	FSeq      = "seq"
	FHG       = "hg"
	FTS       = "ts"
	FLoad     = "ld"
	FTTL      = "ttl"
	FAuth     = "auth"
	FFirstSeq = "firstseq"
	FLastSeq  = "lastseq"
	FAckSeq   = "ackseq"

	// The fields of the R1 resource and ipfail messages (see the builders).
	FRscHold     = "rsc_hold"
	FRType       = "rtype"
	FIsStable    = "isstable"
	FInfo        = "info"
	FNodeList    = "nodelist"
	FDelNodeList = "delnodelist"
	FIPAddr      = "ipaddr"
	FWeOwn       = "weown"
	FOK          = "ok"
	FNumPing     = "num_ping"
)

// Message types seen on the wire (value of the "t" field).
const (
	TStatus        = "status"
	TRexmit        = "NS_rexmit"
	TAck           = "NS_ackmsg"
	TStarting      = "starting"
	TResource      = "resource"
	TReqNodes      = "reqnodes"
	TRepNodes      = "repnodes"
	TIPRequest     = "ip-request"
	TIPRequestResp = "ip-request-resp"
	TAskResources  = "ask_resources"
	THBTakeover    = "hb_takeover"
	TShutdone      = "shutdone"

	// ipfail's messages, between the two nodes' ipfail clients.
	TNumPingNodes = "num_ping_nodes"
	TYouAreDead   = "you_are_dead"
	TAbortGiveup  = "abort_giveup"
)

// Values of info in resource and ask_resources messages.
const (
	InfoReqOurResources = "req_our_resources()" // resource: stable after the first acquisition
	InfoStandby         = "standby"             // resource: the share given away is released
	InfoShutdown        = "shutdown"            // resource: the node stops, holding nothing
	InfoMachDown        = "mach_down"           // resource: the dead peer's share is taken over
	InfoMe              = "me"                  // ask_resources: the giver offers its share
	InfoOther           = "other"               // ask_resources: the taker accepts
	InfoDone            = "done"                // ask_resources: each side's part is done
)

// Message is an ordered list of fields. Order is significant: both digests
// are computed over the fields in the order they were added.
type Message struct {
	Fields []Field
}

// Get returns the value of the first field called name as a string and
// whether it exists.
func (m *Message) Get(name string) (string, bool) {
	for _, f := range m.Fields {
		if f.Name == name {
			return string(f.Value), true
		}
	}
	return "", false
}

// Value returns the value of the first field called name, or "".
func (m *Message) Value(name string) string {
	v, _ := m.Get(name)
	return v
}

// Bytes returns the raw value of the first field called name.
func (m *Message) Bytes(name string) ([]byte, bool) {
	for _, f := range m.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return nil, false
}

// Add appends a string field.
func (m *Message) Add(name, value string) {
	m.Fields = append(m.Fields, Field{Name: name, Type: String, Value: []byte(value)})
}

// AddBinary appends a binary field (such as a uuid).
func (m *Message) AddBinary(name string, value []byte) {
	m.Fields = append(m.Fields, Field{Name: name, Type: Binary, Value: append([]byte(nil), value...)})
}

// Set replaces the value of an existing string field in place (keeping its
// position) or appends it.
func (m *Message) Set(name, value string) {
	for i := range m.Fields {
		if m.Fields[i].Name == name {
			m.Fields[i] = Field{Name: name, Type: String, Value: []byte(value)}
			return
		}
	}
	m.Add(name, value)
}

// Del removes every field called name.
func (m *Message) Del(name string) {
	out := m.Fields[:0]
	for _, f := range m.Fields {
		if f.Name != name {
			out = append(out, f)
		}
	}
	m.Fields = out
}

// Clone returns a deep copy.
func (m *Message) Clone() *Message {
	c := &Message{Fields: make([]Field, len(m.Fields))}
	for i, f := range m.Fields {
		c.Fields[i] = Field{Name: f.Name, Type: f.Type, Value: append([]byte(nil), f.Value...)}
	}
	return c
}

// trailer are the fields a sender appends to every message after its own (see the
// package documentation).
var trailer = map[string]bool{FDestUUID: true, FSrc: true, FSrcUUID: true, FSeq: true, FHG: true, FTS: true,
	FLoad: true, FTTL: true, FAuth: true}

// Own returns a copy of m without the fields the sender appends to every message
// (destuuid, src, srcuuid, seq, hg, ts, ld, ttl, auth): the fields a builder makes.
func (m *Message) Own() *Message {
	own := &Message{}
	for _, f := range m.Clone().Fields {
		if !trailer[f.Name] {
			own.Fields = append(own.Fields, f)
		}
	}
	return own
}

// Hex parses a field heartbeat writes in lower-case hexadecimal without a
// prefix (seq, hg, ts, dt, ackseq).
func (m *Message) Hex(name string) (uint64, error) {
	v, ok := m.Get(name)
	if !ok {
		return 0, fmt.Errorf("field %q missing", name)
	}
	n, err := strconv.ParseUint(v, 16, 64)
	if err != nil {
		return 0, fmt.Errorf("field %s=%q: %w", name, v, err)
	}
	return n, nil
}

// AddHex appends a string field with n in lower-case hexadecimal without a prefix, as
// heartbeat writes seq, hg, ts, dt and ackseq.
func (m *Message) AddHex(name string, n uint64) { m.Add(name, hexString(n)) }

func hexString(n uint64) string { return strconv.FormatUint(n, 16) }

// Dec parses a field heartbeat writes in decimal (firstseq, lastseq, ttl).
func (m *Message) Dec(name string) (uint64, error) {
	v, ok := m.Get(name)
	if !ok {
		return 0, fmt.Errorf("field %q missing", name)
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("field %s=%q: %w", name, v, err)
	}
	return n, nil
}

// String renders the message for logs: name=value per field, binary in hex.
func (m *Message) String() string {
	b := make([]byte, 0, 256)
	for i, f := range m.Fields {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, f.Name...)
		b = append(b, '=')
		if f.Type == Binary {
			b = fmt.Appendf(b, "%x", f.Value)
		} else {
			b = strconv.AppendQuote(b, string(f.Value))
		}
	}
	return string(b)
}
