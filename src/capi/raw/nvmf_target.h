/* spdk/nvmf.h: option structures of the NVMe-oF target (packed where SPDK packs them). */
#define NVMF_TGT_NAME_MAX_LENGTH 256
#define SPDK_TLS_PSK_MAX_LEN 200

struct spdk_json_val;
struct spdk_json_write_ctx;

enum spdk_nvmf_tgt_discovery_filter {
	SPDK_NVMF_TGT_DISCOVERY_MATCH_ANY = 0,
	SPDK_NVMF_TGT_DISCOVERY_MATCH_TRANSPORT_TYPE = 1u << 0u,
	SPDK_NVMF_TGT_DISCOVERY_MATCH_TRANSPORT_ADDRESS = 1u << 1u,
	SPDK_NVMF_TGT_DISCOVERY_MATCH_TRANSPORT_SVCID = 1u << 2u
};

struct spdk_nvmf_target_opts {
	size_t size;
	char name[NVMF_TGT_NAME_MAX_LENGTH];
	uint32_t max_subsystems;
	uint16_t crdt[3];
	uint32_t discovery_filter;
	uint32_t dhchap_digests;
	uint32_t dhchap_dhgroups;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvmf_target_opts) == 288, "Incorrect size");

struct spdk_nvmf_transport_opts {
	uint16_t max_queue_depth;
	uint16_t max_qpairs_per_ctrlr;
	uint32_t in_capsule_data_size;
	uint32_t max_io_size;
	uint32_t io_unit_size;
	uint32_t max_aq_depth;
	uint32_t num_shared_buffers;
	uint32_t buf_cache_size;
	bool dif_insert_or_strip;
	bool disable_command_passthru;
	uint8_t reserved30[2];
	uint32_t abort_timeout_sec;
	uint32_t association_timeout;
	const struct spdk_json_val *transport_specific;
	size_t opts_size;
	uint32_t acceptor_poll_rate;
	bool zcopy;
	uint8_t reserved61[3];
	uint32_t ack_timeout;
	uint32_t data_wr_pool_size;
	uint32_t min_kato;
	uint16_t kas;
	struct spdk_nvme_cdata_oncs oncs;
	struct spdk_nvme_cdata_fuses fuses;
} __attribute__((packed));
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvmf_transport_opts) == 82, "Incorrect size");

struct spdk_nvmf_listen_opts {
	size_t opts_size;
	const struct spdk_json_val *transport_specific;
	bool secure_channel;
	uint8_t reserved1[3];
	enum spdk_nvme_ana_state ana_state;
	char *sock_impl;
} __attribute__((packed));
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvmf_listen_opts) == 32, "Incorrect size");

struct spdk_nvmf_listener_opts {
	size_t opts_size;
	bool secure_channel;
	uint8_t reserved1[3];
	enum spdk_nvme_ana_state ana_state;
} __attribute__((packed));
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvmf_listener_opts) == 16, "Incorrect size");

struct spdk_nvmf_poll_group_stat {
	uint32_t admin_qpairs;
	uint32_t io_qpairs;
	uint32_t current_admin_qpairs;
	uint32_t current_io_qpairs;
	uint64_t pending_bdev_io;
	uint64_t completed_nvme_io;
};

typedef void (spdk_nvmf_tgt_destroy_done_fn)(void *ctx, int status);

/* Defined in nvmf_referral.h (src/capi/raw_late/): it holds a transport ID. */
struct spdk_nvmf_referral_opts;
