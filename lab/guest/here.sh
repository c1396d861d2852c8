#!/bin/sh
# here.sh: run the lab scenario on this machine without changing it. Package lab runs it
# directly on a host whose kernel has IPVS, and inside the qemu VM otherwise, so the VM
# run proves this very wrapper on a real IPVS kernel.
#
#   here.sh [SCENARIO]      (root; SCENARIO defaults to scenario.sh next to this file)
#
# The scenario runs in its own mount, network and pid namespaces:
#   - its bridge, veths and everything else of the network live in a private network
#     namespace, and a private tmpfs on /run/netns makes `ip netns list` show only the
#     scenario's own namespaces (tests running concurrently create theirs);
#   - /etc /usr /root /sbin /var /srv (each that is a real directory; a merged-usr
#     symlink is covered by /usr) are overlays whose upper layers are on a tmpfs, so
#     the scenario's writes (its config files, /sbin/ipvsadm, /srv/<node>) never reach
#     the machine's files;
#   - /dev is a private tmpfs holding binds of the usual devices: busybox syslogd
#     replaces /dev/log with its own socket;
#   - /proc is the pid namespace's: `ps` sees only the scenario's processes, and when
#     the namespace's first process exits, the kernel kills every process left in it.
# The namespaces, the mounts and the tmpfs disappear with the last process.
#
# Environment (every variable optional):
#   STAGE   a tree copied into / through the overlays, modes kept (same layout as the
#           system paths: STAGE/etc/init.d/lvs is /etc/init.d/lvs)
#   WORK    an empty directory the private tmpfs is mounted on (default: mktemp -d)
#   BUSYBOX busybox (default: command -v busybox). The scenario and this script run in
#           its shell, and httpd syslogd nc ps are its applets first in PATH: the
#           scenario was written for busybox's versions of them.
#   IP      iproute2's ip (default /usr/sbin/ip, /sbin/ip, command -v ip)
#   LAB R CONSOLE PHASES VIP EVERY   passed to the scenario (see scenario.sh)
set -u

die() { echo "here.sh: $*" >&2; exit 2; }

# The directories overlaid, and the busybox applets put first in PATH.
OVERLAID="etc usr root sbin var srv"
APPLETS="httpd syslogd nc ps"

if [ "${1:-}" != --inside ]; then
	[ "$(id -u)" = 0 ] || die "needs root (namespaces, mounts)"
	SCENARIO=${1:-$(dirname "$0")/scenario.sh}
	[ -r "$SCENARIO" ] || die "no scenario at $SCENARIO"
	BUSYBOX=${BUSYBOX:-$(command -v busybox)} || die "busybox not found (Debian: busybox-static)"
	if [ -z "${IP:-}" ]; then
		for p in /usr/sbin/ip /sbin/ip $(command -v ip); do
			[ -x "$p" ] && { IP=$p; break; }
		done
	fi
	[ -n "${IP:-}" ] || die "iproute2's ip not found"
	for d in $OVERLAID; do
		[ -e /$d ] || die "/$d does not exist: the scenario writes there, and only an existing directory can be overlaid"
	done
	made=""
	if [ -z "${WORK:-}" ]; then
		WORK=$(mktemp -d) || die "mktemp"
		made=1
	fi
	mkdir -p "$WORK" || die "mkdir $WORK"
	HERE=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
	SCENARIO=$(cd "$(dirname "$SCENARIO")" && pwd)/$(basename "$SCENARIO")
	export SCENARIO BUSYBOX IP WORK
	"$BUSYBOX" unshare -m -n -p -f --mount-proc --propagation private "$BUSYBOX" sh "$HERE" --inside
	rc=$?
	[ -n "$made" ] && rmdir "$WORK"
	exit $rc
fi

# ---- inside: pid 1 of the new pid namespace, in private mount and network namespaces
[ "$$" = 1 ] || die "not the first process of a new pid namespace"
W=$WORK
mount -t tmpfs -o mode=700 lab-here "$W" || die "tmpfs on $W"

# /dev: a tmpfs with binds of the devices, moved over /dev.
mkdir -p "$W/dev" && mount -t tmpfs -o mode=755 lab-dev "$W/dev" || die "tmpfs for /dev"
for d in null zero full random urandom tty console ptmx kmsg; do
	[ -e /dev/$d ] || continue
	: >"$W/dev/$d" && mount -o bind /dev/$d "$W/dev/$d" || die "bind /dev/$d"
done
mkdir -p "$W/dev/pts" "$W/dev/shm"
mount -o rbind /dev/pts "$W/dev/pts" 2>/dev/null
mount -t tmpfs -o mode=1777 lab-shm "$W/dev/shm" || die "tmpfs for /dev/shm"
ln -s /proc/self/fd "$W/dev/fd"
ln -s /proc/self/fd/0 "$W/dev/stdin"
ln -s /proc/self/fd/1 "$W/dev/stdout"
ln -s /proc/self/fd/2 "$W/dev/stderr"
mount -o move "$W/dev" /dev || die "move the private /dev over /dev"

mkdir -p /run/netns && mount -t tmpfs -o mode=755 lab-netns /run/netns || die "tmpfs on /run/netns"

# Overlays: the lower layer is the machine's directory, the upper one on our tmpfs.
covered=""
for d in $OVERLAID; do
	[ -L /$d ] && continue
	[ -d /$d ] || die "/$d is not a directory"
	mkdir -p "$W/ovl/$d.up" "$W/ovl/$d.wk"
	mount -t overlay overlay -o "lowerdir=/$d,upperdir=$W/ovl/$d.up,workdir=$W/ovl/$d.wk" /$d ||
		die "overlay on /$d (is the overlay module loaded?)"
	covered="$covered /$d"
done

# under_overlay PATH: PATH's first directory resolves into one of the overlays.
under_overlay() {
	local top r o
	top=${1#/}
	top=/${top%%/*}
	r=$(readlink -f "$top") || return 1
	for o in $covered; do
		case "$r/" in "$o"/*) return 0 ;; esac
	done
	return 1
}

if [ -n "${STAGE:-}" ]; then
	[ -d "$STAGE" ] || die "STAGE $STAGE is not a directory"
	(cd "$STAGE" && find . ! -type d) | while read -r f; do
		f=${f#.}
		[ -f "$STAGE$f" ] || die "stage: $f is not a regular file"
		under_overlay "$f" || die "stage: $f is outside the overlaid directories ($covered)"
		mkdir -p "$(dirname "$f")" && cp -p "$STAGE$f" "$f" || die "stage: copy $f"
	done || exit 2
fi

mkdir -p "$W/bin"
for a in $APPLETS; do ln -s "$BUSYBOX" "$W/bin/$a"; done
PATH=$W/bin:$PATH
"$IP" link set lo up
export PATH IP
export LAB="${LAB:-/lab}" R="${R:-/results}" CONSOLE="${CONSOLE:-/dev/console}"
export PHASES="${PHASES:-1 2 3 4 5}" VIP="${VIP:-10.0.0.100}" EVERY="${EVERY:-200ms}"

"$BUSYBOX" sh "$SCENARIO"
rc=$?
# Whatever the scenario left running (it kills its own): every other process of this
# pid namespace. The kernel would do it when this process exits; doing it here keeps
# none of them writing to R after the scenario's end.
kill -9 -1 2>/dev/null
exit $rc
