/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   spdk/json.h, spdk/rpc.h and spdk/jsonrpc.h from C: the JSON writer on
 *   its own; then an application whose RPC server serves a method written
 *   here (SPDK_RPC_REGISTER, spdk_json_decode_object and the decoders, the
 *   result written with spdk_json_write_*), and a bdev module written here
 *   whose write_config_json / dump_info_json / config_json show up in
 *   framework_get_config and bdev_get_bdevs. A client thread talks to the
 *   server over its Unix socket and ends the app with spdk_kill_instance.
 */
#include "spdk/stdinc.h"
#include "spdk/event.h"
#include "spdk/json.h"
#include "spdk/jsonrpc.h"
#include "spdk/rpc.h"
#include "spdk/bdev_module.h"
#include "check.h"
#include "rpc_client.h"

#include <sys/un.h>

/* ---- the writer alone ---- */
struct buf {
	char data[4096];
	size_t len;
};

static int
buf_write(void *ctx, const void *data, size_t size)
{
	struct buf *b = ctx;

	if (b->len + size >= sizeof(b->data)) {
		return -1;
	}
	memcpy(b->data + b->len, data, size);
	b->len += size;
	b->data[b->len] = '\0';
	return 0;
}

static void
test_writer(void)
{
	struct buf b = {0};
	struct spdk_json_write_ctx *w = spdk_json_write_begin(buf_write, &b, 0);

	CHECK(w != NULL);
	CHECK(spdk_json_write_object_begin(w) == 0);
	spdk_json_write_named_string(w, "s", "q\"uote\n");
	spdk_json_write_named_uint64(w, "u64", UINT64_MAX);
	spdk_json_write_named_int64(w, "i64", INT64_MIN);
	spdk_json_write_named_bool(w, "t", true);
	spdk_json_write_named_null(w, "n");
	spdk_json_write_named_uint128(w, "u128", 1, 1);
	spdk_json_write_named_string_fmt(w, "fmt", "%s-%d", "x", 42);
	spdk_json_write_named_array_begin(w, "a");
	spdk_json_write_int32(w, -5);
	spdk_json_write_string_fmt(w, "%03u", 7u);
	spdk_json_write_object_begin(w);
	spdk_json_write_object_end(w);
	spdk_json_write_array_end(w);
	CHECK(spdk_json_write_object_end(w) == 0);
	CHECK(spdk_json_write_end(w) == 0);
	CHECK_STREQ(b.data, "{\"s\":\"q\\\"uote\\n\",\"u64\":18446744073709551615,\"i64\":-9223372036854775808,"
		    "\"t\":true,\"n\":null,\"u128\":18446744073709551617,\"fmt\":\"x-42\",\"a\":[-5,\"007\",{}]}");

	/* Misuse: a value where a name is due, an unclosed object. */
	memset(&b, 0, sizeof(b));
	w = spdk_json_write_begin(buf_write, &b, 0);
	spdk_json_write_object_begin(w);
	CHECK(spdk_json_write_uint32(w, 1) != 0);
	CHECK(spdk_json_write_end(w) != 0);
	memset(&b, 0, sizeof(b));
	w = spdk_json_write_begin(buf_write, &b, SPDK_JSON_WRITE_FLAG_FORMATTED);
	spdk_json_write_array_begin(w);
	spdk_json_write_uint32(w, 1);
	CHECK(spdk_json_write_end(w) != 0);
	/* Formatted output still reads back as the same value. */
	memset(&b, 0, sizeof(b));
	w = spdk_json_write_begin(buf_write, &b, SPDK_JSON_WRITE_FLAG_FORMATTED);
	spdk_json_write_object_begin(w);
	spdk_json_write_named_uint32(w, "k", 3);
	spdk_json_write_object_end(w);
	CHECK(spdk_json_write_end(w) == 0);
	CHECK(strchr(b.data, '\n') != NULL && strstr(b.data, "\"k\": 3") != NULL);
}

/* ---- an RPC method written in C ---- */
struct sum_params {
	uint32_t a;
	uint64_t b;
	char *name;
	bool flag;
	int32_t neg;
	size_t num_tags;
	char *tags[4];
};

static int
decode_tags(const struct spdk_json_val *val, void *out)
{
	struct sum_params *p = SPDK_CONTAINEROF(out, struct sum_params, num_tags);

	return spdk_json_decode_array(val, spdk_json_decode_string, p->tags, 4, &p->num_tags, sizeof(char *));
}

static const struct spdk_json_object_decoder sum_decoders[] = {
	{"a", offsetof(struct sum_params, a), spdk_json_decode_uint32, false},
	{"b", offsetof(struct sum_params, b), spdk_json_decode_uint64, false},
	{"name", offsetof(struct sum_params, name), spdk_json_decode_string, true},
	{"flag", offsetof(struct sum_params, flag), spdk_json_decode_bool, true},
	{"neg", offsetof(struct sum_params, neg), spdk_json_decode_int32, true},
	{"tags", offsetof(struct sum_params, num_tags), decode_tags, true},
};

static void
rpc_test_sum(struct spdk_jsonrpc_request *request, const struct spdk_json_val *params)
{
	struct sum_params p = {0};
	struct spdk_json_write_ctx *w;
	size_t i;

	if (params == NULL || spdk_json_decode_object(params, sum_decoders, SPDK_COUNTOF(sum_decoders), &p)) {
		spdk_jsonrpc_send_error_response_fmt(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS,
						     "test_sum: params must be {a: u32, b: u64, ...}");
		goto out;
	}
	w = spdk_jsonrpc_begin_result(request);
	spdk_json_write_object_begin(w);
	spdk_json_write_named_uint64(w, "sum", p.a + p.b);
	spdk_json_write_named_string(w, "name", p.name ? p.name : "(none)");
	spdk_json_write_named_bool(w, "flag", p.flag);
	spdk_json_write_named_int32(w, "neg", p.neg);
	spdk_json_write_named_array_begin(w, "tags");
	for (i = 0; i < p.num_tags; i++) {
		spdk_json_write_string(w, p.tags[i]);
	}
	spdk_json_write_array_end(w);
	spdk_json_write_name(w, "echo");
	spdk_json_write_val(w, params);
	spdk_json_write_object_end(w);
	spdk_jsonrpc_end_result(request, w);
out:
	/* A failed array decode may leave the strings it decoded before failing. */
	for (i = 0; i < SPDK_COUNTOF(p.tags); i++) {
		free(p.tags[i]);
	}
	spdk_json_free_object(sum_decoders, 3, &p);
}
SPDK_RPC_REGISTER("test_sum", rpc_test_sum, SPDK_RPC_RUNTIME)

static void
rpc_test_startup_only(struct spdk_jsonrpc_request *request, const struct spdk_json_val *params)
{
	(void)params;
	spdk_jsonrpc_send_bool_response(request, true);
}
SPDK_RPC_REGISTER("test_startup_only", rpc_test_startup_only, SPDK_RPC_STARTUP)

static void
rpc_test_find(struct spdk_jsonrpc_request *request, const struct spdk_json_val *params)
{
	struct spdk_json_val *val = NULL, *arr = NULL, *first;
	uint32_t n = 0;
	int count = 0;

	if (params == NULL || spdk_json_find_string((struct spdk_json_val *)params, "key", NULL, &val) != 0 ||
	    spdk_json_find_array((struct spdk_json_val *)params, "list", NULL, &arr) != 0) {
		spdk_jsonrpc_send_error_response(request, SPDK_JSONRPC_ERROR_INVALID_PARAMS, "test_find: key and list needed");
		return;
	}
	for (first = spdk_json_array_first(arr); first != NULL; first = spdk_json_next(first)) {
		if (spdk_json_number_to_uint32(first, &n) == 0) {
			count += n;
		}
	}
	if (!spdk_json_strequal(val, "wanted")) {
		spdk_jsonrpc_send_error_response(request, -ENOENT, "test_find: key is not 'wanted'");
		return;
	}
	spdk_jsonrpc_send_error_response_fmt(request, -1000 - count, "sum %d", count);
}
SPDK_RPC_REGISTER("test_find", rpc_test_find, SPDK_RPC_RUNTIME)

/* ---- a bdev module written in C, with its JSON callbacks ---- */
static int g_io_device;
static int cj_config_json(struct spdk_json_write_ctx *w)
{
	spdk_json_write_object_begin(w);
	spdk_json_write_named_string(w, "method", "c_json_set_options");
	spdk_json_write_named_object_begin(w, "params");
	spdk_json_write_named_uint32(w, "level", 3);
	spdk_json_write_object_end(w);
	spdk_json_write_object_end(w);
	return 0;
}
static int cj_init(void) { return 0; }
static struct spdk_bdev_module g_cj_module = {
	.module_init = cj_init,
	.name = "c_json",
	.config_json = cj_config_json,
};
SPDK_BDEV_MODULE_REGISTER(c_json, &g_cj_module)

/* ---- a module with asynchronous init, fini_start and fini: its life in order ---- */
static char g_life[256];

static void
life(const char *what)
{
	if (strlen(g_life) + strlen(what) + 2 < sizeof(g_life)) {
		strcat(g_life, what);
		strcat(g_life, " ");
	}
}

static struct spdk_bdev_module g_life_module;

static void life_init_later(void *arg) { (void)arg; life("init_done"); spdk_bdev_module_init_done(&g_life_module); }
static void life_fini_start_later(void *arg) { (void)arg; life("fini_start_done"); spdk_bdev_module_fini_start_done(); }
static void life_fini_later(void *arg) { (void)arg; life("fini_done"); spdk_bdev_module_fini_done(); }

static int
life_init(void)
{
	life("init");
	return spdk_thread_send_msg(spdk_get_thread(), life_init_later, NULL);
}

static void life_init_complete(void) { life("init_complete"); }

static void
life_fini_start(void)
{
	life("fini_start");
	spdk_thread_send_msg(spdk_get_thread(), life_fini_start_later, NULL);
}

static void
life_fini(void)
{
	life("fini");
	spdk_thread_send_msg(spdk_get_thread(), life_fini_later, NULL);
}

static struct spdk_bdev_module g_life_module = {
	.module_init = life_init,
	.init_complete = life_init_complete,
	.fini_start = life_fini_start,
	.module_fini = life_fini,
	.name = "c_life",
	.async_init = true,
	.async_fini = true,
	.async_fini_start = true,
};
SPDK_BDEV_MODULE_REGISTER(c_life, &g_life_module)

static int cj_destruct(void *ctx) { (void)ctx; return 0; }
static void cj_submit(struct spdk_io_channel *ch, struct spdk_bdev_io *io)
{
	(void)ch;
	spdk_bdev_io_complete(io, SPDK_BDEV_IO_STATUS_SUCCESS);
}
static bool cj_supported(void *ctx, enum spdk_bdev_io_type t) { (void)ctx; return t == SPDK_BDEV_IO_TYPE_READ; }
static struct spdk_io_channel *cj_channel(void *ctx) { (void)ctx; return spdk_get_io_channel(&g_io_device); }
static int cj_dump(void *ctx, struct spdk_json_write_ctx *w)
{
	struct spdk_bdev *b = ctx;

	spdk_json_write_named_object_begin(w, "c_json");
	spdk_json_write_named_uint64(w, "blocks", b->blockcnt);
	spdk_json_write_object_end(w);
	return 0;
}
static void cj_write_config(struct spdk_bdev *b, struct spdk_json_write_ctx *w)
{
	spdk_json_write_object_begin(w);
	spdk_json_write_named_string(w, "method", "c_json_create");
	spdk_json_write_named_object_begin(w, "params");
	spdk_json_write_named_string(w, "name", b->name);
	spdk_json_write_named_uint64(w, "num_blocks", b->blockcnt);
	spdk_json_write_object_end(w);
	spdk_json_write_object_end(w);
}
static const struct spdk_bdev_fn_table g_cj_fn_table = {
	.destruct = cj_destruct,
	.submit_request = cj_submit,
	.io_type_supported = cj_supported,
	.get_io_channel = cj_channel,
	.dump_info_json = cj_dump,
	.write_config_json = cj_write_config,
};
static struct spdk_bdev g_cj_bdev;

static int ch_create(void *dev, void *ctx) { (void)dev; (void)ctx; return 0; }
static void ch_destroy(void *dev, void *ctx) { (void)dev; (void)ctx; }

/* ---- the client ---- */
static pthread_t g_client;


#define CHECK_HAS(hay, needle) do { \
	const char *h_ = (hay); \
	if (!CHECK(strstr(h_, (needle)) != NULL)) { \
		fprintf(stderr, "  response: %s\n  wanted: %s\n", h_, (needle)); \
	} \
} while (0)

static void *
client(void *arg)
{
	int fd = client_connect();

	(void)arg;
	if (!CHECK(fd >= 0)) {
		spdk_app_stop(1);
		return NULL;
	}
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"test_sum\",\"params\":"
		       "{\"a\":4000000000,\"b\":5,\"name\":\"n\\\"m\",\"flag\":true,\"neg\":-7,\"tags\":[\"x\",\"y\"]}}"),
		  "\"result\":{\"sum\":4000000005,\"name\":\"n\\\"m\",\"flag\":true,\"neg\":-7,\"tags\":[\"x\",\"y\"],\"echo\":{");
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"test_sum\",\"params\":{\"a\":1,\"b\":2}}"),
		  "\"sum\":3,\"name\":\"(none)\",\"flag\":false");
	/* Out of range, wrong type, missing, unknown member, too many tags, no params. */
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"test_sum\",\"params\":{\"a\":4294967296,\"b\":2}}"), "-32602");
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"test_sum\",\"params\":{\"a\":\"1\",\"b\":2}}"), "-32602");
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"test_sum\",\"params\":{\"a\":1}}"), "-32602");
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"test_sum\",\"params\":{\"a\":1,\"b\":2,\"c\":3}}"), "-32602");
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"test_sum\",\"params\":{\"a\":1,\"b\":2,\"tags\":[\"1\",\"2\",\"3\",\"4\",\"5\"]}}"), "-32602");
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"test_sum\"}"), "\"message\":\"test_sum: params must be");
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"test_startup_only\"}"), "\"code\":-1,");
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"test_find\",\"params\":{\"list\":[1,2,3],\"key\":\"wanted\"}}"),
		  "{\"code\":-1006,\"message\":\"sum 6\"}");
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"test_find\",\"params\":{\"list\":[],\"key\":\"other\"}}"), "\"code\":-2,");
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"rpc_get_methods\"}"), "\"test_sum\"");
	/* The C module's callbacks in the bdev subsystem's JSON. */
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":13,\"method\":\"framework_get_config\",\"params\":{\"name\":\"bdev\"}}"),
		  "{\"method\":\"c_json_set_options\",\"params\":{\"level\":3}}");
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":14,\"method\":\"framework_get_config\",\"params\":{\"name\":\"bdev\"}}"),
		  "{\"method\":\"c_json_create\",\"params\":{\"name\":\"CJson0\",\"num_blocks\":64}}");
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":15,\"method\":\"bdev_get_bdevs\",\"params\":{\"name\":\"CJson0\"}}"),
		  "\"driver_specific\":{\"c_json\":{\"blocks\":64}}");
	CHECK_HAS(call(fd, "{\"jsonrpc\":\"2.0\",\"id\":16,\"method\":\"spdk_kill_instance\",\"params\":{\"sig_name\":\"SIGTERM\"}}"), "\"result\":true");
	close(fd);
	return NULL;
}

static void
unregistered(void *arg, int rc)
{
	(void)arg;
	(void)rc;
}

static void
shutdown_cb(void)
{
	spdk_bdev_unregister(&g_cj_bdev, unregistered, NULL);
	spdk_io_device_unregister(&g_io_device, NULL);
	spdk_app_stop(0);
}

static void
start(void *ctx)
{
	(void)ctx;
	life("start");
	CHECK(spdk_rpc_is_method_allowed("test_sum", SPDK_RPC_RUNTIME) == 0);
	CHECK(spdk_rpc_is_method_allowed("test_sum", SPDK_RPC_STARTUP) == -EPERM);
	CHECK(spdk_rpc_is_method_allowed("no_such", SPDK_RPC_RUNTIME) == -ENOENT);
	spdk_io_device_register(&g_io_device, ch_create, ch_destroy, 0, "c_json");
	g_cj_bdev.name = "CJson0";
	g_cj_bdev.product_name = "C JSON disk";
	g_cj_bdev.blocklen = 512;
	g_cj_bdev.blockcnt = 64;
	g_cj_bdev.ctxt = &g_cj_bdev;
	g_cj_bdev.fn_table = &g_cj_fn_table;
	g_cj_bdev.module = &g_cj_module;
	CHECK(spdk_bdev_register(&g_cj_bdev) == 0);
	CHECK(pthread_create(&g_client, NULL, client, NULL) == 0);
}

int
main(void)
{
	struct spdk_app_opts opts;
	int rc;

	test_writer();
	snprintf(g_sock, sizeof(g_sock), "/tmp/rspdk_test_rpc.%d.sock", (int)getpid());
	spdk_app_opts_init(&opts, sizeof(opts));
	opts.name = "test_rpc";
	opts.rpc_addr = g_sock;
	opts.shutdown_cb = shutdown_cb;
	rc = spdk_app_start(&opts, start, NULL);
	CHECK(rc == 0);
	pthread_join(g_client, NULL);
	spdk_app_fini();
	CHECK(access(g_sock, F_OK) != 0);
	/* The asynchronous module's life, in SPDK's order. */
	CHECK_STREQ(g_life, "init init_done init_complete start fini_start fini_start_done fini fini_done ");
	return CHECK_DONE("rpc");
}
