package lvsbgp

import (
	"encoding/json"

	"github.com/prometheus/client_golang/prometheus"
)

// Status is the JSON status (control socket "status", HTTP /status).
type Status struct {
	Mode                   string           `json:"mode"`
	Draining               bool             `json:"draining"`
	IPVSConsecutiveFailure int              `json:"ipvs_consecutive_failures"`
	Neighbors              []NeighborStatus `json:"neighbors"`
	VIPs                   []VIPStatus      `json:"vips"`
	Announcements          uint64           `json:"announcements_total"`
	Withdrawals            uint64           `json:"withdrawals_total"`
}

// NeighborStatus is one neighbor in Status.
type NeighborStatus struct {
	Address string `json:"address"`
	State   string `json:"state"`
	Up      bool   `json:"up"`
}

// VIPStatus is one VIP in Status.
type VIPStatus struct {
	VIP       string `json:"vip"`
	Prefix    string `json:"prefix"`
	Healthy   bool   `json:"healthy"`
	Held      bool   `json:"held_by_heartbeat"`
	Announced bool   `json:"announced"`
}

// Snapshot copies the daemon's state under its lock.
func (d *Daemon) Snapshot() Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	s := Status{Mode: d.cfg.Mode.String(), Draining: d.draining, IPVSConsecutiveFailure: d.fails,
		Announcements: d.announces, Withdrawals: d.withdraws,
		Neighbors: []NeighborStatus{}, VIPs: []VIPStatus{}}
	up := map[string]NeighborStatus{}
	for _, n := range d.neighbors {
		up[n.Addr.String()] = NeighborStatus{Address: n.Addr.String(), State: n.State, Up: n.Up}
	}
	for _, n := range d.cfg.Neighbors {
		ns, ok := up[n.Addr.String()]
		if !ok {
			ns = NeighborStatus{Address: n.Addr.String(), State: "unknown"}
		}
		s.Neighbors = append(s.Neighbors, ns)
	}
	for _, v := range d.cfg.VIPs {
		s.VIPs = append(s.VIPs, VIPStatus{VIP: v.String(), Prefix: v.Prefix().String(), Healthy: d.healthy[v.Addr],
			Held: d.held[v.Addr], Announced: d.announced[v.Addr]})
	}
	return s
}

// StatusJSON is Snapshot as indented JSON.
func (d *Daemon) StatusJSON() []byte {
	b, _ := json.MarshalIndent(d.Snapshot(), "", "  ")
	return b
}

var (
	descNeighborUp = prometheus.NewDesc("lvskit_bgp_neighbor_up", "1 while the BGP session with the neighbor is established.", []string{"neighbor"}, nil)
	descAnnounced  = prometheus.NewDesc("lvskit_bgp_vip_announced", "1 while the VIP's host route is announced.", []string{"vip"}, nil)
	descHealthy    = prometheus.NewDesc("lvskit_bgp_vip_healthy", "1 while the IPVS table has a real server of weight > 0 for the VIP.", []string{"vip"}, nil)
	descAnnounces  = prometheus.NewDesc("lvskit_bgp_announcements_total", "VIP routes announced.", nil, nil)
	descWithdraws  = prometheus.NewDesc("lvskit_bgp_withdrawals_total", "VIP routes withdrawn.", nil, nil)
)

// collector exports one Snapshot per scrape.
type collector struct{ d *Daemon }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descNeighborUp, descAnnounced, descHealthy, descAnnounces, descWithdraws} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	s := c.d.Snapshot()
	b := func(v bool) float64 {
		if v {
			return 1
		}
		return 0
	}
	for _, n := range s.Neighbors {
		ch <- prometheus.MustNewConstMetric(descNeighborUp, prometheus.GaugeValue, b(n.Up), n.Address)
	}
	for _, v := range s.VIPs {
		ch <- prometheus.MustNewConstMetric(descAnnounced, prometheus.GaugeValue, b(v.Announced), v.Prefix)
		ch <- prometheus.MustNewConstMetric(descHealthy, prometheus.GaugeValue, b(v.Healthy), v.Prefix)
	}
	ch <- prometheus.MustNewConstMetric(descAnnounces, prometheus.CounterValue, float64(s.Announcements))
	ch <- prometheus.MustNewConstMetric(descWithdraws, prometheus.CounterValue, float64(s.Withdrawals))
}

// Collector returns the daemon's Prometheus collector.
func (d *Daemon) Collector() prometheus.Collector { return collector{d} }
