package transport

import "github.com/lvskit/lvskit/compat/hbwire"

// Builders for the messages heartbeat 3.0.6 sends in R1 mode, with the
// fields in the original's order (checked byte for byte against captures
// in TestBuildersMatchOriginal). Endpoint.Seal appends the common trailer.

// StatusMessage builds the status heartbeat the original sends every
// keepalive: t=status, st=<status>, dt=<deadtime in ms, hex>, protocol=1.
func StatusMessage(status string, deadtimeMS uint64) *hbwire.Message {
	m := &hbwire.Message{}
	m.Add(hbwire.FType, hbwire.TStatus)
	m.Add(hbwire.FStatus, status)
	m.Add(hbwire.FDeadtime, hexs(deadtimeMS))
	m.Add(hbwire.FProtocol, "1")
	return m
}

// RepNodesMessage builds the reply to a peer's t=reqnodes: the node list
// the original keeps (ha.cf node lines plus autojoined nodes) and the
// deleted nodes, each name followed by a space, an empty list as one
// space. Field order is the original's: dest first, then t. The original
// does not finish starting (Comm_now_up, API sign-on) until every node it
// asked has replied.
func RepNodesMessage(dest string, nodes, deleted []string) *hbwire.Message {
	list := func(names []string) string {
		if len(names) == 0 {
			return " "
		}
		s := ""
		for _, n := range names {
			s += n + " "
		}
		return s
	}
	m := &hbwire.Message{}
	m.Add(hbwire.FDest, dest)
	m.Add(hbwire.FType, hbwire.TRepNodes)
	m.Add("nodelist", list(nodes))
	m.Add("delnodelist", list(deleted))
	return m
}

// ReqNodesMessage asks dest for its node list.
func ReqNodesMessage(dest string) *hbwire.Message {
	m := &hbwire.Message{}
	m.Add(hbwire.FType, hbwire.TReqNodes)
	m.Add(hbwire.FDest, dest)
	return m
}

// StartingMessage is sent once when the node starts.
func StartingMessage() *hbwire.Message {
	m := &hbwire.Message{}
	m.Add(hbwire.FType, hbwire.TStarting)
	return m
}

// Resource holdings (rsc_hold values).
const (
	HoldNone    = "none"
	HoldLocal   = "local"
	HoldForeign = "foreign"
	HoldAll     = "all"
)

// ResourceMessage announces what the node holds: t=resource,
// rsc_hold=<hold>, rtype=full, isstable=0|1 and, when info is not empty,
// info= (req_our_resources(), standby, shutdown).
func ResourceMessage(hold string, stable bool, info string) *hbwire.Message {
	m := &hbwire.Message{}
	m.Add(hbwire.FType, hbwire.TResource)
	m.Add("rsc_hold", hold)
	m.Add("rtype", "full")
	if stable {
		m.Add("isstable", "1")
	} else {
		m.Add("isstable", "0")
	}
	if info != "" {
		m.Add("info", info)
	}
	return m
}

// MachDownMessage is the resource message a node sends after taking over
// a dead peer's resources: t=resource, rsc_hold=foreign, info=mach_down.
func MachDownMessage() *hbwire.Message {
	m := &hbwire.Message{}
	m.Add(hbwire.FType, hbwire.TResource)
	m.Add("rsc_hold", HoldForeign)
	m.Add("info", "mach_down")
	return m
}

// AskResourcesMessage is the standby/takeover handshake:
// t=ask_resources, rsc_hold=all, info=me|other|done.
func AskResourcesMessage(info string) *hbwire.Message {
	m := &hbwire.Message{}
	m.Add(hbwire.FType, hbwire.TAskResources)
	m.Add("rsc_hold", HoldAll)
	m.Add("info", info)
	return m
}

// TakeoverMessage is what hb_takeover makes the node send.
func TakeoverMessage() *hbwire.Message {
	m := &hbwire.Message{}
	m.Add(hbwire.FType, hbwire.THBTakeover)
	m.Add("rsc_hold", HoldAll)
	return m
}

// IPRequestRespMessage answers an ip-request for resource ipaddr.
func IPRequestRespMessage(dest, ipaddr string, weown bool, ok string) *hbwire.Message {
	m := &hbwire.Message{}
	m.Add(hbwire.FType, hbwire.TIPRequestResp)
	m.Add(hbwire.FDest, dest)
	m.Add("ipaddr", ipaddr)
	if weown {
		m.Add("weown", "yes")
	} else {
		m.Add("weown", "no")
	}
	m.Add("ok", ok)
	return m
}

// ShutdoneMessage is the last message of a node that stops cleanly.
func ShutdoneMessage() *hbwire.Message {
	m := &hbwire.Message{}
	m.Add(hbwire.FType, hbwire.TShutdone)
	m.Add(hbwire.FStatus, "dead")
	return m
}
