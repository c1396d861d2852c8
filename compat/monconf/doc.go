// Package monconf parses mon 1.3.6 configuration files (mon.cf) exactly as
// mon's read_cf does: same accepted syntax, same defaults, same errors
// (with file:line). It performs no I/O except in ParseFile (reading the
// file, running m4 for ".m4" files as mon does) and the readability check
// mon applies to "authfile" and "userfile" (injectable via Options).
//
// API (stable; fields are only ever added):
//
//	cfg, err := monconf.Parse(name, r)          // name is used in messages
//	cfg, err := monconf.ParseFile(path)         // runs "m4 FILE" if path ends in .m4
//	cfg, err := monconf.ParseWithOptions(name, r, monconf.Options{...})
//	cfg, err := monconf.ParseFileWithOptions(path, monconf.Options{M4: "m4", ForceM4: true})
//
// Errors are *ParseError{File, Line, Msg}; Error() reads
// "FILE:LINE: cf error: ..." with mon's own wording.
//
// Types (see config.go): Config{Globals, Hostgroups, Watches, Aliases,
// Views, Warnings}; Watch{Group, Services}; Service{Interval, Monitor,
// MonitorCmd, NoHosts, ..., Periods}; Period{Label, Spec, Parsed,
// Alerts/UpAlerts/StartupAlerts/AckAlerts/DisableAlerts []*AlertLine,
// AlertEvery, AlertEveryMode, AlertAfter*, NumAlerts, ...};
// AlertLine{Raw, ExitRange, Cmd{Program, Args}}.
//
// Durations follow mon's dhmstos: a number (decimals allowed) followed by
// one of s, m, h, d (case-insensitive). A bare number is NOT accepted by
// mon 1.3.6 ("interval 30" is a config error), so not here either.
//
// NotHonoured lists keywords mon parses that mond does not act on; mond
// decides how to report them (Config.Uses(keyword) tells whether a config
// uses one).
package monconf
