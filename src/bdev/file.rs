//! What the file-backed bdevs (aio and uring) share: opening the file or
//! block device (O_DIRECT when it works), choosing the block size, the disk
//! structure, and the per-thread channel that hands reads, writes and flushes
//! to a kernel I/O engine, queues what the engine cannot take yet, reaps
//! completions from a poller, and drains for a reset.
//!
//! Each module brings its engine (an `Engine`): Linux AIO contexts or
//! io_uring rings. Unmap and write-zeroes, when a module allows them, are
//! done with fallocate(2) on the submitting thread.

use super::{io, BdevError};
use crate::capi::bdev_types::*;
use crate::capi::thread::spdk_io_channel;
use crate::thread::{io_channel as ioch, poller};
use std::collections::VecDeque;
use std::ffi::{c_int, c_void, CStr, CString};
use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};

/// `_IOR(0x12, 114, size_t)`: a block device's size in bytes.
const BLKGETSIZE64: libc::c_ulong = 0x8008_1272;

/// Requests one channel's engine holds at once; more wait in the channel's queue.
pub(crate) const QUEUE_DEPTH: u32 = 128;

/// The text of an OS error, without Rust's "(os error N)".
pub(crate) fn os_err(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// The block size to use: `requested` (0: detect) against the device's
/// logical block size `detected` (0: a regular file, where 512 is the default).
/// Returns the size and whether it was given rather than detected.
pub(crate) fn pick_block_size(requested: u32, detected: u32) -> Result<(u32, bool), String> {
    if requested == 0 {
        return Ok((if detected == 0 { 512 } else { detected }, false));
    }
    if requested < 512 || !requested.is_power_of_two() {
        return Err(format!("block_size {requested} is not a power of two of at least 512"));
    }
    if requested < detected {
        return Err(format!("block_size {requested} is smaller than the device's logical block size {detected}"));
    }
    Ok((requested, true))
}

/// A block device's (logical, physical) block sizes.
fn blockdev_sizes(f: &File) -> Result<(u32, u32), std::io::Error> {
    let (mut logical, mut physical): (c_int, u32) = (0, 0);
    // SAFETY: both ioctls write one integer of the given type through the pointer.
    unsafe {
        if libc::ioctl(f.as_raw_fd(), libc::BLKSSZGET, &mut logical as *mut c_int) != 0 {
            return Err(std::io::Error::last_os_error());
        }
        if libc::ioctl(f.as_raw_fd(), libc::BLKPBSZGET, &mut physical as *mut u32) != 0 {
            physical = 0;
        }
    }
    let logical = logical.max(0) as u32;
    Ok((logical, physical.max(logical)))
}

/// The size in bytes of a regular file or block device.
fn byte_size(f: &File, is_blockdev: bool) -> Result<u64, std::io::Error> {
    if !is_blockdev {
        return Ok(f.metadata()?.len());
    }
    let mut n: u64 = 0;
    // SAFETY: BLKGETSIZE64 writes one u64 through the pointer.
    if unsafe { libc::ioctl(f.as_raw_fd(), BLKGETSIZE64, &mut n as *mut u64) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(n)
}

fn open_file(filename: &str, readonly: bool, direct: bool) -> std::io::Result<File> {
    let mut o = std::fs::OpenOptions::new();
    o.read(true).write(!readonly);
    if direct {
        o.custom_flags(libc::O_DIRECT);
    }
    o.open(filename)
}

/// Whether direct reads of `bs` bytes at offset 0 work on this file (the
/// filesystem may want a larger alignment than the chosen block size).
fn direct_read_works(f: &File, bs: u32) -> bool {
    let Ok(layout) = std::alloc::Layout::from_size_align(bs as usize, bs as usize) else {
        return false;
    };
    // SAFETY: a non-zero layout (bs >= 512).
    let buf = unsafe { std::alloc::alloc(layout) };
    if buf.is_null() {
        return false;
    }
    // SAFETY: buf holds bs bytes; the fd is open.
    let rc = unsafe { libc::pread(f.as_raw_fd(), buf.cast(), bs as usize, 0) };
    // SAFETY: allocated above with this layout.
    unsafe { std::alloc::dealloc(buf, layout) };
    rc >= 0
}

fn fallocate(f: &File, mode: c_int, offset: u64, len: u64) -> Result<(), i32> {
    // SAFETY: fallocate on an open fd; no memory is passed.
    let rc = unsafe { libc::fallocate(f.as_raw_fd(), mode, offset as libc::off_t, len as libc::off_t) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO))
    }
}

/// The opened backing file and what was learnt about it.
pub(crate) struct Backing {
    pub file: File,
    pub direct: bool,
    pub is_blockdev: bool,
    pub block_size: u32,
    pub phys_block_size: u32,
    pub block_size_override: bool,
    pub size: u64,
    /// fallocate(PUNCH_HOLE) works here.
    pub punch_hole: bool,
}

/// Opens `filename` for a bdev with `block_size` (0: detect).
pub(crate) fn open_backing(filename: &str, block_size: u32, readonly: bool) -> Result<Backing, BdevError> {
    let inval = |what: String| BdevError::Invalid(format!("filename {filename}: {what}"));
    if filename.is_empty() {
        return Err(BdevError::Invalid("filename must not be empty".into()));
    }
    let (mut file, mut direct) = match open_file(filename, readonly, true) {
        Ok(f) => (f, true),
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => (open_file(filename, readonly, false).map_err(|e| inval(os_err(&e)))?, false),
        Err(e) => return Err(inval(os_err(&e))),
    };
    let ft = file.metadata().map_err(|e| inval(os_err(&e)))?.file_type();
    let is_blockdev = ft.is_block_device();
    if !is_blockdev && !ft.is_file() {
        return Err(inval("not a regular file or a block device".into()));
    }
    let (detected, phys) = if is_blockdev { blockdev_sizes(&file).map_err(|e| inval(os_err(&e)))? } else { (0, 0) };
    let (bs, block_size_override) = pick_block_size(block_size, detected).map_err(BdevError::Invalid)?;
    let size = byte_size(&file, is_blockdev).map_err(|e| inval(os_err(&e)))?;
    if size < bs as u64 {
        return Err(inval(format!("size {size} bytes is less than one block of {bs}")));
    }
    if direct && !is_blockdev && !direct_read_works(&file, bs) {
        file = open_file(filename, readonly, false).map_err(|e| inval(os_err(&e)))?;
        direct = false;
    }
    if !direct {
        crate::log::notice(format_args!("{filename}: O_DIRECT is not possible here with {bs}-byte blocks; using buffered I/O\n"));
    }
    // Probe hole punching past the end of the file: no data is touched.
    let punch_hole = !readonly && (is_blockdev || fallocate(&file, libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE, size, bs as u64).is_ok());
    Ok(Backing { file, direct, is_blockdev, block_size: bs, phys_block_size: phys.max(bs), block_size_override, size, punch_hole })
}

/// What differs between the modules built on this file.
pub(crate) struct Kind {
    pub product_name: &'static CStr,
    /// Unmap and write-zeroes through fallocate may be offered.
    pub fallocate_ok: bool,
}

/// One file-backed disk: SPDK's bdev structure first, then ours.
#[repr(C)]
pub(crate) struct FileDisk {
    pub bdev: spdk_bdev,
    /// Its address is the disk's io_device (distinct from the bdev's, which the layer uses).
    io_dev: u8,
    name: CString,
    pub filename: String,
    pub backing: Backing,
    pub readonly: bool,
    /// fallocate was asked for (unmap and write-zeroes offered when it also works).
    pub fallocate: bool,
    kind: &'static Kind,
}

impl FileDisk {
    fn io_device(&self) -> *mut c_void {
        &self.io_dev as *const u8 as *mut c_void
    }
    fn fallocate_on(&self) -> bool {
        self.kind.fallocate_ok && self.fallocate && self.backing.punch_hole && !self.readonly
    }
}

pub(crate) fn disk_of<'a>(ctx: *mut c_void) -> &'a FileDisk {
    // SAFETY: ctx is a bdev's `ctxt`: its FileDisk, alive until destructed.
    unsafe { &*(ctx as *const FileDisk) }
}

/// The disk behind `b` if `module` registered it.
pub(crate) fn disk_if<'a>(b: *mut spdk_bdev, module: *mut spdk_bdev_module) -> Option<&'a FileDisk> {
    if b.is_null() {
        return None;
    }
    let bd = super::bdev_ref(b);
    (bd.module == module).then(|| disk_of(bd.ctxt))
}

fn find<'a>(module: *mut spdk_bdev_module, name: &str) -> Result<(*mut spdk_bdev, &'a FileDisk), BdevError> {
    let b = super::get_by_name(name).ok_or_else(|| BdevError::NotFound(name.into()))?;
    let d = disk_if(b, module).ok_or_else(|| {
        // SAFETY: module names are static C strings.
        let m = unsafe { CStr::from_ptr((*module).name) }.to_string_lossy();
        BdevError::Invalid(format!("bdev '{name}' is not an {m} bdev"))
    })?;
    Ok((b, d))
}

/// A module descriptor named `name` with `ctx_size` bytes of per-I/O context.
pub(crate) fn new_module(name: &'static CStr, ctx_size: Option<unsafe extern "C" fn() -> c_int>) -> *mut spdk_bdev_module {
    // SAFETY: all-zero is valid for the module struct.
    let mut m: spdk_bdev_module = unsafe { std::mem::zeroed() };
    m.name = name.as_ptr();
    m.get_ctx_size = ctx_size;
    let p = Box::into_raw(Box::new(m));
    super::module_add(p);
    p
}

/// The parameters of a create method.
pub struct Opts<'a> {
    pub name: &'a str,
    pub filename: &'a str,
    pub block_size: u32,
    pub readonly: bool,
    pub fallocate: bool,
    pub uuid: Option<[u8; 16]>,
}

/// Opens the file and registers a bdev on it with engine `E`.
pub(crate) fn create<E: Engine>(module: *mut spdk_bdev_module, table: &'static spdk_bdev_fn_table, kind: &'static Kind, o: &Opts) -> Result<*mut spdk_bdev, BdevError> {
    if o.name.is_empty() {
        return Err(BdevError::Invalid("name must not be empty".into()));
    }
    let cname = CString::new(o.name).map_err(|_| BdevError::Invalid("name contains NUL".into()))?;
    if super::get_by_name(o.name).is_some() {
        return Err(BdevError::Exists(o.name.into()));
    }
    let backing = open_backing(o.filename, o.block_size, o.readonly)?;
    // SAFETY: all-zero is valid for spdk_bdev.
    let mut bdev: spdk_bdev = unsafe { std::mem::zeroed() };
    bdev.blocklen = backing.block_size;
    bdev.phys_blocklen = backing.phys_block_size;
    bdev.blockcnt = backing.size / backing.block_size as u64;
    bdev.write_cache = 1;
    bdev.product_name = kind.product_name.as_ptr() as *mut _;
    bdev.fn_table = table;
    bdev.module = module;
    if backing.direct {
        // Direct I/O needs buffers aligned to the block size.
        bdev.required_alignment = backing.block_size.trailing_zeros() as u8;
    }
    if let Some(u) = o.uuid {
        bdev.uuid.u.raw = u;
    }
    let disk = Box::into_raw(Box::new(FileDisk {
        bdev,
        io_dev: 0,
        name: cname,
        filename: o.filename.to_string(),
        backing,
        readonly: o.readonly,
        fallocate: o.fallocate,
        kind,
    }));
    // SAFETY: just created; the name and context point into the same allocation.
    let (b, dev) = unsafe {
        (*disk).bdev.name = (*disk).name.as_ptr() as *mut _;
        (*disk).bdev.ctxt = disk.cast();
        (std::ptr::addr_of_mut!((*disk).bdev), (*disk).io_device())
    };
    let size = std::mem::size_of::<FileChannel<E>>() as u32;
    if let Err(e) = ioch::register(dev, ch_create::<E>, ch_destroy::<E>, size, Some(o.name)) {
        // SAFETY: not registered anywhere: still ours.
        drop(unsafe { Box::from_raw(disk) });
        return Err(BdevError::Invalid(format!("io_device: {e:?}")));
    }
    if let Err(e) = super::register(b) {
        let _ = ioch::unregister(dev, None);
        // SAFETY: the bdev was not registered; its io_device has no channel.
        drop(unsafe { Box::from_raw(disk) });
        return Err(e);
    }
    Ok(b)
}

/// Which module a bdev belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Flavor {
    Aio,
    Uring,
}

impl Flavor {
    fn module(self) -> *mut spdk_bdev_module {
        match self {
            Flavor::Aio => super::aio::module(),
            Flavor::Uring => super::uring::module(),
        }
    }
}

/// `bdev_aio_delete` / `bdev_uring_delete`: `cb(rc)` runs when the bdev is gone.
pub fn delete(flavor: Flavor, name: &str, cb: spdk_bdev_unregister_cb, cb_arg: *mut c_void) -> Result<(), BdevError> {
    let (b, _) = find(flavor.module(), name)?;
    super::unregister(b, cb, cb_arg)
}

/// `bdev_aio_rescan` / `bdev_uring_rescan`: re-reads the size of the file or
/// device; a change is announced to open descriptors.
pub fn rescan(flavor: Flavor, name: &str) -> Result<(), BdevError> {
    let (b, d) = find(flavor.module(), name)?;
    let size = byte_size(&d.backing.file, d.backing.is_blockdev).map_err(|e| BdevError::Invalid(format!("filename {}: {}", d.filename, os_err(&e))))?;
    let blocks = size / d.bdev.blocklen as u64;
    if blocks == d.bdev.blockcnt {
        return Ok(());
    }
    if blocks == 0 {
        return Err(BdevError::Invalid(format!("filename {}: size {size} bytes is less than one block", d.filename)));
    }
    let old = d.bdev.blockcnt;
    super::notify_blockcnt_change(b, blocks)?;
    crate::log::notice(format_args!("bdev {name}: {old} blocks -> {blocks} blocks\n"));
    Ok(())
}

/// The `uuid` of a bdev as SPDK prints it.
pub(crate) fn uuid_of(d: &FileDisk) -> String {
    // SAFETY: every bit pattern of the 16 bytes is valid.
    crate::util::uuid::fmt_lower(unsafe { &d.bdev.uuid.u.raw })
}

/// The disk whose io_device is `dev`.
fn disk_of_dev(dev: *mut c_void) -> *mut FileDisk {
    // SAFETY: our io_devices are the `io_dev` field of a FileDisk leaked by `create`,
    // which lives until `free_disk`.
    unsafe { (dev as *mut u8).sub(std::mem::offset_of!(FileDisk, io_dev)) as *mut FileDisk }
}

pub(crate) extern "C" fn destruct(ctx: *mut c_void) -> c_int {
    extern "C" fn free_disk(dev: *mut c_void) {
        // SAFETY: the last use of the disk: its bdev is destructed and its channels are gone.
        drop(unsafe { Box::from_raw(disk_of_dev(dev)) });
    }
    let dev = disk_of(ctx).io_device();
    if ioch::unregister(dev, Some(free_disk)).is_err() {
        free_disk(dev);
    }
    0
}

pub(crate) extern "C" fn get_io_channel(ctx: *mut c_void) -> *mut spdk_io_channel {
    ioch::get(disk_of(ctx).io_device()).map_or(std::ptr::null_mut(), |c| c.cast())
}

pub(crate) extern "C" fn io_type_supported(ctx: *mut c_void, t: spdk_bdev_io_type) -> bool {
    use spdk_bdev_io_type::*;
    let d = disk_of(ctx);
    match t {
        SPDK_BDEV_IO_TYPE_READ | SPDK_BDEV_IO_TYPE_FLUSH | SPDK_BDEV_IO_TYPE_RESET => true,
        SPDK_BDEV_IO_TYPE_WRITE => !d.readonly,
        SPDK_BDEV_IO_TYPE_UNMAP | SPDK_BDEV_IO_TYPE_WRITE_ZEROES => d.fallocate_on(),
        _ => false,
    }
}

/// What an engine is asked to do.
pub(crate) enum Op {
    Read { iovs: *const libc::iovec, iovcnt: c_int, offset: u64 },
    Write { iovs: *const libc::iovec, iovcnt: c_int, offset: u64 },
    Flush,
}

/// What became of a request handed to an engine.
pub(crate) enum Start {
    /// Taken: its completion will come from `reap`.
    Taken,
    /// No room now: try again later.
    Full,
    /// Finished already with this result (bytes or 0, or -errno).
    Done(i64),
}

/// A kernel I/O interface, one per channel (thread) and disk.
pub(crate) trait Engine: Sized {
    const POLLER_NAME: &'static str;
    fn new(fd: c_int, depth: u32) -> Result<Self, i32>;
    fn start(&mut self, io: *mut spdk_bdev_io, op: Op) -> Start;
    /// Pushes what `start` took to the kernel, if the engine batches.
    fn submit(&mut self) {}
    /// Appends finished requests with their results (bytes, or -errno).
    fn reap(&mut self, done: &mut Vec<(*mut spdk_bdev_io, i64)>);
}

/// One disk's channel on one thread.
pub(crate) struct FileChannel<E> {
    engine: E,
    poller: *mut poller::Poller,
    /// Requests the engine holds.
    inflight: u32,
    /// Requests waiting for room in the engine, oldest first.
    waiting: VecDeque<*mut spdk_bdev_io>,
    /// Reset walks waiting for this channel to drain.
    drains: Vec<*mut ioch::ChannelIter>,
    done: Vec<(*mut spdk_bdev_io, i64)>,
}

extern "C" fn ch_create<E: Engine>(dev: *mut c_void, ctx: *mut c_void) -> c_int {
    // SAFETY: the disk outlives its channels.
    let fd = unsafe { (*disk_of_dev(dev)).backing.file.as_raw_fd() };
    let engine = match E::new(fd, QUEUE_DEPTH) {
        Ok(e) => e,
        Err(e) => {
            crate::log::error(format_args!("{}: cannot set up the I/O engine: {}\n", E::POLLER_NAME, os_err(&std::io::Error::from_raw_os_error(e))));
            return -e;
        }
    };
    let c = ctx as *mut FileChannel<E>;
    // SAFETY: ctx is this channel's context of size_of::<FileChannel<E>>() bytes.
    unsafe {
        c.write(FileChannel { engine, poller: std::ptr::null_mut(), inflight: 0, waiting: VecDeque::new(), drains: Vec::new(), done: Vec::new() });
    }
    match poller::register(poll::<E>, c.cast(), 0, Some(E::POLLER_NAME)) {
        // SAFETY: just written.
        Some(p) => unsafe { (*c).poller = p },
        None => {
            // SAFETY: written above; dropped once.
            drop(unsafe { std::ptr::read(c) });
            return -libc::ENOMEM;
        }
    }
    0
}

extern "C" fn ch_destroy<E: Engine>(_dev: *mut c_void, ctx: *mut c_void) {
    // SAFETY: written by ch_create; dropped once here (the engine closes with it).
    let c = unsafe { std::ptr::read(ctx as *mut FileChannel<E>) };
    poller::unregister(c.poller);
}

fn module_chan<E>(ch: *mut spdk_io_channel) -> *mut FileChannel<E> {
    ioch::ctx(ch.cast()) as *mut FileChannel<E>
}

fn block_args(bio: &spdk_bdev_io) -> (*const libc::iovec, c_int, u64, u64) {
    let bl = super::bdev_ref(bio.bdev).blocklen as u64;
    // SAFETY: block I/O parameters are set for every I/O the layer submits.
    unsafe { (bio.u.bdev.iovs, bio.u.bdev.iovcnt, bio.u.bdev.offset_blocks * bl, bio.u.bdev.num_blocks * bl) }
}

/// Hands `io` to the engine; false when it has no room (the caller keeps it).
fn try_start<E: Engine>(c: *mut FileChannel<E>, io: *mut spdk_bdev_io) -> bool {
    // SAFETY: the channel's context, on its own thread; no other reference is live.
    let ch = unsafe { &mut *c };
    if ch.inflight >= QUEUE_DEPTH {
        return false;
    }
    // SAFETY: a live I/O of this channel.
    let bio = unsafe { &*io };
    let (iovs, iovcnt, offset, _) = block_args(bio);
    let op = match bio.r#type {
        t if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ as u8 => Op::Read { iovs, iovcnt, offset },
        t if t == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE as u8 => Op::Write { iovs, iovcnt, offset },
        _ => Op::Flush,
    };
    match ch.engine.start(io, op) {
        Start::Taken => {
            ch.inflight += 1;
            true
        }
        Start::Full => false,
        Start::Done(res) => {
            finish(io, res);
            true
        }
    }
}

/// Completes `io` from its result: reads and writes must move every byte.
fn finish(io: *mut spdk_bdev_io, res: i64) {
    // SAFETY: a live I/O of this channel.
    let bio = unsafe { &*io };
    let (_, _, _, len) = block_args(bio);
    let moves_data = bio.r#type == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ as u8 || bio.r#type == spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE as u8;
    let ok = if moves_data { res == len as i64 } else { res >= 0 };
    let status = if ok { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS } else { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED };
    io::complete(io, status as i32);
}

extern "C" fn poll<E: Engine>(arg: *mut c_void) -> c_int {
    let c = arg as *mut FileChannel<E>;
    // SAFETY: the poller's channel context, polled on its own thread while it lives.
    let ch = unsafe { &mut *c };
    if ch.inflight == 0 && ch.waiting.is_empty() && ch.drains.is_empty() {
        return 0;
    }
    ch.engine.submit();
    let mut done = std::mem::take(&mut ch.done);
    ch.engine.reap(&mut done);
    ch.inflight -= done.len() as u32;
    let busy = !done.is_empty();
    // Completion callbacks may submit more on this channel: no borrow is held here.
    for &(io, res) in &done {
        finish(io, res);
    }
    done.clear();
    // SAFETY: as above; the callbacks have returned.
    let ch = unsafe { &mut *c };
    ch.done = done;
    while let Some(&io) = ch.waiting.front() {
        if !try_start(c, io) {
            break;
        }
        // SAFETY: as above.
        unsafe { (*c).waiting.pop_front() };
    }
    // SAFETY: as above.
    let ch = unsafe { &mut *c };
    ch.engine.submit();
    if ch.inflight == 0 && ch.waiting.is_empty() {
        for it in std::mem::take(&mut ch.drains) {
            ioch::continue_iter(it, 0);
        }
    }
    busy as c_int
}

extern "C" fn drain_visit<E: Engine>(i: *mut ioch::ChannelIter) {
    // SAFETY: the walk hands us a live iterator on the channel's own thread.
    let c = module_chan::<E>(unsafe { (*i).channel() }.cast());
    // SAFETY: the channel's context on its own thread.
    let ch = unsafe { &mut *c };
    if ch.inflight == 0 && ch.waiting.is_empty() {
        ioch::continue_iter(i, 0);
    } else {
        ch.drains.push(i);
    }
}

extern "C" fn drain_done(i: *mut ioch::ChannelIter, status: c_int) {
    // SAFETY: the walk's context is the reset I/O, alive until completed.
    let io = unsafe { (*i).ctx() } as *mut spdk_bdev_io;
    let st = if status == 0 { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_SUCCESS } else { spdk_bdev_io_status::SPDK_BDEV_IO_STATUS_FAILED };
    io::complete(io, st as i32);
}

/// Zeroes a range with fallocate: ZERO_RANGE where the filesystem has it, else a hole.
fn zero_range(d: &FileDisk, offset: u64, len: u64, unmap: bool) -> i64 {
    let f = &d.backing.file;
    let hole = libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE;
    let r = if unmap {
        fallocate(f, hole, offset, len)
    } else {
        match fallocate(f, libc::FALLOC_FL_ZERO_RANGE | libc::FALLOC_FL_KEEP_SIZE, offset, len) {
            Err(libc::EOPNOTSUPP) => fallocate(f, hole, offset, len),
            r => r,
        }
    };
    r.map_or_else(|e| -(e as i64), |_| 0)
}

pub(crate) extern "C" fn submit_request<E: Engine>(ch: *mut spdk_io_channel, io: *mut spdk_bdev_io) {
    use spdk_bdev_io_type::*;
    let c = module_chan::<E>(ch);
    // SAFETY: the layer hands us a live I/O of one of our bdevs.
    let bio = unsafe { &*io };
    let d = disk_of(super::bdev_ref(bio.bdev).ctxt);
    match spdk_bdev_io_type::from_raw(bio.r#type as i32) {
        Some(SPDK_BDEV_IO_TYPE_READ | SPDK_BDEV_IO_TYPE_WRITE | SPDK_BDEV_IO_TYPE_FLUSH) => {
            // SAFETY: the channel's context on its own thread.
            if !unsafe { (*c).waiting.is_empty() } || !try_start(c, io) {
                // SAFETY: as above.
                unsafe { (*c).waiting.push_back(io) };
            }
        }
        Some(t @ (SPDK_BDEV_IO_TYPE_UNMAP | SPDK_BDEV_IO_TYPE_WRITE_ZEROES)) if d.fallocate_on() => {
            let (_, _, offset, len) = block_args(bio);
            finish(io, zero_range(d, offset, len, t == SPDK_BDEV_IO_TYPE_UNMAP));
        }
        Some(SPDK_BDEV_IO_TYPE_RESET) => {
            if ioch::for_each(d.io_device(), drain_visit::<E>, io.cast(), Some(drain_done)).is_err() {
                finish(io, -(libc::ENODEV as i64));
            }
        }
        _ => finish(io, -(libc::ENOTSUP as i64)),
    }
}

/// `driver_specific` for a file disk: `{key: {...}}`.
pub(crate) fn info(key: &str, d: &FileDisk, with_flags: bool) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("filename".into(), d.filename.clone().into());
    if with_flags {
        m.insert("block_size_override".into(), d.backing.block_size_override.into());
        m.insert("readonly".into(), d.readonly.into());
        m.insert("fallocate".into(), d.fallocate.into());
    }
    serde_json::json!({ key: m })
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
