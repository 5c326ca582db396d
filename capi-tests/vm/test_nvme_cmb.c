/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   The controller memory buffer (run with two controllers, the first with
 *   a CMB): map it, move data from and into it, unmap, map again; the other
 *   controller has none.
 */
#include "spdk/stdinc.h"
#include "spdk/env.h"
#include "spdk/nvme.h"
#include "../check.h"

static struct spdk_nvme_ctrlr *g_ctrlrs[2];
static int g_n;

static bool
probe_cb(void *ctx, const struct spdk_nvme_transport_id *trid, struct spdk_nvme_ctrlr_opts *opts)
{
	(void)ctx;
	(void)trid;
	(void)opts;
	return g_n < 2;
}

static void
attach_cb(void *ctx, const struct spdk_nvme_transport_id *trid, struct spdk_nvme_ctrlr *ctrlr,
	  const struct spdk_nvme_ctrlr_opts *opts)
{
	(void)ctx;
	(void)trid;
	(void)opts;
	g_ctrlrs[g_n++] = ctrlr;
}

static int g_done;
static struct spdk_nvme_cpl g_cpl;

static void
on_cpl(void *arg, const struct spdk_nvme_cpl *cpl)
{
	(void)arg;
	g_cpl = *cpl;
	g_done = 1;
}

static void
io(struct spdk_nvme_ns *ns, struct spdk_nvme_qpair *q, bool write, void *buf, uint64_t lba, uint32_t n)
{
	g_done = 0;
	CHECK((write ? spdk_nvme_ns_cmd_write : spdk_nvme_ns_cmd_read)(ns, q, buf, lba, n, on_cpl, NULL, 0) == 0);
	while (!g_done) {
		spdk_nvme_qpair_process_completions(q, 0);
	}
	CHECK(!spdk_nvme_cpl_is_error(&g_cpl));
}

int
main(void)
{
	struct spdk_env_opts opts;
	struct spdk_nvme_ctrlr *c;
	struct spdk_nvme_ns *ns;
	struct spdk_nvme_qpair *q;
	size_t size = 0, size2 = 0;
	uint8_t *cmb, *host;
	uint32_t ss, blocks, i;

	opts.opts_size = sizeof(opts);
	spdk_env_opts_init(&opts);
	opts.name = "test_nvme_cmb";
	CHECK(spdk_env_init(&opts) == 0);
	CHECK(spdk_nvme_probe(NULL, NULL, probe_cb, attach_cb, NULL) == 0);
	CHECK(g_n == 2);
	if (g_n != 2) {
		return CHECK_DONE("nvme_cmb");
	}
	c = g_ctrlrs[0];
	CHECK(spdk_nvme_ctrlr_get_regs_cap(c).bits.cmbs == 1);
	CHECK(spdk_nvme_ctrlr_map_cmb(g_ctrlrs[1], &size) == NULL);
	cmb = spdk_nvme_ctrlr_map_cmb(c, &size);
	printf("CMB: %p, %zu bytes\n", (void *)cmb, size);
	CHECK(cmb != NULL && size == 16u * 1024 * 1024);
	CHECK(spdk_vtophys(cmb, NULL) == (uint64_t)(uintptr_t)cmb);
	ns = spdk_nvme_ctrlr_get_ns(c, spdk_nvme_ctrlr_get_first_active_ns(c));
	q = spdk_nvme_ctrlr_alloc_io_qpair(c, NULL, 0);
	ss = spdk_nvme_ns_get_sector_size(ns);
	blocks = 64;
	host = spdk_zmalloc((size_t)blocks * ss, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	if (cmb != NULL && q != NULL && host != NULL) {
		/* From the CMB to the medium, back to host memory. */
		for (i = 0; i < blocks * ss; i++) {
			cmb[i] = (uint8_t)(i * 13 + 5);
		}
		io(ns, q, true, cmb, 10, blocks);
		io(ns, q, false, host, 10, blocks);
		CHECK(memcmp(host, cmb, (size_t)blocks * ss) == 0);
		/* From the medium into another part of the CMB. */
		memset(cmb + 1024 * 1024, 0, (size_t)blocks * ss);
		io(ns, q, false, cmb + 1024 * 1024, 10, blocks);
		CHECK(memcmp(cmb + 1024 * 1024, host, (size_t)blocks * ss) == 0);
		spdk_nvme_ctrlr_unmap_cmb(c);
		CHECK(spdk_vtophys(cmb, NULL) == SPDK_VTOPHYS_ERROR);
		cmb = spdk_nvme_ctrlr_map_cmb(c, &size2);
		CHECK(cmb != NULL && size2 == size);
		if (cmb != NULL) {
			/* The CMB keeps its contents across unmap and map. */
			CHECK(memcmp(cmb + 1024 * 1024, host, (size_t)blocks * ss) == 0);
			spdk_nvme_ctrlr_unmap_cmb(c);
		}
	}
	spdk_free(host);
	if (q != NULL) {
		spdk_nvme_ctrlr_free_io_qpair(q);
	}
	spdk_nvme_detach(g_ctrlrs[0]);
	spdk_nvme_detach(g_ctrlrs[1]);
	spdk_env_fini();
	return CHECK_DONE("nvme_cmb");
}
