#!/usr/bin/env bash
#   SPDX-License-Identifier: BSD-3-Clause
# NVMe/TCP over loopback: rspdk_tgt on core 0 serving a null bdev, nvme_perf
# (rspdk's NVMe/TCP host) on core 1. 4 KiB random read and write at queue
# depth 128 (IOPS), 128 KiB random write at queue depth 32 (its data by
# R2T/H2CData), and random read at queue depth 1 (average latency).
# Figures, not pass/fail; run on a quiet machine. With --smoke, one short
# run that only checks that I/O flowed without errors.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=5
smoke=0
[ "${1:-}" = --smoke ] && { smoke=1; secs=1; }
cargo build --release --quiet
make -s -C capi-tests vm >/dev/null
perf=capi-tests/build/vm/nvme_perf.static
work=$(mktemp -d /tmp/rspdk-nvmf-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
nqn=nqn.2016-06.io.spdk:bench
cat > "$work/tgt.json" <<JSON
{"subsystems": [
 {"subsystem": "bdev", "config": [{"method": "bdev_null_create", "params": {"name": "Null0", "num_blocks": 262144, "block_size": 4096}}]},
 {"subsystem": "nvmf", "config": [
  {"method": "nvmf_create_transport", "params": {"trtype": "TCP"}},
  {"method": "nvmf_create_subsystem", "params": {"nqn": "$nqn", "allow_any_host": true, "serial_number": "BENCH1"}},
  {"method": "nvmf_subsystem_add_ns", "params": {"nqn": "$nqn", "namespace": {"bdev_name": "Null0"}}},
  {"method": "nvmf_subsystem_add_listener", "params": {"nqn": "$nqn", "listen_address": {"trtype": "TCP", "adrfam": "IPv4", "traddr": "127.0.0.1", "trsvcid": "$port"}}}
 ]}]}
JSON
target/release/rspdk_tgt -m 0x1 --json "$work/tgt.json" -r "$work/rpc.sock" >"$work/tgt.log" 2>&1 &
tgt=$!
trap 'kill $tgt 2>/dev/null; wait $tgt 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
	python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null && break
	sleep 0.1
done
trid="trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:$port subnqn:$nqn"
run() {
	"$perf" -c 0x2 -r "$trid" "$@" -t "$secs" 2>&1
}
summary() {
	# nvme_perf prints a Total line: IOPS, MiB/s, average latency (us).
	grep -E "^Total" <<<"$1" | tail -1
}
if [ $smoke = 1 ]; then
	out=$(run -q 32 -o 4096 -w randrw -M 50)
	echo "$out" | tail -3
	grep -qE "^Total +: +[1-9]" <<<"$out" || { echo "nvmf-tcp bench smoke: no I/O"; cat "$work/tgt.log"; exit 1; }
	exit 0
fi
for w in randread randwrite; do
	out=$(run -q 128 -o 4096 -w $w)
	echo "4 KiB $w QD128: $(summary "$out")"
done
out=$(run -q 32 -o 131072 -w randwrite)
echo "128 KiB randwrite QD32 (R2T/H2CData): $(summary "$out")"
out=$(run -q 1 -o 4096 -w randread)
echo "4 KiB randread QD1: $(summary "$out")"
