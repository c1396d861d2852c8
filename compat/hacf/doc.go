// Package hacf reads heartbeat 3.0.6's main configuration file, /etc/ha.d/ha.cf, the way
// heartbeat itself reads it, so that heartbeatd accepts and rejects exactly the files the
// original does and gives every directive the same meaning.
//
// What heartbeat 3.0.6 does, learnt by running it (see internal/hb/cli/testdata/check) and
// reproduced here:
//
//   - A line is a directive name followed by values; '#' starts a comment anywhere on a
//     line; CR and LF end it. Values are separated by spaces, tabs and commas.
//   - Most directives take each value on their own: "node a b" declares two nodes and
//     "keepalive 1 2" sets keepalive twice (the last wins). Whole-line directives (ucast,
//     mcast, ping_group, apiauth, respawn, failfast, stonith, stonith_host) take the rest
//     of the line.
//   - Times are seconds unless suffixed "ms" (or "msec") or "us" (or "usec"); fractions
//     are allowed ("1.5", "0.5ms"). A suffix "s" is NOT accepted: heartbeat rejects
//     "keepalive 2s", and so does this package. heartbeat has no upper bound (huge times
//     wrap); this package refuses any time above MaxTime, one day, naming the bound.
//   - The file is read top to bottom and order matters: bcast and ucast media take the
//     udpport in force when they are declared (694 before any udpport line); "nice_failback
//     on" means "auto_failback off" only if an auto_failback line came before it, and
//     "auto_failback legacy" otherwise.
//   - After the file is read, heartbeat fills defaults (keepalive 1 s, deadtime 30 s,
//     warntime deadtime/2, initdead deadtime or more, deadping deadtime, udpport 694) and
//     checks the whole: at least one medium and one node, the local node declared,
//     deadtime > 2×keepalive, initdead ≥ deadtime (a warning under 10 s), deadping >
//     2×keepalive, a log destination or logd, and no autojoin with R1 resources.
//
// Parse does the first part and is pure. (*Config).Check does the second; the host
// questions it needs answered (does this interface exist, this user, this program) go
// through the Host interface so tests can answer them.
//
// Every directive is classified in Directives: honoured by heartbeatd, accepted and
// ignored (with the reason), or not implemented (an error: heartbeatd refuses to start
// rather than silently run without, say, STONITH).
package hacf
