package vmtest

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Parts of the suite that are not a package's test binary: shell payloads
// checked here.
const (
	partHarness = "vmtest/harness" // the guest itself: IPVS loaded, 1.31 runs, result channels
	partOracle  = "vmtest/oracle"  // the ipvsadm oracle (oracle_test.go)
	oracleDir   = "/oracle"
	oracleTime  = 20 * time.Minute
)

// TestVMSuite runs every test that needs a real IPVS kernel in one qemu boot
// of Debian's kernel: the ipvsadm oracle and each package of guestParts, whose
// test binary (go test -c, static) runs inside the guest with -test.run for
// its guest tests. Each package, the harness and the oracle are a subtest:
// TestVMSuite/cmd/lvs-alert fails with that package's guest output. -run
// selects parts before the boot (-run TestVMSuite/cmd/lvs-alert boots with
// lvs-alert's test alone); -update rewrites the golden files of every
// selected part from the originals.
//
// Inside the guest each part runs in mount and network namespaces of its own
// (private /tmp and /etc, loopback up). Parts that use IPVS run one after
// another (doc.go: a listing is corrupted by another namespace's table
// changing meanwhile); the others run alongside them.
func TestVMSuite(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a VM (root, qemu): every real-kernel test; not with -short")
	}
	if err := Available(); err != nil {
		t.Skip(err)
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	var parts []guestPart
	for _, p := range guestParts {
		if suiteSelects(p.Pkg) {
			parts = append(parts, p)
		}
	}
	harness, oracle := suiteSelects(partHarness), suiteSelects(partOracle)
	if len(parts) == 0 && !harness && !oracle {
		names := []string{partHarness, partOracle}
		for _, p := range guestParts {
			names = append(names, p.Pkg)
		}
		t.Skipf("-run selects no part of the suite: %s (each slash is a level: -run 'TestVMSuite/(cmd|vmtest)/(ipvsadm|oracle)')", strings.Join(names, ", "))
	}
	var cases []string
	if oracle {
		if cases, err = corpusCases(*caseFilter); err != nil {
			t.Fatal(err)
		}
	}

	// Binaries: the commands for /ours, the packages' test binaries for /tests.
	cmdSet := map[string]bool{}
	for _, p := range parts {
		for _, c := range p.Cmds {
			cmdSet[c] = true
		}
	}
	if oracle && !*oracleBoth {
		cmdSet["ipvsadm"] = true
	}
	bins := t.TempDir()
	start := time.Now()
	if err := buildSuite(root, bins, sortedKeys(cmdSet), parts); err != nil {
		t.Fatal(err)
	}
	t.Logf("built %d commands and %d test binaries in %s", len(cmdSet), len(parts), time.Since(start).Round(100*time.Millisecond))

	opts := Options{
		Script:    suiteScript(parts, harness, oracle, *update),
		Files:     map[string][]byte{"/suite/isolated.sh": []byte(isolatedScript)},
		HostFiles: map[string]string{},
		MemoryMB:  1536,
		CPUs:      2,
		// The guest is the longest test of make test and runs its IPVS
		// parts on one emulated CPU, one after another: a fair share of a
		// host core among the other packages' processes would stretch it
		// several times over.
		Nice: -10,
		Logf: t.Logf,
	}
	for c := range cmdSet {
		opts.HostFiles["/ours/"+c] = filepath.Join(bins, "ours", c)
	}
	var ipvsTime, otherTime time.Duration
	modules := map[string]bool{}
	for _, p := range parts {
		opts.HostFiles["/tests/"+testBinary(p)] = filepath.Join(bins, "tests", testBinary(p))
		for _, d := range p.Data {
			if err := addTree(opts.HostFiles, root, d); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range p.Modules {
			modules[m] = true
		}
		if p.IPVS {
			ipvsTime += p.Timeout + time.Minute
		} else {
			otherTime += p.Timeout + time.Minute
		}
	}
	opts.Modules = sortedKeys(modules)
	if oracle {
		opts.Files[oracleDir+"/ipvsadm-oracle.sh"] = oracleDriver
		opts.Files[oracleDir+"/side.sh"] = oracleSide
		for g, h := range oracleGuest(oracleDir, cases) {
			opts.HostFiles[g] = h
		}
		ipvsTime += oracleTime + time.Minute
	}
	opts.Timeout = max(ipvsTime, otherTime) + time.Minute

	res, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("guest ran %s", res.Elapsed.Round(100*time.Millisecond))

	// Every part leaves its exit status. The payload's stderr counts the parts
	// and the failed ones, and its exit status is the number of parts it ran:
	// a value the guest computed, which proves those channels too.
	var names []string
	if harness {
		names = append(names, partHarness)
	}
	if oracle {
		names = append(names, partOracle)
	}
	for _, p := range parts {
		names = append(names, p.Pkg)
	}
	failed := 0
	for _, n := range names {
		if strings.TrimSpace(string(res.Files["parts/"+n+"/rc"])) != "0" {
			failed++
		}
	}
	if want := fmt.Sprintf("vmtest suite: %d parts, %d failed\n", len(names), failed); res.Stderr() != want || res.ExitCode != len(names) {
		t.Errorf("suite payload: exit %d, stderr %q; want exit %d, stderr %q\nconsole:\n%s", res.ExitCode, res.Stderr(), len(names), want, tail(res.Console, 40))
	}
	if log := res.Files["vmtest.log"]; len(log) > 0 {
		t.Errorf("guest init:\n%s", log)
	}

	var summary []string
	report := func(name string, f func(t *testing.T)) {
		ok := t.Run(name, f)
		status := "ok  "
		if !ok {
			status = "FAIL"
		}
		summary = append(summary, fmt.Sprintf("%s %-20s guest %s", status, name, partSeconds(res.Files["parts/"+name+"/time"])))
	}
	if harness {
		report(partHarness, func(t *testing.T) { checkHarness(t, res) })
	}
	if oracle {
		oursBin := ""
		if !*oracleBoth {
			oursBin = filepath.Join(bins, "ours", "ipvsadm")
		}
		report(partOracle, func(t *testing.T) { checkOracle(t, partFiles(res.Files, partOracle), cases, oursBin) })
	}
	for _, p := range parts {
		report(p.Pkg, func(t *testing.T) {
			files := partFiles(res.Files, p.Pkg)
			checkGuestPart(t, p, files)
			if *update {
				writeBack(t, root, files)
			}
		})
	}
	t.Logf("per part (guest seconds):\n%s", strings.Join(summary, "\n"))
}

// isolatedScript runs its arguments in mount and network namespaces of their
// own, with a private /tmp and /etc and the loopback up.
const isolatedScript = `#!/bin/sh
exec unshare -m -n /bin/sh -c '
mount -t tmpfs tmpfs /tmp && mkdir /tmp/.vmtest-etc && cp -a /etc/. /tmp/.vmtest-etc/ &&
mount -o bind /tmp/.vmtest-etc /etc && $IP link set lo up || exit 125
exec "$@"' isolated "$@"
`

// suiteScript is the guest's payload: every selected part, the IPVS ones one
// after another, the others alongside them. Each leaves out, rc and time under
// /results/parts/<name>/; the payload's exit status is the number of parts.
func suiteScript(parts []guestPart, harness, oracle, update bool) string {
	var b strings.Builder
	b.WriteString(`# vmtest suite (TestVMSuite): runs every selected part; see suite_test.go.
P=/results/parts
now() { read t _ </proc/uptime; echo "$t"; }
# done_part NAME RC T0: records the part's exit status and guest seconds.
done_part() {
	echo "$2" >$P/$1/rc
	echo "$3 $(now)" >$P/$1/time
	echo "vmtest suite: $1 exit $2" >/dev/console
}
# part DIR SECONDS BINARY RUN [ARGS...]: a package's test binary in /src/DIR.
part() {
	d=$1 s=$2 bin=$3 run=$4
	shift 4
	mkdir -p $P/$d /src/$d
	t0=$(now)
	(cd /src/$d && ` + GuestEnv + `=1 timeout $((s + 60)) sh /suite/isolated.sh /tests/$bin \
		-test.run "$run" -test.v -test.count=1 -test.timeout=${s}s "$@") >$P/$d/out 2>&1 </dev/null
	done_part $d $? $t0
}
`)
	var ipvs, other []string
	if harness {
		ipvs = append(ipvs, `mkdir -p $P/`+partHarness+`; t0=$(now)
sh /suite/isolated.sh sh -c 'ipvsadm -A -t 10.144.43.185:23 -s wlc && ipvsadm -a -t 10.144.43.185:23 -r 10.144.43.187 -i && ipvsadm -Ln && cat /proc/net/ip_vs' \
	>$P/`+partHarness+`/out 2>$P/`+partHarness+`/err </dev/null
done_part `+partHarness+` $? $t0`)
	}
	for _, p := range parts {
		var names []string
		for _, n := range p.Tests {
			names = append(names, regexp.QuoteMeta(n))
		}
		line := fmt.Sprintf("part %s %d %s '^(%s)$'", p.Pkg, int(p.Timeout.Seconds()), testBinary(p), strings.Join(names, "|"))
		if update {
			for _, a := range p.UpdateArgs {
				line += " '" + a + "'"
			}
			for _, d := range p.Data {
				line += fmt.Sprintf("\nmkdir -p $P/%s/src/%s && cp -a /src/%s/. $P/%s/src/%s/", p.Pkg, d, d, p.Pkg, d)
			}
		}
		if p.IPVS {
			ipvs = append(ipvs, line)
		} else {
			other = append(other, line)
		}
	}
	if oracle {
		// The driver and side.sh use /payload, /results and /ours: bound here,
		// in the part's own mount namespace. With -oracle-both the driver
		// links 1.31 into /ours, a private tmpfs then.
		both := "0"
		ours := ""
		if *oracleBoth {
			both = "1"
			ours = "mount -t tmpfs tmpfs /ours && "
		}
		ipvs = append(ipvs, fmt.Sprintf(`mkdir -p $P/%[1]s; t0=$(now)
timeout %[2]d sh /suite/isolated.sh sh -c '%[3]smount -o bind %[4]s /payload && mount -o bind $0 /results && cd /payload && ORACLE_BOTH=%[5]s JOBS=1 exec sh ipvsadm-oracle.sh' $P/%[1]s \
	>$P/%[1]s/out 2>&1 </dev/null
done_part %[1]s $? $t0`, partOracle, int(oracleTime.Seconds()), ours, oracleDir, both))
	}
	if len(other) > 0 {
		fmt.Fprintf(&b, "(\n%s\n) &\n", strings.Join(other, "\n"))
	}
	b.WriteString(strings.Join(ipvs, "\n") + "\nwait\n")
	b.WriteString(`n=0 f=0
for rc in $(find $P -name rc); do
	n=$((n + 1))
	[ "$(cat $rc)" = 0 ] || f=$((f + 1))
done
echo "vmtest suite: $n parts, $f failed" >&2
exit $n
`)
	return b.String()
}

// suiteSelects says whether -test.run and -test.skip leave the subtest
// TestVMSuite/<name>, matching as the testing package does: the patterns
// split at slashes, each element matched against the name's element at the
// same level.
func suiteSelects(name string) bool {
	elems := strings.Split("TestVMSuite/"+name, "/")
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() != "" {
		if ok, _ := matchElems(f.Value.String(), elems); !ok {
			return false
		}
	}
	if f := flag.Lookup("test.skip"); f != nil && f.Value.String() != "" {
		if ok, partial := matchElems(f.Value.String(), elems); ok && !partial {
			return false
		}
	}
	return true
}

// matchElems matches a -run style pattern against a test name's elements: ok
// when every element the pattern has matches; partial when the pattern has
// more elements than the name.
func matchElems(pattern string, elems []string) (ok, partial bool) {
	pats := splitPattern(pattern)
	for i, e := range elems {
		if i >= len(pats) {
			break
		}
		re, err := regexp.Compile(pats[i])
		if err != nil || !re.MatchString(e) {
			return false, false
		}
	}
	return true, len(elems) < len(pats)
}

// splitPattern splits a -run pattern at the slashes outside brackets and
// parentheses, as the testing package does.
func splitPattern(s string) []string {
	var out []string
	var cs, ps int
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[':
			cs++
		case ']':
			if cs--; cs < 0 {
				cs = 0
			}
		case '(':
			if cs == 0 {
				ps++
			}
		case ')':
			if cs == 0 {
				if ps--; ps < 0 {
					ps = 0
				}
			}
		case '\\':
			i++
		case '/':
			if cs == 0 && ps == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// testBinary is the name go test -c gives a package's test binary.
func testBinary(p guestPart) string { return path.Base(p.Pkg) + ".test" }

// buildSuite builds the commands into dir/ours and the parts' test binaries
// into dir/tests, static, side by side.
func buildSuite(root, dir string, cmds []string, parts []guestPart) error {
	var builds [][]string
	if len(cmds) > 0 {
		args := []string{"build", "-trimpath", "-o", filepath.Join(dir, "ours") + "/"}
		for _, c := range cmds {
			args = append(args, "./cmd/"+c)
		}
		builds = append(builds, args)
	}
	if len(parts) > 0 {
		// Stripped: the guest unpacks every byte of its initramfs under
		// emulation; tracebacks keep function names and lines without the
		// symbol table and DWARF.
		args := []string{"test", "-c", "-ldflags=-s -w", "-o", filepath.Join(dir, "tests") + "/"}
		for _, p := range parts {
			args = append(args, "./"+p.Pkg)
		}
		builds = append(builds, args)
	}
	errs := make([]error, len(builds))
	var wg sync.WaitGroup
	for i, args := range builds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command("go", args...)
			cmd.Dir = root
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
			if out, err := cmd.CombinedOutput(); err != nil {
				errs[i] = fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// addTree maps every file under root/rel to /src/rel in the guest.
func addTree(files map[string]string, root, rel string) error {
	return filepath.WalkDir(filepath.Join(root, rel), func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		r, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files["/src/"+filepath.ToSlash(r)] = p
		return nil
	})
}

// partFiles returns the result files of one part, named relative to its
// directory.
func partFiles(all map[string][]byte, name string) map[string][]byte {
	files := map[string][]byte{}
	for n, data := range all {
		if rest, ok := strings.CutPrefix(n, "parts/"+name+"/"); ok {
			files[rest] = data
		}
	}
	return files
}

// partSeconds formats a part's "start end" guest uptimes as its duration.
func partSeconds(b []byte) string {
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return "?"
	}
	t0, err0 := strconv.ParseFloat(f[0], 64)
	t1, err1 := strconv.ParseFloat(f[1], 64)
	if err0 != nil || err1 != nil {
		return "?"
	}
	return fmt.Sprintf("%.1fs", t1-t0)
}

// checkHarness: IPVS is loaded in the guest, the original ipvsadm runs there
// (a new network namespace starts with an empty table), and each part's
// output comes back on its own.
func checkHarness(t *testing.T, res *Result) {
	f := partFiles(res.Files, partHarness)
	if rc := strings.TrimSpace(string(f["rc"])); rc != "0" || len(f["err"]) > 0 {
		t.Fatalf("exit %s, stderr:\n%s\nstdout:\n%s", rc, f["err"], f["out"])
	}
	out := string(f["out"])
	// ipvsadm -Ln's service and server lines, then /proc/net/ip_vs's service line.
	for _, want := range [][]string{
		{"IP", "Virtual", "Server", "version", "1.2.1", "(size=4096)"},
		{"TCP", "10.144.43.185:23", "wlc"},
		{"->", "10.144.43.187:23", "Tunnel", "1", "0", "0"},
		{"TCP", "0A902BB9:0017", "wlc"},
	} {
		found := false
		for _, line := range strings.Split(out, "\n") {
			found = found || strings.Join(strings.Fields(line), " ") == strings.Join(want, " ")
		}
		if !found {
			t.Errorf("ipvsadm -Ln and /proc/net/ip_vs lack the line %q:\n%s", strings.Join(want, " "), out)
		}
	}
	if !strings.Contains(res.Console, "VMTEST-BEGIN") {
		t.Errorf("console lacks the init's marker:\n%s", tail(res.Console, 20))
	}
}

var testLine = regexp.MustCompile(`(?m)^--- (PASS|FAIL|SKIP): (\S+) \(`)

// checkGuestPart checks a package's guest run: each of its tests passed (a
// skip inside the guest is a failure: it would run nowhere), and the test
// binary exited cleanly. The output is the subtest's log.
func checkGuestPart(t *testing.T, p guestPart, files map[string][]byte) {
	out := string(files["out"])
	rc := strings.TrimSpace(string(files["rc"]))
	status := map[string]string{}
	for _, m := range testLine.FindAllStringSubmatch(out, -1) {
		status[m[2]] = m[1]
	}
	var problems []string
	for _, n := range p.Tests {
		switch status[n] {
		case "PASS":
		case "SKIP":
			problems = append(problems, n+" skipped inside the VM")
		case "FAIL":
			problems = append(problems, n+" failed")
		default:
			problems = append(problems, n+" did not finish")
		}
	}
	switch rc {
	case "0":
	case "":
		problems = append(problems, "the test binary left no exit status")
	case "124", "137", "143":
		problems = append(problems, fmt.Sprintf("the test binary was killed after %s (exit %s)", p.Timeout+time.Minute, rc))
	default:
		problems = append(problems, "the test binary exited "+rc)
	}
	if len(problems) > 0 {
		t.Errorf("%s in the guest: %s; its output:\n%s", p.Pkg, strings.Join(problems, "; "), out)
		return
	}
	t.Logf("guest output:\n%s", out)
}

// writeBack copies into the tree what a part's tests rewrote in its Data
// directories (with -update), and says what changed.
func writeBack(t *testing.T, root string, files map[string][]byte) {
	for _, n := range sortedKeys(files) {
		rel, ok := strings.CutPrefix(n, "src/")
		if !ok {
			continue
		}
		p := filepath.Join(root, filepath.FromSlash(rel))
		if old, err := os.ReadFile(p); err == nil && bytes.Equal(old, files[n]) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, files[n], 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("updated %s", rel)
	}
}

// TestSuiteParts keeps guestParts true to the tree: each package exists and
// defines its tests, its data directories exist, and the generated payload is
// valid sh.
func TestSuiteParts(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bins := map[string]string{}
	for _, p := range guestParts {
		if other, dup := bins[testBinary(p)]; dup {
			t.Errorf("%s and %s have the same test binary name %s", p.Pkg, other, testBinary(p))
		}
		bins[testBinary(p)] = p.Pkg
		src, _ := filepath.Glob(filepath.Join(root, p.Pkg, "*_test.go"))
		var all []byte
		for _, f := range src {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, b...)
		}
		for _, n := range p.Tests {
			if !bytes.Contains(all, []byte("func "+n+"(t *testing.T) {")) {
				t.Errorf("%s: no test %s", p.Pkg, n)
			}
		}
		for _, d := range p.Data {
			if st, err := os.Stat(filepath.Join(root, d)); err != nil || !st.IsDir() {
				t.Errorf("%s: data directory %s: %v", p.Pkg, d, err)
			}
		}
		for _, c := range p.Cmds {
			if _, err := os.Stat(filepath.Join(root, "cmd", c)); err != nil {
				t.Errorf("%s: command %s: %v", p.Pkg, c, err)
			}
		}
		if p.Timeout <= 0 {
			t.Errorf("%s: no timeout", p.Pkg)
		}
	}
	for _, update := range []bool{false, true} {
		for name, script := range map[string]string{"payload": suiteScript(guestParts, true, true, update), "isolated.sh": isolatedScript} {
			cmd := exec.Command("sh", "-n")
			cmd.Stdin = strings.NewReader(script)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s (update %v) is not valid sh: %v\n%s\n%s", name, update, err, out, script)
			}
		}
	}
}

func TestMatchElems(t *testing.T) {
	for _, c := range []struct {
		pattern, name string
		ok, partial   bool
	}{
		{"TestVMSuite", "TestVMSuite/cmd/ipvsadm", true, false},
		{"TestVMSuite/cmd/ipvsadm", "TestVMSuite/cmd/ipvsadm", true, false},
		{"TestVMSuite/cmd/lvs-alert", "TestVMSuite/cmd/ipvsadm", false, false},
		{"TestVMSuite/cmd", "TestVMSuite/cmd/ipvsadm", true, false},
		{"TestVMSuite/vmtest", "TestVMSuite/internal/ipvs", false, false},
		{"TestVMSuite/vmtest/oracle/x", "TestVMSuite/vmtest/oracle", true, true},
		{"TestVMSuite/(vmtest|cmd)/[a-z/]*", "TestVMSuite/cmd/ipvsadm", true, false},
		{"TestOther", "TestVMSuite/cmd/ipvsadm", false, false},
		{"TestVMSuite/^ipvsadm$", "TestVMSuite/cmd/ipvsadm", false, false},
	} {
		ok, partial := matchElems(c.pattern, strings.Split(c.name, "/"))
		if ok != c.ok || partial != c.partial {
			t.Errorf("matchElems(%q, %q) = %v, %v; want %v, %v", c.pattern, c.name, ok, partial, c.ok, c.partial)
		}
	}
	if got := splitPattern("a/(b/c)/[/]/d\\/e"); strings.Join(got, "|") != "a|(b/c)|[/]|d\\/e" {
		t.Errorf("splitPattern: %q", got)
	}
}
