#!/usr/bin/env bash
#   SPDX-License-Identifier: BSD-3-Clause
# The NVMe-oF TCP target against the Linux kernel's NVMe/TCP initiator in
# the VM guest. rspdk_tgt (two reactors) is configured with SPDK's spdk-rpc;
# nvme-cli discovers and connects (several I/O queues, with and without
# header/data digests), ext4 is made, mounted, filled, checked with fsck;
# fio verifies; a namespace added live shows up in the kernel (AER); a host
# not allowed on a subsystem is refused and does not see it in discovery.
set -euo pipefail
cd "$(dirname "$0")/../.."
RPC=${SPDK_RPC:-$HOME/.cache/rspdk-pyenv/bin/spdk-rpc}
[ -x "$RPC" ] || { echo "nvmf-tests: spdk-rpc not found at $RPC (scripts/install-deps.sh installs it)" >&2; exit 1; }
for t in nvme fio mkfs.ext4; do
	command -v $t >/dev/null || { echo "nvmf-tests: $t not found (scripts/install-deps.sh installs it)" >&2; exit 1; }
done
work=$(mktemp -d /var/tmp/rspdk-nvmf.XXXXXX)
trap 'rm -rf "$work"' EXIT

cat > "$work/guest.sh" <<'GUEST'
set -u
rpc() { "$SPDK_RPC" -s /tmp/tgt.sock "$@"; }
pass=0
fail=0
ok() { echo "nvmf: ok: $*"; pass=$((pass + 1)); }
bad() { echo "nvmf: FAILED: $*"; fail=$((fail + 1)); }
jq_py() { python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(0 if ($1) else 1)"; }
N1=nqn.2016-06.io.spdk:cnode1
N2=nqn.2016-06.io.spdk:cnode2
ALLOWED=nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555
OTHER=nqn.2014-08.org.nvmexpress:uuid:99999999-2222-3333-4444-555555555555
A="-t tcp -a 127.0.0.1 -s 4420"

# The block device of subsystem $1 namespace $2 (multipath: /sys/block/nvmeXnY).
dev_of() {
	for b in /sys/block/nvme*n"$2"; do
		[ -e "$b" ] || continue
		# nvmeXcYnZ is a hidden path device of the multipath node nvmeXnZ.
		case "$(basename "$b")" in nvme*c*) continue ;; esac
		[ "$(cat "$b/device/subsysnqn" 2>/dev/null)" = "$1" ] && { echo "/dev/$(basename "$b")"; return 0; }
	done
	return 1
}
wait_dev() {
	for _ in $(seq 1 100); do
		dev_of "$1" "$2" && return 0
		sleep 0.2
	done
	return 1
}

target/release/rspdk_tgt -m 0x3 -r /tmp/tgt.sock > /tmp/tgt.log 2>&1 &
tgt=$!
for _ in $(seq 1 100); do rpc spdk_get_version >/dev/null 2>&1 && break; sleep 0.3; done
rpc nvmf_create_transport -t TCP -m 8 -c 4096 && ok "nvmf_create_transport -t TCP" || bad "create transport"
rpc nvmf_get_transports | jq_py 'd[0]["trtype"] == "TCP" and d[0]["max_io_qpairs_per_ctrlr"] == 8 and d[0]["in_capsule_data_size"] == 4096' \
	&& ok "nvmf_get_transports" || bad "nvmf_get_transports: $(rpc nvmf_get_transports)"
rpc bdev_malloc_create -b Malloc0 128 512 >/dev/null && rpc bdev_malloc_create -b Malloc1 32 4096 >/dev/null && rpc bdev_malloc_create -b Malloc2 16 512 >/dev/null \
	|| bad "malloc bdevs"
rpc nvmf_create_subsystem $N1 -a -s RSPDK0001 -d "rspdk test ctrl" && ok "create $N1" || bad "create $N1"
rpc nvmf_subsystem_add_ns $N1 Malloc0 >/dev/null && ok "add Malloc0 to $N1" || bad "add ns"
rpc nvmf_subsystem_add_listener $N1 -t tcp -a 127.0.0.1 -s 4420 -f ipv4 && ok "listener 127.0.0.1:4420" || bad "listener"
rpc nvmf_subsystem_add_listener nqn.2014-08.org.nvmexpress.discovery -t tcp -a 127.0.0.1 -s 4420 -f ipv4 || bad "discovery listener"
rpc nvmf_create_subsystem $N2 -s RSPDK0002 && rpc nvmf_subsystem_add_host $N2 $ALLOWED && rpc nvmf_subsystem_add_ns $N2 Malloc2 >/dev/null \
	&& rpc nvmf_subsystem_add_listener $N2 -t tcp -a 127.0.0.1 -s 4420 -f ipv4 && ok "$N2 for $ALLOWED only" || bad "$N2"
rpc nvmf_subsystem_get_listeners $N1 | jq_py 'd[0]["address"]["traddr"] == "127.0.0.1" and d[0]["address"]["trsvcid"] == "4420"' \
	&& ok "nvmf_subsystem_get_listeners" || bad "get_listeners: $(rpc nvmf_subsystem_get_listeners $N1)"

# Discovery: each host sees what it may connect to.
out=$(nvme discover $A -q $OTHER 2>&1)
grep -q "subnqn: *$N1" <<<"$out" && ! grep -q "subnqn: *$N2" <<<"$out" \
	&& ok "discovery for another host lists $N1, not $N2" || { echo "$out"; bad "discovery (other host)"; }
out=$(nvme discover $A -q $ALLOWED 2>&1)
grep -q "subnqn: *$N1" <<<"$out" && grep -q "subnqn: *$N2" <<<"$out" \
	&& ok "discovery for the allowed host lists both" || { echo "$out"; bad "discovery (allowed host)"; }
out=$(nvme connect $A -n $N2 -q $OTHER 2>&1) && bad "a host not allowed connected to $N2" || ok "a host not allowed is refused at Connect"
grep -q "not allowed on subsystem '$N2'" /tmp/tgt.log && ok "the target logs the refused host" || bad "no log of the refused host"

# Connect with two I/O queues; ext4 on it.
nvme connect $A -n $N1 -q $ALLOWED -i 2 >/dev/null && ok "connect $N1 with 2 I/O queues" || bad "connect $N1"
if d=$(wait_dev $N1 1); then
	ok "namespace 1 appeared as $d"
	[ "$(cat /sys/block/$(basename $d)/size)" = 262144 ] && ok "size 128 MiB" || bad "size: $(cat /sys/block/$(basename $d)/size)"
	rpc nvmf_subsystem_get_qpairs $N1 | jq_py 'len(d) == 3 and sorted(q["qid"] for q in d) == [0, 1, 2]' \
		&& ok "nvmf_subsystem_get_qpairs: admin + 2 I/O queues" || bad "qpairs: $(rpc nvmf_subsystem_get_qpairs $N1)"
	rpc nvmf_subsystem_get_qpairs $N1 | jq_py 'len(set(q["thread"] for q in d)) == 2' \
		&& ok "the queues are spread over both poll groups" || bad "poll groups: $(rpc nvmf_subsystem_get_qpairs $N1)"
	rpc nvmf_subsystem_get_controllers $N1 | jq_py 'len(d) == 1 and d[0]["hostnqn"] == "'$ALLOWED'"' \
		&& ok "nvmf_subsystem_get_controllers" || bad "controllers: $(rpc nvmf_subsystem_get_controllers $N1)"
	nid=$(nvme id-ctrl "$d" 2>/dev/null)
	grep -q "^sn *: RSPDK0001" <<<"$nid" && grep -q "^mn *: rspdk test ctrl" <<<"$nid" && grep -q "^subnqn *: $N1" <<<"$nid" \
		&& ok "id-ctrl: serial, model, subnqn" || { echo "$nid" | head -30; bad "id-ctrl"; }
	fio --name=verify --filename="$d" --ioengine=libaio --direct=1 --rw=randwrite --bsrange=512-128k --iodepth=16 --numjobs=1 \
		--size=32M --offset=0 --verify=crc32c --do_verify=1 --verify_fatal=1 >/tmp/fio.log 2>&1 \
		&& grep -q "err= 0" /tmp/fio.log && ok "fio randwrite 512B-128KiB QD16 with crc32c verify" || { tail -30 /tmp/fio.log; bad "fio verify"; }
	mkfs.ext4 -q -F "$d" && ok "mkfs.ext4" || bad "mkfs.ext4"
	mkdir -p /mnt/t && mount "$d" /mnt/t && ok "mount" || bad "mount"
	dd if=/dev/urandom of=/tmp/blob bs=1M count=20 status=none
	for i in 1 2 3; do cp /tmp/blob /mnt/t/f$i; done
	seq 1 100000 > /mnt/t/numbers
	sync
	umount /mnt/t && ok "20 MB files written, unmounted" || bad "umount"
	fsck.ext4 -n -f "$d" >/tmp/fsck.log 2>&1 && ok "fsck.ext4 -n -f: clean" || { cat /tmp/fsck.log; bad "fsck"; }
	mount "$d" /mnt/t && cmp /tmp/blob /mnt/t/f2 && [ "$(tail -1 /mnt/t/numbers)" = 100000 ] && ok "data equal after remount" || bad "data after remount"
	umount /mnt/t
	# A namespace added live reaches the kernel through an AER.
	rpc nvmf_subsystem_add_ns $N1 Malloc1 -n 2 >/dev/null && ok "namespace 2 added live" || bad "add ns 2"
	if d2=$(wait_dev $N1 2); then
		[ "$(cat /sys/block/$(basename $d2)/queue/logical_block_size)" = 4096 ] && ok "namespace 2 appeared ($d2, 4 KiB blocks) without reconnecting" || bad "ns 2 block size"
	else
		bad "namespace 2 did not appear (AER / changed namespace list)"
	fi
	rpc nvmf_subsystem_remove_ns $N1 2 && ok "namespace 2 removed live" || bad "remove ns 2"
	for _ in $(seq 1 50); do dev_of $N1 2 >/dev/null || break; sleep 0.2; done
	dev_of $N1 2 >/dev/null && bad "namespace 2 still there after removal" || ok "namespace 2 went away in the kernel"
else
	bad "no block device for $N1"
fi
nvme disconnect -n $N1 >/dev/null && ok "disconnect" || bad "disconnect"
for _ in $(seq 1 50); do [ "$(rpc nvmf_subsystem_get_controllers $N1)" = "[]" ] && break; sleep 0.2; done
[ "$(rpc nvmf_subsystem_get_controllers $N1)" = "[]" ] && ok "the controller is gone after disconnect" || bad "controller left: $(rpc nvmf_subsystem_get_controllers $N1)"

# Reconnect with header and data digests; data through them.
nvme connect $A -n $N1 -q $ALLOWED -i 1 --hdr-digest --data-digest >/dev/null && ok "connect with header and data digests" || bad "connect with digests"
if d=$(wait_dev $N1 1); then
	mount "$d" /mnt/t && cmp /tmp/blob /mnt/t/f3 && ok "files read back through digests" || bad "read through digests"
	dd if=/dev/urandom of=/tmp/pat bs=1M count=8 status=none
	dd if=/tmp/pat of=/mnt/t/pat bs=1M oflag=direct status=none && umount /mnt/t && mount "$d" /mnt/t && cmp /tmp/pat /mnt/t/pat \
		&& ok "8 MiB written and read back with digests" || bad "write with digests"
	umount /mnt/t
else
	bad "no device with digests"
fi
nvme disconnect -n $N1 >/dev/null || bad "disconnect (digests)"

# The allowed host on the restricted subsystem.
nvme connect $A -n $N2 -q $ALLOWED >/dev/null && d=$(wait_dev $N2 1) && dd if=/tmp/pat of="$d" bs=1M count=8 oflag=direct status=none \
	&& dd if="$d" of=/tmp/back bs=1M count=8 iflag=direct status=none && cmp /tmp/pat /tmp/back \
	&& ok "the allowed host connects to $N2 and its data reads back" || bad "$N2 for the allowed host"
nvme disconnect -n $N2 >/dev/null 2>&1

# ANA: a subsystem with ANA reporting; the kernel follows its listener's
# state through the ANA-change event and the ANA log page.
N3=nqn.2016-06.io.spdk:cnode3
rpc bdev_malloc_create -b Malloc3 16 512 >/dev/null && rpc nvmf_create_subsystem $N3 -a -r -s RSPDK0003 \
	&& rpc nvmf_subsystem_add_ns $N3 Malloc3 >/dev/null && rpc nvmf_subsystem_add_listener $N3 -t tcp -a 127.0.0.1 -s 4420 -f ipv4 \
	&& ok "$N3 with ANA reporting" || bad "$N3"
# The ANA state the kernel shows for its path to namespace 1 of subsystem $1.
ana_of() {
	for c in /sys/class/nvme/nvme*; do
		[ "$(cat "$c/subsysnqn" 2>/dev/null)" = "$1" ] || continue
		for p in "$c"/nvme*c*n1; do
			[ -e "$p/ana_state" ] && { cat "$p/ana_state"; return 0; }
		done
	done
	return 1
}
wait_ana() {
	for _ in $(seq 1 50); do
		[ "$(ana_of $N3)" = "$1" ] && return 0
		sleep 0.2
	done
	return 1
}
set_ana() { rpc nvmf_subsystem_listener_set_ana_state $N3 -n "$1" -t tcp -a 127.0.0.1 -s 4420 -f ipv4; }
if nvme connect $A -n $N3 -q $ALLOWED >/dev/null && d=$(wait_dev $N3 1); then
	wait_ana optimized && ok "ANA state optimized after connect" || bad "ANA state after connect: $(ana_of $N3)"
	set_ana non_optimized && wait_ana non-optimized && ok "the kernel follows the listener to non-optimized" || bad "non-optimized: $(ana_of $N3)"
	dd if=/tmp/pat of="$d" bs=1M count=8 oflag=direct status=none && dd if="$d" of=/tmp/back bs=1M count=8 iflag=direct status=none \
		&& cmp /tmp/pat /tmp/back && ok "I/O through the non-optimized path" || bad "I/O through the non-optimized path"
	set_ana inaccessible && wait_ana inaccessible && ok "... to inaccessible" || bad "inaccessible: $(ana_of $N3)"
	set_ana optimized && wait_ana optimized && ok "... and back to optimized" || bad "optimized again: $(ana_of $N3)"
	dd if="$d" of=/tmp/back bs=1M count=8 iflag=direct status=none && cmp /tmp/pat /tmp/back \
		&& ok "the data reads back after the ANA changes" || bad "read after the ANA changes"
else
	bad "connect to $N3"
fi
nvme disconnect -n $N3 >/dev/null 2>&1

# Configuration round trip.
rpc save_config > /tmp/saved.json
python3 - <<'PY' && ok "save_config holds the nvmf subsystem" || bad "save_config: $(cat /tmp/saved.json)"
import json
d = json.load(open("/tmp/saved.json"))
nv = [s for s in d["subsystems"] if s["subsystem"] == "nvmf"][0]["config"]
methods = [c["method"] for c in nv]
assert methods[0] == "nvmf_create_transport", methods
assert methods.count("nvmf_create_subsystem") == 3, methods
assert methods.count("nvmf_subsystem_add_ns") == 3, methods
assert [c["params"].get("ana_reporting") for c in nv if c["method"] == "nvmf_create_subsystem" and c["params"]["nqn"].endswith("cnode3")] == [True], nv
assert any(c["method"] == "nvmf_subsystem_add_host" for c in nv)
PY
rpc spdk_kill_instance SIGTERM >/dev/null 2>&1
wait $tgt 2>/dev/null && ok "rspdk_tgt stopped cleanly" || bad "rspdk_tgt exit status"
target/release/rspdk_tgt -r /tmp/tgt.sock --json /tmp/saved.json > /tmp/tgt2.log 2>&1 &
tgt=$!
for _ in $(seq 1 100); do rpc spdk_get_version >/dev/null 2>&1 && break; sleep 0.3; done
rpc save_config > /tmp/saved2.json && python3 -c '
import json,sys
a=[s for s in json.load(open("/tmp/saved.json"))["subsystems"] if s["subsystem"]=="nvmf"]
b=[s for s in json.load(open("/tmp/saved2.json"))["subsystems"] if s["subsystem"]=="nvmf"]
sys.exit(0 if a==b else 1)' && ok "restart from the saved config: the same nvmf config" || bad "restart from saved config"
nvme discover $A -q $OTHER 2>&1 | grep -q "subnqn: *$N1" && ok "the restarted target serves discovery" || bad "discovery after restart"
rpc spdk_kill_instance SIGTERM >/dev/null 2>&1
wait $tgt 2>/dev/null
echo "nvmf: $pass passed, $fail failed"
[ $fail = 0 ] || { echo "--- target log"; tail -40 /tmp/tgt.log; dmesg | grep -i nvme | tail -20; }
[ $fail = 0 ]
GUEST

scripts/vm/run.sh --timeout 1200 --env SPDK_RPC="$RPC" -- bash "$work/guest.sh"
