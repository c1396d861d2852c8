# Spellings of the listing commands, run while the table has content.
ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1 -w 2
ipvsadm -A -u 192.0.2.1:53 -s wlc -p 60
ipvsadm -l
ipvsadm -L -n
ipvsadm -ln
ipvsadm --list --numeric
ipvsadm -L --numeric --sort
ipvsadm -Ln --exact
ipvsadm -L -n --stats --exact
ipvsadm -L -n --rate --exact
ipvsadm -nL
ipvsadm -L -n -c
ipvsadm -Lnc
ipvsadm -L --connection
ipvsadm -L -c -n --exact
ipvsadm -L --timeout -n
ipvsadm -L -n --daemon
ipvsadm --save
ipvsadm --save --numeric
ipvsadm -Sn
ipvsadm -S -t 192.0.2.1:80
ipvsadm -S -n -u 192.0.2.1:53
