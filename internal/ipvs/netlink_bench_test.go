//go:build linux

package ipvs

import (
	"net/netip"
	"testing"
)

// BenchmarkListing decodes a 5,000-service table with 4 destinations each, the way
// ipvsadm -Ln reads it: one service dump, then one destination dump per service.
// The scripted kernel's replies are prebuilt, so this measures the client side.
func BenchmarkListing(b *testing.B) {
	const nsvc, ndest = 5000, 4
	s := &scriptKernel{}
	svcs := make([]ServiceInfo, nsvc)
	for i := range svcs {
		svcs[i] = ServiceInfo{Service: Service{Key: ServiceKey{Family: FamilyIPv4, Protocol: TCP,
			Addr: netip.AddrFrom4([4]byte{10, 20, byte(i >> 8), byte(i)}), Port: 80}, Scheduler: "wlc", Flags: SvcHashed, Netmask: 0xffffffff}, Stats: bigStats}
	}
	dests := make([]DestinationInfo, ndest)
	for j := range dests {
		dests[j] = DestinationInfo{Destination: Destination{Key: DestKey{Addr: netip.AddrFrom4([4]byte{172, 16, 0, byte(j)}), Port: 8000},
			Family: FamilyIPv4, Forward: Masq, Weight: 1}, Stats: bigStats}
	}
	// Replies are built once and only their sequence numbers patched per request.
	var svcDump [][]byte
	var cur []byte
	for _, si := range svcs {
		m := kernelService(0, si)
		if len(cur)+len(m) > 3776 { // NLMSG_GOODSIZE with 4 KiB pages
			svcDump = append(svcDump, cur)
			cur = nil
		}
		cur = append(cur, m...)
	}
	svcDump = append(svcDump, cur, doneMsg(0))
	cur = nil
	for _, d := range dests {
		cur = append(cur, kernelDest(0, d)...)
	}
	destDump := [][]byte{cur, doneMsg(0)}
	s.reply = func(r request) [][]byte {
		tmpl := destDump
		if r.cmd == cmdGetService {
			tmpl = svcDump
		}
		out := make([][]byte, len(tmpl))
		for i, d := range tmpl {
			out[i] = withSeq(d, r.seq)
		}
		return out
	}
	k := openScripted(b, s)
	b.ReportAllocs()
	for b.Loop() {
		list, err := k.Services(b.Context())
		if err != nil || len(list) != nsvc {
			b.Fatalf("%d services, %v", len(list), err)
		}
		for _, si := range list {
			ds, err := k.Destinations(b.Context(), si.Key)
			if err != nil || len(ds) != ndest {
				b.Fatalf("%d destinations, %v", len(ds), err)
			}
		}
	}
}

// BenchmarkBatch encodes a 1,000 × 10 restore and matches its acks.
func BenchmarkBatch(b *testing.B) {
	var ops []Op
	for i := range 1000 {
		key := ServiceKey{Family: FamilyIPv4, Protocol: TCP, Addr: netip.AddrFrom4([4]byte{10, 20, byte(i >> 8), byte(i)}), Port: 80}
		ops = append(ops, Op{Kind: OpAddService, Service: Service{Key: key, Scheduler: "wlc", Netmask: 0xffffffff}})
		for j := range 10 {
			ops = append(ops, Op{Kind: OpAddDest, Service: Service{Key: key},
				Dest: Destination{Key: DestKey{Addr: netip.AddrFrom4([4]byte{172, 16, byte(i >> 8), byte(i)}), Port: uint16(8000 + j)}, Weight: 1}})
		}
	}
	s := &scriptKernel{reply: func(r request) [][]byte { return [][]byte{errMsg(r.seq, 0)} }}
	k := openScripted(b, s)
	b.ReportAllocs()
	for b.Loop() {
		s.reqs = s.reqs[:0]
		s.sends = s.sends[:0]
		for i, err := range k.Batch(b.Context(), ops) {
			if err != nil {
				b.Fatalf("op %d: %v", i, err)
			}
		}
	}
}

// withSeq copies a datagram and sets the sequence number of each message in it.
func withSeq(d []byte, seq uint32) []byte {
	d = append([]byte(nil), d...)
	for off := 0; off+sizeofNlMsghdr <= len(d); {
		native.PutUint32(d[off+8:], seq)
		off += align4(int(native.Uint32(d[off:])))
	}
	return d
}
