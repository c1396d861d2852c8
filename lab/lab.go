package lab

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
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

//go:embed guest/here.sh
var hereScript string

// AllPhases are the scenario's phases: 1 traffic spreads, 2 mond takes a dead real
// server out and back, 3 heartbeatd fails over with connections kept, 4 a director cut
// off from the gateway gives up, 5 nothing is left behind.
var AllPhases = []int{1, 2, 3, 4, 5}

// DirectorsServePhases are the phases of the run whose directors are also real servers
// (Options.DirectorsServe), in the order they run: 1 traffic spreads over rs1 d1 d2, d1
// serving its share itself; 2 mond takes d2 (the standby director, a real server) out
// and back; 3 the kill -9 failover, d1 rebooted into the real-server role; 6 the roles
// swapped, traffic spreads again; 5 nothing left behind. Phase 4 is not part of it.
var DirectorsServePhases = []int{1, 2, 3, 6, 5}

// PhaseTitles name the phases in the timeline.
var PhaseTitles = map[int]string{
	1: "traffic spreads over the real servers",
	2: "mond removes a dead real server and adds it back",
	3: "kill -9 the active director's heartbeatd: the other takes over, connections kept",
	4: "the active director cut off from the gateway gives up",
	5: "nothing left behind",
	6: "after the failover: the new director's traffic spreads over the real servers again",
}

// Options say which phases run, and where.
type Options struct {
	// Phases to run (default AllPhases). A phase left out is reported as not run with
	// the reason in Skipped.
	Phases  []int
	Skipped map[int]string
	// Every is the client's request interval (default 200ms).
	Every time.Duration
	// DirectorsServe makes the directors real servers too, as in the manual: the table
	// is rs1, d1 and d2 (the manual's 10.144.43.175, Linux187 and linux142), each
	// director serves HTTP and echo as rs1 does, the active one its own share locally,
	// the standby as an LVS/DR real server. Phases default to DirectorsServePhases;
	// phase 4 cannot run with it.
	DirectorsServe bool
	// Mode says where the scenario runs (default ModeAuto: here when the host kernel
	// has IPVS, else in the qemu VM).
	Mode Mode
	// Logf receives progress lines; nil discards them.
	Logf func(format string, args ...any)
}

// timeout bounds one run of the scenario, in either mode.
const timeout = 8 * time.Minute

// Run builds lvskit's commands and labprobe, runs the scenario (through guest/here.sh:
// on this machine, or in the qemu VM when the mode says so) and returns its report
// (Parse of what the scenario logged). The error is for a lab that could not run at
// all; the scenario's own failures are in the report (Check).
func Run(ctx context.Context, opts Options) (*Report, error) {
	if len(opts.Phases) == 0 {
		opts.Phases = AllPhases
		if opts.DirectorsServe {
			opts.Phases = DirectorsServePhases
		}
	}
	if err := checkPhases(opts); err != nil {
		return nil, err
	}
	if opts.Every == 0 {
		opts.Every = 200 * time.Millisecond
	}
	mode, _, err := ChooseMode(opts.Mode, HostHasIPVS)
	if err != nil {
		return nil, err
	}
	st, err := prepare(ctx, installed, opts.DirectorsServe, nil)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(st.dir)
	if mode == ModeHere {
		return runHere(ctx, st, opts)
	}
	return runVM(ctx, st, opts)
}

// checkPhases refuses phases the scenario cannot run: unknown ones, phase 6 without the
// failover of phase 3 before it, and phase 4 when the directors serve (its check, and
// the manual's own remedy for it, are the setup whose directors only direct).
func checkPhases(opts Options) error {
	has := map[int]bool{}
	for _, p := range opts.Phases {
		if _, ok := PhaseTitles[p]; !ok {
			return fmt.Errorf("lab: no phase %d (phases: 1 to 6)", p)
		}
		has[p] = true
	}
	if has[6] && !has[3] {
		return errors.New("lab: phase 6 follows phase 3's failover: run phase 3 with it")
	}
	if has[4] && opts.DirectorsServe {
		return errors.New("lab: phase 4 is not part of the run whose directors serve (phases 1, 2, 3, 6, 5)")
	}
	return nil
}

// staged is what both modes run: the director setup's files in a tree laid out as the
// system paths (here.sh copies it into / through its overlays), labprobe, here.sh and
// the scenario. Everything is under dir, which the caller removes.
type staged struct {
	dir      string
	stage    string // dir/stage: /etc/init.d/lvs is dir/stage/etc/init.d/lvs
	probe    string // dir/lab/bin/labprobe ($LAB/bin/labprobe)
	here     string // dir/here.sh
	scenario string // dir/scenario.sh
}

// Where examples/README.md installs lvskit's commands. ipvsadm replaces the original
// at /sbin/ipvsadm (the VM's image has the original there; the scenario links
// ipvsadm-adopt to it).
var installed = map[string]string{
	"ipvsadm":    "/sbin/ipvsadm",
	"mond":       "/usr/sbin/mond",
	"lvs-alert":  "/usr/lib/mon/alert.d/lvs.alert",
	"heartbeatd": "/usr/sbin/heartbeatd",
	"lvs-arp":    "/usr/sbin/lvs-arp",
}

// prepare builds the staged tree: the one preparation of both modes, and of the BGP
// scenario's, which installs more commands (cmds: command name -> system path) and
// more files (adjust changes the guest files before they are written). directorsServe
// adapts examples/ with the manual's own real servers (adapt).
func prepare(ctx context.Context, cmds map[string]string, directorsServe bool, adjust func(map[string][]byte)) (*staged, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	files, err := adapt(root, directorsServe)
	if err != nil {
		return nil, err
	}
	files["/etc/init.d/mon"] = initdMon
	files["/usr/sbin/service"] = serviceShim
	if adjust != nil {
		adjust(files)
	}

	dir, err := os.MkdirTemp("", "lvskit-lab-")
	if err != nil {
		return nil, fmt.Errorf("lab: %w", err)
	}
	st := &staged{
		dir:      dir,
		stage:    filepath.Join(dir, "stage"),
		probe:    filepath.Join(dir, "lab", "bin", "labprobe"),
		here:     filepath.Join(dir, "here.sh"),
		scenario: filepath.Join(dir, "scenario.sh"),
	}
	if err := st.write(ctx, root, files, cmds); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return st, nil
}

func (st *staged) write(ctx context.Context, root string, files map[string][]byte, cmds map[string]string) error {
	if err := writeGuestFiles(st.stage, files); err != nil {
		return err
	}
	for p, data := range map[string]string{st.here: hereScript, st.scenario: scenario} {
		if err := os.WriteFile(p, []byte(data), 0o755); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
	}
	// One go build for every command: static, as the VM and any host need.
	bin := filepath.Join(st.dir, "bin")
	args := []string{"build", "-trimpath", "-o", bin + "/"}
	for _, name := range slices.Sorted(maps.Keys(cmds)) {
		args = append(args, "./cmd/"+name)
	}
	args = append(args, "./lab/cmd/labprobe")
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("lab: go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	moves := map[string]string{filepath.Join(bin, "labprobe"): st.probe}
	for name, guest := range cmds {
		moves[filepath.Join(bin, name)] = filepath.Join(st.stage, guest)
	}
	for from, to := range moves {
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		if err := os.Rename(from, to); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
	}
	return nil
}

// stagedFiles lists the staged tree as system path -> host path.
func (st *staged) stagedFiles() (map[string]string, error) {
	files := map[string]string{}
	err := filepath.WalkDir(st.stage, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(st.stage, p)
		if err != nil {
			return err
		}
		files["/"+filepath.ToSlash(rel)] = p
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lab: stage: %w", err)
	}
	return files, nil
}

// scenarioEnv is the scenario's settings from the options, as environment entries.
func scenarioEnv(opts Options) []string {
	var phases []string
	for _, p := range opts.Phases {
		phases = append(phases, strconv.Itoa(p))
	}
	env := []string{"PHASES=" + strings.Join(phases, " "), "VIP=" + VIP, "EVERY=" + opts.Every.String()}
	if opts.DirectorsServe {
		env = append(env, "SERVERS="+strings.Join(Servers(true), " "), "REALSERVERS="+strings.Join(RealServersOnly(true), " "),
			"VICTIM="+Victim(true))
	}
	return env
}

// origIpvsadm is where the VM run puts the guest image's own /sbin/ipvsadm (the
// original 1.31) before the staged tree replaces it: the run whose directors serve
// lists their tables with it beside lvskit's (ORIG_IPVSADM).
const origIpvsadm = "/lab/bin/ipvsadm-1.31"

// vmOptions is the VM run: the staged tree under /stage, here.sh and the scenario
// under /lab, and a payload that runs here.sh as a host with IPVS would. The guest's
// console is the scenario's CONSOLE: it survives a guest killed at its deadline.
func vmOptions(st *staged, opts Options) (vmtest.Options, error) {
	files, err := st.stagedFiles()
	if err != nil {
		return vmtest.Options{}, err
	}
	host := map[string]string{"/lab/bin/labprobe": st.probe}
	for guest, p := range files {
		host["/stage"+guest] = p
	}
	script := "# the guest has no /srv: the scenario serves its pages from /srv/<node>\nmkdir -p /srv\n"
	env := append([]string{"STAGE=/stage", "LAB=/lab", "R=/results", "CONSOLE=/dev/console", "WORK=/tmp/here"}, scenarioEnv(opts)...)
	if opts.DirectorsServe {
		script += "cp /sbin/ipvsadm " + origIpvsadm + "\n"
		env = append(env, "ORIG_IPVSADM="+origIpvsadm)
	}
	for _, e := range env {
		k, v, _ := strings.Cut(e, "=")
		script += fmt.Sprintf("export %s='%s'\n", k, v)
	}
	script += "exec sh /lab/here.sh /lab/scenario.sh\n"
	return vmtest.Options{
		Script:    script,
		Files:     map[string][]byte{"/lab/here.sh": []byte(hereScript), "/lab/scenario.sh": []byte(scenario)},
		HostFiles: host,
		Modules:   []string{"overlay"}, // here.sh's overlays
		Timeout:   timeout,
		// The lab's bounds are the scenario's timings (deadtime + 3 s to the whole
		// group) on emulated CPUs: the host's other work must not starve them.
		Nice: -10,
		Logf: opts.Logf,
	}, nil
}

func runVM(ctx context.Context, st *staged, opts Options) (*Report, error) {
	vopts, err := vmOptions(st, opts)
	if err != nil {
		return nil, err
	}
	res, err := vmtest.Run(ctx, vopts)
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
	return report(opts, res.Files, res.ExitCode, res.Stderr(), res.Elapsed)
}

// report is Parse of the scenario's files with the run's facts, in either mode.
func report(opts Options, files map[string][]byte, exitCode int, stderr string, elapsed time.Duration) (*Report, error) {
	rep, perr := Parse(files)
	if rep == nil {
		return nil, perr
	}
	rep.Phases = opts.Phases
	rep.Skipped = opts.Skipped
	rep.DirectorsServe = opts.DirectorsServe
	rep.Servers = Servers(opts.DirectorsServe)
	rep.ExitCode = exitCode
	rep.Stderr = stderr
	rep.Elapsed = elapsed
	rep.Syslog = string(files["syslog"])
	if perr != nil {
		rep.Problems = append(rep.Problems, perr.Error())
	}
	return rep, nil
}

// writeGuestFiles writes files under dir with the modes the guest needs (heartbeat
// refuses an authkeys readable by others; scripts are executable).
func writeGuestFiles(dir string, files map[string][]byte) error {
	for guest, data := range files {
		mode := os.FileMode(0o644)
		switch {
		case strings.HasSuffix(guest, "/authkeys"):
			mode = 0o600
		case strings.Contains(guest, "/init.d/"), strings.Contains(guest, "/alert.d/"),
			strings.Contains(guest, "bin/"), strings.HasPrefix(guest, "/root/conf/"):
			mode = 0o755
		}
		p := filepath.Join(dir, guest)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		if err := os.WriteFile(p, data, mode); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
		if err := os.Chmod(p, mode); err != nil {
			return fmt.Errorf("lab: %w", err)
		}
	}
	return nil
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

// DirectorsServeDefault is the scenario whose directors are also real servers, as in
// the manual (Options.DirectorsServe): its phases, phase 4 reported as not run.
func DirectorsServeDefault() Options {
	return Options{Phases: DirectorsServePhases, DirectorsServe: true,
		Skipped: map[int]string{4: "not part of the run whose directors serve: it fails over by kill -9 and standby (phases 3 and 6)"}}
}
