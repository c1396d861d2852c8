//go:build !linux

package main

import "github.com/lvskit/lvskit/internal/hostnet"

type otherHost struct{ hostnet.Net }

func newLinuxHost() host { return otherHost{hostnet.NewLinux()} }

func (otherHost) LinkUp(string) error   { return hostnet.ErrNotImplemented }
func (otherHost) Detach([]string) error { return hostnet.ErrNotImplemented }
