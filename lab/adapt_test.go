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
