package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lvskit/lvskit/internal/sdnotify/sdnotifytest"
)

// Under systemd (Type=notify, WatchdogSec): mond says READY=1 once its ports are
// bound, RELOADING=1 then READY=1 around a SIGHUP reset, feeds the watchdog while its
// loop runs, and says STOPPING=1 on SIGTERM.
func TestSystemdNotify(t *testing.T) {
	sock := sdnotifytest.Listen(t)
	m := startMondEnv(t, clientCfg, []string{"NOTIFY_SOCKET=" + sock.Path, "WATCHDOG_USEC=400000"})
	if ready := sock.Await(t, "READY=1", 15*time.Second); !strings.Contains(ready, "STATUS=watching; client port ") {
		t.Errorf("ready message %q", ready)
	}
	for i := 0; i < 3; i++ {
		sock.Await(t, "WATCHDOG=1", 15*time.Second)
	}
	m.cmd.Process.Signal(syscall.SIGHUP)
	sock.Await(t, "RELOADING=1", 15*time.Second)
	sock.Await(t, "READY=1", 15*time.Second)
	m.cmd.Process.Signal(syscall.SIGTERM)
	sock.Await(t, "STOPPING=1", 15*time.Second)
}
