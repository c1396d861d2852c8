//go:build !linux

package main

import (
	"fmt"
	"os"
)

func run(string, []string) int {
	fmt.Fprintln(os.Stderr, "labprobe: not implemented on this system (it runs inside the lab's Linux VM)")
	return 1
}
