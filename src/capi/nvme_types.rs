//! `spdk/nvme.h` (and the few `spdk/nvmf_spec.h` items it depends on): the
//! public types of the NVMe driver API, laid out byte for byte as SPDK's.
//!
//! Layout source: SPDK's own `SPDK_STATIC_ASSERT`s where the header has one
//! (`spdk_nvme_ctrlr_opts` 856, `spdk_nvme_io_qpair_opts` 80,
//! `spdk_nvme_ns_cmd_ext_io_opts` 56, `spdk_nvme_transport_opts` 32); every
//! other size and every offset asserted below was measured with gcc on
//! x86_64 from a copy of the C declarations.
//!
//! Not expressible here (for the raw sections of `cbindgen.toml`):
//! - string macros of `nvme.h`: `SPDK_NVME_TRANSPORT_NAME_FC` "FC",
//!   `SPDK_NVME_TRANSPORT_NAME_PCIE` "PCIE", `SPDK_NVME_TRANSPORT_NAME_RDMA` "RDMA",
//!   `SPDK_NVME_TRANSPORT_NAME_TCP` "TCP", `SPDK_NVME_TRANSPORT_NAME_VFIOUSER`
//!   "VFIOUSER", `SPDK_NVME_TRANSPORT_NAME_CUSTOM` "CUSTOM";
//! - string macros of `nvmf_spec.h`: `SPDK_NVMF_NQN_UUID_PRE`
//!   "nqn.2014-08.org.nvmexpress:uuid:", `SPDK_NVMF_DISCOVERY_NQN`
//!   "nqn.2014-08.org.nvmexpress.discovery";
//! - `typedef enum spdk_nvme_qp_failure_reason spdk_nvme_qp_failure_reason;`
//!   (a typedef named like its own tag);
//! - `static inline bool spdk_nvme_trtype_is_fabrics(enum spdk_nvme_transport_type)`
//!   (`trtype <= UINT8_MAX || trtype == SPDK_NVME_TRANSPORT_CUSTOM_FABRICS`);
//! - the macro `SPDK_NVME_TRANSPORT_REGISTER(name, transport_ops)`;
//! - the anonymous unions of `spdk_nvme_io_qpair_opts` (`delay_cmd_submit` /
//!   `delay_pcie_doorbell`) and `spdk_nvme_transport_poll_group_stat`
//!   (`rdma` / `pcie` / `tcp`): see those structs;
//! - `volatile` on the pointee of `spdk_nvme_transport_ops::ctrlr_get_registers`.
//!
//! Array lengths are written as literals: cbindgen 0.27 cannot print
//! `N + 1` as an array length; the asserts at the end tie each literal to its
//! SPDK constant.
//!
//! Names taken from `super::nvme_spec`: `spdk_nvme_cmd`, `spdk_nvme_cpl`,
//! `spdk_nvme_registers`, `spdk_nvme_cc_ams`, `spdk_nvme_cc_css`,
//! `spdk_nvme_qprio` (the three enums must be 4-byte C enums).
//!
//! Enum-typed fields filled in by C (`spdk_nvme_transport_id::trtype` and
//! `adrfam` in particular, which C callers routinely leave zeroed, and zero is
//! no variant of either) must not be read as Rust enums before their value is
//! checked: read them with the `*_raw` helpers and `from_raw`.

#![allow(non_camel_case_types, clippy::type_complexity)]

use super::env::spdk_pci_addr;
use super::nvme_spec::*;
use std::ffi::{c_char, c_int, c_void};
use std::mem::{offset_of, size_of};

// ---- nvmf_spec.h length constants ----

pub const SPDK_NVMF_TRSTRING_MAX_LEN: usize = 32;
pub const SPDK_NVMF_TRADDR_MAX_LEN: usize = 256;
pub const SPDK_NVMF_TRSVCID_MAX_LEN: usize = 32;
pub const SPDK_NVMF_NQN_MIN_LEN: usize = 11;
pub const SPDK_NVMF_NQN_MAX_LEN: usize = 223;

// ---- nvme.h constants ----

pub const SPDK_NVMF_PRIORITY_MAX_LEN: usize = 4;

// ---- Opaque types ----

/// Opaque: an NVMe controller.
pub struct spdk_nvme_ctrlr {
    _private: [u8; 0],
}
/// Opaque: a namespace.
pub struct spdk_nvme_ns {
    _private: [u8; 0],
}
/// Opaque: a queue pair.
pub struct spdk_nvme_qpair {
    _private: [u8; 0],
}
/// Opaque: a poll group (a set of qpairs polled together).
pub struct spdk_nvme_poll_group {
    _private: [u8; 0],
}
/// Opaque: the state of an asynchronous probe or connect.
pub struct spdk_nvme_probe_ctx {
    _private: [u8; 0],
}
/// Opaque: the state of an asynchronous detach of one or more controllers.
pub struct spdk_nvme_detach_ctx {
    _private: [u8; 0],
}
/// Opaque: one transport's part of a poll group.
pub struct spdk_nvme_transport_poll_group {
    _private: [u8; 0],
}
/// Opaque: a registered transport.
pub struct spdk_nvme_transport {
    _private: [u8; 0],
}
/// Opaque: the driver's internal request (named by the transport function table).
pub struct nvme_request {
    _private: [u8; 0],
}
/// Opaque: a key of the keyring (`spdk/keyring.h`).
pub struct spdk_key {
    _private: [u8; 0],
}
/// Opaque: a memory domain (`spdk/dma.h`).
pub struct spdk_memory_domain {
    _private: [u8; 0],
}
/// Forward-declared only in `nvme.h`; defined in `spdk/fd_group.h`.
pub struct spdk_event_handler_opts {
    _private: [u8; 0],
}
/// Forward-declared here; defined in `spdk/nvmf_spec.h`.
pub struct spdk_nvmf_discovery_log_page {
    _private: [u8; 0],
}
/// libibverbs device context (forward-declared by `nvme.h`).
pub struct ibv_context {
    _private: [u8; 0],
}
/// libibverbs protection domain (forward-declared by `nvme.h`).
pub struct ibv_pd {
    _private: [u8; 0],
}
/// libibverbs memory region (forward-declared by `nvme.h`).
pub struct ibv_mr {
    _private: [u8; 0],
}

// ---- nvmf_spec.h enums ----

/// NVMe over Fabrics transport types.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_nvmf_trtype {
    SPDK_NVMF_TRTYPE_RDMA = 0x1,
    SPDK_NVMF_TRTYPE_FC = 0x2,
    SPDK_NVMF_TRTYPE_TCP = 0x3,
    SPDK_NVMF_TRTYPE_INTRA_HOST = 0xfe,
}

impl spdk_nvmf_trtype {
    /// The variant with this value, if any.
    pub const fn from_raw(v: u32) -> Option<Self> {
        match v {
            0x1 => Some(Self::SPDK_NVMF_TRTYPE_RDMA),
            0x2 => Some(Self::SPDK_NVMF_TRTYPE_FC),
            0x3 => Some(Self::SPDK_NVMF_TRTYPE_TCP),
            0xfe => Some(Self::SPDK_NVMF_TRTYPE_INTRA_HOST),
            _ => None,
        }
    }
}

/// Address family types.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_nvmf_adrfam {
    SPDK_NVMF_ADRFAM_IPV4 = 0x1,
    SPDK_NVMF_ADRFAM_IPV6 = 0x2,
    SPDK_NVMF_ADRFAM_IB = 0x3,
    SPDK_NVMF_ADRFAM_FC = 0x4,
    SPDK_NVMF_ADRFAM_INTRA_HOST = 0xfe,
}

impl spdk_nvmf_adrfam {
    /// The variant with this value, if any.
    pub const fn from_raw(v: u32) -> Option<Self> {
        match v {
            0x1 => Some(Self::SPDK_NVMF_ADRFAM_IPV4),
            0x2 => Some(Self::SPDK_NVMF_ADRFAM_IPV6),
            0x3 => Some(Self::SPDK_NVMF_ADRFAM_IB),
            0x4 => Some(Self::SPDK_NVMF_ADRFAM_FC),
            0xfe => Some(Self::SPDK_NVMF_ADRFAM_INTRA_HOST),
            _ => None,
        }
    }
}

// ---- nvme.h enums ----

/// Reason a qpair is disconnected at the transport layer (NONE: still connected).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_nvme_qp_failure_reason {
    SPDK_NVME_QPAIR_FAILURE_NONE = 0,
    SPDK_NVME_QPAIR_FAILURE_LOCAL = 1,
    SPDK_NVME_QPAIR_FAILURE_REMOTE = 2,
    SPDK_NVME_QPAIR_FAILURE_UNKNOWN = 3,
    SPDK_NVME_QPAIR_FAILURE_RESET = 4,
}

impl spdk_nvme_qp_failure_reason {
    /// The variant with this value, if any.
    pub const fn from_raw(v: u32) -> Option<Self> {
        match v {
            0 => Some(Self::SPDK_NVME_QPAIR_FAILURE_NONE),
            1 => Some(Self::SPDK_NVME_QPAIR_FAILURE_LOCAL),
            2 => Some(Self::SPDK_NVME_QPAIR_FAILURE_REMOTE),
            3 => Some(Self::SPDK_NVME_QPAIR_FAILURE_UNKNOWN),
            4 => Some(Self::SPDK_NVME_QPAIR_FAILURE_RESET),
            _ => None,
        }
    }
}

/// NVMe library transports. Fabrics transports carry their NVMe-oF TRTYPE
/// value (`spdk_nvmf_trtype`); the others lie outside the 8-bit TRTYPE range.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_nvme_transport_type {
    /// PCIe (locally attached devices).
    SPDK_NVME_TRANSPORT_PCIE = 256,
    /// RDMA (= SPDK_NVMF_TRTYPE_RDMA).
    SPDK_NVME_TRANSPORT_RDMA = 1,
    /// Fibre Channel (= SPDK_NVMF_TRTYPE_FC).
    SPDK_NVME_TRANSPORT_FC = 2,
    /// TCP (= SPDK_NVMF_TRTYPE_TCP).
    SPDK_NVME_TRANSPORT_TCP = 3,
    /// vfio-user (not spec defined).
    SPDK_NVME_TRANSPORT_VFIOUSER = 1024,
    /// Custom transport (not spec defined).
    SPDK_NVME_TRANSPORT_CUSTOM = 4096,
    /// Custom fabrics transport (not spec defined).
    SPDK_NVME_TRANSPORT_CUSTOM_FABRICS = 4097,
}

impl spdk_nvme_transport_type {
    /// The variant with this value, if any.
    pub const fn from_raw(v: u32) -> Option<Self> {
        match v {
            256 => Some(Self::SPDK_NVME_TRANSPORT_PCIE),
            1 => Some(Self::SPDK_NVME_TRANSPORT_RDMA),
            2 => Some(Self::SPDK_NVME_TRANSPORT_FC),
            3 => Some(Self::SPDK_NVME_TRANSPORT_TCP),
            1024 => Some(Self::SPDK_NVME_TRANSPORT_VFIOUSER),
            4096 => Some(Self::SPDK_NVME_TRANSPORT_CUSTOM),
            4097 => Some(Self::SPDK_NVME_TRANSPORT_CUSTOM_FABRICS),
            _ => None,
        }
    }

    /// `spdk_nvme_trtype_is_fabrics()`.
    pub const fn is_fabrics(self) -> bool {
        (self as u32) <= 255 || matches!(self, Self::SPDK_NVME_TRANSPORT_CUSTOM_FABRICS)
    }
}

/// `spdk_nvme_transport_type_t`.
pub type spdk_nvme_transport_type_t = spdk_nvme_transport_type;

/// `enum spdk_nvme_transport_type` where C hands it to us (struct fields,
/// arguments): carried as its 32-bit value, so a zeroed or unknown value
/// from C is just a number, never an invalid Rust enum.
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct spdk_nvme_transport_type_raw(pub i32);

/// `enum spdk_nvmf_adrfam` carried as its 32-bit value (see above).
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct spdk_nvmf_adrfam_raw(pub i32);

/// Controller support flags (bits of `spdk_nvme_ctrlr_get_flags()`).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_nvme_ctrlr_flags {
    /// SGL is supported.
    SPDK_NVME_CTRLR_SGL_SUPPORTED = 1 << 0,
    /// Security send/receive is supported.
    SPDK_NVME_CTRLR_SECURITY_SEND_RECV_SUPPORTED = 1 << 1,
    /// Weighted round robin is supported.
    SPDK_NVME_CTRLR_WRR_SUPPORTED = 1 << 2,
    /// Compare-and-write fused operations are supported.
    SPDK_NVME_CTRLR_COMPARE_AND_WRITE_SUPPORTED = 1 << 3,
    /// Dword alignment is required for SGL.
    SPDK_NVME_CTRLR_SGL_REQUIRES_DWORD_ALIGNMENT = 1 << 4,
    /// Zone Append is supported (zoned namespaces).
    SPDK_NVME_CTRLR_ZONE_APPEND_SUPPORTED = 1 << 5,
    /// Directives are supported.
    SPDK_NVME_CTRLR_DIRECTIVES_SUPPORTED = 1 << 6,
    /// An MPTR holding an SGL descriptor is supported.
    SPDK_NVME_CTRLR_MPTR_SGL_SUPPORTED = 1 << 7,
    /// I/O may carry an accel sequence.
    SPDK_NVME_CTRLR_ACCEL_SEQUENCE_SUPPORTED = 1 << 8,
}

/// Namespace command support flags (bits of `spdk_nvme_ns_get_flags()`).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_nvme_ns_flags {
    /// Deallocate is supported.
    SPDK_NVME_NS_DEALLOCATE_SUPPORTED = 1 << 0,
    /// Flush is supported.
    SPDK_NVME_NS_FLUSH_SUPPORTED = 1 << 1,
    /// Reservations are supported.
    SPDK_NVME_NS_RESERVATION_SUPPORTED = 1 << 2,
    /// Write Zeroes is supported.
    SPDK_NVME_NS_WRITE_ZEROES_SUPPORTED = 1 << 3,
    /// End-to-end data protection is supported.
    SPDK_NVME_NS_DPS_PI_SUPPORTED = 1 << 4,
    /// The extended LBA format is supported (metadata contiguous with its block).
    SPDK_NVME_NS_EXTENDED_LBA_SUPPORTED = 1 << 5,
    /// Write Uncorrectable is supported.
    SPDK_NVME_NS_WRITE_UNCORRECTABLE_SUPPORTED = 1 << 6,
    /// Compare is supported.
    SPDK_NVME_NS_COMPARE_SUPPORTED = 1 << 7,
}

// ---- Callback types ----

/// Accel operation completion (`status`: 0 or a negative errno).
pub type spdk_nvme_accel_completion_cb = Option<unsafe extern "C" fn(cb_arg: *mut c_void, status: c_int)>;

/// Completion of one operation of an accel sequence.
pub type spdk_nvme_accel_step_cb = Option<unsafe extern "C" fn(cb_arg: *mut c_void)>;

/// Probe callback: return true to attach to the controller; may edit `opts`.
pub type spdk_nvme_probe_cb = Option<
    unsafe extern "C" fn(
        cb_ctx: *mut c_void,
        trid: *const spdk_nvme_transport_id,
        opts: *mut spdk_nvme_ctrlr_opts,
    ) -> bool,
>;

/// Attach callback: a controller was attached with the options actually used.
pub type spdk_nvme_attach_cb = Option<
    unsafe extern "C" fn(
        cb_ctx: *mut c_void,
        trid: *const spdk_nvme_transport_id,
        ctrlr: *mut spdk_nvme_ctrlr,
        opts: *const spdk_nvme_ctrlr_opts,
    ),
>;

/// A probed controller failed to attach (`rc`: negative errno).
pub type spdk_nvme_attach_fail_cb =
    Option<unsafe extern "C" fn(cb_ctx: *mut c_void, trid: *const spdk_nvme_transport_id, rc: c_int)>;

/// An attached controller was removed.
pub type spdk_nvme_remove_cb = Option<unsafe extern "C" fn(cb_ctx: *mut c_void, ctrlr: *mut spdk_nvme_ctrlr)>;

/// Filter for hot-inserted PCIe devices: return true to allow probing.
pub type spdk_nvme_pcie_hotplug_filter_cb = Option<unsafe extern "C" fn(addr: *const spdk_pci_addr) -> bool>;

/// Command completion.
pub type spdk_nvme_cmd_cb = Option<unsafe extern "C" fn(ctx: *mut c_void, cpl: *const spdk_nvme_cpl)>;

/// Asynchronous event request completion.
pub type spdk_nvme_aer_cb = Option<unsafe extern "C" fn(aer_cb_arg: *mut c_void, cpl: *const spdk_nvme_cpl)>;

/// Request timeout (`qpair` is NULL for the admin queue).
pub type spdk_nvme_timeout_cb = Option<
    unsafe extern "C" fn(cb_arg: *mut c_void, ctrlr: *mut spdk_nvme_ctrlr, qpair: *mut spdk_nvme_qpair, cid: u16),
>;

/// Completion of `spdk_nvme_ctrlr_get_discovery_log_page()`; the callee frees `log_page`.
pub type spdk_nvme_discovery_cb = Option<
    unsafe extern "C" fn(
        cb_arg: *mut c_void,
        rc: c_int,
        cpl: *const spdk_nvme_cpl,
        log_page: *mut spdk_nvmf_discovery_log_page,
    ),
>;

/// Restart the SGL walk of a scattered payload at `offset`.
pub type spdk_nvme_req_reset_sgl_cb = Option<unsafe extern "C" fn(cb_arg: *mut c_void, offset: u32)>;

/// Return the current SGE in `*address`/`*length` and advance to the next.
pub type spdk_nvme_req_next_sge_cb =
    Option<unsafe extern "C" fn(cb_arg: *mut c_void, address: *mut *mut c_void, length: *mut u32) -> c_int>;

/// Completion of an in-band authentication.
pub type spdk_nvme_authenticate_cb = Option<unsafe extern "C" fn(ctx: *mut c_void, status: c_int)>;

/// A qpair of a poll group was found disconnected.
pub type spdk_nvme_disconnected_qpair_cb =
    Option<unsafe extern "C" fn(qpair: *mut spdk_nvme_qpair, poll_group_ctx: *mut c_void)>;

/// A poll group in interrupt mode needs to be polled.
pub type spdk_nvme_poll_group_interrupt_cb =
    Option<unsafe extern "C" fn(group: *mut spdk_nvme_poll_group, ctx: *mut c_void)>;

/// Completion of an asynchronous register read or write.
pub type spdk_nvme_reg_cb = Option<unsafe extern "C" fn(ctx: *mut c_void, value: u64, cpl: *const spdk_nvme_cpl)>;

// ---- Structures ----

/// `struct spdk_nvme_ctrlr_opts` (SPDK asserts 856 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_ctrlr_opts {
    /// Number of I/O queues to request.
    pub num_io_queues: u32,
    /// Put submission queues in the controller memory buffer.
    pub use_cmb_sqs: bool,
    /// Skip shutdown notification on detach.
    pub no_shn_notification: bool,
    /// Enable interrupts for completion notification.
    pub enable_interrupts: bool,
    pub reserved7: u8,
    /// Arbitration mechanism.
    pub arb_mechanism: spdk_nvme_cc_ams,
    /// Arbitration burst (power of two, 7 = unlimited).
    pub arbitration_burst: u8,
    pub low_priority_weight: u8,
    pub medium_priority_weight: u8,
    pub high_priority_weight: u8,
    /// Keep alive timeout in milliseconds (0 = disabled).
    pub keep_alive_timeout_ms: u32,
    /// Retry count on transport errors.
    pub transport_retry_count: u8,
    pub reserved21: [u8; 3],
    /// Queue depth of each I/O queue.
    pub io_queue_size: u32,
    /// Host NQN for fabrics connections (`[SPDK_NVMF_NQN_MAX_LEN + 1]`).
    pub hostnqn: [c_char; 224],
    /// Number of requests allocated per I/O queue.
    pub io_queue_requests: u32,
    /// Source address for fabrics connections (`[SPDK_NVMF_TRADDR_MAX_LEN + 1]`).
    pub src_addr: [c_char; 257],
    /// Source service ID for fabrics connections (`[SPDK_NVMF_TRSVCID_MAX_LEN + 1]`).
    pub src_svcid: [c_char; 33],
    /// 64-bit host identifier.
    pub host_id: [u8; 8],
    /// 128-bit host identifier.
    pub extended_host_id: [u8; 16],
    pub reserved570: [u8; 2],
    /// I/O command set to select.
    pub command_set: spdk_nvme_cc_css,
    /// Timeout of admin commands during initialization, in milliseconds.
    pub admin_timeout_ms: u32,
    /// NVMe/TCP header digest.
    pub header_digest: bool,
    /// NVMe/TCP data digest.
    pub data_digest: bool,
    /// Do not log requests completed with an error.
    pub disable_error_logging: bool,
    /// Transport ACK timeout (0..31, 0 = driver default).
    pub transport_ack_timeout: u8,
    /// Queue depth of the admin queue.
    pub admin_queue_size: u16,
    pub reserved586: [u8; 6],
    /// Size of this structure as the caller knows it (ABI compatibility).
    pub opts_size: usize,
    /// Fabrics connect timeout in microseconds.
    pub fabrics_connect_timeout_us: u64,
    /// Do not read the ANA log page.
    pub disable_read_ana_log_page: bool,
    /// (SPDK's name; the bytes are 609..616.)
    pub reserved610: [u8; 7],
    /// Do not read the changed-namespace-list log page on NS_ATTR_CHANGED.
    pub disable_read_changed_ns_list_log_page: u8,
    pub reserved617: [u8; 200],
    /// IP type of service for RDMA (0 = not set).
    pub transport_tos: u8,
    /// Pre-shared key for NVMe/TCP TLS.
    pub tls_psk: *mut spdk_key,
    /// DH-HMAC-CHAP host key.
    pub dhchap_key: *mut spdk_key,
    /// DH-HMAC-CHAP controller key.
    pub dhchap_ctrlr_key: *mut spdk_key,
    /// Allowed DH-HMAC-CHAP digests (bit per `spdk_nvmf_dhchap_hash`).
    pub dhchap_digests: u32,
    /// Allowed DH-HMAC-CHAP groups (bit per `spdk_nvmf_dhchap_dhgroup`).
    pub dhchap_dhgroups: u32,
}

/// `struct spdk_nvme_accel_fn_table`: accel operations offered to a poll group.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_accel_fn_table {
    /// Size of this structure as the caller knows it (ABI compatibility).
    pub table_size: usize,
    pub reserved8: [u8; 8],
    /// Finish an accel sequence.
    pub finish_sequence:
        Option<unsafe extern "C" fn(seq: *mut c_void, cb_fn: spdk_nvme_accel_completion_cb, cb_arg: *mut c_void)>,
    /// Reverse an accel sequence.
    pub reverse_sequence: Option<unsafe extern "C" fn(seq: *mut c_void)>,
    /// Abort an accel sequence.
    pub abort_sequence: Option<unsafe extern "C" fn(seq: *mut c_void)>,
    /// Append a crc32c operation to a sequence.
    pub append_crc32c: Option<
        unsafe extern "C" fn(
            ctx: *mut c_void,
            seq: *mut *mut c_void,
            dst: *mut u32,
            iovs: *mut libc::iovec,
            iovcnt: u32,
            memory_domain: *mut spdk_memory_domain,
            domain_ctx: *mut c_void,
            seed: u32,
            cb_fn: spdk_nvme_accel_step_cb,
            cb_arg: *mut c_void,
        ) -> c_int,
    >,
    /// Append a copy operation to a sequence.
    pub append_copy: Option<
        unsafe extern "C" fn(
            ctx: *mut c_void,
            seq: *mut *mut c_void,
            dst_iovs: *mut libc::iovec,
            dst_iovcnt: u32,
            dst_domain: *mut spdk_memory_domain,
            dst_domain_ctx: *mut c_void,
            src_iovs: *mut libc::iovec,
            src_iovcnt: u32,
            src_domain: *mut spdk_memory_domain,
            src_domain_ctx: *mut c_void,
            cb_fn: spdk_nvme_accel_step_cb,
            cb_arg: *mut c_void,
        ) -> c_int,
    >,
}

/// `struct spdk_nvme_transport_id`: one endpoint of an NVMe fabric (or a PCIe device).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_transport_id {
    /// Transport string (`[SPDK_NVMF_TRSTRING_MAX_LEN + 1]`).
    pub trstring: [c_char; 33],
    /// Transport type (a raw 32-bit value: C callers may leave it zeroed).
    pub trtype: spdk_nvme_transport_type_raw,
    /// Address family (ignored for PCIe; a raw 32-bit value).
    pub adrfam: spdk_nvmf_adrfam_raw,
    /// Transport address (`[SPDK_NVMF_TRADDR_MAX_LEN + 1]`).
    pub traddr: [c_char; 257],
    /// Transport service ID (`[SPDK_NVMF_TRSVCID_MAX_LEN + 1]`).
    pub trsvcid: [c_char; 33],
    /// Subsystem NQN (`[SPDK_NVMF_NQN_MAX_LEN + 1]`).
    pub subnqn: [c_char; 224],
    /// Connection priority (socket priority for kernel TCP).
    pub priority: c_int,
}


/// `struct spdk_nvme_host_id`: the host side of an NVMe-oF connection.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_host_id {
    /// Host transport address (`[SPDK_NVMF_TRADDR_MAX_LEN + 1]`).
    pub hostaddr: [c_char; 257],
    /// Host transport service ID (`[SPDK_NVMF_TRSVCID_MAX_LEN + 1]`).
    pub hostsvcid: [c_char; 33],
}

/// `struct spdk_nvme_rdma_device_stat`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_rdma_device_stat {
    pub name: *const c_char,
    pub polls: u64,
    pub idle_polls: u64,
    pub completions: u64,
    pub queued_requests: u64,
    pub total_send_wrs: u64,
    pub send_doorbell_updates: u64,
    pub total_recv_wrs: u64,
    pub recv_doorbell_updates: u64,
}

/// `struct spdk_nvme_pcie_stat`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_pcie_stat {
    pub polls: u64,
    pub idle_polls: u64,
    pub completions: u64,
    pub cq_mmio_doorbell_updates: u64,
    pub cq_shadow_doorbell_updates: u64,
    pub submitted_requests: u64,
    pub queued_requests: u64,
    pub sq_mmio_doorbell_updates: u64,
    pub sq_shadow_doorbell_updates: u64,
}

/// `struct spdk_nvme_tcp_stat`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_tcp_stat {
    pub polls: u64,
    pub idle_polls: u64,
    pub socket_completions: u64,
    pub nvme_completions: u64,
    pub submitted_requests: u64,
    pub queued_requests: u64,
}

/// The anonymous `rdma` member of `spdk_nvme_transport_poll_group_stat`'s union.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_transport_poll_group_stat_rdma {
    pub num_devices: u32,
    pub device_stats: *mut spdk_nvme_rdma_device_stat,
}

/// The anonymous union of `spdk_nvme_transport_poll_group_stat`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union spdk_nvme_transport_poll_group_stat_u {
    pub rdma: spdk_nvme_transport_poll_group_stat_rdma,
    pub pcie: spdk_nvme_pcie_stat,
    pub tcp: spdk_nvme_tcp_stat,
}

/// `struct spdk_nvme_transport_poll_group_stat`. In C the union is anonymous
/// (`stat->pcie.polls`); here it is the member `u`, same offset (8).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_transport_poll_group_stat {
    pub trtype: spdk_nvme_transport_type_t,
    pub u: spdk_nvme_transport_poll_group_stat_u,
}

/// `struct spdk_nvme_poll_group_stat`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_poll_group_stat {
    pub num_transports: u32,
    pub transport_stat: *mut *mut spdk_nvme_transport_poll_group_stat,
}

/// `struct spdk_nvme_ns_cmd_ext_io_opts` (SPDK asserts 56 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_ns_cmd_ext_io_opts {
    /// Size of this structure in bytes (`SPDK_SIZEOF(opts, last_member)`).
    pub size: usize,
    /// Memory domain of the payload.
    pub memory_domain: *mut spdk_memory_domain,
    /// Context passed to memory domain operations.
    pub memory_domain_ctx: *mut c_void,
    /// `SPDK_NVME_IO_FLAGS_*` for this I/O.
    pub io_flags: u32,
    pub reserved28: [u8; 4],
    /// Separate metadata buffer.
    pub metadata: *mut c_void,
    /// Application tag mask for end-to-end protection.
    pub apptag_mask: u16,
    /// Application tag for end-to-end protection.
    pub apptag: u16,
    /// Command dword 13.
    pub cdw13: u32,
    /// Accel sequence (requires SPDK_NVME_CTRLR_ACCEL_SEQUENCE_SUPPORTED and a poll group).
    pub accel_sequence: *mut c_void,
}

/// `struct spdk_nvme_ctrlr_key_opts`: keys for `spdk_nvme_ctrlr_set_keys()`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_ctrlr_key_opts {
    /// Size of this structure.
    pub size: usize,
    /// DH-HMAC-CHAP host key.
    pub dhchap_key: *mut spdk_key,
    /// DH-HMAC-CHAP controller key.
    pub dhchap_ctrlr_key: *mut spdk_key,
}

/// The anonymous `sq` member of `spdk_nvme_io_qpair_opts`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_io_qpair_opts_sq {
    pub vaddr: *mut spdk_nvme_cmd,
    pub paddr: u64,
    pub buffer_size: u64,
}

/// The anonymous `cq` member of `spdk_nvme_io_qpair_opts`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_io_qpair_opts_cq {
    pub vaddr: *mut spdk_nvme_cpl,
    pub paddr: u64,
    pub buffer_size: u64,
}

/// `struct spdk_nvme_io_qpair_opts` (SPDK asserts 80 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_io_qpair_opts {
    /// Queue priority for weighted round robin (0 otherwise).
    pub qprio: spdk_nvme_qprio,
    /// Queue depth; overrides `spdk_nvme_ctrlr_opts::io_queue_size`.
    pub io_queue_size: u32,
    /// Requests to allocate; overrides `spdk_nvme_ctrlr_opts::io_queue_requests`.
    pub io_queue_requests: u32,
    /// Queue new commands and submit them from process_completions. In C this
    /// is an anonymous union with its former name `delay_pcie_doorbell`.
    pub delay_cmd_submit: bool,
    pub reserved13: [u8; 3],
    /// Caller-provided submission queue memory (PCIe only).
    pub sq: spdk_nvme_io_qpair_opts_sq,
    /// Caller-provided completion queue memory (PCIe only).
    pub cq: spdk_nvme_io_qpair_opts_cq,
    /// Allocate without connecting.
    pub create_only: bool,
    /// Create the queues asynchronously.
    pub async_mode: bool,
    /// Do not merge physically contiguous SGL elements.
    pub disable_pcie_sgl_merge: bool,
    pub reserved67: [u8; 5],
    /// Size of this structure as the caller knows it (ABI compatibility).
    pub opts_size: usize,
}

/// `struct spdk_nvme_rdma_hooks`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_rdma_hooks {
    /// Get a protection domain.
    pub get_ibv_pd:
        Option<unsafe extern "C" fn(trid: *const spdk_nvme_transport_id, verbs: *mut ibv_context) -> *mut ibv_pd>,
    /// Get the remote key of a buffer.
    pub get_rkey: Option<unsafe extern "C" fn(pd: *mut ibv_pd, buf: *mut c_void, size: usize) -> u64>,
    /// Put back a key from `get_rkey`.
    pub put_rkey: Option<unsafe extern "C" fn(key: u64)>,
}

/// `struct spdk_nvme_transport_ops`: the function table of a transport.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_transport_ops {
    /// Transport name (`[SPDK_NVMF_TRSTRING_MAX_LEN + 1]`).
    pub name: [c_char; 33],
    pub r#type: spdk_nvme_transport_type,
    pub ctrlr_construct: Option<
        unsafe extern "C" fn(
            trid: *const spdk_nvme_transport_id,
            opts: *const spdk_nvme_ctrlr_opts,
            devhandle: *mut c_void,
        ) -> *mut spdk_nvme_ctrlr,
    >,
    pub ctrlr_scan: Option<unsafe extern "C" fn(probe_ctx: *mut spdk_nvme_probe_ctx, direct_connect: bool) -> c_int>,
    pub ctrlr_destruct: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr) -> c_int>,
    pub ctrlr_enable: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr) -> c_int>,
    pub ctrlr_enable_interrupts: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr) -> c_int>,
    pub ctrlr_set_reg_4: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr, offset: u32, value: u32) -> c_int>,
    pub ctrlr_set_reg_8: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr, offset: u32, value: u64) -> c_int>,
    pub ctrlr_get_reg_4:
        Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr, offset: u32, value: *mut u32) -> c_int>,
    pub ctrlr_get_reg_8:
        Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr, offset: u32, value: *mut u64) -> c_int>,
    pub ctrlr_set_reg_4_async: Option<
        unsafe extern "C" fn(
            ctrlr: *mut spdk_nvme_ctrlr,
            offset: u32,
            value: u32,
            cb_fn: spdk_nvme_reg_cb,
            cb_arg: *mut c_void,
        ) -> c_int,
    >,
    pub ctrlr_set_reg_8_async: Option<
        unsafe extern "C" fn(
            ctrlr: *mut spdk_nvme_ctrlr,
            offset: u32,
            value: u64,
            cb_fn: spdk_nvme_reg_cb,
            cb_arg: *mut c_void,
        ) -> c_int,
    >,
    pub ctrlr_get_reg_4_async: Option<
        unsafe extern "C" fn(
            ctrlr: *mut spdk_nvme_ctrlr,
            offset: u32,
            cb_fn: spdk_nvme_reg_cb,
            cb_arg: *mut c_void,
        ) -> c_int,
    >,
    pub ctrlr_get_reg_8_async: Option<
        unsafe extern "C" fn(
            ctrlr: *mut spdk_nvme_ctrlr,
            offset: u32,
            cb_fn: spdk_nvme_reg_cb,
            cb_arg: *mut c_void,
        ) -> c_int,
    >,
    pub ctrlr_get_max_xfer_size: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr) -> u32>,
    pub ctrlr_get_max_sges: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr) -> u16>,
    pub ctrlr_reserve_cmb: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr) -> c_int>,
    pub ctrlr_map_cmb: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr, size: *mut usize) -> *mut c_void>,
    pub ctrlr_unmap_cmb: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr) -> c_int>,
    pub ctrlr_enable_pmr: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr) -> c_int>,
    pub ctrlr_disable_pmr: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr) -> c_int>,
    pub ctrlr_map_pmr: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr, size: *mut usize) -> *mut c_void>,
    pub ctrlr_unmap_pmr: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr) -> c_int>,
    pub ctrlr_create_io_qpair: Option<
        unsafe extern "C" fn(
            ctrlr: *mut spdk_nvme_ctrlr,
            qid: u16,
            opts: *const spdk_nvme_io_qpair_opts,
        ) -> *mut spdk_nvme_qpair,
    >,
    pub ctrlr_delete_io_qpair:
        Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr, qpair: *mut spdk_nvme_qpair) -> c_int>,
    pub ctrlr_connect_qpair:
        Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr, qpair: *mut spdk_nvme_qpair) -> c_int>,
    pub ctrlr_disconnect_qpair: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr, qpair: *mut spdk_nvme_qpair)>,
    pub qpair_abort_reqs: Option<unsafe extern "C" fn(qpair: *mut spdk_nvme_qpair, dnr: u32)>,
    pub qpair_reset: Option<unsafe extern "C" fn(qpair: *mut spdk_nvme_qpair) -> c_int>,
    pub qpair_submit_request: Option<unsafe extern "C" fn(qpair: *mut spdk_nvme_qpair, req: *mut nvme_request) -> c_int>,
    pub qpair_authenticate: Option<unsafe extern "C" fn(qpair: *mut spdk_nvme_qpair) -> c_int>,
    pub qpair_process_completions:
        Option<unsafe extern "C" fn(qpair: *mut spdk_nvme_qpair, max_completions: u32) -> i32>,
    pub qpair_iterate_requests: Option<
        unsafe extern "C" fn(
            qpair: *mut spdk_nvme_qpair,
            iter_fn: Option<unsafe extern "C" fn(req: *mut nvme_request, arg: *mut c_void) -> c_int>,
            arg: *mut c_void,
        ) -> c_int,
    >,
    pub qpair_get_fd:
        Option<unsafe extern "C" fn(qpair: *mut spdk_nvme_qpair, opts: *mut spdk_event_handler_opts) -> c_int>,
    pub admin_qpair_abort_aers: Option<unsafe extern "C" fn(qpair: *mut spdk_nvme_qpair)>,
    pub poll_group_create: Option<unsafe extern "C" fn() -> *mut spdk_nvme_transport_poll_group>,
    pub poll_group_add: Option<
        unsafe extern "C" fn(tgroup: *mut spdk_nvme_transport_poll_group, qpair: *mut spdk_nvme_qpair) -> c_int,
    >,
    pub poll_group_remove: Option<
        unsafe extern "C" fn(tgroup: *mut spdk_nvme_transport_poll_group, qpair: *mut spdk_nvme_qpair) -> c_int,
    >,
    pub poll_group_connect_qpair: Option<unsafe extern "C" fn(qpair: *mut spdk_nvme_qpair) -> c_int>,
    pub poll_group_disconnect_qpair: Option<unsafe extern "C" fn(qpair: *mut spdk_nvme_qpair) -> c_int>,
    pub poll_group_process_completions: Option<
        unsafe extern "C" fn(
            tgroup: *mut spdk_nvme_transport_poll_group,
            completions_per_qpair: u32,
            disconnected_qpair_cb: spdk_nvme_disconnected_qpair_cb,
        ) -> i64,
    >,
    pub poll_group_check_disconnected_qpairs: Option<
        unsafe extern "C" fn(
            tgroup: *mut spdk_nvme_transport_poll_group,
            disconnected_qpair_cb: spdk_nvme_disconnected_qpair_cb,
        ),
    >,
    pub poll_group_destroy: Option<unsafe extern "C" fn(tgroup: *mut spdk_nvme_transport_poll_group) -> c_int>,
    pub poll_group_get_stats: Option<
        unsafe extern "C" fn(
            tgroup: *mut spdk_nvme_transport_poll_group,
            stats: *mut *mut spdk_nvme_transport_poll_group_stat,
        ) -> c_int,
    >,
    pub poll_group_free_stats: Option<
        unsafe extern "C" fn(
            tgroup: *mut spdk_nvme_transport_poll_group,
            stats: *mut spdk_nvme_transport_poll_group_stat,
        ),
    >,
    pub ctrlr_get_memory_domains: Option<
        unsafe extern "C" fn(
            ctrlr: *const spdk_nvme_ctrlr,
            domains: *mut *mut spdk_memory_domain,
            array_size: c_int,
        ) -> c_int,
    >,
    pub ctrlr_ready: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr) -> c_int>,
    /// In C the pointee is `volatile struct spdk_nvme_registers`.
    pub ctrlr_get_registers: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr) -> *mut spdk_nvme_registers>,
    /// Optional: process removal events of attached controllers.
    pub ctrlr_scan_attached: Option<unsafe extern "C" fn(probe_ctx: *mut spdk_nvme_probe_ctx) -> c_int>,
    /// Optional: process transport-specific events.
    pub ctrlr_process_transport_events: Option<unsafe extern "C" fn(ctrlr: *mut spdk_nvme_ctrlr) -> c_int>,
}

/// `struct spdk_nvme_transport_opts` (SPDK asserts 32 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvme_transport_opts {
    /// Depth of a shared RDMA receive queue.
    pub rdma_srq_size: u32,
    pub reserved4: [u8; 4],
    /// Size of this structure as the caller knows it (ABI compatibility).
    pub opts_size: usize,
    /// Maximum depth of an RDMA completion queue (0 = unlimited).
    pub rdma_max_cq_size: u32,
    /// RDMA CM event timeout in milliseconds.
    pub rdma_cm_event_timeout_ms: u16,
    /// Use a UMR per I/O request where supported.
    pub rdma_umr_per_io: bool,
    pub reserved23: u8,
    /// TCP connection timeout in milliseconds (0 = none).
    pub tcp_connect_timeout_ms: u32,
}

// ---- Layout checks (x86_64 / LP64) ----

// Array literals against their SPDK constants.
const _: () = assert!(SPDK_NVMF_TRSTRING_MAX_LEN + 1 == 33);
const _: () = assert!(SPDK_NVMF_TRADDR_MAX_LEN + 1 == 257);
const _: () = assert!(SPDK_NVMF_TRSVCID_MAX_LEN + 1 == 33);
const _: () = assert!(SPDK_NVMF_NQN_MAX_LEN + 1 == 224);

// C enums are 4 bytes.
const _: () = assert!(size_of::<spdk_nvme_transport_type>() == 4);
const _: () = assert!(size_of::<spdk_nvmf_adrfam>() == 4);
const _: () = assert!(size_of::<spdk_nvmf_trtype>() == 4);
const _: () = assert!(size_of::<spdk_nvme_qp_failure_reason>() == 4);
const _: () = assert!(size_of::<spdk_nvme_ctrlr_flags>() == 4);
const _: () = assert!(size_of::<spdk_nvme_ns_flags>() == 4);
const _: () = assert!(size_of::<spdk_nvme_cc_ams>() == 4);
const _: () = assert!(size_of::<spdk_nvme_cc_css>() == 4);
const _: () = assert!(size_of::<spdk_nvme_qprio>() == 4);

// spdk_nvme_ctrlr_opts: 856 (SPDK_STATIC_ASSERT).
const _: () = assert!(size_of::<spdk_nvme_ctrlr_opts>() == 856);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, reserved7) == 7);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, arb_mechanism) == 8);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, keep_alive_timeout_ms) == 16);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, transport_retry_count) == 20);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, io_queue_size) == 24);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, hostnqn) == 28);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, io_queue_requests) == 252);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, src_addr) == 256);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, src_svcid) == 513);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, host_id) == 546);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, extended_host_id) == 554);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, reserved570) == 570);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, command_set) == 572);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, admin_timeout_ms) == 576);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, header_digest) == 580);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, transport_ack_timeout) == 583);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, admin_queue_size) == 584);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, reserved586) == 586);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, opts_size) == 592);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, fabrics_connect_timeout_us) == 600);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, disable_read_ana_log_page) == 608);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, reserved610) == 609);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, disable_read_changed_ns_list_log_page) == 616);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, reserved617) == 617);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, transport_tos) == 817);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, tls_psk) == 824);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, dhchap_key) == 832);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, dhchap_ctrlr_key) == 840);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, dhchap_digests) == 848);
const _: () = assert!(offset_of!(spdk_nvme_ctrlr_opts, dhchap_dhgroups) == 852);

// spdk_nvme_accel_fn_table: 56 (measured).
const _: () = assert!(size_of::<spdk_nvme_accel_fn_table>() == 56);
const _: () = assert!(offset_of!(spdk_nvme_accel_fn_table, finish_sequence) == 16);
const _: () = assert!(offset_of!(spdk_nvme_accel_fn_table, append_copy) == 48);

// spdk_nvme_transport_id: 564 (measured).
const _: () = assert!(size_of::<spdk_nvme_transport_id>() == 564);
const _: () = assert!(offset_of!(spdk_nvme_transport_id, trtype) == 36);
const _: () = assert!(offset_of!(spdk_nvme_transport_id, adrfam) == 40);
const _: () = assert!(offset_of!(spdk_nvme_transport_id, traddr) == 44);
const _: () = assert!(offset_of!(spdk_nvme_transport_id, trsvcid) == 301);
const _: () = assert!(offset_of!(spdk_nvme_transport_id, subnqn) == 334);
const _: () = assert!(offset_of!(spdk_nvme_transport_id, priority) == 560);

// spdk_nvme_host_id: 290 (measured).
const _: () = assert!(size_of::<spdk_nvme_host_id>() == 290);
const _: () = assert!(offset_of!(spdk_nvme_host_id, hostsvcid) == 257);

// Statistics (measured).
const _: () = assert!(size_of::<spdk_nvme_rdma_device_stat>() == 72);
const _: () = assert!(size_of::<spdk_nvme_pcie_stat>() == 72);
const _: () = assert!(size_of::<spdk_nvme_tcp_stat>() == 48);
const _: () = assert!(size_of::<spdk_nvme_transport_poll_group_stat_rdma>() == 16);
const _: () = assert!(size_of::<spdk_nvme_transport_poll_group_stat_u>() == 72);
const _: () = assert!(size_of::<spdk_nvme_transport_poll_group_stat>() == 80);
const _: () = assert!(offset_of!(spdk_nvme_transport_poll_group_stat, u) == 8);
const _: () = assert!(size_of::<spdk_nvme_poll_group_stat>() == 16);
const _: () = assert!(offset_of!(spdk_nvme_poll_group_stat, transport_stat) == 8);

// spdk_nvme_ns_cmd_ext_io_opts: 56 (SPDK_STATIC_ASSERT).
const _: () = assert!(size_of::<spdk_nvme_ns_cmd_ext_io_opts>() == 56);
const _: () = assert!(offset_of!(spdk_nvme_ns_cmd_ext_io_opts, memory_domain) == 8);
const _: () = assert!(offset_of!(spdk_nvme_ns_cmd_ext_io_opts, io_flags) == 24);
const _: () = assert!(offset_of!(spdk_nvme_ns_cmd_ext_io_opts, reserved28) == 28);
const _: () = assert!(offset_of!(spdk_nvme_ns_cmd_ext_io_opts, metadata) == 32);
const _: () = assert!(offset_of!(spdk_nvme_ns_cmd_ext_io_opts, apptag_mask) == 40);
const _: () = assert!(offset_of!(spdk_nvme_ns_cmd_ext_io_opts, apptag) == 42);
const _: () = assert!(offset_of!(spdk_nvme_ns_cmd_ext_io_opts, cdw13) == 44);
const _: () = assert!(offset_of!(spdk_nvme_ns_cmd_ext_io_opts, accel_sequence) == 48);

// spdk_nvme_ctrlr_key_opts: 24 (measured).
const _: () = assert!(size_of::<spdk_nvme_ctrlr_key_opts>() == 24);

// spdk_nvme_io_qpair_opts: 80 (SPDK_STATIC_ASSERT).
const _: () = assert!(size_of::<spdk_nvme_io_qpair_opts_sq>() == 24);
const _: () = assert!(size_of::<spdk_nvme_io_qpair_opts_cq>() == 24);
const _: () = assert!(size_of::<spdk_nvme_io_qpair_opts>() == 80);
const _: () = assert!(offset_of!(spdk_nvme_io_qpair_opts, io_queue_size) == 4);
const _: () = assert!(offset_of!(spdk_nvme_io_qpair_opts, io_queue_requests) == 8);
const _: () = assert!(offset_of!(spdk_nvme_io_qpair_opts, delay_cmd_submit) == 12);
const _: () = assert!(offset_of!(spdk_nvme_io_qpair_opts, reserved13) == 13);
const _: () = assert!(offset_of!(spdk_nvme_io_qpair_opts, sq) == 16);
const _: () = assert!(offset_of!(spdk_nvme_io_qpair_opts, cq) == 40);
const _: () = assert!(offset_of!(spdk_nvme_io_qpair_opts, create_only) == 64);
const _: () = assert!(offset_of!(spdk_nvme_io_qpair_opts, async_mode) == 65);
const _: () = assert!(offset_of!(spdk_nvme_io_qpair_opts, disable_pcie_sgl_merge) == 66);
const _: () = assert!(offset_of!(spdk_nvme_io_qpair_opts, reserved67) == 67);
const _: () = assert!(offset_of!(spdk_nvme_io_qpair_opts, opts_size) == 72);

// spdk_nvme_rdma_hooks: 24 (measured).
const _: () = assert!(size_of::<spdk_nvme_rdma_hooks>() == 24);

// spdk_nvme_transport_ops: 432 = 40 + 49 function pointers (measured).
const _: () = assert!(size_of::<spdk_nvme_transport_ops>() == 432);
const _: () = assert!(offset_of!(spdk_nvme_transport_ops, r#type) == 36);
const _: () = assert!(offset_of!(spdk_nvme_transport_ops, ctrlr_construct) == 40);
const _: () = assert!(offset_of!(spdk_nvme_transport_ops, ctrlr_process_transport_events) == 424);

// spdk_nvme_transport_opts: 32 (SPDK_STATIC_ASSERT).
const _: () = assert!(size_of::<spdk_nvme_transport_opts>() == 32);
const _: () = assert!(offset_of!(spdk_nvme_transport_opts, opts_size) == 8);
const _: () = assert!(offset_of!(spdk_nvme_transport_opts, rdma_max_cq_size) == 16);
const _: () = assert!(offset_of!(spdk_nvme_transport_opts, rdma_cm_event_timeout_ms) == 20);
const _: () = assert!(offset_of!(spdk_nvme_transport_opts, rdma_umr_per_io) == 22);
const _: () = assert!(offset_of!(spdk_nvme_transport_opts, reserved23) == 23);
const _: () = assert!(offset_of!(spdk_nvme_transport_opts, tcp_connect_timeout_ms) == 24);
