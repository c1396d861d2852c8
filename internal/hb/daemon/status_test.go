package daemon

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lvskit/lvskit/internal/hb/core"
)

func TestStatusHandler(t *testing.T) {
	s := core.Snapshot{Node: "lvs1", RscStatus: "local", Groups: []string{"10.0.0.100"}, Running: []string{"10.0.0.100"},
		Nodes:    []core.NodeSnapshot{{Name: "lvs2", Type: "normal", Status: "active", Links: map[string]string{"eth0": "up"}, LinkOrder: []string{"eth0"}}},
		Counters: core.Counters{Sent: 7, ByType: map[string]uint64{"status": 5}}}
	srv := httptest.NewServer(StatusHandler(func() core.Snapshot { return s }))
	defer srv.Close()
	get := func(path string) string {
		r, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return string(b)
	}
	m := get("/metrics")
	for _, want := range []string{
		`heartbeat_node_up{node="lvs2",type="normal",status="active"} 1`,
		`heartbeat_link_up{node="lvs2",link="eth0"} 1`,
		`heartbeat_resource_group_running{group="10.0.0.100"} 1`,
		`heartbeat_messages_sent_total 7`,
		`heartbeat_messages_received_by_type_total{type="status"} 5`,
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, m)
		}
	}
	if j := get("/status"); !strings.Contains(j, `"rscstatus": "local"`) {
		t.Errorf("/status: %s", j)
	}
}

// TestControlSocketCreatedWithItsMode: the socket never exists at its path with a mode
// more open than ControlSocketMode. With umask 0 a socket bound at the path would be
// 0777 until a chmod; so the path must only ever appear by a rename, and nothing but a
// (private, 0700) directory may be created beside it.
func TestStatusServerBounded(t *testing.T) {
	srv := NewStatusServer(func() core.Snapshot { return core.Snapshot{} })
	if srv.ReadHeaderTimeout <= 0 || srv.ReadTimeout <= 0 || srv.WriteTimeout <= 0 || srv.IdleTimeout <= 0 || srv.MaxHeaderBytes <= 0 || srv.MaxHeaderBytes > 64<<10 {
		t.Fatalf("unbounded: %+v", srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/status", nil)
	req.Header.Set("X-Big", strings.Repeat("x", 100<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("100 KiB header: %s", resp.Status)
	}
}
