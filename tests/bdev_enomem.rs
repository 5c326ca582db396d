//! The bdev layer with a tiny bdev_io pool (4) under 256 I/Os in flight:
//! submissions that find no bdev_io get -ENOMEM, wait with
//! spdk_bdev_queue_io_wait, resubmit when called, and every I/O completes.

use rspdk::bdev::{self, io};
use rspdk::capi::bdev_types::*;
use rspdk::thread;
use std::ffi::c_void;

const TOTAL: u32 = 256;

struct State {
    desc: *mut bdev::Desc,
    ch: *mut rspdk::capi::thread::spdk_io_channel,
    buf: *mut u8,
    next: u32,
    done: u32,
    enomem: u32,
    waits: u32,
    entry: spdk_bdev_io_wait_entry,
    waiting: bool,
}

extern "C" fn on_done(bio: *mut spdk_bdev_io, success: bool, arg: *mut c_void) {
    // SAFETY: arg is the test's State.
    let s = unsafe { &mut *(arg as *mut State) };
    assert!(success);
    s.done += 1;
    io::free_io(bio);
}

extern "C" fn on_wait(arg: *mut c_void) {
    // SAFETY: as above.
    let s = unsafe { &mut *(arg as *mut State) };
    s.waits += 1;
    s.waiting = false;
    submit_more(s);
}

fn submit_more(s: &mut State) {
    while s.next < TOTAL && !s.waiting {
        let req = io::Request {
            io_type: spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ,
            iovs: std::ptr::null_mut(),
            iovcnt: 0,
            buf: s.buf.cast(),
            md_buf: std::ptr::null_mut(),
            offset_blocks: (s.next % 64) as u64,
            num_blocks: 1,
            cb: Some(on_done),
            cb_arg: s as *mut State as *mut c_void,
        };
        match io::submit(s.desc, s.ch, req) {
            Ok(()) => s.next += 1,
            Err(io::SubmitError::NoMemory) => {
                s.enomem += 1;
                s.entry.bdev = bdev::bdev_ref_ptr(s.desc);
                s.entry.cb_fn = Some(on_wait);
                s.entry.cb_arg = s as *mut State as *mut c_void;
                io::queue_io_wait(s.ch, &mut s.entry).expect("no bdev_io free: waiting is allowed");
                s.waiting = true;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
}

#[test]
fn tiny_pool_under_load() {
    bdev::set_pool_opts(4, 1).unwrap();
    let t = thread::create(Some("enomem"), None).unwrap();
    thread::set_current(t);
    bdev::malloc::create("tiny", 64, 512, None).unwrap();
    let desc = bdev::open("tiny", false, None, std::ptr::null_mut()).unwrap();
    let ch = rspdk::thread::io_channel::get(bdev::bdev_ref_ptr(desc).cast()).unwrap().cast();
    let buf = rspdk::env::mem::alloc(512, 4096).unwrap();
    // SAFETY: all-zero is a valid wait entry (nullable pointers, None callback).
    let entry: spdk_bdev_io_wait_entry = unsafe { std::mem::zeroed() };
    let mut s = Box::new(State { desc, ch, buf, next: 0, done: 0, enomem: 0, waits: 0, entry, waiting: false });
    submit_more(&mut s);
    let mut polls = 0;
    while s.done < TOTAL {
        // SAFETY: the test's live thread.
        unsafe { (*t).poll(0, 0) };
        polls += 1;
        assert!(polls < 1_000_000, "stuck at {} of {TOTAL}", s.done);
    }
    println!("256 I/Os through a pool of 4: {} ENOMEM, {} io_wait callbacks", s.enomem, s.waits);
    assert!(s.enomem > 0, "the pool ran out");
    assert_eq!(s.enomem, s.waits, "every wait was answered");
    assert_eq!(s.next, TOTAL);
}
