#!/usr/bin/env bash
#   SPDX-License-Identifier: BSD-3-Clause
# Every test of rspdk, in order: build and header check, Rust tests, C API
# tests (static and shared), the C tests under valgrind, install + pkg-config,
# a benchmark smoke run, and the VM tests. Stops at the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n==== %s\n' "$*"; }

step "dependencies"
bash scripts/install-deps.sh

step "build (release) and the generated header"
cargo build --release
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	if ! git diff --exit-code --stat -- include/; then
		echo "include/rspdk.h changed when regenerated: commit the new header" >&2
		exit 1
	fi
fi
make -C capi-tests header

step "Rust unit and integration tests"
cargo test

step "C API tests, static and shared"
make -C capi-tests test

step "C API tests under valgrind"
make -C capi-tests valgrind

step "install and pkg-config"
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
make install PREFIX="$prefix"
sh capi-tests/pkgconfig_test.sh "$prefix"

step "benchmark smoke run (figures are not pass/fail)"
cargo bench --bench thread_msgs -- --smoke

if [ -x scripts/vm/selftest.sh ] && [ "${RSPDK_SKIP_VM:-0}" != 1 ]; then
	step "VM harness self-test (QEMU guest, NVMe on vfio-pci)"
	scripts/vm/selftest.sh
fi

step "all tests passed"
