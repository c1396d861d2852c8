package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/lvskit/lvskit/compat/ipvsadm"
	"github.com/lvskit/lvskit/internal/ipvs"
)

// sessionStep is one command of a captured session: argv, stdin, the combined
// stdout+stderr and the exit status of the original ipvsadm.
type sessionStep struct {
	line   int
	argv   []string
	stdin  string
	output string
	status int
}

// readSession parses a session transcript: "$ cmd args" lines, output lines, then
// "[exit N]". A "<<< text" line right after the command line is one line of stdin
// (repeatable); "<<<- text" is a last line without a newline. Lines starting with '#' before a command are comments.
func readSession(t *testing.T, path string) []sessionStep {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var steps []sessionStep
	var cur *sessionStep
	var out strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 1<<16), 1<<20)
	n := 0
	for sc.Scan() {
		n++
		l := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(l, "$ "):
			cur = &sessionStep{line: n, argv: strings.Fields(l[2:])}
			out.Reset()
		case cur == nil:
			// comment or blank between steps
		case strings.HasPrefix(l, "<<< ") && out.Len() == 0:
			cur.stdin += l[4:] + "\n"
		case strings.HasPrefix(l, "<<<- ") && out.Len() == 0:
			cur.stdin += l[5:] // a last line without its newline
		case strings.HasPrefix(l, "[exit ") && strings.HasSuffix(l, "]"):
			st, err := strconv.Atoi(l[6 : len(l)-1])
			if err != nil {
				t.Fatalf("%s:%d: %v", path, n, err)
			}
			cur.status = st
			cur.output = out.String()
			steps = append(steps, *cur)
			cur = nil
		default:
			out.WriteString(l + "\n")
		}
	}
	if cur != nil {
		t.Fatalf("%s: step at line %d has no [exit N]", path, cur.line)
	}
	return steps
}

// replay runs the steps against one fake kernel, in order; tweak adjusts each Env.
func replay(t *testing.T, path string, fake *ipvs.Fake, tweak func(*Env)) {
	t.Helper()
	for _, st := range readSession(t, path) {
		var both bytes.Buffer
		env := testEnv(fake, st.argv, st.stdin)
		env.Stdout, env.Stderr = &both, &both
		if tweak != nil {
			tweak(&env)
		}
		got := Run(env)
		name := fmt.Sprintf("%s:%d %s", path, st.line, strings.Join(st.argv, " "))
		if diff := cmp.Diff(st.output, both.String()); diff != "" {
			t.Errorf("%s: output (-want +got):\n%s", name, diff)
		}
		if got != st.status {
			t.Errorf("%s: exit status %d, want %d", name, got, st.status)
		}
	}
}

func TestGoldenReferenceSession(t *testing.T) {
	replay(t, "../../compat/ipvsadm/testdata/reference-session.txt", ipvs.NewFake(), nil)
}

// etcResolver answers from the hosts and services files the VM sessions ran with.
func etcResolver(t *testing.T) ipvsadm.Resolver {
	t.Helper()
	h, err := os.ReadFile(filepath.Join(testdataDir, "etc", "hosts"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.ReadFile(filepath.Join(testdataDir, "etc", "services"))
	if err != nil {
		t.Fatal(err)
	}
	return ipvsadm.NewFilesResolver(string(h), string(s))
}

// TestSessionsAgainstFake replays the transcripts of ipvsadm 1.31 on a real kernel
// (testdata/sessions/*.session, recorded by TestVMSessions -update-vm) against the fake.
func TestSessionsAgainstFake(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testdataDir, "sessions", "*.session"))
	if len(files) == 0 {
		t.Skip("no recorded sessions yet")
	}
	res := etcResolver(t)
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "kernel-order-") {
			// Depends on the kernel's per-boot hash order: checked in the VM only.
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			replay(t, f, ipvs.NewFake(), func(e *Env) { e.Resolver = res })
		})
	}
}

// TestConnAgainstGolden lists each /proc/net/ip_vs_conn sample and compares with what
// ipvsadm 1.31 printed for it (testdata/conn/NAME.session).
func TestConnAgainstGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(testdataDir, "conn", "*.session"))
	if len(files) == 0 {
		t.Skip("no recorded conn listings yet")
	}
	res := etcResolver(t)
	for _, f := range files {
		sample, err := os.ReadFile(strings.TrimSuffix(f, ".session") + ".txt")
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			replay(t, f, ipvs.NewFake(), func(e *Env) {
				e.Resolver = res
				e.OpenConn = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(sample)), nil }
			})
		})
	}
}
