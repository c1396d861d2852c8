# lvskit — what people run.
GO       ?= go
BIN      := bin
CMDS     := ipvsadm mond heartbeatd lvs-alert lvs-arp lvs-bgp
export CGO_ENABLED := 0

.PHONY: all build test unit vet deps vmtest lab lab-local lab-bgp lab-bgp-midflow bench-ipvsadm bench-mond clean fmt packages install

# The version the packages and binaries carry: the release, then the commit's date and
# hash, which sort in time (Debian's "+git" convention).
VERSION  ?= 0.1.0+git$(shell git log -1 --format=%cd.%h --date=format:%Y%m%d 2>/dev/null)
LDFLAGS  := -X github.com/lvskit/lvskit/internal/buildinfo.Version=$(VERSION)
PREFIX   ?= /usr
DESTDIR  ?=

all: build

build:
	@mkdir -p $(BIN)
	@for c in $(CMDS); do [ -d cmd/$$c ] && $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/$$c ./cmd/$$c || exit 1; done
	@# Debian ships ipvsadm-save/ipvsadm-restore; ours dispatch on argv[0].
	@ln -sf ipvsadm $(BIN)/ipvsadm-save && ln -sf ipvsadm $(BIN)/ipvsadm-restore && ln -sf ipvsadm $(BIN)/ipvsadm-adopt

deps:
	@bash scripts/install-test-deps.sh

vet:
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...

# The README's test command: unit tests, namespace tests (root), the IPVS VM tests in one
# VM boot, the race pass and the labs; scripts/test.sh says in what order and why.
test: deps vet build
	@bash scripts/test.sh

fmt:
	gofmt -w .

# The real-kernel tests alone (root, qemu), in one VM boot: the harness, the ipvsadm
# oracle and every package's VM tests (RUN=cmd/lvs-alert for one of them).
vmtest: deps
	$(GO) test -count=1 -timeout 60m -v -run 'TestVMSuite/$(RUN)' ./vmtest

# ipvsadm vs 1.31 in one VM boot: -R of 1,000x10 and -Ln of 5,000x4 (REPS=3).
bench-ipvsadm: deps
	$(GO) run ./vmtest/cmd/vmrun -ours ipvsadm -timeout 40m -env REPS=$(or $(REPS),3) bench/ipvsadm-bench.sh

# The README's main command: builds everything, then runs the manual's whole director
# setup (client, gateway, two directors with heartbeatd and mond, three real servers,
# LVS/DR) in the qemu VM and prints its timeline; exits 1 when a phase misses a bound.
lab: deps build
	$(GO) run ./lab/cmd/lab

# The same setup as the manual had it: its directors are also real servers (the table
# is rs1, d1 and d2, the manual's .175, Linux187 and linux142; each director serves HTTP
# and echo, the active one its share itself, the standby as an LVS/DR real server);
# kill -9 failover, after which the roles swap (phases 1, 2, 3, 6, 5; about a minute).
lab-local: deps build
	$(GO) run ./lab/cmd/lab -directors-serve

# Three active directors behind a real BGP router (BIRD 2, ECMP over L4 hashing), IPVS
# mh with mh-port and sloppy_tcp, in the qemu VM: traffic spread, the same real server
# whatever the director, a dead real server, kill -9 and drain of a director; prints
# the timeline, exits 1 when a phase misses a bound.
lab-bgp: deps build
	$(GO) run ./lab/cmd/lab-bgp

# The measurement behind lab-bgp's sloppy_tcp: phase d (kill -9 of a director under 300
# long-lived connections) with sloppy_tcp, with neither it nor a sync daemon, and with
# IPVS's sync daemon instead; one boot per mode, a table of the connections each broke.
lab-bgp-midflow: deps build
	$(GO) run ./lab/cmd/lab-bgp -midflow sloppy,none,sync

clean:
	rm -rf $(BIN) dist

# Debian packages (lvskit-ipvsadm, lvskit-mon, lvskit-heartbeat) in dist/, each taking
# the place of the original of the same name (packaging/*.yaml, built with nfpm; no RPMs:
# the packages' maintainer scripts are Debian's — see packaging/main.go). What they ship is staged first in
# $(PKGSTAGE), the yaml files' ${BIN}: the binaries stripped (-s -w: no symbol table or
# DWARF; Go's tracebacks do not need them), as Debian ships binaries, and the man pages
# of packaging/man compressed as Debian wants them, reproducibly (gzip -9n: no name, no
# time stamp), which nfpm does not do. Every file in the packages carries the commit's
# time (SOURCE_DATE_EPOCH, which nfpm reads), so the same commit gives the same packages.
PKGSTAGE := dist/stage
packages:
	rm -rf $(PKGSTAGE) dist/lvskit-*.deb dist/lvskit-*.rpm && mkdir -p $(PKGSTAGE)/man
	@for c in $(CMDS); do $(GO) build -trimpath -ldflags='-s -w $(LDFLAGS)' -o $(PKGSTAGE)/$$c ./cmd/$$c || exit 1; done
	@for m in packaging/man/*.[1-8]; do gzip -9n < $$m > $(PKGSTAGE)/man/$${m##*/}.gz || exit 1; done
	cd packaging && SOURCE_DATE_EPOCH=$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct)} \
		$(GO) run . -version '$(VERSION)' -bin ../$(PKGSTAGE) -out ../dist \
		-formats $(or $(FORMATS),deb) lvskit-ipvsadm.yaml lvskit-mon.yaml lvskit-heartbeat.yaml lvskit-bgp.yaml

# For distributions without the packages: the binaries, the originals' names for them
# and the man pages. Units and init scripts are in packaging/files/ to install by hand
# (they name /usr/sbin; adjust them for another PREFIX). ipvsadm goes to /sbin, where
# scripts call it, whatever PREFIX, as ipvsadm's own Makefile does.
install: build
	install -d $(DESTDIR)/sbin $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/bin \
		$(DESTDIR)$(PREFIX)/lib/mon/alert.d $(DESTDIR)$(PREFIX)/libexec/heartbeat $(DESTDIR)$(PREFIX)/share/heartbeat
	install -m 0755 $(BIN)/ipvsadm $(DESTDIR)/sbin/ipvsadm
	for l in ipvsadm-save ipvsadm-restore ipvsadm-adopt; do ln -sf ipvsadm $(DESTDIR)/sbin/$$l; done
	install -m 0755 $(BIN)/mond $(BIN)/heartbeatd $(BIN)/lvs-alert $(BIN)/lvs-arp $(BIN)/lvs-bgp $(DESTDIR)$(PREFIX)/sbin/
	ln -sf mond $(DESTDIR)$(PREFIX)/sbin/mon
	ln -sf $(PREFIX)/sbin/lvs-alert $(DESTDIR)$(PREFIX)/lib/mon/alert.d/lvs.alert
	ln -sf $(PREFIX)/sbin/heartbeatd $(DESTDIR)$(PREFIX)/libexec/heartbeat/heartbeat
	ln -sf $(PREFIX)/sbin/heartbeatd $(DESTDIR)$(PREFIX)/bin/cl_status
	for l in hb_standby hb_takeover; do ln -sf $(PREFIX)/sbin/heartbeatd $(DESTDIR)$(PREFIX)/share/heartbeat/$$l; done
	install -d $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man8
	install -m 0644 packaging/man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 packaging/man/*.8 $(DESTDIR)$(PREFIX)/share/man/man8/

# mond vs mon 1.3.6: 500 TCP watches every 5s for 3 minutes (N=, SECONDS_TO_RUN= to change).
bench-mond:
	bash bench/mond.sh

# Health checking, mond's built-in tcp/http monitors vs keepalived 2.2.7's checker, in
# the IPVS VM: 500 and 5,000 real servers every 5 s, CPU, peak RSS, late checks
# (SIZES=, KINDS=tcp|http, REPS=, DUR= seconds per run).
.PHONY: bench-healthcheck
bench-healthcheck: deps
	@command -v keepalived >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends keepalived
	bash bench/healthcheck.sh

# Reconfiguration, ipvsadm-adopt vs keepalived 2.2.7's reload, in the IPVS VM: 1,000 of
# 5,000 services changed under long-lived connections (REPS=, HOLDS=).
.PHONY: bench-reconfig
bench-reconfig: deps
	@command -v keepalived >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends keepalived
	bash bench/reconfig.sh

# mond's ceiling on this machine: the most TCP checks per second with under 1 % late
# (host, a namespace of its own; STEPS= real servers every 5 s, DUR= seconds a step).
.PHONY: bench-mond-ceiling
bench-mond-ceiling:
	bash bench/mond-ceiling.sh

# heartbeatd vs heartbeat 3.0.6 and keepalived 2.2.7's VRRP: takeover latency (kill -9 of
# the active node to VIP up on the survivor, RUNS=20 each, same ha.cf: keepalive 200ms,
# deadtime 2; keepalived's advert_int giving the same master-down interval) and peak RSS;
# SOAK=600 adds the no-false-failover soak with both cores busy: heartbeatd, keepalived and
# keepalived with vrrp_rt_priority at detection budgets of 500, 250, 100 and 50 ms side by
# side (SOAK_BUDGETS=...), reporting the tightest each survives.
.PHONY: bench-heartbeat
bench-heartbeat: deps
	@command -v keepalived >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends keepalived
	LVSKIT_BENCH_HEARTBEAT=1 RUNS=$(or $(RUNS),20) SOAK=$(SOAK) SOAK_BUDGETS=$(SOAK_BUDGETS) $(GO) test -count=1 -timeout 90m -v \
		-run 'TestBenchTakeover|TestBenchSoak' ./internal/hb/clustertest
