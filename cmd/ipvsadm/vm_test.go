package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/vmtest"
)

var updateVM = flag.Bool("update-vm", false, "rewrite compat/ipvsadm/testdata/{sessions,conn} transcripts from ipvsadm 1.31 in the VM")

const testdataDir = "../../compat/ipvsadm/testdata"

// TestVMSessions runs the session scripts and the -c samples with ipvsadm 1.31 and with
// ours on Debian's kernel, inside the VM of go test ./vmtest -run TestVMSuite (it skips
// elsewhere), and requires the same transcripts byte for byte. With -update-vm (the
// suite's -update) it also stores 1.31's transcripts as the golden files
// TestSessionsAgainstFake replays.
func TestVMSessions(t *testing.T) {
	vmtest.RequireGuest(t)
	guest, err := os.ReadFile("testdata/vm-guest.sh")
	if err != nil {
		t.Fatal(err)
	}
	opts := vmtest.Options{Script: string(guest), HostFiles: map[string]string{}, Timeout: 14 * time.Minute}
	cmds, _ := filepath.Glob(filepath.Join(testdataDir, "sessions", "*.cmds"))
	samples, _ := filepath.Glob(filepath.Join(testdataDir, "conn", "*.txt"))
	if len(cmds) == 0 || len(samples) == 0 {
		t.Fatal("no session scripts or conn samples")
	}
	for _, f := range cmds {
		opts.HostFiles["/payload/sessions/"+filepath.Base(f)] = f
	}
	for _, f := range samples {
		opts.HostFiles["/payload/conn/"+filepath.Base(f)] = f
	}
	for _, f := range []string{"hosts", "services", "nsswitch.conf"} {
		opts.HostFiles["/payload/etc/"+f] = filepath.Join(testdataDir, "etc", f)
	}
	res := vmtest.RunInGuest(t, opts)
	if res.ExitCode != 0 || !strings.Contains(res.Stdout(), "vm-guest: done") {
		t.Fatalf("guest exit %d\nstdout:\n%s\nstderr:\n%s", res.ExitCode, res.Stdout(), res.Stderr())
	}
	if s := res.Stderr(); s != "" {
		t.Errorf("guest stderr:\n%s", s)
	}
	check := func(dir string, names []string, ext string) {
		for _, f := range names {
			n := strings.TrimSuffix(filepath.Base(f), ext)
			real, ok := res.Files[dir+"/"+n+".real.txt"]
			if !ok {
				t.Errorf("%s/%s: no transcript from 1.31", dir, n)
				continue
			}
			ours := res.Files[dir+"/"+n+".ours.txt"]
			if diff := cmp.Diff(string(real), string(ours)); diff != "" {
				t.Errorf("%s/%s: ours differs from 1.31 on the real kernel (-1.31 +ours):\n%s", dir, n, diff)
			}
			golden := filepath.Join(testdataDir, dir, n+".session")
			if strings.HasPrefix(n, "kernel-order-") && !*updateVM {
				// 1.31's own order changes with the kernel's per-boot hash order.
				continue
			}
			if *updateVM {
				if err := os.WriteFile(golden, real, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if want, err := os.ReadFile(golden); err != nil || string(want) != string(real) {
				t.Errorf("%s: 1.31's transcript differs from the golden file (rerun with -update-vm)", golden)
			}
		}
	}
	check("sessions", cmds, ".cmds")
	check("conn", samples, ".txt")

	// Live traffic differs on every run: ours must match 1.31 on it, and -update-vm
	// keeps it as one more sample with its golden listing.
	real, ours := res.Files["conn/live-traffic.real.txt"], res.Files["conn/live-traffic.ours.txt"]
	sample := res.Files["conn/live-traffic.sample"]
	if !strings.Contains(string(sample), "ESTABLISHED") && !strings.Contains(string(sample), "TIME_WAIT") {
		// The listing is still compared; only -update-vm insists on live connections.
		report := t.Logf
		if *updateVM {
			report = t.Errorf
		}
		report("no live connections in the sample:\n%s\ntraffic log:\n%s", sample, res.Files["traffic.log"])
	}
	if diff := cmp.Diff(string(real), string(ours)); diff != "" {
		t.Errorf("live traffic: ours differs from 1.31 (-1.31 +ours):\n%s", diff)
	}
	if *updateVM {
		for name, data := range map[string][]byte{"kernel-traffic.txt": sample, "kernel-traffic.session": real} {
			if err := os.WriteFile(filepath.Join(testdataDir, "conn", name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
