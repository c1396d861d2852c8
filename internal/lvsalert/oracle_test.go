package lvsalert

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lvskit/lvskit/internal/ipvs"
)

var update = flag.Bool("update", false, "regenerate testdata/lvs.alert.golden by running the manual's lvs.alert (needs perl and ../shared/seed)")

// oracleCases are command lines given to the manual's lvs.alert and to lvs-alert. They
// stick to numeric addresses without ports, where the original passes its arguments
// through to ipvsadm unchanged, so the ipvsadm line each would run can be compared.
var oracleCases = [][]string{
	// mon.cf lines of the manual, with mon 1.3.6's arguments before them.
	{"-s", "webcache", "-g", "server1", "-h", "10.144.43.175", "-t", "1069840183", "-P", "tcp", "-V", "10.144.43.185:8080", "-R", "10.144.43.175", "-W", "5", "-F", "dr"},
	{"-s", "webcache", "-g", "server1", "-h", "10.144.43.175", "-t", "1069840183", "-u", "-P", "tcp", "-V", "10.144.43.185:8080", "-R", "10.144.43.175", "-W", "5", "-F", "dr", "-u", "1"},
	{"-s", "telnet", "-g", "server2", "-h", "10.144.43.187", "-t", "1069840183", "-P", "tcp", "-V", "10.144.43.185:23", "-R", "10.144.43.187", "-W", "5", "-F", "dr", "-u", "1"},
	// Without mon's arguments, as a person would test it.
	{"-P", "tcp", "-V", "10.144.43.185:23", "-R", "10.144.43.175"},
	{"-P", "udp", "-V", "10.0.0.1:53", "-R", "10.0.0.2", "-W", "3", "-F", "nat", "-u"},
	{"-P", "udp", "-V", "10.0.0.1:53", "-R", "10.0.0.2"},
	{"-u", "-P", "tcp", "-V", "10.0.0.1:80", "-R", "10.0.0.3", "-W", "0", "-F", "tun"},
	{"-u", "-P", "tcp", "-V", "10.0.0.1:80", "-R", "10.0.0.3", "-W", "2"},
	// getopts details: bundled values, the last of a repeated option, reading stops at
	// the first non-option.
	{"-u", "-Ptcp", "-V10.0.0.1:80", "-R10.0.0.3", "-W7", "-Fnat"},
	{"-u", "-P", "tcp", "-V", "10.0.0.1:80", "-R", "10.0.0.3", "-W", "2", "-W", "9"},
	{"-u", "-P", "tcp", "-V", "10.0.0.1:80", "-R", "10.0.0.3", "-W", "2", "1", "-W", "9"},
	{"-P", "tcp", "-V", "10.0.0.1:80", "1", "-u", "-R", "10.0.0.3"}, // -R unread: see deviations
	// mon's other alert flags: unknown to lvs.alert, which warns and removes.
	{"-s", "webcache", "-g", "server1", "-h", "10.144.43.175", "-t", "1", "-a", "-P", "tcp", "-V", "10.0.0.1:80", "-R", "10.0.0.3"},
	{"-s", "webcache", "-g", "server1", "-h", "10.144.43.175", "-t", "1", "-T", "-P", "tcp", "-V", "10.0.0.1:80", "-R", "10.0.0.3"},
	{"-l", "5", "-P", "tcp", "-V", "10.0.0.1:80", "-R", "10.0.0.3"},
	// Where lvs-alert deliberately differs: bad input is an error, not a guess.
	{"-u", "-P", "tcp", "-V", "10.0.0.1:80", "-R", "10.0.0.3", "-F", "dr"},              // no -W: ipvsadm got "-w  -g"
	{"-u", "-P", "tcp", "-V", "10.0.0.1:80", "-R", "10.0.0.3", "-W", "1", "-F", "gate"}, // unknown -F: the original used -g
	{"-u", "-P", "TCP", "-V", "10.0.0.1:80", "-R", "10.0.0.3", "-W", "1"},               // the original: UDP (not "tcp")
	{"-P", "sctp", "-V", "10.0.0.1:80", "-R", "10.0.0.3"},                               // the original: UDP
}

// deviations are the cases above where lvs-alert does not run what the original did,
// and why; every other case must match it exactly.
var deviations = map[int]string{
	11: "usage error: -R comes after the non-option 1, so it is not read (the original ran ipvsadm -d without a real server, which fails)",
	15: "usage error: -W is required with -u (the original ran ipvsadm with an empty weight, which fails)",
	16: "usage error: -F gate is not a method (the original silently used direct routing)",
	17: "accepts TCP as tcp (the original treated anything but lowercase tcp as udp)",
	18: "accepts sctp (the original treated it as udp)",
}

type oracleResult struct {
	Args    []string `json:"args"`
	Ipvsadm string   `json:"ipvsadm"` // the arguments it ran ipvsadm with; "" if none
}

const goldenPath = "testdata/lvs.alert.golden"

// equivalentIpvsadm is the ipvsadm command line that does what req does, written as
// lvs.alert wrote it.
func equivalentIpvsadm(req Request) string {
	proto := map[ipvs.Protocol]string{ipvs.TCP: "-t", ipvs.UDP: "-u", ipvs.SCTP: "--sctp-service"}[req.Service.Protocol]
	vip := fmt.Sprintf("%s %s", proto, DestString(ipvs.DestKey{Addr: req.Service.Addr, Port: req.Service.Port}))
	if !req.Up {
		return fmt.Sprintf("-d %s -r %s", vip, req.Dest.Addr)
	}
	fwd := map[ipvs.Forward]string{ipvs.Route: "-g", ipvs.Masq: "-m", ipvs.Tunnel: "-i"}[req.Forward]
	return fmt.Sprintf("-a %s -r %s -w %d %s", vip, req.Dest.Addr, req.Weight, fwd)
}

func TestMatchesOriginalLvsAlert(t *testing.T) {
	if *update {
		regenerateOracle(t)
	}
	b, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v (regenerate with go test -run TestMatchesOriginalLvsAlert -update)", err)
	}
	var golden []oracleResult
	if err := json.Unmarshal(b, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden) != len(oracleCases) {
		t.Fatalf("golden has %d cases, the test %d: regenerate with -update", len(golden), len(oracleCases))
	}
	for i, g := range golden {
		if strings.Join(g.Args, " ") != strings.Join(oracleCases[i], " ") {
			t.Fatalf("golden case %d is %q, the test's %q: regenerate with -update", i, g.Args, oracleCases[i])
		}
		req, err := Parse(context.Background(), g.Args, nil)
		got := ""
		if err == nil {
			got = equivalentIpvsadm(req)
		} else {
			got = "error: " + err.Error()
		}
		if why, ok := deviations[i]; ok {
			if got == g.Ipvsadm {
				t.Errorf("case %d %q: expected to differ from the original (%s), but both give %q", i, g.Args, why, got)
			}
			t.Logf("case %d: original ipvsadm %q; lvs-alert %q: %s", i, g.Ipvsadm, got, why)
			continue
		}
		if got != g.Ipvsadm {
			t.Errorf("case %d %q:\n original runs ipvsadm %q\n lvs-alert does     %q", i, g.Args, g.Ipvsadm, got)
		}
	}
}

// regenerateOracle runs the manual's lvs.alert, taken from the seed manual (it is not
// copied into this repository), with ipvsadm replaced by a recorder.
func regenerateOracle(t *testing.T) {
	t.Helper()
	manual, err := os.ReadFile("../../../shared/seed/lvs-install-manual-zh.txt")
	if err != nil {
		t.Fatalf("-update needs the seed manual: %v", err)
	}
	text := string(manual)
	start := strings.Index(text, "#!/usr/bin/perl\n#\n# lvs.alert")
	end := strings.Index(text, "3.2、mon daemon")
	if start < 0 || end < start {
		t.Fatal("lvs.alert not found in the manual")
	}
	script := text[start:end]
	dir := t.TempDir()
	rec := filepath.Join(dir, "ipvsadm")
	out := filepath.Join(dir, "out")
	if err := os.WriteFile(rec, []byte("#!/bin/sh\necho \"$*\" > "+out+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(script, `$ipvsadm = "/sbin/ipvsadm";`) {
		t.Fatal("the manual's lvs.alert no longer sets $ipvsadm as expected")
	}
	script = strings.Replace(script, `$ipvsadm = "/sbin/ipvsadm";`, `$ipvsadm = "`+rec+`";`, 1)
	alert := filepath.Join(dir, "lvs.alert")
	if err := os.WriteFile(alert, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	var results []oracleResult
	for _, args := range oracleCases {
		os.Remove(out)
		cmd := exec.Command("perl", append([]string{alert}, args...)...)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("perl lvs.alert %q: %v\n%s", args, err, b)
		}
		ran, err := os.ReadFile(out)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		results = append(results, oracleResult{Args: args, Ipvsadm: strings.TrimSuffix(string(ran), "\n")})
	}
	b, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(goldenPath, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
