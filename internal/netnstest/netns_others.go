//go:build !linux

package netnstest

import (
	"errors"
	"testing"
)

// NS is a network namespace; there are none here.
type NS struct {
	Name string
}

func probe() string { return "network namespaces are Linux only" }

// New skips the test: there are no network namespaces here.
func New(t testing.TB) *NS {
	t.Helper()
	Require(t)
	return nil // not reached: Require skips
}

// Do fails: there are no network namespaces here.
func (n *NS) Do(fn func() error) error { return errors.ErrUnsupported }
