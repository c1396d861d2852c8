package server

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/lvskit/lvskit/compat/monconf"
	"github.com/lvskit/lvskit/compat/moncrypt"
	"github.com/lvskit/lvskit/internal/mon/sched"
)

// trapProVersion is the oldest trap protocol mon accepts.
const trapProVersion = 0.3807

var trapLineTagRe = regexp.MustCompile(`^(\w+)=(.*)`)

// ParseTrap reads a trap datagram as Mon::Client sends it: "tag='hex-escaped value'"
// lines (pro, usr, pas, spc, seq, typ, grp, svc, sta, tsp, sum, dtl).
func ParseTrap(pkt string) map[string]string {
	tr := map[string]string{}
	for _, l := range strings.Split(pkt, "\n") {
		m := trapLineTagRe.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		v := m[2]
		if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
			v = v[1 : len(v)-1]
		}
		tr[m[1]] = monconf.UnEscStr(v)
	}
	return tr
}

// ServeTraps receives traps on pc until ctx is done (mon's trap port, UDP 2583).
func (s *Server) ServeTraps(ctx context.Context, pc net.PacketConn) {
	go func() {
		<-ctx.Done()
		pc.Close()
	}()
	buf := make([]byte, 65536)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.Log("err", "error trying to recv a trap: "+err.Error())
			continue
		}
		ip := ""
		if ua, ok := from.(*net.UDPAddr); ok {
			ip = ua.IP.String()
		}
		if err := s.HandleTrap(string(buf[:n]), ip); err != nil {
			s.Log("err", err.Error())
		}
	}
}

// HandleTrap authenticates a trap against auth.cf's trap section and feeds it to the
// scheduler.
func (s *Server) HandleTrap(pkt, fromIP string) error {
	tr := ParseTrap(pkt)
	s.mu.Lock()
	traps := s.auth.Traps
	s.mu.Unlock()
	host := fromIP
	if _, ok := traps["*"]; ok {
		host = "*"
	}
	users, ok := traps[host]
	if !ok {
		return fmt.Errorf("received trap from unauthorized host: %s", fromIP)
	}
	if _, any := users["*"]; !any {
		hash, ok := users[tr["usr"]]
		if !ok {
			return fmt.Errorf("received trap from unknown user %s, host %s", tr["usr"], host)
		}
		if got, err := moncrypt.Crypt(tr["pas"], hash); err != nil || got != hash {
			return fmt.Errorf("received trap with bad password from user %s, host %s", tr["usr"], host)
		}
	}
	if pro, _ := strconv.ParseFloat(tr["pro"], 64); pro < trapProVersion {
		return fmt.Errorf("cannot handle traps from version less than %v", trapProVersion)
	}
	sta, ok := tr["sta"]
	if !ok {
		return fmt.Errorf("no trap sta value specified from %s", fromIP)
	}
	code, _ := strconv.Atoi(sta)
	var err error
	s.D.WithEngine(func(e *sched.Engine, now time.Time) sched.Actions {
		var a sched.Actions
		a, err = e.Trap(tr["grp"], tr["svc"], code, tr["sum"], tr["dtl"], now)
		return a
	})
	if err == nil {
		s.Log("info", fmt.Sprintf("trap %s %s from %s grp=%s svc=%s, sta=%s", tr["typ"], tr["spc"], fromIP, tr["grp"], tr["svc"], sta))
	}
	return err
}
