package ipvsmetrics

import "github.com/prometheus/client_golang/prometheus"

const prefix = "lvskit_ipvs_"

// Label names, sorted: the samples' label pairs are in this order (the registry
// wants them sorted by name). Series of a service carry svcLabels, those of a real
// server rsLabels.
var (
	svcLabels  = []string{"af", "protocol", "service"}
	rsLabels   = []string{"af", "forward", "protocol", "real", "service"}
	infoLabels = []string{"af", "flags", "pe", "persistent", "protocol", "scheduler", "service"}

	svcNames, rsNames, infoNames = ptrs(svcLabels), ptrs(rsLabels), ptrs(infoLabels)
)

// ptrs returns pointers to copies of names, for dto.LabelPair.Name; shared by
// every label pair and never written.
func ptrs(names []string) []*string {
	out := make([]*string, len(names))
	for i := range names {
		n := names[i]
		out[i] = &n
	}
	return out
}

// descs are every descriptor the collector sends, made once in New.
type descs struct {
	up, scrapeErrors, duration              *prometheus.Desc
	version, connTab, services, realServers *prometheus.Desc
	daemon                                  *prometheus.Desc
	svcInfo                                 *prometheus.Desc
	svcConns, svcInPkts, svcOutPkts         *prometheus.Desc
	svcInBytes, svcOutBytes                 *prometheus.Desc
	svcCPS, svcInPPS, svcOutPPS, svcInBPS   *prometheus.Desc
	svcOutBPS                               *prometheus.Desc
	rsWeight, rsActive, rsInact, rsPersist  *prometheus.Desc
	rsConns, rsInPkts, rsOutPkts, rsInBytes *prometheus.Desc
	rsOutBytes                              *prometheus.Desc
}

func newDescs() descs {
	n := func(name, help string, labels []string) *prometheus.Desc {
		return prometheus.NewDesc(prefix+name, help, labels, nil)
	}
	const svcSuffix = " (ipvsadm -Ln --stats --exact, the service's line)."
	const rsSuffix = " (ipvsadm -Ln --stats --exact, the real server's line)."
	const svcRate = " (ipvsadm -Ln --rate, the service's line)."
	return descs{
		up:           n("up", "1 if the IPVS table was read in this scrape, 0 if not (no ip_vs module, no CAP_NET_ADMIN, or the deadline passed); when 0 no series of the table is exported.", nil),
		scrapeErrors: n("scrape_errors_total", "Scrapes that could not read the IPVS table.", nil),
		duration:     n("scrape_duration_seconds", "Time this scrape took to read the IPVS table.", nil),
		version:      n("version_info", "The kernel's IPVS version (ipvsadm -Ln's first line, \"IP Virtual Server version 1.2.1\"); always 1.", []string{"version"}),
		connTab:      n("connection_table_size", "Size of the kernel's IPVS connection hash table (ipvsadm -Ln's first line, \"size=4096\").", nil),
		services:     n("services", "Virtual services in the table (the service lines of ipvsadm -Ln).", nil),
		realServers:  n("real_servers", "Real servers over all virtual services (the -> lines of ipvsadm -Ln).", nil),
		daemon:       n("sync_daemon_up", "1 for each running connection synchronisation daemon (ipvsadm -L --daemon).", []string{"state", "interface", "syncid"}),

		svcInfo: n("service_info", "A virtual service (ipvsadm -Ln's service line); always 1. scheduler is its scheduler; flags the scheduler flags and ops; persistent the persistence timeout in seconds, empty if not persistent; pe the persistence engine.", infoLabels),

		svcConns:    n("service_connections_total", "Connections scheduled for the virtual service, 64-bit (Conns)"+svcSuffix, svcLabels),
		svcInPkts:   n("service_incoming_packets_total", "Packets from clients to the virtual service, 64-bit (InPkts)"+svcSuffix, svcLabels),
		svcOutPkts:  n("service_outgoing_packets_total", "Packets from the real servers to clients, 64-bit (OutPkts)"+svcSuffix, svcLabels),
		svcInBytes:  n("service_incoming_bytes_total", "Bytes from clients to the virtual service, 64-bit (InBytes)"+svcSuffix, svcLabels),
		svcOutBytes: n("service_outgoing_bytes_total", "Bytes from the real servers to clients, 64-bit (OutBytes)"+svcSuffix, svcLabels),
		svcCPS:      n("service_connections_per_second", "The kernel's estimate of new connections per second (CPS)"+svcRate, svcLabels),
		svcInPPS:    n("service_incoming_packets_per_second", "The kernel's estimate of incoming packets per second (InPPS)"+svcRate, svcLabels),
		svcOutPPS:   n("service_outgoing_packets_per_second", "The kernel's estimate of outgoing packets per second (OutPPS)"+svcRate, svcLabels),
		svcInBPS:    n("service_incoming_bytes_per_second", "The kernel's estimate of incoming bytes per second (InBPS)"+svcRate, svcLabels),
		svcOutBPS:   n("service_outgoing_bytes_per_second", "The kernel's estimate of outgoing bytes per second (OutBPS)"+svcRate, svcLabels),

		rsWeight:   n("real_server_weight", "The real server's weight (ipvsadm -Ln, Weight).", rsLabels),
		rsActive:   n("real_server_active_connections", "The real server's active connections (ipvsadm -Ln, ActiveConn).", rsLabels),
		rsInact:    n("real_server_inactive_connections", "The real server's inactive connections (ipvsadm -Ln, InActConn).", rsLabels),
		rsPersist:  n("real_server_persistent_connections", "The real server's persistence templates (ipvsadm -Ln --persistent-conn, PersistConn).", rsLabels),
		rsConns:    n("real_server_connections_total", "Connections scheduled to the real server, 64-bit (Conns)"+rsSuffix, rsLabels),
		rsInPkts:   n("real_server_incoming_packets_total", "Packets from clients forwarded to the real server, 64-bit (InPkts)"+rsSuffix, rsLabels),
		rsOutPkts:  n("real_server_outgoing_packets_total", "Packets from the real server to clients, 64-bit (OutPkts)"+rsSuffix, rsLabels),
		rsInBytes:  n("real_server_incoming_bytes_total", "Bytes from clients forwarded to the real server, 64-bit (InBytes)"+rsSuffix, rsLabels),
		rsOutBytes: n("real_server_outgoing_bytes_total", "Bytes from the real server to clients, 64-bit (OutBytes)"+rsSuffix, rsLabels),
	}
}

func (d *descs) all() []*prometheus.Desc {
	return []*prometheus.Desc{
		d.up, d.scrapeErrors, d.duration, d.version, d.connTab, d.services, d.realServers, d.daemon,
		d.svcInfo, d.svcConns, d.svcInPkts, d.svcOutPkts, d.svcInBytes, d.svcOutBytes,
		d.svcCPS, d.svcInPPS, d.svcOutPPS, d.svcInBPS, d.svcOutBPS,
		d.rsWeight, d.rsActive, d.rsInact, d.rsPersist,
		d.rsConns, d.rsInPkts, d.rsOutPkts, d.rsInBytes, d.rsOutBytes,
	}
}
