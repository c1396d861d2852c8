#!/bin/sh
# vmtest guest init: load the modules, run the payload, write /results to the
# results disk as a tar archive, power off. Markers on the console let the host
# tell a finished run from a crash.
/bin/busybox --install -s /bin
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root IP=/usr/sbin/ip
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
mkdir -p /results /run/netns /root /var/run
. /vmtest/conf
for m in $(cat /vmtest/modules); do
	insmod /vmtest/mods/$m.ko || echo "vmtest: insmod $m failed" >>/results/vmtest.log
done
$IP link set lo up
echo VMTEST-BEGIN
cd /payload
timeout "$VMTEST_TIMEOUT" sh /payload/run.sh >/results/payload.stdout 2>/results/payload.stderr </dev/null
echo $? >/results/payload.rc
cd /
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
tar -C /results -cf /dev/vda . && sync
echo "VMTEST-END $(cat /results/payload.rc)"
poweroff -f
