// Package sdnotify tells systemd how a daemon is doing (Type=notify units): ready,
// reloading, stopping, and the watchdog's keep-alive, sent only while the daemon's
// own liveness probe answers — so a daemon whose main loop is stuck is restarted by
// systemd instead of being kept alive by a timer. Outside systemd (no NOTIFY_SOCKET)
// every call is a no-op. The protocol is go-systemd's.
package sdnotify

import (
	"context"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Ready says the daemon is serving (READY=1) with a status line.
func Ready(status string) { send(daemon.SdNotifyReady + "\nSTATUS=" + status) }

// Reloading says a reload began; Ready ends it.
func Reloading() { send(daemon.SdNotifyReloading) }

// Stopping says the daemon is shutting down.
func Stopping() { send(daemon.SdNotifyStopping) }

// Status sets the status line systemctl status shows.
func Status(status string) { send("STATUS=" + status) }

func send(state string) { _, _ = daemon.SdNotify(false, state) }

// Watchdog sends WATCHDOG=1 at half the unit's WatchdogSec for as long as ctx lives,
// each time alive returns true within the interval. alive should exercise what must
// not hang (the scheduler's lock, the main loop). Without WatchdogSec it returns at
// once.
func Watchdog(ctx context.Context, alive func(ctx context.Context) bool) {
	every, err := daemon.SdWatchdogEnabled(false)
	if err != nil || every <= 0 {
		return
	}
	every /= 2
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			pctx, cancel := context.WithTimeout(ctx, every)
			ok := alive(pctx)
			cancel()
			if ok {
				send(daemon.SdNotifyWatchdog)
			}
		}
	}
}
