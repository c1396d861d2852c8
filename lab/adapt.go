package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Lab addresses. The manual's directors (Linux187, linux142) were also two of its real
// servers; here directors and real servers are separate machines, so the manual's
// addresses map onto the lab's by role.
const (
	VIP     = "10.0.0.100"
	Gateway = "10.0.0.254"
)

// Director and RealServer addresses by name.
var (
	Directors   = map[string]string{"d1": "10.0.0.11", "d2": "10.0.0.12"}
	RealServers = map[string]string{"rs1": "10.0.0.21", "rs2": "10.0.0.22", "rs3": "10.0.0.23"}
)

// Timing of the lab's configuration: the manual's values shortened so the scenario
// fits in a few minutes of an emulated machine.
const (
	MonInterval   = 1 // seconds, mon.cf "interval" (manual: 5s and 10s)
	MonAlertAfter = 2 // mon.cf "alertafter" (manual: 6)
	Keepalive     = 1 // seconds, ha.cf "keepalive" (manual: 2)
	Deadtime      = 8 // seconds, ha.cf "deadtime" (manual: 40)
	// GatewayAlertAfter is alertafter of the gateway's ping watch (manual: 6). A
	// failing ping.monitor check lasts 10 s (it waits for the reply as iputils ping
	// does), so a cut-off director gives up about 10 s × alertafter after the cut; with
	// 1 that is within deadtime of the other director's takeover.
	GatewayAlertAfter = 1
	Initdead          = 16 // seconds, ha.cf "initdead" (manual: 240)
)

// manualToLab maps the manual's addresses in /etc/init.d/lvs and mon.cf to the lab's.
var manualToLab = []string{
	"10.144.43.185", VIP,
	"10.144.43.175", RealServers["rs1"],
	"10.144.43.142", RealServers["rs2"],
	"10.144.43.187", RealServers["rs3"],
	"10.144.43.254", Gateway,
}

// edit is one change of an example file; every edit must apply, so a change in
// examples/ that the lab does not expect fails the lab instead of being ignored.
type edit struct{ old, new string }

func apply(name, s string, edits []edit) (string, error) {
	for _, e := range edits {
		if !strings.Contains(s, e.old) {
			return "", fmt.Errorf("lab: %s: expected text %q not found (examples/ changed?)", name, e.old)
		}
		s = strings.ReplaceAll(s, e.old, e.new)
	}
	return s, nil
}

// addressEdits are the address changes for the addresses that s holds.
func addressEdits(s string) []edit {
	var es []edit
	for i := 0; i < len(manualToLab); i += 2 {
		if strings.Contains(s, manualToLab[i]) {
			es = append(es, edit{manualToLab[i], manualToLab[i+1]})
		}
	}
	return es
}

// Adapt reads examples/ under root and returns the guest files of the lab: guest path
// -> content. Per-director files go under /etc/netns/<node>/, which "ip netns exec"
// binds over /etc.
func Adapt(root string) (map[string][]byte, error) {
	read := func(p string) (string, error) {
		b, err := os.ReadFile(filepath.Join(root, "examples", p))
		if err != nil {
			return "", fmt.Errorf("lab: %w", err)
		}
		return string(b), nil
	}
	files := map[string][]byte{}

	// /etc/init.d/lvs: the lab's addresses, and one more service in its table — the echo
	// service on port 7000 that carries the long-lived connection across a failover.
	lvs, err := read("etc/init.d/lvs")
	if err != nil {
		return nil, err
	}
	lvs, err = apply("etc/init.d/lvs", lvs, append(addressEdits(lvs), edit{
		"\t\tEOF\n",
		"\t\t-A -t $VIP:7000 -s rr\n" +
			"\t\t-a -t $VIP:7000 -r " + RealServers["rs1"] + " -w 5 -g\n" +
			"\t\t-a -t $VIP:7000 -r " + RealServers["rs2"] + " -w 5 -g\n" +
			"\t\t-a -t $VIP:7000 -r " + RealServers["rs3"] + " -w 5 -g\n" +
			"\t\tEOF\n",
	}))
	if err != nil {
		return nil, err
	}
	files["/etc/init.d/lvs"] = []byte(lvs)

	// The real-server role at boot: the lab's VIP. Unchanged: heartbeat.alert,
	// /etc/default/mon.
	for _, p := range []string{"root/conf/data", "usr/lib/mon/alert.d/heartbeat.alert", "etc/default/mon"} {
		s, err := read(p)
		if err != nil {
			return nil, err
		}
		if s, err = apply(p, s, addressEdits(s)); err != nil {
			return nil, err
		}
		files["/"+p] = []byte(s)
	}

	// mon.cf: addresses, and intervals short enough for the lab.
	mon, err := read("etc/mon/mon.cf")
	if err != nil {
		return nil, err
	}
	mon, err = apply("etc/mon/mon.cf", mon, append(addressEdits(mon),
		edit{"interval 5s", fmt.Sprintf("interval %ds", MonInterval)},
		edit{"interval 10s", fmt.Sprintf("interval %ds", MonInterval)},
		edit{"# six failures in a row before the first alert\nalertafter 6", fmt.Sprintf("# lab: the first failure alerts\nalertafter %d", GatewayAlertAfter)},
		edit{"alertafter 6", fmt.Sprintf("alertafter %d", MonAlertAfter)},
		// 3 s: a loaded emulated machine can take over 1 s to answer
		edit{"-p 8080 -t 10", "-p 8080 -t 3"},
		edit{"randstart = 60s", "randstart = 0s"},
	))
	if err != nil {
		return nil, err
	}

	hacf, err := read("etc/ha.d/ha.cf")
	if err != nil {
		return nil, err
	}
	haresources, err := read("etc/ha.d/haresources")
	if err != nil {
		return nil, err
	}
	haresources, err = apply("etc/ha.d/haresources", haresources, []edit{{"Linux187 ", "d1 "}, {"10.144.43.185", VIP}})
	if err != nil {
		return nil, err
	}
	authCf, err := read("etc/mon/auth.cf")
	if err != nil {
		return nil, err
	}
	authkeys, err := read("etc/ha.d/authkeys")
	if err != nil {
		return nil, err
	}
	for node, peer := range map[string]string{"d1": "d2", "d2": "d1"} {
		cf, err := apply("etc/ha.d/ha.cf", hacf, []edit{
			{"keepalive 2 ", fmt.Sprintf("keepalive %d ", Keepalive)},
			{"deadtime 40 ", fmt.Sprintf("deadtime %d ", Deadtime)},
			{"initdead 240", fmt.Sprintf("initdead %d", Initdead)},
			{"ucast eth0 10.144.43.142", "ucast eth0 " + Directors[peer]},
			{"node Linux187 ", "node d1 "},
			{"node linux142 ", "node d2 "},
		})
		if err != nil {
			return nil, err
		}
		etc := "/etc/netns/" + node
		files[etc+"/ha.d/ha.cf"] = []byte(cf)
		files[etc+"/ha.d/haresources"] = []byte(haresources)
		files[etc+"/ha.d/authkeys"] = []byte(authkeys)
		files[etc+"/mon/mon.cf"] = []byte(mon)
		files[etc+"/mon/userfile"] = nil
		files[etc+"/mon/auth.cf"] = []byte(authCf)
	}
	return files, nil
}
