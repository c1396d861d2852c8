package timeperiod

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/lvskit/lvskit/compat/perlnum"
)

// Period is a parsed Time::Period specification. The zero value is the
// empty spec, which contains every time.
type Period struct {
	spec string
	kind kind
	subs []subPeriod
}

type kind int

const (
	kindAlways kind = iota // blank spec: inPeriod returns 1
	kindNever              // "none": inPeriod returns 0
	kindSubs               // sub-periods
)

// Scale is one of Time::Period's nine scales.
type Scale int

const (
	Year Scale = iota
	Month
	Week
	YearDay
	MonthDay
	WeekDay
	Hour
	Minute
	Second
	numScales

	yearDaySingle = numScales + 1 // a lone yd value, see scaleValue
)

var scaleCodes = [numScales]string{"yr", "mo", "wk", "yd", "md", "wd", "hr", "min", "sec"}

func (s Scale) String() string {
	if s >= 0 && s < numScales {
		return scaleCodes[s]
	}
	return fmt.Sprintf("Scale(%d)", int(s))
}

// Long names are only recognised when longer than three characters and
// codes only when two or three long: that is how inPeriod tells them apart.
var longScales = map[string]Scale{
	"year": Year, "month": Month, "week": Week, "yday": YearDay, "mday": MonthDay,
	"wday": WeekDay, "hour": Hour, "minute": Minute, "second": Second,
}

var codeScales = map[string]Scale{
	"yr": Year, "mo": Month, "wk": Week, "yd": YearDay, "md": MonthDay,
	"wd": WeekDay, "hr": Hour, "min": Minute, "sec": Second,
}

// valRange is one "v" or "v-v" of a scale, converted to the scale's
// internal numbering (months 0-11, week days 0-6 from Sunday, weeks 0-5,
// year days 0-365, hours 0-23 ...).
type valRange struct {
	lo, hi  float64
	isRange bool
	// twoDigit marks year values 0-99, which take the century of the time
	// being evaluated.
	loTwo, hiTwo bool
}

type subPeriod struct {
	err error // first malformed part; the whole sub-period is then -1
	// ranges per scale named in the sub-period; present[s] is set even
	// when the scale has no range at all ("wd {}"), which never matches.
	present [numScales]bool
	ranges  [numScales][]valRange
}

// Error is a malformed-spec error.
type Error struct {
	Spec string
	Msg  string
}

func (e *Error) Error() string {
	return fmt.Sprintf("malformed time period %q: %s", e.Spec, e.Msg)
}

// Parse parses spec. When err is non-nil the returned Period is still
// usable and evaluates exactly as perl would (InPeriod returns -1 once a
// malformed sub-period is reached); err reports the first malformed
// sub-period.
func Parse(spec string) (Period, error) {
	p := Period{spec: spec}
	s := asciiLower(trimPerl(spec))
	switch s {
	case "":
		p.kind = kindAlways
		return p, nil
	case "none":
		p.kind = kindNever
		return p, nil
	}
	p.kind = kindSubs
	var first error
	for _, sp := range perlSplit(s, isCommaSep) {
		sub := parseSub(sp)
		if sub.err != nil && first == nil {
			first = &Error{Spec: spec, Msg: sub.err.Error()}
		}
		p.subs = append(p.subs, sub)
	}
	return p, first
}

// MustParse is Parse that panics on error (for tests and constants).
func MustParse(spec string) Period {
	p, err := Parse(spec)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the spec as given to Parse.
func (p Period) String() string { return p.spec }

// InPeriod returns 1 if t is in the period, 0 if not, -1 if a malformed
// part of the spec had to be examined (perl's inPeriod result). Like
// perl, a time before 1970 is malformed (-1) unless the spec is blank.
func (p Period) InPeriod(t time.Time) int {
	if t.Unix() < 0 {
		return -1
	}
	switch p.kind {
	case kindAlways:
		return 1
	case kindNever:
		return 0
	}
	f := fieldsOf(t)
	for i := range p.subs {
		sub := &p.subs[i]
		if sub.err != nil {
			return -1
		}
		if sub.matches(&f) {
			return 1
		}
	}
	return 0
}

// Contains reports whether t is in the period (InPeriod(t) == 1).
func (p Period) Contains(t time.Time) bool { return p.InPeriod(t) == 1 }

// Active is perl truthiness of inPeriod: mon tests "if (inPeriod(...))",
// so -1 counts as in the period at run time.
func (p Period) Active(t time.Time) bool { return p.InPeriod(t) != 0 }

// fields are the values of each scale at a time, numbered as Time::Period
// numbers them (from perl's localtime).
type fields struct {
	v    [numScales]int
	year int
}

func fieldsOf(t time.Time) fields {
	var f fields
	f.year = t.Year()
	f.v[Year] = t.Year()
	f.v[Month] = int(t.Month()) - 1
	f.v[YearDay] = t.YearDay() - 1
	f.v[MonthDay] = t.Day()
	f.v[WeekDay] = int(t.Weekday())
	f.v[Hour] = t.Hour()
	f.v[Minute] = t.Minute()
	f.v[Second] = t.Second()
	// Week of the month: 0 for the days up to the first Sunday after the
	// 1st, then one more at each Sunday (a Sunday on the 1st does not
	// start a new week).
	wk := 0
	for d := 2; d <= t.Day(); d++ {
		if ((int(t.Weekday())-(t.Day()-d))%7+7)%7 == 0 {
			wk++
		}
	}
	f.v[Week] = wk
	return f
}

func (sp *subPeriod) matches(f *fields) bool {
	for s := Scale(0); s < numScales; s++ {
		if !sp.present[s] {
			continue
		}
		ok := false
		for _, r := range sp.ranges[s] {
			if r.contains(s, f) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

func (r valRange) contains(s Scale, f *fields) bool {
	x := float64(f.v[s])
	lo, hi := r.lo, r.hi
	if s == Year {
		// Two-digit years take the evaluated year's first two digits,
		// and year ranges never wrap: they are put in order.
		century := yearCentury(f.year)
		if r.loTwo {
			lo += century
		}
		if !r.isRange {
			return lo == x
		}
		if r.hiTwo {
			hi += century
		}
		if lo > hi {
			lo, hi = hi, lo
		}
		return lo <= x && x <= hi
	}
	if !r.isRange {
		return lo == x
	}
	if lo > hi {
		return lo <= x || hi >= x
	}
	return lo <= x && x <= hi
}

// yearCentury is 100 times the first two characters of the year as a
// decimal string, as perl's substr($yr, 0, 2) gives.
func yearCentury(year int) float64 {
	s := fmt.Sprint(year)
	if len(s) > 2 {
		s = s[:2]
	}
	return 100 * perlNum(s)
}

func parseSub(sp string) subPeriod {
	var sub subPeriod
	lb, rb := strings.Count(sp, "{"), strings.Count(sp, "}")
	if lb != rb || lb == 0 {
		sub.err = fmt.Errorf("sub-period %q: unbalanced or missing braces", sp)
		return sub
	}
	scales := perlSplit(sp, isBraceSep)
	if len(scales) != lb {
		sub.err = fmt.Errorf("sub-period %q: expected scale {ranges} ...", sp)
		return sub
	}
	for _, sc := range scales {
		name, data, ok := splitScale(sc)
		if !ok {
			sub.err = fmt.Errorf("%q: expected scale {ranges}", sc)
			return sub
		}
		var s Scale
		switch {
		case len(name) > 3:
			s, ok = longScales[name]
		case len(name) > 1:
			s, ok = codeScales[name]
		default:
			ok = false
		}
		if !ok {
			sub.err = fmt.Errorf("unknown scale %q (want yr mo wk yd md wd hr min sec or year month week yday mday wday hour minute second)", name)
			return sub
		}
		sub.present[s] = true
		data = joinDashes(data)
		for _, rg := range perlSplit(data, isSpaceSep) {
			r, err := parseRange(s, rg)
			if err != nil {
				sub.err = err
				return sub
			}
			sub.ranges[s] = append(sub.ranges[s], r)
		}
	}
	return sub
}

// splitScale splits "name {data" (the text between two "}") the way
// inPeriod's /^([a-z]*)\s*{\s*(.*)/ does: data stops at a newline.
func splitScale(sc string) (name, data string, ok bool) {
	i := 0
	for i < len(sc) && sc[i] >= 'a' && sc[i] <= 'z' {
		i++
	}
	name = sc[:i]
	j := i
	for j < len(sc) && isSpace(sc[j]) {
		j++
	}
	if j >= len(sc) || sc[j] != '{' {
		return "", "", false
	}
	j++
	for j < len(sc) && isSpace(sc[j]) {
		j++
	}
	data = sc[j:]
	if k := strings.IndexByte(data, '\n'); k >= 0 {
		data = data[:k]
	}
	return name, data, true
}

func parseRange(s Scale, rg string) (valRange, error) {
	var r valRange
	bad := func() (valRange, error) {
		return r, fmt.Errorf("bad %s range %q", s, rg)
	}
	if k := strings.LastIndexByte(rg, '-'); k >= 0 {
		v1, v2 := rg[:k], rg[k+1:]
		if !hasWord(v1) || !hasWord(v2) {
			return bad()
		}
		var ok1, ok2 bool
		r.isRange = true
		r.lo, r.loTwo, ok1 = scaleValue(s, v1)
		r.hi, r.hiTwo, ok2 = scaleValue(s, v2)
		if !ok1 || !ok2 {
			return bad()
		}
		return r, nil
	}
	if !hasWord(rg) {
		return bad()
	}
	var ok bool
	vs := s
	if s == YearDay {
		vs = yearDaySingle
	}
	r.lo, r.loTwo, ok = scaleValue(vs, rg)
	if !ok {
		return bad()
	}
	r.hi = r.lo
	return r, nil
}

var monthNames = map[string]int{
	"jan": 0, "feb": 1, "mar": 2, "apr": 3, "may": 4, "jun": 5,
	"jul": 6, "aug": 7, "sep": 8, "oct": 9, "nov": 10, "dec": 11,
}

var dayNames = map[string]int{"su": 0, "mo": 1, "tu": 2, "we": 3, "th": 4, "fr": 5, "sa": 6}

// scaleValue converts one value of a scale to the internal numbering.
func scaleValue(s Scale, v string) (val float64, twoDigit bool, ok bool) {
	switch s {
	case Year:
		if !allDigits(v) {
			return 0, false, false
		}
		n := perlNum(v)
		if n > 99 && n < 1970 {
			return 0, false, false
		}
		return n, n <= 99, true
	case Month:
		return named(v, 3, monthNames, 1, 12)
	case WeekDay:
		return named(v, 2, dayNames, 1, 7)
	case Week:
		return numeric(v, 1, 6, -1)
	case YearDay:
		return numeric(v, 1, 366, -1)
	case yearDaySingle:
		// A single year day is decremented before it is checked for
		// non-digits, so perl's numeric reading of any prefix counts
		// ("9am" is day 9, "2.0" day 2, "1e2" day 100).
		n := perlnum.Prefix(v) - 1
		if n != math.Trunc(n) || n < 0 || n > 365 {
			return 0, false, false
		}
		return n, false, true
	case MonthDay:
		return numeric(v, 1, 31, 0)
	case Minute, Second:
		return numeric(v, 0, 59, 0)
	case Hour:
		return hourValue(v)
	}
	return 0, false, false
}

// named handles month and week-day values: a value with a letter is
// looked up by its first n characters; otherwise it must be a number
// lo..hi, counted from 1.
func named(v string, n int, names map[string]int, lo, hi float64) (float64, bool, bool) {
	if hasLower(v) {
		if len(v) > n {
			v = v[:n]
		}
		x, ok := names[v]
		return float64(x), false, ok
	}
	return numeric(v, lo, hi, -1)
}

func numeric(v string, lo, hi, shift float64) (float64, bool, bool) {
	if !allDigits(v) {
		return 0, false, false
	}
	n := perlNum(v)
	if n < lo || n > hi {
		return 0, false, false
	}
	return n + shift, false, true
}

// hourValue accepts 0-23 and the forms Nam (12am is 0), Npm (12pm is 12,
// else N+12) and 12noon; the result must be 0-23.
func hourValue(v string) (float64, bool, bool) {
	var n float64
	switch {
	case digitsThen(v, "am"):
		n = perlNum(v[:len(v)-2])
		if n == 12 {
			n = 0
		}
	case digitsThen(v, "pm"):
		n = perlNum(v[:len(v)-2])
		if n != 12 {
			n += 12
		}
	case digitsThen(v, "noon"):
		n = perlNum(v[:len(v)-4])
		if n != 12 {
			return 0, false, false
		}
	default:
		if !allDigits(v) {
			return 0, false, false
		}
		n = perlNum(v)
	}
	if n < 0 || n > 23 {
		return 0, false, false
	}
	return n, false, true
}

func digitsThen(v, suffix string) bool {
	return strings.HasSuffix(v, suffix) && len(v) > len(suffix) && allDigits(v[:len(v)-len(suffix)])
}

// allDigits is perl's "$v !~ /\D/": true for "" too.
func allDigits(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return true
}

func hasLower(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] >= 'a' && v[i] <= 'z' {
			return true
		}
	}
	return false
}

// asciiLower is perl's lc on a byte string: ASCII letters only.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func hasWord(v string) bool {
	for i := 0; i < len(v); i++ {
		if isWord(v[i]) {
			return true
		}
	}
	return false
}

// isSpace is perl's \s on bytes: space, \t, \n, \v, \f, \r.
func isSpace(c byte) bool {
	return c == ' ' || c >= '\t' && c <= '\r'
}

// perlNum converts a string of decimal digits as perl's numeric context
// does (an empty string is 0; huge values lose precision like an NV).
func perlNum(v string) float64 {
	var n float64
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			break
		}
		n = n*10 + float64(v[i]-'0')
	}
	return n
}

// trimPerl removes leading and trailing perl white space. Like
// s/^\s*(.*)/$1/ it only strips leading white space up to the first
// non-space character, newlines included.
func trimPerl(s string) string {
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// joinDashes removes white space around "-" between words, as
// s/(\w+)\s*-\s*(\w+)/$1-$2/g does: left to right, non-overlapping.
func joinDashes(s string) string {
	var b strings.Builder
	i := 0
	for i < len(s) {
		// Find the next match starting at or after i.
		start, end, out, ok := matchDash(s, i)
		if !ok {
			b.WriteString(s[i:])
			break
		}
		b.WriteString(s[i:start])
		b.WriteString(out)
		i = end
	}
	return b.String()
}

// matchDash finds the leftmost match of (\w+)\s*-\s*(\w+) at or after
// from, with perl's greedy-with-backtracking choice: the first \w+ is the
// whole word run ending right before the spaces/dash (starting at the
// earliest start position that can match), the second \w+ is greedy.
func matchDash(s string, from int) (start, end int, out string, ok bool) {
	for st := from; st < len(s); st++ {
		if !isWord(s[st]) {
			continue
		}
		// \w+ greedy from st; backtracking can only shorten it, and a
		// shorter run is followed by a word char, which can be neither
		// \s nor '-', so only the full run can match.
		e := st
		for e < len(s) && isWord(s[e]) {
			e++
		}
		k := e
		for k < len(s) && isSpace(s[k]) {
			k++
		}
		if k >= len(s) || s[k] != '-' {
			continue
		}
		k++
		for k < len(s) && isSpace(s[k]) {
			k++
		}
		if k >= len(s) || !isWord(s[k]) {
			continue
		}
		w2 := k
		for k < len(s) && isWord(s[k]) {
			k++
		}
		return st, k, s[st:e] + "-" + s[w2:k], true
	}
	return 0, 0, "", false
}

func isCommaSep(s string, i int) int {
	// \s*,\s* : the match must contain a comma; leftmost start is the
	// first space of a run of spaces followed by a comma.
	j := i
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	if j >= len(s) || s[j] != ',' {
		return -1
	}
	j++
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	return j
}

func isBraceSep(s string, i int) int {
	if s[i] != '}' {
		return -1
	}
	j := i + 1
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	return j
}

func isSpaceSep(s string, i int) int {
	j := i
	for j < len(s) && isSpace(s[j]) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// perlSplit is perl's split(/PATTERN/, s) for patterns that never match
// the empty string: sep(s, i) returns the end of a match starting at i or
// -1. Leading empty fields are kept, trailing empty fields are removed,
// and an empty string gives no fields.
func perlSplit(s string, sep func(s string, i int) int) []string {
	var out []string
	last := 0
	for i := 0; i < len(s); {
		if e := sep(s, i); e >= 0 {
			out = append(out, s[last:i])
			last = e
			i = e
			continue
		}
		i++
	}
	out = append(out, s[last:])
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}
