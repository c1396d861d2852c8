package daemon

import (
	"fmt"
	"strings"

	"github.com/lvskit/lvskit/internal/hb/core"
)

// ClStatus answers cl_status's sub-commands from a snapshot, with the original's words
// and exit statuses: hbstatus, listnodes [-p|-n], nodetype ping|normal, nodestatus NODE,
// listhblinks NODE, hblinkstatus NODE LINK, rscstatus, parameter -p NAME.
// clientstatus is not implemented (heartbeatd has no client API).
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
	case "nodetype":
		// Despite its manual, the original takes a node name and prints its type.
		if len(words) != 2 {
			return "cl_status nodetype: NODE\n", 2
		}
		n, ok := node(words[1])
		if !ok {
			return "Error. May be due to incorrect node name\n", 11
		}
		return n.Type + "\n", 0
	case "nodestatus":
		if len(words) != 2 {
			return "cl_status nodestatus: NODE\n", 2
		}
		n, ok := node(words[1])
		if !ok {
			return fmt.Sprintf("Failed to get node status of %s\n", words[1]), 1
		}
		return statusAnswer(n.Status)
	case "listhblinks":
		if len(words) != 2 {
			return "cl_status listhblinks: NODE\n", 2
		}
		n, ok := node(words[1])
		if !ok {
			return fmt.Sprintf("Failed to get links of %s\n", words[1]), 1
		}
		for _, l := range n.Links {
			fmt.Fprintf(&b, "\t%s\n", l.Name)
		}
		return b.String(), 0
	case "hblinkstatus":
		if len(words) != 3 {
			return "cl_status hblinkstatus: NODE LINK\n", 2
		}
		n, ok := node(words[1])
		st, lok := n.Link(words[2])
		if !ok || !lok {
			return fmt.Sprintf("Failed to get link status of %s:%s\n", words[1], words[2]), 1
		}
		return statusAnswer(st)
	case "rscstatus":
		return s.RscStatus + "\n", 0
	case "parameter":
		if len(words) != 2 {
			return "cl_status parameter -p NAME\n", 2
		}
		v, ok := s.Config[words[1]]
		if !ok {
			return fmt.Sprintf("cl_status parameter: %s: not implemented\n", words[1]), 1
		}
		return v + "\n", 0
	case "clientstatus":
		return "cl_status clientstatus: not implemented: heartbeatd has no client API\n", 1
	}
	return fmt.Sprintf("cl_status: %s: unknown sub-command\n", words[0]), 2
}

// statusAnswer is a node's or link's status as cl_status prints it: exit status 1 when
// it is dead.
func statusAnswer(st string) (string, int) {
	if st == "dead" {
		return st + "\n", 1
	}
	return st + "\n", 0
}
