//go:build !linux

package daemon

import "errors"

func makeRealtime(int) error { return errors.New("realtime scheduling not implemented on this system") }
