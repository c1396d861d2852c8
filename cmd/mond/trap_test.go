package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const trapCfg = oracleDirs + `
hostgroup trapg 127.0.0.1

hostgroup default 127.0.0.9

watch trapg
    service t
        description fed by traps
        period wd {Sun-Sat}
            alert rec.alert down
            upalert rec.alert up

watch default
    service default
        period wd {Sun-Sat}
            alert rec.alert catchall
`

// sendTrap sends a trap with Debian's Mon::Client, as remote senders do.
func sendTrap(t *testing.T, port int, user, pass, group, service string, retval int, opstatus, summary, detail string) {
	t.Helper()
	script := fmt.Sprintf(`use Mon::Client;
my $c = Mon::Client->new(host => "127.0.0.1", port => %d, username => %q, password => %q);
$c->send_trap(group => %q, service => %q, retval => %d, opstatus => %q, summary => %q, detail => %q)
  or die $c->error;`, port, user, pass, group, service, retval, opstatus, summary, detail)
	if out, err := exec.Command("perl", "-e", script).CombinedOutput(); err != nil {
		t.Fatalf("send_trap: %v\n%s", err, out)
	}
}

// TestTrapsAgainstMon sends the same traps (through Mon::Client) to mon 1.3.6 and mond
// and compares the alerts: -T trap alerts, the upalert, the "default" watch catching a
// trap for an unknown group (MON_TRAP_INTENDED), and a trap with a bad password dropped.
func TestTrapsAgainstMon(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the original mon 1.3.6; not with -short")
	}
	if _, err := os.Stat(monBin); err != nil {
		t.Skip("mon 1.3.6 not installed")
	}
	if err := exec.Command("perl", "-MMon::Client", "-e", "1").Run(); err != nil {
		t.Skip("Mon::Client not installed")
	}
	base := t.TempDir()
	auth := "trap section\n127.0.0.1 trapper trCbqV6jNO0xc\n" // crypt("tpw", "tr")
	runs := map[string]*oracleRun{}
	for _, impl := range []string{"mon", "mond"} {
		runs[impl] = startOracle(t, impl, filepath.Join(base, impl), trapCfg, map[string][]string{}, nil, []string{"rec.alert"}, "", auth)
	}
	for _, r := range runs {
		// mon binds its ports before it starts its loop; perl starts slowly on a busy host.
		waitFor(t, "the server to listen", func() bool {
			c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(r.port))
			if err == nil {
				c.Close()
			}
			return err == nil
		})
	}
	time.Sleep(300 * time.Millisecond)
	for _, step := range []struct {
		group, service, pass string
		retval               int
		opstatus, sum, dtl   string
	}{
		{"trapg", "t", "tpw", 1, "fail", "disk full", "sda1 100%\nsdb1 99%"},
		{"trapg", "t", "wrong", 1, "fail", "ignored", ""},
		{"trapg", "t", "tpw", 1, "fail", "disk still full", "sda1 100%"},
		{"trapg", "t", "tpw", 0, "ok", "fine", ""},
		{"nosuch", "x", "tpw", 2, "fail", "lost trap", "for nobody"},
	} {
		for _, r := range runs {
			sendTrap(t, r.port+1, "trapper", step.pass, step.group, step.service, step.retval, step.opstatus, step.sum, step.dtl)
		}
		time.Sleep(1100 * time.Millisecond)
	}
	// 3 alerts for trapg/t (two -T, one upalert) and 1 for the default watch.
	for _, r := range runs {
		waitFor(t, "the trap alerts", func() bool {
			files, _ := filepath.Glob(filepath.Join(r.dir, "rec", "*.rec"))
			return len(files) >= 4
		})
	}
	time.Sleep(300 * time.Millisecond)
	for _, r := range runs {
		r.stop()
	}
	want, got := runs["mon"].recordings(t), runs["mond"].recordings(t)
	if len(want["trapg.t"]) != 3 || len(want["default.default"]) != 1 {
		t.Fatalf("mon's own recording is not what the test expects: %v", want)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("trap alerts differ (-mon +mond):\n%s", diff)
	}
}
