package ipvsadm

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const tryHelpMsg = "Try `ipvsadm -h' or 'ipvsadm --help' for more information.\n"

var testResolver = NewFilesResolver(
	"127.0.0.1 localhost\n10.1.2.3 www.example.com www\n::1 localhost ip6-localhost\n",
	"http 80/tcp www\nhttp 80/udp\ndomain 53/tcp\ndomain 53/udp\nsip 5060/sctp\n")

// summary is a compact rendering of a parsed command for table tests.
func summary(c *Command) string {
	var b strings.Builder
	fmt.Fprintf(&b, "cmd=%s", cmdNames[c.Cmd-1])
	s := c.Svc
	if c.Has(optService) || s.AF != 0 {
		if s.FWMark != 0 {
			fmt.Fprintf(&b, " fwm=%d af=%d", s.FWMark, s.AF)
		} else {
			fmt.Fprintf(&b, " svc=%d/%s:%d", s.Protocol, ntop(addrOf(s.AF, s.Addr)), s.Port)
		}
	}
	if s.Sched != "" {
		fmt.Fprintf(&b, " sched=%s", s.Sched)
	}
	if s.Flags != 0 {
		fmt.Fprintf(&b, " flags=%#x", s.Flags)
	}
	if s.Flags&svcFPersistent != 0 {
		fmt.Fprintf(&b, " timeout=%d", s.Timeout)
	}
	if s.Netmask != 0xffffffff {
		fmt.Fprintf(&b, " mask=%#x", s.Netmask)
	}
	if s.PEName != "" {
		fmt.Fprintf(&b, " pe=%s", s.PEName)
	}
	if c.Has(optServer) {
		d := c.Dest
		fmt.Fprintf(&b, " dest=%s:%d fwd=%d w=%d", ntop(addrOf(d.AF, d.Addr)), d.Port, d.ConnFlags, d.Weight)
		if d.UThreshold != 0 || d.LThreshold != 0 {
			fmt.Fprintf(&b, " x=%d y=%d", d.UThreshold, d.LThreshold)
		}
		if c.Options&(1<<optTunType|1<<optTunPort|1<<optTunCsum|1<<optTunNoCsum|1<<optTunRemCsum) != 0 {
			fmt.Fprintf(&b, " tun=%d/%d/%d", d.TunType, d.TunPort, d.TunFlags)
		}
	}
	if c.Cmd == CmdTimeout {
		fmt.Fprintf(&b, " set=%d/%d/%d", c.Timeouts.TCP, c.Timeouts.TCPFin, c.Timeouts.UDP)
	}
	if c.Cmd == CmdStartDaemon || c.Cmd == CmdStopDaemon {
		d := c.Daemon
		fmt.Fprintf(&b, " state=%d ifn=%s id=%d maxlen=%d af=%d port=%d ttl=%d", d.State, d.McastIfn, d.SyncID, d.SyncMaxLen, d.McastAF, d.McastPort, d.McastTTL)
	}
	if c.Format != 0 {
		fmt.Fprintf(&b, " fmt=%#x", uint32(c.Format))
	}
	return b.String()
}

func TestParse(t *testing.T) {
	type want struct {
		ok     string // summary when the parse succeeds
		code   int
		stdout string
		stderr string
		ret    bool
		crash  bool
	}
	errw := func(code int, msg string) want { return want{code: code, stderr: msg + "\n"} }
	cases := []struct {
		args string
		want want
	}{
		// Commands and their long forms.
		{"-A -t 1.2.3.4:80", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc"}},
		{"--add-service --tcp-service 1.2.3.4:80", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc"}},
		{"-E -u 1.2.3.4:53 -s rr", want{ok: "cmd=edit-service svc=17/1.2.3.4:53 sched=rr"}},
		{"--edit-service --udp-service=1.2.3.4:53", want{ok: "cmd=edit-service svc=17/1.2.3.4:53 sched=wlc"}},
		{"-D --sctp-service 1.2.3.4:80", want{ok: "cmd=delete-service svc=132/1.2.3.4:80"}},
		{"--delete-service -f 5", want{ok: "cmd=delete-service fwm=5 af=2"}},
		{"-C", want{ok: "cmd=flush"}},
		{"--clear", want{ok: "cmd=flush"}},
		{"-L", want{ok: "cmd=list"}},
		{"-l", want{ok: "cmd=list"}},
		{"--list -n", want{ok: "cmd=list fmt=0x1"}},
		{"-Ln", want{ok: "cmd=list fmt=0x1"}},
		{"-lnc", want{ok: "cmd=list fmt=0x1"}},
		{"-Z", want{ok: "cmd=zero"}},
		{"--zero -t 1.2.3.4:80", want{ok: "cmd=zero svc=6/1.2.3.4:80"}},
		{"-R", want{ok: "cmd=restore"}},
		{"--restore", want{ok: "cmd=restore"}},
		{"-S", want{ok: "cmd=save fmt=0x2"}},
		{"--save -n", want{ok: "cmd=save fmt=0x3"}},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8", want{ok: "cmd=add-server svc=6/1.2.3.4:80 dest=5.6.7.8:80 fwd=3 w=1"}},
		{"--add-server -t 1.2.3.4:80 --real-server 5.6.7.8:81 --masquerading --weight 0", want{ok: "cmd=add-server svc=6/1.2.3.4:80 dest=5.6.7.8:81 fwd=0 w=0"}},
		{"-e -t 1.2.3.4:80 -r 5.6.7.8:81 -g", want{ok: "cmd=edit-server svc=6/1.2.3.4:80 dest=5.6.7.8:80 fwd=3 w=1"}},
		{"--edit-server -t 1.2.3.4:80 -r 5.6.7.8:81 --ipip -w 5", want{ok: "cmd=edit-server svc=6/1.2.3.4:80 dest=5.6.7.8:80 fwd=2 w=5"}},
		{"-d -t 1.2.3.4:80 -r 5.6.7.8", want{ok: "cmd=delete-server svc=6/1.2.3.4:80 dest=5.6.7.8:80 fwd=3 w=1"}},
		{"--delete-server -f 3 -r 5.6.7.8", want{ok: "cmd=delete-server fwm=3 af=2 dest=5.6.7.8:0 fwd=3 w=1"}},
		{"--set 1 2 3", want{ok: "cmd=set set=1/2/3"}},
		{"--set 0 0 2678400", want{ok: "cmd=set set=0/0/2678400"}},
		{"--start-daemon master", want{ok: "cmd=start-daemon state=1 ifn=eth0 id=0 maxlen=0 af=0 port=0 ttl=0"}},
		{"--start-daemon=backup --mcast-interface lo --syncid 9 --sync-maxlen 1400 --mcast-group 239.1.2.3 --mcast-port 9000 --mcast-ttl 3",
			want{ok: "cmd=start-daemon state=2 ifn=lo id=9 maxlen=1400 af=2 port=9000 ttl=3"}},
		{"--start-daemon master --mcast-group ff02::1", want{ok: "cmd=start-daemon state=1 ifn=eth0 id=0 maxlen=0 af=10 port=0 ttl=0"}},
		{"--stop-daemon backup --syncid 3", want{ok: "cmd=stop-daemon state=2 ifn= id=3 maxlen=0 af=0 port=0 ttl=0"}},
		{"-h", want{code: 0, stdout: Usage("ipvsadm")}},
		{"--help", want{code: 0, stdout: Usage("ipvsadm")}},
		{"-v", want{code: 0, stdout: "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n"}},
		{"--version -n", want{code: 0, stdout: Version()}},

		// popt: first option must be a command, quirks of bundling and arguments.
		{"", want{code: -1, stderr: tryHelpMsg}},
		{"-n -L", want{code: -1, stderr: tryHelpMsg}},
		{"--frobnicate", want{code: -1, stderr: tryHelpMsg}},
		{"-Q", want{code: -1, stderr: tryHelpMsg}},
		{"-p", want{code: -1, stderr: tryHelpMsg}},
		{"-b ,", want{code: -1, stderr: tryHelpMsg}},
		{"foo -L", errw(2, "unexpected argument foo")},
		{"-L foo", errw(2, "unexpected argument foo")},
		{"-R x", errw(2, "unexpected argument x")},
		{"-Lq", want{code: -1, ret: true, stderr: "-Lq: unknown option\n"}},
		{"-L -Lq", errw(2, "invalid option `-Lq'")},
		{"-L --lis", want{code: -1, ret: true, stderr: "--lis: unknown option\n"}},
		{"-L --list", errw(2, "invalid option `--list'")},
		{"-Ln -l", errw(2, "invalid option `-l'")},
		{"-L -A", errw(2, "invalid option `-A'")},
		{"-L -h", errw(2, "invalid option `-h'")},
		{"-L --start-daemon master", errw(2, "invalid option `master'")},
		{"-Ln=x", want{code: -1, ret: true, stderr: "-Ln=x: option does not take an argument\n"}},
		{"-L --numeric=x", want{code: -1, ret: true, stderr: "--numeric=x: option does not take an argument\n"}},
		{"-L -t", want{code: -1, ret: true, stderr: "-t: missing argument\n"}},
		{"-L -nt", want{code: -1, ret: true, stderr: "-nt: missing argument\n"}},
		{"-L -list", errw(2, "invalid option `-list'")},
		{"-At1.2.3.4:80", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc"}},
		{"-A -t=1.2.3.4:80", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc"}},
		{"-A -t 1.2.3.4:80 -srr", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=rr"}},
		{"-A -t 1.2.3.4:80 -p", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc flags=0x1 timeout=360"}},
		{"-A -t 1.2.3.4:80 -p -s rr", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=rr flags=0x1 timeout=360"}},
		{"-A -t 1.2.3.4:80 -p 100", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc flags=0x1 timeout=100"}},
		{"-A -t 1.2.3.4:80 -p100", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc flags=0x1 timeout=100"}},
		{"-A -t 1.2.3.4:80 -p=100", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc flags=0x1 timeout=100"}},
		{"-A -t 1.2.3.4:80 --persistent", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc flags=0x1 timeout=360"}},
		{"-A -t 1.2.3.4:80 --persistent=7", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc flags=0x1 timeout=7"}},
		{"-A -t 1.2.3.4:80 -p 2678400", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc flags=0x1 timeout=2678400"}},
		{"-A -t 1.2.3.4:80 -p 0", errw(2, "invalid timeout value `0' specified")},
		{"-A -t 1.2.3.4:80 -p 2678401", errw(2, "invalid timeout value `2678401' specified")},
		{"-A -t 1.2.3.4:80 -p rr", errw(2, "invalid timeout value `rr' specified")},
		{"-A -t 1.2.3.4:80 -- -s rr", errw(2, "unexpected argument -s")},
		{"-A -t !#:+ 1.2.3.4:80", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc"}},
		{"-A 1.2.3.4:80 -t !#:+", errw(2, "illegal virtual server address[:port] specified")},

		// generic_opt_check.
		{"-A", errw(2, "You need to supply the 'service-address' option for the 'add-service' command")},
		{"-a -t 1.2.3.4:80", errw(2, "You need to supply the 'real-server' option for the 'add-server' command")},
		{"-A -t 1.2.3.4:80 -r 1.1.1.1", errw(2, "Illegal 'real-server' option with the 'add-service' command")},
		{"-A -t 1.2.3.4:80 -n", errw(2, "Illegal 'numeric' option with the 'add-service' command")},
		{"-C -n", errw(2, "Illegal 'numeric' option with the 'flush' command")},
		{"-S -c", errw(2, "Illegal 'connection' option with the 'save' command")},
		{"-Z -n", errw(2, "Illegal 'numeric' option with the 'zero' command")},
		{"-D -t 1.2.3.4:80 -s rr", errw(2, "Illegal 'scheduler' option with the 'delete-service' command")},
		{"-d -t 1.2.3.4:80 -r 1.1.1.1 -w 1", errw(2, "Illegal 'weight' option with the 'delete-server' command")},
		{"--set 1 2 3 -n", errw(2, "Illegal 'numeric' option with the 'set' command")},
		{"--stop-daemon master --mcast-interface lo", errw(2, "Illegal 'mcast-interface' option with the 'stop-daemon' command")},
		{"-L -c -t 1.2.3.4:80", errw(2, "The option 'service-address' conflicts with the 'connection' option in the 'list' command")},
		{"-L --timeout --daemon", errw(2, "The option 'daemon' conflicts with the 'timeout' option in the 'list' command")},
		{"-L --timeout --stats", errw(2, "options conflicts in the list command")},
		{"-L -c --rate", errw(2, "options conflicts in the list command")},
		{"-L --daemon --persistent-conn", errw(2, "options conflicts in the list command")},
		{"-L -c --persistent-conn", want{ok: "cmd=list fmt=0x20"}},
		{"-L --stats --rate --exact --thresholds --persistent-conn --nosort --tun-info --sort", want{ok: "cmd=list fmt=0x1fc"}},
		{"-L -s rr", errw(2, "Illegal 'scheduler' option with the 'list' command")},
		{"-L -n -n", errw(2, "multiple 'numeric' options specified")},
		{"-A -t 1.2.3.4:80 -f 1", errw(2, "multiple 'service-address' options specified")},
		{"-a -t 1.2.3.4:80 -r 1.1.1.1 -m -g", errw(2, "multiple 'forwarding-method' options specified")},
		{"-A -t 1.2.3.4:80 -p -p", errw(2, "multiple 'persistent' options specified")},

		// Addresses and ports.
		{"-A -t 1.2.3.4", errw(2, "Zero port specified for non-persistent service")},
		{"-A -t 1.2.3.4 -p", want{ok: "cmd=add-service svc=6/1.2.3.4:0 sched=wlc flags=0x1 timeout=360"}},
		{"-A -t 1.2.3.4:0 -p", want{ok: "cmd=add-service svc=6/1.2.3.4:0 sched=wlc flags=0x1 timeout=360"}},
		{"-A -t 10.1:80", want{ok: "cmd=add-service svc=6/10.0.0.1:80 sched=wlc"}},
		{"-A -t 0x7f.1:80", want{ok: "cmd=add-service svc=6/127.0.0.1:80 sched=wlc"}},
		{"-A -t 1.2.3.4:http", errw(2, "illegal virtual server address[:port] specified")},
		{"-A -t 1.2.3.4:65536", errw(2, "illegal virtual server address[:port] specified")},
		{"-A -t 1.2.3.4:", errw(2, "illegal virtual server address[:port] specified")},
		{"-A -t 1234", errw(2, "illegal virtual server address[:port] specified")},
		{"-A -t nosuchhost:80", errw(2, "illegal virtual server address[:port] specified")},
		{"-A -t [2001:db8::1]:443", want{ok: "cmd=add-service svc=6/2001:db8::1:443 sched=wlc mask=0x80"}},
		{"-A -t 2001:db8::1 -p", want{ok: "cmd=add-service svc=6/2001:db8::1:0 sched=wlc flags=0x1 timeout=360 mask=0x80"}},
		{"-A -t [2001:db8::1]", errw(2, "illegal virtual server address[:port] specified")},
		{"-A -t [2001:db8::1]x80", errw(2, "illegal virtual server address[:port] specified")},
		{"-A -t [1.2.3.4]:80 -p", want{ok: "cmd=add-service svc=6/1.2.3.4:0 sched=wlc flags=0x1 timeout=360"}},
		{"-A -t [1.2.3.4]:80", errw(2, "Zero port specified for non-persistent service")},
		{"-A -f 0", errw(2, "invalid fwmark value `0' specified")},
		{"-A -f -1", errw(2, "invalid fwmark value `-1' specified")},
		{"-A -f 4294967296", errw(2, "invalid fwmark value `4294967296' specified")},
		{"-A -f 1x", errw(2, "invalid fwmark value `1x' specified")},
		{"-A -f 4294967295", want{ok: "cmd=add-service fwm=4294967295 af=2 sched=wlc"}},
		{"-A -f 9 -6", want{ok: "cmd=add-service fwm=9 af=10 sched=wlc mask=0x80"}},
		{"-A -6 -f 9", errw(2, "-6 used before -f\n")},
		{"-L -6", errw(2, "-6 used before -f\n")},

		// Service options.
		{"-A -t 1.2.3.4:80 -p 60 -M 255.255.255.0", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc flags=0x1 timeout=60 mask=0xffffff00"}},
		{"-A -t 1.2.3.4:80 -M 24", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc mask=0x18"}},
		{"-A -t 1.2.3.4:80 -M bogus", errw(2, "illegal virtual server persistent mask specified")},
		{"-A -t [::1]:80 -M 64", want{ok: "cmd=add-service svc=6/::1:80 sched=wlc mask=0x40"}},
		{"-A -t [::1]:80 -M 129", errw(2, "illegal ipv6 netmask specified")},
		{"-A -t [::1]:80 -M x", errw(2, "illegal ipv6 netmask specified")},
		{"-A -M 64 -t [::1]:80", want{ok: "cmd=add-service svc=6/::1:80 sched=wlc mask=0x80"}},
		{"-A -u 1.2.3.4:53 -o", want{ok: "cmd=add-service svc=17/1.2.3.4:53 sched=wlc flags=0x4"}},
		{"-A -f 1 -o", want{ok: "cmd=add-service fwm=1 af=2 sched=wlc flags=0x4"}},
		{"-A -t 1.2.3.4:80 -o", errw(2, "One-Packet Scheduling is only for UDP virtual services")},
		{"-A -t 1.2.3.4:80 --pe sip", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc pe=sip"}},
		{"-A -t 1.2.3.4:80 -s abcdefghijklmnopqrst", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=abcdefghijklmno"}},
		{"-A -t 1.2.3.4:80 -s sh -b sh-port", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=sh flags=0x10"}},
		{"-A -t 1.2.3.4:80 -b sh-port -s sh", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=sh flags=0x10"}},
		{"-A -t 1.2.3.4:80 -s mh -b mh-fallback,,mh-port", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=mh flags=0x18"}},
		{"-A -t 1.2.3.4:80 -b flag-1,flag-2,flag-3", want{ok: "cmd=add-service svc=6/1.2.3.4:80 sched=wlc flags=0x38"}},
		{"-A -t 1.2.3.4:80 -b sh-port", errw(2, "incompatible scheduler flag `sh-port'")},
		{"-A -t 1.2.3.4:80 -s sh -b mh-port", errw(2, "incompatible scheduler flag `mh-port'")},
		{"-A -t 1.2.3.4:80 -b bogus", errw(2, "invalid scheduler flag `bogus'")},
		{"-A -t 1.2.3.4:80 -b ,", want{code: 139, crash: true}},
		{"-A -t 1.2.3.4:80 -b bogus extra", errw(2, "unexpected argument extra")},
		{"-a -t 1.2.3.4:80 -r 1.1.1.1 -b bogus", errw(2, "invalid scheduler flag `bogus'")},
		{"-a -t 1.2.3.4:80 -r 1.1.1.1 -b flag-1", errw(2, "Illegal 'sched-flags' option with the 'add-server' command")},

		// Real servers.
		{"-a -t 1.2.3.4:80 -r 5.6.7.8:81 -m", want{ok: "cmd=add-server svc=6/1.2.3.4:80 dest=5.6.7.8:81 fwd=0 w=1"}},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -m", want{ok: "cmd=add-server svc=6/1.2.3.4:80 dest=5.6.7.8:80 fwd=0 w=1"}},
		{"-a -r 5.6.7.8 -m -t 1.2.3.4:80", want{ok: "cmd=add-server svc=6/1.2.3.4:80 dest=5.6.7.8:0 fwd=0 w=1"}},
		{"-a -f 7 -r 5.6.7.8:81", want{ok: "cmd=add-server fwm=7 af=2 dest=5.6.7.8:81 fwd=3 w=1"}},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -w 2147483647", want{ok: "cmd=add-server svc=6/1.2.3.4:80 dest=5.6.7.8:80 fwd=3 w=2147483647"}},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -w 2147483648", errw(2, "illegal weight specified")},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -w -1", errw(2, "illegal weight specified")},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -x 50 -y 10", want{ok: "cmd=add-server svc=6/1.2.3.4:80 dest=5.6.7.8:80 fwd=3 w=1 x=50 y=10"}},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -x -1", errw(2, "illegal u_threshold specified")},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -y abc", errw(2, "illegal l_threshold specified")},
		{"-a -t 1.2.3.4:80 -r bogus", errw(2, "illegal real server address[:port] specified")},
		{"-a -t 1.2.3.4:80 -r [::1]:80", errw(2, "Different address family is allowed only for tunneling servers")},
		{"-a -t 1.2.3.4:80 -r [::1]:80 -i", want{ok: "cmd=add-server svc=6/1.2.3.4:80 dest=::1:80 fwd=2 w=1"}},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 --tun-type gue", errw(2, "Tunnel options conflict with forward method")},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -i --tun-type gue", errw(2, "You need to supply the 'tun-port' option for the 'gue' tunnel type")},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -i --tun-type gue --tun-port 6080 --tun-csum --tun-remcsum", errw(2, "The option 'tun-remcsum' conflicts with the 'tun-csum' option in the 'gue' tunnel type")},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -i --tun-type gue --tun-port 6080 --tun-remcsum", want{ok: "cmd=add-server svc=6/1.2.3.4:80 dest=5.6.7.8:80 fwd=2 w=1 tun=1/6080/2"}},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -i --tun-port 1", errw(2, "Illegal 'tun-port' option with the 'ipip' tunnel type")},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -i --tun-nocsum", errw(2, "Illegal 'tun-nocsum' option with the 'ipip' tunnel type")},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -i --tun-type gre --tun-remcsum", errw(2, "Illegal 'tun-remcsum' option with the 'gre' tunnel type")},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -i --tun-type gre --tun-csum", want{ok: "cmd=add-server svc=6/1.2.3.4:80 dest=5.6.7.8:80 fwd=2 w=1 tun=2/0/1"}},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -i --tun-type foo", errw(2, "illegal tunnel type specified")},
		{"-a -t 1.2.3.4:80 -r 5.6.7.8 -i --tun-port 0", errw(2, "illegal tunnel port specified")},

		// Daemons and timeouts.
		{"--start-daemon foo", errw(2, "illegal start-daemon parameter specified")},
		{"--stop-daemon foo", errw(2, "illegal start_daemon specified")},
		{"--start-daemon master --syncid 256", errw(2, "illegal syncid specified")},
		{"--start-daemon master --mcast-group 1.2.3.4", errw(2, "invalid IPv4 mcast-group `1.2.3.4'")},
		{"--start-daemon master --mcast-group ::1", errw(2, "invalid IPv6 mcast-group `::1'")},
		{"--start-daemon master --mcast-port 0", errw(2, "illegal mcast-port specified")},
		{"--start-daemon master --mcast-ttl 256", errw(2, "illegal mcast-ttl specified")},
		{"--start-daemon master --sync-maxlen 65508", errw(2, "illegal sync-maxlen specified")},
		{"--start-daemon master --mcast-interface abcdefghijklmnopq", want{ok: "cmd=start-daemon state=1 ifn=abcdefghijklmno id=0 maxlen=0 af=0 port=0 ttl=0"}},
		{"--set 1 2", errw(2, "--set option requires 3 timeout values")},
		{"--set 1 2 x", errw(2, "invalid timeout value `x' specified")},
		{"--set 1 2 2678401", errw(2, "invalid timeout value `2678401' specified")},
		{"--set 1 2 3 4", errw(2, "unexpected argument 4")},
	}
	for _, c := range cases {
		argv := append([]string{"ipvsadm"}, strings.Fields(c.args)...)
		ce, ex := Parse(argv, ParseEnv{Resolver: NoResolver{}})
		var got want
		if ex != nil {
			got = want{code: ex.Code, stdout: ex.Stdout, stderr: ex.Stderr, ret: ex.Return, crash: ex.Crash}
		} else {
			got = want{ok: summary(ce)}
		}
		if diff := cmp.Diff(c.want, got, cmp.AllowUnexported(want{})); diff != "" {
			t.Errorf("ipvsadm %s (-want +got):\n%s", c.args, diff)
		}
	}
}

func TestParseNames(t *testing.T) {
	cases := []struct{ args, want string }{
		{"-A -t www.example.com:http", "cmd=add-service svc=6/10.1.2.3:80 sched=wlc"},
		{"-A -t WWW:www", "cmd=add-service svc=6/10.1.2.3:80 sched=wlc"},
		{"-A -u localhost:domain", "cmd=add-service svc=17/127.0.0.1:53 sched=wlc"},
		{"-A --sctp-service localhost:sip", "cmd=add-service svc=132/127.0.0.1:5060 sched=wlc"},
		{"-A -t 1.2.3.4:80 -p -M localhost", "cmd=add-service svc=6/1.2.3.4:80 sched=wlc flags=0x1 timeout=360 mask=0x7f000001"},
		{"-a -t 1.2.3.4:http -r www", "cmd=add-server svc=6/1.2.3.4:80 dest=10.1.2.3:80 fwd=3 w=1"},
	}
	for _, c := range cases {
		argv := append([]string{"ipvsadm"}, strings.Fields(c.args)...)
		ce, ex := Parse(argv, ParseEnv{Resolver: testResolver})
		if ex != nil {
			t.Errorf("%s: %v", c.args, ex)
			continue
		}
		if got := summary(ce); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.args, got, c.want)
		}
	}
	// ip6-localhost has only an IPv6 entry: gethostbyname (IPv4) does not find it.
	_, ex := Parse([]string{"ipvsadm", "-A", "-t", "ip6-localhost:80"}, ParseEnv{Resolver: testResolver})
	if ex == nil || ex.Stderr != "illegal virtual server address[:port] specified\n" {
		t.Errorf("ip6-localhost: %v", ex)
	}
	// A service name is looked up for the protocol known when -r is read.
	_, ex = Parse([]string{"ipvsadm", "-a", "-r", "1.1.1.1:http", "-t", "1.2.3.4:80"}, ParseEnv{Resolver: testResolver})
	if ex == nil || ex.Stderr != "illegal real server address[:port] specified\n" {
		t.Errorf("-r before -t: %v", ex)
	}
}

func TestParsePosixMeHarder(t *testing.T) {
	_, ex := Parse([]string{"ipvsadm", "-L", "x", "-n"}, ParseEnv{PosixMeHarder: true})
	if ex == nil || ex.Stderr != "unexpected argument x\n" {
		t.Fatalf("got %v", ex)
	}
	ce, ex := Parse([]string{"ipvsadm", "-L", "-n"}, ParseEnv{PosixMeHarder: true})
	if ex != nil || ce.Format != FmtNumeric {
		t.Fatalf("got %v %v", ce, ex)
	}
}
