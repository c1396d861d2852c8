package director

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/lvskit/lvskit/compat/ipvsadm"
	"github.com/lvskit/lvskit/internal/ipvs"
)

// ParseRules reads the configured state from rules in ipvsadm -R's format (what
// ipvsadm -S writes, one command per line without the program name, as in
// /etc/ipvsadm.rules): -A/-E lines declare services, -a/-e lines their real servers,
// -D and -d lines entries to remove. The lines are parsed by ipvsadm's own parser, so
// they mean what they mean to ipvsadm, defaults included. -C (flush) is refused: not
// flushing is the point of adopting.
func ParseRules(name string, r io.Reader, env ipvsadm.ParseEnv) (Desired, error) {
	var d Desired
	index := map[ipvs.ServiceKey]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Fields(line)
		ce, ex := ipvsadm.Parse(append([]string{"ipvsadm"}, fields...), env)
		if ex != nil {
			msg := strings.TrimSpace(ex.Stderr)
			if msg == "" {
				msg = strings.TrimSpace(ex.Stdout)
			}
			if i := strings.IndexByte(msg, '\n'); i >= 0 {
				msg = msg[:i]
			}
			return Desired{}, fmt.Errorf("%s:%d: %s", name, n, msg)
		}
		op, ok := ipvsadm.BatchOp(ce)
		if !ok {
			return Desired{}, fmt.Errorf("%s:%d: %q is not a table rule (only -A -E -D -a -e -d)", name, n, fields[0])
		}
		k := normKey(op.Service.Key)
		switch op.Kind {
		case ipvs.OpAddService, ipvs.OpUpdateService:
			if _, dup := index[k]; dup {
				return Desired{}, fmt.Errorf("%s:%d: service %s declared twice", name, n, ServiceString(k))
			}
			index[k] = len(d.Services)
			d.Services = append(d.Services, Service{Service: op.Service})
		case ipvs.OpAddDest, ipvs.OpUpdateDest:
			i, ok := index[k]
			if !ok {
				return Desired{}, fmt.Errorf("%s:%d: real server for %s, which no earlier -A line declares", name, n, ServiceString(k))
			}
			d.Services[i].Dests = append(d.Services[i].Dests, op.Dest)
		case ipvs.OpDelService:
			d.RemoveServices = append(d.RemoveServices, k)
		case ipvs.OpDelDest:
			d.RemoveDests = append(d.RemoveDests, DestRef{Service: k, Dest: op.Dest.Key})
		case ipvs.OpFlush:
			return Desired{}, fmt.Errorf("%s:%d: -C would flush the table, which adopting never does", name, n)
		}
	}
	if err := sc.Err(); err != nil {
		return Desired{}, fmt.Errorf("%s: %w", name, err)
	}
	if err := validate(d); err != nil {
		return Desired{}, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}
