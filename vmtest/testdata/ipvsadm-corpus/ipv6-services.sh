ipvsadm -A -t [2001:db8::5]:443 -s lc
ipvsadm -a -t [2001:db8::5]:443 -r [2001:db8::6]:443 -m
ipvsadm -a -t [2001:db8::5]:443 -r [2001:db8::7] -g -w 2
ipvsadm -A -u [2001:db8::5]:53 -s rr -p 60 -M 64
ipvsadm -a -u [2001:db8::5]:53 -r [2001:db8::8] -i
ipvsadm -A -t [::1]:80
ipvsadm -A -t [fe80::1]:80
ipvsadm -a -t [2001:db8::5]:443 -r 10.0.0.1 -m
ipvsadm -A -t 2001:db8::9:80
ipvsadm -A -t [2001:db8::9]
ipvsadm -A -t [2001:db8::9
ipvsadm -A -t [2001:db8::zz]:80
