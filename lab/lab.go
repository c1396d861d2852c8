package lab

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/lvskit/lvskit/vmtest"
)

//go:embed guest/scenario.sh
var scenario string

//go:embed guest/init.d-mon
var initdMon []byte

//go:embed guest/service
var serviceShim []byte

// AllPhases are the scenario's phases: 1 traffic spreads, 2 mond takes a dead real
// server out and back, 3 heartbeatd fails over with connections kept, 4 a director cut
// off from the gateway gives up, 5 nothing is left behind.
var AllPhases = []int{1, 2, 3, 4, 5}

// PhaseTitles name the phases in the timeline.
var PhaseTitles = map[int]string{
	1: "traffic spreads over rs1 rs2 rs3",
	2: "mond removes a dead real server and adds it back",
	3: "kill -9 the active director's heartbeatd: the other takes over, connections kept",
	4: "the active director cut off from the gateway gives up",
	5: "nothing left behind",
}

// Options say which phases run.
type Options struct {
	// Phases to run (default AllPhases). A phase left out is reported as not run with
	// the reason in Skipped.
	Phases  []int
	Skipped map[int]string
	// Every is the client's request interval (default 200ms).
	Every time.Duration
	// Logf receives progress lines; nil discards them.
	Logf func(format string, args ...any)
}

// Run builds lvskit's commands and labprobe, boots the VM with the scenario and
// returns its report (Parse of what the guest logged). The error is for a lab that
// could not run at all; the scenario's own failures are in the report (Check).
func Run(ctx context.Context, opts Options) (*Report, error) {
	if len(opts.Phases) == 0 {
		opts.Phases = AllPhases
	}
	if opts.Every == 0 {
		opts.Every = 200 * time.Millisecond
	}
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	files, err := Adapt(root)
	if err != nil {
		return nil, err
	}
	files["/etc/init.d/mon"] = initdMon
	files["/usr/sbin/service"] = serviceShim

	work, err := os.MkdirTemp("", "lvskit-lab-")
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	defer os.RemoveAll(work)
	host, err := writeGuestFiles(work, files)
	if err != nil {
		return nil, err
	}
	bins, cleanup, err := vmtest.BuildCommands("ipvsadm", "mond", "lvs-alert", "heartbeatd", "lvs-arp")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	// Where examples/README.md installs them; ipvsadm goes to /sbin/ipvsadm from the
	// scenario (the VM's image has the original there).
	host["/ours/ipvsadm"] = bins["/ours/ipvsadm"]
	host["/usr/sbin/mond"] = bins["/ours/mond"]
	host["/usr/lib/mon/alert.d/lvs.alert"] = bins["/ours/lvs-alert"]
	host["/usr/sbin/heartbeatd"] = bins["/ours/heartbeatd"]
	host["/usr/sbin/lvs-arp"] = bins["/ours/lvs-arp"]
	probe := filepath.Join(work, "labprobe")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", probe, "./lab/cmd/labprobe")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("lab: go build ./lab/cmd/labprobe: %w\n%s", err, out)
	}
	host["/lab/bin/labprobe"] = probe

	var phases []string
	for _, p := range opts.Phases {
		phases = append(phases, strconv.Itoa(p))
	}
	env := fmt.Sprintf("export PHASES='%s' VIP=%s EVERY=%s\n", strings.Join(phases, " "), VIP, opts.Every)
	res, err := vmtest.Run(ctx, vmtest.Options{
		Script:    env + scenario,
		HostFiles: host,
		Timeout:   8 * time.Minute,
		Logf:      opts.Logf,
	})
	if err != nil {
		// A guest killed at its deadline leaves no results disk: what the scenario
		// echoed on the console says how far it got.
		if res != nil {
			var lab []string
			for _, l := range strings.Split(res.Console, "\n") {
				if i := strings.Index(l, "LAB "); i >= 0 {
					lab = append(lab, l[i+4:])
				}
			}
			err = fmt.Errorf("%w\nthe scenario's console lines:\n%s", err, strings.Join(lab, "\n"))
		}
		return nil, err
	}
	rep, perr := Parse(res.Files)
	if rep == nil {
		return nil, perr
	}
	rep.Phases = opts.Phases
	rep.Skipped = opts.Skipped
	rep.ExitCode = res.ExitCode
	rep.Stderr = res.Stderr()
	rep.Elapsed = res.Elapsed
	rep.Syslog = string(res.Files["syslog"])
	if perr != nil {
		rep.Problems = append(rep.Problems, perr.Error())
	}
	return rep, nil
}

// writeGuestFiles writes files under dir with the modes the guest needs (heartbeat
// refuses an authkeys readable by others; scripts are executable) and returns guest
// path -> host path.
func writeGuestFiles(dir string, files map[string][]byte) (map[string]string, error) {
	host := map[string]string{}
	for guest, data := range files {
		mode := os.FileMode(0o644)
		switch {
		case strings.HasSuffix(guest, "/authkeys"):
			mode = 0o600
		case strings.Contains(guest, "/init.d/"), strings.Contains(guest, "/alert.d/"),
			strings.Contains(guest, "bin/"), strings.HasPrefix(guest, "/root/conf/"):
			mode = 0o755
		}
		p := filepath.Join(dir, "files", guest)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		if err := os.Chmod(p, mode); err != nil {
			return nil, fmt.Errorf("lab: %w", err)
		}
		host[guest] = p
	}
	return host, nil
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("lab: go env GOMOD: %w", err)
	}
	root := filepath.Dir(strings.TrimSpace(string(out)))
	if root == "." || root == "" || root == "/" {
		return "", errors.New("lab: not inside the lvskit module")
	}
	return root, nil
}

// Default is the scenario as it can run in this tree: every phase, except those whose
// dependencies are not finished, which are reported as not run with the reason.
func Default() Options {
	return Options{Phases: AllPhases}
}
