ipvsadm -A --sctp-service 192.0.2.30:3868 -s rr
ipvsadm -a --sctp-service 192.0.2.30:3868 -r 198.51.100.8 -m
ipvsadm -a --sctp-service 192.0.2.30:3868 -r 198.51.100.9:3869 -i -w 4
ipvsadm -A --sctp-service [2001:db8::30]:36412 -s wlc
ipvsadm -a --sctp-service [2001:db8::30]:36412 -r [2001:db8::31] -g
ipvsadm -A --sctp-service 192.0.2.31 -p 100
