package lab

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestChooseMode(t *testing.T) {
	yes := func() bool { return true }
	no := func() bool { return false }
	for _, c := range []struct {
		mode    Mode
		probe   func() bool
		want    Mode
		wantErr bool
	}{
		{"", no, ModeVM, false},
		{ModeAuto, no, ModeVM, false},
		{ModeAuto, yes, ModeHere, false},
		{"", yes, ModeHere, false},
		{ModeVM, yes, ModeVM, false},
		{ModeVM, no, ModeVM, false},
		{ModeHere, yes, ModeHere, false},
		{ModeHere, no, "", true},
		{"qemu", yes, "", true},
	} {
		got, why, err := ChooseMode(c.mode, c.probe)
		if (err != nil) != c.wantErr || got != c.want {
			t.Errorf("ChooseMode(%q, %v) = %q, %q, %v; want %q (error %v)", c.mode, c.probe(), got, why, err, c.want, c.wantErr)
		}
		if err == nil && why == "" {
			t.Errorf("ChooseMode(%q): no reason given", c.mode)
		}
	}
}

// TestAutoWithoutIPVS: a kernel without /proc/net/ip_vs, even after the module load,
// runs the VM; the load is tried first.
func TestAutoWithoutIPVS(t *testing.T) {
	dir := t.TempDir()
	proc := filepath.Join(dir, "ip_vs")
	loads := 0
	probe := func() bool { return hasIPVS(proc, func() { loads++ }) }
	mode, why, err := ChooseMode(ModeAuto, probe)
	if err != nil || mode != ModeVM || !strings.Contains(why, "no IPVS") {
		t.Fatalf("without ip_vs: %q %q %v; want the VM because there is no IPVS", mode, why, err)
	}
	if loads != 1 {
		t.Errorf("modprobe tried %d times, want 1", loads)
	}
	// The module load makes the file appear: here.
	probe = func() bool { return hasIPVS(proc, func() { os.WriteFile(proc, nil, 0o644) }) }
	if mode, _, err := ChooseMode(ModeAuto, probe); err != nil || mode != ModeHere {
		t.Errorf("ip_vs after the load: %q %v; want here", mode, err)
	}
	// Present: no load at all.
	if !hasIPVS(proc, func() { t.Error("load called with ip_vs present") }) {
		t.Error("ip_vs present: hasIPVS false")
	}
}

func TestHereScriptSyntax(t *testing.T) {
	p := filepath.Join(t.TempDir(), "here.sh")
	if err := os.WriteFile(p, []byte(hereScript), 0o755); err != nil {
		t.Fatal(err)
	}
	shells := [][]string{{"sh", "-n", p}}
	if bb, err := exec.LookPath("busybox"); err == nil {
		shells = append(shells, []string{bb, "sh", "-n", p})
	}
	for _, sh := range shells {
		if out, err := exec.Command(sh[0], sh[1:]...).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", strings.Join(sh, " "), err, out)
		}
	}
}

// TestVMOptions: the VM run puts the staged tree under /stage with its modes, and its
// payload runs here.sh with the console as CONSOLE and the overlay module loaded.
func TestVMOptions(t *testing.T) {
	dir := t.TempDir()
	st := &staged{dir: dir, stage: filepath.Join(dir, "stage"), probe: filepath.Join(dir, "lab/bin/labprobe")}
	files := map[string][]byte{
		"/etc/ha.d/authkeys":   []byte("auth 1\n"),
		"/etc/init.d/lvs":      []byte("#!/bin/sh\n"),
		"/etc/mon/mon.cf":      []byte("x\n"),
		"/usr/sbin/heartbeatd": []byte("bin"),
	}
	if err := writeGuestFiles(st.stage, files); err != nil {
		t.Fatal(err)
	}
	opts := Default()
	opts.Every = 300 * time.Millisecond
	v, err := vmOptions(st, opts)
	if err != nil {
		t.Fatal(err)
	}
	wantMode := map[string]fs.FileMode{
		"/stage/etc/ha.d/authkeys": 0o600, "/stage/etc/init.d/lvs": 0o755,
		"/stage/etc/mon/mon.cf": 0o644, "/stage/usr/sbin/heartbeatd": 0o755,
	}
	for guest, mode := range wantMode {
		host, ok := v.HostFiles[guest]
		if !ok {
			t.Errorf("%s not in the VM's files: %v", guest, v.HostFiles)
			continue
		}
		fi, err := os.Stat(host)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s: mode %v, want %v", guest, fi.Mode().Perm(), mode)
		}
	}
	if len(v.HostFiles) != len(files)+1 || v.HostFiles["/lab/bin/labprobe"] != st.probe {
		t.Errorf("HostFiles = %v; want the %d staged files and labprobe", v.HostFiles, len(files))
	}
	if string(v.Files["/lab/here.sh"]) != hereScript || string(v.Files["/lab/scenario.sh"]) != scenario {
		t.Error("here.sh or scenario.sh not in the guest")
	}
	if len(v.Modules) != 1 || v.Modules[0] != "overlay" {
		t.Errorf("Modules = %v, want overlay", v.Modules)
	}
	for _, want := range []string{"STAGE='/stage'", "CONSOLE='/dev/console'", "R='/results'", "LAB='/lab'",
		"PHASES='1 2 3 4 5'", "EVERY='300ms'", "VIP='" + VIP + "'", "sh /lab/here.sh /lab/scenario.sh"} {
		if !strings.Contains(v.Script, want) {
			t.Errorf("payload lacks %q:\n%s", want, v.Script)
		}
	}
	if v.Timeout != timeout {
		t.Errorf("Timeout %v, want %v", v.Timeout, timeout)
	}
}

// standIn is a tiny scenario for TestHereIsolation: the real one needs IPVS, which
// the machine running the tests may not have.
const standIn = `set -u
{
	for f in /etc/lvskit-here-test/authkeys /usr/lib/lvskit-here-test/bin/tool /root/lvskit-here-test/data; do
		stat -c '%a %n' $f
	done
	echo "netns-before=$($IP netns list | wc -l)"
	$IP netns add lvskit-here-a && $IP netns add lvskit-here-b
	echo "netns=$($IP netns list | cut -d' ' -f1 | sort | tr '\n' ' ')"
	$IP link add lvskit-here-br type bridge && echo bridge=ok
	echo written >/etc/lvskit-here-test/written && echo etc=ok
	mkdir -p /srv/lvskit-here-test && echo page >/srv/lvskit-here-test/index.html && echo srv=ok
	syslogd -n -O $R/syslog & sleep 0.5; logger lvskit-here-test; sleep 0.5
	sleep 613 &
	# The forked child is a shell until it execs sleep: look again, bounded, before counting.
	n=0; while [ $n -lt 50 ] && ! ps -o args | grep -q '^sleep 613'; do n=$((n+1)); sleep 0.1; done
	echo "ps=$(ps -o args | grep -c '^sleep 613')"
} >$R/inside 2>&1
echo "LAB 1 stand-in done" >$CONSOLE
exit 7
`

// TestHereIsolation runs here.sh on this machine with a stand-in scenario: staged
// files are there inside and gone afterwards, the network and its namespaces are the
// run's own, and nothing of it is left on the machine.
func TestHereIsolation(t *testing.T) {
	needHere(t)
	ip, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("iproute2 not installed")
	}
	hostPaths := []string{"/etc/lvskit-here-test", "/usr/lib/lvskit-here-test", "/root/lvskit-here-test", "/srv/lvskit-here-test"}
	for _, p := range hostPaths {
		if _, err := os.Stat(p); err == nil {
			t.Fatalf("%s exists before the run", p)
		}
	}
	// Were the isolation broken, this is what the stand-in would have left.
	t.Cleanup(func() {
		for _, p := range hostPaths {
			os.RemoveAll(p)
		}
		exec.Command(ip, "link", "del", "lvskit-here-br").Run()
		exec.Command(ip, "netns", "del", "lvskit-here-a").Run()
		exec.Command(ip, "netns", "del", "lvskit-here-b").Run()
	})
	etcBefore := snapshot(t, "/etc")
	_, devLogBefore := os.Lstat("/dev/log")

	dir := t.TempDir()
	stage := filepath.Join(dir, "stage")
	if err := writeGuestFiles(stage, map[string][]byte{
		"/etc/lvskit-here-test/authkeys":     []byte("auth 1\n1 crc\n"),
		"/usr/lib/lvskit-here-test/bin/tool": []byte("#!/bin/sh\n"),
		"/root/lvskit-here-test/data":        []byte("data\n"),
	}); err != nil {
		t.Fatal(err)
	}
	here, standInPath := filepath.Join(dir, "here.sh"), filepath.Join(dir, "standin.sh")
	os.WriteFile(here, []byte(hereScript), 0o755)
	os.WriteFile(standInPath, []byte(standIn), 0o755)
	var logged []string
	h := hereRun{here: here, scenario: standInPath, stage: stage, work: filepath.Join(dir, "work"),
		timeout: time.Minute, logf: func(f string, a ...any) { logged = append(logged, f) }}
	res, err := h.run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	inside := string(res.files["inside"])
	t.Logf("inside:\n%s", inside)
	if res.exitCode != 7 {
		t.Errorf("exit code %d, want the stand-in's 7; stderr:\n%s", res.exitCode, res.stderr)
	}
	for _, want := range []string{
		"600 /etc/lvskit-here-test/authkeys\n",
		"755 /usr/lib/lvskit-here-test/bin/tool\n",
		"644 /root/lvskit-here-test/data\n",
		"netns-before=0\n",
		"netns=lvskit-here-a lvskit-here-b \n",
		"bridge=ok\n", "etc=ok\n", "srv=ok\n",
		"ps=1\n",
	} {
		if !strings.Contains(inside, want) {
			t.Errorf("inside the run: no %q", want)
		}
	}
	if !bytes.Contains(res.files["syslog"], []byte("lvskit-here-test")) {
		t.Errorf("the run's syslogd got nothing on its /dev/log:\n%s", res.files["syslog"])
	}
	if len(res.console) != 1 || res.console[0] != "1 stand-in done" || len(logged) != 1 {
		t.Errorf("console lines %q (logged %d), want the stand-in's one line", res.console, len(logged))
	}

	// Afterwards, nothing of the run on the machine.
	for _, p := range hostPaths {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s left on the machine", p)
		}
	}
	if err := exec.Command(ip, "link", "show", "lvskit-here-br").Run(); err == nil {
		t.Error("the run's bridge is on the machine")
	}
	if out, _ := exec.Command(ip, "netns", "list").Output(); bytes.Contains(out, []byte("lvskit-here-")) {
		t.Errorf("the run's namespaces are on the machine:\n%s", out)
	}
	if _, err := os.Lstat("/dev/log"); err == nil && devLogBefore != nil {
		t.Error("/dev/log created on the machine")
	}
	if procs := processesWithArgs("sleep\x00613\x00"); len(procs) > 0 {
		t.Errorf("the run's processes outlived it: %v", procs)
	}
	if etcAfter := snapshot(t, "/etc"); etcAfter != etcBefore {
		t.Errorf("/etc changed by the run")
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "work", "here")); len(ents) != 0 {
		t.Errorf("the run's tmpfs is still mounted on WORK: %d entries", len(ents))
	}
}

// snapshot lists a tree: path, mode, size and modification time of every entry.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			fmt.Fprintf(&b, "%s %v %d %v\n", p, fi.Mode(), fi.Size(), fi.ModTime())
		}
		return nil
	})
	return b.String()
}

// processesWithArgs returns the pids whose command line is args.
func processesWithArgs(args string) []string {
	var pids []string
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		if c, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && string(c) == args {
			pids = append(pids, e.Name())
		}
	}
	return pids
}

// TestHereTimeout: a scenario that does not finish in time is killed with everything
// it started, and the error quotes its console lines.
func TestHereTimeout(t *testing.T) {
	needHere(t)
	dir := t.TempDir()
	here, standInPath := filepath.Join(dir, "here.sh"), filepath.Join(dir, "standin.sh")
	os.WriteFile(here, []byte(hereScript), 0o755)
	os.WriteFile(standInPath, []byte("echo 'LAB 1 waiting' >$CONSOLE\nsleep 614 &\nsleep 615\n"), 0o755)
	h := hereRun{here: here, scenario: standInPath, work: filepath.Join(dir, "work"), timeout: 2 * time.Second}
	res, err := h.run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "did not finish") || !strings.Contains(err.Error(), "1 waiting") {
		t.Fatalf("err = %v; want the timeout with the console line", err)
	}
	if res == nil || res.exitCode == 0 {
		t.Errorf("result %+v: want a killed run", res)
	}
	// The kernel tears the pid namespace down after its first process is killed.
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := append(processesWithArgs("sleep\x00614\x00"), processesWithArgs("sleep\x00615\x00")...)
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("processes outlived the killed run: %v", left)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// needHere skips a test that runs here.sh on a machine that cannot.
func needHere(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("here.sh needs root (namespaces, mounts)")
	}
	if _, err := exec.LookPath("busybox"); err != nil {
		t.Skip("busybox not installed (make deps)")
	}
	exec.Command("modprobe", "-q", "overlay").Run()
	if fsys, _ := os.ReadFile("/proc/filesystems"); !bytes.Contains(fsys, []byte("overlay")) {
		t.Skip("the kernel has no overlayfs")
	}
}
