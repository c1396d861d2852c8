package vmtest

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// cpioWriter writes the "newc" cpio format the kernel unpacks as an initramfs.
// The kernel needs no compression, and an uncompressed archive saves the guest
// from inflating it under software emulation.
type cpioWriter struct {
	w    io.Writer
	ino  int
	err  error
	dirs map[string]bool
}

func newCPIOWriter(w io.Writer) *cpioWriter {
	return &cpioWriter{w: w, ino: 1, dirs: map[string]bool{".": true, "": true}}
}

const (
	modeDir     = 0o040000
	modeRegular = 0o100000
	modeSymlink = 0o120000
)

func (c *cpioWriter) header(name string, mode, size int) {
	if c.err != nil {
		return
	}
	c.ino++
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		c.ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(name)+1, 0)
	c.write([]byte(hdr + name + "\x00"))
	c.pad(len(hdr) + len(name) + 1)
}

func (c *cpioWriter) write(b []byte) {
	if c.err == nil {
		_, c.err = c.w.Write(b)
	}
}

func (c *cpioWriter) pad(n int) {
	if r := n % 4; r != 0 {
		c.write(make([]byte, 4-r))
	}
}

// mkdirAll adds every missing parent directory of name, so entries may be added
// in any order.
func (c *cpioWriter) mkdirAll(dir string) {
	dir = strings.Trim(dir, "/")
	if c.dirs[dir] {
		return
	}
	if i := strings.LastIndex(dir, "/"); i >= 0 {
		c.mkdirAll(dir[:i])
	}
	c.dirs[dir] = true
	c.header(dir, modeDir|0o755, 0)
}

func parent(name string) string {
	if i := strings.LastIndex(name, "/"); i >= 0 {
		return name[:i]
	}
	return ""
}

// file adds a regular file with the given permission bits.
func (c *cpioWriter) file(name string, perm int, data []byte) {
	name = strings.Trim(name, "/")
	c.mkdirAll(parent(name))
	c.header(name, modeRegular|perm, len(data))
	c.write(data)
	c.pad(len(data))
}

// symlink adds a symbolic link name -> target.
func (c *cpioWriter) symlink(name, target string) {
	name = strings.Trim(name, "/")
	c.mkdirAll(parent(name))
	c.header(name, modeSymlink|0o777, len(target))
	c.write([]byte(target))
	c.pad(len(target))
}

// close writes the trailer and reports the first error met.
func (c *cpioWriter) close() error {
	c.header("TRAILER!!!", 0, 0)
	return c.err
}

// sortedKeys returns the keys of m in order, so archives are reproducible.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
