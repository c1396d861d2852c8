# Guest side of TestVMSessions: runs every session script (/payload/sessions/*.cmds)
# with ipvsadm 1.31 (/sbin/ipvsadm) and with ours (/ours/ipvsadm), both invoked as
# "ipvsadm", writing transcripts to /results/sessions/NAME.{real,ours}.txt; then lists
# every /proc/net/ip_vs_conn sample (/payload/conn/*.txt, bind-mounted over the real
# file) with both, into /results/conn/NAME.{real,ours}.txt. Names resolve from
# /payload/etc/{hosts,services} only.
cp /payload/etc/hosts /payload/etc/services /payload/etc/nsswitch.conf /etc/
mkdir -p /results/sessions /results/conn /tmp/bin-real /tmp/bin-ours
ln -s /sbin/ipvsadm /tmp/bin-real/ipvsadm
ln -s /ours/ipvsadm /tmp/bin-ours/ipvsadm
BASEPATH=$PATH

reset_state() {
	ipvsadm -C >/dev/null 2>&1
	ipvsadm --stop-daemon master >/dev/null 2>&1
	ipvsadm --stop-daemon backup >/dev/null 2>&1
	ipvsadm --set 900 120 300 >/dev/null 2>&1
}

# step OUT: runs the pending command ($LINE, its stdin $STDIN when $HASIN=1; the
# "<<< " lines that made it, $RAWIN, go into the transcript).
step() {
	[ "$HAVE" = 1 ] || return 0
	printf '$ %s\n' "$LINE" >>"$1"
	ARGS=${LINE#ipvsadm}
	set -f # words like [2001:db8::1]:80 are not patterns
	if [ "$HASIN" = 1 ]; then
		printf '%s' "$RAWIN" >>"$1"
		printf '%s' "$STDIN" | ipvsadm $ARGS >>"$1" 2>&1
	else
		ipvsadm $ARGS </dev/null >>"$1" 2>&1
	fi
	echo "[exit $?]" >>"$1"
	set +f
	HAVE=0 HASIN=0 STDIN= RAWIN=
}

run_session() { # CMDS OUT
	: >"$2"
	reset_state
	HAVE=0 HASIN=0 STDIN= RAWIN=
	while IFS= read -r l; do
		case "$l" in
		"<<< "*)
			STDIN="$STDIN${l#<<< }
"
			RAWIN="$RAWIN$l
"
			HASIN=1
			;;
		"<<<- "*) # a last line without its newline
			STDIN="$STDIN${l#<<<- }"
			RAWIN="$RAWIN$l
"
			HASIN=1
			;;
		ipvsadm|"ipvsadm "*)
			step "$2"
			LINE=$l HAVE=1
			;;
		*) ;;
		esac
	done <"$1"
	step "$2"
	reset_state
}

conn_modes() { # SAMPLE OUT
	: >"$2"
	# /proc/net is a link to /proc/self/net, so a bind mount over the file would only
	# be seen by the process that made it: hide all of /proc behind a tmpfs instead
	# (ipvsadm needs nothing else from /proc).
	mount -t tmpfs tmpfs /proc
	mkdir -p /proc/net
	cp "$1" /proc/net/ip_vs_conn
	for m in "-Lnc" "-Lc" "-Lnc --persistent-conn" "-Lc --persistent-conn" "-Lnc --exact" "-lcn"; do
		printf '$ ipvsadm %s\n' "$m" >>"$2"
		# shellcheck disable=SC2086 # one word per option
		ipvsadm $m >>"$2" 2>&1
		echo "[exit $?]" >>"$2"
	done
	umount /proc
}

# Real connections through IPVS (NAT, round robin and a persistent service) give a
# sample of the kernel's own /proc/net/ip_vs_conn text.
traffic() {
	for n in c1 rs1 rs2; do $IP netns add $n; done
	$IP link add vc type veth peer name vc0; $IP link set vc0 netns c1
	$IP link add v1 type veth peer name v10; $IP link set v10 netns rs1
	$IP link add v2 type veth peer name v20; $IP link set v20 netns rs2
	$IP addr add 10.0.1.1/24 dev vc; $IP link set vc up; $IP addr add 10.0.1.100/32 dev vc
	$IP addr add 10.0.2.1/30 dev v1; $IP link set v1 up
	$IP addr add 10.0.3.1/30 dev v2; $IP link set v2 up
	$IP netns exec c1 sh -c "$IP addr add 10.0.1.2/24 dev vc0; $IP link set vc0 up; $IP route add default via 10.0.1.1"
	for i in 1 2; do
		$IP netns exec rs$i sh -c "$IP addr add 10.0.$((i+1)).2/30 dev v${i}0; $IP link set v${i}0 up; $IP route add default via 10.0.$((i+1)).1; mkdir -p /tmp/w$i; echo rs$i >/tmp/w$i/index.html; httpd -p 80 -h /tmp/w$i"
	done
	echo 1 >/proc/sys/net/ipv4/ip_forward
	/sbin/ipvsadm -A -t 10.0.1.100:80 -s rr
	/sbin/ipvsadm -a -t 10.0.1.100:80 -r 10.0.2.2:80 -m
	/sbin/ipvsadm -a -t 10.0.1.100:80 -r 10.0.3.2:80 -m
	/sbin/ipvsadm -A -t 10.0.1.100:8080 -s rr -p 60
	/sbin/ipvsadm -a -t 10.0.1.100:8080 -r 10.0.2.2:80 -m
	for p in 80 80 80 8080; do
		$IP netns exec c1 /bin/busybox sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | /bin/busybox nc 10.0.1.100 $p | /bin/busybox tail -1"
	done
	cat /proc/net/ip_vs_conn >/results/conn/live-traffic.sample
	# Leave nothing behind: /run/netns is shared with the VM suite's other parts.
	for n in c1 rs1 rs2; do $IP netns pids $n | xargs -r kill; $IP netns del $n; done
}


for impl in real ours; do
	PATH=/tmp/bin-$impl:$BASEPATH
	for s in /payload/sessions/*.cmds; do
		n=$(basename "$s" .cmds)
		run_session "$s" "/results/sessions/$n.$impl.txt"
	done
done
PATH=$BASEPATH

# After the sessions: their tables must not meet these connections.
IP=/usr/sbin/ip
traffic >/results/traffic.log 2>&1
/sbin/ipvsadm -C

for impl in real ours; do
	PATH=/tmp/bin-$impl:$BASEPATH
	for s in /payload/conn/*.txt /results/conn/live-traffic.sample; do
		n=$(basename "$s" .txt)
		n=$(basename "$n" .sample)
		conn_modes "$s" "/results/conn/$n.$impl.txt"
	done
done
PATH=$BASEPATH
echo vm-guest: done
