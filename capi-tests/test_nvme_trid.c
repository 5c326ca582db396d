/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   NVMe transport IDs and other device-free parts of spdk/nvme.h.
 */
#include "spdk/stdinc.h"
#include "spdk/nvme.h"
#include "check.h"

int
main(void)
{
	struct spdk_nvme_transport_id a, b;
	enum spdk_nvme_transport_type t;
	enum spdk_nvmf_adrfam f;
	struct spdk_nvme_ctrlr_opts opts;
	struct spdk_nvme_cpl cpl;

	memset(&a, 0, sizeof(a));
	CHECK(spdk_nvme_transport_id_parse(&a, "trtype:PCIe traddr:0000:04:00.0") == 0);
	CHECK(a.trtype == SPDK_NVME_TRANSPORT_PCIE);
	CHECK_STREQ(a.trstring, "PCIE");
	CHECK_STREQ(a.traddr, "0000:04:00.0");
	memset(&b, 0, sizeof(b));
	CHECK(spdk_nvme_transport_id_parse(&b, "trtype=pcie traddr=04:00.0") == 0);
	CHECK(spdk_nvme_transport_id_compare(&a, &b) == 0);
	CHECK(spdk_nvme_transport_id_parse(&b, "traddr:0000:05:00.0") == 0);
	CHECK(spdk_nvme_transport_id_compare(&a, &b) < 0);
	CHECK(spdk_nvme_transport_id_compare(&b, &a) > 0);

	memset(&b, 0, sizeof(b));
	CHECK(spdk_nvme_transport_id_parse(&b, "trtype:TCP adrfam:IPv4 traddr:127.0.0.1 trsvcid:4420 "
					   "subnqn:nqn.2016-06.io.spdk:cnode1") == 0);
	CHECK(b.trtype == SPDK_NVME_TRANSPORT_TCP && b.adrfam == SPDK_NVMF_ADRFAM_IPV4);
	CHECK_STREQ(b.trsvcid, "4420");
	CHECK_STREQ(b.subnqn, "nqn.2016-06.io.spdk:cnode1");
	CHECK(spdk_nvme_transport_id_compare(&a, &b) != 0);

	/* Bad input: an error, the struct still usable. */
	CHECK(spdk_nvme_transport_id_parse(&a, "trtype:PCIe bogus:1") == -EINVAL);
	CHECK(spdk_nvme_transport_id_parse(&a, "traddr") == -EINVAL);
	CHECK(spdk_nvme_transport_id_parse(&a, "adrfam:IPv5") == -EINVAL);
	CHECK(spdk_nvme_transport_id_parse(NULL, "trtype:PCIe") == -EINVAL);
	CHECK(spdk_nvme_transport_id_parse(&a, NULL) == -EINVAL);

	CHECK(spdk_nvme_transport_id_parse_trtype(&t, "rdma") == 0 && t == SPDK_NVME_TRANSPORT_RDMA);
	CHECK(spdk_nvme_transport_id_parse_trtype(&t, "something") == 0 && t == SPDK_NVME_TRANSPORT_CUSTOM);
	CHECK(spdk_nvme_transport_id_parse_adrfam(&f, "ipv6") == 0 && f == SPDK_NVMF_ADRFAM_IPV6);
	CHECK(spdk_nvme_transport_id_parse_adrfam(&f, "nope") != 0);
	CHECK_STREQ(spdk_nvme_transport_id_trtype_str(SPDK_NVME_TRANSPORT_PCIE), "PCIe");
	CHECK_STREQ(spdk_nvme_transport_id_trtype_str(SPDK_NVME_TRANSPORT_TCP), "TCP");
	CHECK_STREQ(spdk_nvme_transport_id_adrfam_str(SPDK_NVMF_ADRFAM_IPV4), "IPv4");
	CHECK(spdk_nvme_transport_id_trtype_str((enum spdk_nvme_transport_type)12345) == NULL);

	memset(&a, 0, sizeof(a));
	spdk_nvme_trid_populate_transport(&a, SPDK_NVME_TRANSPORT_TCP);
	CHECK(a.trtype == SPDK_NVME_TRANSPORT_TCP);
	CHECK_STREQ(a.trstring, "TCP");
	CHECK(spdk_nvme_transport_id_populate_trstring(&a, "rdma") == 0);
	CHECK_STREQ(a.trstring, "RDMA");

	/* Options: defaults within opts_size only. */
	memset(&opts, 0xaa, sizeof(opts));
	spdk_nvme_ctrlr_get_default_ctrlr_opts(&opts, sizeof(opts));
	CHECK(opts.opts_size == sizeof(opts));
	CHECK(opts.num_io_queues >= 1 && opts.io_queue_size >= 2 && opts.admin_queue_size >= 2);
	CHECK(strncmp(opts.hostnqn, "nqn.2014-08.org.nvmexpress:uuid:", 32) == 0);
	memset(&opts, 0xaa, sizeof(opts));
	spdk_nvme_ctrlr_get_default_ctrlr_opts(&opts, offsetof(struct spdk_nvme_ctrlr_opts, io_queue_size));
	CHECK(opts.num_io_queues >= 1);
	CHECK(opts.io_queue_size == 0xaaaaaaaa);

	/* Status strings. */
	memset(&cpl, 0, sizeof(cpl));
	cpl.status.sct = SPDK_NVME_SCT_GENERIC;
	cpl.status.sc = SPDK_NVME_SC_LBA_OUT_OF_RANGE;
	CHECK_STREQ(spdk_nvme_cpl_get_status_string(&cpl.status), "LBA OUT OF RANGE");
	cpl.status.sct = SPDK_NVME_SCT_MEDIA_ERROR;
	cpl.status.sc = SPDK_NVME_SC_COMPARE_FAILURE;
	CHECK_STREQ(spdk_nvme_cpl_get_status_string(&cpl.status), "COMPARE FAILURE");
	CHECK(spdk_nvme_cpl_is_error(&cpl));

	/* TCP to a port nobody listens on: the connection is refused, no controller. */
	snprintf(b.trsvcid, sizeof(b.trsvcid), "1");
	CHECK(spdk_nvme_connect(&b, NULL, 0) == NULL);
	return CHECK_DONE("nvme_trid");
}
