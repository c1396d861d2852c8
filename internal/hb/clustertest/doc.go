// Package clustertest holds the namespace tests of heartbeatd as a whole: two heartbeatd
// nodes in two network namespaces, heartbeatd paired with Debian's real heartbeat 3.0.6
// in either role (internal/hb/interop runs the original), the no-dual-active test with a
// ping node in a third namespace, forged packets from a third namespace, and a pair on a
// routed network whose bgp resource announces the VIP to a BIRD 2 router through lvs-bgp
// (the test binary re-executes itself as lvs-bgp; internal/lvsbgp/lvsbgptest). The tests
// need root and skip with the reason otherwise; CI runs them as root. The package has no
// code of its own.
package clustertest
