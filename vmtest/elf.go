package vmtest

import (
	"debug/elf"
	"fmt"
	"os"
	"path/filepath"
)

// sharedLibs returns the shared libraries bin needs, recursively, found in
// the given directories in order (the first hit wins, as with
// LD_LIBRARY_PATH), plus the program interpreter.
func sharedLibs(bin string, dirs []string) (map[string]string, error) {
	libs := map[string]string{} // soname -> host path
	var walk func(string) error
	walk = func(p string) error {
		f, err := elf.Open(p)
		if err != nil {
			return fmt.Errorf("vmtest: %s: %w", p, err)
		}
		defer f.Close()
		for _, prog := range f.Progs {
			if prog.Type == elf.PT_INTERP {
				b := make([]byte, prog.Filesz)
				if _, err := prog.ReadAt(b, 0); err == nil {
					interp := string(b[:len(b)-1])
					libs[interp] = interp
				}
			}
		}
		needed, err := f.DynString(elf.DT_NEEDED)
		if err != nil {
			return nil // static
		}
		for _, n := range needed {
			if _, ok := libs[n]; ok {
				continue
			}
			found := ""
			for _, d := range dirs {
				c := filepath.Join(d, n)
				if _, err := os.Stat(c); err == nil {
					found = c
					break
				}
			}
			if found == "" {
				return fmt.Errorf("vmtest: %s needs %s, not found in %v", p, n, dirs)
			}
			libs[n] = found
			if err := walk(found); err != nil {
				return err
			}
		}
		return nil
	}
	return libs, walk(bin)
}
