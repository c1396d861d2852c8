package director

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/lvskit/lvskit/internal/ipvs"
)

// Read returns the table as Plan takes it.
func Read(ctx context.Context, c ipvs.Client) ([]Service, error) {
	svcs, err := c.Services(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing services: %w", err)
	}
	out := make([]Service, 0, len(svcs))
	for _, s := range svcs {
		ds, err := c.Destinations(ctx, s.Key)
		if err != nil {
			return nil, fmt.Errorf("listing the real servers of %s: %w", ServiceString(s.Key), err)
		}
		svc := Service{Service: s.Service}
		for _, d := range ds {
			svc.Dests = append(svc.Dests, d.Destination)
		}
		out = append(out, svc)
	}
	return out, nil
}

// Apply reads the table, plans the changes to desired and applies them in one batch.
// It returns the operations it tried; the error joins one error per operation that
// failed, each naming the operation in ipvsadm's words. A failed operation does not
// stop the others (ipvs.Client.Batch semantics): each entry gets as close to the
// configuration as the kernel allows.
func Apply(ctx context.Context, c ipvs.Client, desired Desired) ([]ipvs.Op, error) {
	cur, err := Read(ctx, c)
	if err != nil {
		return nil, err
	}
	ops, err := Plan(cur, desired)
	if err != nil || len(ops) == 0 {
		return ops, err
	}
	errs := c.Batch(ctx, ops)
	var failed []error
	for i, e := range errs {
		if e != nil {
			failed = append(failed, fmt.Errorf("ipvsadm %s: %w", FormatOp(ops[i]), e))
		}
	}
	if len(errs) != len(ops) {
		failed = append(failed, fmt.Errorf("batch of %d operations answered %d results", len(ops), len(errs)))
	}
	return ops, errors.Join(failed...)
}

// FormatOp writes an operation as the ipvsadm command line that does the same (without
// the program name), e.g. "-a -t 10.0.0.1:80 -r 10.0.0.2:80 -g -w 5": the language
// LVS operators read.
func FormatOp(op ipvs.Op) string {
	var b strings.Builder
	switch op.Kind {
	case ipvs.OpAddService:
		b.WriteString("-A ")
	case ipvs.OpUpdateService:
		b.WriteString("-E ")
	case ipvs.OpDelService:
		b.WriteString("-D ")
	case ipvs.OpAddDest:
		b.WriteString("-a ")
	case ipvs.OpUpdateDest:
		b.WriteString("-e ")
	case ipvs.OpDelDest:
		b.WriteString("-d ")
	case ipvs.OpFlush:
		return "-C"
	default:
		return fmt.Sprintf("(unknown op %d)", op.Kind)
	}
	b.WriteString(serviceArg(op.Service.Key))
	switch op.Kind {
	case ipvs.OpAddService, ipvs.OpUpdateService:
		s := op.Service
		b.WriteString(" -s " + s.Scheduler)
		if s.Flags&ipvs.SvcPersistent != 0 {
			b.WriteString(" -p " + strconv.FormatUint(uint64(s.Timeout), 10))
			if s.Key.Family == ipvs.FamilyIPv6 {
				if s.Netmask != 128 {
					b.WriteString(" -M " + strconv.FormatUint(uint64(s.Netmask), 10))
				}
			} else if s.Netmask != 0xffffffff {
				m := s.Netmask
				b.WriteString(" -M " + netip.AddrFrom4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)}).String())
			}
		}
		if s.Flags&ipvs.SvcOnePacket != 0 {
			b.WriteString(" -o")
		}
		if s.PEName != "" {
			b.WriteString(" --pe " + s.PEName)
		}
	case ipvs.OpAddDest, ipvs.OpUpdateDest:
		d := op.Dest
		b.WriteString(" -r " + DestString(d.Key))
		switch d.Forward {
		case ipvs.Route:
			b.WriteString(" -g")
		case ipvs.Tunnel:
			b.WriteString(" -i")
		case ipvs.Masq:
			b.WriteString(" -m")
		}
		b.WriteString(" -w " + strconv.FormatInt(int64(d.Weight), 10))
		if d.UThreshold != 0 {
			b.WriteString(" -x " + strconv.FormatUint(uint64(d.UThreshold), 10))
		}
		if d.LThreshold != 0 {
			b.WriteString(" -y " + strconv.FormatUint(uint64(d.LThreshold), 10))
		}
	case ipvs.OpDelDest:
		b.WriteString(" -r " + DestString(op.Dest.Key))
	}
	return b.String()
}

func serviceArg(k ipvs.ServiceKey) string {
	if k.FWMark != 0 {
		s := "-f " + strconv.FormatUint(uint64(k.FWMark), 10)
		if k.Family == ipvs.FamilyIPv6 {
			s += " -6"
		}
		return s
	}
	ap := netip.AddrPortFrom(k.Addr, k.Port).String()
	switch k.Protocol {
	case ipvs.TCP:
		return "-t " + ap
	case ipvs.UDP:
		return "-u " + ap
	case ipvs.SCTP:
		return "--sctp-service " + ap
	}
	return "-t? " + ap
}
