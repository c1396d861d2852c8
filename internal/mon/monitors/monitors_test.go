package monitors

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// refusedPort returns a loopback port nothing listens on.
func refusedPort(t *testing.T) int {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return p
}

// stuckPort returns a loopback port whose accept queue is full, so new connections
// hang in SYN_SENT: a connect timeout without any network setup.
func stuckPort(t *testing.T) int {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, _ := syscall.Getsockname(fd)
	port := sa.(*syscall.SockaddrInet4).Port
	// Fill the queue (backlog 0 still admits one, sometimes two).
	for i := 0; i < 3; i++ {
		d := net.Dialer{Timeout: 300 * time.Millisecond}
		if c, err := d.Dial("tcp4", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			t.Cleanup(func() { c.Close() })
		}
	}
	return port
}

func TestTCP(t *testing.T) {
	t.Parallel() // each waits out a monitor timeout
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	up := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	if r := TCP(context.Background(), []string{"-p", up, "127.0.0.1"}); r.Exit != 0 || r.Output != "" {
		t.Errorf("up: %+v", r)
	}
	refused := strconv.Itoa(refusedPort(t))
	r := TCP(context.Background(), []string{"-p", refused, "-t", "2", "127.0.0.1", "localhost"})
	want := "127.0.0.1 localhost\n\n127.0.0.1 could not connect: Connection refused\nlocalhost could not connect: Connection refused\n"
	if r.Exit != 1 || r.Output != want {
		t.Errorf("refused: exit %d output %q, want %q", r.Exit, r.Output, want)
	}
	stuck := strconv.Itoa(stuckPort(t))
	r = TCP(context.Background(), []string{"-p" + stuck, "-t1", "127.0.0.1"})
	if r.Exit != 1 || r.Output != "127.0.0.1\n\n127.0.0.1 timeout\n" {
		t.Errorf("timeout: %+v", r)
	}
}

func TestHTTP(t *testing.T) {
	t.Parallel() // each waits out a monitor timeout
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.UserAgent() != "mon.d/http.monitor" || r.Proto != "HTTP/1.0" {
			w.WriteHeader(400)
			return
		}
		w.Write([]byte("hello"))
	})
	mux.HandleFunc("/bad", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		// Slower than the monitor's -t 1; done when the monitor hangs up.
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	port := strconv.Itoa(srv.Listener.Addr().(*net.TCPAddr).Port)

	r := HTTP(context.Background(), []string{"-p", port, "-t", "5", "127.0.0.1"})
	if r.Exit != 0 || !strings.HasPrefix(r.Output, "\nHOST 127.0.0.1: ok\nHTTP/1.0 200 OK\r\n") {
		t.Errorf("up: %+v", r)
	}
	r = HTTP(context.Background(), []string{"-p", port, "-u", "/bad", "127.0.0.1"})
	if r.Exit != 1 || !strings.HasPrefix(r.Output, "127.0.0.1\nHOST 127.0.0.1: HTTP response code failure\nHTTP/1.0 500 Internal Server Error\r\n") {
		t.Errorf("500: %+v", r)
	}
	r = HTTP(context.Background(), []string{"-p", port, "-m", "nomatch", "-o", "127.0.0.1"})
	if r.Exit != 1 || !strings.Contains(r.Output, "HOST 127.0.0.1: Regex match failed\n") {
		t.Errorf("-m: %+v", r)
	}
	r = HTTP(context.Background(), []string{"-p", strconv.Itoa(refusedPort(t)), "127.0.0.1"})
	if diff := cmp.Diff(Result{Output: "127.0.0.1\nHOST 127.0.0.1: HTTP response code failure\n\n", Exit: 1}, r); diff != "" {
		t.Errorf("refused (-want +got):\n%s", diff)
	}
	r = HTTP(context.Background(), []string{"-p", port, "-u", "/slow", "-t", "1", "127.0.0.1"})
	if r.Exit != 1 || !strings.Contains(r.Output, "HOST 127.0.0.1: timeout after 1 seconds\n") {
		t.Errorf("timeout: %+v", r)
	}
	if r := HTTP(context.Background(), nil); r.Exit != 0 || r.Output != "" {
		t.Errorf("no hosts: %+v", r)
	}
}

// lineServer answers each connection with greet, then one reply per line read.
func lineServer(t *testing.T, greet string, replies map[string]string) int {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				c.Write([]byte(greet))
				rd := bufio.NewReader(c)
				for {
					line, err := rd.ReadString('\n')
					if err != nil {
						return
					}
					verb := strings.ToUpper(strings.Fields(line + " x")[0])
					if rep, ok := replies[verb]; ok {
						c.Write([]byte(rep))
					}
				}
			}()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

func TestSMTP(t *testing.T) {
	good := lineServer(t, "220-hello\r\n220 ready\r\n", map[string]string{"HELO": "250 hi\r\n", "QUIT": "221 bye\r\n"})
	r := SMTP(context.Background(), []string{"-p", strconv.Itoa(good), "127.0.0.1"})
	if r.Exit != 0 || !strings.HasPrefix(r.Output, "\n\n127.0.0.1 succeeded\ndetail for 127.0.0.1\n") || !strings.Contains(r.Output, "220 ready\r\n250 hi\r\n221 bye\r\n") {
		t.Errorf("good: %q", r.Output)
	}
	bad := lineServer(t, "554 go away\r\n", nil)
	r = SMTP(context.Background(), []string{"-p", strconv.Itoa(bad), "127.0.0.1"})
	if r.Exit != 1 || !strings.HasPrefix(r.Output, "127.0.0.1\n127.0.0.1 failed with error did not receive 220 greeting\n") {
		t.Errorf("bad greeting: %q", r.Output)
	}
	r = SMTP(context.Background(), []string{"-p", strconv.Itoa(refusedPort(t)), "127.0.0.1"})
	if r.Exit != 1 || !strings.Contains(r.Output, "failed with error Unable to create SMTP connection to port") {
		t.Errorf("refused: %q", r.Output)
	}
}

func TestTelnet(t *testing.T) {
	t.Parallel() // each waits out a monitor timeout
	// IAC DO ECHO, then the prompt.
	up := lineServer(t, "\xff\xfd\x01Debian\r\nlogin: ", nil)
	if r := Telnet(context.Background(), []string{"-p", strconv.Itoa(up), "127.0.0.1"}); r.Exit != 0 {
		t.Errorf("up: %+v", r)
	}
	noprompt := lineServer(t, "hello\r\n", nil)
	r := Telnet(context.Background(), []string{"-p", strconv.Itoa(noprompt), "-t", "1", "127.0.0.1"})
	if r.Exit != 1 || r.Output != "127.0.0.1\n127.0.0.1: did not get prompt: pattern match timed-out\n" {
		t.Errorf("no prompt: %q", r.Output)
	}
	p := strconv.Itoa(refusedPort(t))
	r = Telnet(context.Background(), []string{"-p", p, "127.0.0.1"})
	if r.Exit != 1 || r.Output != "127.0.0.1\n127.0.0.1: problem connecting to \"127.0.0.1\", port "+p+": Connection refused\n" {
		t.Errorf("refused: %q", r.Output)
	}
}

func TestGetopts(t *testing.T) {
	o, rest := getopts("p:t:o", []string{"-op80", "-t", "5", "h1", "-x"})
	if o['p'] != "80" || o['o'] != "1" || o['t'] != "5" || len(rest) != 2 {
		t.Errorf("getopts: %v %v", o, rest)
	}
}

func TestPingLoopback(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("ICMP needs root (or ping_group_range); CI runs as root")
	}
	if r := Ping(context.Background(), []string{"127.0.0.1"}); r.Exit != 0 {
		t.Errorf("ping up: %+v", r)
	}
	if r := Ping(context.Background(), nil); r.Exit != 1 || r.Output != "ping: no hosts found\n" {
		t.Errorf("no hosts: %+v", r)
	}
	r := FPing(context.Background(), []string{"-r", "0", "127.0.0.1"})
	if r.Exit != 0 || !strings.HasPrefix(r.Output, "\nstart time: ") || !strings.Contains(r.Output, "reachable hosts") {
		t.Errorf("fping up: %+v", r)
	}
}

func TestDNSCaching(t *testing.T) {
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go serveDNS(pc)
	srv := pc.LocalAddr().String()
	if r := DNS(context.Background(), []string{"-caching_only", "-query", "www.example.test", "-timeout", "2", srv}); r.Exit != 0 {
		t.Errorf("answer: %+v", r)
	}
	r := DNS(context.Background(), []string{"-caching_only", "-query", "nx.example.test", "-retry", "0", "-timeout", "2", srv})
	if r.Exit != 1 || !strings.HasPrefix(r.Output, "nx.example.test@"+srv) {
		t.Errorf("nxdomain: %+v", r)
	}
}
