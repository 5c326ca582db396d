/* spdk/nvmf_transport.h: the NVMe-oF target's transport plugin API.
 *
 * A transport written in C registers its operations (SPDK_NVMF_TRANSPORT_REGISTER)
 * and is then created by name with spdk_nvmf_transport_create_async. rspdk's
 * generic target calls the operations below; the transport hands it queue
 * pairs (spdk_nvmf_tgt_new_qpair) and commands (spdk_nvmf_request_exec) and
 * gets each answer back through req_complete. Layouts follow SPDK's. */

#define SPDK_NVMF_MAX_SGL_ENTRIES 16
/* Data buffers one request may hold. */
#define NVMF_REQ_MAX_BUFFERS (SPDK_NVMF_MAX_SGL_ENTRIES * 2 + 1)
#define SPDK_NVMF_MIGR_MAX_PENDING_AERS 256
#define SPDK_NVMF_MAX_ASYNC_EVENTS 4
#define NVMF_DATA_BUFFER_ALIGNMENT VALUE_4KB
#define NVMF_DATA_BUFFER_MASK (NVMF_DATA_BUFFER_ALIGNMENT - 1LL)
#define SPDK_NVMF_DEFAULT_ACCEPT_POLL_RATE_US 10000
#define MAX_MEMPOOL_NAME_LENGTH 40

/* What a command handler did (spdk/nvmf_cmd.h): answered already, or the
 * answer comes later through the transport's req_complete. */
enum spdk_nvmf_request_exec_status {
	SPDK_NVMF_REQUEST_EXEC_STATUS_COMPLETE,
	SPDK_NVMF_REQUEST_EXEC_STATUS_ASYNCHRONOUS,
};

struct spdk_iobuf_channel;
struct spdk_nvmf_subsystem_poll_group;
struct spdk_nvmf_qpair_auth;

/* A command capsule as a transport receives it (64 bytes). */
union nvmf_h2c_msg {
	struct spdk_nvmf_capsule_cmd nvmf_cmd;
	struct spdk_nvme_cmd nvme_cmd;
	struct spdk_nvmf_fabric_prop_set_cmd prop_set_cmd;
	struct spdk_nvmf_fabric_prop_get_cmd prop_get_cmd;
	struct spdk_nvmf_fabric_connect_cmd connect_cmd;
	struct spdk_nvmf_fabric_auth_send_cmd auth_send_cmd;
	struct spdk_nvmf_fabric_auth_recv_cmd auth_recv_cmd;
};
SPDK_STATIC_ASSERT(sizeof(union nvmf_h2c_msg) == 64, "Incorrect size");

/* A response capsule (16 bytes). */
union nvmf_c2h_msg {
	struct spdk_nvme_cpl nvme_cpl;
	struct spdk_nvmf_fabric_prop_get_rsp prop_get_rsp;
	struct spdk_nvmf_fabric_connect_rsp connect_rsp;
};
SPDK_STATIC_ASSERT(sizeof(union nvmf_c2h_msg) == 16, "Incorrect size");

struct spdk_nvmf_dif_info {
	struct spdk_dif_ctx dif_ctx;
	uint32_t elba_length;
	uint32_t orig_length;
};

struct spdk_nvmf_stripped_data {
	uint32_t iovcnt;
	struct iovec iov[NVMF_REQ_MAX_BUFFERS];
};

enum spdk_nvmf_zcopy_phase {
	NVMF_ZCOPY_PHASE_NONE,
	NVMF_ZCOPY_PHASE_INIT,
	NVMF_ZCOPY_PHASE_EXECUTE,
	NVMF_ZCOPY_PHASE_END_PENDING,
	NVMF_ZCOPY_PHASE_COMPLETE,
	NVMF_ZCOPY_PHASE_INIT_FAILED
};

/* Completion hook of a passed-through command (spdk/nvmf_cmd.h). */
typedef int (*spdk_nvmf_nvme_passthru_cmd_cb)(struct spdk_nvmf_request *req);

/* One command and its response, owned by the transport. Before
 * spdk_nvmf_request_exec the transport sets qpair, cmd, rsp, length and
 * xfer, and for commands with data the buffers in iov/iovcnt (for example
 * with spdk_nvmf_request_get_buffers). */
/* The flag bits are an anonymous struct in an anonymous union, as in SPDK:
 * ISO C++ has no anonymous structs, so -Wpedantic is silenced around it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
struct spdk_nvmf_request {
	struct spdk_nvmf_qpair *qpair;
	uint32_t length;
	uint8_t xfer; /* enum spdk_nvme_data_transfer */
	union {
		uint8_t raw;
		struct {
			uint8_t data_from_pool : 1;
			uint8_t dif_enabled : 1;
			uint8_t first_fused : 1;
			uint8_t rsvd : 5;
		};
	};
	uint8_t zcopy_phase; /* enum spdk_nvmf_zcopy_phase */
	uint8_t iovcnt;
	union nvmf_h2c_msg *cmd;
	union nvmf_c2h_msg *rsp;
	STAILQ_ENTRY(spdk_nvmf_request) buf_link;
	TAILQ_ENTRY(spdk_nvmf_request) link;
	struct spdk_memory_domain *memory_domain;
	void *memory_domain_ctx;
	struct spdk_accel_sequence *accel_sequence;
	struct iovec iov[NVMF_REQ_MAX_BUFFERS];
	struct spdk_nvmf_stripped_data *stripped_data;
	struct spdk_nvmf_dif_info dif;
	struct spdk_bdev_io_wait_entry bdev_io_wait;
	spdk_nvmf_nvme_passthru_cmd_cb cmd_cb_fn;
	struct spdk_nvmf_request *first_fused_req;
	struct spdk_nvmf_request *req_to_abort;
	struct spdk_poller *poller;
	struct spdk_bdev_io *zcopy_bdev_io;
	uint64_t timeout_tsc;
};
#pragma GCC diagnostic pop
/* 784 bytes with the 48-byte struct spdk_bdev_io_wait_entry of this bdev.h. */
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvmf_request) == 784, "Incorrect size");

enum spdk_nvmf_qpair_state {
	SPDK_NVMF_QPAIR_UNINITIALIZED = 0,
	SPDK_NVMF_QPAIR_CONNECTING,
	SPDK_NVMF_QPAIR_AUTHENTICATING,
	SPDK_NVMF_QPAIR_ENABLED,
	SPDK_NVMF_QPAIR_DEACTIVATING,
	SPDK_NVMF_QPAIR_ERROR,
};

typedef void (*spdk_nvmf_state_change_done)(void *cb_arg, int status);

/* A queue pair, owned by the transport (usually the first member of its
 * own connection structure). rspdk sets state, qid, ctrlr and group. */
struct spdk_nvmf_qpair {
	uint8_t state; /* enum spdk_nvmf_qpair_state */
	uint8_t rsvd;
	uint16_t qid;
	uint16_t sq_head;
	uint16_t sq_head_max;
	struct spdk_nvmf_transport *transport;
	struct spdk_nvmf_ctrlr *ctrlr;
	struct spdk_nvmf_poll_group *group;
	union {
		struct spdk_nvmf_request *first_fused_req;
		struct spdk_nvmf_request *connect_req;
	};
	TAILQ_HEAD(, spdk_nvmf_request) outstanding;
	TAILQ_ENTRY(spdk_nvmf_qpair) link;
	spdk_nvmf_state_change_done state_cb;
	void *state_cb_arg;
	bool connect_received;
	bool disconnect_started;
	uint16_t trace_id;
	uint16_t queue_depth;
	struct spdk_nvmf_qpair_auth *auth;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvmf_qpair) == 104, "Incorrect size");

/* A transport's part of one poll group (made by its poll_group_create). */
struct spdk_nvmf_transport_poll_group {
	struct spdk_nvmf_transport *transport;
	STAILQ_HEAD(, spdk_nvmf_request) pending_buf_queue;
	struct spdk_iobuf_channel *buf_cache;
	struct spdk_nvmf_poll_group *group;
	TAILQ_ENTRY(spdk_nvmf_transport_poll_group) link;
};

/* A poll group of the target (one per SPDK thread). */
struct spdk_nvmf_poll_group {
	struct spdk_thread *thread;
	struct spdk_poller *poller;
	TAILQ_HEAD(, spdk_nvmf_transport_poll_group) tgroups;
	struct spdk_nvmf_subsystem_poll_group *sgroups;
	uint32_t num_sgroups;
	uint32_t current_unassociated_qpairs;
	TAILQ_HEAD(, spdk_nvmf_qpair) qpairs;
	struct spdk_nvmf_poll_group_stat stat;
	spdk_nvmf_poll_group_destroy_done_fn destroy_cb_fn;
	void *destroy_cb_arg;
	struct spdk_nvmf_tgt *tgt;
	TAILQ_ENTRY(spdk_nvmf_poll_group) link;
	pthread_mutex_t mutex;
};

struct spdk_nvmf_listener {
	struct spdk_nvme_transport_id trid;
	uint32_t ref;
	char *sock_impl;
	TAILQ_ENTRY(spdk_nvmf_listener) link;
};

/* The part of the Identify Controller data a transport may set (cdata_init). */
struct spdk_nvmf_ctrlr_data {
	uint8_t aerl;
	uint16_t kas;
	uint16_t vid;
	uint16_t ssvid;
	uint8_t ieee[3];
	struct spdk_nvme_cdata_oacs oacs;
	struct spdk_nvme_cdata_oncs oncs;
	struct spdk_nvme_cdata_fuses fuses;
	struct spdk_nvme_cdata_sgls sgls;
	struct spdk_nvme_cdata_nvmf_specific nvmf_specific;
};

/* A transport (usually the first member of the transport's own structure,
 * which its create operation allocates). rspdk sets tgt, ops and opts. */
struct spdk_nvmf_transport {
	struct spdk_nvmf_tgt *tgt;
	const struct spdk_nvmf_transport_ops *ops;
	struct spdk_nvmf_transport_opts opts;
	char iobuf_name[MAX_MEMPOOL_NAME_LENGTH];
	TAILQ_HEAD(, spdk_nvmf_listener) listeners;
	TAILQ_ENTRY(spdk_nvmf_transport) link;
	pthread_mutex_t mutex;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvmf_transport) == 216, "Incorrect size");

typedef void (*spdk_nvmf_transport_qpair_fini_cb)(void *cb_arg);

/* What a transport does; NULL members are operations it does not have
 * (create or create_async, poll_group_create, poll_group_add,
 * poll_group_poll, req_complete, req_free and qpair_fini are required). */
struct spdk_nvmf_transport_ops {
	char name[SPDK_NVMF_TRSTRING_MAX_LEN];
	enum spdk_nvme_transport_type type;
	void (*opts_init)(struct spdk_nvmf_transport_opts *opts);
	struct spdk_nvmf_transport *(*create)(struct spdk_nvmf_transport_opts *opts);
	int (*create_async)(struct spdk_nvmf_transport_opts *opts, spdk_nvmf_transport_create_done_cb cb_fn,
			    void *cb_arg);
	void (*dump_opts)(struct spdk_nvmf_transport *transport, struct spdk_json_write_ctx *w);
	int (*destroy)(struct spdk_nvmf_transport *transport, spdk_nvmf_transport_destroy_done_cb cb_fn,
		       void *cb_arg);
	int (*listen)(struct spdk_nvmf_transport *transport, const struct spdk_nvme_transport_id *trid,
		      struct spdk_nvmf_listen_opts *opts);
	void (*listen_dump_opts)(struct spdk_nvmf_transport *transport,
				 const struct spdk_nvme_transport_id *trid, struct spdk_json_write_ctx *w);
	void (*stop_listen)(struct spdk_nvmf_transport *transport, const struct spdk_nvme_transport_id *trid);
	int (*listen_associate)(struct spdk_nvmf_transport *transport, const struct spdk_nvmf_subsystem *subsystem,
				const struct spdk_nvme_transport_id *trid);
	int (*subsystem_add_ns)(struct spdk_nvmf_transport *transport, const struct spdk_nvmf_subsystem *subsystem,
				struct spdk_nvmf_ns *ns);
	void (*subsystem_remove_ns)(struct spdk_nvmf_transport *transport,
				    const struct spdk_nvmf_subsystem *subsystem, uint32_t nsid);
	void (*cdata_init)(struct spdk_nvmf_transport *transport, struct spdk_nvmf_subsystem *subsystem,
			   struct spdk_nvmf_ctrlr_data *cdata);
	void (*listener_discover)(struct spdk_nvmf_transport *transport, struct spdk_nvme_transport_id *trid,
				  struct spdk_nvmf_discovery_log_page_entry *entry);
	struct spdk_nvmf_transport_poll_group *(*poll_group_create)(struct spdk_nvmf_transport *transport,
			struct spdk_nvmf_poll_group *group);
	struct spdk_nvmf_transport_poll_group *(*get_optimal_poll_group)(struct spdk_nvmf_qpair *qpair);
	void (*poll_group_destroy)(struct spdk_nvmf_transport_poll_group *group);
	int (*poll_group_add)(struct spdk_nvmf_transport_poll_group *group, struct spdk_nvmf_qpair *qpair);
	int (*poll_group_remove)(struct spdk_nvmf_transport_poll_group *group, struct spdk_nvmf_qpair *qpair);
	int (*poll_group_poll)(struct spdk_nvmf_transport_poll_group *group);
	int (*req_free)(struct spdk_nvmf_request *req);
	int (*req_complete)(struct spdk_nvmf_request *req);
	void (*qpair_fini)(struct spdk_nvmf_qpair *qpair, spdk_nvmf_transport_qpair_fini_cb cb_fn, void *cb_args);
	int (*qpair_get_peer_trid)(struct spdk_nvmf_qpair *qpair, struct spdk_nvme_transport_id *trid);
	int (*qpair_get_local_trid)(struct spdk_nvmf_qpair *qpair, struct spdk_nvme_transport_id *trid);
	int (*qpair_get_listen_trid)(struct spdk_nvmf_qpair *qpair, struct spdk_nvme_transport_id *trid);
	void (*qpair_abort_request)(struct spdk_nvmf_qpair *qpair, struct spdk_nvmf_request *req);
	void (*poll_group_dump_stat)(struct spdk_nvmf_transport_poll_group *group, struct spdk_json_write_ctx *w);
	int (*subsystem_add_host)(struct spdk_nvmf_transport *transport, const struct spdk_nvmf_subsystem *subsystem,
				  const char *hostnqn, const struct spdk_json_val *transport_specific);
	void (*subsystem_remove_host)(struct spdk_nvmf_transport *transport,
				      const struct spdk_nvmf_subsystem *subsystem, const char *hostnqn);
	void (*subsystem_dump_host)(struct spdk_nvmf_transport *transport, const struct spdk_nvmf_subsystem *subsystem,
				    const char *hostnqn, struct spdk_json_write_ctx *w);
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvmf_transport_ops) == 280, "Incorrect size");

static inline bool
spdk_nvmf_qpair_is_active(struct spdk_nvmf_qpair *qpair)
{
	return qpair->state == SPDK_NVMF_QPAIR_CONNECTING ||
	       qpair->state == SPDK_NVMF_QPAIR_AUTHENTICATING ||
	       qpair->state == SPDK_NVMF_QPAIR_ENABLED;
}

static inline bool
spdk_nvmf_request_using_zcopy(const struct spdk_nvmf_request *req)
{
	return req->zcopy_phase != NVMF_ZCOPY_PHASE_NONE;
}

/* The data direction of a request's command; a zero-length SGL moves nothing. */
static inline enum spdk_nvme_data_transfer
spdk_nvmf_req_get_xfer(struct spdk_nvmf_request *req)
{
	struct spdk_nvme_cmd *cmd = &req->cmd->nvme_cmd;
	struct spdk_nvme_sgl_descriptor *sgl = &cmd->dptr.sgl1;
	enum spdk_nvme_data_transfer xfer;
	uint32_t len;

	if (cmd->opc == SPDK_NVME_OPC_FABRIC) {
		xfer = spdk_nvme_opc_get_data_transfer(req->cmd->nvmf_cmd.fctype);
	} else {
		xfer = spdk_nvme_opc_get_data_transfer(cmd->opc);
	}
	if (xfer == SPDK_NVME_DATA_NONE) {
		return xfer;
	}
	switch (sgl->generic.type) {
	case SPDK_NVME_SGL_TYPE_KEYED_DATA_BLOCK:
		len = sgl->keyed.length;
		break;
	case SPDK_NVME_SGL_TYPE_DATA_BLOCK:
	case SPDK_NVME_SGL_TYPE_BIT_BUCKET:
	case SPDK_NVME_SGL_TYPE_SEGMENT:
	case SPDK_NVME_SGL_TYPE_LAST_SEGMENT:
	case SPDK_NVME_SGL_TYPE_TRANSPORT_DATA_BLOCK:
		len = sgl->unkeyed.length;
		break;
	default:
		len = 1;
		break;
	}
	return len == 0 ? SPDK_NVME_DATA_NONE : xfer;
}

/* Registers a transport's operations when the program loads. */
#define SPDK_NVMF_TRANSPORT_REGISTER(name, transport_ops) \
static void __attribute__((constructor)) _spdk_nvmf_transport_register_##name(void) \
{ \
	spdk_nvmf_transport_register(transport_ops); \
}

/* ---- Controller state: properties, live migration data, asynchronous events ---- */

/* The controller's properties (CAP and VS as Property Get reports them,
 * CC and CSTS as set; AQA, ASQ and ACQ are 0 on fabrics unless restored). */
struct spdk_nvmf_registers {
	union spdk_nvme_cap_register	cap;
	union spdk_nvme_vs_register	vs;
	union spdk_nvme_cc_register	cc;
	union spdk_nvme_csts_register	csts;
	union spdk_nvme_aqa_register	aqa;
	uint64_t			asq;
	uint64_t			acq;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvmf_registers) == 40, "Incorrect size");

/* The features a controller's state carries (each the dword Get Features returns). */
struct spdk_nvmf_ctrlr_feat {
	union spdk_nvme_feat_arbitration arbitration;
	union spdk_nvme_feat_power_management power_management;
	union spdk_nvme_feat_error_recovery error_recovery;
	union spdk_nvme_feat_volatile_write_cache volatile_write_cache;
	union spdk_nvme_feat_number_of_queues number_of_queues;
	union spdk_nvme_feat_interrupt_coalescing interrupt_coalescing;
	union spdk_nvme_feat_interrupt_vector_configuration interrupt_vector_configuration;
	union spdk_nvme_feat_write_atomicity write_atomicity;
	union spdk_nvme_feat_async_event_configuration async_event_configuration;
	union spdk_nvme_feat_keep_alive_timer keep_alive_timer;
};
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvmf_ctrlr_feat) == 40, "Incorrect size");

/* A controller's state for live migration. notice_aen_mask holds one bit
 * per kind of event sent whose log page was not read yet: 0 namespace
 * attribute changed, 1 ANA change, 2 discovery log change, 3 reservation
 * log page available, 4 error. */
struct spdk_nvmf_ctrlr_migr_data {
	uint32_t				data_size;
	uint32_t				regs_size;
	uint32_t				feat_size;
	uint32_t				reserved;

	struct spdk_nvmf_registers		regs;
	uint8_t					regs_reserved[216];

	struct spdk_nvmf_ctrlr_feat		feat;
	uint8_t					feat_reserved[216];

	uint16_t				cntlid;
	uint8_t					acre;
	uint8_t					num_aer_cids;
	uint32_t				num_async_events;

	union spdk_nvme_async_event_completion	async_events[SPDK_NVMF_MIGR_MAX_PENDING_AERS];
	uint16_t				aer_cids[SPDK_NVMF_MAX_ASYNC_EVENTS];
	uint64_t				notice_aen_mask;

	uint8_t					unused[2516];
};
SPDK_STATIC_ASSERT(offsetof(struct spdk_nvmf_ctrlr_migr_data, regs) -
		   offsetof(struct spdk_nvmf_ctrlr_migr_data, data_size) == 16, "Incorrect header size");
SPDK_STATIC_ASSERT(offsetof(struct spdk_nvmf_ctrlr_migr_data, feat) -
		   offsetof(struct spdk_nvmf_ctrlr_migr_data, regs) == 256, "Incorrect regs size");
SPDK_STATIC_ASSERT(offsetof(struct spdk_nvmf_ctrlr_migr_data, cntlid) -
		   offsetof(struct spdk_nvmf_ctrlr_migr_data, feat) == 256, "Incorrect feat size");
SPDK_STATIC_ASSERT(sizeof(struct spdk_nvmf_ctrlr_migr_data) == 4096, "Incorrect size");

/* The controller's properties; valid for the controller's life, refreshed by each call. */
const struct spdk_nvmf_registers *spdk_nvmf_ctrlr_get_regs(struct spdk_nvmf_ctrlr *ctrlr);

/* Saves the controller's state. Its subsystem must be paused (else -EBUSY)
 * and the call made on the controller's admin thread (else -EPERM). */
int spdk_nvmf_ctrlr_save_migr_data(struct spdk_nvmf_ctrlr *ctrlr,
				   struct spdk_nvmf_ctrlr_migr_data *data);

/* Restores a saved state (subsystem paused, admin thread): what data_size,
 * regs_size and feat_size cover (-EINVAL if above this version's). AERs
 * are not restored: the transport executes them again. */
int spdk_nvmf_ctrlr_restore_migr_data(struct spdk_nvmf_ctrlr *ctrlr,
				      const struct spdk_nvmf_ctrlr_migr_data *data);

/* Raises an Error Status asynchronous event (log page Error Information):
 * 0, or -ENOSPC if the event queue is full. */
int spdk_nvmf_ctrlr_async_event_error_event(struct spdk_nvmf_ctrlr *ctrlr,
		enum spdk_nvme_async_event_info_error info);

/* Completes every AER the controller holds with Command Abort Requested. */
void spdk_nvmf_ctrlr_abort_aer(struct spdk_nvmf_ctrlr *ctrlr);
