package hbwire

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

var b64 = base64.StdEncoding

// Method is an authkeys method name.
type Method string

// The three methods of heartbeat's HBauth plugins.
const (
	CRC  Method = "crc"
	MD5  Method = "md5"
	SHA1 Method = "sha1"
)

// Key is one numbered line of authkeys ("1 sha1 doss123").
type Key struct {
	Index  int
	Method Method
	Secret []byte
}

// Digest returns the lower-case hex token heartbeat writes for data:
// HMAC-SHA1 or HMAC-MD5 keyed with the secret, or for crc a CRC-32 of
// data, which needs no secret, written without leading zeros.
func (k Key) Digest(data []byte) (string, error) {
	var h hash.Hash
	switch k.Method {
	case SHA1:
		h = hmac.New(sha1.New, k.Secret)
	case MD5:
		h = hmac.New(md5.New, k.Secret)
	case CRC:
		return strconv.FormatUint(uint64(crcDigest(data)), 16), nil
	default:
		return "", fmt.Errorf("auth method %q not implemented", k.Method)
	}
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Keyring is the parsed authkeys file: the key used to send (Active, the
// "auth N" line) and every key accepted on receipt.
type Keyring struct {
	Active int
	Keys   map[int]Key
}

// NewKeyring builds a keyring sending with key active.
func NewKeyring(active int, keys ...Key) (*Keyring, error) {
	kr := &Keyring{Active: active, Keys: make(map[int]Key, len(keys))}
	for _, k := range keys {
		switch k.Method {
		case SHA1, MD5, CRC:
		default:
			return nil, fmt.Errorf("key %d: auth method %q not implemented", k.Index, k.Method)
		}
		kr.Keys[k.Index] = k
	}
	if _, ok := kr.Keys[active]; !ok {
		return nil, fmt.Errorf("auth %d: no such key", active)
	}
	return kr, nil
}

func (kr *Keyring) token(index int, data []byte) (string, error) {
	k, ok := kr.Keys[index]
	if !ok {
		return "", fmt.Errorf("%w %d", ErrUnknownKey, index)
	}
	d, err := k.Digest(data)
	if err != nil {
		return "", err
	}
	return strconv.Itoa(index) + " " + d, nil
}

// Sign returns the datagram heartbeat would send for m: it drops any auth
// field, appends auth="<n> <digest of the classic text>" as the last field,
// marshals the netstring form and appends the netstring
// "<len>:<n> <digest of the netstring form>,". m is updated with the new
// auth field.
func Sign(m *Message, kr *Keyring) ([]byte, error) {
	m.Del(FAuth)
	txt, err := classicText(m)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	inner, err := kr.token(kr.Active, txt)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	m.Add(FAuth, inner)
	b := Marshal(m)
	outer, err := kr.token(kr.Active, b)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	b = strconv.AppendInt(b, int64(len(outer)), 10)
	b = append(b, ':')
	b = append(b, outer...)
	b = append(b, ',')
	if len(b) > MaxMessageSize {
		return nil, fmt.Errorf("sign: %w: %d bytes", ErrTooLarge, len(b))
	}
	return b, nil
}

// checkToken verifies "<n> <hex>" against data with key n.
func (kr *Keyring) checkToken(tok string, data []byte) error {
	idx, dig, ok := strings.Cut(tok, " ")
	if ok && dig == "" {
		ok = false
	}
	if !ok {
		return fmt.Errorf("%w: malformed auth %q", ErrBadAuth, tok)
	}
	n, err := strconv.Atoi(idx)
	if err != nil {
		return fmt.Errorf("%w: malformed auth index %q", ErrBadAuth, idx)
	}
	want, err := kr.token(n, data)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(tok)) != 1 {
		return fmt.Errorf("%w (key %d)", ErrBadAuth, n)
	}
	return nil
}

// Verify decodes a datagram and checks it the way heartbeat does on
// receipt: the trailing netstring digest over "###\n"..."%%%\n", and the
// inner auth field over the classic text. A classic-form message (older
// senders) carries only the inner digest. Any key of the keyring is
// accepted, as the original accepts any method listed in authkeys.
func Verify(b []byte, kr *Keyring) (*Message, error) {
	p, err := Decode(b)
	if err != nil {
		return nil, err
	}
	if !p.Classic {
		if p.Auth == "" {
			return nil, fmt.Errorf("%w: no trailing digest", ErrNoAuth)
		}
		if err := kr.checkToken(p.Auth, p.Signed); err != nil {
			return nil, fmt.Errorf("netstring digest: %w", err)
		}
	}
	inner, ok := p.Msg.Get(FAuth)
	if !ok {
		return nil, fmt.Errorf("%w: no auth field", ErrNoAuth)
	}
	txt, err := classicText(p.Msg)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadAuth, err)
	}
	if err := kr.checkToken(inner, txt); err != nil {
		return nil, fmt.Errorf("auth field: %w", err)
	}
	return p.Msg, nil
}

// IsAuthError reports whether err is a digest/key failure as opposed to a
// malformed packet.
func IsAuthError(err error) bool {
	return errors.Is(err, ErrBadAuth) || errors.Is(err, ErrNoAuth) || errors.Is(err, ErrUnknownKey)
}

// crcTable is the MSB-first table of the CRC-32 polynomial 0x04C11DB7.
var crcTable = func() (t [256]uint32) {
	for i := range t {
		c := uint32(i) << 24
		for range 8 {
			if c&0x80000000 != 0 {
				c = c<<1 ^ 0x04C11DB7
			} else {
				c <<= 1
			}
		}
		t[i] = c
	}
	return t
}()

// crcDigest is the checksum heartbeat's crc method computes, found by
// matching captured packets: CRC-32 with polynomial 0x04C11DB7, not
// reflected, initial value 0, final XOR 0xffffffff (POSIX cksum without
// the length suffix). It is not zlib's CRC-32.
func crcDigest(data []byte) uint32 {
	var c uint32
	for _, b := range data {
		c = c<<8 ^ crcTable[byte(c>>24)^b]
	}
	return ^c
}
