package vmtest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEncodeFilesRoundTrip(t *testing.T) {
	want := map[string][]byte{
		"a/001.out": []byte("no final newline"),
		"a/001.err": {},
		"b":         []byte("-- x 3 --\ntrailing blanks   \n\n"),
	}
	got, err := DecodeFiles(EncodeFiles(want))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if _, err := DecodeFiles([]byte("-- a 10 --\nshort\n")); err == nil {
		t.Error("truncated archive decoded without error")
	}
}
