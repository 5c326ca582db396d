/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   A part-based virtual bdev module written in C (spdk/bdev_module.h's
 *   spdk_bdev_part helpers), in the manner of SPDK's split module: two parts
 *   of a RAM bdev. I/O through each part lands at its offset of the base;
 *   hot-removing the base removes the parts. Also the latency histograms of
 *   spdk/bdev.h on a part, and the inline spdk/histogram_data.h helpers.
 */
#include "spdk/stdinc.h"
#include "spdk/env.h"
#include "spdk/thread.h"
#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "spdk/histogram_data.h"
#include "bdev_util.h"

#define BLOCKS 64
#define BLOCK 512
#define HALF (BLOCKS / 2)

/* ---- the base: a RAM bdev ---- */

struct ram_disk {
	struct spdk_bdev bdev;
	uint8_t *data;
	int destructed;
};

static int ram_init(void) { return 0; }
static struct spdk_bdev_module g_ram_module = { .module_init = ram_init, .name = "t_ram" };
SPDK_BDEV_MODULE_REGISTER(t_ram, &g_ram_module)

static int g_ram_dev;
static int ram_ch_create(void *dev, void *ctx) { (void)dev; (void)ctx; return 0; }
static void ram_ch_destroy(void *dev, void *ctx) { (void)dev; (void)ctx; }

static int
ram_destruct(void *ctx)
{
	struct ram_disk *d = ctx;

	d->destructed++;
	return 0;
}

static void
ram_submit(struct spdk_io_channel *ch, struct spdk_bdev_io *bdev_io)
{
	struct ram_disk *d = bdev_io->bdev->ctxt;

	(void)ch;
	if (bdev_io->type == SPDK_BDEV_IO_TYPE_ZCOPY) {
		/* Zero copy: the start lends the disk memory; the end has nothing to do. */
		if (bdev_io->u.bdev.zcopy.start) {
			spdk_bdev_io_set_buf(bdev_io, d->data + bdev_io->u.bdev.offset_blocks * BLOCK,
					     bdev_io->u.bdev.num_blocks * BLOCK);
		}
	} else {
		ram_copy(bdev_io, d->data, BLOCK);
	}
	spdk_bdev_io_complete(bdev_io, SPDK_BDEV_IO_STATUS_SUCCESS);
}

static bool
ram_io_type_supported(void *ctx, enum spdk_bdev_io_type type)
{
	return type == SPDK_BDEV_IO_TYPE_ZCOPY || read_write_only(ctx, type);
}

/* Zero-copy phases through a part: the started bdev_io is kept for the end. */
static int g_zc_done, g_zc_ok;
static struct spdk_bdev_io *g_zc_io;

static void
zc_cb(struct spdk_bdev_io *bdev_io, bool success, void *arg)
{
	g_zc_done++;
	g_zc_ok = success;
	g_zc_io = bdev_io;
	if (arg != NULL || !success) {
		/* The end phase (or a failed start): done with it. */
		spdk_bdev_free_io(bdev_io);
	}
}

static struct spdk_io_channel *
ram_get_io_channel(void *ctx)
{
	(void)ctx;
	return spdk_get_io_channel(&g_ram_dev);
}

static const struct spdk_bdev_fn_table g_ram_fn_table = {
	.destruct = ram_destruct,
	.submit_request = ram_submit,
	.io_type_supported = ram_io_type_supported,
	.get_io_channel = ram_get_io_channel,
};

/* ---- the part module ---- */

struct t_part {
	struct spdk_bdev_part part; /* first: the part library frees it with free() */
	int use_ext;
};

struct t_part_ch {
	struct spdk_bdev_part_channel part_ch; /* first, as the part library expects */
	int magic;
};

static SPDK_BDEV_PART_TAILQ g_parts = TAILQ_HEAD_INITIALIZER(g_parts);
static int g_part_chs, g_ext_completions, g_base_freed, g_remove_cbs;
static int g_base_ctx;

static int g_examine_config, g_examine_disk, g_examine_waited;
static struct spdk_bdev *g_deferred_examine;

static int part_init(void) { return 0; }
static int part_ctx_size(void) { return 16; }
static void part_examine_config(struct spdk_bdev *bdev);
static void part_examine_disk(struct spdk_bdev *bdev);
static struct spdk_bdev_module g_part_module = {
	.module_init = part_init,
	.name = "t_part",
	.get_ctx_size = part_ctx_size,
	.examine_config = part_examine_config,
	.examine_disk = part_examine_disk,
};
SPDK_BDEV_MODULE_REGISTER(t_part, &g_part_module)

/* Every bdev is shown to examine_config (done at once), then examine_disk
 * (done later for the RAM bdev, at once for the others). */
static void
part_examine_config(struct spdk_bdev *bdev)
{
	(void)bdev;
	g_examine_config++;
	spdk_bdev_module_examine_done(&g_part_module);
}

static void
part_examine_disk(struct spdk_bdev *bdev)
{
	g_examine_disk++;
	if (strcmp(spdk_bdev_get_name(bdev), "ram0") == 0) {
		g_deferred_examine = bdev;
		return;
	}
	spdk_bdev_module_examine_done(&g_part_module);
}

static void
examine_waited(void *arg)
{
	CHECK(arg == &g_examine_waited);
	g_examine_waited++;
}

static int
part_destruct(void *ctx)
{
	return spdk_bdev_part_free((struct spdk_bdev_part *)ctx);
}

static void
ext_done(struct spdk_bdev_io *part_io, bool success, void *arg)
{
	CHECK(arg == NULL);
	g_ext_completions++;
	spdk_bdev_io_complete(part_io, success ? SPDK_BDEV_IO_STATUS_SUCCESS : SPDK_BDEV_IO_STATUS_FAILED);
}

static void
part_submit(struct spdk_io_channel *ch, struct spdk_bdev_io *bdev_io)
{
	struct t_part_ch *pch = spdk_io_channel_get_ctx(ch);
	struct t_part *p = bdev_io->bdev->ctxt;
	int rc;

	CHECK(pch->magic == 0x7a7a);
	if (p->use_ext) {
		rc = spdk_bdev_part_submit_request_ext(&pch->part_ch, bdev_io, ext_done);
	} else {
		rc = spdk_bdev_part_submit_request(&pch->part_ch, bdev_io);
	}
	if (rc != 0) {
		spdk_bdev_io_complete(bdev_io, SPDK_BDEV_IO_STATUS_FAILED);
	}
}

static struct spdk_bdev_fn_table g_part_fn_table = {
	.destruct = part_destruct,
	.submit_request = part_submit,
};

static int
part_ch_create(void *io_device, void *ctx)
{
	struct t_part_ch *c = ctx;

	CHECK(c->part_ch.part == io_device && c->part_ch.base_ch != NULL);
	c->magic = 0x7a7a;
	g_part_chs++;
	return 0;
}

static void
part_ch_destroy(void *io_device, void *ctx)
{
	(void)io_device;
	(void)ctx;
	g_part_chs--;
}

static void
base_free_fn(void *ctx)
{
	CHECK(ctx == &g_base_ctx);
	g_base_freed++;
}

static void
base_remove_cb(void *ctx)
{
	struct spdk_bdev_part_base *base = ctx;

	g_remove_cbs++;
	spdk_bdev_part_base_hotremove(base, spdk_bdev_part_base_get_tailq(base));
}

/* ---- the test ---- */

static int g_hist_cbs, g_hist_status;

static void
hist_status(void *arg, int status)
{
	(void)arg;
	g_hist_status = status;
	g_hist_cbs++;
}

static struct spdk_histogram_data *g_got_hist;

static void
hist_data(void *arg, int status, struct spdk_histogram_data *h)
{
	(void)arg;
	g_hist_status = status;
	g_got_hist = h;
	g_hist_cbs++;
}

static void
count_buckets(void *ctx, uint64_t start, uint64_t end, uint64_t count, uint64_t total, uint64_t so_far)
{
	uint64_t *sum = ctx;

	(void)total;
	(void)so_far;
	if (count > 0) {
		CHECK(end == 0 || start < end);
	}
	*sum += count;
}

static void
histogram_inline_helpers(void)
{
	struct spdk_histogram_data *a = spdk_histogram_data_alloc();
	struct spdk_histogram_data *b = spdk_histogram_data_alloc_sized_ext(5, 1000, 1000000);
	struct spdk_histogram_data *c = spdk_histogram_data_alloc_sized_ext(5, 1000, 1000000);
	uint64_t sum = 0;

	if (!CHECK(a != NULL && b != NULL && c != NULL)) {
		return;
	}
	CHECK(a->granularity == SPDK_HISTOGRAM_GRANULARITY_DEFAULT && a->min_range == 0 && a->max_range == 57);
	CHECK(SPDK_HISTOGRAM_NUM_BUCKETS(a) == 58 * 128);
	spdk_histogram_data_tally(a, 5);
	spdk_histogram_data_tally(a, 300);
	spdk_histogram_data_tally(a, UINT64_MAX);
	CHECK(a->bucket[5] == 1);
	CHECK(a->bucket[SPDK_HISTOGRAM_NUM_BUCKETS(a) - 1] == 1);
	spdk_histogram_data_iterate(a, count_buckets, &sum);
	CHECK(sum == 3);
	/* Values outside [min, max) land in the first and last buckets. */
	spdk_histogram_data_tally(b, 1);
	spdk_histogram_data_tally(b, 1ULL << 40);
	spdk_histogram_data_tally(c, 5000);
	CHECK(b->bucket[0] == 1 && b->bucket[SPDK_HISTOGRAM_NUM_BUCKETS(b) - 1] == 1);
	CHECK(spdk_histogram_data_merge(b, c) == 0);
	sum = 0;
	spdk_histogram_data_iterate(b, count_buckets, &sum);
	CHECK(sum == 3);
	CHECK(spdk_histogram_data_merge(a, b) == -EINVAL);
	spdk_histogram_data_reset(b);
	sum = 0;
	spdk_histogram_data_iterate(b, count_buckets, &sum);
	CHECK(sum == 0);
	CHECK(spdk_histogram_data_alloc_sized_ext(7, 10, 10) == NULL);
	spdk_histogram_data_free(a);
	spdk_histogram_data_free(b);
	spdk_histogram_data_free(c);
	spdk_histogram_data_free(NULL);
}

int
main(void)
{
	struct spdk_env_opts eopts;
	struct spdk_thread *t;
	struct ram_disk ram;
	struct spdk_bdev_part_base *base = NULL, *nobase = NULL;
	struct t_part *p0, *p1, *bad;
	struct spdk_bdev_part_construct_opts popts;
	struct spdk_bdev_desc *d0 = NULL, *d1 = NULL, *dram = NULL;
	struct spdk_io_channel *c0, *c1;
	struct spdk_bdev_enable_histogram_opts hopts;
	struct spdk_histogram_data *h;
	struct spdk_uuid u;
	uint8_t *buf;
	uint64_t sum;
	int i;

	histogram_inline_helpers();

	eopts.opts_size = sizeof(eopts);
	spdk_env_opts_init(&eopts);
	eopts.name = "test_bdev_part";
	CHECK(spdk_env_init(&eopts) == 0);
	CHECK(spdk_thread_lib_init(NULL, 0) == 0);
	t = spdk_thread_create("bdev_part", NULL);
	spdk_set_thread(t);
	spdk_io_device_register(&g_ram_dev, ram_ch_create, ram_ch_destroy, 0, "t_ram");

	memset(&ram, 0, sizeof(ram));
	ram.data = calloc(BLOCKS, BLOCK);
	ram.bdev.name = (char *)"ram0";
	ram.bdev.product_name = (char *)"RAM";
	ram.bdev.blocklen = BLOCK;
	ram.bdev.blockcnt = BLOCKS;
	ram.bdev.ctxt = &ram;
	ram.bdev.fn_table = &g_ram_fn_table;
	ram.bdev.module = &g_ram_module;
	CHECK(spdk_bdev_register(&ram.bdev) == 0);
	/* Examination: config then disk; waiting lasts until examine_disk is done. */
	CHECK(g_examine_config == 1 && g_examine_disk == 1 && g_deferred_examine == &ram.bdev);
	CHECK(spdk_bdev_wait_for_examine(examine_waited, &g_examine_waited) == 0);
	for (i = 0; i < 100; i++) {
		spdk_thread_poll(t, 0, 0);
	}
	CHECK(g_examine_waited == 0);
	spdk_bdev_module_examine_done(&g_part_module);
	poll_until(t, &g_examine_waited, 1);
	CHECK(g_examine_waited == 1);
	CHECK(spdk_bdev_examine("ram0") == -EINVAL); /* auto examine is on */

	/* The base. */
	CHECK(spdk_bdev_part_base_construct_ext("nope", base_remove_cb, &g_part_module, &g_part_fn_table, &g_parts,
						base_free_fn, &g_base_ctx, sizeof(struct t_part_ch), part_ch_create,
						part_ch_destroy, &nobase) == -ENODEV);
	CHECK(nobase == NULL && g_base_freed == 0);
	CHECK(spdk_bdev_part_base_construct_ext("ram0", base_remove_cb, &g_part_module, &g_part_fn_table, &g_parts,
						base_free_fn, &g_base_ctx, sizeof(struct t_part_ch), part_ch_create,
						part_ch_destroy, &base) == 0);
	if (!CHECK(base != NULL)) {
		return CHECK_DONE("bdev_part");
	}
	CHECK(g_part_fn_table.get_io_channel != NULL && g_part_fn_table.io_type_supported != NULL);
	CHECK(spdk_bdev_part_base_get_bdev(base) == &ram.bdev);
	CHECK_STREQ(spdk_bdev_part_base_get_bdev_name(base), "ram0");
	CHECK(spdk_bdev_desc_get_bdev(spdk_bdev_part_base_get_desc(base)) == &ram.bdev);
	CHECK(spdk_bdev_part_base_get_tailq(base) == &g_parts);
	CHECK(spdk_bdev_part_base_get_ctx(base) == &g_base_ctx);

	/* A base given up without parts: closed, its free_fn called, nothing claimed. */
	CHECK(spdk_bdev_part_base_construct_ext("ram0", base_remove_cb, &g_part_module, &g_part_fn_table, &g_parts,
						base_free_fn, &g_base_ctx, 0, NULL, NULL, NULL) == -EINVAL);
	CHECK(spdk_bdev_part_base_construct_ext("ram0", base_remove_cb, &g_part_module, &g_part_fn_table, &g_parts,
						base_free_fn, &g_base_ctx, 0, NULL, NULL, &nobase) == 0);
	spdk_bdev_part_base_free(nobase);
	CHECK(g_base_freed == 1 && spdk_bdev_first_leaf() == &ram.bdev);

	/* Two parts: the halves of the base, the second with a UUID. */
	p0 = calloc(1, sizeof(*p0));
	p1 = calloc(1, sizeof(*p1));
	bad = calloc(1, sizeof(*bad));
	p1->use_ext = 1;
	CHECK(spdk_bdev_part_construct(&p0->part, base, (char *)"ram0p0", 0, HALF, (char *)"Split Disk") == 0);
	CHECK(spdk_bdev_first_leaf() != &ram.bdev && spdk_bdev_open_ext("ram0", true, event_cb, NULL, &dram) == -EPERM);
	CHECK(spdk_bdev_part_construct(&bad->part, base, (char *)"ram0bad", HALF, HALF + 1, (char *)"Split Disk") < 0);
	free(bad);
	spdk_bdev_part_construct_opts_init(&popts, sizeof(popts));
	CHECK(popts.opts_size == sizeof(popts) && spdk_uuid_is_null(&popts.uuid));
	CHECK(spdk_uuid_parse(&popts.uuid, "0c2e4f1a-2b3c-4d5e-8f70-112233445566") == 0);
	CHECK(spdk_bdev_part_construct_ext(&p1->part, base, (char *)"ram0p1", HALF, HALF, (char *)"Split Disk", &popts) == 0);
	CHECK(spdk_uuid_parse(&u, "0c2e4f1a-2b3c-4d5e-8f70-112233445566") == 0);
	CHECK(spdk_uuid_compare(spdk_bdev_get_uuid(spdk_bdev_part_get_bdev(&p1->part)), &u) == 0);
	CHECK(TAILQ_FIRST(&g_parts) == &p0->part && TAILQ_NEXT(&p0->part, tailq) == &p1->part && TAILQ_NEXT(&p1->part, tailq) == NULL);
	CHECK(spdk_bdev_get_by_name("ram0p1") == spdk_bdev_part_get_bdev(&p1->part));
	CHECK(g_examine_config == 3 && g_examine_disk == 3);
	CHECK(spdk_bdev_part_get_base(&p1->part) == base);
	CHECK(spdk_bdev_part_get_base_bdev(&p1->part) == &ram.bdev);
	CHECK(spdk_bdev_part_get_offset_blocks(&p1->part) == HALF);
	CHECK(spdk_bdev_get_num_blocks(spdk_bdev_part_get_bdev(&p0->part)) == HALF);
	CHECK_STREQ(spdk_bdev_get_product_name(spdk_bdev_part_get_bdev(&p0->part)), "Split Disk");
	CHECK(spdk_bdev_io_type_supported(spdk_bdev_part_get_bdev(&p0->part), SPDK_BDEV_IO_TYPE_WRITE));
	CHECK(!spdk_bdev_io_type_supported(spdk_bdev_part_get_bdev(&p0->part), SPDK_BDEV_IO_TYPE_UNMAP));

	/* I/O through each part lands at its offset of the base. */
	CHECK(spdk_bdev_open_ext("ram0p0", true, event_cb, NULL, &d0) == 0);
	CHECK(spdk_bdev_open_ext("ram0p1", true, event_cb, NULL, &d1) == 0);
	c0 = spdk_bdev_get_io_channel(d0);
	c1 = spdk_bdev_get_io_channel(d1);
	CHECK(c0 != NULL && c1 != NULL && g_part_chs == 2);
	buf = spdk_dma_zmalloc(2 * BLOCK, 4096, NULL);
	memset(buf, 0xa1, 2 * BLOCK);
	CHECK(spdk_bdev_write_blocks(d0, c0, buf, 3, 2, io_done, NULL) == 0);
	poll_until(t, &g_done, 1);
	CHECK(g_done == 1 && g_ok);
	memset(buf, 0xb2, 2 * BLOCK);
	CHECK(spdk_bdev_write_blocks(d1, c1, buf, 3, 2, io_done, NULL) == 0);
	poll_until(t, &g_done, 2);
	CHECK(g_done == 2 && g_ok && g_ext_completions == 1);
	for (i = 0; i < BLOCKS * BLOCK; i++) {
		uint8_t want = 0;

		if (i >= 3 * BLOCK && i < 5 * BLOCK) {
			want = 0xa1;
		} else if (i >= (HALF + 3) * BLOCK && i < (HALF + 5) * BLOCK) {
			want = 0xb2;
		}
		if (ram.data[i] != want) {
			CHECK(ram.data[i] == want);
			break;
		}
	}
	ram.data[(HALF + 10) * BLOCK] = 0x5c;
	memset(buf, 0, 2 * BLOCK);
	CHECK(spdk_bdev_read_blocks(d1, c1, buf, 10, 1, io_done, NULL) == 0);
	poll_until(t, &g_done, 3);
	CHECK(g_done == 3 && g_ok && buf[0] == 0x5c && buf[1] == 0 && g_ext_completions == 2);
	CHECK(spdk_bdev_read_blocks(d0, c0, buf, HALF - 1, 2, io_done, NULL) == -EINVAL);

	/* Zero copy through the parts: the base's memory at the part's offset. */
	{
		struct iovec *zv = NULL;
		int zn = 0;
		static int end_marker;

		CHECK(spdk_bdev_io_type_supported(spdk_bdev_part_get_bdev(&p1->part), SPDK_BDEV_IO_TYPE_ZCOPY));
		CHECK(spdk_bdev_zcopy_start(d1, c1, NULL, 0, 20, 2, false, zc_cb, NULL) == 0);
		poll_until(t, &g_zc_done, 1);
		CHECK(g_zc_done == 1 && g_zc_ok && g_ext_completions == 3);
		spdk_bdev_io_get_iovec(g_zc_io, &zv, &zn);
		CHECK(zn == 1 && zv[0].iov_base == ram.data + (HALF + 20) * BLOCK && zv[0].iov_len == 2 * BLOCK);
		memset(zv[0].iov_base, 0x6d, 2 * BLOCK);
		CHECK(spdk_bdev_zcopy_end(g_zc_io, true, zc_cb, &end_marker) == 0);
		poll_until(t, &g_zc_done, 2);
		CHECK(g_zc_done == 2 && g_zc_ok && g_ext_completions == 4);
		CHECK(ram.data[(HALF + 20) * BLOCK] == 0x6d && ram.data[(HALF + 22) * BLOCK - 1] == 0x6d);
		CHECK(ram.data[(HALF + 22) * BLOCK] == 0);
		CHECK(spdk_bdev_zcopy_start(d0, c0, NULL, 0, 3, 2, true, zc_cb, NULL) == 0);
		poll_until(t, &g_zc_done, 3);
		CHECK(g_zc_done == 3 && g_zc_ok);
		spdk_bdev_io_get_iovec(g_zc_io, &zv, &zn);
		CHECK(zn == 1 && zv[0].iov_base == ram.data + 3 * BLOCK && ((uint8_t *)zv[0].iov_base)[2 * BLOCK - 1] == 0xa1);
		CHECK(spdk_bdev_zcopy_end(g_zc_io, false, zc_cb, &end_marker) == 0);
		poll_until(t, &g_zc_done, 4);
		CHECK(g_zc_done == 4 && g_zc_ok);
		CHECK(spdk_bdev_zcopy_start(d0, c0, NULL, 0, HALF - 1, 2, true, zc_cb, NULL) == -EINVAL);
	}

	/* Latency histograms of a part, reads only. */
	spdk_bdev_enable_histogram_opts_init(&hopts, sizeof(hopts));
	CHECK(hopts.granularity == SPDK_HISTOGRAM_GRANULARITY_DEFAULT && hopts.io_type == 0 && hopts.max_nsec == UINT64_MAX);
	hopts.io_type = SPDK_BDEV_IO_TYPE_READ;
	hopts.granularity = 4;
	spdk_bdev_histogram_enable_ext(spdk_bdev_part_get_bdev(&p0->part), hist_status, NULL, true, &hopts);
	poll_until(t, &g_hist_cbs, 1);
	CHECK(g_hist_cbs == 1 && g_hist_status == 0);
	CHECK(spdk_bdev_write_blocks(d0, c0, buf, 0, 1, io_done, NULL) == 0);
	CHECK(spdk_bdev_read_blocks(d0, c0, buf, 0, 1, io_done, NULL) == 0);
	CHECK(spdk_bdev_read_blocks(d0, c0, buf, 1, 1, io_done, NULL) == 0);
	poll_until(t, &g_done, 6);
	h = spdk_histogram_data_alloc_sized(4);
	spdk_bdev_histogram_get(spdk_bdev_part_get_bdev(&p0->part), h, hist_data, NULL);
	poll_until(t, &g_hist_cbs, 2);
	CHECK(g_hist_cbs == 2 && g_hist_status == 0 && g_got_hist == h);
	sum = 0;
	spdk_histogram_data_iterate(h, count_buckets, &sum);
	CHECK(sum == 2);
	spdk_histogram_data_free(h);
	spdk_bdev_channel_get_histogram(c0, hist_data, NULL);
	CHECK(g_hist_cbs == 3 && g_hist_status == 0 && g_got_hist != NULL && g_got_hist->granularity == 4);
	spdk_bdev_channel_get_histogram(c1, hist_data, NULL);
	CHECK(g_hist_cbs == 4 && g_hist_status == -EFAULT && g_got_hist == NULL);
	spdk_bdev_histogram_enable(spdk_bdev_part_get_bdev(&p0->part), hist_status, NULL, false);
	poll_until(t, &g_hist_cbs, 5);
	CHECK(g_hist_status == 0);
	h = spdk_histogram_data_alloc();
	spdk_bdev_histogram_get(spdk_bdev_part_get_bdev(&p0->part), h, hist_data, NULL);
	poll_until(t, &g_hist_cbs, 6);
	CHECK(g_hist_status == -EFAULT);
	spdk_histogram_data_free(h);

	/* Hot-remove of the base: the parts go, then the base. */
	spdk_bdev_unregister(&ram.bdev, unregistered, NULL);
	poll_until(t, &g_removed, 2);
	CHECK(g_remove_cbs == 1 && g_removed == 2);
	spdk_put_io_channel(c0);
	spdk_put_io_channel(c1);
	spdk_bdev_close(d0);
	spdk_bdev_close(d1);
	poll_until(t, &g_unregistered, 1);
	CHECK(g_unregistered == 1 && ram.destructed == 1);
	CHECK(g_base_freed == 2 && g_part_chs == 0);
	CHECK(TAILQ_EMPTY(&g_parts));
	CHECK(spdk_bdev_get_by_name("ram0p0") == NULL && spdk_bdev_get_by_name("ram0p1") == NULL);
	CHECK(spdk_bdev_get_by_name("ram0") == NULL);

	spdk_free(buf);
	free(ram.data);
	spdk_io_device_unregister(&g_ram_dev, NULL);
	spdk_thread_exit(t);
	while (!spdk_thread_is_exited(t)) {
		spdk_thread_poll(t, 0, 0);
	}
	spdk_thread_destroy(t);
	spdk_thread_lib_fini();
	spdk_env_fini();
	return CHECK_DONE("bdev_part");
}
