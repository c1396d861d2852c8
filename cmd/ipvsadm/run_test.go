package main

import (
	"bytes"
	"errors"
	"strings"
	"syscall"
	"testing"

	"github.com/lvskit/lvskit/internal/ipvs"
)

const noIPVS = "Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n"

func TestInitFailure(t *testing.T) {
	for _, args := range [][]string{{"ipvsadm", "-v"}, {"ipvsadm", "-Ln"}, {"ipvsadm"}, {"ipvsadm", "-A", "-t", "10.0.0.1:80", "-s", "rr"}} {
		var o, e bytes.Buffer
		modprobes := 0
		env := Env{
			Args: args, Stdout: &o, Stderr: &e,
			Open:     func() (ipvs.Client, error) { return nil, &ipvs.OpError{Op: "resolve family", Err: syscall.ENOPROTOOPT} },
			Modprobe: func() bool { modprobes++; return false },
		}
		if st := Run(env); st != 2 || o.Len() != 0 || e.String() != noIPVS || modprobes != 1 {
			t.Errorf("%v: status %d stdout %q stderr %q modprobes %d", args, st, o.String(), e.String(), modprobes)
		}
	}
	// Not root: libipvs's raw-socket fallback fails with EPERM.
	var e bytes.Buffer
	env := Env{Args: []string{"ipvsadm", "-v"}, Stdout: &bytes.Buffer{}, Stderr: &e,
		Open: func() (ipvs.Client, error) { return nil, syscall.EPERM }}
	if st := Run(env); st != 2 || e.String() != "Can't initialize ipvs: Permission denied (you must be root)\nAre you sure that IP Virtual Server is built in the kernel or as module?\n" {
		t.Errorf("EPERM: %d %q", st, e.String())
	}
}

func TestInitRetryAfterModprobe(t *testing.T) {
	fake := ipvs.NewFake()
	opens := 0
	var o, e bytes.Buffer
	env := Env{
		Args: []string{"ipvsadm", "-v"}, Stdout: &o, Stderr: &e,
		Open: func() (ipvs.Client, error) {
			opens++
			if opens == 1 {
				return nil, syscall.ENOPROTOOPT
			}
			return fake, nil
		},
		Modprobe: func() bool { return true },
	}
	if st := Run(env); st != 0 || o.String() != "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)\n" || opens != 2 {
		t.Errorf("status %d stdout %q stderr %q opens %d", st, o.String(), e.String(), opens)
	}
}

func TestOldKernelWarning(t *testing.T) {
	fake := ipvs.NewFake()
	fake.SetInfo(ipvs.Info{Version: 0x010103, ConnTabSize: 4096})
	var o, e bytes.Buffer
	env := testEnv(fake, []string{"ipvsadm", "-v"}, "")
	env.Stdout, env.Stderr = &o, &e
	Run(env)
	want := "Warning: IPVS version mismatch: \n  Kernel compiled with IPVS version 1.1.3\n  ipvsadm v1.31  requires minimum IPVS version 1.1.4\n\n"
	if e.String() != want {
		t.Errorf("stderr %q", e.String())
	}
}

func TestListingErrors(t *testing.T) {
	fake := ipvs.NewFake()
	var o, e bytes.Buffer
	run := func(args ...string) int {
		o.Reset()
		e.Reset()
		env := testEnv(fake, append([]string{"ipvsadm"}, args...), "")
		env.Stdout, env.Stderr = &o, &e
		return Run(env)
	}
	if st := run("-A", "-t", "192.0.2.1:80"); st != 0 {
		t.Fatal(e.String())
	}
	fake.Fail("Destinations", syscall.ESRCH)
	// The header is printed before the failing dump, then "No such service", status 1.
	if st := run("-Ln"); st != 1 || e.String() != "No such service\n" ||
		o.String() != "IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n" {
		t.Errorf("dests failure: %d %q %q", st, o.String(), e.String())
	}
	fake.Fail("Destinations", nil)
	fake.Fail("Timeouts", syscall.EPERM)
	if st := run("-L", "--timeout"); st != 1 || e.Len() != 0 || o.Len() != 0 {
		t.Errorf("timeout failure: %d %q %q", st, o.String(), e.String())
	}
	fake.Fail("Zero", errors.New("transport broke"))
	if st := run("-Z"); st != 255 || e.String() != "Invalid operation.  Possibly wrong module version, address not unicast, ...\n" {
		t.Errorf("zero failure: %d %q", st, e.String())
	}
	env := testEnv(fake, []string{"ipvsadm", "-Lnc"}, "")
	env.OpenConn = nil
	env.Stdout, env.Stderr = &o, &e
	o.Reset()
	e.Reset()
	if st := Run(env); st != 1 || e.String() != "cannot open file /proc/net/ip_vs_conn\n" {
		t.Errorf("conn: %d %q", st, e.String())
	}
}

// -v and --version print 1.31's line alone (the VM oracle holds them to 1.31);
// --lvskit-version names lvskit's build, without a kernel.
func TestLvskitVersion(t *testing.T) {
	var o, e bytes.Buffer
	env := Env{Args: []string{"/sbin/ipvsadm", "--lvskit-version"}, Stdout: &o, Stderr: &e,
		Open: func() (ipvs.Client, error) { return nil, syscall.ENOPROTOOPT }}
	if st := Run(env); st != 0 || !strings.HasPrefix(o.String(), "lvskit ipvsadm ") || e.Len() != 0 {
		t.Errorf("status %d stdout %q stderr %q", st, o.String(), e.String())
	}
}

// ipvsadm-adopt, lvskit's own command, names its build with --version.
func TestAdoptVersion(t *testing.T) {
	var o, e bytes.Buffer
	env := Env{Args: []string{"/sbin/ipvsadm-adopt", "--version"}, Stdout: &o, Stderr: &e,
		Open: func() (ipvs.Client, error) { return nil, syscall.ENOPROTOOPT }}
	if st := RunAdopt(env); st != 0 || !strings.HasPrefix(o.String(), "lvskit ipvsadm-adopt ") || e.Len() != 0 {
		t.Errorf("status %d stdout %q stderr %q", st, o.String(), e.String())
	}
}
