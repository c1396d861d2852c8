// Package systemdtest is the migration test on a real Debian 12 booted with systemd as
// PID 1: the LVS manual's director (examples/) running on Debian's ipvsadm, mon and
// heartbeat, moved to lvskit's packages (dist/*.deb of `make packages`), and moved back.
// Only its test file holds code; this file is its documentation.
//
// TestMigration, as root (`go test -v ./systemdtest`; part of `make test`, skipped by
// -short and when not root):
//
//  1. A Debian 12 root (mmdebstrap, variant apt, with systemd, iproute2, procps,
//     iputils-ping, netbase, net-tools, ...) is built once and kept in CacheDir(), one
//     directory per package list (its hash in the name), with the originals' .debs
//     in its apt cache and their dependencies already installed. Each run boots an
//     overlay of it (`systemd-nspawn --boot --register=no --keep-unit
//     --private-network`), so the cache is never written; there is no network in the
//     container, apt installs from the cached .debs and dist/.
//  2. The originals: `apt-get install ipvsadm mon heartbeat`, then the site's files as
//     examples/README.md installs them (mon.cf, auth.cf, /etc/default/mon, the
//     mon.service drop-in, ha.cf, authkeys, haresources, /etc/init.d/lvs, rc.local,
//     /root/conf/data, heartbeat.alert), and the manual's perl lvs.alert
//     (testdata/lvs.alert) where the manual's directors had it. The node is the
//     manual's Linux187 with its addresses: eth0 (a veth pair inside the container)
//     holds 10.144.43.187/24, its peer the gateway 10.144.43.254, so mon's gateway
//     watch is green; the real servers do not exist, so their watches fail and the
//     alerts run (and fail: no IPVS). ha.cf's timers are shortened (keepalive 1,
//     deadtime 4, initdead 8: heartbeat alone takes its resources after initdead),
//     nothing else is changed. heartbeat's `mon` resource starts mon
//     (/proc/PID/exe of mon.service is perl with /usr/sbin/mon in its command line;
//     heartbeat's is /usr/libexec/heartbeat/heartbeat).
//  3. lvskit: `apt-get install ./lvskit-*.deb` replaces the three (Conflicts); the same
//     files now run on /usr/sbin/mond and /usr/sbin/heartbeatd; `systemctl
//     status|reload|restart` of mon and heartbeat, `service mon status`; both units
//     are Type=notify (active only after the daemon's READY=1) with a watchdog and
//     no automatic restart happened; cl_status is heartbeatd's; heartbeat's `mon`
//     resource starts mond; ipvsadm.service starts cleanly (AUTO="false"); the
//     site's files in /etc are unchanged (checksums and modes; only the three init
//     scripts, package code, are lvskit's, and lvs.alert is lvskit's lvs-alert).
//  4. Back: `apt-get install ipvsadm mon heartbeat` removes lvskit; the originals run
//     again on the same files (heartbeat's `mon` resource starts perl's mon through
//     Debian's /etc/init.d/mon, which dpkg handed back); /etc is as before lvskit,
//     byte for byte, and so are the site's files outside it (the manual's
//     lvs.alert, heartbeat.alert, /root/conf/data). Symlinks in /etc that differ
//     (rc?.d links, systemd's *.wants: how services are enabled) are logged, not
//     failed.
//
// Debian's heartbeat 3.0.6 itself sometimes loses, on a loaded machine, the message
// that starts its resource group (journal: "NV failure (msgfromsteam)"); the test
// then kills and starts it once more, and logs it. lvskit's daemons get no retry.
//
// Every step is logged with its duration (t.Logf), every wait is bounded, and the
// container is halted (SIGTERM to systemd-nspawn, which asks systemd to halt; killed
// after a minute) and its overlay unmounted when the test ends.
//
// Out of scope: IPVS. The container runs on the host's kernel, which has no IPVS here
// (CI's), so the IPVS table, rules surviving a reboot (ipvsadm.service with
// AUTO="true") and the sync daemon are the VM tests' and the lab's (vmtest, lab);
// this test only checks that ipvsadm.service starts cleanly with Debian's AUTO="false"
// and that what needs IPVS fails the same harmless way for both (lvs start,
// lvs.alert).
//
// Environment: LVSKIT_SYSTEMD_CACHE (the cache directory; default
// /var/cache/lvskit-systemd for root), LVSKIT_DEBS (a directory of lvskit-*.deb to test
// instead of running `make packages`), LVSKIT_DEBIAN_MIRROR (instead of
// http://deb.debian.org). mmdebstrap and systemd-nspawn are installed with apt-get
// when missing. The first run builds the root (one and a half to three minutes,
// depending on the mirror and the disk); a run on the cached root takes about two
// and a half minutes, `make packages` running meanwhile.
package systemdtest
