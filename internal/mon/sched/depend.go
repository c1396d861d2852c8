package sched

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/lvskit/lvskit/compat/monconf"
)

var depRefRe = regexp.MustCompile(`[a-zA-Z0-9_.-]+:[a-zA-Z0-9_.-]+`)

// depExprFor is the dependency expression of st for a dependency type, as dep_ok picks it.
func depExprFor(s *monconf.Service, deptype string) string {
	switch {
	case s.Depend != "" && s.DepBehavior == deptype:
		return s.Depend
	case deptype == "a" && s.AlertDepend != "":
		return s.AlertDepend
	case deptype == "m" && s.MonitorDepend != "":
		return s.MonitorDepend
	}
	return ""
}

// depOK is mon's dep_ok: it evaluates the service's dependencies and records the result
// in its depend status. ok is false on a failed dependency or an evaluation error.
func (e *Engine) depOK(st *ServiceState, deptype string, t int64) (ok bool, err error) {
	expr := depExprFor(st.cfg, deptype)
	if expr == "" {
		return true, nil
	}
	v, err := e.depend(expr, 0, deptype, t)
	if err != nil {
		e.log("notice", "eval error for dependency starting at %s: %v", expr, err)
		return false, err
	}
	if !v {
		st.dependStatus = someInt(0)
		return false, nil
	}
	st.dependStatus = someInt(1)
	return true, nil
}

// depend evaluates expr with every GROUP:SERVICE replaced by 1 (passing) or 0.
func (e *Engine) depend(expr string, depth int, deptype string, t int64) (bool, error) {
	if depth > e.depRecurLimit {
		return false, fmt.Errorf("recursion too deep for (%s)", expr)
	}
	var evalErr error
	sub := depRefRe.ReplaceAllStringFunc(expr, func(ref string) string {
		g, s, _ := strings.Cut(ref, ":")
		st := e.byKey[key{g, s}]
		if st == nil {
			// mon autovivifies an empty service: untested counts as success.
			return "1"
		}
		ok := IsSuccess(st.opStatus) && !e.remembered(st, t)
		if subexpr := depExprFor(st.cfg, deptype); subexpr != "" {
			v, err := e.depend(subexpr, depth+1, deptype, t)
			if err != nil {
				evalErr = err
				return "0"
			}
			ok = ok && v
		}
		if ok {
			return "1"
		}
		return "0"
	})
	if evalErr != nil {
		return false, evalErr
	}
	return evalBool(sub)
}

// remembered reports whether dep, passing now, failed within its dep_memory before t:
// as the manual says, the failed dependency goes on holding back the alerts (dep_behavior
// a), monitors (m) or hosts (hm) of the services depending on it for that long after it
// recovers. mon 1.3.6 reads the time of the last failure for this but never records it,
// so there dep_memory does nothing; mond keeps it. With no dep_memory (the default)
// nothing is remembered, as in mon.
func (e *Engine) remembered(dep *ServiceState, t int64) bool {
	m := secs(dep.cfg.DepMemory)
	return m > 0 && dep.lastFailureTime != 0 && dep.lastFailureTime >= t-m
}

// depSummary lists the summaries of the direct dependencies that are failing (for
// dep_behavior hm / hostdepend), or that passed since a failure they are remembered
// for (dep_memory): then the summary of that failure.
func (e *Engine) depSummary(st *ServiceState, t int64) []string {
	expr := ""
	if st.cfg.Depend != "" && st.cfg.DepBehavior == "hm" {
		expr = st.cfg.Depend
	} else {
		expr = st.cfg.HostDepend
	}
	var sum []string
	for _, ref := range depRefRe.FindAllString(expr, -1) {
		g, s, _ := strings.Cut(ref, ":")
		d := e.byKey[key{g, s}]
		if d == nil {
			return nil
		}
		if d.opStatus == StatFail {
			sum = append(sum, d.lastSummary.v)
		} else if e.remembered(d, t) {
			sum = append(sum, d.lastFailureSummary)
		}
	}
	return sum
}

// evalBool evaluates the perl boolean expressions dependencies are written in, after
// substitution: 0/1 (and other integers), !, not, &&, and, ||, or, parentheses.
func evalBool(s string) (bool, error) {
	p := &boolParser{toks: tokenize(s)}
	v, err := p.or()
	if err != nil {
		return false, err
	}
	if p.i != len(p.toks) {
		return false, fmt.Errorf("syntax error near %q", p.toks[p.i])
	}
	return v, nil
}

func tokenize(s string) []string {
	var toks []string
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			i++
		case strings.HasPrefix(s[i:], "&&") || strings.HasPrefix(s[i:], "||"):
			toks = append(toks, s[i:i+2])
			i += 2
		case c == '!' || c == '(' || c == ')':
			toks = append(toks, string(c))
			i++
		default:
			j := i
			for j < len(s) && strings.IndexByte(" \t!()&|", s[j]) < 0 {
				j++
			}
			if j == i {
				j = i + 1
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks
}

type boolParser struct {
	toks []string
	i    int
}

func (p *boolParser) peek() string {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return ""
}

func (p *boolParser) or() (bool, error) {
	v, err := p.and()
	for err == nil && (p.peek() == "||" || p.peek() == "or") {
		p.i++
		var r bool
		r, err = p.and()
		v = v || r
	}
	return v, err
}

func (p *boolParser) and() (bool, error) {
	v, err := p.not()
	for err == nil && (p.peek() == "&&" || p.peek() == "and") {
		p.i++
		var r bool
		r, err = p.not()
		v = v && r
	}
	return v, err
}

func (p *boolParser) not() (bool, error) {
	if p.peek() == "!" || p.peek() == "not" {
		p.i++
		v, err := p.not()
		return !v, err
	}
	return p.atom()
}

func (p *boolParser) atom() (bool, error) {
	t := p.peek()
	switch {
	case t == "(":
		p.i++
		v, err := p.or()
		if err != nil {
			return false, err
		}
		if p.peek() != ")" {
			return false, fmt.Errorf("missing )")
		}
		p.i++
		return v, nil
	case t != "" && strings.Trim(t, "0123456789") == "":
		p.i++
		return strings.Trim(t, "0") != "", nil
	}
	return false, fmt.Errorf("syntax error near %q", t)
}
