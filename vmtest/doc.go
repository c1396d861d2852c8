// Package vmtest runs scripts against a real IPVS kernel on hosts without
// one: qemu (software emulation) boots Debian's kernel with every ip_vs module
// from an initramfs holding busybox, iproute2 ($IP=/usr/sbin/ip; plain "ip"
// is busybox's applet, without netns/veth), the real ipvsadm 1.31 as
// /sbin/ipvsadm and our static binaries as /ours/<name>. Usage: ad-hoc, as
// root, `go run ./vmtest/cmd/vmrun [-ours ipvsadm] [-out dir] script.sh`
// prints the script's output and exits with its status (one boot, ~10 s);
// from a test, `res := vmtest.Boot(t, vmtest.Options{Script: ..., HostFiles:
// bins})` with bins from BuildCommands("ipvsadm"), then read res.Files: every
// file the script wrote under /results. The oracle test compares our ipvsadm
// with 1.31 byte for byte: `go test ./vmtest -run TestOracle -v -timeout
// 30m` (-case REGEXP runs some corpus scripts; -update rewrites the golden
// files from 1.31; -oracle-both puts 1.31 in both seats). Debian packages are fetched with apt-get download once into
// CacheDir() (/var/cache/lvskit-vm for root, or $LVSKIT_VM_CACHE). Tests skip
// only when not root or qemu is missing. Boot once per test binary and batch
// checks: each boot costs ~10 s of wall time on two cores.
package vmtest
