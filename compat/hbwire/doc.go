// Package hbwire encodes, decodes, signs and verifies the messages that
// heartbeat 3.0.6 (R1 mode, "crm off") exchanges over its UDP media.
//
// Everything below was learnt by running Debian's heartbeat 1:3.0.6 between
// two network namespaces (internal/hb/interop) and capturing the packets
// with tcpdump; each statement is checked by a test against those captures
// (testdata/captured/*.txt, regenerated from the original with
// `go test ./compat/hbwire -run TestCaptured -update` as root).
//
// # Framing
//
// Every datagram is one message in "netstring" form, whatever ha.cf says
// about msgfmt (a node configured with "msgfmt classic" still sends this):
//
//	###\n
//	<len>:(<type>)<name>=<value>,     one per field, in order
//	...
//	%%%\n
//	<len>:<key index> <digest>,       the trailing digest, no newline after
//
// <len> is the decimal byte count of what follows the colon up to the
// comma. <type> is 0 for a string and 1 for binary (the 16-byte uuids);
// 2..5 (struct, list, compressed) never occur in R1 traffic here and are
// carried opaquely. Values are raw bytes: the binary uuids appear
// unescaped, commas and newlines included, which is why the length prefix
// rather than a delimiter ends a field. A real status heartbeat (uuid
// shown as <16 bytes>, one field per line here for reading):
//
//	###
//	11:(0)t=status,
//	12:(0)st=active,
//	10:(0)dt=2710,
//	13:(0)protocol=1,
//	11:(0)src=lvs1,
//	27:(1)srcuuid=<16 bytes>,
//	9:(0)seq=75,
//	14:(0)hg=6b0692c0,
//	14:(0)ts=6b069328,
//	32:(0)ld=2.18 0.87 0.34 1/116 18776,
//	8:(0)ttl=3,
//	50:(0)auth=1 0815cccf51cb7346200ff2acb2f03945a94759d2,
//	%%%
//	42:1 <40 hex digits>,
//
// The older "classic" form (">>>\n", "name=value\n" lines, "<<<\n") is
// decoded too; it is also the text the inner digest covers (below).
//
// # Authentication: two digests
//
// Each message carries two digests made with the key named by "auth N" in
// authkeys, both written as "<N> <lower-case hex>":
//
//   - the auth field, last of the fields: the digest of the message's
//     classic text without markers and without the auth field itself, i.e.
//     for each field "[(<type>)]<name>=<value>\n", where the "(<type>)"
//     prefix is written only for non-string fields and binary values are in
//     standard padded base64 ("(1)srcuuid=MDEy...ZWY=\n");
//   - the trailing netstring: the digest of the exact bytes from "###\n"
//     through "%%%\n", auth field included.
//
// sha1 is HMAC-SHA1 keyed with the secret, md5 is HMAC-MD5. crc takes no
// secret: it is a CRC-32 with polynomial 0x04C11DB7, not reflected, initial
// value 0, final XOR 0xffffffff (the POSIX cksum CRC without the length),
// printed in hex without leading zeros ("1 e7c54ed6"; shorter values
// are not padded). It is
// not zlib's CRC-32. A receiver checks the digest with whichever key index
// the packet names, so every key listed in authkeys is accepted (Verify
// does the same).
//
// # Fields every message carries
//
// After its own fields (type first, except repnodes which starts with
// dest) the sender appends, in this order:
//
//	destuuid  binary, only when the message has a dest
//	src       node name (uname -n)
//	srcuuid   binary, the 16 bytes of /var/lib/heartbeat/hb_uuid (a random
//	          version 4 uuid created on first start)
//	seq       lower-case hex, no 0x; 1 for the first message of a run;
//	          absent on NS_ackmsg and NS_rexmit
//	hg        generation, hex: /var/lib/heartbeat/hb_generation, which holds
//	          the number in decimal right-aligned in 15 columns and a newline
//	          ("     1795592896\n"), starts at the current Unix time when
//	          absent and grows by one at every start
//	ts        sender's Unix time in hex
//	ld        /proc/loadavg without the newline; absent on NS_ackmsg and
//	          NS_rexmit
//	ttl       "3" in a two-node cluster
//	auth      the inner digest
//
// Sequence numbers are per (node, generation); a restarted node starts
// again at seq=1 with hg one higher, which is how peers tell a restart from
// a replay.
//
// # Message types seen (value of t)
//
//	status        st=init|up|active|dead, dt=<deadtime ms, hex>, protocol=1.
//	              Sent every keepalive; dt is initdead at first (2ee0 for 12 s),
//	              deadtime later (2710 for 10 s).
//	NS_ackmsg     dest=<node>, ackseq=<hex>. Sent to each node (also to
//	              itself) when its messages up to ackseq = 1, 11, 21, ...
//	              have all arrived.
//	NS_rexmit     dest=<node>, firstseq=<decimal>, lastseq=<decimal>: please
//	              resend. The original asks one seq per message and asks
//	              again until it arrives; the answer is the very same
//	              datagram (same digests, same ts), resent.
//	reqnodes      dest=<node>: ask for its node list. The original does not
//	              finish starting (no API, cl_status fails) until each node
//	              it asked has answered.
//	repnodes      dest=<node> FIRST, then t, nodelist="lvs1 lvs2 " (each
//	              name followed by a space), delnodelist=" " (empty = one
//	              space).
//	starting      sent once at start-up.
//	resource      rsc_hold=none|local|foreign|all, rtype=full,
//	              isstable=0|1, optionally info=req_our_resources() |
//	              shutdown | mach_down: R1 resource negotiation.
//	ask_resources rsc_hold=all, info=me | other | done.
//	hb_takeover   rsc_hold=all: sent by the node hb_takeover runs on.
//	ip-request-resp dest=<node>, ipaddr=<resource>, weown=yes, ok=OK
//	              (here sent by the owner to itself).
//	shutdone      st=dead: the node has stopped, sent last.
//
// Retransmissions answer NS_rexmit byte for byte.
//
// # R1 resource exchange as captured
//
// With auto_failback on and haresources "lvs1 rec" (shown: sender, t and
// the fields after it, in send order). Start-up, both nodes: reqnodes, repnodes, starting, then
// resource rsc_hold=none rtype=full isstable=0; once each holds its own:
// resource rsc_hold=local isstable=1, then resource rsc_hold=local
// isstable=1 info=req_our_resources(); lvs1 (which owns rec) sends
// ip-request-resp ipaddr=rec weown=yes ok=OK.
//
// hb_standby on lvs1 (the owner gives everything away):
//
//	lvs1 ask_resources rsc_hold=all info=me
//	lvs2 ask_resources rsc_hold=all info=other
//	lvs1 resource rsc_hold=none rtype=full isstable=0 info=standby
//	lvs1 ask_resources rsc_hold=all info=done
//	lvs2 resource rsc_hold=all rtype=full isstable=1
//	lvs2 ask_resources rsc_hold=all info=done
//	lvs1 resource rsc_hold=none rtype=full isstable=1
//
// hb_takeover on lvs1 (take everything back):
//
//	lvs1 hb_takeover rsc_hold=all
//	lvs2 ask_resources rsc_hold=all info=me
//	lvs1 ask_resources rsc_hold=all info=other
//	lvs2 resource rsc_hold=none rtype=full isstable=0 info=standby
//	lvs2 ask_resources rsc_hold=all info=done
//	lvs1 resource rsc_hold=all rtype=full isstable=1
//	lvs1 ask_resources rsc_hold=all info=done
//	lvs2 resource rsc_hold=none rtype=full isstable=1
//
// Clean stop of lvs2: lvs2 resource rsc_hold=none isstable=0 info=shutdown,
// lvs2 shutdone st=dead; lvs1 then resource rsc_hold=foreign
// info=mach_down and resource rsc_hold=all isstable=1
// info=req_our_resources().
//
// ipfail's messages (num_ping_nodes with num_ping, you_are_dead,
// abort_giveup, each with dest) travel the same way.
//
// This package is heartbeat's wire vocabulary: it names the types, fields,
// info words and rsc_hold shares (Hold), and builds every message above
// with its own fields in the original's order (StatusMessage,
// ResourceMessage, ...); the sender appends the common fields. When to send
// them and what they mean for membership and resources is internal/hb's
// business. Decoding carries any fields.
//
// # Not implemented
//
// Compressed messages (field types 4 and 5, sent only above
// compression_threshold with a compression plugin, which Debian does not
// ship and R1 messages never reach) and nested struct/list fields decode
// opaquely but fail verification with a "not implemented" error; a string
// value containing a newline cannot be signed.
//
// # Limits
//
// Decode accepts at most MaxMessageSize bytes and MaxFields fields, copies
// each value once, and never trusts a length prefix beyond the packet.
package hbwire
