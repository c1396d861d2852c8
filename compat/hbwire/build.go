package hbwire

import "strconv"

// Builders for the messages heartbeat 3.0.6 and its ipfail send in R1 mode: a message's
// own fields, in the original's order (checked against the captures in
// TestBuildersMatchCaptures). The sender appends the fields every message carries (see
// the package documentation; internal/hb/transport's Endpoint does).

// fields makes a message of string fields, given as name, value, name, value...
func fields(nameValues ...string) *Message {
	m := &Message{Fields: make([]Field, 0, len(nameValues)/2)}
	for i := 0; i+1 < len(nameValues); i += 2 {
		m.Add(nameValues[i], nameValues[i+1])
	}
	return m
}

// StatusMessage builds the status heartbeat the original sends every keepalive:
// t=status, st=<status>, dt=<deadtime in ms, hex>, protocol=1.
func StatusMessage(status string, deadtimeMS uint64) *Message {
	return fields(FType, TStatus, FStatus, status, FDeadtime, hexString(deadtimeMS), FProtocol, "1")
}

// RepNodesMessage builds the reply to a peer's t=reqnodes: the node list the original
// keeps (ha.cf node lines plus autojoined nodes) and the deleted nodes, each name
// followed by a space, an empty list as one space. Field order is the original's: dest
// first, then t. The original does not finish starting (Comm_now_up, API sign-on) until
// every node it asked has replied.
func RepNodesMessage(dest string, nodes, deleted []string) *Message {
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
	return fields(FDest, dest, FType, TRepNodes, FNodeList, list(nodes), FDelNodeList, list(deleted))
}

// ReqNodesMessage asks dest for its node list.
func ReqNodesMessage(dest string) *Message {
	return fields(FType, TReqNodes, FDest, dest)
}

// StartingMessage is sent once when the node starts.
func StartingMessage() *Message {
	return fields(FType, TStarting)
}

// ResourceMessage announces what the node holds: t=resource, rsc_hold=<hold>,
// rtype=full, isstable=0|1 and, when info is not empty, info= (InfoReqOurResources,
// InfoStandby, InfoShutdown).
func ResourceMessage(hold Hold, stable bool, info string) *Message {
	isstable := "0"
	if stable {
		isstable = "1"
	}
	m := fields(FType, TResource, FRscHold, string(hold), FRType, "full", FIsStable, isstable)
	if info != "" {
		m.Add(FInfo, info)
	}
	return m
}

// MachDownMessage is the resource message a node sends after taking over a dead peer's
// resources: t=resource, rsc_hold=foreign, info=mach_down (no rtype, no isstable).
func MachDownMessage() *Message {
	return fields(FType, TResource, FRscHold, string(HoldForeign), FInfo, InfoMachDown)
}

// AskResourcesMessage is one step of the standby handshake: t=ask_resources,
// rsc_hold=<share>, info=me|other|done.
func AskResourcesMessage(share Hold, info string) *Message {
	return fields(FType, TAskResources, FRscHold, string(share), FInfo, info)
}

// TakeoverMessage is what hb_takeover makes the node send: t=hb_takeover,
// rsc_hold=<share>.
func TakeoverMessage(share Hold) *Message {
	return fields(FType, THBTakeover, FRscHold, string(share))
}

// IPRequestRespMessage answers an ip-request for resource ipaddr.
func IPRequestRespMessage(dest, ipaddr string, weown bool, ok string) *Message {
	owned := "no"
	if weown {
		owned = "yes"
	}
	return fields(FType, TIPRequestResp, FDest, dest, FIPAddr, ipaddr, FWeOwn, owned, FOK, ok)
}

// ShutdoneMessage is the last message of a node that stops cleanly.
func ShutdoneMessage() *Message {
	return fields(FType, TShutdone, FStatus, "dead")
}

// AckMessage acknowledges dest's messages up to ackseq: t=NS_ackmsg, dest, ackseq (hex).
func AckMessage(dest string, ackseq uint64) *Message {
	return fields(FType, TAck, FDest, dest, FAckSeq, hexString(ackseq))
}

// RexmitMessage asks dest to send its messages first..last again: t=NS_rexmit, dest,
// firstseq, lastseq (in decimal, unlike seq).
func RexmitMessage(dest string, first, last uint64) *Message {
	return fields(FType, TRexmit, FDest, dest, FFirstSeq, strconv.FormatUint(first, 10), FLastSeq, strconv.FormatUint(last, 10))
}

// NumPingNodesMessage is ipfail's count of the ping nodes it reaches, sent to its peer:
// t=num_ping_nodes, dest, num_ping (decimal).
func NumPingNodesMessage(dest string, n int) *Message {
	return fields(FType, TNumPingNodes, FDest, dest, FNumPing, strconv.Itoa(n))
}

// YouAreDeadMessage is ipfail telling its peer that it reaches fewer ping nodes.
func YouAreDeadMessage(dest string) *Message {
	return fields(FType, TYouAreDead, FDest, dest)
}

// AbortGiveupMessage is ipfail telling its peer that the counts are equal: a give-up
// under way is cancelled.
func AbortGiveupMessage(dest string) *Message {
	return fields(FType, TAbortGiveup, FDest, dest)
}
