package systemdtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"
)

// flavor is what runs mon and heartbeat: Debian's originals or lvskit.
type flavor struct {
	name   string
	monExe string // /proc/PID/exe of mon.service's main process
	monArg string // and a word of its command line
	hbExe  string // /proc/PID/exe of heartbeat.service's main process
}

var (
	debian = flavor{"Debian's originals", "/usr/bin/perl", "/usr/sbin/mon", "/usr/libexec/heartbeat/heartbeat"}
	lvskit = flavor{"lvskit", "/usr/sbin/mond", "/usr/sbin/mond", "/usr/sbin/heartbeatd"}
)

// Expected to change while lvskit is installed: the three init scripts are package
// code (conffiles that dpkg hands from the original to lvskit and back), and
// lvskit-mon's lvs.alert takes the place of the manual's.
var lvskitOwn = append([]string{"/etc/init.d/ipvsadm", "/etc/init.d/mon", "/etc/init.d/heartbeat", "/usr/lib/mon/alert.d/lvs.alert"},
	lvskitConffiles...)

// lvskit's own defaults files: conffiles, which dpkg keeps after the removal until a purge.
var lvskitConffiles = []string{"/etc/default/lvskit-mon", "/etc/default/lvskit-heartbeat"}

// The site's files outside /etc, compared as /etc is.
var siteFilesOutsideEtc = []string{"/usr/lib/mon/alert.d/lvs.alert", "/usr/lib/mon/alert.d/heartbeat.alert", "/root/conf/data"}

// Bounds. A lone heartbeat takes its resources initdead after it started; the rest
// is the resource scripts (lvs start, IPaddr, mon start) on a loaded CI machine.
const (
	aptTimeout = 5 * time.Minute
	cmdTimeout = 60 * time.Second
	// restartTimeout bounds Debian's heartbeat's restart: its stop waits for a
	// resource transition in progress to end, which took over a minute on a loaded
	// machine (a CI run failed so).
	restartTimeout  = 4 * time.Minute
	resourceTimeout = (initdead + 40) * time.Second
)

// TestMigration: see the package documentation.
func TestMigration(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a Debian 12 container and installs packages for minutes; -short skips it")
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (mmdebstrap, systemd-nspawn, overlay mounts)")
	}
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the packages are built for linux/amd64")
	}
	tl := newTimeline(t)
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	site, err := siteFiles(repo)
	if err != nil {
		t.Fatal(err)
	}

	needTools(t)
	debsc := buildDebs(t, repo)
	var root string
	tl.step("root filesystem (mmdebstrap, cached)", func() { root = ensureRoot(t, tl.logf) })

	var c *container
	tl.step("boot (systemd-nspawn, systemd as PID 1, until is-system-running)", func() {
		c = bootContainer(t, root, func(r string) error {
			return os.WriteFile(filepath.Join(r, "etc/hostname"), []byte(nodeName+"\n"), 0o644)
		}, tl.logf)
	})
	// Cleanups run last first: the journal is read before the container halts.
	t.Cleanup(func() { tl.step("halt (SIGTERM to systemd-nspawn: systemd halts, heartbeat releases)", c.halt) })
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := c.run(cmdTimeout, "systemctl --no-pager --failed; journalctl --no-pager -o short-monotonic -n 80 -u mon -u heartbeat -u ipvsadm")
			t.Logf("container's journal (mon, heartbeat, ipvsadm):\n%s", out)
		}
	})
	// eth0 as the manual's Linux187 has it; the other end of the cable is the
	// gateway mon pings. The real servers and linux142 are absent.
	c.sh(cmdTimeout, fmt.Sprintf(`set -e
		ip link add eth0 type veth peer name gw0
		ip addr add %s/24 dev eth0
		ip addr add %s/24 dev gw0
		ip link set gw0 up
		ip link set eth0 up`, nodeAddr, gateway))

	// 1. The originals, and the site's files on them.
	tl.step("originals: apt-get install ipvsadm mon heartbeat", func() {
		c.apt(t, "install --no-install-recommends "+strings.Join(originals, " "))
	})
	tl.step("originals: the site's files (examples/), rc.local's real-server role", func() {
		for p, f := range site {
			c.writeFile(p, f.data, f.mode)
		}
		hosts, err := os.ReadFile(c.path("/etc/hosts"))
		if err != nil {
			t.Fatal(err)
		}
		hosts = fmt.Appendf(hosts, "%s\t%s\n%s\tlinux142\n", nodeAddr, nodeName, peerAddr)
		c.writeFile("/etc/hosts", hosts, 0o644)
		// examples/README.md's install steps, then the boot's /etc/rc.local.
		c.sh(cmdTimeout, `set -e
			mkdir -p /var/run/mon/state.d /var/run/mon/log.d
			touch /etc/mon/userfile
			systemctl daemon-reload
			/etc/rc.local`)
		if s := c.state(); !s.vipOnLo || s.vipOnEth0 {
			t.Fatalf("after rc.local (real-server role) the VIP should be on lo only: %s", s)
		}
	})
	tl.step("originals: heartbeat takes its resources (lvs, VIP, mon) after initdead", func() {
		c.sh(restartTimeout, "systemctl stop mon; systemctl restart heartbeat")
		c.waitDirector(t, debian, "heartbeat restarted with mon stopped")
	})
	c.checkIpvsadmService(t, false)
	before := c.snapshot(t)
	tl.logf("originals: %d files in /etc and the site's scripts recorded", len(before))

	// 2. lvskit in their place.
	var debs []string
	tl.step("lvskit: make packages (started at the beginning, waited for here)", func() {
		r := <-debsc
		if r.err != nil {
			t.Fatal(r.err)
		}
		debs = r.paths
		tl.logf("lvskit: packages (built in %.1fs): %s", r.took.Seconds(), strings.Join(r.names(), " "))
	})
	var inContainer []string
	for _, d := range debs {
		b, err := os.ReadFile(d)
		if err != nil {
			t.Fatal(err)
		}
		p := "/root/lvskit-debs/" + filepath.Base(d)
		c.writeFile(p, b, 0o644)
		inContainer = append(inContainer, p)
	}
	tl.step("lvskit: apt-get install ./lvskit-*.deb (removes the originals)", func() {
		out := c.apt(t, "install "+strings.Join(inContainer, " "))
		tl.logf("lvskit: apt: %s", aptSummary(out))
		c.wantPackages(t, "ii", "lvskit-ipvsadm", "lvskit-mon", "lvskit-heartbeat")
		c.wantPackages(t, "rc", originals...)
	})
	tl.step("lvskit: heartbeatd takes the resources, its mon resource runs mond", func() {
		c.waitDirector(t, lvskit, "lvskit's postinst started heartbeat.service")
	})
	if out, _ := c.run(cmdTimeout, "dpkg-divert --list '/usr/lib/mon/*'"); strings.TrimSpace(out) != "" {
		tl.logf("lvskit: diversions: %s", strings.TrimSpace(out))
	}
	tl.step("lvskit: systemctl status, service mon status", func() {
		for _, s := range []string{"systemctl --no-pager status mon", "systemctl --no-pager status heartbeat",
			"systemctl --no-pager status ipvsadm", "service heartbeat status", "/etc/init.d/mon status"} {
			c.sh(cmdTimeout, s)
		}
		// "Main PID: N (mond)" names the program even when systemctl cannot list the
		// unit's cgroup (a CI run: "Failed to dump process list ... Input/output error").
		if out := c.sh(cmdTimeout, "service mon status"); !regexp.MustCompile(`Main PID: \d+ \(mond\)`).MatchString(out) || !strings.Contains(out, "active (running)") {
			t.Errorf("service mon status does not show mond running:\n%s", out)
		}
		// Type=notify units are active only once the daemon sent READY=1.
		for _, u := range []string{"mon", "heartbeat"} {
			out := c.sh(cmdTimeout, "systemctl show -p Type -p NotifyAccess -p WatchdogUSec -p StatusText -p NRestarts "+u)
			for _, want := range []string{"Type=notify\n", "NotifyAccess=main\n", "NRestarts=0\n"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s.service: want %s:\n%s", u, strings.TrimSpace(want), out)
				}
			}
			tl.logf("  %s.service: %s", u, strings.Join(strings.Split(strings.TrimSpace(out), "\n"), "; "))
		}
		// heartbeat's client tools are heartbeatd's.
		if out := strings.TrimSpace(c.sh(cmdTimeout, "cl_status rscstatus")); out != "all" {
			t.Errorf("cl_status rscstatus: %q, want all", out)
		}
	})
	tl.step("lvskit: systemctl reload mon heartbeat (same processes)", func() {
		s0 := c.state()
		c.sh(cmdTimeout, "systemctl reload mon && systemctl reload heartbeat")
		time.Sleep(time.Second)
		s1 := c.state()
		if s1.mon.pid != s0.mon.pid || s1.hb.pid != s0.hb.pid || !s1.holds(lvskit) {
			t.Errorf("reload: before %s\nafter %s", s0, s1)
		}
	})
	tl.step("lvskit: the HTTP listeners turned on in /etc/default/lvskit-{mon,heartbeat}", func() {
		c.sh(cmdTimeout, `sed -i 's/^MOND_OPTS=""$/MOND_OPTS="--metrics-listen 127.0.0.1:9583"/' /etc/default/lvskit-mon &&
			sed -i 's/^HEARTBEATD_OPTS=""$/HEARTBEATD_OPTS="--http 127.0.0.1:9694"/' /etc/default/lvskit-heartbeat &&
			grep -q 9583 /etc/default/lvskit-mon && grep -q 9694 /etc/default/lvskit-heartbeat`)
	})
	tl.step("lvskit: systemctl restart mon", func() {
		s0 := c.state()
		c.sh(cmdTimeout, "systemctl restart mon")
		s1 := c.state()
		if s1.mon.pid == s0.mon.pid || !s1.mon.is(lvskit) {
			t.Errorf("restart mon: before %s\nafter %s", s0, s1)
		}
	})
	tl.step("lvskit: systemctl stop heartbeat releases the resources (mon stop, lvs stop)", func() {
		c.sh(cmdTimeout, "systemctl stop heartbeat")
		if s := c.state(); s.mon.active != "inactive" || s.vipOnEth0 || !s.vipOnLo {
			t.Errorf("after heartbeat stop: want mon inactive and the VIP back on lo: %s", s)
		}
	})
	tl.step("lvskit: systemctl start heartbeat; its mon resource starts mond", func() {
		c.sh(cmdTimeout, "systemctl start heartbeat")
		c.waitDirector(t, lvskit, "heartbeat started with mon stopped")
	})
	tl.step("lvskit: systemctl restart heartbeat", func() {
		s0 := c.state()
		c.sh(cmdTimeout, "systemctl restart heartbeat")
		s1 := c.waitDirector(t, lvskit, "heartbeat restarted")
		if s1.hb.pid == s0.hb.pid {
			t.Errorf("restart heartbeat: same process %s", s1.hb.pid)
		}
	})
	tl.step("lvskit: mond's and heartbeatd's listeners answer /readyz and /metrics", func() {
		for _, port := range []string{"9583", "9694"} {
			for _, path := range []string{"/readyz", "/metrics"} {
				// bash's /dev/tcp: the root has no curl.
				out := c.sh(cmdTimeout, `bash -c 'exec 3<>/dev/tcp/127.0.0.1/`+port+` && printf "GET `+path+` HTTP/1.0\r\n\r\n" >&3 && cat <&3'`)
				if !strings.HasPrefix(out, "HTTP/1.0 200 OK") || !strings.Contains(out, map[string]string{"/readyz": "\r\n\r\nready\n", "/metrics": "lvskit_build_info{"}[path]) {
					t.Errorf("port %s %s:\n%.2000s", port, path, out)
				}
			}
		}
	})
	c.checkIpvsadmService(t, true)
	during := c.snapshot(t)
	c.compare(t, "with lvskit", before, during, lvskitOwn)

	// 3. Back to the originals.
	tl.step("back: apt-get install ipvsadm mon heartbeat (removes lvskit)", func() {
		out := c.apt(t, "install --no-install-recommends "+strings.Join(originals, " "))
		tl.logf("back: apt: %s", aptSummary(out))
		c.wantPackages(t, "ii", originals...)
		c.wantPackages(t, "rc", "lvskit-ipvsadm", "lvskit-mon", "lvskit-heartbeat")
	})
	tl.step("back: the originals' postinst start heartbeat and mon", func() {
		c.waitDirector(t, debian, "the originals' postinst started heartbeat.service and mon.service")
	})
	tl.step("back: heartbeat's mon resource starts mon", func() {
		c.sh(restartTimeout, "systemctl stop mon; systemctl restart heartbeat")
		c.waitDirector(t, debian, "heartbeat restarted with mon stopped")
	})
	c.checkIpvsadmService(t, false)
	after := c.snapshot(t)
	c.compare(t, "back on the originals", before, after, lvskitConffiles)
}

// timeline logs the steps with their durations, and all of them again at the end.
type timeline struct {
	t     *testing.T
	start time.Time
	steps []string
}

func newTimeline(t *testing.T) *timeline {
	tl := &timeline{t: t, start: time.Now()}
	t.Cleanup(func() {
		t.Logf("migration timeline (step durations):\n%s\n%8.1fs  total", strings.Join(tl.steps, "\n"), time.Since(tl.start).Seconds())
	})
	return tl
}

func (tl *timeline) logf(format string, args ...any) {
	tl.t.Helper()
	tl.t.Logf("[%6.1fs] "+format, append([]any{time.Since(tl.start).Seconds()}, args...)...)
}

func (tl *timeline) step(name string, f func()) {
	tl.t.Helper()
	start, failed := time.Now(), tl.t.Failed()
	defer func() {
		d := time.Since(start).Seconds()
		mark := ""
		if !failed && tl.t.Failed() {
			mark = "  (failed)"
		}
		tl.steps = append(tl.steps, fmt.Sprintf("%8.1fs  %s%s", d, name, mark))
		tl.logf("%s: %.1fs%s", name, d, mark)
	}()
	f()
}

// apt runs apt-get in the container. It has no network: the originals come from
// the root's apt cache, lvskit from the given files.
func (c *container) apt(t *testing.T, args string) string {
	t.Helper()
	out, err := c.run(aptTimeout, "apt-get -y -q "+args+" </dev/null")
	if err != nil {
		t.Fatalf("apt-get %s: %v\n%s", args, err, out)
	}
	return out
}

// aptSummary is apt's REMOVED and NEW lines.
func aptSummary(out string) string {
	var s []string
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "The following packages will be REMOVED") || strings.HasPrefix(l, "The following NEW packages") {
			words := strings.TrimSuffix(strings.TrimPrefix(l, "The following "), ":")
			for j := i + 1; j < len(lines) && strings.HasPrefix(lines[j], " "); j++ {
				words += strings.TrimRight(lines[j], " ")
			}
			s = append(s, words)
		}
	}
	return strings.Join(s, "; ")
}

// wantPackages checks dpkg's state of pkgs (ii installed, rc removed with its
// conffiles kept).
func (c *container) wantPackages(t *testing.T, state string, pkgs ...string) {
	t.Helper()
	out, _ := c.run(cmdTimeout, "dpkg-query -W -f='${db:Status-Abbrev}${Package}\n' "+strings.Join(pkgs, " "))
	for _, p := range pkgs {
		if !strings.Contains(out, state+" "+p+"\n") {
			t.Errorf("dpkg: want %s in state %q:\n%s", p, state, out)
		}
	}
}

// proc is a unit's main process.
type proc struct{ active, pid, exe, cmd string }

func (p proc) is(f flavor) bool {
	return p.active == "active" && p.exe == f.monExe && strings.Contains(" "+p.cmd+" ", " "+f.monArg+" ")
}

// director is what the test reads of the node: where the VIP is, heartbeat's
// resource status and the daemons' processes.
type director struct {
	vipOnEth0, vipOnLo bool
	rsc                string // cl_status rscstatus
	mon, hb            proc
}

func (d director) String() string {
	return fmt.Sprintf("VIP on eth0 %v, on lo %v; cl_status rscstatus %q; mon %s pid %s exe %s (%s); heartbeat %s pid %s exe %s",
		d.vipOnEth0, d.vipOnLo, d.rsc, d.mon.active, d.mon.pid, d.mon.exe, d.mon.cmd, d.hb.active, d.hb.pid, d.hb.exe)
}

// holds: this node is the director on f's daemons: heartbeat ran its resource
// group (lvs start and IPaddr put the VIP on eth0, lvs start took it off lo; mon
// start), and mon runs on f's binary. (heartbeat 3.0.6's cl_status rscstatus says
// "all" some ten seconds later, once its resource transition is over: logged.)
func (d director) holds(f flavor) bool {
	return d.vipOnEth0 && !d.vipOnLo && d.mon.is(f) && d.hb.active == "active" && d.hb.exe == f.hbExe
}

func (c *container) state() director {
	out, _ := c.run(cmdTimeout, `
		echo "vip-eth0=$(ip -o -4 addr show dev eth0 to `+vip+` | wc -l)"
		echo "vip-lo=$(ip -o -4 addr show dev lo to `+vip+` | wc -l)"
		echo "rsc=$(cl_status rscstatus 2>/dev/null)"
		for u in mon heartbeat; do
			p=$(systemctl show -P MainPID $u)
			echo "$u-active=$(systemctl is-active $u)"
			echo "$u-pid=$p"
			echo "$u-exe=$(readlink /proc/$p/exe 2>/dev/null)"
			echo "$u-cmd=$(tr '\0' ' ' </proc/$p/cmdline 2>/dev/null)"
		done`)
	kv := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			kv[k] = strings.TrimSpace(v)
		}
	}
	return director{
		vipOnEth0: kv["vip-eth0"] == "1", vipOnLo: kv["vip-lo"] == "1", rsc: kv["rsc"],
		mon: proc{kv["mon-active"], kv["mon-pid"], kv["mon-exe"], kv["mon-cmd"]},
		hb:  proc{kv["heartbeat-active"], kv["heartbeat-pid"], kv["heartbeat-exe"], kv["heartbeat-cmd"]},
	}
}

// waitDirector waits until the node is the director on f's daemons, at most
// resourceTimeout, and logs how long it took. Debian's heartbeat 3.0.6 sometimes
// loses the message that starts its resource group on a loaded machine (its FIFO
// reader logs "NV failure (msgfromsteam)" and the group is never run, cl_status
// stays in "transition"); it is then killed and started once more, and that is
// logged. lvskit gets no second chance.
func (c *container) waitDirector(t *testing.T, f flavor, after string) director {
	t.Helper()
	s, took, ok := c.pollDirector(f)
	if !ok && f == debian {
		journal, _ := c.run(cmdTimeout, "journalctl --no-pager -o cat -n 30 -u heartbeat")
		c.logf("  %s: Debian's heartbeat did not take its resources within %v: %s\n"+
			"  (a race of heartbeat 3.0.6 under load; killing it and starting it again, once); its journal:\n%s",
			after, resourceTimeout, s, journal)
		c.sh(cmdTimeout, "systemctl kill -s KILL heartbeat; systemctl stop heartbeat mon; systemctl start heartbeat")
		after += ", then killed and started again"
		s, took, ok = c.pollDirector(f)
	}
	if !ok {
		t.Fatalf("%s: not the director on %s within %v (initdead %d s): %s", after, f.name, resourceTimeout, initdead, s)
	}
	c.logf("  %s: director on %s after %.1fs (initdead %d s): mon pid %s %s [%s], heartbeat pid %s %s, rscstatus %q",
		after, f.name, took.Seconds(), initdead, s.mon.pid, s.mon.exe, s.mon.cmd, s.hb.pid, s.hb.exe, s.rsc)
	return s
}

func (c *container) pollDirector(f flavor) (director, time.Duration, bool) {
	start := time.Now()
	for {
		s := c.state()
		if s.holds(f) {
			return s, time.Since(start), true
		}
		if time.Since(start) > resourceTimeout {
			return s, time.Since(start), false
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// checkIpvsadmService: ipvsadm.service starts and restarts cleanly with Debian's
// /etc/default/ipvsadm (AUTO="false": no rules loaded, no sync daemon). lvskit's is
// a native unit (oneshot running /usr/libexec/lvskit/ipvsadm-service); the
// original's is generated from /etc/init.d/ipvsadm.
func (c *container) checkIpvsadmService(t *testing.T, native bool) {
	t.Helper()
	c.sh(cmdTimeout, "grep -qx 'AUTO=\"false\"' /etc/default/ipvsadm && systemctl restart ipvsadm")
	out := c.sh(cmdTimeout, "systemctl show -p ActiveState -p SubState -p Result -p ExecMainStatus -p FragmentPath -p SourcePath ipvsadm")
	for _, want := range []string{"ActiveState=active", "SubState=exited", "Result=success", "ExecMainStatus=0"} {
		if !strings.Contains(out, want+"\n") {
			t.Errorf("ipvsadm.service: want %s:\n%s", want, out)
		}
	}
	if isNative := strings.Contains(out, "FragmentPath=/lib/systemd/system/ipvsadm.service\n"); isNative != native {
		t.Errorf("ipvsadm.service: native unit %v, want %v:\n%s", isNative, native, out)
	}
	c.logf("  ipvsadm.service restarted cleanly (AUTO=\"false\"): %s", strings.Join(strings.Fields(out), " "))
}

// snapshot records /etc and the site's files outside it: path -> mode and sha256
// for a file, the target for a symlink.
func (c *container) snapshot(t *testing.T) map[string]string {
	t.Helper()
	snap := map[string]string{}
	prefix := c.path("")
	record := func(hp string, d fs.FileInfo) error {
		p := strings.TrimPrefix(hp, prefix)
		switch {
		case d.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(hp)
			if err != nil {
				return err
			}
			snap[p] = "-> " + target
		case d.Mode().IsRegular():
			b, err := os.ReadFile(hp)
			if err != nil {
				return err
			}
			sum := sha256.Sum256(b)
			snap[p] = fmt.Sprintf("%04o %s", d.Mode().Perm(), hex.EncodeToString(sum[:8]))
		}
		return nil
	}
	err := filepath.WalkDir(c.path("/etc"), func(hp string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		return record(hp, fi)
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range siteFilesOutsideEtc {
		fi, err := os.Lstat(c.path(p))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := record(c.path(p), fi); err != nil {
			t.Fatal(err)
		}
	}
	return snap
}

// compare fails the test for every file that differs from before, except the
// allowed ones; symlinks that differ (rc?.d, *.wants: enabling, not configuration)
// are logged.
func (c *container) compare(t *testing.T, when string, before, now map[string]string, allowed []string) {
	t.Helper()
	paths := map[string]bool{}
	for p := range before {
		paths[p] = true
	}
	for p := range now {
		paths[p] = true
	}
	var sorted []string
	for p := range paths {
		sorted = append(sorted, p)
	}
	sort.Strings(sorted)
	var changed, links []string
	for _, p := range sorted {
		b, n := before[p], now[p]
		if b == n {
			continue
		}
		line := fmt.Sprintf("%s: %q -> %q", p, b, n)
		isLink := strings.HasPrefix(b, "-> ") || strings.HasPrefix(n, "-> ")
		switch {
		case containsString(allowed, p):
			c.logf("  %s: %s (lvskit's)", when, line)
		case isLink && !containsString(siteFilesOutsideEtc, p):
			links = append(links, line)
		default:
			changed = append(changed, line)
		}
	}
	if len(links) > 0 {
		c.logf("  %s: symlinks in /etc that differ (not failed):\n\t%s", when, strings.Join(links, "\n\t"))
	}
	if len(changed) > 0 {
		t.Errorf("%s: the site's files differ from what they were on the originals:\n\t%s", when, strings.Join(changed, "\n\t"))
	} else {
		c.logf("  %s: the site's files are unchanged (%d files in /etc and the site's scripts)", when, len(before))
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// debsResult is the output of `make packages` (or $LVSKIT_DEBS).
type debsResult struct {
	paths []string
	took  time.Duration
	err   error
}

func (r debsResult) names() []string {
	var n []string
	for _, p := range r.paths {
		n = append(n, filepath.Base(p))
	}
	return n
}

// buildDebs runs `make packages` in the background (or takes $LVSKIT_DEBS) and
// sends the three packages: the newest dist/lvskit-<name>_*.deb of each, written by
// this run. A make still running when the test ends is killed.
func buildDebs(t *testing.T, repo string) <-chan debsResult {
	ch, done := make(chan debsResult, 1), make(chan struct{})
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("make packages still running 30 s after it was killed")
		}
	})
	go func() {
		defer close(done)
		start := time.Now()
		dir := os.Getenv("LVSKIT_DEBS")
		if dir == "" {
			dir = filepath.Join(repo, "dist")
			cmd := exec.CommandContext(ctx, "make", "-C", repo, "packages")
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
			cmd.WaitDelay = 10 * time.Second
			if out, err := cmd.CombinedOutput(); err != nil {
				ch <- debsResult{err: fmt.Errorf("make packages: %v (timeout 15m)\n%s", err, out)}
				return
			}
		} else {
			start = time.Time{}
		}
		var r debsResult
		for _, name := range []string{"lvskit-ipvsadm", "lvskit-mon", "lvskit-heartbeat"} {
			m, _ := filepath.Glob(filepath.Join(dir, name+"_*.deb"))
			var best string
			var bestTime time.Time
			for _, p := range m {
				if fi, err := os.Stat(p); err == nil && !fi.ModTime().Before(start.Add(-time.Second)) && fi.ModTime().After(bestTime) {
					best, bestTime = p, fi.ModTime()
				}
			}
			if best == "" {
				ch <- debsResult{err: fmt.Errorf("no %s_*.deb in %s (from this run)", name, dir)}
				return
			}
			r.paths = append(r.paths, best)
		}
		r.took = time.Since(start)
		if start.IsZero() {
			r.took = 0
		}
		ch <- r
	}()
	return ch
}
