package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// With no daemon running, the client entry points say so, each in its own words.
func TestClientsWithoutDaemon(t *testing.T) {
	t.Setenv("HEARTBEATD_RUN_DIR", t.TempDir())
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // on stdout
		err  string // on stderr
	}{
		{"cl_status", []string{"hbstatus"}, 1, "Heartbeat is stopped on this machine.", ""},
		{"/usr/bin/cl_status", []string{"rscstatus"}, 1, "", "not running"},
		{"hb_standby", nil, 1, "", "not running"},
		{"hb_takeover", []string{"all"}, 1, "", "not running"},
		{"heartbeatd", []string{"cl_status", "hbstatus"}, 1, "Heartbeat is stopped on this machine.", ""},
		{"heartbeatd", []string{"standby"}, 1, "", "not running"},
		{"heartbeatd", []string{"-s"}, 3, "heartbeat is stopped", ""},
		{"heartbeatd", []string{"-k"}, 1, "", "not running"},
		{"heartbeatd", []string{"-V"}, 0, "3.0.6", ""},
	} {
		var out, errb bytes.Buffer
		code := runAs(tc.name, tc.args, &out, &errb, oracleHost{})
		if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errb.String(), tc.err) {
			t.Errorf("%s %q = %d, stdout %q, stderr %q; want %d, %q, %q", tc.name, tc.args, code, out.String(), errb.String(), tc.code, tc.out, tc.err)
		}
	}
}

// A pid file naming a live process makes -s report it running; a stale one does not.
func TestStatusFromPidFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("HEARTBEATD_RUN_DIR", dir)
	pidfile := filepath.Join(dir, "heartbeat.pid")
	if err := os.WriteFile(pidfile, []byte("999999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if code := runAs("heartbeatd", []string{"-s"}, &out, &out, oracleHost{}); code != 3 {
		t.Errorf("stale pid file: -s = %d (%s), want 3", code, out.String())
	}
	if err := os.WriteFile(pidfile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := runAs("heartbeatd", []string{"-s"}, &out, &out, oracleHost{}); code != 0 || !strings.Contains(out.String(), "running") {
		t.Errorf("live pid file: -s = %d (%s), want 0 running", code, out.String())
	}
}
