package clustertest

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/hb/interop"
)

// respawnChild is the recording child of TestRespawnLikeOriginal. It lives in a
// directory of its own (one per implementation) and keeps its state next to itself:
// NAME.count numbers its runs, NAME.log gets what each run saw, NAME.ctl.N (or NAME.ctl)
// says what run N does: "exit N", "sleep" (until killed) or "sleepgroup" (sleep, with a
// second process in its process group; both log the SIGTERM they get).
const respawnChild = `#!/bin/sh
d=${0%/*}
if [ "$1" = __grand ]; then
	trap 'echo "GTERM t=$(date +%s.%N) pid=$$" >> "$d/$2.log"; exit 0' TERM
	while :; do sleep 1 & wait $!; done
fi
name=$1
n=$(( $(cat "$d/$name.count" 2>/dev/null || echo 0) + 1 ))
echo $n > "$d/$name.count"
log="$d/$name.log"
read -r _ _ _ ppid pgrp sess _ < /proc/$$/stat
fd0=$(readlink /proc/$$/fd/0) fd1=$(readlink /proc/$$/fd/1) fd2=$(readlink /proc/$$/fd/2)
rec=$(
echo "START $n t=$(date +%s.%N) pid=$$"
echo "uid $(id -u)"
echo "gid $(id -g)"
echo "groups $(id -G | tr ' ' '\n' | sort -n | tr '\n' ' ')"
echo "argc $#"
for a in "$@"; do echo "arg [$a]"; done
echo "cwd $(readlink /proc/$$/cwd)"
echo "pgid $pgrp"
echo "fd0 $fd0"
echo "fd1 $fd1"
echo "fd2 $fd2"
echo "sigign $(sed -n 's/^SigIgn:[[:space:]]*//p' /proc/$$/status)"
env | grep '^HA_' | sort | sed 's/^/env /'
echo "READY $n"
)
echo "$rec" >> "$log"
a=$(cat "$d/$name.ctl.$n" 2>/dev/null || cat "$d/$name.ctl" 2>/dev/null || echo sleep)
case "$a" in
exit*) code=${a#exit }; echo "EXIT $n $code t=$(date +%s.%N) pid=$$" >> "$log"; exit $code ;;
sleepgroup) "$0" __grand "$name" & ;;
esac
trap 'echo "TERM t=$(date +%s.%N) pid=$$" >> "$log"; exit 143' TERM
while :; do sleep 1 & wait $!; done
`

// The user the children run as, made by the test (and removed after it): a primary
// group and a supplementary one, to see that the child gets both.
const (
	rspUser  = "lvskitrsp"
	rspGroup = "lvskitrsp"
	rspSupp  = "lvskitrspx"
)

func makeRespawnUser(t *testing.T) (uid, gid, supp int) {
	t.Helper()
	for _, c := range []string{"useradd", "userdel", "groupadd", "groupdel"} {
		if _, err := exec.LookPath(c); err != nil {
			t.Skipf("%s not installed: %v", c, err)
		}
	}
	rm := func() {
		_ = exec.Command("userdel", rspUser).Run()
		_ = exec.Command("groupdel", rspSupp).Run()
		_ = exec.Command("groupdel", rspGroup).Run()
	}
	rm() // a previous run's leftovers
	for _, argv := range [][]string{
		{"groupadd", "--system", rspGroup},
		{"groupadd", "--system", rspSupp},
		{"useradd", "--system", "-M", "-N", "-d", "/nonexistent", "-s", "/usr/sbin/nologin", "-g", rspGroup, "-G", rspSupp, rspUser},
	} {
		if out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput(); err != nil {
			rm()
			t.Fatalf("%s: %v: %s", strings.Join(argv, " "), err, out)
		}
	}
	t.Cleanup(rm)
	id := func(args ...string) int {
		out, err := exec.Command("id", args...).Output()
		if err != nil {
			t.Fatalf("id %v: %v", args, err)
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(out)))
		return n
	}
	out, err := exec.Command("getent", "group", rspSupp).Output()
	if err != nil {
		t.Fatalf("getent group %s: %v", rspSupp, err)
	}
	f := strings.Split(strings.TrimSpace(string(out)), ":")
	supp, _ = strconv.Atoi(f[2])
	return id("-u", rspUser), id("-g", rspUser), supp
}

// childRun is what one run of the recording child logged.
type childRun struct {
	n          int
	start, end float64 // unix seconds; end 0: no EXIT line
	pid        int
	exit       string // "EXIT code" of the run, or ""
	attrs      map[string][]string
	term       bool // got SIGTERM
	ready      bool // its record is complete
}

var startLine = regexp.MustCompile(`^START (\d+) t=([0-9.]+) pid=(\d+)$`)
var exitLine = regexp.MustCompile(`^EXIT (\d+) (\d+) t=([0-9.]+) pid=\d+$`)

// childRuns parses NAME.log of dir; gterm reports a GTERM line (the process-group
// member got SIGTERM).
func childRuns(dir, name string) (runs []*childRun, gterm bool) {
	b, _ := os.ReadFile(filepath.Join(dir, name+".log"))
	var cur *childRun
	for _, l := range strings.Split(string(b), "\n") {
		if m := startLine.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			t, _ := strconv.ParseFloat(m[2], 64)
			pid, _ := strconv.Atoi(m[3])
			cur = &childRun{n: n, start: t, pid: pid, attrs: map[string][]string{}}
			runs = append(runs, cur)
			continue
		}
		if m := exitLine.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			for _, r := range runs {
				if r.n == n {
					r.exit = "EXIT " + m[2]
					r.end, _ = strconv.ParseFloat(m[3], 64)
				}
			}
			continue
		}
		switch {
		case strings.HasPrefix(l, "READY ") && cur != nil:
			cur.ready = true
		case strings.HasPrefix(l, "GTERM "):
			gterm = true
		case strings.HasPrefix(l, "TERM ") && cur != nil:
			cur.term = true
		case cur != nil && l != "":
			k, v, _ := strings.Cut(l, " ")
			cur.attrs[k] = append(cur.attrs[k], v)
		}
	}
	return runs, gterm
}

// respawnLogLines returns the node log's respawn lines about the child named name,
// "level: text" with dir as DIR and pids as PID.
func respawnLogLines(log, dir, name string) []string {
	re := regexp.MustCompile(`(info|WARN|ERROR|CRIT|debug): (.*(Starting child client|Starting "|Managed |Respawning client|respawning too fast|killing ).*)$`)
	pids := regexp.MustCompile(`(process group|process|pid) \d+`)
	var out []string
	for _, l := range strings.Split(log, "\n") {
		m := re.FindStringSubmatch(l)
		if m == nil || !strings.Contains(m[2], "child.sh "+name+" ") {
			continue
		}
		s := strings.ReplaceAll(m[1]+": "+m[2], dir, "DIR")
		out = append(out, pids.ReplaceAllString(s, "$1 PID"))
	}
	return out
}

// TestRespawnLikeOriginal runs the same respawn lines under Debian's heartbeat 3.0.6 and
// under heartbeatd, each a one-node cluster in its own namespace, and compares what the
// children saw and what the daemons logged. Child "seq": run 1 exits 0, run 2 exits 3,
// run 3 is killed by SIGKILL from the test, run 4 exits 100 (no restart after it).
// Child "sleeper" runs until the shutdown, with a second process in its process group:
// both must get SIGTERM.
func TestRespawnLikeOriginal(t *testing.T) {
	interop.Require(t, true)
	if heartbeatdBin == "" {
		t.Skip("heartbeatd not built (needs root)")
	}
	uid, gid, supp := makeRespawnUser(t)
	p := interop.NewPair(t)

	top, err := os.MkdirTemp("", "respawn-like-original")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(top) })
	_ = os.Chmod(top, 0o755)
	impls := []string{"original", "heartbeatd"}
	dirs := map[string]string{}
	for _, impl := range impls {
		d := filepath.Join(top, impl)
		files := map[string]string{"child.sh": respawnChild, "seq.ctl.1": "exit 0", "seq.ctl.2": "exit 3",
			"seq.ctl.3": "sleep", "seq.ctl.4": "exit 100", "seq.ctl": "sleep", "sleeper.ctl": "sleepgroup"}
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for f, body := range files {
			if err := os.WriteFile(filepath.Join(d, f), []byte(body), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chown(d, uid, gid); err != nil {
			t.Fatal(err)
		}
		dirs[impl] = d
	}
	// lvs1 alone: its peer lvs2, on an address nobody has, is declared dead after initdead
	// (heartbeatd runs two-node clusters only).
	hacf := func(dir string) string {
		return fmt.Sprintf("keepalive 500ms\nwarntime 1\ndeadtime 2\ninitdead 4\nudpport %d\nucast %s 10.200.6.9\n"+
			"auto_failback on\nnode lvs1\nnode lvs2\ncrm off\nenv FOO=bar\n"+
			"respawn %[3]s %[4]s/child.sh seq \"two words\"\nrespawn %[3]s %[4]s/child.sh sleeper \"two words\"\n",
			interop.Port, p.Iface, rspUser, dir)
	}

	orig := interop.StartHeartbeat(t, p.NS[0], interop.Config{Name: "lvs1", HACF: hacf(dirs["original"]),
		Authkeys: authkeysSHA1, Haresources: ""})
	ours := newOurNode(t, p.NS[1], "lvs1", hacf(dirs["heartbeatd"]))
	if err := os.WriteFile(filepath.Join(ours.conf(), "haresources"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	// heartbeatd runs the children in STATE/cores/root when it exists, as heartbeat does
	// in /var/lib/heartbeat/cores/root.
	if err := os.MkdirAll(filepath.Join(ours.dir, "state", "cores", "root"), 0o755); err != nil {
		t.Fatal(err)
	}
	ours.start()
	logs := map[string]func() string{"original": orig.Log, "heartbeatd": ours.logText}
	t.Cleanup(func() {
		if t.Failed() {
			for _, impl := range impls {
				for _, f := range []string{"seq.log", "sleeper.log"} {
					b, _ := os.ReadFile(filepath.Join(dirs[impl], f))
					t.Logf("%s %s:\n%s", impl, f, b)
				}
				t.Logf("%s's log:\n%s", impl, logs[impl]())
			}
		}
	})

	// Run 3 of seq sleeps: the test kills it.
	var wg sync.WaitGroup
	killed := map[string]float64{}
	var mu sync.Mutex
	for _, impl := range impls {
		wg.Add(1)
		go func(impl string) {
			defer wg.Done()
			var run3 *childRun
			if !within(40*time.Second, func() bool {
				runs, _ := childRuns(dirs[impl], "seq")
				if len(runs) >= 3 && runs[2].ready {
					run3 = runs[2]
				}
				return run3 != nil
			}) {
				t.Errorf("%s: seq was not started a 3rd time within 40 s", impl)
				return
			}
			now := float64(time.Now().UnixNano()) / 1e9
			if err := syscall.Kill(run3.pid, syscall.SIGKILL); err != nil {
				t.Errorf("%s: kill -9 %d: %v", impl, run3.pid, err)
			}
			mu.Lock()
			killed[impl] = now
			mu.Unlock()
		}(impl)
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	for _, impl := range impls {
		waitFor(t, 15*time.Second, impl+": seq's 4th run exiting 100", func() bool {
			runs, _ := childRuns(dirs[impl], "seq")
			return len(runs) >= 4 && runs[3].exit != ""
		})
	}
	time.Sleep(3 * time.Second) // no 5th run: exit 100 stops the restarts

	// Shutdown: the sleeper's process group gets SIGTERM.
	var stopWG sync.WaitGroup
	stopWG.Add(2)
	go func() { defer stopWG.Done(); orig.Stop() }()
	go func() { defer stopWG.Done(); ours.stop() }()
	stopWG.Wait()

	type result struct {
		seq, sleeper []*childRun
		gterm        bool
	}
	res := map[string]result{}
	for _, impl := range impls {
		seq, _ := childRuns(dirs[impl], "seq")
		sl, gterm := childRuns(dirs[impl], "sleeper")
		res[impl] = result{seq, sl, gterm}
	}

	for _, impl := range impls {
		r := res[impl]
		// Starts and exits.
		if len(r.seq) != 4 {
			t.Errorf("%s: seq ran %d times, want 4 (0, 3, SIGKILL, 100 and no restart)", impl, len(r.seq))
		}
		if len(r.sleeper) != 1 {
			t.Errorf("%s: sleeper ran %d times, want 1", impl, len(r.sleeper))
		}
		wantExit := []string{"EXIT 0", "EXIT 3", "", "EXIT 100"}
		for i, run := range r.seq {
			if i < len(wantExit) && run.exit != wantExit[i] {
				t.Errorf("%s: seq run %d: %q, want %q", impl, i+1, run.exit, wantExit[i])
			}
		}
		// Restart spacing: from the exit (or the kill) to the next start.
		if len(r.seq) >= 4 {
			ends := []float64{r.seq[0].end, r.seq[1].end, killed[impl]}
			var gaps []string
			for i, end := range ends {
				gap := r.seq[i+1].start - end
				gaps = append(gaps, fmt.Sprintf("%.2fs", gap))
				if gap < 0.9 || gap > 3.5 {
					t.Errorf("%s: seq run %d started %.2f s after run %d ended, want about 1 s", impl, i+2, gap, i+1)
				}
			}
			t.Logf("%s: restart gaps %v", impl, gaps)
		}
		// What each run saw.
		for _, run := range append(slices.Clone(r.seq), r.sleeper...) {
			a := func(k string) string { return strings.Join(run.attrs[k], "|") }
			want := map[string]string{
				"uid": strconv.Itoa(uid), "gid": strconv.Itoa(gid), "groups": fmt.Sprintf("%d %d ", min(gid, supp), max(gid, supp)),
				"argc": "2", "pgid": strconv.Itoa(run.pid), "fd0": "/dev/null", "fd1": "/dev/null", "fd2": "/dev/null",
			}
			for k, v := range want {
				if a(k) != v {
					t.Errorf("%s: run %d (pid %d): %s %q, want %q", impl, run.n, run.pid, k, a(k), v)
				}
			}
			if args := run.attrs["arg"]; len(args) != 2 || args[1] != "[two words]" {
				t.Errorf("%s: run %d: argv %q, want [NAME] [two words]", impl, run.n, args)
			}
			env := map[string]string{}
			for _, kv := range run.attrs["env"] {
				k, v, _ := strings.Cut(kv, "=")
				env[k] = v
			}
			if env["HA_FOO"] != "bar" {
				t.Errorf("%s: run %d: HA_FOO=%q, want bar", impl, run.n, env["HA_FOO"])
			}
			for _, k := range []string{"HA_keepalive", "HA_deadtime", "HA_initdead", "HA_udpport", "HA_CURHOST", "HA_DIR"} {
				if _, ok := env[k]; !ok {
					t.Errorf("%s: run %d: no %s in the environment", impl, run.n, k)
				}
			}
		}
		// Shutdown: SIGTERM to the sleeper's process group (the sleeper and its member).
		if len(r.sleeper) == 1 && !r.sleeper[0].term {
			t.Errorf("%s: the sleeper got no SIGTERM at shutdown", impl)
		}
		if !r.gterm {
			t.Errorf("%s: the other process of the sleeper's process group got no SIGTERM at shutdown", impl)
		}
	}

	// Original against ours, run by run.
	o, u := res["original"], res["heartbeatd"]
	if len(o.seq) >= 1 && len(u.seq) >= 1 && len(o.sleeper) == 1 && len(u.sleeper) == 1 {
		or, ur := o.seq[0], u.seq[0]
		for _, k := range []string{"uid", "gid", "groups", "argc", "arg", "fd0", "fd1", "fd2"} {
			if !slices.Equal(or.attrs[k], ur.attrs[k]) {
				t.Errorf("%s: original %q, heartbeatd %q", k, or.attrs[k], ur.attrs[k])
			}
		}
		// Not compared, logged: the working directory (heartbeat's is
		// /var/lib/heartbeat/cores/root, heartbeatd's STATE/cores/root) and the
		// signals ignored.
		for _, k := range []string{"cwd", "sigign"} {
			t.Logf("%s: original %q, heartbeatd %q", k, or.attrs[k], ur.attrs[k])
		}
		keys := func(r *childRun) map[string]string {
			m := map[string]string{}
			for _, kv := range r.attrs["env"] {
				k, v, _ := strings.Cut(kv, "=")
				m[k] = v
			}
			return m
		}
		oe, ue := keys(or), keys(ur)
		var onlyO, onlyU, diffV []string
		for k, v := range oe {
			if uv, ok := ue[k]; !ok {
				onlyO = append(onlyO, k)
			} else if uv != v {
				diffV = append(diffV, fmt.Sprintf("%s=%q/%q", k, v, uv))
			}
		}
		for k := range ue {
			if _, ok := oe[k]; !ok {
				onlyU = append(onlyU, k)
			}
		}
		slices.Sort(onlyO)
		slices.Sort(onlyU)
		slices.Sort(diffV)
		t.Logf("HA_ environment: only the original's %v; only heartbeatd's %v; values (original/heartbeatd) %v", onlyO, onlyU, diffV)
	}
	if len(o.seq) >= 4 && len(u.seq) >= 4 {
		for i := 0; i < 3; i++ {
			end := func(r result, impl string) float64 {
				if i == 2 {
					return killed[impl]
				}
				return r.seq[i].end
			}
			og, ug := o.seq[i+1].start-end(o, "original"), u.seq[i+1].start-end(u, "heartbeatd")
			// Within 2 s of each other: both restart about 1 s after an exit (each
			// within 0.9–3.5 s above); a loaded CI machine delayed ours by 1.04 s once.
			if math.Abs(og-ug) > 2 {
				t.Errorf("restart %d: original after %.2f s, heartbeatd after %.2f s", i+1, og, ug)
			}
		}
	}

	// The log lines, without time stamps, pids and the directory.
	for _, name := range []string{"seq", "sleeper"} {
		ol := respawnLogLines(orig.Log(), dirs["original"], name)
		ul := respawnLogLines(ours.logText(), dirs["heartbeatd"], name)
		if !slices.Equal(ol, ul) {
			t.Errorf("%s's log lines differ:\noriginal:\n  %s\nheartbeatd:\n  %s", name, strings.Join(ol, "\n  "), strings.Join(ul, "\n  "))
		} else {
			t.Logf("%s's log lines (both):\n  %s", name, strings.Join(ol, "\n  "))
		}
	}
}
