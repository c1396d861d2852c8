ipvsadm -A -t 192.0.2.1:80 -s rr -p
ipvsadm -A -t 192.0.2.1:81 -s rr -p 600
ipvsadm -A -t 192.0.2.1:82 -s rr --persistent 1
ipvsadm -A -t 192.0.2.1:83 -s rr -p 0
ipvsadm -A -t 192.0.2.1:84 -s rr -p -1
ipvsadm -A -t 192.0.2.1:85 -s rr -p 4294967295
ipvsadm -A -t 192.0.2.1:86 -p -s lc
ipvsadm -A -t 192.0.2.1:0 -p 30
ipvsadm -A -t 192.0.2.2 -p
ipvsadm -a -t 192.0.2.2:0 -r 10.0.0.1
ipvsadm -a -t 192.0.2.2:0 -r 10.0.0.2:80
ipvsadm -A -t 192.0.2.1:87 -p abc
ipvsadm -E -t 192.0.2.1:80 -p 100
ipvsadm -E -t 192.0.2.1:81 -s rr
