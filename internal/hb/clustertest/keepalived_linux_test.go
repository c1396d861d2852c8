package clustertest

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/hb/interop"
	"github.com/lvskit/lvskit/internal/netnstest"
)

// keepalived's VRRP as the peer sites compare heartbeatd with (issue 16). Its
// detection is the VRRP master-down interval, 3 × advert_int + skew, where skew =
// (256 − priority)/256 × advert_int on the backup (RFC 5798): advert_int is tuned so
// that interval equals heartbeatd's deadtime, the same detection budget.
const keepalivedBackupPriority = 100

func keepalivedAdvertInt(deadtime time.Duration) float64 {
	a := deadtime.Seconds() / (3 + float64(256-keepalivedBackupPriority)/256)
	return math.Round(a*100) / 100 // VRRPv3 advertises in centiseconds
}

// keepalivedMasterDown is the backup's master-down interval for an advert_int (RFC 5798:
// three adverts plus the skew time).
func keepalivedMasterDown(advert float64) time.Duration {
	s := advert * (3 + float64(256-keepalivedBackupPriority)/256)
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond)
}

// keepalivedConf is one node's VRRP instance: unicast to the peer over the pair's
// link, the VIP of the heartbeat tests, no preemption by the returning master.
func keepalivedConf(p *interop.Pair, self int, advert float64) string {
	prio := []int{150, keepalivedBackupPriority}[self]
	return fmt.Sprintf(`global_defs {
  router_id lvs%d
  vrrp_version 3
  script_user root
  enable_script_security
}
vrrp_instance VI_1 {
  state BACKUP
  interface %s
  virtual_router_id 51
  priority %d
  advert_int %.2f
  unicast_src_ip %s
  unicast_peer {
    %s
  }
  virtual_ipaddress {
    %s/24 dev %s
  }
}
`, self+1, p.Iface, prio, advert, p.Addr[self], p.Addr[1-self], VIP, p.Iface)
}

// keepalivedNode is keepalived (its parent and VRRP child) in a namespace.
type keepalivedNode struct {
	ns  *netnstest.NS
	cmd *exec.Cmd
	log string // its console output
}

// logText is what keepalived has logged so far.
func (n *keepalivedNode) logText() string {
	b, _ := os.ReadFile(n.log)
	return string(b)
}

func startKeepalived(t *testing.T, ns *netnstest.NS, conf string) *keepalivedNode {
	t.Helper()
	dir := t.TempDir()
	cf := filepath.Join(dir, "keepalived.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := ns.Command("keepalived", "--dont-fork", "--log-console", "--vrrp", "-f", cf,
		"-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"))
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &keepalivedNode{ns: ns, cmd: cmd, log: out.Name()}
	t.Cleanup(n.kill9)
	return n
}

// kill9 kills keepalived's parent and VRRP child at once, as a crash of the node's
// daemon: the VIP stays where it was, as heartbeat's does after kill -9.
func (n *keepalivedNode) kill9() {
	if n.cmd.Process != nil {
		syscall.Kill(-n.cmd.Process.Pid, syscall.SIGKILL)
		n.cmd.Wait()
	}
}

// keepalivedTakeovers measures kill -9 of the VRRP master to the VIP up on the
// backup, runs times, with the master-down interval equal to deadtime.
func keepalivedTakeovers(t *testing.T, runs int) benchResult {
	if _, err := exec.LookPath("keepalived"); err != nil {
		t.Fatal("keepalived not installed: make bench-heartbeat installs Debian's keepalived")
	}
	advert := keepalivedAdvertInt(Deadtime)
	res := benchResult{name: fmt.Sprintf("keepalived (advert_int %.2f)", advert)}
	for i := 0; i < runs; i++ {
		p := interop.NewPair(t)
		a := startKeepalived(t, p.NS[0], keepalivedConf(p, 0, advert))
		b := startKeepalived(t, p.NS[1], keepalivedConf(p, 1, advert))
		if _, ok := waitVIP(p.NS[0], startBound); !ok {
			t.Fatalf("run %d: no VIP on keepalived's master", i)
		}
		time.Sleep(time.Duration(i%5)*37*time.Millisecond + 500*time.Millisecond)
		if vipIn(p.NS[1]) {
			t.Fatalf("run %d: both keepalived nodes hold the VIP", i)
		}
		t0 := time.Now()
		a.kill9()
		t1, ok := waitVIP(p.NS[1], failoverBound)
		if !ok {
			t.Fatalf("run %d: keepalived's backup did not take over", i)
		}
		res.latencies = append(res.latencies, t1.Sub(t0))
		rss := 0
		for _, pid := range nsProcs(p.NS[1], "keepalived") {
			rss += vmHWM(pid)
		}
		res.rssKB = append(res.rssKB, rss)
		b.kill9()
	}
	return res
}

func TestKeepalivedAdvertInt(t *testing.T) {
	// deadtime 2 s: 3a + 156/256 a = 2 → a ≈ 0.554 → 0.55; master down 1.985 s.
	if got := keepalivedAdvertInt(2 * time.Second); got != 0.55 {
		t.Errorf("advert_int for deadtime 2s = %v, want 0.55", got)
	}
}
