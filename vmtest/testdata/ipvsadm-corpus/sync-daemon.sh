ipvsadm -L --daemon
ipvsadm --start-daemon master --mcast-interface eth0
ipvsadm -L --daemon
ipvsadm --start-daemon backup --mcast-interface eth0 --syncid 7 --sync-maxlen 1200 --mcast-group 239.1.2.3 --mcast-port 9000 --mcast-ttl 3
ipvsadm -L --daemon
ipvsadm --start-daemon master --mcast-interface eth0
ipvsadm --stop-daemon master
ipvsadm -L --daemon
ipvsadm --stop-daemon master
ipvsadm --stop-daemon backup
ipvsadm -L --daemon
