# KdumpWatch — build, test and run. `make help` lists the targets.
SWIFT ?= swift

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
UNITDIR ?= $(PREFIX)/lib/systemd/system
DRACUTDIR ?= $(PREFIX)/lib/dracut/modules.d
# systemd runs what is in its own shutdown directory only, wherever PREFIX points.
SYSCONFDIR ?= /etc
# initramfs-tools' hooks and scripts: the administrator's directory for make install; the
# packages use /usr/share/initramfs-tools, which is the packages' own.
INITRAMFSDIR ?= $(SYSCONFDIR)/initramfs-tools
DESTDIR ?=
# What install-files copies: the release build, linked statically against the Swift runtime, so
# that cluster nodes and capture initramfs need no Swift installation; and the sender in Embedded
# Swift (EmbeddedSender/), which needs glibc only.
BUILD ?= .build-static/release
SENDER ?= .build-embedded/release/kdump-watch-send
# How that build is made (here only: the tests and benchmarks call make release or make
# sender). --disable-local-rpath: nothing is loaded from beside the executables, so they
# carry no $$ORIGIN run path; -z now: with RELRO, a read-only GOT (Debian's hardening flags).
STATIC_BUILD = -c release --static-swift-stdlib --disable-local-rpath -Xlinker -z -Xlinker now --scratch-path .build-static
# Where make deb and make rpm put the packages.
DEB_OUT ?= .build-deb
RPM_TOPDIR ?= $(CURDIR)/.build-rpm
# What swift format checks (make lint, .ci/run) and rewrites (make format).
SWIFT_SOURCES = Sources Tests Package.swift EmbeddedSender Benchmarks/Micro/Package.swift Benchmarks/Micro/Benchmarks

.PHONY: help build release sender run test test-unit e2e e2e-build e2e-cluster bench-cluster fuzz sanitize lint format clean install install-files uninstall bench bench-micro soak deb rpm package-test

help:
	@echo "make run      build and run kdump-watchd on built-in defaults"
	@echo "make test     install test dependencies and run the whole test suite"
	@echo "make e2e      end-to-end tests: kernel panics in QEMU VMs (real Debian nodes with kdump-tools and with kdump-utils' build), fenced through pacemaker-fenced (about 25 minutes)"
	@echo "make e2e-cluster  three Debian nodes as a Pacemaker cluster: panics, a hang, a forgery, a key rotation (about 25 minutes)"
	@echo "make build    debug build of every executable"
	@echo "make sender   the capture-kernel sender in Embedded Swift, as installed (.build-embedded/release)"
	@echo "make lint     swift format lint"
	@echo "make format   swift format in place"
	@echo "make install  release build, then install (PREFIX, DESTDIR, SBINDIR, LIBEXECDIR, UNITDIR, MANDIR, SYSCONFDIR)"
	@echo "make uninstall"
	@echo "make deb     Debian package in $(DEB_OUT) (KDUMP_WATCH_DEB_VERSION overrides the version)"
	@echo "make rpm     RPM package for RHEL and Fedora in .build-rpm/RPMS"
	@echo "make package-test  builds both, checks them with lintian and rpmlint, installs the .deb in a Debian 12 chroot (root)"
	@echo "make bench    benchmarks against upstream fence-agents and the machine's limit (a few minutes)"
	@echo "make bench-cluster  failover in that cluster: 5 panics with KdumpWatch, 5 with upstream fence_kdump (about 35 minutes)"
	@echo "make bench-micro  micro-benchmarks of the codec, the table, the answers and the tracker (about 2 minutes)"
	@echo "make soak     the long versions of the fault tests (kill -9 in 100 rounds)"
	@echo "make sanitize the whole test suite under AddressSanitizer, then ThreadSanitizer"
	@echo "make fuzz     libFuzzer on every parser of untrusted input (FUZZ_SECONDS per target, default 300)"

build:
	scripts/install-deps.sh build
	$(SWIFT) build

run: build
	$(SWIFT) run kdump-watchd

# The upstream fence_kdump tools and metadata schema come from Debian's fence-agents
# (scripts/reference-agents.sh unpacks them into .build-reference).
# The integration tests run the installed form of the sender, the Embedded Swift build.
test:
	scripts/install-deps.sh test
	$(MAKE) sender
	eval "$$(scripts/reference-agents.sh .build-reference)" && \
	  export FENCE_KDUMP FENCE_KDUMP_SEND FENCE_AGENTS_SCHEMA && \
	  $(SWIFT) test --skip IntegrationTests && \
	  $(SWIFT) test --filter IntegrationTests

test-unit:
	$(SWIFT) test --skip IntegrationTests

lint:
	$(SWIFT) format lint --strict -r $(SWIFT_SOURCES)

format:
	$(SWIFT) format format -i -r $(SWIFT_SOURCES)

clean:
	rm -rf .build .build-*

release: sender
	$(SWIFT) build $(STATIC_BUILD)

# The capture-kernel sender as installed: Embedded Swift, Nettle linked statically, glibc only.
sender:
	scripts/install-deps.sh build
	cd EmbeddedSender && $(SWIFT) build -c release --disable-local-rpath --scratch-path ../.build-embedded

# What both end-to-end targets boot: the debug build, the sender, and the .deb the nodes install.
e2e-build:
	scripts/install-deps.sh e2e
	$(SWIFT) build
	$(MAKE) sender
	rm -rf .build-e2e/deb
	$(MAKE) deb DEB_OUT=.build-e2e/deb

# Runs as root: QEMU guests under software emulation, a stand-alone pacemaker-fenced; the real
# Debian nodes get the package that `make deb` builds.
e2e: e2e-build
	Tests/EndToEnd/run.sh handmade
	Tests/EndToEnd/debian-node.sh .build-e2e/deb/kdump-watch_*_amd64.deb
	Tests/EndToEnd/kdump-utils-node.sh .build-e2e/deb/kdump-watch_*_amd64.deb

# Three Debian nodes as a corosync/Pacemaker cluster that fences a panicked or hung node through
# the operator's guide's fencing topology (Tests/EndToEnd/cluster.sh; testing.md).
e2e-cluster: e2e-build
	Tests/EndToEnd/cluster.sh .build-e2e/deb/kdump-watch_*_amd64.deb

install: release install-files

# Configuration files are installed only when absent: an edited one is never overwritten (the
# shipped version goes beside it as *.dist).
install-files:
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(SYSCONFDIR)/kdump-watch $(DESTDIR)$(DATADIR)/kdump-watch $(DESTDIR)$(DRACUTDIR)/99kdump-watch \
	  $(DESTDIR)$(INITRAMFSDIR)/hooks $(DESTDIR)$(INITRAMFSDIR)/scripts/init-premount \
	  $(DESTDIR)$(SYSCONFDIR)/initramfs-tools/conf.d $(DESTDIR)$(LIBEXECDIR)/kdump-watch $(DESTDIR)$(UNITDIR)/kdump-tools-dump.service.d \
	  $(DESTDIR)$(DATADIR)/kdump-watch/prometheus
# Stripped: the Swift runtime's symbols would triple their size, and initramfs-tools copies the
# sender into the capture initrd as it is (dracut strips too).
	install -m 0755 -s $(BUILD)/kdump-watchd $(BUILD)/kdump-watchctl $(BUILD)/fence_kdump_watch $(DESTDIR)$(SBINDIR)/
	install -m 0755 -s $(SENDER) $(DESTDIR)$(SBINDIR)/kdump-watch-send
	for unit in kdump-watchd.service kdump-watchd.socket kdump-watch-rebuild.path kdump-watch-rebuild.service; do \
	  sed 's|/usr/sbin/|$(SBINDIR)/|g; s|/usr/libexec/kdump-watch/|$(LIBEXECDIR)/kdump-watch/|' systemd/$$unit \
	    > $(DESTDIR)$(UNITDIR)/$$unit && chmod 0644 $(DESTDIR)$(UNITDIR)/$$unit; done
	for file in kdump-watchd.conf kdump-watch-send.conf; do \
	  if [ -e $(DESTDIR)$(SYSCONFDIR)/kdump-watch/$$file ]; then \
	    install -m 0644 etc/$$file $(DESTDIR)$(SYSCONFDIR)/kdump-watch/$$file.dist; \
	  else install -m 0644 etc/$$file $(DESTDIR)$(SYSCONFDIR)/kdump-watch/$$file; fi; done
	install -m 0644 Documentation/man/*.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 Documentation/man/*.8 $(DESTDIR)$(MANDIR)/man8/
	sed 's|/usr/sbin/kdump-watchctl|$(SBINDIR)/kdump-watchctl|' etc/kdump-watch-nodes.sh > $(DESTDIR)$(DATADIR)/kdump-watch/kdump-watch-nodes.sh
	install -m 0644 etc/kdump-watch-capture.sh $(DESTDIR)$(DATADIR)/kdump-watch/
	chmod 0644 $(DESTDIR)$(DATADIR)/kdump-watch/kdump-watch-nodes.sh
	install -m 0644 etc/prometheus/kdump-watch.rules.yml $(DESTDIR)$(DATADIR)/kdump-watch/prometheus/
	install -m 0755 etc/dracut/99kdump-watch/module-setup.sh etc/dracut/99kdump-watch/kdump-watch-send.sh \
	  etc/dracut/99kdump-watch/kdump-watch-post.sh $(DESTDIR)$(DRACUTDIR)/99kdump-watch/
	install -m 0644 $(DESTDIR)$(DATADIR)/kdump-watch/kdump-watch-nodes.sh etc/kdump-watch-capture.sh \
	  $(DESTDIR)$(DRACUTDIR)/99kdump-watch/
	[ -e $(DESTDIR)$(SYSCONFDIR)/initramfs-tools/conf.d/kdump-watch ] || \
	  install -m 0644 etc/initramfs-tools/conf.d/kdump-watch $(DESTDIR)$(SYSCONFDIR)/initramfs-tools/conf.d/kdump-watch
	sed 's|/usr/sbin/kdump-watch-send|$(SBINDIR)/kdump-watch-send|; s|/usr/share/kdump-watch|$(DATADIR)/kdump-watch|' \
	  etc/kdump-tools/kdump-watch-report > $(DESTDIR)$(LIBEXECDIR)/kdump-watch/kdump-watch-report
	sed 's|/usr/libexec/kdump-watch|$(LIBEXECDIR)/kdump-watch|' \
	  etc/kdump-tools/kdump-watch-dump > $(DESTDIR)$(LIBEXECDIR)/kdump-watch/kdump-watch-dump
	sed 's|/usr/share/kdump-watch|$(DATADIR)/kdump-watch|' etc/kdump-watch-rebuild \
	  > $(DESTDIR)$(LIBEXECDIR)/kdump-watch/kdump-watch-rebuild
	sed 's|/usr/libexec/kdump-watch|$(LIBEXECDIR)/kdump-watch|' etc/kdump-tools/kdump-tools-dump.service.d/kdump-watch.conf \
	  > $(DESTDIR)$(UNITDIR)/kdump-tools-dump.service.d/kdump-watch.conf
	chmod 0755 $(DESTDIR)$(LIBEXECDIR)/kdump-watch/kdump-watch-report $(DESTDIR)$(LIBEXECDIR)/kdump-watch/kdump-watch-dump \
	  $(DESTDIR)$(LIBEXECDIR)/kdump-watch/kdump-watch-rebuild
	chmod 0644 $(DESTDIR)$(UNITDIR)/kdump-tools-dump.service.d/kdump-watch.conf
	sed 's|/usr/sbin/kdump-watch-send|$(SBINDIR)/kdump-watch-send|; s|/usr/share/kdump-watch|$(DATADIR)/kdump-watch|' \
	  etc/initramfs-tools/hooks/kdump-watch > $(DESTDIR)$(INITRAMFSDIR)/hooks/kdump-watch
	chmod 0755 $(DESTDIR)$(INITRAMFSDIR)/hooks/kdump-watch
	install -m 0755 etc/initramfs-tools/scripts/init-premount/kdump-watch \
	  $(DESTDIR)$(INITRAMFSDIR)/scripts/init-premount/kdump-watch
	sed -i 's|/usr/sbin/kdump-watch-send|$(SBINDIR)/kdump-watch-send|' $(DESTDIR)$(DRACUTDIR)/99kdump-watch/module-setup.sh

# Leaves the configuration in $(SYSCONFDIR)/kdump-watch: it may hold the administrator's edits.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/kdump-watchd $(DESTDIR)$(SBINDIR)/kdump-watchctl $(DESTDIR)$(SBINDIR)/fence_kdump_watch \
	  $(DESTDIR)$(SBINDIR)/kdump-watch-send $(DESTDIR)$(UNITDIR)/kdump-watchd.service $(DESTDIR)$(UNITDIR)/kdump-watchd.socket \
	  $(DESTDIR)$(UNITDIR)/kdump-watch-rebuild.path $(DESTDIR)$(UNITDIR)/kdump-watch-rebuild.service \
	  $(DESTDIR)$(MANDIR)/man5/kdump-watchd.conf.5 $(DESTDIR)$(MANDIR)/man8/kdump-watchd.8 \
	  $(DESTDIR)$(MANDIR)/man8/kdump-watchctl.8 $(DESTDIR)$(MANDIR)/man8/fence_kdump_watch.8 \
	  $(DESTDIR)$(MANDIR)/man8/kdump-watch-send.8 $(DESTDIR)$(INITRAMFSDIR)/hooks/kdump-watch \
	  $(DESTDIR)$(INITRAMFSDIR)/scripts/init-premount/kdump-watch \
	  $(DESTDIR)$(SYSCONFDIR)/kdump-watch/kdump-watchd.conf.dist $(DESTDIR)$(SYSCONFDIR)/kdump-watch/kdump-watch-send.conf.dist
	rm -rf $(DESTDIR)$(UNITDIR)/kdump-tools-dump.service.d/kdump-watch.conf
	-rmdir $(DESTDIR)$(UNITDIR)/kdump-tools-dump.service.d 2>/dev/null
	rm -rf $(DESTDIR)$(DATADIR)/kdump-watch $(DESTDIR)$(DRACUTDIR)/99kdump-watch $(DESTDIR)$(LIBEXECDIR)/kdump-watch

# The Debian package: debhelper's sequence on the tree as it is (debian/), without
# dpkg-buildpackage, which would write into the parent directory.
deb:
	scripts/install-deps.sh deb
	dpkg-checkbuilddeps
	debian/rules build
	mkdir -p $(DEB_OUT)
	debian/rules binary DEB_OUT=$(abspath $(DEB_OUT)) KDUMP_WATCH_DEB_VERSION=$(KDUMP_WATCH_DEB_VERSION)
	debian/rules clean

# The RPM, with Debian's rpmbuild, from the same tree (--build-in-place: no tarball).
rpm:
	scripts/install-deps.sh rpm
	$(MAKE) release
	rpmbuild -bb --build-in-place --nodeps --define "_topdir $(RPM_TOPDIR)" \
	  --define "packager KdumpWatch developers <kdumpwatch@users.noreply.github.com>" \
	  $(if $(KDUMP_WATCH_RPM_RELEASE),--define "kdump_watch_release $(KDUMP_WATCH_RPM_RELEASE)") packaging/kdump-watch.spec

# Root: debootstrap and chroot.
package-test:
	scripts/install-deps.sh package
	Tests/Packaging/rpm-test.sh
	Tests/Packaging/deb-test.sh

bench:
	Benchmarks/run.sh

# Failover in the e2e-cluster's cluster, KdumpWatch against upstream fence_kdump (root; not in CI).
bench-cluster: e2e-build
	Tests/EndToEnd/cluster.sh --bench .build-e2e/deb/kdump-watch_*_amd64.deb

# The pieces of a confirmation, one by one (ordo-one/benchmark; a package of its own).
bench-micro:
	scripts/install-deps.sh build
	cd Benchmarks/Micro && $(SWIFT) package --disable-sandbox benchmark

soak:
	KDUMP_WATCH_KILL_ROUNDS=100 $(SWIFT) test --filter CrashRecoveryTests

sanitize:
	scripts/install-deps.sh test
	eval "$$(scripts/reference-agents.sh .build-reference)" && \
	  export FENCE_KDUMP FENCE_KDUMP_SEND FENCE_AGENTS_SCHEMA && scripts/sanitize.sh all

FUZZ_SECONDS ?= 300
fuzz:
	scripts/install-deps.sh build
	Tests/Fuzz/run.sh $(FUZZ_SECONDS)
