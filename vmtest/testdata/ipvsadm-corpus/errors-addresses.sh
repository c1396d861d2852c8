ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -A -t 192.0.2.256:80
ipvsadm -A -t 192.0.2:80
ipvsadm -A -t 1.2.3.4.5:80
ipvsadm -A -t :80
ipvsadm -A -t 192.0.2.1:
ipvsadm -A -t 192.0.2.1:65536
ipvsadm -A -t 192.0.2.1:-1
ipvsadm -A -t 192.0.2.1:abc
ipvsadm -A -t 192.0.2.1:80:80
ipvsadm -A -t 192.0.2.1:65535 -s rr
ipvsadm -A -t 0.0.0.0:80 -s rr
ipvsadm -A -t 255.255.255.255:80 -s rr
ipvsadm -A -t nosuchhost.invalid:80
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.256
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1:0
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1:65536
ipvsadm -a -t 192.0.2.1:80 -r nosuchhost.invalid
ipvsadm -a -t 192.0.2.1:80 -r ""
ipvsadm -A -t "" -s rr
