//! The null bdev: no storage; reads and writes succeed without moving data
//! (SPDK's `bdev_null`), for measuring the framework itself.

use super::{io, pollq, BdevError};
use crate::capi::bdev_types::*;
use crate::capi::thread::spdk_io_channel;
use crate::thread::io_channel as ioch;
use std::ffi::{c_int, c_void, CString};

#[repr(C)]
pub struct NullDisk {
    pub bdev: spdk_bdev,
    name: CString,
}

static FN_TABLE: spdk_bdev_fn_table = super::fn_table(destruct, submit_request, io_type_supported, get_io_channel);

static IO_DEVICE: u8 = 0;

extern "C" fn ctx_size() -> c_int {
    pollq::CTX_SIZE as c_int
}

fn complete(io: *mut spdk_bdev_io) {
    io::complete(io, spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS as i32);
}

extern "C" fn ch_create(_d: *mut c_void, ctx: *mut c_void) -> c_int {
    pollq::create(ctx, "bdev_null", complete, None)
}

extern "C" fn ch_destroy(_d: *mut c_void, ctx: *mut c_void) {
    pollq::destroy(ctx)
}

fn module() -> *mut spdk_bdev_module {
    static MODULE: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| {
        // SAFETY: all-zero is valid for the module struct.
        let mut m: spdk_bdev_module = unsafe { std::mem::zeroed() };
        m.name = c"null".as_ptr();
        m.get_ctx_size = Some(ctx_size);
        let p = Box::into_raw(Box::new(m));
        super::module_add(p);
        let _ = ioch::register(&IO_DEVICE as *const u8 as *mut c_void, ch_create, ch_destroy, pollq::CHANNEL_SIZE, Some("bdev_null"));
        p as usize
    });
    *MODULE as *mut spdk_bdev_module
}

extern "C" fn get_io_channel(_ctx: *mut c_void) -> *mut spdk_io_channel {
    ioch::get(&IO_DEVICE as *const u8 as *mut c_void).map_or(std::ptr::null_mut(), |c| c.cast())
}

extern "C" fn io_type_supported(_ctx: *mut c_void, t: spdk_bdev_io_type) -> bool {
    use spdk_bdev_io_type::*;
    matches!(t, SPDK_BDEV_IO_TYPE_READ | SPDK_BDEV_IO_TYPE_WRITE | SPDK_BDEV_IO_TYPE_WRITE_ZEROES | SPDK_BDEV_IO_TYPE_UNMAP | SPDK_BDEV_IO_TYPE_FLUSH | SPDK_BDEV_IO_TYPE_RESET)
}

extern "C" fn destruct(ctx: *mut c_void) -> c_int {
    // SAFETY: ctx is the NullDisk leaked by `create`; destructed once.
    drop(unsafe { Box::from_raw(ctx as *mut NullDisk) });
    0
}

/// Every I/O succeeds, from the channel's poller.
extern "C" fn submit_request(ch: *mut spdk_io_channel, io: *mut spdk_bdev_io) {
    pollq::push(ioch::ctx(ch.cast()), io);
}

pub fn create(name: &str, num_blocks: u64, block_size: u32, uuid: Option<[u8; 16]>) -> Result<*mut spdk_bdev, BdevError> {
    if block_size % 512 != 0 || block_size == 0 {
        return Err(BdevError::Invalid(format!("block_size {block_size} is not a multiple of 512")));
    }
    if num_blocks == 0 {
        return Err(BdevError::Invalid("num_blocks must be positive".into()));
    }
    if super::get_by_name(name).is_some() {
        return Err(BdevError::Exists(name.into()));
    }
    let cname = CString::new(name).map_err(|_| BdevError::Invalid("name contains NUL".into()))?;
    // SAFETY: all-zero is valid for spdk_bdev.
    let mut bdev: spdk_bdev = unsafe { std::mem::zeroed() };
    bdev.blocklen = block_size;
    bdev.phys_blocklen = block_size;
    bdev.blockcnt = num_blocks;
    bdev.product_name = c"Null disk".as_ptr() as *mut _;
    bdev.fn_table = &FN_TABLE;
    bdev.module = module();
    if let Some(u) = uuid {
        bdev.uuid.u.raw = u;
    }
    let disk = Box::into_raw(Box::new(NullDisk { bdev, name: cname }));
    // SAFETY: just created.
    unsafe {
        (*disk).bdev.name = (*disk).name.as_ptr() as *mut _;
        (*disk).bdev.ctxt = disk.cast();
    }
    // SAFETY: as above.
    let b = unsafe { std::ptr::addr_of_mut!((*disk).bdev) };
    if let Err(e) = super::register(b) {
        // SAFETY: not registered: still ours.
        drop(unsafe { Box::from_raw(disk) });
        return Err(e);
    }
    Ok(b)
}

pub fn delete(name: &str, cb: spdk_bdev_unregister_cb, cb_arg: *mut c_void) -> Result<(), BdevError> {
    let b = super::get_by_name(name).ok_or_else(|| BdevError::NotFound(name.into()))?;
    if super::bdev_ref(b).module != module() {
        return Err(BdevError::Invalid(format!("bdev '{name}' is not a null bdev")));
    }
    super::unregister(b, cb, cb_arg)
}

/// Changes the size of null bdev `name` to `new_size_mb` MiB (`bdev_null_resize`);
/// open descriptors get a RESIZE event; shrinking is refused while it is open.
pub fn resize(name: &str, new_size_mb: u64) -> Result<(), BdevError> {
    let b = super::get_by_name(name).ok_or_else(|| BdevError::NotFound(name.into()))?;
    let bd = super::bdev_ref(b);
    if bd.module != module() {
        return Err(BdevError::Invalid(format!("bdev '{name}' is not a null bdev")));
    }
    let bytes = new_size_mb.checked_mul(1 << 20).ok_or_else(|| BdevError::Invalid(format!("new_size {new_size_mb} MiB is too large")))?;
    let blocks = bytes / bd.blocklen as u64;
    if blocks == 0 {
        return Err(BdevError::Invalid(format!("new_size {new_size_mb} MiB holds no block")));
    }
    super::notify_blockcnt_change(b, blocks)
}
