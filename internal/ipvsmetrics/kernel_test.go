package ipvsmetrics

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/vmtest"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// kernelSetup builds the table with the original ipvsadm 1.31: a TCP service on a
// VIP with two local real servers (LVS/NAT, as in cmd/lvs-alert's guest test), a
// client namespace behind a veth pair, and services without traffic for the other
// label forms (UDP, fwmark over IPv4 and IPv6, TCP over IPv6; tunnel and direct
// routing), and a sync daemon.
const kernelSetup = `set -e
IP=${IP:-/usr/sbin/ip}
$IP netns add ipvsmetrics-cl
$IP link add mx0 type veth peer name mxc0
$IP link set mxc0 netns ipvsmetrics-cl
$IP addr add 10.0.0.1/24 dev mx0
$IP link set mx0 up
$IP addr add 10.0.0.100/32 dev lo
$IP -n ipvsmetrics-cl addr add 10.0.0.2/24 dev mxc0
$IP -n ipvsmetrics-cl link set mxc0 up
$IP -n ipvsmetrics-cl link set lo up
/sbin/ipvsadm -A -t 10.0.0.100:80 -s rr
/sbin/ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.1:8080 -m -w 3
/sbin/ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.1:8081 -m -w 1
/sbin/ipvsadm -A -u 10.0.0.100:53 -s wlc -p 120 -o
/sbin/ipvsadm -a -u 10.0.0.100:53 -r 10.0.0.7 -i -w 2
/sbin/ipvsadm -A -f 5 -s sh -b sh-port
/sbin/ipvsadm -a -f 5 -r 10.0.0.8 -g -w 0
/sbin/ipvsadm -A -f 6 -6 -s wrr
/sbin/ipvsadm -a -f 6 -6 -r 2001:db8::8 -m
/sbin/ipvsadm -A -t [2001:db8::1]:443 -s lc
/sbin/ipvsadm -a -t [2001:db8::1]:443 -r [2001:db8::9]:8443 -g -w 4
/sbin/ipvsadm --start-daemon master --mcast-interface lo --syncid 3
`

const kernelTeardown = `/sbin/ipvsadm --stop-daemon master; /sbin/ipvsadm -C
${IP:-/usr/sbin/ip} netns del ipvsmetrics-cl; true`

// TestVMKernel runs inside the IPVS VM (go test ./vmtest -run TestVMSuite; it skips
// elsewhere). It builds a table with ipvsadm 1.31, sends real TCP traffic through
// it (ten request/response connections, then one idle connection kept open), stops
// the traffic, and compares a scrape of the collector over the real kernel with
// ipvsadm -Ln --stats --exact (every counter of every service and real server) and
// ipvsadm -Ln (weights, ActiveConn, InActConn, and the labels: the protocol,
// service, real server and forwarding method as ipvsadm prints them). ipvsadm is
// read before and after the scrape; both reads must agree, so nothing moved while
// the collector read.
func TestVMKernel(t *testing.T) {
	vmtest.RequireGuest(t)
	sh := func(script string) string {
		t.Helper()
		out, err := exec.Command("/bin/sh", "-c", script).CombinedOutput()
		if err != nil {
			t.Fatalf("%v\n%s\nscript:\n%s", err, out, script)
		}
		return string(out)
	}
	t.Cleanup(func() { exec.Command("/bin/sh", "-c", kernelTeardown).Run() })
	sh(kernelSetup)

	// The real servers: each reads one request line and answers 1000 bytes, or
	// holds the connection open until the test ends when the line never comes.
	const reply = 1000
	var served atomic.Int64
	for _, addr := range []string{"10.0.0.1:8080", "10.0.0.1:8081"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ln.Close() })
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				go func() {
					defer conn.Close()
					if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil {
						return
					}
					conn.Write([]byte(strings.Repeat("x", reply-1) + "\n"))
					served.Add(1)
				}()
			}
		}()
	}
	// Ten connections with data, one after another, from the client namespace.
	const conns = 10
	out := sh(`for i in $(seq 1 ` + strconv.Itoa(conns) + `); do
	printf 'request %02d\n' $i | ${IP:-/usr/sbin/ip} netns exec ipvsmetrics-cl timeout 10 nc 10.0.0.100 80 | wc -c
done`)
	for i, l := range strings.Fields(out) {
		if l != strconv.Itoa(reply) {
			t.Fatalf("connection %d got %s bytes, want %d:\n%s", i+1, l, reply, out)
		}
	}
	if served.Load() != conns {
		t.Fatalf("the real servers answered %d requests, want %d", served.Load(), conns)
	}
	// One idle connection: ActiveConn 1 on the server it is scheduled to.
	idle := exec.Command("/bin/sh", "-c", `exec ${IP:-/usr/sbin/ip} netns exec ipvsmetrics-cl sh -c 'sleep 600 | nc 10.0.0.100 80'`)
	idle.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := idle.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-idle.Process.Pid, syscall.SIGKILL)
		idle.Wait()
	})

	// Traffic stopped: wait until the counters stand still and count every
	// connection, and the idle one is established. The kernel folds its per-CPU
	// counters into the ones it reports every 2 s (the rate estimator's timer),
	// so "still" is over longer than that.
	stats := func() string { return sh("/sbin/ipvsadm -Ln --stats --exact") }
	list := func() string { return sh("/sbin/ipvsadm -Ln") }
	deadline := time.Now().Add(30 * time.Second)
	prev := stats()
	for {
		time.Sleep(2500 * time.Millisecond)
		cur := stats()
		if cur == prev && activeTotal(list()) == 1 && strings.Contains(cur, "TCP  10.0.0.100:80                      "+strconv.Itoa(conns+1)+" ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the table did not settle with %d connections, one active, in 30 s:\n%s\n%s", conns+1, cur, list())
		}
		prev = cur
	}

	// ipvsadm, the collector, ipvsadm again: a connection entry expiring
	// meanwhile (InActConn) makes the two listings differ; then again.
	c := New(Kernel(0), 0)
	defer c.Close()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	var (
		stats1, list1, daemons string
		mfs                    []*dto.MetricFamily
	)
	for try := 1; ; try++ {
		stats1, list1, daemons = stats(), list(), sh("/sbin/ipvsadm -L --daemon")
		var err error
		if mfs, err = reg.Gather(); err != nil {
			t.Fatal(err)
		}
		stats2, list2 := stats(), list()
		if stats1 == stats2 && list1 == list2 {
			break
		}
		if try == 3 {
			t.Fatalf("the table moved while the collector read it, three times:\nbefore:\n%s%s\nafter:\n%s%s", stats1, list1, stats2, list2)
		}
	}
	t.Logf("ipvsadm -Ln --stats --exact:\n%s\nipvsadm -Ln:\n%s\nipvsadm -L --daemon:\n%s", stats1, list1, daemons)

	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			var lv []string
			for _, lp := range m.Label {
				lv = append(lv, lp.GetName()+"="+lp.GetValue())
			}
			v := m.GetGauge().GetValue()
			if m.Counter != nil {
				v = m.Counter.GetValue()
			}
			got[mf.GetName()+"{"+strings.Join(lv, ",")+"}"] = v
		}
	}
	want := oracleSeries(t, stats1, list1, daemons)
	if len(want) < 60 {
		t.Fatalf("parsed only %d series from ipvsadm", len(want))
	}
	for _, k := range sortedKeys(want) {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("missing %s (ipvsadm: %v)", k, want[k])
		case g != want[k]:
			t.Errorf("%s = %v, ipvsadm says %v", k, g, want[k])
		}
	}
	// Every series of the table is one ipvsadm printed (the rates and the
	// persistent connections aside: -Ln does not print them).
	for _, k := range sortedKeys(got) {
		if _, ok := want[k]; !ok && !strings.Contains(k, "_per_second{") && !strings.Contains(k, "persistent_connections{") &&
			!strings.HasPrefix(k, prefix+"scrape_") && !strings.HasPrefix(k, prefix+"service_info{") {
			t.Errorf("extra series %s = %v", k, got[k])
		}
	}
	// The traffic itself, as a sanity check on the oracle: ten connections to
	// the service plus the idle one, ten replies of 1000 bytes.
	svc := prefix + "service_%s{af=inet,protocol=TCP,service=10.0.0.100:80}"
	if v := got[fmt.Sprintf(svc, "connections_total")]; v != conns+1 {
		t.Errorf("service connections %v, want %d", v, conns+1)
	}
	if v := got[fmt.Sprintf(svc, "outgoing_bytes_total")]; v < conns*reply {
		t.Errorf("service outgoing bytes %v, want at least %d", v, conns*reply)
	}
	for _, k := range []string{
		prefix + "service_info{af=inet,flags=,pe=,persistent=,protocol=TCP,scheduler=rr,service=10.0.0.100:80}",
		prefix + "service_info{af=inet,flags=ops,pe=,persistent=120,protocol=UDP,scheduler=wlc,service=10.0.0.100:53}",
		prefix + "service_info{af=inet,flags=sh-port,pe=,persistent=,protocol=FWM,scheduler=sh,service=5}",
		prefix + "service_info{af=inet6,flags=,pe=,persistent=,protocol=FWM,scheduler=wrr,service=6}",
		prefix + "service_info{af=inet6,flags=,pe=,persistent=,protocol=TCP,scheduler=lc,service=[2001:db8::1]:443}",
	} {
		if got[k] != 1 {
			t.Errorf("missing %s", k)
		}
	}
}

func activeTotal(list string) int {
	n := 0
	for _, l := range strings.Split(list, "\n") {
		f := strings.Fields(l)
		if len(f) == 6 && f[0] == "->" {
			a, _ := strconv.Atoi(f[4])
			n += a
		}
	}
	return n
}

var daemonLine = regexp.MustCompile(`^(master|backup) sync daemon \(mcast=([^,]+), syncid=(\d+),`)

// oracleSeries turns ipvsadm's listings into the series the collector must export,
// keyed like the test's map of the scrape: name{label=value,...} with the labels
// sorted by name.
func oracleSeries(t *testing.T, stats, list, daemons string) map[string]float64 {
	want := map[string]float64{prefix + "up{}": 1}
	var af, proto, svc string
	nsvc, nreal := 0, 0
	svcKey := func() string { return "af=" + af + ",protocol=" + proto + ",service=" + svc }
	// parseSvc reads a service line's name, returning the remaining fields.
	parseSvc := func(f []string) []string {
		proto, svc, af = f[0], f[1], "inet"
		if strings.HasPrefix(svc, "[") {
			af = "inet6"
		}
		if proto == "FWM" && len(f) > 2 && f[2] == "IPv6" {
			af = "inet6"
			return f[3:]
		}
		return f[2:]
	}
	num := func(s string) float64 {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("ipvsadm printed %q where a number was expected", s)
		}
		return float64(v)
	}
	// ipvsadm -Ln: the labels, the weights and the connection counts.
	forward := map[string]string{} // service key + real → forward method
	for _, l := range strings.Split(list, "\n") {
		f := strings.Fields(l)
		switch {
		case strings.HasPrefix(l, "IP Virtual Server version "):
			m := regexp.MustCompile(`version (\S+) \(size=(\d+)\)`).FindStringSubmatch(l)
			want[prefix+"version_info{version="+m[1]+"}"] = 1
			want[prefix+"connection_table_size{}"] = num(m[2])
		case len(f) > 0 && (f[0] == "TCP" || f[0] == "UDP" || f[0] == "SCTP" || f[0] == "FWM"):
			parseSvc(f)
			nsvc++
		case len(f) == 6 && f[0] == "->" && f[1] != "RemoteAddress:Port":
			nreal++
			forward[svcKey()+" "+f[1]] = f[2]
			rk := "{af=" + af + ",forward=" + f[2] + ",protocol=" + proto + ",real=" + f[1] + ",service=" + svc + "}"
			want[prefix+"real_server_weight"+rk] = num(f[3])
			want[prefix+"real_server_active_connections"+rk] = num(f[4])
			want[prefix+"real_server_inactive_connections"+rk] = num(f[5])
		}
	}
	want[prefix+"services{}"] = float64(nsvc)
	want[prefix+"real_servers{}"] = float64(nreal)
	// ipvsadm -Ln --stats --exact: the counters.
	names := []string{"connections_total", "incoming_packets_total", "outgoing_packets_total", "incoming_bytes_total", "outgoing_bytes_total"}
	for _, l := range strings.Split(stats, "\n") {
		f := strings.Fields(l)
		switch {
		case len(f) > 0 && (f[0] == "TCP" || f[0] == "UDP" || f[0] == "SCTP" || f[0] == "FWM"):
			rest := parseSvc(f)
			if len(rest) != 5 {
				t.Fatalf("service line %q", l)
			}
			for i, n := range names {
				want[prefix+"service_"+n+"{"+svcKey()+"}"] = num(rest[i])
			}
		case len(f) == 7 && f[0] == "->":
			fw, ok := forward[svcKey()+" "+f[1]]
			if !ok {
				t.Fatalf("real server %s of %s in --stats but not in -Ln", f[1], svcKey())
			}
			rk := "{af=" + af + ",forward=" + fw + ",protocol=" + proto + ",real=" + f[1] + ",service=" + svc + "}"
			for i, n := range names {
				want[prefix+"real_server_"+n+rk] = num(f[2+i])
			}
		}
	}
	for _, l := range strings.Split(daemons, "\n") {
		if m := daemonLine.FindStringSubmatch(l); m != nil {
			want[prefix+"sync_daemon_up{interface="+m[2]+",state="+m[1]+",syncid="+m[3]+"}"] = 1
		}
	}
	return want
}

func sortedKeys[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
