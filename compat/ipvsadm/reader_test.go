package ipvsadm

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readAll(in string) [][]string {
	lr := NewLineReader(strings.NewReader(in), "ipvsadm")
	var out [][]string
	for i := 0; i < 10000; i++ {
		argv, ok := lr.Next()
		if !ok {
			break
		}
		out = append(out, argv)
	}
	return out
}

func TestLineReader(t *testing.T) {
	long := strings.Repeat("a", 4100)
	cases := []struct {
		in   string
		want [][]string
	}{
		{"", nil},
		{"\n", [][]string{{"ipvsadm"}}},
		{"-C\n", [][]string{{"ipvsadm", "-C"}}},
		{"-C", [][]string{{"ipvsadm", "-C"}}},
		{"-C ", [][]string{{"ipvsadm", "-C"}}},
		// Blanks after the last word and no newline: the line is lost.
		{"-C  ", nil},
		{"-L\n-C  ", [][]string{{"ipvsadm", "-L"}}},
		{"-A -t 1.2.3.4:80\n-a\t-t 1.2.3.4:80  -r 5.6.7.8\r\n", [][]string{
			{"ipvsadm", "-A", "-t", "1.2.3.4:80"},
			{"ipvsadm", "-a", "-t", "1.2.3.4:80", "-r", "5.6.7.8"},
		}},
		{"ipvsadm -C\n", [][]string{{"ipvsadm", "-C"}}},
		{"-A ipvsadm -t x\n", [][]string{{"ipvsadm", "-A", "-t", "x"}}},
		{"ipvsadm\n", [][]string{{"ipvsadm"}}},
		{"ipvsadm", nil},
		{"  \n\n-C\n", [][]string{{"ipvsadm"}, {"ipvsadm"}, {"ipvsadm", "-C"}}},
		{"# comment\n", [][]string{{"ipvsadm", "#", "comment"}}},
		{"-C # comment\n", [][]string{{"ipvsadm", "-C", "#", "comment"}}},
		{"a\rb\n", [][]string{{"ipvsadm", "a", "b"}}},
		{"a\x00b c\n", [][]string{{"ipvsadm", "a", "c"}}},
		{long + "\n", [][]string{{"ipvsadm", long[:4096], long[4096:]}}},
	}
	for _, c := range cases {
		if diff := cmp.Diff(c.want, readAll(c.in)); diff != "" {
			t.Errorf("%q (-want +got):\n%s", c.in, diff)
		}
	}
}
