# Options before the command, bundled short options, attached values.
ipvsadm -t 192.0.2.1:80 -A -s rr
ipvsadm -s wlc -A -t 192.0.2.2:80
ipvsadm -r 10.0.0.1 -w 3 -a -t 192.0.2.1:80
ipvsadm -a -t192.0.2.1:80 -r10.0.0.2 -w4 -m
ipvsadm -Asrr -t 192.0.2.3:80
ipvsadm -A -t 192.0.2.4:80 -srr -p120
ipvsadm -A -t 192.0.2.5:80 -p -M255.255.255.0
ipvsadm -a -t 192.0.2.1:80 -mr 10.0.0.3
ipvsadm -Ln
