package interop

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestIntegrationOriginalPair checks the harness itself: two originals in
// two namespaces form a cluster and the preferred node starts the resource.
func TestIntegrationOriginalPair(t *testing.T) {
	Require(t, true)
	p := NewPair(t)
	names := [2]string{"lvs1", "lvs2"}
	rec := filepath.Join(t.TempDir(), "rec.log")
	_ = os.Chmod(filepath.Dir(rec), 0o777)
	var nodes [2]*Node
	for i := range 2 {
		nodes[i] = StartHeartbeat(t, p.NS[i], Config{
			Name:        names[i],
			HACF:        HACF(p, i, names, Ucast),
			Authkeys:    Authkeys("sha1", "doss123"),
			Haresources: "lvs1 rec\n",
			Scripts:     map[string]string{"rec": Recorder(rec)},
		})
	}
	for i := range 2 {
		if err := nodes[i].WaitClStatus(20*time.Second, "active", "nodestatus", names[1-i]); err != nil {
			t.Fatalf("%v\n%s", err, nodes[i].Log())
		}
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, _ := os.ReadFile(rec)
		if strings.Contains(string(b), "start") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("resource never started; log:\n%s", nodes[0].Log())
		}
		time.Sleep(200 * time.Millisecond)
	}
	gen, err := nodes[0].ReadFile("hb_generation")
	if err != nil || len(gen) != 16 {
		t.Errorf("hb_generation = %q, %v; want 16 bytes", gen, err)
	}
	uuid, err := nodes[0].ReadFile("hb_uuid")
	if err != nil || len(uuid) != 16 {
		t.Errorf("hb_uuid = %x, %v; want 16 raw bytes", uuid, err)
	}
}
