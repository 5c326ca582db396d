/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   The NVMe driver through the C API against QEMU's NVMe controller, in the
 *   VM guest (scripts/vm/nvme-tests.sh): admin commands, an asynchronous
 *   event, write zeroes / deallocate / flush / compare, bad input, request
 *   exhaustion, reset under load, data integrity at queue depths 1 to 128
 *   with sizes from one block to beyond MDTS, and two threads each with its
 *   own queue pair.
 */
#include "spdk/stdinc.h"
#include "spdk/env.h"
#include "spdk/nvme.h"
#include "../check.h"

static struct spdk_nvme_ctrlr *g_ctrlr;

static bool
probe_cb(void *ctx, const struct spdk_nvme_transport_id *trid, struct spdk_nvme_ctrlr_opts *opts)
{
	(void)ctx;
	(void)trid;
	(void)opts;
	return g_ctrlr == NULL;
}

static void
attach_cb(void *ctx, const struct spdk_nvme_transport_id *trid, struct spdk_nvme_ctrlr *ctrlr,
	  const struct spdk_nvme_ctrlr_opts *opts)
{
	(void)ctx;
	(void)trid;
	(void)opts;
	g_ctrlr = ctrlr;
}

struct waiter {
	int done;
	struct spdk_nvme_cpl cpl;
};

static void
on_cpl(void *arg, const struct spdk_nvme_cpl *cpl)
{
	struct waiter *w = arg;

	w->cpl = *cpl;
	w->done++;
}

static void
wait_admin(struct waiter *w)
{
	uint64_t end = spdk_get_ticks() + 10 * spdk_get_ticks_hz();

	while (!w->done && spdk_get_ticks() < end) {
		spdk_nvme_ctrlr_process_admin_completions(g_ctrlr);
	}
}

static void
wait_io(struct spdk_nvme_qpair *q, struct waiter *w)
{
	uint64_t end = spdk_get_ticks() + 30 * spdk_get_ticks_hz();

	while (!w->done && spdk_get_ticks() < end) {
		spdk_nvme_qpair_process_completions(q, 0);
	}
}

static int g_aer_count;
static uint32_t g_aer_cdw0;

static void
aer_cb(void *arg, const struct spdk_nvme_cpl *cpl)
{
	(void)arg;
	g_aer_count++;
	g_aer_cdw0 = cpl->cdw0;
}

static void
test_admin(void)
{
	struct waiter w = {0};
	uint8_t *page = calloc(1, 4096);
	uint64_t end;

	/* Log pages: health (512 B), error information (64 B), firmware slot (512 B). */
	CHECK(spdk_nvme_ctrlr_cmd_get_log_page(g_ctrlr, SPDK_NVME_LOG_HEALTH_INFORMATION, SPDK_NVME_GLOBAL_NS_TAG,
					       page, sizeof(struct spdk_nvme_health_information_page), 0, on_cpl, &w) == 0);
	wait_admin(&w);
	CHECK(w.done == 1 && !spdk_nvme_cpl_is_error(&w.cpl));
	CHECK(((struct spdk_nvme_health_information_page *)page)->temperature > 200);
	memset(&w, 0, sizeof(w));
	CHECK(spdk_nvme_ctrlr_cmd_get_log_page(g_ctrlr, SPDK_NVME_LOG_ERROR, SPDK_NVME_GLOBAL_NS_TAG,
					       page, sizeof(struct spdk_nvme_error_information_entry), 0, on_cpl, &w) == 0);
	wait_admin(&w);
	CHECK(w.done == 1 && !spdk_nvme_cpl_is_error(&w.cpl));
	memset(&w, 0, sizeof(w));
	CHECK(spdk_nvme_ctrlr_cmd_get_log_page(g_ctrlr, SPDK_NVME_LOG_FIRMWARE_SLOT, SPDK_NVME_GLOBAL_NS_TAG,
					       page, sizeof(struct spdk_nvme_firmware_page), 0, on_cpl, &w) == 0);
	wait_admin(&w);
	CHECK(w.done == 1 && !spdk_nvme_cpl_is_error(&w.cpl));
	CHECK(spdk_nvme_ctrlr_cmd_get_log_page(g_ctrlr, 2, 0, page, 3, 0, on_cpl, &w) == -EINVAL);

	/* Features: number of queues; temperature threshold set then read back. */
	memset(&w, 0, sizeof(w));
	CHECK(spdk_nvme_ctrlr_cmd_get_feature(g_ctrlr, SPDK_NVME_FEAT_NUMBER_OF_QUEUES, 0, NULL, 0, on_cpl, &w) == 0);
	wait_admin(&w);
	CHECK(w.done == 1 && !spdk_nvme_cpl_is_error(&w.cpl));
	CHECK((w.cpl.cdw0 & 0xffff) >= 1);
	memset(&w, 0, sizeof(w));
	CHECK(spdk_nvme_ctrlr_cmd_set_feature(g_ctrlr, SPDK_NVME_FEAT_TEMPERATURE_THRESHOLD, 0x150, 0, NULL, 0,
					      on_cpl, &w) == 0);
	wait_admin(&w);
	CHECK(w.done == 1 && !spdk_nvme_cpl_is_error(&w.cpl));
	memset(&w, 0, sizeof(w));
	CHECK(spdk_nvme_ctrlr_cmd_get_feature(g_ctrlr, SPDK_NVME_FEAT_TEMPERATURE_THRESHOLD, 0, NULL, 0, on_cpl, &w) == 0);
	wait_admin(&w);
	CHECK(w.done == 1 && (w.cpl.cdw0 & 0xffff) == 0x150);

	/* An asynchronous event: a threshold below the current temperature raises a SMART event. */
	spdk_nvme_ctrlr_register_aer_callback(g_ctrlr, aer_cb, NULL);
	memset(&w, 0, sizeof(w));
	CHECK(spdk_nvme_ctrlr_cmd_set_feature(g_ctrlr, SPDK_NVME_FEAT_TEMPERATURE_THRESHOLD, 0x100, 0, NULL, 0,
					      on_cpl, &w) == 0);
	wait_admin(&w);
	end = spdk_get_ticks() + 5 * spdk_get_ticks_hz();
	while (g_aer_count == 0 && spdk_get_ticks() < end) {
		spdk_nvme_ctrlr_process_admin_completions(g_ctrlr);
	}
	CHECK(g_aer_count >= 1);
	CHECK((g_aer_cdw0 & 0x7) == SPDK_NVME_ASYNC_EVENT_TYPE_SMART);
	printf("AER: %d event(s), cdw0 %#x\n", g_aer_count, g_aer_cdw0);
	/* Back to a high threshold. */
	memset(&w, 0, sizeof(w));
	spdk_nvme_ctrlr_cmd_set_feature(g_ctrlr, SPDK_NVME_FEAT_TEMPERATURE_THRESHOLD, 0x200, 0, NULL, 0, on_cpl, &w);
	wait_admin(&w);
	free(page);
}

static void
fill(uint8_t *buf, size_t len, uint64_t lba, uint32_t ss, uint32_t gen)
{
	for (size_t i = 0; i < len; i++) {
		buf[i] = (uint8_t)((lba + i / ss) * 31 + (i % ss) * 7 + gen);
	}
}

static bool
verify(const uint8_t *buf, size_t len, uint64_t lba, uint32_t ss, uint32_t gen)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != (uint8_t)((lba + i / ss) * 31 + (i % ss) * 7 + gen)) {
			fprintf(stderr, "mismatch at byte %zu (lba %" PRIu64 ")\n", i, lba + i / ss);
			return false;
		}
	}
	return true;
}

static void
test_commands(struct spdk_nvme_ns *ns, struct spdk_nvme_qpair *q)
{
	uint32_t ss = spdk_nvme_ns_get_sector_size(ns);
	uint8_t *buf = spdk_zmalloc(8 * ss, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	uint8_t *other = spdk_zmalloc(8 * ss, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	uint8_t stack_buf[512];
	struct spdk_nvme_dsm_range range;
	struct waiter w = {0};
	size_t i;
	bool zero = true;

	/* Write zeroes over written data. */
	fill(buf, 8 * ss, 100, ss, 1);
	CHECK(spdk_nvme_ns_cmd_write(ns, q, buf, 100, 8, on_cpl, &w, 0) == 0);
	wait_io(q, &w);
	CHECK(w.done == 1 && !spdk_nvme_cpl_is_error(&w.cpl));
	memset(&w, 0, sizeof(w));
	CHECK(spdk_nvme_ns_cmd_write_zeroes(ns, q, 100, 8, on_cpl, &w, 0) == 0);
	wait_io(q, &w);
	CHECK(w.done == 1 && !spdk_nvme_cpl_is_error(&w.cpl));
	memset(&w, 0, sizeof(w));
	CHECK(spdk_nvme_ns_cmd_read(ns, q, buf, 100, 8, on_cpl, &w, 0) == 0);
	wait_io(q, &w);
	for (i = 0; i < 8 * ss; i++) {
		zero = zero && buf[i] == 0;
	}
	CHECK(w.done == 1 && zero);

	/* Deallocate a range. */
	range.attributes.raw = 0;
	range.length = 8;
	range.starting_lba = 200;
	memset(&w, 0, sizeof(w));
	CHECK(spdk_nvme_ns_cmd_dataset_management(ns, q, SPDK_NVME_DSM_ATTR_DEALLOCATE, &range, 1, on_cpl, &w) == 0);
	wait_io(q, &w);
	CHECK(w.done == 1 && !spdk_nvme_cpl_is_error(&w.cpl));

	/* Flush. */
	memset(&w, 0, sizeof(w));
	CHECK(spdk_nvme_ns_cmd_flush(ns, q, on_cpl, &w) == 0);
	wait_io(q, &w);
	CHECK(w.done == 1 && !spdk_nvme_cpl_is_error(&w.cpl));

	/* Compare: a match, then a mismatch. */
	fill(buf, 8 * ss, 300, ss, 2);
	memset(&w, 0, sizeof(w));
	spdk_nvme_ns_cmd_write(ns, q, buf, 300, 8, on_cpl, &w, 0);
	wait_io(q, &w);
	memset(&w, 0, sizeof(w));
	CHECK(spdk_nvme_ns_cmd_compare(ns, q, buf, 300, 8, on_cpl, &w, 0) == 0);
	wait_io(q, &w);
	CHECK(w.done == 1 && !spdk_nvme_cpl_is_error(&w.cpl));
	memcpy(other, buf, 8 * ss);
	other[5] ^= 0xff;
	memset(&w, 0, sizeof(w));
	CHECK(spdk_nvme_ns_cmd_compare(ns, q, other, 300, 8, on_cpl, &w, 0) == 0);
	wait_io(q, &w);
	CHECK(w.done == 1 && w.cpl.status.sct == SPDK_NVME_SCT_MEDIA_ERROR &&
	      w.cpl.status.sc == SPDK_NVME_SC_COMPARE_FAILURE);

	/* Bad input: an NVMe status or -EINVAL, never a crash. */
	memset(&w, 0, sizeof(w));
	CHECK(spdk_nvme_ns_cmd_read(ns, q, buf, spdk_nvme_ns_get_num_sectors(ns), 1, on_cpl, &w, 0) == 0);
	wait_io(q, &w);
	CHECK(w.done == 1 && w.cpl.status.sct == SPDK_NVME_SCT_GENERIC &&
	      w.cpl.status.sc == SPDK_NVME_SC_LBA_OUT_OF_RANGE);
	CHECK(spdk_nvme_ns_cmd_read(ns, q, buf, 0, 0, on_cpl, &w, 0) == -EINVAL);
	CHECK(spdk_nvme_ns_cmd_read(ns, q, buf + 1, 0, 1, on_cpl, &w, 0) == -EINVAL);
	CHECK(spdk_nvme_ns_cmd_read(ns, q, stack_buf, 0, 1, on_cpl, &w, 0) == -EINVAL);
	CHECK(spdk_nvme_ns_cmd_read(NULL, q, buf, 0, 1, on_cpl, &w, 0) == -EINVAL);
	spdk_free(buf);
	spdk_free(other);
}

static void
test_exhaustion(struct spdk_nvme_ns *ns)
{
	struct spdk_nvme_io_qpair_opts opts;
	struct spdk_nvme_qpair *q;
	uint32_t ss = spdk_nvme_ns_get_sector_size(ns);
	uint8_t *buf = spdk_zmalloc(ss, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	struct waiter w = {0};
	int submitted = 0, rc;

	spdk_nvme_ctrlr_get_default_io_qpair_opts(g_ctrlr, &opts, sizeof(opts));
	/* 8 slots (7 usable) and 12 requests: 5 wait in software, the 13th gets -ENOMEM. */
	opts.io_queue_size = 8;
	opts.io_queue_requests = 12;
	q = spdk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, &opts, sizeof(opts));
	CHECK(q != NULL);
	while ((rc = spdk_nvme_ns_cmd_read(ns, q, buf, 0, 1, on_cpl, &w, 0)) == 0) {
		submitted++;
	}
	CHECK(rc == -ENOMEM);
	CHECK(submitted == 12);
	while (w.done < submitted) {
		spdk_nvme_qpair_process_completions(q, 0);
	}
	CHECK(spdk_nvme_ns_cmd_read(ns, q, buf, 0, 1, on_cpl, &w, 0) == 0);
	while (w.done < submitted + 1) {
		spdk_nvme_qpair_process_completions(q, 0);
	}
	CHECK(spdk_nvme_ctrlr_free_io_qpair(q) == 0);
	spdk_free(buf);
}

static void
test_reset_under_load(struct spdk_nvme_ns *ns, struct spdk_nvme_qpair *q)
{
	uint32_t ss = spdk_nvme_ns_get_sector_size(ns);
	uint8_t *buf = spdk_zmalloc(32 * 8 * ss, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	struct waiter w[32];
	int i, done = 0, aborted = 0;

	memset(w, 0, sizeof(w));
	for (i = 0; i < 32; i++) {
		CHECK(spdk_nvme_ns_cmd_read(ns, q, buf + i * 8 * ss, i * 8, 8, on_cpl, &w[i], 0) == 0);
	}
	CHECK(spdk_nvme_ctrlr_reset(g_ctrlr) == 0);
	for (int k = 0; k < 1000; k++) {
		spdk_nvme_qpair_process_completions(q, 0);
	}
	for (i = 0; i < 32; i++) {
		done += w[i].done;
		aborted += w[i].done && w[i].cpl.status.sc == SPDK_NVME_SC_ABORTED_SQ_DELETION;
	}
	printf("reset under load: %d of 32 completed (%d aborted)\n", done, aborted);
	CHECK(done == 32);
	for (i = 0; i < 32; i++) {
		CHECK(w[i].done == 1);
	}
	/* The queue pair works after the reset. */
	fill(buf, 8 * ss, 500, ss, 9);
	memset(&w[0], 0, sizeof(w[0]));
	CHECK(spdk_nvme_ns_cmd_write(ns, q, buf, 500, 8, on_cpl, &w[0], 0) == 0);
	wait_io(q, &w[0]);
	CHECK(w[0].done == 1 && !spdk_nvme_cpl_is_error(&w[0].cpl));
	memset(buf, 0, 8 * ss);
	memset(&w[0], 0, sizeof(w[0]));
	CHECK(spdk_nvme_ns_cmd_read(ns, q, buf, 500, 8, on_cpl, &w[0], 0) == 0);
	wait_io(q, &w[0]);
	CHECK(w[0].done == 1 && verify(buf, 8 * ss, 500, ss, 9));
	CHECK(!spdk_nvme_ctrlr_is_failed(g_ctrlr));
	spdk_free(buf);
}

static int g_timeouts, g_aborts_done;
static struct spdk_nvme_qpair *g_timeout_qpair;

static void
abort_done(void *arg, const struct spdk_nvme_cpl *cpl)
{
	(void)arg;
	(void)cpl;
	g_aborts_done++;
}

static void
timeout_cb(void *arg, struct spdk_nvme_ctrlr *ctrlr, struct spdk_nvme_qpair *qpair, uint16_t cid)
{
	(void)arg;
	g_timeouts++;
	g_timeout_qpair = qpair;
	/* Ask the controller to abort it; the read completes either way. */
	if (spdk_nvme_ctrlr_cmd_abort(ctrlr, qpair, cid, abort_done, NULL) != 0) {
		g_aborts_done++;
	}
}

/* A 1 us I/O timeout fires for reads outstanding longer; each is reported once. */
static void
test_timeout(struct spdk_nvme_ns *ns, struct spdk_nvme_qpair *q)
{
	uint32_t ss = spdk_nvme_ns_get_sector_size(ns);
	uint8_t *buf = spdk_zmalloc(16 * 256 * ss, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	struct waiter w[16];
	int i, done;
	uint64_t end;

	memset(w, 0, sizeof(w));
	spdk_nvme_ctrlr_register_timeout_callback(g_ctrlr, 1, 0, timeout_cb, NULL);
	for (i = 0; i < 16; i++) {
		CHECK(spdk_nvme_ns_cmd_read(ns, q, buf + (size_t)i * 256 * ss, (uint64_t)i * 256, 256, on_cpl, &w[i], 0) == 0);
	}
	/* Past the timeout, reaping one completion per call: the others are still
	 * outstanding for the driver when it checks, whatever the device did. */
	spdk_delay_us(1000);
	end = spdk_get_ticks() + 10 * spdk_get_ticks_hz();
	do {
		spdk_nvme_qpair_process_completions(q, 1);
		spdk_nvme_ctrlr_process_admin_completions(g_ctrlr);
		for (done = 0, i = 0; i < 16; i++) {
			done += w[i].done;
		}
	} while ((done < 16 || g_aborts_done < g_timeouts) && spdk_get_ticks() < end);
	printf("timeouts: %d reported, %d aborts completed, %d of 16 reads completed\n", g_timeouts, g_aborts_done, done);
	CHECK(g_timeouts >= 1 && g_timeouts <= 16);
	CHECK(g_timeout_qpair == q);
	CHECK(g_aborts_done == g_timeouts);
	CHECK(done == 16);
	spdk_nvme_ctrlr_register_timeout_callback(g_ctrlr, 0, 0, NULL, NULL);
	spdk_free(buf);
}

struct slot {
	struct waiter w;
	uint8_t *buf;
	uint64_t lba;
	uint32_t n;
	bool busy;
};

/* Random-sized writes walking [first, last) at queue depth qd, then a read-back of all of it. */
static bool
integrity_pass(struct spdk_nvme_ns *ns, struct spdk_nvme_qpair *q, uint64_t first, uint64_t last, int qd,
	       uint32_t max_blocks, uint32_t gen, unsigned int *seed)
{
	uint32_t ss = spdk_nvme_ns_get_sector_size(ns);
	struct slot *s = calloc(qd, sizeof(*s));
	uint64_t next = first;
	bool ok = true;
	int phase, i, busy;

	for (i = 0; i < qd; i++) {
		s[i].buf = spdk_zmalloc((size_t)max_blocks * ss, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	}
	for (phase = 0; phase < 2; phase++) {
		next = first;
		do {
			busy = 0;
			for (i = 0; i < qd; i++) {
				if (s[i].busy && s[i].w.done) {
					s[i].busy = false;
					if (spdk_nvme_cpl_is_error(&s[i].w.cpl) ||
					    (phase == 1 && !verify(s[i].buf, (size_t)s[i].n * ss, s[i].lba, ss, gen))) {
						ok = false;
					}
				}
				if (!s[i].busy && next < last) {
					uint32_t n = 1 + (uint32_t)(rand_r(seed) % max_blocks);

					if (n > last - next) {
						n = (uint32_t)(last - next);
					}
					s[i].lba = next;
					s[i].n = n;
					memset(&s[i].w, 0, sizeof(s[i].w));
					if (phase == 0) {
						fill(s[i].buf, (size_t)n * ss, next, ss, gen);
						if (spdk_nvme_ns_cmd_write(ns, q, s[i].buf, next, n, on_cpl, &s[i].w, 0) != 0) {
							continue;
						}
					} else if (spdk_nvme_ns_cmd_read(ns, q, s[i].buf, next, n, on_cpl, &s[i].w, 0) != 0) {
						continue;
					}
					s[i].busy = true;
					next += n;
				}
				busy += s[i].busy;
			}
			spdk_nvme_qpair_process_completions(q, 0);
		} while (busy > 0 || next < last);
	}
	for (i = 0; i < qd; i++) {
		spdk_free(s[i].buf);
	}
	free(s);
	return ok;
}

static void
test_integrity(struct spdk_nvme_ns *ns, struct spdk_nvme_qpair *q)
{
	uint32_t ss = spdk_nvme_ns_get_sector_size(ns);
	uint64_t nblocks = spdk_nvme_ns_get_num_sectors(ns);
	uint32_t beyond_mdts = spdk_nvme_ctrlr_get_max_xfer_size(g_ctrlr) / ss * 2 + 3;
	unsigned int seed = 12345;
	int qds[] = {1, 8, 32, 128};
	uint32_t gen = 40;

	for (size_t k = 0; k < SPDK_COUNTOF(qds); k++) {
		/* Each depth covers a quarter of the namespace; the last pass the whole of it. */
		uint64_t first = k == 3 ? 0 : nblocks / 4 * k, last = k == 3 ? nblocks : nblocks / 4 * (k + 1);
		bool ok = integrity_pass(ns, q, first, last, qds[k], beyond_mdts, gen + (uint32_t)k, &seed);

		printf("integrity: qd %d, blocks %" PRIu64 "..%" PRIu64 ", up to %u blocks per I/O: %s\n", qds[k], first,
		       last, beyond_mdts, ok ? "ok" : "FAILED");
		CHECK(ok);
	}
}

struct sgl_ctx {
	struct iovec iov[4];
	int iovcnt;
	int idx;
	size_t off;
	struct waiter w;
};

static void
sgl_reset(void *arg, uint32_t offset)
{
	struct sgl_ctx *c = arg;

	c->idx = 0;
	c->off = offset;
	while (c->idx < c->iovcnt && c->off >= c->iov[c->idx].iov_len) {
		c->off -= c->iov[c->idx].iov_len;
		c->idx++;
	}
}

static int
sgl_next(void *arg, void **address, uint32_t *length)
{
	struct sgl_ctx *c = arg;

	if (c->idx >= c->iovcnt) {
		return -1;
	}
	*address = (uint8_t *)c->iov[c->idx].iov_base + c->off;
	*length = (uint32_t)(c->iov[c->idx].iov_len - c->off);
	c->off = 0;
	c->idx++;
	return 0;
}

static void
sgl_cpl(void *arg, const struct spdk_nvme_cpl *cpl)
{
	on_cpl(&((struct sgl_ctx *)arg)->w, cpl);
}

/* Scattered segments at odd addresses and lengths: hardware SGLs describe them. */
static void
test_sgl(struct spdk_nvme_ns *ns, struct spdk_nvme_qpair *q)
{
	uint8_t *wb = spdk_zmalloc(16384, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	uint8_t *rb = spdk_zmalloc(16384, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	struct sgl_ctx w = {0}, r = {0};
	uint8_t expect[4096], got[4096];
	uint32_t blocks = 4096 / spdk_nvme_ns_get_sector_size(ns);
	size_t at = 0;
	int i;

	w.iov[0] = (struct iovec){wb + 3, 1000};
	w.iov[1] = (struct iovec){wb + 5000, 3000};
	w.iov[2] = (struct iovec){wb + 9001, 96};
	w.iovcnt = 3;
	for (i = 0; i < 3; i++) {
		for (size_t k = 0; k < w.iov[i].iov_len; k++) {
			expect[at] = (uint8_t)(at * 11 + 3);
			((uint8_t *)w.iov[i].iov_base)[k] = expect[at++];
		}
	}
	CHECK(spdk_nvme_ns_cmd_writev(ns, q, 700, blocks, sgl_cpl, &w, 0, sgl_reset, sgl_next) == 0);
	wait_io(q, &w.w);
	CHECK(w.w.done == 1 && !spdk_nvme_cpl_is_error(&w.w.cpl));
	r.iov[0] = (struct iovec){rb + 1, 2048};
	r.iov[1] = (struct iovec){rb + 4097, 2048};
	r.iovcnt = 2;
	CHECK(spdk_nvme_ns_cmd_readv(ns, q, 700, blocks, sgl_cpl, &r, 0, sgl_reset, sgl_next) == 0);
	wait_io(q, &r.w);
	CHECK(r.w.done == 1 && !spdk_nvme_cpl_is_error(&r.w.cpl));
	memcpy(got, rb + 1, 2048);
	memcpy(got + 2048, rb + 4097, 2048);
	CHECK(memcmp(got, expect, 4096) == 0);
	spdk_free(wb);
	spdk_free(rb);
}

/* The remaining I/O entry points: _ext vectors, _with_md (no metadata on
 * this namespace), raw I/O and admin commands, printing, getters. */
static void
test_more_entry_points(struct spdk_nvme_ns *ns, struct spdk_nvme_qpair *q)
{
	uint32_t ss = spdk_nvme_ns_get_sector_size(ns);
	uint8_t *wb = spdk_zmalloc(4 * ss, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	/* At least 4 KiB: it also takes an identify page. */
	uint8_t *rb = spdk_zmalloc(4 * ss < 4096 ? 4096 : 4 * ss, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	struct spdk_nvme_ns_cmd_ext_io_opts xo;
	struct sgl_ctx w = {0}, r = {0};
	struct spdk_nvme_cmd cmd;
	struct waiter k = {0};
	uint32_t nsid = spdk_nvme_ns_get_id(ns);

	memset(&xo, 0, sizeof(xo));
	xo.size = sizeof(xo);
	fill(wb, 4 * ss, 900, ss, 9);
	w.iov[0] = (struct iovec){wb, 4 * ss};
	w.iovcnt = 1;
	CHECK(spdk_nvme_ns_cmd_writev_ext(ns, q, 900, 4, sgl_cpl, &w, sgl_reset, sgl_next, &xo) == 0);
	wait_io(q, &w.w);
	CHECK(w.w.done == 1 && !spdk_nvme_cpl_is_error(&w.w.cpl));
	r.iov[0] = (struct iovec){rb, 4 * ss};
	r.iovcnt = 1;
	CHECK(spdk_nvme_ns_cmd_readv_ext(ns, q, 900, 4, sgl_cpl, &r, sgl_reset, sgl_next, &xo) == 0);
	wait_io(q, &r.w);
	CHECK(r.w.done == 1 && verify(rb, 4 * ss, 900, ss, 9));

	fill(wb, 4 * ss, 910, ss, 10);
	CHECK(spdk_nvme_ns_cmd_write_with_md(ns, q, wb, NULL, 910, 4, on_cpl, &k, 0, 0, 0) == 0);
	wait_io(q, &k);
	CHECK(k.done == 1 && !spdk_nvme_cpl_is_error(&k.cpl));
	memset(rb, 0, 4 * ss);
	memset(&k, 0, sizeof(k));
	CHECK(spdk_nvme_ns_cmd_read_with_md(ns, q, rb, NULL, 910, 4, on_cpl, &k, 0, 0, 0) == 0);
	wait_io(q, &k);
	CHECK(k.done == 1 && verify(rb, 4 * ss, 910, ss, 10));

	/* Raw I/O: a read of the same blocks built by hand. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SPDK_NVME_OPC_READ;
	cmd.nsid = nsid;
	cmd.cdw10 = 910;
	cmd.cdw12 = 3; /* 0-based: four blocks */
	memset(rb, 0, 4 * ss);
	memset(&k, 0, sizeof(k));
	CHECK(spdk_nvme_ctrlr_cmd_io_raw(g_ctrlr, q, &cmd, rb, 4 * ss, on_cpl, &k) == 0);
	wait_io(q, &k);
	CHECK(k.done == 1 && verify(rb, 4 * ss, 910, ss, 10));
	spdk_nvme_qpair_print_command(q, &cmd);
	spdk_nvme_qpair_print_completion(q, &k.cpl);
	memset(rb, 0, 4 * ss);
	memset(&k, 0, sizeof(k));
	CHECK(spdk_nvme_ctrlr_cmd_io_raw_with_md(g_ctrlr, q, &cmd, rb, 4 * ss, NULL, on_cpl, &k) == 0);
	wait_io(q, &k);
	CHECK(k.done == 1 && verify(rb, 4 * ss, 910, ss, 10));
	CHECK(spdk_nvme_qpair_get_failure_reason(q) == SPDK_NVME_QPAIR_FAILURE_NONE);

	/* Raw admin: identify namespace, compared with what the driver keeps. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SPDK_NVME_OPC_IDENTIFY;
	cmd.nsid = nsid;
	cmd.cdw10 = SPDK_NVME_IDENTIFY_NS;
	memset(rb, 0, 4096);
	memset(&k, 0, sizeof(k));
	CHECK(spdk_nvme_ctrlr_cmd_admin_raw(g_ctrlr, &cmd, rb, 4096, on_cpl, &k) == 0);
	wait_admin(&k);
	CHECK(k.done == 1 && !spdk_nvme_cpl_is_error(&k.cpl));
	CHECK(((struct spdk_nvme_ns_data *)rb)->nsze == spdk_nvme_ns_get_data(ns)->nsze);
	CHECK(((struct spdk_nvme_ns_data *)rb)->nsze == spdk_nvme_ns_get_num_sectors(ns));
	CHECK(((struct spdk_nvme_ns_data *)rb)->flbas.format == spdk_nvme_ns_get_data(ns)->flbas.format);

	/* Getters. */
	CHECK(spdk_nvme_ns_get_md_size(ns) == 0);
	CHECK(spdk_nvme_ns_get_csi(ns) == SPDK_NVME_CSI_NVM);
	CHECK(spdk_nvme_ns_get_optimal_io_boundary(ns) == 0);
	CHECK(spdk_nvme_ctrlr_get_regs_vs(g_ctrlr).bits.mjr == 1);
	CHECK(spdk_nvme_ctrlr_get_num_ns(g_ctrlr) >= 1);
	CHECK(spdk_nvme_ctrlr_is_active_ns(g_ctrlr, nsid));
	CHECK(!spdk_nvme_ctrlr_is_active_ns(g_ctrlr, spdk_nvme_ctrlr_get_num_ns(g_ctrlr) + 1));
	spdk_free(wb);
	spdk_free(rb);
}

/* A failed controller refuses I/O until a reset brings it back. */
static void
test_fail_and_recover(struct spdk_nvme_ns *ns)
{
	struct spdk_nvme_qpair *q;
	uint8_t *buf = spdk_zmalloc(4096, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	struct waiter w = {0};

	CHECK(!spdk_nvme_ctrlr_is_failed(g_ctrlr));
	spdk_nvme_ctrlr_fail(g_ctrlr);
	CHECK(spdk_nvme_ctrlr_is_failed(g_ctrlr));
	CHECK(spdk_nvme_ctrlr_reset(g_ctrlr) == 0);
	CHECK(!spdk_nvme_ctrlr_is_failed(g_ctrlr));
	q = spdk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, 0);
	CHECK(q != NULL);
	if (q != NULL) {
		CHECK(spdk_nvme_ns_cmd_read(ns, q, buf, 0, 1, on_cpl, &w, 0) == 0);
		wait_io(q, &w);
		CHECK(w.done == 1 && !spdk_nvme_cpl_is_error(&w.cpl));
		spdk_nvme_ctrlr_free_io_qpair(q);
	}
	spdk_free(buf);
}

static int g_disconnected;

static void
disconnected_cb(struct spdk_nvme_qpair *qpair, void *ctx)
{
	(void)qpair;
	(void)ctx;
	g_disconnected++;
}

/* Two queue pairs polled through one poll group. */
static void
test_poll_group(struct spdk_nvme_ns *ns)
{
	int ctx_tag = 7;
	struct spdk_nvme_poll_group *pg = spdk_nvme_poll_group_create(&ctx_tag, NULL);
	struct spdk_nvme_qpair *q1 = spdk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, 0);
	struct spdk_nvme_qpair *q2 = spdk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, 0);
	uint32_t ss = spdk_nvme_ns_get_sector_size(ns);
	uint8_t *buf = spdk_zmalloc(2 * ss, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	struct waiter w1 = {0}, w2 = {0};
	int64_t total = 0;
	bool never_negative = true;
	uint64_t end = spdk_get_ticks() + 10 * spdk_get_ticks_hz();

	CHECK(pg != NULL && q1 != NULL && q2 != NULL);
	CHECK(spdk_nvme_poll_group_get_ctx(pg) == &ctx_tag);
	CHECK(spdk_nvme_poll_group_add(pg, q1) == 0);
	CHECK(spdk_nvme_poll_group_add(pg, q2) == 0);
	CHECK(spdk_nvme_poll_group_add(pg, q2) == -EINVAL);
	CHECK(spdk_nvme_ns_cmd_read(ns, q1, buf, 0, 1, on_cpl, &w1, 0) == 0);
	CHECK(spdk_nvme_ns_cmd_read(ns, q2, buf + ss, 1, 1, on_cpl, &w2, 0) == 0);
	while ((!w1.done || !w2.done) && spdk_get_ticks() < end) {
		int64_t n = spdk_nvme_poll_group_process_completions(pg, 0, disconnected_cb);

		never_negative = never_negative && n >= 0;
		total += n;
	}
	CHECK(never_negative);
	CHECK(w1.done == 1 && w2.done == 1 && total == 2 && g_disconnected == 0);
	CHECK(spdk_nvme_poll_group_destroy(pg) == -EBUSY);
	CHECK(spdk_nvme_poll_group_remove(pg, q1) == 0);
	CHECK(spdk_nvme_poll_group_remove(pg, q1) == -ENODEV);
	CHECK(spdk_nvme_poll_group_remove(pg, q2) == 0);
	CHECK(spdk_nvme_poll_group_destroy(pg) == 0);
	spdk_nvme_ctrlr_free_io_qpair(q1);
	spdk_nvme_ctrlr_free_io_qpair(q2);
	spdk_free(buf);
}

/* Detach asynchronously, probe again asynchronously: the same controller comes back. */
static void
test_async_probe_detach(void)
{
	struct spdk_nvme_detach_ctx *dctx = NULL;
	struct spdk_nvme_probe_ctx *pctx;
	struct spdk_nvme_transport_id trid = *spdk_nvme_ctrlr_get_transport_id(g_ctrlr);
	int rc;

	CHECK(spdk_nvme_detach_async(g_ctrlr, &dctx) == 0);
	CHECK(dctx != NULL);
	do {
		rc = spdk_nvme_detach_poll_async(dctx);
	} while (rc == -EAGAIN);
	CHECK(rc == 0);
	g_ctrlr = NULL;
	pctx = spdk_nvme_probe_async(&trid, NULL, probe_cb, attach_cb, NULL);
	CHECK(pctx != NULL);
	do {
		rc = spdk_nvme_probe_poll_async(pctx);
	} while (rc == -EAGAIN);
	CHECK(rc == 0);
	CHECK(g_ctrlr != NULL);
	CHECK(g_ctrlr != NULL && spdk_nvme_transport_id_compare(&trid, spdk_nvme_ctrlr_get_transport_id(g_ctrlr)) == 0);
	/* Connecting to an attached controller again is refused. */
	CHECK(spdk_nvme_connect(&trid, NULL, 0) == NULL);
}

struct thread_arg {
	struct spdk_nvme_ns *ns;
	uint64_t first;
	bool ok;
};

static void *
thread_main(void *p)
{
	struct thread_arg *a = p;
	struct spdk_nvme_qpair *q = spdk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, 0);
	unsigned int seed = (unsigned int)a->first;

	a->ok = q != NULL && integrity_pass(a->ns, q, a->first, a->first + 4096, 16, 64, 77, &seed);
	if (q != NULL) {
		spdk_nvme_ctrlr_free_io_qpair(q);
	}
	return NULL;
}

int
main(void)
{
	struct spdk_env_opts opts;
	struct spdk_nvme_ns *ns;
	struct spdk_nvme_qpair *q;
	struct thread_arg ta = {0}, tb = {0};
	pthread_t a, b;

	setvbuf(stdout, NULL, _IONBF, 0);
	opts.opts_size = sizeof(opts);
	spdk_env_opts_init(&opts);
	opts.name = "test_nvme";
	CHECK(spdk_env_init(&opts) == 0);
	CHECK(spdk_nvme_probe(NULL, NULL, probe_cb, attach_cb, NULL) == 0);
	if (g_ctrlr == NULL) {
		fprintf(stderr, "no controller\n");
		return 1;
	}
	ns = spdk_nvme_ctrlr_get_ns(g_ctrlr, spdk_nvme_ctrlr_get_first_active_ns(g_ctrlr));
	CHECK(ns != NULL && spdk_nvme_ns_is_active(ns));
	CHECK(spdk_nvme_ns_get_flags(ns) & SPDK_NVME_NS_WRITE_ZEROES_SUPPORTED);
	CHECK(spdk_nvme_ctrlr_get_regs_cap(g_ctrlr).bits.mqes >= 1);
	CHECK(spdk_nvme_ctrlr_get_regs_csts(g_ctrlr).bits.rdy == 1);
	q = spdk_nvme_ctrlr_alloc_io_qpair(g_ctrlr, NULL, 0);
	CHECK(q != NULL);

	printf("== %s\n", "test_admin");
	test_admin();
	printf("== %s\n", "test_commands");
	test_commands(ns, q);
	printf("== test_sgl\n");
	test_sgl(ns, q);
	printf("== test_more_entry_points\n");
	test_more_entry_points(ns, q);
	printf("== %s\n", "test_exhaustion");
	test_exhaustion(ns);
	printf("== %s\n", "test_timeout");
	test_timeout(ns, q);
	printf("== %s\n", "test_reset_under_load");
	test_reset_under_load(ns, q);
	printf("== %s\n", "test_integrity");
	test_integrity(ns, q);

	/* Two threads, each with its own queue pair, on disjoint ranges. */
	ta.ns = tb.ns = ns;
	ta.first = 1000;
	tb.first = 20000;
	pthread_create(&a, NULL, thread_main, &ta);
	pthread_create(&b, NULL, thread_main, &tb);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	CHECK(ta.ok && tb.ok);

	printf("== test_poll_group\n");
	test_poll_group(ns);
	CHECK(spdk_nvme_ctrlr_free_io_qpair(q) == 0);
	printf("== test_fail_and_recover\n");
	test_fail_and_recover(ns);
	printf("== test_async_probe_detach\n");
	test_async_probe_detach();
	{
		struct spdk_nvme_detach_ctx *dctx = NULL;

		CHECK(spdk_nvme_detach_async(g_ctrlr, &dctx) == 0);
		spdk_nvme_detach_poll(dctx);
	}
	spdk_env_fini();
	return CHECK_DONE("nvme");
}
