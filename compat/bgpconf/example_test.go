package bgpconf

import (
	"os"
	"testing"
	"time"
)

// TestShippedExample: the example lvskit-bgp installs
// (/usr/share/doc/lvskit-bgp/examples/bgp.conf) parses and says what its comments say.
func TestShippedExample(t *testing.T) {
	const path = "../../packaging/files/bgp/bgp.conf"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(path, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Neighbors) != 1 || len(c.VIPs) != 1 || c.LocalAS != 65011 || c.CheckInterval != time.Second || c.DrainTime != 10*time.Second {
		t.Errorf("example parsed as %+v", c)
	}
}
