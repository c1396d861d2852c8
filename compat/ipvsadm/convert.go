package ipvsadm

import (
	"net/netip"

	"github.com/lvskit/lvskit/internal/ipvs"
)

// Option bits callers test with Command.Has.
const (
	OptNumeric    = optNumeric
	OptConnection = optConnection
	OptService    = optService
	OptTimeout    = optTimeout
	OptDaemon     = optDaemon
)

// ServiceOf converts the parsed service to the IPVS library's type, as libipvs fills its
// netlink request: a fwmark service is identified by family and mark alone.
func ServiceOf(ce *Command) ipvs.Service {
	s := ce.Svc
	k := ipvs.ServiceKey{Family: s.AF, Protocol: ipvs.Protocol(s.Protocol), FWMark: s.FWMark}
	if s.FWMark == 0 {
		k.Addr = addrOf(s.AF, s.Addr)
		k.Port = s.Port
	}
	return ipvs.Service{
		Key:       k,
		Scheduler: s.Sched,
		Flags:     ipvs.ServiceFlags(s.Flags),
		Timeout:   s.Timeout,
		Netmask:   s.Netmask,
		PEName:    s.PEName,
	}
}

// DestOf converts the parsed real server.
func DestOf(ce *Command) ipvs.Destination {
	d := ce.Dest
	return ipvs.Destination{
		Key:        ipvs.DestKey{Addr: addrOf(d.AF, d.Addr), Port: d.Port},
		Family:     d.AF,
		Forward:    ipvs.Forward(d.ConnFlags & connFFwdMask),
		Weight:     d.Weight,
		UThreshold: d.UThreshold,
		LThreshold: d.LThreshold,
		TunType:    ipvs.TunnelType(d.TunType),
		TunPort:    d.TunPort,
		TunFlags:   ipvs.TunnelFlags(d.TunFlags),
	}
}

// ZeroKey is the service -Z names, or nil for all: libipvs sends no service when the mark,
// address and port are all zero.
func ZeroKey(ce *Command) *ipvs.ServiceKey {
	if ce.Svc.FWMark == 0 && ce.Svc.Addr == [16]byte{} && ce.Svc.Port == 0 {
		return nil
	}
	k := ServiceOf(ce).Key
	return &k
}

// DaemonOf converts --start-daemon's parameters.
func DaemonOf(ce *Command) ipvs.SyncDaemon {
	d := ce.Daemon
	sd := ipvs.SyncDaemon{
		State:      ipvs.DaemonState(d.State),
		McastIfn:   d.McastIfn,
		SyncID:     d.SyncID,
		SyncMaxLen: d.SyncMaxLen,
		McastPort:  d.McastPort,
		McastTTL:   d.McastTTL,
	}
	switch d.McastAF {
	case afInet:
		sd.McastGroup = netip.AddrFrom4([4]byte{d.McastGroup[0], d.McastGroup[1], d.McastGroup[2], d.McastGroup[3]})
	case afInet6:
		sd.McastGroup = netip.AddrFrom16(d.McastGroup)
	}
	return sd
}

// BatchOp is the table change a command makes, for the commands that Client.Batch
// carries (service and destination changes, flush).
func BatchOp(ce *Command) (ipvs.Op, bool) {
	var k ipvs.OpKind
	switch ce.Cmd {
	case CmdAdd:
		k = ipvs.OpAddService
	case CmdEdit:
		k = ipvs.OpUpdateService
	case CmdDel:
		k = ipvs.OpDelService
	case CmdAddDest:
		k = ipvs.OpAddDest
	case CmdEditDest:
		k = ipvs.OpUpdateDest
	case CmdDelDest:
		k = ipvs.OpDelDest
	case CmdFlush:
		k = ipvs.OpFlush
	default:
		return ipvs.Op{}, false
	}
	op := ipvs.Op{Kind: k}
	if k != ipvs.OpFlush {
		op.Service = ServiceOf(ce)
	}
	if k == ipvs.OpAddDest || k == ipvs.OpUpdateDest || k == ipvs.OpDelDest {
		op.Dest = DestOf(ce)
	}
	return op, true
}

// OpOf is the libipvs call a command makes, for error messages.
func OpOf(c Cmd) Op {
	switch c {
	case CmdAdd:
		return OpAddService
	case CmdEdit:
		return OpUpdateService
	case CmdDel:
		return OpDelService
	case CmdZero:
		return OpZeroService
	case CmdAddDest:
		return OpAddDest
	case CmdEditDest:
		return OpUpdateDest
	case CmdDelDest:
		return OpDelDest
	case CmdStartDaemon:
		return OpStartDaemon
	case CmdStopDaemon:
		return OpStopDaemon
	case CmdFlush:
		return OpFlush
	case CmdTimeout:
		return OpSetTimeout
	}
	return OpInit
}
