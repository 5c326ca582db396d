/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   C API test of spdk/sock.h: an echo server and a client over 127.0.0.1
 *   in one process, both driven by spdk_sock_group_poll(); the echoed data
 *   is checked byte for byte and every writev_async callback is counted.
 *   Also: struct layouts, default and implementation options, and the
 *   errors for bad addresses, ports and misuse.
 */
#include "spdk/sock.h"

#include <stddef.h>

#include "check.h"

SPDK_STATIC_ASSERT(sizeof(struct spdk_sock_request) == 64, "spdk_sock_request size");
SPDK_STATIC_ASSERT(offsetof(struct spdk_sock_request, internal) == 16, "internal offset");
SPDK_STATIC_ASSERT(offsetof(struct spdk_sock_request, iovcnt) == 56, "iovcnt offset");
SPDK_STATIC_ASSERT(sizeof(struct spdk_sock_opts) == 56, "spdk_sock_opts size");
SPDK_STATIC_ASSERT(offsetof(struct spdk_sock_opts, ack_timeout) == 16, "ack_timeout offset");
SPDK_STATIC_ASSERT(offsetof(struct spdk_sock_opts, impl_opts) == 24, "impl_opts offset");
SPDK_STATIC_ASSERT(offsetof(struct spdk_sock_opts, src_port) == 48, "src_port offset");
SPDK_STATIC_ASSERT(offsetof(struct spdk_sock_opts, connect_timeout) == 52, "connect_timeout offset");
SPDK_STATIC_ASSERT(offsetof(struct spdk_sock_impl_opts, enable_placement_id) == 12, "placement offset");
SPDK_STATIC_ASSERT(offsetof(struct spdk_sock_impl_opts, psk_key) == 32, "psk_key offset");
SPDK_STATIC_ASSERT(sizeof(struct spdk_sock_impl_opts) == 80, "spdk_sock_impl_opts size");

#define MSGS 64
#define MSG_LEN (16 * 1024 + 7)
#define TOTAL (MSGS * MSG_LEN)
#define SPIN 5000000L

/* A write request with room for two iovecs after it. */
struct wreq {
	struct spdk_sock_request req;
	struct iovec iov[2];
	uint8_t *buf;
	int *counter;
	int *failures;
};

static int g_server_writes_done, g_server_writes_issued, g_server_write_failures;
static int g_client_writes_done, g_client_write_failures;
static int g_accepted, g_server_closed;
static int g_client_order_ok = 1, g_client_next = 0;
static uint8_t *g_received;
static size_t g_received_len;
static struct spdk_sock *g_server_socks[4];

static void
wreq_done(void *arg, int err)
{
	struct wreq *w = arg;

	(*w->counter)++;
	if (err != 0) {
		(*w->failures)++;
	}
	free(w->buf);
	free(w);
}

/* Client requests carry their index: they must complete in submission order. */
static void
client_write_done(void *arg, int err)
{
	struct wreq *w = arg;
	int idx = (int)(uintptr_t)w->buf;

	if (idx != g_client_next) {
		g_client_order_ok = 0;
	}
	g_client_next++;
	g_client_writes_done++;
	if (err != 0) {
		g_client_write_failures++;
	}
	free(w);
}

static void
echo_readable(void *arg, struct spdk_sock_group *group, struct spdk_sock *sock)
{
	uint8_t tmp[8192];
	ssize_t n;
	struct wreq *w;
	int slot = (int)(uintptr_t)arg;

	n = spdk_sock_recv(sock, tmp, sizeof(tmp));
	if (n > 0) {
		/* Echo back, split over two iovecs. */
		w = calloc(1, sizeof(*w));
		w->buf = malloc((size_t)n);
		memcpy(w->buf, tmp, (size_t)n);
		w->counter = &g_server_writes_done;
		w->failures = &g_server_write_failures;
		w->req.cb_fn = wreq_done;
		w->req.cb_arg = w;
		w->req.iovcnt = 2;
		SPDK_SOCK_REQUEST_IOV(&w->req, 0)->iov_base = w->buf;
		SPDK_SOCK_REQUEST_IOV(&w->req, 0)->iov_len = (size_t)n / 2;
		SPDK_SOCK_REQUEST_IOV(&w->req, 1)->iov_base = w->buf + n / 2;
		SPDK_SOCK_REQUEST_IOV(&w->req, 1)->iov_len = (size_t)n - (size_t)n / 2;
		g_server_writes_issued++;
		spdk_sock_writev_async(sock, &w->req);
	} else if (n == 0) {
		/* The peer closed: leave the group, then close. */
		CHECK_EQ_I(spdk_sock_group_remove_sock(group, sock), 0);
		CHECK_EQ_I(spdk_sock_close(&sock), 0);
		CHECK(sock == NULL);
		g_server_socks[slot] = NULL;
		g_server_closed++;
	} else {
		CHECK(n == -EAGAIN && errno == EAGAIN);
	}
}

static void
listener_readable(void *arg, struct spdk_sock_group *group, struct spdk_sock *lsock)
{
	struct spdk_sock *s;

	(void)arg;
	while ((s = spdk_sock_accept(lsock)) != NULL) {
		if (!CHECK(g_accepted < 4)) {
			spdk_sock_close(&s);
			continue;
		}
		g_server_socks[g_accepted] = s;
		CHECK_EQ_I(spdk_sock_group_add_sock(group, s, echo_readable, (void *)(uintptr_t)g_accepted), 0);
		g_accepted++;
	}
	CHECK_EQ_I(errno, EAGAIN);
}

static void
client_readable(void *arg, struct spdk_sock_group *group, struct spdk_sock *sock)
{
	ssize_t n;

	(void)arg;
	(void)group;
	if (g_received_len >= TOTAL) {
		return;
	}
	n = spdk_sock_recv(sock, g_received + g_received_len, TOTAL - g_received_len);
	if (n > 0) {
		g_received_len += (size_t)n;
	}
}

static int
pattern_byte(size_t i)
{
	return (int)((i * 131 + (i >> 9)) & 0xff);
}

static int
append_json(void *ctx, const void *data, size_t size)
{
	char *buf = ctx;
	size_t have = strlen(buf);

	if (have + size >= 4096) {
		return -1;
	}
	memcpy(buf + have, data, size);
	buf[have + size] = 0;
	return 0;
}

static struct spdk_sock *
listen_somewhere(int *port)
{
	struct spdk_sock *l;
	int p, i;

	for (i = 0; i < 200; i++) {
		p = 20000 + (int)((getpid() * 7 + i * 101) % 40000);
		l = spdk_sock_listen("127.0.0.1", p, NULL);
		if (l != NULL) {
			*port = p;
			return l;
		}
	}
	return NULL;
}

static void
test_echo(void)
{
	struct spdk_sock_group *group;
	struct spdk_sock *l, *c;
	struct wreq *w;
	uint8_t *sent;
	char saddr[64], caddr[64];
	uint16_t sport = 0, cport = 0;
	int port = 0, i, ctx_marker = 0;
	long it;

	l = listen_somewhere(&port);
	if (!CHECK(l != NULL)) {
		return;
	}
	CHECK_STREQ(spdk_sock_get_impl_name(l), "posix");
	group = spdk_sock_group_create(&ctx_marker);
	CHECK(group != NULL);
	CHECK(spdk_sock_group_get_ctx(group) == &ctx_marker);
	CHECK_EQ_I(spdk_sock_group_add_sock(group, l, listener_readable, NULL), 0);
	/* Nothing happens on an idle group. */
	CHECK_EQ_I(spdk_sock_group_poll(group), 0);

	c = spdk_sock_connect("127.0.0.1", port, "posix");
	if (!CHECK(c != NULL)) {
		return;
	}
	CHECK(spdk_sock_is_ipv4(c));
	CHECK(!spdk_sock_is_ipv6(c));
	CHECK(spdk_sock_is_connected(c));
	CHECK_EQ_I(spdk_sock_getaddr(c, saddr, sizeof(saddr), &sport, caddr, sizeof(caddr), &cport), 0);
	CHECK_STREQ(saddr, "127.0.0.1");
	CHECK_STREQ(caddr, "127.0.0.1");
	CHECK_EQ_I(cport, port);
	CHECK(sport != 0 && sport != port);
	/* Too small a buffer for the address. */
	CHECK_EQ_I(spdk_sock_getaddr(c, saddr, 4, NULL, caddr, sizeof(caddr), NULL), -ENOSPC);
	CHECK_EQ_I(spdk_sock_set_recvbuf(c, 1 << 20), 0);
	CHECK_EQ_I(spdk_sock_set_sendbuf(c, 1 << 20), 0);
	CHECK_EQ_I(spdk_sock_set_recvlowat(c, 1), 0);
	CHECK_STREQ(spdk_sock_get_interface_name(c), "lo");
	CHECK_EQ_I(spdk_sock_get_numa_id(c), -1);
	{
		struct spdk_sock_group *best = group;

		/* No placement ids: no group is better than another. */
		CHECK_EQ_I(spdk_sock_get_optimal_sock_group(c, &best, group), 0);
		CHECK(best == NULL);
		CHECK_EQ_I(spdk_sock_get_optimal_sock_group(NULL, &best, NULL), -EINVAL);
	}
	CHECK_EQ_I(spdk_sock_group_add_sock(group, c, client_readable, NULL), 0);
	/* A socket belongs to one group at a time. */
	CHECK_EQ_I(spdk_sock_group_add_sock(group, c, client_readable, NULL), -EINVAL);

	for (it = 0; it < SPIN && g_accepted < 1; it++) {
		spdk_sock_group_poll(group);
	}
	CHECK_EQ_I(g_accepted, 1);

	sent = malloc(TOTAL);
	g_received = calloc(1, TOTAL);
	for (i = 0; i < TOTAL; i++) {
		sent[i] = (uint8_t)pattern_byte((size_t)i);
	}
	for (i = 0; i < MSGS; i++) {
		w = calloc(1, sizeof(*w));
		w->buf = (uint8_t *)(uintptr_t)i;
		w->req.cb_fn = client_write_done;
		w->req.cb_arg = w;
		w->req.iovcnt = 2;
		w->iov[0].iov_base = sent + (size_t)i * MSG_LEN;
		w->iov[0].iov_len = 100;
		w->iov[1].iov_base = sent + (size_t)i * MSG_LEN + 100;
		w->iov[1].iov_len = MSG_LEN - 100;
		spdk_sock_writev_async(c, &w->req);
	}

	for (it = 0; it < SPIN && (g_received_len < TOTAL || g_client_writes_done < MSGS ||
				   g_server_writes_done == 0); it++) {
		CHECK(spdk_sock_group_poll(group) >= 0);
	}
	CHECK_EQ_U(g_received_len, TOTAL);
	CHECK(memcmp(sent, g_received, TOTAL) == 0);
	CHECK_EQ_I(g_client_writes_done, MSGS);
	CHECK_EQ_I(g_client_write_failures, 0);
	CHECK(g_client_order_ok);
	/* Every echo request the server queued completes without error. */
	for (it = 0; it < SPIN && g_server_writes_done < g_server_writes_issued; it++) {
		spdk_sock_group_poll(group);
	}
	CHECK(g_server_writes_issued > 0);
	CHECK_EQ_I(g_server_writes_done, g_server_writes_issued);
	CHECK_EQ_I(g_server_write_failures, 0);

	/* Misuse: close while in the group, close the group while not empty. */
	CHECK_EQ_I(spdk_sock_close(&c), -EBUSY);
	CHECK(c != NULL);
	CHECK_EQ_I(spdk_sock_group_close(&group), -EBUSY);

	/* The client leaves: the server sees recv() == 0 and closes its side. */
	CHECK_EQ_I(spdk_sock_group_remove_sock(group, c), 0);
	CHECK_EQ_I(spdk_sock_group_remove_sock(group, c), -EINVAL);
	CHECK_EQ_I(spdk_sock_close(&c), 0);
	CHECK(c == NULL);
	for (it = 0; it < SPIN && g_server_closed < 1; it++) {
		spdk_sock_group_poll(group);
	}
	CHECK_EQ_I(g_server_closed, 1);

	CHECK_EQ_I(spdk_sock_group_remove_sock(group, l), 0);
	CHECK_EQ_I(spdk_sock_close(&l), 0);
	CHECK_EQ_I(spdk_sock_group_close(&group), 0);
	CHECK(group == NULL);
	free(sent);
	free(g_received);
}

static int g_cancelled;

static void
cancel_done(void *arg, int err)
{
	(void)arg;
	if (err == -ECANCELED) {
		g_cancelled++;
	}
}

static void
test_close_cancels_and_readv(void)
{
	struct spdk_sock *l, *c, *s = NULL;
	struct {
		struct spdk_sock_request req;
		struct iovec iov[1];
	} r[3];
	char msg[] = "hello, scattered world";
	char a[5], b[8], d[32];
	struct iovec iov[3] = {{a, sizeof(a)}, {b, sizeof(b)}, {d, sizeof(d)}};
	ssize_t n = -EAGAIN;
	int port = 0, i;
	long it;

	l = listen_somewhere(&port);
	if (!CHECK(l != NULL)) {
		return;
	}
	c = spdk_sock_connect("127.0.0.1", port, NULL);
	CHECK(c != NULL);
	for (it = 0; it < SPIN && s == NULL; it++) {
		s = spdk_sock_accept(l);
	}
	if (!CHECK(s != NULL)) {
		return;
	}
	/* No pending connection: NULL with errno EAGAIN. */
	CHECK(spdk_sock_accept(l) == NULL && errno == EAGAIN);

	/* readv scatters into three buffers. */
	iov[0].iov_base = msg;
	iov[0].iov_len = sizeof(msg);
	CHECK_EQ_I(spdk_sock_writev(c, iov, 1), (int)sizeof(msg));
	iov[0].iov_base = a;
	iov[0].iov_len = sizeof(a);
	for (it = 0; it < SPIN && n == -EAGAIN; it++) {
		n = spdk_sock_readv(s, iov, 3);
	}
	CHECK_EQ_I(n, (int)sizeof(msg));
	CHECK(memcmp(a, "hello", 5) == 0);
	CHECK(memcmp(b, ", scatte", 8) == 0);
	CHECK_STREQ(d, "red world");
	CHECK_EQ_I(spdk_sock_recv(s, d, sizeof(d)), -EAGAIN);
	CHECK_EQ_I(errno, EAGAIN);

	/* Requests never flushed complete with -ECANCELED when the socket closes. */
	for (i = 0; i < 3; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		r[i].req.cb_fn = cancel_done;
		r[i].req.iovcnt = 1;
		r[i].iov[0].iov_base = msg;
		r[i].iov[0].iov_len = sizeof(msg);
		spdk_sock_writev_async(c, &r[i].req);
	}
	CHECK_EQ_I(g_cancelled, 0);
	/* A synchronous write would overtake the queued ones: refused for now. */
	CHECK_EQ_I(spdk_sock_writev(c, r[0].iov, 1), -EAGAIN);
	CHECK_EQ_I(spdk_sock_close(&c), 0);
	CHECK_EQ_I(g_cancelled, 3);
	CHECK_EQ_I(spdk_sock_close(&c), -EBADF);

	/* The peer is gone: recv eventually returns 0. */
	n = -EAGAIN;
	for (it = 0; it < SPIN && n == -EAGAIN; it++) {
		n = spdk_sock_recv(s, d, sizeof(d));
	}
	CHECK_EQ_I(n, 0);
	CHECK(!spdk_sock_is_connected(s));
	CHECK_EQ_I(spdk_sock_close(&s), 0);
	CHECK_EQ_I(spdk_sock_close(&l), 0);
}

static void
ignore_readable(void *arg, struct spdk_sock_group *group, struct spdk_sock *sock)
{
	(void)arg;
	(void)group;
	(void)sock;
}

static void
test_recv_next(void)
{
	struct spdk_sock *l, *c, *s = NULL;
	struct spdk_sock_group *group;
	struct iovec iov = {(void *)"abc", 3};
	char pool_buf[64];
	void *buf = NULL, *ctx = NULL;
	int port = 0, rc = -EAGAIN;
	long it;

	l = listen_somewhere(&port);
	if (!CHECK(l != NULL)) {
		return;
	}
	c = spdk_sock_connect("127.0.0.1", port, NULL);
	for (it = 0; it < SPIN && s == NULL; it++) {
		s = spdk_sock_accept(l);
	}
	if (!CHECK(c != NULL && s != NULL)) {
		return;
	}
	group = spdk_sock_group_create(NULL);
	CHECK_EQ_I(spdk_sock_recv_next(s, &buf, &ctx), -EINVAL);
	CHECK_EQ_I(spdk_sock_group_add_sock(group, s, ignore_readable, NULL), 0);
	CHECK_EQ_I(spdk_sock_recv_next(s, &buf, &ctx), -ENOBUFS);
	CHECK_EQ_I(spdk_sock_group_provide_buf(group, pool_buf, sizeof(pool_buf), &port), 0);
	CHECK_EQ_I(spdk_sock_writev(c, &iov, 1), 3);
	for (it = 0; it < SPIN && rc == -EAGAIN; it++) {
		rc = spdk_sock_recv_next(s, &buf, &ctx);
	}
	CHECK_EQ_I(rc, 3);
	CHECK(buf == pool_buf && ctx == &port);
	CHECK(memcmp(pool_buf, "abc", 3) == 0);
	CHECK_EQ_I(spdk_sock_recv_next(s, &buf, &ctx), -ENOBUFS);
	CHECK_EQ_I(spdk_sock_group_remove_sock(group, s), 0);
	CHECK_EQ_I(spdk_sock_group_close(&group), 0);
	CHECK_EQ_I(spdk_sock_close(&s), 0);
	CHECK_EQ_I(spdk_sock_close(&c), 0);
	CHECK_EQ_I(spdk_sock_close(&l), 0);
}

static void
test_opts_and_errors(void)
{
	struct spdk_sock_opts opts;
	struct spdk_sock_impl_opts io, io2;
	struct spdk_sock *l, *c;
	size_t len;
	int port = 0;

	/* Default opts fill only what opts_size covers. */
	memset(&opts, 0xaa, sizeof(opts));
	opts.opts_size = offsetof(struct spdk_sock_opts, zcopy);
	spdk_sock_get_default_opts(&opts);
	CHECK_EQ_I(opts.priority, 0);
	CHECK_EQ_U(*(uint8_t *)&opts.zcopy, 0xaa);
	opts.opts_size = sizeof(opts);
	spdk_sock_get_default_opts(&opts);
	CHECK(opts.zcopy);
	CHECK(opts.impl_opts == NULL && opts.src_addr == NULL);
	CHECK_EQ_U(opts.connect_timeout, 0);

	/* Implementation options. */
	len = sizeof(io);
	CHECK_EQ_I(spdk_sock_impl_get_opts("posix", &io, &len), 0);
	CHECK_EQ_U(len, sizeof(io));
	CHECK_EQ_U(io.recv_buf_size, 2 * 1024 * 1024);
	CHECK_EQ_U(io.send_buf_size, 2 * 1024 * 1024);
	CHECK(io.enable_recv_pipe);
	CHECK(io.enable_zerocopy_send_server);
	CHECK(!io.enable_zerocopy_send_client);
	CHECK_EQ_U(io.enable_placement_id, PLACEMENT_NONE);
	len = 8;
	memset(&io2, 0, sizeof(io2));
	CHECK_EQ_I(spdk_sock_impl_get_opts("posix", &io2, &len), 0);
	CHECK_EQ_U(len, 8);
	CHECK_EQ_U(io2.recv_buf_size, io.recv_buf_size);
	CHECK(!io2.enable_recv_pipe);
	len = sizeof(io);
	CHECK_EQ_I(spdk_sock_impl_get_opts("uring", &io2, &len), -EINVAL);
	CHECK_EQ_I(errno, EINVAL);
	io2 = io;
	io2.zerocopy_threshold = 4096;
	CHECK_EQ_I(spdk_sock_impl_set_opts("posix", &io2, sizeof(io2)), 0);
	len = sizeof(io2);
	memset(&io2, 0, sizeof(io2));
	CHECK_EQ_I(spdk_sock_impl_get_opts("posix", &io2, &len), 0);
	CHECK_EQ_U(io2.zerocopy_threshold, 4096);
	CHECK_EQ_I(spdk_sock_impl_set_opts("posix", &io, sizeof(io)), 0);
	CHECK_EQ_I(spdk_sock_impl_set_opts("nope", &io, sizeof(io)), -EINVAL);
	io2 = io;
	io2.enable_ktls = true;
	CHECK_EQ_I(spdk_sock_impl_set_opts("posix", &io2, sizeof(io2)), -ENOTSUP);
	CHECK_EQ_I(spdk_sock_set_default_impl("posix"), 0);
	CHECK_EQ_I(spdk_sock_set_default_impl("ssl"), -EINVAL);
	CHECK_STREQ(spdk_sock_get_default_impl(), "posix");
	{
		static char json[4096];
		struct spdk_json_write_ctx *w = spdk_json_write_begin(append_json, json, 0);

		spdk_sock_write_config_json(w);
		CHECK_EQ_I(spdk_json_write_end(w), 0);
		CHECK(strstr(json, "\"method\":\"sock_impl_set_options\"") != NULL);
		CHECK(strstr(json, "\"recv_buf_size\":2097152") != NULL);
		CHECK(strstr(json, "\"impl_name\":\"posix\"") != NULL);
		CHECK(json[0] == '[');
	}

	/* Bad addresses, ports and implementations. */
	errno = 0;
	CHECK(spdk_sock_listen("127.0.0.1", -1, NULL) == NULL);
	CHECK_EQ_I(errno, EINVAL);
	CHECK(spdk_sock_listen("127.0.0.1", 70000, NULL) == NULL);
	CHECK(spdk_sock_connect("256.1.2.3", 4420, NULL) == NULL);
	CHECK_EQ_I(errno, EINVAL);
	CHECK(spdk_sock_connect("localhost.invalid", 4420, NULL) == NULL);
	CHECK(spdk_sock_connect(NULL, 4420, NULL) == NULL);
	CHECK(spdk_sock_listen("127.0.0.1", 0, "uring") == NULL);
	CHECK_EQ_I(errno, EINVAL);

	/* A port with no listener: refused. The same port twice: in use. */
	l = listen_somewhere(&port);
	if (!CHECK(l != NULL)) {
		return;
	}
	CHECK(spdk_sock_listen("127.0.0.1", port, NULL) == NULL);
	CHECK_EQ_I(errno, EADDRINUSE);
	CHECK_EQ_I(spdk_sock_close(&l), 0);
	errno = 0;
	CHECK(spdk_sock_connect("127.0.0.1", port, NULL) == NULL);
	CHECK_EQ_I(errno, ECONNREFUSED);

	/* Connect with options: a source port of our choosing. */
	l = listen_somewhere(&port);
	if (!CHECK(l != NULL)) {
		return;
	}
	opts.opts_size = sizeof(opts);
	spdk_sock_get_default_opts(&opts);
	opts.src_addr = "127.0.0.1";
	opts.src_port = (uint16_t)(port + 1);
	opts.connect_timeout = 5000;
	c = spdk_sock_connect_ext("127.0.0.1", port, NULL, &opts);
	if (c != NULL) {
		char saddr[64], caddr[64];
		uint16_t sport = 0;

		CHECK_EQ_I(spdk_sock_getaddr(c, saddr, sizeof(saddr), &sport, caddr, sizeof(caddr), NULL), 0);
		CHECK_EQ_I(sport, port + 1);
		CHECK_EQ_I(spdk_sock_close(&c), 0);
	} else {
		/* Only acceptable if that source port was taken by someone else. */
		CHECK_EQ_I(errno, EADDRINUSE);
	}
	CHECK_EQ_I(spdk_sock_close(&l), 0);
	CHECK(spdk_sock_accept(NULL) == NULL);
	CHECK_EQ_I(spdk_sock_group_poll_count(NULL, 1), -EINVAL);
}

int
main(void)
{
	test_opts_and_errors();
	test_close_cancels_and_readv();
	test_recv_next();
	test_echo();
	return CHECK_DONE("sock");
}
