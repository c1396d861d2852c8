package daemon

import (
	"testing"

	"github.com/lvskit/lvskit/internal/hb/core"
)

func TestClStatus(t *testing.T) {
	s := core.Snapshot{Node: "lvs1", RscStatus: "all", Nodes: []core.NodeSnapshot{
		{Name: "lvs1", Type: "normal", Status: "active", Links: []core.LinkSnapshot{{Name: "eth0", Status: "up"}}},
		{Name: "lvs2", Type: "normal", Status: "dead", Links: []core.LinkSnapshot{{Name: "eth0", Status: "dead"}}},
		{Name: "10.0.0.254", Type: "ping", Status: "ping", Links: []core.LinkSnapshot{{Name: "10.0.0.254", Status: "up"}}},
	}, Config: map[string]string{"deadtime": "2"}}
	for _, c := range []struct {
		args []string
		out  string
		code int
	}{
		{[]string{"hbstatus"}, "Heartbeat is running on this machine.\n", 0},
		{[]string{"listnodes"}, "10.0.0.254\nlvs2\nlvs1\n", 0},
		{[]string{"listnodes", "-p"}, "10.0.0.254\n", 0},
		{[]string{"listnodes", "-n"}, "lvs2\nlvs1\n", 0},
		{[]string{"nodetype", "lvs1"}, "normal\n", 0},
		{[]string{"nodetype", "10.0.0.254"}, "ping\n", 0},
		{[]string{"nodetype", "normal"}, "Error. May be due to incorrect node name\n", 11},
		{[]string{"nodestatus", "lvs1"}, "active\n", 0},
		{[]string{"nodestatus", "lvs2"}, "dead\n", 1},
		{[]string{"listhblinks", "lvs2"}, "\teth0\n", 0},
		{[]string{"hblinkstatus", "lvs2", "eth0"}, "dead\n", 1},
		{[]string{"hblinkstatus", "lvs1", "eth0"}, "up\n", 0},
		{[]string{"rscstatus"}, "all\n", 0},
		{[]string{"hbparameter", "-p", "deadtime"}, "2\n", 0},
		{[]string{"hbparameter", "deadtime"}, "ERROR: parameter name required\n", 11},
		{[]string{"hbparameter", "-p", "node"}, "ERROR: Cannot get parameter node's value\nERROR: REASON: \n", 1},
		{[]string{"parameter", "-p", "deadtime"}, "ERROR: parameter: invalid sub-command.\n", 11},
		{[]string{"nodestatus", "nosuch"}, "Error. May be due to incorrect node name\n", 11},
		{[]string{"nodestatus"}, "Not enough parameters.\n", 11},
		{[]string{"nodeweight", "lvs2"}, "100\n", 0},
		{[]string{"nodeweight", "nosuch"}, "Error. Maybe due to incorrect node name.\n", 11},
		{[]string{"nodesite", "lvs2"}, "\n", 0},
		{[]string{"listhblinks", "nosuch"}, "ERROR: Cannot start heartbeat link interface walk.\nERROR: REASON: EINVAL\n", 13},
		{[]string{"hblinkstatus", "lvs1", "eth9"}, "ERROR: Cannot get heartbeat link status\nERROR: REASON: \n", 13},
	} {
		out, code := ClStatus(s, c.args)
		if out != c.out || code != c.code {
			t.Errorf("cl_status %v = %q, %d; want %q, %d", c.args, out, code, c.out, c.code)
		}
	}
	if _, code := ClStatus(s, []string{"clientstatus", "lvs1", "ipfail"}); code == 0 {
		t.Error("clientstatus claims success")
	}
}
