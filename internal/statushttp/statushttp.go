// Package statushttp is the daemons' optional HTTP listener (mond's --metrics-listen,
// heartbeatd's --http): Prometheus metrics through client_golang, liveness and readiness
// probes, and a JSON status. It is off unless an address is given; when on, it may face
// more than this host, so it is bounded in connections, header size and time, and a
// scrape never holds the daemon's engine longer than building one snapshot.
//
// Endpoints, the same on both daemons:
//
//	/metrics   Prometheus text exposition (or OpenMetrics when asked): the daemon's
//	           own metrics, lvskit_build_info, and the process_* and go_* collectors
//	/healthz   200 "ok" while the process serves HTTP (liveness)
//	/readyz    200 "ready" when the daemon says so, else 503 and the reason
//	/status    the daemon's JSON status (also at /); keys are snake_case
package statushttp

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/net/netutil"

	"github.com/lvskit/lvskit/internal/buildinfo"
)

// MaxConns bounds the listener's connections: a scraper or two and a person.
const MaxConns = 32

// NewRegistry returns a registry holding what every lvskit daemon exports besides its
// own metrics: lvskit_build_info{daemon,version,commit,goversion} = 1 and the standard
// process and Go runtime collectors.
func NewRegistry(daemon string) *prometheus.Registry {
	r := prometheus.NewRegistry()
	r.MustRegister(
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "lvskit_build_info",
			Help: "Always 1; the labels say which lvskit build this daemon is.",
			ConstLabels: prometheus.Labels{"daemon": daemon, "version": buildinfo.Version,
				"commit": buildinfo.Commit(), "goversion": runtime.Version()},
		}, func() float64 { return 1 }),
	)
	return r
}

// Options says what the handler serves.
type Options struct {
	// Gatherer is scraped at /metrics (usually a registry from NewRegistry).
	Gatherer prometheus.Gatherer
	// Ready returns nil when the daemon is ready for /readyz, else why not.
	// Nil means always ready.
	Ready func() error
	// Status returns the JSON status value, marshalled with encoding/json.
	// Nil: no /status.
	Status func() any
}

// Handler serves the endpoints of the package doc.
func Handler(o Options) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{
		EnableOpenMetrics: true,
		// A slow scrape must not pile up goroutines behind the engine.
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
		ErrorHandling:       promhttp.ContinueOnError,
	}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		text(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if o.Ready != nil {
			if err := o.Ready(); err != nil {
				text(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
				return
			}
		}
		text(w, http.StatusOK, "ready")
	})
	if o.Status != nil {
		status := func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			_ = enc.Encode(o.Status())
		}
		mux.HandleFunc("/status", status)
		mux.HandleFunc("/{$}", status)
	}
	return mux
}

func text(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	fmt.Fprintln(w, msg)
}

// NewServer wraps h in a server with timeouts: a slow or idle client is dropped.
func NewServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second, // GETs without a body
		WriteTimeout:      15 * time.Second, // above the scrape's own 10 s
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    8 << 10,
	}
}

// Listen binds addr and serves h there, at most MaxConns connections at once, until
// the returned stop is called. The bind happens before Listen returns, so a daemon
// can refuse to start on an address it cannot have.
func Listen(addr string, h http.Handler) (stop func() error, bound net.Addr, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	hs := NewServer(h)
	go func() { _ = hs.Serve(netutil.LimitListener(ln, MaxConns)) }()
	return hs.Close, ln.Addr(), nil
}
