/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   Shared by the bdev C tests: completion and event counters, polling a
 *   hand-driven spdk_thread, and the data copy of a RAM bdev module.
 */
#ifndef RSPDK_CAPI_TESTS_BDEV_UTIL_H
#define RSPDK_CAPI_TESTS_BDEV_UTIL_H

#include "spdk/stdinc.h"
#include "spdk/thread.h"
#include "spdk/bdev.h"
#include "spdk/bdev_module.h"
#include "check.h"

static int g_done, g_ok, g_removed, g_resized, g_unregistered;

/* I/O completion: counts it, keeps its status, frees it. */
static inline void
io_done(struct spdk_bdev_io *bdev_io, bool success, void *arg)
{
	(void)arg;
	g_done++;
	g_ok = success;
	spdk_bdev_free_io(bdev_io);
}

/* Descriptor events: counts removals and resizes. */
static inline void
event_cb(enum spdk_bdev_event_type type, struct spdk_bdev *bdev, void *ctx)
{
	(void)bdev;
	(void)ctx;
	if (type == SPDK_BDEV_EVENT_REMOVE) {
		g_removed++;
	}
	if (type == SPDK_BDEV_EVENT_RESIZE) {
		g_resized++;
	}
}

/* spdk_bdev_unregister completion: must succeed. */
static inline void
unregistered(void *arg, int rc)
{
	(void)arg;
	g_unregistered++;
	CHECK(rc == 0);
}

/* Polls `t` until *counter reaches `want` (or a bound of rounds). */
static inline void
poll_until(struct spdk_thread *t, int *counter, int want)
{
	for (int i = 0; i < 100000 && *counter < want; i++) {
		spdk_thread_poll(t, 0, 0);
	}
}

/* io_type_supported of a module that only reads and writes. */
static inline bool
read_write_only(void *ctx, enum spdk_bdev_io_type type)
{
	(void)ctx;
	return type == SPDK_BDEV_IO_TYPE_READ || type == SPDK_BDEV_IO_TYPE_WRITE;
}

/* A RAM bdev's data movement: reads copy out of `data`, writes into it. */
static inline void
ram_copy(struct spdk_bdev_io *bdev_io, uint8_t *data, uint32_t block)
{
	uint64_t off = bdev_io->u.bdev.offset_blocks * block;
	int i;

	for (i = 0; i < bdev_io->u.bdev.iovcnt; i++) {
		struct iovec *v = &bdev_io->u.bdev.iovs[i];

		if (bdev_io->type == SPDK_BDEV_IO_TYPE_READ) {
			memcpy(v->iov_base, data + off, v->iov_len);
		} else if (bdev_io->type == SPDK_BDEV_IO_TYPE_WRITE) {
			memcpy(data + off, v->iov_base, v->iov_len);
		}
		off += v->iov_len;
	}
}

#endif
