ipvsadm -A -t [v6vip]:443 -s rr
ipvsadm -A -t v6vip:443 -s rr
ipvsadm -A -t [2001:db8::5]:https -s rr
ipvsadm -a -t [2001:db8::5]:https -r [v6rs]:https -m
ipvsadm -a -t [2001:db8::5]:https -r [2001:db8::6]:https -m
ipvsadm -a -t [2001:db8::5]:https -r [2001:db8::99] -g
ipvsadm -L
