package main

import (
	"io"
	"strings"

	"github.com/lvskit/lvskit/compat/ipvsadm"
	"github.com/lvskit/lvskit/internal/ipvs"
)

// testEnv runs ipvsadm against fake with no name services and an empty connection table.
func testEnv(fake *ipvs.Fake, argv []string, stdin string) Env {
	return Env{
		Args:  argv,
		Stdin: strings.NewReader(stdin),
		Open:  func() (ipvs.Client, error) { return fake, nil },
		OpenConn: func() (io.ReadCloser, error) {
			return io.NopCloser(strings.NewReader(connHeader)), nil
		},
		Resolver: ipvsadm.NoResolver{},
	}
}

const connHeader = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"
