/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   hello_world: attach every NVMe controller, print its identify data,
 *   write a string to the first namespace and read it back. Uses only the
 *   SPDK API (spdk/nvme.h, spdk/env.h), as an SPDK application would.
 */
#include "spdk/stdinc.h"
#include "spdk/env.h"
#include "spdk/nvme.h"

struct ctrlr_entry {
	struct spdk_nvme_ctrlr *ctrlr;
	char traddr[260];
};

static struct ctrlr_entry g_ctrlrs[8];
static int g_num_ctrlrs;

struct hello_ctx {
	char *buf;
	bool done;
	bool error;
};

static bool
probe_cb(void *cb_ctx, const struct spdk_nvme_transport_id *trid, struct spdk_nvme_ctrlr_opts *opts)
{
	(void)cb_ctx;
	(void)opts;
	printf("Attaching to %s\n", trid->traddr);
	return true;
}

static void
attach_cb(void *cb_ctx, const struct spdk_nvme_transport_id *trid, struct spdk_nvme_ctrlr *ctrlr,
	  const struct spdk_nvme_ctrlr_opts *opts)
{
	const struct spdk_nvme_ctrlr_data *cdata = spdk_nvme_ctrlr_get_data(ctrlr);

	(void)cb_ctx;
	(void)opts;
	printf("Attached to %s\n", trid->traddr);
	printf("  serial: %.20s\n  model: %.40s\n  firmware: %.8s\n", (const char *)cdata->sn,
	       (const char *)cdata->mn, (const char *)cdata->fr);
	if (g_num_ctrlrs < 8) {
		g_ctrlrs[g_num_ctrlrs].ctrlr = ctrlr;
		snprintf(g_ctrlrs[g_num_ctrlrs].traddr, sizeof(g_ctrlrs[0].traddr), "%s", trid->traddr);
		g_num_ctrlrs++;
	}
}

static void
io_done(void *arg, const struct spdk_nvme_cpl *cpl)
{
	struct hello_ctx *ctx = arg;

	if (spdk_nvme_cpl_is_error(cpl)) {
		fprintf(stderr, "I/O error: %s\n", spdk_nvme_cpl_get_status_string(&cpl->status));
		ctx->error = true;
	}
	ctx->done = true;
}

static int
hello_ns(struct spdk_nvme_ctrlr *ctrlr, struct spdk_nvme_ns *ns, const char *traddr)
{
	struct spdk_nvme_qpair *qpair;
	struct hello_ctx ctx = {0};
	uint32_t ss = spdk_nvme_ns_get_sector_size(ns);
	uint32_t blocks = 4096 / ss ? 4096 / ss : 1;
	char expect[128];
	int rc = 0;

	printf("  namespace %u: %" PRIu64 " bytes, %u-byte sectors\n", spdk_nvme_ns_get_id(ns),
	       spdk_nvme_ns_get_size(ns), ss);
	qpair = spdk_nvme_ctrlr_alloc_io_qpair(ctrlr, NULL, 0);
	if (qpair == NULL) {
		fprintf(stderr, "cannot allocate an I/O queue pair\n");
		return -1;
	}
	ctx.buf = spdk_zmalloc(blocks * ss, 0x1000, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	snprintf(expect, sizeof(expect), "Hello world from rspdk on %s ns %u!\n", traddr, spdk_nvme_ns_get_id(ns));
	snprintf(ctx.buf, blocks * ss, "%s", expect);
	if (spdk_nvme_ns_cmd_write(ns, qpair, ctx.buf, 0, blocks, io_done, &ctx, 0) != 0) {
		fprintf(stderr, "write submission failed\n");
		rc = -1;
		goto out;
	}
	while (!ctx.done) {
		spdk_nvme_qpair_process_completions(qpair, 0);
	}
	memset(ctx.buf, 0, blocks * ss);
	ctx.done = false;
	if (spdk_nvme_ns_cmd_read(ns, qpair, ctx.buf, 0, blocks, io_done, &ctx, 0) != 0) {
		fprintf(stderr, "read submission failed\n");
		rc = -1;
		goto out;
	}
	while (!ctx.done) {
		spdk_nvme_qpair_process_completions(qpair, 0);
	}
	printf("  read back: %s", ctx.buf);
	if (ctx.error || strcmp(ctx.buf, expect) != 0) {
		fprintf(stderr, "data mismatch\n");
		rc = -1;
	}
out:
	spdk_free(ctx.buf);
	spdk_nvme_ctrlr_free_io_qpair(qpair);
	return rc;
}

int
main(void)
{
	struct spdk_env_opts opts;
	const char *want_serials = getenv("RSPDK_TEST_SERIALS");
	int i, failures = 0;

	opts.opts_size = sizeof(opts);
	spdk_env_opts_init(&opts);
	opts.name = "hello_world";
	if (spdk_env_init(&opts) != 0) {
		fprintf(stderr, "spdk_env_init failed\n");
		return 1;
	}
	if (spdk_nvme_probe(NULL, NULL, probe_cb, attach_cb, NULL) != 0) {
		fprintf(stderr, "spdk_nvme_probe failed\n");
		failures++;
	}
	if (g_num_ctrlrs == 0) {
		fprintf(stderr, "no NVMe controllers found\n");
		return 1;
	}
	for (i = 0; i < g_num_ctrlrs; i++) {
		struct spdk_nvme_ctrlr *ctrlr = g_ctrlrs[i].ctrlr;
		const struct spdk_nvme_ctrlr_data *cdata = spdk_nvme_ctrlr_get_data(ctrlr);
		char sn[21] = {0};
		uint32_t nsid;

		memcpy(sn, cdata->sn, 20);
		for (int k = 19; k >= 0 && sn[k] == ' '; k--) {
			sn[k] = 0;
		}
		if (want_serials != NULL && strstr(want_serials, sn) == NULL) {
			fprintf(stderr, "serial '%s' is not one QEMU was given (%s)\n", sn, want_serials);
			failures++;
		}
		if (strncmp((const char *)cdata->mn, "QEMU NVMe Ctrl", 14) != 0) {
			fprintf(stderr, "unexpected model '%.40s'\n", (const char *)cdata->mn);
			failures++;
		}
		for (nsid = spdk_nvme_ctrlr_get_first_active_ns(ctrlr); nsid != 0;
		     nsid = spdk_nvme_ctrlr_get_next_active_ns(ctrlr, nsid)) {
			if (hello_ns(ctrlr, spdk_nvme_ctrlr_get_ns(ctrlr, nsid), g_ctrlrs[i].traddr) != 0) {
				failures++;
			}
		}
	}
	for (i = 0; i < g_num_ctrlrs; i++) {
		spdk_nvme_detach(g_ctrlrs[i].ctrlr);
	}
	spdk_env_fini();
	printf("hello_world: %d controllers, %s\n", g_num_ctrlrs, failures ? "FAILED" : "ok");
	return failures ? 1 : 0;
}
