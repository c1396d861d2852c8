#!/usr/bin/env bash
# Installs what the tests need from Debian's packages: qemu and Debian's kernel for the
# IPVS VM, and the original programs (ipvsadm, mon, heartbeat) used as oracles.
# Idempotent and quiet; a no-op when everything is already there.
set -euo pipefail
pkgs=(qemu-system-x86 busybox-static cpio iproute2 ipvsadm mon heartbeat tcpdump
      nftables m4 libtime-period-perl fping netcat-openbsd kmod
      libcgi-pm-perl mmdebstrap systemd-container prometheus bird2)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-test-deps: need root to install: ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
