/*   SPDX-License-Identifier: BSD-3-Clause
 *   Copyright (C) 2026 the rspdk authors.
 *
 *   C API test of the NVMe over Fabrics and NVMe/TCP layouts (spdk/nvmf_spec.h).
 *
 *   Sizes and offsets are plain numbers from the NVMe over Fabrics and
 *   NVMe/TCP transport specifications, never computed from rspdk.h. The
 *   runtime part checks constant values and that the bit-fields land where
 *   the specifications put them (little-endian host assumed, as SPDK does).
 */
#include "rspdk.h"

#include "check.h"

#define ASSERT_SIZE(type, n) _Static_assert(sizeof(type) == (n), "sizeof(" #type ")")
#define ASSERT_OFF(type, member, n) \
	_Static_assert(offsetof(type, member) == (n), "offsetof(" #type ", " #member ")")

/* Fabrics commands and responses. */
ASSERT_SIZE(struct spdk_nvmf_capsule_cmd, 64);
ASSERT_OFF(struct spdk_nvmf_capsule_cmd, fctype, 4);
ASSERT_OFF(struct spdk_nvmf_capsule_cmd, fabric_specific, 40);
ASSERT_SIZE(struct spdk_nvmf_fabric_auth_send_cmd, 64);
ASSERT_OFF(struct spdk_nvmf_fabric_auth_send_cmd, sgl1, 24);
ASSERT_OFF(struct spdk_nvmf_fabric_auth_send_cmd, tl, 44);
ASSERT_SIZE(struct spdk_nvmf_fabric_auth_recv_cmd, 64);
ASSERT_OFF(struct spdk_nvmf_fabric_auth_recv_cmd, al, 44);
ASSERT_SIZE(struct spdk_nvmf_fabric_connect_cmd, 64);
ASSERT_OFF(struct spdk_nvmf_fabric_connect_cmd, cid, 2);
ASSERT_OFF(struct spdk_nvmf_fabric_connect_cmd, fctype, 4);
ASSERT_OFF(struct spdk_nvmf_fabric_connect_cmd, sgl1, 24);
ASSERT_OFF(struct spdk_nvmf_fabric_connect_cmd, recfmt, 40);
ASSERT_OFF(struct spdk_nvmf_fabric_connect_cmd, qid, 42);
ASSERT_OFF(struct spdk_nvmf_fabric_connect_cmd, sqsize, 44);
ASSERT_OFF(struct spdk_nvmf_fabric_connect_cmd, cattr, 46);
ASSERT_OFF(struct spdk_nvmf_fabric_connect_cmd, kato, 48);
ASSERT_SIZE(struct spdk_nvmf_fabric_connect_data, 1024);
ASSERT_OFF(struct spdk_nvmf_fabric_connect_data, cntlid, 16);
ASSERT_OFF(struct spdk_nvmf_fabric_connect_data, subnqn, 256);
ASSERT_OFF(struct spdk_nvmf_fabric_connect_data, hostnqn, 512);
ASSERT_SIZE(struct spdk_nvmf_fabric_connect_rsp, 16);
ASSERT_OFF(struct spdk_nvmf_fabric_connect_rsp, sqhd, 8);
ASSERT_OFF(struct spdk_nvmf_fabric_connect_rsp, cid, 12);
ASSERT_OFF(struct spdk_nvmf_fabric_connect_rsp, status, 14);
ASSERT_SIZE(struct spdk_nvmf_fabric_prop_get_cmd, 64);
ASSERT_OFF(struct spdk_nvmf_fabric_prop_get_cmd, attrib, 40);
ASSERT_OFF(struct spdk_nvmf_fabric_prop_get_cmd, ofst, 44);
ASSERT_SIZE(struct spdk_nvmf_fabric_prop_get_rsp, 16);
ASSERT_OFF(struct spdk_nvmf_fabric_prop_get_rsp, sqhd, 8);
ASSERT_OFF(struct spdk_nvmf_fabric_prop_get_rsp, status, 14);
ASSERT_SIZE(struct spdk_nvmf_fabric_prop_set_cmd, 64);
ASSERT_OFF(struct spdk_nvmf_fabric_prop_set_cmd, attrib, 40);
ASSERT_OFF(struct spdk_nvmf_fabric_prop_set_cmd, ofst, 44);
ASSERT_OFF(struct spdk_nvmf_fabric_prop_set_cmd, value, 48);

/* Discovery log page. */
ASSERT_SIZE(union spdk_nvmf_transport_specific_address_subtype, 256);
ASSERT_SIZE(struct spdk_nvmf_rdma_transport_specific_address_subtype, 256);
ASSERT_SIZE(struct spdk_nvme_tcp_transport_specific_address_subtype, 256);
ASSERT_SIZE(struct spdk_nvmf_discovery_log_page_entry, 1024);
ASSERT_OFF(struct spdk_nvmf_discovery_log_page_entry, treq, 3);
ASSERT_OFF(struct spdk_nvmf_discovery_log_page_entry, portid, 4);
ASSERT_OFF(struct spdk_nvmf_discovery_log_page_entry, cntlid, 6);
ASSERT_OFF(struct spdk_nvmf_discovery_log_page_entry, asqsz, 8);
ASSERT_OFF(struct spdk_nvmf_discovery_log_page_entry, eflags, 10);
ASSERT_OFF(struct spdk_nvmf_discovery_log_page_entry, trsvcid, 32);
ASSERT_OFF(struct spdk_nvmf_discovery_log_page_entry, subnqn, 256);
ASSERT_OFF(struct spdk_nvmf_discovery_log_page_entry, traddr, 512);
ASSERT_OFF(struct spdk_nvmf_discovery_log_page_entry, tsas, 768);
ASSERT_SIZE(struct spdk_nvmf_discovery_log_page, 1024);
ASSERT_OFF(struct spdk_nvmf_discovery_log_page, numrec, 8);
ASSERT_OFF(struct spdk_nvmf_discovery_log_page, recfmt, 16);
ASSERT_OFF(struct spdk_nvmf_discovery_log_page, entries, 1024);

/* NVMe/TCP PDUs. */
ASSERT_SIZE(struct spdk_nvme_tcp_common_pdu_hdr, 8);
ASSERT_OFF(struct spdk_nvme_tcp_common_pdu_hdr, flags, 1);
ASSERT_OFF(struct spdk_nvme_tcp_common_pdu_hdr, hlen, 2);
ASSERT_OFF(struct spdk_nvme_tcp_common_pdu_hdr, pdo, 3);
ASSERT_OFF(struct spdk_nvme_tcp_common_pdu_hdr, plen, 4);
ASSERT_SIZE(struct spdk_nvme_tcp_ic_req, 128);
ASSERT_OFF(struct spdk_nvme_tcp_ic_req, pfv, 8);
ASSERT_OFF(struct spdk_nvme_tcp_ic_req, hpda, 10);
ASSERT_OFF(struct spdk_nvme_tcp_ic_req, dgst, 11);
ASSERT_OFF(struct spdk_nvme_tcp_ic_req, maxr2t, 12);
ASSERT_SIZE(struct spdk_nvme_tcp_ic_resp, 128);
ASSERT_OFF(struct spdk_nvme_tcp_ic_resp, cpda, 10);
ASSERT_OFF(struct spdk_nvme_tcp_ic_resp, dgst, 11);
ASSERT_OFF(struct spdk_nvme_tcp_ic_resp, maxh2cdata, 12);
ASSERT_SIZE(struct spdk_nvme_tcp_term_req_hdr, 24);
ASSERT_OFF(struct spdk_nvme_tcp_term_req_hdr, fes, 8);
ASSERT_OFF(struct spdk_nvme_tcp_term_req_hdr, fei, 10);
ASSERT_SIZE(struct spdk_nvme_tcp_cmd, 72);
ASSERT_OFF(struct spdk_nvme_tcp_cmd, ccsqe, 8);
ASSERT_SIZE(struct spdk_nvme_tcp_rsp, 24);
ASSERT_OFF(struct spdk_nvme_tcp_rsp, rccqe, 8);
ASSERT_SIZE(struct spdk_nvme_tcp_h2c_data_hdr, 24);
ASSERT_OFF(struct spdk_nvme_tcp_h2c_data_hdr, cccid, 8);
ASSERT_OFF(struct spdk_nvme_tcp_h2c_data_hdr, ttag, 10);
ASSERT_OFF(struct spdk_nvme_tcp_h2c_data_hdr, datao, 12);
ASSERT_OFF(struct spdk_nvme_tcp_h2c_data_hdr, datal, 16);
ASSERT_SIZE(struct spdk_nvme_tcp_c2h_data_hdr, 24);
ASSERT_OFF(struct spdk_nvme_tcp_c2h_data_hdr, cccid, 8);
ASSERT_OFF(struct spdk_nvme_tcp_c2h_data_hdr, datao, 12);
ASSERT_OFF(struct spdk_nvme_tcp_c2h_data_hdr, datal, 16);
ASSERT_SIZE(struct spdk_nvme_tcp_r2t_hdr, 24);
ASSERT_OFF(struct spdk_nvme_tcp_r2t_hdr, cccid, 8);
ASSERT_OFF(struct spdk_nvme_tcp_r2t_hdr, ttag, 10);
ASSERT_OFF(struct spdk_nvme_tcp_r2t_hdr, r2to, 12);
ASSERT_OFF(struct spdk_nvme_tcp_r2t_hdr, r2tl, 16);

static void
test_values(void)
{
	CHECK_EQ_U(SPDK_NVME_OPC_FABRIC, 0x7f);
	CHECK_EQ_U(SPDK_NVMF_FABRIC_COMMAND_PROPERTY_SET, 0x00);
	CHECK_EQ_U(SPDK_NVMF_FABRIC_COMMAND_CONNECT, 0x01);
	CHECK_EQ_U(SPDK_NVMF_FABRIC_COMMAND_PROPERTY_GET, 0x04);
	CHECK_EQ_U(SPDK_NVMF_FABRIC_COMMAND_AUTHENTICATION_SEND, 0x05);
	CHECK_EQ_U(SPDK_NVMF_FABRIC_COMMAND_AUTHENTICATION_RECV, 0x06);
	CHECK_EQ_U(SPDK_NVMF_FABRIC_SC_INVALID_HOST, 0x84);
	CHECK_EQ_U(SPDK_NVMF_TRTYPE_TCP, 3);
	CHECK_EQ_U(SPDK_NVMF_TRTYPE_TCP, SPDK_NVME_TRANSPORT_TCP);
	CHECK_EQ_U(SPDK_NVMF_ADRFAM_IPV4, 1);
	CHECK_EQ_U(SPDK_NVMF_SUBTYPE_DISCOVERY, 1);
	CHECK_EQ_U(SPDK_NVMF_SUBTYPE_NVME, 2);
	CHECK_EQ_U(SPDK_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED, 2);
	CHECK_EQ_U(SPDK_NVME_TCP_PDU_TYPE_IC_REQ, 0);
	CHECK_EQ_U(SPDK_NVME_TCP_PDU_TYPE_C2H_TERM_REQ, 3);
	CHECK_EQ_U(SPDK_NVME_TCP_PDU_TYPE_C2H_DATA, 7);
	CHECK_EQ_U(SPDK_NVME_TCP_PDU_TYPE_R2T, 9);
	CHECK_EQ_U(SPDK_NVME_TCP_CH_FLAGS_HDGSTF, 1);
	CHECK_EQ_U(SPDK_NVME_TCP_CH_FLAGS_DDGSTF, 2);
	CHECK_EQ_U(SPDK_NVME_TCP_H2C_DATA_FLAGS_LAST_PDU, 4);
	CHECK_EQ_U(SPDK_NVME_TCP_C2H_DATA_FLAGS_SUCCESS, 8);
	CHECK_EQ_U(SPDK_NVME_TCP_DIGEST_LEN, 4);
	CHECK_EQ_U(SPDK_NVME_TCP_PDU_PDO_MAX_OFFSET, 128);
	CHECK_EQ_U(SPDK_NVME_TCP_TERM_REQ_PDU_MAX_SIZE, 152);
	CHECK_EQ_U(SPDK_NVME_TCP_TERM_REQ_FES_HDGST_ERROR, 3);
	CHECK_EQ_U(SPDK_NVME_TCP_TERM_REQ_FES_INVALID_DATA_UNSUPPORTED_PARAMETER, 6);
	CHECK_STREQ(SPDK_NVMF_DISCOVERY_NQN, "nqn.2014-08.org.nvmexpress.discovery");
}

static void
test_bitfields(void)
{
	struct spdk_nvme_tcp_ic_req req;
	struct spdk_nvmf_discovery_log_page_entry e;
	struct spdk_nvmf_fabric_prop_get_cmd pg;
	const uint8_t *b;

	memset(&req, 0, sizeof(req));
	req.dgst.bits.ddgst_enable = 1;
	CHECK_EQ_U(req.dgst.raw, 2);
	req.dgst.bits.hdgst_enable = 1;
	CHECK_EQ_U(req.dgst.raw, 3);

	memset(&e, 0, sizeof(e));
	e.treq.secure_channel = SPDK_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED;
	b = (const uint8_t *)&e;
	CHECK_EQ_U(b[3], 2);

	memset(&pg, 0, sizeof(pg));
	pg.attrib.size = SPDK_NVMF_PROP_SIZE_8;
	pg.ofst = 0x1c;
	b = (const uint8_t *)&pg;
	CHECK_EQ_U(b[40], 1);
	CHECK_EQ_U(b[44], 0x1c);
}

int
main(void)
{
	test_values();
	test_bitfields();
	return CHECK_DONE("nvmf_spec");
}
