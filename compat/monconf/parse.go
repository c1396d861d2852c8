package monconf

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/lvskit/lvskit/compat/timeperiod"
)

// ParseError is a configuration error at a line of a file.
type ParseError struct {
	File string
	Line int    // 0 when the error is not about a line (the file or m4 failed)
	Msg  string // mon's wording, e.g. "cf error: unknown syntax [foo]"
}

func (e *ParseError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
}

// Options change how a file is parsed.
type Options struct {
	// Readable reports whether a file can be read; mon checks "authfile"
	// and "userfile" values while parsing (relative to its working
	// directory). nil: not checked, every file counts as readable.
	Readable func(path string) bool
	// Now, when set, makes period validation time dependent exactly as
	// mon's (it calls inPeriod(time, spec) and rejects only a -1 result,
	// so a malformed sub-period after one that matches Now is accepted).
	// When zero, any malformed sub-period is an error: deterministic, and
	// the same for every spec that is well formed throughout.
	Now time.Time
}

// Parse parses a mon.cf read from r; name is used in error messages.
func Parse(name string, r io.Reader) (*Config, error) {
	return ParseWithOptions(name, r, Options{})
}

// ParseWithOptions is Parse with options.
func ParseWithOptions(name string, r io.Reader, opt Options) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: could not read cf file: %w", name, err)
	}
	p := newParser(name, opt)
	if err := p.run(data); err != nil {
		return nil, err
	}
	p.finish()
	return p.cfg, nil
}

type parser struct {
	cfg  *Config
	opt  Options
	line int

	inGroup, inAlias, inView, inWatch, inPeriod bool

	group   *Hostgroup
	alias   *Alias
	view    *View
	watch   *Watch
	service *Service
	period  *Period

	groups  map[string]*Hostgroup
	watches map[string]*Watch
	// hasServices: mon's %watch only gets an entry for a group once a
	// service line is read in it.
	hasServices map[string]bool
}

func newParser(name string, opt Options) *parser {
	if opt.Readable == nil {
		opt.Readable = func(string) bool { return true }
	}
	cfg := &Config{File: name, Globals: defaultGlobals()}
	return &parser{
		cfg:         cfg,
		opt:         opt,
		groups:      map[string]*Hostgroup{},
		watches:     map[string]*Watch{},
		hasServices: map[string]bool{},
	}
}

func defaultGlobals() Globals {
	return Globals{
		Set:            map[string]bool{},
		Raw:            map[string]string{},
		Lines:          map[string]int{},
		AlertDir:       "/usr/local/lib/mon/alert.d:alert.d",
		MonDir:         "/usr/local/lib/mon/mon.d:mon.d",
		BaseDir:        "/usr/lib/mon",
		CfBaseDir:      "/etc/mon",
		HistLength:     100,
		ServerPort:     2583,
		TrapPort:       2583,
		ClientAllow:    `\d+.\d+.\d+.\d+`,
		AuthFile:       "auth.cf",
		AuthType:       "getpwnam",
		AuthTypes:      []string{"getpwnam"},
		PamService:     "passwd",
		UserFile:       "monusers.cf",
		ClientTimeout:  30 * time.Second,
		MonErrFile:     "/dev/null",
		DtLogFile:      "downtime.log",
		DepRecurLimit:  10,
		DepBehavior:    "a",
		SyslogFacility: "daemon",
	}
}

func (p *parser) errf(format string, args ...any) error {
	return &ParseError{File: p.cfg.File, Line: p.line, Msg: "cf error: " + fmt.Sprintf(format, args...)}
}

// run reads logical lines as mon does: a line whose last non-blank
// character is a backslash continues on the next line (whose leading
// white space is dropped); lines starting with optional white space and
// "#" are skipped everywhere, even inside a continuation; each logical
// line is trimmed. A continuation still open at the end of the file is
// dropped. Line numbers are those of the last physical line.
func (p *parser) run(data []byte) error {
	var acc strings.Builder
	incomplete := false
	for len(data) > 0 {
		var part string
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			part, data = string(data[:i]), data[i+1:]
		} else {
			part, data = string(data), nil
		}
		p.line++
		if strings.HasPrefix(trimLeft(part), "#") {
			continue
		}
		if incomplete {
			part = trimLeft(part)
		}
		if body := trimRight(part); strings.HasSuffix(body, `\`) {
			incomplete = true
			acc.WriteString(body[:len(body)-1])
			continue
		}
		acc.WriteString(part)
		l := trim(acc.String())
		acc.Reset()
		incomplete = false
		if err := p.logicalLine(l); err != nil {
			return err
		}
	}
	return nil
}

var (
	reGlobal    = regexp.MustCompile(`^(\w+)` + sp + `*=` + sp + `*(.*)$`)
	reHostgroup = regexp.MustCompile(`^hostgroup` + sp + `+([a-zA-Z0-9_.-]+)` + sp + `*(.*)`)
	reAlias     = regexp.MustCompile(`^alias` + sp + `+([a-zA-Z0-9_.-]+)` + sp + `*$`)
	reView      = regexp.MustCompile(`^view` + sp + `+([a-zA-Z0-9_.-]+)` + sp + `+(.*)$`)
	reWatch     = regexp.MustCompile(`^watch` + sp + `+([a-zA-Z0-9_.-]+)`)
	reEnv       = regexp.MustCompile(`^([A-Z_][A-Z0-9_]*)=(.*)`)
	reKeyword   = regexp.MustCompile(`^(\w+)` + sp + `*(.*)$`)
	reTag       = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)
	// The period label is matched case-insensitively by mon; on the
	// lowercased line (ASCII only, as perl on bytes).
	rePeriodLabel = regexp.MustCompile(`^([a-z_]\w*)` + sp + `*:` + sp + `*(.*)$`)
)

// sp is perl's \s (Go's \s lacks \v).
const sp = `[\t\n\v\f\r ]`

func (p *parser) logicalLine(l string) error {
	if !p.inWatch {
		if m := reGlobal.FindStringSubmatch(l); m != nil {
			return p.global(m[1], m[2])
		}
	}
	if l == "" {
		// A blank line ends any record.
		p.inGroup, p.inAlias, p.inWatch, p.inPeriod, p.inView = false, false, false, false, false
		p.group, p.alias, p.watch, p.service, p.period = nil, nil, nil, nil, nil
		return nil
	}
	if m := reHostgroup.FindStringSubmatch(l); m != nil {
		p.resetRecords()
		p.inGroup = true
		p.defineGroup(m[1], splitSpace(m[2]))
		return nil
	}
	if p.inGroup {
		// Everything up to the next blank line is hosts, even a line
		// that looks like "watch X" (mon checks hostgroup continuation
		// lines before watch lines).
		p.group.Hosts = append(p.group.Hosts, splitSpace(l)...)
		return nil
	}
	if m := reAlias.FindStringSubmatch(l); m != nil {
		p.resetRecords()
		p.inAlias = true
		p.alias = &Alias{Name: m[1], Line: p.line}
		p.cfg.Aliases = append(p.cfg.Aliases, p.alias)
		return nil
	}
	if p.inAlias {
		p.alias.Lines = append(p.alias.Lines, l)
		return nil
	}
	if m := reView.FindStringSubmatch(l); m != nil {
		p.resetRecords()
		p.inView = true
		p.view = &View{Name: m[1], Items: splitSpace(m[2]), Line: p.line}
		p.cfg.Views = append(p.cfg.Views, p.view)
		return nil
	}
	if p.inView {
		p.view.Items = append(p.view.Items, splitSpace(l)...)
		return nil
	}
	if m := reWatch.FindStringSubmatch(l); m != nil {
		return p.startWatch(m[1])
	}
	if p.inWatch {
		return p.watchLine(l)
	}
	// mon silently ignores any other line outside a record.
	return nil
}

func (p *parser) resetRecords() {
	p.inGroup, p.inAlias, p.inView, p.inWatch, p.inPeriod = false, false, false, false, false
	p.group, p.alias, p.view, p.watch, p.service, p.period = nil, nil, nil, nil, nil, nil
}

// defineGroup (re)defines a hostgroup; a redefinition replaces the hosts
// but keeps the group's place.
func (p *parser) defineGroup(name string, hosts []string) {
	g := p.groups[name]
	if g == nil {
		g = &Hostgroup{Name: name}
		p.groups[name] = g
		p.cfg.Hostgroups = append(p.cfg.Hostgroups, g)
	}
	g.Hosts = hosts
	g.Line = p.line
	g.Implicit = false
	p.group = g
}

func (p *parser) startWatch(name string) error {
	p.resetRecords()
	p.inWatch = true
	if p.groups[name] == nil {
		g := &Hostgroup{Name: name, Hosts: []string{name}, Line: p.line, Implicit: true}
		p.groups[name] = g
		p.cfg.Hostgroups = append(p.cfg.Hostgroups, g)
		p.cfg.Warnings = append(p.cfg.Warnings,
			fmt.Sprintf("Warning: watch group %s defined with no corresponding hostgroup.", name))
	}
	if p.hasServices[name] {
		return p.errf("watch '%s' already defined", name)
	}
	w := p.watches[name]
	if w == nil {
		w = &Watch{Group: name, Line: p.line}
		p.watches[name] = w
		p.cfg.Watches = append(p.cfg.Watches, w)
	}
	p.watch = w
	return nil
}

func (p *parser) finish() {
	for _, g := range p.cfg.Hostgroups {
		if !p.hasServices[g.Name] {
			p.cfg.Warnings = append(p.cfg.Warnings,
				fmt.Sprintf("Warning: hostgroup %s has no watch assigned to it!", g.Name))
		}
	}
}

// checkPeriod validates a Time::Period spec as mon does.
func (p *parser) checkPeriod(spec string) (timeperiod.Period, bool) {
	tp, err := timeperiod.Parse(spec)
	if !p.opt.Now.IsZero() {
		return tp, tp.InPeriod(p.opt.Now) != -1
	}
	return tp, err == nil
}
