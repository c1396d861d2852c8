# The manual's typo "10.144.43.185 :23" (a space before the port), as typed.
ipvsadm -A -t 10.144.43.185:23 -s rr
ipvsadm -a -t 10.144.43.185:23 -r 10.144.43.175 -g
ipvsadm -a -t 10.144.43.185 :23 -r 10.144.43.142 -g
ipvsadm -a -t 10.144.43.185 :23 -r 10.144.43.187 -g
ipvsadm -d -t 10.144.43.185 :23 -r 10.144.43.175
