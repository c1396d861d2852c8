package vmtest

import (
	"strings"
	"testing"
	"time"
)

// TestBoot proves the harness: the guest boots Debian's kernel, IPVS is
// loaded, the real ipvsadm runs, and named result files come back.
func TestBoot(t *testing.T) {
	res := Boot(t, Options{
		Timeout: time.Minute,
		Script: `ipvsadm -A -t 10.144.43.185:23 -s wlc
ipvsadm -a -t 10.144.43.185:23 -r 10.144.43.187 -i
ipvsadm -Ln > /results/list
cat /proc/net/ip_vs > /results/proc
echo hello >&2
exit 3
`,
	})
	if res.ExitCode != 3 {
		t.Errorf("exit code %d, want 3\n%s", res.ExitCode, res.Console)
	}
	if got := res.Stderr(); got != "hello\n" {
		t.Errorf("stderr %q, want hello", got)
	}
	if !strings.Contains(string(res.Files["list"]), "TCP  10.144.43.185:23 wlc") {
		t.Errorf("ipvsadm -Ln:\n%s\nconsole:\n%s", res.Files["list"], res.Console)
	}
	t.Logf("guest wall time %s\n%s%s", res.Elapsed, res.Console, res.Files["vmtest.log"])
}
