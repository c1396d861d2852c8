package ipvsadm

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestInetGlibc checks inet_aton, inet_pton and inet_ntop against glibc's answers
// recorded in testdata/inet-glibc.tsv (produced by a C program calling glibc on each
// input line and printing "ok result" for the three calls).
func TestInetGlibc(t *testing.T) {
	f, err := os.Open("testdata/inet-glibc.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		in, want, ok := strings.Cut(line, "\t")
		if !ok {
			t.Fatalf("bad line %q", line)
		}
		n++
		var got []string
		if a, ok := inetAton(in); ok {
			got = append(got, "1 "+inetNtoa(a))
		} else {
			got = append(got, "0 -")
		}
		if a, ok := inetPton4(in); ok {
			got = append(got, "1 "+inetNtoa(a))
		} else {
			got = append(got, "0 -")
		}
		if a, ok := inetPton6(in); ok {
			got = append(got, "1 "+inetNtop6(a))
		} else {
			got = append(got, "0 -")
		}
		if g := strings.Join(got, "|"); g != want {
			t.Errorf("%q: got %q, glibc %q", in, g, want)
		}
	}
	if n < 40 {
		t.Fatalf("only %d cases", n)
	}
}

func TestStrtol(t *testing.T) {
	for _, c := range []struct {
		in       string
		min, max int64
		want     int64
	}{
		{"80", 0, 65535, 80},
		{" 80", 0, 65535, 80},
		{"+80", 0, 65535, 80},
		{"-0", 0, 65535, 0},
		{"80 ", 0, 65535, -1},
		{"", 0, 65535, -1},
		{"0x50", 0, 65535, -1},
		{"65536", 0, 65535, -1},
		{"-1", 0, 65535, -1},
		{"99999999999999999999", 0, 65535, -1},
		{"2147483647", 0, 2147483647, 2147483647},
		{"2147483648", 0, 2147483647, -1},
	} {
		if got := stringToNumber(c.in, c.min, c.max); got != c.want {
			t.Errorf("stringToNumber(%q, %d, %d) = %d, want %d", c.in, c.min, c.max, got, c.want)
		}
	}
	if got := atoi("64abc"); got != 64 {
		t.Errorf("atoi = %d", got)
	}
	if got := fmt.Sprint(atoi("x")); got != "0" {
		t.Errorf("atoi(x) = %s", got)
	}
}
