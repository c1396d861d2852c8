package buildinfo

import (
	"regexp"
	"testing"
)

func TestString(t *testing.T) {
	old := Version
	defer func() { Version = old }()
	Version = "1.2.3+git20261206.abcdef0"
	re := regexp.MustCompile(`^lvskit mond 1\.2\.3\+git20261206\.abcdef0 \(commit ([0-9a-f]{12}(\+dirty)?|unknown), go[0-9.]+.*\)$`)
	if s := String("mond"); !re.MatchString(s) {
		t.Errorf("String = %q", s)
	}
}
