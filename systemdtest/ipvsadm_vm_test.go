package systemdtest

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lvskit/lvskit/vmtest"
)

// ipvsadmServiceScript runs the packages' ipvsadm.service script
// (packaging/files/libexec/ipvsadm-service, the unit's ExecStart/ExecStop) on
// Debian's kernel with lvskit's ipvsadm in /sbin, as the package installs it, and
// lists with the original 1.31 after each step. The "reboot" is what a reboot does
// to IPVS: the ip_vs modules are unloaded (the kernel's table and sync daemon are
// gone) and loaded again, then the unit starts. systemd itself cannot run in this
// guest; systemdtest's container runs the same unit under systemd.
const ipvsadmServiceScript = `
set -u
mkdir -p /tmp/orig /tmp/sbin /etc/default
cp /sbin/ipvsadm /tmp/orig/ipvsadm
cp /ours/ipvsadm /tmp/sbin/ipvsadm
ln -s ipvsadm /tmp/sbin/ipvsadm-adopt
mount --bind /tmp/sbin /sbin
ORIG=/tmp/orig/ipvsadm
SVC="sh /payload/ipvsadm-service"
step() { echo "== $1"; }
list() { $ORIG -L -n; $ORIG -L -n --daemon; }
printf 'AUTO="true"\nDAEMON="master"\nIFACE="lo"\nSYNCID="7"\n' > /etc/default/ipvsadm

step "the site's table, made by hand"
/sbin/ipvsadm -A -t 10.0.0.100:80 -s wlc -p 300
/sbin/ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.11:80 -g -w 3
/sbin/ipvsadm -a -t 10.0.0.100:80 -r 10.0.0.12:80 -g -w 1
/sbin/ipvsadm -A -u 10.0.0.100:53 -s rr
/sbin/ipvsadm -a -u 10.0.0.100:53 -r 10.0.0.11:53 -i
/sbin/ipvsadm -A -f 7 -s mh -b flag-1,flag-2
/sbin/ipvsadm -a -f 7 -r 10.0.0.13:0 -m -w 2
/sbin/ipvsadm --start-daemon master --mcast-interface lo --syncid 7
list | tee /tmp/before
step "ipvsadm-service save"
$SVC save; echo "rc=$?"; cat /etc/ipvsadm.rules
step "ipvsadm-service stop (shutdown)"
$SVC stop; echo "rc=$?"; list
step "reboot: the ip_vs modules unloaded and loaded again"
# Another part's network namespace, gone just before, may hold the modules until the
# kernel has cleaned it up: retry for up to 20 s. (In the VM suite the modules may
# still be held by a namespace that is not ours; then the reboot is the table and
# sync daemon gone, which the unit's stop did, and the log says so.)
n=0
while [ $n -lt 40 ] && grep -q '^ip_vs ' /proc/modules; do
	for m in $(sed -n '/^ip_vs/p' /vmtest/modules | sed -n '1!G;h;$p'); do rmmod $m 2>/dev/null; done
	grep -q '^ip_vs ' /proc/modules && sleep 0.5
	n=$((n+1))
done
if grep -q '^ip_vs ' /proc/modules; then echo "ip_vs held by another namespace: not unloaded"; else echo "ip_vs unloaded"; fi
for m in $(sed -n '/^ip_vs/p' /vmtest/modules); do grep -q "^$m " /proc/modules || insmod /vmtest/mods/$m.ko || echo "insmod $m FAILED"; done
echo "ip_vs modules loaded again: $(grep -c '^ip_vs' /proc/modules)"
list
step "ipvsadm-service start (boot)"
$SVC start; echo "rc=$?"; list > /tmp/after; cat /tmp/after
if cmp -s /tmp/before /tmp/after; then echo "table and sync daemon as before the reboot"; else echo "DIFFERENT"; fi
step "an edited rules file, ipvsadm-service reload (adopt)"
sed -i 's/-r 10.0.0.12:80 -g -w 1/-r 10.0.0.12:80 -g -w 5/' /etc/ipvsadm.rules
$SVC reload; echo "rc=$?"; $ORIG -L -n -t 10.0.0.100:80
$SVC stop >/dev/null
true
`

func TestVMIpvsadmService(t *testing.T) {
	vmtest.RequireGuest(t)
	svc, err := os.ReadFile("../packaging/files/libexec/ipvsadm-service")
	if err != nil {
		t.Fatal(err)
	}
	res := vmtest.RunInGuest(t, vmtest.Options{Script: ipvsadmServiceScript, Timeout: 2 * time.Minute,
		Files: map[string][]byte{"/payload/ipvsadm-service": svc}})
	out := res.Stdout()
	if res.ExitCode != 0 {
		t.Fatalf("guest script exit %d\nstdout:\n%s\nstderr:\n%s", res.ExitCode, out, res.Stderr())
	}
	t.Logf("transcript:\n%s", out)
	for _, want := range []string{
		// save wrote the table in -S -n form under Debian's header.
		"== ipvsadm-service save\nrc=0\n# ipvsadm.rules\n-A -t 10.0.0.100:80 -s wlc -p 300\n",
		"-a -f 7 -r 10.0.0.13:0 -m -w 2\n",
		// the reboot emptied the kernel's table, and the unit's start brought it back.
		"== ipvsadm-service start (boot)\nrc=0\n",
		"master sync daemon (mcast=lo, syncid=7, ",
		"table and sync daemon as before the reboot\n",
		"== an edited rules file, ipvsadm-service reload (adopt)\nrc=0\n",
		"  -> 10.0.0.12:80                 Route   5      0          0         \n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("transcript lacks %q", want)
		}
	}
	for _, bad := range []string{"FAILED", "DIFFERENT"} {
		if strings.Contains(out, bad) {
			t.Errorf("transcript has %q", bad)
		}
	}
	if !strings.Contains(out, "ip_vs unloaded\n") {
		t.Logf("the ip_vs modules stayed loaded (held by another part's namespace): the reboot was the table and sync daemon gone")
	}
	// The unit's stop emptied the table and stopped the sync daemon, and after the
	// "reboot" the kernel had neither.
	if _, after, ok := strings.Cut(out, "== reboot: the ip_vs modules unloaded and loaded again\n"); !ok ||
		strings.Contains(strings.SplitN(after, "== ", 2)[0], "10.0.0.100") || strings.Contains(strings.SplitN(after, "== ", 2)[0], "sync daemon") {
		t.Errorf("the table or the sync daemon survived the reboot:\n%s", after)
	}
	if _, after, ok := strings.Cut(out, "== ipvsadm-service stop (shutdown)\n"); !ok || strings.Contains(strings.SplitN(after, "== ", 2)[0], "10.0.0.100") ||
		strings.Contains(strings.SplitN(after, "== ", 2)[0], "sync daemon") {
		t.Errorf("the table survived the unit's stop:\n%s", after)
	}
}
