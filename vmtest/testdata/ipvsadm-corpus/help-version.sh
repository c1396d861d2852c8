ipvsadm -h
ipvsadm --help
ipvsadm -v
ipvsadm --version
ipvsadm -V
ipvsadm -h -A
ipvsadm -A -h
