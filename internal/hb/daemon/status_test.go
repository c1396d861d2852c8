package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/hacf"
	"github.com/lvskit/lvskit/compat/haresources"
	"github.com/lvskit/lvskit/compat/hbwire"
	"github.com/lvskit/lvskit/internal/clock"
	"github.com/lvskit/lvskit/internal/hb/core"
	"github.com/lvskit/lvskit/internal/hb/transport"
	"github.com/lvskit/lvskit/internal/ipvs"
	"github.com/lvskit/lvskit/internal/ipvsmetrics"
	"github.com/lvskit/lvskit/internal/statushttp"
	"github.com/lvskit/lvskit/internal/statushttp/statushttptest"
	"net/http/httptest"
)

// fakeRunner runs groups instantly; a start of a group in failStart fails.
type fakeRunner struct {
	mu        sync.Mutex
	failStart map[string]bool
	running   map[string]bool
}

func (r *fakeRunner) Acquire(_ context.Context, g haresources.Group) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failStart[g.Key()] {
		return errors.New("IPaddr: exit 1")
	}
	r.running[g.Key()] = true
	return nil
}

func (r *fakeRunner) Release(_ context.Context, g haresources.Group) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.running, g.Key())
	return nil
}

// nopSender drops what the core sends (the peer is played by the test).
type nopSender struct{}

func (nopSender) Send(*hbwire.Message) error { return nil }

// loopRig is a Loop on a fake clock with a fake runner, the peer lvs2 played by the
// test through the inbound channel, and a ping node answering on demand.
type loopRig struct {
	t      *testing.T
	clk    *clock.Fake
	loop   *Loop
	in     chan transport.Inbound
	pings  chan string
	runner *fakeRunner
	done   chan error
	cancel context.CancelFunc
	base   string
}

func newLoopRig(t *testing.T) *loopRig {
	h := &hacf.Config{File: "ha.cf", Nodes: []string{"lvs1", "lvs2"},
		Media:     []hacf.Medium{{Kind: hacf.Ucast, Interface: "eth0", Port: 694}},
		Keepalive: 200 * time.Millisecond, Warntime: time.Second, Deadtime: 2 * time.Second,
		Initdead: 4 * time.Second, Deadping: 2 * time.Second, UDPPort: 694, AutoFailback: hacf.FailbackOn,
		Pings: []string{"10.0.0.254"}}
	f, err := haresources.Parse("haresources", strings.NewReader("lvs1 10.0.0.100 lvs\nlvs1 10.0.0.101\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := &loopRig{t: t, clk: clock.NewFake(time.Unix(1_800_000_000, 0)), in: make(chan transport.Inbound, 16),
		pings: make(chan string, 64), done: make(chan error, 1),
		runner: &fakeRunner{failStart: map[string]bool{"10.0.0.101": true}, running: map[string]bool{}}}
	r.loop, err = NewLoop(LoopConfig{Core: core.Config{Node: "lvs1", HA: h, Groups: f.Groups, Net: nopSender{}, Log: nopLog{}},
		Clock: r.clk, In: r.in, Pings: r.pings, Runner: r.runner})
	if err != nil {
		t.Fatal(err)
	}
	stop, addr, err := statushttp.Listen("127.0.0.1:0", StatusHandler(r.loop.Snapshot))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stop() })
	r.base = "http://" + addr.String()
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- r.loop.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// sync returns once the loop has handled everything sent to it so far and published
// the result.
func (r *loopRig) sync() {
	r.t.Helper()
	for range 2 {
		if err := r.loop.Do(context.Background(), func(*core.Core, time.Time) error { return nil }); err != nil {
			r.t.Fatal(err)
		}
	}
}

// advance moves time on in 100 ms steps, the ping node answering at each.
func (r *loopRig) advance(d time.Duration) {
	for end := r.clk.Now().Add(d); r.clk.Now().Before(end); {
		r.pings <- "10.0.0.254"
		r.clk.Advance(100 * time.Millisecond)
		r.sync()
	}
}

// waitFor waits (in real time: group runs are goroutines) for the published snapshot
// to satisfy cond.
func (r *loopRig) waitFor(what string, cond func(core.Snapshot) bool) {
	r.t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		r.sync()
		if cond(r.loop.Snapshot()) {
			return
		}
	}
	r.t.Fatalf("waiting for %s: snapshot %+v", what, r.loop.Snapshot())
}

func (r *loopRig) get(path string) (int, string) {
	r.t.Helper()
	code, body := statushttptest.Get(r.t, r.base+path)
	return code, string(body)
}

// metrics scrapes /metrics, checks it with promtool, and returns it.
func (r *loopRig) metrics() []byte {
	r.t.Helper()
	code, body := statushttptest.Get(r.t, r.base+"/metrics")
	if code != http.StatusOK {
		r.t.Fatalf("/metrics: %d\n%s", code, body)
	}
	statushttptest.CheckMetrics(r.t, body)
	return body
}

func wantSamples(t *testing.T, when string, m []byte, want map[string]string) {
	t.Helper()
	for series, v := range want {
		if got := statushttptest.Sample(m, series+" "); got != v {
			t.Errorf("%s: %s = %q, want %q", when, series, got, v)
		}
	}
}

// TestStatusEndpoints: heartbeatd's loop in known states, through the real HTTP handler:
// not ready while starting, a member after initdead with the peer silent (one group
// acquired, one failing to start), a peer claiming our group counted as dual-active,
// and the releases of a shutdown; every exposition passes promtool.
func TestStatusEndpoints(t *testing.T) {
	r := newLoopRig(t)
	r.sync()
	if code, body := r.get("/readyz"); code != http.StatusServiceUnavailable || !strings.Contains(body, "starting") {
		t.Errorf("/readyz while starting: %d %q", code, body)
	}
	if code, body := r.get("/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	m := r.metrics()
	wantSamples(t, "starting", m, map[string]string{
		`heartbeat_member`:                                               "0",
		`heartbeat_local_status{status="active"}`:                        "0",
		`heartbeat_node_up{node="lvs2",type="normal"}`:                   "0",
		`heartbeat_node_status{node="lvs2",status="init",type="normal"}`: "1",
		`heartbeat_takeovers_total{group="10.0.0.100"}`:                  "0",
		`heartbeat_resource_group_running{group="10.0.0.100"}`:           "0",
		`heartbeat_last_state_change_timestamp_seconds`:                  "1.8e+09",
	})

	// lvs2 stays silent: after initdead lvs1 takes everything; 10.0.0.101 fails.
	r.advance(5 * time.Second)
	r.waitFor("membership", func(s core.Snapshot) bool { return s.Member })
	if code, body := r.get("/readyz"); code != http.StatusOK || body != "ready\n" {
		t.Errorf("/readyz as a member: %d %q", code, body)
	}
	m = r.metrics()
	wantSamples(t, "member", m, map[string]string{
		`heartbeat_member`:                                                   "1",
		`heartbeat_local_status{status="active"}`:                            "1",
		`heartbeat_local_status{status="up"}`:                                "0",
		`heartbeat_resource_status{status="all"}`:                            "1", // the dead peer's share too
		`heartbeat_node_up{node="lvs1",type="normal"}`:                       "1",
		`heartbeat_node_up{node="lvs2",type="normal"}`:                       "0",
		`heartbeat_node_status{node="lvs2",status="dead",type="normal"}`:     "1",
		`heartbeat_node_status{node="lvs2",status="init",type="normal"}`:     "0",
		`heartbeat_node_up{node="10.0.0.254",type="ping"}`:                   "1",
		`heartbeat_node_status{node="10.0.0.254",status="ping",type="ping"}`: "1",
		`heartbeat_link_up{link="eth0",node="lvs1"}`:                         "", // not this node's own
		`heartbeat_link_up{link="eth0",node="lvs2"}`:                         "0",
		`heartbeat_ping_nodes_up`:                                            "1",
		`heartbeat_ping_nodes`:                                               "1",
		`heartbeat_node_deaths_total`:                                        "1",
		`heartbeat_resource_group_running{group="10.0.0.100"}`:               "1",
		`heartbeat_resource_group_running{group="10.0.0.101"}`:               "0",
		`heartbeat_takeovers_total{group="10.0.0.100"}`:                      "1",
		`heartbeat_failed_starts_total{group="10.0.0.100"}`:                  "0",
		`heartbeat_failed_starts_total{group="10.0.0.101"}`:                  "1",
		`heartbeat_takeovers_total{group="10.0.0.101"}`:                      "0",
		`heartbeat_releases_total{group="10.0.0.101"}`:                       "1", // stopped again after the failure
		`heartbeat_releases_total{group="10.0.0.100"}`:                       "0",
		`heartbeat_dual_active_total{group="10.0.0.100"}`:                    "0",
	})
	if v := statushttptest.Sample(m, "heartbeat_messages_sent_total "); v == "" || v == "0" {
		t.Errorf("heartbeat_messages_sent_total = %q", v)
	}
	snap := r.loop.Snapshot()
	if got, want := statushttptest.Sample(m, "heartbeat_last_state_change_timestamp_seconds "), float64(snap.LastChange.Unix()); got == "" || snap.LastChange.Before(time.Unix(1_800_000_004, 0)) {
		t.Errorf("last state change %q (snapshot %v), want the takeover's time about %v", got, snap.LastChange, want)
	}

	// lvs2 comes back (a split brain healing) claiming all: both hold 10.0.0.100.
	r.in <- transport.Inbound{From: "lvs2", Link: "eth0", Msg: hbwire.StatusMessage("active", 2000)}
	r.in <- transport.Inbound{From: "lvs2", Link: "eth0", Msg: hbwire.ResourceMessage(hbwire.HoldAll, true, "")}
	r.sync()
	m = r.metrics()
	wantSamples(t, "peer claims all", m, map[string]string{
		`heartbeat_link_up{link="eth0",node="lvs2"}`:                       "1",
		`heartbeat_node_up{node="lvs2",type="normal"}`:                     "1",
		`heartbeat_node_status{node="lvs2",status="active",type="normal"}`: "1",
		`heartbeat_node_status{node="lvs2",status="dead",type="normal"}`:   "0",
		`heartbeat_messages_received_by_type_total{type="status"}`:         "1",
		`heartbeat_dual_active_total{group="10.0.0.100"}`:                  "1",
		`heartbeat_dual_active_total{group="10.0.0.101"}`:                  "0", // not running here
		`heartbeat_messages_received_total`:                                "2",
		`heartbeat_messages_received_by_type_total{type="resource"}`:       "1",
	})

	checkJSONKeys(t, r)

	// Shutdown releases 10.0.0.100 and ends the loop.
	r.cancel()
	if err := <-r.done; err != nil {
		t.Fatal(err)
	}
	r.done <- nil // for the cleanup
	m = r.metrics()
	wantSamples(t, "after shutdown", m, map[string]string{
		`heartbeat_member`: "0",
		`heartbeat_releases_total{group="10.0.0.100"}`:         "1",
		`heartbeat_resource_group_running{group="10.0.0.100"}`: "0",
		`heartbeat_resource_status{status="none"}`:             "1",
	})
	if code, body := r.get("/readyz"); code != http.StatusServiceUnavailable || body != "not ready: shutting down\n" {
		t.Errorf("/readyz after shutdown: %d %q", code, body)
	}
}

var snakeKey = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// checkJSONKeys: /status and / serve the same document, every key of which is
// snake_case, with the counters and times in their documented places.
func checkJSONKeys(t *testing.T, r *loopRig) {
	t.Helper()
	var docs [2]map[string]any
	for i, p := range []string{"/status", "/"} {
		code, body := r.get(p)
		if code != http.StatusOK {
			t.Fatalf("%s: %d", p, code)
		}
		if err := json.Unmarshal([]byte(body), &docs[i]); err != nil {
			t.Fatalf("%s: %v\n%s", p, err, body)
		}
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if !snakeKey.MatchString(k) {
					t.Errorf("JSON key %s.%s is not snake_case", path, k)
				}
				walk(path+"."+k, x)
			}
		case []any:
			for _, x := range v {
				walk(path+"[]", x)
			}
		}
	}
	walk("", docs[0])
	d := docs[0]
	ts, _ := d["last_state_change"].(string)
	if at, err := time.Parse(time.RFC3339, ts); err != nil || !strings.HasSuffix(ts, "Z") || at.Before(time.Unix(1_800_000_000, 0)) {
		t.Errorf("last_state_change = %q (%v), want RFC 3339 in UTC", ts, err)
	}
	counters, _ := d["counters"].(map[string]any)
	groups, _ := counters["groups"].([]any)
	if len(groups) != 2 {
		t.Fatalf("counters.groups = %v", counters["groups"])
	}
	g0, _ := groups[0].(map[string]any)
	if g0["group"] != "10.0.0.100" || g0["takeovers"] != 1.0 || g0["dual_active"] != 1.0 {
		t.Errorf("counters.groups[0] = %v", g0)
	}
	if d["member"] != true || d["status"] != "active" || counters["sent"] == nil {
		t.Errorf("/status: member %v status %v sent %v", d["member"], d["status"], counters["sent"])
	}
	nodes, _ := d["nodes"].([]any)
	if len(nodes) == 0 {
		t.Fatalf("nodes = %v", d["nodes"])
	}
	for _, n := range nodes {
		if links, ok := n.(map[string]any)["links"].([]any); !ok || len(links) == 0 {
			t.Errorf("node %v: links %v", n, links)
		}
	}
}

// TestReady: /readyz's reasons, in the order they are given.
func TestReady(t *testing.T) {
	for _, c := range []struct {
		s    core.Snapshot
		want string
	}{
		{core.Snapshot{Status: "active", Negotiated: true, Member: true}, ""},
		{core.Snapshot{Status: "init"}, "starting: status init, not managing resources yet"},
		{core.Snapshot{Status: "up"}, "starting: status up, not managing resources yet"},
		{core.Snapshot{Status: "active"}, "status active, resources not yet settled with the peer"},
		{core.Snapshot{Status: "active", Negotiated: true, Isolated: true}, "cut off: neither the peer nor any ping node answers"},
		{core.Snapshot{Status: "active", Negotiated: true, Shutdown: true}, "shutting down"},
	} {
		err := Ready(c.s)
		if got := ""; err != nil {
			got = err.Error()
			if got != c.want {
				t.Errorf("Ready(%+v) = %q, want %q", c.s, got, c.want)
			}
		} else if c.want != "" {
			t.Errorf("Ready(%+v) = nil, want %q", c.s, c.want)
		}
	}
}

// TestStatusHandlerExtra: --ipvs-metrics's collector is served beside heartbeatd's.
func TestStatusHandlerExtra(t *testing.T) {
	f := ipvs.NewFake()
	h := StatusHandler(func() core.Snapshot { return core.Snapshot{} },
		ipvsmetrics.New(func() (ipvs.Client, error) { return f, nil }, 0))
	srv := httptest.NewServer(h)
	defer srv.Close()
	code, body := statushttptest.Get(t, srv.URL+"/metrics")
	if code != 200 || statushttptest.Sample(body, "lvskit_ipvs_up ") != "1" || statushttptest.Sample(body, "heartbeat_member ") == "" {
		t.Fatalf("/metrics with the IPVS collector: %d\n%s", code, body)
	}
	statushttptest.CheckMetrics(t, body)
}
