// Package timeperiod evaluates Time::Period (perl module, version 1.25)
// period specifications as used by mon's "period" and "exclude_period"
// lines, e.g. "wd {Mon-Fri} hr {7am-6pm}".
//
// The semantics follow Time::Period::inPeriod exactly (checked by a
// differential test against perl): sub-periods separated by commas are
// tried in order; a sub-period matches when, for every scale it names, one
// of its ranges contains the time; the first matching sub-period wins and
// later ones are not examined. inPeriod's "-1" (malformed) is therefore
// time dependent: a malformed sub-period is only reported when it is
// reached. InPeriod reproduces that tri-state result; Parse additionally
// reports (as an error) any malformed sub-period at all.
//
// API:
//
//	p, err := timeperiod.Parse("wd {Mon-Fri} hr {7am-6pm}")
//	p.InPeriod(t)  // 1, 0 or -1, as perl's inPeriod(t, spec)
//	p.Contains(t)  // InPeriod(t) == 1
//	p.Active(t)    // InPeriod(t) != 0: perl truthiness, how mon itself
//	               // tests periods at run time (-1 counts as "in period")
//	p.String()     // the spec as given
//
// Times are evaluated in t's own location (perl uses localtime): pass
// t.Local() or t.In(loc) as appropriate.
package timeperiod
