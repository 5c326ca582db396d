//! Protocol-specific completion status of a bdev_io (NVMe, SCSI, Linux AIO):
//! what a module reports with `spdk_bdev_io_complete_*_status` and what a
//! submitter reads back with `spdk_bdev_io_get_*_status`, with SPDK's
//! mappings between them and the generic `spdk_bdev_io_status`.

#![allow(clippy::not_unsafe_ptr_arg_deref)] // callers hand in live bdev_ios, as C does

use crate::capi::bdev_types::*;
use crate::nvme::spec::{sc, sct};
use spdk_bdev_io_status::*;

/// SCSI status (`enum spdk_scsi_status`) values used here.
pub mod scsi {
    pub const GOOD: i32 = 0x00;
    pub const CHECK_CONDITION: i32 = 0x02;
    /// Sense keys (`enum spdk_scsi_sense`).
    pub const SENSE_NO_SENSE: i32 = 0x00;
    pub const SENSE_NOT_READY: i32 = 0x02;
    pub const SENSE_MEDIUM_ERROR: i32 = 0x03;
    pub const SENSE_HARDWARE_ERROR: i32 = 0x04;
    pub const SENSE_ILLEGAL_REQUEST: i32 = 0x05;
    pub const SENSE_DATA_PROTECT: i32 = 0x07;
    pub const SENSE_ABORTED_COMMAND: i32 = 0x0b;
    pub const SENSE_MISCOMPARE: i32 = 0x0e;
    /// Additional sense codes (`enum spdk_scsi_asc`).
    pub const ASC_NO_ADDITIONAL_SENSE: i32 = 0x00;
    pub const ASC_LOGICAL_UNIT_NOT_READY: i32 = 0x04;
    pub const ASC_PERIPHERAL_DEVICE_WRITE_FAULT: i32 = 0x03;
    pub const ASC_UNRECOVERED_READ_ERROR: i32 = 0x11;
    pub const ASC_MISCOMPARE_DURING_VERIFY_OPERATION: i32 = 0x1d;
    pub const ASC_INVALID_COMMAND_OPERATION_CODE: i32 = 0x20;
    pub const ASC_LOGICAL_BLOCK_ADDRESS_OUT_OF_RANGE: i32 = 0x21;
    pub const ASC_INVALID_FIELD_IN_CDB: i32 = 0x24;
    pub const ASC_ACCESS_DENIED: i32 = 0x20;
    pub const ASC_LOGICAL_BLOCK_GUARD_CHECK_FAILED: i32 = 0x10;
    pub const ASC_INTERNAL_TARGET_FAILURE: i32 = 0x44;
    pub const ASC_DATA_PHASE_ERROR: i32 = 0x4b;
    /// Additional sense code qualifiers (`enum spdk_scsi_ascq`).
    pub const ASCQ_CAUSE_NOT_REPORTABLE: i32 = 0x00;
    pub const ASCQ_INVALID_LU_IDENTIFIER: i32 = 0x09;
    pub const ASCQ_NO_ACCESS_RIGHTS: i32 = 0x02;
    pub const ASCQ_LOGICAL_BLOCK_GUARD_CHECK_FAILED: i32 = 0x01;
    pub const ASCQ_LOGICAL_BLOCK_APPTAG_CHECK_FAILED: i32 = 0x02;
    pub const ASCQ_LOGICAL_BLOCK_REFTAG_CHECK_FAILED: i32 = 0x03;
}

/// NVMe media error status codes beyond those of `nvme::spec::sc`.
mod media {
    pub const WRITE_FAULTS: u8 = 0x80;
    pub const UNRECOVERED_READ_ERROR: u8 = 0x81;
    pub const GUARD_CHECK_ERROR: u8 = 0x82;
    pub const APPLICATION_TAG_CHECK_ERROR: u8 = 0x83;
    pub const REFERENCE_TAG_CHECK_ERROR: u8 = 0x84;
    pub const ACCESS_DENIED: u8 = 0x86;
}
const SC_INTERNAL_DEVICE_ERROR: u8 = 0x06;
const SC_NAMESPACE_NOT_READY: u8 = 0x82;
const SC_CAPACITY_EXCEEDED: u8 = 0x81;
const SC_INVALID_NAMESPACE_OR_FORMAT: u8 = 0x0b;

fn status_of(io: *const spdk_bdev_io) -> i8 {
    // SAFETY: a live bdev_io handed to the caller (completed or in a module).
    unsafe { (*io).internal.status }
}

fn is(io: *const spdk_bdev_io, s: spdk_bdev_io_status) -> bool {
    status_of(io) == s as i8
}

/// The generic status a module's NVMe completion stands for.
pub fn from_nvme(sct_: i32, sc_: i32) -> spdk_bdev_io_status {
    match (sct_, sc_) {
        (s, c) if s == sct::GENERIC as i32 && c == sc::SUCCESS as i32 => SPDK_BDEV_IO_STATUS_SUCCESS,
        (s, c) if s == sct::GENERIC as i32 && c == sc::ABORTED_BY_REQUEST as i32 => SPDK_BDEV_IO_STATUS_ABORTED,
        (s, c) if s == sct::MEDIA_ERROR as i32 && c == sc::COMPARE_FAILURE as i32 => SPDK_BDEV_IO_STATUS_MISCOMPARE,
        _ => SPDK_BDEV_IO_STATUS_NVME_ERROR,
    }
}

/// Records the NVMe status of `io` (`spdk_bdev_io_complete_nvme_status`
/// without the completion): returns the generic status to complete with.
pub fn set_nvme(io: *mut spdk_bdev_io, cdw0: u32, sct_: i32, sc_: i32) -> spdk_bdev_io_status {
    // SAFETY: an I/O the module owns until it completes it.
    unsafe {
        (*io).internal.error.nvme = spdk_bdev_io_internal_error_nvme { cdw0, sct: sct_ as u8, sc: sc_ as u8 };
    }
    from_nvme(sct_, sc_)
}

/// The NVMe status of a completed I/O: (cdw0, sct, sc), whatever status it completed with.
pub fn nvme(io: *const spdk_bdev_io) -> (u32, i32, i32) {
    // SAFETY: a completed I/O; the error union is zeroed at submission.
    let (t, e) = unsafe { ((*io).r#type, (*io).internal.error.nvme) };
    if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ABORT as u8 {
        // The abort command's own completion: cdw0 bit 0 set when nothing was aborted.
        return (u32::from(!is(io, SPDK_BDEV_IO_STATUS_SUCCESS)), sct::GENERIC as i32, sc::SUCCESS as i32);
    }
    let (s, c) = match spdk_bdev_io_status::from_raw(status_of(io) as i32) {
        Some(SPDK_BDEV_IO_STATUS_NVME_ERROR) => (e.sct, e.sc),
        Some(SPDK_BDEV_IO_STATUS_SUCCESS) => (sct::GENERIC, sc::SUCCESS),
        Some(SPDK_BDEV_IO_STATUS_ABORTED) => (sct::GENERIC, sc::ABORTED_BY_REQUEST),
        Some(SPDK_BDEV_IO_STATUS_MISCOMPARE) => (sct::MEDIA_ERROR, sc::COMPARE_FAILURE),
        _ => (sct::GENERIC, SC_INTERNAL_DEVICE_ERROR),
    };
    (e.cdw0, s as i32, c as i32)
}

/// Records a SCSI status; returns the generic status to complete with.
pub fn set_scsi(io: *mut spdk_bdev_io, sc_: i32, sk: i32, asc: u8, ascq: u8) -> spdk_bdev_io_status {
    if sc_ == scsi::GOOD {
        return SPDK_BDEV_IO_STATUS_SUCCESS;
    }
    // SAFETY: an I/O the module owns until it completes it.
    unsafe { (*io).internal.error.scsi = spdk_bdev_io_internal_error_scsi { sc: sc_ as u8, sk: sk as u8, asc, ascq } };
    SPDK_BDEV_IO_STATUS_SCSI_ERROR
}

/// SCSI status of an NVMe completion (sc, sk, asc, ascq), as SPDK's SCSI layer translates it.
fn nvme_to_scsi(sct_: u8, sc_: u8) -> (i32, i32, i32, i32) {
    use scsi::*;
    let cc = |sk, asc, ascq| (CHECK_CONDITION, sk, asc, ascq);
    match sct_ {
        s if s == sct::GENERIC => match sc_ {
            c if c == sc::SUCCESS => (GOOD, SENSE_NO_SENSE, ASC_NO_ADDITIONAL_SENSE, ASCQ_CAUSE_NOT_REPORTABLE),
            c if c == sc::INVALID_OPCODE => cc(SENSE_ILLEGAL_REQUEST, ASC_INVALID_COMMAND_OPERATION_CODE, ASCQ_CAUSE_NOT_REPORTABLE),
            c if c == sc::INVALID_FIELD => cc(SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD_IN_CDB, ASCQ_CAUSE_NOT_REPORTABLE),
            c if c == sc::DATA_TRANSFER_ERROR => cc(SENSE_MEDIUM_ERROR, ASC_NO_ADDITIONAL_SENSE, ASCQ_CAUSE_NOT_REPORTABLE),
            c if c == sc::ABORTED_BY_REQUEST || c == sc::ABORTED_SQ_DELETION => {
                cc(SENSE_ABORTED_COMMAND, ASC_NO_ADDITIONAL_SENSE, ASCQ_CAUSE_NOT_REPORTABLE)
            }
            SC_INTERNAL_DEVICE_ERROR => cc(SENSE_HARDWARE_ERROR, ASC_INTERNAL_TARGET_FAILURE, ASCQ_CAUSE_NOT_REPORTABLE),
            SC_INVALID_NAMESPACE_OR_FORMAT => cc(SENSE_ILLEGAL_REQUEST, ASC_ACCESS_DENIED, ASCQ_INVALID_LU_IDENTIFIER),
            c if c == sc::LBA_OUT_OF_RANGE || c == SC_CAPACITY_EXCEEDED => {
                cc(SENSE_ILLEGAL_REQUEST, ASC_LOGICAL_BLOCK_ADDRESS_OUT_OF_RANGE, ASCQ_CAUSE_NOT_REPORTABLE)
            }
            SC_NAMESPACE_NOT_READY => cc(SENSE_NOT_READY, ASC_LOGICAL_UNIT_NOT_READY, ASCQ_CAUSE_NOT_REPORTABLE),
            _ => cc(SENSE_ILLEGAL_REQUEST, ASC_NO_ADDITIONAL_SENSE, ASCQ_CAUSE_NOT_REPORTABLE),
        },
        s if s == sct::MEDIA_ERROR => match sc_ {
            media::WRITE_FAULTS => cc(SENSE_MEDIUM_ERROR, ASC_PERIPHERAL_DEVICE_WRITE_FAULT, ASCQ_CAUSE_NOT_REPORTABLE),
            media::UNRECOVERED_READ_ERROR => cc(SENSE_MEDIUM_ERROR, ASC_UNRECOVERED_READ_ERROR, ASCQ_CAUSE_NOT_REPORTABLE),
            media::GUARD_CHECK_ERROR => cc(SENSE_MEDIUM_ERROR, ASC_LOGICAL_BLOCK_GUARD_CHECK_FAILED, ASCQ_LOGICAL_BLOCK_GUARD_CHECK_FAILED),
            media::APPLICATION_TAG_CHECK_ERROR => {
                cc(SENSE_MEDIUM_ERROR, ASC_LOGICAL_BLOCK_GUARD_CHECK_FAILED, ASCQ_LOGICAL_BLOCK_APPTAG_CHECK_FAILED)
            }
            media::REFERENCE_TAG_CHECK_ERROR => {
                cc(SENSE_MEDIUM_ERROR, ASC_LOGICAL_BLOCK_GUARD_CHECK_FAILED, ASCQ_LOGICAL_BLOCK_REFTAG_CHECK_FAILED)
            }
            c if c == sc::COMPARE_FAILURE => cc(SENSE_MISCOMPARE, ASC_MISCOMPARE_DURING_VERIFY_OPERATION, ASCQ_CAUSE_NOT_REPORTABLE),
            media::ACCESS_DENIED => cc(SENSE_DATA_PROTECT, ASC_ACCESS_DENIED, ASCQ_NO_ACCESS_RIGHTS),
            _ => cc(SENSE_ILLEGAL_REQUEST, ASC_NO_ADDITIONAL_SENSE, ASCQ_CAUSE_NOT_REPORTABLE),
        },
        _ => cc(SENSE_ILLEGAL_REQUEST, ASC_NO_ADDITIONAL_SENSE, ASCQ_CAUSE_NOT_REPORTABLE),
    }
}

/// The SCSI status of a completed I/O: (sc, sk, asc, ascq).
pub fn scsi(io: *const spdk_bdev_io) -> (i32, i32, i32, i32) {
    use scsi::*;
    // SAFETY: a completed I/O; the error union is zeroed at submission.
    let e = unsafe { (*io).internal.error };
    match spdk_bdev_io_status::from_raw(status_of(io) as i32) {
        Some(SPDK_BDEV_IO_STATUS_SUCCESS) => (GOOD, SENSE_NO_SENSE, ASC_NO_ADDITIONAL_SENSE, ASCQ_CAUSE_NOT_REPORTABLE),
        Some(SPDK_BDEV_IO_STATUS_NVME_ERROR) => {
            // SAFETY: plain bytes of the union, whichever member was written.
            let n = unsafe { e.nvme };
            nvme_to_scsi(n.sct, n.sc)
        }
        Some(SPDK_BDEV_IO_STATUS_MISCOMPARE) => {
            // SAFETY: as above.
            let ascq = unsafe { e.scsi.ascq };
            (CHECK_CONDITION, SENSE_MISCOMPARE, ASC_MISCOMPARE_DURING_VERIFY_OPERATION, ascq as i32)
        }
        Some(SPDK_BDEV_IO_STATUS_SCSI_ERROR) => {
            // SAFETY: as above.
            let s = unsafe { e.scsi };
            (s.sc as i32, s.sk as i32, s.asc as i32, s.ascq as i32)
        }
        _ => (CHECK_CONDITION, SENSE_ABORTED_COMMAND, ASC_NO_ADDITIONAL_SENSE, ASCQ_CAUSE_NOT_REPORTABLE),
    }
}

/// Records a Linux AIO result (0 or a negative errno); returns the generic status.
pub fn set_aio(io: *mut spdk_bdev_io, result: i32) -> spdk_bdev_io_status {
    // SAFETY: an I/O the module owns until it completes it.
    unsafe { (*io).internal.error.aio_result = result };
    if result == 0 {
        SPDK_BDEV_IO_STATUS_SUCCESS
    } else {
        SPDK_BDEV_IO_STATUS_AIO_ERROR
    }
}

/// The AIO result of a completed I/O: its own for AIO errors, 0 on success, -EIO otherwise.
pub fn aio(io: *const spdk_bdev_io) -> i32 {
    match spdk_bdev_io_status::from_raw(status_of(io) as i32) {
        // SAFETY: written by set_aio for this status.
        Some(SPDK_BDEV_IO_STATUS_AIO_ERROR) => unsafe { (*io).internal.error.aio_result },
        Some(SPDK_BDEV_IO_STATUS_SUCCESS) => 0,
        _ => -libc::EIO,
    }
}
