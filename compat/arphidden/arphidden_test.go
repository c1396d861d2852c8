package arphidden

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSettings(t *testing.T) {
	got := Settings(true, "lo", "all")
	want := []Sysctl{
		{"net.ipv4.conf.all.arp_ignore", "1"}, {"net.ipv4.conf.all.arp_announce", "2"},
		{"net.ipv4.conf.lo.arp_ignore", "1"}, {"net.ipv4.conf.lo.arp_announce", "2"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if d := cmp.Diff([]Sysctl{{"net.ipv4.conf.all.arp_ignore", "0"}, {"net.ipv4.conf.all.arp_announce", "0"}}, Settings(false)); d != "" {
		t.Errorf("off (-want +got):\n%s", d)
	}
}

// The writes of the manual's scripts (Part II: the real-server rc script, /etc/init.d/lvs
// start and stop, the patched IPaddr).
func TestFromProcWrite(t *testing.T) {
	for _, tc := range []struct {
		path, value string
		ok          bool
		want        []Sysctl
	}{
		{"/proc/sys/net/ipv4/conf/all/hidden", "1", true, Settings(true)},
		{"/proc/sys/net/ipv4/conf/lo/hidden", "1", true, Settings(true, "lo")},
		{"/proc/sys/net/ipv4/conf/tunl0/hidden", "1\n", true, Settings(true, "tunl0")},
		{"/proc/sys/net/ipv4/conf/lo/hidden", "0", true, Settings(false, "lo")},
		{"/proc/sys/net/ipv4/ip_forward", "1", false, nil},
		{"/proc/sys/net/ipv4/conf/lo/arp_ignore", "1", false, nil},
	} {
		got, ok, err := FromProcWrite(tc.path, tc.value)
		if ok != tc.ok || err != nil {
			t.Errorf("%s: ok %v err %v", tc.path, ok, err)
		}
		if d := cmp.Diff(tc.want, got); d != "" {
			t.Errorf("%s (-want +got):\n%s", tc.path, d)
		}
	}
	if _, ok, err := FromProcWrite("/proc/sys/net/ipv4/conf/lo/hidden", "2"); !ok || err == nil {
		t.Error("value 2 accepted")
	}
}
