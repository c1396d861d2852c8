package lvsbgp

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/lvsbgp/lvsbgptest"
	"github.com/lvskit/lvskit/internal/netnstest"
)

// Without --foreground, lvs-bgp returns once its background copy is up (it answers
// on its control socket) with that copy's stdout and stderr on /dev/null; a copy that
// fails to start (here: its --http port taken) makes it fail with the copy's error.
func TestBackground(t *testing.T) {
	ns := netnstest.New(t)
	dir := t.TempDir()
	table := lvsbgptest.FileTable(filepath.Join(dir, "table"))
	if err := table.SetUp(true); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "lvs-bgp.conf")
	// The neighbour is nowhere: the speaker keeps trying, which is all this needs.
	if err := os.WriteFile(conf, []byte("router-id 10.9.9.1\nlocal-as 65011\nneighbor 10.9.9.2 remote-as 65000\n"+
		"vip 10.0.0.100 port 80 tcp\ncheck-interval 1s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	start := func(socket string, more ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := ns.CommandContext(ctx, self, append([]string{"-f", conf, "--socket", socket}, more...)...)
		cmd.Env = append(os.Environ(), lvsbgptest.TableEnv+"="+string(table))
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	socket := filepath.Join(dir, "ok.sock")
	if out, err := start(socket); err != nil {
		t.Fatalf("lvs-bgp in the background: %v\n%s", err, out)
	}
	pid := copyOf(t, socket)
	t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
	if _, code, err := Query(socket, []string{"status"}); err != nil || code != 0 {
		t.Errorf("status right after the start: %d %v", code, err)
	}
	for _, fd := range []string{"1", "2"} {
		if l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + fd); err != nil || l != os.DevNull {
			t.Errorf("the background lvs-bgp's fd %s is %q (%v), want %s", fd, l, err, os.DevNull)
		}
	}

	// Its HTTP port taken (inside the namespace), a second one does not start.
	var taken net.Listener
	if err := ns.Do(func() error {
		var err error
		taken, err = net.Listen("tcp", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	bad := filepath.Join(dir, "bad.sock")
	out, err := start(bad, "--http", taken.Addr().String())
	if err == nil || !strings.Contains(out, "--http "+taken.Addr().String()) {
		t.Errorf("with its HTTP port taken: %v, %q; want a failure naming --http", err, out)
	}
	if _, _, err := Query(bad, []string{"status"}); err == nil {
		t.Error("the failed copy answers on its socket")
	}
}

// copyOf finds the background lvs-bgp serving socket: the process whose command line
// names it with --foreground (the copy's first argument).
func copyOf(t *testing.T, socket string) int {
	t.Helper()
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		args := strings.Split(string(b), "\x00")
		if len(args) > 2 && args[1] == "--foreground" && strings.Contains(string(b), socket) {
			return pid
		}
	}
	t.Fatalf("no background lvs-bgp for %s", socket)
	return 0
}
