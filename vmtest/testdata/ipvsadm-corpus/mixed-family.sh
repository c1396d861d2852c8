ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r [2001:db8::1]:80 -m
ipvsadm -a -t 192.0.2.1:80 -r [2001:db8::1]:80 -i
ipvsadm -a -t 192.0.2.1:80 -r [2001:db8::1]:80 -g
ipvsadm -A -t [2001:db8::2]:80 -s rr
ipvsadm -a -t [2001:db8::2]:80 -r 10.0.0.1 -g
ipvsadm -a -t [2001:db8::2]:80 -r 10.0.0.1 -i
ipvsadm -a -t [2001:db8::2]:80 -r [::ffff:10.0.0.1] -m
ipvsadm -A -t [::ffff:192.0.2.3]:80 -s rr
ipvsadm -A -f 3 -s rr
ipvsadm -a -f 3 -r [2001:db8::3] -g
