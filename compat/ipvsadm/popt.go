package ipvsadm

// This file is a small reimplementation of the parts of popt 1.19's option parser that
// ipvsadm 1.31 uses (poptGetNextOpt, poptGetArg, poptBadOption, poptStrerror).
//
// Why not github.com/spf13/pflag: popt's behaviour differs from pflag's in ways that
// change what ipvsadm accepts and prints, and pflag cannot be configured to match:
//   - ipvsadm reads options one at a time and acts on their ORDER (the first option must be
//     a command; -6 must come after -f; -r copies the service's protocol at that moment),
//     while pflag parses everything up front and keeps only values.
//   - popt has no abbreviations of long options, and a single-dash word ("-Ln", "-list")
//     is always a bundle of short options; "--name=value" and "-tVALUE" / "-t=VALUE" work.
//   - an optional argument (-p [timeout]) is taken from the next word unless that word
//     starts with '-', so "-p 360" works (pflag's NoOptDefVal would not take "360").
//   - "!#:+" inside an option argument is replaced by the next free non-option word.
//   - popt's error texts ("unknown option", "missing argument", ...) and the word it
//     blames (poptBadOption) are part of ipvsadm's output.
// Aliases, exec options, callbacks and other popt features ipvsadm does not use are left
// out.

// Popt error codes, as popt.h numbers them.
const (
	poptErrNoArg       = -10
	poptErrBadOpt      = -11
	poptErrUnwantedArg = -12
)

type poptArgKind uint8

const (
	poptArgNone poptArgKind = iota
	poptArgString
)

// poptOption is one row of a popt option table.
type poptOption struct {
	long     string
	short    byte
	kind     poptArgKind
	optional bool // POPT_ARGFLAG_OPTIONAL
	val      int
}

// poptContext is the parsing state of one argv.
type poptContext struct {
	opts []poptOption
	argv []string
	next int // index of the next word

	charArg    string // rest of a bundle of short options ("" when none)
	hasCharArg bool

	restLeftover  bool
	posixMeHarder bool
	leftovers     []string
	nextLeftover  int
	stripped      map[int]bool // words consumed by "!#:+"

	// optArg is the argument of the option last returned; nil when the option took none
	// (an optional argument that was absent).
	optArg *string
}

// newPoptContext starts parsing argv (argv[0] is the program name and is skipped).
// posixMeHarder mirrors popt's POSIXLY_CORRECT / POSIX_ME_HARDER environment check.
func newPoptContext(opts []poptOption, argv []string, posixMeHarder bool) *poptContext {
	return &poptContext{opts: opts, argv: argv, next: 1, posixMeHarder: posixMeHarder}
}

func (c *poptContext) findLong(name string, oneDash bool) *poptOption {
	if oneDash {
		// No option of ipvsadm's table carries POPT_ARGFLAG_ONEDASH, so a single-dash
		// word never matches a long name.
		return nil
	}
	for i := range c.opts {
		if c.opts[i].long != "" && c.opts[i].long == name {
			return &c.opts[i]
		}
	}
	return nil
}

func (c *poptContext) findShort(ch byte) *poptOption {
	if ch == 0 {
		return nil
	}
	for i := range c.opts {
		if c.opts[i].short == ch {
			return &c.opts[i]
		}
	}
	return nil
}

// getNextOpt returns the next option's val, -1 at the end, or a popt error code.
func (c *poptContext) getNextOpt() int {
	for {
		var opt *poptOption
		longArg, hasLongArg := "", false

		if !c.hasCharArg && c.next == len(c.argv) {
			return -1
		}

		if !c.hasCharArg {
			if c.stripped[c.next] {
				c.next++
				continue
			}
			orig := c.argv[c.next]
			c.next++
			if c.restLeftover || len(orig) == 0 || orig[0] != '-' || orig == "-" {
				if c.posixMeHarder {
					c.restLeftover = true
				}
				c.leftovers = append(c.leftovers, orig)
				continue
			}
			if orig == "--" {
				c.restLeftover = true
				continue
			}
			s := orig[1:]
			oneDash := true
			if s[0] == '-' {
				s = s[1:]
				oneDash = false
			}
			name := s
			for i := 0; i < len(s); i++ {
				if s[i] == '=' {
					name = s[:i]
					longArg, hasLongArg = s[i+1:], true
					break
				}
			}
			opt = c.findLong(name, oneDash)
			if opt == nil && !oneDash {
				return poptErrBadOpt
			}
			if opt == nil {
				c.charArg, c.hasCharArg = orig[1:], true
				longArg, hasLongArg = "", false
			}
		}

		if c.hasCharArg {
			ch := c.charArg[0]
			rest := c.charArg[1:]
			c.charArg, c.hasCharArg = "", false
			opt = c.findShort(ch)
			if opt == nil {
				return poptErrBadOpt
			}
			if rest != "" {
				c.charArg, c.hasCharArg = rest, true
			}
		}

		c.optArg = nil
		if opt.kind == poptArgNone {
			if hasLongArg || (c.hasCharArg && c.charArg[0] == '=') {
				return poptErrUnwantedArg
			}
		} else {
			switch {
			case hasLongArg:
				a := c.expandNextArg(longArg)
				c.optArg = &a
			case c.hasCharArg:
				s := c.charArg
				if s[0] == '=' {
					s = s[1:]
				}
				a := c.expandNextArg(s)
				c.optArg = &a
				c.charArg, c.hasCharArg = "", false
			case c.next == len(c.argv):
				if !opt.optional {
					return poptErrNoArg
				}
			default:
				w := c.argv[c.next]
				if opt.optional && len(w) > 0 && w[0] == '-' {
					break
				}
				c.next++
				a := c.expandNextArg(w)
				c.optArg = &a
			}
		}
		return opt.val
	}
}

// expandNextArg replaces "!#:+" with the next word that is not an option and has not been
// used so far, and marks that word used. popt 1.19 loops forever when words remain but
// none qualifies; here the text is then left as it is.
func (c *poptContext) expandNextArg(s string) string {
	var out []byte
	var a string
	found := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == '!' && i+4 <= len(s) && s[i+1:i+4] == "#:+" {
			if !found {
				a, found = c.findNextArg()
			}
			if found {
				out = append(out, a...)
				i += 3
				continue
			}
		}
		out = append(out, ch)
	}
	return string(out)
}

func (c *poptContext) findNextArg() (string, bool) {
	for i := c.next; i < len(c.argv); i++ {
		if c.stripped[i] {
			continue
		}
		if len(c.argv[i]) > 0 && c.argv[i][0] == '-' {
			continue
		}
		if c.stripped == nil {
			c.stripped = map[int]bool{}
		}
		c.stripped[i] = true
		return c.argv[i], true
	}
	return "", false
}

// getArg returns the next leftover (non-option) word.
func (c *poptContext) getArg() (string, bool) {
	if c.nextLeftover < len(c.leftovers) {
		c.nextLeftover++
		return c.leftovers[c.nextLeftover-1], true
	}
	return "", false
}

// badOption is the word popt blames for an error: the last word it consumed.
func (c *poptContext) badOption() string {
	if c.next == 0 {
		return ""
	}
	return c.argv[c.next-1]
}

func poptStrerror(code int) string {
	switch code {
	case poptErrNoArg:
		return "missing argument"
	case poptErrUnwantedArg:
		return "option does not take an argument"
	case poptErrBadOpt:
		return "unknown option"
	}
	return "unknown error"
}
