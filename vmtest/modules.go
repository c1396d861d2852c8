package vmtest

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// DefaultModules are loaded in every guest: IPVS with every scheduler and
// persistence engine, and what namespaced LVS labs need (veth, bridge, dummy,
// IPIP/GRE/GUE tunnels, netem). Dependencies are added automatically.
var DefaultModules = []string{
	"crc32c_generic",           // libcrc32c asks the crypto API for it at load time
	"virtio_pci", "virtio_blk", // the results disk
	"ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_lc", "ip_vs_wlc", "ip_vs_lblc", "ip_vs_lblcr",
	"ip_vs_dh", "ip_vs_sh", "ip_vs_sed", "ip_vs_nq", "ip_vs_fo", "ip_vs_ovf", "ip_vs_mh",
	"ip_vs_ftp", "ip_vs_pe_sip",
	"veth", "dummy", "bridge", "ipip", "ip_gre", "fou", "sch_netem",
}

// moduleSet resolves module names to .ko files in a kernel tree, with their
// dependencies, in an order insmod accepts (dependencies first). Debian's
// package ships no modules.dep, so the depends= field of each module's
// .modinfo is read instead.
type moduleSet struct {
	byName map[string]string // module name -> path
	order  []string
	seen   map[string]bool
}

func newModuleSet(kernelDir string) (*moduleSet, error) {
	m := &moduleSet{byName: map[string]string{}, seen: map[string]bool{}}
	err := filepath.WalkDir(kernelDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".ko") {
			name := strings.ReplaceAll(strings.TrimSuffix(d.Name(), ".ko"), "-", "_")
			m.byName[name] = p
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("vmtest: modules: %w", err)
	}
	return m, nil
}

func (m *moduleSet) add(name string) error {
	name = strings.ReplaceAll(name, "-", "_")
	if m.seen[name] {
		return nil
	}
	m.seen[name] = true
	p, ok := m.byName[name]
	if !ok {
		return fmt.Errorf("vmtest: module %s not in the kernel package (built in?)", name)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return fmt.Errorf("vmtest: module %s: %w", name, err)
	}
	if i := bytes.Index(data, []byte("\x00depends=")); i >= 0 {
		rest := data[i+len("\x00depends="):]
		deps := string(rest[:bytes.IndexByte(rest, 0)])
		for _, d := range strings.Split(deps, ",") {
			if d == "" {
				continue
			}
			if err := m.add(d); err != nil {
				return fmt.Errorf("%w (needed by %s)", err, name)
			}
		}
	}
	m.order = append(m.order, name)
	return nil
}
