package ipvsadm

import (
	"math/rand/v2"
	"net/netip"
	"testing"

	"github.com/lvskit/lvskit/internal/ipvs"
)

// TestDestOrderIsTheMergeSortOfTheDestinations: sorting indices over keys gives the
// order the merge sort gives the destinations themselves (equal keys included: the
// sort is stable, as glibc's msort).
func TestDestOrderIsTheMergeSortOfTheDestinations(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 300; n++ {
		d := make([]ipvs.DestinationInfo, r.IntN(12))
		for i := range d {
			a := netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(3)), byte(r.IntN(4))})
			fam := uint16(ipvs.FamilyIPv4)
			if r.IntN(4) == 0 {
				a = netip.AddrFrom16([16]byte{0x20, 0x01, 15: byte(r.IntN(4))})
				fam = ipvs.FamilyIPv6
			}
			d[i] = ipvs.DestinationInfo{Destination: ipvs.Destination{Key: ipvs.DestKey{Addr: a, Port: uint16(r.IntN(3))},
				Family: fam, Weight: int32(i)}} // Weight: the original position
		}
		want := make([]cDest, len(d))
		for i := range d {
			want[i] = toCDest(d[i])
		}
		glibcSort(want, func(x, y *cDest) int { return cmpDests(x, y) })
		got := append([]ipvs.DestinationInfo(nil), d...)
		SortDests(got)
		for i := range got {
			if got[i].Weight != want[i].weight {
				t.Fatalf("case %d: position %d holds destination %d, the merge sort puts %d there", n, i, got[i].Weight, want[i].weight)
			}
		}
	}
}
