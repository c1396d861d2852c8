package main

import (
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Under systemd (Type=notify, WatchdogSec): mond says READY=1 once its ports are
// bound, RELOADING=1 then READY=1 around a SIGHUP reset, feeds the watchdog while its
// loop runs, and says STOPPING=1 on SIGTERM.
func TestSystemdNotify(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	msgs := make(chan string, 1000)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	await := func(want string) string {
		t.Helper()
		deadline := time.After(15 * time.Second)
		for {
			select {
			case m := <-msgs:
				if strings.HasPrefix(m, want) {
					return m
				}
			case <-deadline:
				t.Fatalf("no %q from mond", want)
			}
		}
	}
	m := startMondEnv(t, clientCfg, []string{"NOTIFY_SOCKET=" + sock, "WATCHDOG_USEC=400000"})
	if ready := await("READY=1"); !strings.Contains(ready, "STATUS=watching; client port ") {
		t.Errorf("ready message %q", ready)
	}
	for i := 0; i < 3; i++ {
		await("WATCHDOG=1")
	}
	m.cmd.Process.Signal(syscall.SIGHUP)
	await("RELOADING=1")
	await("READY=1")
	m.cmd.Process.Signal(syscall.SIGTERM)
	await("STOPPING=1")
}
