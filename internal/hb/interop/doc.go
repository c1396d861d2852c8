// Package interop runs the original heartbeat 3.0.6 (Debian's package) as an
// oracle inside network namespaces, for tests of lvskit's heartbeat
// implementation.
//
// Each original node runs in its own network namespace (internal/netnstest)
// and, inside it, in its own mount and UTS namespace (unshare --mount --uts):
// /etc/ha.d, /var/lib/heartbeat and /run are bind mounts of per-node
// directories under the test's temporary directory, and the hostname is the
// node name, so two originals can run on one host without seeing each
// other's files. Everything a test starts is stopped in t.Cleanup: the
// heartbeat processes (heartbeat -k, then SIGKILL of what is left in the
// mount namespace), tcpdump, and the network namespaces themselves (netnstest
// kills what is still in them); the mounts vanish with the last process of
// their mount namespace.
//
// The helpers need what netnstest needs (root, iproute2), the heartbeat
// package, util-linux (unshare, nsenter) and tcpdump; Require skips the test
// with the reason when something is missing, or with -short.
package interop
