/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   spdk/nvmf_transport.h: a transport written here in C ("LOOP": its
 *   "host" is this program, which builds command capsules itself) is
 *   registered with SPDK_NVMF_TRANSPORT_REGISTER, created by name, added to
 *   rspdk's target and listened on; a subsystem with a malloc namespace
 *   accepts its listener. Then, through the transport API only: an admin
 *   queue pair is handed over (spdk_nvmf_tgt_new_qpair) and gets Connect,
 *   Property Set/Get (enable), Identify and Set Features; an I/O queue pair
 *   connects to the same controller; 8 KiB are written from two pool buffers
 *   and read back into others; bad commands get their NVMe errors; an AER is
 *   held; both queue pairs disconnect (the AER is freed, not answered; the
 *   transport sees poll_group_remove then qpair_fini); then the poll group
 *   and the transport are destroyed through their operations. Before that,
 *   the controller's state: registers, migration data saved and restored
 *   while the subsystem is paused, error events and AER abort.
 *   Also: the transport hears of namespaces and hosts added to and removed
 *   from subsystems (and refuses one namespace), keeps its listeners list,
 *   answers an Abort for a command it still holds (qpair_abort_request), a
 *   Connect runs through spdk_nvmf_ctrlr_connect, a queue pair leaves its
 *   poll group by spdk_nvmf_poll_group_remove, and Reads/Writes move by
 *   zero copy (spdk_nvmf_request_zcopy_start/end).
 */
#include "spdk/stdinc.h"
#include "spdk/env.h"
#include "spdk/event.h"
#include "spdk/thread.h"
#include "spdk/bdev.h"
#include "spdk/nvmf.h"
#include "spdk/nvmf_transport.h"
#include "check.h"
#include "rpc_client.h"

#include <pthread.h>

#define NQN "nqn.2016-06.io.spdk:looptest"
#define HOSTNQN "nqn.2014-08.org.nvmexpress:uuid:0f0e0d0c-0b0a-0908-0706-050403020100"
#define DEPTH 8

struct loop_transport {
	struct spdk_nvmf_transport base;
	int listens;
	int stop_listens;
	int destroyed;
};

struct loop_tgroup {
	struct spdk_nvmf_transport_poll_group base;
	struct spdk_nvmf_poll_group *group;
	int polls;
	int qpairs;
};

struct loop_req {
	struct spdk_nvmf_request req;
	union nvmf_h2c_msg cmd;
	union nvmf_c2h_msg rsp;
	bool busy;
	bool done;
	bool freed;
};

struct loop_qpair {
	struct spdk_nvmf_qpair base;
	struct loop_req reqs[DEPTH];
	int added;
	int removed;
	int fini;
	int order; /* 1 when poll_group_remove came before qpair_fini */
};

static struct spdk_nvmf_tgt *g_tgt;
static struct spdk_nvmf_poll_group *g_pg;
static struct spdk_nvmf_transport *g_transport;
static struct loop_tgroup *g_tgroup;
static struct spdk_nvmf_subsystem *g_sub;
static struct spdk_poller *g_driver;
static struct loop_qpair g_admin, g_io, g_disc;
static int g_stage;
static int g_pg_created, g_pg_destroyed;
static uint16_t g_cntlid;
static uint16_t g_cid = 1;
static struct loop_req *g_pending, *g_aer;
static int g_ns_added, g_ns_removed, g_hosts_added, g_hosts_removed, g_aborts;
static bool g_use_ctrlr_connect;
/* A command the transport holds and has not handed to the target. */
static struct loop_req *g_held;

/* ---- the transport's operations ---- */

static void
loop_opts_init(struct spdk_nvmf_transport_opts *opts)
{
	opts->max_queue_depth = DEPTH;
	opts->max_aq_depth = 32;
	opts->max_qpairs_per_ctrlr = 2;
	opts->in_capsule_data_size = 0;
	opts->max_io_size = 65536;
	opts->io_unit_size = 4096;
	opts->num_shared_buffers = 32;
	opts->buf_cache_size = 0;
	opts->zcopy = true;
}

static struct spdk_nvmf_transport *
loop_create(struct spdk_nvmf_transport_opts *opts)
{
	struct loop_transport *t;

	CHECK_EQ_U(opts->io_unit_size, 4096);
	t = calloc(1, sizeof(*t));
	return t ? &t->base : NULL;
}

static int
loop_destroy(struct spdk_nvmf_transport *transport, spdk_nvmf_transport_destroy_done_cb cb_fn, void *cb_arg)
{
	struct loop_transport *t = SPDK_CONTAINEROF(transport, struct loop_transport, base);

	CHECK_EQ_I(t->listens - t->stop_listens, 0);
	free(t);
	if (cb_fn) {
		cb_fn(cb_arg);
	}
	return 0;
}

static int
loop_listen(struct spdk_nvmf_transport *transport, const struct spdk_nvme_transport_id *trid,
	    struct spdk_nvmf_listen_opts *opts)
{
	struct loop_transport *t = SPDK_CONTAINEROF(transport, struct loop_transport, base);

	(void)opts;
	if (strcmp(trid->traddr, "loop0") != 0) {
		return -EINVAL;
	}
	t->listens++;
	return 0;
}

static void
loop_stop_listen(struct spdk_nvmf_transport *transport, const struct spdk_nvme_transport_id *trid)
{
	struct loop_transport *t = SPDK_CONTAINEROF(transport, struct loop_transport, base);

	(void)trid;
	t->stop_listens++;
}

static struct spdk_nvmf_transport_poll_group *
loop_pg_create(struct spdk_nvmf_transport *transport, struct spdk_nvmf_poll_group *group)
{
	struct loop_tgroup *tg = calloc(1, sizeof(*tg));

	(void)transport;
	CHECK(group->thread == spdk_get_thread());
	if (tg) {
		tg->group = group;
		g_tgroup = tg;
		g_pg_created++;
	}
	return tg ? &tg->base : NULL;
}

static void
loop_pg_destroy(struct spdk_nvmf_transport_poll_group *group)
{
	struct loop_tgroup *tg = SPDK_CONTAINEROF(group, struct loop_tgroup, base);

	CHECK_EQ_I(tg->qpairs, 0);
	CHECK(tg->polls > 0);
	g_pg_destroyed++;
	g_tgroup = NULL;
	free(tg);
}

static int
loop_pg_add(struct spdk_nvmf_transport_poll_group *group, struct spdk_nvmf_qpair *qpair)
{
	struct loop_tgroup *tg = SPDK_CONTAINEROF(group, struct loop_tgroup, base);
	struct loop_qpair *q = SPDK_CONTAINEROF(qpair, struct loop_qpair, base);

	CHECK(qpair->group == tg->group);
	CHECK(group->transport == g_transport);
	tg->qpairs++;
	q->added++;
	return 0;
}

static int
loop_pg_remove(struct spdk_nvmf_transport_poll_group *group, struct spdk_nvmf_qpair *qpair)
{
	struct loop_tgroup *tg = SPDK_CONTAINEROF(group, struct loop_tgroup, base);
	struct loop_qpair *q = SPDK_CONTAINEROF(qpair, struct loop_qpair, base);

	tg->qpairs--;
	q->removed++;
	return 0;
}

static int
loop_pg_poll(struct spdk_nvmf_transport_poll_group *group)
{
	struct loop_tgroup *tg = SPDK_CONTAINEROF(group, struct loop_tgroup, base);

	tg->polls++;
	return 0;
}

static int
loop_req_free(struct spdk_nvmf_request *req)
{
	struct loop_req *r = SPDK_CONTAINEROF(req, struct loop_req, req);

	spdk_nvmf_request_free_buffers(req, &g_tgroup->base, g_transport);
	r->freed = true;
	r->busy = false;
	return 0;
}

static int
loop_req_complete(struct spdk_nvmf_request *req)
{
	struct loop_req *r = SPDK_CONTAINEROF(req, struct loop_req, req);

	r->done = true;
	return 0;
}

static void
loop_qpair_fini(struct spdk_nvmf_qpair *qpair, spdk_nvmf_transport_qpair_fini_cb cb_fn, void *cb_arg)
{
	struct loop_qpair *q = SPDK_CONTAINEROF(qpair, struct loop_qpair, base);

	q->order = q->removed == 1;
	q->fini++;
	if (cb_fn) {
		cb_fn(cb_arg);
	}
}

static int
loop_trid(struct spdk_nvmf_qpair *qpair, struct spdk_nvme_transport_id *trid)
{
	(void)qpair;
	memset(trid, 0, sizeof(*trid));
	trid->trtype = SPDK_NVME_TRANSPORT_CUSTOM;
	snprintf(trid->trstring, sizeof(trid->trstring), "LOOP");
	snprintf(trid->traddr, sizeof(trid->traddr), "loop0");
	snprintf(trid->trsvcid, sizeof(trid->trsvcid), "1");
	return 0;
}

/* Its part of Identify Controller: in-capsule data and the SGL support it has. */
static void
loop_cdata_init(struct spdk_nvmf_transport *transport, struct spdk_nvmf_subsystem *subsystem,
		struct spdk_nvmf_ctrlr_data *cdata)
{
	(void)transport;
	CHECK(subsystem == g_sub);
	CHECK_EQ_U(cdata->nvmf_specific.ioccsz, 4); /* the generic default: no in-capsule data */
	cdata->nvmf_specific.ioccsz = 4 + 8192 / 16;
	cdata->nvmf_specific.msdbd = 1;
	cdata->sgls.supported = SPDK_NVME_SGLS_SUPPORTED_DWORD_ALIGNED;
	cdata->sgls.keyed_sgl = 1;
	cdata->kas = 7;
}

/* Its listeners in the discovery log: an intra-host transport. */
static void
loop_discover(struct spdk_nvmf_transport *transport, struct spdk_nvme_transport_id *trid,
	      struct spdk_nvmf_discovery_log_page_entry *entry)
{
	(void)transport;
	CHECK_STREQ(trid->trstring, "LOOP");
	entry->trtype = SPDK_NVMF_TRTYPE_INTRA_HOST;
	entry->adrfam = SPDK_NVMF_ADRFAM_INTRA_HOST;
	entry->treq.secure_channel = SPDK_NVMF_TREQ_SECURE_CHANNEL_NOT_SPECIFIED;
	memset(entry->trsvcid, ' ', sizeof(entry->trsvcid));
	memcpy(entry->trsvcid, "lp", 2);
}

/* Namespace 3 is refused; others are counted. */
static int
loop_add_ns(struct spdk_nvmf_transport *transport, const struct spdk_nvmf_subsystem *subsystem,
	    struct spdk_nvmf_ns *ns)
{
	CHECK(transport == g_transport);
	CHECK(subsystem == g_sub);
	if (!CHECK(ns != NULL)) {
		return -EINVAL;
	}
	if (spdk_nvmf_ns_get_id(ns) == 3) {
		return -EPERM;
	}
	g_ns_added++;
	return 0;
}

static void
loop_remove_ns(struct spdk_nvmf_transport *transport, const struct spdk_nvmf_subsystem *subsystem, uint32_t nsid)
{
	(void)transport;
	(void)subsystem;
	(void)nsid;
	g_ns_removed++;
}

static int
loop_add_host(struct spdk_nvmf_transport *transport, const struct spdk_nvmf_subsystem *subsystem,
	      const char *hostnqn, const struct spdk_json_val *transport_specific)
{
	(void)transport;
	(void)transport_specific;
	CHECK(subsystem == g_sub);
	if (strstr(hostnqn, ":refused") != NULL) {
		return -EACCES;
	}
	g_hosts_added++;
	return 0;
}

static void
loop_remove_host(struct spdk_nvmf_transport *transport, const struct spdk_nvmf_subsystem *subsystem,
		 const char *hostnqn)
{
	(void)transport;
	(void)subsystem;
	(void)hostnqn;
	g_hosts_removed++;
}

/* An Abort for a command the target does not have: this transport may hold
 * it (g_held). Dword 0 bit 0 cleared says it was aborted. */
static void
loop_abort(struct spdk_nvmf_qpair *qpair, struct spdk_nvmf_request *req)
{
	uint16_t cid = (uint16_t)(req->cmd->nvme_cmd.cdw10 >> 16);

	g_aborts++;
	CHECK(qpair == &g_io.base);
	CHECK_EQ_U(req->rsp->nvme_cpl.cdw0, 1);
	CHECK(req->req_to_abort == NULL);
	if (g_held && g_held->cmd.nvme_cmd.cid == cid && !g_held->done) {
		g_held->rsp.nvme_cpl.cid = cid;
		g_held->rsp.nvme_cpl.status.sct = SPDK_NVME_SCT_GENERIC;
		g_held->rsp.nvme_cpl.status.sc = SPDK_NVME_SC_ABORTED_BY_REQUEST;
		g_held->done = true;
		req->rsp->nvme_cpl.cdw0 &= ~1U;
	}
	CHECK_EQ_I(spdk_nvmf_request_complete(req), 0);
}

/* Its own options and poll group statistics in nvmf_get_transports and
 * nvmf_get_stats. */
static void
loop_dump_opts(struct spdk_nvmf_transport *transport, struct spdk_json_write_ctx *w)
{
	CHECK(transport == g_transport);
	spdk_json_write_named_uint32(w, "loop_frames", 7);
}

/* Its part of a queue pair's entry in nvmf_subsystem_get_qpairs. */
static void
loop_listen_dump_opts(struct spdk_nvmf_transport *transport, const struct spdk_nvme_transport_id *trid,
		      struct spdk_json_write_ctx *w)
{
	CHECK(transport == g_transport);
	spdk_json_write_named_string(w, "loop_port", trid->traddr);
}

static void
loop_dump_stat(struct spdk_nvmf_transport_poll_group *group, struct spdk_json_write_ctx *w)
{
	struct loop_tgroup *tg = SPDK_CONTAINEROF(group, struct loop_tgroup, base);

	spdk_json_write_named_uint32(w, "loop_qpairs", (uint32_t)tg->qpairs);
}

static const struct spdk_nvmf_transport_ops loop_ops = {
	.name = "LOOP",
	.type = SPDK_NVME_TRANSPORT_CUSTOM,
	.opts_init = loop_opts_init,
	.create = loop_create,
	.destroy = loop_destroy,
	.listen = loop_listen,
	.stop_listen = loop_stop_listen,
	.poll_group_create = loop_pg_create,
	.poll_group_destroy = loop_pg_destroy,
	.poll_group_add = loop_pg_add,
	.poll_group_remove = loop_pg_remove,
	.poll_group_poll = loop_pg_poll,
	.req_free = loop_req_free,
	.req_complete = loop_req_complete,
	.qpair_fini = loop_qpair_fini,
	.qpair_get_peer_trid = loop_trid,
	.qpair_get_listen_trid = loop_trid,
	.listener_discover = loop_discover,
	.cdata_init = loop_cdata_init,
	.subsystem_add_ns = loop_add_ns,
	.subsystem_remove_ns = loop_remove_ns,
	.subsystem_add_host = loop_add_host,
	.subsystem_remove_host = loop_remove_host,
	.qpair_abort_request = loop_abort,
	.dump_opts = loop_dump_opts,
	.listen_dump_opts = loop_listen_dump_opts,
	.poll_group_dump_stat = loop_dump_stat,
};

SPDK_NVMF_TRANSPORT_REGISTER(loop, &loop_ops);

/* A second transport, created asynchronously (create_async only). */
static int g_async_destroyed;

static int
loopa_create_async(struct spdk_nvmf_transport_opts *opts, spdk_nvmf_transport_create_done_cb cb_fn, void *cb_arg)
{
	struct loop_transport *t = calloc(1, sizeof(*t));

	(void)opts;
	if (!t) {
		return -ENOMEM;
	}
	cb_fn(cb_arg, &t->base);
	return 0;
}

static int
loopa_destroy(struct spdk_nvmf_transport *transport, spdk_nvmf_transport_destroy_done_cb cb_fn, void *cb_arg)
{
	free(SPDK_CONTAINEROF(transport, struct loop_transport, base));
	g_async_destroyed++;
	cb_fn(cb_arg);
	return 0;
}

static const struct spdk_nvmf_transport_ops loopa_ops = {
	.name = "LOOPA",
	.type = SPDK_NVME_TRANSPORT_CUSTOM,
	.create_async = loopa_create_async,
	.destroy = loopa_destroy,
	.poll_group_create = loop_pg_create,
	.poll_group_destroy = loop_pg_destroy,
	.poll_group_add = loop_pg_add,
	.poll_group_poll = loop_pg_poll,
	.req_free = loop_req_free,
	.req_complete = loop_req_complete,
	.qpair_fini = loop_qpair_fini,
};

SPDK_NVMF_TRANSPORT_REGISTER(loopa, &loopa_ops);

/* ---- the "host": capsules built here ---- */

static struct loop_req *
submit(struct loop_qpair *q, union nvmf_h2c_msg *cmd, uint32_t len, const void *data, uint32_t buf_len)
{
	struct loop_req *r = NULL;
	uint32_t i, off;
	int rc;

	for (i = 0; i < DEPTH; i++) {
		if (!q->reqs[i].busy) {
			r = &q->reqs[i];
			break;
		}
	}
	if (!CHECK(r != NULL)) {
		return NULL;
	}
	memset(r, 0, sizeof(*r));
	r->busy = true;
	r->cmd = *cmd;
	r->cmd.nvme_cmd.cid = g_cid++;
	r->cmd.nvme_cmd.dptr.sgl1.unkeyed.type = SPDK_NVME_SGL_TYPE_DATA_BLOCK;
	r->cmd.nvme_cmd.dptr.sgl1.unkeyed.length = len;
	r->req.qpair = &q->base;
	r->req.cmd = &r->cmd;
	r->req.rsp = &r->rsp;
	r->req.length = len;
	r->req.xfer = spdk_nvmf_req_get_xfer(&r->req);
	if (buf_len) {
		rc = spdk_nvmf_request_get_buffers(&r->req, &g_tgroup->base, g_transport, buf_len);
		CHECK_EQ_I(rc, 0);
		CHECK(r->req.data_from_pool);
		CHECK_EQ_U(r->req.iovcnt, (buf_len + 4095) / 4096);
		for (i = 0, off = 0; data && i < r->req.iovcnt; i++) {
			memcpy(r->req.iov[i].iov_base, (const uint8_t *)data + off, r->req.iov[i].iov_len);
			off += r->req.iov[i].iov_len;
		}
	}
	if (g_use_ctrlr_connect) {
		CHECK_EQ_I(spdk_nvmf_ctrlr_connect(&r->req), SPDK_NVMF_REQUEST_EXEC_STATUS_ASYNCHRONOUS);
	} else {
		spdk_nvmf_request_exec(&r->req);
	}
	return r;
}

/* Copies a completed request's data out and gives its slot back. */
static uint16_t
finish(struct loop_req *r, void *out, uint32_t n)
{
	uint32_t i, off = 0;

	for (i = 0; out && i < r->req.iovcnt && off < n; i++) {
		uint32_t k = r->req.iov[i].iov_len < n - off ? r->req.iov[i].iov_len : n - off;

		memcpy((uint8_t *)out + off, r->req.iov[i].iov_base, k);
		off += k;
	}
	CHECK_EQ_U(r->rsp.nvme_cpl.cid, r->cmd.nvme_cmd.cid);
	spdk_nvmf_request_free_buffers(&r->req, &g_tgroup->base, g_transport);
	CHECK_EQ_U(r->req.iovcnt, 0);
	r->busy = false;
	return (uint16_t)(r->rsp.nvme_cpl.status.sct << 8 | r->rsp.nvme_cpl.status.sc);
}

static void
connect_cmd(union nvmf_h2c_msg *c, uint16_t qid)
{
	memset(c, 0, sizeof(*c));
	c->connect_cmd.opcode = SPDK_NVME_OPC_FABRIC;
	c->connect_cmd.fctype = SPDK_NVMF_FABRIC_COMMAND_CONNECT;
	c->connect_cmd.qid = qid;
	/* An admin queue holds at least 32 entries. */
	c->connect_cmd.sqsize = qid == 0 ? 31 : DEPTH - 1;
	c->connect_cmd.kato = qid == 0 ? 30000 : 0;
}

static struct loop_req *
send_connect(struct loop_qpair *q, uint16_t qid, uint16_t cntlid, const char *subnqn)
{
	union nvmf_h2c_msg c;
	struct spdk_nvmf_fabric_connect_data d;

	connect_cmd(&c, qid);
	memset(&d, 0, sizeof(d));
	memset(d.hostid, 0x5a, sizeof(d.hostid));
	d.cntlid = cntlid;
	snprintf((char *)d.subnqn, sizeof(d.subnqn), "%s", subnqn);
	snprintf((char *)d.hostnqn, sizeof(d.hostnqn), "%s", HOSTNQN);
	return submit(q, &c, sizeof(d), &d, sizeof(d));
}

static struct loop_req *
send_prop(struct loop_qpair *q, bool set, uint32_t ofst, uint64_t value)
{
	union nvmf_h2c_msg c;

	memset(&c, 0, sizeof(c));
	if (set) {
		c.prop_set_cmd.opcode = SPDK_NVME_OPC_FABRIC;
		c.prop_set_cmd.fctype = SPDK_NVMF_FABRIC_COMMAND_PROPERTY_SET;
		c.prop_set_cmd.attrib.size = 0;
		c.prop_set_cmd.ofst = ofst;
		c.prop_set_cmd.value.u64 = value;
	} else {
		c.prop_get_cmd.opcode = SPDK_NVME_OPC_FABRIC;
		c.prop_get_cmd.fctype = SPDK_NVMF_FABRIC_COMMAND_PROPERTY_GET;
		c.prop_get_cmd.attrib.size = ofst == 0 ? 1 : 0;
		c.prop_get_cmd.ofst = ofst;
	}
	return submit(q, &c, 0, NULL, 0);
}

static struct loop_req *
send_io(struct loop_qpair *q, uint8_t opc, uint32_t nsid, uint64_t slba, uint32_t nlb, const void *data, uint32_t buf_len)
{
	union nvmf_h2c_msg c;

	memset(&c, 0, sizeof(c));
	c.nvme_cmd.opc = opc;
	c.nvme_cmd.psdt = SPDK_NVME_PSDT_SGL_MPTR_CONTIG;
	c.nvme_cmd.nsid = nsid;
	c.nvme_cmd.cdw10 = (uint32_t)slba;
	c.nvme_cmd.cdw11 = (uint32_t)(slba >> 32);
	c.nvme_cmd.cdw12 = nlb - 1;
	return submit(q, &c, nlb * 512, data, buf_len);
}

static struct loop_req *
send_admin(struct loop_qpair *q, uint8_t opc, uint32_t nsid, uint32_t cdw10, uint32_t cdw11, uint32_t len)
{
	union nvmf_h2c_msg c;

	memset(&c, 0, sizeof(c));
	c.nvme_cmd.opc = opc;
	c.nvme_cmd.psdt = SPDK_NVME_PSDT_SGL_MPTR_CONTIG;
	c.nvme_cmd.nsid = nsid;
	c.nvme_cmd.cdw10 = cdw10;
	c.nvme_cmd.cdw11 = cdw11;
	return submit(q, &c, len, NULL, len);
}

/* The RPC client's view (a thread of its own: the server runs here). */
static pthread_t g_client;
static volatile int g_client_done;
static char g_transports[4096], g_stats[4096], g_qpairs[4096];

static void *
client(void *arg)
{
	int fd = client_connect();

	(void)arg;
	if (fd >= 0) {
		snprintf(g_transports, sizeof(g_transports), "%s",
			 call(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nvmf_get_transports\",\"params\":{\"trtype\":\"loop\"}}"));
		snprintf(g_stats, sizeof(g_stats), "%s",
			 call(fd, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nvmf_get_stats\"}"));
		snprintf(g_qpairs, sizeof(g_qpairs), "%s",
			 call(fd, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"nvmf_subsystem_get_qpairs\",\"params\":{\"nqn\":\"" NQN "\"}}"));
		close(fd);
	}
	__atomic_store_n(&g_client_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* An Abort of command `cid` of queue `sqid`, on the admin queue. */
static struct loop_req *
send_abort(uint16_t sqid, uint16_t cid)
{
	return send_admin(&g_admin, SPDK_NVME_OPC_ABORT, 0, sqid | ((uint32_t)cid << 16), 0, 0);
}

static uint8_t g_wdata[8192], g_rdata[8192];
static struct loop_req *g_zlent;
static uint8_t g_page[4096];

static void transport_destroyed(void *ctx);

/* Zero copy through the transport API on the I/O queue, one step per call
 * (each when the request it waits for was answered); true once all are
 * done. A Write by zero copy: spdk_nvmf_request_zcopy_start in phase INIT,
 * req_complete sees EXECUTE with the malloc bdev's buffers (not the pool's),
 * the data is copied in, spdk_nvmf_request_zcopy_end(commit) answers with
 * COMPLETE. A Read by zero copy sees that data in its buffers at EXECUTE and
 * ends without commit; a normal Read sees it too. Starts beyond the
 * namespace's end and on a namespace that does not exist fail (INIT_FAILED)
 * with the normal path's statuses. */
static bool
zcopy_steps(struct loop_req *r)
{
	static int step;
	static uint8_t pattern[4096], got[4096];
	struct loop_req *k = NULL;
	uint8_t opc = SPDK_NVME_OPC_READ;
	uint32_t i, off, nsid = 1;
	uint64_t slba = 64;

	switch (step++) {
	case 0:
		CHECK(g_transport->opts.zcopy);
		for (i = 0; i < sizeof(pattern); i++) {
			pattern[i] = (uint8_t)(i * 13 + 1);
		}
		opc = SPDK_NVME_OPC_WRITE;
		break;
	case 1:
	case 3:
		CHECK_EQ_U(r->req.zcopy_phase, NVMF_ZCOPY_PHASE_EXECUTE);
		CHECK_EQ_U(r->rsp.nvme_cpl.status.sct << 8 | r->rsp.nvme_cpl.status.sc, 0);
		CHECK_EQ_U(r->rsp.nvme_cpl.cid, r->cmd.nvme_cmd.cid);
		CHECK(r->req.zcopy_bdev_io != NULL);
		CHECK(!r->req.data_from_pool);
		CHECK(r->req.iovcnt >= 1);
		for (i = 0, off = 0; i < r->req.iovcnt; i++) {
			uint32_t n = (uint32_t)r->req.iov[i].iov_len;

			if (!CHECK(off + n <= sizeof(pattern))) {
				break;
			}
			if (step == 2) {
				memcpy(r->req.iov[i].iov_base, pattern + off, n);
			} else {
				memcpy(got + off, r->req.iov[i].iov_base, n);
			}
			off += n;
		}
		CHECK_EQ_U(off, sizeof(pattern));
		if (step == 4) {
			CHECK(memcmp(got, pattern, sizeof(got)) == 0);
		}
		/* Lent to the transport: exec refuses it, without an answer. */
		r->done = false;
		spdk_nvmf_request_exec(&r->req);
		CHECK(!r->done);
		CHECK_EQ_U(r->req.zcopy_phase, NVMF_ZCOPY_PHASE_EXECUTE);
		g_pending = r;
		spdk_nvmf_request_zcopy_end(&r->req, step == 2);
		return false;
	case 2:
	case 4:
		CHECK_EQ_U(r->req.zcopy_phase, NVMF_ZCOPY_PHASE_COMPLETE);
		CHECK_EQ_U(r->rsp.nvme_cpl.status.sct << 8 | r->rsp.nvme_cpl.status.sc, 0);
		CHECK(r->req.zcopy_bdev_io == NULL);
		/* Ended: a second end is refused, without an answer. */
		r->done = false;
		spdk_nvmf_request_zcopy_end(&r->req, false);
		CHECK(!r->done);
		CHECK_EQ_U(r->req.zcopy_phase, NVMF_ZCOPY_PHASE_COMPLETE);
		r->busy = false;
		if (step == 5) {
			memset(got, 0, sizeof(got));
			g_pending = send_io(&g_io, SPDK_NVME_OPC_READ, 1, 64, 8, NULL, sizeof(got));
			return false;
		}
		break;
	case 5:
		CHECK_EQ_U(finish(r, got, sizeof(got)), 0);
		CHECK(memcmp(got, pattern, sizeof(got)) == 0);
		/* Blocks 2044..2051 of 2048. */
		slba = 2048 - 4;
		break;
	case 6:
	case 7:
		CHECK_EQ_U(r->req.zcopy_phase, NVMF_ZCOPY_PHASE_INIT_FAILED);
		CHECK_EQ_U(r->rsp.nvme_cpl.status.sct << 8 | r->rsp.nvme_cpl.status.sc,
			   step == 7 ? SPDK_NVME_SC_LBA_OUT_OF_RANGE : SPDK_NVME_SC_INVALID_NAMESPACE_OR_FORMAT);
		CHECK(r->req.zcopy_bdev_io == NULL);
		r->busy = false;
		nsid = 9;
		if (step == 8) {
			/* A Write left started: the queue pair's disconnect ends it. */
			nsid = 1;
			opc = SPDK_NVME_OPC_WRITE;
		}
		break;
	case 8:
		CHECK_EQ_U(r->req.zcopy_phase, NVMF_ZCOPY_PHASE_EXECUTE);
		g_zlent = r;
		return true;
	default:
		return true;
	}
	/* A zero-copy start of 8 blocks (4 KiB) from slba. */
	for (i = 0; i < DEPTH && k == NULL; i++) {
		if (!g_io.reqs[i].busy) {
			k = &g_io.reqs[i];
		}
	}
	if (!CHECK(k != NULL)) {
		return true;
	}
	memset(k, 0, sizeof(*k));
	k->busy = true;
	k->cmd.nvme_cmd.opc = opc;
	k->cmd.nvme_cmd.psdt = SPDK_NVME_PSDT_SGL_MPTR_CONTIG;
	k->cmd.nvme_cmd.nsid = nsid;
	k->cmd.nvme_cmd.cdw10 = (uint32_t)slba;
	k->cmd.nvme_cmd.cdw11 = (uint32_t)(slba >> 32);
	k->cmd.nvme_cmd.cdw12 = 8 - 1;
	k->cmd.nvme_cmd.cid = g_cid++;
	k->cmd.nvme_cmd.dptr.sgl1.unkeyed.type = SPDK_NVME_SGL_TYPE_DATA_BLOCK;
	k->cmd.nvme_cmd.dptr.sgl1.unkeyed.length = 4096;
	k->req.qpair = &g_io.base;
	k->req.cmd = &k->cmd;
	k->req.rsp = &k->rsp;
	k->req.length = 4096;
	k->req.xfer = spdk_nvmf_req_get_xfer(&k->req);
	k->req.zcopy_phase = NVMF_ZCOPY_PHASE_INIT;
	g_pending = k;
	spdk_nvmf_request_zcopy_start(&k->req);
	return false;
}

static void
pg_destroyed(void *ctx, int status)
{
	(void)ctx;
	CHECK_EQ_I(status, 0);
	CHECK_EQ_I(g_pg_destroyed, 1);
	CHECK_EQ_I(spdk_nvmf_transport_destroy(g_transport, transport_destroyed, NULL), 0);
}

static void
tgt_destroyed(void *ctx, int status)
{
	(void)ctx;
	CHECK_EQ_I(status, 0);
	g_stage = 100;
	spdk_app_stop(0);
}

static void
transport_destroyed(void *ctx)
{
	(void)ctx;
	CHECK(spdk_nvmf_transport_get_first(g_tgt) == NULL);
	spdk_nvmf_tgt_destroy(g_tgt, tgt_destroyed, NULL);
}

static void
sub_destroyed(void *ctx)
{
	(void)ctx;
	CHECK(spdk_nvmf_tgt_find_subsystem(g_tgt, NQN) == NULL);
	spdk_nvmf_poll_group_destroy(g_pg, pg_destroyed, NULL);
}

static void
sub_stopped(struct spdk_nvmf_subsystem *s, void *ctx, int status)
{
	struct spdk_nvme_transport_id trid;
	int rc;

	(void)ctx;
	CHECK_EQ_I(status, 0);
	loop_trid(NULL, &trid);
	CHECK_EQ_I(spdk_nvmf_subsystem_remove_listener(s, &trid), 0);
	CHECK_EQ_I(spdk_nvmf_tgt_stop_listen(g_tgt, &trid), 0);
	CHECK_EQ_I(spdk_nvmf_tgt_stop_listen(g_tgt, &trid), -EINVAL);
	rc = spdk_nvmf_subsystem_destroy(s, sub_destroyed, NULL);
	CHECK(rc == 0 || rc == -EINPROGRESS);
	if (rc == 0) {
		sub_destroyed(NULL);
	}
}

/* ---- controller state: registers, migration data, error events, AER abort ---- */

static int g_cs;
static bool g_cs_resumed;
static uint32_t g_kato;
static struct loop_req *g_mr;
static struct spdk_nvmf_ctrlr_migr_data g_migr, g_migr2;

static void
cs_resumed(struct spdk_nvmf_subsystem *s, void *ctx, int status)
{
	(void)s;
	(void)ctx;
	CHECK_EQ_I(status, 0);
	g_cs_resumed = true;
}

/* Subsystem paused: save, change, restore (partly), save again, resume. */
static void
cs_paused(struct spdk_nvmf_subsystem *s, void *ctx, int status)
{
	struct spdk_nvmf_ctrlr *ctrlr = g_admin.base.ctrlr;
	union spdk_nvme_async_event_completion ev;

	(void)ctx;
	CHECK_EQ_I(status, 0);
	memset(&g_migr, 0xee, sizeof(g_migr));
	CHECK_EQ_I(spdk_nvmf_ctrlr_save_migr_data(ctrlr, &g_migr), 0);
	CHECK_EQ_U(g_migr.data_size, offsetof(struct spdk_nvmf_ctrlr_migr_data, unused));
	CHECK_EQ_U(g_migr.regs_size, sizeof(struct spdk_nvmf_registers));
	CHECK_EQ_U(g_migr.feat_size, sizeof(struct spdk_nvmf_ctrlr_feat));
	CHECK_EQ_U(g_migr.cntlid, g_cntlid);
	CHECK_EQ_U(g_migr.regs.cc.bits.en, 1);
	CHECK_EQ_U(g_migr.regs.csts.bits.rdy, 1);
	CHECK_EQ_U(g_migr.regs.cap.bits.mqes, DEPTH - 1);
	CHECK_EQ_U(g_migr.feat.arbitration.raw, 0x04030201); /* Set Features earlier */
	CHECK_EQ_U(g_migr.feat.keep_alive_timer.bits.kato, g_kato);
	/* Stage 8's Set Features Number of Queues: one I/O queue (0's based). */
	CHECK_EQ_U(g_migr.feat.number_of_queues.bits.nsqr, 0);
	CHECK_EQ_U(g_migr.feat.number_of_queues.bits.ncqr, 0);
	CHECK_EQ_U(g_migr.feat.async_event_configuration.bits.ns_attr_notice, 1);
	CHECK_EQ_U(g_migr.num_aer_cids, 1);
	CHECK_EQ_U(g_migr.aer_cids[0], g_mr->cmd.nvme_cmd.cid);
	CHECK_EQ_U(g_migr.num_async_events, 0);
	CHECK_EQ_U(g_migr.notice_aen_mask, 0);

	/* Sizes above ours are refused. */
	g_migr2 = g_migr;
	g_migr2.feat_size = sizeof(struct spdk_nvmf_ctrlr_feat) + 4;
	CHECK_EQ_I(spdk_nvmf_ctrlr_restore_migr_data(ctrlr, &g_migr2), -EINVAL);

	/* Changed: arbitration (within feat_size 4), keep alive (beyond it,
	 * so not taken), a pending notice, the ANA change mask bit. */
	g_migr.feat.arbitration.raw = 0x07060502;
	g_migr.feat.keep_alive_timer.bits.kato = 99000;
	g_migr.feat_size = 4;
	ev.raw = 0;
	ev.bits.async_event_type = SPDK_NVME_ASYNC_EVENT_TYPE_NOTICE;
	ev.bits.async_event_info = SPDK_NVME_ASYNC_EVENT_NS_ATTR_CHANGED;
	ev.bits.log_page_identifier = SPDK_NVME_LOG_CHANGED_NS_LIST;
	g_migr.async_events[0] = ev;
	g_migr.num_async_events = 1;
	g_migr.notice_aen_mask = 1u << 1;
	CHECK_EQ_I(spdk_nvmf_ctrlr_restore_migr_data(ctrlr, &g_migr), 0);
	CHECK(!g_mr->done); /* the event reaches the held AER from the admin thread's queue */

	CHECK_EQ_I(spdk_nvmf_ctrlr_save_migr_data(ctrlr, &g_migr2), 0);
	CHECK_EQ_U(g_migr2.feat.arbitration.raw, 0x07060502);
	CHECK_EQ_U(g_migr2.feat.keep_alive_timer.bits.kato, g_kato);
	CHECK_EQ_U(g_migr2.feat_size, sizeof(struct spdk_nvmf_ctrlr_feat));
	CHECK_EQ_U(g_migr2.num_async_events, 1);
	CHECK_EQ_U(g_migr2.async_events[0].raw, ev.raw);
	CHECK_EQ_U(g_migr2.notice_aen_mask, 1u << 1);
	CHECK_EQ_U(g_migr2.num_aer_cids, 1);
	CHECK_EQ_U(g_migr2.cntlid, g_cntlid);
	CHECK_EQ_I(spdk_nvmf_subsystem_resume(s, cs_resumed, NULL), 0);
}

/* Driven from the main sequence with the admin queue connected; returns
 * true when done (no AER left held, no command pending). */
static bool
ctrlr_state_step(struct loop_req *r)
{
	struct spdk_nvmf_ctrlr *ctrlr = g_admin.base.ctrlr;
	const struct spdk_nvmf_registers *regs;
	union spdk_nvme_async_event_completion ev;

	switch (g_cs) {
	case 0:
		regs = spdk_nvmf_ctrlr_get_regs(ctrlr);
		if (!CHECK(regs != NULL)) {
			return true;
		}
		CHECK(spdk_nvmf_ctrlr_get_regs(ctrlr) == regs);
		/* Stage 4's Property Set: IOSQES 6, IOCQES 4, EN; then ready. */
		CHECK_EQ_U(regs->cc.bits.en, 1);
		CHECK_EQ_U(regs->cc.bits.iosqes, 6);
		CHECK_EQ_U(regs->cc.bits.iocqes, 4);
		CHECK_EQ_U(regs->csts.bits.rdy, 1);
		CHECK_EQ_U(regs->cap.bits.mqes, DEPTH - 1);
		CHECK_EQ_U(regs->vs.bits.mjr, 1);
		CHECK_EQ_U(regs->vs.bits.mnr, 3);
		CHECK_EQ_U(regs->aqa.raw, 0);
		CHECK(regs->asq == 0 && regs->acq == 0);
		/* Active subsystem: no saving. */
		CHECK_EQ_I(spdk_nvmf_ctrlr_save_migr_data(ctrlr, &g_migr), -EBUSY);
		g_pending = send_admin(&g_admin, SPDK_NVME_OPC_SET_FEATURES, 0, SPDK_NVME_FEAT_ARBITRATION, 0x04030201, 0);
		g_cs = 1;
		return false;
	case 1:
		CHECK_EQ_U(finish(r, NULL, 0), 0);
		g_pending = send_admin(&g_admin, SPDK_NVME_OPC_GET_FEATURES, 0, SPDK_NVME_FEAT_KEEP_ALIVE_TIMER, 0, 0);
		g_cs = 2;
		return false;
	case 2:
		CHECK_EQ_U(finish(r, NULL, 0), 0);
		g_kato = r->rsp.nvme_cpl.cdw0;
		CHECK(g_kato >= 30000);
		g_mr = send_admin(&g_admin, SPDK_NVME_OPC_ASYNC_EVENT_REQUEST, 0, 0, 0, 0);
		CHECK(g_mr != NULL && !g_mr->done);
		CHECK_EQ_I(spdk_nvmf_subsystem_pause(g_sub, 0, cs_paused, NULL), 0);
		g_cs = 3;
		return false;
	case 3:
		if (!g_cs_resumed) {
			return false;
		}
		/* The restored notice completed the AER held across the pause. */
		CHECK(g_mr->done);
		CHECK_EQ_U(finish(g_mr, NULL, 0), 0);
		CHECK_EQ_U(g_mr->rsp.nvme_cpl.cdw0, 0x00040002);
		CHECK_EQ_I(spdk_nvmf_ctrlr_restore_migr_data(ctrlr, &g_migr), -EBUSY);
		g_pending = send_admin(&g_admin, SPDK_NVME_OPC_GET_FEATURES, 0, SPDK_NVME_FEAT_ARBITRATION, 0, 0);
		g_cs = 4;
		return false;
	case 4:
		CHECK_EQ_U(finish(r, NULL, 0), 0);
		CHECK_EQ_U(r->rsp.nvme_cpl.cdw0, 0x07060502);
		/* An error event completes a held AER. */
		g_mr = send_admin(&g_admin, SPDK_NVME_OPC_ASYNC_EVENT_REQUEST, 0, 0, 0, 0);
		CHECK(g_mr != NULL && !g_mr->done);
		CHECK_EQ_I(spdk_nvmf_ctrlr_async_event_error_event(ctrlr, SPDK_NVME_ASYNC_EVENT_PERSISTENT_INTERNAL), 0);
		g_pending = g_mr;
		g_cs = 5;
		return false;
	case 5:
		CHECK_EQ_U(finish(r, NULL, 0), 0);
		ev.raw = r->rsp.nvme_cpl.cdw0;
		CHECK_EQ_U(ev.bits.async_event_type, SPDK_NVME_ASYNC_EVENT_TYPE_ERROR);
		CHECK_EQ_U(ev.bits.async_event_info, SPDK_NVME_ASYNC_EVENT_PERSISTENT_INTERNAL);
		CHECK_EQ_U(ev.bits.log_page_identifier, SPDK_NVME_LOG_ERROR);
		/* Reading the Error log page (RAE 0) re-arms error events. */
		g_pending = send_admin(&g_admin, SPDK_NVME_OPC_GET_LOG_PAGE, 0,
				       SPDK_NVME_LOG_ERROR | ((64 / 4 - 1) << 16), 0, 64);
		g_cs = 6;
		return false;
	case 6:
		CHECK_EQ_U(finish(r, NULL, 0), 0);
		/* No AER held: the event waits for one. */
		CHECK_EQ_I(spdk_nvmf_ctrlr_async_event_error_event(ctrlr, SPDK_NVME_ASYNC_EVENT_TRANSIENT_INTERNAL), 0);
		g_pending = send_admin(&g_admin, SPDK_NVME_OPC_ASYNC_EVENT_REQUEST, 0, 0, 0, 0);
		g_cs = 7;
		return false;
	case 7:
		CHECK_EQ_U(finish(r, NULL, 0), 0);
		ev.raw = r->rsp.nvme_cpl.cdw0;
		CHECK_EQ_U(ev.bits.async_event_type, SPDK_NVME_ASYNC_EVENT_TYPE_ERROR);
		CHECK_EQ_U(ev.bits.async_event_info, SPDK_NVME_ASYNC_EVENT_TRANSIENT_INTERNAL);
		CHECK_EQ_U(ev.bits.log_page_identifier, SPDK_NVME_LOG_ERROR);
		/* abort_aer answers the held AER with Command Abort Requested. */
		g_mr = send_admin(&g_admin, SPDK_NVME_OPC_ASYNC_EVENT_REQUEST, 0, 0, 0, 0);
		CHECK(g_mr != NULL && !g_mr->done);
		spdk_nvmf_ctrlr_abort_aer(ctrlr);
		CHECK(g_mr != NULL && g_mr->done);
		CHECK_EQ_U(finish(g_mr, NULL, 0), SPDK_NVME_SC_ABORTED_BY_REQUEST);
		g_cs = 8;
		return true;
	default:
		return true;
	}
}

/* The host's steps: one command at a time, each checked when answered. */
static int
driver(void *ctx)
{
	struct loop_req *r = g_pending;
	uint16_t st;
	uint32_t i;

	(void)ctx;
	if (r && !r->done) {
		return 0;
	}
	g_pending = NULL;
	switch (g_stage) {
	case 1:
		/* The admin queue pair is handed over. */
		memset(&g_admin, 0, sizeof(g_admin));
		g_admin.base.transport = g_transport;
		spdk_nvmf_tgt_new_qpair(g_tgt, &g_admin.base);
		g_stage = 2;
		break;
	case 2:
		if (g_admin.added == 0) {
			break;
		}
		CHECK(g_admin.base.group == g_pg);
		CHECK(TAILQ_FIRST(&g_pg->qpairs) == &g_admin.base);
		CHECK(spdk_nvmf_qpair_is_active(&g_admin.base));
		CHECK(g_admin.base.ctrlr == NULL);
		/* A Connect to a subsystem that does not exist. */
		g_pending = send_connect(&g_admin, 0, 0xffff, "nqn.2016-06.io.spdk:none");
		g_stage = 3;
		break;
	case 3:
		st = finish(r, NULL, 0);
		CHECK_EQ_U(st, 0x0182); /* command specific: connect invalid parameters */
		CHECK(g_admin.base.ctrlr == NULL);
		g_pending = send_connect(&g_admin, 0, 0xffff, NQN);
		g_stage = 4;
		break;
	case 4:
		st = finish(r, NULL, 0);
		CHECK_EQ_U(st, 0);
		g_cntlid = r->rsp.connect_rsp.status_code_specific.success.cntlid;
		CHECK(g_cntlid != 0 && g_cntlid != 0xffff);
		CHECK(g_admin.base.ctrlr != NULL);
		CHECK_EQ_U(g_admin.base.state, SPDK_NVMF_QPAIR_ENABLED);
		CHECK_EQ_U(g_admin.base.qid, 0);
		CHECK_EQ_U(spdk_nvmf_ctrlr_get_id(g_admin.base.ctrlr), g_cntlid);
		CHECK(spdk_nvmf_ctrlr_get_subsystem(g_admin.base.ctrlr) == g_sub);
		/* CC: IOSQES 6, IOCQES 4, EN. */
		g_pending = send_prop(&g_admin, true, 0x14, (6u << 16) | (4u << 20) | 1);
		g_stage = 5;
		break;
	case 5: {
		/* exec_fabrics refuses what is not a fabrics command. */
		union nvmf_h2c_msg c;
		struct loop_req *k = &g_admin.reqs[DEPTH - 1];

		CHECK_EQ_U(finish(r, NULL, 0), 0);
		memset(&c, 0, sizeof(c));
		c.nvme_cmd.opc = SPDK_NVME_OPC_KEEP_ALIVE;
		memset(k, 0, sizeof(*k));
		k->busy = true;
		k->cmd = c;
		k->cmd.nvme_cmd.cid = 0x777;
		k->req.qpair = &g_admin.base;
		k->req.cmd = &k->cmd;
		k->req.rsp = &k->rsp;
		spdk_nvmf_request_exec_fabrics(&k->req);
		CHECK(k->done);
		CHECK_EQ_U(finish(k, NULL, 0), SPDK_NVME_SC_INVALID_OPCODE);
		/* So does spdk_nvmf_ctrlr_connect, at once. */
		k->busy = true;
		k->done = false;
		CHECK_EQ_I(spdk_nvmf_ctrlr_connect(&k->req), SPDK_NVMF_REQUEST_EXEC_STATUS_COMPLETE);
		CHECK(k->done);
		CHECK_EQ_U(finish(k, NULL, 0), SPDK_NVME_SC_INVALID_OPCODE);
		CHECK(!spdk_nvmf_request_get_dif_ctx(&k->req, NULL));
		g_pending = send_prop(&g_admin, false, 0x1c, 0);
		g_stage = 6;
		break;
	}
	case 6:
		CHECK_EQ_U(finish(r, NULL, 0), 0);
		CHECK_EQ_U(r->rsp.prop_get_rsp.value.u32.low & 1, 1); /* CSTS.RDY */
		g_pending = send_admin(&g_admin, SPDK_NVME_OPC_IDENTIFY, 0, SPDK_NVME_IDENTIFY_CTRLR, 0, 4096);
		g_stage = 7;
		break;
	case 7:
		CHECK_EQ_U(finish(r, g_page, sizeof(g_page)), 0);
		CHECK_EQ_U(g_page[78] | g_page[79] << 8, g_cntlid);
		CHECK_STREQ((const char *)&g_page[768], NQN);
		/* What the transport's cdata_init set. */
		CHECK_EQ_U(((const struct spdk_nvme_ctrlr_data *)g_page)->nvmf_specific.ioccsz, 4 + 8192 / 16);
		CHECK_EQ_U(((const struct spdk_nvme_ctrlr_data *)g_page)->nvmf_specific.msdbd, 1);
		CHECK_EQ_U(((const struct spdk_nvme_ctrlr_data *)g_page)->sgls.keyed_sgl, 1);
		CHECK_EQ_U(((const struct spdk_nvme_ctrlr_data *)g_page)->kas, 7);
		CHECK_EQ_U(((const struct spdk_nvme_ctrlr_data *)g_page)->vid, 0x8086);
		/* One I/O queue. */
		g_pending = send_admin(&g_admin, SPDK_NVME_OPC_SET_FEATURES, 0, SPDK_NVME_FEAT_NUMBER_OF_QUEUES, 0, 0);
		g_stage = 8;
		break;
	case 8:
		CHECK_EQ_U(finish(r, NULL, 0), 0);
		memset(&g_io, 0, sizeof(g_io));
		g_io.base.transport = g_transport;
		spdk_nvmf_tgt_new_qpair(g_tgt, &g_io.base);
		g_stage = 9;
		break;
	case 9:
		if (g_io.added == 0) {
			break;
		}
		g_pending = send_connect(&g_io, 1, g_cntlid, NQN);
		g_stage = 10;
		break;
	case 10:
		CHECK_EQ_U(finish(r, NULL, 0), 0);
		CHECK_EQ_U(g_io.base.qid, 1);
		CHECK(g_io.base.ctrlr == g_admin.base.ctrlr);
		for (i = 0; i < sizeof(g_wdata); i++) {
			g_wdata[i] = (uint8_t)(i * 7 + 3);
		}
		/* 8 KiB at LBA 8: two 4 KiB pool buffers. */
		g_pending = send_io(&g_io, SPDK_NVME_OPC_WRITE, 1, 8, 16, g_wdata, sizeof(g_wdata));
		g_stage = 11;
		break;
	case 11:
		CHECK_EQ_U(finish(r, NULL, 0), 0);
		g_pending = send_io(&g_io, SPDK_NVME_OPC_READ, 1, 8, 16, NULL, sizeof(g_rdata));
		g_stage = 12;
		break;
	case 12: {
		struct loop_req *h = &g_io.reqs[DEPTH - 1];

		CHECK_EQ_U(finish(r, g_rdata, sizeof(g_rdata)), 0);
		CHECK(memcmp(g_rdata, g_wdata, sizeof(g_rdata)) == 0);
		/* A read the transport holds (say, waiting for a buffer): the
		 * target does not have it, so an Abort asks the transport. */
		memset(h, 0, sizeof(*h));
		h->busy = true;
		h->cmd.nvme_cmd.opc = SPDK_NVME_OPC_READ;
		h->cmd.nvme_cmd.cid = 0x4321;
		g_held = h;
		g_pending = send_abort(1, 0x4321);
		g_stage = 120;
		break;
	}
	case 120:
		CHECK_EQ_U(finish(r, NULL, 0), 0);
		CHECK_EQ_U(r->rsp.nvme_cpl.cdw0 & 1, 0); /* aborted */
		CHECK_EQ_I(g_aborts, 1);
		CHECK(g_held->done);
		CHECK_EQ_U(g_held->rsp.nvme_cpl.status.sc, SPDK_NVME_SC_ABORTED_BY_REQUEST);
		g_held->busy = false;
		g_held = NULL;
		/* A command nobody has: the transport is asked, the answer is 1. */
		g_pending = send_abort(1, 0x999);
		g_stage = 121;
		break;
	case 121:
		CHECK_EQ_U(finish(r, NULL, 0), 0);
		CHECK_EQ_U(r->rsp.nvme_cpl.cdw0 & 1, 1);
		CHECK_EQ_I(g_aborts, 2);
		/* Over JSON-RPC: the transport with its options, its poll group
		 * with its statistics (two queue pairs now), the queue pairs. */
		CHECK(pthread_create(&g_client, NULL, client, NULL) == 0);
		g_stage = 1215;
		break;
	case 1215:
		if (!__atomic_load_n(&g_client_done, __ATOMIC_ACQUIRE)) {
			break;
		}
		pthread_join(g_client, NULL);
		CHECK(strstr(g_transports, "\"trtype\":\"LOOP\"") != NULL);
		CHECK(strstr(g_transports, "\"io_unit_size\":4096") != NULL);
		CHECK(strstr(g_transports, "\"max_queue_depth\":8") != NULL);
		CHECK(strstr(g_transports, "\"loop_frames\":7") != NULL);
		CHECK(strstr(g_stats, "\"trtype\":\"LOOP\",\"loop_qpairs\":2") != NULL);
		/* Both queue pairs, with the transport's addresses and its member. */
		CHECK(strstr(g_qpairs, "\"qid\":0") != NULL);
		CHECK(strstr(g_qpairs, "\"qid\":1") != NULL);
		CHECK(strstr(g_qpairs, "\"listen_address\":{\"trtype\":\"LOOP\"") != NULL);
		CHECK(strstr(g_qpairs, "\"peer_address\":{\"trtype\":\"LOOP\"") != NULL);
		CHECK(strstr(g_qpairs, "\"TCP\"") == NULL);
		CHECK(strstr(g_qpairs, "\"loop_port\":\"loop0\"") != NULL);
		if (strstr(g_stats, "loop_qpairs") == NULL || strstr(g_qpairs, "loop_port") == NULL) {
			fprintf(stderr, "nvmf_get_transports: %s\nnvmf_get_stats: %s\nnvmf_subsystem_get_qpairs: %s\n",
				g_transports, g_stats, g_qpairs);
		}
		g_stage = 122;
		break;
	case 122:
		/* The controller's state, before zero copy leaves a Write open
		 * (which a pause waits for). */
		if (!ctrlr_state_step(r)) {
			break;
		}
		g_stage = 123;
		break;
	case 123:
		if (!zcopy_steps(r)) {
			break;
		}
		/* Namespace 9 does not exist. */
		g_pending = send_io(&g_io, SPDK_NVME_OPC_READ, 9, 0, 1, NULL, 512);
		g_stage = 13;
		break;
	case 13:
		CHECK_EQ_U(finish(r, NULL, 0), SPDK_NVME_SC_INVALID_NAMESPACE_OR_FORMAT);
		/* 8 KiB announced, 4 KiB of buffers given. */
		g_pending = send_io(&g_io, SPDK_NVME_OPC_WRITE, 1, 0, 16, g_wdata, 4096);
		g_stage = 14;
		break;
	case 14:
		CHECK_EQ_U(finish(r, NULL, 0), SPDK_NVME_SC_DATA_SGL_LENGTH_INVALID);
		/* The discovery controller, through the same transport. */
		memset(&g_disc, 0, sizeof(g_disc));
		g_disc.base.transport = g_transport;
		spdk_nvmf_tgt_new_qpair(g_tgt, &g_disc.base);
		g_stage = 140;
		break;
	case 140:
		if (g_disc.added == 0) {
			break;
		}
		g_use_ctrlr_connect = true;
		g_pending = send_connect(&g_disc, 0, 0xffff, SPDK_NVMF_DISCOVERY_NQN);
		g_use_ctrlr_connect = false;
		g_stage = 141;
		break;
	case 141:
		CHECK_EQ_U(finish(r, NULL, 0), 0);
		g_pending = send_prop(&g_disc, true, 0x14, (6u << 16) | (4u << 20) | 1);
		g_stage = 1410;
		break;
	case 1410:
		CHECK_EQ_U(finish(r, NULL, 0), 0);
		g_pending = send_admin(&g_disc, SPDK_NVME_OPC_GET_LOG_PAGE, 0,
				       SPDK_NVME_LOG_DISCOVERY | ((4096 / 4 - 1) << 16), 0, 4096);
		g_stage = 142;
		break;
	case 142: {
		const struct spdk_nvmf_discovery_log_page *lp = (const void *)g_page;
		const struct spdk_nvmf_discovery_log_page_entry *e = NULL;

		CHECK_EQ_U(finish(r, g_page, sizeof(g_page)), 0);
		for (i = 0; i < lp->numrec && i < 3; i++) {
			if (strcmp((const char *)lp->entries[i].subnqn, NQN) == 0) {
				e = &lp->entries[i];
			}
		}
		if (CHECK(e != NULL)) {
			/* Filled by the transport's listener_discover. */
			CHECK_EQ_U(e->trtype, SPDK_NVMF_TRTYPE_INTRA_HOST);
			CHECK_EQ_U(e->adrfam, SPDK_NVMF_ADRFAM_INTRA_HOST);
			CHECK(memcmp(e->trsvcid, "lp ", 3) == 0);
			CHECK(memcmp(e->traddr, "loop0 ", 6) == 0);
		}
		/* It leaves its poll group now; the target then finishes it. */
		spdk_nvmf_poll_group_remove(&g_disc.base);
		CHECK_EQ_I(g_disc.removed, 1);
		CHECK(g_disc.base.group == NULL);
		CHECK_EQ_U(g_disc.base.state, SPDK_NVMF_QPAIR_ERROR);
		CHECK(TAILQ_FIRST(&g_pg->qpairs) == &g_admin.base);
		CHECK(TAILQ_NEXT(&g_admin.base, link) == &g_io.base);
		CHECK(TAILQ_NEXT(&g_io.base, link) == NULL);
		g_stage = 143;
		break;
	}
	case 143:
		if (g_disc.fini == 0) {
			break;
		}
		CHECK_EQ_I(g_disc.removed, 1);
		CHECK_EQ_I(g_disc.order, 1);
		/* An AER the controller holds; then the I/O queue goes. */
		g_aer = send_admin(&g_admin, SPDK_NVME_OPC_ASYNC_EVENT_REQUEST, 0, 0, 0, 0);
		CHECK(g_aer != NULL && !g_aer->done);
		CHECK_EQ_I(spdk_nvmf_qpair_disconnect(&g_io.base), 0);
		CHECK_EQ_I(spdk_nvmf_qpair_disconnect(&g_io.base), -EINPROGRESS);
		g_stage = 15;
		break;
	case 15:
		if (g_io.fini == 0) {
			break;
		}
		CHECK_EQ_I(g_io.removed, 1);
		CHECK_EQ_I(g_io.order, 1);
		CHECK_EQ_U(g_io.base.state, SPDK_NVMF_QPAIR_ERROR);
		CHECK(g_aer != NULL && !g_aer->done && !g_aer->freed);
		/* The zero-copy Write it held went back through req_free, ended. */
		CHECK(g_zlent != NULL && g_zlent->freed && g_zlent->req.zcopy_phase == NVMF_ZCOPY_PHASE_COMPLETE);
		CHECK_EQ_I(spdk_nvmf_qpair_disconnect(&g_admin.base), 0);
		g_stage = 16;
		break;
	case 16:
		if (g_admin.fini == 0) {
			break;
		}
		CHECK_EQ_I(g_admin.removed, 1);
		CHECK(TAILQ_EMPTY(&g_pg->qpairs));
		/* The held AER went back unanswered. */
		CHECK(g_aer != NULL && g_aer->freed && !g_aer->done);
		CHECK_EQ_I(g_tgroup->qpairs, 0);
		CHECK_EQ_I(spdk_nvmf_qpair_disconnect(&g_admin.base), -EINVAL);
		spdk_poller_unregister(&g_driver);
		CHECK_EQ_I(spdk_nvmf_subsystem_stop(g_sub, sub_stopped, NULL), 0);
		g_stage = 17;
		break;
	default:
		break;
	}
	return 0;
}

static void
sub_started(struct spdk_nvmf_subsystem *s, void *ctx, int status)
{
	(void)s;
	(void)ctx;
	CHECK_EQ_I(status, 0);
	g_stage = 1;
	g_driver = SPDK_POLLER_REGISTER(driver, NULL, 0);
}

static void
listener_added(void *ctx, int status)
{
	struct spdk_nvmf_subsystem_listener *l;
	const struct spdk_nvme_transport_id *t;

	(void)ctx;
	CHECK_EQ_I(status, 0);
	l = spdk_nvmf_subsystem_get_first_listener(g_sub);
	if (CHECK(l != NULL)) {
		t = spdk_nvmf_subsystem_listener_get_trid(l);
		CHECK(t->trtype == SPDK_NVME_TRANSPORT_CUSTOM);
		CHECK_STREQ(t->trstring, "LOOP");
		CHECK_STREQ(t->traddr, "loop0");
	}
	CHECK_EQ_I(spdk_nvmf_subsystem_start(g_sub, sub_started, NULL), 0);
}

static void
transport_added(void *ctx, int status)
{
	struct spdk_nvme_transport_id trid;
	struct spdk_nvmf_ns_opts nso;

	(void)ctx;
	CHECK_EQ_I(status, 0);
	CHECK_EQ_I(g_pg_created, 1);
	CHECK(g_tgroup != NULL && g_tgroup->group == g_pg);
	CHECK(g_tgroup->base.transport == g_transport);
	CHECK(g_transport->tgt == g_tgt);
	CHECK(spdk_nvmf_tgt_get_transport(g_tgt, "LOOP") == g_transport);
	CHECK(spdk_nvmf_tgt_get_transport(g_tgt, "loop") == g_transport);
	CHECK(spdk_nvmf_transport_get_first(g_tgt) == g_transport);
	CHECK(spdk_nvmf_transport_get_next(g_transport) == NULL);

	loop_trid(NULL, &trid);
	snprintf(trid.traddr, sizeof(trid.traddr), "elsewhere");
	CHECK(spdk_nvmf_tgt_listen_ext(g_tgt, &trid, NULL) != 0);
	CHECK(TAILQ_EMPTY(&g_transport->listeners));
	loop_trid(NULL, &trid);
	CHECK_EQ_I(spdk_nvmf_tgt_listen_ext(g_tgt, &trid, NULL), 0);
	CHECK_EQ_I(SPDK_CONTAINEROF(g_transport, struct loop_transport, base)->listens, 1);
	/* The transport's listeners list has the address. */
	if (CHECK(!TAILQ_EMPTY(&g_transport->listeners))) {
		CHECK_STREQ(TAILQ_FIRST(&g_transport->listeners)->trid.traddr, "loop0");
		CHECK(TAILQ_NEXT(TAILQ_FIRST(&g_transport->listeners), link) == NULL);
	}

	g_sub = spdk_nvmf_subsystem_create(g_tgt, NQN, SPDK_NVMF_SUBTYPE_NVME, 4);
	if (!CHECK(g_sub != NULL)) {
		spdk_app_stop(1);
		return;
	}
	CHECK_EQ_I(spdk_nvmf_subsystem_set_allow_any_host(g_sub, true), 0);
	CHECK_EQ_U(spdk_nvmf_subsystem_add_ns_ext(g_sub, "Malloc0", NULL, 0, NULL), 1);
	CHECK_EQ_I(g_ns_added, 1);
	/* The transport refuses namespace 3: it is not added, and the
	 * transport hears of its removal. */
	spdk_nvmf_ns_opts_get_defaults(&nso, sizeof(nso));
	nso.nsid = 3;
	CHECK_EQ_U(spdk_nvmf_subsystem_add_ns_ext(g_sub, "Malloc0", &nso, sizeof(nso), NULL), 0);
	CHECK(spdk_nvmf_subsystem_get_ns(g_sub, 3) == NULL);
	CHECK_EQ_I(g_ns_added, 1);
	CHECK_EQ_I(g_ns_removed, 1);
	nso.nsid = 2;
	CHECK_EQ_U(spdk_nvmf_subsystem_add_ns_ext(g_sub, "Malloc0", &nso, sizeof(nso), NULL), 2);
	CHECK_EQ_I(g_ns_added, 2);
	CHECK_EQ_I(spdk_nvmf_subsystem_remove_ns(g_sub, 2), 0);
	CHECK_EQ_I(g_ns_removed, 2);
	/* Hosts: one added and removed, one refused. */
	CHECK_EQ_I(spdk_nvmf_subsystem_add_host(g_sub, "nqn.2016-06.io.spdk:host1", NULL), 0);
	CHECK_EQ_I(g_hosts_added, 1);
	CHECK(spdk_nvmf_subsystem_host_allowed(g_sub, "nqn.2016-06.io.spdk:host1"));
	CHECK(spdk_nvmf_subsystem_add_host(g_sub, "nqn.2016-06.io.spdk:refused", NULL) != 0);
	CHECK_EQ_I(g_hosts_added, 1);
	CHECK_EQ_I(g_hosts_removed, 1);
	CHECK(spdk_nvmf_subsystem_get_first_host(g_sub) != NULL);
	CHECK(spdk_nvmf_subsystem_get_next_host(g_sub, spdk_nvmf_subsystem_get_first_host(g_sub)) == NULL);
	CHECK_EQ_I(spdk_nvmf_subsystem_remove_host(g_sub, "nqn.2016-06.io.spdk:host1"), 0);
	CHECK_EQ_I(g_hosts_removed, 2);
	spdk_nvmf_subsystem_add_listener(g_sub, &trid, listener_added, NULL);
}

static void
transport_created(void *ctx, struct spdk_nvmf_transport *t)
{
	(void)ctx;
	if (!CHECK(t != NULL)) {
		spdk_app_stop(1);
		return;
	}
	g_transport = t;
	CHECK(t->ops == &loop_ops);
	CHECK_STREQ(spdk_nvmf_get_transport_name(t), "LOOP");
	CHECK(spdk_nvmf_get_transport_type(t) == SPDK_NVME_TRANSPORT_CUSTOM);
	CHECK(spdk_nvmf_get_transport_opts(t) == &t->opts);
	CHECK_EQ_U(t->opts.io_unit_size, 4096);
	CHECK_EQ_U(t->opts.max_queue_depth, DEPTH);
	/* Not added yet: the target does not list it. */
	CHECK(spdk_nvmf_tgt_get_transport(g_tgt, "LOOP") == NULL);
	spdk_nvmf_tgt_add_transport(g_tgt, t, transport_added, NULL);
}

static void
async_destroyed(void *ctx)
{
	(void)ctx;
	CHECK_EQ_I(g_async_destroyed, 1);
}

static void
async_created(void *ctx, struct spdk_nvmf_transport *t)
{
	(void)ctx;
	if (!CHECK(t != NULL)) {
		return;
	}
	CHECK(t->ops == &loopa_ops);
	CHECK_STREQ(spdk_nvmf_get_transport_name(t), "LOOPA");
	CHECK_EQ_I(spdk_nvmf_transport_destroy(t, async_destroyed, NULL), 0);
}

static void
start_fn(void *ctx)
{
	struct spdk_nvmf_target_opts to;
	struct spdk_nvmf_transport_opts o;

	(void)ctx;
	memset(&to, 0, sizeof(to));
	to.size = sizeof(to);
	snprintf(to.name, sizeof(to.name), "looptest");
	g_tgt = spdk_nvmf_tgt_create(&to);
	if (!CHECK(g_tgt != NULL)) {
		spdk_app_stop(1);
		return;
	}
	g_pg = spdk_nvmf_poll_group_create(g_tgt);
	CHECK(g_pg != NULL);
	CHECK(g_pg->thread == spdk_get_thread());
	CHECK(g_pg->tgt == g_tgt);

	CHECK(!spdk_nvmf_transport_opts_init("NOPE", &o, sizeof(o)));
	memset(&o, 0xff, sizeof(o));
	CHECK(spdk_nvmf_transport_opts_init("LOOP", &o, sizeof(o)));
	CHECK_EQ_U(o.io_unit_size, 4096);
	CHECK_EQ_U(o.max_queue_depth, DEPTH);
	CHECK_EQ_U(o.opts_size, sizeof(o));
	CHECK_EQ_I(spdk_nvmf_transport_create_async("NOPE", &o, transport_created, NULL), -EINVAL);
	CHECK_EQ_I(spdk_nvmf_transport_create_async("LOOP", &o, transport_created, NULL), 0);
	CHECK(spdk_nvmf_transport_opts_init("LOOPA", &o, sizeof(o)));
	o.max_aq_depth = 32;
	CHECK_EQ_I(spdk_nvmf_transport_create_async("LOOPA", &o, async_created, NULL), 0);
	CHECK_EQ_I(g_async_destroyed, 0);
}

int
main(void)
{
	struct spdk_app_opts opts;
	char cfg[] = "/tmp/rspdk_test_nvmf_transport_XXXXXX";
	const char *json =
		"{\"subsystems\":[{\"subsystem\":\"bdev\",\"config\":["
		"{\"method\":\"bdev_malloc_create\",\"params\":{\"name\":\"Malloc0\",\"num_blocks\":2048,\"block_size\":512}}"
		"]}]}";
	int fd, rc;

	fd = mkstemp(cfg);
	if (!CHECK(fd >= 0) || !CHECK(write(fd, json, strlen(json)) == (ssize_t)strlen(json))) {
		return CHECK_DONE("nvmf_transport");
	}
	close(fd);
	spdk_app_opts_init(&opts, sizeof(opts));
	opts.name = "test_nvmf_transport";
	opts.reactor_mask = "0x1";
	opts.json_config_file = cfg;
	snprintf(g_sock, sizeof(g_sock), "/tmp/rspdk_test_nvmf_transport.%d.sock", (int)getpid());
	opts.rpc_addr = g_sock;
	rc = spdk_app_start(&opts, start_fn, NULL);
	CHECK_EQ_I(rc, 0);
	CHECK_EQ_I(g_stage, 100);
	CHECK_EQ_I(g_async_destroyed, 1);
	spdk_app_fini();
	unlink(cfg);
	return CHECK_DONE("nvmf_transport");
}
