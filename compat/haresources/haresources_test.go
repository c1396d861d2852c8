package haresources

import (
	"net/netip"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestSeedHaresources(t *testing.T) {
	// The manual's haresources (Part II §4.5), unchanged.
	f, err := Parse(DefaultPath, strings.NewReader("Linux187 10.144.43.185 lvs mon\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Group{{Node: "linux187", Line: 1, Resources: []Resource{
		{Script: "IPaddr", Args: []string{"10.144.43.185"}, Spec: "10.144.43.185"},
		{Script: "lvs", Spec: "lvs"},
		{Script: "mon", Spec: "mon"},
	}}}
	if d := cmp.Diff(want, f.Groups); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if f.Groups[0].Key() != "10.144.43.185" || f.Groups[0].Resources[0].String() != "IPaddr::10.144.43.185" {
		t.Errorf("key %q, canonical %q", f.Groups[0].Key(), f.Groups[0].Resources[0])
	}
}

func TestAllForms(t *testing.T) {
	in := `# comment
node1 10.0.0.1 IPaddr::10.0.0.2/24/eth0/10.0.0.255 Filesystem::/dev/sda1::/data1::ext2 httpd # trailing
NODE2	10.0.0.3 \
   mon \
   IPaddr2::10.0.0.9/24/eth0:1

   node2 135.9.216.3/28/eth0/135.9.216.12 httpd
`
	f, err := Parse("haresources", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	type g struct {
		Node string
		Line int
		Res  []string
	}
	var got []g
	for _, x := range f.Groups {
		var rs []string
		for _, r := range x.Resources {
			rs = append(rs, r.Script+"("+strings.Join(r.Args, ",")+")")
		}
		got = append(got, g{x.Node, x.Line, rs})
	}
	want := []g{
		{"node1", 2, []string{"IPaddr(10.0.0.1)", "IPaddr(10.0.0.2/24/eth0/10.0.0.255)", "Filesystem(/dev/sda1,/data1,ext2)", "httpd()"}},
		{"node2", 3, []string{"IPaddr(10.0.0.3)", "mon()", "IPaddr2(10.0.0.9/24/eth0:1)"}},
		{"node2", 7, []string{"IPaddr(135.9.216.3/28/eth0/135.9.216.12)", "httpd()"}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestErrors(t *testing.T) {
	for in, want := range map[string]string{
		"node1\n":                             "haresources:1: node node1 has no resources",
		"node1 10.0.0.1\nnode2 10.0.0.1\n":    "haresources:2: resource group 10.0.0.1 already defined at line 1",
		"node1 IPaddr::999.0.0.1\n":           `haresources:1: resource "IPaddr::999.0.0.1": "999.0.0.1" is not an IPv4 address`,
		"node1 IPaddr\n":                      `want IPaddr::address`,
		"node1 ../x\n":                        `resource "../x": want a script name`,
		"node1 10.0.0.1/33\n":                 `netmask "33"`,
		"node1 \\\n\nnode2 10.0.0.1/24/a/b\n": `haresources:3: resource "10.0.0.1/24/a/b"`,
	} {
		_, err := Parse("haresources", strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", in, err, want)
		}
	}
}

func TestParseIPaddr(t *testing.T) {
	a := netip.MustParseAddr
	for in, want := range map[string]IPaddr{
		"10.0.0.1":                            {Addr: a("10.0.0.1"), Bits: -1},
		"10.0.0.1/24":                         {Addr: a("10.0.0.1"), Bits: 24},
		"10.0.0.1/255.255.255.0":              {Addr: a("10.0.0.1"), Bits: 24},
		"10.0.0.1/24/eth0":                    {Addr: a("10.0.0.1"), Bits: 24, Interface: "eth0"},
		"10.0.0.1/24/eth0:0":                  {Addr: a("10.0.0.1"), Bits: 24, Interface: "eth0:0"},
		"10.0.0.1/24/10.0.0.255":              {Addr: a("10.0.0.1"), Bits: 24, Broadcast: a("10.0.0.255")},
		"10.0.0.1/24/eth0/10.0.0.255":         {Addr: a("10.0.0.1"), Bits: 24, Interface: "eth0", Broadcast: a("10.0.0.255")},
		"10.144.43.185/32/eth0/10.144.43.185": {Addr: a("10.144.43.185"), Bits: 32, Interface: "eth0", Broadcast: a("10.144.43.185")},
	} {
		got, err := ParseIPaddr(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if d := cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{})); d != "" {
			t.Errorf("%q (-want +got):\n%s", in, d)
		}
	}
	for _, in := range []string{"", "eth0", "10.0.0.1/24/eth0/eth1", "10.0.0.1/24/10.0.0.255/eth0", "::1", "10.0.0.1/255.0.255.0", "1.2.3.4/1/2/3/4"} {
		if _, err := ParseIPaddr(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("Linux187 10.144.43.185 lvs mon\n")
	f.Add("node1 IPaddr::10.0.0.2/24/eth0/10.0.0.255 Filesystem::/dev/sda1::/data1::ext2 \\\n httpd\n")
	if b, err := os.ReadFile("/usr/share/doc/heartbeat/haresources"); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		file, err := Parse("haresources", strings.NewReader(s))
		if err != nil {
			return
		}
		for _, g := range file.Groups {
			if g.Node == "" || len(g.Resources) == 0 || g.Node != strings.ToLower(g.Node) {
				t.Fatalf("bad group %+v", g)
			}
			for _, r := range g.Resources {
				if r.Script == "" || strings.ContainsAny(r.Script, " \t/") {
					t.Fatalf("bad resource %+v", r)
				}
			}
		}
	})
}
