package daemon

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/lvskit/lvskit/compat/authkeys"
	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/compat/hbwire"
	"github.com/lvskit/lvskit/internal/hb/transport"
)

func parseCF(t *testing.T, body string) *hacf.Config {
	t.Helper()
	c, err := hacf.Parse("ha.cf", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func parseKeys(t *testing.T, body string) *authkeys.Keys {
	t.Helper()
	k, err := authkeys.Parse("authkeys", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func parseGroups(t *testing.T, body string) []haresources.Group {
	t.Helper()
	f, err := haresources.Parse("haresources", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return f.Groups
}

const baseCF = "keepalive 200ms\nwarntime 1\ndeadtime 2\ninitdead 4\nudpport 1001\nucast eth0 10.0.0.2\nauto_failback on\nnode lvs1\nnode lvs2\ncrm off\n"

// TestPlanReload: what a reload applies in place (authkeys, timers), what it refuses
// (everything else in ha.cf), and that layout alone (comments, blank lines) changes
// nothing.
func TestPlanReload(t *testing.T) {
	keys := "auth 1\n1 sha1 doss123\n"
	groups := "lvs1 IPaddr2::10.0.0.100 rec\n"
	for _, tc := range []struct {
		name          string
		cf, keys, grp string
		wantKeys      bool
		wantTimers    []string
		wantRestart   []string
		wantGroups    bool
	}{
		{name: "unchanged", cf: baseCF},
		{name: "comments and blank lines", cf: "# rotated by ops\n\n" + strings.ReplaceAll(baseCF, "\n", "\n\n")},
		{name: "new active key", cf: baseCF, keys: "auth 2\n1 sha1 doss123\n2 sha1 n3w\n", wantKeys: true},
		{name: "same key, new secret", cf: baseCF, keys: "auth 1\n1 sha1 other\n", wantKeys: true},
		{name: "timers", cf: strings.Replace(baseCF, "deadtime 2\n", "deadtime 3\n", 1) + "keepalive 300ms\n",
			// deadping defaults to deadtime
			wantTimers: []string{"keepalive 200ms -> 300ms", "deadtime 2s -> 3s", "deadping 2s -> 3s"}},
		{name: "node added", cf: baseCF + "node lvs3\n", wantRestart: []string{"node"}},
		{name: "ucast peer", cf: strings.Replace(baseCF, "10.0.0.2", "10.0.0.3", 1), wantRestart: []string{"media (bcast/mcast/ucast/mcast6/ucast6/serial)"}},
		{name: "udpport", cf: strings.Replace(baseCF, "udpport 1001\n", "udpport 1002\n", 1), // udpport is also the port of the ucast line before it
			wantRestart: []string{"media (bcast/mcast/ucast/mcast6/ucast6/serial)", "udpport"}},
		{name: "timer and logfile", cf: baseCF + "deadtime 5\nlogfile /var/log/ha-log\n",
			wantTimers: []string{"deadtime 2s -> 5s", "deadping 2s -> 5s"}, wantRestart: []string{"logfile"}},
		{name: "ping6 added", cf: baseCF + "ping6 fd00::1\n", wantRestart: []string{"ping6"}},
		{name: "auto_failback", cf: strings.Replace(baseCF, "auto_failback on", "auto_failback off", 1), wantRestart: []string{"auto_failback"}},
		{name: "haresources", cf: baseCF, grp: "lvs1 IPaddr2::10.0.0.101 rec\n", wantGroups: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cur, next := parseCF(t, baseCF), parseCF(t, tc.cf)
			for _, c := range []*hacf.Config{cur, next} {
				_ = c.Check("lvs1", nil) // fills the defaults; the files are valid
			}
			nk, ng := keys, groups
			if tc.keys != "" {
				nk = tc.keys
			}
			if tc.grp != "" {
				ng = tc.grp
			}
			p := PlanReload(cur, next, parseKeys(t, keys), parseKeys(t, nk), parseGroups(t, groups), parseGroups(t, ng))
			if p.Keys != tc.wantKeys || !slices.Equal(p.Timers, tc.wantTimers) || !slices.Equal(p.Restart, tc.wantRestart) || p.Groups != tc.wantGroups {
				t.Errorf("plan = %+v; want keys %v timers %q restart %q groups %v", p, tc.wantKeys, tc.wantTimers, tc.wantRestart, tc.wantGroups)
			}
			unchanged := !tc.wantKeys && tc.wantTimers == nil && tc.wantRestart == nil && !tc.wantGroups
			if p.Unchanged() != unchanged {
				t.Errorf("Unchanged() = %v, want %v", p.Unchanged(), unchanged)
			}
		})
	}
}

// TestEndpointSetKeys: after a key rotation the endpoint signs with the new active key,
// still accepts every key listed (the documented meaning of authkeys, and what makes a
// two-step rotation lose nothing), and refuses the old key once it is no longer listed.
func TestEndpointSetKeys(t *testing.T) {
	old := parseKeys(t, "auth 1\n1 sha1 doss123\n")
	both := parseKeys(t, "auth 2\n1 sha1 doss123\n2 sha1 n3w\n")
	only := parseKeys(t, "auth 2\n2 sha1 n3w\n")
	kr := func(k *authkeys.Keys) *hbwire.Keyring {
		r, err := Keyring(k)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	ep := func(node string, k *authkeys.Keys) *transport.Endpoint {
		e, err := transport.NewEndpoint(transport.Config{Node: node, Generation: 7, Keys: kr(k), Nodes: []string{"lvs1", "lvs2"}})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	a, b := ep("lvs1", old), ep("lvs2", old)
	send := func(from *transport.Endpoint) []byte {
		pkt, err := from.Seal(hbwire.StatusMessage("active", 2000))
		if err != nil {
			t.Fatal(err)
		}
		return pkt
	}
	if _, err := b.Open(send(a)); err != nil {
		t.Fatalf("before the rotation: %v", err)
	}
	b.SetKeys(kr(both))
	pkt := send(b)
	if !strings.Contains(string(pkt), "auth=2 ") {
		t.Errorf("after the reload lvs2 does not sign with key 2:\n%s", pkt)
	}
	if _, err := b.Open(send(a)); err != nil {
		t.Errorf("lvs2 refuses lvs1's key 1, still listed: %v", err)
	}
	a.SetKeys(kr(both))
	if _, err := a.Open(pkt); err != nil {
		t.Errorf("lvs1 refuses lvs2's key 2: %v", err)
	}
	// key 1 retired on lvs2: a packet signed with it (a forger who knows only the old
	// key) is refused.
	b.SetKeys(kr(only))
	forger := ep("lvs1", old)
	f, err := forger.Seal(hbwire.StatusMessage("active", 2000))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(f); !errors.Is(err, hbwire.ErrUnknownKey) {
		t.Errorf("a packet signed with the retired key: err = %v, want ErrUnknownKey", err)
	}
}

// TestReloadResultWire: the answer heartbeatd -r reads back from the control socket.
func TestReloadResultWire(t *testing.T) {
	for _, r := range []ReloadResult{{Seq: 1, Code: 0, Msg: "Configuration unchanged."},
		{Seq: 12, Code: 1, Msg: "Reload refused: udpport changed: a restart of heartbeatd is needed"}, {}} {
		got, err := ParseReloadResult(FormatReloadResult(r))
		if err != nil || got != r {
			t.Errorf("round trip of %+v = %+v, %v", r, got, err)
		}
	}
	if _, err := ParseReloadResult("garbage"); err == nil {
		t.Error("ParseReloadResult accepted garbage")
	}
}

// Every ha.cf directive is accounted for by a reload: applied in place (a timer),
// refused (reloadRestart), not implemented (a configuration with it never runs), or
// one heartbeatd accepts without acting on it, whose change has nothing to apply. A
// directive added to compat/hacf without a place here would otherwise be a change a
// reload silently calls "unchanged".
func TestReloadCoversEveryDirective(t *testing.T) {
	noEffect := map[string]string{
		"crm": "only off (respawn) is valid: no other value runs", "pacemaker": "as crm",
		"conn_logd_time": "accepted, no effect", "log_badpack": "accepted, no effect",
		"syslogmsgfmt": "accepted, no effect", "coreroot": "accepted, no effect",
		"memreserve": "accepted, no effect", "use_apphbd": "accepted, no effect",
		"record_config_changes": "accepted, no effect", "record_pengine_inputs": "accepted, no effect",
		"enable_config_writes": "accepted, no effect", "crmd_spawns_pengine": "accepted, no effect",
		"baud": "serial media only, not implemented",
	}
	covered := map[string]bool{}
	for _, tm := range reloadTimers {
		covered[tm.name] = true
	}
	for _, r := range reloadRestart {
		for _, d := range r.directives {
			covered[d] = true
		}
	}
	for name, d := range hacf.Directives {
		switch {
		case covered[name] && noEffect[name] != "":
			t.Errorf("%s: both compared by a reload and listed as without effect", name)
		case covered[name], d.Support == hacf.NotImplemented:
		case noEffect[name] != "" && d.Support == hacf.Honoured && name != "crm" && name != "pacemaker":
			t.Errorf("%s: honoured by heartbeatd, so a reload must compare it", name)
		case noEffect[name] == "":
			t.Errorf("%s (%v): a reload neither applies nor refuses a change of it", name, d.Support)
		}
	}
}
