ipvsadm --add-service --tcp-service 192.0.2.1:80 --scheduler rr --persistent 30 --netmask 255.255.255.0
ipvsadm --add-server --tcp-service 192.0.2.1:80 --real-server 10.0.0.1:80 --masquerading --weight 4 --u-threshold 9 --l-threshold 3
ipvsadm --add-service --udp-service=192.0.2.1:53 --scheduler=wlc
ipvsadm --add-server --udp-service=192.0.2.1:53 --real-server=10.0.0.2 --gatewaying
ipvsadm --add-service --fwmark-service 33 --ipv6 --scheduler sh --sched-flags sh-port
ipvsadm --edit-server --tcp-service 192.0.2.1:80 --real-server 10.0.0.1:80 --ipip
ipvsadm --list --numeric --thresholds
ipvsadm --add-serv -t 192.0.2.2:80
ipvsadm --tcp 192.0.2.3:80 -A
