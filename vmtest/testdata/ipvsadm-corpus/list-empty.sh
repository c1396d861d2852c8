# Every listing of an empty table.
ipvsadm
ipvsadm -L
ipvsadm -L -n --stats
ipvsadm -L -n --rate
ipvsadm -L -n --thresholds
ipvsadm -L -n --persistent-conn
ipvsadm -L -n --tun-info
ipvsadm -L -n --exact
ipvsadm -L -n -c
ipvsadm -S
