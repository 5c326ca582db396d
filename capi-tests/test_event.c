/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   C API test of the event framework (spdk/event.h): option defaults,
 *   command line parsing, and a full spdk_app_start() run in which events
 *   travel from the main core to another reactor and back before
 *   spdk_app_stop() ends the application with a chosen return code.
 */
#include "rspdk.h"

#include <sched.h>

#include "check.h"

/* ------------------------------------------------------------------------- */
/* Argument vectors (getopt may permute them; strings stay owned here)       */
/* ------------------------------------------------------------------------- */

struct argvec {
	int argc;
	char *argv[16];
	char *owned[16];
};

static void
argvec_init(struct argvec *a, const char *const *src)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 0; src[i] != NULL && i < 15; i++) {
		a->owned[i] = strdup(src[i]);
		a->argv[i] = a->owned[i];
	}
	a->argc = i;
	a->argv[i] = NULL;
}

static void
argvec_free(struct argvec *a)
{
	int i;

	for (i = 0; i < 16; i++) {
		free(a->owned[i]);
	}
}

/* ------------------------------------------------------------------------- */
/* spdk_app_opts_init and spdk_app_parse_args                                */
/* ------------------------------------------------------------------------- */

#define LONG_OPT_VAL 'T'

static int g_x_calls, g_long_calls, g_other_calls;
static char g_x_arg[64], g_long_arg[64];

static int
parse_cb(int ch, char *arg)
{
	if (ch == 'x') {
		g_x_calls++;
		snprintf(g_x_arg, sizeof(g_x_arg), "%s", arg ? arg : "(null)");
		return (arg != NULL && strcmp(arg, "bad") == 0) ? -EINVAL : 0;
	}
	if (ch == LONG_OPT_VAL) {
		g_long_calls++;
		snprintf(g_long_arg, sizeof(g_long_arg), "%s", arg ? arg : "(null)");
		return 0;
	}
	g_other_calls++;
	return 0;
}

static void
usage_cb(void)
{
}

static void
test_opts_defaults(void)
{
	struct spdk_app_opts opts;

	memset(&opts, 0xa5, sizeof(opts));
	spdk_app_opts_init(&opts, sizeof(opts));
	CHECK_EQ_U(opts.opts_size, sizeof(opts));
	CHECK_EQ_I(opts.shm_id, -1);
	CHECK_EQ_I(opts.mem_size, -1);
	CHECK_EQ_I(opts.main_core, -1);
	CHECK_EQ_I(opts.mem_channel, -1);
	CHECK_STREQ(opts.rpc_addr, SPDK_DEFAULT_RPC_ADDR);
	CHECK(opts.enable_coredump == true);
	CHECK(opts.delay_subsystem_init == false);
	CHECK(opts.disable_signal_handlers == false);
	CHECK(opts.json_config_file == NULL);
	CHECK(opts.name == NULL);
}

static void
test_parse_args(void)
{
	struct option long_opts[] = {
		{ "test-long", required_argument, NULL, LONG_OPT_VAL },
		{ NULL, 0, NULL, 0 }
	};
	const char *const ok_args[] = {
		"test_event", "-m", "0x1", "-x", "foo", "--json", "cfg.json",
		"--test-long", "bar", NULL
	};
	const char *const unknown_long[] = { "test_event", "--no-such-option", NULL };
	const char *const unknown_short[] = { "test_event", "-Z", NULL };
	const char *const cb_fails[] = { "test_event", "-x", "bad", NULL };
	struct spdk_app_opts opts;
	struct argvec a;
	spdk_app_parse_args_rvals_t rc;

	spdk_app_opts_init(&opts, sizeof(opts));
	argvec_init(&a, ok_args);
	optind = 0;
	rc = spdk_app_parse_args(a.argc, a.argv, &opts, "x:", long_opts, parse_cb, usage_cb);
	CHECK_EQ_I(rc, SPDK_APP_PARSE_ARGS_SUCCESS);
	CHECK_STREQ(opts.reactor_mask, "0x1");
	CHECK_STREQ(opts.json_config_file, "cfg.json");
	CHECK_EQ_I(g_x_calls, 1);
	CHECK_STREQ(g_x_arg, "foo");
	CHECK_EQ_I(g_long_calls, 1);
	CHECK_STREQ(g_long_arg, "bar");
	CHECK_EQ_I(g_other_calls, 0);
	argvec_free(&a);

	spdk_app_opts_init(&opts, sizeof(opts));
	argvec_init(&a, unknown_long);
	optind = 0;
	rc = spdk_app_parse_args(a.argc, a.argv, &opts, "x:", long_opts, parse_cb, usage_cb);
	CHECK_EQ_I(rc, SPDK_APP_PARSE_ARGS_FAIL);
	argvec_free(&a);

	spdk_app_opts_init(&opts, sizeof(opts));
	argvec_init(&a, unknown_short);
	optind = 0;
	rc = spdk_app_parse_args(a.argc, a.argv, &opts, "x:", NULL, parse_cb, usage_cb);
	CHECK_EQ_I(rc, SPDK_APP_PARSE_ARGS_FAIL);
	argvec_free(&a);

	/* A parse callback that rejects its argument fails the whole parse. */
	spdk_app_opts_init(&opts, sizeof(opts));
	argvec_init(&a, cb_fails);
	optind = 0;
	rc = spdk_app_parse_args(a.argc, a.argv, &opts, "x:", NULL, parse_cb, usage_cb);
	CHECK_EQ_I(rc, SPDK_APP_PARSE_ARGS_FAIL);
	CHECK_EQ_I(g_x_calls, 2);
	argvec_free(&a);

	/* An application option letter clashing with a generic one is refused. */
	spdk_app_opts_init(&opts, sizeof(opts));
	argvec_init(&a, ok_args);
	optind = 0;
	rc = spdk_app_parse_args(a.argc, a.argv, &opts, "m:", NULL, parse_cb, usage_cb);
	CHECK_EQ_I(rc, SPDK_APP_PARSE_ARGS_FAIL);
	argvec_free(&a);
	optind = 0;
}

/* ------------------------------------------------------------------------- */
/* spdk_app_start with events between reactors                               */
/* ------------------------------------------------------------------------- */

static int g_start_ctx_marker;
static int g_arg1_marker, g_arg2_marker;
static uint32_t g_expected_cores;
static uint32_t g_main_core, g_other_core;
static int g_started, g_remote_ran, g_back_ran;

static void
back_on_main(void *arg1, void *arg2)
{
	__atomic_add_fetch(&g_back_ran, 1, __ATOMIC_SEQ_CST);
	CHECK_EQ_U(spdk_env_get_current_core(), g_main_core);
	CHECK_EQ_U((uint32_t)(uintptr_t)arg1, g_other_core);
	CHECK(arg2 == &g_arg2_marker);
	spdk_app_stop(7);
}

static void
on_other_core(void *arg1, void *arg2)
{
	struct spdk_event *ev;
	uint32_t here = spdk_env_get_current_core();

	__atomic_add_fetch(&g_remote_ran, 1, __ATOMIC_SEQ_CST);
	CHECK_EQ_U(here, g_other_core);
	CHECK(arg1 == &g_arg1_marker);
	CHECK(arg2 == &g_arg2_marker);

	ev = spdk_event_allocate(g_main_core, back_on_main, (void *)(uintptr_t)here, arg2);
	if (!CHECK(ev != NULL)) {
		spdk_app_stop(-1);
		return;
	}
	spdk_event_call(ev);
}

static void
start_fn(void *ctx)
{
	struct spdk_event *ev;
	uint32_t core, n = 0;

	__atomic_add_fetch(&g_started, 1, __ATOMIC_SEQ_CST);
	CHECK(ctx == &g_start_ctx_marker);
	CHECK(spdk_get_thread() != NULL);

	g_main_core = spdk_env_get_main_core();
	CHECK_EQ_U(spdk_env_get_current_core(), g_main_core);
	CHECK_EQ_U(spdk_env_get_core_count(), g_expected_cores);
	CHECK_EQ_U(spdk_cpuset_count(spdk_app_get_core_mask()), g_expected_cores);
	CHECK_EQ_I(spdk_app_get_shm_id(), -1);

	g_other_core = g_main_core;
	SPDK_ENV_FOREACH_CORE(core) {
		n++;
		if (core != g_main_core && g_other_core == g_main_core) {
			g_other_core = core;
		}
	}
	CHECK_EQ_U(n, g_expected_cores);
	if (g_expected_cores > 1) {
		CHECK(g_other_core != g_main_core);
	}

	ev = spdk_event_allocate(g_other_core, on_other_core, &g_arg1_marker, &g_arg2_marker);
	if (!CHECK(ev != NULL)) {
		spdk_app_stop(-1);
		return;
	}
	spdk_event_call(ev);
}

/* Two reactors when CPUs 0 and 1 are online and usable by this process. */
static uint32_t
usable_cores(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (ncpu < 2) {
		return 1;
	}
	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0 &&
	    (!CPU_ISSET(0, &set) || !CPU_ISSET(1, &set))) {
		return 1;
	}
	return 2;
}

static void
test_app_start(void)
{
	struct spdk_app_opts opts;
	int rc;

	g_expected_cores = usable_cores();

	spdk_app_opts_init(&opts, sizeof(opts));
	opts.name = "test_event";
	opts.reactor_mask = g_expected_cores == 2 ? "0x3" : "0x1";
	opts.rpc_addr = NULL;
	opts.no_pci = true;

	rc = spdk_app_start(&opts, start_fn, &g_start_ctx_marker);
	CHECK_EQ_I(rc, 7);
	CHECK_EQ_I(g_started, 1);
	CHECK_EQ_I(g_remote_ran, 1);
	CHECK_EQ_I(g_back_ran, 1);
	spdk_app_fini();
}

/* spdk_app_start_shutdown: the application's shutdown_cb, else stop(0).    */
static int g_shutdown_cb_ran;

static void
shutdown_cb(void)
{
	g_shutdown_cb_ran++;
	spdk_app_stop(5);
}

static void
start_then_shutdown(void *ctx)
{
	(void)ctx;
	spdk_app_start_shutdown();
}

static void
test_app_start_shutdown(void)
{
	struct spdk_app_opts opts;

	spdk_app_opts_init(&opts, sizeof(opts));
	opts.name = "test_event_shutdown";
	opts.reactor_mask = "0x1";
	opts.rpc_addr = NULL;
	opts.no_pci = true;
	opts.shutdown_cb = shutdown_cb;
	CHECK_EQ_I(spdk_app_start(&opts, start_then_shutdown, NULL), 5);
	CHECK_EQ_I(g_shutdown_cb_ran, 1);
	spdk_app_fini();

	spdk_app_opts_init(&opts, sizeof(opts));
	opts.name = "test_event_shutdown";
	opts.reactor_mask = "0x1";
	opts.rpc_addr = NULL;
	opts.no_pci = true;
	CHECK_EQ_I(spdk_app_start(&opts, start_then_shutdown, NULL), 0);
	CHECK_EQ_I(g_shutdown_cb_ran, 1);
	spdk_app_fini();
}

int
main(void)
{
	alarm(300);

	test_opts_defaults();
	test_parse_args();
	test_app_start();
	test_app_start_shutdown();
	return CHECK_DONE("event");
}
