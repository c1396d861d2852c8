// Package vmtest runs scripts against a real IPVS kernel on hosts without
// one: qemu (software emulation) boots Debian's kernel with every ip_vs module
// from an initramfs holding busybox, iproute2 ($IP=/usr/sbin/ip; plain "ip"
// is busybox's applet, without netns/veth), the real ipvsadm 1.31 as
// /sbin/ipvsadm and our static binaries as /ours/<name>. Usage, as root:
// ad hoc, `go run ./vmtest/cmd/vmrun [-ours ipvsadm] [-out dir] [-env K=V]
// script.sh` prints the script's output and exits with its status (one
// boot, ~10 s on an idle host); from a test, `res := vmtest.Boot(t,
// vmtest.Options{Script: ..., HostFiles: bins})` with bins from
// BuildCommands("ipvsadm"), then read res.Files, every file the script wrote
// under /results. The ipvsadm oracle: `go test ./vmtest -run TestOracle -v
// -timeout 30m` (-case REGEXP for some corpus scripts, -update to rewrite the
// golden files from 1.31, -oracle-both for 1.31 in both seats); `make
// vmtest` and `make bench-ipvsadm` wrap them.
//
// Debian's kernel and the ipvsadm/libnl/libpopt packages are fetched with
// apt-get download once into CacheDir() (/var/cache/lvskit-vm for root, or
// $LVSKIT_VM_CACHE) under a lock file. Tests skip only when not root or qemu
// is missing. Every boot costs seconds of emulated CPU: batch many checks
// into one payload. Two traps of the kernel, met by the oracle: services
// dumped over several netlink messages can be duplicated or dropped when
// another network namespace changes its IPVS table meanwhile (the dump
// resumes at an index counted over all namespaces), so run concurrent
// ipvsadm work in separate guests, not in parallel namespaces; and
// --nosort lists services in hash order, which depends on the namespace and
// the boot, so it is not stable golden material.
package vmtest
