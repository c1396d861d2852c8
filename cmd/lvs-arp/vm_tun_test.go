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
# (the namespaces are named tun-*: /run/netns is shared with the other parts of the
# VM suite, one of which names its own rs1)
in_ns() { ns=$1; shift; $IP netns exec tun-$ns "$@"; }
$IP link add tbr type bridge
$IP addr add 10.7.0.1/24 dev tbr
$IP link set tbr up
i=0
for n in rs1 rs2 tcl; do
	i=$((i+1))
	case $n in rs1) a=10.7.0.21 ;; rs2) a=10.7.0.22 ;; tcl) a=10.7.0.2 ;; esac
	$IP netns add tun-$n
	$IP link add v-$n type veth peer name eth0 netns tun-$n
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
` + vmtest.Sandwich + `sleep 2.5 # the kernel folds the per-CPU counters into the listed ones every 2 s
sandwich -L -n
sandwich -L -n --stats --exact
sandwich -S -n
# Take it down: the real servers back to no role, the table, the namespaces.
for n in rs1 rs2; do
	in_ns $n /ours/lvs-arp director -i eth0 --vip $VIP --vip-dev tunl0 || echo "FAIL: lvs-arp director on $n"
	echo "after director $n: $(in_ns $n $IP -o -4 addr show dev tunl0 | wc -l) addresses on tunl0"
done
for n in rs1 rs2 tcl; do $IP netns pids tun-$n | xargs -r kill; done
$OURS -C
for n in rs1 rs2 tcl; do $IP netns del tun-$n; done
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

// tun6Script is LVS/TUN for an IPv6 service on a real IPVS kernel: this namespace is
// the director (the VIP on its LAN bridge, the service with two -i real servers: IPVS
// sends them IPv6-in-IPv6); rs61 and rs62 run lvs-arp realserver --vip-dev tunl0, which
// puts the IPv6 VIP on ip6tnl0 (the ip6_tunnel module's fallback device), and an HTTP
// server; the client, on the same LAN, fetches the VIP. First with the director's VIP
// preferred, as a /128 is for a source address: the director then wraps the packets
// from the VIP, which the real servers hold, and ip6tnl0 drops what comes from one of
// its own node's addresses. Then with the VIP deprecated (preferred_lft 0, IPaddr2's
// preferred_lft=0), which the director still answers on but no longer sends from.
const tun6Script = `
set -u
IP=/usr/sbin/ip
OURS=/ours/ipvsadm
VIP=2001:db8:7::100
in_ns() { ns=$1; shift; $IP netns exec $ns "$@"; }
service() {
	$OURS -A -t [$VIP]:80 -s rr || echo "FAIL: -A"
	$OURS -a -t [$VIP]:80 -r [2001:db8:7::21]:80 -i || echo "FAIL: -a rs61"
	$OURS -a -t [$VIP]:80 -r [2001:db8:7::22]:80 -i || echo "FAIL: -a rs62"
}
rx() { in_ns $1 awk '$1 == "ip6tnl0:" { print $3 }' /proc/net/dev; }
$IP link add tbr6 type bridge
echo 0 >/proc/sys/net/ipv6/conf/tbr6/accept_dad
$IP addr add 2001:db8:7::1/64 dev tbr6 nodad
$IP link set tbr6 up
for n in rs61 rs62 tcl6; do
	case $n in rs61) a=2001:db8:7::21 ;; rs62) a=2001:db8:7::22 ;; tcl6) a=2001:db8:7::2 ;; esac
	$IP netns add $n
	in_ns $n sh -c 'echo 0 >/proc/sys/net/ipv6/conf/default/accept_dad'
	$IP link add v-$n type veth peer name eth0 netns $n
	$IP link set v-$n master tbr6 up
	in_ns $n $IP link set lo up
	in_ns $n $IP addr add $a/64 dev eth0 nodad
	in_ns $n $IP link set eth0 up
done
for n in rs61 rs62; do
	in_ns $n /ours/lvs-arp realserver -i eth0 --vip $VIP --vip-dev tunl0 || echo "FAIL: lvs-arp realserver on $n"
	in_ns $n /ours/lvs-arp status -i eth0 --vip $VIP --vip-dev tunl0 >/tmp/status-$n 2>&1 || echo "FAIL: lvs-arp status on $n: $(cat /tmp/status-$n)"
	echo "status $n: $(tr '\n' ' ' </tmp/status-$n)"
	echo "ip6tnl0 $n: $(in_ns $n $IP -o -6 addr show dev ip6tnl0 scope global | grep -o 'inet6 .*nodad') $(in_ns $n $IP -o link show ip6tnl0 | grep -o 'state [A-Z]*')"
	mkdir -p /tmp/www-$n && echo $n >/tmp/www-$n/index.html
	in_ns $n busybox httpd -p [::]:80 -h /tmp/www-$n || echo "FAIL: httpd on $n"
done
# The director's VIP as IPaddr2 adds it by default: preferred.
$IP addr add $VIP/128 dev tbr6 nodad
service
sleep 0.5
echo "preferred: director's source to rs61: $($IP -6 route get 2001:db8:7::21 | grep -o 'src [0-9a-f:]*')"
if in_ns tcl6 timeout 5 busybox wget -q -O /tmp/preferred http://[$VIP]/ 2>/dev/null; then
	echo "preferred: answer: $(cat /tmp/preferred)"
else
	echo "preferred: answer: none"
fi
echo "preferred: ip6tnl0 rx: $(rx rs61) $(rx rs62)"
# Deprecated, and a fresh service (IPVS keeps each real server's route and source).
$OURS -C
$IP addr change $VIP/128 dev tbr6 nodad preferred_lft 0
service
echo "deprecated: director's source to rs61: $($IP -6 route get 2001:db8:7::21 | grep -o 'src [0-9a-f:]*')"
for k in 1 2 3 4 5 6 7 8 9 10; do
	echo "answer $k: $(in_ns tcl6 timeout 10 busybox wget -q -O - http://[$VIP]/ 2>&1)"
done
echo "client's neighbour entry for the VIP: $(in_ns tcl6 $IP -6 neigh show $VIP | grep -o 'lladdr [0-9a-f:]*')"
echo "director's MAC: lladdr $($IP -o link show tbr6 | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)"
for n in rs61 rs62; do
	echo "ip6tnl0 rx $n: $(rx $n)"
done
for n in rs61 rs62; do
	in_ns $n /ours/lvs-arp director -i eth0 --vip $VIP --vip-dev tunl0 || echo "FAIL: lvs-arp director on $n"
	echo "after director $n: $(in_ns $n $IP -o -6 addr show dev ip6tnl0 scope global | wc -l) addresses on ip6tnl0"
done
for n in rs61 rs62 tcl6; do $IP netns pids $n | xargs -r kill; done
$OURS -C
for n in rs61 rs62 tcl6; do $IP netns del $n; done
$IP link del tbr6
true
`

// TestVMTunnel6: LVS/TUN for an IPv6 service end to end: lvs-arp realserver --vip-dev
// tunl0 puts an IPv6 VIP on ip6tnl0, where IPVS's IPv6-in-IPv6 arrives; the requests
// reach both real servers and are answered from the VIP; only the director answers
// neighbour solicitations for the VIP. And the condition the package doc states: the
// director must not send the tunnelled packets from the VIP (ip6tnl0 drops them).
func TestVMTunnel6(t *testing.T) {
	vmtest.RequireGuest(t)
	res := vmtest.RunInGuest(t, vmtest.Options{Script: tun6Script, Timeout: 3 * time.Minute, Modules: []string{"ip6_tunnel"}})
	out := res.Stdout()
	if res.ExitCode != 0 {
		t.Fatalf("guest script exit %d\nstdout:\n%s\nstderr:\n%s", res.ExitCode, out, res.Stderr())
	}
	t.Logf("transcript:\n%s\nstderr:\n%s", out, res.Stderr())
	if strings.Contains(out, "FAIL: ") {
		t.Errorf("transcript has %q", "FAIL: ")
	}
	for _, want := range []string{
		"preferred: director's source to rs61: src 2001:db8:7::100\n",
		"preferred: answer: none\n",
		"preferred: ip6tnl0 rx: 0 0\n",
		"deprecated: director's source to rs61: src 2001:db8:7::1\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("transcript lacks %q", want)
		}
	}
	for _, rs := range []string{"rs61", "rs62"} {
		if n := len(regexp.MustCompile(`(?m)^answer \d+: `+rs+`$`).FindAllString(out, -1)); n != 5 {
			t.Errorf("%s answered %d of the 10 requests, want 5 (rr)", rs, n)
		}
		if !regexp.MustCompile(`ip6tnl0 ` + rs + `: inet6 2001:db8:7::100/128 .*nodad state (UNKNOWN|UP)`).MatchString(out) {
			t.Errorf("%s: ip6tnl0 not up with the VIP as a /128 nodad", rs)
		}
		m := regexp.MustCompile(`ip6tnl0 rx ` + rs + `: (\d+)`).FindStringSubmatch(out)
		if m == nil {
			t.Errorf("%s: no ip6tnl0 counter", rs)
		} else if n, _ := strconv.Atoi(m[1]); n < 5 {
			t.Errorf("%s: ip6tnl0 received %d packets, want the wrapped requests (at least 5)", rs, n)
		}
		if !strings.Contains(out, "status "+rs+": vip 2001:db8:7::100 on ip6tnl0 role: realserver") {
			t.Errorf("%s: lvs-arp status does not say the VIP is on ip6tnl0, realserver", rs)
		}
		if !strings.Contains(out, "after director "+rs+": 0 addresses on ip6tnl0") {
			t.Errorf("%s: the VIP stayed on ip6tnl0 after lvs-arp director", rs)
		}
	}
	nd := regexp.MustCompile(`client's neighbour entry for the VIP: (lladdr \S+)`).FindStringSubmatch(out)
	dir := regexp.MustCompile(`director's MAC: (lladdr \S+)`).FindStringSubmatch(out)
	if nd == nil || dir == nil || nd[1] != dir[1] {
		t.Errorf("the client's neighbour entry for the VIP is not the director's (%v, %v)", nd, dir)
	}
}
