package vmtest

import (
	"bytes"
	_ "embed"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var (
	update     = flag.Bool("update", false, "rewrite the VM suite's golden files from the originals: the ipvsadm corpus from 1.31, and each package's with its UpdateArgs (vmtest/suite.go)")
	caseFilter = flag.String("case", "", "run only the ipvsadm corpus scripts whose name matches this regexp")
	oracleBoth = flag.Bool("oracle-both", false, "put ipvsadm 1.31 in both seats of the oracle (checks the harness, not our ipvsadm)")
)

//go:embed guest/ipvsadm-oracle.sh
var oracleDriver []byte

//go:embed guest/side.sh
var oracleSide []byte

const corpusDir = "testdata/ipvsadm-corpus"

// knownFailures are corpus scripts where our ipvsadm still differs from 1.31,
// each with the reason. Their differences are reported, not failed, so the
// rest of the corpus stays enforced.
var knownFailures = map[string]string{}

// noRoundTrip are corpus scripts whose table 1.31 itself cannot save and
// restore, so the -S/-R round trip is not required of ours either.
var noRoundTrip = map[string]string{
	"fwmark-max": "1.31 saves fwmark 4294967295 as \"-f -1\", which its -R rejects",
}

// The ipvsadm oracle, TestVMSuite/vmtest/oracle: every corpus script is
// applied with ipvsadm 1.31 and with ours on Debian's kernel, each in a fresh
// network namespace, one case at a time (the kernel resumes a multi-part
// service dump by an index counted over every namespace's services, so a table
// changing in one namespace can duplicate or drop a service in another's
// listing). It requires the same bytes on stdout and stderr and the same exit
// status from every command, every listing of either table by either tool,
// and tables that survive -S/-R across the two tools. 1.31's own observations
// must also match the golden files.

// oracleGuest returns the oracle's guest files, under dir: the driver, the
// side script, the corpus scripts selected by -case and the name files.
func oracleGuest(dir string, cases []string) map[string]string {
	files := map[string]string{}
	for _, c := range cases {
		files[dir+"/corpus/"+c+".sh"] = filepath.Join(corpusDir, c+".sh")
	}
	for _, f := range []string{"hosts", "services", "nsswitch.conf"} {
		files[dir+"/etc/"+f] = filepath.Join(corpusDir, "etc", f)
	}
	return files
}

// checkOracle compares what the oracle's driver left (its /results, names
// relative to it) for the cases; oursBin is the ipvsadm built for ours' seat
// ("" with -oracle-both).
func checkOracle(t *testing.T, files map[string][]byte, cases []string, oursBin string) {
	if rc := strings.TrimSpace(string(files["rc"])); rc != "0" {
		t.Fatalf("oracle driver exit %s\n%s", rc, files["out"])
	}
	if want := oursSize(t, oursBin); want != "" && strings.TrimSpace(string(files["ours.size"])) != want {
		t.Fatalf("/ours/ipvsadm is %q bytes, the binary built from ./cmd/ipvsadm %s", files["ours.size"], want)
	}
	t.Logf("%d corpus scripts; per-case guest seconds (start end):\n%s", len(cases), files["timing.0"])

	var table []string
	for _, c := range cases {
		files := caseFiles(files, c)
		problems := compareCase(c, files)
		goldenPath := filepath.Join(corpusDir, c+".golden")
		oracle := oracleFiles(files)
		if *update {
			if err := os.WriteFile(goldenPath, EncodeFiles(oracle), 0o644); err != nil {
				t.Fatal(err)
			}
		} else {
			problems = append(problems, compareGolden(goldenPath, oracle)...)
		}
		status := "pass"
		switch reason, known := knownFailures[c]; {
		case len(problems) == 0 && known:
			status = "PASS (listed as known failure: remove it)"
		case len(problems) == 0:
		case known:
			status = fmt.Sprintf("known failure (%d diffs): %s", len(problems), reason)
			t.Logf("%s: known failure, %d differences; first:\n%s", c, len(problems), problems[0])
		default:
			status = fmt.Sprintf("FAIL (%d diffs)", len(problems))
			const show = 3
			for i, p := range problems {
				if i == show {
					t.Errorf("%s: %d more differences", c, len(problems)-show)
					break
				}
				t.Errorf("%s: %s", c, p)
			}
		}
		table = append(table, fmt.Sprintf("%-28s %s", c, status))
	}
	t.Logf("per-case results (%s):\n%s", seatNames(), strings.Join(table, "\n"))
}

// oursSize is the size of the ipvsadm built for the "ours" seat ("" when
// 1.31 sits in both seats), so the test knows the guest ran ours.
func oursSize(t *testing.T, p string) string {
	if p == "" {
		return ""
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(st.Size())
}

func seatNames() string {
	if *oracleBoth {
		return "1.31 vs 1.31"
	}
	return "ours vs 1.31"
}

// corpusCases lists the corpus scripts, optionally filtered by a regexp.
func corpusCases(filter string) ([]string, error) {
	re, err := regexp.Compile(filter)
	if err != nil {
		return nil, fmt.Errorf("-case: %w", err)
	}
	paths, err := filepath.Glob(filepath.Join(corpusDir, "*.sh"))
	if err != nil || len(paths) == 0 {
		return nil, fmt.Errorf("no corpus scripts in %s: %v", corpusDir, err)
	}
	var cases []string
	for _, p := range paths {
		c := strings.TrimSuffix(filepath.Base(p), ".sh")
		if re.MatchString(c) {
			cases = append(cases, c)
		}
	}
	if len(cases) == 0 {
		return nil, fmt.Errorf("-case %q matches no corpus script", filter)
	}
	return cases, nil
}

// caseFiles returns the result files of one case, names relative to its
// directory.
func caseFiles(all map[string][]byte, c string) map[string][]byte {
	files := map[string][]byte{}
	for name, data := range all {
		if rest, ok := strings.CutPrefix(name, c+"/"); ok {
			files[rest] = data
		}
	}
	return files
}

// oracleFiles keeps what 1.31 alone produced: its application of the script
// and its listings of the table it built. These are the golden files.
func oracleFiles(files map[string][]byte) map[string][]byte {
	g := map[string][]byte{}
	for name, data := range files {
		if len(data) == 0 {
			continue // golden files list what was printed; nothing is implied
		}
		if strings.HasPrefix(name, "list-theirs/nosort.") {
			continue // the kernel's hash order, which varies between boots
		}
		if strings.HasPrefix(name, "apply-theirs/") ||
			(strings.HasPrefix(name, "list-theirs/") && strings.Contains(name, ".theirs.")) {
			g[name] = data
		}
	}
	return g
}

// compareCase checks ours against the live 1.31 for one corpus script and
// returns one description (with a unified diff) per difference.
func compareCase(c string, files map[string][]byte) []string {
	var problems []string
	check := func(what, wantName, gotName string) {
		want, wok := files[wantName]
		got, gok := files[gotName]
		switch {
		case !wok && !gok:
			problems = append(problems, fmt.Sprintf("%s: neither %s nor %s was produced", what, wantName, gotName))
		case !wok:
			problems = append(problems, fmt.Sprintf("%s: %s missing", what, wantName))
		case !gok:
			problems = append(problems, fmt.Sprintf("%s: %s missing", what, gotName))
		case !bytes.Equal(want, got):
			problems = append(problems, fmt.Sprintf("%s:\n%s", what, unifiedDiff(c+"/"+wantName, c+"/"+gotName, want, got)))
		}
	}
	if log := files["side.log"]; len(log) > 0 {
		problems = append(problems, fmt.Sprintf("guest side log:\n%s", log))
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	napply := 0
	for _, n := range names {
		switch {
		case strings.HasPrefix(n, "apply-theirs/"):
			napply++
			check("applying the script: "+string(bytes.TrimSpace(files[strings.TrimSuffix(n, filepath.Ext(n))+".args"]))+" ("+filepath.Ext(n)[1:]+")",
				n, "apply-ours/"+strings.TrimPrefix(n, "apply-theirs/"))
		case strings.HasPrefix(n, "apply-ours/"):
			if _, ok := files["apply-theirs/"+strings.TrimPrefix(n, "apply-ours/")]; !ok {
				problems = append(problems, fmt.Sprintf("ours made a call 1.31 did not: %s", n))
			}
		case strings.HasPrefix(n, "list-theirs/") && strings.Contains(n, ".theirs."):
			mode := strings.TrimPrefix(n, "list-theirs/")
			check("listing the table 1.31 built, ours vs 1.31: "+mode, n, strings.Replace(n, ".theirs.", ".ours.", 1))
			if _, ok := files["list-ours/"+mode]; ok {
				check("1.31 listing the table ours built: "+mode, n, "list-ours/"+mode)
			}
			om := "list-ours/" + strings.Replace(mode, ".theirs.", ".ours.", 1)
			if _, ok := files[om]; ok || strings.HasPrefix(mode, "Sn.") {
				check("ours listing the table ours built: "+mode, n, om)
			}
		}
	}
	if napply == 0 {
		problems = append(problems, "1.31 made no calls: the corpus script did not run")
	}
	// Round trips: a save by one tool restored by the other gives the table back.
	want := func(what string, value string, gotName string) {
		if got, ok := files[gotName]; !ok {
			problems = append(problems, fmt.Sprintf("%s: %s missing", what, gotName))
		} else if string(got) != value {
			problems = append(problems, fmt.Sprintf("%s:\n%s", what, unifiedDiff("want", c+"/"+gotName, []byte(value), got)))
		}
	}
	if _, ok := noRoundTrip[c]; ok {
		return problems
	}
	check("ours -S -n restored by 1.31 -R", "list-theirs/Sn.theirs.out", "rt-theirs/result.out")
	want("1.31 -R of ours -S -n: stderr", "", "rt-theirs/restore.err")
	want("1.31 -R of ours -S -n: exit status", "0\n", "rt-theirs/restore.rc")
	check("1.31 -S -n restored by ours -R", "list-ours/Sn.theirs.out", "rt-ours/result.out")
	want("ours -R of 1.31 -S -n: stderr", "", "rt-ours/restore.err")
	want("ours -R of 1.31 -S -n: exit status", "0\n", "rt-ours/restore.rc")
	return problems
}

// compareGolden checks 1.31's live output against the golden files, which
// catches a changed oracle (new Debian build) or a nondeterministic check.
func compareGolden(path string, oracle map[string][]byte) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return []string{fmt.Sprintf("golden: %v (run go test ./vmtest -run TestVMSuite/vmtest/oracle -update)", err)}
	}
	golden, err := DecodeFiles(data)
	if err != nil {
		return []string{fmt.Sprintf("golden %s: %v", path, err)}
	}
	var problems []string
	for _, n := range sortedKeys(golden) {
		if live, ok := oracle[n]; !ok {
			problems = append(problems, fmt.Sprintf("golden %s: 1.31 no longer produced %s", path, n))
		} else if !bytes.Equal(golden[n], live) {
			problems = append(problems, fmt.Sprintf("golden %s differs from live 1.31 (stale golden? -update):\n%s", path, unifiedDiff("golden/"+n, "live/"+n, golden[n], live)))
		}
	}
	for _, n := range sortedKeys(oracle) {
		if _, ok := golden[n]; !ok {
			problems = append(problems, fmt.Sprintf("golden %s lacks %s (-update)", path, n))
		}
	}
	return problems
}

// unifiedDiff runs diff -u on two byte strings.
func unifiedDiff(aName, bName string, a, b []byte) string {
	dir, err := os.MkdirTemp("", "vmtest-diff-")
	if err != nil {
		return fmt.Sprintf("--- %s\n%q\n+++ %s\n%q\n", aName, a, bName, b)
	}
	defer os.RemoveAll(dir)
	pa, pb := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	os.WriteFile(pa, a, 0o644)
	os.WriteFile(pb, b, 0o644)
	out, _ := exec.Command("diff", "-u", "--label", aName, "--label", bName, pa, pb).CombinedOutput()
	if len(out) == 0 {
		return fmt.Sprintf("--- %s\n%q\n+++ %s\n%q\n", aName, a, bName, b)
	}
	return string(out)
}
