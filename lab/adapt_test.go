package lab

import (
	"bytes"
	"strings"
	"testing"

	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/compat/monconf"
)

// The lab's files are examples/ with the lab's addresses and timings and nothing of
// the manual's network left; they still parse as mon and heartbeat read them.
func TestAdapt(t *testing.T) {
	files, err := Adapt("..")
	if err != nil {
		t.Fatal(err)
	}
	for p, b := range files {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "10.144.43.") && !strings.HasPrefix(l, "#") {
				t.Errorf("%s still holds a manual address: %s", p, l)
			}
		}
	}
	lvs := string(files["/etc/init.d/lvs"])
	for _, want := range []string{"VIP=${VIP:-10.0.0.100}", "-r 10.0.0.21 -w 5 -g", "\t\t-A -t $VIP:7000 -s rr\n", "--start-daemon master", "$LVS_ARP announce"} {
		if !strings.Contains(lvs, want) {
			t.Errorf("/etc/init.d/lvs lacks %q", want)
		}
	}
	for _, node := range []string{"d1", "d2"} {
		etc := "/etc/netns/" + node
		mc, err := monconf.ParseWithOptions("mon.cf", bytes.NewReader(files[etc+"/mon/mon.cf"]),
			monconf.Options{Readable: func(p string) bool { _, ok := files[etc+strings.TrimPrefix(p, "/etc")]; return ok }})
		if err != nil {
			t.Fatalf("%s mon.cf: %v", node, err)
		}
		if len(mc.Watches) != 4 {
			t.Errorf("%s mon.cf: %d watches, want the manual's 4", node, len(mc.Watches))
		}
		cf := string(files[etc+"/ha.d/ha.cf"])
		if _, err := hacf.Parse("ha.cf", strings.NewReader(cf)); err != nil {
			t.Errorf("%s ha.cf: %v", node, err)
		}
		peer := map[string]string{"d1": Directors["d2"], "d2": Directors["d1"]}[node]
		if !strings.Contains(cf, "ucast eth0 "+peer+"\n") || !strings.Contains(cf, "deadtime 8 ") || !strings.Contains(cf, "\nauto_failback off\n") {
			t.Errorf("%s ha.cf:\n%s", node, cf)
		}
		hr, err := haresources.Parse("haresources", bytes.NewReader(files[etc+"/ha.d/haresources"]))
		if err != nil {
			t.Fatalf("%s haresources: %v", node, err)
		}
		if len(hr.Groups) != 1 || hr.Groups[0].Node != "d1" || len(hr.Groups[0].Resources) != 3 ||
			hr.Groups[0].Resources[1].String() != "IPaddr::10.0.0.100" {
			t.Errorf("%s haresources %+v", node, hr)
		}
	}
}

// An edit whose text is gone (examples/ changed) fails the lab instead of being skipped.
func TestApplyMissing(t *testing.T) {
	if _, err := apply("f", "abc", []edit{{"x", "y"}}); err == nil {
		t.Error("missing text accepted")
	}
	if s, err := apply("f", "abcb", []edit{{"b", "x"}}); err != nil || s != "axcx" {
		t.Errorf("got %q %v", s, err)
	}
}

// With DirectorsServe the manual's real servers are its own: its directors' addresses
// are d1's and d2's in /etc/init.d/lvs and mon.cf, rs1 is the third, and the echo
// service has the same real servers in the table's order (the standby, d2, last: IPVS's
// rr gives it the first connection, the long-lived one).
func TestAdaptDirectorsServe(t *testing.T) {
	files, err := AdaptDirectorsServe("..")
	if err != nil {
		t.Fatal(err)
	}
	for p, b := range files {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "10.144.43.") && !strings.HasPrefix(l, "#") {
				t.Errorf("%s still holds a manual address: %s", p, l)
			}
		}
	}
	lvs := string(files["/etc/init.d/lvs"])
	for _, port := range []string{"8080", "7000"} {
		want := ""
		for _, a := range []string{"10.0.0.21", "10.0.0.11", "10.0.0.12"} {
			want += "\t\t-a -t $VIP:" + port + " -r " + a + " -w 5 -g\n"
		}
		if !strings.Contains(lvs, want) {
			t.Errorf("/etc/init.d/lvs lacks the %s service's real servers rs1 d1 d2:\n%s", port, lvs)
		}
	}
	if strings.Contains(lvs, "10.0.0.22") || strings.Contains(lvs, "10.0.0.23") {
		t.Errorf("/etc/init.d/lvs lists rs2 or rs3:\n%s", lvs)
	}
	mon := string(files["/etc/netns/d1/mon/mon.cf"])
	for _, want := range []string{"hostgroup server1 10.0.0.21\n", "hostgroup server2 10.0.0.12\n", "hostgroup server3 10.0.0.11\n", "-R 10.0.0.11 -W 5 -F dr -u 1"} {
		if !strings.Contains(mon, want) {
			t.Errorf("mon.cf lacks %q", want)
		}
	}
	if got := strings.Join(Servers(true), " "); got != "rs1 d1 d2" {
		t.Errorf("Servers(true) = %s", got)
	}
	if got := strings.Join(Servers(false), " "); got != "rs1 rs2 rs3" {
		t.Errorf("Servers(false) = %s", got)
	}
	if got := strings.Join(RealServersOnly(true), " "); got != "rs1" {
		t.Errorf("RealServersOnly(true) = %s", got)
	}
	if Victim(true) != "d2" || Victim(false) != "rs2" {
		t.Errorf("Victim: %s %s", Victim(true), Victim(false))
	}
	// The default is unchanged by it.
	def, err := Adapt("..")
	if err != nil {
		t.Fatal(err)
	}
	if d := string(def["/etc/init.d/lvs"]); !strings.Contains(d, "-a -t $VIP:8080 -r 10.0.0.23 -w 5 -g\n") || strings.Contains(d, "10.0.0.11") {
		t.Errorf("default /etc/init.d/lvs:\n%s", d)
	}
}
