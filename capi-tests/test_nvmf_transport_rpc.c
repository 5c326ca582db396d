/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   spdk/nvmf_transport.h transports configured over JSON-RPC, as SPDK's
 *   target configures them: two transports written here in C ("RPCT" with
 *   a synchronous create, "RPCA" with create_async only) are registered;
 *   the application's JSON config creates RPCT with a generic option and
 *   one of its own (read from transport_specific), listens on it, and adds
 *   a host with a parameter of its own (read by subsystem_add_host). Then
 *   over JSON-RPC: nvmf_get_transports shows what dump_opts writes; a second
 *   RPCT is refused; RPCA is refused when its create_async fails and made
 *   when it does not; a listener the transport refuses (listen or
 *   listen_associate) leaves it as it was; a host it refuses is not added;
 *   save_config carries what dump_opts, listen_dump_opts and
 *   subsystem_dump_host write (framework_get_config, what SPDK's
 *   save_config asks each subsystem); removing the listener stops the
 *   listen; a listener added as save_config writes it hands the
 *   transport's member to its listen (transport_specific).
 */
#include "spdk/stdinc.h"
#include "spdk/env.h"
#include "spdk/event.h"
#include "spdk/thread.h"
#include "spdk/json.h"
#include "spdk/nvmf.h"
#include "spdk/nvmf_transport.h"
#include "check.h"
#include "rpc_client.h"

#include <pthread.h>

#define NQN "nqn.2016-06.io.spdk:rpct"
#define HOST1 "nqn.2016-06.io.spdk:host1"
#define HOST2 "nqn.2016-06.io.spdk:host2"

struct rpct_transport {
	struct spdk_nvmf_transport base;
	uint32_t knob;
	uint16_t created_mqd;
};

static struct rpct_transport *g_rpct, *g_rpca;
static int g_listens, g_stop_listens, g_assocs, g_pg_created, g_pg_destroyed;
static int g_hosts_added, g_hosts_removed, g_destroyed;
static char g_host_key[64];

struct knob {
	uint32_t rpct_knob;
};

static const struct spdk_json_object_decoder knob_decoders[] = {
	{"rpct_knob", offsetof(struct knob, rpct_knob), spdk_json_decode_uint32, true},
};

struct host_key {
	char *rpct_host_key;
};

static const struct spdk_json_object_decoder host_key_decoders[] = {
	{"rpct_host_key", offsetof(struct host_key, rpct_host_key), spdk_json_decode_string, true},
};

struct tag {
	char *rpct_listen_tag;
};

static const struct spdk_json_object_decoder tag_decoders[] = {
	{"rpct_listen_tag", offsetof(struct tag, rpct_listen_tag), spdk_json_decode_string, true},
};

static char g_listen_tag[64];

static void
rpct_opts_init(struct spdk_nvmf_transport_opts *o)
{
	o->max_queue_depth = 16;
	o->max_qpairs_per_ctrlr = 4;
	o->in_capsule_data_size = 4096;
	o->max_io_size = 65536;
	o->io_unit_size = 8192;
	o->max_aq_depth = 32;
	o->num_shared_buffers = 64;
	o->buf_cache_size = 0;
}

/* Both create paths: the transport's own member from transport_specific;
 * knob 13 is refused. */
static struct rpct_transport *
make(struct spdk_nvmf_transport_opts *o)
{
	struct knob k = {0};
	struct rpct_transport *t;

	if (o->transport_specific != NULL &&
	    spdk_json_decode_object_relaxed(o->transport_specific, knob_decoders, 1, &k) != 0) {
		return NULL;
	}
	if (k.rpct_knob == 13) {
		return NULL;
	}
	t = calloc(1, sizeof(*t));
	if (t != NULL) {
		t->knob = k.rpct_knob;
		t->created_mqd = o->max_queue_depth;
	}
	return t;
}

static struct spdk_nvmf_transport *
rpct_create(struct spdk_nvmf_transport_opts *o)
{
	g_rpct = make(o);
	return g_rpct ? &g_rpct->base : NULL;
}

struct later {
	spdk_nvmf_transport_create_done_cb cb;
	void *arg;
	struct spdk_nvmf_transport *t;
};

static void
call_back(void *ctx)
{
	struct later *l = ctx;

	l->cb(l->arg, l->t);
	free(l);
}

/* Answers by message, after create_async returned. */
static int
rpca_create_async(struct spdk_nvmf_transport_opts *o, spdk_nvmf_transport_create_done_cb cb, void *arg)
{
	struct later *l = calloc(1, sizeof(*l));
	struct rpct_transport *t = make(o);

	if (l == NULL) {
		free(t);
		return -ENOMEM;
	}
	if (t != NULL) {
		g_rpca = t;
	}
	l->cb = cb;
	l->arg = arg;
	l->t = t ? &t->base : NULL;
	spdk_thread_send_msg(spdk_get_thread(), call_back, l);
	return 0;
}

static void
rpct_dump_opts(struct spdk_nvmf_transport *t, struct spdk_json_write_ctx *w)
{
	spdk_json_write_named_uint32(w, "rpct_knob", SPDK_CONTAINEROF(t, struct rpct_transport, base)->knob);
}

static int
rpct_destroy(struct spdk_nvmf_transport *t, spdk_nvmf_transport_destroy_done_cb cb, void *arg)
{
	struct rpct_transport *r = SPDK_CONTAINEROF(t, struct rpct_transport, base);

	if (r == g_rpct) {
		g_rpct = NULL;
	} else if (r == g_rpca) {
		g_rpca = NULL;
	}
	free(r);
	g_destroyed++;
	if (cb) {
		cb(arg);
	}
	return 0;
}

static int
rpct_listen(struct spdk_nvmf_transport *t, const struct spdk_nvme_transport_id *trid,
	    struct spdk_nvmf_listen_opts *opts)
{
	struct tag k = {0};

	(void)t;
	if (strcmp(trid->traddr, "nowhere") == 0) {
		return -EADDRNOTAVAIL;
	}
	/* What listen_dump_opts wrote comes back in the listener's params. */
	if (opts != NULL && opts->transport_specific != NULL &&
	    spdk_json_decode_object_relaxed(opts->transport_specific, tag_decoders, 1, &k) != 0) {
		return -EINVAL;
	}
	snprintf(g_listen_tag, sizeof(g_listen_tag), "%s", k.rpct_listen_tag ? k.rpct_listen_tag : "");
	free(k.rpct_listen_tag);
	g_listens++;
	return 0;
}

static void
rpct_stop_listen(struct spdk_nvmf_transport *t, const struct spdk_nvme_transport_id *trid)
{
	(void)t;
	(void)trid;
	g_stop_listens++;
}

static int
rpct_associate(struct spdk_nvmf_transport *t, const struct spdk_nvmf_subsystem *s,
	       const struct spdk_nvme_transport_id *trid)
{
	(void)t;
	(void)s;
	if (strcmp(trid->traddr, "refuse") == 0) {
		return -EPERM;
	}
	g_assocs++;
	return 0;
}

static void
rpct_listen_dump_opts(struct spdk_nvmf_transport *t, const struct spdk_nvme_transport_id *trid,
		      struct spdk_json_write_ctx *w)
{
	char tag[300];

	(void)t;
	snprintf(tag, sizeof(tag), "tag-%s", trid->traddr);
	spdk_json_write_named_string(w, "rpct_listen_tag", tag);
}

static struct spdk_nvmf_transport_poll_group *
rpct_pg_create(struct spdk_nvmf_transport *t, struct spdk_nvmf_poll_group *g)
{
	(void)t;
	(void)g;
	g_pg_created++;
	return calloc(1, sizeof(struct spdk_nvmf_transport_poll_group));
}

static void
rpct_pg_destroy(struct spdk_nvmf_transport_poll_group *g)
{
	g_pg_destroyed++;
	free(g);
}

static int
rpct_pg_poll(struct spdk_nvmf_transport_poll_group *g)
{
	(void)g;
	return 0;
}

static int
rpct_req(struct spdk_nvmf_request *r)
{
	(void)r;
	return 0;
}

static void
rpct_qpair_fini(struct spdk_nvmf_qpair *q, spdk_nvmf_transport_qpair_fini_cb cb, void *arg)
{
	(void)q;
	if (cb) {
		cb(arg);
	}
}

/* A host parameter of its own: "deny" refuses the host. */
static int
rpct_add_host(struct spdk_nvmf_transport *t, const struct spdk_nvmf_subsystem *s, const char *hostnqn,
	      const struct spdk_json_val *params)
{
	struct host_key k = {0};
	int rc = 0;

	(void)s;
	if (g_rpct == NULL || &g_rpct->base != t) {
		return 0;
	}
	if (params != NULL && spdk_json_decode_object_relaxed(params, host_key_decoders, 1, &k) != 0) {
		return -EINVAL;
	}
	if (k.rpct_host_key != NULL && strcmp(k.rpct_host_key, "deny") == 0) {
		rc = -EACCES;
	} else if (k.rpct_host_key != NULL && strcmp(hostnqn, HOST1) == 0) {
		snprintf(g_host_key, sizeof(g_host_key), "%s", k.rpct_host_key);
	}
	free(k.rpct_host_key);
	if (rc == 0) {
		g_hosts_added++;
	}
	return rc;
}

static void
rpct_remove_host(struct spdk_nvmf_transport *t, const struct spdk_nvmf_subsystem *s, const char *hostnqn)
{
	(void)s;
	(void)hostnqn;
	if (g_rpct != NULL && &g_rpct->base == t) {
		g_hosts_removed++;
	}
}

static void
rpct_dump_host(struct spdk_nvmf_transport *t, const struct spdk_nvmf_subsystem *s, const char *hostnqn,
	       struct spdk_json_write_ctx *w)
{
	(void)s;
	if (g_rpct != NULL && &g_rpct->base == t && strcmp(hostnqn, HOST1) == 0) {
		spdk_json_write_named_string(w, "rpct_host_key", g_host_key);
	}
}

#define RPCT_COMMON \
	.type = SPDK_NVME_TRANSPORT_CUSTOM, \
	.opts_init = rpct_opts_init, \
	.dump_opts = rpct_dump_opts, \
	.destroy = rpct_destroy, \
	.listen = rpct_listen, \
	.stop_listen = rpct_stop_listen, \
	.listen_associate = rpct_associate, \
	.listen_dump_opts = rpct_listen_dump_opts, \
	.poll_group_create = rpct_pg_create, \
	.poll_group_destroy = rpct_pg_destroy, \
	.poll_group_poll = rpct_pg_poll, \
	.req_free = rpct_req, \
	.req_complete = rpct_req, \
	.qpair_fini = rpct_qpair_fini, \
	.subsystem_add_host = rpct_add_host, \
	.subsystem_remove_host = rpct_remove_host, \
	.subsystem_dump_host = rpct_dump_host

static const struct spdk_nvmf_transport_ops rpct_ops = {
	.name = "RPCT",
	.create = rpct_create,
	RPCT_COMMON,
};

static const struct spdk_nvmf_transport_ops rpca_ops = {
	.name = "RPCA",
	.create_async = rpca_create_async,
	RPCT_COMMON,
};

SPDK_NVMF_TRANSPORT_REGISTER(rpct, &rpct_ops);
SPDK_NVMF_TRANSPORT_REGISTER(rpca, &rpca_ops);

/* The client's answers, one per call below. */
enum {
	R_TRANSPORTS, R_DUP, R_RPCA_BAD, R_RPCA, R_TRANSPORTS2, R_REFUSED, R_NOWHERE,
	R_HOST_DENIED, R_HOST_PSK, R_SAVE, R_REMOVE, R_TAGGED, R_COUNT
};
static char g_resp[R_COUNT][16384];
static volatile int g_client_done;
static pthread_t g_client;
static struct spdk_poller *g_wait;
static int g_listens_before, g_stop_listens_before;

static void
keep(int i, const char *s)
{
	snprintf(g_resp[i], sizeof(g_resp[i]), "%s", s);
}

static void *
client(void *arg)
{
	int fd = client_connect();

	(void)arg;
	if (fd >= 0) {
		keep(R_TRANSPORTS, call(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"nvmf_get_transports\",\"params\":{\"trtype\":\"RPCT\"}}"));
		keep(R_DUP, call(fd, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nvmf_create_transport\",\"params\":{\"trtype\":\"RPCT\"}}"));
		keep(R_RPCA_BAD, call(fd, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"nvmf_create_transport\",\"params\":{\"trtype\":\"RPCA\",\"rpct_knob\":13}}"));
		keep(R_RPCA, call(fd, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"nvmf_create_transport\",\"params\":{\"trtype\":\"rpca\",\"rpct_knob\":5,\"max_io_qpairs_per_ctrlr\":7}}"));
		keep(R_TRANSPORTS2, call(fd, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"nvmf_get_transports\"}"));
		keep(R_REFUSED, call(fd, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"nvmf_subsystem_add_listener\",\"params\":{\"nqn\":\"" NQN "\","
				     "\"listen_address\":{\"trtype\":\"RPCT\",\"adrfam\":\"ipv4\",\"traddr\":\"refuse\",\"trsvcid\":\"1\"}}}"));
		keep(R_NOWHERE, call(fd, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"nvmf_subsystem_add_listener\",\"params\":{\"nqn\":\"" NQN "\","
				     "\"listen_address\":{\"trtype\":\"RPCT\",\"adrfam\":\"ipv4\",\"traddr\":\"nowhere\",\"trsvcid\":\"1\"}}}"));
		keep(R_HOST_DENIED, call(fd, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"nvmf_subsystem_add_host\",\"params\":{\"nqn\":\"" NQN "\","
					 "\"host\":\"" HOST2 "\",\"rpct_host_key\":\"deny\"}}"));
		keep(R_HOST_PSK, call(fd, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"nvmf_subsystem_add_host\",\"params\":{\"nqn\":\"" NQN "\","
				      "\"host\":\"" HOST2 "\",\"psk\":\"key0\"}}"));
		keep(R_SAVE, call(fd, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"framework_get_config\",\"params\":{\"name\":\"nvmf\"}}"));
		keep(R_REMOVE, call(fd, "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"nvmf_subsystem_remove_listener\",\"params\":{\"nqn\":\"" NQN "\","
				    "\"listen_address\":{\"trtype\":\"RPCT\",\"adrfam\":\"ipv4\",\"traddr\":\"rpct0\",\"trsvcid\":\"1\"}}}"));
		/* A listener as save_config writes it, with the transport's member. */
		keep(R_TAGGED, call(fd, "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"nvmf_subsystem_add_listener\",\"params\":{\"nqn\":\"" NQN "\","
				    "\"listen_address\":{\"trtype\":\"RPCT\",\"adrfam\":\"ipv4\",\"traddr\":\"rpct1\",\"trsvcid\":\"1\"},"
				    "\"ana_state\":\"optimized\",\"rpct_listen_tag\":\"tag-rpct1\"}}"));
		close(fd);
	}
	__atomic_store_n(&g_client_done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool
has(int i, const char *s)
{
	if (strstr(g_resp[i], s) != NULL) {
		return true;
	}
	fprintf(stderr, "answer %d has no %s: %s\n", i, s, g_resp[i]);
	return false;
}

static void
destroyed(void *ctx)
{
	(void)ctx;
	if (g_rpct == NULL && g_rpca == NULL) {
		spdk_app_stop(0);
	}
}

static int
wait_client(void *ctx)
{
	struct spdk_nvmf_subsystem *s;
	struct spdk_nvmf_tgt *tgt = spdk_nvmf_get_tgt(NULL);
	struct spdk_nvmf_transport *a;

	(void)ctx;
	if (!__atomic_load_n(&g_client_done, __ATOMIC_ACQUIRE)) {
		return SPDK_POLLER_IDLE;
	}
	spdk_poller_unregister(&g_wait);
	pthread_join(g_client, NULL);

	CHECK(has(R_TRANSPORTS, "\"trtype\":\"RPCT\""));
	CHECK(has(R_TRANSPORTS, "\"rpct_knob\":7"));
	CHECK(has(R_TRANSPORTS, "\"max_queue_depth\":32"));
	CHECK(has(R_TRANSPORTS, "\"io_unit_size\":8192"));
	CHECK(has(R_DUP, "\"error\"") && has(R_DUP, "already exists"));
	CHECK(has(R_RPCA_BAD, "\"error\""));
	CHECK(has(R_RPCA, "\"result\":true"));
	CHECK(has(R_TRANSPORTS2, "\"trtype\":\"RPCA\""));
	CHECK(has(R_TRANSPORTS2, "\"rpct_knob\":5"));
	CHECK(has(R_TRANSPORTS2, "\"max_io_qpairs_per_ctrlr\":7"));
	/* RPCA's create saw the RPC's options over its own defaults. */
	if (CHECK(g_rpca != NULL)) {
		CHECK_EQ_U(g_rpca->knob, 5);
		CHECK_EQ_U(g_rpca->base.opts.max_qpairs_per_ctrlr, 8);
		CHECK_EQ_U(g_rpca->base.opts.io_unit_size, 8192);
		CHECK(g_rpca->base.opts.transport_specific == NULL);
	}
	a = spdk_nvmf_tgt_get_transport(tgt, "RPCA");
	CHECK(g_rpca != NULL && a == &g_rpca->base);
	/* Each transport has a poll group on the target's one poll group. */
	CHECK_EQ_I(g_pg_created, 2);

	/* Refused listeners: listened then undone, or not listened at all;
	 * the other stop is the removal of rpct0 at the end. */
	CHECK(has(R_REFUSED, "\"error\""));
	CHECK(has(R_NOWHERE, "\"error\""));
	CHECK_EQ_I(g_listens, g_listens_before + 2);
	CHECK_EQ_I(g_stop_listens, g_stop_listens_before + 2);
	CHECK_EQ_I(g_assocs, 2);

	/* Hosts: refused by the transport, refused for TLS. */
	CHECK(has(R_HOST_DENIED, "\"error\""));
	CHECK(has(R_HOST_PSK, "\"error\""));
	s = spdk_nvmf_tgt_find_subsystem(tgt, NQN);
	if (CHECK(s != NULL)) {
		CHECK(spdk_nvmf_subsystem_host_allowed(s, HOST1));
		CHECK(!spdk_nvmf_subsystem_host_allowed(s, HOST2));
	}
	/* Both transports heard of the refused host's removal; only RPCT counts. */
	CHECK_EQ_I(g_hosts_added, 1);
	CHECK_EQ_I(g_hosts_removed, 1);

	/* save_config: the transports with their own members, the listener
	 * with listen_dump_opts', the host with subsystem_dump_host's. */
	CHECK(has(R_SAVE, "\"method\":\"nvmf_create_transport\""));
	CHECK(has(R_SAVE, "\"rpct_knob\":7"));
	CHECK(has(R_SAVE, "\"rpct_knob\":5"));
	CHECK(has(R_SAVE, "\"rpct_listen_tag\":\"tag-rpct0\""));
	CHECK(has(R_SAVE, "\"rpct_host_key\":\"k1\""));

	CHECK(has(R_REMOVE, "\"result\":true"));
	CHECK(has(R_TAGGED, "\"result\":true"));
	CHECK_STREQ(g_listen_tag, "tag-rpct1");
	if (s != NULL && CHECK(spdk_nvmf_subsystem_get_first_listener(s) != NULL)) {
		CHECK_STREQ(spdk_nvmf_subsystem_listener_get_trid(spdk_nvmf_subsystem_get_first_listener(s))->traddr, "rpct1");
		CHECK(spdk_nvmf_subsystem_get_next_listener(s, spdk_nvmf_subsystem_get_first_listener(s)) == NULL);
	}

	if (g_rpca == NULL || g_rpct == NULL) {
		spdk_app_stop(1);
		return SPDK_POLLER_BUSY;
	}
	CHECK_EQ_I(spdk_nvmf_transport_destroy(&g_rpca->base, destroyed, NULL), 0);
	CHECK_EQ_I(spdk_nvmf_transport_destroy(&g_rpct->base, destroyed, NULL), 0);
	return SPDK_POLLER_BUSY;
}

static void
start_fn(void *ctx)
{
	struct spdk_nvmf_tgt *tgt = spdk_nvmf_get_tgt(NULL);
	struct spdk_nvmf_subsystem *s;

	(void)ctx;
	/* The JSON config made RPCT with its knob and our max_queue_depth over
	 * its own defaults, listened at rpct0 and added HOST1 with its key. */
	if (!CHECK(tgt != NULL) || !CHECK(g_rpct != NULL)) {
		spdk_app_stop(1);
		return;
	}
	CHECK_EQ_U(g_rpct->knob, 7);
	CHECK_EQ_U(g_rpct->created_mqd, 32);
	CHECK_EQ_U(g_rpct->base.opts.max_queue_depth, 32);
	CHECK_EQ_U(g_rpct->base.opts.io_unit_size, 8192);
	CHECK(g_rpct->base.opts.transport_specific == NULL);
	CHECK(spdk_nvmf_tgt_get_transport(tgt, "RPCT") == &g_rpct->base);
	CHECK_EQ_I(g_listens, 1);
	CHECK_STREQ(g_listen_tag, "");
	CHECK_EQ_I(g_assocs, 1);
	CHECK_EQ_I(g_hosts_added, 1);
	CHECK_STREQ(g_host_key, "k1");
	s = spdk_nvmf_tgt_find_subsystem(tgt, NQN);
	if (CHECK(s != NULL) && CHECK(spdk_nvmf_subsystem_get_first_listener(s) != NULL)) {
		CHECK_STREQ(spdk_nvmf_subsystem_listener_get_trid(spdk_nvmf_subsystem_get_first_listener(s))->traddr, "rpct0");
	}
	g_listens_before = g_listens;
	g_stop_listens_before = g_stop_listens;
	CHECK(pthread_create(&g_client, NULL, client, NULL) == 0);
	g_wait = SPDK_POLLER_REGISTER(wait_client, NULL, 1000);
}

int
main(void)
{
	struct spdk_app_opts opts;
	char cfg[] = "/tmp/rspdk_test_nvmf_transport_rpc_XXXXXX";
	const char *json =
		"{\"subsystems\":[{\"subsystem\":\"bdev\",\"config\":["
		"{\"method\":\"bdev_malloc_create\",\"params\":{\"name\":\"Malloc0\",\"num_blocks\":2048,\"block_size\":512}}"
		"]},{\"subsystem\":\"nvmf\",\"config\":["
		"{\"method\":\"nvmf_create_transport\",\"params\":{\"trtype\":\"RPCT\",\"max_queue_depth\":32,\"rpct_knob\":7}},"
		"{\"method\":\"nvmf_create_subsystem\",\"params\":{\"nqn\":\"" NQN "\",\"allow_any_host\":false}},"
		"{\"method\":\"nvmf_subsystem_add_listener\",\"params\":{\"nqn\":\"" NQN "\","
		"\"listen_address\":{\"trtype\":\"RPCT\",\"adrfam\":\"ipv4\",\"traddr\":\"rpct0\",\"trsvcid\":\"1\"}}},"
		"{\"method\":\"nvmf_subsystem_add_host\",\"params\":{\"nqn\":\"" NQN "\",\"host\":\"" HOST1 "\",\"rpct_host_key\":\"k1\"}},"
		"{\"method\":\"nvmf_subsystem_add_ns\",\"params\":{\"nqn\":\"" NQN "\",\"namespace\":{\"bdev_name\":\"Malloc0\"}}}"
		"]}]}";
	int fd, rc;

	fd = mkstemp(cfg);
	if (!CHECK(fd >= 0) || !CHECK(write(fd, json, strlen(json)) == (ssize_t)strlen(json))) {
		return CHECK_DONE("nvmf_transport_rpc");
	}
	close(fd);
	spdk_app_opts_init(&opts, sizeof(opts));
	opts.name = "test_nvmf_transport_rpc";
	opts.reactor_mask = "0x1";
	opts.json_config_file = cfg;
	snprintf(g_sock, sizeof(g_sock), "/tmp/rspdk_test_nvmf_transport_rpc.%d.sock", (int)getpid());
	opts.rpc_addr = g_sock;
	rc = spdk_app_start(&opts, start_fn, NULL);
	CHECK_EQ_I(rc, 0);
	CHECK_EQ_I(g_destroyed, 2);
	CHECK_EQ_I(g_pg_destroyed, 2);
	spdk_app_fini();
	unlink(cfg);
	return CHECK_DONE("nvmf_transport_rpc");
}
