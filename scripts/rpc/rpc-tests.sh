#!/usr/bin/env bash
#   SPDX-License-Identifier: BSD-3-Clause
# rspdk_tgt driven by SPDK's own RPC client (PyPI "spdk", command spdk-rpc):
# every framework, log, thread, bdev and sock method, the results checked; the
# save_config round trips (restart with --json, and load_config into a
# --wait-for-rpc instance); config errors at start; raw malformed requests.
set -euo pipefail
cd "$(dirname "$0")/../.."
tgt=${CARGO_TARGET_DIR:-target}/release/rspdk_tgt
RPC=${SPDK_RPC:-$(command -v spdk-rpc || echo "$HOME/.cache/rspdk-pyenv/bin/spdk-rpc")}
PY=${SPDK_PY:-$(dirname "$RPC")/python3}
[ -x "$PY" ] || PY=python3
work=$(mktemp -d)
sock=$work/spdk.sock
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
pass=0
fail=0
ok() { echo "rpc-tests: ok: $*"; pass=$((pass + 1)); }
bad() { echo "rpc-tests: FAILED: $*"; fail=$((fail + 1)); }
rpc() { "$RPC" -s "$sock" "$@"; }
# jq-like: jget 'PYTHON EXPRESSION over d' < json
jget() { "$PY" -c 'import json,sys; d=json.load(sys.stdin); print(eval(sys.argv[1]))' "$1"; }

start() {
	"$tgt" -r "$sock" "$@" >"$work/tgt.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ -S "$sock" ] && "$RPC" -s "$sock" -t 2 spdk_get_version >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$work/tgt.log"
	return 1
}
stop() {
	rpc spdk_kill_instance SIGTERM >/dev/null || true
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$pid" 2>/dev/null; then bad "rspdk_tgt did not stop on spdk_kill_instance"; kill -9 "$pid"; fi
	wait "$pid" 2>/dev/null || true
	pid=
}
expect_err() { # expect_err WHAT PATTERN CMD...
	local what=$1 pat=$2 out
	shift 2
	if out=$(rpc "$@" 2>&1); then bad "$what: succeeded"; elif grep -qE -- "$pat" <<<"$out"; then ok "$what"; else echo "$out"; bad "$what: wrong error"; fi
}

start
# Framework methods.
[ "$(rpc spdk_get_version | jget 'd["fields"]["major"]')" = 26 ] && ok spdk_get_version || bad spdk_get_version
n=$(rpc rpc_get_methods | jget 'len([m for m in d if m.startswith(("bdev_","framework_","log_","thread_"))])')
[ "$n" -ge 30 ] && ok "rpc_get_methods lists $n methods" || bad "rpc_get_methods ($n)"
rpc rpc_get_methods --current | jget '"framework_start_init" not in d and "bdev_malloc_create" in d' | grep -q True && ok "rpc_get_methods --current after init" || bad "rpc_get_methods --current"
rpc framework_wait_init >/dev/null && ok framework_wait_init || bad framework_wait_init
rpc framework_get_subsystems | jget '[s["subsystem"] for s in d]' | grep -q "'bdev'" && ok framework_get_subsystems || bad framework_get_subsystems
rpc framework_get_reactors | jget 'd["reactors"][0]["lw_threads"][0]["name"]' | grep -q app_thread && ok framework_get_reactors || bad framework_get_reactors
rpc thread_get_stats | jget 'd["threads"][0]["name"] == "app_thread" and d["threads"][0]["timed_pollers_count"] >= 1' | grep -q True && ok thread_get_stats || bad thread_get_stats
rpc thread_get_pollers | jget '"rpc_subsystem_poll" in [p["name"] for p in d["threads"][0]["timed_pollers"]]' | grep -q True && ok thread_get_pollers || bad thread_get_pollers
expect_err "framework_start_init after init" "after framework is initialized|before framework is initialized" framework_start_init
expect_err "framework_get_config of an unknown subsystem" "not found" framework_get_config nosuch
# Log methods.
rpc log_set_level DEBUG && [ "$(rpc log_get_level)" = '"DEBUG"' ] && rpc log_set_level NOTICE && ok "log_set_level / log_get_level" || bad log level
rpc log_set_print_level WARNING && [ "$(rpc log_get_print_level)" = '"WARNING"' ] && rpc log_set_print_level NOTICE && ok "log_set_print_level / log_get_print_level" || bad print level
rpc log_set_flag rpc && rpc log_get_flags | jget 'd["rpc"]' | grep -q True && rpc log_clear_flag rpc && rpc log_get_flags | jget 'd["rpc"]' | grep -q False \
	&& ok "log_set_flag / log_clear_flag / log_get_flags" || bad "log flags"
expect_err "log_set_flag with an unknown flag" "no log flag" log_set_flag no_such_flag_xyz
# Socket layer methods.
rpc sock_impl_get_options -i posix | jget 'd["recv_buf_size"] == 2097152 and d["enable_zerocopy_send_server"] and not d["enable_zerocopy_send_client"]' | grep -q True \
	&& ok sock_impl_get_options || bad sock_impl_get_options
rpc sock_impl_set_options -i posix --recv-buf-size 4194304 --zerocopy-threshold 8192 --no-zerocopy-send-server --quickack \
	&& rpc sock_impl_get_options -i posix | jget 'd["recv_buf_size"] == 4194304 and d["zerocopy_threshold"] == 8192 and not d["enable_zerocopy_send_server"] and d["enable_quickack"] and d["send_buf_size"] == 2097152' | grep -q True \
	&& rpc sock_impl_set_options -i posix --recv-buf-size 2097152 --zerocopy-threshold 0 --zerocopy-send-server --no-quickack \
	&& ok sock_impl_set_options || bad sock_impl_set_options
rpc sock_set_default_impl -i posix >/dev/null && rpc sock_get_default_impl | jget 'd["impl_name"]' | grep -qx posix && ok "sock_set_default_impl / sock_get_default_impl" || bad sock default impl
expect_err "sock_impl_get_options of an unknown implementation" "unknown socket implementation" sock_impl_get_options -i ssl
expect_err "sock_impl_set_options with kernel TLS" "not supported" sock_impl_set_options -i posix --ktls
rpc framework_get_config sock | jget '[c["method"] for c in d] == ["sock_set_default_impl", "sock_impl_set_options"] and d[1]["params"]["impl_name"] == "posix"' | grep -q True \
	&& ok "framework_get_config sock" || bad "framework_get_config sock"

# bdev methods.
[ "$(rpc bdev_malloc_create -b Malloc0 32 512)" = Malloc0 ] && ok "bdev_malloc_create" || bad bdev_malloc_create
rpc bdev_get_bdevs -b Malloc0 | jget 'd[0]["num_blocks"] == 65536 and d[0]["block_size"] == 512 and d[0]["product_name"] == "Malloc disk"' | grep -q True \
	&& ok "bdev_get_bdevs shows the size" || bad "bdev_get_bdevs size"
[ "$(rpc bdev_malloc_create 8 4096)" = Malloc1 ] && ok "bdev_malloc_create picks the next free name" || bad "malloc auto name"
expect_err "bdev_malloc_create with block size 513" "block_size 513" bdev_malloc_create -b Bad 8 513
expect_err "bdev_malloc_create twice" "already exists" bdev_malloc_create -b Malloc0 8 512
[ "$(rpc bdev_null_create Null0 16 4096)" = Null0 ] && rpc bdev_get_bdevs -b Null0 | jget 'd[0]["num_blocks"]' | grep -qx 4096 && ok "bdev_null_create" || bad bdev_null_create
[ "$(rpc bdev_split_create Malloc1 4 | tr -s ' \n' ' ')" = "Malloc1p0 Malloc1p1 Malloc1p2 Malloc1p3 " ] && ok bdev_split_create || bad bdev_split_create
rpc bdev_get_bdevs -b Malloc1 | jget 'd[0]["claimed"]' | grep -q True && ok "the split base shows as claimed" || bad "split base claimed"
[ "$(rpc bdev_passthru_create -b Malloc1p0 -p PT0)" = PT0 ] && ok bdev_passthru_create || bad bdev_passthru_create
rpc bdev_error_create Malloc0 >/dev/null && rpc bdev_get_bdevs -b EE_Malloc0 >/dev/null && ok bdev_error_create || bad bdev_error_create
rpc bdev_error_inject_error EE_Malloc0 write failure -n 3 && ok bdev_error_inject_error || bad bdev_error_inject_error
expect_err "bdev_error_inject_error on a missing bdev" "not found" bdev_error_inject_error EE_Nope read failure
rpc bdev_error_inject_error EE_Malloc0 write pending -n 2 -q 4 && rpc bdev_error_inject_error EE_Malloc0 all corrupt_data -o 9 -v 255 \
	&& rpc bdev_error_inject_error EE_Malloc0 read nomem && rpc bdev_error_inject_error EE_Malloc0 clear failure \
	&& ok "bdev_error_inject_error pending (queue_depth), corrupt_data, nomem, clear" || bad "bdev_error_inject_error modes"
expect_err "bdev_error_inject_error corrupt_data without a value" "non-zero" bdev_error_inject_error EE_Malloc0 read corrupt_data -o 8
expect_err "bdev_error_inject_error nvme_failure" "not supported" bdev_error_inject_error EE_Malloc0 read nvme_failure
expect_err "bdev_error_inject_error with nvme_sc on failure" "nvme_failure" bdev_error_inject_error EE_Malloc0 read failure --nvme-sc 2
rpc bdev_error_resume_pending EE_Malloc0 && ok bdev_error_resume_pending || bad bdev_error_resume_pending
expect_err "bdev_error_resume_pending of a missing bdev" "not found" bdev_error_resume_pending EE_Nope
[ "$(rpc bdev_delay_create -b Null0 -d Delay0 -r 100 -t 200 -w 300 -n 400)" = Delay0 ] && ok bdev_delay_create || bad bdev_delay_create
rpc bdev_delay_update_latency Delay0 avg_read 150 && rpc bdev_get_bdevs -b Delay0 | jget 'd[0]["driver_specific"]["delay"]["avg_read_latency"]' | grep -qx 150 \
	&& ok bdev_delay_update_latency || bad bdev_delay_update_latency
expect_err "bdev_delay_update_latency above its p99" "below" bdev_delay_update_latency Delay0 avg_read 250
rpc bdev_get_iostat --names Malloc0 | jget 'd["bdevs"][0]["name"] == "Malloc0" and d["tick_rate"] > 0' | grep -q True && ok bdev_get_iostat || bad bdev_get_iostat
rpc bdev_get_iostat | jget 'len(d["bdevs"])' | grep -qx "$(rpc bdev_get_bdevs | jget 'len(d)')" && ok "bdev_get_iostat of every bdev" || bad "bdev_get_iostat all"
expect_err "bdev_get_iostat of a missing bdev" "not found" bdev_get_iostat --names Nope
rpc bdev_set_qos_limit Malloc0 --rw-ios-per-sec 10000 --w-mbytes-per-sec 50 \
	&& rpc bdev_get_bdevs -b Malloc0 | jget 'd[0]["assigned_rate_limits"] == {"rw_ios_per_sec": 10000, "rw_mbytes_per_sec": 0, "r_mbytes_per_sec": 0, "w_mbytes_per_sec": 50}' | grep -q True \
	&& ok "bdev_set_qos_limit shows in assigned_rate_limits" || bad bdev_set_qos_limit
expect_err "bdev_set_qos_limit with 1500 IOPS" "multiple of 1000" bdev_set_qos_limit Malloc0 --rw-ios-per-sec 1500
rpc bdev_wait_for_examine && ok bdev_wait_for_examine || bad bdev_wait_for_examine
expect_err "bdev_examine with bdev_auto_examine on" "not allowed if auto examine is enabled" bdev_examine -b Malloc0
# Latency histograms: the result decodes to (max_range - min_range + 1) << granularity counters.
hsum='(lambda b: (len(b) // 8 == (d["max_range"] - d["min_range"] + 1) << d["granularity"], sum(__import__("struct").unpack("<%dQ" % (len(b) // 8), b))))(__import__("base64").b64decode(d["histogram"]))'
rpc bdev_enable_histogram --histogram Malloc0 >/dev/null && rpc bdev_get_histogram Malloc0 | jget 'd["granularity"] == 7 and d["min_range"] == 0 and d["max_range"] == 57 and d["tsc_rate"] > 0' | grep -q True \
	&& ok "bdev_enable_histogram / bdev_get_histogram (default shape)" || bad "bdev_get_histogram default"
[ "$(rpc bdev_get_histogram Malloc0 | jget "$hsum")" = "(True, 0)" ] && ok "bdev_get_histogram: no I/O, no counts" || bad "bdev_get_histogram counts"
rpc bdev_enable_histogram --no-histogram Malloc0 >/dev/null && ok "bdev_enable_histogram --no-histogram" || bad "histogram disable"
expect_err "bdev_get_histogram with histograms off" "Bad address" bdev_get_histogram Malloc0
expect_err "bdev_enable_histogram with an unknown opc" "Invalid IO type" bdev_enable_histogram --histogram --opc frobnicate Malloc0
expect_err "bdev_get_histogram of a missing bdev" "not found" bdev_get_histogram Nope
expect_err "bdev_get_bdevs of a missing bdev (waiting 200 ms)" "not found" bdev_get_bdevs -b Nope -t 200
rpc thread_get_io_channels | jget 'd["threads"][0]["name"]' | grep -q app_thread && ok thread_get_io_channels || bad thread_get_io_channels
expect_err "bdev_set_options after init" "before framework is initialized" bdev_set_options -p 1023

# The nvme module on this host (no NVMe controller here: the VM tests attach
# QEMU's): options, errors naming what is wrong, nothing left behind.
rpc bdev_nvme_set_options --bdev-retry-count 5 --timeout-us 2000000 --action-on-timeout reset \
	&& rpc framework_get_config bdev | jget '[x["params"] for x in d if x["method"] == "bdev_nvme_set_options"][0]["bdev_retry_count"] == 5' | grep -q True \
	&& ok "bdev_nvme_set_options shows in the bdev config" || bad bdev_nvme_set_options
expect_err "bdev_nvme_set_options with an unknown action" "invalid choice|not none, reset or abort" bdev_nvme_set_options --action-on-timeout explode
expect_err "bdev_nvme_set_options with RDMA options" "not supported" bdev_nvme_set_options --rdma-srq-size 64
expect_err "bdev_nvme_attach_controller over TCP" "only PCIe" bdev_nvme_attach_controller -b NvmeT -t tcp -a 127.0.0.1 -s 4420 -f ipv4 -n nqn.2016-06.io.spdk:cnode1
expect_err "bdev_nvme_attach_controller on a missing device" "0000:7f:1f.7" bdev_nvme_attach_controller -b NvmeX -t pcie -a 0000:7f:1f.7
expect_err "bdev_nvme_attach_controller with a bad address" "is not a PCI address" bdev_nvme_attach_controller -b NvmeX -t pcie -a 12:zz
rpc bdev_nvme_get_controllers | jget 'd == []' | grep -q True && ok "bdev_nvme_get_controllers: none attached" || bad "bdev_nvme_get_controllers"
expect_err "bdev_nvme_get_controllers of a missing controller" "not found" bdev_nvme_get_controllers -n NvmeX
expect_err "bdev_nvme_detach_controller of a missing controller" "not found" bdev_nvme_detach_controller NvmeX
expect_err "bdev_nvme_reset_controller of a missing controller" "not found" bdev_nvme_reset_controller NvmeX

# File-backed bdevs (aio, uring) and raid bdevs.
truncate -s 16M "$work/aio.img"
truncate -s 16M "$work/uring.img"
[ "$(rpc bdev_aio_create "$work/aio.img" Aio0 512)" = Aio0 ] \
	&& rpc bdev_get_bdevs -b Aio0 | jget 'd[0]["num_blocks"] == 32768 and d[0]["driver_specific"]["aio"]["filename"].endswith("aio.img")' | grep -q True \
	&& ok "bdev_aio_create" || bad bdev_aio_create
truncate -s 32M "$work/aio.img"
rpc bdev_aio_rescan Aio0 && rpc bdev_get_bdevs -b Aio0 | jget 'd[0]["num_blocks"]' | grep -qx 65536 && ok "bdev_aio_rescan sees the grown file" || bad bdev_aio_rescan
expect_err "bdev_aio_create on a missing file" "No such file" bdev_aio_create "$work/none.img" Aio9
[ "$(rpc bdev_uring_create "$work/uring.img" Uring0 4096)" = Uring0 ] && rpc bdev_get_bdevs -b Uring0 | jget 'd[0]["num_blocks"]' | grep -qx 4096 \
	&& ok "bdev_uring_create" || bad bdev_uring_create
rpc bdev_null_resize Null0 32 && rpc bdev_get_bdevs -b Null0 | jget 'd[0]["num_blocks"]' | grep -qx 8192 && ok "bdev_null_resize" || bad bdev_null_resize
for m in Ra Rb Rc Rd Re; do rpc bdev_malloc_create -b $m 8 512 >/dev/null; done
rpc bdev_raid_create -n Raid0 -z 64 -r raid0 -b "Ra Rb" && rpc bdev_get_bdevs -b Raid0 | jget 'd[0]["num_blocks"] == 32768 and d[0]["driver_specific"]["raid"]["raid_level"] == "raid0"' | grep -q True \
	&& ok "bdev_raid_create raid0" || bad "bdev_raid_create raid0"
rpc bdev_raid_create -n Raid1 -r raid1 -b "Rc Rd" && ok "bdev_raid_create raid1" || bad "bdev_raid_create raid1"
rpc bdev_raid_get_bdevs online | jget 'sorted(r["name"] for r in d)' | grep -q "\['Raid0', 'Raid1'\]" && ok "bdev_raid_get_bdevs online" || bad bdev_raid_get_bdevs
expect_err "bdev_raid_create with strip size 3" "power of two" bdev_raid_create -n RaidX -z 3 -r raid0 -b "Re"
rpc bdev_raid_remove_base_bdev Rd && rpc bdev_raid_get_bdevs all | jget '[r["num_base_bdevs_operational"] for r in d if r["name"] == "Raid1"][0]' | grep -qx 1 \
	&& ok "bdev_raid_remove_base_bdev degrades raid1" || bad bdev_raid_remove_base_bdev
rpc bdev_enable_histogram --histogram --opc write --granularity 5 --min-nsec 1000 Re >/dev/null || bad "histogram on Re"
rpc bdev_raid_add_base_bdev Raid1 Re && ok "bdev_raid_add_base_bdev (rebuild onto Re)" || bad bdev_raid_add_base_bdev
for _ in $(seq 50); do
	[ "$(rpc bdev_raid_get_bdevs all | jget '[r["num_base_bdevs_operational"] for r in d if r["name"] == "Raid1"][0]')" = 2 ] && break
	sleep 0.1
done
[ "$(rpc bdev_raid_get_bdevs all | jget '[r["num_base_bdevs_operational"] for r in d if r["name"] == "Raid1"][0]')" = 2 ] && ok "the rebuild completes" || bad "rebuild did not complete"
rpc bdev_get_histogram Re | jget "d['granularity'] == 5 and d['min_range'] > 0 and $hsum[0] and $hsum[1] > 0" | grep -q True \
	&& ok "bdev_get_histogram counts the rebuild's writes" || bad "histogram of rebuild writes"
rpc bdev_raid_delete Raid1 && rpc bdev_malloc_delete Rc && rpc bdev_malloc_delete Rd && rpc bdev_malloc_delete Re && ok "bdev_raid_delete" || bad bdev_raid_delete

# Discovery referrals (they join the save_config round trips below).
far=nqn.2016-06.io.spdk:far
rpc nvmf_discovery_add_referral -t tcp -a 192.0.2.30 -s 8009 && ok "nvmf_discovery_add_referral" || bad nvmf_discovery_add_referral
rpc nvmf_discovery_add_referral -t tcp -f ipv4 -a 192.0.2.30 -s 4420 -n "$far" && ok "nvmf_discovery_add_referral to a subsystem" || bad "nvmf_discovery_add_referral -n"
rpc nvmf_discovery_add_referral -t tcp -a 192.0.2.30 -s 8009 && ok "nvmf_discovery_add_referral of an existing referral succeeds (as SPDK)" || bad "repeated add"
rpc nvmf_discovery_get_referrals | jget "[(r['address']['trtype'], r['address']['adrfam'], r['address']['traddr'], r['address']['trsvcid'], r['subnqn'], r['secure_channel']) for r in d] == [('TCP', 'IPv4', '192.0.2.30', '4420', '$far', False), ('TCP', 'IPv4', '192.0.2.30', '8009', 'nqn.2014-08.org.nvmexpress.discovery', False)]" | grep -q True \
	&& ok "nvmf_discovery_get_referrals" || { rpc nvmf_discovery_get_referrals; bad nvmf_discovery_get_referrals; }
expect_err "nvmf_discovery_add_referral with a secure channel" "TLS" nvmf_discovery_add_referral -t tcp -a 192.0.2.30 -s 8010 -k
expect_err "nvmf_discovery_add_referral without trsvcid" "trsvcid" nvmf_discovery_add_referral -t tcp -a 192.0.2.30
expect_err "nvmf_discovery_add_referral with a bad subnqn" "not valid" nvmf_discovery_add_referral -t tcp -a 192.0.2.30 -s 8010 -n bogus
expect_err "nvmf_discovery_add_referral on another target" "tgt_name" nvmf_discovery_add_referral -t tcp -a 192.0.2.30 -s 8010 -p other
expect_err "nvmf_discovery_remove_referral of a missing referral" "no referral" nvmf_discovery_remove_referral -t tcp -a 192.0.2.30 -s 8011
expect_err "nvmf_discovery_remove_referral with another subnqn" "no referral" nvmf_discovery_remove_referral -t tcp -a 192.0.2.30 -s 4420
rpc nvmf_discovery_add_referral -t tcp -a 192.0.2.31 -s 8009 && rpc nvmf_discovery_remove_referral -t tcp -a 192.0.2.31 -s 8009 \
	&& rpc nvmf_discovery_get_referrals | jget 'len(d) == 2 and all(r["address"]["traddr"] == "192.0.2.30" for r in d)' | grep -q True \
	&& ok "nvmf_discovery_remove_referral" || bad nvmf_discovery_remove_referral
rpc framework_get_config nvmf | jget '[x["params"]["address"]["trsvcid"] for x in d if x["method"] == "nvmf_discovery_add_referral"] == ["8009", "4420"]' | grep -q True \
	&& ok "framework_get_config nvmf lists the referrals, oldest first" || { rpc framework_get_config nvmf; bad "referrals in framework_get_config"; }

# The NVMe/TCP transport with zero copy (it joins the round trips too).
rpc nvmf_create_transport -t TCP --zcopy -c 4096 && rpc nvmf_get_transports | jget 'd[0]["trtype"] == "TCP" and d[0]["zcopy"] is True' | grep -q True \
	&& ok "nvmf_create_transport --zcopy" || { rpc nvmf_get_transports; bad "nvmf_create_transport --zcopy"; }

# save_config, then a restart with --json on it: the same configuration.
rpc save_config >"$work/saved1.json"
"$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); m=[x["method"] for s in c["subsystems"] if s["subsystem"]=="bdev" for x in s["config"]]; print(m)' "$work/saved1.json" \
	| grep -q "'bdev_malloc_create', 'bdev_set_qos_limit', 'bdev_malloc_create', 'bdev_null_create', 'bdev_split_create', 'bdev_passthru_create', 'bdev_error_create', 'bdev_delay_create', 'bdev_aio_create', 'bdev_uring_create', 'bdev_malloc_create', 'bdev_malloc_create', 'bdev_raid_create'" \
	&& ok "save_config lists every object in creation order" || { cat "$work/saved1.json"; bad "save_config order"; }
stop
start --json "$work/saved1.json"
rpc save_config >"$work/saved2.json"
cmp -s "$work/saved1.json" "$work/saved2.json" && ok "restart with --json on the saved config: save_config is equal" || { diff "$work/saved1.json" "$work/saved2.json"; bad "round trip via --json"; }
rpc nvmf_discovery_get_referrals | jget '[r["address"]["trsvcid"] for r in d] == ["4420", "8009"]' | grep -q True && ok "the referrals are back after the restart" || bad "referrals after --json"
rpc nvmf_get_transports | jget 'd[0]["zcopy"] is True' | grep -q True && ok "zcopy is back after the restart" || bad "zcopy after --json"
stop
# load_config into a --wait-for-rpc instance.
start --wait-for-rpc
expect_err "bdev_get_bdevs before framework_start_init" "after framework is initialized" bdev_get_bdevs
rpc rpc_get_methods --current | jget '"framework_start_init" in d and "bdev_set_options" in d and "bdev_malloc_create" not in d' | grep -q True \
	&& ok "before init, only startup methods are current" || bad "startup methods"
rpc load_config <"$work/saved1.json"
rpc save_config >"$work/saved3.json"
cmp -s "$work/saved1.json" "$work/saved3.json" && ok "load_config into --wait-for-rpc: save_config is equal" || { diff "$work/saved1.json" "$work/saved3.json"; bad "round trip via load_config"; }
# Deletes: each object gone afterwards.
rpc bdev_raid_delete Raid0 && rpc bdev_malloc_delete Ra && rpc bdev_malloc_delete Rb && rpc bdev_aio_delete Aio0 && rpc bdev_uring_delete Uring0 \
	&& rpc bdev_delay_delete Delay0 && rpc bdev_error_delete EE_Malloc0 && rpc bdev_passthru_delete PT0 && rpc bdev_split_delete Malloc1 \
	&& rpc bdev_null_delete Null0 && rpc bdev_malloc_delete Malloc0 && rpc bdev_malloc_delete Malloc1 && ok "every delete method" || bad "deletes"
[ "$(rpc bdev_get_bdevs | jget 'len(d)')" = 0 ] && ok "no bdev left after the deletes" || bad "bdevs left: $(rpc bdev_get_bdevs | jget '[b["name"] for b in d]')"
expect_err "bdev_malloc_delete of a missing bdev" "not found" bdev_malloc_delete Malloc0
stop

# --wait-for-rpc then framework_start_init with bdev_set_options first.
start --wait-for-rpc
rpc bdev_set_options -p 1023 --no-auto-examine && rpc framework_start_init && rpc framework_wait_init && rpc framework_get_config bdev | jget 'd[0]["params"]["bdev_io_pool_size"] == 1023 and d[0]["params"]["bdev_auto_examine"] == False' | grep -q True \
	&& ok "bdev_set_options before framework_start_init takes effect (pool size, auto examine off)" || bad "bdev_set_options at startup"
rpc bdev_malloc_create -b M9 8 512 >/dev/null && rpc bdev_examine -b M9 && ok "bdev_examine with auto examine off" || bad bdev_examine
expect_err "bdev_examine twice" "already" bdev_examine -b M9
stop

# A config error at start names the file, the method and the parameter; nothing is left.
cat >"$work/bad.json" <<'JSON'
{"subsystems": [{"subsystem": "bdev", "config": [
  {"method": "bdev_malloc_create", "params": {"name": "Good0", "num_blocks": 64, "block_size": 512}},
  {"method": "bdev_null_create", "params": {"name": "Bad0", "num_blocks": 64, "block_size": 4096, "colour": "red"}}
]}]}
JSON
if out=$("$tgt" -r "$sock" --json "$work/bad.json" 2>&1); then
	bad "a bad config was accepted"
elif grep -q "bad.json: subsystem bdev: method bdev_null_create: unknown parameter 'colour'" <<<"$out"; then
	ok "a config error names file, method and parameter; exit code non-zero"
else
	echo "$out"
	bad "config error message"
fi
[ ! -e "$sock" ] && ok "the socket is removed after a failed start" || bad "socket left behind"
if out=$("$tgt" --json "$work/nonexistent.json" -r "$sock" 2>&1); then bad "a missing config file was accepted"; else grep -q "nonexistent.json" <<<"$out" && ok "a missing config file is named" || bad "missing file message"; fi

# Raw protocol cases.
start --default-config
rpc bdev_get_bdevs -b Malloc0 >/dev/null && ok "--default-config creates Malloc0" || bad "--default-config"
if out=$("$tgt" -r "$sock" 2>&1); then bad "a second target on the same socket started"; else grep -q "in use" <<<"$out" && ok "a second target on the same socket is refused" || { echo "$out"; bad "socket in use message"; }; fi
if "$PY" scripts/rpc/raw_requests.py "$sock"; then ok "raw requests"; else bad "raw requests"; fi
stop

echo "rpc-tests: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
