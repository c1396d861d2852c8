// Package ipvsmetrics exports the kernel's IPVS table as Prometheus metrics: a
// prometheus.Collector over internal/ipvs's Client, for the daemons' /metrics
// (statushttp). New(Kernel(timeout), timeout) reads the real kernel; tests give it
// an ipvs.Fake.
//
// # One read per scrape
//
// Every Collect reads the table once, under one context whose deadline is the
// collector's timeout (5 s by default): GET_INFO, one service dump, one
// destination dump per service (the IPVS netlink API has no dump of every
// destination) and the sync daemons — never a read per metric. A service deleted
// between its dump and its destinations' (ESRCH) is left out. The read runs in a
// goroutine of its own and Collect waits for it at most until the deadline, so a
// client that ignores its context cannot hold a scrape; such a read keeps the
// client until it ends and later scrapes wait for it (each at most its own
// timeout) instead of piling up readers. Concurrent scrapes read one after
// another.
//
// When the table cannot be read — no ip_vs module (ENOPROTOOPT), no
// CAP_NET_ADMIN (EPERM), the deadline — the scrape still succeeds: it exports
// lvskit_ipvs_up 0, lvskit_ipvs_scrape_errors_total (incremented) and the scrape
// duration, and nothing of the table. LastError says why.
//
// # One socket, kept
//
// The client (one generic netlink socket) is opened on the first scrape and kept.
// Opening one per scrape would cost a socket, the IPVS family's lookup (a round
// trip to the kernel) and the client's 64 KiB of receive buffers: 53 µs and 72 KB
// in 20 allocations (BenchmarkOpenKernel on this host), nothing next to a large
// table's read but a real share of a small table's, which is the usual case. What
// a fresh socket buys is surviving an ip_vs reload, whose family id may change;
// the kept socket gets that too: any failed read closes the client, and when the
// client was kept from an earlier scrape (so possibly stale) the read is tried
// once more on a fresh one within the same deadline. A reload between two scrapes
// therefore costs no scrape, and a table that cannot be read is retried from a
// new socket on every scrape.
//
// # Metrics
//
// All names start with lvskit_ipvs_. Series of a virtual service carry
//
//	af        "inet" or "inet6": the service's family (ipvsadm -Ln's "FWM  1 IPv6")
//	protocol  "TCP", "UDP", "SCTP" or "FWM" (ipvsadm -Ln's Prot column)
//	service   the address:port as ipvsadm -Ln prints it ("10.0.0.1:80",
//	          "[2001:db8::1]:80"), or the firewall mark ("1") for FWM
//
// and those of a real server add
//
//	real      the real server's address:port as ipvsadm -Ln prints it
//	          ("10.0.0.2:80", "[2001:db8::2]:80"; port 0 under a fwmark service)
//	forward   "Masq", "Local", "Tunnel" or "Route" (ipvsadm -Ln's Forward column)
//
// The table (Info, the services and the daemons):
//
//	metric                                type     ipvsadm
//	up                                    gauge    1 if the table was read
//	scrape_errors_total                   counter  scrapes that could not read it
//	scrape_duration_seconds               gauge    time the scrape took
//	version_info{version}                 gauge 1  -Ln first line, "version 1.2.1"
//	connection_table_size                 gauge    -Ln first line, "(size=4096)"
//	services                              gauge    number of service lines of -Ln
//	real_servers                          gauge    number of -> lines of -Ln
//	sync_daemon_up{state,interface,syncid} gauge 1 -L --daemon, one per daemon
//
// Per virtual service:
//
//	service_info{...,scheduler,flags,persistent,pe}  gauge 1  -Ln service line:
//	    scheduler; flags = scheduler flags as -Ln prints them in parentheses
//	    ("sh-fallback,sh-port") and "ops", comma-separated; persistent = the
//	    persistence timeout in seconds ("persistent 360"), empty if not persistent;
//	    pe = the persistence engine ("pe sip")
//	service_connections_total             counter  --stats --exact  Conns
//	service_incoming_packets_total        counter  --stats --exact  InPkts
//	service_outgoing_packets_total        counter  --stats --exact  OutPkts
//	service_incoming_bytes_total          counter  --stats --exact  InBytes
//	service_outgoing_bytes_total          counter  --stats --exact  OutBytes
//	service_connections_per_second        gauge    --rate  CPS
//	service_incoming_packets_per_second   gauge    --rate  InPPS
//	service_outgoing_packets_per_second   gauge    --rate  OutPPS
//	service_incoming_bytes_per_second     gauge    --rate  InBPS
//	service_outgoing_bytes_per_second     gauge    --rate  OutBPS
//
// Per real server:
//
//	real_server_weight                    gauge    -Ln  Weight
//	real_server_active_connections        gauge    -Ln  ActiveConn
//	real_server_inactive_connections      gauge    -Ln  InActConn
//	real_server_persistent_connections    gauge    --persistent-conn  PersistConn
//	real_server_connections_total         counter  --stats --exact  Conns
//	real_server_incoming_packets_total    counter  --stats --exact  InPkts
//	real_server_outgoing_packets_total    counter  --stats --exact  OutPkts
//	real_server_incoming_bytes_total      counter  --stats --exact  InBytes
//	real_server_outgoing_bytes_total      counter  --stats --exact  OutBytes
//
// The counters are the kernel's 64-bit ones (IPVS_SVC_ATTR_STATS64 and
// IPVS_DEST_ATTR_STATS64, which internal/ipvs decodes, falling back to the 32-bit
// IPVS_*_ATTR_STATS on kernels without them); as Prometheus values they are
// float64, exact up to 2^53. They restart at zero on ipvsadm -Z and when a service
// or real server is deleted and added again; Prometheus's rate() handles that as a
// counter reset. They carry no created timestamp: the kernel does not say when a
// counter started, and a guessed one would be wrong after -Z. The kernel's rate
// estimates (a 2-second moving average) are exported per service only: per real
// server they would add five series per real server (100,000 of the 235,000 series
// of a 5,000-service, 4-real-server table) for what rate() over the counters
// gives.
//
// # Cost
//
// A scrape of 5,000 services × 4 real servers is 235,007 series (BenchmarkScrape,
// over a Fake's table: this host has no IPVS, so the kernel's side is not in the
// figure; internal/ipvs's BenchmarkListing measures the client's decoding of the
// same dumps). The per-service and per-real-server series are not const metrics but
// samples over slabs allocated once per scrape, with one label set built per
// service and per real server and shared by its series, and Descs made once in
// New: that took a Gather from 2.1 s and 7.5 million allocations (const metrics,
// the real servers' rates included) to 0.5 s and 0.5 million, most of which are
// now the registry's own per series.
package ipvsmetrics
