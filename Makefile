#   SPDX-License-Identifier: BSD-3-Clause
#   Copyright (C) 2026 the rspdk authors.
#
#   make                      build the library (release) and regenerate include/rspdk.h
#   make install PREFIX=DIR   install lib/librspdk.{a,so}, headers and pkg-config files
#   make test                 every test (scripts/test.sh; installs what is missing)
#   make run                  start rspdk_tgt with its embedded default config (RPC=/path/to.sock to move the socket)

PREFIX ?= /usr/local
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
SOMAJOR := 0
# SPDK's pkg-config module names; each resolves to rspdk.
SPDK_MODULES := spdk_env_dpdk spdk_thread spdk_event spdk_log spdk_util spdk_init spdk_rpc spdk_json spdk_jsonrpc spdk_sock spdk_sock_posix spdk_nvmf

.PHONY: all build install test run clean

all: build

build:
	cargo build --release

install: build
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/spdk
	install -m 0644 target/release/librspdk.a $(DESTDIR)$(PREFIX)/lib/librspdk.a
	install -m 0755 target/release/librspdk.so $(DESTDIR)$(PREFIX)/lib/librspdk.so.$(VERSION)
	ln -sf librspdk.so.$(VERSION) $(DESTDIR)$(PREFIX)/lib/librspdk.so.$(SOMAJOR)
	ln -sf librspdk.so.$(SOMAJOR) $(DESTDIR)$(PREFIX)/lib/librspdk.so
	install -m 0644 include/rspdk.h $(DESTDIR)$(PREFIX)/include/rspdk.h
	install -m 0644 include/spdk/*.h $(DESTDIR)$(PREFIX)/include/spdk/
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' pkgconfig/rspdk.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/rspdk.pc
	for m in $(SPDK_MODULES); do \
		sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' -e "s|@MODULE@|$$m|g" \
			pkgconfig/spdk_module.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/$$m.pc; \
	done

test:
	bash scripts/test.sh

RPC ?= /var/tmp/spdk.sock
run: build
	target/release/rspdk_tgt --default-config -r $(RPC)

clean:
	cargo clean
	$(MAKE) -C capi-tests clean
