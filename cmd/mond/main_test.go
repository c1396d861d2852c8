package main

import (
	"os"
	"testing"
)

// TestMain lets the test binary act as mond when MOND_TEST_MAIN is set, so tests run
// the real command without a separate build step.
func TestMain(m *testing.M) {
	if os.Getenv("MOND_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}
