#!/usr/bin/env bash
#   SPDX-License-Identifier: BSD-3-Clause
# The NVMe driver's TCP host transport against the Linux kernel's NVMe-oF
# target (nvmet-tcp) in the VM guest, both ends on the guest's loopback:
#  1. tests/nvme_tcp_vm.rs: discovery, connect with and without digests,
#     identify (serial, model, namespace size as configured), patterns from
#     512 B to 1 MiB (in-capsule, R2T/H2CData in several PDUs, C2HData),
#     readv/writev, write zeroes, flush, deallocate, two I/O queue pairs,
#     keep alive, reset idle and under I/O, the target going away and coming
#     back, failover to a second listener;
#  2. capi-tests/vm/test_nvme_tcp.c (static and shared): probe through
#     discovery, spdk_nvme_connect with digests, write/read and writev/readv,
#     admin (get log page) and I/O (raw write/read) passthru,
#     reset, -ENXIO when the subsystem leaves the port, a failing reset, then
#     spdk_nvme_ctrlr_set_trid and a reset onto the second listener;
#  3. the C API: nvme_perf -r over TCP, through the discovery service (every
#     subsystem it lists) and straight to one subsystem, each run checked for
#     a Total line with IOPS above zero and no I/O errors.
set -euo pipefail
cd "$(dirname "$0")/../.."
# CARGO="flock /tmp/cargo.lock cargo" serialises builds on shared machines.
cargo=${CARGO:-cargo}
tdir=$(realpath "${CARGO_TARGET_DIR:-target}")

test_bin=$(scripts/vm/test-binary.sh nvme_tcp_vm)
[ -x "$test_bin" ] || { echo "nvme-tcp-host-tests: test binary not built" >&2; exit 1; }
$cargo build --release
make -C capi-tests vm LIBDIR="$tdir/release" >/dev/null

nqn1=nqn.2026-11.io.rspdk:tcp1
nqn2=nqn.2026-11.io.rspdk:tcp2
disc=nqn.2014-08.org.nvmexpress.discovery
# Each perf run: a Total line, its IOPS above zero, exit status 0 (no I/O errors).
perf_check='out=$(capi-tests/build/vm/nvme_perf.$1 -q 16 -o $2 -w $3 -M 50 -t 2 -r "trtype:tcp adrfam:ipv4 traddr:127.0.0.1 trsvcid:4420 subnqn:$4") || { echo "$out"; echo "nvme_perf failed" >&2; exit 1; }
	echo "$out"
	echo "$out" | awk "/^Total/ { ok = (\$3 + 0 > 0) } END { exit ok ? 0 : 1 }" || { echo "nvme_perf: no IOPS" >&2; exit 1; }
	[ "$(echo "$out" | grep -c "^TCP")" -ge "$5" ] || { echo "nvme_perf: fewer than $5 namespaces" >&2; exit 1; }'

scripts/vm/run.sh --timeout 900 -- sh -c "
	set -e
	scripts/vm/nvmet-tcp-setup.sh $nqn1,RSPDKTCP0001,64 $nqn2,RSPDKTCP0002,16 > /tmp/nvmet-tcp.env
	. /tmp/nvmet-tcp.env
	export RSPDK_TCP_NQNS RSPDK_TCP_SERIALS RSPDK_TCP_NS_BYTES RSPDK_TCP_CONFIGFS RSPDK_TCP_IPV6
	$test_bin --exact nvme_tcp_host_against_kernel_target --nocapture
	capi-tests/build/vm/test_nvme_tcp.static
	capi-tests/build/vm/test_nvme_tcp.shared
	perf() { $perf_check
	}
	perf static 4096 randrw $disc 2
	perf shared 131072 randrw $nqn1 1
	echo 'nvme-tcp-host-tests: guest checks passed'
"
