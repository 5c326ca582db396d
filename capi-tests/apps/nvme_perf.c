/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   nvme_perf: an I/O load generator for NVMe namespaces with the main
 *   options and the output of SPDK's spdk_nvme_perf, written against the SPDK
 *   API only (spdk/nvme.h, spdk/env.h).
 *
 *   -q depth  -o bytes  -w read|write|randread|randwrite|rw|randrw  -M read%
 *   -t seconds  -c core mask  -r 'transport id' (repeatable; default: every
 *   PCIe controller)  -n I/Os per namespace and core (stop after that many,
 *   for instruction counting)
 */
#include "spdk/stdinc.h"
#include "spdk/env.h"
#include "spdk/nvme.h"

#define MAX_NS 16
#define MAX_WORKERS 64

struct ns_entry {
	struct spdk_nvme_ctrlr *ctrlr;
	struct spdk_nvme_ns *ns;
	char name[300];
};

struct ns_worker {
	struct ns_entry *entry;
	struct spdk_nvme_qpair *qpair;
	uint64_t io_completed;
	uint64_t io_errors;
	uint64_t total_tsc;
	uint64_t min_tsc;
	uint64_t max_tsc;
	uint64_t offset_in_ios;
	uint64_t size_in_ios;
	uint64_t io_submitted;
	bool draining;
	int current_queue_depth;
	unsigned int seed;
};

struct task {
	struct ns_worker *nw;
	void *buf;
	uint64_t submit_tsc;
};

struct worker {
	uint32_t core;
	pthread_t thread;
	struct ns_worker ns[MAX_NS];
	int num_ns;
};

static struct ns_entry g_ns[MAX_NS];
static int g_num_ns;
static struct spdk_nvme_ctrlr *g_ctrlrs[MAX_NS];
static int g_num_ctrlrs;
static struct worker g_workers[MAX_WORKERS];
static int g_num_workers;
static int g_queue_depth = 1;
static uint32_t g_io_size = 4096;
static int g_rw_percent = -1;
static bool g_random;
static int g_time_s = 1;
static uint64_t g_ios_limit;
static const char *g_core_mask = "0x1";
static struct spdk_nvme_transport_id g_trids[MAX_NS];
static int g_num_trids;
static volatile bool g_stop;

static void
usage(const char *prog)
{
	printf("usage: %s -q depth -o io_size -w workload [-M read%%] [-t sec] [-c core_mask] [-r trid]... [-n ios]\n",
	       prog);
	printf("  workload: read, write, randread, randwrite, rw, randrw (rw/randrw need -M)\n");
}

static int
parse_args(int argc, char **argv)
{
	const char *workload = NULL;
	int op;

	while ((op = getopt(argc, argv, "q:o:w:M:t:c:r:n:h")) != -1) {
		switch (op) {
		case 'q':
			g_queue_depth = atoi(optarg);
			break;
		case 'o':
			g_io_size = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'w':
			workload = optarg;
			break;
		case 'M':
			g_rw_percent = atoi(optarg);
			break;
		case 't':
			g_time_s = atoi(optarg);
			break;
		case 'c':
			g_core_mask = optarg;
			break;
		case 'r':
			if (g_num_trids == MAX_NS) {
				fprintf(stderr, "too many -r\n");
				return -1;
			}
			memset(&g_trids[g_num_trids], 0, sizeof(g_trids[0]));
			spdk_nvme_trid_populate_transport(&g_trids[g_num_trids], SPDK_NVME_TRANSPORT_PCIE);
			if (spdk_nvme_transport_id_parse(&g_trids[g_num_trids], optarg) != 0) {
				fprintf(stderr, "invalid transport ID '%s'\n", optarg);
				return -1;
			}
			g_num_trids++;
			break;
		case 'n':
			g_ios_limit = strtoull(optarg, NULL, 0);
			break;
		default:
			usage(argv[0]);
			return 1;
		}
	}
	if (workload == NULL || g_queue_depth < 1 || g_io_size == 0 || g_time_s < 1) {
		usage(argv[0]);
		return -1;
	}
	if (strcmp(workload, "read") == 0 || strcmp(workload, "randread") == 0) {
		g_rw_percent = 100;
	} else if (strcmp(workload, "write") == 0 || strcmp(workload, "randwrite") == 0) {
		g_rw_percent = 0;
	} else if (strcmp(workload, "rw") != 0 && strcmp(workload, "randrw") != 0) {
		fprintf(stderr, "unknown workload '%s'\n", workload);
		return -1;
	} else if (g_rw_percent < 0 || g_rw_percent > 100) {
		fprintf(stderr, "-M 0..100 is required with %s\n", workload);
		return -1;
	}
	g_random = strncmp(workload, "rand", 4) == 0;
	return 0;
}

static bool
probe_cb(void *ctx, const struct spdk_nvme_transport_id *trid, struct spdk_nvme_ctrlr_opts *opts)
{
	(void)ctx;
	(void)trid;
	opts->io_queue_size = (uint32_t)g_queue_depth + 1 > opts->io_queue_size ? (uint32_t)g_queue_depth + 1 : opts->io_queue_size;
	return true;
}

static void
attach_cb(void *ctx, const struct spdk_nvme_transport_id *trid, struct spdk_nvme_ctrlr *ctrlr,
	  const struct spdk_nvme_ctrlr_opts *opts)
{
	uint32_t nsid;

	(void)ctx;
	(void)opts;
	if (g_num_ctrlrs == MAX_NS) {
		return;
	}
	g_ctrlrs[g_num_ctrlrs++] = ctrlr;
	for (nsid = spdk_nvme_ctrlr_get_first_active_ns(ctrlr); nsid != 0 && g_num_ns < MAX_NS;
	     nsid = spdk_nvme_ctrlr_get_next_active_ns(ctrlr, nsid)) {
		struct spdk_nvme_ns *ns = spdk_nvme_ctrlr_get_ns(ctrlr, nsid);

		if (g_io_size % spdk_nvme_ns_get_sector_size(ns) != 0 ||
		    spdk_nvme_ns_get_size(ns) < g_io_size * (uint64_t)g_queue_depth) {
			printf("skipping %s NSID %u: I/O size %u does not fit its %u-byte blocks\n", trid->traddr, nsid,
			       g_io_size, spdk_nvme_ns_get_sector_size(ns));
			continue;
		}
		g_ns[g_num_ns].ctrlr = ctrlr;
		g_ns[g_num_ns].ns = ns;
		snprintf(g_ns[g_num_ns].name, sizeof(g_ns[0].name), "%s (%s) NSID %u",
			 spdk_nvme_transport_id_trtype_str(trid->trtype), trid->traddr, nsid);
		g_num_ns++;
	}
}

static void submit_one(struct ns_worker *nw, struct task *t);

static void
io_done(void *arg, const struct spdk_nvme_cpl *cpl)
{
	struct task *t = arg;
	struct ns_worker *nw = t->nw;
	uint64_t tsc = spdk_get_ticks() - t->submit_tsc;

	nw->current_queue_depth--;
	nw->io_completed++;
	if (spdk_nvme_cpl_is_error(cpl)) {
		nw->io_errors++;
	}
	nw->total_tsc += tsc;
	if (tsc < nw->min_tsc) {
		nw->min_tsc = tsc;
	}
	if (tsc > nw->max_tsc) {
		nw->max_tsc = tsc;
	}
	if (!nw->draining) {
		submit_one(nw, t);
	} else {
		spdk_free(t->buf);
		free(t);
	}
}

static void
submit_one(struct ns_worker *nw, struct task *t)
{
	struct spdk_nvme_ns *ns = nw->entry->ns;
	uint32_t blocks = g_io_size / spdk_nvme_ns_get_sector_size(ns);
	uint64_t slot;
	bool is_read;
	int rc;

	if (g_ios_limit && nw->io_submitted >= g_ios_limit) {
		nw->draining = true;
		spdk_free(t->buf);
		free(t);
		return;
	}
	if (g_random) {
		slot = (uint64_t)rand_r(&nw->seed) % nw->size_in_ios;
	} else {
		slot = nw->offset_in_ios++;
		if (nw->offset_in_ios == nw->size_in_ios) {
			nw->offset_in_ios = 0;
		}
	}
	is_read = g_rw_percent == 100 || (g_rw_percent != 0 && rand_r(&nw->seed) % 100 < g_rw_percent);
	t->submit_tsc = spdk_get_ticks();
	if (is_read) {
		rc = spdk_nvme_ns_cmd_read(ns, nw->qpair, t->buf, slot * blocks, blocks, io_done, t, 0);
	} else {
		rc = spdk_nvme_ns_cmd_write(ns, nw->qpair, t->buf, slot * blocks, blocks, io_done, t, 0);
	}
	if (rc != 0) {
		fprintf(stderr, "submission failed: %s\n", spdk_strerror(-rc));
		nw->io_errors++;
		nw->draining = true;
		spdk_free(t->buf);
		free(t);
		return;
	}
	nw->io_submitted++;
	nw->current_queue_depth++;
}

static void *
work(void *arg)
{
	struct worker *w = arg;
	cpu_set_t set;
	uint64_t end;
	int i, k;
	bool busy;

	CPU_ZERO(&set);
	CPU_SET(w->core, &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	for (i = 0; i < w->num_ns; i++) {
		struct ns_worker *nw = &w->ns[i];

		nw->qpair = spdk_nvme_ctrlr_alloc_io_qpair(nw->entry->ctrlr, NULL, 0);
		if (nw->qpair == NULL) {
			fprintf(stderr, "cannot allocate a queue pair for %s\n", nw->entry->name);
			nw->io_errors++;
			continue;
		}
		for (k = 0; k < g_queue_depth; k++) {
			struct task *t = calloc(1, sizeof(*t));

			t->nw = nw;
			t->buf = spdk_zmalloc(g_io_size, 0x1000, NULL, SPDK_ENV_NUMA_ID_ANY, SPDK_MALLOC_DMA);
			submit_one(nw, t);
		}
	}
	end = spdk_get_ticks() + (uint64_t)g_time_s * spdk_get_ticks_hz();
	do {
		busy = false;
		for (i = 0; i < w->num_ns; i++) {
			if (w->ns[i].qpair != NULL) {
				spdk_nvme_qpair_process_completions(w->ns[i].qpair, 0);
				busy |= w->ns[i].current_queue_depth > 0;
			}
		}
		if (!g_ios_limit && spdk_get_ticks() > end) {
			for (i = 0; i < w->num_ns; i++) {
				w->ns[i].draining = true;
			}
		}
	} while (busy);
	for (i = 0; i < w->num_ns; i++) {
		if (w->ns[i].qpair != NULL) {
			spdk_nvme_ctrlr_free_io_qpair(w->ns[i].qpair);
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct spdk_env_opts opts;
	double tot_iops = 0, tot_mibs = 0, tot_lat = 0, tot_min = 1e30, tot_max = 0;
	uint64_t tot_ios = 0, hz, errors = 0;
	uint32_t core;
	int i, w, rc;

	rc = parse_args(argc, argv);
	if (rc != 0) {
		return rc > 0 ? 0 : 1;
	}
	opts.opts_size = sizeof(opts);
	spdk_env_opts_init(&opts);
	opts.name = "nvme_perf";
	opts.core_mask = g_core_mask;
	if (spdk_env_init(&opts) != 0) {
		fprintf(stderr, "spdk_env_init failed\n");
		return 1;
	}
	if (g_num_trids == 0) {
		rc = spdk_nvme_probe(NULL, NULL, probe_cb, attach_cb, NULL);
	} else {
		for (i = 0; i < g_num_trids && rc == 0; i++) {
			rc = spdk_nvme_probe(&g_trids[i], NULL, probe_cb, attach_cb, NULL);
		}
	}
	if (rc != 0 || g_num_ns == 0) {
		fprintf(stderr, "no namespaces to run on\n");
		return 1;
	}
	SPDK_ENV_FOREACH_CORE(core) {
		struct worker *wk = &g_workers[g_num_workers++];

		wk->core = core;
		for (i = 0; i < g_num_ns; i++) {
			struct ns_worker *nw = &wk->ns[wk->num_ns++];

			nw->entry = &g_ns[i];
			nw->size_in_ios = spdk_nvme_ns_get_size(g_ns[i].ns) / g_io_size;
			nw->min_tsc = UINT64_MAX;
			nw->seed = core * 7919 + (unsigned)i;
		}
		if (g_num_workers == MAX_WORKERS) {
			break;
		}
	}
	printf("Initialization complete. Launching workers.\n");
	for (w = 0; w < g_num_workers; w++) {
		pthread_create(&g_workers[w].thread, NULL, work, &g_workers[w]);
	}
	for (w = 0; w < g_num_workers; w++) {
		pthread_join(g_workers[w].thread, NULL);
	}
	hz = spdk_get_ticks_hz();
	printf("========================================================\n");
	printf("%*s\n", 103, "Latency(us)");
	printf("%-55s: %10s %10s %10s %10s %10s\n", "Device Information", "IOPS", "MiB/s", "Average", "min", "max");
	for (w = 0; w < g_num_workers; w++) {
		for (i = 0; i < g_workers[w].num_ns; i++) {
			struct ns_worker *nw = &g_workers[w].ns[i];
			double secs = g_ios_limit ? (double)nw->total_tsc / hz / g_queue_depth : g_time_s;
			double iops = secs > 0 ? nw->io_completed / secs : 0;
			double avg = nw->io_completed ? (double)nw->total_tsc * 1e6 / hz / nw->io_completed : 0;
			double mn = nw->io_completed ? (double)nw->min_tsc * 1e6 / hz : 0;
			double mx = (double)nw->max_tsc * 1e6 / hz;
			char label[400];

			snprintf(label, sizeof(label), "%s from core %2u", nw->entry->name, g_workers[w].core);
			printf("%-55.55s: %10.2f %10.2f %10.2f %10.2f %10.2f\n", label, iops, iops * g_io_size / 1048576.0, avg, mn,
			       mx);
			tot_iops += iops;
			tot_mibs += iops * g_io_size / 1048576.0;
			tot_lat += avg * nw->io_completed;
			tot_ios += nw->io_completed;
			errors += nw->io_errors;
			if (nw->io_completed && mn < tot_min) {
				tot_min = mn;
			}
			if (mx > tot_max) {
				tot_max = mx;
			}
		}
	}
	printf("========================================================\n");
	printf("%-55s: %10.2f %10.2f %10.2f %10.2f %10.2f\n", "Total", tot_iops, tot_mibs, tot_ios ? tot_lat / tot_ios : 0,
	       tot_ios ? tot_min : 0, tot_max);
	if (errors) {
		printf("%" PRIu64 " I/O errors\n", errors);
	}
	for (i = 0; i < g_num_ctrlrs; i++) {
		spdk_nvme_detach(g_ctrlrs[i]);
	}
	spdk_env_fini();
	return errors ? 1 : 0;
}
