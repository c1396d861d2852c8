//go:build !linux

package main

func initError(err error) error { return err }

func modprobe() bool { return false }
