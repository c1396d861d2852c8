package mond

import (
	"fmt"
	"os"
	"time"
)

// openErrFile is mon.cf's monerrfile for mond -f: mon, once in the background, appends
// its standard output and error to that file ("/dev/null" unless set), beginning with a
// "Mon starting at <localtime>" line; the alerts it starts inherit them. mond does the
// same in its background copy: the file is returned for the alerts' output, and
// daemonize.Ready moves mond's own stdout and stderr onto it. A file that cannot be
// opened stops mon; mond logs it and goes on with its stdio on /dev/null.
func openErrFile(path string, now time.Time) (*os.File, error) {
	if path == "" {
		path = os.DevNull
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err != nil {
		return nil, fmt.Errorf("could not open error output file %s: %w", path, err)
	}
	// perl's scalar localtime: "Sun Dec  6 22:07:50 2026".
	fmt.Fprintf(f, "Mon starting at %s\n", now.Format("Mon Jan _2 15:04:05 2006"))
	return f, nil
}
