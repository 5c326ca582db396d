#!/usr/bin/env bash
#   SPDX-License-Identifier: BSD-3-Clause
# Memory figures (a benchmark, not a timed test): peak RSS (VmHWM) of an
# idle rspdk_tgt with no bdevs, which must stay under 64 MiB, and with
# --full, of bdevperf on a 1 GiB malloc bdev, which must stay under 1.2 GiB.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
tgt=
cleanup() { [ -n "$tgt" ] && kill "$tgt" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
fail=0

target/release/rspdk_tgt -r "$work/tgt.sock" >"$work/tgt.log" 2>&1 &
tgt=$!
for _ in $(seq 1 50); do [ -S "$work/tgt.sock" ] && break; sleep 0.1; done
sleep 2 # idle: reactors polling, the RPC server up
kib=$(hwm "$tgt")
kill "$tgt"
wait "$tgt" 2>/dev/null || true
tgt=
echo "memory: idle rspdk_tgt, no bdevs: peak RSS $kib KiB (target: under 65536 KiB)"
[ "$kib" -lt 65536 ] || fail=1

if [ "${1:-}" = --full ]; then
	cat >"$work/m.json" <<'JSON'
{"subsystems": [{"subsystem": "bdev", "config": [
  {"method": "bdev_malloc_create", "params": {"name": "Malloc0", "num_blocks": 262144, "block_size": 4096}}
]}]}
JSON
	/usr/bin/time -f "%M" -o "$work/rss" target/release/bdevperf --json "$work/m.json" -q 128 -o 4096 -w randread -t 2 >/dev/null
	kib=$(cat "$work/rss")
	echo "memory: bdevperf on a 1 GiB malloc bdev: peak RSS $kib KiB (target: under 1258291 KiB)"
	[ "$kib" -lt 1258291 ] || fail=1
fi
exit $fail
