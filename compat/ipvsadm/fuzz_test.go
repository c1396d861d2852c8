package ipvsadm

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary argument vectors (words separated by NUL) to the parser: it
// must not panic, and every failure must carry an exit status ipvsadm can produce.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"-A\x00-t\x001.2.3.4:80\x00-s\x00rr",
		"-a\x00-t\x00[2001:db8::1]:80\x00-r\x00[2001:db8::2]\x00-i\x00--tun-type\x00gue\x00--tun-port\x006080",
		"-Ln\x00--stats\x00--exact",
		"-A\x00-t\x00!#:+\x001.2.3.4:80\x00-p",
		"--start-daemon=master\x00--mcast-group\x00ff02::1",
		"--set\x001\x002\x003",
		"-A\x00-f\x009\x00-6\x00-b\x00flag-1,,flag-2",
		"-Lq=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		argv := append([]string{"ipvsadm"}, strings.Split(s, "\x00")...)
		ce, ex := Parse(argv, ParseEnv{Resolver: testResolver})
		if ex != nil {
			switch ex.Code {
			case 0, 2, -1, 139:
			default:
				t.Fatalf("exit code %d for %q", ex.Code, argv)
			}
			if ex.Code != 0 && ex.Stderr == "" && ex.Code != 139 {
				t.Fatalf("silent failure for %q", argv)
			}
			return
		}
		if ce.Cmd < CmdAdd || ce.Cmd > CmdZero {
			t.Fatalf("no command for %q", argv)
		}
	})
}

// FuzzLineReader checks that the -R reader always terminates, drops every "ipvsadm" word
// and never yields words with blanks in them.
func FuzzLineReader(f *testing.F) {
	for _, s := range []string{
		"-A -t 1.2.3.4:80 -s rr\n-a -t 1.2.3.4:80 -r 5.6.7.8 -m\n",
		"# comment\n\n  \t\r\n-C  ",
		"ipvsadm -C\nipvsadm",
		"a\x00b\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lr := NewLineReader(strings.NewReader(s), "ipvsadm")
		for i := 0; ; i++ {
			if i > len(s)+1 {
				t.Fatalf("more vectors than input bytes for %q", s)
			}
			argv, ok := lr.Next()
			if !ok {
				break
			}
			if len(argv) == 0 || argv[0] != "ipvsadm" {
				t.Fatalf("bad argv[0] in %q", argv)
			}
			for _, w := range argv[1:] {
				if w == "ipvsadm" || strings.ContainsAny(w, " \t\r\n") {
					t.Fatalf("bad word %q from %q", w, s)
				}
			}
		}
	})
}

// FuzzListConn feeds arbitrary /proc/net/ip_vs_conn text to the -c formatter: it must not
// panic, and prints the two header lines whenever the text has a first line.
func FuzzListConn(f *testing.F) {
	f.Add("Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n" +
		"TCP 0A000102 9C40 0A000164 0050 0A000202 0050 ESTABLISHED     899\n" +
		"UDP 0A000102 13C4 0A000164 13C4 0A000202 13C4 UDP             180 sip abc@x\n")
	f.Add("h\nTCP 2001:0db8:0001:0000:0000:0000:0000:0002 9C40 2001:0db8:0001:0000:0000:0000:0000:0100 01BB 0A000202 01BB ESTABLISHED 890\n\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		var b strings.Builder
		p := &Printer{W: &b, R: testResolver}
		ex := p.ListConn(strings.NewReader(s), FmtPersistentConn)
		if s == "" {
			if ex == nil || ex.Code != 1 {
				t.Fatalf("empty input: %v", ex)
			}
			return
		}
		if !strings.HasPrefix(b.String(), "IPVS connection entries\npro expire ") {
			t.Fatalf("no header for %q: %q", s, b.String())
		}
	})
}
