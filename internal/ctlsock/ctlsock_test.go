package ctlsock

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run", "d.sock")
	ln, err := Listen(path, "testd")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Type() != fs.ModeSocket || fi.Mode().Perm() != Mode {
		t.Fatalf("%s: %v %v, want a socket of mode %o", path, fi.Mode(), err, Mode)
	}
	if _, err := Listen(path, "testd"); err == nil || !strings.Contains(err.Error(), "another testd answers there") {
		t.Errorf("second Listen: %v", err)
	}
	c := Config{Name: "testd", MaxRequest: 64, MaxArgs: 2, MaxConns: 2, RequestTimeout: time.Second, QueryTimeout: time.Second, ReplyTimeout: time.Second}
	go Serve(ln, c, func(ctx context.Context, args []string) (string, int) { return strings.Join(args, "+"), 7 })
	if out, code, err := Query(path, []string{"a", "b"}, 5*time.Second); err != nil || out != "a+b" || code != 7 {
		t.Errorf("Query: %q %d %v", out, code, err)
	}
	if out, code, err := Query(path, []string{"a", "b", "c"}, 5*time.Second); err != nil || code != 2 || !strings.HasPrefix(out, "testd: bad request: more than 2 arguments") {
		t.Errorf("three arguments: %q %d %v", out, code, err)
	}
	var de *DialError
	if _, _, err := Query(path+".none", nil, time.Second); !errors.As(err, &de) {
		t.Errorf("Query of a missing socket: %v, want a DialError", err)
	}
}

func TestReadRequestBounded(t *testing.T) {
	line := append(bytes.Repeat([]byte(" "), 64), '\n')
	if _, err := ReadRequest(bytes.NewReader(line), 64, 2); !errors.Is(err, TooLong{64}) {
		t.Errorf("65-byte line: %v, want TooLong", err)
	}
	if args, err := ReadRequest(strings.NewReader(`{"args":["x"]}`+"\n"), 64, 2); err != nil || len(args) != 1 {
		t.Errorf("a good line: %v %v", args, err)
	}
}

func FuzzReadRequest(f *testing.F) {
	f.Add([]byte(`{"args":["status"]}` + "\n"))
	f.Add([]byte("\x00\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		args, err := ReadRequest(bytes.NewReader(b), 128, 4)
		if err == nil && len(args) > 4 {
			t.Fatalf("%d arguments accepted", len(args))
		}
	})
}
