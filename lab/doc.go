// Package lab runs the LVS manual's whole director setup (Part II) with lvskit's
// binaries on a real IPVS kernel, and reads back what happened as a timeline.
//
// The scenario runs on a machine whose kernel has IPVS and holds the manual's segment:
// a Linux bridge with a gateway (the ping node, with the client behind it), two
// directors d1 and d2, and three real servers
// rs1..rs3 serving HTTP on 8080 (busybox httpd) and a line echo on 7000, LVS/DR with
// the VIP 10.0.0.100. The directors run the files of examples/ — /etc/init.d/lvs,
// /root/conf/data, mon.cf with lvs.alert and heartbeat.alert, ha.cf, haresources — with
// only the lab's addresses and shorter intervals put in (Adapt says exactly what
// changes), and lvskit's ipvsadm, mond, lvs-alert and heartbeatd installed where the
// examples' README installs them.
//
// guest/here.sh runs the scenario on the machine it is started on without changing it:
// in private network, mount and pid namespaces, with the system directories the
// scenario writes (/etc, /usr, /root, /sbin, /var, /srv) overlaid on a tmpfs and the
// staged files copied in through the overlays; everything goes with the namespaces.
// Run has two modes (Mode): on a host whose kernel has IPVS it runs here.sh directly
// ("here"); otherwise it boots a vmtest VM (Debian's kernel with IPVS) whose payload
// runs the same here.sh ("vm"), so the VM run proves the path a host with IPVS takes.
// The default ("auto") picks by HostHasIPVS.
//
// guest/scenario.sh drives the phases and logs every action; labprobe (cmd/labprobe)
// is the client's traffic, the long-lived connection and the watcher of who is
// director. Parse turns the logs into a Report: per-phase client figures, director
// changes, failover durations, and Check holds them to the bounds the issue states.
//
// Options.DirectorsServe runs the setup as the manual had it, its directors also real
// servers (make lab-local, TestLabLocal): AdaptDirectorsServe maps the manual's table to
// rs1, d1 and d2, every director serves HTTP and echo as rs1 does, the active one its
// share itself and the standby as an LVS/DR real server, and the phases are 1, 2, 3, 6
// (the roles swapped by phase 3's failover: the new director serving locally, the old
// one back as a real server) and 5. The scenario is the same script, told by its
// environment which nodes serve (SERVERS); it logs each director's ipvsadm -L -n, with
// lvskit's ipvsadm and the original 1.31, and Check holds its own entry to what both print.
//
// The BGP scenario (bgp.go, guest/bgp-scenario.sh, issue 13) is the scale-out beside
// it: three active directors behind a router running BIRD 2 with L4 ECMP, each
// announcing the VIP with lvs-bgp, IPVS mh with mh-port and sloppy_tcp; it runs only
// in the VM (BIRD is copied in through vmtest's Options.Programs) and reuses here.sh,
// the staged examples and labprobe (flows, holds). RunBGP returns a BGPReport whose
// Check holds the measures to BGPBounds.
//
//	make lab                      # builds everything, runs the scenario (auto mode), prints the timeline
//	make lab-local                # the directors also real servers (go run ./lab/cmd/lab -directors-serve)
//	make lab-bgp                  # the BGP scenario in the VM (go run ./lab/cmd/lab-bgp -out DIR keeps its logs)
//	go run ./lab/cmd/lab -mode vm # the same in the qemu VM whatever the host kernel has
//	go test ./lab -run 'TestLab$' -v # the scenario as a test (root; auto mode: qemu without IPVS)
//	go test ./lab -run TestLabLocal -v # the directors also real servers, as a test
//	LVSKIT_LAB_BGP=1 go test ./lab -run TestLabBGP -v # the BGP scenario as a test (root, qemu, BIRD 2)
package lab
