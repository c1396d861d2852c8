package statushttp

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lvskit/lvskit/internal/statushttp/statushttptest"
)

func TestEndpoints(t *testing.T) {
	reg := NewRegistry("testd")
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "testd_things_total", Help: "Things."})
	reg.MustRegister(c)
	c.Add(3)
	var ready atomic.Bool
	stop, addr, err := Listen("127.0.0.1:0", Handler(Options{
		Gatherer: reg,
		Ready: func() error {
			if !ready.Load() {
				return errors.New("config not loaded")
			}
			return nil
		},
		Status: func() any { return map[string]int{"some_key": 1} },
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	base := "http://" + addr.String()

	code, body := statushttptest.Get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	statushttptest.CheckMetrics(t, body)
	for _, want := range []string{"testd_things_total 3", `lvskit_build_info{commit=`, "process_resident_memory_bytes ", "go_goroutines "} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if v := statushttptest.Sample(body, "lvskit_build_info{"); v != "1" {
		t.Errorf("lvskit_build_info = %q, want 1", v)
	}
	if code, body := statushttptest.Get(t, base+"/healthz"); code != 200 || string(body) != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := statushttptest.Get(t, base+"/readyz"); code != 503 || !strings.Contains(string(body), "config not loaded") {
		t.Errorf("/readyz not ready: %d %q", code, body)
	}
	ready.Store(true)
	if code, body := statushttptest.Get(t, base+"/readyz"); code != 200 || string(body) != "ready\n" {
		t.Errorf("/readyz ready: %d %q", code, body)
	}
	for _, p := range []string{"/status", "/"} {
		if code, body := statushttptest.Get(t, base+p); code != 200 || !strings.Contains(string(body), `"some_key": 1`) {
			t.Errorf("%s: %d %q", p, code, body)
		}
	}
	if code, _ := statushttptest.Get(t, base+"/nothing"); code != 404 {
		t.Errorf("/nothing: %d, want 404", code)
	}
}
