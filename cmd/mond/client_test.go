package main

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/statushttp/statushttptest"
)

// mondInstance is mond (this test binary) running a config in a temp dir.
type mondInstance struct {
	dir  string
	port int
	cmd  *exec.Cmd
	out  *syncBuffer
}

// syncBuffer is mond's output, written by exec's copier while a test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const clientCfg = oracleDirs + `authtype = userfile
userfile = @DIR@/users
dtlogging = yes

hostgroup web 127.0.0.1 127.0.0.2

hostgroup solo 127.0.0.3

watch web
    service http
        description web servers
        interval 1s
        monitor fail.monitor
        period wd {Sun-Sat}
            alert rec.alert
            upalert rec.alert

watch solo
    service ping
        interval 1h
        monitor fail.monitor
        period p: wd {Sun-Sat}
            alert rec.alert ping-alert
`

func startMond(t *testing.T, cfg string, extra ...string) *mondInstance {
	t.Helper()
	return startMondEnv(t, cfg, nil, extra...)
}

// startMondEnv is startMond with more environment for mond.
func startMondEnv(t *testing.T, cfg string, env []string, extra ...string) *mondInstance {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"mon.d", "alert.d", "log.d", "state.d"} {
		os.MkdirAll(filepath.Join(dir, sub), 0o755)
	}
	w := func(name, data string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(strings.ReplaceAll(data, "@DIR@", dir)), mode); err != nil {
			t.Fatal(err)
		}
	}
	w("mon.d/fail.monitor", "#!/bin/sh\necho \"$@ failed\"\necho detail\nexit 1\n", 0o755)
	w("alert.d/rec.alert", "#!/bin/sh\necho \"$*\" >> @DIR@/alerts\n", 0o755)
	w("auth.cf", "list: all\nservertime: all\nack: AUTH_ANY\ndisable: admin\nenable: admin\ntest: admin\nstop: admin\nstart: admin\nreset: admin\n", 0o644)
	w("users", "admin: $6$abcdefgh$Z7KfoKnKTSZrzo5VZ0YubGLQOj9ov6sHo9TmE3zIU/LHKhpE30zCnZ0mcIXYf9r9rQ4DYaXoxAFSPFlcWdxjB.\n", 0o644)
	w("mon.cf", cfg, 0o644)
	port := freePort(t)
	self, _ := os.Executable()
	args := append([]string{"-c", filepath.Join(dir, "mon.cf"), "-p", strconv.Itoa(port), "-t", strconv.Itoa(port + 1),
		"-P", filepath.Join(dir, "mon.pid")}, extra...)
	cmd := exec.Command(self, args...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "MOND_TEST_MAIN=1"}, env...)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	m := &mondInstance{dir: dir, port: port, cmd: cmd, out: &out}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mond did not listen: %s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return m
}

func (m *mondInstance) moncmd(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("/usr/bin/moncmd", append([]string{"-s", "127.0.0.1", "-p", strconv.Itoa(m.port)}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, _ := cmd.CombinedOutput()
	return string(out)
}

func waitFor(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestRealMoncmdAndMonshow(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the original moncmd and monshow; not with -short")
	}
	for _, p := range []string{"/usr/bin/moncmd", "/usr/bin/monshow"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s not installed (Debian's mon package)", p)
		}
	}
	m := startMond(t, clientCfg)
	waitFor(t, "a failure", func() bool {
		return strings.Contains(m.moncmd(t, "", "list", "failures"), "group=web service=http opstatus=0")
	})
	out := m.moncmd(t, "", "list", "opstatus")
	for _, want := range []string{"group=web service=http opstatus=0 last_opstatus=", "last_summary=127.0.0.1\\20127.0.0.2\\20failed",
		"last_detail=detail\\0a", "group=solo service=ping opstatus=7", "220 list opstatus completed"} {
		if !strings.Contains(out, want) {
			t.Errorf("list opstatus: missing %q in\n%s", want, out)
		}
	}
	if out := m.moncmd(t, "", "list", "group", "web"); !strings.Contains(out, "hostgroup web 127.0.0.1 127.0.0.2\n220 list group completed") {
		t.Errorf("list group: %s", out)
	}
	if out := m.moncmd(t, "", "list", "alerthist"); !strings.Contains(out, "alert\\20web\\20http\\20") {
		t.Errorf("list alerthist: %s", out)
	}
	if out := m.moncmd(t, "", "list", "failurehist"); !strings.Contains(out, "web\\20http\\20") {
		t.Errorf("list failurehist: %s", out)
	}
	if out := m.moncmd(t, "", "list", "pids"); !strings.Contains(out, "server ") || !strings.Contains(out, "220 list pids completed") {
		t.Errorf("list pids: %s", out)
	}
	// Not logged in: disable is refused like mon refuses it.
	if out := m.moncmd(t, "", "disable", "service", "web", "http"); !strings.Contains(out, "520 command could not be executed") {
		t.Errorf("unauthenticated disable: %s", out)
	}
	if out := m.moncmd(t, "pass=wrong\ndisable service web http\n", "-a", "-l", "admin"); !strings.Contains(out, "Could not authenticate") {
		t.Errorf("bad password: %s", out)
	}
	// moncmd -a reading stdin drops the first line after the credentials (it reads it,
	// then reads again before sending), so a throwaway line follows them.
	login := "pass=s3cret\nlist state\n"
	if out := m.moncmd(t, login+"disable service web http\ndisable host 127.0.0.3\n", "-a", "-l", "admin"); !strings.Contains(out, "220 disable service completed") ||
		!strings.Contains(out, "220 disable host completed") {
		t.Errorf("disable: %s", out)
	}
	if out := m.moncmd(t, "", "list", "disabled"); !strings.Contains(out, "group solo: 127.0.0.3") || !strings.Contains(out, "watch solo\n") ||
		!strings.Contains(out, "watch web service http") {
		t.Errorf("list disabled: %s", out)
	}
	if b, err := os.ReadFile(filepath.Join(m.dir, "state.d", "disabled")); err != nil || !strings.Contains(string(b), "disable service web http") {
		t.Errorf("state.d/disabled: %q %v", b, err)
	}
	show, err := exec.Command("/usr/bin/monshow", "--server", "127.0.0.1", "--port", strconv.Itoa(m.port), "--full").CombinedOutput()
	if err != nil || !strings.Contains(string(show), "web             http") || !strings.Contains(string(show), "FAIL") ||
		!strings.Contains(string(show), "DISABLED SERVICES\nweb http") {
		t.Errorf("monshow --full: %v\n%s", err, show)
	}
	if out := m.moncmd(t, login+"enable service web http\nenable host 127.0.0.3\n", "-a", "-l", "admin"); strings.Count(out, "220 enable completed") != 2 {
		t.Errorf("enable: %s", out)
	}
	if out := m.moncmd(t, "", "list", "disabled"); strings.Contains(out, "watch") || strings.Contains(out, "group") {
		t.Errorf("still disabled: %s", out)
	}
	if out := m.moncmd(t, login+"test alert solo ping 1 p\n", "-a", "-l", "admin"); !strings.Contains(out, "220 test alert completed") {
		t.Errorf("test alert: %s", out)
	}
	waitFor(t, "the test alert", func() bool {
		b, _ := os.ReadFile(filepath.Join(m.dir, "alerts"))
		return strings.Contains(string(b), "-s ping -g solo -h 127.0.0.3 -t ")
	})
	if out := m.moncmd(t, login+"ack web http looking into it\n", "-a", "-l", "admin"); !strings.Contains(out, "220 ack completed") {
		t.Errorf("ack: %s", out)
	}
	if out := m.moncmd(t, "", "list", "opstatus", "web,http"); !strings.Contains(out, "ackcomment=admin:\\20looking") {
		t.Errorf("ack comment: %s", out)
	}
	if out := m.moncmd(t, login+"stop\n", "-a", "-l", "admin"); !strings.Contains(out, "220 stop completed") {
		t.Errorf("stop: %s", out)
	}
	if out := m.moncmd(t, "", "list", "state"); !strings.Contains(out, "scheduler stopped since ") {
		t.Errorf("list state: %s", out)
	}
	if out := m.moncmd(t, login+"start\nreset\n", "-a", "-l", "admin"); !strings.Contains(out, "220 start completed") || !strings.Contains(out, "220 reset PID") {
		t.Errorf("start/reset: %s", out)
	}
	if out := m.moncmd(t, "", "list", "opstatus", "solo,ping"); !strings.Contains(out, "opstatus=7") {
		t.Errorf("after reset: %s", out)
	}
}

func TestSighupKeepsRunningConfigWhenNewOneIsBad(t *testing.T) {
	if _, err := os.Stat("/usr/bin/moncmd"); err != nil {
		t.Skip("moncmd not installed")
	}
	m := startMond(t, clientCfg)
	cfgPath := filepath.Join(m.dir, "mon.cf")
	os.WriteFile(cfgPath, []byte("hostgroup x 127.0.0.1\n\nwatch x\n    service s\n        interval banana\n"), 0o644)
	m.cmd.Process.Signal(syscall.SIGHUP)
	time.Sleep(300 * time.Millisecond)
	if out := m.moncmd(t, "", "list", "watch"); !strings.Contains(out, "web http\nsolo ping\n") {
		t.Fatalf("bad config replaced the running one: %s\n%s", out, m.out.String())
	}
	good := strings.Replace(strings.ReplaceAll(clientCfg, "@DIR@", m.dir), "service ping", "service ping2", 1)
	os.WriteFile(cfgPath, []byte(good), 0o644)
	m.cmd.Process.Signal(syscall.SIGHUP)
	waitFor(t, "the reloaded config", func() bool { return strings.Contains(m.moncmd(t, "", "list", "watch"), "solo ping2") })
}

func TestCheckFlag(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.cf")
	os.WriteFile(good, []byte("hostgroup g 127.0.0.1\n\nwatch g\n    service s\n        interval 5s\n        monitor tcp.monitor -p 80\n        period wd {Mon-Fri}\n            alert mail.alert root\n"), 0o644)
	bad := filepath.Join(dir, "bad.cf")
	os.WriteFile(bad, []byte("hostgroup g 127.0.0.1\n\nwatch g\n    service s\n        interval 5\n"), 0o644)
	var out, errb bytes.Buffer
	if rc := run([]string{"--check", good}, &out, &errb); rc != 0 {
		t.Errorf("--check good: rc %d, %s", rc, errb.String())
	}
	out.Reset()
	errb.Reset()
	if rc := run([]string{"--check", bad}, &out, &errb); rc == 0 || !strings.Contains(errb.String(), "bad.cf:5:") {
		t.Errorf("--check bad: rc %d, stderr %q", rc, errb.String())
	}
	remote := filepath.Join(dir, "remote.cf")
	os.WriteFile(remote, []byte("monremote = /bin/true\n\nhostgroup g 127.0.0.1\n\nwatch g\n    service s\n        traptimeout 5m\n"), 0o644)
	errb.Reset()
	if rc := run([]string{"--check", remote}, &out, &errb); rc == 0 || !strings.Contains(errb.String(), "monremote is not implemented") {
		t.Errorf("--check monremote: rc %d, stderr %q", rc, errb.String())
	}
}

func TestMetricsListener(t *testing.T) {
	mp := freePort(t)
	m := startMond(t, clientCfg, "--metrics-listen", "127.0.0.1:"+strconv.Itoa(mp))
	base := "http://127.0.0.1:" + strconv.Itoa(mp)
	var body string
	waitFor(t, "metrics with a failure", func() bool {
		c, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(mp))
		if err != nil {
			return false
		}
		defer c.Close()
		c.Write([]byte("GET /metrics HTTP/1.0\r\n\r\n"))
		var b bytes.Buffer
		b.ReadFrom(c)
		body = b.String()
		return strings.Contains(body, `mond_service_failures_total{group="web",service="http"} `) &&
			!strings.Contains(body, `mond_service_failures_total{group="web",service="http"} 0`)
	})
	for _, want := range []string{`mond_service_up{group="web",service="http"} 0`, `mond_service_opstatus{group="solo",service="ping"} 7`,
		`mond_service_checks_total{group="web",service="http"} `, "mond_scheduler_running 1", `lvskit_build_info{commit=`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	_, exposition := statushttptest.Get(t, base+"/metrics")
	statushttptest.CheckMetrics(t, exposition)
	if code, b := statushttptest.Get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz: %d %q", code, b)
	}
	if code, b := statushttptest.Get(t, base+"/readyz"); code != 200 {
		t.Errorf("/readyz: %d %q", code, b)
	}
	if code, b := statushttptest.Get(t, base+"/status"); code != 200 || !strings.Contains(string(b), `"daemon": "mond"`) ||
		!strings.Contains(string(b), `"opstatus_name": "fail"`) {
		t.Errorf("/status: %d %s", code, b)
	}
	_ = m
}
