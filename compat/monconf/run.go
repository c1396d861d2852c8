package monconf

import (
	"regexp"
	"strconv"
	"strings"
)

// What mon does at run time with some of the values it read: the exit
// ranges it tests and the way its "test alert" command splits alert lines.

// ExitRange is an exit value range as mon.cf writes it: "N" or "N-M" (an
// alert line's exit= prefix, alertexitrange); "" is no range.
type ExitRange string

// Contains is mon's inRange: v is N, or lies within N-M.
func (r ExitRange) Contains(v int) bool {
	rng := strings.TrimSpace(string(r))
	if lo, hi, ok := strings.Cut(rng, "-"); ok {
		l, err1 := strconv.Atoi(strings.TrimSpace(lo))
		h, err2 := strconv.Atoi(strings.TrimSpace(hi))
		return err1 == nil && err2 == nil && v >= l && v <= h
	}
	n, err := strconv.Atoi(rng)
	return err == nil && v == n
}

var reTestExit = regexp.MustCompile(`^exit=` + nsp + `+` + sp + `+`)

// TestCommand is the alert as mon's "test alert" client command calls it,
// which splits the line its own way: the first word is the program (so a
// line with an exit= prefix names a program "exit=N", which is never
// found), and an "exit=..." word opening the arguments is dropped.
func (a *AlertLine) TestCommand() Command {
	f := splitSpaceN(a.Raw, 2)
	args := ""
	if len(f) > 1 {
		args = reTestExit.ReplaceAllString(f[1], "")
	}
	return splitCommand(f[0], args)
}
