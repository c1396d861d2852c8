#!/bin/sh
# side.sh WHO NAME: inside a fresh network namespace, apply corpus script NAME
# with WHO (theirs|ours), recording every ipvsadm call, then list the table
# with both tools and restore saves across tools.
who=$1 name=$2
R=/results/$name
IP=/usr/sbin/ip
ip link set lo up # busybox's applet: cheaper than iproute2 under emulation
if grep -q daemon /payload/corpus/$name.sh; then
	$IP link add eth0 type dummy && $IP link set eth0 up # for sync daemons
fi

# tool DIR ARGS...: run the ipvsadm found in DIR with argv[0] "ipvsadm", as
# a user's shell would.
tool() {
	d=$1
	shift
	PATH=$d command ipvsadm "$@"
}
# rec FILE DIR ARGS...: run and record stdout, stderr and exit status.
rec() {
	f=$1 d=$2
	shift 2
	PATH=$d command ipvsadm "$@" >"$f.out" 2>"$f.err"
	echo $? >"$f.rc"
}

# The corpus script calls "ipvsadm"; every call is numbered and recorded.
A=$R/apply-$who
mkdir -p "$A"
n=0
ipvsadm() {
	n=$((n + 1))
	f=$A/$n
	[ $n -lt 100 ] && f=$A/0$n
	[ $n -lt 10 ] && f=$A/00$n
	echo "$*" >"$f.args"
	PATH=/$who command ipvsadm "$@" >"$f.out" 2>"$f.err"
	echo $? >"$f.rc"
}
. /payload/corpus/$name.sh </dev/null
unset -f ipvsadm

L=$R/list-$who
mkdir -p "$L"
list() { # list MODE ARGS...
	m=$1
	shift
	rec "$L/$m.theirs" /theirs "$@"
	rec "$L/$m.ours" /ours "$@"
}
list Sn -S -n
# One service for the single-service listing: the first one 1.31 saves.
svc=
while read -r a b c d rest; do
	if [ "$a" = -A ]; then
		svc="$b $c"
		[ "$d" = -6 ] && svc="$svc -6"
		break
	fi
done <"$L/Sn.theirs.out"
# listing SEAT: the listings by one tool of this side's table (on the table
# 1.31 built, every mode). Listings change no table, so the two tools' run
# side by side, one per guest CPU (nothing else in the guest changes an IPVS
# table meanwhile: the dump trap of doc.go needs a change).
listing() {
	s=$1
	rec "$L/timeout.$s" /$s -L --timeout
	rec "$L/daemon.$s" /$s -L --daemon
	[ "$who" = theirs ] || return 0
	rec "$L/Ln.$s" /$s -Ln
	rec "$L/L.$s" /$s -L
	rec "$L/stats.$s" /$s -Ln --stats
	rec "$L/rate.$s" /$s -Ln --rate
	rec "$L/exact.$s" /$s -Ln --stats --exact
	rec "$L/thresholds.$s" /$s -Ln --thresholds
	rec "$L/persistent.$s" /$s -Ln --persistent-conn
	rec "$L/tuninfo.$s" /$s -Ln --tun-info
	rec "$L/nosort.$s" /$s -Ln --nosort
	rec "$L/conn.$s" /$s -Lnc
	rec "$L/S.$s" /$s -S
	if [ -n "$svc" ]; then
		rec "$L/svc.$s" /$s -Ln $svc
	fi
}
listing theirs &
listing ours &
wait
if [ "$who" = theirs ]; then
	# Round trip: what ours saved (-S -n above), 1.31 restores.
	T=$R/rt-theirs
	mkdir -p "$T"
	rec "$T/clear" /theirs -C
	PATH=/theirs command ipvsadm -R <"$L/Sn.ours.out" >"$T/restore.out" 2>"$T/restore.err"
	echo $? >"$T/restore.rc"
	rec "$T/result" /theirs -S -n
else
	rec "$L/Ln.ours" /ours -Ln
	# Round trip: what 1.31 saved (-S -n above), ours restores.
	T=$R/rt-ours
	mkdir -p "$T"
	rec "$T/clear" /ours -C
	PATH=/ours command ipvsadm -R <"$L/Sn.theirs.out" >"$T/restore.out" 2>"$T/restore.err"
	echo $? >"$T/restore.rc"
	rec "$T/result" /theirs -S -n
fi
