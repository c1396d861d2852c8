package server

import "testing"

// FuzzParseTrap: trap datagrams come from the network; parsing must never panic.
func FuzzParseTrap(f *testing.F) {
	f.Add("pro='0.3807'\nusr='u'\npas='p'\ngrp='g'\nsvc='s'\nsta='1'\nsum='a\\20b'\ndtl=''\n")
	f.Add("x=\\\n=\n'")
	f.Fuzz(func(t *testing.T, pkt string) {
		ParseTrap(pkt)
	})
}
