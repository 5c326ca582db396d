//! `spdk/bdev.h` and `spdk/bdev_module.h`: the public types of the block
//! device layer, laid out byte for byte as SPDK's, so that C bdev modules
//! written for SPDK (which embed `struct spdk_bdev`, fill its fields and read
//! `struct spdk_bdev_io`) compile and run unchanged.
//!
//! Layout source: the headers of SPDK master in the v26.01 cycle (after the
//! `spdk_bdev`/`spdk_bdev_io` reserved-field layout, before v26.05 added
//! `spdk_bdev::csi`). SPDK's own `SPDK_STATIC_ASSERT`s are matched
//! (`spdk_bdev_opts` 32, `spdk_bdev_ext_io_opts` 52,
//! `spdk_bdev_enable_histogram_opts` 26, `spdk_bdev_open_opts` 16,
//! `spdk_bdev_open_async_opts` 16, `spdk_bdev_claim_opts` 48,
//! `spdk_bdev_part_construct_opts` 24, the three 4-byte NVMe dword unions, and
//! `offsetof(spdk_bdev_io, driver_ctx) % 64 == 0`); every other size and
//! offset asserted below was measured with gcc on x86_64 from a copy of the C
//! declarations.
//!
//! Not expressible by cbindgen (hand-written C needed, see `src/capi/raw/`):
//! - `struct spdk_bdev`: an anonymous member struct of 1-bit bitfields
//!   (`bdev->zoned = true` must compile) and the bitfield struct `numa`.
//!   Modelled here with `flags: u32` and `numa: spdk_bdev_numa`; the C
//!   definition must be hand-written and this type excluded from cbindgen.
//! - `struct spdk_bdev_io`: ends in `uint8_t driver_ctx[0]`, which
//!   `-pedantic` rejects in C11 and C++17 unless written
//!   `__extension__ uint8_t driver_ctx[0];`. Hand-write it too.
//! - `struct spdk_bdev_part` embeds `struct spdk_bdev` by value, so it must
//!   follow the hand-written `struct spdk_bdev`.
//! - the bitfield unions `spdk_bdev_nvme_ctratt`, `spdk_bdev_nvme_cdw12`,
//!   `spdk_bdev_nvme_cdw13` and the `zcopy` bitfield struct of
//!   `spdk_bdev_io_block_params` (named `spdk_bdev_io_block_params_zcopy`
//!   here; anonymous in SPDK): self-contained C, modelled here as `raw`
//!   integers (exclude them from cbindgen and rename to their C tags).
//! - macros: `SPDK_BDEV_MODULE_REGISTER(name, module)`,
//!   `SPDK_BDEV_BUF_SIZE_WITH_MD(x)`; the static inline
//!   `spdk_bdev_io_from_ctx(void *ctx)`;
//!   `typedef TAILQ_HEAD(, spdk_bdev_io) bdev_io_tailq_t` and its siblings
//!   `bdev_io_stailq_t`, `lba_range_tailq_t` (typedefs of anonymous structs).
//! - `SPDK_MIN_BDEV_IO_STATUS` is an enumerator alias of
//!   `SPDK_BDEV_IO_STATUS_AIO_ERROR` in SPDK; here it is a constant.
//!
//! Enum-typed values C hands to us (struct fields filled by C modules,
//! arguments of API calls) are carried as `*_raw` 32-bit newtypes: read them
//! with `from_raw` before trusting them. Every type here is valid when
//! zero-filled (C modules `calloc` their `spdk_bdev`).
//!
//! Array lengths are literals (cbindgen 0.27 prints only literals); the
//! asserts at the end tie each one to its SPDK constant.
//!
//! A few by-value types of other SPDK headers live here until those headers
//! are implemented: `spdk_spinlock` and `spdk_iobuf_entry` (`spdk/thread.h`),
//! `spdk_dif_ctx`, `spdk_dif_error` and the DIF enums (`spdk/dif.h`),
//! `spdk_bdev_zone_action` (`spdk/bdev_zone.h`).

#![allow(non_camel_case_types, clippy::type_complexity)]

use super::nvme_spec::spdk_nvme_cmd;
use super::nvme_types::spdk_memory_domain;
use super::thread::{spdk_io_channel, spdk_poller, spdk_thread};
use super::util::spdk_uuid;
use std::ffi::{c_char, c_int, c_void};
use std::mem::{align_of, offset_of, size_of};

// ---- Constants ----

/// Largest buffer served from the small iobuf pool.
pub const SPDK_BDEV_SMALL_BUF_MAX_SIZE: usize = 8192;
/// Largest buffer served from the large iobuf pool (`64 * 1024`).
pub const SPDK_BDEV_LARGE_BUF_MAX_SIZE: usize = 65536;
/// Largest interleaved metadata per 512-byte data block.
pub const SPDK_BDEV_MAX_INTERLEAVED_MD_SIZE: usize = 64;
/// Length of `spdk_bdev_claim_opts::name` (and of module claim names).
pub const SPDK_BDEV_CLAIM_NAME_LEN: usize = 32;
/// Recommended `spdk_bdev::reset_io_drain_timeout` (seconds) for shared bdevs.
pub const SPDK_BDEV_RESET_IO_DRAIN_RECOMMENDED_VALUE: u16 = 5;
/// Maximum number of iovecs used for I/O splitting (`spdk_bdev_io::child_iov`).
pub const SPDK_BDEV_IO_NUM_CHILD_IOV: usize = 32;
/// The most negative `spdk_bdev_io_status` (an enumerator alias in SPDK).
pub const SPDK_MIN_BDEV_IO_STATUS: i32 = -8;

/// `SPDK_BDEV_BUF_SIZE_WITH_MD(x)`: buffer size for `x` data bytes with the
/// maximum interleaved metadata.
pub const fn spdk_bdev_buf_size_with_md(x: usize) -> usize {
    (x / 512) * (512 + SPDK_BDEV_MAX_INTERLEAVED_MD_SIZE)
}

// ---- Opaque types ----

/// Opaque: a descriptor of an opened bdev.
pub struct spdk_bdev_desc {
    _private: [u8; 0],
}
/// Opaque: the iterator of `spdk_bdev_for_each_channel()`.
pub struct spdk_bdev_channel_iter {
    _private: [u8; 0],
}
pub use crate::util::histogram::spdk_histogram_data;
/// Opaque: a JSON write context (`spdk/json.h`).
pub struct spdk_json_write_ctx {
    _private: [u8; 0],
}
/// Opaque: a sequence of accel operations (`spdk/accel.h`).
pub struct spdk_accel_sequence {
    _private: [u8; 0],
}
/// Opaque: the base bdev of a set of part bdevs.
pub struct spdk_bdev_part_base {
    _private: [u8; 0],
}
/// Opaque: per-status I/O error counters (private to the bdev library).
pub struct spdk_bdev_io_error_stat {
    _private: [u8; 0],
}
/// Opaque: QoS state of a bdev (private to the bdev library).
pub struct spdk_bdev_qos {
    _private: [u8; 0],
}
/// Opaque: the bdev layer's per-thread channel (private to the bdev library).
pub struct spdk_bdev_channel {
    _private: [u8; 0],
}
/// Opaque: a locked or quiesced LBA range (private to the bdev library).
pub struct lba_range {
    _private: [u8; 0],
}
/// Opaque: debugging state of an `spdk_spinlock` (`spdk/thread.h`).
pub struct spdk_spinlock_internal {
    _private: [u8; 0],
}

// ---- Enums ----

/// Asynchronous bdev events delivered to `spdk_bdev_event_cb_t`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_bdev_event_type {
    /// The bdev is going away: close the descriptor.
    SPDK_BDEV_EVENT_REMOVE = 0,
    /// The number of blocks changed.
    SPDK_BDEV_EVENT_RESIZE = 1,
    /// Media management events are pending (`spdk_bdev_get_media_events()`).
    SPDK_BDEV_EVENT_MEDIA_MANAGEMENT = 2,
}

impl spdk_bdev_event_type {
    /// The variant with this value, if any.
    pub const fn from_raw(v: i32) -> Option<Self> {
        match v {
            0 => Some(Self::SPDK_BDEV_EVENT_REMOVE),
            1 => Some(Self::SPDK_BDEV_EVENT_RESIZE),
            2 => Some(Self::SPDK_BDEV_EVENT_MEDIA_MANAGEMENT),
            _ => None,
        }
    }
}

/// Registration state of a bdev.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_bdev_status {
    SPDK_BDEV_STATUS_INVALID = 0,
    SPDK_BDEV_STATUS_READY = 1,
    SPDK_BDEV_STATUS_UNREGISTERING = 2,
    SPDK_BDEV_STATUS_REMOVING = 3,
}

impl spdk_bdev_status {
    /// The variant with this value, if any.
    pub const fn from_raw(v: i32) -> Option<Self> {
        match v {
            0 => Some(Self::SPDK_BDEV_STATUS_INVALID),
            1 => Some(Self::SPDK_BDEV_STATUS_READY),
            2 => Some(Self::SPDK_BDEV_STATUS_UNREGISTERING),
            3 => Some(Self::SPDK_BDEV_STATUS_REMOVING),
            _ => None,
        }
    }
}

/// bdev I/O types (`spdk_bdev_io::type` holds one, as a `uint8_t`).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_bdev_io_type {
    SPDK_BDEV_IO_TYPE_INVALID = 0,
    SPDK_BDEV_IO_TYPE_READ = 1,
    SPDK_BDEV_IO_TYPE_WRITE = 2,
    SPDK_BDEV_IO_TYPE_UNMAP = 3,
    SPDK_BDEV_IO_TYPE_FLUSH = 4,
    SPDK_BDEV_IO_TYPE_RESET = 5,
    SPDK_BDEV_IO_TYPE_NVME_ADMIN = 6,
    SPDK_BDEV_IO_TYPE_NVME_IO = 7,
    SPDK_BDEV_IO_TYPE_NVME_IO_MD = 8,
    SPDK_BDEV_IO_TYPE_WRITE_ZEROES = 9,
    SPDK_BDEV_IO_TYPE_ZCOPY = 10,
    SPDK_BDEV_IO_TYPE_GET_ZONE_INFO = 11,
    SPDK_BDEV_IO_TYPE_ZONE_MANAGEMENT = 12,
    SPDK_BDEV_IO_TYPE_ZONE_APPEND = 13,
    SPDK_BDEV_IO_TYPE_COMPARE = 14,
    SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE = 15,
    SPDK_BDEV_IO_TYPE_ABORT = 16,
    SPDK_BDEV_IO_TYPE_SEEK_HOLE = 17,
    SPDK_BDEV_IO_TYPE_SEEK_DATA = 18,
    SPDK_BDEV_IO_TYPE_COPY = 19,
    SPDK_BDEV_IO_TYPE_NVME_IOV_MD = 20,
    SPDK_BDEV_IO_TYPE_NVME_NSSR = 21,
    SPDK_BDEV_IO_TYPE_WRITE_UNCORRECTABLE = 22,
    /// Number of I/O types (keep last).
    SPDK_BDEV_NUM_IO_TYPES = 23,
}

impl spdk_bdev_io_type {
    /// The variant with this value, if any (`SPDK_BDEV_NUM_IO_TYPES` included).
    pub const fn from_raw(v: i32) -> Option<Self> {
        use spdk_bdev_io_type::*;
        Some(match v {
            0 => SPDK_BDEV_IO_TYPE_INVALID,
            1 => SPDK_BDEV_IO_TYPE_READ,
            2 => SPDK_BDEV_IO_TYPE_WRITE,
            3 => SPDK_BDEV_IO_TYPE_UNMAP,
            4 => SPDK_BDEV_IO_TYPE_FLUSH,
            5 => SPDK_BDEV_IO_TYPE_RESET,
            6 => SPDK_BDEV_IO_TYPE_NVME_ADMIN,
            7 => SPDK_BDEV_IO_TYPE_NVME_IO,
            8 => SPDK_BDEV_IO_TYPE_NVME_IO_MD,
            9 => SPDK_BDEV_IO_TYPE_WRITE_ZEROES,
            10 => SPDK_BDEV_IO_TYPE_ZCOPY,
            11 => SPDK_BDEV_IO_TYPE_GET_ZONE_INFO,
            12 => SPDK_BDEV_IO_TYPE_ZONE_MANAGEMENT,
            13 => SPDK_BDEV_IO_TYPE_ZONE_APPEND,
            14 => SPDK_BDEV_IO_TYPE_COMPARE,
            15 => SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE,
            16 => SPDK_BDEV_IO_TYPE_ABORT,
            17 => SPDK_BDEV_IO_TYPE_SEEK_HOLE,
            18 => SPDK_BDEV_IO_TYPE_SEEK_DATA,
            19 => SPDK_BDEV_IO_TYPE_COPY,
            20 => SPDK_BDEV_IO_TYPE_NVME_IOV_MD,
            21 => SPDK_BDEV_IO_TYPE_NVME_NSSR,
            22 => SPDK_BDEV_IO_TYPE_WRITE_UNCORRECTABLE,
            23 => SPDK_BDEV_NUM_IO_TYPES,
            _ => return None,
        })
    }
}

/// QoS rate limit types (indexes of the `limits` arrays of the QoS API).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_bdev_qos_rate_limit_type {
    /// IOPS limit for reads and writes together.
    SPDK_BDEV_QOS_RW_IOPS_RATE_LIMIT = 0,
    /// Bytes per second for reads and writes together.
    SPDK_BDEV_QOS_RW_BPS_RATE_LIMIT = 1,
    /// Bytes per second for reads.
    SPDK_BDEV_QOS_R_BPS_RATE_LIMIT = 2,
    /// Bytes per second for writes.
    SPDK_BDEV_QOS_W_BPS_RATE_LIMIT = 3,
    /// Number of limit types (keep last).
    SPDK_BDEV_QOS_NUM_RATE_LIMIT_TYPES = 4,
}

impl spdk_bdev_qos_rate_limit_type {
    /// The variant with this value, if any.
    pub const fn from_raw(v: i32) -> Option<Self> {
        match v {
            0 => Some(Self::SPDK_BDEV_QOS_RW_IOPS_RATE_LIMIT),
            1 => Some(Self::SPDK_BDEV_QOS_RW_BPS_RATE_LIMIT),
            2 => Some(Self::SPDK_BDEV_QOS_R_BPS_RATE_LIMIT),
            3 => Some(Self::SPDK_BDEV_QOS_W_BPS_RATE_LIMIT),
            4 => Some(Self::SPDK_BDEV_QOS_NUM_RATE_LIMIT_TYPES),
            _ => None,
        }
    }
}

/// What `spdk_bdev_get_io_stat()`/`spdk_bdev_get_device_stat()` reset after reading.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_bdev_reset_stat_mode {
    /// Reset all statistics.
    SPDK_BDEV_RESET_STAT_ALL = 0,
    /// Reset only the max and min latencies.
    SPDK_BDEV_RESET_STAT_MAXMIN = 1,
    /// Reset only the I/O error counters.
    SPDK_BDEV_RESET_STAT_ERROR = 2,
    /// Reset nothing.
    SPDK_BDEV_RESET_STAT_NONE = 3,
}

impl spdk_bdev_reset_stat_mode {
    /// The variant with this value, if any.
    pub const fn from_raw(v: i32) -> Option<Self> {
        match v {
            0 => Some(Self::SPDK_BDEV_RESET_STAT_ALL),
            1 => Some(Self::SPDK_BDEV_RESET_STAT_MAXMIN),
            2 => Some(Self::SPDK_BDEV_RESET_STAT_ERROR),
            3 => Some(Self::SPDK_BDEV_RESET_STAT_NONE),
            _ => None,
        }
    }
}

/// bdev I/O completion status (`spdk_bdev_io_complete()`).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_bdev_io_status {
    SPDK_BDEV_IO_STATUS_AIO_ERROR = -8,
    SPDK_BDEV_IO_STATUS_ABORTED = -7,
    SPDK_BDEV_IO_STATUS_FIRST_FUSED_FAILED = -6,
    SPDK_BDEV_IO_STATUS_MISCOMPARE = -5,
    /// The module lacks resources; the I/O is retried after others complete
    /// (never for RESET).
    SPDK_BDEV_IO_STATUS_NOMEM = -4,
    SPDK_BDEV_IO_STATUS_SCSI_ERROR = -3,
    SPDK_BDEV_IO_STATUS_NVME_ERROR = -2,
    SPDK_BDEV_IO_STATUS_FAILED = -1,
    SPDK_BDEV_IO_STATUS_PENDING = 0,
    SPDK_BDEV_IO_STATUS_SUCCESS = 1,
}

impl spdk_bdev_io_status {
    /// The variant with this value, if any.
    pub const fn from_raw(v: i32) -> Option<Self> {
        use spdk_bdev_io_status::*;
        Some(match v {
            -8 => SPDK_BDEV_IO_STATUS_AIO_ERROR,
            -7 => SPDK_BDEV_IO_STATUS_ABORTED,
            -6 => SPDK_BDEV_IO_STATUS_FIRST_FUSED_FAILED,
            -5 => SPDK_BDEV_IO_STATUS_MISCOMPARE,
            -4 => SPDK_BDEV_IO_STATUS_NOMEM,
            -3 => SPDK_BDEV_IO_STATUS_SCSI_ERROR,
            -2 => SPDK_BDEV_IO_STATUS_NVME_ERROR,
            -1 => SPDK_BDEV_IO_STATUS_FAILED,
            0 => SPDK_BDEV_IO_STATUS_PENDING,
            1 => SPDK_BDEV_IO_STATUS_SUCCESS,
            _ => return None,
        })
    }
}

/// `spdk_bdev_io_status_t` (SPDK's typedef of the enum).
pub type spdk_bdev_io_status_t = spdk_bdev_io_status;

/// Claim types of `spdk_bdev_module_claim_bdev_desc()`.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_bdev_claim_type {
    /// Not claimed (not a valid request).
    SPDK_BDEV_CLAIM_NONE = 0,
    /// Exclusive writer (legacy `spdk_bdev_module_claim_bdev()` behaviour).
    SPDK_BDEV_CLAIM_EXCL_WRITE = 1,
    /// One writer (the claiming descriptor); claimless readers allowed.
    SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE = 2,
    /// Any number of readers, no writers.
    SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE = 3,
    /// Writers sharing `shared_claim_key`.
    SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED = 4,
}

impl spdk_bdev_claim_type {
    /// The variant with this value, if any.
    pub const fn from_raw(v: i32) -> Option<Self> {
        match v {
            0 => Some(Self::SPDK_BDEV_CLAIM_NONE),
            1 => Some(Self::SPDK_BDEV_CLAIM_EXCL_WRITE),
            2 => Some(Self::SPDK_BDEV_CLAIM_READ_MANY_WRITE_ONE),
            3 => Some(Self::SPDK_BDEV_CLAIM_READ_MANY_WRITE_NONE),
            4 => Some(Self::SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED),
            _ => None,
        }
    }
}

/// `enum spdk_dif_type` (`spdk/dif.h`): T10 protection information type.
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_dif_type {
    SPDK_DIF_DISABLE = 0,
    SPDK_DIF_TYPE1 = 1,
    SPDK_DIF_TYPE2 = 2,
    SPDK_DIF_TYPE3 = 3,
}

impl spdk_dif_type {
    /// The variant with this value, if any.
    pub const fn from_raw(v: i32) -> Option<Self> {
        match v {
            0 => Some(Self::SPDK_DIF_DISABLE),
            1 => Some(Self::SPDK_DIF_TYPE1),
            2 => Some(Self::SPDK_DIF_TYPE2),
            3 => Some(Self::SPDK_DIF_TYPE3),
            _ => None,
        }
    }
}

/// `enum spdk_dif_pi_format` (`spdk/dif.h`): protection information format
/// (values as in the NVMe PIF field).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_dif_pi_format {
    SPDK_DIF_PI_FORMAT_16 = 0,
    SPDK_DIF_PI_FORMAT_32 = 1,
    SPDK_DIF_PI_FORMAT_64 = 2,
}

impl spdk_dif_pi_format {
    /// The variant with this value, if any.
    pub const fn from_raw(v: i32) -> Option<Self> {
        match v {
            0 => Some(Self::SPDK_DIF_PI_FORMAT_16),
            1 => Some(Self::SPDK_DIF_PI_FORMAT_32),
            2 => Some(Self::SPDK_DIF_PI_FORMAT_64),
            _ => None,
        }
    }
}

/// `enum spdk_dif_check_type` (`spdk/dif.h`).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_dif_check_type {
    SPDK_DIF_CHECK_TYPE_REFTAG = 1,
    SPDK_DIF_CHECK_TYPE_APPTAG = 2,
    SPDK_DIF_CHECK_TYPE_GUARD = 3,
}

impl spdk_dif_check_type {
    /// The variant with this value, if any.
    pub const fn from_raw(v: i32) -> Option<Self> {
        match v {
            1 => Some(Self::SPDK_DIF_CHECK_TYPE_REFTAG),
            2 => Some(Self::SPDK_DIF_CHECK_TYPE_APPTAG),
            3 => Some(Self::SPDK_DIF_CHECK_TYPE_GUARD),
            _ => None,
        }
    }
}

/// `enum spdk_bdev_zone_action` (`spdk/bdev_zone.h`).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_bdev_zone_action {
    SPDK_BDEV_ZONE_CLOSE = 0,
    SPDK_BDEV_ZONE_FINISH = 1,
    SPDK_BDEV_ZONE_OPEN = 2,
    SPDK_BDEV_ZONE_RESET = 3,
    SPDK_BDEV_ZONE_OFFLINE = 4,
}

impl spdk_bdev_zone_action {
    /// The variant with this value, if any.
    pub const fn from_raw(v: i32) -> Option<Self> {
        match v {
            0 => Some(Self::SPDK_BDEV_ZONE_CLOSE),
            1 => Some(Self::SPDK_BDEV_ZONE_FINISH),
            2 => Some(Self::SPDK_BDEV_ZONE_OPEN),
            3 => Some(Self::SPDK_BDEV_ZONE_RESET),
            4 => Some(Self::SPDK_BDEV_ZONE_OFFLINE),
            _ => None,
        }
    }
}

/// SCSI status codes (`enum spdk_scsi_status`, `spdk/scsi_spec.h`).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_scsi_status {
    SPDK_SCSI_STATUS_GOOD = 0x00,
    SPDK_SCSI_STATUS_CHECK_CONDITION = 0x02,
    SPDK_SCSI_STATUS_CONDITION_MET = 0x04,
    SPDK_SCSI_STATUS_BUSY = 0x08,
    SPDK_SCSI_STATUS_INTERMEDIATE = 0x10,
    SPDK_SCSI_STATUS_INTERMEDIATE_CONDITION_MET = 0x14,
    SPDK_SCSI_STATUS_RESERVATION_CONFLICT = 0x18,
    SPDK_SCSI_STATUS_Obsolete = 0x22,
    SPDK_SCSI_STATUS_TASK_SET_FULL = 0x28,
    SPDK_SCSI_STATUS_ACA_ACTIVE = 0x30,
    SPDK_SCSI_STATUS_TASK_ABORTED = 0x40,
}

impl spdk_scsi_status {
    /// The variant with this value, if any.
    pub const fn from_raw(v: i32) -> Option<Self> {
        use spdk_scsi_status::*;
        Some(match v {
            0x00 => SPDK_SCSI_STATUS_GOOD,
            0x02 => SPDK_SCSI_STATUS_CHECK_CONDITION,
            0x04 => SPDK_SCSI_STATUS_CONDITION_MET,
            0x08 => SPDK_SCSI_STATUS_BUSY,
            0x10 => SPDK_SCSI_STATUS_INTERMEDIATE,
            0x14 => SPDK_SCSI_STATUS_INTERMEDIATE_CONDITION_MET,
            0x18 => SPDK_SCSI_STATUS_RESERVATION_CONFLICT,
            0x22 => SPDK_SCSI_STATUS_Obsolete,
            0x28 => SPDK_SCSI_STATUS_TASK_SET_FULL,
            0x30 => SPDK_SCSI_STATUS_ACA_ACTIVE,
            0x40 => SPDK_SCSI_STATUS_TASK_ABORTED,
            _ => return None,
        })
    }
}

/// SCSI sense keys (`enum spdk_scsi_sense`, `spdk/scsi_spec.h`).
#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_scsi_sense {
    SPDK_SCSI_SENSE_NO_SENSE = 0x00,
    SPDK_SCSI_SENSE_RECOVERED_ERROR = 0x01,
    SPDK_SCSI_SENSE_NOT_READY = 0x02,
    SPDK_SCSI_SENSE_MEDIUM_ERROR = 0x03,
    SPDK_SCSI_SENSE_HARDWARE_ERROR = 0x04,
    SPDK_SCSI_SENSE_ILLEGAL_REQUEST = 0x05,
    SPDK_SCSI_SENSE_UNIT_ATTENTION = 0x06,
    SPDK_SCSI_SENSE_DATA_PROTECT = 0x07,
    SPDK_SCSI_SENSE_BLANK_CHECK = 0x08,
    SPDK_SCSI_SENSE_VENDOR_SPECIFIC = 0x09,
    SPDK_SCSI_SENSE_COPY_ABORTED = 0x0a,
    SPDK_SCSI_SENSE_ABORTED_COMMAND = 0x0b,
    SPDK_SCSI_SENSE_VOLUME_OVERFLOW = 0x0d,
    SPDK_SCSI_SENSE_MISCOMPARE = 0x0e,
}

impl spdk_scsi_sense {
    /// The variant with this value, if any.
    pub const fn from_raw(v: i32) -> Option<Self> {
        use spdk_scsi_sense::*;
        Some(match v {
            0x00 => SPDK_SCSI_SENSE_NO_SENSE,
            0x01 => SPDK_SCSI_SENSE_RECOVERED_ERROR,
            0x02 => SPDK_SCSI_SENSE_NOT_READY,
            0x03 => SPDK_SCSI_SENSE_MEDIUM_ERROR,
            0x04 => SPDK_SCSI_SENSE_HARDWARE_ERROR,
            0x05 => SPDK_SCSI_SENSE_ILLEGAL_REQUEST,
            0x06 => SPDK_SCSI_SENSE_UNIT_ATTENTION,
            0x07 => SPDK_SCSI_SENSE_DATA_PROTECT,
            0x08 => SPDK_SCSI_SENSE_BLANK_CHECK,
            0x09 => SPDK_SCSI_SENSE_VENDOR_SPECIFIC,
            0x0a => SPDK_SCSI_SENSE_COPY_ABORTED,
            0x0b => SPDK_SCSI_SENSE_ABORTED_COMMAND,
            0x0d => SPDK_SCSI_SENSE_VOLUME_OVERFLOW,
            0x0e => SPDK_SCSI_SENSE_MISCOMPARE,
            _ => return None,
        })
    }
}

// ---- Enums carried as raw values where C hands them to us ----

macro_rules! raw_enum {
    ($($raw:ident => $enum:ident),* $(,)?) => {$(
        #[doc = concat!("`enum ", stringify!($enum), "` where C hands it to us (struct fields, ")]
        #[doc = "arguments): its 32-bit value, so a zeroed or unknown value from C is just"]
        #[doc = "a number, never an invalid Rust enum."]
        #[repr(transparent)]
        #[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
        pub struct $raw(pub i32);

        impl $raw {
            /// The enum variant, if the value names one.
            pub const fn get(self) -> Option<$enum> {
                $enum::from_raw(self.0)
            }
        }

        impl From<$enum> for $raw {
            fn from(e: $enum) -> Self {
                $raw(e as i32)
            }
        }
    )*};
}

raw_enum!(
    spdk_bdev_io_type_raw => spdk_bdev_io_type,
    spdk_bdev_io_status_raw => spdk_bdev_io_status,
    spdk_bdev_status_raw => spdk_bdev_status,
    spdk_bdev_qos_rate_limit_type_raw => spdk_bdev_qos_rate_limit_type,
    spdk_bdev_reset_stat_mode_raw => spdk_bdev_reset_stat_mode,
    spdk_bdev_claim_type_raw => spdk_bdev_claim_type,
    spdk_dif_type_raw => spdk_dif_type,
    spdk_dif_pi_format_raw => spdk_dif_pi_format,
    spdk_dif_check_type_raw => spdk_dif_check_type,
    spdk_bdev_zone_action_raw => spdk_bdev_zone_action,
    spdk_scsi_status_raw => spdk_scsi_status,
    spdk_scsi_sense_raw => spdk_scsi_sense,
);

// ---- Callback types ----

/// Hot-remove callback of the legacy open API.
pub type spdk_bdev_remove_cb_t = Option<unsafe extern "C" fn(remove_ctx: *mut c_void)>;

/// bdev event callback (`spdk_bdev_open_ext()`), on the opening thread.
pub type spdk_bdev_event_cb_t =
    Option<unsafe extern "C" fn(event_type: spdk_bdev_event_type, bdev: *mut spdk_bdev, event_ctx: *mut c_void)>;

/// I/O completion: the callee must `spdk_bdev_free_io(bdev_io)`.
pub type spdk_bdev_io_completion_cb =
    Option<unsafe extern "C" fn(bdev_io: *mut spdk_bdev_io, success: bool, cb_arg: *mut c_void)>;

/// All bdevs finished examination.
pub type spdk_bdev_wait_for_examine_cb = Option<unsafe extern "C" fn(arg: *mut c_void)>;

/// Completion of `spdk_bdev_initialize()` (`rc`: 0 or a negative errno).
pub type spdk_bdev_init_cb = Option<unsafe extern "C" fn(cb_arg: *mut c_void, rc: c_int)>;

/// Completion of `spdk_bdev_finish()`.
pub type spdk_bdev_fini_cb = Option<unsafe extern "C" fn(cb_arg: *mut c_void)>;

/// Completion of `spdk_bdev_get_device_stat()`.
pub type spdk_bdev_get_device_stat_cb =
    Option<unsafe extern "C" fn(bdev: *mut spdk_bdev, stat: *mut spdk_bdev_io_stat, cb_arg: *mut c_void, rc: c_int)>;

/// An I/O of the descriptor timed out (`spdk_bdev_set_timeout()`).
pub type spdk_bdev_io_timeout_cb = Option<unsafe extern "C" fn(cb_arg: *mut c_void, bdev_io: *mut spdk_bdev_io)>;

/// Completion of `spdk_bdev_open_async()`.
pub type spdk_bdev_open_async_cb_t =
    Option<unsafe extern "C" fn(desc: *mut spdk_bdev_desc, rc: c_int, cb_arg: *mut c_void)>;

/// Per-bdev callback of `spdk_for_each_bdev()`; a negative errno stops the walk.
pub type spdk_for_each_bdev_fn = Option<unsafe extern "C" fn(ctx: *mut c_void, bdev: *mut spdk_bdev) -> c_int>;

/// An `spdk_bdev_io` became available (`spdk_bdev_queue_io_wait()`).
pub type spdk_bdev_io_wait_cb = Option<unsafe extern "C" fn(cb_arg: *mut c_void)>;

/// Completion of a histogram enable/disable.
pub type spdk_bdev_histogram_status_cb = Option<unsafe extern "C" fn(cb_arg: *mut c_void, status: c_int)>;

/// Histogram data of a bdev or a channel.
pub type spdk_bdev_histogram_data_cb =
    Option<unsafe extern "C" fn(cb_arg: *mut c_void, status: c_int, histogram: *mut spdk_histogram_data)>;

/// Per-channel step of `spdk_bdev_for_each_channel()`.
pub type spdk_bdev_for_each_channel_msg = Option<
    unsafe extern "C" fn(
        i: *mut spdk_bdev_channel_iter,
        bdev: *mut spdk_bdev,
        ch: *mut spdk_io_channel,
        ctx: *mut c_void,
    ),
>;

/// Final callback of `spdk_bdev_for_each_channel()`.
pub type spdk_bdev_for_each_channel_done =
    Option<unsafe extern "C" fn(bdev: *mut spdk_bdev, ctx: *mut c_void, status: c_int)>;

/// Completion of `spdk_bdev_unregister()`.
pub type spdk_bdev_unregister_cb = Option<unsafe extern "C" fn(cb_arg: *mut c_void, rc: c_int)>;

/// A data buffer was allocated for the I/O (`spdk_bdev_io_get_buf()`).
pub type spdk_bdev_io_get_buf_cb =
    Option<unsafe extern "C" fn(ch: *mut spdk_io_channel, bdev_io: *mut spdk_bdev_io, success: bool)>;

/// An auxiliary buffer was allocated for the I/O.
pub type spdk_bdev_io_get_aux_buf_cb =
    Option<unsafe extern "C" fn(ch: *mut spdk_io_channel, bdev_io: *mut spdk_bdev_io, aux_buf: *mut c_void)>;

/// Frees the module context of a part base.
pub type spdk_bdev_part_base_free_fn = Option<unsafe extern "C" fn(ctx: *mut c_void)>;

/// Per-I/O step of `spdk_bdev_for_each_bdev_io()`.
pub type spdk_bdev_io_fn = Option<unsafe extern "C" fn(ctx: *mut c_void, bdev_io: *mut spdk_bdev_io) -> c_int>;

/// Completion of `spdk_bdev_for_each_bdev_io()`.
pub type spdk_bdev_for_each_io_cb = Option<unsafe extern "C" fn(ctx: *mut c_void, rc: c_int)>;

/// Completion of `spdk_bdev_get_current_qd()`.
pub type spdk_bdev_get_current_qd_cb =
    Option<unsafe extern "C" fn(bdev: *mut spdk_bdev, current_qd: u64, cb_arg: *mut c_void, rc: c_int)>;

/// Completion of a quiesce or unquiesce.
pub type spdk_bdev_quiesce_cb = Option<unsafe extern "C" fn(ctx: *mut c_void, status: c_int)>;

/// `spdk_iobuf_get_cb` (`spdk/thread.h`): a waited-for iobuf buffer arrived.
pub type spdk_iobuf_get_cb = Option<unsafe extern "C" fn(entry: *mut spdk_iobuf_entry, buf: *mut c_void)>;

// ---- Types of other headers embedded by value ----

/// `struct spdk_spinlock` (`spdk/thread.h`): a spinlock that records its holder.
#[repr(C)]
pub struct spdk_spinlock {
    pub spinlock: libc::pthread_spinlock_t,
    pub thread: *mut spdk_thread,
    pub internal: *mut spdk_spinlock_internal,
    pub initialized: bool,
    pub destroyed: bool,
}

/// `STAILQ_ENTRY(spdk_iobuf_entry) stailq` of `spdk_iobuf_entry`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_iobuf_entry_stailq {
    pub stqe_next: *mut spdk_iobuf_entry,
}

/// `struct spdk_iobuf_entry` (`spdk/thread.h`): a wait-queue entry for an iobuf buffer.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_iobuf_entry {
    pub cb_fn: spdk_iobuf_get_cb,
    pub module: *const c_void,
    pub stailq: spdk_iobuf_entry_stailq,
}

/// `struct spdk_dif_ctx` (`spdk/dif.h`): parameters of DIF/DIX processing.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_dif_ctx {
    /// Extended block size (data + metadata).
    pub block_size: u32,
    /// Bytes covered by the guard.
    pub guard_interval: u32,
    /// Metadata bytes per block.
    pub md_size: u32,
    /// Metadata interleaved with the data (DIF) or separate (DIX).
    pub md_interleave: bool,
    /// `enum spdk_dif_type` value.
    pub dif_type: u8,
    /// `enum spdk_dif_pi_format` value.
    pub dif_pi_format: u8,
    pub rsvd: [u8; 1],
    /// `SPDK_DIF_FLAGS_*`.
    pub dif_flags: u32,
    pub rsvd2: [u8; 4],
    pub init_ref_tag: u64,
    pub app_tag: u16,
    pub apptag_mask: u16,
    /// Byte offset from the start of the whole data buffer.
    pub data_offset: u32,
    pub ref_tag_offset: u32,
    pub remapped_init_ref_tag: u32,
    /// Guard of the last (partial) block, or the seed.
    pub last_guard: u64,
    pub guard_seed: u64,
}

/// `struct spdk_dif_error` (`spdk/dif.h`): where and how a DIF check failed.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_dif_error {
    /// `SPDK_DIF_*_ERROR` bits.
    pub err_type: u8,
    pub rsvd: [u8; 7],
    pub expected: u64,
    pub actual: u64,
    /// Block offset of the error.
    pub err_offset: u32,
}

// ---- bdev.h structures ----

/// `struct spdk_bdev_media_event`: a media management event.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_media_event {
    pub offset: u64,
    pub num_blocks: u64,
}

/// `struct spdk_bdev_enable_histogram_opts` (packed; SPDK asserts 26 bytes).
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_enable_histogram_opts {
    /// Size of this structure as the caller knows it.
    pub size: usize,
    /// Smallest latency tracked, in nanoseconds.
    pub min_nsec: u64,
    /// Largest latency tracked, in nanoseconds.
    pub max_nsec: u64,
    /// `enum spdk_bdev_io_type` to track (0: all).
    pub io_type: u8,
    /// Bucket granularity (log2).
    pub granularity: u8,
}

/// `struct spdk_bdev_io_stat`: I/O statistics of a bdev or channel.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_stat {
    pub bytes_read: u64,
    pub num_read_ops: u64,
    pub bytes_written: u64,
    pub num_write_ops: u64,
    pub bytes_unmapped: u64,
    pub num_unmap_ops: u64,
    pub bytes_copied: u64,
    pub num_copy_ops: u64,
    pub read_latency_ticks: u64,
    pub max_read_latency_ticks: u64,
    pub min_read_latency_ticks: u64,
    pub write_latency_ticks: u64,
    pub max_write_latency_ticks: u64,
    pub min_write_latency_ticks: u64,
    pub unmap_latency_ticks: u64,
    pub max_unmap_latency_ticks: u64,
    pub min_unmap_latency_ticks: u64,
    pub copy_latency_ticks: u64,
    pub max_copy_latency_ticks: u64,
    pub min_copy_latency_ticks: u64,
    pub ticks_rate: u64,
    /// Per-status error counters (private to the bdev library); no member may follow.
    pub io_error: *mut spdk_bdev_io_error_stat,
}

/// `struct spdk_bdev_opts` (packed; SPDK asserts 32 bytes).
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_opts {
    pub bdev_io_pool_size: u32,
    pub bdev_io_cache_size: u32,
    pub bdev_auto_examine: bool,
    pub reserved9: [u8; 7],
    /// Size of this structure as the caller knows it (ABI compatibility).
    pub opts_size: usize,
    /// Per-thread small iobuf cache size.
    pub iobuf_small_cache_size: u32,
    /// Per-thread large iobuf cache size.
    pub iobuf_large_cache_size: u32,
}

/// `union spdk_bdev_nvme_ctratt` (4 bytes): the NVMe CTRATT convention;
/// in C `bits.fdps` is bit 19 (bitfields, hand-written C).
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct spdk_bdev_nvme_ctratt {
    pub raw: u32,
}

impl spdk_bdev_nvme_ctratt {
    /// `bits.fdps`: flexible data placement supported.
    pub const fn fdps(self) -> bool {
        self.raw & (1 << 19) != 0
    }
}

/// `union spdk_bdev_nvme_cdw12` (4 bytes): NVMe command dword 12; in C
/// `write.dtype` is bits 20..24 (bitfields, hand-written C).
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct spdk_bdev_nvme_cdw12 {
    pub raw: u32,
}

impl spdk_bdev_nvme_cdw12 {
    /// `write.dtype`: directive type.
    pub const fn dtype(self) -> u8 {
        ((self.raw >> 20) & 0xf) as u8
    }
}

/// `union spdk_bdev_nvme_cdw13` (4 bytes): NVMe command dword 13; in C
/// `write.dspec` is bits 16..32 (bitfields, hand-written C).
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct spdk_bdev_nvme_cdw13 {
    pub raw: u32,
}

impl spdk_bdev_nvme_cdw13 {
    /// `write.dspec`: directive specific.
    pub const fn dspec(self) -> u16 {
        (self.raw >> 16) as u16
    }
}

/// `struct spdk_bdev_ext_io_opts` (packed; SPDK asserts 52 bytes).
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_ext_io_opts {
    /// Size of this structure as the caller knows it.
    pub size: usize,
    /// Memory domain of the payload (NULL: local memory).
    pub memory_domain: *mut spdk_memory_domain,
    pub memory_domain_ctx: *mut c_void,
    /// Separate metadata buffer.
    pub metadata: *mut c_void,
    /// Accel operations to run before (writes) or after (reads) the I/O.
    pub accel_sequence: *mut spdk_accel_sequence,
    /// DIF check flags to skip for this I/O.
    pub dif_check_flags_exclude_mask: u32,
    pub nvme_cdw12: spdk_bdev_nvme_cdw12,
    pub nvme_cdw13: spdk_bdev_nvme_cdw13,
}

/// `struct spdk_bdev_open_opts` (SPDK asserts 16 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_open_opts {
    /// Size of this structure as the caller knows it.
    pub size: usize,
    /// The opener does not want to see metadata.
    pub hide_metadata: bool,
}

/// `struct spdk_bdev_open_async_opts` (SPDK asserts 16 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_open_async_opts {
    /// Size of this structure as the caller knows it.
    pub size: usize,
    /// How long to wait for the bdev to appear, in milliseconds (0: do not wait).
    pub timeout_ms: u64,
}

/// `TAILQ_ENTRY(spdk_bdev_io_wait_entry) link` of `spdk_bdev_io_wait_entry`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_wait_entry_link {
    pub tqe_next: *mut spdk_bdev_io_wait_entry,
    pub tqe_prev: *mut *mut spdk_bdev_io_wait_entry,
}

/// `struct spdk_bdev_io_wait_entry`: callback queued by `spdk_bdev_queue_io_wait()`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_wait_entry {
    /// Must match the `bdev` argument of `spdk_bdev_queue_io_wait()`.
    pub bdev: *mut spdk_bdev,
    pub cb_fn: spdk_bdev_io_wait_cb,
    pub cb_arg: *mut c_void,
    /// Queue at the head: this I/O unblocks others holding resources.
    pub dep_unblock: bool,
    pub pad: [u8; 7],
    pub link: spdk_bdev_io_wait_entry_link,
}

// ---- bdev_module.h: module, function table, claims ----

/// `TAILQ_HEAD(, lba_range) quiesced_ranges` of a module's internal fields.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_module_internal_quiesced_ranges {
    pub tqh_first: *mut lba_range,
    pub tqh_last: *mut *mut lba_range,
}

/// `TAILQ_ENTRY(spdk_bdev_module) tailq` of a module's internal fields.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_module_internal_tailq {
    pub tqe_next: *mut spdk_bdev_module,
    pub tqe_prev: *mut *mut spdk_bdev_module,
}

/// `struct __bdev_module_internal_fields`: owned by the bdev layer.
#[repr(C)]
pub struct __bdev_module_internal_fields {
    /// Protects `action_in_progress` and `quiesced_ranges`.
    pub spinlock: spdk_spinlock,
    /// bdev inits/examinations in progress.
    pub action_in_progress: u32,
    pub quiesced_ranges: spdk_bdev_module_internal_quiesced_ranges,
    pub tailq: spdk_bdev_module_internal_tailq,
}

/// `struct spdk_bdev_module`: a bdev module (C modules define one statically
/// and register it with `SPDK_BDEV_MODULE_REGISTER`).
#[repr(C)]
pub struct spdk_bdev_module {
    /// Required: called by the bdev layer at startup.
    pub module_init: Option<unsafe extern "C" fn() -> c_int>,
    /// Optional: the bdev subsystem finished initialization.
    pub init_complete: Option<unsafe extern "C" fn()>,
    /// Optional: the bdev subsystem starts its fini process.
    pub fini_start: Option<unsafe extern "C" fn()>,
    /// Optional: called after all bdevs are unregistered.
    pub module_fini: Option<unsafe extern "C" fn()>,
    /// Optional: write the module-level JSON RPC configuration.
    pub config_json: Option<unsafe extern "C" fn(w: *mut spdk_json_write_ctx) -> c_int>,
    /// Module name.
    pub name: *const c_char,
    /// Size of the per-I/O context (`spdk_bdev_io::driver_ctx`).
    pub get_ctx_size: Option<unsafe extern "C" fn() -> c_int>,
    /// First, synchronous examination of a new bdev.
    pub examine_config: Option<unsafe extern "C" fn(bdev: *mut spdk_bdev)>,
    /// Second, asynchronous examination of a new bdev.
    pub examine_disk: Option<unsafe extern "C" fn(bdev: *mut spdk_bdev)>,
    /// `module_init` completes with `spdk_bdev_module_init_done()`.
    pub async_init: bool,
    /// `module_fini` completes with `spdk_bdev_module_fini_done()`.
    pub async_fini: bool,
    /// `fini_start` completes with `spdk_bdev_module_fini_start_done()`.
    pub async_fini_start: bool,
    /// Owned by the bdev layer.
    pub internal: __bdev_module_internal_fields,
}

/// `struct spdk_bdev_claim_opts` (SPDK asserts 48 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_claim_opts {
    /// Size of this structure as the caller knows it.
    pub opts_size: usize,
    /// Claim name for messages (`[SPDK_BDEV_CLAIM_NAME_LEN]`, NUL-terminated).
    pub name: [c_char; 32],
    /// Key of `SPDK_BDEV_CLAIM_READ_MANY_WRITE_SHARED` claims (non-zero).
    pub shared_claim_key: u64,
}

/// `struct spdk_bdev_fn_table`: the operations of a bdev, provided by its module.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_fn_table {
    /// Destroy the bdev context: 0 done, 1 asynchronous (`spdk_bdev_destruct_done()`), <0 error.
    pub destruct: Option<unsafe extern "C" fn(ctx: *mut c_void) -> c_int>,
    /// Process an I/O.
    pub submit_request: Option<unsafe extern "C" fn(ch: *mut spdk_io_channel, bdev_io: *mut spdk_bdev_io)>,
    /// Is this I/O type supported?
    pub io_type_supported: Option<unsafe extern "C" fn(ctx: *mut c_void, io_type: spdk_bdev_io_type) -> bool>,
    /// I/O channel of the bdev for the calling thread.
    pub get_io_channel: Option<unsafe extern "C" fn(ctx: *mut c_void) -> *mut spdk_io_channel>,
    /// Optional: driver-specific information as JSON.
    pub dump_info_json: Option<unsafe extern "C" fn(ctx: *mut c_void, w: *mut spdk_json_write_ctx) -> c_int>,
    /// Optional: the RPC that recreates this bdev, as JSON.
    pub write_config_json: Option<unsafe extern "C" fn(bdev: *mut spdk_bdev, w: *mut spdk_json_write_ctx)>,
    /// Optional: spin time of a channel, in microseconds.
    pub get_spin_time: Option<unsafe extern "C" fn(ch: *mut spdk_io_channel) -> u64>,
    /// Module context of the bdev.
    pub get_module_ctx: Option<unsafe extern "C" fn(ctx: *mut c_void) -> *mut c_void>,
    /// Optional: memory domains the bdev can use.
    pub get_memory_domains: Option<
        unsafe extern "C" fn(ctx: *mut c_void, domains: *mut *mut spdk_memory_domain, array_size: c_int) -> c_int,
    >,
    /// Optional: reset the module's statistics of this bdev.
    pub reset_device_stat: Option<unsafe extern "C" fn(ctx: *mut c_void)>,
    /// Optional: the module's statistics of this bdev as JSON.
    pub dump_device_stat_json: Option<unsafe extern "C" fn(ctx: *mut c_void, w: *mut spdk_json_write_ctx)>,
    /// Optional: can I/O of this type carry an accel sequence?
    pub accel_sequence_supported: Option<unsafe extern "C" fn(ctx: *mut c_void, io_type: spdk_bdev_io_type) -> bool>,
}

/// `RB_ENTRY(spdk_bdev_name) node` (`spdk/tree.h`: three pointers, the colour
/// bits live in `rbe_parent`).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_name_node {
    pub rbe_left: *mut spdk_bdev_name,
    pub rbe_right: *mut spdk_bdev_name,
    pub rbe_parent: *mut spdk_bdev_name,
}

/// `struct spdk_bdev_name`: a name or alias in the global name tree.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_name {
    pub name: *mut c_char,
    pub bdev: *mut spdk_bdev,
    pub node: spdk_bdev_name_node,
}

/// `TAILQ_ENTRY(spdk_bdev_alias) tailq` of `spdk_bdev_alias`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_alias_tailq {
    pub tqe_next: *mut spdk_bdev_alias,
    pub tqe_prev: *mut *mut spdk_bdev_alias,
}

/// `struct spdk_bdev_alias`: an alias of a bdev.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_alias {
    pub alias: spdk_bdev_name,
    pub tailq: spdk_bdev_alias_tailq,
}

/// `struct spdk_bdev_aliases_list`: `TAILQ_HEAD(spdk_bdev_aliases_list, spdk_bdev_alias)`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_aliases_list {
    pub tqh_first: *mut spdk_bdev_alias,
    pub tqh_last: *mut *mut spdk_bdev_alias,
}

/// `TAILQ_ENTRY(spdk_bdev_module_claim) link` of `spdk_bdev_module_claim`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_module_claim_link {
    pub tqe_next: *mut spdk_bdev_module_claim,
    pub tqe_prev: *mut *mut spdk_bdev_module_claim,
}

/// `struct spdk_bdev_module_claim`: one claim on a bdev.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_module_claim {
    pub module: *mut spdk_bdev_module,
    pub desc: *mut spdk_bdev_desc,
    /// `[SPDK_BDEV_CLAIM_NAME_LEN]`.
    pub name: [c_char; 32],
    pub link: spdk_bdev_module_claim_link,
}

/// `bdev_io_tailq_t`: `typedef TAILQ_HEAD(, spdk_bdev_io) bdev_io_tailq_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct bdev_io_tailq_t {
    pub tqh_first: *mut spdk_bdev_io,
    pub tqh_last: *mut *mut spdk_bdev_io,
}

/// `bdev_io_stailq_t`: `typedef STAILQ_HEAD(, spdk_bdev_io) bdev_io_stailq_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct bdev_io_stailq_t {
    pub stqh_first: *mut spdk_bdev_io,
    pub stqh_last: *mut *mut spdk_bdev_io,
}

/// `lba_range_tailq_t`: `typedef TAILQ_HEAD(, lba_range) lba_range_tailq_t`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct lba_range_tailq_t {
    pub tqh_first: *mut lba_range,
    pub tqh_last: *mut *mut lba_range,
}

// ---- struct spdk_bdev ----

/// The `numa` bitfield struct of `spdk_bdev`: in C `uint32_t id_valid : 1;
/// int32_t id : 31;` (bit 0 and bits 1..32).
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct spdk_bdev_numa {
    pub raw: u32,
}

impl spdk_bdev_numa {
    /// `numa.id_valid`: `id` was set by the module.
    pub const fn id_valid(self) -> bool {
        self.raw & 1 != 0
    }
    /// `numa.id`: NUMA node of the bdev (sign-extended 31-bit field).
    pub const fn id(self) -> i32 {
        (self.raw as i32) >> 1
    }
    /// Sets both fields.
    pub const fn new(id_valid: bool, id: i32) -> Self {
        spdk_bdev_numa {
            raw: ((id as u32) << 1) | (id_valid as u32),
        }
    }
}

/// `union __bdev_internal_claim` member `v1`: the module of a legacy claim.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct __bdev_internal_claim_v1 {
    pub module: *mut spdk_bdev_module,
}

/// `struct v2_claims`: `TAILQ_HEAD(v2_claims, spdk_bdev_module_claim)`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct v2_claims {
    pub tqh_first: *mut spdk_bdev_module_claim,
    pub tqh_last: *mut *mut spdk_bdev_module_claim,
}

/// `union __bdev_internal_claim` member `v2`: descriptor claims.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct __bdev_internal_claim_v2 {
    pub claims: v2_claims,
    /// `spdk_bdev_claim_opts::shared_claim_key`.
    pub key: u64,
}

/// `union __bdev_internal_claim`: which module claimed the bdev.
#[repr(C)]
#[derive(Clone, Copy)]
pub union __bdev_internal_claim {
    pub v1: __bdev_internal_claim_v1,
    pub v2: __bdev_internal_claim_v2,
}

/// `TAILQ_HEAD(, spdk_bdev_desc) open_descs` of `spdk_bdev::internal`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_internal_open_descs {
    pub tqh_first: *mut spdk_bdev_desc,
    pub tqh_last: *mut *mut spdk_bdev_desc,
}

/// `TAILQ_ENTRY(spdk_bdev) link` of `spdk_bdev::internal`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_internal_link {
    pub tqe_next: *mut spdk_bdev,
    pub tqe_prev: *mut *mut spdk_bdev,
}

/// `struct __bdev_internal_fields`: owned by the bdev layer; modules must not touch it.
#[repr(C)]
pub struct __bdev_internal_fields {
    pub qos: *mut spdk_bdev_qos,
    pub qos_mod_in_progress: bool,
    pub trace_id: u16,
    pub spinlock: spdk_spinlock,
    pub status: spdk_bdev_status_raw,
    pub examine_in_progress: u32,
    pub claim_type: spdk_bdev_claim_type_raw,
    pub claim: __bdev_internal_claim,
    pub unregister_cb: spdk_bdev_unregister_cb,
    pub unregister_ctx: *mut c_void,
    pub unregister_td: *mut spdk_thread,
    pub open_descs: spdk_bdev_internal_open_descs,
    pub link: spdk_bdev_internal_link,
    pub reset_in_progress: *mut spdk_bdev_io,
    pub queued_resets: bdev_io_tailq_t,
    pub qd_poller: *mut spdk_poller,
    pub qd_desc: *mut spdk_bdev_desc,
    pub period: u64,
    pub new_period: u64,
    pub temporary_queue_depth: u64,
    pub measured_queue_depth: u64,
    pub io_time: u64,
    pub weighted_io_time: u64,
    pub stat: *mut spdk_bdev_io_stat,
    pub qd_poll_in_progress: bool,
    pub histogram_enabled: bool,
    pub histogram_in_progress: bool,
    pub histogram_io_type: u8,
    pub histogram_granularity: u8,
    pub histogram_min_val: u64,
    pub histogram_max_val: u64,
    pub locked_ranges: lba_range_tailq_t,
    pub pending_locked_ranges: lba_range_tailq_t,
    pub bdev_name: spdk_bdev_name,
}

/// `struct spdk_bdev`: a block device, embedded by C modules in their own
/// structures and filled before `spdk_bdev_register()`.
///
/// The C definition has an anonymous member struct of 1-bit bitfields where
/// this mirror has `flags` (see the `SPDK_BDEV_FLAG_*` bits), and `numa` is a
/// bitfield struct: the C text must be hand-written, this type excluded from
/// cbindgen.
#[repr(C)]
pub struct spdk_bdev {
    /// Module context passed to the `fn_table` operations.
    pub ctxt: *mut c_void,
    /// Unique name.
    pub name: *mut c_char,
    /// Unique aliases.
    pub aliases: spdk_bdev_aliases_list,
    /// Product name of this kind of bdev.
    pub product_name: *mut c_char,
    /// Volatile write cache enabled.
    pub write_cache: c_int,
    /// Logical block size in bytes.
    pub blocklen: u32,
    /// Physical block size in bytes.
    pub phys_blocklen: u32,
    /// Bitmap of supported I/O types (filled by the bdev layer).
    pub io_type_supported: u32,
    /// Number of logical blocks.
    pub blockcnt: u64,
    /// The anonymous bitfield struct: `split_on_write_unit`,
    /// `split_on_optimal_io_boundary`, `md_interleave`, `dif_is_head_of_md`,
    /// `zoned`, `media_events`, `memory_domains_supported` (bits 0..7),
    /// `reserved : 25`.
    pub flags: u32,
    /// Blocks per write unit.
    pub write_unit_size: u32,
    /// Atomic compare & write unit, in blocks.
    pub acwu: u16,
    /// Buffer alignment requirement: 2^required_alignment bytes (0: none).
    pub required_alignment: u8,
    pub reserved1: u8,
    /// Optimal I/O boundary in blocks (0: none).
    pub optimal_io_boundary: u32,
    pub preferred_write_alignment: u32,
    pub preferred_write_granularity: u32,
    pub optimal_write_size: u32,
    pub preferred_unmap_alignment: u32,
    pub preferred_unmap_granularity: u32,
    /// Maximum bytes of one segment (0 together with `max_num_segments`: no limit).
    pub max_segment_size: u32,
    pub max_num_segments: u32,
    /// Maximum unmap, in blocks.
    pub max_unmap: u32,
    pub max_unmap_segments: u32,
    /// Maximum write zeroes, in blocks.
    pub max_write_zeroes: u32,
    /// Maximum copy, in blocks.
    pub max_copy: u32,
    /// Maximum blocks of one read/write (the bdev layer splits larger ones).
    pub max_rw_size: u32,
    /// UUID (generated by the bdev layer if left zero).
    pub uuid: spdk_uuid,
    /// Metadata bytes per block.
    pub md_len: u32,
    pub reserved2: [u8; 4],
    /// `enum spdk_dif_type`, filled by C.
    pub dif_type: spdk_dif_type_raw,
    /// `enum spdk_dif_pi_format`, filled by C.
    pub dif_pi_format: spdk_dif_pi_format_raw,
    pub reserved3: [u8; 4],
    /// `SPDK_DIF_FLAGS_*` checks enabled.
    pub dif_check_flags: u32,
    pub reserved4: [u8; 8],
    /// Default zone size, in blocks.
    pub zone_size: u64,
    pub max_zone_append_size: u32,
    pub max_open_zones: u32,
    pub max_active_zones: u32,
    pub optimal_open_zones: u32,
    pub reserved6: [u8; 4],
    /// NVMe controller attributes.
    pub ctratt: spdk_bdev_nvme_ctratt,
    /// NVMe namespace ID.
    pub nsid: u32,
    /// Seconds to wait for outstanding I/O before a reset is sent down (0: never wait).
    pub reset_io_drain_timeout: u16,
    pub reserved7: [u8; 2],
    /// NUMA node (bitfields in C).
    pub numa: spdk_bdev_numa,
    /// Bitmap of I/O types that may carry an accel sequence (filled by the bdev layer).
    pub accel_sequence_supported: u32,
    /// Module that registered the bdev.
    pub module: *mut spdk_bdev_module,
    /// Operations of the bdev.
    pub fn_table: *const spdk_bdev_fn_table,
    /// Owned by the bdev layer.
    pub internal: __bdev_internal_fields,
}

/// Bit of `spdk_bdev::flags`: split writes spanning `write_unit_size`.
/// cbindgen:ignore
pub const SPDK_BDEV_FLAG_SPLIT_ON_WRITE_UNIT: u32 = 1 << 0;
/// Bit of `spdk_bdev::flags`: split reads/writes spanning `optimal_io_boundary`.
/// cbindgen:ignore
pub const SPDK_BDEV_FLAG_SPLIT_ON_OPTIMAL_IO_BOUNDARY: u32 = 1 << 1;
/// Bit of `spdk_bdev::flags`: metadata interleaved with the data.
/// cbindgen:ignore
pub const SPDK_BDEV_FLAG_MD_INTERLEAVE: u32 = 1 << 2;
/// Bit of `spdk_bdev::flags`: DIF at the head of the metadata.
/// cbindgen:ignore
pub const SPDK_BDEV_FLAG_DIF_IS_HEAD_OF_MD: u32 = 1 << 3;
/// Bit of `spdk_bdev::flags`: zoned bdev.
/// cbindgen:ignore
pub const SPDK_BDEV_FLAG_ZONED: u32 = 1 << 4;
/// Bit of `spdk_bdev::flags`: media management events supported.
/// cbindgen:ignore
pub const SPDK_BDEV_FLAG_MEDIA_EVENTS: u32 = 1 << 5;
/// Bit of `spdk_bdev::flags`: memory domains supported.
/// cbindgen:ignore
pub const SPDK_BDEV_FLAG_MEMORY_DOMAINS_SUPPORTED: u32 = 1 << 6;

impl spdk_bdev {
    const fn flag(&self, bit: u32) -> bool {
        self.flags & bit != 0
    }
    /// Sets or clears a `SPDK_BDEV_FLAG_*` bit.
    pub fn set_flag(&mut self, bit: u32, on: bool) {
        if on {
            self.flags |= bit;
        } else {
            self.flags &= !bit;
        }
    }
    pub const fn split_on_write_unit(&self) -> bool {
        self.flag(SPDK_BDEV_FLAG_SPLIT_ON_WRITE_UNIT)
    }
    pub const fn split_on_optimal_io_boundary(&self) -> bool {
        self.flag(SPDK_BDEV_FLAG_SPLIT_ON_OPTIMAL_IO_BOUNDARY)
    }
    pub const fn md_interleave(&self) -> bool {
        self.flag(SPDK_BDEV_FLAG_MD_INTERLEAVE)
    }
    pub const fn dif_is_head_of_md(&self) -> bool {
        self.flag(SPDK_BDEV_FLAG_DIF_IS_HEAD_OF_MD)
    }
    pub const fn zoned(&self) -> bool {
        self.flag(SPDK_BDEV_FLAG_ZONED)
    }
    pub const fn media_events(&self) -> bool {
        self.flag(SPDK_BDEV_FLAG_MEDIA_EVENTS)
    }
    pub const fn memory_domains_supported(&self) -> bool {
        self.flag(SPDK_BDEV_FLAG_MEMORY_DOMAINS_SUPPORTED)
    }
}

// ---- struct spdk_bdev_io ----

/// The `zcopy` bitfield struct of `spdk_bdev_io_block_params` (anonymous in
/// SPDK): in C `uint8_t populate : 1; uint8_t commit : 1; uint8_t start : 1;`
/// (bits 0, 1, 2; hand-written C in `src/capi/raw/bdev_zcopy.h`, so C
/// modules read `bdev_io->u.bdev.zcopy.populate` as in SPDK).
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct spdk_bdev_io_block_params_zcopy {
    pub raw: u8,
}

impl spdk_bdev_io_block_params_zcopy {
    /// Populate the buffer with the data.
    pub const fn populate(self) -> bool {
        self.raw & 1 != 0
    }
    /// Commit the buffer back to the disk.
    pub const fn commit(self) -> bool {
        self.raw & 2 != 0
    }
    /// In the start phase (not the end phase).
    pub const fn start(self) -> bool {
        self.raw & 4 != 0
    }
    /// All three bits.
    pub const fn new(populate: bool, commit: bool, start: bool) -> Self {
        spdk_bdev_io_block_params_zcopy {
            raw: (populate as u8) | ((commit as u8) << 1) | ((start as u8) << 2),
        }
    }
}

/// The `abort` member of `spdk_bdev_io_block_params`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_block_params_abort {
    /// Callback argument of the I/Os to abort.
    pub bio_cb_arg: *mut c_void,
}

/// The `seek` member of `spdk_bdev_io_block_params`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_block_params_seek {
    /// Offset of the next data or hole.
    pub offset: u64,
}

/// The `copy` member of `spdk_bdev_io_block_params`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_block_params_copy {
    /// First source block.
    pub src_offset_blocks: u64,
}

/// `struct spdk_bdev_io_block_params`: `bdev_io->u.bdev` (block I/O).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_block_params {
    /// Data buffers.
    pub iovs: *mut libc::iovec,
    pub iovcnt: c_int,
    /// Number of blocks.
    pub num_blocks: u64,
    /// First block.
    pub offset_blocks: u64,
    /// Memory domain of the buffers (NULL: local memory).
    pub memory_domain: *mut spdk_memory_domain,
    pub memory_domain_ctx: *mut c_void,
    /// Accel operations attached to the I/O.
    pub accel_sequence: *mut spdk_accel_sequence,
    /// Separate metadata buffer.
    pub md_buf: *mut c_void,
    /// Buffers of the second operation of a fused command (compare-and-write).
    pub fused_iovs: *mut libc::iovec,
    pub fused_iovcnt: c_int,
    /// DIF checks enabled for this I/O.
    pub dif_check_flags: u32,
    pub nvme_cdw12: spdk_bdev_nvme_cdw12,
    pub nvme_cdw13: spdk_bdev_nvme_cdw13,
    pub zcopy: spdk_bdev_io_block_params_zcopy,
    pub abort: spdk_bdev_io_block_params_abort,
    pub seek: spdk_bdev_io_block_params_seek,
    pub copy: spdk_bdev_io_block_params_copy,
    /// DIF context.
    pub dif_ctx: spdk_dif_ctx,
    /// DIF error information.
    pub dif_err: spdk_dif_error,
}

/// The `wait_poller` member of `spdk_bdev_io_reset_params`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_reset_params_wait_poller {
    /// Poller checking the channels for outstanding I/O.
    pub poller: *mut spdk_poller,
    /// When the poller stops.
    pub stop_time_tsc: u64,
}

/// `struct spdk_bdev_io_reset_params`: `bdev_io->u.reset`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_reset_params {
    /// Channel held while the reset's messages are in flight.
    pub ch_ref: *mut spdk_io_channel,
    pub wait_poller: spdk_bdev_io_reset_params_wait_poller,
}

/// `struct spdk_bdev_io_abort_params`: `bdev_io->u.abort`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_abort_params {
    /// The I/O to abort.
    pub bio_to_abort: *mut spdk_bdev_io,
}

/// `struct spdk_bdev_io_nvme_passthru_params`: `bdev_io->u.nvme_passthru`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_nvme_passthru_params {
    /// The NVMe command.
    pub cmd: spdk_nvme_cmd,
    pub iovs: *mut libc::iovec,
    pub iovcnt: c_int,
    /// Data buffer.
    pub buf: *mut c_void,
    pub nbytes: usize,
    /// Metadata buffer.
    pub md_buf: *mut c_void,
    pub md_len: usize,
}

/// `struct spdk_bdev_io_zone_mgmt_params`: `bdev_io->u.zone_mgmt`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_zone_mgmt_params {
    /// First block of the zone.
    pub zone_id: u64,
    pub num_zones: u32,
    /// `enum spdk_bdev_zone_action`.
    pub zone_action: spdk_bdev_zone_action_raw,
    pub buf: *mut c_void,
}

/// The anonymous union `u` of `spdk_bdev_io`: the parameters of the I/O,
/// by `type`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union spdk_bdev_io_u {
    pub bdev: spdk_bdev_io_block_params,
    pub reset: spdk_bdev_io_reset_params,
    pub abort: spdk_bdev_io_abort_params,
    pub nvme_passthru: spdk_bdev_io_nvme_passthru_params,
    pub zone_mgmt: spdk_bdev_io_zone_mgmt_params,
}

/// The `f` union of `spdk_bdev_io_internal_fields`: in C an anonymous struct
/// of 1-bit flags over `uint8_t raw` (`SPDK_BDEV_IO_F_*` bits).
#[repr(C)]
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct spdk_bdev_io_internal_f {
    pub raw: u8,
}

/// Bit of `spdk_bdev_io_internal_f`: `accel_sequence` is valid.
/// cbindgen:ignore
pub const SPDK_BDEV_IO_F_HAS_ACCEL_SEQUENCE: u8 = 1 << 0;
/// Bit of `spdk_bdev_io_internal_f`: `memory_domain` is valid.
/// cbindgen:ignore
pub const SPDK_BDEV_IO_F_HAS_MEMORY_DOMAIN: u8 = 1 << 1;
/// Bit of `spdk_bdev_io_internal_f`: `split` is valid.
/// cbindgen:ignore
pub const SPDK_BDEV_IO_F_SPLIT: u8 = 1 << 2;
/// Bit of `spdk_bdev_io_internal_f`: `buf.ptr` is valid.
/// cbindgen:ignore
pub const SPDK_BDEV_IO_F_HAS_BUF: u8 = 1 << 3;
/// Bit of `spdk_bdev_io_internal_f`: `bounce_buf` is valid.
/// cbindgen:ignore
pub const SPDK_BDEV_IO_F_HAS_BOUNCE_BUF: u8 = 1 << 4;
/// Bit of `spdk_bdev_io_internal_f`: inside the module's `submit_request`.
/// cbindgen:ignore
pub const SPDK_BDEV_IO_F_IN_SUBMIT_REQUEST: u8 = 1 << 5;
/// Bit of `spdk_bdev_io_internal_f`: a child of a split parent.
/// cbindgen:ignore
pub const SPDK_BDEV_IO_F_CHILD_IO: u8 = 1 << 6;

/// `TAILQ_ENTRY(spdk_bdev_io) ch_link` of the internal fields.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_internal_ch_link {
    pub tqe_next: *mut spdk_bdev_io,
    pub tqe_prev: *mut *mut spdk_bdev_io,
}

/// `STAILQ_ENTRY(spdk_bdev_io) buf_link` of the internal fields.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_internal_buf_link {
    pub stqe_next: *mut spdk_bdev_io,
}

/// The `error.nvme` member of the internal fields.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_internal_error_nvme {
    /// Completion queue entry DW0.
    pub cdw0: u32,
    /// Status code type.
    pub sct: u8,
    /// Status code.
    pub sc: u8,
}

/// The `error.scsi` member of the internal fields.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_internal_error_scsi {
    pub sc: u8,
    pub sk: u8,
    pub asc: u8,
    pub ascq: u8,
}

/// The `error` union of the internal fields.
#[repr(C)]
#[derive(Clone, Copy)]
pub union spdk_bdev_io_internal_error {
    pub nvme: spdk_bdev_io_internal_error_nvme,
    pub scsi: spdk_bdev_io_internal_error_scsi,
    pub aio_result: c_int,
}

/// The `split` member of the internal fields.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_internal_split {
    pub stored_user_cb: spdk_bdev_io_completion_cb,
    pub remaining_num_blocks: u64,
    pub current_offset_blocks: u64,
    pub outstanding: u32,
}

/// The `buf` member of the internal fields.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_internal_buf {
    pub ptr: *mut c_void,
    pub len: u64,
}

/// The `bounce_buf` member of the internal fields.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_internal_bounce_buf {
    pub iov: libc::iovec,
    pub md_iov: libc::iovec,
    pub orig_md_iov: libc::iovec,
    pub orig_iovs: *mut libc::iovec,
    pub orig_iovcnt: c_int,
}

/// `TAILQ_ENTRY(spdk_bdev_io) link` of the internal fields.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_internal_link {
    pub tqe_next: *mut spdk_bdev_io,
    pub tqe_prev: *mut *mut spdk_bdev_io,
}

/// `struct spdk_bdev_io_internal_fields`: owned by the bdev layer; modules
/// must not touch it.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_io_internal_fields {
    pub ch: *mut spdk_bdev_channel,
    pub f: spdk_bdev_io_internal_f,
    /// `enum spdk_bdev_io_status` value.
    pub status: i8,
    pub retry_state: u8,
    pub reserved: [u8; 5],
    pub desc: *mut spdk_bdev_desc,
    pub cb: spdk_bdev_io_completion_cb,
    pub caller_ctx: *mut c_void,
    pub submit_tsc: u64,
    pub ch_link: spdk_bdev_io_internal_ch_link,
    pub buf_link: spdk_bdev_io_internal_buf_link,
    pub error: spdk_bdev_io_internal_error,
    pub split: spdk_bdev_io_internal_split,
    pub buf: spdk_bdev_io_internal_buf,
    pub bounce_buf: spdk_bdev_io_internal_bounce_buf,
    pub get_buf_cb: spdk_bdev_io_get_buf_cb,
    pub link: spdk_bdev_io_internal_link,
    pub iobuf: spdk_iobuf_entry,
    pub waitq_entry: spdk_bdev_io_wait_entry,
    pub memory_domain: *mut spdk_memory_domain,
    pub memory_domain_ctx: *mut c_void,
    pub accel_sequence: *mut spdk_accel_sequence,
    pub data_transfer_cpl: Option<unsafe extern "C" fn(ctx: *mut c_void, rc: c_int)>,
}

/// `struct spdk_bdev_io`: one I/O, followed by the module's per-I/O context
/// (`driver_ctx`, `get_ctx_size()` bytes, cache-line aligned).
///
/// The C definition must be hand-written: `driver_ctx[0]` needs
/// `__extension__` under `-pedantic`.
#[repr(C)]
pub struct spdk_bdev_io {
    /// The bdev of the I/O.
    pub bdev: *mut spdk_bdev,
    /// `enum spdk_bdev_io_type` value.
    pub r#type: u8,
    pub reserved0: u8,
    /// Submission retries.
    pub num_retries: u16,
    pub reserved1: u32,
    /// A single iovec for the I/O's own use.
    pub iov: libc::iovec,
    /// iovecs of split children (`[SPDK_BDEV_IO_NUM_CHILD_IOV]`).
    pub child_iov: [libc::iovec; 32],
    pub reserved2: [u8; 32],
    /// Parameters, by `type`.
    pub u: spdk_bdev_io_u,
    pub reserved3: [u8; 40],
    /// Owned by the bdev layer.
    pub internal: spdk_bdev_io_internal_fields,
    pub reserved4: [u8; 64],
    /// Per-I/O context of the module (no member may follow).
    pub driver_ctx: [u8; 0],
}

impl spdk_bdev_io {
    /// `spdk_bdev_io_from_ctx()`: the I/O whose `driver_ctx` is `ctx`.
    pub fn from_driver_ctx(ctx: *mut c_void) -> *mut spdk_bdev_io {
        (ctx as *mut u8).wrapping_sub(offset_of!(spdk_bdev_io, driver_ctx)) as *mut spdk_bdev_io
    }
}

// ---- Part bdevs ----

/// `TAILQ_ENTRY(spdk_bdev_part) tailq` of `spdk_bdev_part`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_part_tailq {
    pub tqe_next: *mut spdk_bdev_part,
    pub tqe_prev: *mut *mut spdk_bdev_part,
}

/// `struct bdev_part_internal_fields`: owned by the part library.
#[repr(C)]
pub struct bdev_part_internal_fields {
    /// This part's bdev (not the base bdev).
    pub bdev: spdk_bdev,
    /// The base this part belongs to.
    pub base: *mut spdk_bdev_part_base,
    /// Offset of the part in the base bdev, in blocks.
    pub offset_blocks: u64,
}

/// `struct spdk_bdev_part`: a bdev carved out of a base bdev. Embeds
/// `struct spdk_bdev` by value, so its C text must follow the hand-written
/// `struct spdk_bdev`.
#[repr(C)]
pub struct spdk_bdev_part {
    pub tailq: spdk_bdev_part_tailq,
    pub internal: bdev_part_internal_fields,
}

/// `struct spdk_bdev_part_channel`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_part_channel {
    pub part: *mut spdk_bdev_part,
    pub base_ch: *mut spdk_io_channel,
}

/// `struct bdev_part_tailq`: `TAILQ_HEAD(bdev_part_tailq, spdk_bdev_part)`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct bdev_part_tailq {
    pub tqh_first: *mut spdk_bdev_part,
    pub tqh_last: *mut *mut spdk_bdev_part,
}

/// `SPDK_BDEV_PART_TAILQ`.
pub type SPDK_BDEV_PART_TAILQ = bdev_part_tailq;

/// `struct spdk_bdev_part_construct_opts` (SPDK asserts 24 bytes).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_bdev_part_construct_opts {
    /// Size of this structure as the caller knows it.
    pub opts_size: u64,
    /// UUID of the part bdev.
    pub uuid: spdk_uuid,
}

// ---- Layout checks (x86_64 / LP64) ----

// Array literals against their SPDK constants.
const _: () = assert!(SPDK_BDEV_IO_NUM_CHILD_IOV == 32);
const _: () = assert!(SPDK_BDEV_CLAIM_NAME_LEN == 32);
const _: () = assert!(SPDK_BDEV_LARGE_BUF_MAX_SIZE == 64 * 1024);
const _: () = assert!(SPDK_MIN_BDEV_IO_STATUS == spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_AIO_ERROR as i32);
const _: () = assert!(spdk_bdev_buf_size_with_md(4096) == 4608);

// C enums are 4 bytes; the raw carriers match them.
const _: () = assert!(size_of::<spdk_bdev_event_type>() == 4);
const _: () = assert!(size_of::<spdk_bdev_status>() == 4);
const _: () = assert!(size_of::<spdk_bdev_io_type>() == 4);
const _: () = assert!(size_of::<spdk_bdev_qos_rate_limit_type>() == 4);
const _: () = assert!(size_of::<spdk_bdev_reset_stat_mode>() == 4);
const _: () = assert!(size_of::<spdk_bdev_io_status>() == 4);
const _: () = assert!(size_of::<spdk_bdev_claim_type>() == 4);
const _: () = assert!(size_of::<spdk_dif_type>() == 4);
const _: () = assert!(size_of::<spdk_dif_pi_format>() == 4);
const _: () = assert!(size_of::<spdk_dif_check_type>() == 4);
const _: () = assert!(size_of::<spdk_bdev_zone_action>() == 4);
const _: () = assert!(size_of::<spdk_bdev_io_type_raw>() == 4 && align_of::<spdk_bdev_io_type_raw>() == 4);
const _: () = assert!(size_of::<spdk_bdev_io_status_raw>() == 4);
const _: () = assert!(size_of::<spdk_dif_type_raw>() == 4);
const _: () = assert!(size_of::<spdk_bdev_zone_action_raw>() == 4);
const _: () = assert!(spdk_bdev_io_type::SPDK_BDEV_NUM_IO_TYPES as i32 == 23);

// Other headers' types (measured).
const _: () = assert!(size_of::<spdk_spinlock>() == 32 && align_of::<spdk_spinlock>() == 8);
const _: () = assert!(offset_of!(spdk_spinlock, thread) == 8);
const _: () = assert!(offset_of!(spdk_spinlock, internal) == 16);
const _: () = assert!(offset_of!(spdk_spinlock, initialized) == 24);
const _: () = assert!(offset_of!(spdk_spinlock, destroyed) == 25);
const _: () = assert!(size_of::<spdk_iobuf_entry>() == 24);
const _: () = assert!(size_of::<spdk_dif_ctx>() == 64 && align_of::<spdk_dif_ctx>() == 8);
const _: () = assert!(offset_of!(spdk_dif_ctx, md_interleave) == 12);
const _: () = assert!(offset_of!(spdk_dif_ctx, dif_type) == 13);
const _: () = assert!(offset_of!(spdk_dif_ctx, dif_pi_format) == 14);
const _: () = assert!(offset_of!(spdk_dif_ctx, dif_flags) == 16);
const _: () = assert!(offset_of!(spdk_dif_ctx, rsvd2) == 20);
const _: () = assert!(offset_of!(spdk_dif_ctx, init_ref_tag) == 24);
const _: () = assert!(offset_of!(spdk_dif_ctx, app_tag) == 32);
const _: () = assert!(offset_of!(spdk_dif_ctx, data_offset) == 36);
const _: () = assert!(offset_of!(spdk_dif_ctx, ref_tag_offset) == 40);
const _: () = assert!(offset_of!(spdk_dif_ctx, remapped_init_ref_tag) == 44);
const _: () = assert!(offset_of!(spdk_dif_ctx, last_guard) == 48);
const _: () = assert!(offset_of!(spdk_dif_ctx, guard_seed) == 56);
const _: () = assert!(size_of::<spdk_dif_error>() == 32);
const _: () = assert!(offset_of!(spdk_dif_error, expected) == 8);
const _: () = assert!(offset_of!(spdk_dif_error, actual) == 16);
const _: () = assert!(offset_of!(spdk_dif_error, err_offset) == 24);

// bdev.h structures.
const _: () = assert!(size_of::<spdk_bdev_media_event>() == 16);
// spdk_bdev_enable_histogram_opts: 26 (SPDK_STATIC_ASSERT), packed.
const _: () = assert!(size_of::<spdk_bdev_enable_histogram_opts>() == 26);
const _: () = assert!(align_of::<spdk_bdev_enable_histogram_opts>() == 1);
const _: () = assert!(offset_of!(spdk_bdev_enable_histogram_opts, min_nsec) == 8);
const _: () = assert!(offset_of!(spdk_bdev_enable_histogram_opts, max_nsec) == 16);
const _: () = assert!(offset_of!(spdk_bdev_enable_histogram_opts, io_type) == 24);
const _: () = assert!(offset_of!(spdk_bdev_enable_histogram_opts, granularity) == 25);
// spdk_bdev_io_stat: 176 (measured).
const _: () = assert!(size_of::<spdk_bdev_io_stat>() == 176);
const _: () = assert!(offset_of!(spdk_bdev_io_stat, read_latency_ticks) == 64);
const _: () = assert!(offset_of!(spdk_bdev_io_stat, min_copy_latency_ticks) == 152);
const _: () = assert!(offset_of!(spdk_bdev_io_stat, ticks_rate) == 160);
const _: () = assert!(offset_of!(spdk_bdev_io_stat, io_error) == 168);
// spdk_bdev_opts: 32 (SPDK_STATIC_ASSERT), packed.
const _: () = assert!(size_of::<spdk_bdev_opts>() == 32 && align_of::<spdk_bdev_opts>() == 1);
const _: () = assert!(offset_of!(spdk_bdev_opts, bdev_io_cache_size) == 4);
const _: () = assert!(offset_of!(spdk_bdev_opts, bdev_auto_examine) == 8);
const _: () = assert!(offset_of!(spdk_bdev_opts, reserved9) == 9);
const _: () = assert!(offset_of!(spdk_bdev_opts, opts_size) == 16);
const _: () = assert!(offset_of!(spdk_bdev_opts, iobuf_small_cache_size) == 24);
const _: () = assert!(offset_of!(spdk_bdev_opts, iobuf_large_cache_size) == 28);
// The dword unions: 4 (SPDK_STATIC_ASSERT).
const _: () = assert!(size_of::<spdk_bdev_nvme_ctratt>() == 4 && align_of::<spdk_bdev_nvme_ctratt>() == 4);
const _: () = assert!(size_of::<spdk_bdev_nvme_cdw12>() == 4 && align_of::<spdk_bdev_nvme_cdw12>() == 4);
const _: () = assert!(size_of::<spdk_bdev_nvme_cdw13>() == 4 && align_of::<spdk_bdev_nvme_cdw13>() == 4);
// spdk_bdev_ext_io_opts: 52 (SPDK_STATIC_ASSERT), packed.
const _: () = assert!(size_of::<spdk_bdev_ext_io_opts>() == 52 && align_of::<spdk_bdev_ext_io_opts>() == 1);
const _: () = assert!(offset_of!(spdk_bdev_ext_io_opts, memory_domain) == 8);
const _: () = assert!(offset_of!(spdk_bdev_ext_io_opts, memory_domain_ctx) == 16);
const _: () = assert!(offset_of!(spdk_bdev_ext_io_opts, metadata) == 24);
const _: () = assert!(offset_of!(spdk_bdev_ext_io_opts, accel_sequence) == 32);
const _: () = assert!(offset_of!(spdk_bdev_ext_io_opts, dif_check_flags_exclude_mask) == 40);
const _: () = assert!(offset_of!(spdk_bdev_ext_io_opts, nvme_cdw12) == 44);
const _: () = assert!(offset_of!(spdk_bdev_ext_io_opts, nvme_cdw13) == 48);
// spdk_bdev_open_opts, spdk_bdev_open_async_opts: 16 (SPDK_STATIC_ASSERT).
const _: () = assert!(size_of::<spdk_bdev_open_opts>() == 16);
const _: () = assert!(offset_of!(spdk_bdev_open_opts, hide_metadata) == 8);
const _: () = assert!(size_of::<spdk_bdev_open_async_opts>() == 16);
const _: () = assert!(offset_of!(spdk_bdev_open_async_opts, timeout_ms) == 8);
// spdk_bdev_io_wait_entry: 48 (measured).
const _: () = assert!(size_of::<spdk_bdev_io_wait_entry_link>() == 16);
const _: () = assert!(size_of::<spdk_bdev_io_wait_entry>() == 48);
const _: () = assert!(offset_of!(spdk_bdev_io_wait_entry, cb_fn) == 8);
const _: () = assert!(offset_of!(spdk_bdev_io_wait_entry, cb_arg) == 16);
const _: () = assert!(offset_of!(spdk_bdev_io_wait_entry, dep_unblock) == 24);
const _: () = assert!(offset_of!(spdk_bdev_io_wait_entry, pad) == 25);
const _: () = assert!(offset_of!(spdk_bdev_io_wait_entry, link) == 32);

// bdev_module.h: module, claims, function table (measured unless noted).
const _: () = assert!(size_of::<__bdev_module_internal_fields>() == 72);
const _: () = assert!(offset_of!(__bdev_module_internal_fields, action_in_progress) == 32);
const _: () = assert!(offset_of!(__bdev_module_internal_fields, quiesced_ranges) == 40);
const _: () = assert!(offset_of!(__bdev_module_internal_fields, tailq) == 56);
const _: () = assert!(size_of::<spdk_bdev_module>() == 152);
const _: () = assert!(offset_of!(spdk_bdev_module, config_json) == 32);
const _: () = assert!(offset_of!(spdk_bdev_module, name) == 40);
const _: () = assert!(offset_of!(spdk_bdev_module, get_ctx_size) == 48);
const _: () = assert!(offset_of!(spdk_bdev_module, examine_config) == 56);
const _: () = assert!(offset_of!(spdk_bdev_module, examine_disk) == 64);
const _: () = assert!(offset_of!(spdk_bdev_module, async_init) == 72);
const _: () = assert!(offset_of!(spdk_bdev_module, async_fini) == 73);
const _: () = assert!(offset_of!(spdk_bdev_module, async_fini_start) == 74);
const _: () = assert!(offset_of!(spdk_bdev_module, internal) == 80);
// spdk_bdev_claim_opts: 48 (SPDK_STATIC_ASSERT).
const _: () = assert!(size_of::<spdk_bdev_claim_opts>() == 48);
const _: () = assert!(offset_of!(spdk_bdev_claim_opts, name) == 8);
const _: () = assert!(offset_of!(spdk_bdev_claim_opts, shared_claim_key) == 40);
// spdk_bdev_fn_table: 12 function pointers.
const _: () = assert!(size_of::<spdk_bdev_fn_table>() == 96);
const _: () = assert!(offset_of!(spdk_bdev_fn_table, io_type_supported) == 16);
const _: () = assert!(offset_of!(spdk_bdev_fn_table, get_memory_domains) == 64);
const _: () = assert!(offset_of!(spdk_bdev_fn_table, accel_sequence_supported) == 88);
const _: () = assert!(size_of::<spdk_bdev_name>() == 40);
const _: () = assert!(offset_of!(spdk_bdev_name, node) == 16);
const _: () = assert!(size_of::<spdk_bdev_alias>() == 56);
const _: () = assert!(offset_of!(spdk_bdev_alias, tailq) == 40);
const _: () = assert!(size_of::<spdk_bdev_aliases_list>() == 16);
const _: () = assert!(size_of::<spdk_bdev_module_claim>() == 64);
const _: () = assert!(offset_of!(spdk_bdev_module_claim, name) == 16);
const _: () = assert!(offset_of!(spdk_bdev_module_claim, link) == 48);

// spdk_bdev: 576 (measured).
const _: () = assert!(size_of::<spdk_bdev_numa>() == 4);
const _: () = assert!(size_of::<__bdev_internal_claim>() == 24);
const _: () = assert!(offset_of!(__bdev_internal_claim_v2, key) == 16);
const _: () = assert!(size_of::<__bdev_internal_fields>() == 336);
const _: () = assert!(offset_of!(__bdev_internal_fields, qos_mod_in_progress) == 8);
const _: () = assert!(offset_of!(__bdev_internal_fields, trace_id) == 10);
const _: () = assert!(offset_of!(__bdev_internal_fields, spinlock) == 16);
const _: () = assert!(offset_of!(__bdev_internal_fields, status) == 48);
const _: () = assert!(offset_of!(__bdev_internal_fields, examine_in_progress) == 52);
const _: () = assert!(offset_of!(__bdev_internal_fields, claim_type) == 56);
const _: () = assert!(offset_of!(__bdev_internal_fields, claim) == 64);
const _: () = assert!(offset_of!(__bdev_internal_fields, unregister_cb) == 88);
const _: () = assert!(offset_of!(__bdev_internal_fields, unregister_ctx) == 96);
const _: () = assert!(offset_of!(__bdev_internal_fields, unregister_td) == 104);
const _: () = assert!(offset_of!(__bdev_internal_fields, open_descs) == 112);
const _: () = assert!(offset_of!(__bdev_internal_fields, link) == 128);
const _: () = assert!(offset_of!(__bdev_internal_fields, reset_in_progress) == 144);
const _: () = assert!(offset_of!(__bdev_internal_fields, queued_resets) == 152);
const _: () = assert!(offset_of!(__bdev_internal_fields, qd_poller) == 168);
const _: () = assert!(offset_of!(__bdev_internal_fields, qd_desc) == 176);
const _: () = assert!(offset_of!(__bdev_internal_fields, period) == 184);
const _: () = assert!(offset_of!(__bdev_internal_fields, weighted_io_time) == 224);
const _: () = assert!(offset_of!(__bdev_internal_fields, stat) == 232);
const _: () = assert!(offset_of!(__bdev_internal_fields, qd_poll_in_progress) == 240);
const _: () = assert!(offset_of!(__bdev_internal_fields, histogram_enabled) == 241);
const _: () = assert!(offset_of!(__bdev_internal_fields, histogram_in_progress) == 242);
const _: () = assert!(offset_of!(__bdev_internal_fields, histogram_io_type) == 243);
const _: () = assert!(offset_of!(__bdev_internal_fields, histogram_granularity) == 244);
const _: () = assert!(offset_of!(__bdev_internal_fields, histogram_min_val) == 248);
const _: () = assert!(offset_of!(__bdev_internal_fields, histogram_max_val) == 256);
const _: () = assert!(offset_of!(__bdev_internal_fields, locked_ranges) == 264);
const _: () = assert!(offset_of!(__bdev_internal_fields, pending_locked_ranges) == 280);
const _: () = assert!(offset_of!(__bdev_internal_fields, bdev_name) == 296);
const _: () = assert!(size_of::<spdk_bdev>() == 576 && align_of::<spdk_bdev>() == 8);
const _: () = assert!(offset_of!(spdk_bdev, name) == 8);
const _: () = assert!(offset_of!(spdk_bdev, aliases) == 16);
const _: () = assert!(offset_of!(spdk_bdev, product_name) == 32);
const _: () = assert!(offset_of!(spdk_bdev, write_cache) == 40);
const _: () = assert!(offset_of!(spdk_bdev, blocklen) == 44);
const _: () = assert!(offset_of!(spdk_bdev, phys_blocklen) == 48);
const _: () = assert!(offset_of!(spdk_bdev, io_type_supported) == 52);
const _: () = assert!(offset_of!(spdk_bdev, blockcnt) == 56);
const _: () = assert!(offset_of!(spdk_bdev, flags) == 64);
const _: () = assert!(offset_of!(spdk_bdev, write_unit_size) == 68);
const _: () = assert!(offset_of!(spdk_bdev, acwu) == 72);
const _: () = assert!(offset_of!(spdk_bdev, required_alignment) == 74);
const _: () = assert!(offset_of!(spdk_bdev, reserved1) == 75);
const _: () = assert!(offset_of!(spdk_bdev, optimal_io_boundary) == 76);
const _: () = assert!(offset_of!(spdk_bdev, preferred_write_alignment) == 80);
const _: () = assert!(offset_of!(spdk_bdev, preferred_unmap_granularity) == 96);
const _: () = assert!(offset_of!(spdk_bdev, max_segment_size) == 100);
const _: () = assert!(offset_of!(spdk_bdev, max_num_segments) == 104);
const _: () = assert!(offset_of!(spdk_bdev, max_unmap) == 108);
const _: () = assert!(offset_of!(spdk_bdev, max_unmap_segments) == 112);
const _: () = assert!(offset_of!(spdk_bdev, max_write_zeroes) == 116);
const _: () = assert!(offset_of!(spdk_bdev, max_copy) == 120);
const _: () = assert!(offset_of!(spdk_bdev, max_rw_size) == 124);
const _: () = assert!(offset_of!(spdk_bdev, uuid) == 128);
const _: () = assert!(offset_of!(spdk_bdev, md_len) == 144);
const _: () = assert!(offset_of!(spdk_bdev, reserved2) == 148);
const _: () = assert!(offset_of!(spdk_bdev, dif_type) == 152);
const _: () = assert!(offset_of!(spdk_bdev, dif_pi_format) == 156);
const _: () = assert!(offset_of!(spdk_bdev, reserved3) == 160);
const _: () = assert!(offset_of!(spdk_bdev, dif_check_flags) == 164);
const _: () = assert!(offset_of!(spdk_bdev, reserved4) == 168);
const _: () = assert!(offset_of!(spdk_bdev, zone_size) == 176);
const _: () = assert!(offset_of!(spdk_bdev, max_zone_append_size) == 184);
const _: () = assert!(offset_of!(spdk_bdev, max_open_zones) == 188);
const _: () = assert!(offset_of!(spdk_bdev, max_active_zones) == 192);
const _: () = assert!(offset_of!(spdk_bdev, optimal_open_zones) == 196);
const _: () = assert!(offset_of!(spdk_bdev, reserved6) == 200);
const _: () = assert!(offset_of!(spdk_bdev, ctratt) == 204);
const _: () = assert!(offset_of!(spdk_bdev, nsid) == 208);
const _: () = assert!(offset_of!(spdk_bdev, reset_io_drain_timeout) == 212);
const _: () = assert!(offset_of!(spdk_bdev, reserved7) == 214);
const _: () = assert!(offset_of!(spdk_bdev, numa) == 216);
const _: () = assert!(offset_of!(spdk_bdev, accel_sequence_supported) == 220);
const _: () = assert!(offset_of!(spdk_bdev, module) == 224);
const _: () = assert!(offset_of!(spdk_bdev, fn_table) == 232);
const _: () = assert!(offset_of!(spdk_bdev, internal) == 240);

// spdk_bdev_io: 1216 (measured); driver_ctx cache-line aligned (SPDK_STATIC_ASSERT).
const _: () = assert!(size_of::<spdk_bdev_io_block_params_zcopy>() == 1);
const _: () = assert!(size_of::<spdk_bdev_io_block_params>() == 216);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, iovcnt) == 8);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, num_blocks) == 16);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, offset_blocks) == 24);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, memory_domain) == 32);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, memory_domain_ctx) == 40);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, accel_sequence) == 48);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, md_buf) == 56);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, fused_iovs) == 64);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, fused_iovcnt) == 72);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, dif_check_flags) == 76);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, nvme_cdw12) == 80);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, nvme_cdw13) == 84);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, zcopy) == 88);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, abort) == 96);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, seek) == 104);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, copy) == 112);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, dif_ctx) == 120);
const _: () = assert!(offset_of!(spdk_bdev_io_block_params, dif_err) == 184);
const _: () = assert!(size_of::<spdk_bdev_io_reset_params>() == 24);
const _: () = assert!(offset_of!(spdk_bdev_io_reset_params, wait_poller) == 8);
const _: () = assert!(size_of::<spdk_bdev_io_abort_params>() == 8);
const _: () = assert!(size_of::<spdk_nvme_cmd>() == 64);
const _: () = assert!(size_of::<spdk_bdev_io_nvme_passthru_params>() == 112);
const _: () = assert!(offset_of!(spdk_bdev_io_nvme_passthru_params, iovs) == 64);
const _: () = assert!(offset_of!(spdk_bdev_io_nvme_passthru_params, iovcnt) == 72);
const _: () = assert!(offset_of!(spdk_bdev_io_nvme_passthru_params, buf) == 80);
const _: () = assert!(offset_of!(spdk_bdev_io_nvme_passthru_params, nbytes) == 88);
const _: () = assert!(offset_of!(spdk_bdev_io_nvme_passthru_params, md_buf) == 96);
const _: () = assert!(offset_of!(spdk_bdev_io_nvme_passthru_params, md_len) == 104);
const _: () = assert!(size_of::<spdk_bdev_io_zone_mgmt_params>() == 24);
const _: () = assert!(offset_of!(spdk_bdev_io_zone_mgmt_params, num_zones) == 8);
const _: () = assert!(offset_of!(spdk_bdev_io_zone_mgmt_params, zone_action) == 12);
const _: () = assert!(offset_of!(spdk_bdev_io_zone_mgmt_params, buf) == 16);
const _: () = assert!(size_of::<spdk_bdev_io_u>() == 216 && align_of::<spdk_bdev_io_u>() == 8);
const _: () = assert!(size_of::<spdk_bdev_io_internal_error>() == 8 && align_of::<spdk_bdev_io_internal_error>() == 4);
const _: () = assert!(size_of::<spdk_bdev_io_internal_split>() == 32);
const _: () = assert!(size_of::<spdk_bdev_io_internal_bounce_buf>() == 64);
const _: () = assert!(size_of::<spdk_bdev_io_internal_fields>() == 320);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, f) == 8);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, status) == 9);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, retry_state) == 10);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, reserved) == 11);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, desc) == 16);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, cb) == 24);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, caller_ctx) == 32);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, submit_tsc) == 40);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, ch_link) == 48);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, buf_link) == 64);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, error) == 72);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, split) == 80);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, buf) == 112);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, bounce_buf) == 128);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, get_buf_cb) == 192);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, link) == 200);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, iobuf) == 216);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, waitq_entry) == 240);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, memory_domain) == 288);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, memory_domain_ctx) == 296);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, accel_sequence) == 304);
const _: () = assert!(offset_of!(spdk_bdev_io_internal_fields, data_transfer_cpl) == 312);
const _: () = assert!(size_of::<spdk_bdev_io>() == 1216 && align_of::<spdk_bdev_io>() == 8);
const _: () = assert!(offset_of!(spdk_bdev_io, r#type) == 8);
const _: () = assert!(offset_of!(spdk_bdev_io, reserved0) == 9);
const _: () = assert!(offset_of!(spdk_bdev_io, num_retries) == 10);
const _: () = assert!(offset_of!(spdk_bdev_io, reserved1) == 12);
const _: () = assert!(offset_of!(spdk_bdev_io, iov) == 16);
const _: () = assert!(offset_of!(spdk_bdev_io, child_iov) == 32);
const _: () = assert!(offset_of!(spdk_bdev_io, reserved2) == 544);
const _: () = assert!(offset_of!(spdk_bdev_io, u) == 576);
const _: () = assert!(offset_of!(spdk_bdev_io, reserved3) == 792);
const _: () = assert!(offset_of!(spdk_bdev_io, internal) == 832);
const _: () = assert!(offset_of!(spdk_bdev_io, reserved4) == 1152);
const _: () = assert!(offset_of!(spdk_bdev_io, driver_ctx) == 1216);
const _: () = assert!(offset_of!(spdk_bdev_io, driver_ctx) % 64 == 0);

// Part bdevs (measured; spdk_bdev_part_construct_opts: SPDK_STATIC_ASSERT 24).
const _: () = assert!(size_of::<spdk_bdev_part>() == 608);
const _: () = assert!(offset_of!(spdk_bdev_part, internal) == 16);
const _: () = assert!(offset_of!(bdev_part_internal_fields, base) == 576);
const _: () = assert!(offset_of!(bdev_part_internal_fields, offset_blocks) == 584);
const _: () = assert!(size_of::<spdk_bdev_part_channel>() == 16);
const _: () = assert!(size_of::<bdev_part_tailq>() == 16);
const _: () = assert!(size_of::<spdk_bdev_part_construct_opts>() == 24);
const _: () = assert!(offset_of!(spdk_bdev_part_construct_opts, uuid) == 8);

#[cfg(test)]
mod tests {
    use super::*;

    // Bit positions measured with gcc on x86_64 from the C bitfield declarations.
    #[test]
    fn bitfield_positions_match_gcc() {
        assert_eq!(spdk_bdev_numa::new(true, -3).raw, 0xffff_fffb);
        assert_eq!(spdk_bdev_numa { raw: 0xffff_fffb }.id(), -3);
        assert!(spdk_bdev_numa { raw: 0xffff_fffb }.id_valid());
        assert!(spdk_bdev_nvme_ctratt { raw: 0x0008_0000 }.fdps());
        assert_eq!(spdk_bdev_nvme_cdw12 { raw: 0x00f0_0000 }.dtype(), 0xf);
        assert_eq!(spdk_bdev_nvme_cdw13 { raw: 0xffff_0000 }.dspec(), 0xffff);
        assert_eq!(spdk_bdev_io_block_params_zcopy::new(false, true, true).raw, 0x06);
        assert_eq!(SPDK_BDEV_IO_F_HAS_BUF | SPDK_BDEV_IO_F_CHILD_IO, 0x48);
        assert_eq!(SPDK_BDEV_FLAG_ZONED | SPDK_BDEV_FLAG_MEMORY_DOMAINS_SUPPORTED, 0x50);
    }

    #[test]
    fn raw_enums_round_trip() {
        for v in -8..=1 {
            let s = spdk_bdev_io_status_raw(v).get().unwrap();
            assert_eq!(s as i32, v);
        }
        assert!(spdk_bdev_io_status_raw(2).get().is_none());
        for v in 0..=23 {
            assert_eq!(spdk_bdev_io_type::from_raw(v).unwrap() as i32, v);
        }
        assert!(spdk_bdev_io_type_raw(24).get().is_none());
        assert_eq!(spdk_dif_type_raw::from(spdk_dif_type::SPDK_DIF_TYPE3).0, 3);
    }

    #[test]
    fn driver_ctx_round_trip() {
        let io = 0x10_0000usize as *mut spdk_bdev_io;
        let ctx = (io as usize + 1216) as *mut c_void;
        assert_eq!(spdk_bdev_io::from_driver_ctx(ctx), io);
    }
}
