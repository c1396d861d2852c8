package monitors

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// inNetns runs f on a thread switched into the named network namespace, so sockets it
// creates live there.
func inNetns(t *testing.T, name string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		// The thread is left locked (and so discarded) if switching back fails.
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			t.Error(err)
			return
		}
		defer orig.Close()
		ns, err := os.Open("/run/netns/" + name)
		if err != nil {
			t.Error(err)
			return
		}
		defer ns.Close()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			t.Error(err)
			return
		}
		f()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err == nil {
			runtime.UnlockOSThread()
		}
	}()
	<-done
}

func ip(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// TestIntegrationNetns checks the built-ins against a server in its own network
// namespace behind a veth pair: up, refused, timeout, wrong HTTP status, link down.
func TestIntegrationNetns(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root for network namespaces (CI runs as root)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("iproute2 not installed")
	}
	id := os.Getpid() % 100000
	ns := fmt.Sprintf("lvskit-mon-%d", id)
	hostIf, nsIf := fmt.Sprintf("lkm%da", id), fmt.Sprintf("lkm%db", id)
	ip(t, "netns", "add", ns)
	t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	ip(t, "link", "add", hostIf, "type", "veth", "peer", "name", nsIf)
	t.Cleanup(func() { exec.Command("ip", "link", "del", hostIf).Run() })
	ip(t, "link", "set", nsIf, "netns", ns)
	ip(t, "addr", "add", "10.213.7.1/24", "dev", hostIf)
	ip(t, "link", "set", hostIf, "up")
	ip(t, "-n", ns, "addr", "add", "10.213.7.2/24", "dev", nsIf)
	ip(t, "-n", ns, "link", "set", nsIf, "up")
	ip(t, "-n", ns, "link", "set", "lo", "up")

	var tcpL, httpL net.Listener
	inNetns(t, ns, func() {
		var err error
		if tcpL, err = net.Listen("tcp4", "10.213.7.2:0"); err != nil {
			t.Error(err)
		}
		if httpL, err = net.Listen("tcp4", "10.213.7.2:0"); err != nil {
			t.Error(err)
		}
	})
	if t.Failed() {
		return
	}
	defer tcpL.Close()
	go func() {
		for {
			c, err := tcpL.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			w.WriteHeader(503)
			return
		}
		w.Write([]byte("ok"))
	})}
	go srv.Serve(httpL)
	defer srv.Close()
	tcpPort := strconv.Itoa(tcpL.Addr().(*net.TCPAddr).Port)
	httpPort := strconv.Itoa(httpL.Addr().(*net.TCPAddr).Port)
	ctx := context.Background()

	if r := TCP(ctx, []string{"-p", tcpPort, "-t", "2", "10.213.7.2"}); r.Exit != 0 {
		t.Errorf("tcp up: %+v", r)
	}
	if r := TCP(ctx, []string{"-p", "1", "-t", "2", "10.213.7.2"}); r.Exit != 1 || !strings.Contains(r.Output, "10.213.7.2 could not connect: Connection refused") {
		t.Errorf("tcp refused: %+v", r)
	}
	// Nobody owns .3: ARP goes unanswered and the connect outlasts -t 1.
	if r := TCP(ctx, []string{"-p", tcpPort, "-t", "1", "10.213.7.3"}); r.Exit != 1 || r.Output != "10.213.7.3\n\n10.213.7.3 timeout\n" {
		t.Errorf("tcp timeout: %+v", r)
	}
	if r := HTTP(ctx, []string{"-p", httpPort, "-t", "2", "10.213.7.2"}); r.Exit != 0 {
		t.Errorf("http up: %+v", r)
	}
	if r := HTTP(ctx, []string{"-p", httpPort, "-u", "/down", "10.213.7.2"}); r.Exit != 1 || !strings.Contains(r.Output, "HTTP/1.0 503 Service Unavailable") {
		t.Errorf("http 503: %+v", r)
	}
	if r := Ping(ctx, []string{"10.213.7.2"}); r.Exit != 0 {
		t.Errorf("ping up: %+v", r)
	}
	if r := FPing(ctx, []string{"-r", "0", "-t", "300", "10.213.7.2", "10.213.7.3"}); r.Exit != 1 || !strings.HasPrefix(r.Output, "10.213.7.3\n\n") {
		t.Errorf("fping one down: %+v", r)
	}
	ip(t, "-n", ns, "link", "set", nsIf, "down")
	if r := FPing(ctx, []string{"-r", "1", "-t", "200", "10.213.7.2"}); r.Exit != 1 {
		t.Errorf("fping link down: %+v", r)
	}
}
