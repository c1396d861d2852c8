#!/bin/sh
# heartbeat-oracle.sh CASE_DIR
#
# Runs Debian's heartbeat 3.0.6 (/usr/libexec/heartbeat/heartbeat -f) on the case's ha.cf,
# authkeys and haresources inside private mount, UTS, network and PID namespaces (so it
# sees only loopback, an unconnected eth0 and its own tmpfs /etc/ha.d, /var/lib/heartbeat,
# /var/log and /run), until it
# either has run for 2 s past "Configuration validated" (accepted) or exits (rejected).
# Prints its log with timestamps, pids and host-dependent noise removed, then a last
# line "VERDICT: ok" or "VERDICT: error". Optional files in CASE_DIR: nodename (the
# hostname, default node1), authkeys.mode (chmod argument, default 600).
# Needs root. Everything is killed within 15 s.
set -u
case_dir=$(readlink -f "$1")
node=node1
[ -e "$case_dir/nodename" ] && node=$(cat "$case_dir/nodename")
export CASE_DIR="$case_dir" NODE="$node"
exec timeout -s KILL 15 unshare --mount --uts --net --pid --fork --kill-child --mount-proc sh -c '
  set -e
  orig=$(mktemp -d); cp -a /etc/ha.d/. "$orig"/
  mount -t tmpfs tmpfs /etc/ha.d; cp -a "$orig"/. /etc/ha.d/
  rm -f /etc/ha.d/ha.cf /etc/ha.d/authkeys /etc/ha.d/haresources
  mkdir -p /var/lib/heartbeat; mount -t tmpfs tmpfs /var/lib/heartbeat; mkdir -p /var/lib/heartbeat/cores
  mount -t tmpfs tmpfs /run; mkdir -p /run/heartbeat/rsctmp
  mount -t tmpfs tmpfs /tmp
  mount -t tmpfs tmpfs /var/log
  hostname "$NODE"; ip link set lo up
  # An eth0 for media lines that name it (the manual'"'"'s "ucast eth0 ..."), on a veth pair
  # that leads nowhere.
  ip link add eth0 type veth peer name eth0peer
  ip addr add 192.0.2.1/24 dev eth0; ip link set eth0 up; ip link set eth0peer up
  for f in ha.cf authkeys haresources; do if [ -e "$CASE_DIR/$f" ]; then cp "$CASE_DIR/$f" /etc/ha.d/; fi; done
  if [ -e /etc/ha.d/authkeys ]; then chmod 600 /etc/ha.d/authkeys; fi
  if [ -e "$CASE_DIR/authkeys.mode" ]; then chmod "$(cat "$CASE_DIR/authkeys.mode")" /etc/ha.d/authkeys; fi
  # Appending, so that heartbeat'"'"'s own "logfile /dev/stderr" (which reopens the file)
  # and its standard error do not overwrite each other.
  log=/tmp/log; : >$log
  /usr/libexec/heartbeat/heartbeat -f >>$log 2>&1 &
  pid=$!
  # Accepted means still running 2 s after "Configuration validated" (haresources is
  # checked after that message); rejected means it exited.
  verdict=error; i=0; validated=-1
  while [ $i -lt 100 ]; do
    if ! kill -0 $pid 2>/dev/null; then break; fi
    if [ $validated -lt 0 ] && grep -q "Configuration validated" $log; then validated=$i; fi
    if [ $validated -ge 0 ] && [ $((i - validated)) -ge 20 ]; then verdict=ok; break; fi
    sleep 0.1; i=$((i+1))
  done
  kill -9 -1 2>/dev/null || true
  sleep 0.2
  clean() {
    sed -e "s/\(heartbeat: [a-z]* setting must precede media statements\)/\1\n/g" "$1" |
    sed -e "s/^[A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* [^ ]* heartbeat: \[[0-9]*\]: //" \
        -e "s/^heartbeat\[[0-9]*\]: [0-9/_:]* //" |
    grep -v -e "^$" -e "Core dumps could be lost" -e "Consider setting" -e "Pacemaker support" \
      -e "^info: \*\**$" -e "glib: .*\(socket\|started on\|closed on\|SO_REUSE\)" -e "Heartbeat generation: " -e "No Previous generation" -e "No uuid found" -e "uuid is:" -e "Creating FIFO" \
      -e "Cannot chdir" -e "Cannot lock ourselves" -e "Local status now set to" -e "^info: heartbeat: version" \
      -e "^debug: " -e "^info: AUTH: " -e "Exiting from pid" -e "^info: Link " -e "rc.d" | uniq || true
  }
  clean $log
  echo "VERDICT: $verdict"
'
