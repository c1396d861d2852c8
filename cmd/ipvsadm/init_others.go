//go:build !linux

package main

import "os"

func initError(err error) error { return err }

func modprobe() bool { return false }

func dieOfSIGSEGV() { os.Exit(139) }
