/*
 * NVMe over Fabrics and NVMe/TCP wire layouts (SPDK's spdk/nvmf_spec.h).
 * Written from the NVMe over Fabrics and NVMe/TCP transport specifications;
 * the Rust twins live in src/nvmf/spec.rs and are checked against the same
 * sizes. `enum spdk_nvmf_adrfam` and the NQN/TRADDR length macros are
 * emitted elsewhere in this header.
 */

#define SPDK_NVME_OPC_FABRIC 0x7f

enum spdk_nvmf_fabric_cmd_types {
	SPDK_NVMF_FABRIC_COMMAND_PROPERTY_SET = 0x00,
	SPDK_NVMF_FABRIC_COMMAND_CONNECT = 0x01,
	SPDK_NVMF_FABRIC_COMMAND_PROPERTY_GET = 0x04,
	SPDK_NVMF_FABRIC_COMMAND_AUTHENTICATION_SEND = 0x05,
	SPDK_NVMF_FABRIC_COMMAND_AUTHENTICATION_RECV = 0x06,
	SPDK_NVMF_FABRIC_COMMAND_DISCONNECT = 0x08,
	SPDK_NVMF_FABRIC_COMMAND_START_VENDOR_SPECIFIC = 0xC0,
};

enum spdk_nvmf_fabric_cmd_status_code {
	SPDK_NVMF_FABRIC_SC_INCOMPATIBLE_FORMAT = 0x80,
	SPDK_NVMF_FABRIC_SC_CONTROLLER_BUSY = 0x81,
	SPDK_NVMF_FABRIC_SC_INVALID_PARAM = 0x82,
	SPDK_NVMF_FABRIC_SC_RESTART_DISCOVERY = 0x83,
	SPDK_NVMF_FABRIC_SC_INVALID_HOST = 0x84,
	SPDK_NVMF_FABRIC_SC_INVALID_QUEUE_TYPE = 0x85,
	SPDK_NVMF_FABRIC_SC_LOG_RESTART_DISCOVERY = 0x90,
	SPDK_NVMF_FABRIC_SC_AUTH_REQUIRED = 0x91,
};

/* Transport types (TRTYPE of the discovery log and of transport IDs). */
enum spdk_nvmf_trtype {
	SPDK_NVMF_TRTYPE_RDMA = 0x1,
	SPDK_NVMF_TRTYPE_FC = 0x2,
	SPDK_NVMF_TRTYPE_TCP = 0x3,
	SPDK_NVMF_TRTYPE_INTRA_HOST = 0xfe,
};

/* Subsystem types. */
enum spdk_nvmf_subtype {
	SPDK_NVMF_SUBTYPE_DISCOVERY = 0x1,
	SPDK_NVMF_SUBTYPE_NVME = 0x2,
	SPDK_NVMF_SUBTYPE_DISCOVERY_CURRENT = 0x3,
};

/* TREQ secure channel requirement. */
enum spdk_nvmf_treq_secure_channel {
	SPDK_NVMF_TREQ_SECURE_CHANNEL_NOT_SPECIFIED = 0x0,
	SPDK_NVMF_TREQ_SECURE_CHANNEL_REQUIRED = 0x1,
	SPDK_NVMF_TREQ_SECURE_CHANNEL_NOT_REQUIRED = 0x2,
};

enum spdk_nvme_tcp_secure_socket_type {
	SPDK_NVME_TCP_SECURITY_NONE = 0,
	SPDK_NVME_TCP_SECURITY_TLS_1_2 = 1,
	SPDK_NVME_TCP_SECURITY_TLS_1_3 = 2,
};

#define SPDK_NVMF_NQN_UUID_PRE_LEN 32
#define SPDK_NVMF_UUID_STRING_LEN 36
#define SPDK_NVMF_NQN_UUID_PRE "nqn.2014-08.org.nvmexpress:uuid:"
#define SPDK_NVMF_DISCOVERY_NQN "nqn.2014-08.org.nvmexpress.discovery"
#define SPDK_DOMAIN_LABEL_MAX_LEN 63
#define SPDK_NVMF_MIN_ADMIN_MAX_SQ_SIZE 32
#define SPDK_NVMF_PROP_SIZE_4 0
#define SPDK_NVMF_PROP_SIZE_8 1

#pragma pack(push, 1)

/* Generic fabrics command capsule (64 bytes). */
struct spdk_nvmf_capsule_cmd {
	uint8_t opcode;
	uint8_t reserved1;
	uint16_t cid;
	uint8_t fctype;
	uint8_t reserved2[35];
	uint8_t fabric_specific[24];
};

struct spdk_nvmf_fabric_auth_send_cmd {
	uint8_t opcode;
	uint8_t reserved1;
	uint16_t cid;
	uint8_t fctype;
	uint8_t reserved2[19];
	struct spdk_nvme_sgl_descriptor sgl1;
	uint8_t reserved3;
	uint8_t spsp0;
	uint8_t spsp1;
	uint8_t secp;
	uint32_t tl;
	uint8_t reserved4[16];
};

struct spdk_nvmf_fabric_auth_recv_cmd {
	uint8_t opcode;
	uint8_t reserved1;
	uint16_t cid;
	uint8_t fctype;
	uint8_t reserved2[19];
	struct spdk_nvme_sgl_descriptor sgl1;
	uint8_t reserved3;
	uint8_t spsp0;
	uint8_t spsp1;
	uint8_t secp;
	uint32_t al;
	uint8_t reserved4[16];
};

/* Connect command data (1024 bytes). */
struct spdk_nvmf_fabric_connect_data {
	uint8_t hostid[16];
	uint16_t cntlid;
	uint8_t reserved5[238];
	uint8_t subnqn[SPDK_NVME_NQN_FIELD_SIZE];
	uint8_t hostnqn[SPDK_NVME_NQN_FIELD_SIZE];
	uint8_t reserved6[256];
};

struct spdk_nvmf_fabric_connect_cmd {
	uint8_t opcode;
	uint8_t reserved1;
	uint16_t cid;
	uint8_t fctype;
	uint8_t reserved2[19];
	struct spdk_nvme_sgl_descriptor sgl1;
	uint16_t recfmt;
	uint16_t qid;
	uint16_t sqsize;
	uint8_t cattr;
	uint8_t reserved3;
	uint32_t kato;
	uint8_t reserved4[12];
};

struct spdk_nvmf_fabric_connect_rsp {
	union {
		struct {
			uint16_t cntlid;
			uint16_t authreq;
		} success;
		struct {
			uint16_t ipo;
			uint8_t iattr;
			uint8_t reserved;
		} invalid;
		uint32_t raw;
	} status_code_specific;
	uint32_t reserved0;
	uint16_t sqhd;
	uint16_t reserved1;
	uint16_t cid;
	struct spdk_nvme_status status;
};

struct spdk_nvmf_fabric_prop_get_cmd {
	uint8_t opcode;
	uint8_t reserved1;
	uint16_t cid;
	uint8_t fctype;
	uint8_t reserved2[35];
	struct {
		uint8_t size : 3;
		uint8_t reserved : 5;
	} attrib;
	uint8_t reserved3[3];
	uint32_t ofst;
	uint8_t reserved4[16];
};

struct spdk_nvmf_fabric_prop_get_rsp {
	union {
		uint64_t u64;
		struct {
			uint32_t low;
			uint32_t high;
		} u32;
	} value;
	uint16_t sqhd;
	uint16_t reserved0;
	uint16_t cid;
	struct spdk_nvme_status status;
};

struct spdk_nvmf_fabric_prop_set_cmd {
	uint8_t opcode;
	uint8_t reserved0;
	uint16_t cid;
	uint8_t fctype;
	uint8_t reserved1[35];
	struct {
		uint8_t size : 3;
		uint8_t reserved : 5;
	} attrib;
	uint8_t reserved2[3];
	uint32_t ofst;
	union {
		uint64_t u64;
		struct {
			uint32_t low;
			uint32_t high;
		} u32;
	} value;
	uint8_t reserved4[8];
};

struct spdk_nvmf_rdma_transport_specific_address_subtype {
	uint8_t rdma_qptype;
	uint8_t rdma_prtype;
	uint8_t rdma_cms;
	uint8_t reserved0[5];
	uint16_t rdma_pkey;
	uint8_t reserved2[246];
};

struct spdk_nvme_tcp_transport_specific_address_subtype {
	uint8_t sectype;
	uint8_t reserved0[255];
};

union spdk_nvmf_transport_specific_address_subtype {
	uint8_t raw[256];
	struct spdk_nvmf_rdma_transport_specific_address_subtype rdma;
	struct spdk_nvme_tcp_transport_specific_address_subtype tcp;
};

/* One discovery log page record (1024 bytes). */
struct spdk_nvmf_discovery_log_page_entry {
	uint8_t trtype;
	uint8_t adrfam;
	uint8_t subtype;
	struct {
		uint8_t secure_channel : 2;
		uint8_t reserved : 6;
	} treq;
	uint16_t portid;
	uint16_t cntlid;
	uint16_t asqsz;
	uint16_t eflags;
	uint8_t reserved0[20];
	uint8_t trsvcid[32]; /* SPDK_NVMF_TRSVCID_MAX_LEN */
	uint8_t reserved1[192];
	uint8_t subnqn[256];
	uint8_t traddr[256]; /* SPDK_NVMF_TRADDR_MAX_LEN */
	union spdk_nvmf_transport_specific_address_subtype tsas;
};

/* Discovery log page header (1024 bytes), followed by numrec entries. */
struct spdk_nvmf_discovery_log_page {
	uint64_t genctr;
	uint64_t numrec;
	uint16_t recfmt;
	uint8_t reserved0[1006];
#ifndef __cplusplus
	struct spdk_nvmf_discovery_log_page_entry entries[];
#endif
};

/* ---- NVMe/TCP PDUs ---- */

enum spdk_nvme_tcp_pdu_type {
	SPDK_NVME_TCP_PDU_TYPE_IC_REQ = 0x00,
	SPDK_NVME_TCP_PDU_TYPE_IC_RESP = 0x01,
	SPDK_NVME_TCP_PDU_TYPE_H2C_TERM_REQ = 0x02,
	SPDK_NVME_TCP_PDU_TYPE_C2H_TERM_REQ = 0x03,
	SPDK_NVME_TCP_PDU_TYPE_CAPSULE_CMD = 0x04,
	SPDK_NVME_TCP_PDU_TYPE_CAPSULE_RESP = 0x05,
	SPDK_NVME_TCP_PDU_TYPE_H2C_DATA = 0x06,
	SPDK_NVME_TCP_PDU_TYPE_C2H_DATA = 0x07,
	SPDK_NVME_TCP_PDU_TYPE_R2T = 0x09,
};

#define SPDK_NVME_TCP_CH_FLAGS_HDGSTF (1u << 0)
#define SPDK_NVME_TCP_CH_FLAGS_DDGSTF (1u << 1)
#define SPDK_NVME_TCP_H2C_DATA_FLAGS_LAST_PDU (1u << 2)
#define SPDK_NVME_TCP_H2C_DATA_FLAGS_SUCCESS (1u << 3)
#define SPDK_NVME_TCP_H2C_DATA_PDO_MULT 8u
#define SPDK_NVME_TCP_C2H_DATA_FLAGS_LAST_PDU (1u << 2)
#define SPDK_NVME_TCP_C2H_DATA_FLAGS_SUCCESS (1u << 3)
#define SPDK_NVME_TCP_C2H_DATA_PDO_MULT 8u
#define SPDK_NVME_TCP_HPDA_MAX 31
#define SPDK_NVME_TCP_CPDA_MAX 31
#define SPDK_NVME_TCP_PDU_PDO_MAX_OFFSET ((SPDK_NVME_TCP_CPDA_MAX + 1) << 2)
#define SPDK_NVME_TCP_DIGEST_LEN 4
#define SPDK_NVME_TCP_TERM_REQ_ERROR_DATA_MAX_SIZE 128
#define SPDK_NVME_TCP_TERM_REQ_PDU_MAX_SIZE (SPDK_NVME_TCP_TERM_REQ_ERROR_DATA_MAX_SIZE + 24)

struct spdk_nvme_tcp_common_pdu_hdr {
	uint8_t pdu_type;
	uint8_t flags;
	uint8_t hlen;
	uint8_t pdo;
	uint32_t plen;
};

struct spdk_nvme_tcp_ic_req {
	struct spdk_nvme_tcp_common_pdu_hdr common;
	uint16_t pfv;
	uint8_t hpda;
	union {
		uint8_t raw;
		struct {
			uint8_t hdgst_enable : 1;
			uint8_t ddgst_enable : 1;
			uint8_t reserved : 6;
		} bits;
	} dgst;
	uint32_t maxr2t;
	uint8_t reserved16[112];
};

struct spdk_nvme_tcp_ic_resp {
	struct spdk_nvme_tcp_common_pdu_hdr common;
	uint16_t pfv;
	uint8_t cpda;
	union {
		uint8_t raw;
		struct {
			uint8_t hdgst_enable : 1;
			uint8_t ddgst_enable : 1;
			uint8_t reserved : 6;
		} bits;
	} dgst;
	uint32_t maxh2cdata;
	uint8_t reserved16[112];
};

struct spdk_nvme_tcp_term_req_hdr {
	struct spdk_nvme_tcp_common_pdu_hdr common;
	uint16_t fes;
	uint8_t fei[4];
	uint8_t reserved14[10];
};

enum spdk_nvme_tcp_term_req_fes {
	SPDK_NVME_TCP_TERM_REQ_FES_INVALID_HEADER_FIELD = 0x01,
	SPDK_NVME_TCP_TERM_REQ_FES_PDU_SEQUENCE_ERROR = 0x02,
	SPDK_NVME_TCP_TERM_REQ_FES_HDGST_ERROR = 0x03,
	SPDK_NVME_TCP_TERM_REQ_FES_DATA_TRANSFER_OUT_OF_RANGE = 0x04,
	SPDK_NVME_TCP_TERM_REQ_FES_DATA_TRANSFER_LIMIT_EXCEEDED = 0x05,
	SPDK_NVME_TCP_TERM_REQ_FES_R2T_LIMIT_EXCEEDED = 0x05,
	SPDK_NVME_TCP_TERM_REQ_FES_INVALID_DATA_UNSUPPORTED_PARAMETER = 0x06,
};

struct spdk_nvme_tcp_cmd {
	struct spdk_nvme_tcp_common_pdu_hdr common;
	struct spdk_nvme_cmd ccsqe;
};

struct spdk_nvme_tcp_rsp {
	struct spdk_nvme_tcp_common_pdu_hdr common;
	struct spdk_nvme_cpl rccqe;
};

struct spdk_nvme_tcp_h2c_data_hdr {
	struct spdk_nvme_tcp_common_pdu_hdr common;
	uint16_t cccid;
	uint16_t ttag;
	uint32_t datao;
	uint32_t datal;
	uint8_t reserved20[4];
};

struct spdk_nvme_tcp_c2h_data_hdr {
	struct spdk_nvme_tcp_common_pdu_hdr common;
	uint16_t cccid;
	uint8_t reserved10[2];
	uint32_t datao;
	uint32_t datal;
	uint8_t reserved20[4];
};

struct spdk_nvme_tcp_r2t_hdr {
	struct spdk_nvme_tcp_common_pdu_hdr common;
	uint16_t cccid;
	uint16_t ttag;
	uint32_t r2to;
	uint32_t r2tl;
	uint8_t reserved20[4];
};

#pragma pack(pop)
