#!/usr/bin/env bash
#   SPDX-License-Identifier: BSD-3-Clause
# The nvme bdev module against QEMU's NVMe controllers in the VM guest:
# rspdk_tgt driven by SPDK's spdk-rpc (attach, bdev_get_bdevs, get_controllers,
# reset, errors, save_config, detach, restart from the saved config), then
# bdevperf on the namespaces (verify at several sizes, verify with resets,
# two reactors, unmap / write_zeroes / flush). After power-off the host
# finds bdevperf's verify pattern in the image.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d /var/tmp/rspdk-nvmebdev.XXXXXX)
trap 'rm -rf "$work"' EXIT
truncate -s 64M "$work/d0.img"
truncate -s 32M "$work/d1.img" "$work/ns2.img"
RPC=${SPDK_RPC:-$HOME/.cache/rspdk-pyenv/bin/spdk-rpc}
[ -x "$RPC" ] || { echo "nvme-bdev-tests: spdk-rpc not found at $RPC (scripts/install-deps.sh installs it)" >&2; exit 1; }

cat > "$work/guest.sh" <<'GUEST'
set -u
rpc() { "$SPDK_RPC" -s /tmp/tgt.sock "$@"; }
pass=0
fail=0
ok() { echo "nvme-bdev: ok: $*"; pass=$((pass + 1)); }
bad() { echo "nvme-bdev: FAILED: $*"; fail=$((fail + 1)); }
read -r BDF0 BDF1 <<<"$RSPDK_VM_NVME_BDFS"
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }

start_tgt() {
	target/release/rspdk_tgt -r /tmp/tgt.sock "$@" > /tmp/tgt.log 2>&1 &
	tgt=$!
	for _ in $(seq 1 100); do
		rpc spdk_get_version >/dev/null 2>&1 && return 0
		sleep 0.3
	done
	cat /tmp/tgt.log
	return 1
}
stop_tgt() {
	rpc spdk_kill_instance SIGTERM >/dev/null 2>&1 || kill "$tgt"
	wait "$tgt" 2>/dev/null
}

start_tgt || { echo "rspdk_tgt did not start"; exit 1; }
out=$(rpc bdev_nvme_attach_controller -b Nvme0 -t pcie -a "$BDF0" 2>&1) && [ "$out" = "Nvme0n1" ] \
	&& ok "attach Nvme0 -> $out" || bad "attach Nvme0: $out"
out=$(rpc bdev_nvme_attach_controller -b Nvme1 -t PCIe -a "$BDF1" 2>&1) && [ "$out" = "Nvme1n1 Nvme1n2" ] \
	&& ok "attach Nvme1 (two namespaces) -> $out" || bad "attach Nvme1: $out"
rpc bdev_get_bdevs -b Nvme0n1 | jq_py 'd[0]["num_blocks"] == 131072 and d[0]["block_size"] == 512 and d[0]["product_name"] == "NVMe disk" and d[0]["driver_specific"]["nvme"][0]["ctrlr_data"]["serial_number"] == "NVMEBDEV0" and d[0]["supported_io_types"]["nvme_admin"]' \
	&& ok "Nvme0n1: 131072 blocks of 512 bytes, serial NVMEBDEV0" || bad "Nvme0n1 as bdev_get_bdevs shows it"
rpc bdev_get_bdevs -b Nvme1n2 | jq_py 'd[0]["num_blocks"] == 8192 and d[0]["block_size"] == 4096' \
	&& ok "Nvme1n2: 8192 blocks of 4096 bytes" || bad "Nvme1n2 geometry"
rpc bdev_nvme_get_controllers | jq_py '[c["name"] for c in d] == ["Nvme0", "Nvme1"] and d[0]["ctrlrs"][0]["state"] == "enabled" and d[0]["ctrlrs"][0]["trid"]["traddr"] == "'"$BDF0"'"' \
	&& ok "bdev_nvme_get_controllers" || bad "bdev_nvme_get_controllers"
out=$(rpc bdev_nvme_attach_controller -b Nvme0 -t pcie -a "$BDF1" 2>&1) && bad "a second Nvme0 was attached" \
	|| { grep -q "already exists" <<<"$out" && ok "a name in use is refused"; } || bad "name in use: $out"
out=$(rpc bdev_nvme_attach_controller -b Nvme5 -t pcie -a "$BDF0" 2>&1) && bad "a controller was attached twice" \
	|| { grep -q "already attached as controller Nvme0" <<<"$out" && ok "an address in use is refused"; } || bad "address in use: $out"
out=$(rpc bdev_nvme_attach_controller -b Nvme6 -t pcie -a 0000:00:1f.7 2>&1) && bad "a missing device was attached" \
	|| { grep -q "0000:00:1f.7" <<<"$out" && ok "a missing device is an error naming it"; } || bad "missing device: $out"
out=$(rpc bdev_nvme_attach_controller -b Nvme7 -t pcie -a nonsense 2>&1) && bad "traddr nonsense accepted" \
	|| { grep -q "traddr 'nonsense' is not a PCI address" <<<"$out" && ok "a bad traddr is an error"; } || bad "bad traddr: $out"
out=$(rpc bdev_nvme_set_options --bdev-retry-count 2 2>&1) && bad "options changed with controllers attached" \
	|| { grep -q "options cannot change" <<<"$out" && ok "set_options refused while controllers are attached"; } || bad "set_options: $out"
out=$(rpc bdev_nvme_reset_controller Nvme0 2>&1) && ok "reset Nvme0" || bad "reset Nvme0: $out"
rpc bdev_nvme_get_controllers -n Nvme0 | jq_py 'd[0]["ctrlrs"][0]["state"] == "enabled"' && ok "Nvme0 enabled after the reset" || bad "state after reset"
rpc save_config > /tmp/saved1.json && [ "$(grep -c '"bdev_nvme_attach_controller"' /tmp/saved1.json)" = 2 ] \
	&& ok "save_config has both controllers" || bad "save_config: $(cat /tmp/saved1.json)"
out=$(rpc bdev_nvme_detach_controller Nvme1 2>&1) && ok "detach Nvme1" || bad "detach Nvme1: $out"
rpc bdev_get_bdevs -b Nvme1n1 >/dev/null 2>&1 && bad "Nvme1n1 outlived its controller" || ok "Nvme1n1 is gone"
rpc bdev_nvme_get_controllers -n Nvme1 >/dev/null 2>&1 && bad "Nvme1 still listed" || ok "Nvme1 no longer listed"
out=$(rpc bdev_nvme_detach_controller Nvme1 2>&1) && bad "detached twice" || ok "detaching an unknown controller is an error"
stop_tgt
start_tgt --json /tmp/saved1.json || bad "restart from the saved config"
rpc save_config > /tmp/saved2.json && cmp -s /tmp/saved1.json /tmp/saved2.json \
	&& ok "restart with --json: save_config is the same" || { diff /tmp/saved1.json /tmp/saved2.json; bad "round trip"; }
stop_tgt

cat > /tmp/perf.json <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [
  {"method": "bdev_nvme_attach_controller", "params": {"name": "Nvme0", "trtype": "PCIe", "traddr": "$BDF0"}},
  {"method": "bdev_nvme_attach_controller", "params": {"name": "Nvme1", "trtype": "PCIe", "traddr": "$BDF1"}}
]}]}
JSON
perf() { target/release/bdevperf --json /tmp/perf.json "$@" 2>&1; }
all3() { grep -q "^Nvme0n1 " <<<"$1" && grep -q "^Nvme1n1 " <<<"$1" && grep -q "^Nvme1n2 " <<<"$1" && ! grep -q "errors" <<<"$1"; }
for o in 4096 65536 1048576; do
	out=$(perf -q 16 -o $o -w verify -t 2) && all3 "$out" && ok "verify, $o-byte I/O, on all three namespaces" || { echo "$out"; bad "verify $o"; }
done
out=$(perf -q 32 -o 4096 -w reset -t 3) && all3 "$out" && grep -q "^Nvme0n1 *: [0-9]* resets" <<<"$out" \
	&& ok "verify with controller resets under I/O: no error" || { echo "$out"; bad "verify with resets"; }
out=$(perf -q 16 -o 8192 -w verify -t 2 -m 0x3) && all3 "$out" && grep -q "^Nvme1n2 (core 1)" <<<"$out" \
	&& ok "verify on two reactors (a queue pair each)" || { echo "$out"; bad "two reactors"; }
for w in unmap write_zeroes flush; do
	out=$(perf -q 8 -o 65536 -w $w -t 1) && all3 "$out" && ok "$w" || { echo "$out"; bad "$w"; }
done
# Hot removal: the kernel takes Nvme1's device back (sysfs remove) while
# bdevperf verifies on every namespace: the driver gets the request, fails
# what Nvme1 has in flight, the bdevs go (bdevperf's jobs on them end), the
# device is released; Nvme0 runs on unharmed.
target/release/bdevperf --json /tmp/perf.json -q 16 -o 4096 -w verify -t 8 >/tmp/hot.log 2>&1 &
bp=$!
sleep 3
if timeout 60 sh -c "echo 1 > /sys/bus/pci/devices/$BDF1/remove" && [ ! -e "/sys/bus/pci/devices/$BDF1" ]; then
	ok "hot removal of $BDF1 under I/O completed (the device was released)"
else
	bad "hot removal of $BDF1 did not complete"
fi
if timeout 60 sh -c "while kill -0 $bp 2>/dev/null; do sleep 0.5; done"; then
	wait $bp
	grep -q "Nvme1n1: bdev removed" /tmp/hot.log && grep -q "Nvme1n2: bdev removed" /tmp/hot.log && grep -q "^Nvme0n1 " /tmp/hot.log \
		&& ! grep -q "^Nvme0n1 *: .*errors" /tmp/hot.log && grep -q "hot removal" /tmp/hot.log \
		&& ok "bdevperf: Nvme1's bdevs removed under I/O, their jobs ended; Nvme0n1 verified without errors" || { cat /tmp/hot.log; bad "hot removal as bdevperf saw it"; }
else
	kill -9 $bp
	cat /tmp/hot.log
	bad "bdevperf hung after the hot removal"
fi
# Last: the pattern the host looks for in the image.
cat > /tmp/last.json <<JSON
{"subsystems": [{"subsystem": "bdev", "config": [
  {"method": "bdev_nvme_attach_controller", "params": {"name": "Nvme0", "trtype": "PCIe", "traddr": "$BDF0"}}
]}]}
JSON
out=$(target/release/bdevperf --json /tmp/last.json -q 8 -o 4096 -w verify -t 1 2>&1) && grep -q "^Nvme0n1 " <<<"$out" \
	&& ok "final verify on Nvme0n1" || { echo "$out"; bad "final verify"; }
echo "nvme-bdev: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
GUEST

scripts/vm/run.sh --nvme "$work/d0.img:NVMEBDEV0" --nvme "$work/d1.img:NVMEBDEV1" --nvme-ns "1:$work/ns2.img:4096" \
	--env SPDK_RPC="$RPC" -- bash "$work/guest.sh"

# bdevperf's verify pattern: byte i of the I/O at block b is (31 * b + i) mod 256.
python3 - "$work/d0.img" <<'PY'
import sys
with open(sys.argv[1], "rb") as f:
    data = f.read(16 * 4096)
for slot in range(16):
    b = slot * 8
    want = bytes((31 * b + i) % 256 for i in range(4096))
    if data[slot * 4096:(slot + 1) * 4096] != want:
        sys.exit(f"nvme-bdev: FAILED: host: block {b} of d0.img does not hold bdevperf's pattern")
print("nvme-bdev: ok: host: d0.img holds the data bdevperf wrote through the nvme bdev")
PY
