package daemon

import (
	"fmt"
	"strings"

	"github.com/lvskit/lvskit/internal/hb/core"
)

// ClStatus answers cl_status's sub-commands from a snapshot, with heartbeat 3.0.6's
// words and exit statuses (TestInteropOursActive asks the original the same): hbstatus,
// listnodes [-p|-n], nodetype, nodestatus, nodeweight, nodesite NODE, listhblinks NODE,
// hblinkstatus NODE LINK, rscstatus, hbparameter -p NAME. clientstatus is not
// implemented (heartbeatd has no client API). Lines starting "ERROR: " are the
// original's cl_log messages: the client prints them in cl_log's format. An unknown
// sub-command and a missing one are the client's to answer (the original does not
// sign on for them).
func ClStatus(s core.Snapshot, args []string) (string, int) {
	// -m (human readable) and -v (verbose) are accepted and change nothing here.
	var words []string
	ping, normal := false, false
	for _, a := range args {
		switch a {
		case "-m", "-v":
		case "-p":
			ping = true
		case "-n":
			normal = true
		default:
			words = append(words, a)
		}
	}
	if len(words) == 0 {
		return "cl_status: no sub-command\n", 2
	}
	node := func(name string) (core.NodeSnapshot, bool) {
		for _, n := range s.Nodes {
			if strings.EqualFold(n.Name, name) {
				return n, true
			}
		}
		return core.NodeSnapshot{}, false
	}
	const (
		notEnough = "Not enough parameters.\n"
		badNode   = "Error. May be due to incorrect node name\n"
	)
	var b strings.Builder
	switch words[0] {
	case "hbstatus":
		return "Heartbeat is running on this machine.\n", 0
	case "listnodes":
		// The original lists its nodes in the reverse of their declaration order
		// ("node lvs1" then "node lvs2" lists lvs2 first), ping nodes before cluster
		// nodes when declared after them.
		for i := len(s.Nodes) - 1; i >= 0; i-- {
			n := s.Nodes[i]
			if (ping && n.Type != "ping") || (normal && n.Type != "normal") {
				continue
			}
			fmt.Fprintln(&b, n.Name)
		}
		return b.String(), 0
	case "nodetype", "nodestatus", "nodeweight", "nodesite":
		// Despite its manual, the original's nodetype takes a node name and prints its
		// type.
		if len(words) < 2 {
			return notEnough, 11
		}
		n, ok := node(words[1])
		switch {
		case !ok && words[0] == "nodeweight":
			return "Error. Maybe due to incorrect node name.\n", 11
		case !ok:
			return badNode, 11
		case words[0] == "nodetype":
			return n.Type + "\n", 0
		case words[0] == "nodeweight":
			return "100\n", 0 // ha.cf has no weights: heartbeat's default
		case words[0] == "nodesite":
			return "\n", 0 // nor sites
		}
		return statusAnswer(n.Status)
	case "listhblinks":
		if len(words) < 2 {
			return notEnough, 11
		}
		n, ok := node(words[1])
		if !ok {
			return "ERROR: Cannot start heartbeat link interface walk.\nERROR: REASON: EINVAL\n", 13
		}
		for _, l := range n.Links {
			fmt.Fprintf(&b, "\t%s\n", l.Name)
		}
		return b.String(), 0
	case "hblinkstatus":
		if len(words) < 3 {
			return notEnough, 11
		}
		n, ok := node(words[1])
		st, lok := n.Link(words[2])
		if !ok || !lok {
			return "ERROR: Cannot get heartbeat link status\nERROR: REASON: \n", 13
		}
		return statusAnswer(st)
	case "rscstatus":
		return s.RscStatus + "\n", 0
	case "hbparameter":
		if !ping || len(words) < 2 {
			return "ERROR: parameter name required\n", 11
		}
		v, ok := s.Config[words[1]]
		if !ok {
			return fmt.Sprintf("ERROR: Cannot get parameter %s's value\nERROR: REASON: \n", words[1]), 1
		}
		return v + "\n", 0
	case "clientstatus":
		return "cl_status clientstatus: not implemented: heartbeatd has no client API\n", 1
	}
	return fmt.Sprintf("ERROR: %s: invalid sub-command.\n", words[0]), 11
}

// statusAnswer is a node's or link's status as cl_status prints it: exit status 1 when
// it is dead.
func statusAnswer(st string) (string, int) {
	if st == "dead" {
		return st + "\n", 1
	}
	return st + "\n", 0
}
