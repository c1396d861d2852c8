// Command packaging builds lvskit's Debian packages with nfpm used as a library. One YAML
// file per package describes it; ${VERSION}, ${ARCH} and ${BIN} (the directory of the
// built binaries) are expanded from the command line.
//
// No RPMs: nfpm would build them from the same files, but the maintainer scripts are
// Debian's (dpkg-divert for the site's lvs.alert, update-rc.d, deb-systemd-helper,
// adduser) and would fail on a RedHat host; RPM distributions use `make install`.
//
// It is a module of its own so that nfpm's dependencies stay out of lvskit's binaries.
//
//	go run . -version 0.1.0 -bin ../bin -out ../dist lvskit-*.yaml
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb"
)

func main() {
	version := flag.String("version", "", "package version (required)")
	release := flag.String("release", "1", "package release")
	bin := flag.String("bin", "../bin", "directory of the built binaries")
	out := flag.String("out", "../dist", "directory for the packages")
	formats := flag.String("formats", "deb", "package formats: deb (the only one)")
	arch := flag.String("arch", "amd64", "architecture")
	flag.Parse()
	if *version == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: packaging -version V [-bin DIR] [-out DIR] [-formats deb] FILE.yaml...")
		os.Exit(2)
	}
	for _, f := range strings.Split(*formats, ",") {
		if f != "deb" {
			fmt.Fprintf(os.Stderr, "packaging: format %q: not built — the maintainer scripts are Debian's (dpkg-divert, update-rc.d, adduser); on RPM distributions use make install\n", f)
			os.Exit(2)
		}
	}
	absBin, err := filepath.Abs(*bin)
	if err != nil {
		fail(err)
	}
	env := map[string]string{"VERSION": *version, "RELEASE": *release, "ARCH": *arch, "BIN": absBin}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		fail(err)
	}
	for _, cfgPath := range flag.Args() {
		cfg, err := nfpm.ParseFileWithEnvMapping(cfgPath, func(k string) string { return env[k] })
		if err != nil {
			fail(fmt.Errorf("%s: %w", cfgPath, err))
		}
		for _, format := range strings.Split(*formats, ",") {
			if err := build(cfg, format, *out); err != nil {
				fail(fmt.Errorf("%s (%s): %w", cfgPath, format, err))
			}
		}
	}
}

func build(cfg nfpm.Config, format, out string) error {
	info, err := cfg.Get(format)
	if err != nil {
		return err
	}
	info = nfpm.WithDefaults(info)
	if err := nfpm.PrepareForPackager(info, format); err != nil {
		return err
	}
	pkgr, err := nfpm.Get(format)
	if err != nil {
		return err
	}
	name := filepath.Join(out, pkgr.ConventionalFileName(info))
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := pkgr.Package(info, f); err != nil {
		f.Close()
		os.Remove(name)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	fmt.Println(name)
	return nil
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "packaging:", err)
	os.Exit(1)
}
