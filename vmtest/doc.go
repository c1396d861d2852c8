// Package vmtest runs scripts against a real IPVS kernel on hosts without
// one: qemu (software emulation) boots Debian's kernel with every ip_vs module
// from an initramfs holding busybox, iproute2 ($IP=/usr/sbin/ip; plain "ip"
// is busybox's applet, without netns/veth), the real ipvsadm 1.31 as
// /sbin/ipvsadm and our static binaries as /ours/<name>. Ad hoc, as root:
// `go run ./vmtest/cmd/vmrun [-ours ipvsadm] [-out dir] [-env K=V]
// script.sh` prints the script's output and exits with its status (one
// boot, ~10 s on an idle host).
//
// Tests: every test of the project that needs the real kernel runs in one
// boot, `go test ./vmtest -run TestVMSuite -v` (`make vmtest`; root, qemu;
// about five minutes on two emulated cores). It carries the ipvsadm oracle
// (TestVMSuite/vmtest/oracle: the corpus scripts with 1.31 and with ours,
// byte for byte, golden files from 1.31; -case REGEXP for some scripts,
// -oracle-both for 1.31 in both seats) and each package listed in guestParts
// (suite.go): the package's test binary, built with go test -c, runs inside
// the guest with -test.run for its guest tests and reports as the subtest
// TestVMSuite/<package dir>. -run selects parts before the boot
// (-run TestVMSuite/cmd/lvs-alert boots with lvs-alert's test alone);
// -update rewrites the golden files of the selected parts from the originals.
// A guest test starts with RequireGuest (skipped outside the guest, naming
// the suite; failed if guestParts does not list it) and runs its shell
// payloads with RunInGuest, which gives them the /payload and /results a
// fresh guest would. Boot and Run remain for one-off guests (the lab,
// vmrun): every boot costs seconds of emulated CPU, so batch checks into
// one payload.
//
// Debian's kernel and the ipvsadm/libnl/libpopt packages are fetched with
// apt-get download once into CacheDir() (/var/cache/lvskit-vm for root, or
// $LVSKIT_VM_CACHE) under a lock file. Tests skip only when not root or qemu
// is missing. Two traps of the kernel, met by the oracle: services dumped
// over several netlink messages can be duplicated or dropped when another
// network namespace changes its IPVS table meanwhile (the dump resumes at an
// index counted over all namespaces), so IPVS work of different tests runs
// one after another (the suite's parts with IPVS set) or in separate guests,
// never in parallel namespaces; and --nosort lists services in hash order,
// which depends on the namespace and the boot, so it is not stable golden
// material.
package vmtest
