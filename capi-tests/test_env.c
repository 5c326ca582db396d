/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   C API test of the environment library (spdk/env.h): options, DMA-safe
 *   allocation, address translation, memory maps, mempools, rings, ticks,
 *   cores and PCI address helpers. Only the public header is used.
 */
#include "rspdk.h"

#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>

#include "check.h"

#define T_KB (1024ULL)
#define T_MB (1024ULL * 1024ULL)
#define T_2MB (2ULL * T_MB)

/* ------------------------------------------------------------------------- */
/* Options and initialization                                                */
/* ------------------------------------------------------------------------- */

static void
test_opts_defaults(void)
{
	struct spdk_env_opts opts;

	memset(&opts, 0, sizeof(opts));
	spdk_env_opts_init(&opts);

	CHECK_EQ_U(opts.opts_size, sizeof(struct spdk_env_opts));
	CHECK_EQ_I(opts.shm_id, -1);
	CHECK_STREQ(opts.name, "spdk");
	CHECK_STREQ(opts.core_mask, "0x1");
	CHECK_EQ_I(opts.mem_size, -1);
	CHECK_EQ_I(opts.main_core, -1);
	CHECK_EQ_I(opts.mem_channel, -1);
	CHECK(opts.no_pci == false);
	CHECK(opts.lcore_map == NULL);
	CHECK(opts.pci_allowed == NULL);
	CHECK(opts.pci_blocked == NULL);
	CHECK_EQ_U(opts.num_pci_addr, 0);

	/* NULL must be tolerated. */
	spdk_env_opts_init(NULL);
}

static int
init_env(void)
{
	struct spdk_env_opts opts;
	int rc;

	memset(&opts, 0, sizeof(opts));
	spdk_env_opts_init(&opts);
	opts.name = "test_env";
	opts.core_mask = "0x1";
	opts.no_pci = true;
	opts.mem_size = 64;

	rc = spdk_env_init(&opts);
	CHECK_EQ_I(rc, 0);
	return rc;
}

/* ------------------------------------------------------------------------- */
/* Allocation                                                                */
/* ------------------------------------------------------------------------- */

static bool
all_bytes(const void *buf, size_t len, uint8_t val)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != val) {
			return false;
		}
	}
	return true;
}

static void
fill_pattern(void *buf, size_t len, uint32_t seed)
{
	uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		p[i] = (uint8_t)((i * 31u + seed) & 0xff);
	}
}

static bool
has_pattern(const void *buf, size_t len, uint32_t seed)
{
	const uint8_t *p = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] != (uint8_t)((i * 31u + seed) & 0xff)) {
			return false;
		}
	}
	return true;
}

static void
test_malloc(void)
{
	const size_t aligns[] = { 0, 64, 4096, (size_t)T_2MB };
	uint64_t phys = 0;
	size_t i;
	void *p, *q, *r;

	for (i = 0; i < SPDK_COUNTOF(aligns); i++) {
		size_t want = aligns[i] ? aligns[i] : 64; /* at least a cache line */

		p = spdk_malloc(1000, aligns[i], NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
		if (!CHECK(p != NULL)) {
			continue;
		}
		CHECK_EQ_U((uintptr_t)p % want, 0);
		fill_pattern(p, 1000, (uint32_t)i);
		CHECK(has_pattern(p, 1000, (uint32_t)i));
		spdk_free(p);
	}

	/* zmalloc returns zeroed memory even where a dirty buffer was freed. */
	p = spdk_malloc(64 * T_KB, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	if (CHECK(p != NULL)) {
		memset(p, 0xff, 64 * T_KB);
		spdk_free(p);
	}
	p = spdk_zmalloc(64 * T_KB, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	if (CHECK(p != NULL)) {
		CHECK_EQ_U((uintptr_t)p % 4096, 0);
		CHECK(all_bytes(p, 64 * T_KB, 0));
		spdk_free(p);
	}

	/* realloc keeps contents (grow, then shrink) and honours alignment. */
	p = spdk_malloc(256, 64, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	if (CHECK(p != NULL)) {
		fill_pattern(p, 256, 7);
		q = spdk_realloc(p, T_MB, 4096);
		if (CHECK(q != NULL)) {
			CHECK_EQ_U((uintptr_t)q % 4096, 0);
			CHECK(has_pattern(q, 256, 7));
			memset((uint8_t *)q + 256, 0xee, T_MB - 256);
			r = spdk_realloc(q, 128, 0);
			if (CHECK(r != NULL)) {
				CHECK_EQ_U((uintptr_t)r % 64, 0);
				CHECK(has_pattern(r, 128, 7));
				spdk_free(r);
			} else {
				spdk_free(q);
			}
		} else {
			spdk_free(p);
		}
	}

	/* The "unused" physical address out-parameter is invalid: non-NULL fails. */
	CHECK(spdk_malloc(64, 0, &phys, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA) == NULL);
	CHECK(spdk_zmalloc(64, 0, &phys, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA) == NULL);
	CHECK(spdk_dma_malloc(64, 0, &phys) == NULL);
	CHECK(spdk_dma_zmalloc(64, 0, &phys) == NULL);
	/* At least one SPDK_MALLOC flag must be given. */
	CHECK(spdk_malloc(64, 0, NULL, SPDK_ENV_NUMA_ID_ANY, 0) == NULL);

	/* Freeing NULL is a no-op. */
	spdk_free(NULL);
	spdk_dma_free(NULL);

	/* The legacy spdk_dma_* family. */
	p = spdk_dma_malloc(4096, 4096, NULL);
	if (CHECK(p != NULL)) {
		CHECK_EQ_U((uintptr_t)p % 4096, 0);
		fill_pattern(p, 4096, 3);
		q = spdk_dma_realloc(p, 16 * T_KB, 4096, NULL);
		if (CHECK(q != NULL)) {
			CHECK_EQ_U((uintptr_t)q % 4096, 0);
			CHECK(has_pattern(q, 4096, 3));
			spdk_dma_free(q);
		} else {
			spdk_dma_free(p);
		}
	}
	p = spdk_dma_malloc(8192, 0, NULL);
	if (CHECK(p != NULL)) {
		memset(p, 0x5a, 8192);
		spdk_dma_free(p);
	}
	p = spdk_dma_zmalloc(8192, 0, NULL);
	if (CHECK(p != NULL)) {
		CHECK_EQ_U((uintptr_t)p % 64, 0);
		CHECK(all_bytes(p, 8192, 0));
		spdk_dma_free(p);
	}
	p = spdk_dma_malloc_socket(512, 512, NULL, SPDK_ENV_NUMA_ID_ANY);
	if (CHECK(p != NULL)) {
		CHECK_EQ_U((uintptr_t)p % 512, 0);
		spdk_dma_free(p);
	}
	p = spdk_dma_zmalloc_socket(512, 0, NULL, SPDK_ENV_NUMA_ID_ANY);
	if (CHECK(p != NULL)) {
		CHECK(all_bytes(p, 512, 0));
		spdk_dma_free(p);
	}
}

static void
test_vtophys(void)
{
	uint64_t pa, pa2, size;
	int on_stack = 0;
	uint8_t *p;
	void *heap;

	p = spdk_malloc(8192, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	if (!CHECK(p != NULL)) {
		return;
	}
	size = 8192;
	pa = spdk_vtophys(p, &size);
	CHECK(pa != SPDK_VTOPHYS_ERROR);
	CHECK(size > 0 && size <= 8192);

	pa2 = spdk_vtophys(p + 100, NULL);
	CHECK(pa2 != SPDK_VTOPHYS_ERROR);
	CHECK_EQ_U(pa2, pa + 100);

	pa2 = spdk_vtophys(p + 4095, NULL);
	CHECK_EQ_U(pa2, pa + 4095);
	spdk_free(p);

	/* Memory that was never registered has no translation. */
	CHECK(spdk_vtophys(&on_stack, NULL) == SPDK_VTOPHYS_ERROR);
	heap = malloc(64);
	if (CHECK(heap != NULL)) {
		CHECK(spdk_vtophys(heap, NULL) == SPDK_VTOPHYS_ERROR);
		free(heap);
	}
}

static void
test_mem_size_limit(void)
{
	void *a, *b;

	/* The environment was started with mem_size 64 (MB). */
	a = spdk_malloc(40 * T_MB, 0, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	CHECK(a != NULL);
	b = spdk_malloc(40 * T_MB, 0, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	CHECK(b == NULL);
	spdk_free(b);
	spdk_free(a);

	/* Freed memory is available again. */
	b = spdk_zmalloc(40 * T_MB, 0, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	CHECK(b != NULL);
	spdk_free(b);

	CHECK(spdk_malloc(128 * T_MB, 0, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA) == NULL);
	CHECK(spdk_dma_malloc(128 * T_MB, 0, NULL) == NULL);
}

/* ------------------------------------------------------------------------- */
/* Registration and memory maps                                              */
/* ------------------------------------------------------------------------- */

#define T_DEFAULT_TRANSLATION 0xdead0000ULL
#define T_TRANSLATION 0x123400000ULL

struct map_ctx {
	uintptr_t lo, hi;		/* the region under test */
	bool set_translation;		/* whether notify sets/clears translations */
	int reg_calls, unreg_calls, other_calls;
	uint64_t reg_bytes, unreg_bytes;
	uintptr_t first_reg_vaddr;
	int translation_rc;
};

static int
map_notify(void *cb_ctx, struct spdk_mem_map *map, enum spdk_mem_map_notify_action action,
	   void *vaddr, size_t size)
{
	struct map_ctx *c = cb_ctx;
	uintptr_t v = (uintptr_t)vaddr;
	uintptr_t s, e;
	int rc = 0;

	if (v + size <= c->lo || v >= c->hi) {
		/* Some other registration, e.g. the environment's own memory. */
		c->other_calls++;
		return 0;
	}
	s = spdk_max(v, c->lo);
	e = spdk_min(v + size, c->hi);

	if (action == SPDK_MEM_MAP_NOTIFY_REGISTER) {
		if (c->reg_calls == 0) {
			c->first_reg_vaddr = s;
		}
		c->reg_calls++;
		c->reg_bytes += e - s;
		if (c->set_translation) {
			rc = spdk_mem_map_set_translation(map, s, e - s, T_TRANSLATION);
		}
	} else if (action == SPDK_MEM_MAP_NOTIFY_UNREGISTER) {
		c->unreg_calls++;
		c->unreg_bytes += e - s;
		if (c->set_translation) {
			rc = spdk_mem_map_clear_translation(map, s, e - s);
		}
	}
	if (rc != 0) {
		c->translation_rc = rc;
	}
	return 0;
}

static void
test_mem_map(void)
{
	const struct spdk_mem_map_ops ops = { .notify_cb = map_notify, .are_contiguous = NULL };
	struct map_ctx c1, c2;
	struct spdk_mem_map *map1, *map2;
	uint64_t size, t;
	uint8_t *raw, *region;
	size_t raw_len = 6 * T_MB;
	int on_stack = 0;
	int rc;

	raw = mmap(NULL, raw_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!CHECK(raw != MAP_FAILED)) {
		return;
	}
	region = (uint8_t *)(((uintptr_t)raw + T_2MB - 1) & ~(uintptr_t)(T_2MB - 1));
	memset(region, 0x11, 4 * T_MB);

	memset(&c1, 0, sizeof(c1));
	c1.lo = (uintptr_t)region;
	c1.hi = (uintptr_t)region + 4 * T_MB;
	c1.set_translation = true;
	c2 = c1;
	c2.set_translation = false;

	map1 = spdk_mem_map_alloc(T_DEFAULT_TRANSLATION, &ops, &c1);
	if (!CHECK(map1 != NULL)) {
		munmap(raw, raw_len);
		return;
	}
	CHECK_EQ_I(c1.reg_calls, 0);

	/* Unaligned address or length is rejected and notifies nobody. */
	CHECK_EQ_I(spdk_mem_register(region + 4096, T_2MB), -EINVAL);
	CHECK_EQ_I(spdk_mem_register(region, 4096), -EINVAL);
	CHECK_EQ_I(spdk_mem_register(region, T_2MB + 4096), -EINVAL);
	CHECK_EQ_I(c1.reg_calls, 0);

	rc = spdk_mem_register(region, 4 * T_MB);
	CHECK_EQ_I(rc, 0);
	CHECK(c1.reg_calls >= 1);
	CHECK_EQ_U(c1.reg_bytes, 4 * T_MB);
	CHECK_EQ_U(c1.first_reg_vaddr, (uintptr_t)region);
	CHECK_EQ_I(c1.translation_rc, 0);

	/* Registering an already registered range fails. */
	CHECK(spdk_mem_register(region, T_2MB) < 0);

	/* Translation set in the notify callback; size is clipped to the 2MB page. */
	size = 4 * T_MB;
	t = spdk_mem_map_translate(map1, (uint64_t)(uintptr_t)(region + 4096), &size);
	CHECK_EQ_U(t, T_TRANSLATION);
	CHECK_EQ_U(size, T_2MB - 4096);
	size = 100;
	t = spdk_mem_map_translate(map1, (uint64_t)(uintptr_t)(region + T_2MB + 8), &size);
	CHECK_EQ_U(t, T_TRANSLATION);
	CHECK_EQ_U(size, 100);
	CHECK_EQ_U(spdk_mem_map_translate(map1, (uint64_t)(uintptr_t)region, NULL), T_TRANSLATION);
	CHECK_EQ_U(spdk_mem_map_translate(map1, (uint64_t)(uintptr_t)&on_stack, NULL),
		   T_DEFAULT_TRANSLATION);

	/* A map created after the registration is told about it, and told again on free. */
	map2 = spdk_mem_map_alloc(0, &ops, &c2);
	if (CHECK(map2 != NULL)) {
		CHECK(c2.reg_calls >= 1);
		CHECK_EQ_U(c2.reg_bytes, 4 * T_MB);
		CHECK_EQ_U(spdk_mem_map_translate(map2, (uint64_t)(uintptr_t)region, NULL), 0);
		spdk_mem_map_free(&map2);
		CHECK(map2 == NULL);
		CHECK_EQ_U(c2.unreg_bytes, 4 * T_MB);
	}

	/* Explicit clear / set. */
	CHECK_EQ_I(spdk_mem_map_clear_translation(map1, (uint64_t)(uintptr_t)region, 4 * T_MB), 0);
	CHECK_EQ_U(spdk_mem_map_translate(map1, (uint64_t)(uintptr_t)(region + 10), NULL),
		   T_DEFAULT_TRANSLATION);
	CHECK_EQ_I(spdk_mem_map_set_translation(map1, (uint64_t)(uintptr_t)(region + 4096), T_2MB, 1),
		   -EINVAL);
	CHECK_EQ_I(spdk_mem_map_set_translation(map1, (uint64_t)(uintptr_t)region, 4096, 1), -EINVAL);
	CHECK_EQ_I(spdk_mem_map_set_translation(map1, (uint64_t)(uintptr_t)region, 4 * T_MB,
						T_TRANSLATION), 0);
	CHECK_EQ_U(spdk_mem_map_translate(map1, (uint64_t)(uintptr_t)(region + 3 * T_MB), NULL),
		   T_TRANSLATION);

	/* Unregister notifies UNREGISTER; the callback clears the translation. */
	CHECK_EQ_I(spdk_mem_unregister(region, 4 * T_MB), 0);
	CHECK(c1.unreg_calls >= 1);
	CHECK_EQ_U(c1.unreg_bytes, 4 * T_MB);
	CHECK_EQ_I(c1.translation_rc, 0);
	CHECK_EQ_U(spdk_mem_map_translate(map1, (uint64_t)(uintptr_t)region, NULL),
		   T_DEFAULT_TRANSLATION);

	/* Unregistering what is not registered fails. */
	CHECK(spdk_mem_unregister(region, T_2MB) < 0);

	spdk_mem_map_free(&map1);
	CHECK(map1 == NULL);
	munmap(raw, raw_len);
}

/* ------------------------------------------------------------------------- */
/* Mempool                                                                   */
/* ------------------------------------------------------------------------- */

#define POOL_COUNT 64
#define POOL_ELE_SIZE 200

static void
test_mempool(void)
{
	struct spdk_mempool *mp;
	void *ele[POOL_COUNT];
	void *extra[POOL_COUNT + 1];
	size_t i, j;
	bool distinct = true, intact = true;

	mp = spdk_mempool_create("test_pool", POOL_COUNT, POOL_ELE_SIZE, 0, SPDK_ENV_NUMA_ID_ANY);
	if (!CHECK(mp != NULL)) {
		return;
	}
	CHECK_EQ_U(spdk_mempool_count(mp), POOL_COUNT);
	CHECK(spdk_mempool_lookup("test_pool") == mp);
	CHECK_STREQ(spdk_mempool_get_name(mp), "test_pool");

	for (i = 0; i < 10; i++) {
		ele[i] = spdk_mempool_get(mp);
		CHECK(ele[i] != NULL);
	}
	CHECK_EQ_U(spdk_mempool_count(mp), POOL_COUNT - 10);

	CHECK_EQ_I(spdk_mempool_get_bulk(mp, &ele[10], POOL_COUNT - 10), 0);
	CHECK_EQ_U(spdk_mempool_count(mp), 0);
	CHECK(spdk_mempool_get(mp) == NULL);
	CHECK(spdk_mempool_get_bulk(mp, extra, 1) < 0);

	/* All elements distinct, and each one usable for ele_size bytes. */
	for (i = 0; i < POOL_COUNT; i++) {
		if (ele[i] == NULL) {
			distinct = false;
			continue;
		}
		for (j = i + 1; j < POOL_COUNT; j++) {
			if (ele[i] == ele[j]) {
				distinct = false;
			}
		}
		memset(ele[i], (int)(i + 1), POOL_ELE_SIZE);
	}
	CHECK(distinct);
	for (i = 0; i < POOL_COUNT; i++) {
		if (ele[i] != NULL && !all_bytes(ele[i], POOL_ELE_SIZE, (uint8_t)(i + 1))) {
			intact = false;
		}
	}
	CHECK(intact);
	if (!distinct) {
		/* Do not hand duplicated pointers back to the pool. */
		return;
	}

	spdk_mempool_put_bulk(mp, ele, 30);
	CHECK_EQ_U(spdk_mempool_count(mp), 30);

	/* Asking for more than available fails and takes nothing. */
	CHECK(spdk_mempool_get_bulk(mp, extra, 31) < 0);
	CHECK_EQ_U(spdk_mempool_count(mp), 30);

	for (i = 30; i < POOL_COUNT; i++) {
		spdk_mempool_put(mp, ele[i]);
	}
	CHECK_EQ_U(spdk_mempool_count(mp), POOL_COUNT);

	CHECK_EQ_I(spdk_mempool_get_bulk(mp, extra, POOL_COUNT), 0);
	CHECK_EQ_U(spdk_mempool_count(mp), 0);
	spdk_mempool_put_bulk(mp, extra, POOL_COUNT);
	CHECK_EQ_U(spdk_mempool_count(mp), POOL_COUNT);

	spdk_mempool_free(mp);
	CHECK(spdk_mempool_lookup("test_pool") == NULL);

	/* Default per-core cache: the count still reflects what was taken. */
	mp = spdk_mempool_create("test_pool_cache", 1024, 64, SPDK_MEMPOOL_DEFAULT_CACHE_SIZE,
				 SPDK_ENV_NUMA_ID_ANY);
	if (CHECK(mp != NULL)) {
		CHECK_EQ_U(spdk_mempool_count(mp), 1024);
		for (i = 0; i < 5; i++) {
			ele[i] = spdk_mempool_get(mp);
			CHECK(ele[i] != NULL);
		}
		CHECK_EQ_U(spdk_mempool_count(mp), 1024 - 5);
		for (i = 0; i < 5; i++) {
			if (ele[i] != NULL) {
				spdk_mempool_put(mp, ele[i]);
			}
		}
		CHECK_EQ_U(spdk_mempool_count(mp), 1024);
		spdk_mempool_free(mp);
	}

	/* Invalid: no elements. */
	mp = spdk_mempool_create("test_pool_zero", 0, 64, 0, SPDK_ENV_NUMA_ID_ANY);
	CHECK(mp == NULL);
	if (mp != NULL) {
		spdk_mempool_free(mp);
	}
}

/* ------------------------------------------------------------------------- */
/* Ring                                                                      */
/* ------------------------------------------------------------------------- */

static void
test_ring_basic(enum spdk_ring_type type)
{
	struct spdk_ring *ring;
	void *objs[20];
	void *out[32];
	size_t free_space, n, i;
	bool fifo = true;

	ring = spdk_ring_create(type, 16, SPDK_ENV_NUMA_ID_ANY);
	if (!CHECK(ring != NULL)) {
		return;
	}
	for (i = 0; i < SPDK_COUNTOF(objs); i++) {
		objs[i] = (void *)(uintptr_t)(0x1000 + i);
	}
	CHECK_EQ_U(spdk_ring_count(ring), 0);
	CHECK_EQ_U(spdk_ring_dequeue(ring, out, 4), 0);

	free_space = 999;
	n = spdk_ring_enqueue(ring, objs, 10, &free_space);
	CHECK_EQ_U(n, 10);
	CHECK_EQ_U(free_space, 6);
	CHECK_EQ_U(spdk_ring_count(ring), 10);

	/* All or nothing. */
	free_space = 999;
	n = spdk_ring_enqueue(ring, &objs[10], 7, &free_space);
	CHECK_EQ_U(n, 0);
	CHECK_EQ_U(free_space, 6);
	CHECK_EQ_U(spdk_ring_count(ring), 10);

	n = spdk_ring_enqueue(ring, &objs[10], 6, NULL);
	CHECK_EQ_U(n, 6);
	CHECK_EQ_U(spdk_ring_count(ring), 16);
	free_space = 999;
	n = spdk_ring_enqueue(ring, &objs[16], 1, &free_space);
	CHECK_EQ_U(n, 0);
	CHECK_EQ_U(free_space, 0);

	/* Partial dequeue, then the rest; FIFO order throughout. */
	n = spdk_ring_dequeue(ring, out, 3);
	CHECK_EQ_U(n, 3);
	CHECK_EQ_U(spdk_ring_count(ring), 13);
	n += spdk_ring_dequeue(ring, &out[3], 32 - 3);
	CHECK_EQ_U(n, 16);
	for (i = 0; i < 16 && i < n; i++) {
		if (out[i] != objs[i]) {
			fifo = false;
		}
	}
	CHECK(fifo);
	CHECK_EQ_U(spdk_ring_count(ring), 0);
	CHECK_EQ_U(spdk_ring_dequeue(ring, out, 32), 0);

	/* Wrap around the end of the ring several times. */
	fifo = true;
	for (i = 0; i < 50; i++) {
		n = spdk_ring_enqueue(ring, &objs[i % 10], 7, NULL);
		if (n != 7 || spdk_ring_dequeue(ring, out, 32) != 7 || out[0] != objs[i % 10] ||
		    out[6] != objs[i % 10 + 6]) {
			fifo = false;
		}
	}
	CHECK(fifo);

	spdk_ring_free(ring);
}

#define RING_PRODUCERS 2
#define RING_ITEMS_PER_PRODUCER 500000u
#define RING_BATCH 8

struct producer_arg {
	struct spdk_ring *ring;
	uint32_t id;
	uint32_t lcore_seen;
	volatile bool *abort;
};

static void *
ring_producer(void *arg)
{
	struct producer_arg *pa = arg;
	void *batch[RING_BATCH];
	uint32_t seq = 0, i, k;

	pa->lcore_seen = spdk_env_get_current_core();
	while (seq < RING_ITEMS_PER_PRODUCER) {
		k = spdk_min((uint32_t)RING_BATCH, RING_ITEMS_PER_PRODUCER - seq);
		for (i = 0; i < k; i++) {
			batch[i] = (void *)(uintptr_t)(((uint64_t)(pa->id + 1) << 32) | (seq + i));
		}
		while (spdk_ring_enqueue(pa->ring, batch, k, NULL) != k) {
			if (*pa->abort) {
				return NULL;
			}
			sched_yield();
		}
		seq += k;
	}
	return NULL;
}

static void
test_ring_mpsc_threads(void)
{
	struct producer_arg args[RING_PRODUCERS];
	pthread_t tids[RING_PRODUCERS];
	uint32_t next[RING_PRODUCERS] = { 0 };
	volatile bool abort_flag = false;
	struct spdk_ring *ring;
	uint64_t total = 0, bad_order = 0, bad_id = 0;
	uint64_t deadline;
	void *out[64];
	size_t n, i;
	int started = 0;

	ring = spdk_ring_create(SPDK_RING_TYPE_MP_SC, 4096, SPDK_ENV_NUMA_ID_ANY);
	if (!CHECK(ring != NULL)) {
		return;
	}
	for (i = 0; i < RING_PRODUCERS; i++) {
		args[i].ring = ring;
		args[i].id = (uint32_t)i;
		args[i].lcore_seen = 0;
		args[i].abort = &abort_flag;
		if (CHECK(pthread_create(&tids[i], NULL, ring_producer, &args[i]) == 0)) {
			started++;
		} else {
			break;
		}
	}

	deadline = spdk_get_ticks() + spdk_get_ticks_hz() * 240;
	while (total < (uint64_t)started * RING_ITEMS_PER_PRODUCER) {
		n = spdk_ring_dequeue(ring, out, SPDK_COUNTOF(out));
		if (n == 0) {
			if (spdk_get_ticks() > deadline) {
				break;
			}
			sched_yield();
			continue;
		}
		for (i = 0; i < n; i++) {
			uint64_t v = (uint64_t)(uintptr_t)out[i];
			uint32_t id = (uint32_t)(v >> 32) - 1;
			uint32_t seq = (uint32_t)v;

			if (id >= RING_PRODUCERS) {
				bad_id++;
				continue;
			}
			if (seq != next[id]) {
				bad_order++;
			}
			next[id] = seq + 1;
			total++;
		}
	}
	abort_flag = true;
	for (i = 0; i < (size_t)started; i++) {
		pthread_join(tids[i], NULL);
	}

	CHECK_EQ_U(total, (uint64_t)RING_PRODUCERS * RING_ITEMS_PER_PRODUCER);
	CHECK_EQ_U(bad_order, 0);
	CHECK_EQ_U(bad_id, 0);
	for (i = 0; i < RING_PRODUCERS; i++) {
		CHECK_EQ_U(next[i], RING_ITEMS_PER_PRODUCER);
		/* Threads not created by the environment have no core. */
		CHECK_EQ_U(args[i].lcore_seen, SPDK_ENV_LCORE_ID_ANY);
	}
	CHECK_EQ_U(spdk_ring_count(ring), 0);
	spdk_ring_free(ring);
}

/* ------------------------------------------------------------------------- */
/* Time, cores, process                                                      */
/* ------------------------------------------------------------------------- */

static void
test_ticks(void)
{
	uint64_t hz, a, b, prev, before, after;
	bool monotonic = true;
	int i;

	hz = spdk_get_ticks_hz();
	CHECK(hz > 0);

	prev = spdk_get_ticks();
	for (i = 0; i < 10000; i++) {
		a = spdk_get_ticks();
		if (a < prev) {
			monotonic = false;
		}
		prev = a;
	}
	CHECK(monotonic);

	before = spdk_get_ticks();
	spdk_delay_us(10000);
	after = spdk_get_ticks();
	/* At least ~10 ms worth of ticks (10% slack for tick granularity). */
	CHECK(after > before);
	CHECK(after - before >= hz / 100 * 9 / 10);

	a = spdk_get_ticks();
	spdk_pause();
	b = spdk_get_ticks();
	CHECK(b >= a);
}

static void
test_cores(void)
{
	uint32_t core, n = 0, seen = UINT32_MAX;
	int32_t numa;

	CHECK_EQ_U(spdk_env_get_core_count(), 1);
	CHECK_EQ_U(spdk_env_get_first_core(), 0);
	CHECK_EQ_U(spdk_env_get_last_core(), 0);
	CHECK_EQ_U(spdk_env_get_main_core(), 0);
	CHECK_EQ_U(spdk_env_get_next_core(0), UINT32_MAX);
	CHECK_EQ_U(spdk_env_get_current_core(), 0);

	SPDK_ENV_FOREACH_CORE(core) {
		n++;
		seen = core;
		if (n > 4) {
			break;
		}
	}
	CHECK_EQ_U(n, 1);
	CHECK_EQ_U(seen, 0);

	numa = spdk_env_get_numa_id(0);
	CHECK(numa == SPDK_ENV_NUMA_ID_ANY || (numa >= 0 && numa < 1024));

	CHECK(spdk_process_is_primary());
}

/* ------------------------------------------------------------------------- */
/* PCI addresses                                                             */
/* ------------------------------------------------------------------------- */

static void
test_pci_addr(void)
{
	struct spdk_pci_addr a, b;
	char buf[32];

	memset(&a, 0xff, sizeof(a));
	CHECK_EQ_I(spdk_pci_addr_parse(&a, "0000:01:00.0"), 0);
	CHECK_EQ_U(a.domain, 0);
	CHECK_EQ_U(a.bus, 1);
	CHECK_EQ_U(a.dev, 0);
	CHECK_EQ_U(a.func, 0);

	memset(&a, 0xff, sizeof(a));
	CHECK_EQ_I(spdk_pci_addr_parse(&a, "01:00.0"), 0);
	CHECK_EQ_U(a.domain, 0);
	CHECK_EQ_U(a.bus, 1);
	CHECK_EQ_U(a.dev, 0);
	CHECK_EQ_U(a.func, 0);

	memset(&a, 0, sizeof(a));
	CHECK_EQ_I(spdk_pci_addr_parse(&a, "1234:ab:1f.7"), 0);
	CHECK_EQ_U(a.domain, 0x1234);
	CHECK_EQ_U(a.bus, 0xab);
	CHECK_EQ_U(a.dev, 0x1f);
	CHECK_EQ_U(a.func, 7);

	memset(&a, 0, sizeof(a));
	CHECK_EQ_I(spdk_pci_addr_parse(&a, "0001.02.03.4"), 0);
	CHECK_EQ_U(a.domain, 1);
	CHECK_EQ_U(a.bus, 2);
	CHECK_EQ_U(a.dev, 3);
	CHECK_EQ_U(a.func, 4);

	/* Bad hex, out-of-range device / function. */
	CHECK(spdk_pci_addr_parse(&b, "0000:zz:00.0") < 0);
	CHECK(spdk_pci_addr_parse(&b, "xyz") < 0);
	CHECK(spdk_pci_addr_parse(&b, "0000:01:20.0") < 0);
	CHECK(spdk_pci_addr_parse(&b, "0000:01:00.8") < 0);

	/* Format and round trip. */
	a.domain = 0x1234;
	a.bus = 0xab;
	a.dev = 0x1f;
	a.func = 7;
	memset(buf, 0, sizeof(buf));
	CHECK_EQ_I(spdk_pci_addr_fmt(buf, sizeof(buf), &a), 0);
	CHECK_STREQ(buf, "1234:ab:1f.7");
	memset(&b, 0, sizeof(b));
	CHECK_EQ_I(spdk_pci_addr_parse(&b, buf), 0);
	CHECK_EQ_I(spdk_pci_addr_compare(&a, &b), 0);

	a.domain = 0;
	a.bus = 1;
	a.dev = 0;
	a.func = 0;
	CHECK_EQ_I(spdk_pci_addr_fmt(buf, sizeof(buf), &a), 0);
	CHECK_STREQ(buf, "0000:01:00.0");
	CHECK(spdk_pci_addr_fmt(buf, 5, &a) != 0);

	/* Ordering: domain, then bus, then device, then function. */
	a.domain = 0; a.bus = 1; a.dev = 2; a.func = 3;
	b = a;
	CHECK_EQ_I(spdk_pci_addr_compare(&a, &b), 0);
	b.func = 4;
	CHECK(spdk_pci_addr_compare(&a, &b) < 0);
	CHECK(spdk_pci_addr_compare(&b, &a) > 0);
	b = a;
	b.dev = 1;
	b.func = 7;
	CHECK(spdk_pci_addr_compare(&a, &b) > 0);
	b = a;
	b.bus = 2;
	b.dev = 0;
	CHECK(spdk_pci_addr_compare(&a, &b) < 0);
	b = a;
	b.domain = 1;
	b.bus = 0;
	CHECK(spdk_pci_addr_compare(&a, &b) < 0);
	CHECK(spdk_pci_addr_compare(&b, &a) > 0);
}

int
main(void)
{
	alarm(600);

	test_opts_defaults();
	/* Pure helpers work before the environment is up. */
	test_pci_addr();

	if (init_env() != 0) {
		return CHECK_DONE("env");
	}

	test_malloc();
	test_vtophys();
	test_mem_size_limit();
	test_mem_map();
	test_mempool();
	test_ring_basic(SPDK_RING_TYPE_SP_SC);
	test_ring_basic(SPDK_RING_TYPE_MP_SC);
	test_ring_basic(SPDK_RING_TYPE_MP_MC);
	test_ring_mpsc_threads();
	test_ticks();
	test_cores();

	spdk_env_fini();
	return CHECK_DONE("env");
}
