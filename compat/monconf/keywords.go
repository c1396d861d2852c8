package monconf

import (
	"fmt"
	"time"
)

// ParseOnly lists keywords that monconf parses and validates exactly as
// mon does but whose behaviour needs machinery beyond the mon.cf engine
// (SNMP-style traps, a remote mon, PAM). mond decides which of them it
// refuses; FirstUse finds where a config uses one so the message can name
// file:line.
var ParseOnly = []string{
	"traptimeout", "trapduration", // service: trap timers
	"trapbind", "trapport", // globals: the trap listener
	"monremote",  // global: forward commands to a remote mon
	"pamservice", // global: PAM (authtype pam is rejected while parsing)
}

// Use is one place where a keyword is used.
type Use struct {
	Keyword string
	Line    int
	Watch   string // "" for a global option
	Service string
	Period  string // period label, for period keywords
}

func (u Use) String() string {
	switch {
	case u.Watch == "":
		return fmt.Sprintf("line %d: global option %s", u.Line, u.Keyword)
	case u.Period == "":
		return fmt.Sprintf("line %d: %s in watch %s service %s", u.Line, u.Keyword, u.Watch, u.Service)
	}
	return fmt.Sprintf("line %d: %s in watch %s service %s period %s", u.Line, u.Keyword, u.Watch, u.Service, u.Period)
}

// FirstUse returns the first use (lowest line) of any of the keywords:
// global options, service keywords or period keywords.
func (c *Config) FirstUse(keywords ...string) (Use, bool) {
	var best Use
	found := false
	consider := func(u Use) {
		if !found || u.Line < best.Line {
			best, found = u, true
		}
	}
	for _, kw := range keywords {
		if c.Globals.Set[kw] {
			consider(Use{Keyword: kw, Line: c.Globals.Lines[kw]})
		}
		for _, w := range c.Watches {
			for _, s := range w.Services {
				if s.Set[kw] {
					consider(Use{Keyword: kw, Line: s.Lines[kw], Watch: w.Group, Service: s.Name})
				}
				for _, p := range s.Periods {
					if p.Set[kw] {
						consider(Use{Keyword: kw, Line: p.Lines[kw], Watch: w.Group, Service: s.Name, Period: p.Label})
					}
				}
			}
		}
	}
	return best, found
}

// ParseDuration is mon's dhmstos, for command-line values such as -r: a
// number (a fraction is allowed) followed by s, m, h or d, any case. A
// bare number is an error, as in mon ("bad randstart value").
func ParseDuration(s string) (time.Duration, error) {
	d, _, ok := dhms(s)
	if !ok {
		return 0, fmt.Errorf("bad time value %q (want a number followed by s, m, h or d)", s)
	}
	return d, nil
}
