package interop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/netnstest"
)

// Config is what one original node runs with. HACF, Authkeys and
// Haresources are the files' full text; the harness adds logfile and
// debugfile lines pointing into the node's directory unless HACF has them.
type Config struct {
	Name        string // node name = hostname in the node's UTS namespace
	HACF        string
	Authkeys    string
	Haresources string
	// Scripts are installed as /etc/ha.d/resource.d/<name>, mode 0755.
	Scripts map[string]string
}

// Node is one running original heartbeat.
type Node struct {
	Name string
	NS   *netnstest.NS
	Dir  string // per-node root: etc/ (=/etc/ha.d), lib/, run/, ha-log
	pid  int    // master control process
	mnt  string // its mount namespace, "mnt:[inode]"
	t    testing.TB
}

// The setup runs as "sh -c nodeScript sh NAME DIR" inside
// "unshare --mount --uts --propagation private" in the node's namespace (NS.Run).
const nodeScript = `set -e
name=$1; dir=$2; keep=${3:-}
hostname "$name"
cp -a /etc/ha.d/. "$dir/etc/"
cp "$dir/conf/ha.cf" "$dir/conf/authkeys" "$dir/conf/haresources" "$dir/etc/"
chmod 600 "$dir/etc/authkeys"
for s in "$dir"/conf/rsc/*; do [ -e "$s" ] || continue; cp "$s" "$dir/etc/resource.d/"; chmod 755 "$dir/etc/resource.d/${s##*/}"; done
mount --bind "$dir/etc" /etc/ha.d
if [ "$keep" != keep ]; then
	cp -a /var/lib/heartbeat/. "$dir/lib/"
	rm -f "$dir/lib/hb_generation" "$dir/lib/hb_uuid" "$dir/lib/hostcache" "$dir/lib/delhostcache" "$dir/lib/fifo"
fi
mount --bind "$dir/lib" /var/lib/heartbeat
mount --bind "$dir/run" /run
for d in heartbeat heartbeat/ccm heartbeat/crm heartbeat/dopd crm; do
	mkdir -p "/run/$d"; chown hacluster:haclient "/run/$d"; chmod 750 "/run/$d"
done
mkdir -p /run/lock/subsys
exec ` + HeartbeatBin + `
`

// StartHeartbeat starts the original heartbeat as node cfg.Name in network
// namespace ns and waits until its master control process has written its
// pid file. The node is stopped when the test ends.
func StartHeartbeat(t testing.TB, ns *netnstest.NS, cfg Config) *Node {
	t.Helper()
	dir := filepath.Join(t.TempDir(), cfg.Name)
	for _, d := range []string{"etc", "lib", "run", "conf/rsc"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// t.TempDir is 0700; heartbeat's children run as hacluster.
	for d := dir; d != os.TempDir() && d != "/"; d = filepath.Dir(d) {
		_ = os.Chmod(d, 0o755)
		if filepath.Dir(d) == os.TempDir() {
			break
		}
	}
	hacf := cfg.HACF
	if !strings.Contains(hacf, "logfile") {
		hacf = "logfile " + dir + "/ha-log\ndebugfile " + dir + "/ha-debug\n" + hacf
	}
	files := map[string]string{"ha.cf": hacf, "authkeys": cfg.Authkeys, "haresources": cfg.Haresources}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, "conf", name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range cfg.Scripts {
		if err := os.WriteFile(filepath.Join(dir, "conf/rsc", name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	n := &Node{Name: cfg.Name, NS: ns, Dir: dir, t: t}
	t.Cleanup(n.Stop)
	n.launch(false)
	return n
}

// launch runs the node script; keep reuses /var/lib/heartbeat from the
// previous run (a restart) instead of a fresh copy.
func (n *Node) launch(keep bool) {
	t := n.t
	t.Helper()
	_ = os.Remove(filepath.Join(n.Dir, "run", "heartbeat.pid"))
	arg := ""
	if keep {
		arg = "keep"
	}
	out, err := n.NS.Run("unshare", "--mount", "--uts", "--propagation", "private",
		"sh", "-c", nodeScript, "sh", n.Name, n.Dir, arg)
	if err != nil {
		t.Fatalf("start heartbeat %s: %v\n%s", n.Name, err, n.Log())
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(n.Dir, "run", "heartbeat.pid"))
		if err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 1 {
				n.pid = pid
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("heartbeat %s wrote no pid file: %s\n%s", n.Name, out, n.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
	mnt, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", n.pid))
	if err != nil {
		t.Fatalf("heartbeat %s: %v", n.Name, err)
	}
	n.mnt = mnt
}

// Restart stops the node cleanly and starts it again with the same
// /var/lib/heartbeat (generation, uuid, host cache).
func (n *Node) Restart() {
	n.Stop()
	n.launch(true)
}

// Exec runs argv inside the node's network, mount and UTS namespaces.
func (n *Node) Exec(argv ...string) ([]byte, error) {
	if n.pid == 0 {
		return nil, errors.New("node not running")
	}
	return Run(context.Background(), append([]string{"nsenter", "-t", strconv.Itoa(n.pid), "-m", "-u", "-n"}, argv...)...)
}

// ClStatus runs the original cl_status against this node's API socket.
func (n *Node) ClStatus(args ...string) (string, error) {
	out, err := n.Exec(append([]string{ClStatusBin}, args...)...)
	return strings.TrimSpace(string(out)), err
}

// WaitClStatus polls cl_status args until it prints exactly want or timeout
// passes.
func (n *Node) WaitClStatus(timeout time.Duration, want string, args ...string) error {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		// cl_status also reports through its exit status (nodestatus
		// exits 1 for a dead node), so only the output is compared.
		out, err := n.ClStatus(args...)
		last = out
		if out == want {
			return nil
		}
		if err != nil {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cl_status %s on %s: got %q, want %q", strings.Join(args, " "), n.Name, last, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Log returns the node's heartbeat log so far.
func (n *Node) Log() string {
	b, _ := os.ReadFile(filepath.Join(n.Dir, "ha-log"))
	return string(b)
}

// ReadFile reads a file of the node's /var/lib/heartbeat.
func (n *Node) ReadFile(name string) ([]byte, error) {
	return os.ReadFile(filepath.Join(n.Dir, "lib", name))
}

// procs lists the processes in the node's mount namespace: heartbeat and
// everything it started.
func (n *Node) procs() []int {
	if n.mnt == "" {
		return nil
	}
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/mnt", pid)); err == nil && l == n.mnt {
			pids = append(pids, pid)
		}
	}
	return pids
}

// Kill9 SIGKILLs every process of the node, as a crash would.
func (n *Node) Kill9() {
	netnstest.KillAll(n.procs)
	n.pid = 0
}

// Stop shuts the node down cleanly (heartbeat -k, which releases its
// resources), then kills whatever is left. Safe to call twice.
func (n *Node) Stop() {
	if n.pid == 0 {
		return
	}
	_, _ = n.Exec(HeartbeatBin, "-k")
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) && len(n.procs()) > 0 {
		time.Sleep(100 * time.Millisecond)
	}
	n.Kill9()
}

// Standby runs the original's hb_standby on the node (give resources away).
func (n *Node) Standby() error {
	_, err := n.Exec("/usr/share/heartbeat/hb_standby")
	return err
}

// Takeover runs the original's hb_takeover on the node.
func (n *Node) Takeover() error {
	_, err := n.Exec("/usr/share/heartbeat/hb_takeover")
	return err
}
