package sched

import (
	"testing"
	"time"
)

func TestTrapTimeoutAndDuration(t *testing.T) {
	e := New(conf(t, `hostgroup g h

watch g
service s
traptimeout 30s
trapduration 10s
period wd {Sun-Sat}
alert a.alert
upalert a.alert
`), opts(), t0)
	if a := e.Tick(t0.Add(29 * time.Second)); len(a.Alerts) != 0 {
		t.Fatal("trap timeout fired early")
	}
	a := e.Tick(t0.Add(30 * time.Second))
	if len(a.Alerts) != 1 || a.Alerts[0].Flags&FlTrapTimeout == 0 || a.Alerts[0].Args[len(a.Alerts[0].Args)-1] != "-O" {
		t.Fatalf("trap timeout alert: %+v", a.Alerts)
	}
	// A trap resets the timeout; a failing trap alerts with -T.
	a, err := e.Trap("g", "s", 1, "bad", "detail", t0.Add(40*time.Second))
	if err != nil || len(a.Alerts) != 1 || a.Alerts[0].Args[len(a.Alerts[0].Args)-1] != "-T" || a.Alerts[0].Stdin != "bad\n\ndetail" {
		t.Fatalf("trap alert: %v %+v", err, a.Alerts)
	}
	if e.OpStatus("g", "s") != StatFail {
		t.Fatal("trap did not fail the service")
	}
	e.Tick(t0.Add(50 * time.Second))
	if e.OpStatus("g", "s") != StatOK {
		t.Fatal("trapduration did not turn the service ok")
	}
	if a := e.Tick(t0.Add(60 * time.Second)); len(a.Alerts) != 0 {
		t.Fatal("trap timeout despite a recent trap")
	}
	if _, err := e.Trap("nosuch", "x", 1, "", "", t0); err == nil {
		t.Fatal("trap for an unknown group accepted without a default watch")
	}
}
