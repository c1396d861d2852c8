package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/vmtest"
)

// tunScript is the manual's LVS/TUN setup (Part II, 一 1) on a real IPVS kernel: this
// namespace is the director (the VIP on its LAN interface, the manual's eth0:0, and
// the service with two -i real servers, made by our ipvsadm); rs1 and rs2 run
// examples/root/conf/tun-realserver (lvs-arp realserver --vip-dev tunl0) and an HTTP
// server; the client, on the same LAN, fetches the VIP. The director's listings are
// compared with 1.31's (back to back, retried until 1.31's two reads agree: the
// counters move), then everything is taken down.
const tunScript = `
set -u
IP=/usr/sbin/ip
ORIG=/sbin/ipvsadm
OURS=/ours/ipvsadm
VIP=10.7.0.100
in_ns() { ns=$1; shift; $IP netns exec $ns "$@"; }
$IP link add tbr type bridge
$IP addr add 10.7.0.1/24 dev tbr
$IP link set tbr up
i=0
for n in rs1 rs2 tcl; do
	i=$((i+1))
	case $n in rs1) a=10.7.0.21 ;; rs2) a=10.7.0.22 ;; tcl) a=10.7.0.2 ;; esac
	$IP netns add $n
	$IP link add v-$n type veth peer name eth0 netns $n
	$IP link set v-$n master tbr up
	in_ns $n $IP link set lo up
	in_ns $n $IP addr add $a/24 dev eth0
	in_ns $n $IP link set eth0 up
done
# The director, as the manual's nb8048: the VIP beside its address, forwarding, the
# service and its two tunnelled real servers.
$IP addr add $VIP/32 dev tbr
echo 1 >/proc/sys/net/ipv4/ip_forward
$OURS -A -t $VIP:80 -s rr || echo "FAIL: -A"
$OURS -a -t $VIP:80 -r 10.7.0.21 -i || echo "FAIL: -a rs1"
$OURS -a -t $VIP:80 -r 10.7.0.22 -i || echo "FAIL: -a rs2"
# The real servers: the example's rc.local script, then an HTTP server on port 80.
for n in rs1 rs2; do
	in_ns $n env DEV=eth0 VIP=$VIP LVS_ARP=/ours/lvs-arp sh /payload/tun-realserver || echo "FAIL: tun-realserver on $n"
	in_ns $n /ours/lvs-arp status -i eth0 --vip $VIP --vip-dev tunl0 >/tmp/status-$n 2>&1 || echo "FAIL: lvs-arp status on $n: $(cat /tmp/status-$n)"
	echo "status $n: $(tr '\n' ' ' </tmp/status-$n)"
	echo "tunl0 $n: $(in_ns $n $IP -o -4 addr show dev tunl0 | awk '{ print $4 }') $(in_ns $n $IP -o link show tunl0 | grep -o 'state [A-Z]*')"
	mkdir -p /tmp/www-$n && echo $n >/tmp/www-$n/index.html
	in_ns $n busybox httpd -p 80 -h /tmp/www-$n
done
sleep 0.5
# The client: ten requests to the VIP, round robin over the two real servers.
for k in 1 2 3 4 5 6 7 8 9 10; do
	echo "answer $k: $(in_ns tcl timeout 10 busybox wget -q -O - http://$VIP/ 2>&1)"
done
echo "client's ARP entry for the VIP: $(in_ns tcl $IP neigh show $VIP | grep -o 'lladdr [0-9a-f:]*')"
# (/sys shows the guest's first namespace: the MACs and counters come from ip and /proc)
echo "director's MAC: lladdr $($IP -o link show tbr | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)"
for n in rs1 rs2; do
	echo "tunl0 rx $n: $(in_ns $n awk '$1 == "tunl0:" { print $3 }' /proc/net/dev)"
done
sandwich() {
	n=0
	while [ $n -lt 30 ]; do
		$ORIG "$@" >/tmp/a 2>&1; $OURS "$@" >/tmp/b 2>&1; $ORIG "$@" >/tmp/c 2>&1
		if cmp -s /tmp/a /tmp/c; then
			if cmp -s /tmp/a /tmp/b; then echo "same: $* (try $n)"; else echo "DIFF: $*"; diff /tmp/a /tmp/b; fi
			cat /tmp/b
			return
		fi
		n=$((n+1))
	done
	echo "UNSTABLE: $*"
}
sleep 2.5 # the kernel folds the per-CPU counters into the listed ones every 2 s
sandwich -L -n
sandwich -L -n --stats --exact
sandwich -S -n
# Take it down: the real servers back to no role, the table, the namespaces.
for n in rs1 rs2; do
	in_ns $n /ours/lvs-arp director -i eth0 --vip $VIP --vip-dev tunl0 || echo "FAIL: lvs-arp director on $n"
	echo "after director $n: $(in_ns $n $IP -o -4 addr show dev tunl0 | wc -l) addresses on tunl0"
done
for n in rs1 rs2 tcl; do $IP netns pids $n | xargs -r kill; done
$OURS -C
for n in rs1 rs2 tcl; do $IP netns del $n; done
$IP link del tbr
true
`

// TestVMTunnel: LVS/TUN end to end (issue 15): the client's requests reach both real
// servers through IPIP and are answered from the VIP, with the replies bypassing the
// director; ARP for the VIP is answered by the director only; lvs-arp's TUN role and
// the example's script work on a real kernel; our listings match 1.31's.
func TestVMTunnel(t *testing.T) {
	vmtest.RequireGuest(t)
	script, err := os.ReadFile("../../examples/root/conf/tun-realserver")
	if err != nil {
		t.Fatal(err)
	}
	res := vmtest.RunInGuest(t, vmtest.Options{Script: tunScript, Timeout: 3 * time.Minute,
		Files: map[string][]byte{"/payload/tun-realserver": script}})
	out := res.Stdout()
	if res.ExitCode != 0 {
		t.Fatalf("guest script exit %d\nstdout:\n%s\nstderr:\n%s", res.ExitCode, out, res.Stderr())
	}
	t.Logf("transcript:\n%s\nstderr:\n%s", out, res.Stderr())
	for _, bad := range []string{"FAIL: ", "DIFF: ", "UNSTABLE: "} {
		if strings.Contains(out, bad) {
			t.Errorf("transcript has %q", bad)
		}
	}
	// Round robin over two real servers: five answers each, every request answered.
	for _, rs := range []string{"rs1", "rs2"} {
		if n := len(regexp.MustCompile(`(?m)^answer \d+: `+rs+`$`).FindAllString(out, -1)); n != 5 {
			t.Errorf("%s answered %d of the 10 requests, want 5 (rr)", rs, n)
		}
		if !strings.Contains(out, "tunl0 "+rs+": 10.7.0.100/32 state UNKNOWN") && !strings.Contains(out, "tunl0 "+rs+": 10.7.0.100/32 state UP") {
			t.Errorf("%s: tunl0 not up with the VIP", rs)
		}
		m := regexp.MustCompile(`tunl0 rx ` + rs + `: (\d+)`).FindStringSubmatch(out)
		if m == nil {
			t.Errorf("%s: no tunl0 counter", rs)
		} else if n, _ := strconv.Atoi(m[1]); n < 5 {
			t.Errorf("%s: tunl0 received %d packets, want the IPIP-wrapped requests (at least 5)", rs, n)
		}
		if !regexp.MustCompile(`status ` + rs + `: .*realserver`).MatchString(out) {
			t.Errorf("%s: lvs-arp status does not say realserver", rs)
		}
		if !strings.Contains(out, "after director "+rs+": 0 addresses on tunl0") {
			t.Errorf("%s: the VIP stayed on tunl0 after lvs-arp director", rs)
		}
	}
	// Only the director answers ARP for the VIP.
	arp := regexp.MustCompile(`client's ARP entry for the VIP: (lladdr \S+)`).FindStringSubmatch(out)
	dir := regexp.MustCompile(`director's MAC: (lladdr \S+)`).FindStringSubmatch(out)
	if arp == nil || dir == nil || arp[1] != dir[1] {
		t.Errorf("the client's ARP entry for the VIP is not the director's (%v, %v)", arp, dir)
	}
	// Listed as 1.31 lists it: Tunnel forwarding; in LVS/TUN the replies go from the
	// real servers to the client, so the director counts packets in and none out.
	if n := strings.Count(out, "same: "); n != 3 {
		t.Errorf("%d listings identical to 1.31's, want 3", n)
	}
	if !regexp.MustCompile(`(?m)^  -> 10\.7\.0\.2[12]:80\s+Tunnel\s+1\s`).MatchString(out) {
		t.Errorf("no Tunnel real server in the listing")
	}
	if !regexp.MustCompile(`(?m)^TCP  10\.7\.0\.100:80\s+10\s+[1-9]\d*\s+0\s+[1-9]\d*\s+0$`).MatchString(out) {
		t.Errorf("--stats --exact: want 10 connections, packets and bytes in, none out")
	}
	if !strings.Contains(out, "-a -t 10.7.0.100:80 -r 10.7.0.21:80 -i -w 1") {
		t.Errorf("-S -n does not save the tunnelled real server as -i")
	}
}
