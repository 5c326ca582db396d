//! The malloc bdev: a RAM disk in DMA memory (SPDK's `bdev_malloc`).
//! Zero-copy I/O lends the disk memory itself (`zcopy.rs`).

use super::{io, pollq, BdevError};
use crate::capi::bdev_types::*;
use crate::capi::thread::spdk_io_channel;
use crate::env::mem;
use crate::thread::io_channel as ioch;
use std::ffi::{c_int, c_void, CString};

/// One malloc disk: SPDK's bdev structure first, then the module's own state.
#[repr(C)]
pub struct MallocDisk {
    pub bdev: spdk_bdev,
    buf: *mut u8,
    len: usize,
    name: CString,
}

static FN_TABLE: spdk_bdev_fn_table = super::fn_table(destruct, submit_request, io_type_supported, get_io_channel);

/// The module's io_device; its channels are `pollq` queues: I/O is done and
/// completed by the channel's poller, which prefetches the disk memory of the
/// next I/O while it copies the current one.
static IO_DEVICE: u8 = 0;

extern "C" fn ch_create(_d: *mut c_void, ctx: *mut c_void) -> c_int {
    pollq::create(ctx, "bdev_malloc", process, Some(prefetch))
}
extern "C" fn ch_destroy(_d: *mut c_void, ctx: *mut c_void) {
    pollq::destroy(ctx)
}

extern "C" fn ctx_size() -> c_int {
    pollq::CTX_SIZE as c_int
}

fn module() -> *mut spdk_bdev_module {
    static MODULE: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| {
        // SAFETY: all-zero is valid for the module struct (nullable pointers, integers).
        let mut m: spdk_bdev_module = unsafe { std::mem::zeroed() };
        m.name = c"malloc".as_ptr();
        m.get_ctx_size = Some(ctx_size);
        let p = Box::into_raw(Box::new(m));
        super::module_add(p);
        let _ = ioch::register(&IO_DEVICE as *const u8 as *mut c_void, ch_create, ch_destroy, pollq::CHANNEL_SIZE, Some("bdev_malloc"));
        p as usize
    });
    *MODULE as *mut spdk_bdev_module
}

extern "C" fn get_io_channel(_ctx: *mut c_void) -> *mut spdk_io_channel {
    ioch::get(&IO_DEVICE as *const u8 as *mut c_void).map_or(std::ptr::null_mut(), |c| c.cast())
}

extern "C" fn io_type_supported(_ctx: *mut c_void, t: spdk_bdev_io_type) -> bool {
    use spdk_bdev_io_type::*;
    matches!(t, SPDK_BDEV_IO_TYPE_READ | SPDK_BDEV_IO_TYPE_WRITE | SPDK_BDEV_IO_TYPE_WRITE_ZEROES | SPDK_BDEV_IO_TYPE_UNMAP | SPDK_BDEV_IO_TYPE_FLUSH | SPDK_BDEV_IO_TYPE_RESET | SPDK_BDEV_IO_TYPE_COMPARE | SPDK_BDEV_IO_TYPE_ZCOPY)
}

extern "C" fn destruct(ctx: *mut c_void) -> c_int {
    // SAFETY: ctx is the MallocDisk leaked by `create`; the layer destructs once.
    let disk = unsafe { Box::from_raw(ctx as *mut MallocDisk) };
    mem::free(disk.buf);
    0
}

/// Copies between the disk and an I/O's iovecs; `to_disk` for writes.
/// Returns false (miscompare) only when `compare` and the data differ.
fn walk(disk: &MallocDisk, bio: &spdk_bdev_io, mode: u8) -> bool {
    // SAFETY: block parameters were set by the layer; iovecs describe the caller's buffers.
    let (iovs, off) = unsafe {
        let b = &bio.u.bdev;
        (std::slice::from_raw_parts(b.iovs, b.iovcnt.max(0) as usize), b.offset_blocks * disk.bdev.blocklen as u64)
    };
    let mut at = off as usize;
    for v in iovs {
        let n = v.iov_len.min(disk.len.saturating_sub(at));
        // SAFETY: [at, at + n) is inside the disk buffer; the iovec holds n bytes.
        unsafe {
            let dp = disk.buf.add(at);
            match mode {
                0 => std::ptr::copy_nonoverlapping(dp, v.iov_base as *mut u8, n),
                1 => std::ptr::copy_nonoverlapping(v.iov_base as *const u8, dp, n),
                _ => {
                    if std::slice::from_raw_parts(dp, n) != std::slice::from_raw_parts(v.iov_base as *const u8, n) {
                        return false;
                    }
                }
            }
        }
        at += n;
    }
    true
}

extern "C" fn submit_request(ch: *mut spdk_io_channel, io: *mut spdk_bdev_io) {
    pollq::push(ioch::ctx(ch.cast()), io);
}

/// Lines of a block the poller asks for ahead of its copy: a few lines
/// start the memory access (and the hardware's streaming prefetch) for the
/// next I/O while the current one is copied.
const PREFETCH_LINES: usize = 4;

/// Prefetches the start of the disk memory a read or write will touch.
fn prefetch(io: *mut spdk_bdev_io) {
    // SAFETY: an I/O of one of our bdevs, queued on our channel.
    let bio = unsafe { &*io };
    let t = bio.r#type as i32;
    if t != spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ as i32 && t != spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE as i32 {
        return;
    }
    // SAFETY: as in `process`.
    let disk = unsafe { &*(bdev_ref_ctxt(bio) as *const MallocDisk) };
    // SAFETY: block parameters were set and range-checked by the layer.
    let off = unsafe { bio.u.bdev.offset_blocks } as usize * disk.bdev.blocklen as usize;
    let end = disk.len.min(off + PREFETCH_LINES * 64);
    let mut at = off;
    while at < end {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a prefetch is only a hint and never faults; the address is inside the disk.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(disk.buf.add(at) as *const i8)
        };
        at += 64;
    }
}

/// Does one I/O and completes it.
fn process(io: *mut spdk_bdev_io) {
    // SAFETY: the layer hands us a live I/O of one of our bdevs.
    let bio = unsafe { &*io };
    // SAFETY: bdev is the first field of MallocDisk (repr(C)), and ctxt points at the disk.
    let disk = unsafe { &*(bdev_ref_ctxt(bio) as *const MallocDisk) };
    use spdk_bdev_io_type::*;
    let t = bio.r#type as i32;
    let status = if t == SPDK_BDEV_IO_TYPE_READ as i32 {
        walk(disk, bio, 0);
        spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS
    } else if t == SPDK_BDEV_IO_TYPE_WRITE as i32 {
        walk(disk, bio, 1);
        spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS
    } else if t == SPDK_BDEV_IO_TYPE_COMPARE as i32 {
        if walk(disk, bio, 2) {
            spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS
        } else {
            spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_MISCOMPARE
        }
    } else if t == SPDK_BDEV_IO_TYPE_WRITE_ZEROES as i32 || t == SPDK_BDEV_IO_TYPE_UNMAP as i32 {
        // SAFETY: the range was checked against the bdev by the layer.
        unsafe {
            let b = &bio.u.bdev;
            let bl = disk.bdev.blocklen as u64;
            std::ptr::write_bytes(disk.buf.add((b.offset_blocks * bl) as usize), 0, (b.num_blocks * bl) as usize);
        }
        spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS
    } else if t == SPDK_BDEV_IO_TYPE_ZCOPY as i32 {
        // Start: the blocks' own memory is lent, so it holds their data
        // whether or not populate was asked, and a commit at the end has
        // nothing to copy.
        // SAFETY: block parameters of a zero-copy I/O; the range was checked by the layer.
        unsafe {
            let b = &bio.u.bdev;
            if b.zcopy.start() {
                let bl = disk.bdev.blocklen as u64;
                super::zcopy::set_buf(io, disk.buf.add((b.offset_blocks * bl) as usize).cast(), (b.num_blocks * bl) as usize);
            }
        }
        spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS
    } else if t == SPDK_BDEV_IO_TYPE_FLUSH as i32 || t == SPDK_BDEV_IO_TYPE_RESET as i32 {
        spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS
    } else {
        spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED
    };
    io::complete(io, status as i32);
}

fn bdev_ref_ctxt(bio: &spdk_bdev_io) -> *mut c_void {
    super::bdev_ref(bio.bdev).ctxt
}

/// Creates and registers a malloc bdev of `num_blocks` blocks of `block_size` bytes.
pub fn create(name: &str, num_blocks: u64, block_size: u32, uuid: Option<[u8; 16]>) -> Result<*mut spdk_bdev, BdevError> {
    create_with(name, num_blocks, block_size, uuid, 0)
}

/// As `create`, with an optimal I/O boundary (in blocks) the layer splits reads and writes at.
pub fn create_with(name: &str, num_blocks: u64, block_size: u32, uuid: Option<[u8; 16]>, optimal_io_boundary: u32) -> Result<*mut spdk_bdev, BdevError> {
    if !block_size.is_power_of_two() || block_size < 512 {
        return Err(BdevError::Invalid(format!("block_size {block_size} is not a power of two of at least 512")));
    }
    if num_blocks == 0 {
        return Err(BdevError::Invalid("num_blocks must be positive".into()));
    }
    let len = num_blocks.checked_mul(block_size as u64).ok_or_else(|| BdevError::Invalid("size overflows".into()))? as usize;
    if super::get_by_name(name).is_some() {
        return Err(BdevError::Exists(name.into()));
    }
    let buf = mem::alloc(len, 4096).ok_or(BdevError::NoMemory)?;
    // SAFETY: a fresh block of len bytes.
    unsafe { std::ptr::write_bytes(buf, 0, len) };
    let cname = CString::new(name).map_err(|_| BdevError::Invalid("name contains NUL".into()))?;
    // SAFETY: all-zero is valid for spdk_bdev (integers, nullable pointers, raw enums).
    let mut bdev: spdk_bdev = unsafe { std::mem::zeroed() };
    bdev.blocklen = block_size;
    bdev.phys_blocklen = block_size;
    bdev.blockcnt = num_blocks;
    bdev.write_cache = 1;
    bdev.product_name = c"Malloc disk".as_ptr() as *mut _;
    bdev.fn_table = &FN_TABLE;
    bdev.module = module();
    if optimal_io_boundary != 0 {
        bdev.optimal_io_boundary = optimal_io_boundary;
        bdev.flags |= SPDK_BDEV_FLAG_SPLIT_ON_OPTIMAL_IO_BOUNDARY;
    }
    if let Some(u) = uuid {
        bdev.uuid.u.raw = u;
    }
    let disk = Box::into_raw(Box::new(MallocDisk { bdev, buf, len, name: cname }));
    // SAFETY: just created; the name and context point into the same allocation.
    unsafe {
        (*disk).bdev.name = (*disk).name.as_ptr() as *mut _;
        (*disk).bdev.ctxt = disk.cast();
    }
    // SAFETY: as above.
    let b = unsafe { std::ptr::addr_of_mut!((*disk).bdev) };
    if let Err(e) = super::register(b) {
        // SAFETY: not registered: we still own the disk.
        let d = unsafe { Box::from_raw(disk) };
        mem::free(d.buf);
        return Err(e);
    }
    Ok(b)
}

/// Unregisters and frees a malloc bdev; `done(rc)` runs when it is gone.
pub fn delete(name: &str, cb: spdk_bdev_unregister_cb, cb_arg: *mut c_void) -> Result<(), BdevError> {
    let b = super::get_by_name(name).ok_or_else(|| BdevError::NotFound(name.into()))?;
    if super::bdev_ref(b).module != module() {
        return Err(BdevError::Invalid(format!("bdev '{name}' is not a malloc bdev")));
    }
    super::unregister(b, cb, cb_arg)
}
