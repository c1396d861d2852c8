package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Lab addresses. The manual's directors (Linux187, linux142) were also two of its real
// servers. By default the lab keeps the roles apart: directors and real servers are
// separate machines, so the manual's addresses map onto the lab's by role. With
// Options.DirectorsServe they map as in the manual: its directors' addresses are d1's
// and d2's, and the table's third real server is rs1 (manualServers).
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

// manualServers are the manual's three real servers in the order of its table
// (/etc/init.d/lvs, ipvsadm -l in 三 5) and the lab node each one is. By default three
// machines of their own; with directorsServe the manual's own: 10.144.43.187 is
// Linux187, its primary director (d1), and 10.144.43.142 is linux142, the other (d2).
func manualServers(directorsServe bool) [][2]string {
	if directorsServe {
		return [][2]string{{"10.144.43.175", "rs1"}, {"10.144.43.187", "d1"}, {"10.144.43.142", "d2"}}
	}
	return [][2]string{{"10.144.43.175", "rs1"}, {"10.144.43.187", "rs3"}, {"10.144.43.142", "rs2"}}
}

// Servers names the real servers of the directors' table: rs1 rs2 rs3, or with
// directorsServe rs1 d1 d2 (the manual's table's order).
func Servers(directorsServe bool) []string {
	var names []string
	for _, m := range manualServers(directorsServe) {
		names = append(names, m[1])
	}
	if !directorsServe {
		sort.Strings(names)
	}
	return names
}

// RealServersOnly names the nodes that are real servers and nothing else, sorted: rs1
// rs2 rs3, or with directorsServe rs1 alone.
func RealServersOnly(directorsServe bool) []string {
	var names []string
	for _, n := range Servers(directorsServe) {
		if _, ok := RealServers[n]; ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Victim is the real server phase 2 stops: the manual's 10.144.43.142 (mon.cf's
// server2): rs2, or with directorsServe linux142, d2 (the standby director).
func Victim(directorsServe bool) string {
	for _, m := range manualServers(directorsServe) {
		if m[0] == "10.144.43.142" {
			return m[1]
		}
	}
	return ""
}

// Addr is a lab node's address ("" for none).
func Addr(node string) string {
	if a, ok := Directors[node]; ok {
		return a
	}
	return RealServers[node]
}

// manualToLab maps the manual's addresses in /etc/init.d/lvs and mon.cf to the lab's.
func manualToLab(directorsServe bool) []string {
	m := []string{"10.144.43.185", VIP}
	for _, s := range manualServers(directorsServe) {
		m = append(m, s[0], Addr(s[1]))
	}
	return append(m, "10.144.43.254", Gateway)
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
func addressEdits(s string, directorsServe bool) []edit {
	var es []edit
	m := manualToLab(directorsServe)
	for i := 0; i < len(m); i += 2 {
		if strings.Contains(s, m[i]) {
			es = append(es, edit{m[i], m[i+1]})
		}
	}
	return es
}

// Adapt reads examples/ under root and returns the guest files of the lab: guest path
// -> content. Per-director files go under /etc/netns/<node>/, which "ip netns exec"
// binds over /etc.
func Adapt(root string) (map[string][]byte, error) { return adapt(root, false) }

// AdaptDirectorsServe is Adapt with the manual's own real servers: its directors'
// addresses are d1's and d2's, so /etc/init.d/lvs lists each director as a real server
// of its own table and mon.cf watches their HTTP, as the manual's did.
func AdaptDirectorsServe(root string) (map[string][]byte, error) { return adapt(root, true) }

func adapt(root string, directorsServe bool) (map[string][]byte, error) {
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
	// Its real servers are rs1 rs2 rs3, or with directorsServe the HTTP service's, in the
	// table's order: rs1 d1 d2. IPVS's rr gives a service's first connection to the real
	// server added last, so the long-lived connection goes to d2, the standby director
	// serving as a real server, which keeps it when it takes over.
	echo := []string{RealServers["rs1"], RealServers["rs2"], RealServers["rs3"]}
	if directorsServe {
		echo = nil
		for _, m := range manualServers(true) {
			echo = append(echo, Addr(m[1]))
		}
	}
	lines := "\t\t-A -t $VIP:7000 -s rr\n"
	for _, a := range echo {
		lines += "\t\t-a -t $VIP:7000 -r " + a + " -w 5 -g\n"
	}
	lvs, err := read("etc/init.d/lvs")
	if err != nil {
		return nil, err
	}
	lvs, err = apply("etc/init.d/lvs", lvs, append(addressEdits(lvs, directorsServe), edit{"\t\tEOF\n", lines + "\t\tEOF\n"}))
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
		if s, err = apply(p, s, addressEdits(s, directorsServe)); err != nil {
			return nil, err
		}
		files["/"+p] = []byte(s)
	}

	// mon.cf: addresses, and intervals short enough for the lab.
	mon, err := read("etc/mon/mon.cf")
	if err != nil {
		return nil, err
	}
	mon, err = apply("etc/mon/mon.cf", mon, append(addressEdits(mon, directorsServe),
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
