/* ---- spdk/nvme_spec.h ----
 *
 * NVMe wire structures, hand-written in C because cbindgen cannot express
 * C bit-fields or anonymous unions. build.rs pastes this file verbatim into
 * rspdk.h (after the system includes and SPDK_STATIC_ASSERT). Names, member
 * order, widths, packing and constants follow SPDK v26.01's
 * include/spdk/nvme_spec.h so that SPDK applications compile unchanged.
 *
 * This fragment includes nothing and defines no functions other than the
 * static inline helpers SPDK itself defines in nvme_spec.h.
 */

/*
 * SPDK's layouts end several log page structures with flexible array members
 * (ISO C++ has none) and use one such structure as an array element (the FDP
 * configurations log page, which ISO C rejects). GCC and Clang accept both,
 * but -Wpedantic reports them, so it is silenced for this fragment only.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"

/* ------------------------------------------------------------------------ */
/* Limits                                                                   */
/* ------------------------------------------------------------------------ */

#define SPDK_NVME_GLOBAL_NS_TAG		((uint32_t)0xFFFFFFFF)

#define SPDK_NVME_MAX_IO_QUEUES		(65535)

#define SPDK_NVME_QUEUE_MIN_ENTRIES	(2)

#define SPDK_NVME_ADMIN_QUEUE_MIN_ENTRIES	SPDK_NVME_QUEUE_MIN_ENTRIES
#define SPDK_NVME_ADMIN_QUEUE_MAX_ENTRIES	4096

#define SPDK_NVME_ADMIN_QUEUE_QUIRK_ENTRIES_MULTIPLE	64

#define SPDK_NVME_IO_QUEUE_MIN_ENTRIES	SPDK_NVME_QUEUE_MIN_ENTRIES
#define SPDK_NVME_IO_QUEUE_MAX_ENTRIES	65536

#define SPDK_NVME_DATASET_MANAGEMENT_MAX_RANGES		256
#define SPDK_NVME_DATASET_MANAGEMENT_RANGE_MAX_BLOCKS	0xFFFFFFFFu

#define SPDK_NVME_MAX_CHANGED_NAMESPACES	1024

#define SPDK_NVME_DOORBELL_REGISTER_SIZE	4

/* ------------------------------------------------------------------------ */
/* Controller registers (BAR0)                                              */
/* ------------------------------------------------------------------------ */

/* CAP, offset 0x00 */
union spdk_nvme_cap_register {
	uint64_t raw;
	struct {
		uint32_t mqes		: 16;
		uint32_t cqr		: 1;
		uint32_t ams		: 2;
		uint32_t reserved1	: 5;
		uint32_t to		: 8;
		uint32_t dstrd		: 4;
		uint32_t nssrs		: 1;
		uint32_t css		: 8;
		uint32_t bps		: 1;
		uint32_t reserved2	: 2;
		uint32_t mpsmin		: 4;
		uint32_t mpsmax		: 4;
		uint32_t pmrs		: 1;
		uint32_t cmbs		: 1;
		uint32_t reserved3	: 6;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_cap_register) == 8, "Incorrect size");

/* CC.CSS values */
enum spdk_nvme_cc_css {
	SPDK_NVME_CC_CSS_NVM	= 0x0,
	SPDK_NVME_CC_CSS_IOCS	= 0x6,
	SPDK_NVME_CC_CSS_NOIO	= 0x7,
};

#define SPDK_NVME_CAP_CSS_NVM	(1u << SPDK_NVME_CC_CSS_NVM)
#define SPDK_NVME_CAP_CSS_IOCS	(1u << SPDK_NVME_CC_CSS_IOCS)
#define SPDK_NVME_CAP_CSS_NOIO	(1u << SPDK_NVME_CC_CSS_NOIO)

/* CC, offset 0x14 */
union spdk_nvme_cc_register {
	uint32_t raw;
	struct {
		uint32_t en		: 1;
		uint32_t reserved1	: 3;
		uint32_t css		: 3;
		uint32_t mps		: 4;
		uint32_t ams		: 3;
		uint32_t shn		: 2;
		uint32_t iosqes		: 4;
		uint32_t iocqes		: 4;
		uint32_t reserved2	: 8;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_cc_register) == 4, "Incorrect size");

/* CC.SHN values */
enum spdk_nvme_shn_value {
	SPDK_NVME_SHN_NORMAL	= 0x1,
	SPDK_NVME_SHN_ABRUPT	= 0x2,
};

/* CSTS, offset 0x1C */
union spdk_nvme_csts_register {
	uint32_t raw;
	struct {
		uint32_t rdy		: 1;
		uint32_t cfs		: 1;
		uint32_t shst		: 2;
		uint32_t nssro		: 1;
		uint32_t pp		: 1;
		uint32_t reserved1	: 26;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_csts_register) == 4, "Incorrect size");

/* CSTS.SHST values */
enum spdk_nvme_shst_value {
	SPDK_NVME_SHST_NORMAL		= 0x0,
	SPDK_NVME_SHST_OCCURRING	= 0x1,
	SPDK_NVME_SHST_COMPLETE		= 0x2,
};

/* AQA, offset 0x24 */
union spdk_nvme_aqa_register {
	uint32_t raw;
	struct {
		uint32_t asqs		: 12;
		uint32_t reserved1	: 4;
		uint32_t acqs		: 12;
		uint32_t reserved2	: 4;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_aqa_register) == 4, "Incorrect size");

/* VS, offset 0x08 */
union spdk_nvme_vs_register {
	uint32_t raw;
	struct {
		uint32_t ter		: 8;
		uint32_t mnr		: 8;
		uint32_t mjr		: 16;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_vs_register) == 4, "Incorrect size");

/* A raw VS value, comparable with spdk_nvme_vs_register.raw */
#define SPDK_NVME_VERSION(mjr, mnr, ter) \
	(((uint32_t)(mjr) << 16) | \
	 ((uint32_t)(mnr) << 8) | \
	 (uint32_t)(ter))

SPDK_STATIC_ASSERT(SPDK_NVME_VERSION(1, 0, 0) == 0x00010000, "version macro error");
SPDK_STATIC_ASSERT(SPDK_NVME_VERSION(1, 2, 1) == 0x00010201, "version macro error");

/* CMBLOC, offset 0x38 */
union spdk_nvme_cmbloc_register {
	uint32_t raw;
	struct {
		uint32_t bir		: 3;
		uint32_t reserved1	: 9;
		uint32_t ofst		: 20;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_cmbloc_register) == 4, "Incorrect size");

/* CMBSZ, offset 0x3C */
union spdk_nvme_cmbsz_register {
	uint32_t raw;
	struct {
		uint32_t sqs		: 1;
		uint32_t cqs		: 1;
		uint32_t lists		: 1;
		uint32_t rds		: 1;
		uint32_t wds		: 1;
		uint32_t reserved1	: 3;
		uint32_t szu		: 4;
		uint32_t sz		: 20;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_cmbsz_register) == 4, "Incorrect size");

/* CMBMSC, offset 0x50 */
union spdk_nvme_cmbmsc_register {
	uint64_t raw;
	struct {
		uint64_t cre		: 1;
		uint64_t cmse		: 1;
		uint64_t reserved	: 10;
		uint64_t cba		: 52;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_cmbmsc_register) == 8, "Incorrect size");

/* CMBSTS, offset 0x58 */
union spdk_nvme_cmbsts_register {
	uint32_t raw;
	struct {
		uint32_t cbai		: 1;
		uint32_t reserved	: 31;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_cmbsts_register) == 4, "Incorrect size");

/* PMRCAP, offset 0xE00 */
union spdk_nvme_pmrcap_register {
	uint32_t raw;
	struct {
		uint32_t reserved1	: 3;
		uint32_t rds		: 1;
		uint32_t wds		: 1;
		uint32_t bir		: 3;
		uint32_t pmrtu		: 2;
		uint32_t pmrwbm		: 4;
		uint32_t reserved2	: 2;
		uint32_t pmrto		: 8;
		uint32_t cmss		: 1;
		uint32_t reserved3	: 7;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_pmrcap_register) == 4, "Incorrect size");

/* PMRCTL, offset 0xE04 */
union spdk_nvme_pmrctl_register {
	uint32_t raw;
	struct {
		uint32_t en		: 1;
		uint32_t reserved	: 31;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_pmrctl_register) == 4, "Incorrect size");

/* PMRSTS, offset 0xE08 */
union spdk_nvme_pmrsts_register {
	uint32_t raw;
	struct {
		uint32_t err		: 8;
		uint32_t nrdy		: 1;
		uint32_t hsts		: 3;
		uint32_t cbai		: 1;
		uint32_t reserved	: 19;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_pmrsts_register) == 4, "Incorrect size");

/* PMREBS, offset 0xE0C */
union spdk_nvme_pmrebs_register {
	uint32_t raw;
	struct {
		uint32_t pmrszu		: 4;
		uint32_t rbb		: 1;
		uint32_t reserved	: 3;
		uint32_t pmrwbz		: 24;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_pmrebs_register) == 4, "Incorrect size");

/* PMRSWTP, offset 0xE10 */
union spdk_nvme_pmrswtp_register {
	uint32_t raw;
	struct {
		uint32_t pmrswtu	: 4;
		uint32_t reserved	: 4;
		uint32_t pmrswtv	: 24;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_pmrswtp_register) == 4, "Incorrect size");

/* PMRMSCL, offset 0xE14 */
union spdk_nvme_pmrmscl_register {
	uint32_t raw;
	struct {
		uint32_t reserved1	: 1;
		uint32_t cmse		: 1;
		uint32_t reserved2	: 10;
		uint32_t cba		: 20;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_pmrmscl_register) == 4, "Incorrect size");

/* BPINFO, offset 0x40 */
union spdk_nvme_bpinfo_register {
	uint32_t raw;
	struct {
		uint32_t bpsz		: 15;
		uint32_t reserved1	: 9;
		uint32_t brs		: 2;
		uint32_t reserved2	: 5;
		uint32_t abpid		: 1;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_bpinfo_register) == 4, "Incorrect size");

/* BPINFO.BRS values */
enum spdk_nvme_brs_value {
	SPDK_NVME_BRS_NO_READ		= 0x0,
	SPDK_NVME_BRS_READ_IN_PROGRESS	= 0x1,
	SPDK_NVME_BRS_READ_SUCCESS	= 0x2,
	SPDK_NVME_BRS_READ_ERROR	= 0x3,
};

/* BPRSEL, offset 0x44 */
union spdk_nvme_bprsel_register {
	uint32_t raw;
	struct {
		uint32_t bprsz		: 10;
		uint32_t bprof		: 20;
		uint32_t reserved	: 1;
		uint32_t bpid		: 1;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_bprsel_register) == 4, "Incorrect size");

/* Written to NSSR to reset the NVM subsystem ("NVMe" in ASCII) */
#define SPDK_NVME_NSSR_VALUE	0x4E564D65

struct spdk_nvme_registers {
	union spdk_nvme_cap_register	cap;		/* 0x00 */
	union spdk_nvme_vs_register	vs;		/* 0x08 */
	uint32_t			intms;		/* 0x0C */
	uint32_t			intmc;		/* 0x10 */
	union spdk_nvme_cc_register	cc;		/* 0x14 */
	uint32_t			reserved1;	/* 0x18 */
	union spdk_nvme_csts_register	csts;		/* 0x1C */
	uint32_t			nssr;		/* 0x20 */
	union spdk_nvme_aqa_register	aqa;		/* 0x24 */
	uint64_t			asq;		/* 0x28 */
	uint64_t			acq;		/* 0x30 */
	union spdk_nvme_cmbloc_register	cmbloc;		/* 0x38 */
	union spdk_nvme_cmbsz_register	cmbsz;		/* 0x3C */
	union spdk_nvme_bpinfo_register	bpinfo;		/* 0x40 */
	union spdk_nvme_bprsel_register	bprsel;		/* 0x44 */
	uint64_t			bpmbl;		/* 0x48 */
	union spdk_nvme_cmbmsc_register	cmbmsc;		/* 0x50 */
	union spdk_nvme_cmbsts_register	cmbsts;		/* 0x58 */
	uint32_t			reserved2[0x369];
	union spdk_nvme_pmrcap_register	pmrcap;		/* 0xE00 */
	union spdk_nvme_pmrctl_register	pmrctl;		/* 0xE04 */
	union spdk_nvme_pmrsts_register	pmrsts;		/* 0xE08 */
	union spdk_nvme_pmrebs_register	pmrebs;		/* 0xE0C */
	union spdk_nvme_pmrswtp_register pmrswtp;	/* 0xE10 */
	union spdk_nvme_pmrmscl_register pmrmscl;	/* 0xE14 */
	uint32_t			pmrmscu;	/* 0xE18 */
	uint32_t			reserved3[0x79];
	/* 0x1000: doorbells; the stride is really (4 << CAP.DSTRD) bytes */
	struct {
		uint32_t	sq_tdbl;
		uint32_t	cq_hdbl;
	} doorbell[1];
};

SPDK_STATIC_ASSERT(0x00 == offsetof(struct spdk_nvme_registers, cap), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x08 == offsetof(struct spdk_nvme_registers, vs), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x0C == offsetof(struct spdk_nvme_registers, intms), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x10 == offsetof(struct spdk_nvme_registers, intmc), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x14 == offsetof(struct spdk_nvme_registers, cc), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x1C == offsetof(struct spdk_nvme_registers, csts), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x20 == offsetof(struct spdk_nvme_registers, nssr), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x24 == offsetof(struct spdk_nvme_registers, aqa), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x28 == offsetof(struct spdk_nvme_registers, asq), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x30 == offsetof(struct spdk_nvme_registers, acq), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x38 == offsetof(struct spdk_nvme_registers, cmbloc), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x3C == offsetof(struct spdk_nvme_registers, cmbsz), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x40 == offsetof(struct spdk_nvme_registers, bpinfo), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x44 == offsetof(struct spdk_nvme_registers, bprsel), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x48 == offsetof(struct spdk_nvme_registers, bpmbl), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x50 == offsetof(struct spdk_nvme_registers, cmbmsc), "Incorrect register offset");
SPDK_STATIC_ASSERT(0x58 == offsetof(struct spdk_nvme_registers, cmbsts), "Incorrect register offset");
SPDK_STATIC_ASSERT(0xE00 == offsetof(struct spdk_nvme_registers, pmrcap), "Incorrect register offset");
SPDK_STATIC_ASSERT(0xE04 == offsetof(struct spdk_nvme_registers, pmrctl), "Incorrect register offset");
SPDK_STATIC_ASSERT(0xE08 == offsetof(struct spdk_nvme_registers, pmrsts), "Incorrect register offset");
SPDK_STATIC_ASSERT(0xE0C == offsetof(struct spdk_nvme_registers, pmrebs), "Incorrect register offset");
SPDK_STATIC_ASSERT(0xE10 == offsetof(struct spdk_nvme_registers, pmrswtp), "Incorrect register offset");
SPDK_STATIC_ASSERT(0xE14 == offsetof(struct spdk_nvme_registers, pmrmscl), "Incorrect register offset");
SPDK_STATIC_ASSERT(0xE18 == offsetof(struct spdk_nvme_registers, pmrmscu), "Incorrect register offset");

/* ------------------------------------------------------------------------ */
/* Scatter gather lists, commands and completions                           */
/* ------------------------------------------------------------------------ */

enum spdk_nvme_sgl_descriptor_type {
	SPDK_NVME_SGL_TYPE_DATA_BLOCK		= 0x0,
	SPDK_NVME_SGL_TYPE_BIT_BUCKET		= 0x1,
	SPDK_NVME_SGL_TYPE_SEGMENT		= 0x2,
	SPDK_NVME_SGL_TYPE_LAST_SEGMENT		= 0x3,
	SPDK_NVME_SGL_TYPE_KEYED_DATA_BLOCK	= 0x4,
	SPDK_NVME_SGL_TYPE_TRANSPORT_DATA_BLOCK	= 0x5,
	SPDK_NVME_SGL_TYPE_VENDOR_SPECIFIC	= 0xF
};

enum spdk_nvme_sgl_descriptor_subtype {
	SPDK_NVME_SGL_SUBTYPE_ADDRESS	= 0x0,
	SPDK_NVME_SGL_SUBTYPE_OFFSET	= 0x1,
	SPDK_NVME_SGL_SUBTYPE_TRANSPORT	= 0xa,
};

#pragma pack(push, 1)
struct spdk_nvme_sgl_descriptor {
	uint64_t address;
	union {
		struct {
			uint8_t reserved[7];
			uint8_t subtype	: 4;
			uint8_t type	: 4;
		} generic;

		struct {
			uint32_t length;
			uint8_t reserved[3];
			uint8_t subtype	: 4;
			uint8_t type	: 4;
		} unkeyed;

		struct {
			uint64_t length		: 24;
			uint64_t key		: 32;
			uint64_t subtype	: 4;
			uint64_t type		: 4;
		} keyed;
	};
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_sgl_descriptor) == 16, "Incorrect size");
#pragma pack(pop)

enum spdk_nvme_psdt_value {
	SPDK_NVME_PSDT_PRP		= 0x0,
	SPDK_NVME_PSDT_SGL_MPTR_CONTIG	= 0x1,
	SPDK_NVME_PSDT_SGL_MPTR_SGL	= 0x2,
	SPDK_NVME_PSDT_RESERVED		= 0x3
};

/* Create I/O SQ priority (weighted round robin only) */
enum spdk_nvme_qprio {
	SPDK_NVME_QPRIO_URGENT		= 0x0,
	SPDK_NVME_QPRIO_HIGH		= 0x1,
	SPDK_NVME_QPRIO_MEDIUM		= 0x2,
	SPDK_NVME_QPRIO_LOW		= 0x3
};

#define SPDK_NVME_CREATE_IO_SQ_QPRIO_MASK	0x3

/* CAP.AMS bits */
enum spdk_nvme_cap_ams {
	SPDK_NVME_CAP_AMS_WRR		= 0x1,
	SPDK_NVME_CAP_AMS_VS		= 0x2,
};

/* CC.AMS values */
enum spdk_nvme_cc_ams {
	SPDK_NVME_CC_AMS_RR		= 0x0,
	SPDK_NVME_CC_AMS_WRR		= 0x1,
	SPDK_NVME_CC_AMS_VS		= 0x7,
};

enum spdk_nvme_cmd_fuse {
	SPDK_NVME_CMD_FUSE_NONE		= 0x0,
	SPDK_NVME_CMD_FUSE_FIRST	= 0x1,
	SPDK_NVME_CMD_FUSE_SECOND	= 0x2,
	SPDK_NVME_CMD_FUSE_MASK		= 0x3,
};

/* ---- Set/Get Features values (command dword 11 unless noted) ---- */

union spdk_nvme_feat_arbitration {
	uint32_t raw;
	struct {
		uint32_t ab		: 3;
		uint32_t reserved	: 5;
		uint32_t lpw		: 8;
		uint32_t mpw		: 8;
		uint32_t hpw		: 8;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_arbitration) == 4, "Incorrect size");

#define SPDK_NVME_ARBITRATION_BURST_UNLIMITED	0x7

union spdk_nvme_feat_power_management {
	uint32_t raw;
	struct {
		uint32_t ps		: 5;
		uint32_t wh		: 3;
		uint32_t reserved	: 24;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_power_management) == 4, "Incorrect size");

union spdk_nvme_feat_lba_range_type {
	uint32_t raw;
	struct {
		uint32_t num		: 6;
		uint32_t reserved	: 26;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_lba_range_type) == 4, "Incorrect size");

union spdk_nvme_feat_temperature_threshold {
	uint32_t raw;
	struct {
		uint32_t tmpth		: 16;
		uint32_t tmpsel		: 4;
		uint32_t thsel		: 2;
		uint32_t reserved	: 10;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_temperature_threshold) == 4, "Incorrect size");

union spdk_nvme_feat_error_recovery {
	uint32_t raw;
	struct {
		uint32_t tler		: 16;
		uint32_t dulbe		: 1;
		uint32_t reserved	: 15;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_error_recovery) == 4, "Incorrect size");

union spdk_nvme_feat_volatile_write_cache {
	uint32_t raw;
	struct {
		uint32_t wce		: 1;
		uint32_t reserved	: 31;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_volatile_write_cache) == 4, "Incorrect size");

union spdk_nvme_feat_number_of_queues {
	uint32_t raw;
	struct {
		uint32_t nsqr		: 16;
		uint32_t ncqr		: 16;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_number_of_queues) == 4, "Incorrect size");

union spdk_nvme_feat_interrupt_coalescing {
	uint32_t raw;
	struct {
		uint32_t thr		: 8;
		uint32_t time		: 8;
		uint32_t reserved	: 16;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_interrupt_coalescing) == 4, "Incorrect size");

union spdk_nvme_feat_interrupt_vector_configuration {
	uint32_t raw;
	struct {
		uint32_t iv		: 16;
		uint32_t cd		: 1;
		uint32_t reserved	: 15;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_interrupt_vector_configuration) == 4,
		   "Incorrect size");

union spdk_nvme_feat_write_atomicity {
	uint32_t raw;
	struct {
		uint32_t dn		: 1;
		uint32_t reserved	: 31;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_write_atomicity) == 4, "Incorrect size");

union spdk_nvme_critical_warning_state {
	uint8_t raw;
	struct {
		uint8_t available_spare		: 1;
		uint8_t temperature		: 1;
		uint8_t device_reliability	: 1;
		uint8_t read_only		: 1;
		uint8_t volatile_memory_backup	: 1;
		uint8_t reserved		: 3;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_critical_warning_state) == 1, "Incorrect size");

union spdk_nvme_feat_async_event_configuration {
	uint32_t raw;
	struct {
		union spdk_nvme_critical_warning_state crit_warn;
		uint8_t ns_attr_notice		: 1;
		uint8_t fw_activation_notice	: 1;
		uint8_t telemetry_log_notice	: 1;
		uint8_t ana_change_notice	: 1;
		uint8_t reserved1		: 4;
		uint16_t reserved2		: 15;
		uint16_t discovery_log_change_notice : 1;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_async_event_configuration) == 4, "Incorrect size");

union spdk_nvme_feat_autonomous_power_state_transition {
	uint32_t raw;
	struct {
		uint32_t apste		: 1;
		uint32_t reserved	: 31;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_autonomous_power_state_transition) == 4,
		   "Incorrect size");

union spdk_nvme_feat_host_mem_buffer {
	uint32_t raw;
	struct {
		uint32_t ehm		: 1;
		uint32_t mr		: 1;
		uint32_t reserved	: 30;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_host_mem_buffer) == 4, "Incorrect size");

union spdk_nvme_feat_keep_alive_timer {
	uint32_t raw;
	struct {
		uint32_t kato		: 32;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_keep_alive_timer) == 4, "Incorrect size");

union spdk_nvme_feat_host_controlled_thermal_management {
	uint32_t raw;
	struct {
		uint32_t tmt2		: 16;
		uint32_t tmt1		: 16;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_host_controlled_thermal_management) == 4,
		   "Incorrect size");

union spdk_nvme_feat_non_operational_power_state_config {
	uint32_t raw;
	struct {
		uint32_t noppme		: 1;
		uint32_t reserved	: 31;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_non_operational_power_state_config) == 4,
		   "Incorrect size");

union spdk_nvme_feat_software_progress_marker {
	uint32_t raw;
	struct {
		uint32_t pbslc		: 8;
		uint32_t reserved	: 24;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_software_progress_marker) == 4, "Incorrect size");

union spdk_nvme_feat_host_identifier {
	uint32_t raw;
	struct {
		uint32_t exhid		: 1;
		uint32_t reserved	: 31;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_host_identifier) == 4, "Incorrect size");

union spdk_nvme_feat_reservation_notification_mask {
	uint32_t raw;
	struct {
		uint32_t reserved1	: 1;
		uint32_t regpre		: 1;
		uint32_t resrel		: 1;
		uint32_t respre		: 1;
		uint32_t reserved2	: 28;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_reservation_notification_mask) == 4,
		   "Incorrect size");

union spdk_nvme_feat_reservation_persistence {
	uint32_t raw;
	struct {
		uint32_t ptpl		: 1;
		uint32_t reserved	: 31;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_reservation_persistence) == 4, "Incorrect size");

union spdk_nvme_feat_fdp_cdw11 {
	uint32_t raw;
	struct {
		uint32_t endgid		: 16;
		uint32_t reserved	: 16;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_fdp_cdw11) == 4, "Incorrect size");

union spdk_nvme_feat_fdp_cdw12 {
	uint32_t raw;
	struct {
		uint32_t fdpe		: 1;
		uint32_t reserved1	: 7;
		uint32_t fdpci		: 8;
		uint32_t reserved2	: 16;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_fdp_cdw12) == 4, "Incorrect size");

union spdk_nvme_feat_fdp_events_cdw11 {
	uint32_t raw;
	struct {
		uint32_t phndl		: 16;
		uint32_t noet		: 8;
		uint32_t reserved	: 8;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_fdp_events_cdw11) == 4, "Incorrect size");

union spdk_nvme_feat_fdp_events_cdw12 {
	uint32_t raw;
	struct {
		uint32_t fdpee		: 1;
		uint32_t reserved1	: 31;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_feat_fdp_events_cdw12) == 4, "Incorrect size");

/* ---- Per-command views of command dwords 10 to 13 ---- */

union spdk_nvme_cmd_cdw10 {
	uint32_t raw;
	struct {
		uint32_t cns		: 8;
		uint32_t reserved	: 8;
		uint32_t cntid		: 16;
	} identify;

	struct {
		uint32_t lid		: 8;
		uint32_t lsp		: 7;
		uint32_t rae		: 1;
		uint32_t numdl		: 16;
	} get_log_page;

	struct {
		uint32_t sqid		: 16;
		uint32_t cid		: 16;
	} abort;

	struct {
		uint32_t nssf		: 8;
		uint32_t spsp0		: 8;
		uint32_t spsp1		: 8;
		uint32_t secp		: 8;
	} sec_send_recv;

	struct {
		uint32_t qid		: 16;
		uint32_t qsize		: 16;
	} create_io_q;

	struct {
		uint32_t qid		: 16;
		uint32_t reserved	: 16;
	} delete_io_q;

	struct {
		uint32_t fid		: 8;
		uint32_t sel		: 3;
		uint32_t reserved	: 21;
	} get_features;

	struct {
		uint32_t fid		: 8;
		uint32_t reserved	: 23;
		uint32_t sv		: 1;
	} set_features;

	struct {
		uint32_t sel		: 4;
		uint32_t reserved	: 28;
	} ns_attach;

	struct {
		uint32_t sel		: 4;
		uint32_t reserved	: 28;
	} ns_manage;

	struct {
		uint32_t nr		: 8;
		uint32_t reserved	: 24;
	} dsm;

	struct {
		uint32_t rrega		: 3;
		uint32_t iekey		: 1;
		uint32_t reserved	: 26;
		uint32_t cptpl		: 2;
	} resv_register;

	struct {
		uint32_t rrela		: 3;
		uint32_t iekey		: 1;
		uint32_t reserved1	: 4;
		uint32_t rtype		: 8;
		uint32_t reserved2	: 16;
	} resv_release;

	struct {
		uint32_t racqa		: 3;
		uint32_t iekey		: 1;
		uint32_t reserved1	: 4;
		uint32_t rtype		: 8;
		uint32_t reserved2	: 16;
	} resv_acquire;

	struct {
		uint32_t mo		: 8;
		uint32_t reserved	: 8;
		uint32_t mos		: 16;
	} mgmt_send_recv;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_cmd_cdw10) == 4, "Incorrect size");

union spdk_nvme_cmd_cdw11 {
	uint32_t raw;

	struct {
		uint32_t nvmsetid	: 16;
		uint32_t reserved	: 8;
		uint32_t csi		: 8;
	} identify;

	struct {
		uint32_t pc		: 1;
		uint32_t qprio		: 2;
		uint32_t reserved	: 13;
		uint32_t cqid		: 16;
	} create_io_sq;

	struct {
		uint32_t pc		: 1;
		uint32_t ien		: 1;
		uint32_t reserved	: 14;
		uint32_t iv		: 16;
	} create_io_cq;

	struct {
		uint32_t doper		: 8;
		uint32_t dtype		: 8;
		uint32_t dspec		: 16;
	} directive;

	struct {
		uint32_t numdu		: 16;
		uint32_t lsid		: 16;
	} get_log_page;

	struct {
		uint32_t eds		: 1;
		uint32_t reserved	: 31;
	} resv_report;

	union spdk_nvme_feat_arbitration feat_arbitration;
	union spdk_nvme_feat_power_management feat_power_management;
	union spdk_nvme_feat_lba_range_type feat_lba_range_type;
	union spdk_nvme_feat_temperature_threshold feat_temp_threshold;
	union spdk_nvme_feat_error_recovery feat_error_recovery;
	union spdk_nvme_feat_volatile_write_cache feat_volatile_write_cache;
	union spdk_nvme_feat_number_of_queues feat_num_of_queues;
	union spdk_nvme_feat_interrupt_coalescing feat_interrupt_coalescing;
	union spdk_nvme_feat_interrupt_vector_configuration feat_interrupt_vector_configuration;
	union spdk_nvme_feat_write_atomicity feat_write_atomicity;
	union spdk_nvme_feat_async_event_configuration feat_async_event_cfg;
	union spdk_nvme_feat_keep_alive_timer feat_keep_alive_timer;
	union spdk_nvme_feat_host_identifier feat_host_identifier;
	union spdk_nvme_feat_reservation_notification_mask feat_rsv_notification_mask;
	union spdk_nvme_feat_reservation_persistence feat_rsv_persistence;
	union spdk_nvme_feat_fdp_cdw11 feat_fdp_cdw11;
	union spdk_nvme_feat_fdp_events_cdw11 feat_fdp_events_cdw11;

	struct {
		uint32_t idr		: 1;
		uint32_t idw		: 1;
		uint32_t ad		: 1;
		uint32_t reserved	: 29;
	} dsm;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_cmd_cdw11) == 4, "Incorrect size");

union spdk_nvme_cmd_cdw12 {
	uint32_t raw;

	struct {
		uint32_t nlb		: 16;
		uint32_t reserved	: 4;
		uint32_t dtype		: 4;
		uint32_t stc		: 1;
		uint32_t reserved2	: 1;
		uint32_t prchk		: 3;
		uint32_t pract		: 1;
		uint32_t fua		: 1;
		uint32_t lr		: 1;
	} write;

	struct {
		uint32_t nr		: 8;
		uint32_t df		: 4;
		uint32_t prinfor	: 4;
		uint32_t reserved	: 4;
		uint32_t dtype		: 4;
		uint32_t stcw		: 1;
		uint32_t reserved2	: 1;
		uint32_t prinfow	: 4;
		uint32_t fua		: 1;
		uint32_t lr		: 1;
	} copy;

	struct {
		uint32_t nlb		: 16;
		uint32_t reserved	: 8;
		uint32_t stc		: 1;
		uint32_t deac		: 1;
		uint32_t prchk		: 3;
		uint32_t pract		: 1;
		uint32_t fua		: 1;
		uint32_t lr		: 1;
	} write_zeroes;

	union spdk_nvme_feat_fdp_cdw12 feat_fdp_cdw12;
	union spdk_nvme_feat_fdp_events_cdw12 feat_fdp_events_cdw12;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_cmd_cdw12) == 4, "Incorrect size");

union spdk_nvme_cmd_cdw13 {
	uint32_t raw;

	struct {
		uint32_t dsm		: 8;
		uint32_t reserved	: 8;
		uint32_t dspec		: 16;
	} write;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_cmd_cdw13) == 4, "Incorrect size");

/* Submission queue entry (64 bytes) */
struct spdk_nvme_cmd {
	/* dword 0 */
	uint16_t opc	: 8;
	uint16_t fuse	: 2;
	uint16_t rsvd1	: 4;
	uint16_t psdt	: 2;
	uint16_t cid;

	/* dword 1 */
	uint32_t nsid;

	/* dwords 2-3 */
	uint32_t rsvd2;
	uint32_t rsvd3;

	/* dwords 4-5 */
	uint64_t mptr;

	/* dwords 6-9 */
	union {
		struct {
			uint64_t prp1;
			uint64_t prp2;
		} prp;

		struct spdk_nvme_sgl_descriptor sgl1;
	} dptr;

	/* dwords 10-15 */
	union {
		uint32_t cdw10;
		union spdk_nvme_cmd_cdw10 cdw10_bits;
	};
	union {
		uint32_t cdw11;
		union spdk_nvme_cmd_cdw11 cdw11_bits;
	};
	union {
		uint32_t cdw12;
		union spdk_nvme_cmd_cdw12 cdw12_bits;
	};
	union {
		uint32_t cdw13;
		union spdk_nvme_cmd_cdw13 cdw13_bits;
	};
	uint32_t cdw14;
	uint32_t cdw15;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_cmd) == 64, "Incorrect size");

/* Completion status field (upper half of completion dword 3) */
struct spdk_nvme_status {
	uint16_t p	: 1;	/* phase tag */
	uint16_t sc	: 8;	/* status code */
	uint16_t sct	: 3;	/* status code type */
	uint16_t crd	: 2;	/* command retry delay */
	uint16_t m	: 1;	/* more */
	uint16_t dnr	: 1;	/* do not retry */
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_status) == 2, "Incorrect size");

/* Completion queue entry (16 bytes) */
struct spdk_nvme_cpl {
	/* dword 0 */
	uint32_t cdw0;

	/* dword 1 */
	uint32_t cdw1;

	/* dword 2 */
	uint16_t sqhd;
	uint16_t sqid;

	/* dword 3 */
	uint16_t cid;
	union {
		uint16_t status_raw;
		struct spdk_nvme_status status;
	};
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_cpl) == 16, "Incorrect size");

/* Dataset Management range */
struct spdk_nvme_dsm_range {
	union {
		struct {
			uint32_t af		: 4;
			uint32_t al		: 2;
			uint32_t reserved0	: 2;
			uint32_t sr		: 1;
			uint32_t sw		: 1;
			uint32_t wp		: 1;
			uint32_t reserved1	: 13;
			uint32_t access_size	: 8;
		} bits;
		uint32_t raw;
	} attributes;

	uint32_t length;
	uint64_t starting_lba;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_dsm_range) == 16, "Incorrect size");

/* Copy command source range, descriptor format 0 */
struct spdk_nvme_scc_source_range {
	uint64_t reserved0;
	uint64_t slba;
	uint16_t nlb;
	uint16_t reserved18;
	uint32_t reserved20;
	uint32_t eilbrt;
	uint16_t elbat;
	uint16_t elbatm;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_scc_source_range) == 32, "Incorrect size");

/* ------------------------------------------------------------------------ */
/* Status codes                                                             */
/* ------------------------------------------------------------------------ */

enum spdk_nvme_status_code_type {
	SPDK_NVME_SCT_GENERIC		= 0x0,
	SPDK_NVME_SCT_COMMAND_SPECIFIC	= 0x1,
	SPDK_NVME_SCT_MEDIA_ERROR	= 0x2,
	SPDK_NVME_SCT_PATH		= 0x3,
	SPDK_NVME_SCT_VENDOR_SPECIFIC	= 0x7,
};

enum spdk_nvme_generic_command_status_code {
	SPDK_NVME_SC_SUCCESS				= 0x00,
	SPDK_NVME_SC_INVALID_OPCODE			= 0x01,
	SPDK_NVME_SC_INVALID_FIELD			= 0x02,
	SPDK_NVME_SC_COMMAND_ID_CONFLICT		= 0x03,
	SPDK_NVME_SC_DATA_TRANSFER_ERROR		= 0x04,
	SPDK_NVME_SC_ABORTED_POWER_LOSS			= 0x05,
	SPDK_NVME_SC_INTERNAL_DEVICE_ERROR		= 0x06,
	SPDK_NVME_SC_ABORTED_BY_REQUEST			= 0x07,
	SPDK_NVME_SC_ABORTED_SQ_DELETION		= 0x08,
	SPDK_NVME_SC_ABORTED_FAILED_FUSED		= 0x09,
	SPDK_NVME_SC_ABORTED_MISSING_FUSED		= 0x0a,
	SPDK_NVME_SC_INVALID_NAMESPACE_OR_FORMAT	= 0x0b,
	SPDK_NVME_SC_COMMAND_SEQUENCE_ERROR		= 0x0c,
	SPDK_NVME_SC_INVALID_SGL_SEG_DESCRIPTOR		= 0x0d,
	/* (sic) SPDK's spelling */
	SPDK_NVME_SC_INVALID_NUM_SGL_DESCIRPTORS	= 0x0e,
	SPDK_NVME_SC_DATA_SGL_LENGTH_INVALID		= 0x0f,
	SPDK_NVME_SC_METADATA_SGL_LENGTH_INVALID	= 0x10,
	SPDK_NVME_SC_SGL_DESCRIPTOR_TYPE_INVALID	= 0x11,
	SPDK_NVME_SC_INVALID_CONTROLLER_MEM_BUF		= 0x12,
	SPDK_NVME_SC_INVALID_PRP_OFFSET			= 0x13,
	SPDK_NVME_SC_ATOMIC_WRITE_UNIT_EXCEEDED		= 0x14,
	SPDK_NVME_SC_OPERATION_DENIED			= 0x15,
	SPDK_NVME_SC_INVALID_SGL_OFFSET			= 0x16,
	SPDK_NVME_SC_HOSTID_INCONSISTENT_FORMAT		= 0x18,
	SPDK_NVME_SC_KEEP_ALIVE_EXPIRED			= 0x19,
	SPDK_NVME_SC_KEEP_ALIVE_INVALID			= 0x1a,
	SPDK_NVME_SC_ABORTED_PREEMPT			= 0x1b,
	SPDK_NVME_SC_SANITIZE_FAILED			= 0x1c,
	SPDK_NVME_SC_SANITIZE_IN_PROGRESS		= 0x1d,
	SPDK_NVME_SC_SGL_DATA_BLOCK_GRANULARITY_INVALID	= 0x1e,
	SPDK_NVME_SC_COMMAND_INVALID_IN_CMB		= 0x1f,
	SPDK_NVME_SC_COMMAND_NAMESPACE_IS_PROTECTED	= 0x20,
	SPDK_NVME_SC_COMMAND_INTERRUPTED		= 0x21,
	SPDK_NVME_SC_COMMAND_TRANSIENT_TRANSPORT_ERROR	= 0x22,
	SPDK_NVME_SC_COMMAND_PROHIBITED_BY_LOCKDOWN	= 0x23,
	SPDK_NVME_SC_ADMIN_COMMAND_MEDIA_NOT_READY	= 0x24,

	SPDK_NVME_SC_FDP_DISABLED			= 0x29,
	SPDK_NVME_SC_INVALID_PLACEMENT_HANDLE_LIST	= 0x2A,

	SPDK_NVME_SC_LBA_OUT_OF_RANGE			= 0x80,
	SPDK_NVME_SC_CAPACITY_EXCEEDED			= 0x81,
	SPDK_NVME_SC_NAMESPACE_NOT_READY		= 0x82,
	SPDK_NVME_SC_RESERVATION_CONFLICT		= 0x83,
	SPDK_NVME_SC_FORMAT_IN_PROGRESS			= 0x84,
	SPDK_NVME_SC_INVALID_VALUE_SIZE			= 0x85,
	SPDK_NVME_SC_INVALID_KEY_SIZE			= 0x86,
	SPDK_NVME_SC_KV_KEY_DOES_NOT_EXIST		= 0x87,
	SPDK_NVME_SC_UNRECOVERED_ERROR			= 0x88,
	SPDK_NVME_SC_KEY_EXISTS				= 0x89,
};

enum spdk_nvme_command_specific_status_code {
	SPDK_NVME_SC_COMPLETION_QUEUE_INVALID		= 0x00,
	SPDK_NVME_SC_INVALID_QUEUE_IDENTIFIER		= 0x01,
	SPDK_NVME_SC_INVALID_QUEUE_SIZE			= 0x02,
	SPDK_NVME_SC_ABORT_COMMAND_LIMIT_EXCEEDED	= 0x03,
	SPDK_NVME_SC_ASYNC_EVENT_REQUEST_LIMIT_EXCEEDED	= 0x05,
	SPDK_NVME_SC_INVALID_FIRMWARE_SLOT		= 0x06,
	SPDK_NVME_SC_INVALID_FIRMWARE_IMAGE		= 0x07,
	SPDK_NVME_SC_INVALID_INTERRUPT_VECTOR		= 0x08,
	SPDK_NVME_SC_INVALID_LOG_PAGE			= 0x09,
	SPDK_NVME_SC_INVALID_FORMAT			= 0x0a,
	SPDK_NVME_SC_FIRMWARE_REQ_CONVENTIONAL_RESET	= 0x0b,
	SPDK_NVME_SC_INVALID_QUEUE_DELETION		= 0x0c,
	SPDK_NVME_SC_FEATURE_ID_NOT_SAVEABLE		= 0x0d,
	SPDK_NVME_SC_FEATURE_NOT_CHANGEABLE		= 0x0e,
	SPDK_NVME_SC_FEATURE_NOT_NAMESPACE_SPECIFIC	= 0x0f,
	SPDK_NVME_SC_FIRMWARE_REQ_NVM_RESET		= 0x10,
	SPDK_NVME_SC_FIRMWARE_REQ_RESET			= 0x11,
	SPDK_NVME_SC_FIRMWARE_REQ_MAX_TIME_VIOLATION	= 0x12,
	SPDK_NVME_SC_FIRMWARE_ACTIVATION_PROHIBITED	= 0x13,
	SPDK_NVME_SC_OVERLAPPING_RANGE			= 0x14,
	SPDK_NVME_SC_NAMESPACE_INSUFFICIENT_CAPACITY	= 0x15,
	SPDK_NVME_SC_NAMESPACE_ID_UNAVAILABLE		= 0x16,
	SPDK_NVME_SC_NAMESPACE_ALREADY_ATTACHED		= 0x18,
	SPDK_NVME_SC_NAMESPACE_IS_PRIVATE		= 0x19,
	SPDK_NVME_SC_NAMESPACE_NOT_ATTACHED		= 0x1a,
	SPDK_NVME_SC_THINPROVISIONING_NOT_SUPPORTED	= 0x1b,
	SPDK_NVME_SC_CONTROLLER_LIST_INVALID		= 0x1c,
	SPDK_NVME_SC_DEVICE_SELF_TEST_IN_PROGRESS	= 0x1d,
	SPDK_NVME_SC_BOOT_PARTITION_WRITE_PROHIBITED	= 0x1e,
	SPDK_NVME_SC_INVALID_CTRLR_ID			= 0x1f,
	SPDK_NVME_SC_INVALID_SECONDARY_CTRLR_STATE	= 0x20,
	SPDK_NVME_SC_INVALID_NUM_CTRLR_RESOURCES	= 0x21,
	SPDK_NVME_SC_INVALID_RESOURCE_ID		= 0x22,
	SPDK_NVME_SC_SANITIZE_PROHIBITED		= 0x23,
	SPDK_NVME_SC_ANA_GROUP_IDENTIFIER_INVALID	= 0x24,
	SPDK_NVME_SC_ANA_ATTACH_FAILED			= 0x25,
	SPDK_NVME_SC_INSUFFICIENT_CAPACITY		= 0x26,
	SPDK_NVME_SC_NAMESPACE_ATTACH_LIMIT_EXCEEDED	= 0x27,
	SPDK_NVME_SC_PROHIBIT_CMD_EXEC_NOT_SUPPORTED	= 0x28,
	SPDK_NVME_SC_IOCS_NOT_SUPPORTED			= 0x29,
	SPDK_NVME_SC_IOCS_NOT_ENABLED			= 0x2a,
	SPDK_NVME_SC_IOCS_COMBINATION_REJECTED		= 0x2b,
	SPDK_NVME_SC_INVALID_IOCS			= 0x2c,
	SPDK_NVME_SC_IDENTIFIER_UNAVAILABLE		= 0x2d,

	SPDK_NVME_SC_STREAM_RESOURCE_ALLOCATION_FAILED	= 0x7f,
	SPDK_NVME_SC_CONFLICTING_ATTRIBUTES		= 0x80,
	SPDK_NVME_SC_INVALID_PROTECTION_INFO		= 0x81,
	SPDK_NVME_SC_ATTEMPTED_WRITE_TO_RO_RANGE	= 0x82,
	SPDK_NVME_SC_CMD_SIZE_LIMIT_SIZE_EXCEEDED	= 0x83,

	SPDK_NVME_SC_ZONED_BOUNDARY_ERROR		= 0xb8,
	SPDK_NVME_SC_ZONE_IS_FULL			= 0xb9,
	SPDK_NVME_SC_ZONE_IS_READ_ONLY			= 0xba,
	SPDK_NVME_SC_ZONE_IS_OFFLINE			= 0xbb,
	SPDK_NVME_SC_ZONE_INVALID_WRITE			= 0xbc,
	SPDK_NVME_SC_TOO_MANY_ACTIVE_ZONES		= 0xbd,
	SPDK_NVME_SC_TOO_MANY_OPEN_ZONES		= 0xbe,
	SPDK_NVME_SC_INVALID_ZONE_STATE_TRANSITION	= 0xbf,
};

enum spdk_nvme_media_error_status_code {
	SPDK_NVME_SC_WRITE_FAULTS			= 0x80,
	SPDK_NVME_SC_UNRECOVERED_READ_ERROR		= 0x81,
	SPDK_NVME_SC_GUARD_CHECK_ERROR			= 0x82,
	SPDK_NVME_SC_APPLICATION_TAG_CHECK_ERROR	= 0x83,
	SPDK_NVME_SC_REFERENCE_TAG_CHECK_ERROR		= 0x84,
	SPDK_NVME_SC_COMPARE_FAILURE			= 0x85,
	SPDK_NVME_SC_ACCESS_DENIED			= 0x86,
	SPDK_NVME_SC_DEALLOCATED_OR_UNWRITTEN_BLOCK	= 0x87,
	SPDK_NVME_SC_END_TO_END_STORAGE_TAG_CHECK_ERROR	= 0x88,
};

enum spdk_nvme_path_status_code {
	SPDK_NVME_SC_INTERNAL_PATH_ERROR		= 0x00,
	SPDK_NVME_SC_ASYMMETRIC_ACCESS_PERSISTENT_LOSS	= 0x01,
	SPDK_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE	= 0x02,
	SPDK_NVME_SC_ASYMMETRIC_ACCESS_TRANSITION	= 0x03,

	SPDK_NVME_SC_CONTROLLER_PATH_ERROR		= 0x60,

	SPDK_NVME_SC_HOST_PATH_ERROR			= 0x70,
	SPDK_NVME_SC_ABORTED_BY_HOST			= 0x71,
};

/* ------------------------------------------------------------------------ */
/* Opcodes                                                                  */
/* ------------------------------------------------------------------------ */

#define SPDK_NVME_MAX_OPC 0xff

enum spdk_nvme_admin_opcode {
	SPDK_NVME_OPC_DELETE_IO_SQ			= 0x00,
	SPDK_NVME_OPC_CREATE_IO_SQ			= 0x01,
	SPDK_NVME_OPC_GET_LOG_PAGE			= 0x02,
	SPDK_NVME_OPC_DELETE_IO_CQ			= 0x04,
	SPDK_NVME_OPC_CREATE_IO_CQ			= 0x05,
	SPDK_NVME_OPC_IDENTIFY				= 0x06,
	SPDK_NVME_OPC_ABORT				= 0x08,
	SPDK_NVME_OPC_SET_FEATURES			= 0x09,
	SPDK_NVME_OPC_GET_FEATURES			= 0x0a,
	SPDK_NVME_OPC_ASYNC_EVENT_REQUEST		= 0x0c,
	SPDK_NVME_OPC_NS_MANAGEMENT			= 0x0d,
	SPDK_NVME_OPC_FIRMWARE_COMMIT			= 0x10,
	SPDK_NVME_OPC_FIRMWARE_IMAGE_DOWNLOAD		= 0x11,

	SPDK_NVME_OPC_DEVICE_SELF_TEST			= 0x14,
	SPDK_NVME_OPC_NS_ATTACHMENT			= 0x15,

	SPDK_NVME_OPC_KEEP_ALIVE			= 0x18,
	SPDK_NVME_OPC_DIRECTIVE_SEND			= 0x19,
	SPDK_NVME_OPC_DIRECTIVE_RECEIVE			= 0x1a,

	SPDK_NVME_OPC_VIRTUALIZATION_MANAGEMENT		= 0x1c,
	SPDK_NVME_OPC_NVME_MI_SEND			= 0x1d,
	SPDK_NVME_OPC_NVME_MI_RECEIVE			= 0x1e,

	SPDK_NVME_OPC_DOORBELL_BUFFER_CONFIG		= 0x7c,

	SPDK_NVME_OPC_FORMAT_NVM			= 0x80,
	SPDK_NVME_OPC_SECURITY_SEND			= 0x81,
	SPDK_NVME_OPC_SECURITY_RECEIVE			= 0x82,

	SPDK_NVME_OPC_SANITIZE				= 0x84,

	SPDK_NVME_OPC_GET_LBA_STATUS			= 0x86,
};

enum spdk_nvme_nvm_opcode {
	SPDK_NVME_OPC_FLUSH				= 0x00,
	SPDK_NVME_OPC_WRITE				= 0x01,
	SPDK_NVME_OPC_READ				= 0x02,
	SPDK_NVME_OPC_WRITE_UNCORRECTABLE		= 0x04,
	SPDK_NVME_OPC_COMPARE				= 0x05,
	SPDK_NVME_OPC_WRITE_ZEROES			= 0x08,
	SPDK_NVME_OPC_DATASET_MANAGEMENT		= 0x09,

	SPDK_NVME_OPC_VERIFY				= 0x0c,
	SPDK_NVME_OPC_RESERVATION_REGISTER		= 0x0d,
	SPDK_NVME_OPC_RESERVATION_REPORT		= 0x0e,

	SPDK_NVME_OPC_RESERVATION_ACQUIRE		= 0x11,
	SPDK_NVME_OPC_IO_MANAGEMENT_RECEIVE		= 0x12,
	SPDK_NVME_OPC_RESERVATION_RELEASE		= 0x15,

	SPDK_NVME_OPC_COPY				= 0x19,
	SPDK_NVME_OPC_IO_MANAGEMENT_SEND		= 0x1D,
};

/* Zoned Namespace command set opcodes, in addition to the NVM ones */
enum spdk_nvme_zns_opcode {
	SPDK_NVME_OPC_ZONE_MGMT_SEND			= 0x79,
	SPDK_NVME_OPC_ZONE_MGMT_RECV			= 0x7a,
	SPDK_NVME_OPC_ZONE_APPEND			= 0x7d,
};

/* Data transfer direction: bits 1:0 of an opcode */
enum spdk_nvme_data_transfer {
	SPDK_NVME_DATA_NONE				= 0,
	SPDK_NVME_DATA_HOST_TO_CONTROLLER		= 1,
	SPDK_NVME_DATA_CONTROLLER_TO_HOST		= 2,
	SPDK_NVME_DATA_BIDIRECTIONAL			= 3
};

static inline enum spdk_nvme_data_transfer
spdk_nvme_opc_get_data_transfer(uint8_t opc)
{
	return (enum spdk_nvme_data_transfer)(opc & 3);
}

/* Byte length to a 0's based dword count (NUMD) */
static inline uint32_t
spdk_nvme_bytes_to_numd(uint32_t len)
{
	return (len >> 2) - 1;
}

/* Set Features data for SPDK_NVME_FEAT_HOST_BEHAVIOR_SUPPORT */
#pragma pack(push, 1)
struct spdk_nvme_host_behavior {
	uint8_t acre;
	uint8_t reserved[511];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_host_behavior) == 512, "Incorrect size");
#pragma pack(pop)

/* ---- Flexible data placement ---- */

struct spdk_nvme_fdp_event_desc {
	uint8_t fdp_etype;
	union {
		uint8_t raw;
		struct {
			uint8_t fdp_ee		: 1;
			uint8_t reserved	: 7;
		} bits;
	} fdpeta;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_fdp_event_desc) == 2, "Incorrect size");

struct spdk_nvme_fdp_ruhs_desc {
	uint16_t pid;
	uint16_t ruhid;
	uint32_t earutr;
	uint64_t ruamw;
	uint8_t reserved[16];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_fdp_ruhs_desc) == 32, "Incorrect size");

struct spdk_nvme_fdp_ruhs {
	uint8_t reserved[14];
	uint16_t nruhsd;
	struct spdk_nvme_fdp_ruhs_desc ruhs_desc[];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_fdp_ruhs) == 16, "Incorrect size");

enum spdk_nvme_fdp_mgmt_recv_mo {
	SPDK_NVME_FDP_IO_MGMT_RECV_NA	= 0x00,
	SPDK_NVME_FDP_IO_MGMT_RECV_RUHS	= 0x01,
	SPDK_NVME_FDP_IO_MGMT_RECV_VS	= 0xFF,
};

enum spdk_nvme_fdp_mgmt_send_mo {
	SPDK_NVME_FDP_IO_MGMT_SEND_NA	= 0x00,
	SPDK_NVME_FDP_IO_MGMT_SEND_RUHU	= 0x01,
	SPDK_NVME_FDP_IO_MGMT_SEND_VS	= 0xFF,
};

/* ------------------------------------------------------------------------ */
/* Feature identifiers                                                      */
/* ------------------------------------------------------------------------ */

enum spdk_nvme_feat {
	SPDK_NVME_FEAT_ARBITRATION				= 0x01,
	SPDK_NVME_FEAT_POWER_MANAGEMENT				= 0x02,
	SPDK_NVME_FEAT_LBA_RANGE_TYPE				= 0x03,
	SPDK_NVME_FEAT_TEMPERATURE_THRESHOLD			= 0x04,
	SPDK_NVME_FEAT_ERROR_RECOVERY				= 0x05,
	SPDK_NVME_FEAT_VOLATILE_WRITE_CACHE			= 0x06,
	SPDK_NVME_FEAT_NUMBER_OF_QUEUES				= 0x07,
	SPDK_NVME_FEAT_INTERRUPT_COALESCING			= 0x08,
	SPDK_NVME_FEAT_INTERRUPT_VECTOR_CONFIGURATION		= 0x09,
	SPDK_NVME_FEAT_WRITE_ATOMICITY				= 0x0A,
	SPDK_NVME_FEAT_ASYNC_EVENT_CONFIGURATION		= 0x0B,
	SPDK_NVME_FEAT_AUTONOMOUS_POWER_STATE_TRANSITION	= 0x0C,
	SPDK_NVME_FEAT_HOST_MEM_BUFFER				= 0x0D,
	SPDK_NVME_FEAT_TIMESTAMP				= 0x0E,
	SPDK_NVME_FEAT_KEEP_ALIVE_TIMER				= 0x0F,
	SPDK_NVME_FEAT_HOST_CONTROLLED_THERMAL_MANAGEMENT	= 0x10,
	SPDK_NVME_FEAT_NON_OPERATIONAL_POWER_STATE_CONFIG	= 0x11,
	SPDK_NVME_FEAT_READ_RECOVERY_LEVEL_CONFIG		= 0x12,
	SPDK_NVME_FEAT_PREDICTABLE_LATENCY_MODE_CONFIG		= 0x13,
	SPDK_NVME_FEAT_PREDICTABLE_LATENCY_MODE_WINDOW		= 0x14,
	SPDK_NVME_FEAT_LBA_STATUS_INFORMATION_ATTRIBUTES	= 0x15,
	SPDK_NVME_FEAT_HOST_BEHAVIOR_SUPPORT			= 0x16,
	SPDK_NVME_FEAT_SANITIZE_CONFIG				= 0x17,
	SPDK_NVME_FEAT_ENDURANCE_GROUP_EVENT			= 0x18,
	SPDK_NVME_FEAT_IO_COMMAND_SET_PROFILE			= 0x19,
	SPDK_NVME_FEAT_SPINUP_CONTROL				= 0x1A,
	SPDK_NVME_FEAT_FDP					= 0x1D,
	SPDK_NVME_FEAT_FDP_EVENTS				= 0x1E,
	SPDK_NVME_FEAT_ENHANCED_CONTROLLER_METADATA		= 0x7D,
	SPDK_NVME_FEAT_CONTROLLER_METADATA			= 0x7E,
	SPDK_NVME_FEAT_NAMESPACE_METADATA			= 0x7F,
	SPDK_NVME_FEAT_SOFTWARE_PROGRESS_MARKER			= 0x80,
	SPDK_NVME_FEAT_HOST_IDENTIFIER				= 0x81,
	SPDK_NVME_FEAT_HOST_RESERVE_MASK			= 0x82,
	SPDK_NVME_FEAT_HOST_RESERVE_PERSIST			= 0x83,
	SPDK_NVME_FEAT_NAMESPACE_WRITE_PROTECTION_CONFIG	= 0x84,
};

/* Dataset Management attribute bits (command dword 11) */
enum spdk_nvme_dsm_attribute {
	SPDK_NVME_DSM_ATTR_INTEGRAL_READ		= 0x1,
	SPDK_NVME_DSM_ATTR_INTEGRAL_WRITE		= 0x2,
	SPDK_NVME_DSM_ATTR_DEALLOCATE			= 0x4,
};

/* ------------------------------------------------------------------------ */
/* Identify                                                                 */
/* ------------------------------------------------------------------------ */

/* Power state descriptor (32 bytes) */
struct spdk_nvme_power_state {
	uint16_t mp;			/* maximum power */
	uint8_t reserved1;
	uint8_t mps		: 1;	/* max power scale */
	uint8_t nops		: 1;	/* non-operational state */
	uint8_t reserved2	: 6;
	uint32_t enlat;			/* entry latency, us */
	uint32_t exlat;			/* exit latency, us */
	uint8_t rrt		: 5;
	uint8_t reserved3	: 3;
	uint8_t rrl		: 5;
	uint8_t reserved4	: 3;
	uint8_t rwt		: 5;
	uint8_t reserved5	: 3;
	uint8_t rwl		: 5;
	uint8_t reserved6	: 3;
	uint16_t idlp;			/* idle power */
	uint8_t reserved7	: 6;
	uint8_t ips		: 2;	/* idle power scale */
	uint8_t reserved8;
	uint16_t actp;			/* active power */
	uint8_t apw		: 3;	/* active power workload */
	uint8_t reserved9	: 3;
	uint8_t aps		: 2;	/* active power scale */
	uint8_t reserved10[9];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_power_state) == 32, "Incorrect size");

/* Identify CNS values */
enum spdk_nvme_identify_cns {
	SPDK_NVME_IDENTIFY_NS				= 0x00,
	SPDK_NVME_IDENTIFY_CTRLR			= 0x01,
	SPDK_NVME_IDENTIFY_ACTIVE_NS_LIST		= 0x02,
	SPDK_NVME_IDENTIFY_NS_ID_DESCRIPTOR_LIST	= 0x03,
	SPDK_NVME_IDENTIFY_NS_IOCS			= 0x05,
	SPDK_NVME_IDENTIFY_CTRLR_IOCS			= 0x06,
	SPDK_NVME_IDENTIFY_ACTIVE_NS_LIST_IOCS		= 0x07,
	SPDK_NVME_IDENTIFY_ALLOCATED_NS_LIST		= 0x10,
	SPDK_NVME_IDENTIFY_NS_ALLOCATED			= 0x11,
	SPDK_NVME_IDENTIFY_NS_ATTACHED_CTRLR_LIST	= 0x12,
	SPDK_NVME_IDENTIFY_CTRLR_LIST			= 0x13,
	SPDK_NVME_IDENTIFY_PRIMARY_CTRLR_CAP		= 0x14,
	SPDK_NVME_IDENTIFY_SECONDARY_CTRLR_LIST		= 0x15,
	SPDK_NVME_IDENTIFY_ALLOCATED_NS_LIST_IOCS	= 0x1a,
	SPDK_NVME_IDENTIFY_NS_ALLOCATED_IOCS		= 0x1b,
	SPDK_NVME_IDENTIFY_IOCS				= 0x1c,
};

/* NVMe over Fabrics controller model */
enum spdk_nvmf_ctrlr_model {
	SPDK_NVMF_CTRLR_MODEL_DYNAMIC	= 0,
	SPDK_NVMF_CTRLR_MODEL_STATIC	= 1,
};

#define SPDK_NVME_CTRLR_SN_LEN		20
#define SPDK_NVME_CTRLR_MN_LEN		40
#define SPDK_NVME_CTRLR_FR_LEN		8
#define SPDK_NVME_CTRLR_MEGCAP_LEN	16

/* Identify Controller sgls.supported values */
enum spdk_nvme_sgls_supported {
	SPDK_NVME_SGLS_NOT_SUPPORTED		= 0,
	SPDK_NVME_SGLS_SUPPORTED		= 1,
	SPDK_NVME_SGLS_SUPPORTED_DWORD_ALIGNED	= 2,
};

/* Identify Controller vwc.flush_broadcast values */
enum spdk_nvme_flush_broadcast {
	SPDK_NVME_FLUSH_BROADCAST_NOT_INDICATED	= 0,
	SPDK_NVME_FLUSH_BROADCAST_NOT_SUPPORTED	= 2,
	SPDK_NVME_FLUSH_BROADCAST_SUPPORTED	= 3
};

#define SPDK_NVME_MAXDNA_FIELD_SIZE	16
#define SPDK_NVME_NQN_FIELD_SIZE	256

/* Identify Controller bytes 1792-2047: NVMe over Fabrics */
struct spdk_nvme_cdata_nvmf_specific {
	uint32_t	ioccsz;
	uint32_t	iorcsz;
	uint16_t	icdoff;
	struct {
		uint8_t	ctrlr_model	: 1;
		uint8_t	reserved	: 7;
	} ctrattr;
	uint8_t		msdbd;
	struct {
		uint16_t disconnect	: 1;
		uint16_t reserved	: 15;
	} ofcs;
	uint8_t		reserved[242];
};

/* Identify Controller SGLS */
struct spdk_nvme_cdata_sgls {
	uint32_t	supported		: 2;
	uint32_t	keyed_sgl		: 1;
	uint32_t	reserved1		: 13;
	uint32_t	bit_bucket_descriptor	: 1;
	uint32_t	metadata_pointer	: 1;
	uint32_t	oversized_sgl		: 1;
	uint32_t	metadata_address	: 1;
	uint32_t	sgl_offset		: 1;
	uint32_t	transport_sgl		: 1;
	uint32_t	reserved2		: 10;
};

/* Identify Controller ONCS */
struct spdk_nvme_cdata_oncs {
	uint16_t	compare			: 1;
	uint16_t	write_unc		: 1;
	uint16_t	dsm			: 1;
	uint16_t	write_zeroes		: 1;
	uint16_t	set_features_save	: 1;
	uint16_t	reservations		: 1;
	uint16_t	timestamp		: 1;
	uint16_t	verify			: 1;
	uint16_t	copy			: 1;
	uint16_t	reserved9		: 7;
};

/* Identify Controller OACS */
struct spdk_nvme_cdata_oacs {
	uint16_t	security			: 1;
	uint16_t	format				: 1;
	uint16_t	firmware			: 1;
	uint16_t	ns_manage			: 1;
	uint16_t	device_self_test		: 1;
	uint16_t	directives			: 1;
	uint16_t	nvme_mi				: 1;
	uint16_t	virtualization_management	: 1;
	uint16_t	doorbell_buffer_config		: 1;
	uint16_t	get_lba_status			: 1;
	uint16_t	command_feature_lockdown	: 1;
	uint16_t	oacs_rsvd			: 5;
};

/* Identify Controller FUSES */
struct spdk_nvme_cdata_fuses {
	uint16_t	compare_and_write	: 1;
	uint16_t	reserved		: 15;
};

/* Identify Controller OAES */
struct spdk_nvme_cdata_oaes {
	uint32_t	reserved1			: 8;
	uint32_t	ns_attribute_notices		: 1;
	uint32_t	fw_activation_notices		: 1;
	uint32_t	reserved2			: 1;
	uint32_t	ana_change_notices		: 1;
	uint32_t	pleal_change_notices		: 1;
	uint32_t	lba_sia_notices			: 1;
	uint32_t	egealp_change_notices		: 1;
	uint32_t	nnvm_sse			: 1;
	uint32_t	reserved3			: 11;
	uint32_t	zdes_change_notices		: 1;
	uint32_t	reserved4			: 3;
	uint32_t	discovery_log_change_notices	: 1;
};

/* Identify Controller CTRATT */
union spdk_nvme_cdata_ctratt {
	uint32_t raw;
	struct {
		uint32_t host_id_exhid_supported			: 1;
		uint32_t non_operational_power_state_permissive_mode	: 1;
		uint32_t nvm_sets					: 1;
		uint32_t read_recovery_levels				: 1;
		uint32_t endurance_groups				: 1;
		uint32_t predictable_latency_mode			: 1;
		uint32_t tbkas						: 1;
		uint32_t namespace_granularity				: 1;
		uint32_t sq_associations				: 1;
		uint32_t uuid_list					: 1;
		uint32_t mds						: 1;
		uint32_t fixed_capacity_management			: 1;
		uint32_t variable_capacity_management			: 1;
		uint32_t delete_endurance_group				: 1;
		uint32_t delete_nvm_set					: 1;
		uint32_t elbas						: 1;
		uint32_t reserved1					: 3;
		uint32_t fdps						: 1;
		uint32_t reserved2					: 12;
	} bits;
};

/* Identify Controller data structure (CNS 01h), 4096 bytes */
#pragma pack(push, 1)
struct spdk_nvme_ctrlr_data {
	/* bytes 0-255: controller capabilities and features */
	uint16_t		vid;
	uint16_t		ssvid;
	int8_t			sn[SPDK_NVME_CTRLR_SN_LEN];
	int8_t			mn[SPDK_NVME_CTRLR_MN_LEN];
	uint8_t			fr[SPDK_NVME_CTRLR_FR_LEN];
	uint8_t			rab;
	uint8_t			ieee[3];

	struct {
		uint8_t multi_port	: 1;
		uint8_t multi_ctrlr	: 1;
		uint8_t sr_iov		: 1;
		uint8_t ana_reporting	: 1;
		uint8_t reserved	: 4;
	} cmic;

	uint8_t			mdts;
	uint16_t		cntlid;
	union spdk_nvme_vs_register ver;
	uint32_t		rtd3r;
	uint32_t		rtd3e;
	struct spdk_nvme_cdata_oaes oaes;
	union spdk_nvme_cdata_ctratt ctratt;
	uint16_t		rrls;
	uint8_t			reserved_102[9];
	uint8_t			cntrltype;
	uint8_t			fguid[16];
	uint16_t		crdt[3];
	uint8_t			reserved_134[119];

	struct {
		uint8_t		nvmesd		: 1;
		uint8_t		nvmee		: 1;
		uint8_t		nvmsr_rsvd	: 6;
	} nvmsr;

	struct {
		uint8_t		vwcr		: 7;
		uint8_t		vwcrv		: 1;
	} vwci;

	struct {
		uint8_t		smbusme		: 1;
		uint8_t		pcieme		: 1;
		uint8_t		mec_rsvd	: 6;
	} mec;

	/* bytes 256-511: admin command set attributes */
	struct spdk_nvme_cdata_oacs oacs;
	uint8_t			acl;
	uint8_t			aerl;

	struct {
		uint8_t		slot1_ro			: 1;
		uint8_t		num_slots			: 3;
		uint8_t		activation_without_reset	: 1;
		uint8_t		multiple_update_detection	: 1;
		uint8_t		frmw_rsvd			: 2;
	} frmw;

	struct {
		uint8_t		ns_smart	: 1;
		uint8_t		celp		: 1;
		uint8_t		edlp		: 1;
		uint8_t		telemetry	: 1;
		uint8_t		pelp		: 1;
		uint8_t		lplp		: 1;
		uint8_t		da4_telemetry	: 1;
		uint8_t		lpa_rsvd	: 1;
	} lpa;

	uint8_t			elpe;
	uint8_t			npss;

	struct {
		uint8_t		spec_format	: 1;
		uint8_t		avscc_rsvd	: 7;
	} avscc;

	struct {
		uint8_t		supported	: 1;
		uint8_t		apsta_rsvd	: 7;
	} apsta;

	uint16_t		wctemp;
	uint16_t		cctemp;
	uint16_t		mtfa;
	uint32_t		hmpre;
	uint32_t		hmmin;
	uint64_t		tnvmcap[2];
	uint64_t		unvmcap[2];

	struct {
		uint8_t		num_rpmb_units	: 3;
		uint8_t		auth_method	: 3;
		uint8_t		reserved1	: 2;
		uint8_t		reserved2;
		uint8_t		total_size;
		uint8_t		access_size;
	} rpmbs;

	uint16_t		edstt;

	union {
		uint8_t raw;
		struct {
			uint8_t	one_only	: 1;
			uint8_t	reserved	: 7;
		} bits;
	} dsto;

	uint8_t			fwug;
	uint16_t		kas;

	union {
		uint16_t raw;
		struct {
			uint16_t supported	: 1;
			uint16_t reserved	: 15;
		} bits;
	} hctma;

	uint16_t		mntmt;
	uint16_t		mxtmt;

	union {
		uint32_t raw;
		struct {
			uint32_t crypto_erase	: 1;
			uint32_t block_erase	: 1;
			uint32_t overwrite	: 1;
			uint32_t reserved	: 29;
		} bits;
	} sanicap;

	uint32_t		hmminds;
	uint16_t		hmmaxd;
	uint16_t		nsetidmax;
	uint16_t		endgidmax;
	uint8_t			anatt;

	struct {
		uint8_t		ana_optimized_state		: 1;
		uint8_t		ana_non_optimized_state		: 1;
		uint8_t		ana_inaccessible_state		: 1;
		uint8_t		ana_persistent_loss_state	: 1;
		uint8_t		ana_change_state		: 1;
		uint8_t		reserved			: 1;
		uint8_t		no_change_anagrpid		: 1;
		uint8_t		non_zero_anagrpid		: 1;
	} anacap;

	uint32_t		anagrpmax;
	uint32_t		nanagrpid;
	uint32_t		pels;
	uint16_t		domain_identifier;
	uint8_t			reserved3[10];
	uint8_t			megcap[SPDK_NVME_CTRLR_MEGCAP_LEN];
	uint8_t			reserved384[128];

	/* bytes 512-703: NVM command set attributes */
	struct {
		uint8_t		min : 4;
		uint8_t		max : 4;
	} sqes;

	struct {
		uint8_t		min : 4;
		uint8_t		max : 4;
	} cqes;

	uint16_t		maxcmd;
	uint32_t		nn;
	struct spdk_nvme_cdata_oncs oncs;
	struct spdk_nvme_cdata_fuses fuses;

	struct {
		uint8_t		format_all_ns		: 1;
		uint8_t		erase_all_ns		: 1;
		uint8_t		crypto_erase_supported	: 1;
		uint8_t		reserved		: 5;
	} fna;

	struct {
		uint8_t		present		: 1;
		uint8_t		flush_broadcast	: 2;
		uint8_t		reserved	: 5;
	} vwc;

	uint16_t		awun;
	uint16_t		awupf;
	uint8_t			nvscc;
	uint8_t			nwpc;
	uint16_t		acwu;

	struct {
		uint16_t	copy_format0	: 1;
		uint16_t	reserved1	: 15;
	} ocfs;

	struct spdk_nvme_cdata_sgls sgls;
	uint32_t		mnan;
	uint8_t			maxdna[SPDK_NVME_MAXDNA_FIELD_SIZE];
	uint32_t		maxcna;
	uint8_t			reserved4[204];
	uint8_t			subnqn[SPDK_NVME_NQN_FIELD_SIZE];
	uint8_t			reserved5[768];
	struct spdk_nvme_cdata_nvmf_specific nvmf_specific;

	/* bytes 2048-3071: power state descriptors */
	struct spdk_nvme_power_state psd[32];

	/* bytes 3072-4095: vendor specific */
	uint8_t			vs[1024];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_ctrlr_data) == 4096, "Incorrect size");
#pragma pack(pop)

/* Zoned Namespace I/O command set specific Identify Controller data */
struct spdk_nvme_zns_ctrlr_data {
	uint8_t			zasl;
	uint8_t			reserved1[4095];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_zns_ctrlr_data) == 4096, "Incorrect size");

#pragma pack(push, 1)
/* Primary Controller Capabilities (CNS 14h) */
struct spdk_nvme_primary_ctrl_capabilities {
	uint16_t		cntlid;
	uint16_t		portid;
	struct {
		uint8_t vq_supported	: 1;
		uint8_t vi_supported	: 1;
		uint8_t reserved	: 6;
	} crt;
	uint8_t			reserved[27];
	uint32_t		vqfrt;
	uint32_t		vqrfa;
	uint16_t		vqrfap;
	uint16_t		vqprt;
	uint16_t		vqfrsm;
	uint16_t		vqgran;
	uint8_t			reserved1[16];
	uint32_t		vifrt;
	uint32_t		virfa;
	uint16_t		virfap;
	uint16_t		viprt;
	uint16_t		vifrsm;
	uint16_t		vigran;
	uint8_t			reserved2[4016];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_primary_ctrl_capabilities) == 4096, "Incorrect size");

struct spdk_nvme_secondary_ctrl_entry {
	uint16_t		scid;
	uint16_t		pcid;
	struct {
		uint8_t is_online	: 1;
		uint8_t reserved	: 7;
	} scs;
	uint8_t			reserved[3];
	uint16_t		vfn;
	uint16_t		nvq;
	uint16_t		nvi;
	uint8_t			reserved1[18];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_secondary_ctrl_entry) == 32, "Incorrect size");

/* Secondary Controller List (CNS 15h) */
struct spdk_nvme_secondary_ctrl_list {
	uint8_t					number;
	uint8_t					reserved[31];
	struct spdk_nvme_secondary_ctrl_entry	entries[127];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_secondary_ctrl_list) == 4096, "Incorrect size");
#pragma pack(pop)

/* Identify Namespace data structure (CNS 00h), 4096 bytes */
struct spdk_nvme_ns_data {
	uint64_t		nsze;
	uint64_t		ncap;
	uint64_t		nuse;

	struct {
		uint8_t		thin_prov			: 1;
		uint8_t		ns_atomic_write_unit		: 1;
		uint8_t		dealloc_or_unwritten_error	: 1;
		uint8_t		guid_never_reused		: 1;
		uint8_t		optperf				: 1;
		uint8_t		reserved1			: 3;
	} nsfeat;

	uint8_t			nlbaf;

	struct {
		uint8_t		format		: 4;	/* low bits of the format index */
		uint8_t		extended	: 1;
		uint8_t		msb_format	: 2;	/* high bits, when nlbaf > 16 */
		uint8_t		reserved2	: 1;
	} flbas;

	struct {
		uint8_t		extended	: 1;
		uint8_t		pointer		: 1;
		uint8_t		reserved3	: 6;
	} mc;

	struct {
		uint8_t		pit1		: 1;
		uint8_t		pit2		: 1;
		uint8_t		pit3		: 1;
		uint8_t		md_start	: 1;
		uint8_t		md_end		: 1;
	} dpc;

	struct {
		uint8_t		pit		: 3;
		uint8_t		md_start	: 1;
		uint8_t		reserved4	: 4;
	} dps;

	struct {
		uint8_t		can_share	: 1;
		uint8_t		reserved	: 7;
	} nmic;

	union {
		struct {
			uint8_t	persist				: 1;
			uint8_t	write_exclusive			: 1;
			uint8_t	exclusive_access		: 1;
			uint8_t	write_exclusive_reg_only	: 1;
			uint8_t	exclusive_access_reg_only	: 1;
			uint8_t	write_exclusive_all_reg		: 1;
			uint8_t	exclusive_access_all_reg	: 1;
			uint8_t	ignore_existing_key		: 1;
		} rescap;
		uint8_t		raw;
	} nsrescap;

	struct {
		uint8_t		percentage_remaining	: 7;
		uint8_t		fpi_supported		: 1;
	} fpi;

	union {
		uint8_t raw;
		struct {
			/* enum spdk_nvme_dealloc_logical_block_read_value */
			uint8_t	read_value		: 3;
			uint8_t	write_zero_deallocate	: 1;
			uint8_t	guard_value		: 1;
			uint8_t	reserved		: 3;
		} bits;
	} dlfeat;

	uint16_t		nawun;
	uint16_t		nawupf;
	uint16_t		nacwu;
	uint16_t		nabsn;
	uint16_t		nabo;
	uint16_t		nabspf;
	uint16_t		noiob;
	uint64_t		nvmcap[2];
	uint16_t		npwg;
	uint16_t		npwa;
	uint16_t		npdg;
	uint16_t		npda;
	uint16_t		nows;
	uint16_t		mssrl;
	uint32_t		mcl;
	uint8_t			msrc;
	uint8_t			reserved81[11];
	uint32_t		anagrpid;
	uint8_t			reserved96[3];

	struct {
		uint8_t		write_protected	: 1;
		uint8_t		reserved	: 7;
	} nsattr;

	uint16_t		nvmsetid;
	uint16_t		endgid;
	uint8_t			nguid[16];
	uint64_t		eui64;

	struct {
		uint32_t	ms		: 16;	/* metadata size */
		uint32_t	lbads		: 8;	/* log2 of the data size */
		uint32_t	rp		: 2;	/* relative performance */
		uint32_t	reserved6	: 6;
	} lbaf[64];

	uint8_t			vendor_specific[3712];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_ns_data) == 4096, "Incorrect size");

enum spdk_nvme_pi_format {
	SPDK_NVME_16B_GUARD_PI	= 0,
	SPDK_NVME_32B_GUARD_PI	= 1,
	SPDK_NVME_64B_GUARD_PI	= 2,
};

/* NVM command set specific Identify Namespace data (CNS 05h, CSI 00h) */
struct spdk_nvme_nvm_ns_data {
	uint64_t		lbstm;

	struct {
		uint8_t		_16bpists	: 1;
		uint8_t		_16bpistm	: 1;
		uint8_t		stcrs		: 1;
		uint8_t		reserved	: 5;
	} pic;

	uint8_t			reserved[3];

	struct {
		uint32_t	sts		: 7;
		uint32_t	pif		: 2;	/* enum spdk_nvme_pi_format */
		uint32_t	reserved	: 23;
	} elbaf[64];

	uint8_t			reserved2[3828];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_nvm_ns_data) == 4096, "Incorrect size");

/* NVM command set specific Identify Controller data (CNS 06h, CSI 00h) */
struct spdk_nvme_nvm_ctrlr_data {
	uint8_t			vsl;
	uint8_t			wzsl;
	uint8_t			wusl;
	uint8_t			dmrl;
	uint32_t		dmrsl;
	uint64_t		dmsl;
	uint8_t			rsvd16[4080];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_nvm_ctrlr_data) == 4096, "Incorrect size");

/* Zoned Namespace command set specific Identify Namespace data */
struct spdk_nvme_zns_ns_data {
	struct {
		uint16_t	variable_zone_capacity	: 1;
		uint16_t	zone_active_excursions	: 1;
		uint16_t	reserved0		: 14;
	} zoc;

	struct {
		uint16_t	read_across_zone_boundaries	: 1;
		uint16_t	reserved0			: 15;
	} ozcs;

	uint32_t		mar;
	uint32_t		mor;
	uint32_t		rrl;
	uint32_t		frl;
	uint32_t		rrl1;
	uint32_t		rrl2;
	uint32_t		rrl3;
	uint32_t		frl1;
	uint32_t		frl2;
	uint32_t		frl3;
	uint8_t			reserved44[2772];

	struct {
		uint64_t	zsze;
		uint64_t	zdes		: 8;
		uint64_t	reserved15	: 56;
	} lbafe[64];

	uint8_t			vendor_specific[256];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_zns_ns_data) == 4096, "Incorrect size");

/* I/O command set vector (Identify I/O Command Set data structure entry) */
struct spdk_nvme_iocs_vector {
	uint8_t	nvm	: 1;
	uint8_t	kv	: 1;
	uint8_t	zns	: 1;
	uint8_t	rsvd	: 5;
	uint8_t	rsvd2[7];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_iocs_vector) == 8, "Incorrect size");

/* ns_data.dlfeat.bits.read_value values */
enum spdk_nvme_dealloc_logical_block_read_value {
	SPDK_NVME_DEALLOC_NOT_REPORTED	= 0,
	SPDK_NVME_DEALLOC_READ_00	= 1,
	SPDK_NVME_DEALLOC_READ_FF	= 2,
};

/* ------------------------------------------------------------------------ */
/* Reservations                                                             */
/* ------------------------------------------------------------------------ */

enum spdk_nvme_reservation_type {
	SPDK_NVME_RESERVE_WRITE_EXCLUSIVE		= 0x1,
	SPDK_NVME_RESERVE_EXCLUSIVE_ACCESS		= 0x2,
	SPDK_NVME_RESERVE_WRITE_EXCLUSIVE_REG_ONLY	= 0x3,
	SPDK_NVME_RESERVE_EXCLUSIVE_ACCESS_REG_ONLY	= 0x4,
	SPDK_NVME_RESERVE_WRITE_EXCLUSIVE_ALL_REGS	= 0x5,
	SPDK_NVME_RESERVE_EXCLUSIVE_ACCESS_ALL_REGS	= 0x6,
};

struct spdk_nvme_reservation_acquire_data {
	uint64_t		crkey;
	uint64_t		prkey;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_reservation_acquire_data) == 16, "Incorrect size");

enum spdk_nvme_reservation_acquire_action {
	SPDK_NVME_RESERVE_ACQUIRE		= 0x0,
	SPDK_NVME_RESERVE_PREEMPT		= 0x1,
	SPDK_NVME_RESERVE_PREEMPT_ABORT		= 0x2,
};

#pragma pack(push, 1)
struct spdk_nvme_reservation_status_data {
	uint32_t		gen;
	uint8_t			rtype;
	uint16_t		regctl;
	uint16_t		reserved1;
	uint8_t			ptpls;
	uint8_t			reserved[14];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_reservation_status_data) == 24, "Incorrect size");

struct spdk_nvme_reservation_status_extended_data {
	struct spdk_nvme_reservation_status_data	data;
	uint8_t						reserved[40];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_reservation_status_extended_data) == 64,
		   "Incorrect size");

struct spdk_nvme_registered_ctrlr_data {
	uint16_t		cntlid;
	struct {
		uint8_t		status		: 1;
		uint8_t		reserved1	: 7;
	} rcsts;
	uint8_t			reserved2[5];
	uint64_t		hostid;
	uint64_t		rkey;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_registered_ctrlr_data) == 24, "Incorrect size");

struct spdk_nvme_registered_ctrlr_extended_data {
	uint16_t		cntlid;
	struct {
		uint8_t		status		: 1;
		uint8_t		reserved1	: 7;
	} rcsts;
	uint8_t			reserved2[5];
	uint64_t		rkey;
	uint8_t			hostid[16];
	uint8_t			reserved3[32];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_registered_ctrlr_extended_data) == 64,
		   "Incorrect size");
#pragma pack(pop)

enum spdk_nvme_reservation_register_cptpl {
	SPDK_NVME_RESERVE_PTPL_NO_CHANGES		= 0x0,
	SPDK_NVME_RESERVE_PTPL_CLEAR_POWER_ON		= 0x2,
	SPDK_NVME_RESERVE_PTPL_PERSIST_POWER_LOSS	= 0x3,
};

enum spdk_nvme_reservation_register_action {
	SPDK_NVME_RESERVE_REGISTER_KEY		= 0x0,
	SPDK_NVME_RESERVE_UNREGISTER_KEY	= 0x1,
	SPDK_NVME_RESERVE_REPLACE_KEY		= 0x2,
};

struct spdk_nvme_reservation_register_data {
	uint64_t		crkey;
	uint64_t		nrkey;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_reservation_register_data) == 16, "Incorrect size");

struct spdk_nvme_reservation_key_data {
	uint64_t		crkey;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_reservation_key_data) == 8, "Incorrect size");

enum spdk_nvme_reservation_release_action {
	SPDK_NVME_RESERVE_RELEASE		= 0x0,
	SPDK_NVME_RESERVE_CLEAR			= 0x1,
};

enum spdk_nvme_reservation_notification_log_page_type {
	SPDK_NVME_RESERVATION_LOG_PAGE_EMPTY	= 0x0,
	SPDK_NVME_REGISTRATION_PREEMPTED	= 0x1,
	SPDK_NVME_RESERVATION_RELEASED		= 0x2,
	SPDK_NVME_RESERVATION_PREEMPTED		= 0x3,
};

struct spdk_nvme_reservation_notification_log {
	uint64_t	log_page_count;
	uint8_t		type;
	uint8_t		num_avail_log_pages;
	uint8_t		reserved[2];
	uint32_t	nsid;
	uint8_t		reserved1[48];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_reservation_notification_log) == 64, "Incorrect size");

#define SPDK_NVME_REGISTRATION_PREEMPTED_MASK	(1U << 1)
#define SPDK_NVME_RESERVATION_RELEASED_MASK	(1U << 2)
#define SPDK_NVME_RESERVATION_PREEMPTED_MASK	(1U << 3)

/* ------------------------------------------------------------------------ */
/* Log pages                                                                */
/* ------------------------------------------------------------------------ */

enum spdk_nvme_log_page {
	SPDK_NVME_LOG_SUPPORTED_LOG_PAGES		= 0x00,
	SPDK_NVME_LOG_ERROR				= 0x01,
	SPDK_NVME_LOG_HEALTH_INFORMATION		= 0x02,
	SPDK_NVME_LOG_FIRMWARE_SLOT			= 0x03,
	SPDK_NVME_LOG_CHANGED_NS_LIST			= 0x04,
	SPDK_NVME_LOG_COMMAND_EFFECTS_LOG		= 0x05,
	SPDK_NVME_LOG_DEVICE_SELF_TEST			= 0x06,
	SPDK_NVME_LOG_TELEMETRY_HOST_INITIATED		= 0x07,
	SPDK_NVME_LOG_TELEMETRY_CTRLR_INITIATED		= 0x08,
	SPDK_NVME_LOG_ENDURANCE_GROUP_INFORMATION	= 0x09,
	/* (sic) SPDK's spelling */
	SPDK_NVME_LOG_PREDICATBLE_LATENCY		= 0x0A,
	SPDK_NVME_LOG_PREDICTABLE_LATENCY_EVENT		= 0x0B,
	SPDK_NVME_LOG_ASYMMETRIC_NAMESPACE_ACCESS	= 0x0C,
	SPDK_NVME_LOG_PERSISTENT_EVENT_LOG		= 0x0D,
	SPDK_NVME_LOG_ENDURANCE_GROUP_EVENT		= 0x0F,
	SPDK_NVME_LOG_MEDIA_UNIT_STATUS			= 0x10,
	SPDK_NVME_LOG_CAPACITY_CONFIGURATION_LIST	= 0x11,
	SPDK_NVME_LOG_FEATURE_IDS_EFFECTS		= 0x12,
	SPDK_NVME_LOG_NVME_MI_COMMANDS_EFFECTS		= 0x13,
	SPDK_NVME_LOG_COMMAND_FEATURE_LOCKDOWN		= 0x14,
	SPDK_NVME_LOG_BOOT_PARTITION			= 0x15,
	SPDK_NVME_LOG_ROTATIONAL_MEDIA_INFORMATION	= 0x16,
	SPDK_NVME_LOG_FDP_CONFIGURATIONS		= 0x20,
	SPDK_NVME_LOG_RECLAIM_UNIT_HANDLE_USAGE		= 0x21,
	SPDK_NVME_LOG_FDP_STATISTICS			= 0x22,
	SPDK_NVME_LOG_FDP_EVENTS			= 0x23,
	SPDK_NVME_LOG_DISCOVERY				= 0x70,
	SPDK_NVME_LOG_RESERVATION_NOTIFICATION		= 0x80,
	SPDK_NVME_LOG_SANITIZE_STATUS			= 0x81,
	SPDK_NVME_LOG_CHANGED_ZONE_LIST			= 0xBF,
	SPDK_NVME_LOG_VENDOR_SPECIFIC_START		= 0xc0,
	SPDK_NVME_LOG_VENDOR_SPECIFIC_END		= 0xff,
};

#define spdk_nvme_log_page_is_vendor_specific(lid) ((lid) >= SPDK_NVME_LOG_VENDOR_SPECIFIC_START)

/* Error Information log entry (SPDK_NVME_LOG_ERROR), 64 bytes */
struct spdk_nvme_error_information_entry {
	uint64_t		error_count;
	uint16_t		sqid;
	uint16_t		cid;
	struct spdk_nvme_status	status;
	uint16_t		error_location;
	uint64_t		lba;
	uint32_t		nsid;
	uint8_t			vendor_specific;
	uint8_t			trtype;
	uint8_t			reserved30[2];
	uint64_t		command_specific;
	uint16_t		trtype_specific;
	uint8_t			reserved42[22];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_error_information_entry) == 64, "Incorrect size");

/* SMART / Health Information log page (SPDK_NVME_LOG_HEALTH_INFORMATION) */
#pragma pack(push, 1)
struct spdk_nvme_health_information_page {
	union spdk_nvme_critical_warning_state	critical_warning;
	uint16_t		temperature;
	uint8_t			available_spare;
	uint8_t			available_spare_threshold;
	uint8_t			percentage_used;
	uint8_t			reserved[26];

	/* 128-bit counters, as two 64-bit halves (low half first) */
	uint64_t		data_units_read[2];
	uint64_t		data_units_written[2];
	uint64_t		host_read_commands[2];
	uint64_t		host_write_commands[2];
	uint64_t		controller_busy_time[2];
	uint64_t		power_cycles[2];
	uint64_t		power_on_hours[2];
	uint64_t		unsafe_shutdowns[2];
	uint64_t		media_errors[2];
	uint64_t		num_error_info_log_entries[2];

	uint32_t		warning_temp_time;
	uint32_t		critical_temp_time;
	uint16_t		temp_sensor[8];
	uint8_t			reserved2[296];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_health_information_page) == 512, "Incorrect size");
#pragma pack(pop)

/* Commands Supported and Effects entry */
struct spdk_nvme_cmds_and_effect_entry {
	uint16_t csupp		: 1;
	uint16_t lbcc		: 1;
	uint16_t ncc		: 1;
	uint16_t nic		: 1;
	uint16_t ccc		: 1;
	uint16_t reserved1	: 11;
	uint16_t cse		: 3;
	uint16_t reserved2	: 13;
};

/* Commands Supported and Effects log page (SPDK_NVME_LOG_COMMAND_EFFECTS_LOG) */
struct spdk_nvme_cmds_and_effect_log_page {
	struct spdk_nvme_cmds_and_effect_entry admin_cmds_supported[256];
	struct spdk_nvme_cmds_and_effect_entry io_cmds_supported[256];
	uint8_t reserved0[2048];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_cmds_and_effect_log_page) == 4096, "Incorrect size");

/* Telemetry host/controller initiated log header (log pages 07h/08h) */
struct spdk_nvme_telemetry_log_page_hdr {
	uint8_t		lpi;
	uint8_t		rsvd[4];
	uint8_t		ieee_oui[3];
	uint16_t	dalb1;
	uint16_t	dalb2;
	uint16_t	dalb3;
	uint8_t		rsvd1[368];
	uint8_t		ctrlr_avail;
	uint8_t		ctrlr_gen;
	uint8_t		rsnident[128];
	/* SPDK declares this as a zero-length array; a flexible array member
	 * is the ISO C spelling of the same layout. */
	uint8_t		telemetry_datablock[];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_telemetry_log_page_hdr) == 512, "Incorrect size");

enum spdk_nvme_sanitize_status_type {
	SPDK_NVME_NEVER_BEEN_SANITIZED		= 0x0,
	SPDK_NVME_RECENT_SANITIZE_SUCCESSFUL	= 0x1,
	SPDK_NVME_SANITIZE_IN_PROGRESS		= 0x2,
	SPDK_NVME_SANITIZE_FAILED		= 0x3,
};

struct spdk_nvme_sanitize_status_sstat {
	uint16_t status			: 3;
	uint16_t complete_pass		: 5;
	uint16_t global_data_erase	: 1;
	uint16_t reserved		: 7;
};

/* Sanitize Status log page (SPDK_NVME_LOG_SANITIZE_STATUS) */
struct spdk_nvme_sanitize_status_log_page {
	uint16_t				sprog;
	struct spdk_nvme_sanitize_status_sstat	sstat;
	uint32_t				scdw10;
	uint32_t				et_overwrite;
	uint32_t				et_block_erase;
	uint32_t				et_crypto_erase;
	uint8_t					reserved[492];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_sanitize_status_log_page) == 512, "Incorrect size");

/* ---- Asynchronous events ---- */

enum spdk_nvme_async_event_type {
	SPDK_NVME_ASYNC_EVENT_TYPE_ERROR	= 0x0,
	SPDK_NVME_ASYNC_EVENT_TYPE_SMART	= 0x1,
	SPDK_NVME_ASYNC_EVENT_TYPE_NOTICE	= 0x2,
	SPDK_NVME_ASYNC_EVENT_TYPE_IO		= 0x6,
	SPDK_NVME_ASYNC_EVENT_TYPE_VENDOR	= 0x7,
};

enum spdk_nvme_async_event_info_error {
	SPDK_NVME_ASYNC_EVENT_WRITE_INVALID_DB		= 0x0,
	SPDK_NVME_ASYNC_EVENT_INVALID_DB_WRITE		= 0x1,
	SPDK_NVME_ASYNC_EVENT_DIAGNOSTIC_FAILURE	= 0x2,
	SPDK_NVME_ASYNC_EVENT_PERSISTENT_INTERNAL	= 0x3,
	SPDK_NVME_ASYNC_EVENT_TRANSIENT_INTERNAL	= 0x4,
	SPDK_NVME_ASYNC_EVENT_FW_IMAGE_LOAD		= 0x5,
};

enum spdk_nvme_async_event_info_smart {
	SPDK_NVME_ASYNC_EVENT_SUBSYSTEM_RELIABILITY	= 0x0,
	SPDK_NVME_ASYNC_EVENT_TEMPERATURE_THRESHOLD	= 0x1,
	SPDK_NVME_ASYNC_EVENT_SPARE_BELOW_THRESHOLD	= 0x2,
};

enum spdk_nvme_async_event_info_notice {
	SPDK_NVME_ASYNC_EVENT_NS_ATTR_CHANGED		= 0x0,
	SPDK_NVME_ASYNC_EVENT_FW_ACTIVATION_START	= 0x1,
	SPDK_NVME_ASYNC_EVENT_TELEMETRY_LOG_CHANGED	= 0x2,
	SPDK_NVME_ASYNC_EVENT_ANA_CHANGE		= 0x3,
	SPDK_NVME_ASYNC_EVENT_DISCOVERY_LOG_CHANGE	= 0xF0,
};

enum spdk_nvme_async_event_info_nvm_command_set {
	SPDK_NVME_ASYNC_EVENT_RESERVATION_LOG_AVAIL	= 0x0,
	SPDK_NVME_ASYNC_EVENT_SANITIZE_COMPLETED	= 0x1,
};

/* Completion dword 0 of an Asynchronous Event Request */
union spdk_nvme_async_event_completion {
	uint32_t raw;
	struct {
		uint32_t async_event_type	: 3;
		uint32_t reserved1		: 5;
		uint32_t async_event_info	: 8;
		uint32_t log_page_identifier	: 8;
		uint32_t reserved2		: 8;
	} bits;
};
SPDK_STATIC_ASSERT(sizeof(union spdk_nvme_async_event_completion) == 4, "Incorrect size");

/* Firmware Slot Information log page (SPDK_NVME_LOG_FIRMWARE_SLOT) */
struct spdk_nvme_firmware_page {
	struct {
		uint8_t	active_slot	: 3;
		uint8_t	reserved3	: 1;
		uint8_t	next_reset_slot	: 3;
		uint8_t	reserved7	: 1;
	} afi;

	uint8_t			reserved[7];
	uint8_t			revision[7][8];
	uint8_t			reserved2[448];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_firmware_page) == 512, "Incorrect size");

/* Asymmetric Namespace Access log page header */
struct spdk_nvme_ana_page {
	uint64_t change_count;
	uint16_t num_ana_group_desc;
	uint8_t reserved[6];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_ana_page) == 16, "Incorrect size");

enum spdk_nvme_ana_state {
	SPDK_NVME_ANA_OPTIMIZED_STATE		= 0x1,
	SPDK_NVME_ANA_NON_OPTIMIZED_STATE	= 0x2,
	SPDK_NVME_ANA_INACCESSIBLE_STATE	= 0x3,
	SPDK_NVME_ANA_PERSISTENT_LOSS_STATE	= 0x4,
	SPDK_NVME_ANA_CHANGE_STATE		= 0xF,
};

struct spdk_nvme_ana_group_descriptor {
	uint32_t ana_group_id;
	uint32_t num_of_nsid;
	uint64_t change_count;
	uint8_t ana_state	: 4;
	uint8_t reserved0	: 4;
	uint8_t reserved1[15];
	uint32_t nsid[];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_ana_group_descriptor) == 32, "Incorrect size");

/* ---- Flexible data placement log pages ---- */

enum spdk_nvme_fdp_ruh_type {
	SPDK_NVME_FDP_RUHT_INITIALLY_ISOLATED		= 0x1,
	SPDK_NVME_FDP_RUHT_PERSISTENTLY_ISOLATED	= 0x2,
};

struct spdk_nvme_fdp_ruh_descriptor {
	uint8_t ruht;
	uint8_t reserved[3];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_fdp_ruh_descriptor) == 4, "Incorrect size");

struct spdk_nvme_fdp_cfg_descriptor {
	uint16_t ds;
	union {
		uint8_t raw;
		struct {
			uint8_t rgif	: 4;
			uint8_t fdpvwc	: 1;
			uint8_t rsvd1	: 2;
			uint8_t fdpcv	: 1;
		} bits;
	} fdpa;
	uint8_t vss;
	uint32_t nrg;
	uint16_t nruh;
	uint16_t maxpids;
	uint32_t nns;
	uint64_t runs;
	uint32_t erutl;
	uint8_t rsvd28[36];
	struct spdk_nvme_fdp_ruh_descriptor ruh_desc[];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_fdp_cfg_descriptor) == 64, "Incorrect size");

struct spdk_nvme_fdp_cfg_log_page {
	uint16_t ncfg;
	uint8_t version;
	uint8_t reserved1;
	uint32_t size;
	uint8_t reserved2[8];
	struct spdk_nvme_fdp_cfg_descriptor cfg_desc[];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_fdp_cfg_log_page) == 16, "Incorrect size");

enum spdk_nvme_fdp_ruh_attributes {
	SPDK_NVME_FDP_RUHA_UNUSED		= 0x0,
	SPDK_NVME_FDP_RUHA_HOST_SPECIFIED	= 0x1,
	SPDK_NVME_FDP_RUHA_CTRLR_SPECIFIED	= 0x2,
};

struct spdk_nvme_fdp_ruhu_descriptor {
	uint8_t ruha;
	uint8_t reserved[7];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_fdp_ruhu_descriptor) == 8, "Incorrect size");

struct spdk_nvme_fdp_ruhu_log_page {
	uint16_t nruh;
	uint8_t reserved[6];
	struct spdk_nvme_fdp_ruhu_descriptor ruhu_desc[];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_fdp_ruhu_log_page) == 8, "Incorrect size");

struct spdk_nvme_fdp_stats_log_page {
	uint64_t hbmw[2];
	uint64_t mbmw[2];
	uint64_t mbe[2];
	uint8_t rsvd48[16];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_fdp_stats_log_page) == 64, "Incorrect size");

enum spdk_nvme_fdp_report_event_type {
	SPDK_NVME_FDP_REPORT_CTRL_EVENTS	= 0x0,
	SPDK_NVME_FDP_REPORT_HOST_EVENTS	= 0x1,
};

enum spdk_nvme_fdp_event_type {
	SPDK_NVME_FDP_EVENT_RU_NOT_WRITTEN_CAPACITY	= 0x0,
	SPDK_NVME_FDP_EVENT_RU_TIME_LIMIT_EXCEEDED	= 0x1,
	SPDK_NVME_FDP_EVENT_CTRLR_RESET_MODIFY_RUH	= 0x2,
	SPDK_NVME_FDP_EVENT_INVALID_PLACEMENT_ID	= 0x3,
	SPDK_NVME_FDP_EVENT_MEDIA_REALLOCATED		= 0x80,
	SPDK_NVME_FDP_EVENT_IMPLICIT_MODIFIED_RUH	= 0x81,
};

#pragma pack(push, 1)
struct spdk_nvme_fdp_event_media_reallocated {
	union {
		uint8_t raw;
		struct {
			uint8_t lbav		: 1;
			uint8_t reserved	: 7;
		} bits;
	} sef;
	uint8_t reserved1;
	uint16_t nlbam;
	uint64_t lba;
	uint8_t reserved2[4];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_fdp_event_media_reallocated) == 16, "Incorrect size");

struct spdk_nvme_fdp_event {
	uint8_t etype;
	union {
		uint8_t raw;
		struct {
			uint8_t piv		: 1;
			uint8_t nsidv		: 1;
			uint8_t lv		: 1;
			uint8_t reserved	: 5;
		} bits;
	} fdpef;
	uint16_t pid;
	uint64_t timestamp;
	uint32_t nsid;
	uint64_t event_type_specific[2];
	uint16_t rgid;
	uint16_t ruhid;
	uint8_t reserved[4];
	uint8_t vs[24];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_fdp_event) == 64, "Incorrect size");
#pragma pack(pop)

struct spdk_nvme_fdp_events_log_page {
	uint32_t nevents;
	uint8_t reserved[60];
	struct spdk_nvme_fdp_event event[];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_fdp_events_log_page) == 64, "Incorrect size");

/* ------------------------------------------------------------------------ */
/* Namespace management and lists                                           */
/* ------------------------------------------------------------------------ */

enum spdk_nvme_ns_attach_type {
	SPDK_NVME_NS_CTRLR_ATTACH	= 0x0,
	SPDK_NVME_NS_CTRLR_DETACH	= 0x1,
};

enum spdk_nvme_ns_management_type {
	SPDK_NVME_NS_MANAGEMENT_CREATE	= 0x0,
	SPDK_NVME_NS_MANAGEMENT_DELETE	= 0x1,
};

struct spdk_nvme_ns_list {
	uint32_t ns_list[1024];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_ns_list) == 4096, "Incorrect size");

/* Namespace identification descriptor types */
enum spdk_nvme_nidt {
	SPDK_NVME_NIDT_EUI64	= 0x01,
	SPDK_NVME_NIDT_NGUID	= 0x02,
	SPDK_NVME_NIDT_UUID	= 0x03,
	SPDK_NVME_NIDT_CSI	= 0x04,
};

struct spdk_nvme_ns_id_desc {
	uint8_t nidt;
	uint8_t nidl;
	uint8_t reserved2;
	uint8_t reserved3;
	uint8_t nid[];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_ns_id_desc) == 4, "Incorrect size");

struct spdk_nvme_ctrlr_list {
	uint16_t ctrlr_count;
	uint16_t ctrlr_list[2047];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_ctrlr_list) == 4096, "Incorrect size");

/* Command set identifiers */
enum spdk_nvme_csi {
	SPDK_NVME_CSI_NVM	= 0x0,
	SPDK_NVME_CSI_KV	= 0x1,
	SPDK_NVME_CSI_ZNS	= 0x2,
};

/* ------------------------------------------------------------------------ */
/* Format NVM, sanitize, firmware commit                                    */
/* ------------------------------------------------------------------------ */

enum spdk_nvme_secure_erase_setting {
	SPDK_NVME_FMT_NVM_SES_NO_SECURE_ERASE	= 0x0,
	SPDK_NVME_FMT_NVM_SES_USER_DATA_ERASE	= 0x1,
	SPDK_NVME_FMT_NVM_SES_CRYPTO_ERASE	= 0x2,
};

enum spdk_nvme_pi_location {
	SPDK_NVME_FMT_NVM_PROTECTION_AT_TAIL	= 0x0,
	SPDK_NVME_FMT_NVM_PROTECTION_AT_HEAD	= 0x1,
};

enum spdk_nvme_pi_type {
	SPDK_NVME_FMT_NVM_PROTECTION_DISABLE	= 0x0,
	SPDK_NVME_FMT_NVM_PROTECTION_TYPE1	= 0x1,
	SPDK_NVME_FMT_NVM_PROTECTION_TYPE2	= 0x2,
	SPDK_NVME_FMT_NVM_PROTECTION_TYPE3	= 0x3,
};

enum spdk_nvme_metadata_setting {
	SPDK_NVME_FMT_NVM_METADATA_TRANSFER_AS_BUFFER	= 0x0,
	SPDK_NVME_FMT_NVM_METADATA_TRANSFER_AS_LBA	= 0x1,
};

/* Format NVM command dword 10 */
struct spdk_nvme_format {
	uint32_t	lbaf		: 4;
	uint32_t	ms		: 1;
	uint32_t	pi		: 3;
	uint32_t	pil		: 1;
	uint32_t	ses		: 3;
	uint32_t	lbafu		: 2;
	uint32_t	reserved	: 18;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_format) == 4, "Incorrect size");

/* 8-byte protection information tuple (16b guard) */
struct spdk_nvme_protection_info {
	uint16_t	guard;
	uint16_t	app_tag;
	uint32_t	ref_tag;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_protection_info) == 8, "Incorrect size");

/* Sanitize command dword 10 */
struct spdk_nvme_sanitize {
	uint32_t sanact		: 3;
	uint32_t ause		: 1;
	uint32_t owpass		: 4;
	uint32_t oipbp		: 1;
	uint32_t ndas		: 1;
	uint32_t reserved	: 22;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_sanitize) == 4, "Incorrect size");

enum spdk_sanitize_action {
	SPDK_NVME_SANITIZE_EXIT_FAILURE_MODE	= 0x1,
	SPDK_NVME_SANITIZE_BLOCK_ERASE		= 0x2,
	SPDK_NVME_SANITIZE_OVERWRITE		= 0x3,
	SPDK_NVME_SANITIZE_CRYPTO_ERASE		= 0x4,
};

/* Firmware Commit command dword 10: commit action */
enum spdk_nvme_fw_commit_action {
	SPDK_NVME_FW_COMMIT_REPLACE_IMG			= 0x0,
	SPDK_NVME_FW_COMMIT_REPLACE_AND_ENABLE_IMG	= 0x1,
	SPDK_NVME_FW_COMMIT_ENABLE_IMG			= 0x2,
	SPDK_NVME_FW_COMMIT_RUN_IMG			= 0x3,
	SPDK_NVME_FW_COMMIT_REPLACE_BOOT_PARTITION	= 0x6,
	SPDK_NVME_FW_COMMIT_ACTIVATE_BOOT_PARTITION	= 0x7,
};

/* Firmware Commit command dword 10 */
struct spdk_nvme_fw_commit {
	uint32_t	fs		: 3;
	uint32_t	ca		: 3;
	uint32_t	reserved	: 25;
	uint32_t	bpid		: 1;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_fw_commit) == 4, "Incorrect size");

/* ------------------------------------------------------------------------ */
/* Zoned namespaces                                                         */
/* ------------------------------------------------------------------------ */

/* Zone Management Send action (command dword 13) */
enum spdk_nvme_zns_zone_send_action {
	SPDK_NVME_ZONE_CLOSE	= 0x1,
	SPDK_NVME_ZONE_FINISH	= 0x2,
	SPDK_NVME_ZONE_OPEN	= 0x3,
	SPDK_NVME_ZONE_RESET	= 0x4,
	SPDK_NVME_ZONE_OFFLINE	= 0x5,
	SPDK_NVME_ZONE_SET_ZDE	= 0x10,
};

/* Zone Management Receive action (command dword 13) */
enum spdk_nvme_zns_zone_receive_action {
	SPDK_NVME_ZONE_REPORT		= 0x0,
	SPDK_NVME_ZONE_EXTENDED_REPORT	= 0x1,
};

enum spdk_nvme_zns_zra_report_opts {
	SPDK_NVME_ZRA_LIST_ALL	= 0x0,
	SPDK_NVME_ZRA_LIST_ZSE	= 0x1,
	SPDK_NVME_ZRA_LIST_ZSIO	= 0x2,
	SPDK_NVME_ZRA_LIST_ZSEO	= 0x3,
	SPDK_NVME_ZRA_LIST_ZSC	= 0x4,
	SPDK_NVME_ZRA_LIST_ZSF	= 0x5,
	SPDK_NVME_ZRA_LIST_ZSRO	= 0x6,
	SPDK_NVME_ZRA_LIST_ZSO	= 0x7,
};

enum spdk_nvme_zns_zone_type {
	SPDK_NVME_ZONE_TYPE_SEQWR = 0x2,
};

enum spdk_nvme_zns_zone_state {
	SPDK_NVME_ZONE_STATE_EMPTY	= 0x1,
	SPDK_NVME_ZONE_STATE_IOPEN	= 0x2,
	SPDK_NVME_ZONE_STATE_EOPEN	= 0x3,
	SPDK_NVME_ZONE_STATE_CLOSED	= 0x4,
	SPDK_NVME_ZONE_STATE_RONLY	= 0xD,
	SPDK_NVME_ZONE_STATE_FULL	= 0xE,
	SPDK_NVME_ZONE_STATE_OFFLINE	= 0xF,
};

struct spdk_nvme_zns_zone_desc {
	uint8_t zt	: 4;	/* zone type */
	uint8_t rsvd0	: 4;
	uint8_t rsvd1	: 4;
	uint8_t zs	: 4;	/* zone state */

	union {
		uint8_t raw;
		struct {
			uint8_t zfc	: 1;
			uint8_t fzr	: 1;
			uint8_t rzr	: 1;
			uint8_t rsvd3	: 4;
			uint8_t zdev	: 1;
		} bits;
	} za;

	uint8_t reserved[5];
	uint64_t zcap;
	uint64_t zslba;
	uint64_t wp;
	uint8_t reserved32[32];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_zns_zone_desc) == 64, "Incorrect size");

struct spdk_nvme_zns_zone_report {
	uint64_t nr_zones;
	uint8_t reserved8[56];
	struct spdk_nvme_zns_zone_desc descs[];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_zns_zone_report) == 64, "Incorrect size");

/* ------------------------------------------------------------------------ */
/* Directives                                                               */
/* ------------------------------------------------------------------------ */

enum spdk_nvme_directive_type {
	SPDK_NVME_DIRECTIVE_TYPE_IDENTIFY	= 0x0,
	SPDK_NVME_DIRECTIVE_TYPE_STREAMS	= 0x1,
	SPDK_NVME_DIRECTIVE_TYPE_DATA_PLACEMENT	= 0x2,
};

enum spdk_nvme_identify_directive_send_operation {
	SPDK_NVME_IDENTIFY_DIRECTIVE_SEND_ENABLED = 0x1,
};

enum spdk_nvme_identify_directive_receive_operation {
	SPDK_NVME_IDENTIFY_DIRECTIVE_RECEIVE_RETURN_PARAM = 0x1,
};

struct spdk_nvme_ns_identify_directive_param {
	struct {
		uint8_t identify	: 1;
		uint8_t streams		: 1;
		uint8_t data_pd		: 1;
		uint8_t reserved1	: 5;
		uint8_t reserved2[31];
	} directives_supported;
	struct {
		uint8_t identify	: 1;
		uint8_t streams		: 1;
		uint8_t data_pd		: 1;
		uint8_t reserved1	: 5;
		uint8_t reserved2[31];
	} directives_enabled;
	struct {
		uint8_t identify	: 1;
		uint8_t streams		: 1;
		uint8_t data_pd		: 1;
		uint8_t reserved1	: 5;
		uint8_t reserved2[31];
	} directives_persistence;

	uint32_t reserved[1000];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_ns_identify_directive_param) == 4096, "Incorrect size");

enum spdk_nvme_streams_directive_receive_operation {
	SPDK_NVME_STREAMS_DIRECTIVE_RECEIVE_RETURN_PARAM	= 0x1,
	SPDK_NVME_STREAMS_DIRECTIVE_RECEIVE_GET_STATUS		= 0x2,
	SPDK_NVME_STREAMS_DIRECTIVE_RECEIVE_ALLOCATE_RESOURCE	= 0x3,
};

enum spdk_nvme_streams_directive_send_operation {
	SPDK_NVME_STREAMS_DIRECTIVE_SEND_RELEASE_ID		= 0x1,
	SPDK_NVME_STREAMS_DIRECTIVE_SEND_RELEASE_RESOURCE	= 0x2,
};

struct spdk_nvme_ns_streams_data {
	uint16_t msl;
	uint16_t nssa;
	uint16_t nsso;
	struct {
		uint8_t ssid		: 1;
		uint8_t reserved	: 7;
	} nssc;
	uint8_t reserved1[9];
	uint32_t sws;
	uint16_t sgs;
	uint16_t nsa;
	uint16_t nso;
	uint8_t reserved2[6];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_ns_streams_data) == 32, "Incorrect size");

struct spdk_nvme_ns_streams_status {
	uint16_t open_streams_count;
	uint16_t stream_id[65535];
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvme_ns_streams_status) == 131072, "Incorrect size");

/* Identify Controller cntrltype values */
enum spdk_nvme_ctrlr_type {
	SPDK_NVME_CTRLR_IO		= 0x1,
	SPDK_NVME_CTRLR_DISCOVERY	= 0x2,
	SPDK_NVME_CTRLR_ADMINISTRATIVE	= 0x3,
};

/* ------------------------------------------------------------------------ */
/* Completion helpers                                                       */
/* ------------------------------------------------------------------------ */

#define spdk_nvme_cpl_is_error(cpl)				\
	((cpl)->status.sc != SPDK_NVME_SC_SUCCESS ||		\
	 (cpl)->status.sct != SPDK_NVME_SCT_GENERIC)

#define spdk_nvme_cpl_is_success(cpl)	(!spdk_nvme_cpl_is_error(cpl))

#define spdk_nvme_cpl_is_pi_error(cpl)						\
	((cpl)->status.sct == SPDK_NVME_SCT_MEDIA_ERROR &&			\
	 ((cpl)->status.sc == SPDK_NVME_SC_GUARD_CHECK_ERROR ||			\
	  (cpl)->status.sc == SPDK_NVME_SC_APPLICATION_TAG_CHECK_ERROR ||	\
	  (cpl)->status.sc == SPDK_NVME_SC_REFERENCE_TAG_CHECK_ERROR))

#define spdk_nvme_cpl_is_abort_success(cpl)	\
	(spdk_nvme_cpl_is_success(cpl) && !((cpl)->cdw0 & 1U))

#define spdk_nvme_cpl_is_path_error(cpl)	\
	((cpl)->status.sct == SPDK_NVME_SCT_PATH)

#define spdk_nvme_cpl_is_ana_error(cpl)						\
	((cpl)->status.sct == SPDK_NVME_SCT_PATH &&				\
	 ((cpl)->status.sc == SPDK_NVME_SC_ASYMMETRIC_ACCESS_PERSISTENT_LOSS ||	\
	  (cpl)->status.sc == SPDK_NVME_SC_ASYMMETRIC_ACCESS_INACCESSIBLE ||	\
	  (cpl)->status.sc == SPDK_NVME_SC_ASYMMETRIC_ACCESS_TRANSITION))

#define spdk_nvme_cpl_is_aborted_sq_deletion(cpl)		\
	((cpl)->status.sct == SPDK_NVME_SCT_GENERIC &&		\
	 (cpl)->status.sc == SPDK_NVME_SC_ABORTED_SQ_DELETION)

#define spdk_nvme_cpl_is_aborted_by_request(cpl)		\
	((cpl)->status.sct == SPDK_NVME_SCT_GENERIC &&		\
	 (cpl)->status.sc == SPDK_NVME_SC_ABORTED_BY_REQUEST)

/* ------------------------------------------------------------------------ */
/* I/O flags (the io_flags argument of the spdk_nvme_ns_cmd_* functions)    */
/* ------------------------------------------------------------------------ */

/* Bits 1:0 carry the fused operation */
#define SPDK_NVME_IO_FLAGS_FUSE_FIRST	(SPDK_NVME_CMD_FUSE_FIRST << 0)
#define SPDK_NVME_IO_FLAGS_FUSE_SECOND	(SPDK_NVME_CMD_FUSE_SECOND << 0)
#define SPDK_NVME_IO_FLAGS_FUSE_MASK	(SPDK_NVME_CMD_FUSE_MASK << 0)

/* Bits 31:20 are copied into command dword 12 of I/O commands */
#define SPDK_NVME_IO_FLAGS_DIRECTIVE(dtype)	((dtype) << 20)
#define SPDK_NVME_IO_FLAGS_STREAMS_DIRECTIVE \
	SPDK_NVME_IO_FLAGS_DIRECTIVE(SPDK_NVME_DIRECTIVE_TYPE_STREAMS)
#define SPDK_NVME_IO_FLAGS_DATA_PLACEMENT_DIRECTIVE \
	SPDK_NVME_IO_FLAGS_DIRECTIVE(SPDK_NVME_DIRECTIVE_TYPE_DATA_PLACEMENT)
#define SPDK_NVME_IO_FLAGS_ZONE_APPEND_PIREMAP	(1U << 25)
#define SPDK_NVME_IO_FLAGS_PRCHK_REFTAG		(1U << 26)
#define SPDK_NVME_IO_FLAGS_PRCHK_APPTAG		(1U << 27)
#define SPDK_NVME_IO_FLAGS_PRCHK_GUARD		(1U << 28)
#define SPDK_NVME_IO_FLAGS_PRACT		(1U << 29)
#define SPDK_NVME_IO_FLAGS_FORCE_UNIT_ACCESS	(1U << 30)
#define SPDK_NVME_IO_FLAGS_LIMITED_RETRY	(1U << 31)

#define SPDK_NVME_IO_FLAGS_VALID_MASK	0xFFFF0003
#define SPDK_NVME_IO_FLAGS_CDW12_MASK	0xFFFF0000
#define SPDK_NVME_IO_FLAGS_PRCHK_MASK	0x1C000000

/* Size of every Identify data buffer */
#define SPDK_NVME_IDENTIFY_BUFLEN	4096

#pragma GCC diagnostic pop

/* ---- end of spdk/nvme_spec.h ---- */
