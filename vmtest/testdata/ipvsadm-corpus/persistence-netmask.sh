ipvsadm -A -t 192.0.2.1:80 -p 300 -M 255.255.255.0
ipvsadm -A -t 192.0.2.1:81 -p 300 --netmask 255.255.0.0
ipvsadm -A -t 192.0.2.1:82 -p 300 -M 255.255.255.255
ipvsadm -A -t 192.0.2.1:83 -p 300 -M 0.0.0.0
ipvsadm -A -t 192.0.2.1:84 -p 300 -M 255.0.255.0
ipvsadm -A -t 192.0.2.1:85 -M 255.255.255.0
ipvsadm -A -t 192.0.2.1:86 -p 300 -M 24
ipvsadm -A -t 192.0.2.1:87 -p 300 -M bogus
ipvsadm -A -t [2001:db8::1]:80 -p 300 -M 64
ipvsadm -A -t [2001:db8::1]:81 -p 300 -M 128
ipvsadm -A -t [2001:db8::1]:82 -p 300 -M 129
ipvsadm -A -t [2001:db8::1]:83 -p 300 -M 255.255.255.0
ipvsadm -E -t 192.0.2.1:80 -p 300 -M 255.255.0.0
