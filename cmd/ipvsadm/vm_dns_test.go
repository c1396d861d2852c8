package main

import (
	"net/netip"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/internal/nameres/dnstest"
	"github.com/lvskit/lvskit/vmtest"
)

// dnsCommands run with 1.31 and with ours against the test's DNS server and an
// /etc/hosts of other names: names from DNS (search list, final dot, several A
// records, A and AAAA, AAAA only), from /etc/hosts (and shadowing DNS), unknown
// names, then the listings that print names.
const dnsCommands = `-A -t vip.lvs.test:http -s rr
-a -t vip.lvs.test:80 -r web1.lvs.test:8080 -m
-a -t vip.lvs.test:80 -r web2:8080 -m -w 2
-a -t vip.lvs.test:80 -r fromhosts:http -m
-a -t 10.0.0.100:80 -r hostsname:80 -m
-a -t vip.lvs.test:80 -r 10.0.0.50:80 -m
-a -t vip.lvs.test:80 -r 10.0.0.60:80 -m
-a -t vip.lvs.test:80 -r multi.lvs.test:80 -m
-a -t vip.lvs.test:80 -r shadow.lvs.test:80 -m
-a -t vip.lvs.test:80 -r web1.lvs.test.:81 -m
-a -t vip.lvs.test:80 -r ptrmulti.lvs.test:80 -m
-A -t nosuch.lvs.test:80 -s rr
-a -t vip.lvs.test:80 -r nosuch.lvs.test:80 -m
-A -t 10.0.0.300:80 -s rr
-A -t v6.lvs.test:80 -s rr
-A -t [v6.lvs.test]:80 -s rr
-A -t dual.lvs.test:443 -s wrr
-A -t 10.0.0.100:443 -s rr -p 60 -M nosuch.lvs.test
-A -t [2001:db8::11]:80 -s rr
-a -t [2001:db8::11]:80 -r [2001:db8::12]:80 -m
-a -t [2001:db8::11]:80 -r [2001:db8::15]:80 -m
-A -u web1.lvs.test:domain -s rr
-a -u web1.lvs.test:53 -r 10.0.0.15:53 -m
-E -t vip.lvs.test:80 -s wlc
-e -t vip.lvs.test:80 -r web2.lvs.test:8080 -m -w 5
-L
-L --stats
-L --rate
-L --thresholds
-S
-L -t vip.lvs.test:80
-L -u web1.lvs.test:53
-Ln
-d -t vip.lvs.test:80 -r web2:8080
-D -u web1.lvs.test:53
-L`

// dnsConnSample is a /proc/net/ip_vs_conn text over the zone's addresses, for -Lc.
const dnsConnSample = `Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
TCP 0A000032 9C40 0A000064 0050 0A00000B 1F90 ESTABLISHED     899
TCP 0A00000E C350 0A000064 0050 0A00000F 0050 TIME_WAIT        60
UDP 0A00003C 14E9 0A00000B 0035 0A00000C 0035 UDP              10
TCP 2001:0db8:0000:0000:0000:0000:0000:0012 9C40 2001:0db8:0000:0000:0000:0000:0000:0011 0050 2001:0db8:0000:0000:0000:0000:0000:0015 0050 ESTABLISHED     890
`

const dnsScript = `
set -u
# The package's guest tests share /tmp: a directory of this run's own.
BIN=$(mktemp -d /tmp/dns-names.XXXXXX)
mkdir -p $BIN/real $BIN/ours
ln -s /sbin/ipvsadm $BIN/real/ipvsadm
ln -s /ours/ipvsadm $BIN/ours/ipvsadm
BASEPATH=$PATH
pass() { # BINDIR OUT
	PATH=$1:$BASEPATH
	: >"$2"
	ipvsadm -C
	set -f
	while IFS= read -r line; do
		printf '$ ipvsadm %s\n' "$line" >>"$2"
		# shellcheck disable=SC2086 # one word per option
		ipvsadm $line >>"$2" 2>&1
		echo "[exit $?]" >>"$2"
	done </payload/commands
	set +f
	# -c over a sample: /proc/net is /proc/self/net, so hide all of /proc.
	mount -t tmpfs tmpfs /proc
	mkdir -p /proc/net
	cp /payload/conn.txt /proc/net/ip_vs_conn
	for m in -Lc "-Lc --persistent-conn" -Lnc; do
		printf '$ ipvsadm %s\n' "$m" >>"$2"
		# shellcheck disable=SC2086
		ipvsadm $m >>"$2" 2>&1
		echo "[exit $?]" >>"$2"
	done
	umount /proc
	ipvsadm -C
	PATH=$BASEPATH
}
pass $BIN/real /results/real.txt
pass $BIN/ours /results/ours.txt
rm -rf $BIN
echo dns-names: done
`

// TestVMNamesFromDNS compares ours with 1.31 on names resolved through the
// system's resolver: an authoritative DNS server in this process on
// 127.0.0.1:53 of the guest namespace, /etc/resolv.conf pointing at it,
// nsswitch "hosts: files dns" and an /etc/hosts with other names.
func TestVMNamesFromDNS(t *testing.T) {
	vmtest.RequireGuest(t)
	ip := netip.MustParseAddr
	srv := dnstest.Start(t, "127.0.0.1:53", dnstest.Zone{
		A: map[string][]netip.Addr{
			"vip.lvs.test":      {ip("10.0.0.100")},
			"web1.lvs.test":     {ip("10.0.0.11")},
			"web2.lvs.test":     {ip("10.0.0.12")},
			"shadow.lvs.test":   {ip("10.0.0.17")},
			"dual.lvs.test":     {ip("10.0.0.13")},
			"ptrmulti.lvs.test": {ip("10.0.0.18")},
			// Unreachable first, loopback second: Go's RFC 6724 sort would
			// swap them; gethostbyname keeps the answer's order.
			"multi.lvs.test": {ip("10.255.0.21"), ip("127.0.0.21"), ip("10.255.0.22")},
		},
		AAAA: map[string][]netip.Addr{
			"v6.lvs.test":   {ip("2001:db8::11")},
			"dual.lvs.test": {ip("2001:db8::13")},
		},
		PTR: map[netip.Addr][]string{
			ip("10.0.0.100"):   {"vip.lvs.test"},
			ip("10.0.0.11"):    {"web1.lvs.test"},
			ip("10.0.0.12"):    {"web2.lvs.test"},
			ip("10.0.0.13"):    {"dual.lvs.test"},
			ip("10.0.0.15"):    {"dns-name-of-hostsname.lvs.test"},
			ip("10.0.0.17"):    {"shadow.lvs.test"},
			ip("10.0.0.18"):    {"first.lvs.test", "second.lvs.test"},
			ip("10.0.0.60"):    {"a-very-long-reverse-name-from-the-dns-that-overflows-the-column.lvs.test"},
			ip("10.255.0.21"):  {"multi.lvs.test"},
			ip("2001:db8::11"): {"v6.lvs.test"},
			ip("2001:db8::15"): {"v6-rs.lvs.test"},
		},
	})
	etc := map[string]string{
		"/etc/resolv.conf":   "nameserver 127.0.0.1\nsearch lvs.test\noptions timeout:2 attempts:1\n",
		"/etc/nsswitch.conf": "hosts: files dns\nservices: files\n",
		"/etc/hosts": "127.0.0.1 localhost\n10.0.0.14 fromhosts.lvs.test fromhosts\n" +
			"10.0.0.15 hostsname\n10.0.0.16 shadow.lvs.test\n::1 localhost ip6-localhost\n",
	}
	services, err := os.ReadFile(testdataDir + "/etc/services")
	if err != nil {
		t.Fatal(err)
	}
	etc["/etc/services"] = string(services)
	// The package's other guest tests share this /etc: put it back afterwards.
	for f, s := range etc {
		old, err := os.ReadFile(f)
		existed := err == nil
		t.Cleanup(func() {
			if existed {
				os.WriteFile(f, old, 0o644)
			} else {
				os.Remove(f)
			}
		})
		if err := os.WriteFile(f, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res := vmtest.RunInGuest(t, vmtest.Options{
		Script: dnsScript,
		Files: map[string][]byte{
			"/payload/commands": []byte(dnsCommands + "\n"),
			"/payload/conn.txt": []byte(dnsConnSample),
		},
		Timeout: 5 * time.Minute,
	})
	if res.ExitCode != 0 || !strings.Contains(res.Stdout(), "dns-names: done") {
		t.Fatalf("guest exit %d\nstdout:\n%s\nstderr:\n%s", res.ExitCode, res.Stdout(), res.Stderr())
	}
	if s := res.Stderr(); s != "" {
		t.Errorf("guest stderr:\n%s", s)
	}
	real, ours := string(res.Files["real.txt"]), string(res.Files["ours.txt"])
	t.Logf("1.31:\n%s", real)
	t.Logf("DNS queries: %d", len(srv.Queries()))
	// 1.31 did use the DNS server (glibc's nss dns is in libc.so.6).
	for _, want := range []string{"web1.lvs.test:8080", "vip.lvs.test:http", "multi.lvs.test:http", "fromhosts.lvs.test:http"} {
		if !strings.Contains(real, want) {
			t.Errorf("1.31's listing has no %q: its resolver did not answer from the test's zone", want)
		}
	}
	if diff := cmp.Diff(real, ours); diff != "" {
		t.Errorf("ours differs from 1.31 (-1.31 +ours):\n%s", diff)
	}
}
