package hbwire_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/lvskit/lvskit/compat/hbwire"
)

// TestBuildersMatchCaptures rebuilds every message the original sent in the captures
// from its values and requires the same fields in the same order.
func TestBuildersMatchCaptures(t *testing.T) {
	seen := map[string]int{}
	for _, ck := range captureKeys {
		kr, err := hbwire.NewKeyring(1, hbwire.Key{Index: 1, Method: ck.method, Secret: []byte(ck.secret)})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range readCaptured(t, ck.file) {
			m, err := hbwire.Verify(c.pkt, kr)
			if err != nil {
				t.Fatal(err)
			}
			typ, v := m.Value(hbwire.FType), m.Value
			var b *hbwire.Message
			switch typ {
			case hbwire.TStatus:
				dt, _ := m.Hex(hbwire.FDeadtime)
				b = hbwire.StatusMessage(v(hbwire.FStatus), dt)
			case hbwire.TReqNodes:
				b = hbwire.ReqNodesMessage(v(hbwire.FDest))
			case hbwire.TRepNodes:
				b = hbwire.RepNodesMessage(v(hbwire.FDest), strings.Fields(v(hbwire.FNodeList)), strings.Fields(v(hbwire.FDelNodeList)))
			case hbwire.TStarting:
				b = hbwire.StartingMessage()
			case hbwire.TResource:
				if v(hbwire.FInfo) == hbwire.InfoMachDown {
					b = hbwire.MachDownMessage()
				} else {
					b = hbwire.ResourceMessage(hbwire.Hold(v(hbwire.FRscHold)), v(hbwire.FIsStable) == "1", v(hbwire.FInfo))
				}
			case hbwire.TAskResources:
				b = hbwire.AskResourcesMessage(hbwire.Hold(v(hbwire.FRscHold)), v(hbwire.FInfo))
			case hbwire.THBTakeover:
				b = hbwire.TakeoverMessage(hbwire.Hold(v(hbwire.FRscHold)))
			case hbwire.TIPRequestResp:
				b = hbwire.IPRequestRespMessage(v(hbwire.FDest), v(hbwire.FIPAddr), v(hbwire.FWeOwn) == "yes", v(hbwire.FOK))
			case hbwire.TShutdone:
				b = hbwire.ShutdoneMessage()
			case hbwire.TAck:
				ack, _ := m.Hex(hbwire.FAckSeq)
				b = hbwire.AckMessage(v(hbwire.FDest), ack)
			case hbwire.TRexmit:
				first, _ := m.Dec(hbwire.FFirstSeq)
				last, _ := m.Dec(hbwire.FLastSeq)
				b = hbwire.RexmitMessage(v(hbwire.FDest), first, last)
			default:
				t.Errorf("no builder for captured type %q: %v", typ, m)
				continue
			}
			if d := cmp.Diff(m.Own().String(), b.String()); d != "" {
				t.Errorf("%s: built fields differ from the original's (-original +built):\n%s", typ, d)
			}
			seen[typ]++
		}
	}
	for _, typ := range []string{hbwire.TStatus, hbwire.TReqNodes, hbwire.TRepNodes, hbwire.TStarting, hbwire.TResource,
		hbwire.TAskResources, hbwire.THBTakeover, hbwire.TIPRequestResp, hbwire.TShutdone, hbwire.TAck, hbwire.TRexmit} {
		if seen[typ] == 0 {
			t.Errorf("captures have no %s message", typ)
		}
	}
}

// ipfail's messages are not among the captures; their fields, as heartbeatd has always
// sent them to the original's ipfail (internal/hb/clustertest pairs the two).
func TestIPFailMessages(t *testing.T) {
	for _, tc := range []struct {
		m    *hbwire.Message
		want string
	}{
		{hbwire.NumPingNodesMessage("lvs2", 1), `t="num_ping_nodes" dest="lvs2" num_ping="1"`},
		{hbwire.YouAreDeadMessage("lvs2"), `t="you_are_dead" dest="lvs2"`},
		{hbwire.AbortGiveupMessage("lvs2"), `t="abort_giveup" dest="lvs2"`},
	} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("got %s, want %s", got, tc.want)
		}
	}
}
