package daemon

import (
	"strings"
	"testing"

	"github.com/lvskit/lvskit/compat/hacf"
)

// The respawn children's environment: heartbeatd's own, HA_ per directive, the
// resource scripts' HA_ variables and the env lines (as heartbeat 3.0.6 gave its child).
func TestChildEnv(t *testing.T) {
	ha := &hacf.Config{LogFile: "/var/log/ha-log", Env: map[string]string{"HA_FOO": "bar"},
		Directives: []hacf.Directive{{Name: "keepalive", Args: []string{"500ms"}}, {Name: "node", Args: []string{"lvs1"}},
			{Name: "env", Args: []string{"FOO=bar"}}, {Name: "deadtime", Args: []string{"4"}}}}
	env := strings.Join(childEnv(Options{Node: "lvs1", HA: ha, ConfigDir: "/etc/ha.d"}, []string{"PATH=/x", "HOME=/root"}), "\n")
	for _, want := range []string{"PATH=/x", "HOME=/root", "HA_keepalive=500ms", "HA_deadtime=4", "HA_FOO=bar",
		"HA_CURHOST=lvs1", "HA_DIR=/etc/ha.d", "HA_LOGFILE=/var/log/ha-log"} {
		if !strings.Contains("\n"+env+"\n", "\n"+want+"\n") {
			t.Errorf("missing %s in\n%s", want, env)
		}
	}
	if strings.Contains(env, "HA_node=") || strings.Contains(env, "HA_env=") {
		t.Errorf("list directives exported:\n%s", env)
	}
}
