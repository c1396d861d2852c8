// Package haresources reads heartbeat's R1 resource file, /etc/ha.d/haresources, as
// heartbeat 3.0.6's ResourceManager reads it:
//
//   - '#' starts a comment anywhere on a line; a line ending in '\' continues on the
//     next; blank lines are skipped; blanks and tabs separate words.
//   - Each logical line is a resource group: the preferred node's name (matched in any
//     case), then resources started left to right and stopped right to left.
//   - A resource is a script name, optionally followed by "::"-separated arguments
//     ("Filesystem::/dev/sda1::/data1::ext2"). A word that looks like an IPv4 address
//     (starts with a digit and has three dots, such as "10.0.0.1" or
//     "10.0.0.1/24/eth0/10.0.0.255") is shorthand for "IPaddr::" followed by it.
//   - A group is known by its first resource (its key), which must be unique.
package haresources

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// DefaultPath is where heartbeat reads the file.
const DefaultPath = "/etc/ha.d/haresources"

// Resource is one resource: a script and its arguments.
type Resource struct {
	Script string
	Args   []string
	// Spec is the word as written in the file ("10.0.0.1", "httpd", "IPaddr::...").
	Spec string
}

// String is the canonical spec heartbeat passes around: "IPaddr::10.0.0.1" for the bare
// IP shorthand, otherwise the word as written.
func (r Resource) String() string {
	if len(r.Args) == 0 {
		return r.Script
	}
	return r.Script + "::" + strings.Join(r.Args, "::")
}

// Group is one logical line.
type Group struct {
	Node      string // preferred node, lower-cased
	Resources []Resource
	Line      int // first physical line
}

// Key is the group's name in heartbeat's messages: its first resource as written.
func (g Group) Key() string { return g.Resources[0].Spec }

// File is the whole file.
type File struct {
	Groups []Group
}

// Error is one problem at a line.
type Error struct {
	File string
	Line int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

const maxLine = 64 << 10

// Parse reads the file from r; name is used in messages.
func Parse(name string, r io.Reader) (*File, error) {
	f := &File{}
	var errs []error
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1024), maxLine)
	lineno, start := 0, 0
	var logical strings.Builder
	keys := map[string]int{}
	flush := func() {
		text := logical.String()
		logical.Reset()
		words := strings.Fields(text)
		if len(words) == 0 {
			return
		}
		g := Group{Node: strings.ToLower(words[0]), Line: start}
		if len(words) == 1 {
			errs = append(errs, &Error{name, start, fmt.Sprintf("node %s has no resources: want \"node resource...\"", words[0])})
			return
		}
		for _, w := range words[1:] {
			res, err := ParseResource(w)
			if err != nil {
				errs = append(errs, &Error{name, start, err.Error()})
				continue
			}
			g.Resources = append(g.Resources, res)
		}
		if len(g.Resources) == 0 {
			return
		}
		if l, dup := keys[g.Key()]; dup {
			errs = append(errs, &Error{name, start, fmt.Sprintf("resource group %s already defined at line %d: a group's first resource must be unique", g.Key(), l)})
			return
		}
		keys[g.Key()] = start
		f.Groups = append(f.Groups, g)
	}
	for sc.Scan() {
		lineno++
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		line = strings.TrimRight(line, "\r")
		if logical.Len() == 0 {
			start = lineno
		}
		if strings.HasSuffix(line, "\\") {
			logical.WriteString(line[:len(line)-1])
			logical.WriteByte(' ')
			continue
		}
		logical.WriteString(line)
		flush()
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, &Error{name, lineno + 1, err.Error()})
	}
	flush()
	return f, errors.Join(errs...)
}

// IsIPShorthand reports whether ResourceManager takes a word for an IP address (shell
// pattern [0-9]*.[0-9]*.[0-9]*.[0-9]*).
func IsIPShorthand(w string) bool {
	return w != "" && w[0] >= '0' && w[0] <= '9' && strings.Count(w, ".") >= 3
}

// ParseResource reads one resource word.
func ParseResource(w string) (Resource, error) {
	r := Resource{Spec: w}
	if IsIPShorthand(w) && !strings.Contains(w, "::") {
		r.Script, r.Args = "IPaddr", []string{w}
	} else if i := strings.Index(w, "::"); i >= 0 {
		r.Script = w[:i]
		for _, a := range strings.Split(w[i+2:], "::") {
			r.Args = append(r.Args, a)
		}
	} else {
		r.Script = w
	}
	if r.Script == "" || strings.Contains(r.Script, "/") || r.Script == "." || r.Script == ".." {
		return r, fmt.Errorf("resource %q: want a script name (from resource.d or init.d), optionally followed by ::arguments", w)
	}
	if r.Script == "IPaddr" || r.Script == "IPaddr2" {
		if len(r.Args) == 0 {
			return r, fmt.Errorf("resource %q: want %s::address[/bits[/interface][/broadcast]]", w, r.Script)
		}
		// IPaddr2 also takes IPv6 (its agent checks it); heartbeat splits arguments at
		// "::", so such an address is written without it (2001:db8:6:0:0:0:0:100).
		v6, _, _ := strings.Cut(r.Args[0], "/")
		if r.Script == "IPaddr2" && strings.Contains(v6, ":") {
			return r, nil
		}
		if _, err := ParseIPaddr(r.Args[0]); err != nil {
			return r, fmt.Errorf("resource %q: %w", w, err)
		}
	}
	return r, nil
}

// IPaddr is the argument of the IPaddr and IPaddr2 resources:
// address[/bits[/interface][/broadcast]], where the interface may carry an alias label
// ("eth0:0"). Zero fields are left for the resource to work out from the routing table,
// as the original scripts do.
type IPaddr struct {
	Addr      netip.Addr
	Bits      int // -1 when not given
	Interface string
	Broadcast netip.Addr
}

// ParseIPaddr reads "10.0.0.1", "10.0.0.1/24", "10.0.0.1/24/eth0",
// "10.0.0.1/24/10.0.0.255" or "10.0.0.1/24/eth0/10.0.0.255".
func ParseIPaddr(s string) (IPaddr, error) {
	p := IPaddr{Bits: -1}
	parts := strings.Split(s, "/")
	a, err := netip.ParseAddr(parts[0])
	if err != nil || !a.Is4() {
		return p, fmt.Errorf("%q is not an IPv4 address", parts[0])
	}
	p.Addr = a
	if len(parts) > 4 {
		return p, fmt.Errorf("%q: want address[/bits[/interface][/broadcast]]", s)
	}
	if len(parts) > 1 && parts[1] != "" {
		n, err := strconv.Atoi(parts[1])
		if err != nil || n < 0 || n > 32 {
			// The scripts also take a dotted netmask here.
			m, merr := netip.ParseAddr(parts[1])
			if merr != nil || !m.Is4() {
				return p, fmt.Errorf("%q: netmask %q is neither 0-32 nor a dotted mask", s, parts[1])
			}
			ones, ok := maskBits(m.As4())
			if !ok {
				return p, fmt.Errorf("%q: netmask %q is not contiguous", s, parts[1])
			}
			n = ones
		}
		p.Bits = n
	}
	rest := parts[min(2, len(parts)):]
	for i, x := range rest {
		if b, err := netip.ParseAddr(x); err == nil {
			if !b.Is4() || i != len(rest)-1 {
				return p, fmt.Errorf("%q: want address[/bits[/interface][/broadcast]]", s)
			}
			p.Broadcast = b
			continue
		}
		if i != 0 || x == "" {
			return p, fmt.Errorf("%q: want address[/bits[/interface][/broadcast]]", s)
		}
		p.Interface = x
	}
	return p, nil
}

func maskBits(b [4]byte) (int, bool) {
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&0x80000000 != 0 {
		n++
		v <<= 1
	}
	return n, v == 0
}
