# Quiescing real servers with weight 0, as mon setups do.
ipvsadm -A -t 192.0.2.1:80 -s wlc
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1 -w 0
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.2 -w 1
ipvsadm -e -t 192.0.2.1:80 -r 10.0.0.2 -w 0
ipvsadm -e -t 192.0.2.1:80 -r 10.0.0.1 -w 1
ipvsadm -L -n --persistent-conn
