package transport

import (
	"bytes"
	"testing"
	"time"

	"github.com/lvskit/lvskit/compat/hbwire"
)

// TestBuildersMatchOriginal rebuilds every sequenced message the original
// sent in the captures with the builders and the Endpoint, from the same
// inputs, and requires identical bytes.
func TestBuildersMatchOriginal(t *testing.T) {
	kr := keys(t, "doss123")
	seen := map[string]int{}
	for _, pkt := range capturedPackets(t) {
		m, err := hbwire.Verify(pkt, kr)
		if err != nil {
			t.Fatal(err)
		}
		typ := m.Value(hbwire.FType)
		if typ == hbwire.TAck || typ == hbwire.TRexmit {
			continue
		}
		v := m.Value
		var b *hbwire.Message
		switch typ {
		case hbwire.TStatus:
			dt, _ := m.Hex(hbwire.FDeadtime)
			b = StatusMessage(v(hbwire.FStatus), dt)
		case hbwire.TReqNodes:
			b = ReqNodesMessage(v(hbwire.FDest))
		case hbwire.TRepNodes:
			b = RepNodesMessage(v(hbwire.FDest), splitList(v("nodelist")), splitList(v("delnodelist")))
		case hbwire.TStarting:
			b = StartingMessage()
		case hbwire.TResource:
			if v("info") == "mach_down" {
				b = MachDownMessage()
			} else {
				b = ResourceMessage(v("rsc_hold"), v("isstable") == "1", v("info"))
			}
		case hbwire.TAskResources:
			b = AskResourcesMessage(v("info"))
		case hbwire.THBTakeover:
			b = TakeoverMessage()
		case hbwire.TIPRequestResp:
			b = IPRequestRespMessage(v(hbwire.FDest), v("ipaddr"), v("weown") == "yes", v("ok"))
		case hbwire.TShutdone:
			b = ShutdoneMessage()
		default:
			t.Errorf("no builder for captured type %q: %v", typ, m)
			continue
		}
		var u [16]byte
		uuid, _ := m.Bytes(hbwire.FSrcUUID)
		copy(u[:], uuid)
		gen, _ := m.Hex(hbwire.FHG)
		ts, _ := m.Hex(hbwire.FTS)
		seq, _ := m.Hex(hbwire.FSeq)
		e, err := NewEndpoint(Config{Node: v(hbwire.FSrc), UUID: u, Generation: uint32(gen), Keys: kr,
			Nodes: []string{"lvs1", "lvs2"}, Now: func() time.Time { return time.Unix(int64(ts), 0) },
			Load: func() string { return v(hbwire.FLoad) }})
		if err != nil {
			t.Fatal(err)
		}
		if du, ok := m.Bytes(hbwire.FDestUUID); ok {
			e.peers[v(hbwire.FDest)] = &peer{uuid: du}
		}
		e.seq = seq - 1
		got, err := e.Seal(b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, pkt) {
			t.Errorf("%s: built\n%q\nwant (original)\n%q", typ, got, pkt)
		}
		seen[typ]++
	}
	for _, typ := range []string{hbwire.TStatus, hbwire.TReqNodes, hbwire.TRepNodes, hbwire.TStarting,
		hbwire.TResource, hbwire.TAskResources, hbwire.THBTakeover, hbwire.TIPRequestResp, hbwire.TShutdone} {
		if seen[typ] == 0 {
			t.Errorf("captures have no %s message", typ)
		}
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range bytes.Fields([]byte(s)) {
		out = append(out, string(f))
	}
	return out
}
