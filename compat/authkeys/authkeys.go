// Package authkeys reads heartbeat's /etc/ha.d/authkeys as heartbeat 3.0.6 does: one
// "auth N" line naming the key that signs outgoing packets, and "N method [key]" lines
// (crc, md5 or sha1, N from 0 to 15) that may all verify incoming ones.
//
// heartbeat refuses the file if its group or others may read it (write or execute bits
// do not matter: mode 620 passes, 640 and 604 do not); CheckMode does the same with the
// same message. Parsing follows heartbeat's line reader: a line whose first character is
// '#' is a comment, leading blanks are skipped, the key is the first word after the
// method and anything after it is ignored.
package authkeys

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// DefaultPath is where heartbeat reads the file; its messages name it with a double
// slash, as heartbeat prints it.
const DefaultPath = "/etc/ha.d/authkeys"

const heartbeatPath = "/etc/ha.d//authkeys"

// MaxAuth bounds key numbers: 0 to MaxAuth-1.
const MaxAuth = 16

// Method is an authentication method.
type Method string

const (
	CRC  Method = "crc"
	MD5  Method = "md5"
	SHA1 Method = "sha1"
)

// NeedsKey reports whether the method takes a key.
func (m Method) NeedsKey() bool { return m != CRC }

// Key is one numbered key.
type Key struct {
	Num    int
	Method Method
	Secret string
	Line   int
}

// Keys is the file's content.
type Keys struct {
	Auth int         // number of the key that signs outgoing messages
	Keys map[int]Key // every valid key, which all verify incoming messages
	// Warnings are accepted keys that weaken the cluster (crc), as *Error: heartbeat
	// takes them without a word, heartbeatd says so at start and in --check.
	Warnings []error
}

// crcWarning is the warning for a crc key. heartbeat 3.0.6 logs nothing about crc; the
// quotation is its sample authkeys' own warning.
const crcWarning = "key %d uses crc, which adds no security: anyone who can send to the heartbeat port can forge messages that pass it and take over or stop the resources (heartbeat's documentation: \"crc adds no security, except from packet corruption. Use only on physically secure networks.\"); use sha1 with a secret"

// Active is the key that signs outgoing messages.
func (k *Keys) Active() Key { return k.Keys[k.Auth] }

// Error is one problem, tied to a line when there is one.
type Error struct {
	File string
	Line int
	Msg  string
	// Heartbeat is what heartbeat 3.0.6 logs for it (without "ERROR: ").
	Heartbeat string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// CheckMode refuses a file the group or others can read, as heartbeat does.
func CheckMode(name string, mode fs.FileMode) error {
	if mode.Perm()&0o044 != 0 {
		return &Error{File: name, Msg: fmt.Sprintf("mode %04o lets group or others read the keys; chmod 600 %s", mode.Perm(), name),
			Heartbeat: fmt.Sprintf("Bad permissions on keyfile [%s], 600 recommended.", heartbeatPath)}
	}
	return nil
}

const maxLine = 64 << 10

// Parse reads the file from r; name is used in messages. It returns every error found.
func Parse(name string, r io.Reader) (*Keys, error) {
	k := &Keys{Auth: -1, Keys: map[int]Key{}}
	var errs []error
	fail := func(line int, hb, format string, args ...any) {
		errs = append(errs, &Error{File: name, Line: line, Msg: fmt.Sprintf(format, args...), Heartbeat: hb})
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1024), maxLine)
	authLine, lineno := 0, 0
	for sc.Scan() {
		lineno++
		raw := sc.Text()
		bp := strings.TrimLeft(raw, " \t\n\r\f")
		if bp == "" || bp[0] == '#' {
			continue
		}
		if bp[0] == 'a' {
			n, _, ok := scanInt(strings.TrimPrefix(bp, "auth"))
			if !strings.HasPrefix(bp, "auth") || !ok {
				fail(lineno, fmt.Sprintf("Invalid auth line [%s\n] in %s", raw, heartbeatPath), "want \"auth N\", the number of the key that signs messages")
				continue
			}
			k.Auth, authLine = n, lineno
			continue
		}
		// Like sscanf("%d%s%s"): a number, a method (which may follow the digits
		// directly), an optional key; anything further is ignored.
		num, rest, ok := scanInt(bp)
		f := strings.Fields(rest)
		if !ok || len(f) == 0 {
			fail(lineno, fmt.Sprintf("Auth line [%s\n] is invalid.", raw), "want \"N method [key]\" (method crc, md5 or sha1)")
			continue
		}
		method := f[0]
		secret := ""
		if len(f) > 1 {
			secret = f[1]
		}
		if num < 0 || num >= MaxAuth {
			fail(lineno, fmt.Sprintf("Invalid authnum [%d] in %s", num, heartbeatPath), "key number %d: want 0 to %d", num, MaxAuth-1)
			continue
		}
		m := Method(method)
		if m != CRC && m != MD5 && m != SHA1 {
			fail(lineno, fmt.Sprintf("Invalid authtype [%s]", method), "method %q: want crc, md5 or sha1", method)
			continue
		}
		if secret != "" && !m.NeedsKey() {
			// heartbeat logs this at info level but still refuses the key.
			fail(lineno, "", "method crc takes no key")
			continue
		}
		if secret == "" && m.NeedsKey() {
			fail(lineno, fmt.Sprintf("Auth method [%s] requires a key", method), "method %s needs a key", method)
			continue
		}
		k.Keys[num] = Key{Num: num, Method: m, Secret: secret, Line: lineno}
	}
	if err := sc.Err(); err != nil {
		fail(lineno+1, "", "%v", err)
	}
	// After the whole file: a later line may redefine a key number.
	var crc []Key
	for _, key := range k.Keys {
		if key.Method == CRC {
			crc = append(crc, key)
		}
	}
	sort.Slice(crc, func(i, j int) bool { return crc[i].Line < crc[j].Line })
	for _, key := range crc {
		k.Warnings = append(k.Warnings, &Error{File: name, Line: key.Line, Msg: fmt.Sprintf(crcWarning, key.Num)})
	}
	if _, ok := k.Keys[k.Auth]; !ok {
		if k.Auth < 0 {
			fail(0, fmt.Sprintf("Missing auth directive in keyfile [%s]", heartbeatPath), "no \"auth N\" line")
		} else {
			fail(authLine, fmt.Sprintf("Auth Key [%d] not found in keyfile [%s]", k.Auth, heartbeatPath), "auth %d: no valid key %d in the file", k.Auth, k.Auth)
		}
	}
	return k, errors.Join(errs...)
}

// scanInt reads a leading decimal integer after optional blanks, as sscanf's %d, and
// returns what follows it.
func scanInt(s string) (int, string, bool) {
	s = strings.TrimLeft(s, " \t\n\r\f\v")
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	if j == i || j-i > 9 {
		return 0, s, false
	}
	n, err := strconv.Atoi(s[:j])
	return n, s[j:], err == nil
}
