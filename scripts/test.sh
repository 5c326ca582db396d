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

step "bdevperf: JSON config, verify, workloads, a broken config"
scripts/bdev/bdevperf-smoke.sh

step "bdevperf on raid bdevs: raid0/raid1/concat verify, failing member, rebuild under I/O"
scripts/bdev/raid-smoke.sh

step "aio and uring bdevs on files: bdevperf verify, data on disk"
bash scripts/bdev/file-smoke.sh

step "rspdk_tgt and JSON-RPC, driven by SPDK's spdk-rpc"
SPDK_RPC="$HOME/.cache/rspdk-pyenv/bin/spdk-rpc" scripts/rpc/rpc-tests.sh

step "as an ordinary user, without hugepages (pinned anonymous memory)"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
	for t in test_env test_thread test_event; do
		setpriv --reuid=65534 --regid=65534 --clear-groups "capi-tests/build/$t.static"
	done
else
	echo "(not root: the tests above already ran as an ordinary user)"
fi

step "with hugepages reserved"
if [ "$(id -u)" -eq 0 ] && [ -w /proc/sys/vm/nr_hugepages ]; then
	old=$(cat /proc/sys/vm/nr_hugepages)
	echo 64 > /proc/sys/vm/nr_hugepages || true
	out=$(capi-tests/build/test_env.static 2>&1) || { echo "$out"; echo "$old" > /proc/sys/vm/nr_hugepages; exit 1; }
	echo "$out" | grep -E "backed by|passed"
	echo "$old" > /proc/sys/vm/nr_hugepages
fi

step "C API tests under valgrind"
make -C capi-tests valgrind

step "install and pkg-config"
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
make install PREFIX="$prefix"
sh capi-tests/pkgconfig_test.sh "$prefix"

step "fuzz targets, a short run each (longer runs by hand: cargo fuzz run NAME)"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
for target in $(cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz list); do
	# A target with a committed seed corpus (fuzz/seeds/NAME) starts from it too.
	corpus=""
	[ -d "fuzz/seeds/$target" ] && corpus="corpus/$target seeds/$target" && mkdir -p "fuzz/corpus/$target"
	(cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run "$target" $corpus -- -max_total_time="${RSPDK_FUZZ_SECONDS:-20}" >/dev/null 2>"../target/fuzz-$target.log") \
		|| { tail -30 "target/fuzz-$target.log"; exit 1; }
	grep -E "^Done" "target/fuzz-$target.log" | sed "s/^/fuzz $target: /"
done

step "benchmark smoke run (figures are not pass/fail)"
cargo bench --bench thread_msgs -- --smoke
scripts/bench/memory.sh --full
scripts/bench/nvmf-tcp.sh --smoke

if [ -x scripts/vm/selftest.sh ] && [ "${RSPDK_SKIP_VM:-0}" != 1 ]; then
	step "VM harness self-test (QEMU guest, NVMe on vfio-pci)"
	scripts/vm/selftest.sh
	step "NVMe driver against QEMU's NVMe controllers (VM, VFIO)"
	scripts/vm/nvme-tests.sh
	step "nvme bdevs on QEMU's NVMe controllers (VM): spdk-rpc attach/reset/detach, bdevperf verify with resets"
	scripts/vm/nvme-bdev-tests.sh
	step "NVMe-oF TCP target against the Linux kernel initiator (VM): discover, connect, digests, ext4 + fsck, fio verify, live namespaces"
	scripts/vm/nvmf-tests.sh
	step "NVMe/TCP host transport against the kernel's nvmet-tcp target (VM): discovery, digests, R2T, reset, failover, nvme_perf"
	scripts/vm/nvme-tcp-host-tests.sh
	step "scripts/setup.sh in the VM (bind/unbind, allow/block lists, in-use refusal, hugepages)"
	scripts/vm/test-setup-sh.sh
fi

step "all tests passed"
