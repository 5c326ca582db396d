//! The uring bdev (SPDK's `bdev_uring`): a file or block device driven
//! through io_uring. Each thread has its own ring per disk; requests are
//! queued in the submission ring as they come and submitted in one system
//! call per poll, and the same poller reaps the completion ring.

use super::file::{self, Engine, Op, Start};
use super::BdevError;
use crate::capi::bdev_types::*;
use io_uring::{opcode, types, IoUring};
use std::ffi::c_int;

/// One ring, and how many entries wait in its submission queue.
pub(crate) struct Uring {
    ring: IoUring,
    fd: c_int,
    unsubmitted: u32,
}

impl Engine for Uring {
    const POLLER_NAME: &'static str = "bdev_uring";

    fn new(fd: c_int, depth: u32) -> Result<Self, i32> {
        let ring = IoUring::new(depth).map_err(|e| e.raw_os_error().unwrap_or(libc::EIO))?;
        Ok(Uring { ring, fd, unsubmitted: 0 })
    }

    fn start(&mut self, io: *mut spdk_bdev_io, op: Op) -> Start {
        let fd = types::Fd(self.fd);
        let e = match op {
            Op::Read { iovs, iovcnt, offset } => opcode::Readv::new(fd, iovs, iovcnt.max(0) as u32).offset(offset).build(),
            Op::Write { iovs, iovcnt, offset } => opcode::Writev::new(fd, iovs, iovcnt.max(0) as u32).offset(offset).build(),
            Op::Flush => opcode::Fsync::new(fd).flags(types::FsyncFlags::DATASYNC).build(),
        };
        // SAFETY: the iovecs belong to the I/O and stay valid until its completion is reaped.
        match unsafe { self.ring.submission().push(&e.user_data(io as u64)) } {
            Ok(()) => {
                self.unsubmitted += 1;
                Start::Taken
            }
            Err(_) => Start::Full,
        }
    }

    fn submit(&mut self) {
        if self.unsubmitted == 0 {
            return;
        }
        // Busy (EAGAIN/EBUSY) or interrupted: the entries stay queued for the next poll.
        if let Ok(n) = self.ring.submit() {
            self.unsubmitted -= (n as u32).min(self.unsubmitted);
        }
    }

    fn reap(&mut self, done: &mut Vec<(*mut spdk_bdev_io, i64)>) {
        for c in self.ring.completion() {
            done.push((c.user_data() as *mut spdk_bdev_io, c.result() as i64));
        }
    }
}

/// Whether this kernel (and sandbox) lets us create an io_uring.
pub fn available() -> bool {
    IoUring::new(2).is_ok()
}

pub(crate) fn module() -> *mut spdk_bdev_module {
    static MODULE: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| file::new_module(c"uring", None) as usize);
    *MODULE as *mut spdk_bdev_module
}

static FN_TABLE: spdk_bdev_fn_table = super::fn_table(file::destruct, file::submit_request::<Uring>, file::io_type_supported, file::get_io_channel);
static KIND: file::Kind = file::Kind { product_name: c"URING bdev", fallocate_ok: false };

/// `bdev_uring_create` (`readonly` and `fallocate` of the options are ignored).
pub fn create(o: &file::Opts) -> Result<*mut spdk_bdev, BdevError> {
    let o = file::Opts { readonly: false, fallocate: false, ..*o };
    file::create::<Uring>(module(), &FN_TABLE, &KIND, &o)
}

/// The `bdev_uring_create` call that recreates `bdev` (save_config), if it is a uring bdev.
pub(crate) fn config_json(bdev: *mut spdk_bdev) -> Option<serde_json::Value> {
    let d = file::disk_if(bdev, module())?;
    Some(serde_json::json!({"method": "bdev_uring_create", "params": {
        "name": super::name_of(bdev),
        "block_size": d.bdev.blocklen,
        "filename": d.filename,
        "uuid": file::uuid_of(d),
    }}))
}

/// `driver_specific` of bdev_get_bdevs for a uring bdev.
pub(crate) fn info_json(bdev: *mut spdk_bdev) -> Option<serde_json::Value> {
    file::disk_if(bdev, module()).map(|d| file::info("uring", d, false))
}
