package metrics

import (
	"strings"
	"testing"

	"github.com/lvskit/lvskit/internal/mon/sched"
)

func TestWrite(t *testing.T) {
	var b strings.Builder
	Write(&b, []sched.Info{{Group: "g", Service: "s", OpStatus: 0, LastCheck: 42, Alerts: 3}})
	for _, want := range []string{
		"# TYPE mond_service_up gauge\n", `mond_service_up{group="g",service="s"} 0` + "\n",
		`mond_service_last_check_timestamp_seconds{group="g",service="s"} 42` + "\n",
		`mond_service_alerts_total{group="g",service="s"} 3` + "\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("missing %q in\n%s", want, b.String())
		}
	}
}
