/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   The bdev layer's extended I/O path, against a C module that advertises
 *   separate metadata, a required buffer alignment and segment limits, and
 *   lacks compare: ext I/O with metadata, compare and compare-and-write
 *   (emulated), NVMe passthru with protocol status round trips, layer
 *   buffers (reads without a buffer, spdk_bdev_io_get_buf), bounce buffers,
 *   splitting, reset freezing, and zero-copy I/O (the module lends its
 *   memory with spdk_bdev_io_set_buf, reading SPDK's u.bdev.zcopy bits).
 */
#include "spdk/stdinc.h"
#include "spdk/env.h"
#include "spdk/thread.h"
#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "check.h"

#define BLOCKS 256
#define BLOCK 512
#define MD 8
#define MAX_HELD 8

struct io_disk {
	struct spdk_bdev bdev;
	uint8_t *data;
	uint8_t *md;
	int hold;
	struct spdk_bdev_io *held[MAX_HELD];
	int nheld;
	int destructed;
	int resets;
	int submitted;
	int compares_seen;
	int zcopy_starts, zcopy_populates, zcopy_ends, zcopy_commits;
	int misaligned;
	int seg_violations;
	uint8_t last_opc;
};

static int io_module_init(void) { return 0; }

static struct spdk_bdev_module g_io_module = {
	.module_init = io_module_init,
	.name = "c_iodisk",
};
SPDK_BDEV_MODULE_REGISTER(c_iodisk, &g_io_module)

static int g_io_device;

static int ch_create(void *dev, void *ctx) { (void)dev; (void)ctx; return 0; }
static void ch_destroy(void *dev, void *ctx) { (void)dev; (void)ctx; }

static int
d_destruct(void *ctx)
{
	struct io_disk *d = ctx;

	d->destructed++;
	return 0;
}

static void
rw(struct io_disk *d, struct spdk_bdev_io *io)
{
	uint64_t off = io->u.bdev.offset_blocks * BLOCK;
	int i;

	for (i = 0; i < io->u.bdev.iovcnt; i++) {
		struct iovec *v = &io->u.bdev.iovs[i];

		if (io->type == SPDK_BDEV_IO_TYPE_READ) {
			memcpy(v->iov_base, d->data + off, v->iov_len);
		} else {
			memcpy(d->data + off, v->iov_base, v->iov_len);
		}
		off += v->iov_len;
	}
	if (io->u.bdev.md_buf != NULL) {
		uint8_t *m = d->md + io->u.bdev.offset_blocks * MD;

		if (io->type == SPDK_BDEV_IO_TYPE_READ) {
			memcpy(io->u.bdev.md_buf, m, io->u.bdev.num_blocks * MD);
		} else {
			memcpy(m, io->u.bdev.md_buf, io->u.bdev.num_blocks * MD);
		}
	}
	spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_SUCCESS);
}

static void
zeroes_buf_cb(struct spdk_io_channel *ch, struct spdk_bdev_io *io, bool success)
{
	struct io_disk *d = io->bdev->ctxt;

	(void)ch;
	if (!success || io->u.bdev.iovcnt != 1 || ((uintptr_t)io->u.bdev.iovs[0].iov_base & (BLOCK - 1)) != 0) {
		spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_FAILED);
		return;
	}
	/* Write zeroes through the buffer the layer gave us. */
	memset(io->u.bdev.iovs[0].iov_base, 0, io->u.bdev.iovs[0].iov_len);
	memcpy(d->data + io->u.bdev.offset_blocks * BLOCK, io->u.bdev.iovs[0].iov_base, io->u.bdev.num_blocks * BLOCK);
	spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_SUCCESS);
}

static int g_big_buf_cbs, g_big_buf_ok;

static void
big_buf_cb(struct spdk_io_channel *ch, struct spdk_bdev_io *io, bool success)
{
	(void)ch;
	g_big_buf_cbs++;
	g_big_buf_ok = success;
	spdk_bdev_io_complete(io, success ? SPDK_BDEV_IO_STATUS_SUCCESS : SPDK_BDEV_IO_STATUS_FAILED);
}

static void
d_submit(struct spdk_io_channel *ch, struct spdk_bdev_io *io)
{
	struct io_disk *d = io->bdev->ctxt;
	int i;

	(void)ch;
	d->submitted++;
	switch (io->type) {
	case SPDK_BDEV_IO_TYPE_READ:
	case SPDK_BDEV_IO_TYPE_WRITE:
		if (io->u.bdev.iovcnt > 2) {
			d->seg_violations++;
		}
		for (i = 0; i < io->u.bdev.iovcnt; i++) {
			if (io->u.bdev.iovs[i].iov_len > 1024) {
				d->seg_violations++;
			}
			if (((uintptr_t)io->u.bdev.iovs[i].iov_base & (BLOCK - 1)) != 0) {
				d->misaligned++;
			}
		}
		if (d->hold && d->nheld < MAX_HELD) {
			d->held[d->nheld++] = io;
			return;
		}
		rw(d, io);
		return;
	case SPDK_BDEV_IO_TYPE_WRITE_ZEROES:
		spdk_bdev_io_get_buf(io, zeroes_buf_cb, io->u.bdev.num_blocks * BLOCK);
		return;
	case SPDK_BDEV_IO_TYPE_COMPARE:
		d->compares_seen++;
		spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_FAILED);
		return;
	case SPDK_BDEV_IO_TYPE_ZCOPY:
		if (io->u.bdev.zcopy.start) {
			/* The disk memory itself: it holds the data whether or not
			 * populate was asked, and a commit has nothing to copy. */
			d->zcopy_starts++;
			d->zcopy_populates += io->u.bdev.zcopy.populate;
			spdk_bdev_io_set_buf(io, d->data + io->u.bdev.offset_blocks * BLOCK,
					     io->u.bdev.num_blocks * BLOCK);
		} else {
			d->zcopy_ends++;
			d->zcopy_commits += io->u.bdev.zcopy.commit;
		}
		spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_SUCCESS);
		return;
	case SPDK_BDEV_IO_TYPE_RESET:
		d->resets++;
		spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_SUCCESS);
		return;
	case SPDK_BDEV_IO_TYPE_NVME_IO:
	case SPDK_BDEV_IO_TYPE_NVME_ADMIN:
		d->last_opc = io->u.nvme_passthru.cmd.opc;
		switch (io->u.nvme_passthru.cmd.opc) {
		case 0x02: /* read: fails with LBA out of range, cdw0 carried */
			spdk_bdev_io_complete_nvme_status(io, 0xabc, SPDK_NVME_SCT_GENERIC, SPDK_NVME_SC_LBA_OUT_OF_RANGE);
			return;
		case 0xc1:
			spdk_bdev_io_complete_scsi_status(io, SPDK_SCSI_STATUS_CHECK_CONDITION, SPDK_SCSI_SENSE_ILLEGAL_REQUEST, 0x24, 0);
			return;
		case 0xc2:
			spdk_bdev_io_complete_aio_status(io, -ENOSPC);
			return;
		case 0xc3:
			spdk_bdev_io_get_buf(io, big_buf_cb, 1024 * 1024);
			return;
		default:
			spdk_bdev_io_complete_nvme_status(io, 7, SPDK_NVME_SCT_GENERIC, SPDK_NVME_SC_SUCCESS);
			return;
		}
	default:
		spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_FAILED);
	}
}

static bool
d_io_type_supported(void *ctx, enum spdk_bdev_io_type type)
{
	(void)ctx;
	switch (type) {
	case SPDK_BDEV_IO_TYPE_READ:
	case SPDK_BDEV_IO_TYPE_WRITE:
	case SPDK_BDEV_IO_TYPE_WRITE_ZEROES:
	case SPDK_BDEV_IO_TYPE_RESET:
	case SPDK_BDEV_IO_TYPE_ZCOPY:
	case SPDK_BDEV_IO_TYPE_NVME_IO:
	case SPDK_BDEV_IO_TYPE_NVME_ADMIN:
		return true;
	default:
		return false;
	}
}

static struct spdk_io_channel *
d_get_io_channel(void *ctx)
{
	(void)ctx;
	return spdk_get_io_channel(&g_io_device);
}

static const struct spdk_bdev_fn_table g_fn_table = {
	.destruct = d_destruct,
	.submit_request = d_submit,
	.io_type_supported = d_io_type_supported,
	.get_io_channel = d_get_io_channel,
};

/* What the completions saw. */
static int g_done, g_ok;
static uint32_t g_cdw0;
static int g_sct, g_sc, g_scsi[4], g_aio;
static uint8_t g_first[BLOCK];
static int g_buf_aligned;

static void
io_done(struct spdk_bdev_io *io, bool success, void *arg)
{
	struct iovec *iov;
	int iovcnt;

	(void)arg;
	g_done++;
	g_ok = success;
	spdk_bdev_io_get_nvme_status(io, &g_cdw0, &g_sct, &g_sc);
	spdk_bdev_io_get_scsi_status(io, &g_scsi[0], &g_scsi[1], &g_scsi[2], &g_scsi[3]);
	spdk_bdev_io_get_aio_status(io, &g_aio);
	if (io->type == SPDK_BDEV_IO_TYPE_READ) {
		spdk_bdev_io_get_iovec(io, &iov, &iovcnt);
		if (iovcnt >= 1 && iov[0].iov_len >= BLOCK) {
			memcpy(g_first, iov[0].iov_base, BLOCK);
			g_buf_aligned = ((uintptr_t)iov[0].iov_base & (BLOCK - 1)) == 0;
		}
	}
	spdk_bdev_free_io(io);
}

/* Zero-copy phases: the started bdev_io is kept for the end, freed after it. */
static int g_zc_done, g_zc_ok;
static struct spdk_bdev_io *g_zc_io;

static void
zc_started(struct spdk_bdev_io *io, bool success, void *arg)
{
	(void)arg;
	g_zc_done++;
	g_zc_ok = success;
	g_zc_io = io;
	if (!success) {
		spdk_bdev_free_io(io);
	}
}

static void
zc_ended(struct spdk_bdev_io *io, bool success, void *arg)
{
	(void)arg;
	g_zc_done++;
	g_zc_ok = success;
	spdk_bdev_free_io(io);
}

SPDK_STATIC_ASSERT(offsetof(struct spdk_bdev_io_block_params, zcopy) == 88, "u.bdev.zcopy: SPDK's offset");

static void
event_cb(enum spdk_bdev_event_type type, struct spdk_bdev *bdev, void *ctx)
{
	(void)type;
	(void)bdev;
	(void)ctx;
}

static struct spdk_thread *g_t;

static void
poll_until(int want)
{
	for (int i = 0; i < 200000 && g_done < want; i++) {
		spdk_thread_poll(g_t, 0, 0);
	}
}

static int g_timeouts;
static struct spdk_bdev_io *g_timed_out;

static void
timeout_cb(void *arg, struct spdk_bdev_io *io)
{
	(void)arg;
	g_timeouts++;
	g_timed_out = io;
}

static void
poll_n(int n)
{
	for (int i = 0; i < n; i++) {
		spdk_thread_poll(g_t, 0, 0);
	}
}

static void
fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++) {
		p[i] = (uint8_t)(i * 31 + seed);
	}
}

static void
release_held(struct io_disk *d)
{
	d->hold = 0;
	for (int i = 0; i < d->nheld; i++) {
		rw(d, d->held[i]);
	}
	d->nheld = 0;
}

int
main(void)
{
	struct spdk_env_opts eopts;
	struct io_disk d;
	struct spdk_bdev_desc *desc = NULL, *ro = NULL;
	struct spdk_io_channel *ch;
	struct spdk_bdev_ext_io_opts opts;
	struct iovec iov[4], wiov[2];
	uint8_t *a = spdk_dma_zmalloc(16 * BLOCK, 4096, NULL);
	uint8_t *b = spdk_dma_zmalloc(16 * BLOCK + 64, 4096, NULL);
	uint8_t md[16 * MD], mdb[16 * MD];
	struct spdk_nvme_cmd cmd;
	int n, sub;

	eopts.opts_size = sizeof(eopts);
	spdk_env_opts_init(&eopts);
	eopts.name = "test_bdev_io";
	CHECK(spdk_env_init(&eopts) == 0);
	CHECK(spdk_thread_lib_init(NULL, 0) == 0);
	g_t = spdk_thread_create("bdev_io", NULL);
	spdk_set_thread(g_t);
	spdk_io_device_register(&g_io_device, ch_create, ch_destroy, 0, "c_iodisk");

	memset(&d, 0, sizeof(d));
	d.data = calloc(BLOCKS, BLOCK);
	d.md = calloc(BLOCKS, MD);
	d.bdev.name = (char *)"c_io0";
	d.bdev.product_name = (char *)"C io disk";
	d.bdev.blocklen = BLOCK;
	d.bdev.blockcnt = BLOCKS;
	d.bdev.md_len = MD;
	d.bdev.required_alignment = 9;
	d.bdev.max_segment_size = 1024;
	d.bdev.max_num_segments = 2;
	/* Resets wait for I/O in flight to drain first (0 would send them down at once). */
	d.bdev.reset_io_drain_timeout = SPDK_BDEV_RESET_IO_DRAIN_RECOMMENDED_VALUE;
	d.bdev.ctxt = &d;
	d.bdev.fn_table = &g_fn_table;
	d.bdev.module = &g_io_module;
	CHECK(spdk_bdev_register(&d.bdev) == 0);
	CHECK(spdk_bdev_get_buf_align(&d.bdev) == BLOCK);
	CHECK(spdk_bdev_open_ext("c_io0", true, event_cb, NULL, &desc) == 0);
	CHECK(spdk_bdev_open_ext("c_io0", false, event_cb, NULL, &ro) == 0);
	ch = spdk_bdev_get_io_channel(desc);
	CHECK(ch != NULL);

	/* Ext I/O: metadata through opts, honoured up to opts.size. */
	fill(a, 4 * BLOCK, 1);
	fill(md, sizeof(md), 100);
	memset(&opts, 0, sizeof(opts));
	opts.size = sizeof(opts);
	opts.metadata = md;
	iov[0].iov_base = a;
	iov[0].iov_len = 4 * BLOCK;
	CHECK(spdk_bdev_writev_blocks_ext(desc, ch, iov, 1, 8, 4, io_done, NULL, &opts) == 0);
	poll_until(1);
	CHECK(g_done == 1 && g_ok);
	CHECK(memcmp(d.data + 8 * BLOCK, a, 4 * BLOCK) == 0);
	CHECK(memcmp(d.md + 8 * MD, md, 4 * MD) == 0);
	memset(mdb, 0, sizeof(mdb));
	opts.metadata = mdb;
	iov[0].iov_base = b;
	CHECK(spdk_bdev_readv_blocks_ext(desc, ch, iov, 1, 8, 4, io_done, NULL, &opts) == 0);
	poll_until(2);
	CHECK(g_done == 2 && g_ok);
	CHECK(memcmp(b, a, 4 * BLOCK) == 0 && memcmp(mdb, md, 4 * MD) == 0);
	opts.memory_domain = (struct spdk_memory_domain *)0x1000;
	CHECK(spdk_bdev_readv_blocks_ext(desc, ch, iov, 1, 8, 4, io_done, NULL, &opts) == -ENOTSUP);
	opts.memory_domain = NULL;
	opts.size = 0;
	CHECK(spdk_bdev_readv_blocks_ext(desc, ch, iov, 1, 8, 4, io_done, NULL, &opts) == -EINVAL);
	/* The *_with_md calls. */
	fill(md, sizeof(md), 200);
	CHECK(spdk_bdev_write_blocks_with_md(desc, ch, a, md, 20, 2, io_done, NULL) == 0);
	poll_until(3);
	memset(mdb, 0, sizeof(mdb));
	memset(b, 0, 2 * BLOCK);
	CHECK(spdk_bdev_read_blocks_with_md(desc, ch, b, mdb, 20, 2, io_done, NULL) == 0);
	poll_until(4);
	CHECK(g_done == 4 && g_ok && memcmp(mdb, md, 2 * MD) == 0 && memcmp(b, a, 2 * BLOCK) == 0);
	CHECK(spdk_bdev_writev_blocks_with_md(ro, ch, iov, 1, md, 20, 2, io_done, NULL) == -EBADF);

	/* Compare, emulated with reads: equal, then a miscompare in NVMe terms. */
	iov[0].iov_base = a;
	iov[0].iov_len = 1000;
	iov[1].iov_base = a + 1000;
	iov[1].iov_len = 4 * BLOCK - 1000;
	CHECK(spdk_bdev_comparev_blocks(desc, ch, iov, 2, 8, 4, io_done, NULL) == 0);
	poll_until(5);
	CHECK(g_done == 5 && g_ok && g_sct == 0 && g_sc == 0);
	a[1500] ^= 1;
	CHECK(spdk_bdev_comparev_blocks(desc, ch, iov, 2, 8, 4, io_done, NULL) == 0);
	poll_until(6);
	CHECK(g_done == 6 && !g_ok);
	CHECK(g_sct == SPDK_NVME_SCT_MEDIA_ERROR && g_sc == SPDK_NVME_SC_COMPARE_FAILURE);
	CHECK(g_scsi[0] == SPDK_SCSI_STATUS_CHECK_CONDITION && g_scsi[1] == SPDK_SCSI_SENSE_MISCOMPARE);
	CHECK(d.compares_seen == 0);
	a[1500] ^= 1;

	/* Compare-and-write: a miscompare leaves the data, a match writes. */
	fill(b, 2 * BLOCK, 77);
	iov[0].iov_base = a;
	iov[0].iov_len = 2 * BLOCK;
	wiov[0].iov_base = b;
	wiov[0].iov_len = 2 * BLOCK;
	a[3] ^= 1;
	CHECK(spdk_bdev_comparev_and_writev_blocks(desc, ch, iov, 1, wiov, 1, 8, 2, io_done, NULL) == 0);
	poll_until(7);
	CHECK(g_done == 7 && !g_ok && g_sc == SPDK_NVME_SC_COMPARE_FAILURE);
	a[3] ^= 1;
	CHECK(memcmp(d.data + 8 * BLOCK, a, 2 * BLOCK) == 0);
	CHECK(spdk_bdev_comparev_and_writev_blocks(desc, ch, iov, 1, wiov, 1, 8, 2, io_done, NULL) == 0);
	poll_until(8);
	CHECK(g_done == 8 && g_ok);
	CHECK(memcmp(d.data + 8 * BLOCK, b, 2 * BLOCK) == 0);
	CHECK(spdk_bdev_comparev_and_writev_blocks(ro, ch, iov, 1, wiov, 1, 8, 2, io_done, NULL) == -EBADF);

	/* NVMe passthru; protocol statuses round trip and cross-map. */
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = 0x02;
	CHECK(spdk_bdev_nvme_io_passthru(desc, ch, &cmd, NULL, 0, io_done, NULL) == 0);
	poll_until(9);
	CHECK(g_done == 9 && !g_ok && d.last_opc == 0x02);
	CHECK(g_cdw0 == 0xabc && g_sct == SPDK_NVME_SCT_GENERIC && g_sc == SPDK_NVME_SC_LBA_OUT_OF_RANGE);
	CHECK(g_scsi[1] == SPDK_SCSI_SENSE_ILLEGAL_REQUEST && g_scsi[2] == 0x21);
	CHECK(g_aio == -EIO);
	cmd.opc = 0x06;
	CHECK(spdk_bdev_nvme_admin_passthru(desc, ch, &cmd, a, 4096, io_done, NULL) == 0);
	poll_until(10);
	CHECK(g_done == 10 && g_ok && g_cdw0 == 7 && g_sct == 0 && g_sc == 0 && g_aio == 0 && g_scsi[0] == SPDK_SCSI_STATUS_GOOD);
	cmd.opc = 0xc1;
	CHECK(spdk_bdev_nvme_admin_passthru(desc, ch, &cmd, NULL, 0, io_done, NULL) == 0);
	poll_until(11);
	CHECK(g_done == 11 && !g_ok);
	CHECK(g_scsi[0] == SPDK_SCSI_STATUS_CHECK_CONDITION && g_scsi[1] == SPDK_SCSI_SENSE_ILLEGAL_REQUEST && g_scsi[2] == 0x24 && g_scsi[3] == 0);
	CHECK(g_sct == SPDK_NVME_SCT_GENERIC && g_sc == SPDK_NVME_SC_INTERNAL_DEVICE_ERROR);
	cmd.opc = 0xc2;
	CHECK(spdk_bdev_nvme_io_passthru(desc, ch, &cmd, NULL, 0, io_done, NULL) == 0);
	poll_until(12);
	CHECK(g_done == 12 && !g_ok && g_aio == -ENOSPC);
	CHECK(spdk_bdev_nvme_io_passthru_md(desc, ch, &cmd, NULL, 0, md, 8, io_done, NULL) == -ENOTSUP);
	iov[0].iov_base = a;
	iov[0].iov_len = BLOCK;
	CHECK(spdk_bdev_nvme_iov_passthru_md(desc, ch, &cmd, iov, 1, BLOCK, md, 8, io_done, NULL) == -ENOTSUP);
	CHECK(spdk_bdev_nvme_io_passthru(ro, ch, &cmd, NULL, 0, io_done, NULL) == -EBADF);
	CHECK(spdk_bdev_nvme_admin_passthru(ro, ch, &cmd, NULL, 0, io_done, NULL) == -EBADF);
	/* spdk_bdev_io_get_buf beyond the largest buffer: the module hears false. */
	cmd.opc = 0xc3;
	CHECK(spdk_bdev_nvme_io_passthru(desc, ch, &cmd, NULL, 0, io_done, NULL) == 0);
	poll_until(13);
	CHECK(g_big_buf_cbs == 1 && !g_big_buf_ok && !g_ok);

	/* A read without a buffer gets an aligned one from the layer. */
	memset(g_first, 0, sizeof(g_first));
	g_buf_aligned = 0;
	CHECK(spdk_bdev_read_blocks(desc, ch, NULL, 8, 4, io_done, NULL) == 0);
	poll_until(14);
	CHECK(g_done == 14 && g_ok && g_buf_aligned && memcmp(g_first, b, BLOCK) == 0);
	/* The module gets a buffer with spdk_bdev_io_get_buf (write zeroes here). */
	CHECK(spdk_bdev_write_zeroes_blocks(desc, ch, 8, 2, io_done, NULL) == 0);
	poll_until(15);
	CHECK(g_done == 15 && g_ok);
	for (n = 0; n < 2 * BLOCK && d.data[8 * BLOCK + n] == 0; n++) {
	}
	CHECK(n == 2 * BLOCK);

	/* Misaligned caller buffers go through bounce buffers; the module sees aligned ones. */
	fill(b + 1, 4 * BLOCK, 9);
	CHECK(spdk_bdev_write_blocks(desc, ch, b + 1, 40, 4, io_done, NULL) == 0);
	poll_until(16);
	CHECK(g_done == 16 && g_ok && memcmp(d.data + 40 * BLOCK, b + 1, 4 * BLOCK) == 0);
	memset(a + 3, 0, 4 * BLOCK);
	CHECK(spdk_bdev_read_blocks(desc, ch, a + 3, 40, 4, io_done, NULL) == 0);
	poll_until(17);
	CHECK(g_done == 17 && g_ok && memcmp(a + 3, b + 1, 4 * BLOCK) == 0);
	CHECK(d.misaligned == 0);

	/* Splitting: 16 blocks in one segment, at most 2 segments of 1 KiB per I/O. */
	sub = d.submitted;
	fill(a, 16 * BLOCK, 5);
	iov[0].iov_base = a;
	iov[0].iov_len = 16 * BLOCK;
	CHECK(spdk_bdev_writev_blocks(desc, ch, iov, 1, 64, 16, io_done, NULL) == 0);
	poll_until(18);
	CHECK(g_done == 18 && g_ok && d.submitted - sub == 4);
	CHECK(memcmp(d.data + 64 * BLOCK, a, 16 * BLOCK) == 0);
	/* Four segments of 2 KiB read back: split again, data intact. */
	memset(b, 0, 16 * BLOCK);
	for (n = 0; n < 4; n++) {
		iov[n].iov_base = b + n * 2048;
		iov[n].iov_len = 2048;
	}
	CHECK(spdk_bdev_readv_blocks(desc, ch, iov, 4, 64, 16, io_done, NULL) == 0);
	poll_until(19);
	CHECK(g_done == 19 && g_ok && memcmp(a, b, 16 * BLOCK) == 0);
	CHECK(d.seg_violations == 0);

	/* A compare-and-write waits for a write already in flight in its range. */
	d.hold = 1;
	fill(b, BLOCK, 61);
	iov[0].iov_base = b;
	iov[0].iov_len = BLOCK;
	CHECK(spdk_bdev_writev_blocks(desc, ch, iov, 1, 65, 1, io_done, NULL) == 0);
	poll_n(10);
	CHECK(d.nheld == 1);
	memcpy(a, d.data + 64 * BLOCK, BLOCK);
	memcpy(a + BLOCK, b, BLOCK); /* what blocks 64..66 hold once that write lands */
	fill(b + 2 * BLOCK, 2 * BLOCK, 62);
	iov[1].iov_base = a;
	iov[1].iov_len = 2 * BLOCK;
	wiov[0].iov_base = b + 2 * BLOCK;
	wiov[0].iov_len = 2 * BLOCK;
	CHECK(spdk_bdev_comparev_and_writev_blocks(desc, ch, &iov[1], 1, wiov, 1, 64, 2, io_done, NULL) == 0);
	poll_n(300);
	CHECK(d.nheld == 1 && g_done == 19);
	release_held(&d);
	poll_until(21);
	CHECK(g_done == 21 && g_ok);
	CHECK(memcmp(d.data + 64 * BLOCK, b + 2 * BLOCK, 2 * BLOCK) == 0);

	/* Reset: new I/O is aborted while the write in flight drains; then the
	 * module resets once for both resets submitted. */
	d.hold = 1;
	iov[0].iov_base = a;
	iov[0].iov_len = BLOCK;
	CHECK(spdk_bdev_writev_blocks(desc, ch, iov, 1, 100, 1, io_done, NULL) == 0);
	poll_n(10);
	CHECK(d.nheld == 1);
	CHECK(spdk_bdev_reset(desc, ch, io_done, NULL) == 0);
	CHECK(spdk_bdev_reset(desc, ch, io_done, NULL) == 0);
	poll_n(50);
	CHECK(spdk_bdev_read_blocks(desc, ch, b, 100, 1, io_done, NULL) == 0);
	poll_until(22);
	CHECK(g_done == 22 && !g_ok && g_sct == SPDK_NVME_SCT_GENERIC && g_sc == SPDK_NVME_SC_ABORTED_BY_REQUEST);
	poll_n(200);
	CHECK(d.resets == 0 && g_done == 22);
	release_held(&d);
	poll_until(25);
	CHECK(g_done == 25 && g_ok && d.resets == 1);
	CHECK(spdk_bdev_read_blocks(desc, ch, b, 100, 1, io_done, NULL) == 0);
	poll_until(26);
	CHECK(g_done == 26 && g_ok && memcmp(b, a, BLOCK) == 0);

	/* Zero copy: write through the module's lent memory (no populate,
	 * filled in place, committed), read it back with spdk_bdev_read. */
	{
		struct iovec *zv = NULL;
		int zn = 0;
		uint8_t bits;

		CHECK(spdk_bdev_io_type_supported(&d.bdev, SPDK_BDEV_IO_TYPE_ZCOPY));
		CHECK(spdk_bdev_zcopy_start(desc, ch, NULL, 0, 120, 4, false, zc_started, NULL) == 0);
		CHECK(g_zc_done == 0);
		for (int i = 0; i < 1000 && g_zc_done < 1; i++) {
			spdk_thread_poll(g_t, 0, 0);
		}
		CHECK(g_zc_done == 1 && g_zc_ok && d.zcopy_starts == 1 && d.zcopy_populates == 0);
		CHECK(g_zc_io->type == SPDK_BDEV_IO_TYPE_ZCOPY);
		CHECK(g_zc_io->u.bdev.zcopy.start == 1 && g_zc_io->u.bdev.zcopy.populate == 0 && g_zc_io->u.bdev.zcopy.commit == 0);
		memcpy(&bits, &g_zc_io->u.bdev.zcopy, 1);
		CHECK(bits == 4); /* start is bit 2, as SPDK's bitfield */
		spdk_bdev_io_get_iovec(g_zc_io, &zv, &zn);
		CHECK(zn == 1 && zv[0].iov_base == d.data + 120 * BLOCK && zv[0].iov_len == 4 * BLOCK);
		fill(zv[0].iov_base, 4 * BLOCK, 77);
		CHECK(spdk_bdev_zcopy_end(g_zc_io, true, zc_ended, NULL) == 0);
		for (int i = 0; i < 1000 && g_zc_done < 2; i++) {
			spdk_thread_poll(g_t, 0, 0);
		}
		CHECK(g_zc_done == 2 && g_zc_ok && d.zcopy_ends == 1 && d.zcopy_commits == 1);
		fill(a, 4 * BLOCK, 77);
		memset(b, 0, 4 * BLOCK);
		CHECK(spdk_bdev_read(desc, ch, b, 120 * BLOCK, 4 * BLOCK, io_done, NULL) == 0);
		poll_until(27);
		CHECK(g_done == 27 && g_ok && memcmp(a, b, 4 * BLOCK) == 0);

		/* Read through it: populate, through the read-only descriptor,
		 * the buffers landing in the caller's iovec array. */
		iov[0].iov_base = NULL;
		iov[0].iov_len = 0;
		CHECK(spdk_bdev_zcopy_start(ro, ch, iov, 1, 121, 2, true, zc_started, NULL) == 0);
		for (int i = 0; i < 1000 && g_zc_done < 3; i++) {
			spdk_thread_poll(g_t, 0, 0);
		}
		CHECK(g_zc_done == 3 && g_zc_ok && d.zcopy_populates == 1);
		memcpy(&bits, &g_zc_io->u.bdev.zcopy, 1);
		CHECK(bits == 5 && g_zc_io->u.bdev.zcopy.populate == 1);
		spdk_bdev_io_get_iovec(g_zc_io, &zv, &zn);
		CHECK(zv == iov && zn == 1 && iov[0].iov_len == 2 * BLOCK);
		CHECK(memcmp(iov[0].iov_base, a + BLOCK, 2 * BLOCK) == 0);
		CHECK(spdk_bdev_zcopy_end(g_zc_io, false, zc_ended, NULL) == 0);
		for (int i = 0; i < 1000 && g_zc_done < 4; i++) {
			spdk_thread_poll(g_t, 0, 0);
		}
		CHECK(g_zc_done == 4 && g_zc_ok && d.zcopy_ends == 2 && d.zcopy_commits == 1);

		/* SPDK's errors: writing through a read-only descriptor, out of
		 * range, no blocks; ending what is not a started zero-copy I/O. */
		CHECK(spdk_bdev_zcopy_start(ro, ch, NULL, 0, 0, 1, false, zc_started, NULL) == -EBADF);
		CHECK(spdk_bdev_zcopy_start(desc, ch, NULL, 0, BLOCKS - 1, 2, true, zc_started, NULL) == -EINVAL);
		CHECK(spdk_bdev_zcopy_start(desc, ch, NULL, 0, 0, 0, true, zc_started, NULL) == -EINVAL);
		CHECK(spdk_bdev_zcopy_end(NULL, true, zc_ended, NULL) == -EINVAL);
		CHECK(g_zc_done == 4 && d.zcopy_starts == 2);
	}

	/* Timeouts: a write the module holds past 1 s is reported once, with
	 * its bdev_io; it still completes normally when released. */
	CHECK(spdk_bdev_set_timeout(desc, 1, timeout_cb, NULL) == 0);
	d.hold = 1;
	CHECK(spdk_bdev_write_blocks(desc, ch, a, 110, 1, io_done, NULL) == 0);
	{
		uint64_t deadline = spdk_get_ticks() + 10 * spdk_get_ticks_hz();

		while (g_timeouts == 0 && spdk_get_ticks() < deadline) {
			spdk_thread_poll(g_t, 0, 0);
		}
	}
	CHECK(g_timeouts == 1 && g_timed_out == d.held[0] && d.nheld == 1);
	poll_n(1000);
	CHECK(g_timeouts == 1);
	release_held(&d);
	poll_until(28);
	CHECK(g_done == 28 && g_ok);
	CHECK(spdk_bdev_set_timeout(desc, 0, NULL, NULL) == 0);

	spdk_put_io_channel(ch);
	spdk_bdev_close(ro);
	spdk_bdev_close(desc);
	spdk_bdev_unregister(&d.bdev, NULL, NULL);
	poll_n(200);
	CHECK(d.destructed == 1);
	free(d.data);
	free(d.md);
	spdk_free(a);
	spdk_free(b);
	spdk_io_device_unregister(&g_io_device, NULL);
	spdk_thread_exit(g_t);
	while (!spdk_thread_is_exited(g_t)) {
		spdk_thread_poll(g_t, 0, 0);
	}
	spdk_thread_destroy(g_t);
	spdk_thread_lib_fini();
	spdk_env_fini();
	return CHECK_DONE("bdev_io");
}
