package monconf

import (
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestRandomOracle compares monconf with the real mon on randomly
// assembled configs. It is slow (one mon start per config), so it only
// runs when LVSKIT_MON_RANDOM=N asks for N configs; failures it finds
// belong in testdata/oracle as fixed cases.
func TestRandomOracle(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("LVSKIT_MON_RANDOM"))
	if n <= 0 {
		t.Skip("set LVSKIT_MON_RANDOM=N to compare N random configs with the real mon")
	}
	mon, err := exec.LookPath("mon")
	if err != nil {
		t.Skip("mon not installed")
	}
	seed, _ := strconv.ParseInt(os.Getenv("LVSKIT_MON_SEED"), 10, 64)
	r := rand.New(rand.NewSource(seed))
	dir := t.TempDir()
	for _, f := range []string{"users.cf", "auth.cf"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	accepted := 0
	defer func() { t.Logf("%d of %d random configs accepted by mon", accepted, n) }()
	for i := 0; i < n; i++ {
		text := randomConfig(r)
		file := filepath.Join(dir, "r"+strconv.Itoa(i)+".cf")
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		want := runMon(t, mon, file)
		got, err := ours(file)
		if err != nil {
			t.Fatal(err)
		}
		if want.Accept {
			accepted++
		}
		bad := got.Accept != want.Accept ||
			want.Accept && strings.Join(got.Warnings, "|") != strings.Join(want.Warnings, "|") ||
			!want.Accept && want.Line != 0 && got.Line != want.Line ||
			!want.Accept && !strings.HasPrefix(got.Msg, msgKind(want.Msg))
		if bad {
			t.Errorf("config:\n%s\nmon:     %s\nmonconf: %s", text, want, got)
		}
	}
}

func randomConfig(r *rand.Rand) string {
	pick := func(xs ...string) string { return xs[r.Intn(len(xs))] }
	dur := func() string {
		return pick("5m", "30s", "1h", "2d", "0s", "00s", "0.5m", "1.5H", "30", "5 m", "x", "", "0m", "10S")
	}
	globals := []func() string{
		func() string { return "maxprocs = " + pick("20", "x", "") },
		func() string { return "randstart = " + dur() },
		func() string { return "cltimeout=" + dur() },
		func() string { return "dep_behavior = " + pick("a", "m", "hm", "x") },
		func() string { return "dep_memory = " + dur() },
		func() string { return "unack_summary = " + pick("yes", "no", "0", "1", "2", "", "any") },
		func() string { return "userfile = " + pick("users.cf", "missing.cf") },
		func() string { return "authtype = " + pick("getpwnam", "userfile", "trustlocal") },
		func() string { return "exclude_period = " + pick("wd {Sat-Sun}", "wd {x}", "", "none") },
		func() string { return pick("histlength", "serverport", "pidfile", "bogus", "snmp") + " = 1" },
	}
	service := []func() string{
		func() string {
			return pick("interval", "failure_interval", "randskew", "traptimeout", "trapduration") + " " + dur()
		},
		func() string { return "monitor " + pick("ping.monitor", "tcp.monitor -p 80 ;;", `x "a b`, "") },
		func() string { return pick("allow_empty_group", "description a b", "redistribute a.alert x") },
		func() string { return "unack_summary " + pick("yes", "no", "2", "") },
		func() string { return "dep_behavior " + pick("a", "m", "hm", "q") },
		func() string { return "dep_memory " + dur() },
		func() string { return pick("depend", "alertdepend", "hostdepend", "monitordepend") + " SELF:x" },
		func() string { return "exclude_hosts a b" },
		func() string { return "exclude_period " + pick("wd {Sat}", "hr {25}", "") },
		func() string { return pick("FOO=bar", "X_1=", "lower=x", "-W 5", "bogus 1", "comp_alerts") },
	}
	period := []func() string{
		func() string {
			return "period " + pick("", "wd {Mon-Fri}", "A: hr {1-2}", "a: hr {1-2}", "wd hr", "wd", "none", "X: wd {Mon}, bogus", "hr {7am-6pm}")
		},
		func() string {
			return pick("alert", "upalert", "startupalert", "ackalert", "disablealert") + " " + pick("mail.alert root", "exit=1 a.alert", "")
		},
		func() string {
			return "alertevery " + dur() + pick("", " strict", " summary", " observe_detail", " ignore_summary", " loud")
		},
		func() string { return "alertafter " + pick("3", "10m", "3 30m", "1d", "0m", "2 0m", "x", "4 20m") },
		func() string { return "numalerts " + pick("0", "24", "-1", "x") },
		func() string { return "upalertafter " + dur() },
		func() string {
			return pick("no_comp_alerts", "alerts_dont_count", "alertexitrange 1-3", "alertexitrange x")
		},
		func() string { return pick("interval 5m", "monitor x", "-W 5") },
	}
	var b strings.Builder
	for i := r.Intn(3); i > 0; i-- {
		b.WriteString(globals[r.Intn(len(globals))]() + "\n")
	}
	groups := []string{"g1", "g2"}
	for i := r.Intn(3); i > 0; i-- {
		b.WriteString("hostgroup " + pick(groups...) + " h1 h2\n")
		if r.Intn(4) != 0 {
			b.WriteString(pick("\n", "# c\n", "h3\n\n"))
		}
	}
	for i := 1 + r.Intn(2); i > 0; i-- {
		b.WriteString("watch " + pick(groups...) + "\n")
		for j := r.Intn(3); j > 0; j-- {
			b.WriteString(pick("service s1", "service s2", "service a/b", "service") + "\n")
			for k := r.Intn(4); k > 0; k-- {
				b.WriteString(pick("\t", "  ", "") + service[r.Intn(len(service))]() + "\n")
			}
			for k := r.Intn(3); k > 0; k-- {
				b.WriteString(period[0]() + "\n")
				for m := r.Intn(4); m > 0; m-- {
					l := period[1+r.Intn(len(period)-1)]()
					if r.Intn(8) == 0 {
						l = strings.Replace(l, " ", " \\\n   ", 1)
					}
					b.WriteString("\t" + l + "\n")
				}
			}
		}
		if r.Intn(2) == 0 {
			b.WriteString("\n")
		}
	}
	return b.String()
}
