package monitors

import (
	"context"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"
)

// With no descriptor left, every built-in that opens a socket notes mond's shortage
// (so the daemon skips the check instead of failing the service), whatever it prints.
func TestBuiltinsNoteDescriptorShortage(t *testing.T) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	// Take every descriptor this process may still open (bounded by a small limit).
	low := lim
	low.Cur = 256
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &low); err != nil {
		t.Fatal(err)
	}
	var held []*os.File
	release := func() {
		for _, f := range held {
			f.Close()
		}
		held = nil
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
	}
	defer release()
	for range 256 {
		f, err := os.Open(os.DevNull)
		if err != nil {
			if !errors.Is(err, syscall.EMFILE) {
				t.Fatalf("filling the descriptor table: %v", err)
			}
			break
		}
		held = append(held, f)
	}
	if _, err := os.Open(os.DevNull); !errors.Is(err, syscall.EMFILE) {
		t.Fatalf("descriptors left after holding %d: %v", len(held), err)
	}
	root := os.Geteuid() == 0
	for _, tc := range []struct {
		name string
		f    Func
		args []string
	}{
		{"tcp.monitor", TCP, []string{"-p", "1", "127.0.0.1"}},
		{"http.monitor", HTTP, []string{"-p", "1", "127.0.0.1"}},
		{"smtp.monitor", SMTP, []string{"-p", "1", "127.0.0.1"}},
		{"telnet.monitor", Telnet, []string{"-p", "1", "127.0.0.1"}},
		{"dns.monitor", DNS, []string{"-caching_only", "-query", "example.com", "127.0.0.1"}},
		{"ping.monitor", Ping, []string{"127.0.0.1"}},
		{"fping.monitor", FPing, []string{"127.0.0.1"}},
	} {
		if !root && (tc.name == "ping.monitor" || tc.name == "fping.monitor") {
			// Without root, ping's socket is the ICMP datagram one, refused outright
			// (EACCES) unless ping_group_range lets this user in: nothing to note.
			t.Logf("%s: not root, skipped", tc.name)
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		ctx, noted := WithResourceErrors(ctx)
		r := tc.f(ctx, tc.args)
		cancel()
		if err := noted(); r.Exit == 0 || !errors.Is(err, syscall.EMFILE) {
			t.Errorf("%s without descriptors: exit %d, noted %v; want a failure noted as EMFILE\n%s", tc.name, r.Exit, err, r.Output)
		}
	}
}
