ipvsadm -L --timeout
ipvsadm --set 10 20 30
ipvsadm -L --timeout
ipvsadm --set 0 0 0
ipvsadm -L --timeout
ipvsadm --set 0 5 0
ipvsadm -L --timeout
ipvsadm --set 1 2
ipvsadm --set 1 2 3 4
ipvsadm --set a b c
ipvsadm --set -1 2 3
ipvsadm --set 99999999999 2 3
ipvsadm --set
ipvsadm -L --timeout
ipvsadm -L -n --timeout
