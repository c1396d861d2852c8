// Package examples_test checks the manual's setup as translated in examples/: the
// scripts are valid sh and do what they say, every lvs.alert line of the mon.cf files
// is a valid lvs-alert command line that matches /etc/init.d/lvs, and the original
// mon 1.3.6 loads the mon.cf files.
package examples_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/compat/authkeys"
	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/compat/monconf"
	"github.com/lvskit/lvskit/internal/ipvs"
	"github.com/lvskit/lvskit/internal/lvsalert"
	"github.com/lvskit/lvskit/internal/netnstest"
)

var (
	scripts = []string{
		"etc/init.d/lvs",
		"usr/lib/mon/alert.d/heartbeat.alert",
		"root/conf/data",
		"root/conf/tun-realserver",
		"etc/rc.local",
	}
	monConfs = []string{"etc/mon/mon.cf", "etc/mon/mon.cf.single-director"}
)

func TestScriptsAreExecutableSh(t *testing.T) {
	for _, s := range scripts {
		fi, err := os.Stat(s)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o111 == 0 {
			t.Errorf("%s is not executable (mode %v)", s, fi.Mode())
		}
		if out, err := exec.Command("sh", "-n", s).CombinedOutput(); err != nil {
			t.Errorf("sh -n %s: %v\n%s", s, err, out)
		}
	}
}

// alertLine is one alert or upalert line of a mon.cf.
type alertLine struct {
	file  string
	line  int
	group string
	up    bool
	prog  string
	args  []string
}

func readAlertLines(t *testing.T, file string) []alertLine {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []alertLine
	group := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		switch fields[0] {
		case "watch":
			group = fields[1]
		case "alert", "upalert":
			out = append(out, alertLine{file, n, group, fields[0] == "upalert", fields[1], fields[2:]})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// director reads the ipvsadm lines of /etc/init.d/lvs start: the service and its
// real servers with their weight and method, as lvs.alert must restore them.
func director(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("etc/init.d/lvs")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\s*-a -t \$VIP:(\d+) -r (\S+) -w (\d+) -g$`)
	out := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out["10.144.43.185:"+m[1]+" "+m[2]] = "w=" + m[3] + " dr"
	}
	if len(out) != 3 {
		t.Fatalf("found %d -a lines in etc/init.d/lvs's table, want 3", len(out))
	}
	return out
}

// TestLvsAlertLines runs every lvs.alert line through lvs-alert's parser with the
// arguments mon 1.3.6 puts before it, and checks the pair of lines of each watch: the
// alert removes, the upalert restores the real server as /etc/init.d/lvs adds it.
func TestLvsAlertLines(t *testing.T) {
	dir := director(t)
	for _, file := range monConfs {
		lines := readAlertLines(t, file)
		var seen int
		for _, l := range lines {
			if l.prog != "lvs.alert" {
				continue
			}
			seen++
			argv := []string{"-s", "webcache", "-g", l.group, "-h", "10.144.43.175", "-t", "1069840183"}
			if l.up {
				argv = append(argv, "-u")
			}
			argv = append(argv, l.args...)
			req, err := lvsalert.Parse(context.Background(), argv, nil)
			if err != nil {
				t.Errorf("%s:%d: lvs-alert %q: %v", l.file, l.line, argv, err)
				continue
			}
			if len(req.Warnings) != 0 {
				t.Errorf("%s:%d: warnings %q", l.file, l.line, req.Warnings)
			}
			if req.Up != l.up {
				t.Errorf("%s:%d: up = %v, want %v", l.file, l.line, req.Up, l.up)
			}
			if req.Service.Protocol != ipvs.TCP || req.Service.Addr.String() != "10.144.43.185" {
				t.Errorf("%s:%d: service %s", l.file, l.line, lvsalert.ServiceString(req.Service))
			}
			if req.Dest.Port != req.Service.Port {
				t.Errorf("%s:%d: real server port %d, want the service's %d", l.file, l.line, req.Dest.Port, req.Service.Port)
			}
			if l.up && req.Service.Port == 8080 {
				key := lvsalert.DestString(ipvs.DestKey{Addr: req.Service.Addr, Port: req.Service.Port}) + " " + req.Dest.Addr.String()
				got := fmt.Sprintf("w=%d %s", req.Weight, lvsalert.ForwardString(req.Forward))
				if want, ok := dir[key]; !ok || want != got {
					t.Errorf("%s:%d: upalert restores %s as %q; /etc/init.d/lvs start adds it as %q", l.file, l.line, key, got, want)
				}
			}
		}
		if seen == 0 {
			t.Errorf("%s: no lvs.alert lines", file)
		}
	}
}

func TestGatewayWatchCallsHeartbeatAlert(t *testing.T) {
	var got []string
	for _, l := range readAlertLines(t, "etc/mon/mon.cf") {
		if l.group == "server4" {
			got = append(got, fmt.Sprintf("up=%v %s %q", l.up, l.prog, l.args))
		}
	}
	want := []string{`up=false heartbeat.alert []`, `up=true heartbeat.alert ["-u"]`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("gateway watch alerts (-want +got):\n%s", diff)
	}
}

// recorder writes a script that appends its name and arguments to log.
func recorder(t *testing.T, dir, name, log string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	script := "#!/bin/sh\necho \"" + name + " $*\" >> " + log + "\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHeartbeatAlert calls heartbeat.alert as mon 1.3.6 does (its arguments first) and
// checks which action it takes.
func TestHeartbeatAlert(t *testing.T) {
	mon := []string{"-s", "ping", "-g", "server4", "-h", "10.144.43.254", "-t", "1069840183"}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"alert", mon, "lvs stop\n"},
		{"upalert: mon's -u and the configured -u", append(append([]string{}, mon...), "-u", "-u"), "service heartbeat restart\n"},
		{"by hand, upalert", []string{"-u"}, "service heartbeat restart\n"},
		{"by hand, alert", nil, "lvs stop\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "log")
			cmd := exec.Command("usr/lib/mon/alert.d/heartbeat.alert", tt.args...)
			cmd.Env = append(os.Environ(),
				"SERVICE="+recorder(t, dir, "service", log),
				"LVS_INIT="+recorder(t, dir, "lvs", log))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("heartbeat.alert %q: %v\n%s", tt.args, err, out)
			}
			got, err := os.ReadFile(log)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("heartbeat.alert %q ran %q, want %q", tt.args, got, tt.want)
			}
		})
	}
}

// runBounded runs cmd, returning once its output contains marker, it exits, or the
// bound passes; the process group is killed on return.
func runBounded(t *testing.T, cmd *exec.Cmd, marker string, bound time.Duration) (out string, exited bool) {
	t.Helper()
	var buf syncBuffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	deadline := time.After(bound)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return buf.String(), true
		case <-deadline:
			return buf.String(), false
		case <-tick.C:
			if strings.Contains(buf.String(), marker) {
				return buf.String(), false
			}
		}
	}
}

// TestOriginalMonLoadsExamples is the oracle for the mon.cf files: the original mon
// 1.3.6 reads each (its paths moved to a temporary directory), in a network namespace
// of its own since it listens on a port, with the scheduler stopped so it runs nothing.
func TestOriginalMonLoadsExamples(t *testing.T) {
	const mon = "/usr/sbin/mon"
	if _, err := os.Stat(mon); err != nil {
		t.Skip("the original mon is not installed (scripts/install-test-deps.sh installs it)")
	}
	netnstest.Require(t)
	for _, file := range monConfs {
		t.Run(filepath.Base(file), func(t *testing.T) {
			dir := t.TempDir()
			for _, d := range []string{"state.d", "log.d"} {
				if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "userfile"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
			// mon refuses to start without an auth.cf in cfbasedir.
			if err := os.WriteFile(filepath.Join(dir, "auth.cf"), []byte("list: all\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cf := strings.NewReplacer(
				"cfbasedir = /etc/mon", "cfbasedir = "+dir,
				"/etc/mon/userfile", dir+"/userfile",
				"/var/run/mon.pid", dir+"/mon.pid",
				"/var/run/mon/", dir+"/",
			).Replace(string(b))
			cfPath := filepath.Join(dir, "mon.cf")
			if err := os.WriteFile(cfPath, []byte(cf), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := netnstest.New(t).Command(mon, "-d", "-S", "-c", cfPath)
			out, exited := runBounded(t, cmd, "(stopped)", 20*time.Second)
			if exited || strings.Contains(out, "error") || strings.Contains(out, "Warning") {
				t.Fatalf("mon did not load %s (exited=%v):\n%s", file, exited, out)
			}
			if !strings.Contains(out, "(stopped)") {
				t.Fatalf("mon did not report its stopped scheduler within the bound:\n%s", out)
			}
		})
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestLvsRoles switches a node between the real-server and director roles with the
// example scripts, in a network namespace of its own with a veth as eth0, and checks
// the addresses, the ARP sysctls and the ipvsadm commands (recorded: the host kernel
// may have no IPVS) after each step.
func TestLvsRoles(t *testing.T) {
	ns := netnstest.New(t)
	dir := t.TempDir()
	log := filepath.Join(dir, "ipvsadm.log")
	ipvsadm := filepath.Join(dir, "ipvsadm")
	// A stand-in for ipvsadm that logs its arguments and, for -L, lists the service.
	fake := "#!/bin/sh\necho \"ipvsadm $*\" >> " + log + "\n" +
		"[ \"$1\" = -L ] && echo 'TCP  10.144.43.185:8080 rr'\nexit 0\n"
	if err := os.WriteFile(ipvsadm, []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	// ipvsadm-adopt (found next to $IPVSADM) logs the rules it is given; lvs-arp its
	// arguments.
	adopt := "#!/bin/sh\n{ echo \"ipvsadm-adopt $*\"; sed 's/^/  /'; } >> " + log + "\nexit 0\n"
	if err := os.WriteFile(ipvsadm+"-adopt", []byte(adopt), 0o755); err != nil {
		t.Fatal(err)
	}
	lvsArp := filepath.Join(dir, "lvs-arp")
	if err := os.WriteFile(lvsArp, []byte("#!/bin/sh\necho \"lvs-arp $*\" >> "+log+"\nexit 0\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	script := `set -e
dump() {
	echo "== $1"
	ip -o -4 addr show | awk '{print $2, $4}' | sort
	for s in all/arp_ignore all/arp_announce eth0/arp_ignore eth0/arp_announce; do
		echo "$s=$(cat /proc/sys/net/ipv4/conf/$s)"
	done
	echo "ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)"
	[ -f "$LOG" ] && cat "$LOG" && rm -f "$LOG"
	true
}
ip link set lo up
ip link add eth0 type veth peer name peer0
ip link set eth0 up
ip addr add 10.144.43.187/24 dev eth0
"$EX"/root/conf/data
dump boot
ip addr add 10.144.43.185/24 dev eth0 label eth0:0  # heartbeat's IPaddr
"$EX"/etc/init.d/lvs start
dump "start after IPaddr"
"$EX"/etc/init.d/lvs status
"$EX"/etc/init.d/lvs stop
dump stop
"$EX"/etc/init.d/lvs status
"$EX"/etc/init.d/lvs start
dump "start without IPaddr"
"$EX"/etc/init.d/lvs stop
dump "stop again"
`
	cmd := ns.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "IPVSADM="+ipvsadm, "LVS_ARP="+lvsArp, "LOG="+log, "EX="+wd)
	out, exited := runBounded(t, cmd, "\x00never", 30*time.Second)
	if !exited {
		t.Fatalf("the role switch did not finish within its bound:\n%s", out)
	}
	if cmd.ProcessState.ExitCode() != 0 {
		t.Fatalf("role switch failed (exit %d):\n%s", cmd.ProcessState.ExitCode(), out)
	}
	realServer := `eth0 10.144.43.187/24
lo 10.144.43.185/32
lo 127.0.0.1/8
all/arp_ignore=1
all/arp_announce=2
eth0/arp_ignore=1
eth0/arp_announce=2
ip_forward=1
`
	directorSysctls := `all/arp_ignore=0
all/arp_announce=0
eth0/arp_ignore=0
eth0/arp_announce=0
ip_forward=1
`
	start := `ipvsadm-adopt 
  -A -t 10.144.43.185:8080 -s rr
  -a -t 10.144.43.185:8080 -r 10.144.43.175 -w 5 -g
  -a -t 10.144.43.185:8080 -r 10.144.43.187 -w 5 -g
  -a -t 10.144.43.185:8080 -r 10.144.43.142 -w 5 -g
ipvsadm --stop-daemon backup
ipvsadm --start-daemon master --mcast-interface eth0
lvs-arp announce -i eth0 --vip 10.144.43.185
`
	stop := `ipvsadm -C
ipvsadm --stop-daemon master
ipvsadm --start-daemon backup --mcast-interface eth0
`
	want := "== boot\n" + realServer + "ipvsadm --start-daemon backup --mcast-interface eth0\n" +
		"== start after IPaddr\neth0 10.144.43.185/24\neth0 10.144.43.187/24\nlo 127.0.0.1/8\n" + directorSysctls + start +
		"running\n" +
		"== stop\n" + realServer + stop +
		"stopped\n" +
		"== start without IPaddr\neth0 10.144.43.185/32\neth0 10.144.43.187/24\nlo 127.0.0.1/8\n" + directorSysctls + start +
		"== stop again\n" + realServer + stop
	// status runs ipvsadm -L -n -t VIP:8080; those lines are logged too.
	got := strings.ReplaceAll(out, "ipvsadm -L -n -t 10.144.43.185:8080\n", "")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("role switch (-want +got):\n%s", diff)
	}
}

// TestMonconfReadsExamples reads the mon.cf files with lvskit's own mon.cf parser (what
// mond runs on): no warnings, the watches the manual has, and every alert line a valid
// lvs-alert or heartbeat.alert call.
func TestMonconfReadsExamples(t *testing.T) {
	wantWatches := map[string][]string{
		"etc/mon/mon.cf":                 {"server1/webcache", "server2/webcache", "server3/webcache", "server4/ping"},
		"etc/mon/mon.cf.single-director": {"server1/telnet", "server2/telnet"},
	}
	for _, file := range monConfs {
		t.Run(filepath.Base(file), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := monconf.ParseWithOptions(file, bytes.NewReader(data), monconf.Options{
				// The userfile named in mon.cf lives on the director, not here.
				Readable: func(string) bool { return true },
			})
			if err != nil {
				t.Fatalf("monconf: %v", err)
			}
			if len(cfg.Warnings) != 0 {
				t.Errorf("warnings: %q", cfg.Warnings)
			}
			var watches []string
			alerts := 0
			for _, w := range cfg.Watches {
				for _, s := range w.Services {
					watches = append(watches, w.Group+"/"+s.Name)
					for _, p := range s.Periods {
						if p.Spec != "wd {Sun-Sat}" {
							t.Errorf("%s/%s: period %q", w.Group, s.Name, p.Spec)
						}
						for _, kind := range []struct {
							up    bool
							lines []*monconf.AlertLine
						}{{false, p.Alerts}, {true, p.UpAlerts}} {
							for _, a := range kind.lines {
								alerts++
								checkAlert(t, w.Group, s.Name, kind.up, a)
							}
						}
					}
				}
			}
			if diff := cmp.Diff(wantWatches[file], watches); diff != "" {
				t.Errorf("watches (-want +got):\n%s", diff)
			}
			if alerts != 2*len(watches) {
				t.Errorf("%d alert lines for %d services, want an alert and an upalert each", alerts, len(watches))
			}
		})
	}
}

func checkAlert(t *testing.T, group, service string, up bool, a *monconf.AlertLine) {
	t.Helper()
	if a.Cmd.QuoteError {
		t.Errorf("line %d: quote error", a.Line)
		return
	}
	switch a.Cmd.Program {
	case "lvs.alert":
		argv := []string{"-s", service, "-g", group, "-h", "10.144.43.175", "-t", "1069840183"}
		if up {
			argv = append(argv, "-u")
		}
		req, err := lvsalert.Parse(context.Background(), append(argv, a.Cmd.Args...), nil)
		if err != nil {
			t.Errorf("line %d: lvs-alert %q: %v", a.Line, a.Cmd.Args, err)
		} else if req.Up != up || len(req.Warnings) != 0 {
			t.Errorf("line %d: up=%v warnings=%q, want up=%v and none", a.Line, req.Up, req.Warnings, up)
		}
	case "heartbeat.alert":
		if got := strings.Join(a.Cmd.Args, " "); (up && got != "-u") || (!up && got != "") {
			t.Errorf("line %d: heartbeat.alert %q", a.Line, got)
		}
	default:
		t.Errorf("line %d: unexpected alert %q", a.Line, a.Cmd.Program)
	}
}

// directorHost answers hacf's host questions as a director of the manual would.
type directorHost struct{}

func (directorHost) InterfaceExists(name string) bool { return name == "eth0" || name == "lo" }
func (directorHost) UserExists(string) bool           { return true }
func (directorHost) Executable(string) bool           { return true }
func (directorHost) Resolvable(string) bool           { return true }
func (directorHost) Resolvable6(string) bool          { return true }
func (directorHost) UDPService(int) string            { return "" }
func (directorHost) ServicePort(string) int           { return 0 }

// TestHeartbeatFiles reads ha.cf, authkeys and haresources with lvskit's parsers (what
// heartbeatd runs on), checks ha.cf as heartbeat does for both nodes, and that the
// three files and the rest of the examples name the same nodes, VIP and resources.
func TestHeartbeatFiles(t *testing.T) {
	open := func(name string) *os.File {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}

	for _, node := range []string{"Linux187", "linux142"} {
		cfg, err := hacf.Parse("etc/ha.d/ha.cf", open("etc/ha.d/ha.cf"))
		if err != nil {
			t.Fatalf("ha.cf: %v", err)
		}
		if err := cfg.Check(node, directorHost{}); err != nil {
			t.Errorf("ha.cf on %s: %v", node, err)
		}
		if diff := cmp.Diff([]string{"linux187", "linux142"}, cfg.Nodes); diff != "" {
			t.Errorf("nodes (-want +got):\n%s", diff)
		}
		if cfg.Keepalive != 2*time.Second || cfg.Deadtime != 40*time.Second || cfg.Initdead != 240*time.Second || cfg.UDPPort != 1001 {
			t.Errorf("timing: keepalive %v deadtime %v initdead %v udpport %d; want the manual's 2s 40s 4m0s 1001",
				cfg.Keepalive, cfg.Deadtime, cfg.Initdead, cfg.UDPPort)
		}
		if cfg.AutoFailback != hacf.FailbackOff {
			t.Errorf("auto_failback %v, want off: the manual's intent (resources stay where they moved)", cfg.AutoFailback)
		}
		if len(cfg.Media) != 1 || cfg.Media[0].Kind != hacf.Ucast || cfg.Media[0].Interface != "eth0" || cfg.Media[0].Port != 1001 {
			t.Errorf("media: %+v, want ucast on eth0 to port 1001", cfg.Media)
		}
	}

	keys, err := authkeys.Parse("etc/ha.d/authkeys", open("etc/ha.d/authkeys"))
	if err != nil {
		t.Fatalf("authkeys: %v", err)
	}
	if k := keys.Active(); k.Method != authkeys.SHA1 || k.Secret != "doss123" {
		t.Errorf("active key %+v, want the manual's sha1 doss123", k)
	}
	// git does not keep mode 0600, which heartbeat insists on: the README says chmod.
	if err := authkeys.CheckMode("authkeys", 0o644); err == nil {
		t.Error("CheckMode accepts 0644; the README's chmod 600 would be pointless")
	}

	res, err := haresources.Parse("etc/ha.d/haresources", open("etc/ha.d/haresources"))
	if err != nil {
		t.Fatalf("haresources: %v", err)
	}
	if len(res.Groups) != 1 {
		t.Fatalf("haresources: %d groups, want 1", len(res.Groups))
	}
	g := res.Groups[0]
	var specs []string
	for _, r := range g.Resources {
		specs = append(specs, r.String())
	}
	if g.Node != "linux187" {
		t.Errorf("haresources node %q, want linux187", g.Node)
	}
	// lvs before the VIP: see the comment in haresources.
	if diff := cmp.Diff([]string{"lvs", "IPaddr::10.144.43.185", "mon"}, specs); diff != "" {
		t.Errorf("resources (-want +got):\n%s", diff)
	}
	// The resources are scripts the examples provide (lvs) or configure (mon: Debian's
	// /etc/init.d/mon, via etc/default/mon), and the VIP is the one lvs and mon.cf use.
	if _, err := os.Stat("etc/init.d/lvs"); err != nil {
		t.Error(err)
	}
	if b, err := os.ReadFile("etc/default/mon"); err != nil || !strings.Contains(string(b), "DAEMON=/usr/sbin/mond") {
		t.Errorf("etc/default/mon does not point /etc/init.d/mon at mond (%v)", err)
	}
	lvs, _ := os.ReadFile("etc/init.d/lvs")
	moncf, _ := os.ReadFile("etc/mon/mon.cf")
	vip := strings.TrimPrefix(specs[1], "IPaddr::")
	if !strings.Contains(string(lvs), "VIP=${VIP:-"+vip+"}") || !strings.Contains(string(moncf), "-V "+vip+":8080") {
		t.Errorf("the VIP %s of haresources is not the one of etc/init.d/lvs and mon.cf", vip)
	}
}
