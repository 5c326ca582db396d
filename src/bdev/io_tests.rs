//! The I/O path's extended features, on a test module whose limits and
//! supported types each test sets: metadata and ext options, compare and
//! compare-and-write emulation, NVMe passthru and status, buffers and
//! bounce buffers, splitting, reset freezing.

use super::io::{self, Extra, Request, SubmitError};
use super::*;
use crate::capi::thread::spdk_io_channel;
use crate::thread::{self, Thread};
use spdk_bdev_io_status::*;
use spdk_bdev_io_type::*;
use std::cell::{Cell, RefCell};

/// What the test module saw of one I/O.
#[derive(Clone, Debug, PartialEq)]
struct Seen {
    t: u8,
    offset: u64,
    num: u64,
    /// Segment lengths, and whether every segment start was 512-aligned.
    segs: Vec<usize>,
    aligned: bool,
}

#[repr(C)]
struct TestDisk {
    bdev: spdk_bdev,
    name: std::ffi::CString,
    data: Vec<u8>,
    md: Vec<u8>,
    types: u32,
    log: Vec<Seen>,
    /// Hold reads and writes instead of completing them.
    hold: bool,
    held: Vec<*mut spdk_bdev_io>,
    resets: u32,
    /// Write zeroes through a buffer from `spdk_bdev_io_get_buf`.
    zeroes_via_buf: bool,
    /// Refuse writes for lack of memory (the layer retries them).
    nomem: bool,
    nvme_reply: (u32, i32, i32),
    opcodes: Vec<u8>,
    /// Passthru payloads seen: (iovcnt, nbytes, md_len).
    payloads: Vec<(c_int, usize, usize)>,
}

static TEST_FN: spdk_bdev_fn_table = super::fn_table(t_destruct, t_submit, t_supported, t_channel);
static TEST_DEVICE: u8 = 0;

extern "C" fn t_ch_create(_d: *mut c_void, _ctx: *mut c_void) -> c_int {
    0
}
extern "C" fn t_ch_destroy(_d: *mut c_void, _ctx: *mut c_void) {}

fn test_module() -> *mut spdk_bdev_module {
    static M: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| {
        // SAFETY: all-zero is valid for the module struct.
        let mut m: spdk_bdev_module = unsafe { std::mem::zeroed() };
        m.name = c"io_test".as_ptr();
        let p = Box::into_raw(Box::new(m));
        super::module_add(p);
        let _ = ioch::register(&TEST_DEVICE as *const u8 as *mut c_void, t_ch_create, t_ch_destroy, 0, Some("bdev_io_test"));
        p as usize
    });
    *M as *mut spdk_bdev_module
}

extern "C" fn t_channel(_ctx: *mut c_void) -> *mut spdk_io_channel {
    ioch::get(&TEST_DEVICE as *const u8 as *mut c_void).map_or(std::ptr::null_mut(), |c| c.cast())
}

extern "C" fn t_supported(ctx: *mut c_void, t: spdk_bdev_io_type) -> bool {
    // SAFETY: the TestDisk of this bdev.
    unsafe { (*(ctx as *mut TestDisk)).types & (1 << t as u32) != 0 }
}

extern "C" fn t_destruct(ctx: *mut c_void) -> c_int {
    // SAFETY: the TestDisk leaked by `disk`, destructed once.
    drop(unsafe { Box::from_raw(ctx as *mut TestDisk) });
    0
}

fn segs(iovs: *mut libc::iovec, n: c_int) -> &'static [libc::iovec] {
    if iovs.is_null() || n <= 0 {
        return &[];
    }
    // SAFETY: the I/O's iovecs.
    unsafe { std::slice::from_raw_parts(iovs, n as usize) }
}

/// Copies between the disk at `off` and iovecs; false on a compare mismatch.
fn xfer(d: &mut TestDisk, v: &[libc::iovec], off: usize, mode: u8) -> bool {
    let mut at = off;
    for s in v {
        // SAFETY: the I/O's segment of iov_len bytes.
        let seg = unsafe { std::slice::from_raw_parts_mut(s.iov_base as *mut u8, s.iov_len) };
        let disk = &mut d.data[at..at + s.iov_len];
        match mode {
            0 => seg.copy_from_slice(disk),
            1 => disk.copy_from_slice(seg),
            _ => {
                if disk != seg {
                    return false;
                }
            }
        }
        at += s.iov_len;
    }
    true
}

unsafe extern "C" fn t_submit(_ch: *mut spdk_io_channel, io: *mut spdk_bdev_io) {
    // SAFETY: a live I/O of a TestDisk bdev.
    let bio = unsafe { &mut *io };
    // SAFETY: its context.
    let d = unsafe { &mut *(bdev_ref(bio.bdev).ctxt as *mut TestDisk) };
    let bl = d.bdev.blocklen as usize;
    let t = bio.r#type;
    if matches!(io::io_type(io), SPDK_BDEV_IO_TYPE_NVME_ADMIN | SPDK_BDEV_IO_TYPE_NVME_IO | SPDK_BDEV_IO_TYPE_NVME_IO_MD) {
        // SAFETY: passthru parameters.
        d.opcodes.push(unsafe { bio.u.nvme_passthru.cmd.opc() });
        // SAFETY: as above.
        let p = unsafe { bio.u.nvme_passthru };
        d.payloads.push((p.iovcnt, p.nbytes, p.md_len));
        let (cdw0, sct, sc) = d.nvme_reply;
        io::complete_nvme_status(io, cdw0, sct, sc);
        return;
    }
    if io::io_type(io) == SPDK_BDEV_IO_TYPE_RESET {
        d.resets += 1;
        io::complete(io, SPDK_BDEV_IO_STATUS_SUCCESS as i32);
        return;
    }
    // SAFETY: block parameters.
    let (iovs, n, off, num, md) = unsafe { (bio.u.bdev.iovs, bio.u.bdev.iovcnt, bio.u.bdev.offset_blocks, bio.u.bdev.num_blocks, bio.u.bdev.md_buf) };
    let v = segs(iovs, n);
    d.log.push(Seen { t, offset: off, num, segs: v.iter().map(|s| s.iov_len).collect(), aligned: v.iter().all(|s| s.iov_base as usize % 512 == 0) });
    if d.nomem && io::io_type(io) == SPDK_BDEV_IO_TYPE_WRITE {
        io::complete(io, SPDK_BDEV_IO_STATUS_NOMEM as i32);
        return;
    }
    if d.hold && matches!(io::io_type(io), SPDK_BDEV_IO_TYPE_READ | SPDK_BDEV_IO_TYPE_WRITE) {
        d.held.push(io);
        return;
    }
    let o = off as usize * bl;
    let ml = d.bdev.md_len as usize;
    let ok = match io::io_type(io) {
        SPDK_BDEV_IO_TYPE_READ => {
            if !md.is_null() {
                // SAFETY: the caller's metadata buffer of num * md_len bytes.
                unsafe { std::ptr::copy_nonoverlapping(d.md.as_ptr().add(off as usize * ml), md as *mut u8, num as usize * ml) };
            }
            xfer(d, v, o, 0)
        }
        SPDK_BDEV_IO_TYPE_WRITE => {
            if !md.is_null() {
                // SAFETY: as above.
                unsafe { std::ptr::copy_nonoverlapping(md as *const u8, d.md.as_mut_ptr().add(off as usize * ml), num as usize * ml) };
            }
            xfer(d, v, o, 1)
        }
        SPDK_BDEV_IO_TYPE_COMPARE => xfer(d, v, o, 2),
        SPDK_BDEV_IO_TYPE_WRITE_ZEROES if d.zeroes_via_buf => {
            io::get_buf(io, Some(zeroes_with_buf), num * bl as u64);
            return;
        }
        SPDK_BDEV_IO_TYPE_UNMAP | SPDK_BDEV_IO_TYPE_WRITE_ZEROES => {
            d.data[o..o + num as usize * bl].fill(0);
            true
        }
        _ => false,
    };
    let st = match (io::io_type(io), ok) {
        (_, true) => SPDK_BDEV_IO_STATUS_SUCCESS,
        (SPDK_BDEV_IO_TYPE_COMPARE, false) => SPDK_BDEV_IO_STATUS_MISCOMPARE,
        _ => SPDK_BDEV_IO_STATUS_FAILED,
    };
    io::complete(io, st as i32);
}

unsafe extern "C" fn zeroes_with_buf(_ch: *mut spdk_io_channel, io: *mut spdk_bdev_io, ok: bool) {
    // SAFETY: the write-zeroes I/O the module asked a buffer for, now with one.
    let (v, off, num) = unsafe { (*(*io).u.bdev.iovs, (*io).u.bdev.offset_blocks as usize, (*io).u.bdev.num_blocks as usize) };
    // SAFETY: its context.
    let d = unsafe { &mut *(bdev_ref((*io).bdev).ctxt as *mut TestDisk) };
    if !ok || v.iov_len != num * 512 {
        io::complete(io, SPDK_BDEV_IO_STATUS_FAILED as i32);
        return;
    }
    // SAFETY: the layer's buffer of iov_len bytes.
    let buf = unsafe { std::slice::from_raw_parts_mut(v.iov_base as *mut u8, v.iov_len) };
    buf.fill(0);
    d.data[off * 512..(off + num) * 512].copy_from_slice(buf);
    io::complete(io, SPDK_BDEV_IO_STATUS_SUCCESS as i32);
}

/// Completes what the module holds (reads and writes, done for real).
fn release_held(b: *mut spdk_bdev) {
    let d = disk_of(b);
    d.hold = false;
    for io in std::mem::take(&mut d.held) {
        d.log.pop();
        // SAFETY: a held I/O, resubmitted to the module as if it had just arrived.
        unsafe { t_submit(std::ptr::null_mut(), io) };
    }
}

fn disk_of<'a>(b: *mut spdk_bdev) -> &'a mut TestDisk {
    // SAFETY: a TestDisk bdev; the test's thread is its only user.
    unsafe { &mut *(bdev_ref(b).ctxt as *mut TestDisk) }
}

fn disk(name: &str, blocks: u64, types: &[spdk_bdev_io_type], setup: impl FnOnce(&mut spdk_bdev)) -> *mut spdk_bdev {
    // SAFETY: all-zero is valid for spdk_bdev.
    let mut bdev: spdk_bdev = unsafe { std::mem::zeroed() };
    bdev.blocklen = 512;
    bdev.blockcnt = blocks;
    bdev.fn_table = &TEST_FN;
    bdev.module = test_module();
    bdev.product_name = c"io test disk".as_ptr() as *mut _;
    setup(&mut bdev);
    let md = vec![0u8; blocks as usize * bdev.md_len as usize];
    let d = Box::into_raw(Box::new(TestDisk {
        bdev,
        name: std::ffi::CString::new(name).unwrap(),
        data: vec![0; blocks as usize * 512],
        md,
        types: types.iter().fold(0, |m, &t| m | 1 << t as u32),
        log: Vec::new(),
        hold: false,
        held: Vec::new(),
        resets: 0,
        zeroes_via_buf: false,
        nomem: false,
        nvme_reply: (0, 0, 0),
        opcodes: Vec::new(),
        payloads: Vec::new(),
    }));
    // SAFETY: just created.
    unsafe {
        (*d).bdev.name = (*d).name.as_ptr() as *mut _;
        (*d).bdev.ctxt = d.cast();
        let b = std::ptr::addr_of_mut!((*d).bdev);
        register(b).unwrap();
        b
    }
}

/// One test's thread, bdev, descriptor and channel.
struct Env {
    t: *mut Thread,
    b: *mut spdk_bdev,
    desc: *mut Desc,
    ch: *mut spdk_io_channel,
}

impl Env {
    fn new(name: &str, b: *mut spdk_bdev, t: *mut Thread) -> Env {
        let desc = open(name, true, None, std::ptr::null_mut()).unwrap();
        let ch = ioch::get(b.cast()).unwrap().cast();
        Env { t, b, desc, ch }
    }

    fn poll_until(&self, mut cond: impl FnMut() -> bool) {
        for _ in 0..200_000 {
            if cond() {
                return;
            }
            // SAFETY: the test's live thread.
            unsafe { (*self.t).poll(0, 0) };
        }
        panic!("condition not reached");
    }

    fn poll(&self, n: usize) {
        for _ in 0..n {
            // SAFETY: the test's live thread.
            unsafe { (*self.t).poll(0, 0) };
        }
    }

    fn done(self) {
        ioch::put(self.ch.cast());
        close(self.desc);
        unregister(self.b, None, std::ptr::null_mut()).unwrap();
        self.poll(200);
        thread::set_current(std::ptr::null_mut());
        // SAFETY: the test's thread.
        unsafe { (*self.t).exit() };
        for _ in 0..1000 {
            // SAFETY: as above.
            if unsafe { (*self.t).is_exited() } {
                break;
            }
            // SAFETY: as above.
            unsafe { (*self.t).poll(0, 0) };
        }
        thread::destroy(self.t);
    }
}

fn start(name: &str, blocks: u64, types: &[spdk_bdev_io_type], setup: impl FnOnce(&mut spdk_bdev)) -> Env {
    let t = thread::create(Some(name), None).unwrap();
    thread::set_current(t);
    let b = disk(name, blocks, types, setup);
    Env::new(name, b, t)
}

/// One completion: its status, and the I/O's NVMe status.
type Completion = (i8, (u32, i32, i32));

/// Completions seen by a test. In cells: [`got`] fills them through its
/// argument pointer while the test polls holding `&Got` (plain fields may be
/// read once in a release build).
#[derive(Default)]
struct Got {
    done: RefCell<Vec<Completion>>,
    /// A copy of the first segment a read without a buffer got.
    data: RefCell<Vec<u8>>,
    buf_aligned: Cell<bool>,
}

impl Got {
    fn arg(&self) -> *mut c_void {
        self as *const Got as *mut c_void
    }
}

extern "C" fn got(io: *mut spdk_bdev_io, _ok: bool, arg: *mut c_void) {
    // SAFETY: the test's Got, alive until checked.
    let g = unsafe { &*(arg as *const Got) };
    // SAFETY: a completed I/O.
    let st = unsafe { (*io).internal.status };
    if io::io_type(io) == SPDK_BDEV_IO_TYPE_READ {
        // SAFETY: block parameters of a completed read.
        let v = unsafe { *(*io).u.bdev.iovs };
        g.buf_aligned.set(v.iov_base as usize % 512 == 0);
        // SAFETY: its buffer, live until free_io.
        *g.data.borrow_mut() = unsafe { std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len) }.to_vec();
    }
    g.done.borrow_mut().push((st, io::nvme_status(io)));
    io::free_io(io);
}

/// A request; its iovecs are copied to memory that outlives the I/O (leaked: tests only).
fn rq(t: spdk_bdev_io_type, iovs: &mut [libc::iovec], md: *mut u8, off: u64, n: u64, g: &Got) -> Request {
    let iovs: &'static mut [libc::iovec] = Box::leak(iovs.to_vec().into_boxed_slice());
    Request {
        io_type: t,
        iovs: if iovs.is_empty() { std::ptr::null_mut() } else { iovs.as_mut_ptr() },
        iovcnt: iovs.len() as c_int,
        buf: std::ptr::null_mut(),
        md_buf: md.cast(),
        offset_blocks: off,
        num_blocks: n,
        cb: Some(got),
        cb_arg: g.arg(),
    }
}

fn iov(b: &mut [u8]) -> libc::iovec {
    libc::iovec { iov_base: b.as_mut_ptr().cast(), iov_len: b.len() }
}

fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed)).collect()
}

const OK: i8 = SPDK_BDEV_IO_STATUS_SUCCESS as i8;

#[test]
fn metadata_and_ext_options() {
    // One block per I/O: split children carry their part of the metadata.
    let e = start("iot_md", 64, &[SPDK_BDEV_IO_TYPE_READ, SPDK_BDEV_IO_TYPE_WRITE], |b| {
        b.md_len = 8;
        b.max_rw_size = 1;
    });
    let g = Got::default();
    let mut data = pattern(2 * 512, 3);
    let mut md = pattern(16, 100);
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_WRITE, &mut [iov(&mut data)], md.as_mut_ptr(), 4, 2, &g)).unwrap();
    e.poll_until(|| g.done.borrow().len() == 1);
    assert_eq!(g.done.borrow()[0].0, OK);
    assert_eq!(&disk_of(e.b).md[32..48], &md[..], "metadata reached the module");
    assert_eq!(disk_of(e.b).log.len(), 2, "split in two");
    let mut back = vec![0u8; 1024];
    let mut mdb = vec![0u8; 16];
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_READ, &mut [iov(&mut back)], mdb.as_mut_ptr(), 4, 2, &g)).unwrap();
    e.poll_until(|| g.done.borrow().len() == 2);
    assert_eq!((back, mdb), (data.clone(), md.clone()));

    // The C entry points: opts->size says which fields count.
    use crate::capi::bdev as capi;
    // SAFETY: all-zero is valid for the options.
    let mut o: spdk_bdev_ext_io_opts = unsafe { std::mem::zeroed() };
    let mut md2 = pattern(8, 7);
    o.size = std::mem::size_of::<spdk_bdev_ext_io_opts>();
    o.metadata = md2.as_mut_ptr().cast();
    let mut v = [iov(&mut data[..512])];
    let garg = g.arg();
    // SAFETY: live iovecs, options and callback context.
    let rc = unsafe { capi::spdk_bdev_writev_blocks_ext(e.desc.cast(), e.ch, v.as_mut_ptr(), 1, 10, 1, Some(got), garg, &mut o) };
    assert_eq!(rc, 0);
    e.poll_until(|| g.done.borrow().len() == 3);
    assert_eq!(&disk_of(e.b).md[80..88], &md2[..]);
    // A caller that knows only the first three fields: its metadata is not read.
    o.size = std::mem::offset_of!(spdk_bdev_ext_io_opts, metadata);
    o.metadata = 0x10 as *mut c_void;
    // SAFETY: as above.
    let rc = unsafe { capi::spdk_bdev_writev_blocks_ext(e.desc.cast(), e.ch, v.as_mut_ptr(), 1, 11, 1, Some(got), garg, &mut o) };
    assert_eq!(rc, 0);
    e.poll_until(|| g.done.borrow().len() == 4);
    assert_eq!(&disk_of(e.b).md[88..96], &[0u8; 8], "no metadata written");
    o.size = 0;
    // SAFETY: as above.
    assert_eq!(unsafe { capi::spdk_bdev_readv_blocks_ext(e.desc.cast(), e.ch, v.as_mut_ptr(), 1, 10, 1, Some(got), garg, &mut o) }, -libc::EINVAL);
    o.size = std::mem::size_of::<spdk_bdev_ext_io_opts>();
    o.metadata = std::ptr::null_mut();
    o.memory_domain = 0x1000 as *mut _;
    // SAFETY: as above.
    assert_eq!(unsafe { capi::spdk_bdev_readv_blocks_ext(e.desc.cast(), e.ch, v.as_mut_ptr(), 1, 10, 1, Some(got), garg, &mut o) }, -libc::ENOTSUP);
    // NULL opts: a plain readv.
    // SAFETY: as above.
    assert_eq!(unsafe { capi::spdk_bdev_readv_blocks_ext(e.desc.cast(), e.ch, v.as_mut_ptr(), 1, 4, 1, Some(got), garg, std::ptr::null_mut()) }, 0);
    e.poll_until(|| g.done.borrow().len() == 5);
    assert_eq!(g.done.borrow()[4].0, OK);
    e.done();

    // Metadata on a bdev without separate metadata is refused.
    let e = start("iot_nomd", 16, &[SPDK_BDEV_IO_TYPE_READ, SPDK_BDEV_IO_TYPE_WRITE], |_| {});
    let g = Got::default();
    let mut data = vec![0u8; 512];
    let mut md = [0u8; 8];
    assert_eq!(io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_READ, &mut [iov(&mut data)], md.as_mut_ptr(), 0, 1, &g)), Err(SubmitError::Invalid));
    e.done();
}

#[test]
fn compare_and_compare_and_write_emulated() {
    let e = start("iot_cmp", 64, &[SPDK_BDEV_IO_TYPE_READ, SPDK_BDEV_IO_TYPE_WRITE], |_| {});
    disk_of(e.b).data[512..2048].copy_from_slice(&pattern(1536, 9));
    let g = Got::default();
    let mut same = pattern(1536, 9);
    let (a, b) = same.split_at_mut(700);
    // Iovecs stay valid until their I/O completes.
    let mut v1 = [iov(a), iov(b)];
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_COMPARE, &mut v1, std::ptr::null_mut(), 1, 3, &g)).unwrap();
    e.poll_until(|| g.done.borrow().len() == 1);
    assert_eq!(g.done.borrow()[0].0, OK, "equal data compares");
    same[1000] ^= 0x40;
    let mut v2 = [iov(&mut same)];
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_COMPARE, &mut v2, std::ptr::null_mut(), 1, 3, &g)).unwrap();
    e.poll_until(|| g.done.borrow().len() == 2);
    assert_eq!(g.done.borrow()[1].0, SPDK_BDEV_IO_STATUS_MISCOMPARE as i8);
    assert_eq!(g.done.borrow()[1].1, (0, 2, 0x85), "a miscompare is NVMe media error / compare failure");
    assert!(disk_of(e.b).log.iter().all(|s| s.t != SPDK_BDEV_IO_TYPE_COMPARE as u8), "the module only ever saw reads");

    // Compare-and-write: a mismatch writes nothing.
    let mut cmp = pattern(1024, 9);
    let mut new = pattern(1024, 200);
    let mut cv = [iov(&mut cmp)];
    let mut wv = [iov(&mut new)];
    let x = Extra { fused_iovs: wv.as_mut_ptr(), fused_iovcnt: 1, ..Extra::default() };
    cmp[5] ^= 1;
    io::submit_ext(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE, &mut cv, std::ptr::null_mut(), 1, 2, &g), x).unwrap();
    e.poll_until(|| g.done.borrow().len() == 3);
    assert_eq!(g.done.borrow()[2].0, SPDK_BDEV_IO_STATUS_MISCOMPARE as i8);
    assert_eq!(&disk_of(e.b).data[512..1536], &pattern(1024, 9)[..]);
    // A match writes; a write to the range submitted meanwhile waits for it.
    cmp[5] ^= 1;
    disk_of(e.b).hold = true;
    io::submit_ext(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE, &mut cv, std::ptr::null_mut(), 1, 2, &g), x).unwrap();
    e.poll_until(|| disk_of(e.b).held.len() == 1);
    let mut later = pattern(512, 77);
    let mut lv = [iov(&mut later)];
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_WRITE, &mut lv, std::ptr::null_mut(), 2, 1, &g)).unwrap();
    let mut outside = pattern(512, 55);
    let mut ov = [iov(&mut outside)];
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_WRITE, &mut ov, std::ptr::null_mut(), 20, 1, &g)).unwrap();
    e.poll(50);
    // SAFETY: I/Os the module holds.
    let held: Vec<u64> = disk_of(e.b).held.iter().map(|&io| unsafe { (*io).u.bdev.offset_blocks }).collect();
    assert_eq!(held, [1, 20], "the compare's read and the write outside the range reached the module; the one inside did not");
    release_held(e.b);
    e.poll_until(|| g.done.borrow().len() == 6);
    assert!(g.done.borrow()[3..].iter().all(|d| d.0 == OK));
    let d = &disk_of(e.b).data;
    assert_eq!(&d[512..1024], &pattern(1024, 200)[..512], "block 1 from the compare-and-write");
    assert_eq!(&d[1024..1536], &pattern(512, 77)[..], "block 2: the waiting write landed after it");
    assert_eq!(&d[20 * 512..21 * 512], &pattern(512, 55)[..]);
    // Short write half: -EINVAL.
    let mut small = vec![0u8; 512];
    let mut w = [iov(&mut small)];
    let x = Extra { fused_iovs: w.as_mut_ptr(), fused_iovcnt: 1, ..Extra::default() };
    assert_eq!(io::submit_ext(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE, &mut cv, std::ptr::null_mut(), 1, 2, &g), x), Err(SubmitError::Invalid));

    // A write in the range already in flight when the lock is taken: the compare waits for it.
    disk_of(e.b).hold = true;
    let mut w1 = pattern(512, 11);
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_WRITE, &mut [iov(&mut w1)], std::ptr::null_mut(), 2, 1, &g)).unwrap();
    e.poll_until(|| disk_of(e.b).held.len() == 1);
    let mut cmp2 = disk_of(e.b).data[512..1536].to_vec();
    cmp2[512..].copy_from_slice(&w1);
    let mut new2 = pattern(1024, 99);
    let mut wv2 = [iov(&mut new2)];
    let x2 = Extra { fused_iovs: wv2.as_mut_ptr(), fused_iovcnt: 1, ..Extra::default() };
    io::submit_ext(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE, &mut [iov(&mut cmp2)], std::ptr::null_mut(), 1, 2, &g), x2).unwrap();
    e.poll(300);
    assert_eq!(disk_of(e.b).held.len(), 1, "the compare's read waits for the write in its range");
    assert_eq!(g.done.borrow().len(), 6);
    release_held(e.b);
    e.poll_until(|| g.done.borrow().len() == 8);
    assert_eq!((g.done.borrow()[6].0, g.done.borrow()[7].0), (OK, OK), "the compare saw the finished write and matched");
    assert_eq!(&disk_of(e.b).data[512..1536], &pattern(1024, 99)[..]);
    e.done();
}

#[test]
fn nvme_passthru_and_status_mappings() {
    use super::status;
    let e = start("iot_nvme", 16, &[SPDK_BDEV_IO_TYPE_READ, SPDK_BDEV_IO_TYPE_NVME_IO, SPDK_BDEV_IO_TYPE_NVME_ADMIN], |_| {});
    let g = Got::default();
    let garg = g.arg();
    // SAFETY: all-zero is a valid command.
    let mut cmd: crate::capi::nvme_spec::spdk_nvme_cmd = unsafe { std::mem::zeroed() };
    cmd.cdw0 = 0x02;
    disk_of(e.b).nvme_reply = (0x1234, 1, 0x80);
    io::submit_passthru(e.desc, e.ch, SPDK_BDEV_IO_TYPE_NVME_IO, &cmd, io::Payload::Buf(std::ptr::null_mut()), 0, std::ptr::null_mut(), 0, Some(got), garg).unwrap();
    e.poll_until(|| g.done.borrow().len() == 1);
    assert_eq!(g.done.borrow()[0], (SPDK_BDEV_IO_STATUS_NVME_ERROR as i8, (0x1234, 1, 0x80)));
    cmd.cdw0 = 0x06;
    disk_of(e.b).nvme_reply = (7, 0, 0);
    io::submit_passthru(e.desc, e.ch, SPDK_BDEV_IO_TYPE_NVME_ADMIN, &cmd, io::Payload::Buf(std::ptr::null_mut()), 0, std::ptr::null_mut(), 0, Some(got), garg).unwrap();
    e.poll_until(|| g.done.borrow().len() == 2);
    assert_eq!(g.done.borrow()[1], (OK, (7, 0, 0)));
    disk_of(e.b).nvme_reply = (0, 0, 7);
    io::submit_passthru(e.desc, e.ch, SPDK_BDEV_IO_TYPE_NVME_IO, &cmd, io::Payload::Buf(std::ptr::null_mut()), 0, std::ptr::null_mut(), 0, Some(got), garg).unwrap();
    e.poll_until(|| g.done.borrow().len() == 3);
    assert_eq!(g.done.borrow()[2].0, SPDK_BDEV_IO_STATUS_ABORTED as i8, "aborted by request maps to ABORTED");
    assert_eq!(disk_of(e.b).opcodes, [0x02, 0x06, 0x06]);
    assert_eq!(
        io::submit_passthru(e.desc, e.ch, SPDK_BDEV_IO_TYPE_NVME_IO_MD, &cmd, io::Payload::Buf(std::ptr::null_mut()), 0, std::ptr::null_mut(), 0, Some(got), garg),
        Err(SubmitError::Unsupported)
    );
    let ro = open("iot_nvme", false, None, std::ptr::null_mut()).unwrap();
    assert_eq!(io::submit_passthru(ro, e.ch, SPDK_BDEV_IO_TYPE_NVME_IO, &cmd, io::Payload::Buf(std::ptr::null_mut()), 0, std::ptr::null_mut(), 0, Some(got), garg), Err(SubmitError::ReadOnly));
    close(ro);

    // Iovec passthru with metadata, on a bdev that takes NVMe I/O with metadata.
    let b2 = disk("iot_nvme_md", 16, &[SPDK_BDEV_IO_TYPE_NVME_IO_MD], |_| {});
    let d2 = open("iot_nvme_md", true, None, std::ptr::null_mut()).unwrap();
    let ch2: *mut spdk_io_channel = ioch::get(b2.cast()).unwrap().cast();
    let mut data = vec![0u8; 4096];
    let mut md = vec![0u8; 64];
    let mut v = [iov(&mut data[..1024]), iov(&mut data[1024..])];
    // SAFETY: live command, iovecs, buffers and callback context.
    let rc = unsafe { crate::capi::bdev::spdk_bdev_nvme_iov_passthru_md(d2.cast(), ch2, &cmd, v.as_mut_ptr(), 2, 4096, md.as_mut_ptr().cast(), 64, Some(got), garg) };
    assert_eq!(rc, 0);
    e.poll_until(|| g.done.borrow().len() == 4);
    assert_eq!(g.done.borrow()[3], (OK, (0, 0, 0)));
    assert_eq!(disk_of(b2).payloads, [(2, 4096, 64)]);
    ioch::put(ch2.cast());
    close(d2);
    unregister(b2, None, std::ptr::null_mut()).unwrap();
    e.poll(100);

    // The mappings on a bdev_io by hand.
    // SAFETY: all-zero is valid for a bdev_io used only for its status fields.
    let mut bio: spdk_bdev_io = unsafe { std::mem::zeroed() };
    let p = &mut bio as *mut spdk_bdev_io;
    bio.r#type = SPDK_BDEV_IO_TYPE_READ as u8;
    bio.internal.status = SPDK_BDEV_IO_STATUS_FAILED as i8;
    assert_eq!(status::nvme(p), (0, 0, 6), "a generic failure is an internal device error");
    assert_eq!(status::scsi(p), (2, 0x0b, 0, 0), "and an aborted command for SCSI");
    assert_eq!(status::aio(p), -libc::EIO);
    bio.internal.status = SPDK_BDEV_IO_STATUS_SUCCESS as i8;
    assert_eq!((status::nvme(p), status::scsi(p), status::aio(p)), ((0, 0, 0), (0, 0, 0, 0), 0));
    bio.internal.status = status::set_nvme(p, 9, 2, 0x81) as i8;
    assert_eq!(bio.internal.status, SPDK_BDEV_IO_STATUS_NVME_ERROR as i8);
    assert_eq!(status::scsi(p), (2, 0x03, 0x11, 0), "an unrecovered read error is a SCSI medium error");
    bio.internal.status = status::set_scsi(p, 2, 5, 0x24, 0) as i8;
    assert_eq!(bio.internal.status, SPDK_BDEV_IO_STATUS_SCSI_ERROR as i8);
    assert_eq!(status::scsi(p), (2, 5, 0x24, 0));
    bio.internal.status = status::set_aio(p, -libc::ENOSPC) as i8;
    assert_eq!((bio.internal.status, status::aio(p)), (SPDK_BDEV_IO_STATUS_AIO_ERROR as i8, -libc::ENOSPC));
    assert_eq!(status::nvme(p).1..=status::nvme(p).2, 0..=6, "an AIO error is an internal device error for NVMe");
    // SAFETY: p points at the live local.
    unsafe {
        (*p).r#type = SPDK_BDEV_IO_TYPE_ABORT as u8;
        (*p).internal.status = SPDK_BDEV_IO_STATUS_FAILED as i8;
    }
    assert_eq!(status::nvme(p), (1, 0, 0), "a failed abort: cdw0 bit 0 set");
    e.done();
}

#[test]
fn buffers_from_the_layer_and_bounce_buffers() {
    let e = start("iot_buf", 512, &[SPDK_BDEV_IO_TYPE_READ, SPDK_BDEV_IO_TYPE_WRITE, SPDK_BDEV_IO_TYPE_WRITE_ZEROES], |b| b.required_alignment = 9);
    disk_of(e.b).data[..8192].copy_from_slice(&pattern(8192, 1));
    let g = Got::default();
    // A read without a buffer gets one, aligned, filled.
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_READ, &mut [], std::ptr::null_mut(), 2, 4, &g)).unwrap();
    e.poll_until(|| g.done.borrow().len() == 1);
    assert_eq!(g.done.borrow()[0].0, OK);
    assert!(g.buf_aligned.get());
    assert_eq!(*g.data.borrow(), &pattern(8192, 1)[1024..3072]);
    // Misaligned caller buffers go through a bounce buffer both ways.
    let mut raw = vec![0u8; 2048 + 1];
    let mis = &mut raw[1..];
    mis.copy_from_slice(&pattern(2048, 44));
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_WRITE, &mut [iov(mis)], std::ptr::null_mut(), 100, 4, &g)).unwrap();
    e.poll_until(|| g.done.borrow().len() == 2);
    assert_eq!(&disk_of(e.b).data[100 * 512..104 * 512], &pattern(2048, 44)[..]);
    let mis = &mut raw[1..];
    mis.fill(0);
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_READ, &mut [iov(mis)], std::ptr::null_mut(), 0, 4, &g)).unwrap();
    e.poll_until(|| g.done.borrow().len() == 3);
    assert_eq!(&raw[1..], &pattern(8192, 1)[..2048]);
    assert!(disk_of(e.b).log.iter().all(|s| s.aligned), "the module saw aligned buffers only");

    // With the large pool empty, a read waits for a buffer instead of failing.
    let c = io::chan(e.ch);
    let mut taken = Vec::new();
    while let Some(b) = c.bufs.get(true) {
        taken.push(b);
    }
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_READ, &mut [], std::ptr::null_mut(), 0, 64, &g)).unwrap();
    e.poll(200);
    assert_eq!(g.done.borrow().len(), 3, "no buffer yet");
    io::put_buf(c, taken.pop().unwrap(), super::iobuf::LARGE_BUFSIZE);
    e.poll_until(|| g.done.borrow().len() == 4);
    assert_eq!(g.done.borrow()[3].0, OK);
    assert_eq!(&g.data.borrow()[..8192], &pattern(8192, 1)[..]);
    // A module asking for a buffer with spdk_bdev_io_get_buf waits for one too.
    disk_of(e.b).zeroes_via_buf = true;
    let mut taken2 = Vec::new();
    while let Some(b) = c.bufs.get(true) {
        taken2.push(b);
    }
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_WRITE_ZEROES, &mut [], std::ptr::null_mut(), 0, 64, &g)).unwrap();
    e.poll(200);
    assert_eq!(g.done.borrow().len(), 4, "no buffer yet");
    io::put_buf(c, taken2.pop().unwrap(), super::iobuf::LARGE_BUFSIZE);
    e.poll_until(|| g.done.borrow().len() == 5);
    assert_eq!(g.done.borrow()[4].0, OK);
    assert!(disk_of(e.b).data[..64 * 512].iter().all(|&x| x == 0), "zeroed through the layer's buffer");
    for b in taken.into_iter().chain(taken2) {
        c.bufs.put(true, b);
    }
    // Larger than a large buffer: refused.
    assert_eq!(io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_READ, &mut [], std::ptr::null_mut(), 0, 300, &g)), Err(SubmitError::Invalid));
    e.done();
}

#[test]
fn splitting_on_segments_write_units_unmap_and_write_zeroes() {
    let types = [SPDK_BDEV_IO_TYPE_READ, SPDK_BDEV_IO_TYPE_WRITE, SPDK_BDEV_IO_TYPE_UNMAP, SPDK_BDEV_IO_TYPE_WRITE_ZEROES];
    let e = start("iot_split", 256, &types, |b| {
        b.max_segment_size = 1024;
        b.max_num_segments = 2;
        b.write_unit_size = 4;
        b.flags |= SPDK_BDEV_FLAG_SPLIT_ON_WRITE_UNIT;
        b.max_unmap = 4;
        b.max_unmap_segments = 2;
        b.max_write_zeroes = 3;
    });
    let g = Got::default();
    let mut data = pattern(8 * 512, 5);
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_WRITE, &mut [iov(&mut data)], std::ptr::null_mut(), 8, 8, &g)).unwrap();
    e.poll_until(|| g.done.borrow().len() == 1);
    assert_eq!(g.done.borrow()[0].0, OK);
    let log: Vec<(u64, u64, Vec<usize>)> = disk_of(e.b).log.drain(..).map(|s| (s.offset, s.num, s.segs)).collect();
    assert_eq!(log, [(8, 4, vec![1024, 1024]), (12, 4, vec![1024, 1024])]);
    assert_eq!(&disk_of(e.b).data[8 * 512..16 * 512], &data[..]);
    // Reads: segments of 768 bytes leave partial blocks, carried to the next child.
    let mut back = vec![0u8; 8 * 512];
    let mut v: Vec<libc::iovec> = back.chunks_mut(768).map(iov).collect();
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_READ, &mut v, std::ptr::null_mut(), 8, 8, &g)).unwrap();
    e.poll_until(|| g.done.borrow().len() == 2);
    assert_eq!(g.done.borrow()[1].0, OK);
    assert_eq!(back, data);
    let log = std::mem::take(&mut disk_of(e.b).log);
    assert!(log.iter().all(|s| s.segs.len() <= 2 && s.segs.iter().all(|&l| l <= 1024) && s.segs.iter().sum::<usize>() == s.num as usize * 512), "{log:?}");
    assert_eq!(log.iter().map(|s| s.num).sum::<u64>(), 8);
    // Writes not in whole write units are refused.
    assert_eq!(io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_WRITE, &mut [iov(&mut data)], std::ptr::null_mut(), 2, 8, &g)), Err(SubmitError::Invalid));
    assert_eq!(io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_WRITE, &mut [iov(&mut data[..1536])], std::ptr::null_mut(), 0, 3, &g)), Err(SubmitError::Invalid));
    // Unmap: at most max_unmap * max_unmap_segments blocks each; write zeroes: max_write_zeroes.
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_UNMAP, &mut [], std::ptr::null_mut(), 0, 20, &g)).unwrap();
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_WRITE_ZEROES, &mut [], std::ptr::null_mut(), 30, 7, &g)).unwrap();
    e.poll_until(|| g.done.borrow().len() == 4);
    let log: Vec<(u8, u64, u64)> = disk_of(e.b).log.drain(..).map(|s| (s.t, s.offset, s.num)).collect();
    let (u, z) = (SPDK_BDEV_IO_TYPE_UNMAP as u8, SPDK_BDEV_IO_TYPE_WRITE_ZEROES as u8);
    assert_eq!(log, [(u, 0, 8), (u, 8, 8), (u, 16, 4), (z, 30, 3), (z, 33, 3), (z, 36, 1)]);
    e.done();
}

#[test]
fn reset_freezes_drains_then_resets() {
    // A bdev asking the layer to drain its I/O before a reset (without it the reset goes down at once).
    let e = start("iot_reset", 64, &[SPDK_BDEV_IO_TYPE_READ, SPDK_BDEV_IO_TYPE_WRITE, SPDK_BDEV_IO_TYPE_RESET], |b| {
        b.reset_io_drain_timeout = SPDK_BDEV_RESET_IO_DRAIN_RECOMMENDED_VALUE;
    });
    let g = Got::default();
    let mut data = pattern(512, 8);
    disk_of(e.b).hold = true;
    let mut wv = [iov(&mut data)];
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_WRITE, &mut wv, std::ptr::null_mut(), 3, 1, &g)).unwrap();
    e.poll_until(|| disk_of(e.b).held.len() == 1);
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_RESET, &mut [], std::ptr::null_mut(), 0, 0, &g)).unwrap();
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_RESET, &mut [], std::ptr::null_mut(), 0, 0, &g)).unwrap();
    e.poll(100);
    let mut back = vec![0u8; 512];
    let mut rv = [iov(&mut back)];
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_READ, &mut rv, std::ptr::null_mut(), 3, 1, &g)).unwrap();
    e.poll_until(|| !g.done.borrow().is_empty());
    assert_eq!(g.done.borrow()[0].0, SPDK_BDEV_IO_STATUS_ABORTED as i8, "new I/O during a reset is aborted");
    e.poll(200);
    assert_eq!(disk_of(e.b).resets, 0, "the reset waits for the write in flight");
    assert_eq!(g.done.borrow().len(), 1);
    release_held(e.b);
    e.poll_until(|| g.done.borrow().len() == 4);
    assert_eq!(g.done.borrow()[1].0, OK, "the write drained");
    assert_eq!((g.done.borrow()[2].0, g.done.borrow()[3].0), (OK, OK), "both resets complete");
    assert_eq!(disk_of(e.b).resets, 1, "one reset reached the module; the second waited for it");
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_READ, &mut rv, std::ptr::null_mut(), 3, 1, &g)).unwrap();
    e.poll_until(|| g.done.borrow().len() == 5);
    assert_eq!(g.done.borrow()[4].0, OK);
    assert_eq!(&back, &pattern(512, 8), "unfrozen");

    // I/O the module refused for lack of memory, waiting for a retry, is aborted by a reset.
    disk_of(e.b).nomem = true;
    let mut w2 = pattern(512, 21);
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_WRITE, &mut [iov(&mut w2)], std::ptr::null_mut(), 5, 1, &g)).unwrap();
    e.poll(100);
    assert_eq!(g.done.borrow().len(), 5, "retried, not completed");
    io::submit(e.desc, e.ch, rq(SPDK_BDEV_IO_TYPE_RESET, &mut [], std::ptr::null_mut(), 0, 0, &g)).unwrap();
    e.poll_until(|| g.done.borrow().len() == 7);
    assert_eq!((g.done.borrow()[5].0, g.done.borrow()[6].0), (SPDK_BDEV_IO_STATUS_ABORTED as i8, OK));
    assert_eq!(disk_of(e.b).resets, 2);
    assert_eq!(&disk_of(e.b).data[5 * 512..6 * 512], &[0u8; 512], "the aborted write never landed");
    disk_of(e.b).nomem = false;
    e.done();
}
