package interop

import (
	"github.com/lvskit/lvskit/internal/hb/transport"
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

// TestIntegrationOriginalStateFiles: the original's hb_generation grows by
// one per start and keeps its layout; hb_uuid survives a restart; and
// transport.LoadGeneration, given the original's file, writes exactly what
// the original writes on its next start.
func TestIntegrationOriginalStateFiles(t *testing.T) {
	Require(t, true)
	p := NewPair(t)
	names := [2]string{"lvs1", "lvs2"}
	n := StartHeartbeat(t, p.NS[0], Config{
		Name: names[0], HACF: HACF(p, 0, names, Ucast), Authkeys: Authkeys("md5", "x"), Haresources: "",
	})
	// The master writes both files shortly after its pid file.
	waitFor(t, 10*time.Second, "hb_uuid", func() bool { b, _ := n.ReadFile("hb_uuid"); return len(b) == 16 })
	gen1, err := n.ReadFile("hb_generation")
	if err != nil {
		t.Fatal(err)
	}
	uuid1, _ := n.ReadFile("hb_uuid")
	ours := t.TempDir()
	if err := os.WriteFile(filepath.Join(ours, transport.GenerationFile), gen1, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := transport.LoadGeneration(ours, time.Now()); err != nil {
		t.Fatal(err)
	}
	n.Restart()
	waitFor(t, 10*time.Second, "a new hb_generation", func() bool {
		b, _ := n.ReadFile("hb_generation")
		return string(b) != string(gen1)
	})
	gen2, _ := n.ReadFile("hb_generation")
	uuid2, _ := n.ReadFile("hb_uuid")
	want, _ := os.ReadFile(filepath.Join(ours, transport.GenerationFile))
	if string(gen2) != string(want) {
		t.Errorf("after restart the original wrote %q; LoadGeneration wrote %q (first run: %q)", gen2, want, gen1)
	}
	if len(uuid1) != 16 || string(uuid1) != string(uuid2) {
		t.Errorf("hb_uuid %x then %x", uuid1, uuid2)
	}
}
