//! The aio bdev (SPDK's `bdev_aio`): a file or block device driven through
//! Linux native AIO (io_setup / io_submit / io_getevents / io_destroy, called
//! as raw system calls). Each thread has its own AIO context per disk, whose
//! completions a poller reaps without waiting. Unmap and write-zeroes use
//! fallocate(2) when asked for (`fallocate`) and the file supports it.

use super::file::{self, Engine, Op, Start};
use super::BdevError;
use crate::capi::bdev_types::*;
use std::ffi::{c_int, c_long};

/// The kernel's `struct iocb` (linux/aio_abi.h), little-endian layout.
#[repr(C)]
#[derive(Default)]
struct Iocb {
    data: u64,
    key: u32,
    rw_flags: i32,
    lio_opcode: u16,
    reqprio: i16,
    fildes: u32,
    buf: u64,
    nbytes: u64,
    offset: i64,
    reserved2: u64,
    flags: u32,
    resfd: u32,
}
const _: () = assert!(std::mem::size_of::<Iocb>() == 64);

/// The kernel's `struct io_event`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct IoEvent {
    data: u64,
    obj: u64,
    res: i64,
    res2: i64,
}

const IOCB_CMD_FDSYNC: u16 = 3;
const IOCB_CMD_PREADV: u16 = 7;
const IOCB_CMD_PWRITEV: u16 = 8;

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

/// One AIO context (`aio_context_t`) and room for the events one reap takes.
pub(crate) struct Aio {
    ctx: u64,
    fd: c_int,
    events: Vec<IoEvent>,
}

impl Drop for Aio {
    fn drop(&mut self) {
        // SAFETY: a context from io_setup, destroyed once (waits for its requests).
        unsafe { libc::syscall(libc::SYS_io_destroy, self.ctx as c_long) };
    }
}

fn iocb_of(io: *mut spdk_bdev_io) -> *mut Iocb {
    // SAFETY: driver_ctx follows the bdev_io and holds at least ctx_size() bytes
    // (the pool gives every module its largest context, at least 256 bytes).
    unsafe { (io as *mut u8).add(std::mem::size_of::<spdk_bdev_io>()) as *mut Iocb }
}

impl Engine for Aio {
    const POLLER_NAME: &'static str = "bdev_aio";

    fn new(fd: c_int, depth: u32) -> Result<Self, i32> {
        let mut ctx: u64 = 0;
        // SAFETY: io_setup writes the new context id through the pointer.
        if unsafe { libc::syscall(libc::SYS_io_setup, depth as c_long, &mut ctx as *mut u64) } != 0 {
            return Err(errno());
        }
        Ok(Aio { ctx, fd, events: vec![IoEvent::default(); depth as usize] })
    }

    fn start(&mut self, io: *mut spdk_bdev_io, op: Op) -> Start {
        let (opcode, iovs, iovcnt, offset) = match op {
            Op::Read { iovs, iovcnt, offset } => (IOCB_CMD_PREADV, iovs, iovcnt, offset),
            Op::Write { iovs, iovcnt, offset } => (IOCB_CMD_PWRITEV, iovs, iovcnt, offset),
            Op::Flush => (IOCB_CMD_FDSYNC, std::ptr::null(), 0, 0),
        };
        let cb = iocb_of(io);
        // SAFETY: the I/O's own context, unused by anyone else while it is ours.
        unsafe {
            cb.write(Iocb {
                data: io as u64,
                lio_opcode: opcode,
                fildes: self.fd as u32,
                buf: iovs as u64,
                nbytes: iovcnt.max(0) as u64,
                offset: offset as i64,
                ..Default::default()
            })
        };
        let mut list = [cb];
        // SAFETY: one iocb that stays valid (in the I/O) until its event is reaped.
        let rc = unsafe { libc::syscall(libc::SYS_io_submit, self.ctx as c_long, 1 as c_long, list.as_mut_ptr()) };
        if rc == 1 {
            return Start::Taken;
        }
        match errno() {
            libc::EAGAIN | libc::ENOMEM => Start::Full,
            // No asynchronous fsync on this file: a synchronous one.
            libc::EINVAL if opcode == IOCB_CMD_FDSYNC => {
                // SAFETY: fdatasync on our open fd.
                let r = unsafe { libc::fdatasync(self.fd) };
                Start::Done(if r == 0 { 0 } else { -(errno() as i64) })
            }
            e => Start::Done(-(e as i64)),
        }
    }

    fn reap(&mut self, done: &mut Vec<(*mut spdk_bdev_io, i64)>) {
        let ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: the events buffer holds events.len() entries; a zero timeout never blocks.
        let n = unsafe {
            libc::syscall(libc::SYS_io_getevents, self.ctx as c_long, 0 as c_long, self.events.len() as c_long, self.events.as_mut_ptr(), &ts as *const libc::timespec)
        };
        for e in &self.events[..n.max(0) as usize] {
            done.push((e.data as *mut spdk_bdev_io, e.res));
        }
    }
}

extern "C" fn ctx_size() -> c_int {
    std::mem::size_of::<Iocb>() as c_int
}

pub(crate) fn module() -> *mut spdk_bdev_module {
    static MODULE: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| file::new_module(c"aio", Some(ctx_size)) as usize);
    *MODULE as *mut spdk_bdev_module
}

static FN_TABLE: spdk_bdev_fn_table = super::fn_table(file::destruct, file::submit_request::<Aio>, file::io_type_supported, file::get_io_channel);
static KIND: file::Kind = file::Kind { product_name: c"AIO disk", fallocate_ok: true };

/// `bdev_aio_create`.
pub fn create(o: &file::Opts) -> Result<*mut spdk_bdev, BdevError> {
    file::create::<Aio>(module(), &FN_TABLE, &KIND, o)
}

/// The `bdev_aio_create` call that recreates `bdev` (save_config), if it is an aio bdev.
pub(crate) fn config_json(bdev: *mut spdk_bdev) -> Option<serde_json::Value> {
    let d = file::disk_if(bdev, module())?;
    let mut p = serde_json::Map::new();
    p.insert("name".into(), super::name_of(bdev).into());
    if d.backing.block_size_override {
        p.insert("block_size".into(), d.bdev.blocklen.into());
    }
    p.insert("filename".into(), d.filename.clone().into());
    p.insert("readonly".into(), d.readonly.into());
    p.insert("fallocate".into(), d.fallocate.into());
    p.insert("uuid".into(), file::uuid_of(d).into());
    Some(serde_json::json!({"method": "bdev_aio_create", "params": p}))
}

/// `driver_specific` of bdev_get_bdevs for an aio bdev.
pub(crate) fn info_json(bdev: *mut spdk_bdev) -> Option<serde_json::Value> {
    file::disk_if(bdev, module()).map(|d| file::info("aio", d, true))
}
