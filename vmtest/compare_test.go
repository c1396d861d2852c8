package vmtest

import (
	"strings"
	"testing"
)

// oneCase is the result files of a corpus script where ours matched 1.31.
func oneCase() map[string][]byte {
	f := map[string][]byte{
		"apply-theirs/001.args":     []byte("-A -t 192.0.2.1:80\n"),
		"apply-theirs/001.out":      {},
		"apply-theirs/001.err":      {},
		"apply-theirs/001.rc":       []byte("0\n"),
		"list-theirs/Sn.theirs.out": []byte("-A -t 192.0.2.1:80 -s wlc\n"),
		"list-theirs/Sn.theirs.rc":  []byte("0\n"),
		"list-ours/Sn.theirs.out":   []byte("-A -t 192.0.2.1:80 -s wlc\n"),
		"list-ours/Sn.theirs.rc":    []byte("0\n"),
		"rt-theirs/result.out":      []byte("-A -t 192.0.2.1:80 -s wlc\n"),
		"rt-theirs/restore.err":     {},
		"rt-theirs/restore.rc":      []byte("0\n"),
		"rt-ours/result.out":        []byte("-A -t 192.0.2.1:80 -s wlc\n"),
		"rt-ours/restore.err":       {},
		"rt-ours/restore.rc":        []byte("0\n"),
	}
	for k, v := range f {
		if o, ok := strings.CutPrefix(k, "apply-theirs/"); ok {
			f["apply-ours/"+o] = v
		}
		if strings.HasSuffix(k, ".theirs.out") || strings.HasSuffix(k, ".theirs.rc") {
			f[strings.Replace(k, ".theirs.", ".ours.", 1)] = v
		}
	}
	return f
}

// TestCompareCase makes sure the oracle comparison can fail: every kind of
// difference between ours and 1.31 is reported, with the case name.
func TestCompareCase(t *testing.T) {
	if p := compareCase("c", oneCase()); len(p) != 0 {
		t.Fatalf("identical results reported as different: %q", p)
	}
	for _, tc := range []struct{ file, value, want string }{
		{"apply-ours/001.rc", "2\n", "applying the script: -A -t 192.0.2.1:80 (rc)"},
		{"apply-ours/001.err", "oops\n", "+oops"},
		{"list-theirs/Sn.ours.out", "", "listing the table 1.31 built, ours vs 1.31: Sn.theirs.out"},
		{"list-ours/Sn.theirs.out", "-A -t 192.0.2.1:80 -s rr\n", "1.31 listing the table ours built"},
		{"list-ours/Sn.ours.out", "x", "ours listing the table ours built"},
		{"rt-theirs/result.out", "", "ours -S -n restored by 1.31 -R"},
		{"rt-ours/restore.rc", "1\n", "ours -R of 1.31 -S -n: exit status"},
		{"side.log", "side ours exit 124\n", "guest side log"},
	} {
		f := oneCase()
		f[tc.file] = []byte(tc.value)
		p := compareCase("c", f)
		if len(p) == 0 || !strings.Contains(p[0], tc.want) {
			t.Errorf("%s = %q: got problems %q, want the first one to mention %q", tc.file, tc.value, p, tc.want)
		}
	}
	f := oneCase()
	delete(f, "apply-ours/001.out")
	if p := compareCase("c", f); len(p) != 1 || !strings.Contains(p[0], "apply-ours/001.out missing") {
		t.Errorf("missing output of ours: got %q", p)
	}
}

func TestOracleFilesAreGoldenMaterial(t *testing.T) {
	f := oneCase()
	f["list-theirs/nosort.theirs.out"] = []byte("hash order\n")
	g := oracleFiles(f)
	for name := range g {
		if strings.HasPrefix(name, "apply-ours/") || strings.Contains(name, ".ours.") || strings.HasPrefix(name, "rt-") ||
			strings.HasPrefix(name, "list-ours/") || strings.Contains(name, "nosort") {
			t.Errorf("golden material includes %s", name)
		}
		if len(g[name]) == 0 {
			t.Errorf("golden material includes empty %s", name)
		}
	}
	if string(g["apply-theirs/001.rc"]) != "0\n" {
		t.Errorf("golden material lacks 1.31's exit status: %q", g)
	}
}
