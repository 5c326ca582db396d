//! Zero-copy I/O through the layer: malloc lends its memory; passthru and
//! split parts forward to it at their offsets; bdevs without it refuse.

use super::io::{self, SubmitError};
use super::ext_tests::{start, stop};
use super::tests::{poll_until, rq, Ctx};
use super::*;
use crate::capi::thread::spdk_io_channel;
use crate::thread::Thread;
use std::cell::Cell;

/// A zero-copy I/O's phases as the caller sees them (Cells: written by the
/// callback through a pointer while the test holds shared references).
struct Z {
    done: Cell<u32>,
    ok: Cell<bool>,
    io: Cell<*mut spdk_bdev_io>,
    /// Free the bdev_io when called back (the end phase, or a failed start).
    free: Cell<bool>,
}

impl Z {
    fn new() -> Z {
        Z { done: Cell::new(0), ok: Cell::new(false), io: Cell::new(std::ptr::null_mut()), free: Cell::new(false) }
    }
    fn arg(&self) -> *mut c_void {
        self as *const Z as *mut c_void
    }
}

extern "C" fn on_z(io: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    // SAFETY: the test's Z, alive until checked.
    let z = unsafe { &*(arg as *const Z) };
    z.done.set(z.done.get() + 1);
    z.ok.set(success);
    z.io.set(io);
    if z.free.get() || !success {
        io::free_io(io);
    }
}

fn iovs_of(bio: *mut spdk_bdev_io) -> Vec<libc::iovec> {
    // SAFETY: a started zero-copy I/O: its block parameters name the lent buffers.
    unsafe { std::slice::from_raw_parts((*bio).u.bdev.iovs, (*bio).u.bdev.iovcnt as usize).to_vec() }
}

/// Writes `fill(i)` to `num` blocks at `off` through a zero-copy I/O
/// (start without populate, fill the lent buffers, end with commit).
fn zwrite(t: *mut Thread, d: *mut Desc, ch: *mut spdk_io_channel, off: u64, num: u64, fill: impl Fn(usize) -> u8) {
    let z = Z::new();
    zcopy::start(d, ch, std::ptr::null_mut(), 0, off, num, false, Some(on_z), z.arg()).unwrap();
    assert_eq!(z.done.get(), 0, "called back later, not inside the call");
    poll_until(t, || z.done.get() == 1);
    assert!(z.ok.get());
    let bio = z.io.get();
    // SAFETY: block parameters of the started I/O.
    let zf = unsafe { (*bio).u.bdev.zcopy };
    assert!(zf.start() && !zf.populate() && !zf.commit());
    let mut at = 0;
    for v in iovs_of(bio) {
        // SAFETY: a lent buffer of v.iov_len bytes, ours until the end.
        let s = unsafe { std::slice::from_raw_parts_mut(v.iov_base as *mut u8, v.iov_len) };
        for x in s.iter_mut() {
            *x = fill(at);
            at += 1;
        }
    }
    assert_eq!(at as u64, num * 512);
    z.free.set(true);
    zcopy::end(bio, true, Some(on_z), z.arg()).unwrap();
    poll_until(t, || z.done.get() == 2);
    assert!(z.ok.get());
}

/// Reads `num` blocks at `off` through a zero-copy I/O with populate, into a Vec.
fn zread(t: *mut Thread, d: *mut Desc, ch: *mut spdk_io_channel, off: u64, num: u64) -> Vec<u8> {
    let z = Z::new();
    let mut slots = [libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 }; 4];
    zcopy::start(d, ch, slots.as_mut_ptr(), 4, off, num, true, Some(on_z), z.arg()).unwrap();
    poll_until(t, || z.done.get() == 1);
    assert!(z.ok.get());
    let bio = z.io.get();
    let mut out = Vec::new();
    for v in iovs_of(bio) {
        // SAFETY: a lent buffer holding the blocks' data.
        out.extend_from_slice(unsafe { std::slice::from_raw_parts(v.iov_base as *const u8, v.iov_len) });
    }
    // The caller's iovec array received the buffers.
    assert_eq!(slots[0].iov_len, iovs_of(bio)[0].iov_len);
    assert_eq!(slots[0].iov_base, iovs_of(bio)[0].iov_base);
    z.free.set(true);
    zcopy::end(bio, false, Some(on_z), z.arg()).unwrap();
    poll_until(t, || z.done.get() == 2);
    assert!(z.ok.get());
    out
}

fn read(t: *mut Thread, d: *mut Desc, ch: *mut spdk_io_channel, off: u64, num: u64) -> Vec<u8> {
    let buf = crate::env::mem::alloc(num as usize * 512, 4096).unwrap();
    let c = Ctx::new();
    io::submit(d, ch, rq(spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ, buf, off, num, &c)).unwrap();
    poll_until(t, || c.done.get() == 1);
    assert!(c.ok.get());
    // SAFETY: the read filled num blocks.
    let v = unsafe { std::slice::from_raw_parts(buf, num as usize * 512) }.to_vec();
    crate::env::mem::free(buf);
    v
}

#[test]
fn malloc_lends_its_memory() {
    use spdk_bdev_io_type::*;
    let t = start("zcopy_malloc");
    let b = malloc::create("zc_m0", 64, 512, None).unwrap();
    assert!(io_type_supported(b, SPDK_BDEV_IO_TYPE_ZCOPY));
    let rw = open("zc_m0", true, None, std::ptr::null_mut()).unwrap();
    let ro = open("zc_m0", false, None, std::ptr::null_mut()).unwrap();
    let ch: *mut spdk_io_channel = ioch::get(b.cast()).unwrap().cast();

    zwrite(t, rw, ch, 8, 4, |i| (i * 13 + 5) as u8);
    let back = read(t, rw, ch, 8, 4);
    assert!(back.iter().enumerate().all(|(i, &x)| x == (i * 13 + 5) as u8), "the write landed in the disk");
    assert_eq!(io::chan(ch).stat.num_write_ops, 1, "a committed end counts as a write");
    assert_eq!(io::chan(ch).stat.bytes_written, 4 * 512);
    // A normal write, then a zero-copy read of it through a read-only descriptor.
    let buf = crate::env::mem::alloc(2 * 512, 4096).unwrap();
    // SAFETY: a live 1 KiB block.
    unsafe { std::slice::from_raw_parts_mut(buf, 1024) }.iter_mut().enumerate().for_each(|(i, x)| *x = (i % 251) as u8);
    let c = Ctx::new();
    io::submit(rw, ch, rq(SPDK_BDEV_IO_TYPE_WRITE, buf, 30, 2, &c)).unwrap();
    poll_until(t, || c.done.get() == 1);
    let reads = io::chan(ch).stat.num_read_ops;
    let got = zread(t, ro, ch, 30, 2);
    assert!(got.iter().enumerate().all(|(i, &x)| x == (i % 251) as u8));
    assert_eq!(io::chan(ch).stat.num_read_ops, reads + 1, "a populated start counts as a read");

    // The lent buffer is the disk itself: two starts on the same blocks see the same memory.
    let (z1, z2) = (Z::new(), Z::new());
    zcopy::start(rw, ch, std::ptr::null_mut(), 0, 3, 1, true, Some(on_z), z1.arg()).unwrap();
    zcopy::start(rw, ch, std::ptr::null_mut(), 0, 3, 1, false, Some(on_z), z2.arg()).unwrap();
    poll_until(t, || z1.done.get() == 1 && z2.done.get() == 1);
    assert_eq!(iovs_of(z1.io.get())[0].iov_base, iovs_of(z2.io.get())[0].iov_base);
    assert_eq!(iovs_of(z1.io.get())[0].iov_len, 512);
    // Ending twice, or ending what is not a started zero-copy I/O, is refused.
    z1.free.set(true);
    z2.free.set(true);
    zcopy::end(z1.io.get(), false, Some(on_z), z1.arg()).unwrap();
    poll_until(t, || z1.done.get() == 2);
    zcopy::end(z2.io.get(), true, Some(on_z), z2.arg()).unwrap();
    assert_eq!(zcopy::end(z2.io.get(), true, Some(on_z), z2.arg()), Err(SubmitError::Invalid), "ended already");
    poll_until(t, || z2.done.get() == 2);

    // SPDK's errors.
    let z = Z::new();
    assert_eq!(zcopy::start(ro, ch, std::ptr::null_mut(), 0, 0, 1, false, Some(on_z), z.arg()), Err(SubmitError::ReadOnly));
    assert_eq!(zcopy::start(rw, ch, std::ptr::null_mut(), 0, 63, 2, true, Some(on_z), z.arg()), Err(SubmitError::Invalid));
    assert_eq!(zcopy::start(rw, ch, std::ptr::null_mut(), 0, 0, 0, true, Some(on_z), z.arg()), Err(SubmitError::Invalid));
    assert_eq!(zcopy::start(rw, ch, std::ptr::null_mut(), 0, u64::MAX, 2, true, Some(on_z), z.arg()), Err(SubmitError::Invalid));
    assert_eq!(zcopy::end(std::ptr::null_mut(), true, None, std::ptr::null_mut()), Err(SubmitError::Invalid));
    // A read's bdev_io is no zero-copy I/O; the generic path refuses ZCOPY requests.
    let keep = Z::new();
    keep.free.set(false);
    let rq_read = io::Request { cb: Some(on_z), cb_arg: keep.arg(), ..rq(SPDK_BDEV_IO_TYPE_READ, buf, 0, 1, &c) };
    io::submit(rw, ch, rq_read).unwrap();
    poll_until(t, || keep.done.get() == 1);
    assert_eq!(zcopy::end(keep.io.get(), true, None, std::ptr::null_mut()), Err(SubmitError::Invalid));
    io::free_io(keep.io.get());
    assert_eq!(io::submit(rw, ch, rq(SPDK_BDEV_IO_TYPE_ZCOPY, buf, 0, 1, &c)), Err(SubmitError::Invalid));
    assert_eq!(z.done.get(), 0);
    assert_eq!(io::chan(ch).outstanding, 0, "every phase completed");

    // The null bdev has no zero-copy.
    let n = null::create("zc_n0", 1024, 512, None).unwrap();
    assert!(!io_type_supported(n, SPDK_BDEV_IO_TYPE_ZCOPY));
    let nd = open("zc_n0", true, None, std::ptr::null_mut()).unwrap();
    let nch: *mut spdk_io_channel = ioch::get(n.cast()).unwrap().cast();
    assert_eq!(zcopy::start(nd, nch, std::ptr::null_mut(), 0, 0, 1, true, Some(on_z), z.arg()), Err(SubmitError::Unsupported));
    ioch::put(nch.cast());
    close(nd);
    null::delete("zc_n0", None, std::ptr::null_mut()).unwrap();

    crate::env::mem::free(buf);
    ioch::put(ch.cast());
    close(rw);
    close(ro);
    malloc::delete("zc_m0", None, std::ptr::null_mut()).unwrap();
    poll_until(t, || get_by_name("zc_m0").is_none() && get_by_name("zc_n0").is_none());
    stop(t);
}

#[test]
fn parts_forward_zero_copy_at_their_offset() {
    use spdk_bdev_io_type::*;
    let t = start("zcopy_parts");
    let base = malloc::create("zc_base", 64, 512, None).unwrap();
    let names = split::create("zc_base", 4, None).unwrap();
    let p2 = get_by_name(&names[2]).unwrap();
    assert!(io_type_supported(p2, SPDK_BDEV_IO_TYPE_ZCOPY), "a split part of a malloc bdev has zero-copy");
    let d = open(&names[2], true, None, std::ptr::null_mut()).unwrap();
    let ch: *mut spdk_io_channel = ioch::get(p2.cast()).unwrap().cast();
    let bd = open("zc_base", false, None, std::ptr::null_mut()).unwrap();
    let bch: *mut spdk_io_channel = ioch::get(base.cast()).unwrap().cast();

    zwrite(t, d, ch, 1, 3, |i| (i * 3 + 1) as u8);
    // Part 2 starts at block 32 of the base: the data is at 33..36 there.
    let back = read(t, bd, bch, 33, 3);
    assert!(back.iter().enumerate().all(|(i, &x)| x == (i * 3 + 1) as u8));
    let got = zread(t, d, ch, 1, 3);
    assert_eq!(got, back);
    // Out of the part's range, though inside the base.
    let z = Z::new();
    assert_eq!(zcopy::start(d, ch, std::ptr::null_mut(), 0, 15, 2, true, Some(on_z), z.arg()), Err(SubmitError::Invalid));
    assert_eq!(io::chan(ch).outstanding, 0);
    assert_eq!(io::chan(bch).outstanding, 0, "every base phase completed");

    ioch::put(ch.cast());
    close(d);
    ioch::put(bch.cast());
    close(bd);
    split::delete("zc_base").unwrap();
    poll_until(t, || names.iter().all(|n| get_by_name(n).is_none()));

    // Passthru forwards too; the error bdev (injection acts on carried data) has none.
    passthru::create("zc_base", "zc_pt", None).unwrap();
    let pt = get_by_name("zc_pt").unwrap();
    assert!(io_type_supported(pt, SPDK_BDEV_IO_TYPE_ZCOPY));
    let d = open("zc_pt", true, None, std::ptr::null_mut()).unwrap();
    let ch: *mut spdk_io_channel = ioch::get(pt.cast()).unwrap().cast();
    zwrite(t, d, ch, 60, 4, |i| (i ^ 0x5a) as u8);
    let got = zread(t, d, ch, 60, 4);
    assert!(got.iter().enumerate().all(|(i, &x)| x == (i ^ 0x5a) as u8));
    ioch::put(ch.cast());
    close(d);
    passthru::delete("zc_pt").unwrap();
    poll_until(t, || get_by_name("zc_pt").is_none());

    error::create("zc_base", None).unwrap();
    let ee = get_by_name("EE_zc_base").unwrap();
    assert!(!io_type_supported(ee, SPDK_BDEV_IO_TYPE_ZCOPY));
    error::delete("EE_zc_base").unwrap();
    poll_until(t, || get_by_name("EE_zc_base").is_none());

    malloc::delete("zc_base", None, std::ptr::null_mut()).unwrap();
    poll_until(t, || get_by_name("zc_base").is_none());
    stop(t);
}
