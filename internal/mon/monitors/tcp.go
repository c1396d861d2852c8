package monitors

import (
	"context"
	"errors"
	"net"
	"os"
	"sort"
	"strings"
	"time"
)

// TCP is tcp.monitor: -p port (23), -t timeout seconds (10); connect to each host.
func TCP(ctx context.Context, args []string) Result {
	opts, hosts := getopts("p:t:", args)
	port := atoiDefault(opts['p'], 23)
	timeout := time.Duration(atoiDefault(opts['t'], 10)) * time.Second
	var failures, detail []string
	for _, h := range hosts {
		ip, err := resolve4(ctx, h)
		if err != nil {
			failures = append(failures, h)
			detail = append(detail, h+" could not inet_aton")
			continue
		}
		if err := connect4(ip, port, timeout); err != nil {
			if noteResourceError(ctx, err) {
				// mond could not open a socket: nothing was checked.
				return Result{Output: h + "\n\n" + h + " could not connect: " + perlErr(err) + "\n", Exit: 1}
			}
			failures = append(failures, h)
			if err == errConnectTimeout {
				detail = append(detail, h+" timeout")
			} else {
				detail = append(detail, h+" could not connect: "+perlErr(err))
			}
		}
	}
	if len(failures) == 0 {
		return Result{}
	}
	sort.Strings(failures)
	return Result{Output: strings.Join(failures, " ") + "\n\n" + strings.Join(detail, "\n") + "\n", Exit: 1}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) ||
		(errors.As(err, &ne) && ne.Timeout())
}
