package daemon

import (
	"context"
	"io"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

type fakeQuerier struct{ got []string }

func (f *fakeQuerier) Query(_ context.Context, args []string) (string, int) {
	f.got = args
	return "local\n", 3
}

func TestControlSocketRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hb.sock")
	ln, err := ListenControl(path)
	if err != nil {
		t.Fatal(err)
	}
	q := &fakeQuerier{}
	done := make(chan error, 1)
	go func() { done <- ServeControl(ln, q) }()
	out, code, err := Query(path, []string{"rscstatus", "-m"})
	if err != nil || out != "local\n" || code != 3 {
		t.Fatalf("Query = %q, %d, %v", out, code, err)
	}
	if strings.Join(q.got, " ") != "rscstatus -m" {
		t.Errorf("server got %q", q.got)
	}
	if _, err := ListenControl(path); err == nil {
		t.Error("a second daemon could take over a live control socket")
	}
	ln.Close()
	if err := <-done; err != nil {
		t.Errorf("ServeControl: %v", err)
	}
	if _, _, err := Query(path, []string{"hbstatus"}); err == nil {
		t.Error("Query succeeded with nothing listening")
	}
}

func TestStatusHandler(t *testing.T) {
	s := Snapshot{Node: "lvs1", RscStatus: "local", Groups: []string{"10.0.0.100"}, Running: []string{"10.0.0.100"},
		Nodes:    []NodeSnapshot{{Name: "lvs2", Type: "normal", Status: "active", Links: map[string]string{"eth0": "up"}, LinkOrder: []string{"eth0"}}},
		Counters: Counters{Sent: 7, ByType: map[string]uint64{"status": 5}}}
	srv := httptest.NewServer(StatusHandler(func() Snapshot { return s }))
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
