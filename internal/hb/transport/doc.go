// Package transport carries heartbeat 3.0.6 messages between cluster nodes:
// the UDP media (ucast, bcast, mcast on a named interface), and the
// per-node protocol layer above them that the original implements and its
// peers expect: the fields every message carries (src, srcuuid, seq, hg,
// ts, ld, ttl), signing and verification with the authkeys keyring,
// sequence numbers per generation, a replay window per peer, a bounded
// history of sent messages answering NS_rexmit retransmission requests,
// NS_rexmit requests for gaps, NS_ackmsg acknowledgements, and the
// persistent generation and uuid files of /var/lib/heartbeat.
//
// Endpoint is pure (no I/O, injected clock) and is what the membership
// code drives; UDPLink is the Linux socket implementation of Link; Node
// ties one Endpoint to a set of Links.
package transport
