//! Part bdevs for modules written against `bdev_module.h` (SPDK's
//! `lib/bdev/part.c`): a *part base* opens (and, with its first part,
//! claims) a base bdev; each *part* is a window of it registered as a bdev
//! whose I/O `spdk_bdev_part_submit_request` sends to the base at the
//! part's offset. The structs are the C module's (`struct spdk_bdev_part`
//! first in its own allocation, a C `TAILQ` of the module's parts); the
//! base is ours, opaque to C.
//!
//! Lifetime, as SPDK's: a module's `destruct` returns
//! `spdk_bdev_part_free(part)` (1, asynchronous); once the part's channels
//! are gone the part leaves its list, is freed (with `free`, names too), the
//! layer is told with `spdk_bdev_destruct_done`, and the last part of a
//! base releases the claim and frees the base. A REMOVE event of the base
//! calls the module's `remove_cb`, which usually removes the parts with
//! `spdk_bdev_part_base_hotremove`.

use super::io::{self, Request, SubmitError};
use super::{BdevError, Desc};
use crate::capi::bdev_types::*;
use crate::capi::thread::{spdk_io_channel, spdk_io_channel_create_cb, spdk_io_channel_destroy_cb};
use crate::thread::{self, io_channel as ioch};
use std::ffi::{c_char, c_int, c_void, CStr};

/// `struct spdk_bdev_part_base` (opaque to C).
pub struct PartBase {
    bdev: *mut spdk_bdev,
    desc: *mut Desc,
    refs: u32,
    channel_size: u32,
    free_fn: spdk_bdev_part_base_free_fn,
    ctx: *mut c_void,
    claimed: bool,
    module: *mut spdk_bdev_module,
    fn_table: *mut spdk_bdev_fn_table,
    tailq: *mut bdev_part_tailq,
    ch_create_cb: spdk_io_channel_create_cb,
    ch_destroy_cb: spdk_io_channel_destroy_cb,
    remove_cb: spdk_bdev_remove_cb_t,
    /// The thread that opened the base (its descriptor is closed there).
    thread_id: u64,
}

/// What `base_construct` needs from the module.
pub struct BaseSpec {
    pub remove_cb: spdk_bdev_remove_cb_t,
    pub module: *mut spdk_bdev_module,
    pub fn_table: *mut spdk_bdev_fn_table,
    pub tailq: *mut bdev_part_tailq,
    pub free_fn: spdk_bdev_part_base_free_fn,
    pub ctx: *mut c_void,
    pub channel_size: u32,
    pub ch_create_cb: spdk_io_channel_create_cb,
    pub ch_destroy_cb: spdk_io_channel_destroy_cb,
}

fn base<'a>(b: *mut PartBase) -> &'a mut PartBase {
    // SAFETY: a base from `base_construct`, live until `base_free`; used on the control path.
    unsafe { &mut *b }
}

pub fn base_bdev(b: *mut PartBase) -> *mut spdk_bdev {
    base(b).bdev
}
pub fn base_desc(b: *mut PartBase) -> *mut Desc {
    base(b).desc
}
pub fn base_tailq(b: *mut PartBase) -> *mut bdev_part_tailq {
    base(b).tailq
}
pub fn base_ctx(b: *mut PartBase) -> *mut c_void {
    base(b).ctx
}

extern "C" fn base_event(t: spdk_bdev_event_type, _b: *mut spdk_bdev, ctx: *mut c_void) {
    if t != spdk_bdev_event_type::SPDK_BDEV_EVENT_REMOVE {
        return;
    }
    if let Some(cb) = base(ctx as *mut PartBase).remove_cb {
        // SAFETY: the module's hot-remove callback with its base.
        unsafe { cb(ctx) };
    }
}

extern "C" fn part_io_type_supported(ctx: *mut c_void, t: spdk_bdev_io_type) -> bool {
    use spdk_bdev_io_type::*;
    // NVMe passthrough commands cannot be remapped: never through a part.
    if matches!(t, SPDK_BDEV_IO_TYPE_NVME_ADMIN | SPDK_BDEV_IO_TYPE_NVME_IO | SPDK_BDEV_IO_TYPE_NVME_IO_MD) {
        return false;
    }
    let p = ctx as *mut spdk_bdev_part;
    // SAFETY: ctxt of a part bdev is the part, whose base outlives it.
    super::io_type_supported(base(unsafe { (*p).internal.base } as *mut PartBase).bdev, t)
}

extern "C" fn part_get_io_channel(ctx: *mut c_void) -> *mut spdk_io_channel {
    ioch::get(ctx).map_or(std::ptr::null_mut(), |c| c.cast())
}

/// Opens `name` for a module's parts (`spdk_bdev_part_base_construct_ext`);
/// the module's function table gets the part `get_io_channel` and
/// `io_type_supported`. Needs an spdk_thread.
pub fn base_construct(name: &str, spec: BaseSpec) -> Result<*mut PartBase, BdevError> {
    if spec.fn_table.is_null() || spec.tailq.is_null() || spec.module.is_null() {
        return Err(BdevError::Invalid("a part base needs a module, a function table and a part list".into()));
    }
    let t = thread::current();
    if t.is_null() {
        return Err(BdevError::Invalid("spdk_bdev_part_base_construct_ext must be called on an spdk_thread".into()));
    }
    // SAFETY: the module's function table, which it hands over for its parts.
    unsafe {
        (*spec.fn_table).get_io_channel = Some(part_get_io_channel);
        (*spec.fn_table).io_type_supported = Some(part_io_type_supported);
    }
    let b = Box::into_raw(Box::new(PartBase {
        bdev: std::ptr::null_mut(),
        desc: std::ptr::null_mut(),
        refs: 0,
        channel_size: spec.channel_size.max(std::mem::size_of::<spdk_bdev_part_channel>() as u32),
        free_fn: spec.free_fn,
        ctx: spec.ctx,
        claimed: false,
        module: spec.module,
        fn_table: spec.fn_table,
        tailq: spec.tailq,
        ch_create_cb: spec.ch_create_cb,
        ch_destroy_cb: spec.ch_destroy_cb,
        remove_cb: spec.remove_cb,
        // SAFETY: the current thread is live.
        thread_id: unsafe { (*t).id() },
    }));
    match super::open(name, false, Some(base_event), b.cast()) {
        Ok(d) => {
            base(b).desc = d;
            base(b).bdev = super::bdev_ref_ptr(d);
            Ok(b)
        }
        Err(e @ BdevError::NotFound(_)) => {
            // SAFETY: never shared.
            drop(unsafe { Box::from_raw(b) });
            Err(e)
        }
        Err(e) => {
            base_free(b);
            Err(e)
        }
    }
}

extern "C" fn close_desc(arg: *mut c_void) {
    super::close(arg as *mut Desc);
}

/// Closes the base (on the thread that opened it), runs the module's
/// `free_fn` and frees it (`spdk_bdev_part_base_free`).
#[allow(clippy::not_unsafe_ptr_arg_deref)] // a base from `base_construct`, given up by its module
pub fn base_free(b: *mut PartBase) {
    // SAFETY: the caller gives the base up.
    let pb = unsafe { Box::from_raw(b) };
    if !pb.desc.is_null() {
        let here = thread::current();
        // SAFETY: the current thread (if any) is live.
        let same = !here.is_null() && unsafe { (*here).id() } == pb.thread_id;
        if same || thread::send_to_id(pb.thread_id, close_desc, pb.desc.cast()).is_err() {
            super::close(pb.desc);
        }
    }
    if let Some(f) = pb.free_fn {
        // SAFETY: the module's callback for its own context.
        unsafe { f(pb.ctx) };
    }
}

/// The module's parts of `tailq`, in list order.
fn parts_of(tailq: *mut bdev_part_tailq) -> Vec<*mut spdk_bdev_part> {
    let mut v = Vec::new();
    // SAFETY: the module's list head and the parts linked in it (control path).
    unsafe {
        let mut p = (*tailq).tqh_first;
        while !p.is_null() {
            v.push(p);
            p = (*p).tailq.tqe_next;
        }
    }
    v
}

fn tailq_insert_tail(head: *mut bdev_part_tailq, p: *mut spdk_bdev_part) {
    // SAFETY: a valid list head (initialised by the module) and a part not in any list.
    unsafe {
        (*p).tailq.tqe_next = std::ptr::null_mut();
        (*p).tailq.tqe_prev = (*head).tqh_last;
        *(*head).tqh_last = p;
        (*head).tqh_last = std::ptr::addr_of_mut!((*p).tailq.tqe_next);
    }
}

fn tailq_remove(head: *mut bdev_part_tailq, p: *mut spdk_bdev_part) {
    // SAFETY: `p` is linked in `head`'s list.
    unsafe {
        let next = (*p).tailq.tqe_next;
        if next.is_null() {
            (*head).tqh_last = (*p).tailq.tqe_prev;
        } else {
            (*next).tailq.tqe_prev = (*p).tailq.tqe_prev;
        }
        *(*p).tailq.tqe_prev = next;
    }
}

/// Unregisters every part of `tailq` made on base `b` (`spdk_bdev_part_base_hotremove`).
pub fn base_hotremove(b: *mut PartBase, tailq: *mut bdev_part_tailq) {
    // Collected first: an unregistration can free its part at once.
    for p in parts_of(tailq) {
        // SAFETY: a part of the list, live until its destruct.
        let (pb, bdev) = unsafe { ((*p).internal.base, std::ptr::addr_of_mut!((*p).internal.bdev)) };
        if pb as *mut PartBase == b && super::is_registered(bdev) {
            let _ = super::unregister(bdev, None, std::ptr::null_mut());
        }
    }
}

extern "C" fn ch_create(io_device: *mut c_void, ctx: *mut c_void) -> c_int {
    let p = io_device as *mut spdk_bdev_part;
    // SAFETY: the part outlives its io_device.
    let pb = base(unsafe { (*p).internal.base } as *mut PartBase);
    let Some(base_ch) = ioch::get(pb.bdev.cast()) else { return -libc::ENOMEM };
    // SAFETY: ctx is the channel's context of at least size_of::<spdk_bdev_part_channel>() bytes.
    unsafe { (ctx as *mut spdk_bdev_part_channel).write(spdk_bdev_part_channel { part: p, base_ch: base_ch.cast() }) };
    match pb.ch_create_cb {
        Some(f) => {
            // SAFETY: the module's channel constructor for its part.
            let rc = unsafe { f(io_device, ctx) };
            if rc != 0 {
                ioch::put(base_ch);
            }
            rc
        }
        None => 0,
    }
}

extern "C" fn ch_destroy(io_device: *mut c_void, ctx: *mut c_void) {
    let p = io_device as *mut spdk_bdev_part;
    // SAFETY: as in ch_create.
    let pb = base(unsafe { (*p).internal.base } as *mut PartBase);
    if let Some(f) = pb.ch_destroy_cb {
        // SAFETY: the module's channel destructor.
        unsafe { f(io_device, ctx) };
    }
    // SAFETY: written by ch_create.
    ioch::put(unsafe { (*(ctx as *mut spdk_bdev_part_channel)).base_ch }.cast());
}

/// A window of `num_blocks` of `base` takes its geometry and I/O limits.
pub(crate) fn inherit_geometry(dst: &mut spdk_bdev, base: &spdk_bdev, num_blocks: u64) {
    dst.blocklen = base.blocklen;
    dst.phys_blocklen = base.phys_blocklen;
    dst.blockcnt = num_blocks;
    dst.write_unit_size = base.write_unit_size;
    dst.required_alignment = base.required_alignment;
    dst.optimal_io_boundary = base.optimal_io_boundary;
    dst.max_rw_size = base.max_rw_size;
    dst.flags = (dst.flags & !SPDK_BDEV_FLAG_SPLIT_ON_OPTIMAL_IO_BOUNDARY) | (base.flags & SPDK_BDEV_FLAG_SPLIT_ON_OPTIMAL_IO_BOUNDARY);
}

fn c_strdup(s: *const c_char) -> *mut c_char {
    if s.is_null() {
        return std::ptr::null_mut();
    }
    // SAFETY: a C string of the caller.
    unsafe { libc::strdup(s) }
}

/// Fills and registers `part`: `num_blocks` of the base from `offset_blocks`
/// (`spdk_bdev_part_construct_ext`). The first part claims the base.
#[allow(clippy::not_unsafe_ptr_arg_deref)] // the module's part and strings, per the bdev_module.h contract
pub fn construct(
    part: *mut spdk_bdev_part,
    b: *mut PartBase,
    name: *const c_char,
    offset_blocks: u64,
    num_blocks: u64,
    product_name: *const c_char,
    uuid: Option<[u8; 16]>,
) -> Result<(), BdevError> {
    let pb = base(b);
    let bd = super::bdev_ref(pb.bdev);
    if name.is_null() || product_name.is_null() {
        return Err(BdevError::Invalid("a part needs a name and a product name".into()));
    }
    if num_blocks == 0 || offset_blocks.checked_add(num_blocks).map_or(true, |e| e > bd.blockcnt) {
        return Err(BdevError::Invalid(format!("part blocks {offset_blocks}+{num_blocks} are outside base '{}'", super::name_of(pb.bdev))));
    }
    // SAFETY: the caller's string.
    let sname = unsafe { CStr::from_ptr(name) }.to_string_lossy().into_owned();
    // SAFETY: the module's part, which it hands over; its bdev is filled here.
    let pbd = unsafe {
        let pbd = &mut (*part).internal.bdev;
        inherit_geometry(pbd, bd, num_blocks);
        pbd.write_cache = bd.write_cache;
        pbd.md_len = bd.md_len;
        pbd.ctxt = part.cast();
        pbd.module = pb.module;
        pbd.fn_table = pb.fn_table;
        if let Some(u) = uuid {
            pbd.uuid.u.raw = u;
        }
        (*part).internal.offset_blocks = offset_blocks;
        (*part).internal.base = b.cast();
        pbd.name = c_strdup(name);
        pbd.product_name = c_strdup(product_name);
        pbd as *mut spdk_bdev
    };
    let undo_names = || {
        // SAFETY: the names strdup'ed above.
        unsafe {
            libc::free((*pbd).name.cast());
            libc::free((*pbd).product_name.cast());
            (*pbd).name = std::ptr::null_mut();
            (*pbd).product_name = std::ptr::null_mut();
        }
    };
    // SAFETY: as above.
    if unsafe { (*pbd).name.is_null() || (*pbd).product_name.is_null() } {
        undo_names();
        return Err(BdevError::NoMemory);
    }
    if !pb.claimed {
        if let Err(e) = super::claim(pb.bdev, pb.module) {
            undo_names();
            return Err(e);
        }
        // The claim makes the module's descriptor a writer (as SPDK's claim does).
        // SAFETY: the base's open descriptor.
        unsafe { (*pb.desc).write = true };
        pb.claimed = true;
    }
    if let Err(e) = ioch::register(part.cast(), ch_create, ch_destroy, pb.channel_size, Some(&sname)) {
        undo_names();
        return Err(BdevError::Invalid(format!("part '{sname}': {e:?}")));
    }
    if let Err(e) = super::register(pbd) {
        let _ = ioch::unregister(part.cast(), None);
        undo_names();
        return Err(e);
    }
    pb.refs += 1;
    tailq_insert_tail(pb.tailq, part);
    Ok(())
}

extern "C" fn part_gone(io_device: *mut c_void) {
    let p = io_device as *mut spdk_bdev_part;
    // SAFETY: the part being freed; its base is live while it has parts.
    let b = unsafe { (*p).internal.base } as *mut PartBase;
    let pb = base(b);
    tailq_remove(pb.tailq, p);
    pb.refs -= 1;
    if pb.refs == 0 {
        if pb.claimed {
            super::release_claim(pb.bdev);
        }
        base_free(b);
    }
    // SAFETY: the part's bdev, destructed now; then the module's allocation goes, as in SPDK.
    unsafe {
        let bd = std::ptr::addr_of_mut!((*p).internal.bdev);
        super::destruct_done(bd, 0);
        libc::free((*bd).name.cast());
        libc::free((*bd).product_name.cast());
        libc::free(p.cast());
    }
}

/// Frees a part once its channels are gone (`spdk_bdev_part_free`, from the
/// module's `destruct`): returns 1, the destruction completes later.
pub fn free(part: *mut spdk_bdev_part) -> c_int {
    if ioch::unregister(part.cast(), Some(part_gone)).is_err() {
        part_gone(part.cast());
    }
    1
}

extern "C" fn part_complete(bio: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    io::free_io(bio);
    part_done(arg as *mut spdk_bdev_io, success);
}

/// A phase of a part's zero-copy I/O finished at the base (whose I/O is
/// kept from start to end).
extern "C" fn part_zcopy_complete(bio: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    super::zcopy::finish_forwarded(bio, success, arg as *mut spdk_bdev_io);
    part_done(arg as *mut spdk_bdev_io, success);
}

fn part_done(part_io: *mut spdk_bdev_io, success: bool) {
    // SAFETY: the part I/O, live until completed; its stored callback was set at submission.
    let user_cb = unsafe { (*part_io).internal.split.stored_user_cb };
    match user_cb {
        // SAFETY: the module's completion, which completes the part I/O itself.
        Some(cb) => unsafe { cb(part_io, success, std::ptr::null_mut()) },
        None => {
            let st = if success { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS } else { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED };
            io::complete(part_io, st as i32);
        }
    }
}

/// Sends a part I/O to the base at the part's offset
/// (`spdk_bdev_part_submit_request_ext`); `cb`, if given, is called with the
/// part I/O when the base finished and must complete it. Negative errno
/// when it could not be sent (`-ENOMEM`: retry later).
#[allow(clippy::not_unsafe_ptr_arg_deref)] // the module's part channel and the part I/O the layer handed it
pub fn submit_request(ch: *mut spdk_bdev_part_channel, bio: *mut spdk_bdev_io, cb: spdk_bdev_io_completion_cb) -> c_int {
    use spdk_bdev_io_type::*;
    // SAFETY: the module's part channel and the part I/O the layer handed it.
    let (part, base_ch, req) = unsafe {
        let c = &*ch;
        let io_ = &mut *bio;
        io_.internal.split.stored_user_cb = cb;
        let t = spdk_bdev_io_type::from_raw(io_.r#type as i32).unwrap_or(SPDK_BDEV_IO_TYPE_INVALID);
        let blk = &io_.u.bdev;
        let data = matches!(t, SPDK_BDEV_IO_TYPE_READ | SPDK_BDEV_IO_TYPE_WRITE);
        if t == SPDK_BDEV_IO_TYPE_ZCOPY {
            let c = &*ch;
            let desc = base((*c.part).internal.base as *mut PartBase).desc;
            let offset = blk.offset_blocks + (*c.part).internal.offset_blocks;
            return match super::zcopy::forward(bio, desc, c.base_ch, offset, Some(part_zcopy_complete)) {
                Ok(()) => 0,
                Err(e) => -e.errno(),
            };
        }
        if !matches!(t, SPDK_BDEV_IO_TYPE_READ | SPDK_BDEV_IO_TYPE_WRITE | SPDK_BDEV_IO_TYPE_WRITE_ZEROES | SPDK_BDEV_IO_TYPE_UNMAP | SPDK_BDEV_IO_TYPE_FLUSH | SPDK_BDEV_IO_TYPE_RESET) {
            return -libc::ENOTSUP;
        }
        let reset = t == SPDK_BDEV_IO_TYPE_RESET;
        let req = Request {
            io_type: t,
            iovs: if data { blk.iovs } else { std::ptr::null_mut() },
            iovcnt: if data { blk.iovcnt } else { 0 },
            buf: std::ptr::null_mut(),
            md_buf: if data { blk.md_buf } else { std::ptr::null_mut() },
            offset_blocks: if reset { 0 } else { blk.offset_blocks + (*c.part).internal.offset_blocks },
            num_blocks: if reset { 0 } else { blk.num_blocks },
            cb: Some(part_complete),
            cb_arg: bio.cast(),
        };
        (c.part, c.base_ch, req)
    };
    // SAFETY: the part's base is live while it has parts.
    let desc = base(unsafe { (*part).internal.base } as *mut PartBase).desc;
    match io::submit(desc, base_ch, req) {
        Ok(()) => 0,
        Err(SubmitError::NoMemory) => -libc::ENOMEM,
        Err(e) => -e.errno(),
    }
}
