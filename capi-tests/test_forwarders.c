/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   ABI test through the SPDK-named forwarding headers (spdk/NAME.h) only, the
 *   way an existing SPDK application includes them; rspdk.h is not named.
 *
 *   The sizes and offsets below are numbers worked out by hand from SPDK
 *   v26.01's public declarations for x86_64 (LP64: pointers, size_t, long and
 *   uint64_t are 8 bytes and 8-aligned; int, enums and uint32_t are 4; bool
 *   and uint8_t are 1). They are deliberately literals, not sizeof() of the
 *   header under test, so a layout drift in rspdk's header fails the build.
 */
#include "spdk/stdinc.h"
#include "spdk/env.h"
#include "spdk/thread.h"
#include "spdk/log.h"
#include "spdk/event.h"
#include "spdk/util.h"
#include "spdk/string.h"
#include "spdk/queue.h"
#include "spdk/likely.h"
#include "spdk/crc32.h"
#include "spdk/crc16.h"
#include "spdk/uuid.h"
#include "spdk/cpuset.h"

#include "check.h"

#define MEMBER_SIZE(type, member) sizeof(((type *)0)->member)

#define ASSERT_FIELD(type, member, off, size) \
	_Static_assert(offsetof(type, member) == (off), #type "." #member " offset"); \
	_Static_assert(MEMBER_SIZE(type, member) == (size), #type "." #member " size")

/* --- struct spdk_env_opts: SPDK asserts sizeof == 120 ---------------------- */
_Static_assert(sizeof(struct spdk_env_opts) == 120, "spdk_env_opts size");
_Static_assert(_Alignof(struct spdk_env_opts) == 8, "spdk_env_opts alignment");
ASSERT_FIELD(struct spdk_env_opts, name, 0, 8);
ASSERT_FIELD(struct spdk_env_opts, core_mask, 8, 8);
ASSERT_FIELD(struct spdk_env_opts, lcore_map, 16, 8);
ASSERT_FIELD(struct spdk_env_opts, shm_id, 24, 4);
ASSERT_FIELD(struct spdk_env_opts, mem_channel, 28, 4);
ASSERT_FIELD(struct spdk_env_opts, main_core, 32, 4);
ASSERT_FIELD(struct spdk_env_opts, mem_size, 36, 4);
ASSERT_FIELD(struct spdk_env_opts, no_pci, 40, 1);
ASSERT_FIELD(struct spdk_env_opts, hugepage_single_segments, 41, 1);
ASSERT_FIELD(struct spdk_env_opts, unlink_hugepage, 42, 1);
ASSERT_FIELD(struct spdk_env_opts, no_huge, 43, 1);
ASSERT_FIELD(struct spdk_env_opts, reserved, 44, 4);
ASSERT_FIELD(struct spdk_env_opts, num_pci_addr, 48, 8);
ASSERT_FIELD(struct spdk_env_opts, hugedir, 56, 8);
ASSERT_FIELD(struct spdk_env_opts, pci_blocked, 64, 8);
ASSERT_FIELD(struct spdk_env_opts, pci_allowed, 72, 8);
ASSERT_FIELD(struct spdk_env_opts, iova_mode, 80, 8);
ASSERT_FIELD(struct spdk_env_opts, base_virtaddr, 88, 8);
ASSERT_FIELD(struct spdk_env_opts, env_context, 96, 8);
ASSERT_FIELD(struct spdk_env_opts, vf_token, 104, 8);
ASSERT_FIELD(struct spdk_env_opts, opts_size, 112, 8);

/* --- struct spdk_app_opts: packed; SPDK asserts sizeof == 253 -------------- */
_Static_assert(sizeof(struct spdk_app_opts) == 253, "spdk_app_opts size");
_Static_assert(_Alignof(struct spdk_app_opts) == 1, "spdk_app_opts is packed");
ASSERT_FIELD(struct spdk_app_opts, name, 0, 8);
ASSERT_FIELD(struct spdk_app_opts, json_config_file, 8, 8);
ASSERT_FIELD(struct spdk_app_opts, json_config_ignore_errors, 16, 1);
ASSERT_FIELD(struct spdk_app_opts, reserved17, 17, 7);
ASSERT_FIELD(struct spdk_app_opts, rpc_addr, 24, 8);
ASSERT_FIELD(struct spdk_app_opts, reactor_mask, 32, 8);
ASSERT_FIELD(struct spdk_app_opts, tpoint_group_mask, 40, 8);
ASSERT_FIELD(struct spdk_app_opts, shm_id, 48, 4);
ASSERT_FIELD(struct spdk_app_opts, reserved52, 52, 4);
ASSERT_FIELD(struct spdk_app_opts, shutdown_cb, 56, 8);
ASSERT_FIELD(struct spdk_app_opts, enable_coredump, 64, 1);
ASSERT_FIELD(struct spdk_app_opts, reserved65, 65, 3);
ASSERT_FIELD(struct spdk_app_opts, mem_channel, 68, 4);
ASSERT_FIELD(struct spdk_app_opts, main_core, 72, 4);
ASSERT_FIELD(struct spdk_app_opts, mem_size, 76, 4);
ASSERT_FIELD(struct spdk_app_opts, no_pci, 80, 1);
ASSERT_FIELD(struct spdk_app_opts, hugepage_single_segments, 81, 1);
ASSERT_FIELD(struct spdk_app_opts, unlink_hugepage, 82, 1);
ASSERT_FIELD(struct spdk_app_opts, no_huge, 83, 1);
ASSERT_FIELD(struct spdk_app_opts, reserved84, 84, 4);
ASSERT_FIELD(struct spdk_app_opts, hugedir, 88, 8);
ASSERT_FIELD(struct spdk_app_opts, print_level, 96, 4);
ASSERT_FIELD(struct spdk_app_opts, reserved100, 100, 4);
ASSERT_FIELD(struct spdk_app_opts, num_pci_addr, 104, 8);
ASSERT_FIELD(struct spdk_app_opts, pci_blocked, 112, 8);
ASSERT_FIELD(struct spdk_app_opts, pci_allowed, 120, 8);
ASSERT_FIELD(struct spdk_app_opts, iova_mode, 128, 8);
ASSERT_FIELD(struct spdk_app_opts, delay_subsystem_init, 136, 1);
ASSERT_FIELD(struct spdk_app_opts, reserved137, 137, 7);
ASSERT_FIELD(struct spdk_app_opts, num_entries, 144, 8);
ASSERT_FIELD(struct spdk_app_opts, env_context, 152, 8);
ASSERT_FIELD(struct spdk_app_opts, log, 160, 8);
ASSERT_FIELD(struct spdk_app_opts, base_virtaddr, 168, 8);
ASSERT_FIELD(struct spdk_app_opts, opts_size, 176, 8);
ASSERT_FIELD(struct spdk_app_opts, disable_signal_handlers, 184, 1);
ASSERT_FIELD(struct spdk_app_opts, interrupt_mode, 185, 1);
ASSERT_FIELD(struct spdk_app_opts, enforce_numa, 186, 1);
ASSERT_FIELD(struct spdk_app_opts, reserved187, 187, 1);
ASSERT_FIELD(struct spdk_app_opts, num_trace_threads, 188, 4);
ASSERT_FIELD(struct spdk_app_opts, msg_mempool_size, 192, 8);
ASSERT_FIELD(struct spdk_app_opts, rpc_allowlist, 200, 8);
ASSERT_FIELD(struct spdk_app_opts, vf_token, 208, 8);
ASSERT_FIELD(struct spdk_app_opts, lcore_map, 216, 8);
ASSERT_FIELD(struct spdk_app_opts, rpc_log_level, 224, 4);
ASSERT_FIELD(struct spdk_app_opts, rpc_log_file, 228, 8);
ASSERT_FIELD(struct spdk_app_opts, json_data, 236, 8);
ASSERT_FIELD(struct spdk_app_opts, json_data_size, 244, 8);
ASSERT_FIELD(struct spdk_app_opts, disable_cpumask_locks, 252, 1);

/* --- struct spdk_pci_addr: uint32_t + 3 x uint8_t, padded to 4 ------------- */
_Static_assert(sizeof(struct spdk_pci_addr) == 8, "spdk_pci_addr size");
_Static_assert(_Alignof(struct spdk_pci_addr) == 4, "spdk_pci_addr alignment");
ASSERT_FIELD(struct spdk_pci_addr, domain, 0, 4);
ASSERT_FIELD(struct spdk_pci_addr, bus, 4, 1);
ASSERT_FIELD(struct spdk_pci_addr, dev, 5, 1);
ASSERT_FIELD(struct spdk_pci_addr, func, 6, 1);

/* --- struct spdk_uuid: union { uint8_t raw[16]; } u; SPDK asserts 16 ------- */
_Static_assert(sizeof(struct spdk_uuid) == 16, "spdk_uuid size");
_Static_assert(offsetof(struct spdk_uuid, u.raw) == 0, "spdk_uuid.u.raw offset");
_Static_assert(MEMBER_SIZE(struct spdk_uuid, u.raw) == 16, "spdk_uuid.u.raw size");

/* --- struct spdk_thread_stats: two uint64_t -------------------------------- */
_Static_assert(sizeof(struct spdk_thread_stats) == 16, "spdk_thread_stats size");
ASSERT_FIELD(struct spdk_thread_stats, busy_tsc, 0, 8);
ASSERT_FIELD(struct spdk_thread_stats, idle_tsc, 8, 8);

/* --- struct spdk_mem_map_ops: two function pointers ------------------------ */
_Static_assert(sizeof(struct spdk_mem_map_ops) == 16, "spdk_mem_map_ops size");
ASSERT_FIELD(struct spdk_mem_map_ops, notify_cb, 0, 8);
ASSERT_FIELD(struct spdk_mem_map_ops, are_contiguous, 8, 8);

/* --- struct spdk_cpuset: char str[1024/4 + 1]; uint8_t cpus[1024/8] -------- */
_Static_assert(SPDK_CPUSET_SIZE == 1024, "SPDK_CPUSET_SIZE");
_Static_assert(sizeof(struct spdk_cpuset) == 385, "spdk_cpuset size");
_Static_assert(_Alignof(struct spdk_cpuset) == 1, "spdk_cpuset alignment");
ASSERT_FIELD(struct spdk_cpuset, str, 0, 257);
ASSERT_FIELD(struct spdk_cpuset, cpus, 257, 128);

/* --- struct spdk_log_flag: TAILQ_ENTRY (2 pointers), name, enabled ---------- */
_Static_assert(sizeof(struct spdk_log_flag) == 32, "spdk_log_flag size");
ASSERT_FIELD(struct spdk_log_flag, tailq, 0, 16);
ASSERT_FIELD(struct spdk_log_flag, name, 16, 8);
ASSERT_FIELD(struct spdk_log_flag, enabled, 24, 1);

/* --- Constants and enumerators --------------------------------------------- */
_Static_assert(SPDK_LOG_DISABLED == -1, "SPDK_LOG_DISABLED");
_Static_assert(SPDK_LOG_ERROR == 0, "SPDK_LOG_ERROR");
_Static_assert(SPDK_LOG_WARN == 1, "SPDK_LOG_WARN");
_Static_assert(SPDK_LOG_NOTICE == 2, "SPDK_LOG_NOTICE");
_Static_assert(SPDK_LOG_INFO == 3, "SPDK_LOG_INFO");
_Static_assert(SPDK_LOG_DEBUG == 4, "SPDK_LOG_DEBUG");
_Static_assert(SPDK_RING_TYPE_SP_SC == 0, "SPDK_RING_TYPE_SP_SC");
_Static_assert(SPDK_RING_TYPE_MP_SC == 1, "SPDK_RING_TYPE_MP_SC");
_Static_assert(SPDK_RING_TYPE_MP_MC == 2, "SPDK_RING_TYPE_MP_MC");
_Static_assert(SPDK_MEM_MAP_NOTIFY_REGISTER == 0, "SPDK_MEM_MAP_NOTIFY_REGISTER");
_Static_assert(SPDK_MEM_MAP_NOTIFY_UNREGISTER == 1, "SPDK_MEM_MAP_NOTIFY_UNREGISTER");
_Static_assert(SPDK_POLLER_IDLE == 0, "SPDK_POLLER_IDLE");
_Static_assert(SPDK_POLLER_BUSY == 1, "SPDK_POLLER_BUSY");
_Static_assert(SPDK_APP_PARSE_ARGS_HELP == 0, "SPDK_APP_PARSE_ARGS_HELP");
_Static_assert(SPDK_APP_PARSE_ARGS_SUCCESS == 1, "SPDK_APP_PARSE_ARGS_SUCCESS");
_Static_assert(SPDK_APP_PARSE_ARGS_FAIL == 2, "SPDK_APP_PARSE_ARGS_FAIL");
_Static_assert(SPDK_MALLOC_DMA == 0x01, "SPDK_MALLOC_DMA");
_Static_assert(SPDK_MALLOC_SHARE == 0x02, "SPDK_MALLOC_SHARE");
_Static_assert(SPDK_VTOPHYS_ERROR == 0xFFFFFFFFFFFFFFFFULL, "SPDK_VTOPHYS_ERROR");
_Static_assert(SPDK_ENV_NUMA_ID_ANY == -1, "SPDK_ENV_NUMA_ID_ANY");
_Static_assert(SPDK_ENV_SOCKET_ID_ANY == -1, "SPDK_ENV_SOCKET_ID_ANY");
_Static_assert(SPDK_ENV_LCORE_ID_ANY == UINT32_MAX, "SPDK_ENV_LCORE_ID_ANY");
_Static_assert(SPDK_MEMPOOL_DEFAULT_CACHE_SIZE == SIZE_MAX, "SPDK_MEMPOOL_DEFAULT_CACHE_SIZE");
_Static_assert(SPDK_MAX_MEMPOOL_NAME_LEN == 29, "SPDK_MAX_MEMPOOL_NAME_LEN");
_Static_assert(SPDK_MAX_MEMZONE_NAME_LEN == 32, "SPDK_MAX_MEMZONE_NAME_LEN");
_Static_assert(SPDK_UUID_STRING_LEN == 37, "SPDK_UUID_STRING_LEN");

struct fw_node {
	int v;
	TAILQ_ENTRY(fw_node) link;
};
TAILQ_HEAD(fw_head, fw_node);

int
main(void)
{
	struct spdk_env_opts env_opts;
	struct spdk_app_opts app_opts;
	struct spdk_uuid uuid;
	struct spdk_cpuset *set;
	struct fw_head head;
	struct fw_node nodes[3], *n, *tmp;
	int count = 0;

	/* Run-time counterpart of the layout checks. */
	memset(&env_opts, 0, sizeof(env_opts));
	spdk_env_opts_init(&env_opts);
	CHECK_EQ_U(env_opts.opts_size, 120);
	CHECK_EQ_I(env_opts.shm_id, -1);

	memset(&app_opts, 0, sizeof(app_opts));
	spdk_app_opts_init(&app_opts, sizeof(app_opts));
	CHECK_EQ_U(app_opts.opts_size, 253);
	CHECK_EQ_I(app_opts.shm_id, -1);
	CHECK_STREQ(app_opts.rpc_addr, SPDK_DEFAULT_RPC_ADDR);

	/* One call through each forwarding header. */
	CHECK(spdk_log_get_level() >= SPDK_LOG_DISABLED);
	CHECK_EQ_U(spdk_u32log2(1024), 10);
	CHECK_STREQ(spdk_strerror(EINVAL), "Invalid argument");
	CHECK_EQ_U(spdk_crc32c_update("123456789", 9, ~0u) ^ ~0u, 0xE3069283u);
	CHECK_EQ_U(spdk_crc16_t10dif(0, "123456789", 9), 0xD0DBu);
	memset(&uuid, 0, sizeof(uuid));
	CHECK(spdk_uuid_is_null(&uuid));
	set = spdk_cpuset_alloc();
	if (CHECK(set != NULL)) {
		CHECK_EQ_I(spdk_cpuset_parse(set, "0x3"), 0);
		CHECK_EQ_U(spdk_cpuset_count(set), 2);
		spdk_cpuset_free(set);
	}
	CHECK_EQ_U(spdk_thread_get_count(), 0);
	CHECK(spdk_likely(count == 0));
	CHECK(!spdk_unlikely(count != 0));

	TAILQ_INIT(&head);
	for (count = 0; count < 3; count++) {
		nodes[count].v = count;
		TAILQ_INSERT_TAIL(&head, &nodes[count], link);
	}
	count = 0;
	TAILQ_FOREACH_SAFE(n, &head, link, tmp) {
		TAILQ_REMOVE(&head, n, link);
		count++;
	}
	CHECK_EQ_I(count, 3);
	CHECK(TAILQ_EMPTY(&head));
	CHECK(SPDK_CONTAINEROF(&nodes[1].link, struct fw_node, link) == &nodes[1]);

	return CHECK_DONE("forwarders");
}
