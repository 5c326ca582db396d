/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   The NVMe/TCP host transport through the C API, against the Linux
 *   kernel's nvmet-tcp target in the VM guest (scripts/vm/nvme-tcp-host-tests.sh
 *   sets it up and passes RSPDK_TCP_NQNS, RSPDK_TCP_SERIALS, RSPDK_TCP_CONFIGFS):
 *   spdk_nvme_probe through the discovery service, spdk_nvme_connect with
 *   digests, write/read and writev/readv, admin and I/O passthru, reset, the
 *   subsystem leaving its port (-ENXIO from polling, a failing reset),
 *   spdk_nvme_ctrlr_set_trid to the second listener and a reset that fails
 *   over.
 */
#include "spdk/stdinc.h"
#include "spdk/env.h"
#include "spdk/nvme.h"
#include "../check.h"

#define DISCOVERY "nqn.2014-08.org.nvmexpress.discovery"

static char g_nqn[2][256];
static char g_serial[2][32];
static int g_probed[2];
static struct spdk_nvme_ctrlr *g_attached[2];

static int
nqn_index(const char *nqn)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (strcmp(nqn, g_nqn[i]) == 0) {
			return i;
		}
	}
	return -1;
}

static bool
probe_cb(void *ctx, const struct spdk_nvme_transport_id *trid, struct spdk_nvme_ctrlr_opts *opts)
{
	int i = nqn_index(trid->subnqn);

	(void)ctx;
	(void)opts;
	CHECK(trid->trtype == SPDK_NVME_TRANSPORT_TCP);
	CHECK_STREQ(trid->traddr, "127.0.0.1");
	CHECK_STREQ(trid->trsvcid, "4420");
	if (i >= 0) {
		g_probed[i]++;
	}
	return i >= 0;
}

static void
attach_cb(void *ctx, const struct spdk_nvme_transport_id *trid, struct spdk_nvme_ctrlr *ctrlr,
	  const struct spdk_nvme_ctrlr_opts *opts)
{
	int i = nqn_index(trid->subnqn);

	(void)ctx;
	(void)opts;
	if (CHECK(i >= 0)) {
		g_attached[i] = ctrlr;
	}
}

/* Three unequal segments over one buffer, walked by the SGL callbacks
 * (which get the command's callback argument, a struct io). */
struct sgl {
	struct iovec iov[3];
	int at;
	size_t off;
};

struct io {
	bool done;
	bool error;
	struct sgl s;
};

static void
io_done(void *arg, const struct spdk_nvme_cpl *cpl)
{
	struct io *io = arg;

	io->error = spdk_nvme_cpl_is_error(cpl);
	io->done = true;
}

static bool
wait_io(struct spdk_nvme_qpair *qp, struct io *io)
{
	uint64_t end = spdk_get_ticks() + 30 * spdk_get_ticks_hz();

	while (!io->done && spdk_get_ticks() < end) {
		spdk_nvme_qpair_process_completions(qp, 0);
	}
	return io->done && !io->error;
}

static void
sgl_reset(void *arg, uint32_t offset)
{
	struct sgl *s = &((struct io *)arg)->s;

	s->at = 0;
	while (s->at < 3 && offset >= s->iov[s->at].iov_len) {
		offset -= s->iov[s->at].iov_len;
		s->at++;
	}
	s->off = offset;
}

static int
sgl_next(void *arg, void **addr, uint32_t *len)
{
	struct sgl *s = &((struct io *)arg)->s;

	if (s->at >= 3) {
		return -1;
	}
	*addr = (char *)s->iov[s->at].iov_base + s->off;
	*len = (uint32_t)(s->iov[s->at].iov_len - s->off);
	s->at++;
	s->off = 0;
	return 0;
}

static void
fill(char *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		p[i] = (char)((i * 31 + seed * 7 + (i >> 9)) & 0xff);
	}
}

/* Writes then reads back `len` bytes at `lba`, contiguous (sgl false) or scattered. */
static bool
write_read(struct spdk_nvme_ns *ns, struct spdk_nvme_qpair *qp, uint64_t lba, size_t len, unsigned seed, bool sgl)
{
	uint32_t ss = spdk_nvme_ns_get_sector_size(ns);
	char *w = spdk_zmalloc(len, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	char *r = spdk_zmalloc(len, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	struct io io = {0};
	struct sgl *s = &io.s;
	bool ok = false;
	int rc;

	if (w == NULL || r == NULL) {
		goto out;
	}
	fill(w, len, seed);
	if (sgl) {
		s->iov[0] = (struct iovec){w, 100};
		s->iov[1] = (struct iovec){w + 100, len / 2};
		s->iov[2] = (struct iovec){w + 100 + len / 2, len - 100 - len / 2};
		rc = spdk_nvme_ns_cmd_writev(ns, qp, lba, (uint32_t)(len / ss), io_done, &io, 0, sgl_reset, sgl_next);
	} else {
		rc = spdk_nvme_ns_cmd_write(ns, qp, w, lba, (uint32_t)(len / ss), io_done, &io, 0);
	}
	if (!CHECK_EQ_I(rc, 0) || !CHECK(wait_io(qp, &io))) {
		goto out;
	}
	io.done = false;
	if (sgl) {
		s->iov[0] = (struct iovec){r, len - 4096};
		s->iov[1] = (struct iovec){r + len - 4096, 1000};
		s->iov[2] = (struct iovec){r + len - 3096, 3096};
		rc = spdk_nvme_ns_cmd_readv(ns, qp, lba, (uint32_t)(len / ss), io_done, &io, 0, sgl_reset, sgl_next);
	} else {
		rc = spdk_nvme_ns_cmd_read(ns, qp, r, lba, (uint32_t)(len / ss), io_done, &io, 0);
	}
	if (!CHECK_EQ_I(rc, 0) || !CHECK(wait_io(qp, &io))) {
		goto out;
	}
	ok = CHECK(memcmp(w, r, len) == 0);
out:
	spdk_free(w);
	spdk_free(r);
	return ok;
}

static void
admin_done(void *arg, const struct spdk_nvme_cpl *cpl)
{
	io_done(arg, cpl);
}

/* Passthru: the SMART log page over the admin queue, a raw write and read on the I/O queue. */
static void
passthru(struct spdk_nvme_ctrlr *c, struct spdk_nvme_qpair *qp, struct spdk_nvme_ns *ns)
{
	uint32_t ss = spdk_nvme_ns_get_sector_size(ns);
	struct spdk_nvme_health_information_page *health;
	struct spdk_nvme_cmd cmd;
	struct io io = {0};
	uint64_t end = spdk_get_ticks() + 30 * spdk_get_ticks_hz();
	char *w = spdk_zmalloc(8192, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	char *r = spdk_zmalloc(8192, 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);

	health = spdk_zmalloc(sizeof(*health), 4096, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
	if (!CHECK(w != NULL && r != NULL && health != NULL)) {
		return;
	}
	CHECK_EQ_I(spdk_nvme_ctrlr_cmd_get_log_page(c, SPDK_NVME_LOG_HEALTH_INFORMATION, SPDK_NVME_GLOBAL_NS_TAG, health,
			sizeof(*health), 0, admin_done, &io), 0);
	while (!io.done && spdk_get_ticks() < end) {
		spdk_nvme_ctrlr_process_admin_completions(c);
	}
	CHECK(io.done && !io.error);

	fill(w, 8192, 9);
	memset(&cmd, 0, sizeof(cmd));
	cmd.opc = SPDK_NVME_OPC_WRITE;
	cmd.nsid = 1;
	cmd.cdw10 = (3 << 20) / ss;
	cmd.cdw12 = 8192 / ss - 1;
	memset(&io, 0, sizeof(io));
	CHECK_EQ_I(spdk_nvme_ctrlr_cmd_io_raw(c, qp, &cmd, w, 8192, io_done, &io), 0);
	CHECK(wait_io(qp, &io));
	cmd.opc = SPDK_NVME_OPC_READ;
	memset(&io, 0, sizeof(io));
	CHECK_EQ_I(spdk_nvme_ctrlr_cmd_io_raw(c, qp, &cmd, r, 8192, io_done, &io), 0);
	CHECK(wait_io(qp, &io));
	CHECK(memcmp(w, r, 8192) == 0);
	spdk_free(w);
	spdk_free(r);
	spdk_free(health);
}

static void
tcp_trid(struct spdk_nvme_transport_id *t, const char *port, const char *nqn)
{
	char s[512];

	memset(t, 0, sizeof(*t));
	snprintf(s, sizeof(s), "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:%s subnqn:%s", port, nqn);
	CHECK_EQ_I(spdk_nvme_transport_id_parse(t, s), 0);
}

int
main(void)
{
	struct spdk_env_opts eopts;
	struct spdk_nvme_transport_id trid;
	struct spdk_nvme_ctrlr_opts opts;
	struct spdk_nvme_ctrlr *c;
	struct spdk_nvme_qpair *qp;
	struct spdk_nvme_ns *ns;
	const char *nqns = getenv("RSPDK_TCP_NQNS"), *serials = getenv("RSPDK_TCP_SERIALS");
	const char *cfs = getenv("RSPDK_TCP_CONFIGFS");
	char link[1024], target[1024];
	uint64_t end;
	int i, rc = 0;

	if (nqns == NULL || serials == NULL || cfs == NULL ||
	    sscanf(nqns, "%255s %255s", g_nqn[0], g_nqn[1]) != 2 ||
	    sscanf(serials, "%31s %31s", g_serial[0], g_serial[1]) != 2) {
		fprintf(stderr, "test_nvme_tcp: RSPDK_TCP_NQNS/SERIALS/CONFIGFS not set (run by nvme-tcp-host-tests.sh)\n");
		return 1;
	}
	eopts.opts_size = sizeof(eopts);
	spdk_env_opts_init(&eopts);
	eopts.name = "test_nvme_tcp";
	CHECK(spdk_env_init(&eopts) == 0);

	/* Probe through the discovery service: both subsystems, once each. */
	tcp_trid(&trid, "4420", DISCOVERY);
	CHECK_EQ_I(spdk_nvme_probe(&trid, NULL, probe_cb, attach_cb, NULL), 0);
	for (i = 0; i < 2; i++) {
		CHECK_EQ_I(g_probed[i], 1);
		if (CHECK(g_attached[i] != NULL)) {
			const struct spdk_nvme_ctrlr_data *cd = spdk_nvme_ctrlr_get_data(g_attached[i]);
			char sn[21] = {0};

			memcpy(sn, cd->sn, 20);
			for (int k = 19; k >= 0 && sn[k] == ' '; k--) {
				sn[k] = 0;
			}
			CHECK_STREQ(sn, g_serial[i]);
			CHECK_STREQ(spdk_nvme_ctrlr_get_transport_id(g_attached[i])->subnqn, g_nqn[i]);
			CHECK_EQ_I(spdk_nvme_detach(g_attached[i]), 0);
		}
	}

	/* Connect directly with both digests. */
	spdk_nvme_ctrlr_get_default_ctrlr_opts(&opts, sizeof(opts));
	opts.header_digest = true;
	opts.data_digest = true;
	tcp_trid(&trid, "4420", g_nqn[0]);
	c = spdk_nvme_connect(&trid, &opts, sizeof(opts));
	if (!CHECK(c != NULL)) {
		return CHECK_DONE("test_nvme_tcp");
	}
	CHECK(spdk_nvme_ctrlr_get_transport_id(c)->trtype == SPDK_NVME_TRANSPORT_TCP);
	CHECK(spdk_nvme_ctrlr_get_regs_csts(c).bits.rdy == 1);
	/* A second connect to the same subsystem is refused while attached. */
	CHECK(spdk_nvme_connect(&trid, &opts, sizeof(opts)) == NULL);
	ns = spdk_nvme_ctrlr_get_ns(c, 1);
	qp = spdk_nvme_ctrlr_alloc_io_qpair(c, NULL, 0);
	if (!CHECK(ns != NULL && qp != NULL)) {
		return CHECK_DONE("test_nvme_tcp");
	}
	CHECK(write_read(ns, qp, 0, 4096, 1, false));
	CHECK(write_read(ns, qp, 64, 256 * 1024, 2, false));
	CHECK(write_read(ns, qp, 1024, 128 * 1024, 3, true));
	passthru(c, qp, ns);

	/* Reset while idle: the queue pair works afterwards. */
	CHECK_EQ_I(spdk_nvme_ctrlr_reset(c), 0);
	CHECK(write_read(ns, qp, 2048, 64 * 1024, 4, true));

	/* The subsystem leaves port 1: polling reports -ENXIO and a reset fails. */
	snprintf(link, sizeof(link), "%s/ports/1/subsystems/%s", cfs, g_nqn[0]);
	snprintf(target, sizeof(target), "%s/subsystems/%s", cfs, g_nqn[0]);
	CHECK_EQ_I(unlink(link), 0);
	end = spdk_get_ticks() + 20 * spdk_get_ticks_hz();
	do {
		rc = spdk_nvme_qpair_process_completions(qp, 0);
	} while (rc != -ENXIO && spdk_get_ticks() < end);
	CHECK_EQ_I(rc, -ENXIO);
	CHECK(spdk_nvme_ctrlr_reset(c) != 0);
	CHECK(spdk_nvme_ctrlr_is_failed(c));

	/* Failover to the listener on port 4421. */
	tcp_trid(&trid, "4421", g_nqn[0]);
	CHECK_EQ_I(spdk_nvme_ctrlr_set_trid(c, &trid), 0);
	CHECK_EQ_I(spdk_nvme_ctrlr_reset(c), 0);
	CHECK_STREQ(spdk_nvme_ctrlr_get_transport_id(c)->trsvcid, "4421");
	CHECK(write_read(ns, qp, 4096, 32 * 1024, 5, false));
	CHECK_EQ_I(symlink(target, link), 0);

	CHECK_EQ_I(spdk_nvme_ctrlr_free_io_qpair(qp), 0);
	CHECK_EQ_I(spdk_nvme_detach(c), 0);
	return CHECK_DONE("test_nvme_tcp");
}
