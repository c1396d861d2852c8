# Services and real servers added out of order: -L sorts. (--nosort lists
# services in the kernel's hash order, which depends on the namespace, so it
# is only used here on a single service: real servers keep insertion order.)
ipvsadm -A -t 192.0.2.9:80 -s rr
ipvsadm -A -t 192.0.2.1:443 -s rr
ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -A -u 192.0.2.1:80 -s rr
ipvsadm -A -f 20
ipvsadm -A -f 3
ipvsadm -A -t [2001:db8::1]:80
ipvsadm -A -t 10.0.0.1:80
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.30
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.4
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.200:81
ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.200:79
ipvsadm -a -t 192.0.2.1:80 -r 9.0.0.1
ipvsadm -L -n --sort
ipvsadm -L -n --nosort -t 192.0.2.1:80
