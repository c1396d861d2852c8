// Package interop runs the original heartbeat 3.0.6 (Debian's package) as an
// oracle inside network namespaces, for tests of lvskit's heartbeat
// implementation.
//
// Each original node runs in its own network namespace and, inside it, in
// its own mount and UTS namespace (ip netns exec NS unshare --mount --uts):
// /etc/ha.d, /var/lib/heartbeat and /run are bind mounts of per-node
// directories under the test's temporary directory, and the hostname is the
// node name, so two originals can run on one host without seeing each
// other's files. Everything a test starts is stopped in t.Cleanup: the
// heartbeat processes (heartbeat -k, then SIGKILL of what is left in the
// namespace), tcpdump, and the namespaces themselves; the mounts vanish with
// the last process of their mount namespace.
//
// The helpers need root, the heartbeat package, iproute2, util-linux
// (unshare, nsenter) and tcpdump; Require skips the test with the reason
// when something is missing.
package interop
