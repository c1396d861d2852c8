// Package monconf reads mon 1.3.6 configuration files (mon.cf) exactly as
// mon's read_cf does: the same accepted syntax, the same defaults, the
// same errors (with file:line). It also holds the string conventions mon's
// other surfaces share with mon.cf: perl's quotewords and mon's esc_str.
//
// It does no I/O: the caller reads the file — mond's loader
// (internal/mon/daemon.LoadConfig) opens it, or runs m4 on a ".m4" file as
// mon does — and answers, through Options.Readable, the readability check
// mon applies to "authfile" and "userfile" values.
//
// # API
//
//	cfg, err := monconf.Parse(name, r)          // name is used in messages
//	cfg, err := monconf.ParseWithOptions(name, r, monconf.Options{...})
//	d, err := monconf.ParseDuration("60s")      // mon's dhmstos, e.g. for -r
//	words, ok := monconf.QuoteWords(s)          // perl's quotewords('\s+', 0, s)
//	s = monconf.EscStr(s, inQuotes); monconf.UnEscStr(s) // mon's esc_str, un_esc_str
//	ok := alert.ExitRange.Contains(exit)        // mon's inRange
//	cmd := alert.TestCommand()                  // the line as "test alert" splits it
//	use, ok := cfg.FirstUse(monconf.ParseOnly...) // where a config uses a keyword
//
// Errors are *ParseError{File, Line, Msg}; Error() reads
// "FILE:LINE: cf error: ..." with mon's wording (the values shown are the
// ones written, where mon sometimes prints ”).
//
// Types (config.go): Config{Globals, Hostgroups, Watches, Aliases, Views,
// Warnings}; Watch{Group, Services}; Service{Interval, Monitor,
// MonitorCmd, NoHosts, Env, Periods, Set, Lines, ...}; Period{Label,
// Spec, Parsed, Alerts/UpAlerts/StartupAlerts/AckAlerts/DisableAlerts,
// AlertEvery, AlertEveryMode, AlertAfter*, NumAlerts, ...};
// AlertLine{Raw, ExitRange, Cmd{Program, ArgText, Args, QuoteError}}.
//
// # How mon 1.3.6 reads a file (and so does this package)
//
//   - Lines starting with optional white space and "#" are skipped, even
//     inside a continuation. There are no trailing comments: "interval 5m
//     # x" is an error, "monitor a.monitor # x" passes "#" and "x".
//   - A line ending in "\" (then optional blanks) continues on the next,
//     whose leading white space is dropped: "a \" + "  b" is "a b", "a\" +
//     " b" is "ab". Errors give the line number of the last physical line.
//   - Each logical line is trimmed; indentation means nothing.
//   - A blank line ends the current hostgroup, alias, view or watch
//     record. Lines outside any record that are not "name = value",
//     "hostgroup", "alias", "view" or "watch" are silently ignored.
//   - "name = value" outside watch blocks is a global option, even inside
//     a hostgroup/alias/view record. Unknown names are errors.
//   - After "hostgroup NAME hosts...", every following line up to a blank
//     line is more hosts, including "watch X" lines. The LVS manual's
//     three mon.cf files as printed have no blank lines, so mon reads no
//     watch at all from them (only warnings "hostgroup X has no watch
//     assigned to it!"); with blank lines restored they fail on "period
//     wd hr"/"period wd" (no braces: malformed) and on the wrapped
//     "-W 5 -F dr -u 1" lines (unknown syntax). See testdata/oracle.
//   - A watch of an undefined hostgroup gets an implicit group holding one
//     host named like the group (Hostgroup.Implicit) and a warning.
//   - Inside a watch: "service NAME", then service keywords, NAME=value
//     environment lines (no blanks around "="), then "period [LABEL:]
//     SPEC" sections with period keywords. After the first period line
//     only period keywords, "period" and "service" are accepted.
//   - Durations are dhmstos: a number (fraction allowed) and one unit of
//     s, m, h, d (any case). A bare number is an error. Most keywords
//     also reject a zero result ("0s", "0m"), yet accept "00s" or "0.0s"
//     (perl truth of the string mon keeps): Set[kw] tells they were given.
//   - "interval" has no default: a service without one is never polled.
//     alertevery, numalerts, randskew default to 0 (off).
//   - dep_behavior, dep_memory and unack_summary globals apply to the
//     services defined after them (Service.DepBehavior etc.).
//   - "alertafter N TIME" is refused when (N-1) * interval >= TIME, with
//     the interval set so far (0 if none); "alertafter TIME" takes only
//     h, m, s units.
//   - alertevery modifiers: strict, observe_detail, ignore_summary and
//     the old "summary" (no effect); comp_alerts does not exist in 1.3.6.
//   - Period specs are validated with Time::Period (package timeperiod).
//     mon evaluates them at the current time, so a malformed sub-period
//     after one matching "now" passes; by default we reject any malformed
//     sub-period (deterministic); Options.Now reproduces mon exactly.
//   - authfile/userfile must be readable (relative to the working
//     directory) while parsing; "authtype = pam" fails (mond has no PAM;
//     mon fails the same way where Authen::PAM is not installed).
//
// # Running programs as mon does (for the engine)
//
// MonitorCmd is the monitor as run_monitor splits it: the lookup name,
// then the arguments through quotewords; a trailing ";;" sets NoHosts
// (hosts are not appended) and an argument string of exactly "0" is
// dropped (perl truth). Alert lines split as do_alert does: an optional
// "exit=N" / "exit=N-M" prefix (ExitRange), the program, quotewords
// arguments. Command.QuoteError marks an unbalanced quote, for which perl
// gives no words at all: mon then calls the alert without its configured
// arguments, and the monitor with no argv (its exec fails: a failed check
// with no output). mond's engine (internal/mon/sched) runs these values as
// they are; it has no reading of mon.cf of its own.
//
// The oracle test (oracle_test.go) runs the real mon on every file in
// testdata/oracle and compares accept/reject, line, kind of message and
// warnings; golden.txt holds mon's answers (-update regenerates it).
package monconf
