/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   C API test of the bare thread library (spdk/thread.h): lightweight
 *   threads, messages, pollers, I/O devices and channels, iteration helpers,
 *   statistics and thread teardown. No reactors: the test drives every thread
 *   itself by calling spdk_thread_poll() in loops.
 */
#include "rspdk.h"

#include <pthread.h>
#include <sched.h>

#include "check.h"

static struct spdk_thread *g_t0, *g_t1;

static void
poll_threads(struct spdk_thread **threads, int n, int rounds)
{
	int r, i;

	for (r = 0; r < rounds; r++) {
		for (i = 0; i < n; i++) {
			spdk_thread_poll(threads[i], 0, 0);
		}
	}
}

/* Poll the threads until cond holds or a generous bound is hit. */
#define POLL_UNTIL(cond, threads, n) \
	do { \
		long poll_it_; \
		for (poll_it_ = 0; poll_it_ < 2000000 && !(cond); poll_it_++) { \
			poll_threads((threads), (n), 1); \
		} \
	} while (0)

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

#define ORDER_MSGS 1000

static int g_order[ORDER_MSGS];
static int g_order_n;
static int g_order_wrong_thread;

static void
order_fn(void *ctx)
{
	if (g_order_n < ORDER_MSGS) {
		g_order[g_order_n] = (int)(uintptr_t)ctx;
	}
	g_order_n++;
	if (spdk_get_thread() != g_t0) {
		g_order_wrong_thread++;
	}
}

static void
test_msg_order(void)
{
	int i, send_failures = 0, out_of_order = 0;

	spdk_set_thread(g_t0);
	for (i = 0; i < ORDER_MSGS; i++) {
		if (spdk_thread_send_msg(g_t0, order_fn, (void *)(uintptr_t)i) != 0) {
			send_failures++;
		}
	}
	CHECK_EQ_I(send_failures, 0);
	/* Sending never runs the function synchronously. */
	CHECK_EQ_I(g_order_n, 0);
	CHECK(!spdk_thread_is_idle(g_t0));

	/* One poll does some work. */
	CHECK(spdk_thread_poll(g_t0, 0, 0) > 0);
	CHECK(g_order_n > 0 && g_order_n < ORDER_MSGS);

	POLL_UNTIL(g_order_n >= ORDER_MSGS, &g_t0, 1);
	poll_threads(&g_t0, 1, 10);
	CHECK_EQ_I(g_order_n, ORDER_MSGS);
	for (i = 0; i < ORDER_MSGS; i++) {
		if (g_order[i] != i) {
			out_of_order++;
		}
	}
	CHECK_EQ_I(out_of_order, 0);
	CHECK_EQ_I(g_order_wrong_thread, 0);

	/* Nothing left to do. */
	CHECK(spdk_thread_is_idle(g_t0));
	CHECK_EQ_I(spdk_thread_poll(g_t0, 0, 0), 0);

	/* max_msgs bounds the batch. */
	g_order_n = 0;
	for (i = 0; i < 5; i++) {
		spdk_thread_send_msg(g_t0, order_fn, (void *)(uintptr_t)i);
	}
	spdk_thread_poll(g_t0, 2, 0);
	CHECK_EQ_I(g_order_n, 2);
	POLL_UNTIL(g_order_n >= 5, &g_t0, 1);
	CHECK_EQ_I(g_order_n, 5);
}

#define SENDERS 2
#define MSGS_PER_SENDER 200000u

struct sender_arg {
	uint32_t id;
	uint64_t unexpected_rc;
	volatile bool *abort;
};

static uint32_t g_conc_next[SENDERS];
static uint64_t g_conc_total, g_conc_bad_order, g_conc_bad_id;

static void
conc_fn(void *ctx)
{
	uint64_t v = (uint64_t)(uintptr_t)ctx;
	uint32_t id = (uint32_t)(v >> 32) - 1;
	uint32_t seq = (uint32_t)v;

	if (id >= SENDERS) {
		g_conc_bad_id++;
		return;
	}
	if (seq != g_conc_next[id]) {
		g_conc_bad_order++;
	}
	g_conc_next[id] = seq + 1;
	g_conc_total++;
}

static void *
sender_main(void *arg)
{
	struct sender_arg *sa = arg;
	uint32_t seq;
	int rc;

	for (seq = 0; seq < MSGS_PER_SENDER; seq++) {
		void *ctx = (void *)(uintptr_t)(((uint64_t)(sa->id + 1) << 32) | seq);

		while ((rc = spdk_thread_send_msg(g_t0, conc_fn, ctx)) != 0) {
			/* Message pool or ring momentarily full: retry the same message. */
			if (rc != -ENOMEM && rc != -EIO) {
				sa->unexpected_rc++;
			}
			if (*sa->abort) {
				return NULL;
			}
			sched_yield();
		}
	}
	return NULL;
}

static void
test_msg_concurrent(void)
{
	struct sender_arg args[SENDERS];
	pthread_t tids[SENDERS];
	volatile bool abort_flag = false;
	uint64_t deadline;
	int i, started = 0;

	for (i = 0; i < SENDERS; i++) {
		args[i].id = (uint32_t)i;
		args[i].unexpected_rc = 0;
		args[i].abort = &abort_flag;
		if (!CHECK(pthread_create(&tids[i], NULL, sender_main, &args[i]) == 0)) {
			break;
		}
		started++;
	}

	deadline = spdk_get_ticks() + spdk_get_ticks_hz() * 300;
	while (g_conc_total < (uint64_t)started * MSGS_PER_SENDER) {
		if (spdk_thread_poll(g_t0, 0, 0) == 0) {
			if (spdk_get_ticks() > deadline) {
				break;
			}
			sched_yield();
		}
	}
	abort_flag = true;
	for (i = 0; i < started; i++) {
		pthread_join(tids[i], NULL);
	}
	poll_threads(&g_t0, 1, 100);

	CHECK_EQ_U(g_conc_total, (uint64_t)SENDERS * MSGS_PER_SENDER);
	CHECK_EQ_U(g_conc_bad_order, 0);
	CHECK_EQ_U(g_conc_bad_id, 0);
	for (i = 0; i < SENDERS; i++) {
		CHECK_EQ_U(g_conc_next[i], MSGS_PER_SENDER);
		CHECK_EQ_U(args[i].unexpected_rc, 0);
	}
}

static int g_crit_calls;
static int g_crit_ctx_not_null;

static void
crit_fn(void *ctx)
{
	if (ctx != NULL) {
		g_crit_ctx_not_null++;
	}
	g_crit_calls++;
}

static void
test_critical_msg(void)
{
	spdk_set_thread(g_t0);
	CHECK_EQ_I(spdk_thread_send_critical_msg(g_t0, crit_fn), 0);
	/* Only one critical message may be outstanding. */
	CHECK_EQ_I(spdk_thread_send_critical_msg(g_t0, crit_fn), -EIO);
	CHECK_EQ_I(g_crit_calls, 0);
	spdk_thread_poll(g_t0, 0, 0);
	CHECK_EQ_I(g_crit_calls, 1);
	poll_threads(&g_t0, 1, 5);
	CHECK_EQ_I(g_crit_calls, 1);
	CHECK_EQ_I(spdk_thread_send_critical_msg(g_t0, crit_fn), 0);
	spdk_thread_poll(g_t0, 0, 0);
	CHECK_EQ_I(g_crit_calls, 2);
	CHECK_EQ_I(g_crit_ctx_not_null, 0);
}

/* ------------------------------------------------------------------------- */
/* Pollers                                                                   */
/* ------------------------------------------------------------------------- */

static int
count_poller(void *arg)
{
	(*(int *)arg)++;
	return SPDK_POLLER_BUSY;
}

static int
idle_poller(void *arg)
{
	(*(int *)arg)++;
	return SPDK_POLLER_IDLE;
}

static struct spdk_poller *g_self_poller;
static int g_self_runs;
static bool g_self_null_after_unregister;

static int
self_unregister_poller(void *arg)
{
	(void)arg;
	g_self_runs++;
	spdk_poller_unregister(&g_self_poller);
	g_self_null_after_unregister = (g_self_poller == NULL);
	return SPDK_POLLER_BUSY;
}

static void
test_pollers(void)
{
	struct spdk_poller *p0, *pt, *pn, *pi;
	int c0 = 0, ct = 0, cn = 0, ci = 0, cm = 0;
	uint64_t hz, start;

	spdk_set_thread(g_t0);
	poll_threads(&g_t0, 1, 5);
	CHECK_EQ_I(spdk_thread_has_active_pollers(g_t0), 0);
	CHECK(!spdk_thread_has_pollers(g_t0));
	CHECK(spdk_thread_is_idle(g_t0));

	/* Period 0: runs on every poll. */
	p0 = spdk_poller_register(count_poller, &c0, 0);
	if (!CHECK(p0 != NULL)) {
		return;
	}
	CHECK_EQ_I(spdk_thread_has_active_pollers(g_t0), 1);
	CHECK(spdk_thread_has_pollers(g_t0));
	CHECK(!spdk_thread_is_idle(g_t0));
	CHECK_EQ_I(c0, 0);
	poll_threads(&g_t0, 1, 10);
	CHECK_EQ_I(c0, 10);
	/* A busy poller means the poll did work. */
	CHECK(spdk_thread_poll(g_t0, 0, 0) > 0);
	CHECK_EQ_I(c0, 11);

	/* Pause: no more runs. Resume: runs again. */
	spdk_poller_pause(p0);
	poll_threads(&g_t0, 1, 5);
	CHECK_EQ_I(c0, 11);
	spdk_poller_pause(p0); /* pausing twice is fine */
	poll_threads(&g_t0, 1, 2);
	CHECK_EQ_I(c0, 11);
	spdk_poller_resume(p0);
	poll_threads(&g_t0, 1, 5);
	CHECK_EQ_I(c0, 16);
	spdk_poller_resume(p0); /* resuming a running poller is fine */
	poll_threads(&g_t0, 1, 1);
	CHECK_EQ_I(c0, 17);

	/* Unregister from outside: pointer cleared, never runs again. */
	spdk_poller_unregister(&p0);
	CHECK(p0 == NULL);
	poll_threads(&g_t0, 1, 5);
	CHECK_EQ_I(c0, 17);
	CHECK_EQ_I(spdk_thread_has_active_pollers(g_t0), 0);
	CHECK(!spdk_thread_has_pollers(g_t0));
	/* Unregistering a NULL poller is a no-op. */
	spdk_poller_unregister(&p0);

	/* An idle poller: runs, but the poll reports no work. */
	pi = spdk_poller_register(idle_poller, &ci, 0);
	if (CHECK(pi != NULL)) {
		CHECK_EQ_I(spdk_thread_poll(g_t0, 0, 0), 0);
		CHECK_EQ_I(ci, 1);
		spdk_poller_unregister(&pi);
		/* The unregistration completes on the next poll. */
		poll_threads(&g_t0, 1, 1);
		CHECK_EQ_I(ci, 1);
	}

	/* Timed poller: 10 ms period over ~100 ms of polling. */
	pt = spdk_poller_register(count_poller, &ct, 10000);
	if (CHECK(pt != NULL)) {
		CHECK_EQ_I(spdk_thread_has_active_pollers(g_t0), 0);
		CHECK(spdk_thread_has_pollers(g_t0));
		hz = spdk_get_ticks_hz();
		start = spdk_get_ticks();
		while (spdk_get_ticks() - start < hz / 10) {
			spdk_thread_poll(g_t0, 0, 0);
		}
		CHECK(ct >= 3 && ct <= 20);
		if (ct < 3 || ct > 20) {
			fprintf(stderr, "timed poller ran %d times in ~100ms\n", ct);
		}
		spdk_poller_unregister(&pt);
		CHECK(pt == NULL);
	}

	/* Named registration. */
	pn = spdk_poller_register_named(count_poller, &cn, 0, "test_named_poller");
	if (CHECK(pn != NULL)) {
		poll_threads(&g_t0, 1, 3);
		CHECK_EQ_I(cn, 3);
		spdk_poller_unregister(&pn);
	}
	pn = SPDK_POLLER_REGISTER(count_poller, &cm, 0);
	if (CHECK(pn != NULL)) {
		poll_threads(&g_t0, 1, 2);
		CHECK_EQ_I(cm, 2);
		spdk_poller_unregister(&pn);
	}

	/* Unregister from inside the poller's own callback. */
	g_self_poller = spdk_poller_register(self_unregister_poller, NULL, 0);
	if (CHECK(g_self_poller != NULL)) {
		poll_threads(&g_t0, 1, 5);
		CHECK_EQ_I(g_self_runs, 1);
		CHECK(g_self_poller == NULL);
		CHECK(g_self_null_after_unregister);
	}

	poll_threads(&g_t0, 1, 3);
	CHECK(!spdk_thread_has_pollers(g_t0));
	CHECK(spdk_thread_is_idle(g_t0));
}

/* ------------------------------------------------------------------------- */
/* I/O devices and channels                                                  */
/* ------------------------------------------------------------------------- */

#define CHAN_MAGIC 0xc0ffee11u

struct test_dev {
	int dummy;
};

struct chan_ctx {
	uint32_t magic;
	int index;
	struct spdk_thread *creator;
	uint8_t payload[100];
};

static struct test_dev g_dev;
static int g_create_calls, g_destroy_calls, g_unregister_calls;
static int g_cb_bad;
static void *g_created_ctx[4];

static int
chan_create(void *io_device, void *ctx_buf)
{
	struct chan_ctx *c = ctx_buf;

	if (io_device != &g_dev) {
		g_cb_bad++;
	}
	c->magic = CHAN_MAGIC;
	c->index = g_create_calls;
	c->creator = spdk_get_thread();
	memset(c->payload, 0x40 + g_create_calls, sizeof(c->payload));
	if (g_create_calls < 4) {
		g_created_ctx[g_create_calls] = ctx_buf;
	}
	g_create_calls++;
	return 0;
}

static void
chan_destroy(void *io_device, void *ctx_buf)
{
	struct chan_ctx *c = ctx_buf;

	if (io_device != &g_dev || c->magic != CHAN_MAGIC || c->creator != spdk_get_thread()) {
		g_cb_bad++;
	}
	g_destroy_calls++;
}

static void
dev_unregistered(void *io_device)
{
	if (io_device != &g_dev) {
		g_cb_bad++;
	}
	g_unregister_calls++;
}

/* spdk_for_each_channel bookkeeping */
static int g_fe_ctx_marker;
static struct spdk_io_channel *g_fe_visited[8];
static int g_fe_visits, g_fe_cpl_calls, g_fe_status, g_fe_bad;
static struct spdk_thread *g_fe_cpl_thread;

static void
fe_visit(struct spdk_io_channel_iter *i)
{
	struct spdk_io_channel *ch = spdk_io_channel_iter_get_channel(i);

	if (g_fe_visits < 8) {
		g_fe_visited[g_fe_visits] = ch;
	}
	g_fe_visits++;
	if (spdk_io_channel_iter_get_ctx(i) != &g_fe_ctx_marker ||
	    spdk_io_channel_iter_get_io_device(i) != &g_dev ||
	    ch == NULL || spdk_io_channel_get_thread(ch) != spdk_get_thread()) {
		g_fe_bad++;
	}
	spdk_for_each_channel_continue(i, 0);
}

static void
fe_visit_stop(struct spdk_io_channel_iter *i)
{
	g_fe_visits++;
	spdk_for_each_channel_continue(i, -ECANCELED);
}

static void
fe_done(struct spdk_io_channel_iter *i, int status)
{
	g_fe_cpl_calls++;
	g_fe_status = status;
	g_fe_cpl_thread = spdk_get_thread();
	if (spdk_io_channel_iter_get_ctx(i) != &g_fe_ctx_marker ||
	    spdk_io_channel_iter_get_io_device(i) != &g_dev) {
		g_fe_bad++;
	}
}

static void
test_io_channels(void)
{
	struct spdk_thread *both[2] = { g_t0, g_t1 };
	struct spdk_io_channel *ch0, *ch0b, *ch1;
	struct chan_ctx *ctx0, *ctx1;
	int k;

	spdk_set_thread(g_t0);
	spdk_io_device_register(&g_dev, chan_create, chan_destroy, sizeof(struct chan_ctx),
				"test_dev");

	ch0 = spdk_get_io_channel(&g_dev);
	if (!CHECK(ch0 != NULL)) {
		return;
	}
	CHECK_EQ_I(g_create_calls, 1);
	/* Second get on the same thread: same channel, no new create. */
	ch0b = spdk_get_io_channel(&g_dev);
	CHECK(ch0b == ch0);
	CHECK_EQ_I(g_create_calls, 1);

	ctx0 = spdk_io_channel_get_ctx(ch0);
	CHECK(ctx0 != NULL);
	CHECK((void *)ctx0 == g_created_ctx[0]);
	CHECK(spdk_io_channel_from_ctx(ctx0) == ch0);
	CHECK(spdk_io_channel_get_thread(ch0) == g_t0);
	CHECK(spdk_io_channel_get_io_device(ch0) == &g_dev);
	CHECK_EQ_U(ctx0->magic, CHAN_MAGIC);
	CHECK(ctx0->creator == g_t0);

	spdk_set_thread(g_t1);
	ch1 = spdk_get_io_channel(&g_dev);
	if (!CHECK(ch1 != NULL)) {
		return;
	}
	CHECK(ch1 != ch0);
	CHECK_EQ_I(g_create_calls, 2);
	ctx1 = spdk_io_channel_get_ctx(ch1);
	CHECK((void *)ctx1 == g_created_ctx[1]);
	CHECK(ctx1 != ctx0);
	CHECK(spdk_io_channel_from_ctx(ctx1) == ch1);
	CHECK(spdk_io_channel_get_thread(ch1) == g_t1);
	CHECK(ctx1->creator == g_t1);
	CHECK_EQ_I(ctx1->index, 1);
	/* The two context buffers do not overlap. */
	CHECK((uintptr_t)ctx1 >= (uintptr_t)ctx0 + sizeof(*ctx0) ||
	      (uintptr_t)ctx0 >= (uintptr_t)ctx1 + sizeof(*ctx1));
	memset(ctx1->payload, 0x77, sizeof(ctx1->payload));
	CHECK_EQ_I(ctx0->payload[99], 0x40);
	CHECK_EQ_U(ctx0->magic, CHAN_MAGIC);

	/* for_each_channel from t0: each channel once, completion once with 0, on t0. */
	spdk_set_thread(g_t0);
	g_fe_visits = 0;
	g_fe_cpl_calls = 0;
	g_fe_status = 12345;
	spdk_for_each_channel(&g_dev, fe_visit, &g_fe_ctx_marker, fe_done);
	CHECK_EQ_I(g_fe_cpl_calls, 0);
	POLL_UNTIL(g_fe_cpl_calls > 0, both, 2);
	poll_threads(both, 2, 10);
	CHECK_EQ_I(g_fe_visits, 2);
	CHECK_EQ_I(g_fe_cpl_calls, 1);
	CHECK_EQ_I(g_fe_status, 0);
	CHECK(g_fe_cpl_thread == g_t0);
	CHECK_EQ_I(g_fe_bad, 0);
	CHECK((g_fe_visited[0] == ch0 && g_fe_visited[1] == ch1) ||
	      (g_fe_visited[0] == ch1 && g_fe_visited[1] == ch0));

	/* A non-zero status stops the iteration and reaches the completion. */
	g_fe_visits = 0;
	g_fe_cpl_calls = 0;
	g_fe_status = 12345;
	spdk_for_each_channel(&g_dev, fe_visit_stop, &g_fe_ctx_marker, fe_done);
	POLL_UNTIL(g_fe_cpl_calls > 0, both, 2);
	poll_threads(both, 2, 10);
	CHECK_EQ_I(g_fe_visits, 1);
	CHECK_EQ_I(g_fe_cpl_calls, 1);
	CHECK_EQ_I(g_fe_status, -ECANCELED);
	CHECK(g_fe_cpl_thread == g_t0);

	/* Unregister while channels are still held: deferred until all are put. */
	spdk_io_device_unregister(&g_dev, dev_unregistered);
	poll_threads(both, 2, 50);
	CHECK_EQ_I(g_unregister_calls, 0);
	CHECK_EQ_I(g_destroy_calls, 0);
	/* The device can no longer hand out channels. */
	CHECK(spdk_get_io_channel(&g_dev) == NULL);

	/* t0 holds two references: the first put does not destroy. */
	spdk_put_io_channel(ch0);
	poll_threads(both, 2, 20);
	CHECK_EQ_I(g_destroy_calls, 0);
	spdk_put_io_channel(ch0b);
	poll_threads(both, 2, 20);
	CHECK_EQ_I(g_destroy_calls, 1);
	CHECK_EQ_I(g_unregister_calls, 0);

	/* Last channel, on t1: the put itself is deferred to a message. */
	spdk_set_thread(g_t1);
	spdk_put_io_channel(ch1);
	CHECK_EQ_I(g_destroy_calls, 1);
	CHECK_EQ_I(g_unregister_calls, 0);
	spdk_set_thread(g_t0);
	POLL_UNTIL(g_unregister_calls > 0, both, 2);
	poll_threads(both, 2, 20);
	CHECK_EQ_I(g_destroy_calls, 2);
	CHECK_EQ_I(g_unregister_calls, 1);
	CHECK_EQ_I(g_cb_bad, 0);

	/* A second device unregistered with no channels: callback after a poll. */
	k = g_unregister_calls;
	spdk_io_device_register(&g_dev, chan_create, chan_destroy, sizeof(struct chan_ctx), NULL);
	spdk_io_device_unregister(&g_dev, dev_unregistered);
	POLL_UNTIL(g_unregister_calls > k, both, 2);
	CHECK_EQ_I(g_unregister_calls, k + 1);
	CHECK_EQ_I(g_create_calls, 2);
}

/* ------------------------------------------------------------------------- */
/* for_each_thread, stats                                                    */
/* ------------------------------------------------------------------------- */

static int g_ft_marker;
static struct spdk_thread *g_ft_seen[8];
static int g_ft_n, g_ft_cpl, g_ft_bad;
static struct spdk_thread *g_ft_cpl_thread;

static void
ft_fn(void *ctx)
{
	if (ctx != &g_ft_marker) {
		g_ft_bad++;
	}
	if (g_ft_n < 8) {
		g_ft_seen[g_ft_n] = spdk_get_thread();
	}
	g_ft_n++;
}

static void
ft_cpl(void *ctx)
{
	if (ctx != &g_ft_marker) {
		g_ft_bad++;
	}
	g_ft_cpl++;
	g_ft_cpl_thread = spdk_get_thread();
}

static void
test_for_each_thread(void)
{
	struct spdk_thread *both[2] = { g_t0, g_t1 };

	spdk_set_thread(g_t0);
	spdk_for_each_thread(ft_fn, &g_ft_marker, ft_cpl);
	CHECK_EQ_I(g_ft_cpl, 0);
	POLL_UNTIL(g_ft_cpl > 0, both, 2);
	poll_threads(both, 2, 10);
	CHECK_EQ_I(g_ft_n, 2);
	CHECK_EQ_I(g_ft_cpl, 1);
	CHECK(g_ft_cpl_thread == g_t0);
	CHECK_EQ_I(g_ft_bad, 0);
	CHECK((g_ft_seen[0] == g_t0 && g_ft_seen[1] == g_t1) ||
	      (g_ft_seen[0] == g_t1 && g_ft_seen[1] == g_t0));
}

static void
test_stats(void)
{
	struct spdk_thread_stats stats;

	spdk_set_thread(g_t0);
	memset(&stats, 0, sizeof(stats));
	CHECK_EQ_I(spdk_thread_get_stats(&stats), 0);
	/* Earlier tests processed messages (busy) and polled with nothing to do (idle). */
	CHECK(stats.busy_tsc > 0);
	CHECK(stats.idle_tsc > 0);
	CHECK(spdk_thread_get_last_tsc(g_t0) > 0);

	/* No current thread: error. */
	spdk_set_thread(NULL);
	CHECK(spdk_thread_get_stats(&stats) < 0);
	spdk_set_thread(g_t0);
}

static void
exit_thread(struct spdk_thread *t)
{
	int i;

	spdk_set_thread(t);
	CHECK(!spdk_thread_is_exited(t));
	CHECK_EQ_I(spdk_thread_exit(t), 0);
	for (i = 0; i < 1000000 && !spdk_thread_is_exited(t); i++) {
		spdk_thread_poll(t, 0, 0);
	}
	CHECK(spdk_thread_is_exited(t));
	spdk_thread_destroy(t);
	spdk_set_thread(NULL);
}

int
main(void)
{
	struct spdk_env_opts opts;
	uint64_t id0, id1;

	alarm(900);

	memset(&opts, 0, sizeof(opts));
	spdk_env_opts_init(&opts);
	opts.name = "test_thread";
	opts.core_mask = "0x1";
	opts.no_pci = true;
	if (!CHECK(spdk_env_init(&opts) == 0)) {
		return CHECK_DONE("thread");
	}

	if (!CHECK(spdk_thread_lib_init(NULL, 0) == 0)) {
		spdk_env_fini();
		return CHECK_DONE("thread");
	}
	CHECK(spdk_get_thread() == NULL);

	g_t0 = spdk_thread_create("t0", NULL);
	g_t1 = spdk_thread_create("t1", NULL);
	if (!CHECK(g_t0 != NULL && g_t1 != NULL)) {
		return CHECK_DONE("thread");
	}
	CHECK_EQ_U(spdk_thread_get_count(), 2);
	CHECK_STREQ(spdk_thread_get_name(g_t0), "t0");
	CHECK_STREQ(spdk_thread_get_name(g_t1), "t1");
	id0 = spdk_thread_get_id(g_t0);
	id1 = spdk_thread_get_id(g_t1);
	CHECK(id0 != id1);
	CHECK(spdk_thread_get_by_id(id0) == g_t0);
	CHECK(spdk_thread_get_by_id(id1) == g_t1);
	/* Creating a thread does not make it current. */
	CHECK(spdk_get_thread() == NULL);

	spdk_set_thread(g_t0);
	CHECK(spdk_get_thread() == g_t0);
	spdk_set_thread(g_t1);
	CHECK(spdk_get_thread() == g_t1);
	spdk_set_thread(g_t0);

	test_msg_order();
	test_msg_concurrent();
	test_critical_msg();
	test_pollers();
	test_io_channels();
	test_for_each_thread();
	test_stats();

	exit_thread(g_t1);
	exit_thread(g_t0);
	CHECK_EQ_U(spdk_thread_get_count(), 0);
	CHECK(spdk_get_thread() == NULL);

	spdk_thread_lib_fini();
	spdk_env_fini();
	return CHECK_DONE("thread");
}
