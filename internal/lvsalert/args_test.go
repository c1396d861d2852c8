package lvsalert

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/internal/ipvs"
)

// mapResolver answers from fixed tables, standing in for /etc/hosts and /etc/services.
type mapResolver struct {
	hosts map[string][]netip.Addr
	ports map[string]int // "tcp/webcache"
}

func (r mapResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := r.hosts[host]; ok {
		return a, nil
	}
	return nil, errors.New("no such host")
}

func (r mapResolver) LookupPort(_ context.Context, network, service string) (int, error) {
	if p, ok := r.ports[network+"/"+service]; ok {
		return p, nil
	}
	return 0, errors.New("unknown port")
}

var testResolver = mapResolver{
	hosts: map[string][]netip.Addr{
		"nb8048":   {netip.MustParseAddr("10.144.43.175")},
		"linux142": {netip.MustParseAddr("2001:db8::142"), netip.MustParseAddr("10.144.43.142")},
	},
	ports: map[string]int{"tcp/webcache": 8080, "udp/domain": 53},
}

var (
	vip8080 = ipvs.ServiceKey{Family: ipvs.FamilyIPv4, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.144.43.185"), Port: 8080}
	rs175   = ipvs.DestKey{Addr: netip.MustParseAddr("10.144.43.175"), Port: 8080}
)

// monArgs is what mon 1.3 puts before the configured arguments (call_alert).
func monArgs(extra ...string) []string {
	return append([]string{"-s", "webcache", "-g", "server1", "-h", "10.144.43.175", "-t", "1069840183"}, extra...)
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want Request
	}{
		{
			name: "manual down alert with mon's arguments",
			args: monArgs("-P", "tcp", "-V", "10.144.43.185:8080", "-R", "10.144.43.175", "-W", "5", "-F", "dr"),
			want: Request{Service: vip8080, Dest: rs175, Weight: 5, Forward: ipvs.Route},
		},
		{
			name: "manual upalert: mon's -u and the configured -u 1",
			args: monArgs("-u", "-P", "tcp", "-V", "10.144.43.185:8080", "-R", "10.144.43.175", "-W", "5", "-F", "dr", "-u", "1"),
			want: Request{Service: vip8080, Dest: rs175, Up: true, Weight: 5, Forward: ipvs.Route},
		},
		{
			name: "telnet service of §3.2, no mon arguments",
			args: []string{"-P", "tcp", "-V", "10.144.43.185:23", "-R", "10.144.43.187", "-W", "5", "-F", "dr", "-u", "1"},
			want: Request{
				Service: ipvs.ServiceKey{Family: ipvs.FamilyIPv4, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.144.43.185"), Port: 23},
				Dest:    ipvs.DestKey{Addr: netip.MustParseAddr("10.144.43.187"), Port: 23},
				Up:      true, Weight: 5, Forward: ipvs.Route,
			},
		},
		{
			name: "getopts-style bundled values, nat, udp, explicit port",
			args: []string{"-u", "-Pudp", "-V10.0.0.1:53", "-R192.168.1.2:5353", "-W0", "-Fnat"},
			want: Request{
				Service: ipvs.ServiceKey{Family: ipvs.FamilyIPv4, Protocol: ipvs.UDP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 53},
				Dest:    ipvs.DestKey{Addr: netip.MustParseAddr("192.168.1.2"), Port: 5353},
				Up:      true, Weight: 0, Forward: ipvs.Masq,
			},
		},
		{
			name: "names from /etc/hosts and /etc/services, IPv4 preferred",
			args: []string{"-u", "-P", "tcp", "-V", "10.144.43.185:webcache", "-R", "nb8048", "-W", "2", "-F", "tun"},
			want: Request{Service: vip8080, Dest: rs175, Up: true, Weight: 2, Forward: ipvs.Tunnel},
		},
		{
			name: "hostname with both families resolves to IPv4",
			args: []string{"-P", "tcp", "-V", "10.144.43.185:8080", "-R", "linux142"},
			want: Request{Service: vip8080, Dest: ipvs.DestKey{Addr: netip.MustParseAddr("10.144.43.142"), Port: 8080}, Forward: ipvs.Route},
		},
		{
			name: "IPv6 service",
			args: []string{"-u", "-P", "tcp", "-V", "[2001:db8::5]:443", "-R", "[2001:db8::6]", "-W", "1", "-F", "nat"},
			want: Request{
				Service: ipvs.ServiceKey{Family: ipvs.FamilyIPv6, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("2001:db8::5"), Port: 443},
				Dest:    ipvs.DestKey{Addr: netip.MustParseAddr("2001:db8::6"), Port: 443},
				Up:      true, Weight: 1, Forward: ipvs.Masq,
			},
		},
		{
			name: "fwmark service, real server port stays 0",
			args: []string{"-u", "-f", "7", "-R", "10.144.43.175", "-W", "3"},
			want: Request{
				Service: ipvs.ServiceKey{Family: ipvs.FamilyIPv4, FWMark: 7},
				Dest:    ipvs.DestKey{Addr: netip.MustParseAddr("10.144.43.175")},
				Up:      true, Weight: 3, Forward: ipvs.Route,
			},
		},
		{
			name: "IPv6 fwmark follows the real server's family",
			args: []string{"-f", "7", "-R", "2001:db8::6"},
			want: Request{
				Service: ipvs.ServiceKey{Family: ipvs.FamilyIPv6, FWMark: 7},
				Dest:    ipvs.DestKey{Addr: netip.MustParseAddr("2001:db8::6")},
				Forward: ipvs.Route,
			},
		},
		{
			name: "drain with default timeout",
			args: []string{"-P", "tcp", "-V", "10.144.43.185:8080", "-R", "10.144.43.175", "--drain"},
			want: Request{Service: vip8080, Dest: rs175, Forward: ipvs.Route, Drain: DefaultDrainTimeout},
		},
		{
			name: "drain in seconds",
			args: []string{"-P", "tcp", "-V", "10.144.43.185:8080", "-R", "10.144.43.175", "--drain=15"},
			want: Request{Service: vip8080, Dest: rs175, Forward: ipvs.Route, Drain: 15 * time.Second},
		},
		{
			name: "drain as a duration",
			args: []string{"--drain=2m", "-P", "tcp", "-V", "10.144.43.185:8080", "-R", "10.144.43.175"},
			want: Request{Service: vip8080, Dest: rs175, Forward: ipvs.Route, Drain: 2 * time.Minute},
		},
		{
			name: "bad -F and -W on a down alert are warnings only",
			args: []string{"-P", "tcp", "-V", "10.144.43.185:8080", "-R", "10.144.43.175", "-W", "x", "-F", "gate"},
			want: Request{Service: vip8080, Dest: rs175, Forward: ipvs.Route, Warnings: []string{
				`-W: "x" is not a weight; expected an integer from 0 to 2147483647 (ignored when removing)`,
				`-F: "gate" is not a forwarding method; expected dr, nat or tun (ignored when removing)`,
			}},
		},
		{
			name: "mon's ack alert flag: a down alert, with a warning",
			args: monArgs("-a", "-P", "tcp", "-V", "10.144.43.185:8080", "-R", "10.144.43.175"),
			want: Request{Service: vip8080, Dest: rs175, Forward: ipvs.Route, Warnings: []string{
				"mon's -a alert is handled as a down alert, as lvs.alert did",
			}},
		},
		{
			name: "options after the manual's -u 1 are not read, as with getopts",
			args: []string{"-u", "-P", "tcp", "-V", "10.144.43.185:8080", "-R", "10.144.43.175", "-W", "5", "-u", "1", "-W", "7"},
			want: Request{Service: vip8080, Dest: rs175, Up: true, Weight: 5, Forward: ipvs.Route, Warnings: []string{
				`ignored ["-W" "7"]: options after the non-option "1" are not read (as lvs.alert did)`,
			}},
		},
		{
			name: "trap flags and -l accepted",
			args: []string{"-l", "123", "-T", "-O", "-P", "TCP", "-V", "10.144.43.185:8080", "-R", "10.144.43.175"},
			want: Request{Service: vip8080, Dest: rs175, Forward: ipvs.Route, Warnings: []string{
				"mon's -T alert is handled as a down alert, as lvs.alert did",
				"mon's -O alert is handled as a down alert, as lvs.alert did",
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(context.Background(), tt.args, testResolver)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.args, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.args, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	base := []string{"-P", "tcp", "-V", "10.144.43.185:8080", "-R", "10.144.43.175"}
	with := func(extra ...string) []string { return append(append([]string{}, base...), extra...) }
	tests := []struct {
		name string
		args []string
		want string // substring of the message: names the flag and what was expected
	}{
		{"no -V", []string{"-P", "tcp", "-R", "10.1.1.1"}, "-V: missing; expected the virtual service"},
		{"no -R", []string{"-P", "tcp", "-V", "10.1.1.1:80"}, "-R: missing; expected the real server"},
		{"no -P", []string{"-V", "10.1.1.1:80", "-R", "10.1.1.2"}, "-P: missing; expected -P tcp or -P udp"},
		{"bad -P", []string{"-P", "icmp", "-V", "10.1.1.1:80", "-R", "10.1.1.2"}, `-P: "icmp" is not a protocol; expected tcp or udp`},
		{"bad -V host", []string{"-P", "tcp", "-V", "nosuchhost:80", "-R", "10.1.1.2"}, `-V: "nosuchhost" is neither an IP address nor a known host name`},
		{"bad -V port", []string{"-P", "tcp", "-V", "10.1.1.1:nosuch", "-R", "10.1.1.2"}, `-V: "nosuch" is neither a port number nor a known service name`},
		{"-V port too big", []string{"-P", "tcp", "-V", "10.1.1.1:70000", "-R", "10.1.1.2"}, "-V:"},
		{"-V empty port", []string{"-P", "tcp", "-V", "10.1.1.1:", "-R", "10.1.1.2"}, `-V: "10.1.1.1:": empty port`},
		{"-V unclosed bracket", []string{"-P", "tcp", "-V", "[2001:db8::1:80", "-R", "10.1.1.2"}, "-V: \"[2001:db8::1:80\" has no closing ]"},
		{"bad -R", []string{"-P", "tcp", "-V", "10.1.1.1:80", "-R", "not a host"}, `-R: "not a host" is neither`},
		{"up without -W", []string{"-u", "-P", "tcp", "-V", "10.1.1.1:80", "-R", "10.1.1.2"}, "-W: missing; adding a real server (-u) needs its weight"},
		{"up with bad -W", with("-u", "-W", "-3"), `-W: "-3" is not a weight; expected an integer from 0`},
		{"up with bad -F", with("-u", "-W", "1", "-F", "gate"), `-F: "gate" is not a forwarding method; expected dr, nat or tun`},
		{"up with mixed families", []string{"-u", "-P", "tcp", "-V", "10.1.1.1:80", "-R", "[2001:db8::2]", "-W", "1"}, "-R: 2001:db8::2 is not of the virtual service's address family"},
		{"-f and -V", with("-f", "3"), "-f and -V: give one virtual service"},
		{"-f with -P", []string{"-P", "tcp", "-f", "3", "-R", "10.1.1.2"}, "-P: a firewall-mark service (-f) has no protocol"},
		{"bad -f", []string{"-f", "0", "-R", "10.1.1.2"}, `-f: "0" is not a firewall mark; expected an integer greater than zero`},
		{"bad drain", with("--drain=soon"), `invalid argument "soon" for "--drain"`},
		{"zero drain", with("--drain=0"), "must be more than 0"},
		{"drain with up", with("-u", "-W", "1", "--drain"), "--drain: only applies when removing"},
		{"unknown option", with("-x"), "unknown shorthand flag: 'x'"},
		{"missing value", []string{"-P", "tcp", "-V", "10.1.1.1:80", "-R"}, "flag needs an argument: 'R'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(context.Background(), tt.args, testResolver)
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) = %v, want a UsageError", tt.args, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Parse(%q) error %q does not contain %q", tt.args, err, tt.want)
			}
		})
	}
}

func TestParseHelp(t *testing.T) {
	if _, err := Parse(context.Background(), []string{"--help"}, nil); !errors.Is(err, ErrHelp) {
		t.Fatalf("Parse(--help) = %v, want ErrHelp", err)
	}
	if _, err := Parse(context.Background(), []string{"--version"}, nil); !errors.Is(err, ErrVersion) {
		t.Fatalf("Parse(--version) = %v, want ErrVersion", err)
	}
}
