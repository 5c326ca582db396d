/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   A bdev module written in C (spdk/bdev_module.h): it embeds struct
 *   spdk_bdev, registers, and serves I/O the bdev layer sends it; the test
 *   drives that I/O through spdk/bdev.h on a hand-polled spdk_thread.
 */
#include "spdk/stdinc.h"
#include "spdk/env.h"
#include "spdk/thread.h"
#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "bdev_util.h"

#define BLOCKS 128
#define BLOCK 512
#define CTX_MAGIC 0x5eed5eedu

struct c_disk {
	struct spdk_bdev bdev;
	uint8_t *data;
	int destructed;
};

struct c_io_ctx {
	uint32_t magic;
};

static int c_module_init(void) { return 0; }
static int c_get_ctx_size(void) { return sizeof(struct c_io_ctx); }

static struct spdk_bdev_module g_c_module = {
	.module_init = c_module_init,
	.name = "c_ramdisk",
	.get_ctx_size = c_get_ctx_size,
};
SPDK_BDEV_MODULE_REGISTER(c_ramdisk, &g_c_module)

static int g_io_device;
static int g_submitted;
static int g_boundary_violations;

static int ch_create(void *dev, void *ctx) { (void)dev; (void)ctx; return 0; }
static void ch_destroy(void *dev, void *ctx) { (void)dev; (void)ctx; }

static int
c_destruct(void *ctx)
{
	struct c_disk *d = ctx;

	d->destructed++;
	free(d->data);
	d->data = NULL;
	return 0;
}

static void
c_submit(struct spdk_io_channel *ch, struct spdk_bdev_io *bdev_io)
{
	struct c_disk *d = bdev_io->bdev->ctxt;
	struct c_io_ctx *ctx = (struct c_io_ctx *)bdev_io->driver_ctx;
	(void)ch;
	g_submitted++;
	if (bdev_io->bdev->split_on_optimal_io_boundary && bdev_io->bdev->optimal_io_boundary != 0) {
		uint64_t first = bdev_io->u.bdev.offset_blocks;
		uint64_t last = first + bdev_io->u.bdev.num_blocks - 1;

		if (first / bdev_io->bdev->optimal_io_boundary != last / bdev_io->bdev->optimal_io_boundary) {
			g_boundary_violations++;
		}
	}
	ctx->magic = CTX_MAGIC;
	if (spdk_bdev_io_from_ctx(ctx) != bdev_io) {
		spdk_bdev_io_complete(bdev_io, SPDK_BDEV_IO_STATUS_FAILED);
		return;
	}
	ram_copy(bdev_io, d->data, BLOCK);
	spdk_bdev_io_complete(bdev_io, SPDK_BDEV_IO_STATUS_SUCCESS);
}

static struct spdk_io_channel *
c_get_io_channel(void *ctx)
{
	(void)ctx;
	return spdk_get_io_channel(&g_io_device);
}

static const struct spdk_bdev_fn_table g_c_fn_table = {
	.destruct = c_destruct,
	.submit_request = c_submit,
	.io_type_supported = read_write_only,
	.get_io_channel = c_get_io_channel,
};

static int g_stat_cbs;
static struct spdk_bdev_io_stat g_dev_stat;

static void
stat_cb(struct spdk_bdev *bdev, struct spdk_bdev_io_stat *stat, void *arg, int rc)
{
	(void)bdev;
	(void)arg;
	CHECK(rc == 0);
	CHECK(stat == &g_dev_stat);
	g_stat_cbs++;
}

static int g_qos_cbs;
static int g_qos_status;

static void
qos_cb(void *arg, int status)
{
	(void)arg;
	g_qos_status = status;
	g_qos_cbs++;
}

int
main(void)
{
	struct spdk_env_opts eopts;
	struct spdk_bdev_opts bopts;
	struct spdk_thread *t;
	struct c_disk disk;
	struct spdk_bdev_desc *rw = NULL, *ro = NULL;
	struct spdk_io_channel *ch;
	struct spdk_bdev_io_wait_entry entry;
	uint8_t *buf;
	int i;

	eopts.opts_size = sizeof(eopts);
	spdk_env_opts_init(&eopts);
	eopts.name = "test_bdev_module";
	CHECK(spdk_env_init(&eopts) == 0);
	spdk_bdev_get_opts(&bopts, sizeof(bopts));
	CHECK(bopts.bdev_io_pool_size == 64 * 1024 - 1);
	bopts.bdev_io_pool_size = 64;
	bopts.bdev_io_cache_size = 1024;
	/* The pool must hold a full cache for every thread and one more. */
	CHECK(spdk_bdev_set_opts(&bopts) == -EINVAL);
	bopts.bdev_io_cache_size = 16;
	CHECK(spdk_bdev_set_opts(&bopts) == 0);
	CHECK(spdk_thread_lib_init(NULL, 0) == 0);
	t = spdk_thread_create("bdev_c", NULL);
	spdk_set_thread(t);
	spdk_io_device_register(&g_io_device, ch_create, ch_destroy, 0, "c_ramdisk");

	memset(&disk, 0, sizeof(disk));
	disk.data = calloc(BLOCKS, BLOCK);
	disk.bdev.name = (char *)"c_ramdisk0";
	disk.bdev.product_name = (char *)"C ramdisk";
	disk.bdev.blocklen = BLOCK;
	disk.bdev.blockcnt = BLOCKS;
	disk.bdev.ctxt = &disk;
	disk.bdev.fn_table = &g_c_fn_table;
	disk.bdev.module = &g_c_module;
	CHECK(spdk_bdev_register(&disk.bdev) == 0);
	CHECK(spdk_bdev_register(&disk.bdev) == -EEXIST);
	/* Options are fixed once the first bdev registered. */
	CHECK(spdk_bdev_set_opts(&bopts) == -EINVAL);

	CHECK(spdk_bdev_get_by_name("c_ramdisk0") == &disk.bdev);
	CHECK(spdk_bdev_first() == &disk.bdev && spdk_bdev_next(&disk.bdev) == NULL);
	CHECK(spdk_bdev_first_leaf() == &disk.bdev && spdk_bdev_next_leaf(&disk.bdev) == NULL);
	/* A claimed bdev is no longer a leaf, and a second claim fails. */
	CHECK(spdk_bdev_module_claim_bdev(&disk.bdev, NULL, &g_c_module) == 0);
	CHECK(spdk_bdev_module_claim_bdev(&disk.bdev, NULL, &g_c_module) == -EPERM);
	CHECK(spdk_bdev_first_leaf() == NULL);
	CHECK(spdk_bdev_first() == &disk.bdev);
	spdk_bdev_module_release_bdev(&disk.bdev);
	CHECK(spdk_bdev_first_leaf() == &disk.bdev);
	CHECK_STREQ(spdk_bdev_get_name(&disk.bdev), "c_ramdisk0");
	CHECK_STREQ(spdk_bdev_get_product_name(&disk.bdev), "C ramdisk");
	CHECK(spdk_bdev_get_block_size(&disk.bdev) == BLOCK);
	CHECK(spdk_bdev_get_num_blocks(&disk.bdev) == BLOCKS);
	CHECK(!spdk_uuid_is_null(spdk_bdev_get_uuid(&disk.bdev)));
	CHECK(spdk_bdev_io_type_supported(&disk.bdev, SPDK_BDEV_IO_TYPE_WRITE));
	CHECK(!spdk_bdev_io_type_supported(&disk.bdev, SPDK_BDEV_IO_TYPE_UNMAP));

	CHECK(spdk_bdev_open_ext("nope", false, event_cb, NULL, &ro) == -ENODEV);
	CHECK(spdk_bdev_open_ext("c_ramdisk0", true, NULL, NULL, &rw) == -EINVAL);
	CHECK(spdk_bdev_open_ext("c_ramdisk0", true, event_cb, NULL, &rw) == 0);
	CHECK(spdk_bdev_open_ext("c_ramdisk0", false, event_cb, NULL, &ro) == 0);
	CHECK(spdk_bdev_desc_get_bdev(rw) == &disk.bdev);
	ch = spdk_bdev_get_io_channel(rw);
	CHECK(ch != NULL);

	buf = spdk_dma_zmalloc(8 * BLOCK, 4096, NULL);
	for (i = 0; i < 8 * BLOCK; i++) {
		buf[i] = (uint8_t)(i * 3 + 1);
	}
	CHECK(spdk_bdev_write_blocks(rw, ch, buf, 10, 8, io_done, NULL) == 0);
	poll_until(t, &g_done, 1);
	CHECK(g_done == 1 && g_ok);
	memset(buf, 0, 8 * BLOCK);
	CHECK(spdk_bdev_read(rw, ch, buf, 10 * BLOCK, 8 * BLOCK, io_done, NULL) == 0);
	poll_until(t, &g_done, 2);
	CHECK(g_done == 2 && g_ok);
	for (i = 0; i < 8 * BLOCK && buf[i] == (uint8_t)(i * 3 + 1); i++) {
	}
	CHECK(i == 8 * BLOCK);
	CHECK(memcmp(disk.data + 10 * BLOCK, buf, 8 * BLOCK) == 0);
	CHECK(g_submitted == 2);

	/* Statistics: the channel's, then the device's (over channels), reset after reading. */
	{
		struct spdk_bdev_io_stat st;

		memset(&st, 0, sizeof(st));
		spdk_bdev_get_io_stat(&disk.bdev, ch, &st);
		CHECK(st.num_write_ops == 1 && st.num_read_ops == 1);
		CHECK(st.bytes_written == 8 * BLOCK && st.bytes_read == 8 * BLOCK);
		CHECK(st.ticks_rate == spdk_get_ticks_hz());
		CHECK(st.max_read_latency_ticks >= st.min_read_latency_ticks && st.min_read_latency_ticks > 0);
		spdk_bdev_get_device_stat(&disk.bdev, &g_dev_stat, SPDK_BDEV_RESET_STAT_ALL, stat_cb, NULL);
		poll_until(t, &g_stat_cbs, 1);
		CHECK(g_stat_cbs == 1);
		CHECK(g_dev_stat.num_write_ops == 1 && g_dev_stat.num_read_ops == 1 && g_dev_stat.bytes_read == 8 * BLOCK);
		spdk_bdev_get_io_stat(&disk.bdev, ch, &st);
		CHECK(st.num_read_ops == 0 && st.num_write_ops == 0);
	}

	/* QoS limits: set, read back, keep what UINT64_MAX leaves, refuse a non-multiple of 1000. */
	{
		uint64_t set[SPDK_BDEV_QOS_NUM_RATE_LIMIT_TYPES] = {4000, 10, UINT64_MAX, UINT64_MAX};
		uint64_t got[SPDK_BDEV_QOS_NUM_RATE_LIMIT_TYPES];

		spdk_bdev_set_qos_rate_limits(&disk.bdev, set, qos_cb, NULL);
		CHECK(g_qos_cbs == 0); /* called back later, not from inside the call */
		poll_until(t, &g_qos_cbs, 1);
		CHECK(g_qos_cbs == 1 && g_qos_status == 0);
		spdk_bdev_get_qos_rate_limits(&disk.bdev, got);
		CHECK(got[0] == 4000 && got[1] == 10 && got[2] == 0 && got[3] == 0);
		set[0] = 1500;
		spdk_bdev_set_qos_rate_limits(&disk.bdev, set, qos_cb, NULL);
		poll_until(t, &g_qos_cbs, 2);
		CHECK(g_qos_cbs == 2 && g_qos_status == -EINVAL);
		set[0] = 0;
		set[1] = 0;
		spdk_bdev_set_qos_rate_limits(&disk.bdev, set, qos_cb, NULL);
		poll_until(t, &g_qos_cbs, 3);
		spdk_bdev_get_qos_rate_limits(&disk.bdev, got);
		CHECK(g_qos_status == 0 && got[0] == 0 && got[1] == 0);
	}

	/* Bad input: SPDK's errors, nothing reaches the module. */
	CHECK(spdk_bdev_read_blocks(rw, ch, buf, BLOCKS - 4, 8, io_done, NULL) == -EINVAL);
	CHECK(spdk_bdev_read_blocks(rw, ch, buf, 0, 0, io_done, NULL) == -EINVAL);
	CHECK(spdk_bdev_read(rw, ch, buf, 100, BLOCK, io_done, NULL) == -EINVAL);
	CHECK(spdk_bdev_write_blocks(ro, ch, buf, 0, 1, io_done, NULL) == -EBADF);
	CHECK(spdk_bdev_unmap_blocks(rw, ch, 0, 1, io_done, NULL) == -ENOTSUP);
	CHECK(spdk_bdev_read_blocks(NULL, ch, buf, 0, 1, io_done, NULL) == -EINVAL);
	memset(&entry, 0, sizeof(entry));
	entry.bdev = &disk.bdev;
	CHECK(spdk_bdev_queue_io_wait(&disk.bdev, ch, &entry) == -EINVAL);
	CHECK(g_submitted == 2);

	/* Splitting: a bdev with a 4-block optimal I/O boundary gets no I/O crossing it. */
	{
		struct c_disk sd;
		struct spdk_bdev_desc *sdesc = NULL;
		struct spdk_io_channel *sch;
		struct iovec iov[3];
		uint8_t *src = spdk_dma_zmalloc(16 * BLOCK, 4096, NULL);
		uint8_t *dst = spdk_dma_zmalloc(16 * BLOCK, 4096, NULL);
		int before = g_submitted, done_before = g_done;

		memset(&sd, 0, sizeof(sd));
		sd.data = calloc(BLOCKS, BLOCK);
		sd.bdev.name = (char *)"c_split0";
		sd.bdev.product_name = (char *)"C ramdisk";
		sd.bdev.blocklen = BLOCK;
		sd.bdev.blockcnt = BLOCKS;
		sd.bdev.ctxt = &sd;
		sd.bdev.fn_table = &g_c_fn_table;
		sd.bdev.module = &g_c_module;
		sd.bdev.optimal_io_boundary = 4;
		sd.bdev.split_on_optimal_io_boundary = 1;
		CHECK(spdk_bdev_register(&sd.bdev) == 0);
		CHECK(spdk_bdev_get_optimal_io_boundary(&sd.bdev) == 4);
		CHECK(spdk_bdev_open_ext("c_split0", true, event_cb, NULL, &sdesc) == 0);
		sch = spdk_bdev_get_io_channel(sdesc);
		for (i = 0; i < 16 * BLOCK; i++) {
			src[i] = (uint8_t)(i * 7 + 3);
		}
		/* 16 blocks from block 2, in three segments of odd sizes. */
		iov[0].iov_base = src;
		iov[0].iov_len = 1000;
		iov[1].iov_base = src + 1000;
		iov[1].iov_len = 3000;
		iov[2].iov_base = src + 4000;
		iov[2].iov_len = 16 * BLOCK - 4000;
		CHECK(spdk_bdev_writev_blocks(sdesc, sch, iov, 3, 2, 16, io_done, NULL) == 0);
		poll_until(t, &g_done, done_before + 1);
		CHECK(g_done == done_before + 1 && g_ok);
		/* Blocks 2..18 against a boundary of 4: [2,4) [4,8) [8,12) [12,16) [16,18). */
		CHECK(g_submitted - before == 5);
		CHECK(spdk_bdev_read_blocks(sdesc, sch, dst, 2, 16, io_done, NULL) == 0);
		poll_until(t, &g_done, done_before + 2);
		CHECK(g_done == done_before + 2 && g_ok);
		CHECK(g_submitted - before == 10);
		CHECK(memcmp(src, dst, 16 * BLOCK) == 0);
		CHECK(memcmp(sd.data + 2 * BLOCK, src, 16 * BLOCK) == 0);
		CHECK(g_boundary_violations == 0);
		/* An I/O inside one boundary is not split. */
		CHECK(spdk_bdev_read_blocks(sdesc, sch, dst, 4, 4, io_done, NULL) == 0);
		poll_until(t, &g_done, done_before + 3);
		CHECK(g_submitted - before == 11);
		spdk_put_io_channel(sch);
		spdk_bdev_close(sdesc);
		spdk_bdev_unregister(&sd.bdev, NULL, NULL);
		for (i = 0; i < 100; i++) {
			spdk_thread_poll(t, 0, 0);
		}
		CHECK(sd.destructed == 1);
		spdk_free(src);
		spdk_free(dst);
	}

	/* A module's size change: both open descriptors get RESIZE; shrinking while open is refused. */
	CHECK(spdk_bdev_notify_blockcnt_change(&disk.bdev, BLOCKS * 2) == 0);
	CHECK(spdk_bdev_get_num_blocks(&disk.bdev) == BLOCKS * 2);
	poll_until(t, &g_resized, 2);
	CHECK(g_resized == 2);
	CHECK(spdk_bdev_notify_blockcnt_change(&disk.bdev, BLOCKS) == -EBUSY);
	CHECK(spdk_bdev_notify_blockcnt_change(&disk.bdev, 0) == -EINVAL);
	CHECK(spdk_bdev_get_num_blocks(&disk.bdev) == BLOCKS * 2);

	/* Removal: both descriptors hear of it; the module destructs after the last close. */
	spdk_put_io_channel(ch);
	spdk_bdev_unregister(&disk.bdev, unregistered, NULL);
	poll_until(t, &g_removed, 2);
	CHECK(g_removed == 2);
	CHECK(disk.destructed == 0);
	spdk_bdev_close(rw);
	spdk_bdev_close(ro);
	poll_until(t, &g_unregistered, 1);
	CHECK(g_unregistered == 1 && disk.destructed == 1);
	CHECK(spdk_bdev_get_by_name("c_ramdisk0") == NULL);

	spdk_free(buf);
	spdk_io_device_unregister(&g_io_device, NULL);
	spdk_thread_exit(t);
	while (!spdk_thread_is_exited(t)) {
		spdk_thread_poll(t, 0, 0);
	}
	spdk_thread_destroy(t);
	spdk_thread_lib_fini();
	spdk_env_fini();
	return CHECK_DONE("bdev_module");
}
