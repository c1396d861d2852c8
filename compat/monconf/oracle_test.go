package monconf

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/netnstest"
)

// The oracle corpus: testdata/oracle/*.cf and *.m4 are mon.cf files
// (Debian's examples, the LVS manual's three files as printed and
// adapted, and crafted edge cases). golden.txt records what the real mon
// 1.3.6 says about each: ACCEPT (with its warnings) or REJECT (with the
// line and message). Regenerate it from the real mon with
//
//	go test ./compat/monconf -run TestOracle -update
//
// When mon is installed the test also runs it live and compares.

var update = flag.Bool("update", false, "regenerate testdata/oracle/golden.txt from the real mon")

const oracleDir = "testdata/oracle"

type verdict struct {
	Accept   bool
	Line     int
	Msg      string   // mon's message for a rejection
	Warnings []string // sorted (mon's order follows perl hash order)
}

func (v verdict) String() string {
	if v.Accept {
		return "ACCEPT\t" + strings.Join(v.Warnings, " | ")
	}
	return fmt.Sprintf("REJECT\t%d\t%s", v.Line, v.Msg)
}

// key is what must not change between mon runs: the verdict, the line,
// the kind of message and the warnings (the full message may contain
// host details such as perl's @INC).
func (v verdict) key() string {
	return fmt.Sprintf("%v %d %s %q", v.Accept, v.Line, msgKind(v.Msg), v.Warnings)
}

func oracleFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.cf", "*.m4"} {
		m, err := filepath.Glob(filepath.Join(oracleDir, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	// users.cf and auth.cf are the files the configs point at.
	var out []string
	for _, f := range files {
		if b := filepath.Base(f); b != "users.cf" && b != "auth.cf" {
			out = append(out, f)
		}
	}
	sort.Strings(out)
	return out
}

var reMonLine = regexp.MustCompile(`, line (\d+)$`)

// runMon asks the real mon whether it accepts file. mon has no
// check-only mode, so it runs with -d (which prints its directories right
// after reading the config) and -S (scheduler stopped), with empty
// monitor and alert directories so that it cannot run anything, and it
// is killed as soon as the directories are printed. As root it also runs
// in a network namespace of its own (netnstest) so that nothing can leave
// the host.
func runMon(t *testing.T, mon, file string) verdict {
	t.Helper()
	tmp := t.TempDir()
	empty := filepath.Join(tmp, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	abs, err := filepath.Abs(file)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{mon, "-d", "-S", "-c", abs, "-s", empty, "-a", empty,
		"-L", tmp, "-D", tmp, "-P", "", "-p", "42583", "-t", "42584"}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	if netnstest.Unavailable() == "" && !testing.Short() { // New would skip with -short -update
		cmd = netnstest.New(t).CommandContext(ctx, args[0], args[1:]...)
	}
	cmd.Dir = filepath.Dir(abs)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = nil
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mon: %v", err)
	}
	var lines []string
	accepted := false
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		l := sc.Text()
		if strings.HasPrefix(l, "    basedir\t[") {
			accepted = true
			break
		}
		lines = append(lines, l)
	}
	if accepted {
		_ = cmd.Process.Kill()
		go func() { _, _ = bufio.NewReader(stderr).WriteTo(devNull{}) }()
	}
	waitErr := cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("mon on %s did not finish in time", file)
	}
	v := verdict{Accept: accepted}
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "Warning: "):
			v.Warnings = append(v.Warnings, l)
		case !accepted && l != "" && !strings.HasPrefix(v.Msg, "cf error"):
			// mon's die message starts with "cf error"; perl
			// warnings may come before it and a multi-line message
			// after it. Without one, the last line is the message.
			v.Msg = l
		}
	}
	sort.Strings(v.Warnings)
	if !accepted {
		if waitErr == nil {
			t.Fatalf("mon on %s exited 0 without reading its config: %q", file, lines)
		}
		if m := reMonLine.FindStringSubmatch(v.Msg); m != nil {
			v.Line, _ = strconv.Atoi(m[1])
		}
		v.Warnings = nil
	}
	return v
}

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }

func readGolden(t *testing.T) map[string]verdict {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(oracleDir, "golden.txt"))
	if err != nil {
		t.Fatalf("%v (regenerate with -update where mon is installed)", err)
	}
	g := map[string]verdict{}
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if strings.HasPrefix(l, "#") || l == "" {
			continue
		}
		f := strings.SplitN(l, "\t", 4)
		switch {
		case len(f) >= 2 && f[1] == "ACCEPT":
			v := verdict{Accept: true}
			if len(f) > 2 && f[2] != "" {
				v.Warnings = strings.Split(f[2], " | ")
			}
			g[f[0]] = v
		case len(f) == 4 && f[1] == "REJECT":
			n, _ := strconv.Atoi(f[2])
			g[f[0]] = verdict{Line: n, Msg: f[3]}
		default:
			t.Fatalf("golden.txt: bad line %q", l)
		}
	}
	return g
}

// ours is monconf's verdict on file, with paths resolved from the file's
// directory as mon's are from its working directory.
func ours(file string) (verdict, error) {
	dir := filepath.Dir(file)
	cfg, err := parseFile(file, Options{Readable: func(p string) bool {
		if !filepath.IsAbs(p) {
			p = filepath.Join(dir, p)
		}
		f, err := os.Open(p)
		if err != nil {
			return false
		}
		f.Close()
		return true
	}})
	if err != nil {
		pe, ok := err.(*ParseError)
		if !ok {
			return verdict{}, err
		}
		return verdict{Line: pe.Line, Msg: pe.Msg}, nil
	}
	w := append([]string(nil), cfg.Warnings...)
	sort.Strings(w)
	return verdict{Accept: true, Warnings: w}, nil
}

// msgKind is the start of a mon message up to its first quoted value or
// bracket: what kind of error it is ("cf error: invalid time interval").
func msgKind(m string) string {
	m = reMonLine.ReplaceAllString(m, "")
	if i := strings.IndexAny(m, "'["); i >= 0 {
		m = m[:i]
	}
	return strings.TrimSpace(m)
}

func TestOracle(t *testing.T) {
	files := oracleFiles(t)
	if len(files) < 50 {
		t.Fatalf("oracle corpus has only %d files", len(files))
	}
	mon, err := exec.LookPath("mon")
	if err != nil {
		if _, err2 := os.Stat("/usr/sbin/mon"); err2 == nil {
			mon, err = "/usr/sbin/mon", nil
		}
	}
	live := map[string]verdict{}
	if err == nil && testing.Short() && !*update {
		t.Logf("-short: not running the real mon; comparing with the committed golden file only")
		err = fmt.Errorf("short")
	}
	if err == nil {
		if _, err := exec.LookPath("m4"); err != nil {
			t.Fatalf("mon is installed but m4 is not: %v", err)
		}
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, 2)
		for _, f := range files {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				v := runMon(t, mon, f)
				mu.Lock()
				live[filepath.Base(f)] = v
				mu.Unlock()
			}()
		}
		wg.Wait()
	} else if *update {
		t.Fatal("-update needs the real mon (Debian package mon)")
	} else {
		t.Logf("mon not installed: comparing with the committed golden file only")
	}

	if *update {
		var b bytes.Buffer
		b.WriteString("# What mon 1.3.6 says about each file of this directory; regenerated by\n# go test ./compat/monconf -run TestOracle -update\n")
		for _, f := range files {
			fmt.Fprintf(&b, "%s\t%s\n", filepath.Base(f), live[filepath.Base(f)])
		}
		if err := os.WriteFile(filepath.Join(oracleDir, "golden.txt"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	golden := readGolden(t)
	accepts, rejects := 0, 0
	for _, f := range files {
		name := filepath.Base(f)
		want, ok := golden[name]
		if !ok {
			t.Errorf("%s: not in golden.txt (run with -update)", name)
			continue
		}
		if lv, ok := live[name]; ok && lv.key() != want.key() {
			t.Errorf("%s: the installed mon now says %q, golden.txt %q", name, lv, want)
		}
		got, err := ours(f)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if want.Accept {
			accepts++
		} else {
			rejects++
		}
		switch {
		case got.Accept != want.Accept:
			t.Errorf("%s: mon %s; monconf %s", name, want, got)
		case want.Accept && strings.Join(got.Warnings, "|") != strings.Join(want.Warnings, "|"):
			t.Errorf("%s: warnings differ:\nmon     %q\nmonconf %q", name, want.Warnings, got.Warnings)
		case !want.Accept && want.Line != 0 && got.Line != want.Line:
			t.Errorf("%s: mon rejects at line %d (%s); monconf at line %d (%s)", name, want.Line, want.Msg, got.Line, got.Msg)
		case !want.Accept && !strings.HasPrefix(got.Msg, msgKind(want.Msg)):
			t.Errorf("%s: mon says %q; monconf %q", name, want.Msg, got.Msg)
		}
	}
	if accepts < 20 || rejects < 20 {
		t.Errorf("corpus too one-sided: %d accepted, %d rejected", accepts, rejects)
	}
}
