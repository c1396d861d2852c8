package main

import (
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/mon/oracle/*.golden from mon 1.3.6's recordings")

// writeGolden keeps mon's recording in testdata for reference (regenerated only from mon).
func writeGolden(t *testing.T, name string, rec map[string][]string) {
	var keys []string
	for k := range rec {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString("=== " + k + "\n")
		for _, r := range rec[k] {
			b.WriteString(r)
			if !strings.HasSuffix(r, "\n") {
				b.WriteString("\n")
			}
			b.WriteString("---\n")
		}
	}
	if err := os.WriteFile(filepath.Join("../../testdata/mon/oracle", name+".golden"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
