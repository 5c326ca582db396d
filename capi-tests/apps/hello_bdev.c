/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   hello_bdev: an SPDK application (spdk_app_start with a JSON config that
 *   creates a malloc bdev) that opens the bdev, writes a string, reads it
 *   back and stops. Usage: hello_bdev --json CONFIG [-b BDEV_NAME]
 */
#include "spdk/stdinc.h"
#include "spdk/event.h"
#include "spdk/bdev.h"
#include "spdk/env.h"
#include "spdk/string.h"

static const char *g_bdev_name = "Malloc0";

struct hello_ctx {
	struct spdk_bdev_desc *desc;
	struct spdk_io_channel *ch;
	char *buf;
	uint32_t len;
	int rc;
};

static void
finish(struct hello_ctx *ctx, int rc)
{
	ctx->rc = rc;
	if (ctx->ch != NULL) {
		spdk_put_io_channel(ctx->ch);
	}
	if (ctx->desc != NULL) {
		spdk_bdev_close(ctx->desc);
	}
	spdk_free(ctx->buf);
	spdk_app_stop(rc);
}

static void
read_done(struct spdk_bdev_io *bdev_io, bool success, void *arg)
{
	struct hello_ctx *ctx = arg;

	spdk_bdev_free_io(bdev_io);
	if (!success) {
		SPDK_ERRLOG("read failed\n");
		finish(ctx, -EIO);
		return;
	}
	SPDK_NOTICELOG("Read string from bdev: %s\n", ctx->buf);
	finish(ctx, strcmp(ctx->buf, "Hello World!") == 0 ? 0 : -EILSEQ);
}

static void
write_done(struct spdk_bdev_io *bdev_io, bool success, void *arg)
{
	struct hello_ctx *ctx = arg;
	int rc;

	spdk_bdev_free_io(bdev_io);
	if (!success) {
		SPDK_ERRLOG("write failed\n");
		finish(ctx, -EIO);
		return;
	}
	memset(ctx->buf, 0, ctx->len);
	rc = spdk_bdev_read(ctx->desc, ctx->ch, ctx->buf, 0, ctx->len, read_done, ctx);
	if (rc != 0) {
		SPDK_ERRLOG("read submission failed: %s\n", spdk_strerror(-rc));
		finish(ctx, rc);
	}
}

static void
bdev_event(enum spdk_bdev_event_type type, struct spdk_bdev *bdev, void *event_ctx)
{
	(void)bdev;
	(void)event_ctx;
	SPDK_NOTICELOG("unexpected bdev event %d\n", type);
}

static void
hello_start(void *arg)
{
	struct hello_ctx *ctx = arg;
	struct spdk_bdev *bdev;
	int rc;

	rc = spdk_bdev_open_ext(g_bdev_name, true, bdev_event, NULL, &ctx->desc);
	if (rc != 0) {
		SPDK_ERRLOG("cannot open bdev %s: %s\n", g_bdev_name, spdk_strerror(-rc));
		finish(ctx, rc);
		return;
	}
	bdev = spdk_bdev_desc_get_bdev(ctx->desc);
	ctx->ch = spdk_bdev_get_io_channel(ctx->desc);
	ctx->len = spdk_bdev_get_block_size(bdev);
	ctx->buf = spdk_dma_zmalloc(ctx->len, spdk_bdev_get_buf_align(bdev), NULL);
	snprintf(ctx->buf, ctx->len, "%s", "Hello World!");
	SPDK_NOTICELOG("Writing to bdev %s (%u-byte blocks)\n", spdk_bdev_get_name(bdev), ctx->len);
	rc = spdk_bdev_write(ctx->desc, ctx->ch, ctx->buf, 0, ctx->len, write_done, ctx);
	if (rc != 0) {
		SPDK_ERRLOG("write submission failed: %s\n", spdk_strerror(-rc));
		finish(ctx, rc);
	}
}

static int
parse_arg(int ch, char *arg)
{
	if (ch == 'b') {
		g_bdev_name = arg;
		return 0;
	}
	return -EINVAL;
}

static void
usage(void)
{
	printf(" -b <bdev>                 name of the bdev to use (default Malloc0)\n");
}

int
main(int argc, char **argv)
{
	struct spdk_app_opts opts = {};
	struct hello_ctx ctx = {};
	int rc;

	spdk_app_opts_init(&opts, sizeof(opts));
	opts.name = "hello_bdev";
	opts.rpc_addr = NULL;
	rc = spdk_app_parse_args(argc, argv, &opts, "b:", NULL, parse_arg, usage);
	if (rc != SPDK_APP_PARSE_ARGS_SUCCESS) {
		return rc == SPDK_APP_PARSE_ARGS_HELP ? 0 : 1;
	}
	rc = spdk_app_start(&opts, hello_start, &ctx);
	if (rc != 0) {
		SPDK_ERRLOG("hello_bdev failed: %d\n", rc);
	}
	spdk_app_fini();
	printf("hello_bdev: %s\n", rc == 0 ? "ok" : "FAILED");
	return rc == 0 ? 0 : 1;
}
