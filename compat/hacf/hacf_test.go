package hacf

import (
	"errors"
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2", 2 * time.Second, true},
		{"1.5", 1500 * time.Millisecond, true},
		{"0.001", time.Millisecond, true},
		{"500ms", 500 * time.Millisecond, true},
		{"500MS", 500 * time.Millisecond, true},
		{"500msec", 500 * time.Millisecond, true},
		{"1000000us", time.Second, true},
		{"499us", 0, true},
		{"501us", time.Millisecond, true},
		{".5", 500 * time.Millisecond, true},
		{"1.5.3", 1500 * time.Millisecond, true},
		{"2s", 0, false}, // heartbeat 3.0.6 refuses it (oracle case time-s-suffix)
		{"2sec", 0, false},
		{"abc", 0, false},
		{"", 0, false},
		{"-1", 0, false},
		{"1e3", 0, false},
		{"86400", 24 * time.Hour, true},
		{"86400000ms", 24 * time.Hour, true},
		// Past MaxTime, and past what a time.Duration holds: refused, not wrapped.
		{"86401", 0, false},
		{"99999999999999999999", 0, false},
		{"288230376151731504ms", 0, false},
		{strings.Repeat("9", 400), 0, false},
	} {
		got, ok := ParseTime(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseTime(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestAtoi(t *testing.T) {
	for in, want := range map[string]int64{"12": 12, "12abc": 12, "abc": 0, "-3": -3, " 7": 7, "": 0, "99999999999999999999": 1 << 40 * 10} {
		if got := atoi(in); (in == "99999999999999999999" && got < 1<<40) || (in != "99999999999999999999" && got != want) {
			t.Errorf("atoi(%q) = %d, want %d", in, got, want)
		}
	}
}

const seed = `logfacility local0 # 使用syslogd
keepalive 2 # 每隔几秒送一次heartbeat讯号
deadtime 40 # 多长时间就认定Primary Server Dead
initdead 240
# hopfudge maximum hop count minus number of nodes in config
nice_failback on
# 如果Service转移到Secondary,就不要再转移回Primary
hopfudge 1 # ???
udpport 1001 # 使用哪一个udp port
ucast eth0 10.144.43.142
# Primary用unicast送给Secondary,如果在 Secondary则送给Primary
node Linux187 # 给定cluster中的节点
node linux142 # 给定cluster中的节点
`

// TestSeedHaCf parses the manual's ha.cf (Part II §4.4) unchanged.
func TestSeedHaCf(t *testing.T) {
	c, err := Parse(DefaultPath, strings.NewReader(seed))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check("Linux187", nil); err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Nodes:        []string{"linux187", "linux142"},
		Media:        []Medium{{Kind: Ucast, Line: 10, Interface: "eth0", Port: 1001, Peers: []string{"10.144.43.142"}}},
		Keepalive:    2 * time.Second,
		Deadtime:     40 * time.Second,
		Warntime:     20 * time.Second,
		Initdead:     240 * time.Second,
		Deadping:     40 * time.Second,
		UDPPort:      1001,
		AutoFailback: FailbackLegacy, // what heartbeat 3.0.6 makes of "nice_failback on" (oracle case seed)
		HopFudge:     1,
		LogFacility:  "local0",
	}
	opts := cmp.Options{
		cmpopts.IgnoreUnexported(Config{}),
		cmpopts.EquateComparable(netip.Addr{}),
		cmpopts.IgnoreFields(Config{}, "File", "Directives", "Warnings", "Realtime", "Coredumps", "Msgfmt",
			"Compression", "CompressionThreshold", "Autojoin", "UUIDFrom", "Hbgenmethod", "Env"),
	}
	if d := cmp.Diff(want, c, opts); d != "" {
		t.Errorf("seed ha.cf (-want +got):\n%s", d)
	}
	var hb []string
	for _, w := range c.Warnings {
		hb = append(hb, w.Heartbeat)
	}
	for _, w := range []string{
		"nice_failback on has been strictly interpreted as 'auto_failback legacy'",
		"Deprecated 'legacy' auto_failback option selected.",
	} {
		if !strings.Contains(strings.Join(hb, "\n"), w) {
			t.Errorf("no warning %q in %q", w, hb)
		}
	}
}

func parseCheck(t *testing.T, text string) (*Config, error) {
	t.Helper()
	c, err := Parse("ha.cf", strings.NewReader(text))
	if err != nil {
		return c, err
	}
	return c, c.Check("node1", nil)
}

const base = "ucast eth0 10.0.0.2\nauto_failback on\nnode node1 node2\nlogfacility local0\n"

func TestParseErrorsNameFileAndLine(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		{"unknown", base + "foo bar\n", `ha.cf:5: unknown directive "foo"`},
		{"s suffix", base + "keepalive 2s\n", `ha.cf:5: keepalive "2s": want a time > 0`},
		{"zero keepalive", base + "keepalive 0\n", `ha.cf:5: keepalive "0"`},
		{"port", base + "udpport abc\n", `ha.cf:5: udpport "abc"`},
		{"failback", base + "auto_failback maybe\n", `ha.cf:5: auto_failback "maybe": want on, off or legacy`},
		{"mcast", base + "mcast eth0 10.0.0.1 694 1 0\n", `ha.cf:5: mcast eth0: group "10.0.0.1" is not an IPv4 multicast address`},
		{"mcast short", base + "mcast eth0 225.0.0.1 694 1\n", `ha.cf:5: mcast: want "mcast interface group port ttl loop", missing loop`},
		{"ucast short", base + "ucast eth1\n", `ha.cf:5: ucast eth1: want a peer address`},
		{"crm on", base + "crm on\n", `ha.cf:5: crm/pacemaker on: not supported: heartbeatd implements heartbeat's R1 resource management`},
		{"stonith", base + "stonith_host * null node2\n", `ha.cf:5: stonith_host: not implemented by heartbeatd: STONITH fencing`},
		{"serial", base + "serial /dev/ttyS0\n", `ha.cf:5: serial: not implemented by heartbeatd`},
		{"apiauth", base + "apiauth ipfail\n", `ha.cf:5: apiauth ipfail: want uid=list and/or gid=list`},
		{"respawn", base + "respawn root bin/true\n", `ha.cf:5: respawn root: command "bin/true" is not a full path name`},
		{"env", base + "env =x\n", `ha.cf:5: env "=x": want NAME=value`},
		{"facility", base + "logfacility LOCAL0\n", `ha.cf:5: logfacility "LOCAL0"`},
		{"deadtime", base + "keepalive 10\ndeadtime 20\n", `ha.cf: deadtime 20s must be more than twice keepalive 10s`},
		{"initdead", base + "deadtime 30\ninitdead 20\n", `ha.cf: initdead 20s is smaller than deadtime 30s`},
		{"local node", "ucast eth0 10.0.0.2\nnode a b\n", `ha.cf: this node "node1" (uname -n) is not declared: add "node node1"`},
		{"no media", "node node1\n", `ha.cf: no heartbeat media`},
		{"autojoin", base + "autojoin any\n", `ha.cf: autojoin any conflicts with R1`},
		{"logd off", "ucast eth0 10.0.0.2\nnode node1\nuse_logd no\n", `ha.cf: no logfile, debugfile or logfacility, and use_logd is off`},
		{"long line", base + strings.Repeat("x", maxLine+10) + "\n", `ha.cf:5: line longer than`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCheck(t, tc.text)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestTimeRanges: every time in ha.cf is bounded by MaxTime, with file:line and the
// bound in the error, instead of wrapping (deadtime 99999999999999999999 was 0 s,
// 288230376151731504ms about 10 s). Values heartbeat itself accepts are marked
// unsupported; values it refuses (its conversion to a C long overflows) are not.
func TestTimeRanges(t *testing.T) {
	for _, tc := range []struct {
		name, line  string
		want        string // "" = accepted
		unsupported bool
		hb          string
	}{
		{"deadtime huge", "deadtime 99999999999999999999", "ha.cf:5: deadtime 99999999999999999999: out of range (at most 86400, one day; or 86400000ms)", false, ""},
		{"deadtime huge ms", "deadtime 288230376151731504ms", "ha.cf:5: deadtime 288230376151731504ms: out of range (at most 86400", true, ""},
		{"deadtime 400 digits", "deadtime " + strings.Repeat("9", 400), "ha.cf:5: deadtime 999", false, ""},
		{"deadtime a day", "deadtime 86400\ninitdead 86400", "", false, ""},
		{"deadtime a day in us", "deadtime 86400000000us\ninitdead 86400000ms", "", false, ""},
		{"deadtime a day and a bit", "deadtime 86400.001", "ha.cf:5: deadtime 86400.001: out of range", true, ""},
		{"keepalive", "keepalive 90000", "ha.cf:5: keepalive 90000: out of range", true, ""},
		{"keepalive huge", "keepalive 99999999999999999999", "ha.cf:5: keepalive 99999999999999999999: out of range", false, ""},
		{"warntime", "warntime 288230376151731504ms", "ha.cf:5: warntime 288230376151731504ms: out of range", true, ""},
		{"warntime huge", "warntime 99999999999999999999", "ha.cf:5: warntime 99999999999999999999: out of range", false, "Warn time [99999999999999999999] is invalid."},
		{"initdead", "initdead 100000", "ha.cf:5: initdead 100000: out of range", true, ""},
		{"deadping", "deadping 99999999999999999999ms", "ha.cf:5: deadping 99999999999999999999ms: out of range", false, ""},
		{"conn_logd_time", "conn_logd_time 100000000ms", "ha.cf:5: conn_logd_time 100000000ms: out of range", true, ""},
		{"max_rexmit_delay", "max_rexmit_delay 86400001", "ha.cf:5: max_rexmit_delay 86400001: out of range (at most 86400000 milliseconds, one day)", true, ""},
		{"max_rexmit_delay huge", "max_rexmit_delay 99999999999999999999", "ha.cf:5: max_rexmit_delay 99999999999999999999: out of range", true, ""},
		{"max_rexmit_delay a day", "max_rexmit_delay 86400000", "", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseCheck(t, base+tc.line+"\n")
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				for _, d := range []time.Duration{c.Keepalive, c.Deadtime, c.Warntime, c.Initdead, c.Deadping, c.MaxRexmitDelay} {
					if d < 0 || d > MaxTime {
						t.Errorf("time %v out of range", d)
					}
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			var d *Diag
			if !errors.As(err, &d) || d.Unsupported != tc.unsupported || d.Heartbeat != tc.hb {
				t.Errorf("diag %+v: want unsupported %v, heartbeat %q", d, tc.unsupported, tc.hb)
			}
		})
	}
}

func TestOrderRules(t *testing.T) {
	// Media before udpport keep the default port; heartbeat behaves so silently.
	c, err := parseCheck(t, "bcast eth0\nudpport 1001\nucast eth0 10.0.0.2\nnode node1\nlogfacility local0\n")
	if err != nil {
		t.Fatal(err)
	}
	if got := []int{c.Media[0].Port, c.Media[1].Port, c.UDPPort}; !cmp.Equal(got, []int{694, 1001, 1001}) {
		t.Errorf("ports %v, want [694 1001 1001]", got)
	}
	if len(c.Warnings) == 0 || !strings.Contains(c.Warnings[0].Msg, "udpport 1001 comes after bcast/ucast lines") {
		t.Errorf("warnings %v", c.Warnings)
	}
	// nice_failback after an auto_failback line means off; alone it means legacy.
	for text, want := range map[string]AutoFailback{
		"auto_failback on\nnice_failback on\n": FailbackOff,
		"nice_failback on\n":                   FailbackLegacy,
		"nice_failback off\n":                  FailbackLegacy,
		"nice_failback on\nauto_failback on\n": FailbackOn,
		"auto_failback legacy\n":               FailbackLegacy,
		"auto_failback YES\n":                  FailbackOn,
		"auto_failback 0\n":                    FailbackOff,
	} {
		c, err := parseCheck(t, "ucast eth0 10.0.0.2\nnode node1\nlogfacility local0\n"+text)
		if err != nil || c.AutoFailback != want {
			t.Errorf("%q: %v, %v; want %v", text, c.AutoFailback, err, want)
		}
	}
}

func TestValuesPerTokenAndDefaults(t *testing.T) {
	c, err := parseCheck(t, "ucast eth0 10.0.0.2 10.0.0.3\nbcast eth1, eth2\nnode NODE1,node2 node2\nkeepalive 1 2\ndeadtime 5\nping 10.0.0.254 10.0.0.253\nping_group g1 10.0.0.1 10.0.0.2\nlogfile /var/log/ha-log\nrespawn hacluster /usr/lib/heartbeat/ipfail -x\nenv A=b\nmcast eth0 225.0.0.1 694 1 0\n")
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]string{"node1", "node2"}, c.Nodes); d != "" {
		t.Errorf("nodes (-want +got):\n%s", d)
	}
	if c.Keepalive != 2*time.Second || c.Deadtime != 5*time.Second || c.Warntime != 2500*time.Millisecond || c.Initdead != 12*time.Second || c.Deadping != 5*time.Second {
		t.Errorf("times %v %v %v %v %v", c.Keepalive, c.Deadtime, c.Warntime, c.Initdead, c.Deadping)
	}
	if len(c.Media) != 4 || c.Media[1].Interface != "eth1" || c.Media[2].Interface != "eth2" || len(c.Media[0].Peers) != 2 || !c.Media[3].Group.IsMulticast() {
		t.Errorf("media %+v", c.Media)
	}
	if d := cmp.Diff([]string{"10.0.0.254", "10.0.0.253"}, c.Pings); d != "" {
		t.Errorf("pings: %s", d)
	}
	if len(c.PingGroups) != 1 || c.PingGroups[0].Name != "g1" || len(c.PingGroups[0].Addrs) != 2 {
		t.Errorf("ping groups %+v", c.PingGroups)
	}
	if !c.IPFail() || c.Children[0].Command != "/usr/lib/heartbeat/ipfail -x" || c.Env["HA_A"] != "b" {
		t.Errorf("children %+v env %v", c.Children, c.Env)
	}
}

func TestEveryDirectiveClassified(t *testing.T) {
	if len(Directives) < 58 {
		t.Fatalf("only %d directives", len(Directives))
	}
	for name, d := range Directives {
		if d.set == nil {
			t.Errorf("%s: no setter", name)
		}
		if d.Support != Honoured && d.Note == "" {
			t.Errorf("%s: %v without a note saying why", name, d.Support)
		}
	}
}

func TestUnsupportedMarked(t *testing.T) {
	_, err := parseCheck(t, base+"quorum_server qs.example\n")
	var d *Diag
	if !errors.As(err, &d) || !d.Unsupported {
		t.Fatalf("quorum_server: %v, want an Unsupported diag", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(seed)
	f.Add(base + "mcast eth0 225.0.0.1 694 1 0\napiauth a uid=1 gid=2\nrespawn root /bin/x\n")
	f.Add(base + "ucast6 eth0 2001:db8::2\nmcast6 eth0 ff05::6:1 694 1 0\nping6 ::1 fe80::1\n")
	if b, err := os.ReadFile("/usr/share/doc/heartbeat/ha.cf"); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse("ha.cf", strings.NewReader(s))
		if c == nil {
			t.Fatal("nil config")
		}
		cerr := c.Check("node1", nil)
		if err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
		if err == nil && cerr == nil {
			// An accepted file has every time within range: none wrapped.
			for _, d := range []time.Duration{c.Keepalive, c.Deadtime, c.Warntime, c.Initdead, c.Deadping, c.MaxRexmitDelay} {
				if d < 0 || d > MaxTime {
					t.Fatalf("accepted time %v outside 0..%v", d, MaxTime)
				}
			}
		}
	})
}

type testHost struct{}

func (testHost) InterfaceExists(n string) bool { return n == "eth0" }
func (testHost) UserExists(n string) bool      { return n == "hacluster" }
func (testHost) Executable(p string) bool      { return p == "/bin/true" }
func (testHost) Resolvable(h string) bool      { return h == "10.0.0.2" || h == "peer" }
func (testHost) Resolvable6(h string) bool     { return h == "2001:db8::2" }
func (testHost) UDPService(p int) string {
	if p == 53 {
		return "domain"
	}
	return ""
}
func (testHost) ServicePort(n string) int { return 0 }

func TestHostChecks(t *testing.T) {
	c, err := Parse("ha.cf", strings.NewReader(base+"bcast eth0 eth9\nucast eth0 peer nowhere\nrespawn hacluster /usr/lib/heartbeat/ipfail\nrespawn nobody /bin/false\nudpport 53\n"))
	if err != nil {
		t.Fatal(err)
	}
	err = c.Check("node1", testHost{})
	for _, want := range []string{
		"ha.cf:5: bcast eth9: no such network interface",
		`ha.cf:6: ucast eth0: cannot resolve "nowhere"`,
		`ha.cf:8: respawn: no such user "nobody"`,
		"ha.cf:8: respawn: /bin/false is not an executable file",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	// ipfail is built in: heartbeat would refuse the manual era's path where the
	// program is missing, heartbeatd does not.
	if strings.Contains(err.Error(), "ipfail") {
		t.Errorf("built-in ipfail refused: %v", err)
	}
	if !c.IPFail() {
		t.Error("ipfail not seen")
	}
	var warned bool
	for _, w := range c.Warnings {
		warned = warned || strings.Contains(w.Msg, `udp port 53 is reserved for service "domain"`)
	}
	if !warned {
		t.Errorf("no reserved-port warning in %v", c.Warnings)
	}
}

func TestWatchdogDevice(t *testing.T) {
	c, err := parseCheck(t, base+"watchdog /dev/watchdog\n")
	if err != nil || c.Watchdog != "/dev/watchdog" {
		t.Fatalf("watchdog: %q, %v", c.Watchdog, err)
	}
}

// TestPing6 is what heartbeat 3.0.6 was seen to do with ping6 (run on each value, see
// internal/hb/cli/testdata/check/ping6*): an IPv6 address in any form inet_pton takes is
// a ping node named by its text in lower case, several on a line or on several lines,
// one written twice is one node; anything else is refused in the plugin's words.
func TestPing6(t *testing.T) {
	c, err := parseCheck(t, base+"ping6 ::1 0:0::1, FD00::AB\nping6 ::1\nping6 ::ffff:127.0.0.1 ::1.2.3.4 1::2:3:4:5:6:7 fe80::1\nping6\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"::1", "0:0::1", "fd00::ab", "::ffff:127.0.0.1", "::1.2.3.4", "1::2:3:4:5:6:7", "fe80::1"}
	if d := cmp.Diff(want, c.Pings6); d != "" {
		t.Errorf("ping6 nodes (-want +got):\n%s", d)
	}
	if len(c.Pings) != 0 {
		t.Errorf("ping6 lines made IPv4 ping nodes: %q", c.Pings)
	}
	// FD00::AB: 3.0.6 names it fd00::ab and then refuses its replies (reported under
	// FD00::AB): it never comes up there.
	var warned bool
	for _, w := range c.Warnings {
		if w.Line == 5 && strings.Contains(w.Msg, "ping6 FD00::AB") && strings.Contains(w.Msg, "lower case") {
			warned = true
		}
	}
	if !warned {
		t.Errorf("no warning for the upper-case ping6 address: %v", c.Warnings)
	}

	for _, v := range []string{"localhost", "not-an-address", "127.0.0.1", "fe80::1%lo", "::ffff:01.2.3.4",
		"00001::1", "1:2:3:4:5:6:7:8:9", ":::1", "::1.2.3"} {
		_, err := Parse("ha.cf", strings.NewReader(base+"ping6 "+v+"\n"))
		var d *Diag
		if !errors.As(err, &d) {
			t.Errorf("ping6 %s: accepted (%v)", v, err)
			continue
		}
		if hb := "Illegal ping6 [ping6 membership] in config file [" + v + "]"; d.Heartbeat != hb || d.Line != 5 || d.Unsupported {
			t.Errorf("ping6 %s: %+v; want heartbeat's %q at line 5", v, d, hb)
		}
	}
}
