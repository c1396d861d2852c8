package lvsalert

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lvskit/lvskit/internal/ipvs"
)

// FuzzParse feeds arbitrary command lines (arguments separated by NUL) to Parse: it
// must not panic, must fail only with a UsageError, ErrHelp or ErrVersion, and what it accepts
// must be a request the kernel could be asked for.
func FuzzParse(f *testing.F) {
	for _, args := range oracleCases {
		f.Add(strings.Join(args, "\x00"))
	}
	f.Add("-f\x009\x00-R\x00[2001:db8::1]:80\x00--drain=5")
	f.Add("-u\x00-P\x00udp\x00-V\x00[::1]:53\x00-R\x00::2\x00-W\x001\x00-F\x00nat")
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		req, err := Parse(context.Background(), args, nil)
		if err != nil {
			var ue *UsageError
			if !errors.As(err, &ue) && !errors.Is(err, ErrHelp) && !errors.Is(err, ErrVersion) {
				t.Fatalf("Parse(%q): %T %v, want a UsageError", args, err, err)
			}
			return
		}
		if !req.Dest.Addr.IsValid() {
			t.Fatalf("Parse(%q): no real server address", args)
		}
		if req.Service.IsFWMark() == req.Service.Addr.IsValid() {
			t.Fatalf("Parse(%q): service %+v is neither an address nor a mark", args, req.Service)
		}
		if req.Up && (req.Weight < 0 || req.Drain != 0) {
			t.Fatalf("Parse(%q): up with weight %d drain %v", args, req.Weight, req.Drain)
		}
		if !req.Service.IsFWMark() && req.Service.Protocol != ipvs.TCP && req.Service.Protocol != ipvs.UDP && req.Service.Protocol != ipvs.SCTP {
			t.Fatalf("Parse(%q): protocol %v", args, req.Service.Protocol)
		}
	})
}
