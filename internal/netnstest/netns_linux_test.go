package netnstest

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestNamespace: a namespace has lo up and nothing else; Do's sockets and Command's
// processes are in it; the test's own thread is not; the end of the test kills what
// runs in it and deletes it.
func TestNamespace(t *testing.T) {
	Require(t)
	var n *NS
	var sleeper int
	t.Run("inside", func(t *testing.T) {
		n = New(t)
		if _, err := os.Stat(filepath.Join(runDir, n.Name)); err != nil {
			t.Fatalf("not in ip netns list: %v", err)
		}
		out, err := n.Run("ip", "-o", "link", "show")
		if err != nil {
			t.Fatal(err)
		}
		if lines := strings.Split(strings.TrimSpace(string(out)), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "lo:") || !strings.Contains(lines[0], "UP") {
			t.Errorf("links in a new namespace:\n%s", out)
		}
		var l net.Listener
		if err := n.Do(func() (err error) {
			l, err = net.Listen("tcp4", "127.0.0.1:0")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			if c, err := l.Accept(); err == nil {
				c.Close()
			}
		}()
		if c, err := net.DialTimeout("tcp4", l.Addr().String(), time.Second); err == nil {
			c.Close()
			t.Errorf("%s answers in the test's namespace", l.Addr())
		}
		if err := n.Do(func() error {
			c, err := net.DialTimeout("tcp4", l.Addr().String(), time.Second)
			if err == nil {
				c.Close()
			}
			return err
		}); err != nil {
			t.Errorf("the listener is not in the namespace: %v", err)
		}
		want := errors.New("fn's error")
		if err := n.Do(func() error { return want }); err != want {
			t.Errorf("Do returned %v, want fn's error", err)
		}
		cmd := n.Command("sleep", "60")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go cmd.Wait()
		sleeper = cmd.Process.Pid
		deadline := time.Now().Add(5 * time.Second)
		for !slices.Contains(n.Pids(), sleeper) {
			if time.Now().After(deadline) {
				t.Fatalf("sleep (pid %d) not among the namespace's processes %v", sleeper, n.Pids())
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	if n == nil {
		return
	}
	if _, err := os.Stat(filepath.Join(runDir, n.Name)); !os.IsNotExist(err) {
		t.Errorf("namespace still there after its test: %v", err)
	}
	// Killed by the cleanup, reaped by the goroutine's Wait: give both 3 s.
	for i := 0; ; i++ {
		_, err := os.Stat("/proc/" + strconv.Itoa(sleeper) + "/ns/net")
		if err != nil {
			break
		}
		if i == 60 {
			t.Errorf("process %d left running in the deleted namespace", sleeper)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStar: two namespaces on a bridge in a third reach each other and the bridge's
// address; a port set down cuts its namespace off; a veth end in the test's own
// namespace goes at the end of the test.
func TestStar(t *testing.T) {
	Require(t)
	var host Link
	t.Run("star", func(t *testing.T) {
		gw := New(t)
		br := Bridge(t, gw, "br0")
		br.AddAddr(t, "10.250.0.254/24")
		var port [2]Link
		var node [2]*NS
		for i := range 2 {
			node[i] = New(t)
			var eth0 Link
			eth0, port[i] = Veth(t, node[i], "eth0", gw, "port"+strconv.Itoa(i))
			port[i].SetMaster(t, br)
			eth0.AddAddr(t, "10.250.0."+strconv.Itoa(i+1)+"/24")
		}
		ping := func(n *NS, addr string) error {
			_, err := n.Run("ping", "-c", "1", "-W", "1", addr)
			return err
		}
		for _, dst := range []string{"10.250.0.2", "10.250.0.254"} {
			if err := ping(node[0], dst); err != nil {
				t.Errorf("node 0 to %s: %v", dst, err)
			}
		}
		port[1].SetDown(t)
		if err := ping(node[0], "10.250.0.2"); err == nil {
			t.Error("node 1 answers with its bridge port down")
		}
		out, err := node[0].Run("ip", "-o", "-4", "addr", "show", "dev", "eth0")
		if err != nil || !strings.Contains(string(out), "10.250.0.1/24 brd 10.250.0.255") {
			t.Errorf("eth0's address (with its broadcast address): %v\n%s", err, out)
		}

		name := "nst" + strconv.Itoa(os.Getpid()%100000)
		host, _ = Veth(t, nil, name, node[1], "eth1")
		if _, err := net.InterfaceByName(name); err != nil {
			t.Errorf("host end: %v", err)
		}
	})
	if host.Name == "" {
		return
	}
	if _, err := net.InterfaceByName(host.Name); err == nil {
		t.Errorf("host end %s still there after its test", host.Name)
	}
}
