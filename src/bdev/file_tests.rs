//! The aio and uring bdevs on temporary files: data written through the bdev
//! is read back through it and also checked in the file itself.

use super::super::io::{self, Request, SubmitError};
use super::super::tests::{on_done, Ctx};
use super::super::{aio, bdev_ref, close, config, get_by_name, open, uring, BdevError, Desc};
use super::*;
use crate::thread::{self, Thread};
use serde_json::json;
use std::cell::Cell;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Backend {
    Aio,
    Uring,
}

impl Backend {
    fn create(self, o: &Opts) -> Result<*mut spdk_bdev, BdevError> {
        match self {
            Backend::Aio => aio::create(o),
            Backend::Uring => uring::create(o),
        }
    }
    fn delete(self, name: &str) -> Result<(), BdevError> {
        match self {
            Backend::Aio => delete(Flavor::Aio, name, None, std::ptr::null_mut()),
            Backend::Uring => delete(Flavor::Uring, name, None, std::ptr::null_mut()),
        }
    }
    fn rescan(self, name: &str) -> Result<(), BdevError> {
        match self {
            Backend::Aio => rescan(Flavor::Aio, name),
            Backend::Uring => rescan(Flavor::Uring, name),
        }
    }
    /// Whether it can run here; says why not.
    fn usable(self) -> bool {
        if self == Backend::Uring && !uring::available() {
            println!("skipped: io_uring_setup is not available in this kernel or sandbox");
            return false;
        }
        true
    }
}

/// A sparse temporary file of `len` bytes, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(tag: &str, len: u64) -> TempFile {
        let p = std::env::temp_dir().join(format!("rspdk-{tag}-{}", std::process::id()));
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(len).unwrap();
        TempFile(p)
    }
    fn path(&self) -> &str {
        self.0.to_str().unwrap()
    }
    fn read(&self) -> Vec<u8> {
        std::fs::read(&self.0).unwrap()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn opts<'a>(name: &'a str, f: &'a TempFile) -> Opts<'a> {
    Opts { name, filename: f.path(), block_size: 0, readonly: false, fallocate: false, uuid: None }
}

/// An spdk_thread for one test, current while it lives.
struct Env {
    t: *mut Thread,
}

impl Env {
    fn new(name: &str) -> Env {
        let t = thread::create(Some(name), None).unwrap();
        thread::set_current(t);
        Env { t }
    }
    /// Polls until `cond` holds (10 s at most).
    fn wait(&self, mut cond: impl FnMut() -> bool) {
        let start = std::time::Instant::now();
        while !cond() {
            assert!(start.elapsed().as_secs() < 10, "condition not reached in 10 s");
            // SAFETY: the test's live thread.
            unsafe { (*self.t).poll(0, 0) };
        }
    }
    fn delete(&self, b: Backend, name: &str) {
        b.delete(name).unwrap();
        self.wait(|| get_by_name(name).is_none());
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        thread::set_current(std::ptr::null_mut());
        // SAFETY: the test's thread.
        unsafe { (*self.t).exit() };
        let t = self.t;
        // SAFETY: as above.
        while !unsafe { (*t).is_exited() } {
            // SAFETY: as above.
            unsafe { (*t).poll(0, 0) };
        }
        thread::destroy(t);
    }
}

/// A DMA buffer of `len` bytes.
struct Buf {
    p: *mut u8,
    len: usize,
}

impl Buf {
    fn new(len: usize) -> Buf {
        Buf { p: crate::env::mem::alloc(len, 4096).unwrap(), len }
    }
    fn bytes(&self) -> &[u8] {
        // SAFETY: a live block of len bytes, used by one test thread.
        unsafe { std::slice::from_raw_parts(self.p, self.len) }
    }
    fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as above; borrowed mutably once.
        unsafe { std::slice::from_raw_parts_mut(self.p, self.len) }
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        crate::env::mem::free(self.p);
    }
}

/// An open bdev and its channel on the test's thread.
struct Open {
    d: *mut Desc,
    ch: *mut spdk_io_channel,
}

impl Open {
    fn new(name: &str, write: bool, events: Option<&AtomicU32>) -> Open {
        let (cb, ctx): (spdk_bdev_event_cb_t, *mut c_void) = match events {
            Some(a) => (Some(count_resize), a as *const AtomicU32 as *mut c_void),
            None => (None, std::ptr::null_mut()),
        };
        let d = open(name, write, cb, ctx).unwrap();
        let ch = ioch::get(super::super::bdev_ref_ptr(d).cast()).unwrap().cast();
        Open { d, ch }
    }
    fn submit(&self, t: spdk_bdev_io_type, iovs: &mut [libc::iovec], off: u64, n: u64, c: &Ctx) -> Result<(), SubmitError> {
        let req = Request {
            io_type: t,
            iovs: if iovs.is_empty() { std::ptr::null_mut() } else { iovs.as_mut_ptr() },
            iovcnt: iovs.len() as c_int,
            buf: std::ptr::null_mut(),
            md_buf: std::ptr::null_mut(),
            offset_blocks: off,
            num_blocks: n,
            cb: Some(on_done),
            cb_arg: c.arg(),
        };
        io::submit(self.d, self.ch, req)
    }
    /// Runs one I/O to its end; its success.
    fn run(&self, env: &Env, t: spdk_bdev_io_type, iovs: &mut [libc::iovec], off: u64, n: u64) -> bool {
        let c = Ctx::new();
        self.submit(t, iovs, off, n, &c).unwrap();
        env.wait(|| c.done.get() == 1);
        c.ok.get()
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        ioch::put(self.ch.cast());
        close(self.d);
    }
}

extern "C" fn count_resize(t: spdk_bdev_event_type, _b: *mut spdk_bdev, ctx: *mut c_void) {
    if t == spdk_bdev_event_type::SPDK_BDEV_EVENT_RESIZE {
        // SAFETY: ctx is the test's counter, alive while the descriptor is open.
        unsafe { &*(ctx as *const AtomicU32) }.fetch_add(1, Ordering::SeqCst);
    }
}

fn iov(b: &Buf, from: usize, len: usize) -> libc::iovec {
    assert!(from + len <= b.len);
    // SAFETY: inside the buffer.
    libc::iovec { iov_base: unsafe { b.p.add(from) }.cast(), iov_len: len }
}

fn pattern(seed: u64, out: &mut [u8]) {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for v in out.iter_mut() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *v = x as u8;
    }
}

const MIB: u64 = 1 << 20;

/// A thread, a file of `len` bytes and bdev "{tag}0" on it (options tweaked
/// by `tweak`); None when the backend cannot run here.
fn setup(b: Backend, tag: &str, len: u64, tweak: impl FnOnce(&mut Opts)) -> Option<(Env, TempFile, String, *mut spdk_bdev)> {
    if !b.usable() {
        return None;
    }
    let env = Env::new(tag);
    let f = TempFile::new(tag, len);
    let name = format!("{tag}0");
    let mut o = opts(&name, &f);
    tweak(&mut o);
    let bd = b.create(&o).unwrap();
    Some((env, f, name, bd))
}

/// One test per backend of scenario `$f(backend, tag)`.
macro_rules! on_both {
    ($f:ident, $aio:ident, $uring:ident) => {
        #[test]
        fn $aio() {
            $f(Backend::Aio, stringify!($aio));
        }
        #[test]
        fn $uring() {
            $f(Backend::Uring, stringify!($uring));
        }
    };
}

on_both!(read_write_verify, aio_read_write_verify, uring_read_write_verify);
on_both!(stress, aio_queue_depth_stress, uring_queue_depth_stress);
on_both!(reset_drains, aio_reset_drains, uring_reset_drains);
on_both!(rescan_resizes, aio_rescan_resizes, uring_rescan_resizes);

/// At the engine's depth, and at twice it (half waiting in the channel's queue).
fn stress(b: Backend, tag: &str) {
    queue_depth_stress(b, &format!("{tag}_at"), QUEUE_DEPTH as usize);
    queue_depth_stress(b, &format!("{tag}_over"), 2 * QUEUE_DEPTH as usize);
}

fn read_write_verify(b: Backend, tag: &str) {
    use spdk_bdev_io_type::*;
    let Some((env, f, name, bd)) = setup(b, tag, 8 * MIB, |o| o.fallocate = true) else {
        return;
    };
    assert_eq!((bdev_ref(bd).blocklen, bdev_ref(bd).blockcnt), (512, 8 * MIB / 512));
    let h = Open::new(&name, true, None);
    let mut buf = Buf::new(MIB as usize);
    let mut expect = vec![0u8; 8 * MIB as usize];
    // (offset in blocks, blocks): one block up to 1 MiB, at aligned and odd places.
    let cases = [(0u64, 1u64), (7, 8), (100, 256), (1001, 2048), (16383, 1)];
    for (k, &(off, n)) in cases.iter().enumerate() {
        let len = (n * 512) as usize;
        pattern(k as u64 + 1, &mut buf.bytes_mut()[..len]);
        assert!(h.run(&env, SPDK_BDEV_IO_TYPE_WRITE, &mut [iov(&buf, 0, len)], off, n), "write {off}+{n}");
        expect[(off * 512) as usize..][..len].copy_from_slice(&buf.bytes()[..len]);
    }
    // Several iovecs in one write: 512 + 4096 + 1536 bytes.
    pattern(99, buf.bytes_mut());
    let mut v = [iov(&buf, 0, 512), iov(&buf, 8192, 4096), iov(&buf, 65536, 1536)];
    assert!(h.run(&env, SPDK_BDEV_IO_TYPE_WRITE, &mut v, 5000, 12));
    let mut at = 5000 * 512;
    for s in &v {
        // SAFETY: the iovec points into buf.
        let part = unsafe { std::slice::from_raw_parts(s.iov_base as *const u8, s.iov_len) };
        expect[at..at + s.iov_len].copy_from_slice(part);
        at += s.iov_len;
    }
    assert!(h.run(&env, SPDK_BDEV_IO_TYPE_FLUSH, &mut [], 0, 16384));
    // Read back through the bdev, single and several iovecs.
    for &(off, n) in &cases {
        let len = (n * 512) as usize;
        buf.bytes_mut().fill(0xEE);
        assert!(h.run(&env, SPDK_BDEV_IO_TYPE_READ, &mut [iov(&buf, 0, len)], off, n));
        assert!(buf.bytes()[..len] == expect[(off * 512) as usize..][..len], "read back {off}+{n}");
    }
    buf.bytes_mut().fill(0xEE);
    let mut v = [iov(&buf, 0, 2048), iov(&buf, 4096, 4096)];
    assert!(h.run(&env, SPDK_BDEV_IO_TYPE_READ, &mut v, 4998, 12));
    assert!(buf.bytes()[..2048] == expect[4998 * 512..][..2048] && buf.bytes()[4096..8192] == expect[5002 * 512..][..4096]);
    assert!(f.read() == expect, "the file holds what was written");

    // Unmap and write-zeroes: aio with fallocate on ext4/xfs/tmpfs; uring never.
    let zeroing = super::super::io_type_supported(bd, SPDK_BDEV_IO_TYPE_WRITE_ZEROES);
    assert_eq!(zeroing, super::super::io_type_supported(bd, SPDK_BDEV_IO_TYPE_UNMAP));
    if b == Backend::Uring {
        assert!(!zeroing, "uring offers no unmap");
        assert_eq!(h.submit(SPDK_BDEV_IO_TYPE_UNMAP, &mut [], 0, 1, &Ctx::new()), Err(SubmitError::Unsupported));
    } else if zeroing {
        assert!(h.run(&env, SPDK_BDEV_IO_TYPE_WRITE_ZEROES, &mut [], 101, 100));
        assert!(h.run(&env, SPDK_BDEV_IO_TYPE_UNMAP, &mut [], 1001, 1024));
        expect[101 * 512..201 * 512].fill(0);
        expect[1001 * 512..2025 * 512].fill(0);
        buf.bytes_mut().fill(0xEE);
        assert!(h.run(&env, SPDK_BDEV_IO_TYPE_READ, &mut [iov(&buf, 0, 1024 * 512)], 1001, 1024));
        assert!(buf.bytes()[..1024 * 512].iter().all(|&x| x == 0));
        assert!(h.run(&env, SPDK_BDEV_IO_TYPE_READ, &mut [iov(&buf, 0, 256 * 512)], 100, 256));
        assert!(buf.bytes()[..256 * 512] == expect[100 * 512..356 * 512]);
        assert!(f.read() == expect, "zeroed ranges are zero in the file, the rest untouched");
    } else {
        println!("{tag}: fallocate(PUNCH_HOLE) is not supported under {}: unmap not tested", std::env::temp_dir().display());
    }
    // Out of range: refused by the layer, nothing reaches the file.
    assert_eq!(h.submit(SPDK_BDEV_IO_TYPE_READ, &mut [iov(&buf, 0, 1024)], 16383, 2, &Ctx::new()), Err(SubmitError::Invalid));
    drop(h);
    env.delete(b, &name);
}

/// 1536 writes of 8 blocks (distinct patterns, distinct places), up to `qd`
/// at once — past the engine's depth, so some wait in the channel's queue —
/// then the same as reads; the file must hold every pattern.
fn queue_depth_stress(b: Backend, tag: &str, qd: usize) {
    use spdk_bdev_io_type::*;
    let Some((env, f, name, _)) = setup(b, tag, 6 * MIB, |_| {}) else {
        return;
    };
    let h = Open::new(&name, true, None);
    const SLOT: usize = 4096;
    let slots = (6 * MIB) as usize / SLOT;
    let mut buf = Buf::new(qd * SLOT);
    // Each starts as a finished, successful I/O: free for the next one.
    let ctxs: Vec<Ctx> = (0..qd).map(|_| Ctx { done: Cell::new(1), ok: Cell::new(true) }).collect();
    // The iovecs must stay valid until their I/O completes.
    let mut iovs: Vec<libc::iovec> = (0..qd).map(|k| iov(&buf, k * SLOT, SLOT)).collect();
    let mut order: Vec<usize> = (0..slots).collect();
    // A fixed shuffle, so neighbours are not written in order.
    for i in (1..slots).rev() {
        order.swap(i, (i * 7919 + 13) % (i + 1));
    }
    let check = |slot: usize, got: &[u8]| {
        let mut want = vec![0u8; SLOT];
        pattern(slot as u64 + 1000, &mut want);
        assert!(got == &want[..], "slot {slot} read back wrong");
    };
    for io_type in [SPDK_BDEV_IO_TYPE_WRITE, SPDK_BDEV_IO_TYPE_READ] {
        // The slot each buffer area last went to.
        let mut slot_of: Vec<Option<usize>> = vec![None; qd];
        let mut next = 0;
        let mut most = 0;
        while next < slots || ctxs.iter().any(|c| c.done.get() == 0) {
            for (k, c) in ctxs.iter().enumerate() {
                if c.done.get() == 1 && next < slots {
                    assert!(c.ok.get(), "{io_type:?} failed");
                    let slot = order[next];
                    let area = &mut buf.bytes_mut()[k * SLOT..][..SLOT];
                    if io_type == SPDK_BDEV_IO_TYPE_WRITE {
                        pattern(slot as u64 + 1000, area);
                    } else if let Some(prev) = slot_of[k] {
                        check(prev, area);
                    }
                    slot_of[k] = Some(slot);
                    c.done.set(0);
                    c.ok.set(false);
                    h.submit(io_type, std::slice::from_mut(&mut iovs[k]), (slot * SLOT / 512) as u64, (SLOT / 512) as u64, c).unwrap();
                    next += 1;
                }
            }
            most = most.max(ctxs.iter().filter(|c| c.done.get() == 0).count());
            // SAFETY: the test's live thread.
            unsafe { (*env.t).poll(0, 0) };
        }
        assert!(ctxs.iter().all(|c| c.ok.get()));
        assert_eq!(most, qd, "the queue was kept full");
        if io_type == SPDK_BDEV_IO_TYPE_READ {
            for (k, s) in slot_of.iter().enumerate() {
                check(s.expect("every area was used"), &buf.bytes()[k * SLOT..][..SLOT]);
            }
        }
    }
    let data = f.read();
    for slot in 0..slots {
        check(slot, &data[slot * SLOT..][..SLOT]);
    }
    drop(h);
    env.delete(b, &name);
}

/// A reset completes only after the writes before it did.
fn reset_drains(b: Backend, tag: &str) {
    use spdk_bdev_io_type::*;
    let Some((env, f, name, _)) = setup(b, tag, MIB, |_| {}) else {
        return;
    };
    let h = Open::new(&name, true, None);
    let mut buf = Buf::new(64 * 4096);
    pattern(5, buf.bytes_mut());
    let ctxs: Vec<Ctx> = (0..64).map(|_| Ctx::new()).collect();
    let mut iovs: Vec<libc::iovec> = (0..64).map(|k| iov(&buf, k * 4096, 4096)).collect();
    for (k, (c, v)) in ctxs.iter().zip(iovs.iter_mut()).enumerate() {
        h.submit(SPDK_BDEV_IO_TYPE_WRITE, std::slice::from_mut(v), k as u64 * 8, 8, c).unwrap();
    }
    let r = Ctx::new();
    h.submit(SPDK_BDEV_IO_TYPE_RESET, &mut [], 0, 0, &r).unwrap();
    let mut writes_at_reset = None;
    env.wait(|| {
        if r.done.get() == 1 && writes_at_reset.is_none() {
            writes_at_reset = Some(ctxs.iter().filter(|c| c.done.get() == 1).count());
        }
        r.done.get() == 1
    });
    assert!(r.ok.get());
    assert_eq!(writes_at_reset, Some(64), "all writes finished before the reset did");
    assert!(ctxs.iter().all(|c| c.ok.get()));
    assert!(f.read()[..64 * 4096] == buf.bytes()[..]);
    drop(h);
    env.delete(b, &name);
}

fn rescan_resizes(b: Backend, tag: &str) {
    use spdk_bdev_io_type::*;
    let Some((env, f, name, bd)) = setup(b, tag, MIB, |o| o.block_size = 4096) else {
        return;
    };
    assert_eq!(bdev_ref(bd).blockcnt, 256);
    let resized = AtomicU32::new(0);
    let h = Open::new(&name, true, Some(&resized));
    b.rescan(&name).unwrap();
    env.wait(|| true);
    assert_eq!((bdev_ref(bd).blockcnt, resized.load(Ordering::SeqCst)), (256, 0), "same size: no event");
    std::fs::OpenOptions::new().write(true).open(&f.0).unwrap().set_len(2 * MIB + 100).unwrap();
    b.rescan(&name).unwrap();
    assert_eq!(bdev_ref(bd).blockcnt, 512, "whole blocks of the new size");
    env.wait(|| resized.load(Ordering::SeqCst) == 1);
    // The new blocks are usable.
    let mut buf = Buf::new(4096);
    pattern(77, buf.bytes_mut());
    assert!(h.run(&env, SPDK_BDEV_IO_TYPE_WRITE, &mut [iov(&buf, 0, 4096)], 511, 1));
    assert!(f.read()[511 * 4096..512 * 4096] == buf.bytes()[..]);
    // Shrinking while open is refused; closed, it is taken.
    std::fs::OpenOptions::new().write(true).open(&f.0).unwrap().set_len(MIB).unwrap();
    assert!(b.rescan(&name).unwrap_err().to_string().contains("cannot shrink"));
    assert_eq!(bdev_ref(bd).blockcnt, 512);
    drop(h);
    b.rescan(&name).unwrap();
    assert_eq!(bdev_ref(bd).blockcnt, 256);
    assert!(matches!(b.rescan("no_such_file_bdev"), Err(BdevError::NotFound(_))));
    env.delete(b, &name);
}

#[test]
fn aio_readonly_refuses_writes() {
    use spdk_bdev_io_type::*;
    let env = Env::new("aio_ro");
    let f = TempFile::new("aio_ro", MIB);
    std::fs::write(&f.0, vec![0x5A; MIB as usize]).unwrap();
    let mut o = opts("aio_ro0", &f);
    o.readonly = true;
    o.fallocate = true;
    let bd = aio::create(&o).unwrap();
    for t in [SPDK_BDEV_IO_TYPE_WRITE, SPDK_BDEV_IO_TYPE_UNMAP, SPDK_BDEV_IO_TYPE_WRITE_ZEROES] {
        assert!(!super::super::io_type_supported(bd, t), "{t:?} on a read-only bdev");
    }
    let h = Open::new("aio_ro0", true, None);
    let buf = Buf::new(4096);
    assert_eq!(h.submit(SPDK_BDEV_IO_TYPE_WRITE, &mut [iov(&buf, 0, 4096)], 0, 8, &Ctx::new()), Err(SubmitError::Unsupported));
    assert!(h.run(&env, SPDK_BDEV_IO_TYPE_READ, &mut [iov(&buf, 0, 4096)], 8, 8));
    assert!(buf.bytes().iter().all(|&x| x == 0x5A));
    // Even past the layer, the module's file is not writable.
    assert!(disk_of(bdev_ref(bd).ctxt).backing.file.metadata().is_ok());
    // SAFETY: writing through the bdev's own fd, which must fail with EBADF.
    let rc = unsafe { libc::pwrite(disk_of(bdev_ref(bd).ctxt).backing.file.as_raw_fd(), buf.p.cast(), 4096, 0) };
    assert_eq!((rc, std::io::Error::last_os_error().raw_os_error()), (-1, Some(libc::EBADF)));
    drop(h);
    assert!(f.read().iter().all(|&x| x == 0x5A));
    env.delete(Backend::Aio, "aio_ro0");
}

#[test]
fn block_size_rules() {
    assert_eq!(pick_block_size(0, 0), Ok((512, false)), "files default to 512");
    assert_eq!(pick_block_size(0, 4096), Ok((4096, false)), "devices: their logical block size");
    assert_eq!(pick_block_size(4096, 512), Ok((4096, true)));
    assert_eq!(pick_block_size(513, 0), Err("block_size 513 is not a power of two of at least 512".into()));
    assert_eq!(pick_block_size(256, 0), Err("block_size 256 is not a power of two of at least 512".into()));
    assert_eq!(pick_block_size(512, 4096), Err("block_size 512 is smaller than the device's logical block size 4096".into()));
}

#[test]
fn bad_input_is_refused() {
    for b in [Backend::Aio, Backend::Uring] {
        if !b.usable() {
            continue;
        }
        let env = Env::new("file_bad");
        let tag = format!("{b:?}_bad");
        let f = TempFile::new(&tag, MIB);
        let missing = Opts { filename: "/nope/file", ..opts("fb_x", &f) };
        assert_eq!(b.create(&missing).unwrap_err().to_string(), "filename /nope/file: No such file or directory");
        let dir = Opts { filename: "/tmp", ..opts("fb_x", &f) };
        assert_eq!(b.create(&dir).unwrap_err().to_string(), "filename /tmp: Is a directory");
        let odd = Opts { block_size: 513, ..opts("fb_x", &f) };
        assert!(b.create(&odd).unwrap_err().to_string().contains("block_size 513"));
        let empty = TempFile::new(&format!("{tag}_empty"), 100);
        assert!(b.create(&opts("fb_x", &empty)).unwrap_err().to_string().contains("less than one block"));
        assert!(get_by_name("fb_x").is_none());
        let name = format!("{tag}0");
        b.create(&opts(&name, &f)).unwrap();
        assert_eq!(b.create(&opts(&name, &f)).err(), Some(BdevError::Exists(name.clone())));
        let other = if b == Backend::Aio { Backend::Uring } else { Backend::Aio };
        assert!(other.delete(&name).unwrap_err().to_string().contains("is not an"));
        assert!(matches!(b.delete("fb_none"), Err(BdevError::NotFound(_))));
        env.delete(b, &name);
    }
}

#[test]
fn config_methods_and_json() {
    let env = Env::new("file_cfg");
    let f = TempFile::new("file_cfg", MIB);
    let call = |m: &str, p: serde_json::Value| config::call(m, &p).map_err(|e| e.0);
    assert_eq!(call("bdev_aio_create", json!({"name": "cfg_a"})), Err("missing required parameter 'filename'".into()));
    assert_eq!(call("bdev_aio_create", json!({"filename": f.path()})), Err("missing required parameter 'name'".into()));
    assert_eq!(call("bdev_aio_create", json!({"name": "cfg_a", "filename": f.path(), "colour": 1})), Err("unknown parameter 'colour'".into()));
    assert_eq!(call("bdev_aio_create", json!({"name": "cfg_a", "filename": f.path(), "readonly": "yes"})), Err("readonly must be true or false, not \"yes\"".into()));
    assert!(call("bdev_aio_create", json!({"name": "cfg_a", "filename": f.path(), "nowait": true})).unwrap_err().contains("nowait"));
    assert!(call("bdev_aio_create", json!({"name": "cfg_a", "filename": f.path(), "block_size": 1000})).unwrap_err().contains("block_size 1000"));
    assert_eq!(call("bdev_aio_create", json!({"name": "cfg_a", "filename": "/nope"})), Err("filename /nope: No such file or directory".into()));
    let u = "0b1a4a4e-2f60-4a0b-9d3e-3f3c8f0f7a11";
    assert_eq!(call("bdev_aio_create", json!({"name": "cfg_a", "filename": f.path(), "block_size": 4096, "fallocate": true, "uuid": u})), Ok(Some("cfg_a".into())));
    let a = get_by_name("cfg_a").unwrap();
    assert_eq!(
        aio::config_json(a),
        Some(json!({"method": "bdev_aio_create", "params": {"name": "cfg_a", "block_size": 4096, "filename": f.path(), "readonly": false, "fallocate": true, "uuid": u}}))
    );
    assert_eq!(aio::info_json(a), Some(json!({"aio": {"filename": f.path(), "block_size_override": true, "readonly": false, "fallocate": true}})));
    assert_eq!(uring::config_json(a), None);
    assert_eq!(uring::info_json(a), None);
    assert_eq!(call("bdev_aio_rescan", json!({"name": "cfg_a"})), Ok(None));
    assert!(call("bdev_uring_rescan", json!({"name": "cfg_a"})).unwrap_err().contains("not an uring bdev"));
    assert_eq!(call("bdev_aio_delete", json!({"name": "cfg_a"})), Ok(None));
    env.wait(|| get_by_name("cfg_a").is_none());
    assert!(call("bdev_aio_delete", json!({"name": "cfg_a"})).unwrap_err().contains("not found"));

    // Detected block size: no block_size in the saved call.
    call("bdev_aio_create", json!({"name": "cfg_b", "filename": f.path()})).unwrap();
    let b = get_by_name("cfg_b").unwrap();
    let saved = aio::config_json(b).unwrap();
    assert!(saved["params"].get("block_size").is_none());
    assert_eq!(saved["params"]["readonly"], json!(false));
    assert_eq!(aio::info_json(b).unwrap()["aio"]["block_size_override"], json!(false));
    config::undo("cfg_b");
    env.wait(|| get_by_name("cfg_b").is_none());

    if uring::available() {
        assert_eq!(call("bdev_uring_create", json!({"name": "cfg_u", "filename": f.path(), "readonly": true})), Err("unknown parameter 'readonly'".into()));
        assert_eq!(call("bdev_uring_create", json!({"name": "cfg_u", "filename": f.path(), "uuid": u})), Ok(Some("cfg_u".into())));
        let ub = get_by_name("cfg_u").unwrap();
        assert_eq!(uring::config_json(ub), Some(json!({"method": "bdev_uring_create", "params": {"name": "cfg_u", "block_size": 512, "filename": f.path(), "uuid": u}})));
        assert_eq!(uring::info_json(ub), Some(json!({"uring": {"filename": f.path()}})));
        assert_eq!(aio::config_json(ub), None);
        assert_eq!(call("bdev_uring_rescan", json!({"name": "cfg_u"})), Ok(None));
        // The saved call recreates the same bdev.
        let saved = uring::config_json(ub).unwrap();
        assert_eq!(call("bdev_uring_delete", json!({"name": "cfg_u"})), Ok(None));
        env.wait(|| get_by_name("cfg_u").is_none());
        assert_eq!(call(saved["method"].as_str().unwrap(), saved["params"].clone()), Ok(Some("cfg_u".into())));
        let again = get_by_name("cfg_u").unwrap();
        assert_eq!(uring::config_json(again), Some(saved));
        config::undo("cfg_u");
        env.wait(|| get_by_name("cfg_u").is_none());
    } else {
        println!("skipped the uring part: io_uring_setup is not available");
    }
}

/// A loop block device over a temporary file, detached on drop.
struct Loop {
    dev: String,
    _file: TempFile,
}

impl Loop {
    /// None (with the reason printed) when loop devices cannot be set up here.
    fn new(tag: &str, len: u64, sector: u32) -> Option<Loop> {
        let file = TempFile::new(tag, len);
        let out = std::process::Command::new("losetup").args(["--sector-size", &sector.to_string(), "-f", "--show", file.path()]).output();
        match out {
            Ok(o) if o.status.success() => Some(Loop { dev: String::from_utf8_lossy(&o.stdout).trim().to_string(), _file: file }),
            Ok(o) => {
                println!("skipped: losetup failed: {}", String::from_utf8_lossy(&o.stderr).trim());
                None
            }
            Err(e) => {
                println!("skipped: cannot run losetup: {e}");
                None
            }
        }
    }
}

impl Drop for Loop {
    fn drop(&mut self) {
        let _ = std::process::Command::new("losetup").args(["-d", &self.dev]).status();
    }
}

/// On a block device with 4096-byte sectors: the block size is detected,
/// a smaller one is refused, and data goes through the device to its file.
#[test]
fn block_device_geometry_and_data() {
    use spdk_bdev_io_type::*;
    let Some(lo) = Loop::new("file_loop", 4 * MIB, 4096) else {
        return;
    };
    let env = Env::new("file_loop");
    for b in [Backend::Aio, Backend::Uring] {
        if !b.usable() {
            continue;
        }
        let name = format!("{b:?}_loop");
        let o = Opts { name: &name, filename: &lo.dev, block_size: 0, readonly: false, fallocate: false, uuid: None };
        let small = Opts { block_size: 512, ..o };
        assert_eq!(b.create(&small).unwrap_err().to_string(), "block_size 512 is smaller than the device's logical block size 4096");
        let bd = b.create(&o).unwrap();
        assert_eq!((bdev_ref(bd).blocklen, bdev_ref(bd).blockcnt), (4096, 1024));
        assert_eq!(bdev_ref(bd).required_alignment, 12, "O_DIRECT on the device: 4 KiB-aligned buffers");
        let h = Open::new(&name, true, None);
        let mut buf = Buf::new(64 * 1024);
        pattern(b as u64 + 31, buf.bytes_mut());
        assert!(h.run(&env, SPDK_BDEV_IO_TYPE_WRITE, &mut [iov(&buf, 0, 64 * 1024)], 1000, 16));
        assert!(h.run(&env, SPDK_BDEV_IO_TYPE_FLUSH, &mut [], 0, 1024));
        let want = buf.bytes().to_vec();
        buf.bytes_mut().fill(0);
        assert!(h.run(&env, SPDK_BDEV_IO_TYPE_READ, &mut [iov(&buf, 0, 64 * 1024)], 1000, 16));
        assert!(buf.bytes() == &want[..]);
        assert!(lo._file.read()[1000 * 4096..][..64 * 1024] == want[..], "the loop device's file holds the data");
        drop(h);
        env.delete(b, &name);
    }
}
