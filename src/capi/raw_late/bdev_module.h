/*
 * struct spdk_bdev and struct spdk_bdev_io as bdev modules see them
 * (spdk/bdev_module.h). Hand-written because of their anonymous bitfield
 * members and the trailing driver context; everything they contain is
 * generated above. Layout checked against the Rust definitions (sizes and
 * offsets asserted there and in capi-tests/test_bdev_module.c).
 */
#ifdef __cplusplus
extern "C" {
#endif

struct spdk_bdev {
	void *ctxt;
	char *name;
	struct spdk_bdev_aliases_list aliases;
	char *product_name;
	int write_cache;
	uint32_t blocklen;
	uint32_t phys_blocklen;
	uint32_t io_type_supported;
	uint64_t blockcnt;
	__extension__ struct {
		uint32_t split_on_write_unit : 1;
		uint32_t split_on_optimal_io_boundary : 1;
		uint32_t md_interleave : 1;
		uint32_t dif_is_head_of_md : 1;
		uint32_t zoned : 1;
		uint32_t media_events : 1;
		uint32_t memory_domains_supported : 1;
		uint32_t reserved : 25;
	};
	uint32_t write_unit_size;
	uint16_t acwu;
	uint8_t required_alignment;
	uint8_t reserved1;
	uint32_t optimal_io_boundary;
	uint32_t preferred_write_alignment;
	uint32_t preferred_write_granularity;
	uint32_t optimal_write_size;
	uint32_t preferred_unmap_alignment;
	uint32_t preferred_unmap_granularity;
	uint32_t max_segment_size;
	uint32_t max_num_segments;
	uint32_t max_unmap;
	uint32_t max_unmap_segments;
	uint32_t max_write_zeroes;
	uint32_t max_copy;
	uint32_t max_rw_size;
	struct spdk_uuid uuid;
	uint32_t md_len;
	uint8_t reserved2[4];
	enum spdk_dif_type dif_type;
	enum spdk_dif_pi_format dif_pi_format;
	uint8_t reserved3[4];
	uint32_t dif_check_flags;
	uint8_t reserved4[8];
	uint64_t zone_size;
	uint32_t max_zone_append_size;
	uint32_t max_open_zones;
	uint32_t max_active_zones;
	uint32_t optimal_open_zones;
	uint8_t reserved6[4];
	struct spdk_bdev_nvme_ctratt ctratt;
	uint32_t nsid;
	uint16_t reset_io_drain_timeout;
	uint8_t reserved7[2];
	struct {
		uint32_t id_valid : 1;
		int32_t id : 31;
	} numa;
	uint32_t accel_sequence_supported;
	struct spdk_bdev_module *module;
	const struct spdk_bdev_fn_table *fn_table;
	struct __bdev_internal_fields internal;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_bdev) == 576, "struct spdk_bdev: SPDK's size");
SPDK_STATIC_ASSERT(offsetof(struct spdk_bdev, blockcnt) == 56, "spdk_bdev.blockcnt");
SPDK_STATIC_ASSERT(offsetof(struct spdk_bdev, write_unit_size) == 68, "spdk_bdev.write_unit_size");
SPDK_STATIC_ASSERT(offsetof(struct spdk_bdev, uuid) == 128, "spdk_bdev.uuid");
SPDK_STATIC_ASSERT(offsetof(struct spdk_bdev, ctratt) == 204, "spdk_bdev.ctratt");
SPDK_STATIC_ASSERT(offsetof(struct spdk_bdev, fn_table) == 232, "spdk_bdev.fn_table");
SPDK_STATIC_ASSERT(offsetof(struct spdk_bdev, internal) == 240, "spdk_bdev.internal");

struct spdk_bdev_io {
	struct spdk_bdev *bdev;
	uint8_t type;
	uint8_t reserved0;
	uint16_t num_retries;
	uint32_t reserved1;
	struct iovec iov;
	struct iovec child_iov[SPDK_BDEV_IO_NUM_CHILD_IOV];
	uint8_t reserved2[32];
	union spdk_bdev_io_u u;
	uint8_t reserved3[40];
	struct spdk_bdev_io_internal_fields internal;
	uint8_t reserved4[64];
	__extension__ uint8_t driver_ctx[0] __attribute__((aligned(SPDK_CACHE_LINE_SIZE)));
};
SPDK_STATIC_ASSERT(offsetof(struct spdk_bdev_io, u) == 576, "spdk_bdev_io.u");
SPDK_STATIC_ASSERT(offsetof(struct spdk_bdev_io, internal) == 832, "spdk_bdev_io.internal");
SPDK_STATIC_ASSERT(offsetof(struct spdk_bdev_io, driver_ctx) == 1216, "spdk_bdev_io.driver_ctx");

static inline struct spdk_bdev_io *
spdk_bdev_io_from_ctx(void *ctx)
{
	return SPDK_CONTAINEROF(ctx, struct spdk_bdev_io, driver_ctx);
}

#define SPDK_BDEV_MODULE_REGISTER(name, module) \
	__attribute__((constructor)) static void rspdk_bdev_module_register_##name(void) \
	{ \
		spdk_bdev_module_list_add(module); \
	}

/* A part bdev (embeds struct spdk_bdev by value, so it follows it here). */
struct spdk_bdev_part {
	/* Entry in the module's list of parts. */
	struct spdk_bdev_part_tailq tailq;
	/* The part library's: reach them through the spdk_bdev_part_* getters. */
	struct bdev_part_internal_fields {
		struct spdk_bdev bdev;
		struct spdk_bdev_part_base *base;
		uint64_t offset_blocks;
	} internal;
};
SPDK_STATIC_ASSERT(offsetof(struct spdk_bdev_part, internal) == 16, "spdk_bdev_part.internal");

typedef struct bdev_part_tailq SPDK_BDEV_PART_TAILQ;

#ifdef __cplusplus
}
#endif
