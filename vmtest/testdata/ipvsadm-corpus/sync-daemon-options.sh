ipvsadm --start-daemon master --mcast-interface eth0 --syncid 0
ipvsadm -L --daemon
ipvsadm --stop-daemon master
ipvsadm --start-daemon master --mcast-interface eth0 --mcast-group ff02::81 --mcast-port 8849
ipvsadm -L --daemon
ipvsadm --stop-daemon master
ipvsadm --start-daemon master --mcast-interface eth0 --syncid 256
ipvsadm --start-daemon master --mcast-interface eth0 --mcast-ttl 0
ipvsadm --start-daemon master --mcast-interface eth0 --mcast-ttl 256
ipvsadm --start-daemon master --mcast-interface eth0 --mcast-port 0
ipvsadm --start-daemon master --mcast-interface eth0 --mcast-group 10.0.0.1
ipvsadm --start-daemon master --mcast-interface eth0 --mcast-group bogus
ipvsadm --start-daemon master --mcast-interface eth0 --sync-maxlen 0
ipvsadm --start-daemon master --mcast-interface nosuch0
ipvsadm --start-daemon master
ipvsadm -L --daemon
ipvsadm --stop-daemon master
ipvsadm --start-daemon primary --mcast-interface eth0
ipvsadm --start-daemon
ipvsadm --stop-daemon
ipvsadm --stop-daemon both
ipvsadm -L --daemon
