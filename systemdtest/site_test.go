package systemdtest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// The manual's director Linux187 (examples/ keeps the manual's addresses): this
// node's address, the VIP and the gateway mon pings. The peer linux142 does not
// exist; heartbeat declares it dead after initdead and takes the resources.
const (
	nodeName = "Linux187"
	nodeAddr = "10.144.43.187"
	peerAddr = "10.144.43.142"
	vip      = "10.144.43.185"
	gateway  = "10.144.43.254"
)

// ha.cf's timers, shortened so that a lone heartbeat takes its resources within
// seconds (the manual's: keepalive 2, deadtime 40, initdead 240).
const (
	keepalive = 1
	deadtime  = 4
	initdead  = 8
)

type siteFile struct {
	data []byte
	mode os.FileMode
}

// siteFiles are the director's files as examples/README.md installs them (container
// path -> file): examples/etc under /etc, heartbeat.alert, /root/conf/data; and the
// manual's perl lvs.alert (testdata/lvs.alert), which the manual's directors had in
// mon's alertdir and lvskit-mon's lvs.alert takes the place of. The only change is
// ha.cf's timers; every edit must apply, so that a change in examples/ fails here
// instead of being ignored.
func siteFiles(repo string) (map[string]siteFile, error) {
	files := map[string]siteFile{}
	add := func(src, dst string) error {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		st, err := os.Stat(src)
		if err != nil {
			return err
		}
		files[dst] = siteFile{b, st.Mode().Perm()}
		return nil
	}
	ex := filepath.Join(repo, "examples")
	err := filepath.WalkDir(filepath.Join(ex, "etc"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(ex, p)
		return add(p, "/"+filepath.ToSlash(rel))
	})
	if err != nil {
		return nil, fmt.Errorf("examples: %w", err)
	}
	for src, dst := range map[string]string{
		filepath.Join(ex, "usr/lib/mon/alert.d/heartbeat.alert"): "/usr/lib/mon/alert.d/heartbeat.alert",
		filepath.Join(ex, "root/conf/data"):                      "/root/conf/data",
		filepath.Join("testdata", "lvs.alert"):                   "/usr/lib/mon/alert.d/lvs.alert",
	} {
		if err := add(src, dst); err != nil {
			return nil, err
		}
	}
	for _, need := range []string{"/etc/ha.d/ha.cf", "/etc/ha.d/authkeys", "/etc/ha.d/haresources", "/etc/mon/mon.cf",
		"/etc/mon/auth.cf", "/etc/init.d/lvs", "/etc/default/mon", "/etc/systemd/system/mon.service.d/lvs.conf"} {
		if _, ok := files[need]; !ok {
			return nil, fmt.Errorf("examples: no %s", need)
		}
	}
	// heartbeat refuses an authkeys readable by others (README: chmod 600).
	ak := files["/etc/ha.d/authkeys"]
	ak.mode = 0o600
	files["/etc/ha.d/authkeys"] = ak

	hacf := string(files["/etc/ha.d/ha.cf"].data)
	for _, e := range [][2]string{
		{"keepalive 2 ", fmt.Sprintf("keepalive %d ", keepalive)},
		{"deadtime 40 ", fmt.Sprintf("deadtime %d ", deadtime)},
		{"initdead 240", fmt.Sprintf("initdead %d", initdead)},
		// The addresses and node names are the ones this test's node has.
		{"ucast eth0 " + peerAddr, "ucast eth0 " + peerAddr},
		{"node " + nodeName + " ", "node " + nodeName + " "},
	} {
		if !strings.Contains(hacf, e[0]) {
			return nil, fmt.Errorf("examples/etc/ha.d/ha.cf: %q not found (examples changed?)", e[0])
		}
		hacf = strings.ReplaceAll(hacf, e[0], e[1])
	}
	files["/etc/ha.d/ha.cf"] = siteFile{[]byte(hacf), files["/etc/ha.d/ha.cf"].mode}
	for p, want := range map[string]string{
		"/etc/ha.d/haresources": nodeName + " lvs " + vip + " mon",
		"/etc/init.d/lvs":       "VIP=${VIP:-" + vip + "}",
		"/etc/mon/mon.cf":       "monitor ping.monitor " + gateway,
	} {
		if !strings.Contains(string(files[p].data), want) {
			return nil, fmt.Errorf("examples%s: %q not found (examples changed?)", p, want)
		}
	}
	return files, nil
}
