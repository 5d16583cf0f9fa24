# rootlet: build, test, lint, install. `make check` is the whole test suite.

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
LIBEXECDIR ?= $(PREFIX)/libexec/rootlet
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd
DESTDIR    ?=

VERSION := $(shell cat VERSION)
B       := build

CC       ?= cc
CFLAGS   ?= -O2 -g
# A name or path is never cut: gcc flags an snprintf() into a fixed buffer that may be, and such
# text goes through str_fmt() (lib/strfmt), which says when it did not fit. clang (the fuzz
# builds) has no such check and no such option.
WARN     := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-format-nonliteral -Wformat-truncation=2
BASE     := -std=gnu11 -D_GNU_SOURCE -Ilib -DROOTLET_VERSION=\"$(VERSION)\" \
            -DLIBEXECDIR=\"$(LIBEXECDIR)\" -DBINDIR=\"$(BINDIR)\" $(WARN)
CLANG_BASE := $(filter-out -Wformat-truncation=2,$(BASE))
PKG      := pkg-config
# Hardening, as passt builds: these binaries face untrusted packets and API clients. PIE, full
# RELRO (BIND_NOW), a stack protector, fortified libc calls; checked in the installed ELF by
# tests/integration/root/30_hardening.sh. Not for the unit and fuzz builds (sanitizers).
HARDEN_CFLAGS  := -fPIE -fstack-protector-strong -fstack-clash-protection -fcf-protection \
                  -D_FORTIFY_SOURCE=2
HARDEN_LDFLAGS := -pie -Wl,-z,relro -Wl,-z,now

NETNS_PKGS  := libnl-3.0 libnl-route-3.0 jansson libseccomp
HOLDER_PKGS := libcap-ng
LIB_PKGS    := jansson libseccomp libcap-ng libnl-3.0 libnl-route-3.0

pkg_cflags = $(shell $(PKG) --cflags $(1))
pkg_libs   = $(shell $(PKG) --libs $(1))

UIDMAP_PKGS := jansson
SLIRP_PKGS  := slirp libnl-3.0 libnl-route-3.0 jansson libcap-ng libseccomp
# Linked statically into rootlet-slirp: only the code it uses is mapped, and libnl (used only
# by the short-lived tap child) costs the long-running helper no resident pages.
SLIRP_STATIC := libnl-3.0 libnl-route-3.0 jansson libcap-ng libseccomp
static_libs = -Wl,-Bstatic $(filter-out -lpthread -lm,$(shell $(PKG) --libs --static $(1))) \
              -Wl,-Bdynamic -lpthread -lm
COMMIT      := $(shell git rev-parse HEAD 2>/dev/null || echo unknown)

LIB_SRCS    := $(wildcard lib/*.c)
UIDMAP_SRCS := $(wildcard uidmap/*.c)
SLIRP_SRCS  := $(wildcard slirp/*.c)
PORTFWD_SRCS := $(wildcard portfwd/*.c)
PORTFWD_PKGS := libnl-3.0 libnl-route-3.0 jansson libcap-ng libseccomp
NETNS_SRCS  := $(filter-out netns/holder.c,$(wildcard netns/*.c))
NETWORK_SRCS := $(wildcard network/*.c)
FRONT_SRCS  := $(wildcard front/*.c)
DNS_SRCS    := $(wildcard dns/*.c)
DNS_PKGS    := libseccomp libcap-ng jansson
FRONT_PKGS  := jansson
NETWORK_PKGS := libnl-3.0 libnl-route-3.0 jansson
HOLDER_SRCS := netns/holder.c lib/fileio.c lib/lock.c lib/isolate.c lib/err.c

BYPASS_SRCS := $(wildcard bypass/*.c)
BYPASS_PKGS := jansson libcap-ng libseccomp

RUNTIME_SRCS := $(wildcard runtime/*.c)
RUNTIME_PKGS := jansson libseccomp

BINS := $(B)/rootlet $(B)/rootlet-bypass $(B)/rootlet-dns $(B)/rootlet-netns $(B)/rootlet-netns-holder $(B)/rootlet-uidmap $(B)/rootlet-slirp \
        $(B)/rootlet-portfwd $(B)/rootlet-network $(B)/rootlet-runtime

# `make` alone builds every binary, whatever rule comes first.
.DEFAULT_GOAL := all

# lib/ as an archive: each binary takes only the objects it uses, and their libraries.
LIB_A := $(B)/librootlet.a
$(LIB_A): $(LIB_SRCS:%.c=$(B)/%.o)
	ar rcs $@ $^

.PHONY: all check deps lint unit demo install clean fuzz fuzz-build bench engines-reference
all: $(BINS)

$(B)/%.o: %.c $(wildcard lib/*.h netns/*.h uidmap/*.h slirp/*.h portfwd/*.h network/*.h front/*.h dns/*.h bypass/*.h runtime/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(HARDEN_CFLAGS) $(BASE) $(call pkg_cflags,$(SLIRP_PKGS)) -c $< -o $@

# Static too: fewer libraries to load and relocate is time off every add, exec and show.
$(B)/rootlet-netns: $(NETNS_SRCS:%.c=$(B)/%.o) $(LIB_A)
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $^ -o $@ $(call static_libs,$(NETNS_PKGS))

# DNS packets are parsed by glibc's libresolv: ldns would bring libcrypto and libssl (1.7 MiB of
# the infra's RSS) for the DNSSEC this daemon never does.
$(B)/rootlet-dns: $(DNS_SRCS:%.c=$(B)/%.o) $(LIB_A)
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $^ -o $@ $(call static_libs,$(DNS_PKGS)) -lresolv

$(B)/rootlet-bypass: $(BYPASS_SRCS:%.c=$(B)/%.o) $(LIB_A)
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $^ -o $@ $(call static_libs,$(BYPASS_PKGS))

# Static, as rootlet-netns: it runs before every create, exec and kill an engine asks for.
$(B)/rootlet-runtime: $(RUNTIME_SRCS:%.c=$(B)/%.o) $(LIB_A)
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $^ -o $@ $(call static_libs,$(RUNTIME_PKGS))

# libmnl has no static archive in Debian: the nftables pair stays shared.
$(B)/rootlet-network: $(NETWORK_SRCS:%.c=$(B)/%.o) $(LIB_A)
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $^ -o $@ $(call static_libs,$(NETWORK_PKGS)) \
		$(call pkg_libs,libnftnl libmnl)

$(B)/slirp/main.o: CFLAGS += -DROOTLET_COMMIT=\"$(COMMIT)\"

$(B)/rootlet-slirp: $(SLIRP_SRCS:%.c=$(B)/%.o) $(LIB_A)
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $^ -o $@ $(call static_libs,$(SLIRP_STATIC)) \
		$(call pkg_libs,slirp)

$(B)/rootlet-portfwd: $(PORTFWD_SRCS:%.c=$(B)/%.o) $(LIB_A)
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $^ -o $@ $(call static_libs,$(PORTFWD_PKGS)) \
		-lpthread
	ln -sf rootlet-portfwd $(B)/rootlessport

$(B)/rootlet-uidmap: $(UIDMAP_SRCS:%.c=$(B)/%.o) $(LIB_A)
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $^ -o $@ $(call pkg_libs,$(UIDMAP_PKGS))

# The front door sits beside the binaries it runs; static like them, for run's start-up.
$(B)/rootlet: $(FRONT_SRCS:%.c=$(B)/%.o) $(LIB_A)
	$(CC) $(CFLAGS) $(LDFLAGS) $(HARDEN_LDFLAGS) $^ -o $@ $(call static_libs,$(FRONT_PKGS))

# Fully static: no dynamic loader at start (time off every add) and about half the private
# memory of a dynamic binary for a process that lives as long as the netns.
$(B)/rootlet-netns-holder: $(HOLDER_SRCS:%.c=$(B)/%.o)
	$(CC) $(CFLAGS) $(LDFLAGS) -static-pie -Wl,-z,relro -Wl,-z,now $^ -o $@ \
		$(shell $(PKG) --libs --static $(HOLDER_PKGS))

# Unit tests: pure logic of lib/, under AddressSanitizer and UndefinedBehaviorSanitizer.
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/unit/%)

# Tests of a binary's own parsers link the few files of it they test.
UNIT_SLIRP_SRCS := slirp/burstlog.c slirp/api_req.c slirp/opts.c slirp/seccomp.c slirp/gro.c slirp/seg.c slirp/csum.c \
		   slirp/seqguard.c slirp/flows.c slirp/conns.c
UNIT_SLIRP_PKGS := jansson libseccomp libcap-ng libnl-3.0 libnl-route-3.0 slirp

# Not under the sanitizers: their runtime makes syscalls (sigaltstack, ptrace) the filter
# refuses, which is just what the test proves.
$(B)/unit/test_slirp_seccomp: tests/unit/test_slirp_seccomp.c tests/unit/unit.h slirp/seccomp.c \
		lib/seccomp_allow.c lib/err.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(BASE) -Itests/unit -Islirp $< slirp/seccomp.c lib/seccomp_allow.c lib/err.c -o $@ \
		$(call pkg_libs,libseccomp)

$(B)/unit/test_dns_seccomp: tests/unit/test_dns_seccomp.c tests/unit/unit.h dns/seccomp.c $(LIB_SRCS) \
		$(wildcard lib/*.h dns/*.h)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(BASE) -Itests/unit -Idns $(call pkg_cflags,$(LIB_PKGS)) $< dns/seccomp.c \
		$(LIB_SRCS) -o $@ $(call pkg_libs,$(LIB_PKGS))

$(B)/unit/test_slirp_%: tests/unit/test_slirp_%.c tests/unit/unit.h tests/unit/frame.h $(LIB_SRCS) \
		$(UNIT_SLIRP_SRCS) $(wildcard lib/*.h slirp/*.h)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(BASE) -Itests/unit -Islirp $(call pkg_cflags,$(UNIT_SLIRP_PKGS) slirp) $< \
		$(LIB_SRCS) $(UNIT_SLIRP_SRCS) -o $@ $(call pkg_libs,$(UNIT_SLIRP_PKGS))

$(B)/unit/test_network_%: tests/unit/test_network_%.c tests/unit/unit.h network/subnet.c \
		network/attach.c network/attachment.c network/network.h $(LIB_SRCS)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(BASE) -Itests/unit -Inetwork $(call pkg_cflags,$(LIB_PKGS)) $< \
		network/subnet.c network/attach.c network/attachment.c $(LIB_SRCS) -o $@ $(call pkg_libs,$(LIB_PKGS))

$(B)/unit/test_portfwd_%: tests/unit/test_portfwd_%.c tests/unit/unit.h lib/fwdspec.c lib/fwdspec.h lib/err.c \
		lib/name.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(BASE) -Itests/unit -Iportfwd $< lib/fwdspec.c lib/err.c lib/name.c -o $@

# The filter's rules, read back from libseccomp (the i386 ones cannot run on every machine).
$(B)/unit/test_bypass_filter: tests/unit/test_bypass_filter.c tests/unit/unit.h lib/bypass_filter.c \
		lib/bypass_filter.h lib/fdpass.c lib/fdpass.h
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(BASE) -Itests/unit $< lib/bypass_filter.c lib/fdpass.c -o $@ \
		$(call pkg_libs,libseccomp jansson)

# A twin's receive filter, against the kernel's loopback.
$(B)/unit/test_bypass_guard: tests/unit/test_bypass_guard.c tests/unit/unit.h bypass/guard.c \
		bypass/bypass.h lib/bypass_guard.c lib/bypass_guard.h
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(BASE) -Itests/unit -Ibypass -Ilib $< bypass/guard.c lib/bypass_guard.c -o $@

$(B)/unit/test_bypass_%: tests/unit/test_bypass_%.c tests/unit/unit.h bypass/policy.c bypass/bypass.h \
		lib/fwdspec.c lib/err.c lib/name.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(BASE) -Itests/unit -Ibypass $< bypass/policy.c lib/fwdspec.c lib/err.c lib/name.c \
		-o $@

$(B)/unit/test_dns_%: tests/unit/test_dns_%.c tests/unit/unit.h dns/answer.c dns/table.c dns/match.c \
		dns/dns.h
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(BASE) -Itests/unit -Idns $< dns/answer.c dns/table.c dns/match.c -o $@ \
		-lresolv $(call pkg_libs,ldns)

$(B)/unit/test_front_%: tests/unit/test_front_%.c tests/unit/unit.h front/notify_relay.c front/front.h
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(BASE) -Itests/unit -Ifront $< front/notify_relay.c -o $@

$(B)/unit/%: tests/unit/%.c tests/unit/unit.h $(LIB_SRCS) $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) -O1 -g $(SAN) $(BASE) -Itests/unit $(call pkg_cflags,$(LIB_PKGS)) $< $(LIB_SRCS) \
		-o $@ $(call pkg_libs,$(LIB_PKGS))

unit: $(UNIT_BINS)

# libFuzzer targets for every parser. `make fuzz` runs each for FUZZ_SECONDS; `make check`
# replays a bounded number of inputs as a regression test.
FUZZ_SECONDS ?= 60
FUZZ_RUNS    ?= 50000
FUZZ_SRCS    := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS    := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)

$(B)/fuzz/fuzz_slirp_%: tests/fuzz/fuzz_slirp_%.c $(LIB_SRCS) slirp/api_req.c $(wildcard lib/*.h slirp/*.h)
	@mkdir -p $(dir $@)
	clang -O1 -g -fsanitize=fuzzer,address,undefined $(CLANG_BASE) -Islirp $(call pkg_cflags,$(LIB_PKGS)) \
		-Wno-unknown-warning-option $< $(LIB_SRCS) slirp/api_req.c -o $@ $(call pkg_libs,$(LIB_PKGS))

# portfwd's parsers: SPECs, API requests, rootlessport's config (with the API's completeness
# check from lib/).
FUZZ_PORTFWD_SRCS := lib/fwdspec.c portfwd/api_req.c portfwd/rootlessport.c portfwd/cfg.c \
                     lib/apiserver.c lib/evloop.c lib/array.c lib/monoclock.c lib/err.c \
                     lib/cmdline.c lib/name.c
$(B)/fuzz/fuzz_portfwd_%: tests/fuzz/fuzz_portfwd_%.c $(FUZZ_PORTFWD_SRCS) $(wildcard portfwd/*.h lib/*.h)
	@mkdir -p $(dir $@)
	clang -O1 -g -fsanitize=fuzzer,address,undefined $(CLANG_BASE) -Iportfwd $(call pkg_cflags,jansson) \
		-Wno-unknown-warning-option $< $(FUZZ_PORTFWD_SRCS) -o $@ $(call pkg_libs,jansson)

# rootlet-dns's answers to whatever a container sends (libresolv parses it).
FUZZ_DNS_SRCS := dns/answer.c dns/table.c dns/match.c
$(B)/fuzz/fuzz_dns_%: tests/fuzz/fuzz_dns_%.c $(FUZZ_DNS_SRCS) dns/dns.h
	@mkdir -p $(dir $@)
	clang -O1 -g -fsanitize=fuzzer,address,undefined $(CLANG_BASE) -Idns -Wno-unknown-warning-option \
		$< $(FUZZ_DNS_SRCS) -o $@ -lresolv

$(B)/fuzz/%: tests/fuzz/%.c $(LIB_SRCS) $(wildcard lib/*.h)
	@mkdir -p $(dir $@)
	clang -O1 -g -fsanitize=fuzzer,address,undefined $(CLANG_BASE) $(call pkg_cflags,$(LIB_PKGS)) \
		-Wno-unknown-warning-option $< $(LIB_SRCS) -o $@ $(call pkg_libs,$(LIB_PKGS))

fuzz-build: $(FUZZ_BINS)

fuzz: fuzz-build
	for f in $(FUZZ_BINS); do mkdir -p $(B)/corpus/$$(basename $$f); \
		$$f -max_total_time=$(FUZZ_SECONDS) $(B)/corpus/$$(basename $$f) || exit 1; done

deps:
	scripts/deps.sh

# clang-format on every C file, cppcheck on the tree; any finding fails.
C_FILES := $(wildcard lib/*.[ch] netns/*.[ch] uidmap/*.[ch] slirp/*.[ch] portfwd/*.[ch] network/*.[ch] front/*.[ch] dns/*.[ch] bypass/*.[ch] runtime/*.[ch] \
             tests/unit/*.[ch] \
             tests/fuzz/*.c scripts/*.c tests/integration/tools/*.c)
lint:
	clang-format --dry-run --Werror $(C_FILES)
	cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
		--std=c11 --inline-suppr -D__GNUC__ -DROOTLET_VERSION=\"x\" -DLIBEXECDIR=\"x\" \
		-Ilib --suppress=missingIncludeSystem lib netns uidmap slirp portfwd network front dns bypass runtime tests/unit

# Test programs the integration suite runs: for the bypass, a racing client in C, a twin
# connected past connect() and a twin swapped under a continued call, a container reaching into
# a helper (reachin), a connect() restarted every millisecond (fdflood), a sockaddr on a FUSE page
# never read (fusehang), a UDP twin disconnected and rebound (rebind); for slirp, the churn load.
TEST_TOOLS := $(B)/tools/racer $(B)/tools/twinroute $(B)/tools/swaprace $(B)/tools/churn \
	$(B)/tools/reachin $(B)/tools/fdflood $(B)/tools/fusehang $(B)/tools/rebind
$(B)/tools/%: tests/integration/tools/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(BASE) $< -o $@ -lpthread

check: deps
	$(MAKE) all unit fuzz-build lint $(TEST_TOOLS)
	FUZZ_RUNS=$(FUZZ_RUNS) tests/run.sh

# The engines suite against the reference tools (slirp4netns, podman's rootlessport): each
# scenario of tests/engines must pass this way too, proving itself. Run as root.
engines-reference: deps all
	chmod -R a+rX $(B)
	scripts/as-test-user.sh env ROOTLET_TOP="$(CURDIR)" ENGINES_REFERENCE=1 \
		bash tests/integration/runner.sh engines
	env ROOTLET_TOP="$(CURDIR)" ENGINES_REFERENCE=1 bash tests/integration/runner.sh engines-root

demo: deps all
	scripts/demo.sh

$(B)/benchclient: scripts/benchclient.c
	@mkdir -p $(B)
	$(CC) $(CFLAGS) $(BASE) $< -o $@ $(call pkg_libs,libseccomp)

$(B)/usernsfloor: scripts/usernsfloor.c
	@mkdir -p $(B)
	$(CC) $(CFLAGS) $(BASE) $< -o $@

bench: deps all $(B)/benchclient $(B)/usernsfloor $(B)/tools/churn
	scripts/bench.sh

# contrib/systemd's units (user/ and system/), with the binaries' installed paths in them.
UNITS := $(wildcard contrib/systemd/*/*.service contrib/systemd/*/*.socket)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(UNITDIR)/user $(DESTDIR)$(UNITDIR)/system
	for u in $(UNITS); do \
		sed 's|@BINDIR@|$(BINDIR)|g' $$u >$(DESTDIR)$(UNITDIR)/$${u#contrib/systemd/} && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$${u#contrib/systemd/} || exit 1; \
	done
	install -m 0755 $(B)/rootlet $(B)/rootlet-netns $(B)/rootlet-uidmap $(B)/rootlet-slirp \
		$(B)/rootlet-portfwd $(B)/rootlet-network $(B)/rootlet-bypass $(B)/rootlet-runtime \
		$(DESTDIR)$(BINDIR)/
	install -m 0755 $(B)/rootlet-netns-holder $(B)/rootlet-dns $(DESTDIR)$(LIBEXECDIR)/
	ln -sf $(BINDIR)/rootlet-portfwd $(DESTDIR)$(LIBEXECDIR)/rootlessport
	install -m 0644 man/*.1 $(DESTDIR)$(MANDIR)/man1/

clean:
	rm -rf $(B)
