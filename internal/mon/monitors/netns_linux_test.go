package monitors

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/lvskit/lvskit/internal/netnstest"
)

// TestIntegrationNetns checks the built-ins against a server in its own network
// namespace behind a veth pair: up, refused, timeout, wrong HTTP status, link down.
func TestIntegrationNetns(t *testing.T) {
	ns := netnstest.New(t)
	id := os.Getpid() % 100000
	hostIf, nsIf := netnstest.Veth(t, nil, fmt.Sprintf("lkm%da", id), ns, fmt.Sprintf("lkm%db", id))
	hostIf.AddAddr(t, "10.213.7.1/24")
	nsIf.AddAddr(t, "10.213.7.2/24")

	var tcpL, httpL net.Listener
	if err := ns.Do(func() (err error) {
		if tcpL, err = net.Listen("tcp4", "10.213.7.2:0"); err != nil {
			return err
		}
		httpL, err = net.Listen("tcp4", "10.213.7.2:0")
		return err
	}); err != nil {
		t.Fatal(err)
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
	nsIf.SetDown(t)
	if r := FPing(ctx, []string{"-r", "1", "-t", "200", "10.213.7.2"}); r.Exit != 1 {
		t.Errorf("fping link down: %+v", r)
	}
}
