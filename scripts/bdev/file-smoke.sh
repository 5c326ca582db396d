#!/usr/bin/env bash
#   SPDX-License-Identifier: BSD-3-Clause
# bdevperf on file-backed bdevs: an aio bdev and a uring bdev on temporary
# files, verify workloads with 4 KiB and 128 KiB I/O (data written, read back
# and compared), the fallocate-backed workloads on aio, and a check that the
# data really reached the files.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=target/release/bdevperf
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
truncate -s 64M "$work/aio.img"
truncate -s 64M "$work/uring.img"
uring=1
if [ "$(cat /proc/sys/kernel/io_uring_disabled 2>/dev/null || echo 0)" = 2 ]; then
	echo "file-smoke: io_uring is disabled on this kernel (kernel.io_uring_disabled=2): the uring bdev is skipped"
	uring=0
fi
{
	echo '{"subsystems": [{"subsystem": "bdev", "config": ['
	echo "  {\"method\": \"bdev_aio_create\", \"params\": {\"name\": \"AIO0\", \"filename\": \"$work/aio.img\", \"fallocate\": true}}"
	if [ $uring = 1 ]; then
		echo " ,{\"method\": \"bdev_uring_create\", \"params\": {\"name\": \"Uring0\", \"filename\": \"$work/uring.img\", \"block_size\": 4096}}"
	fi
	echo ']}]}'
} > "$work/files.json"
# Unmap and write-zeroes are aio's (fallocate); uring does not offer them.
cat > "$work/aio.json" <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [
  {"method": "bdev_aio_create", "params": {"name": "AIO0", "filename": "$work/aio.img", "fallocate": true}}
]}]}
JSON
cat > "$work/bad.json" <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [
  {"method": "bdev_aio_create", "params": {"name": "AIO1", "filename": "$work/missing.img"}}
]}]}
JSON
pass=0
fail=0
ok() { echo "file-smoke: ok: $*"; pass=$((pass + 1)); }
bad() { echo "file-smoke: FAILED: $*"; fail=$((fail + 1)); }
# Whether a file has any byte that is not zero.
nonzero() { [ "$(tr -d '\000' < "$1" | head -c 1 | wc -c)" -gt 0 ]; }

if nonzero "$work/aio.img" || nonzero "$work/uring.img"; then
	bad "the fresh files are not all zero"
fi
for size in 4096 131072; do
	if out=$("$bin" --json "$work/files.json" -q 32 -o $size -w verify -t 2 2>&1) && grep -q "^AIO0 " <<<"$out" \
		&& { [ $uring = 0 ] || grep -q "^Uring0 " <<<"$out"; } && ! grep -q "errors, .* miscompares" <<<"$out"; then
		ok "verify, $size-byte I/O, queue depth 32"
	else
		echo "$out"
		bad "verify, $size-byte I/O"
	fi
done
nonzero "$work/aio.img" && ok "the aio bdev's file holds the data" || bad "the aio bdev's file is still all zero"
if [ $uring = 1 ]; then
	nonzero "$work/uring.img" && ok "the uring bdev's file holds the data" || bad "the uring bdev's file is still all zero"
fi
for w in flush reset; do
	out=$("$bin" --json "$work/files.json" -q 8 -o 4096 -w $w -t 1 2>&1) && grep -q "^AIO0 " <<<"$out" && ok "$w" || { echo "$out"; bad "$w"; }
done
for w in unmap write_zeroes; do
	out=$("$bin" --json "$work/aio.json" -q 8 -o 4096 -w $w -t 1 2>&1) && grep -q "^AIO0 " <<<"$out" && ok "aio $w" || { echo "$out"; bad "aio $w"; }
done
if out=$("$bin" --json "$work/bad.json" -q 1 -o 4096 -w read -t 1 2>&1); then
	bad "a config naming a missing file was accepted"
elif grep -q "method bdev_aio_create: filename $work/missing.img: No such file or directory" <<<"$out"; then
	ok "a missing file fails the config, naming method, file and cause"
else
	echo "$out"
	bad "the error for a missing file does not say what"
fi

echo "file-smoke: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
