/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   spdk/nvmf.h: an NVMe-oF/TCP target built through the C API inside
 *   spdk_app_start (target, TCP transport, two poll groups on two SPDK
 *   threads, a subsystem with a host list, a namespace on a malloc bdev and
 *   a listener on 127.0.0.1), then reached by rspdk's own NVMe/TCP host
 *   driver from a plain pthread of the same process: refused while the
 *   subsystem is inactive and for a host not on its list; data written and
 *   read back; a read held while the subsystem is paused and completed
 *   after resume; then stop, destroy and teardown. Before all that the host
 *   reads the discovery log and finds the target's discovery referrals
 *   (added and removed through the C API, the generation counter moving),
 *   and the listener's ANA state is set through the C API and seen in the
 *   ANA log page once connected.
 */
#include "spdk/stdinc.h"
#include "spdk/env.h"
#include "spdk/event.h"
#include "spdk/thread.h"
#include "spdk/bdev.h"
#include "spdk/nvme.h"
#include "spdk/nvmf.h"
#include "check.h"

#define NQN "nqn.2016-06.io.spdk:ctest"
#define HOST1 "nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555"
#define HOST2 "nqn.2014-08.org.nvmexpress:uuid:66666666-7777-8888-9999-000000000000"
#define FAR_NQN "nqn.2016-06.io.spdk:far"
#define REF_ADDR "192.0.2.20"

static char g_port[16];
static struct spdk_nvmf_tgt *g_tgt;
static struct spdk_nvmf_transport *g_transport;
static struct spdk_nvmf_poll_group *g_pg0, *g_pg1;
static struct spdk_thread *g_t1;
static struct spdk_nvmf_subsystem *g_sub;
static struct spdk_poller *g_driver;
static pthread_t g_host;
static struct spdk_nvmf_poll_group_stat g_stat0, g_stat1;

/* The app thread and the host thread take turns through these stages. */
static int g_stage;
static int g_step;

static int
stage(void)
{
	return __atomic_load_n(&g_stage, __ATOMIC_ACQUIRE);
}

static void
set_stage(int s)
{
	__atomic_store_n(&g_stage, s, __ATOMIC_RELEASE);
}

static void
wait_stage(int s)
{
	while (stage() != s && stage() >= 0) {
		usleep(1000);
	}
}

static void
make_trid(struct spdk_nvme_transport_id *trid, const char *subnqn)
{
	char s[512];

	memset(trid, 0, sizeof(*trid));
	snprintf(s, sizeof(s), "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:%s%s%s", g_port,
		 subnqn ? " subnqn:" : "", subnqn ? subnqn : "");
	CHECK_EQ_I(spdk_nvme_transport_id_parse(trid, s), 0);
}

/* ------------------------------------------------------------------ host side */

struct io {
	volatile bool done;
	bool error;
};

static void
io_done(void *arg, const struct spdk_nvme_cpl *cpl)
{
	struct io *io = arg;

	io->error = spdk_nvme_cpl_is_error(cpl);
	io->done = true;
}

static bool
wait_io(struct spdk_nvme_qpair *qp, struct io *io, double seconds)
{
	uint64_t end = spdk_get_ticks() + (uint64_t)(seconds * (double)spdk_get_ticks_hz());

	while (!io->done && spdk_get_ticks() < end) {
		spdk_nvme_qpair_process_completions(qp, 0);
	}
	return io->done;
}

static struct spdk_nvme_ctrlr *
connect_as(const char *hostnqn)
{
	struct spdk_nvme_transport_id trid;
	struct spdk_nvme_ctrlr_opts opts;

	make_trid(&trid, NQN);
	spdk_nvme_ctrlr_get_default_ctrlr_opts(&opts, sizeof(opts));
	snprintf(opts.hostnqn, sizeof(opts.hostnqn), "%s", hostnqn);
	return spdk_nvme_connect(&trid, &opts, sizeof(opts));
}

/* Reads the discovery log as HOST1 sees it into `log` (`len` bytes). */
static bool
read_discovery(struct spdk_nvmf_discovery_log_page *log, uint32_t len)
{
	struct spdk_nvme_transport_id trid;
	struct spdk_nvme_ctrlr_opts opts;
	struct spdk_nvme_ctrlr *c;
	struct io io = {0};
	uint64_t end;

	make_trid(&trid, SPDK_NVMF_DISCOVERY_NQN);
	spdk_nvme_ctrlr_get_default_ctrlr_opts(&opts, sizeof(opts));
	snprintf(opts.hostnqn, sizeof(opts.hostnqn), "%s", HOST1);
	c = spdk_nvme_connect(&trid, &opts, sizeof(opts));
	if (!CHECK(c != NULL)) {
		return false;
	}
	CHECK_EQ_I(spdk_nvme_ctrlr_cmd_get_log_page(c, SPDK_NVME_LOG_DISCOVERY, 0, log, len, 0, io_done, &io), 0);
	end = spdk_get_ticks() + 10 * spdk_get_ticks_hz();
	while (!io.done && spdk_get_ticks() < end) {
		spdk_nvme_ctrlr_process_admin_completions(c);
	}
	spdk_nvme_detach(c);
	return CHECK(io.done && !io.error);
}

/* The referral record to REF_ADDR:`svc` in `log`, if listed. */
static const struct spdk_nvmf_discovery_log_page_entry *
find_referral(const struct spdk_nvmf_discovery_log_page *log, const char *svc)
{
	uint64_t i;

	for (i = 0; i < log->numrec && i < 7; i++) {
		const struct spdk_nvmf_discovery_log_page_entry *e = &log->entries[i];

		if (memcmp(e->traddr, REF_ADDR, strlen(REF_ADDR)) == 0 && e->traddr[strlen(REF_ADDR)] == ' ' &&
		    memcmp(e->trsvcid, svc, strlen(svc)) == 0 && e->trsvcid[strlen(svc)] == ' ') {
			return e;
		}
	}
	return NULL;
}

/* Discovery referrals as the host sees them, before and after the target changes them (stage 11). */
static void
check_referrals(void)
{
	struct spdk_nvmf_discovery_log_page *log;
	const struct spdk_nvmf_discovery_log_page_entry *e;
	uint32_t len = 8 * 1024;
	uint64_t genctr;

	log = spdk_zmalloc(len, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	if (!CHECK(log != NULL) || !read_discovery(log, len)) {
		spdk_free(log);
		return;
	}
	genctr = log->genctr;
	e = find_referral(log, "8009");
	if (CHECK(e != NULL)) {
		CHECK_EQ_U(e->subtype, SPDK_NVMF_SUBTYPE_DISCOVERY);
		CHECK_EQ_U(e->trtype, SPDK_NVMF_TRTYPE_TCP);
		CHECK_EQ_U(e->adrfam, SPDK_NVMF_ADRFAM_IPV4);
		CHECK_EQ_U(e->cntlid, 0xffff);
		CHECK_STREQ((const char *)e->subnqn, SPDK_NVMF_DISCOVERY_NQN);
	}
	CHECK(find_referral(log, "8010") == NULL);

	set_stage(11);
	wait_stage(12);
	memset(log, 0, len);
	if (read_discovery(log, len)) {
		CHECK(log->genctr != genctr);
		CHECK(find_referral(log, "8009") == NULL);
		e = find_referral(log, "8010");
		if (CHECK(e != NULL)) {
			CHECK_EQ_U(e->subtype, SPDK_NVMF_SUBTYPE_NVME);
			CHECK_STREQ((const char *)e->subnqn, FAR_NQN);
		}
	}
	spdk_free(log);
}

/* The ANA state of group 1 in the ANA log page. */
static int
ana_state_of_group1(struct spdk_nvme_ctrlr *c)
{
	uint8_t *page;
	struct io io = {0};
	uint64_t end;
	int st = -1;

	page = spdk_zmalloc(4096, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	if (!CHECK(page != NULL)) {
		return -1;
	}
	CHECK(spdk_nvme_ctrlr_get_data(c)->cmic.ana_reporting);
	CHECK_EQ_I(spdk_nvme_ctrlr_cmd_get_log_page(c, SPDK_NVME_LOG_ASYMMETRIC_NAMESPACE_ACCESS, 0, page, 4096, 0,
			io_done, &io), 0);
	end = spdk_get_ticks() + 10 * spdk_get_ticks_hz();
	while (!io.done && spdk_get_ticks() < end) {
		spdk_nvme_ctrlr_process_admin_completions(c);
	}
	/* Header: change count (8), number of groups (2), reserved (6); then the group descriptors. */
	if (CHECK(io.done && !io.error) && CHECK(page[8] >= 1)) {
		CHECK_EQ_U(page[16], 1);
		st = page[32] & 0xf;
	}
	spdk_free(page);
	return st;
}

static void *
host_main(void *arg)
{
	struct spdk_nvme_ctrlr *c;
	struct spdk_nvme_ns *ns;
	struct spdk_nvme_qpair *qp;
	const struct spdk_nvme_ctrlr_data *cd;
	struct io io = {0};
	size_t len = 64 * 1024, i;
	char *w, *r;

	(void)arg;
	/* 10: discovery referrals, before and after the target changes them. */
	wait_stage(10);
	check_referrals();
	set_stage(1);

	/* 1: the subsystem is inactive: the controller is busy, no connection. */
	wait_stage(1);
	c = connect_as(HOST1);
	CHECK(c == NULL);
	if (c != NULL) {
		spdk_nvme_detach(c);
	}
	set_stage(2);

	/* 3: started. A host off the list is refused; the listed host works. */
	wait_stage(3);
	c = connect_as(HOST2);
	CHECK(c == NULL);
	if (c != NULL) {
		spdk_nvme_detach(c);
	}
	c = connect_as(HOST1);
	if (!CHECK(c != NULL)) {
		set_stage(-1);
		return NULL;
	}
	cd = spdk_nvme_ctrlr_get_data(c);
	CHECK(memcmp(cd->sn, "RSPDK-C-0001", 12) == 0);
	CHECK(memcmp(cd->mn, "rspdk C API target", 18) == 0);
	CHECK_EQ_U(spdk_nvme_ctrlr_get_num_ns(c) >= 1, 1);
	ns = spdk_nvme_ctrlr_get_ns(c, 1);
	qp = spdk_nvme_ctrlr_alloc_io_qpair(c, NULL, 0);
	w = spdk_zmalloc(len, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	r = spdk_zmalloc(len, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	if (!CHECK(ns != NULL && qp != NULL && w != NULL && r != NULL)) {
		set_stage(-1);
		return NULL;
	}
	CHECK_EQ_U(spdk_nvme_ns_get_sector_size(ns), 512);
	CHECK_EQ_U(spdk_nvme_ns_get_num_sectors(ns), 32768);
	for (i = 0; i < len; i++) {
		w[i] = (char)(i * 7 + (i >> 9));
	}
	CHECK_EQ_I(spdk_nvme_ns_cmd_write(ns, qp, w, 100, (uint32_t)(len / 512), io_done, &io, 0), 0);
	CHECK(wait_io(qp, &io, 30) && !io.error);
	io = (struct io){0};
	CHECK_EQ_I(spdk_nvme_ns_cmd_read(ns, qp, r, 100, (uint32_t)(len / 512), io_done, &io, 0), 0);
	CHECK(wait_io(qp, &io, 30) && !io.error);
	CHECK(memcmp(w, r, len) == 0);
	/* The listener's ANA state set through the C API while inactive. Reading
	 * it lets the driver send an Asynchronous Event Request, which the target
	 * holds; the pause below must not wait for it. */
	CHECK_EQ_I(ana_state_of_group1(c), SPDK_NVME_ANA_NON_OPTIMIZED_STATE);
	set_stage(4);

	/* 5: paused: a read is held by the target until the resume. */
	wait_stage(5);
	memset(r, 0, len);
	io = (struct io){0};
	CHECK_EQ_I(spdk_nvme_ns_cmd_read(ns, qp, r, 100, (uint32_t)(len / 512), io_done, &io, 0), 0);
	CHECK(!wait_io(qp, &io, 0.3));
	set_stage(6);
	CHECK(wait_io(qp, &io, 30) && !io.error);
	CHECK(memcmp(w, r, len) == 0);
	wait_stage(7);

	spdk_nvme_ctrlr_free_io_qpair(qp);
	spdk_nvme_detach(c);
	spdk_free(w);
	spdk_free(r);
	set_stage(8);
	return NULL;
}

/* ------------------------------------------------------------------ target side */

static void
tgt_destroyed(void *ctx, int status)
{
	(void)ctx;
	CHECK_EQ_I(status, 0);
	CHECK(spdk_nvmf_get_tgt(NULL) == NULL);
	spdk_app_stop(0);
}

static void
pg_destroyed(void *ctx, int status)
{
	(void)ctx;
	CHECK_EQ_I(status, 0);
	__atomic_add_fetch(&g_step, 1, __ATOMIC_ACQ_REL);
	if (spdk_get_thread() == g_t1) {
		spdk_thread_exit(g_t1);
	}
}

static void
destroy_pg1(void *ctx)
{
	(void)ctx;
	spdk_nvmf_poll_group_destroy(g_pg1, pg_destroyed, NULL);
}

static void
sub_destroyed(void *ctx)
{
	(void)ctx;
	g_step = 100;
}

static void
state_changed(struct spdk_nvmf_subsystem *s, void *ctx, int status)
{
	CHECK(s == g_sub);
	CHECK_EQ_I(status, 0);
	set_stage((int)(intptr_t)ctx);
}

static void
get_stat1(void *ctx)
{
	(void)ctx;
	CHECK_EQ_I(spdk_nvmf_poll_group_get_stat(g_tgt, &g_stat1), 0);
	g_step = 51;
}

static void
make_referral(struct spdk_nvmf_referral_opts *ro, const char *svc, const char *subnqn)
{
	char s[256];

	memset(ro, 0, sizeof(*ro));
	ro->size = sizeof(*ro);
	snprintf(s, sizeof(s), "trtype:TCP adrfam:IPv4 traddr:%s trsvcid:%s%s%s", REF_ADDR, svc,
		 subnqn ? " subnqn:" : "", subnqn ? subnqn : "");
	CHECK_EQ_I(spdk_nvme_transport_id_parse(&ro->trid, s), 0);
}

/* Discovery referrals through the C API (the host reads the first one at stage 10). */
static void
setup_referrals(void)
{
	struct spdk_nvmf_referral_opts ro;

	CHECK_EQ_I(spdk_nvmf_tgt_add_referral(g_tgt, NULL), -EINVAL);
	make_referral(&ro, "8009", NULL);
	CHECK_EQ_I(spdk_nvmf_tgt_add_referral(g_tgt, &ro), 0);
	/* The same one again changes nothing (as SPDK). */
	CHECK_EQ_I(spdk_nvmf_tgt_add_referral(g_tgt, &ro), 0);
	make_referral(&ro, "8010", NULL);
	ro.secure_channel = true;
	CHECK_EQ_I(spdk_nvmf_tgt_add_referral(g_tgt, &ro), -EOPNOTSUPP);
	make_referral(&ro, "8010", "not-an-nqn");
	CHECK_EQ_I(spdk_nvmf_tgt_add_referral(g_tgt, &ro), -EINVAL);
	make_referral(&ro, "8010", NULL);
	CHECK_EQ_I(spdk_nvmf_tgt_remove_referral(g_tgt, &ro), -ENOENT);
	/* A caller built with a shorter struct: the fields past its size are not read. */
	make_referral(&ro, "8011", NULL);
	ro.size = offsetof(struct spdk_nvmf_referral_opts, secure_channel);
	ro.secure_channel = true;
	CHECK_EQ_I(spdk_nvmf_tgt_add_referral(g_tgt, &ro), 0);
	CHECK_EQ_I(spdk_nvmf_tgt_remove_referral(g_tgt, &ro), 0);
	CHECK_EQ_I(spdk_nvmf_tgt_remove_referral(g_tgt, &ro), -ENOENT);
}

static int g_ana_rc[5];
static int g_ana_done;

static void
ana_set(void *ctx, int status)
{
	g_ana_rc[(intptr_t)ctx] = status;
	__atomic_add_fetch(&g_ana_done, 1, __ATOMIC_ACQ_REL);
}

/* Stage 11 (the subsystem still inactive): the target changes its referrals and the listener's ANA state. */
static void
change_referrals_and_ana(void)
{
	struct spdk_nvmf_referral_opts ro;
	struct spdk_nvme_transport_id trid;

	make_referral(&ro, "8009", SPDK_NVMF_DISCOVERY_NQN);
	CHECK_EQ_I(spdk_nvmf_tgt_remove_referral(g_tgt, &ro), 0);
	make_referral(&ro, "8010", FAR_NQN);
	CHECK_EQ_I(spdk_nvmf_tgt_add_referral(g_tgt, &ro), 0);

	make_trid(&trid, NULL);
	spdk_nvmf_subsystem_set_ana_state(g_sub, &trid, SPDK_NVME_ANA_INACCESSIBLE_STATE, 0, ana_set, (void *)0);
	CHECK_EQ_I(spdk_nvmf_subsystem_set_ana_reporting(g_sub, true), 0);
	spdk_nvmf_subsystem_set_ana_state(g_sub, &trid, SPDK_NVME_ANA_PERSISTENT_LOSS_STATE, 0, ana_set, (void *)1);
	spdk_nvmf_subsystem_set_ana_state(g_sub, &trid, SPDK_NVME_ANA_NON_OPTIMIZED_STATE, 9, ana_set, (void *)2);
	snprintf(trid.trsvcid, sizeof(trid.trsvcid), "1");
	spdk_nvmf_subsystem_set_ana_state(g_sub, &trid, SPDK_NVME_ANA_NON_OPTIMIZED_STATE, 1, ana_set, (void *)3);
	make_trid(&trid, NULL);
	spdk_nvmf_subsystem_set_ana_state(g_sub, &trid, SPDK_NVME_ANA_NON_OPTIMIZED_STATE, 1, ana_set, (void *)4);
	/* Callbacks come later, never within the call. */
	CHECK_EQ_I(__atomic_load_n(&g_ana_done, __ATOMIC_ACQUIRE), 0);
}

static void
check_ana(void)
{
	struct spdk_nvme_transport_id trid;
	enum spdk_nvme_ana_state st = SPDK_NVME_ANA_OPTIMIZED_STATE;

	CHECK_EQ_I(g_ana_rc[0], -EINVAL);
	CHECK_EQ_I(g_ana_rc[1], -ENOTSUP);
	CHECK_EQ_I(g_ana_rc[2], -EINVAL);
	CHECK_EQ_I(g_ana_rc[3], -EINVAL);
	CHECK_EQ_I(g_ana_rc[4], 0);
	make_trid(&trid, NULL);
	CHECK_EQ_I(spdk_nvmf_subsystem_get_ana_state(g_sub, &trid, 1, &st), 0);
	CHECK(st == SPDK_NVME_ANA_NON_OPTIMIZED_STATE);
	CHECK_EQ_I(spdk_nvmf_subsystem_get_ana_state(g_sub, &trid, 0, &st), -EINVAL);
	CHECK_EQ_I(spdk_nvmf_subsystem_get_ana_state(g_sub, &trid, 9, &st), -EINVAL);
}

/* Drives the target through the stages the host thread waits for. */
static int
driver(void *ctx)
{
	struct spdk_nvmf_ns *ns;
	int rc;

	(void)ctx;
	switch (stage()) {
	case 11:
		change_referrals_and_ana();
		set_stage(110);
		break;
	case 110:
		if (__atomic_load_n(&g_ana_done, __ATOMIC_ACQUIRE) == 5) {
			check_ana();
			set_stage(12);
		}
		break;
	case 2:
		CHECK_EQ_I(spdk_nvmf_subsystem_start(g_sub, state_changed, (void *)3), 0);
		CHECK_EQ_I(spdk_nvmf_subsystem_start(g_sub, state_changed, (void *)3), -EBUSY);
		set_stage(20);
		break;
	case 4:
		/* Inactive/paused-only changes are refused while active. */
		CHECK_EQ_U(spdk_nvmf_subsystem_add_ns_ext(g_sub, "Malloc1", NULL, 0, NULL), 0);
		CHECK_EQ_I(spdk_nvmf_subsystem_remove_ns(g_sub, 1), -1);
		CHECK_EQ_I(spdk_nvmf_subsystem_resume(g_sub, state_changed, (void *)0), -EBUSY);
		CHECK_EQ_I(spdk_nvmf_subsystem_pause(g_sub, 0, state_changed, (void *)5), 0);
		set_stage(40);
		break;
	case 6:
		/* While paused, a namespace may be added (and is seen by the groups). */
		ns = NULL;
		CHECK_EQ_U(spdk_nvmf_subsystem_add_ns_ext(g_sub, "Malloc1", NULL, 0, NULL), 2);
		ns = spdk_nvmf_subsystem_get_ns(g_sub, 2);
		CHECK(ns != NULL && spdk_nvmf_ns_get_bdev(ns) == spdk_bdev_get_by_name("Malloc1"));
		CHECK_EQ_I(spdk_nvmf_subsystem_resume(g_sub, state_changed, (void *)7), 0);
		set_stage(60);
		break;
	case 8:
		if (g_step == 0) {
			CHECK_EQ_I(spdk_nvmf_poll_group_get_stat(g_tgt, &g_stat0), 0);
			g_step = 50;
			spdk_thread_send_msg(g_t1, get_stat1, NULL);
		} else if (g_step == 51) {
			/* Three connections were accepted for host1's admin and I/O
			 * queues and the refused ones; both groups served some. */
			CHECK(g_stat0.admin_qpairs + g_stat1.admin_qpairs >= 1);
			CHECK(g_stat0.io_qpairs + g_stat1.io_qpairs >= 1);
			CHECK(g_stat0.completed_nvme_io + g_stat1.completed_nvme_io >= 3);
			CHECK_EQ_U(g_stat0.current_io_qpairs + g_stat1.current_io_qpairs, 0);
			CHECK_EQ_I(spdk_nvmf_subsystem_destroy(g_sub, NULL, NULL), -EAGAIN);
			CHECK_EQ_I(spdk_nvmf_subsystem_stop(g_sub, state_changed, (void *)9), 0);
			g_step = 52;
		}
		break;
	case 9:
		rc = spdk_nvmf_subsystem_destroy(g_sub, sub_destroyed, NULL);
		CHECK(rc == 0 || rc == -EINPROGRESS);
		if (rc == 0) {
			g_step = 100;
		}
		set_stage(90);
		break;
	case 90:
		if (g_step == 100) {
			CHECK(spdk_nvmf_tgt_find_subsystem(g_tgt, NQN) == NULL);
			g_step = 0;
			spdk_thread_send_msg(g_t1, destroy_pg1, NULL);
			spdk_nvmf_poll_group_destroy(g_pg0, pg_destroyed, NULL);
			set_stage(91);
		}
		break;
	case 91:
		if (g_step == 2) {
			pthread_join(g_host, NULL);
			spdk_poller_unregister(&g_driver);
			spdk_nvmf_tgt_destroy(g_tgt, tgt_destroyed, NULL);
			set_stage(92);
		}
		break;
	case -1:
		spdk_poller_unregister(&g_driver);
		spdk_app_stop(1);
		break;
	default:
		break;
	}
	return 0;
}

static void
listener_added(void *ctx, int status)
{
	struct spdk_nvmf_subsystem_listener *l;
	const struct spdk_nvme_transport_id *t;
	struct spdk_nvme_transport_id trid;

	(void)ctx;
	CHECK_EQ_I(status, 0);
	l = spdk_nvmf_subsystem_get_first_listener(g_sub);
	if (CHECK(l != NULL)) {
		t = spdk_nvmf_subsystem_listener_get_trid(l);
		CHECK(t->trtype == SPDK_NVME_TRANSPORT_TCP);
		CHECK_STREQ(t->traddr, "127.0.0.1");
		CHECK_STREQ(t->trsvcid, g_port);
		CHECK(spdk_nvmf_subsystem_get_next_listener(g_sub, l) == NULL);
	}
	make_trid(&trid, NULL);
	CHECK(spdk_nvmf_subsystem_listener_allowed(g_sub, &trid));
	/* The subsystem is set up, still inactive: the host may try. */
	g_driver = SPDK_POLLER_REGISTER(driver, NULL, 1000);
	CHECK_EQ_I(pthread_create(&g_host, NULL, host_main, NULL), 0);
	set_stage(10);
}

static void
listener_refused(void *ctx, int status)
{
	(void)ctx;
	/* Port 1 is not listened on by the target. */
	CHECK_EQ_I(status, -EINVAL);
}

static void
setup_subsystem(void)
{
	struct spdk_nvmf_ns_opts nso;
	struct spdk_nvmf_ns_opts got;
	struct spdk_nvmf_host *h;
	struct spdk_nvmf_ns *ns;
	struct spdk_nvme_transport_id trid;
	uint32_t nsid;
	int i;

	CHECK(spdk_nvmf_subsystem_create(g_tgt, "not-an-nqn", SPDK_NVMF_SUBTYPE_NVME, 8) == NULL);
	CHECK(spdk_nvmf_subsystem_create(g_tgt, NQN, SPDK_NVMF_SUBTYPE_DISCOVERY, 0) == NULL);
	g_sub = spdk_nvmf_subsystem_create(g_tgt, NQN, SPDK_NVMF_SUBTYPE_NVME, 8);
	if (!CHECK(g_sub != NULL)) {
		spdk_app_stop(1);
		return;
	}
	CHECK(spdk_nvmf_subsystem_create(g_tgt, NQN, SPDK_NVMF_SUBTYPE_NVME, 8) == NULL);
	CHECK(spdk_nvmf_tgt_find_subsystem(g_tgt, NQN) == g_sub);
	CHECK_STREQ(spdk_nvmf_subsystem_get_nqn(g_sub), NQN);
	CHECK(spdk_nvmf_subsystem_get_type(g_sub) == SPDK_NVMF_SUBTYPE_NVME);
	CHECK(!spdk_nvmf_subsystem_is_discovery(g_sub));
	CHECK_EQ_U(spdk_nvmf_subsystem_get_max_namespaces(g_sub), 8);
	/* The discovery subsystem comes first, then ours. */
	CHECK(spdk_nvmf_subsystem_is_discovery(spdk_nvmf_subsystem_get_first(g_tgt)));
	CHECK(spdk_nvmf_subsystem_get_next(spdk_nvmf_subsystem_get_first(g_tgt)) == g_sub);
	CHECK(spdk_nvmf_subsystem_get_next(g_sub) == NULL);

	CHECK_EQ_I(spdk_nvmf_subsystem_set_sn(g_sub, "RSPDK-C-0001"), 0);
	CHECK_EQ_I(spdk_nvmf_subsystem_set_sn(g_sub, "this serial number is far too long"), -1);
	CHECK_STREQ(spdk_nvmf_subsystem_get_sn(g_sub), "RSPDK-C-0001");
	CHECK_EQ_I(spdk_nvmf_subsystem_set_mn(g_sub, "rspdk C API target"), 0);
	CHECK_STREQ(spdk_nvmf_subsystem_get_mn(g_sub), "rspdk C API target");

	CHECK(!spdk_nvmf_subsystem_get_allow_any_host(g_sub));
	CHECK_EQ_I(spdk_nvmf_subsystem_add_host(g_sub, HOST1, NULL), 0);
	CHECK_EQ_I(spdk_nvmf_subsystem_add_host(g_sub, HOST1, NULL), -EEXIST);
	CHECK_EQ_I(spdk_nvmf_subsystem_add_host(g_sub, HOST2, NULL), 0);
	CHECK_EQ_I(spdk_nvmf_subsystem_remove_host(g_sub, HOST2), 0);
	CHECK_EQ_I(spdk_nvmf_subsystem_remove_host(g_sub, HOST2), -ENOENT);
	CHECK(spdk_nvmf_subsystem_host_allowed(g_sub, HOST1));
	CHECK(!spdk_nvmf_subsystem_host_allowed(g_sub, HOST2));
	h = spdk_nvmf_subsystem_get_first_host(g_sub);
	if (CHECK(h != NULL)) {
		CHECK_STREQ(spdk_nvmf_host_get_nqn(h), HOST1);
		CHECK(spdk_nvmf_subsystem_get_next_host(g_sub, h) == NULL);
	}

	spdk_nvmf_ns_opts_get_defaults(&nso, sizeof(nso));
	CHECK_EQ_U(nso.nsid, 0);
	CHECK_EQ_U(nso.opts_size, sizeof(nso));
	for (i = 0; i < 16; i++) {
		nso.uuid.u.raw[i] = (uint8_t)(0xa0 + i);
	}
	CHECK_EQ_U(spdk_nvmf_subsystem_add_ns_ext(g_sub, "NoSuchBdev", &nso, sizeof(nso), NULL), 0);
	nsid = spdk_nvmf_subsystem_add_ns_ext(g_sub, "Malloc0", &nso, sizeof(nso), NULL);
	CHECK_EQ_U(nsid, 1);
	ns = spdk_nvmf_subsystem_get_first_ns(g_sub);
	if (CHECK(ns != NULL)) {
		CHECK_EQ_U(spdk_nvmf_ns_get_id(ns), 1);
		CHECK(spdk_nvmf_ns_get_bdev(ns) == spdk_bdev_get_by_name("Malloc0"));
		spdk_nvmf_ns_get_opts(ns, &got, sizeof(got));
		CHECK(memcmp(got.uuid.u.raw, nso.uuid.u.raw, 16) == 0);
		CHECK_EQ_U(got.anagrpid, 1);
		CHECK(spdk_nvmf_subsystem_get_next_ns(g_sub, ns) == NULL);
	}
	CHECK(spdk_nvmf_subsystem_get_ns(g_sub, 1) == ns);
	CHECK(spdk_nvmf_subsystem_get_ns(g_sub, 2) == NULL);

	/* A listener where the target does not listen is refused. */
	make_trid(&trid, NULL);
	snprintf(trid.trsvcid, sizeof(trid.trsvcid), "1");
	spdk_nvmf_subsystem_add_listener(g_sub, &trid, listener_refused, NULL);
	make_trid(&trid, NULL);
	spdk_nvmf_subsystem_add_listener(g_sub, &trid, listener_added, NULL);
}

static void
transport_added(void *ctx, int status)
{
	struct spdk_nvme_transport_id trid;
	struct spdk_nvmf_listen_opts lo;

	(void)ctx;
	CHECK_EQ_I(status, 0);
	CHECK(spdk_nvmf_tgt_get_transport(g_tgt, "TCP") == g_transport);
	CHECK(spdk_nvmf_transport_get_first(g_tgt) == g_transport);
	CHECK(spdk_nvmf_transport_get_next(g_transport) == NULL);

	spdk_nvmf_listen_opts_init(&lo, sizeof(lo));
	CHECK_EQ_U(lo.opts_size, sizeof(lo));
	CHECK(lo.ana_state == SPDK_NVME_ANA_OPTIMIZED_STATE);
	make_trid(&trid, NULL);
	CHECK_EQ_I(spdk_nvmf_tgt_listen_ext(g_tgt, &trid, &lo), 0);
	trid.trtype = SPDK_NVME_TRANSPORT_RDMA;
	snprintf(trid.trstring, sizeof(trid.trstring), "RDMA");
	CHECK_EQ_I(spdk_nvmf_tgt_listen_ext(g_tgt, &trid, &lo), -EINVAL);
	setup_referrals();
	setup_subsystem();
}

static void
transport_created(void *ctx, struct spdk_nvmf_transport *t)
{
	const struct spdk_nvmf_transport_opts *o;

	(void)ctx;
	if (!CHECK(t != NULL)) {
		spdk_app_stop(1);
		return;
	}
	g_transport = t;
	CHECK_STREQ(spdk_nvmf_get_transport_name(t), "TCP");
	CHECK(spdk_nvmf_get_transport_type(t) == SPDK_NVME_TRANSPORT_TCP);
	o = spdk_nvmf_get_transport_opts(t);
	CHECK_EQ_U(o->max_io_size, 65536);
	CHECK_EQ_U(o->num_shared_buffers, 64);
	spdk_nvmf_tgt_add_transport(g_tgt, t, transport_added, NULL);
}

static void
create_pg1(void *ctx)
{
	(void)ctx;
	g_pg1 = spdk_nvmf_poll_group_create(g_tgt);
	CHECK(g_pg1 != NULL);
	/* One group per thread. */
	CHECK(spdk_nvmf_poll_group_create(g_tgt) == NULL);
}

static void
start_fn(void *ctx)
{
	struct spdk_nvmf_target_opts to;
	struct spdk_nvmf_transport_opts o;
	struct spdk_nvmf_transport_opts rdma;

	(void)ctx;
	memset(&to, 0, sizeof(to));
	to.size = sizeof(to);
	snprintf(to.name, sizeof(to.name), "ctest_tgt");
	g_tgt = spdk_nvmf_tgt_create(&to);
	if (!CHECK(g_tgt != NULL)) {
		spdk_app_stop(1);
		return;
	}
	CHECK(spdk_nvmf_tgt_create(&to) == NULL);
	CHECK_STREQ(spdk_nvmf_tgt_get_name(g_tgt), "ctest_tgt");
	CHECK(spdk_nvmf_get_tgt(NULL) == g_tgt);
	CHECK(spdk_nvmf_get_tgt("ctest_tgt") == g_tgt);
	CHECK(spdk_nvmf_get_tgt("other") == NULL);
	CHECK(spdk_nvmf_get_first_tgt() == g_tgt);
	CHECK(spdk_nvmf_get_next_tgt(g_tgt) == NULL);

	g_pg0 = spdk_nvmf_poll_group_create(g_tgt);
	CHECK(g_pg0 != NULL);
	g_t1 = spdk_thread_create("nvmf_pg1", NULL);
	CHECK(g_t1 != NULL);
	spdk_thread_send_msg(g_t1, create_pg1, NULL);

	CHECK(!spdk_nvmf_transport_opts_init("RDMA", &rdma, sizeof(rdma)));
	memset(&o, 0xff, sizeof(o));
	CHECK(spdk_nvmf_transport_opts_init("TCP", &o, sizeof(o)));
	CHECK_EQ_U(o.max_queue_depth, 128);
	CHECK_EQ_U(o.max_qpairs_per_ctrlr, 128);
	CHECK_EQ_U(o.in_capsule_data_size, 4096);
	CHECK_EQ_U(o.io_unit_size, 131072);
	CHECK_EQ_U(o.abort_timeout_sec, 1);
	CHECK_EQ_U(o.opts_size, sizeof(o));
	o.max_io_size = 65536;
	o.io_unit_size = 65536;
	o.num_shared_buffers = 64;
	o.max_queue_depth = 1;
	CHECK_EQ_I(spdk_nvmf_transport_create_async("TCP", &o, transport_created, NULL), -EINVAL);
	o.max_queue_depth = 64;
	CHECK_EQ_I(spdk_nvmf_transport_create_async("TCP", &o, transport_created, NULL), 0);
	CHECK_EQ_I(spdk_nvmf_transport_create_async("TCP", &o, transport_created, NULL), -EEXIST);
}

int
main(void)
{
	struct spdk_app_opts opts;
	char cfg[] = "/tmp/rspdk_test_nvmf_XXXXXX";
	const char *json =
		"{\"subsystems\":[{\"subsystem\":\"bdev\",\"config\":["
		"{\"method\":\"bdev_malloc_create\",\"params\":{\"name\":\"Malloc0\",\"num_blocks\":32768,\"block_size\":512}},"
		"{\"method\":\"bdev_malloc_create\",\"params\":{\"name\":\"Malloc1\",\"num_blocks\":2048,\"block_size\":512}}"
		"]}]}";
	int fd, rc;

	fd = mkstemp(cfg);
	if (!CHECK(fd >= 0) || !CHECK(write(fd, json, strlen(json)) == (ssize_t)strlen(json))) {
		return CHECK_DONE("nvmf");
	}
	close(fd);
	snprintf(g_port, sizeof(g_port), "%d", 20000 + (int)(getpid() % 20000));

	spdk_app_opts_init(&opts, sizeof(opts));
	opts.name = "test_nvmf";
	opts.reactor_mask = "0x1";
	opts.json_config_file = cfg;
	opts.rpc_addr = NULL;
	rc = spdk_app_start(&opts, start_fn, NULL);
	CHECK_EQ_I(rc, 0);
	CHECK_EQ_I(stage(), 92);
	spdk_app_fini();
	unlink(cfg);
	return CHECK_DONE("nvmf");
}
