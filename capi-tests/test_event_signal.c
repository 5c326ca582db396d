/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   C API test of the event framework's signal-driven shutdown: start_fn
 *   sends SIGTERM to its own process. The framework's handler must turn that
 *   into an orderly shutdown, so spdk_app_start() returns 0 (no shutdown_cb
 *   is set, so the default path stops the application with rc 0).
 */
#include "rspdk.h"

#include "check.h"

static int g_start_ctx_marker;
static int g_started;
static int g_raise_rc = -1;

static void
start_fn(void *ctx)
{
	__atomic_add_fetch(&g_started, 1, __ATOMIC_SEQ_CST);
	CHECK(ctx == &g_start_ctx_marker);
	CHECK(spdk_get_thread() != NULL);
	g_raise_rc = raise(SIGTERM);
}

int
main(void)
{
	struct spdk_app_opts opts;
	int rc;

	alarm(120);

	spdk_app_opts_init(&opts, sizeof(opts));
	opts.name = "test_event_signal";
	opts.reactor_mask = "0x1";
	opts.rpc_addr = NULL;
	opts.no_pci = true;

	rc = spdk_app_start(&opts, start_fn, &g_start_ctx_marker);
	CHECK_EQ_I(rc, 0);
	CHECK_EQ_I(g_started, 1);
	CHECK_EQ_I(g_raise_rc, 0);
	spdk_app_fini();

	return CHECK_DONE("event_signal");
}
