package server

import (
	"bufio"
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/mon/sched"
)

// FuzzParseTrap: trap datagrams come from the network; parsing must never panic.
func FuzzParseTrap(f *testing.F) {
	f.Add("pro='0.3807'\nusr='u'\npas='p'\ngrp='g'\nsvc='s'\nsta='1'\nsum='a\\20b'\ndtl=''\n")
	f.Add("x=\\\n=\n'")
	f.Fuzz(func(t *testing.T, pkt string) {
		ParseTrap(pkt)
	})
}

// FuzzCommand: client lines come from the network. Whatever the line, the server
// answers with a final "NNN " line (or quits), never panics, and leaves the engine's
// lock free.
func FuzzCommand(f *testing.F) {
	for _, l := range []string{"list opstatus", "list dtlog", "setview v1", "list aliases web-alias",
		"ack web http \"x y\"", "disable host 127.0.0.3", "login admin s3cret", "set maxkeep 99999999999999999999",
		"test alert web http 1 wd", "clear timers web http", "loadstate disabled", "list opstatus web,http nosuch,",
		"savestate all", "get maxkeep", "LIST OPSTATUS", "protid 9745x", "quit"} {
		f.Add(l, l)
	}
	s, _ := newTestServer(f)
	loginDelayStep, loginDelayMax, failedLoginsPerSecond = 0, 0, 1e6
	f.Fuzz(func(t *testing.T, line, line2 string) {
		var out bytes.Buffer
		c := &client{host: "127.0.0.1", w: bufio.NewWriter(&out), user: "admin"}
		for _, l := range []string{line, line2} {
			if strings.ContainsAny(l, "\r\n") || l == "" {
				continue
			}
			out.Reset()
			quit := s.command(c, l)
			c.w.Flush()
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if !finalRe.MatchString(lines[len(lines)-1]) {
				t.Fatalf("%q: no final line in %q", l, out.String())
			}
			if quit {
				return
			}
		}
		free := make(chan struct{})
		go func() {
			s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions { return sched.Actions{} })
			close(free)
		}()
		select {
		case <-free:
		case <-time.After(5 * time.Second):
			t.Fatal("the engine's lock is held")
		}
	})
}
