//! Thread library tests driven by hand (no reactors): the test polls.

use super::io_channel as ioch;
use super::*;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

fn new_thread(name: &str) -> *mut Thread {
    create(Some(name), None).expect("thread")
}

fn t<'a>(p: *mut Thread) -> &'a Thread {
    // SAFETY: tests use threads they created and destroy at the end.
    unsafe { &*p }
}

fn finish(p: *mut Thread) {
    t(p).exit();
    for _ in 0..1000 {
        t(p).poll(0, 0);
        if t(p).is_exited() {
            break;
        }
    }
    assert!(t(p).is_exited(), "thread exits once idle");
    destroy(p);
}

struct Order {
    seen: Vec<(u64, u64)>,
}

extern "C" fn record(arg: *mut c_void) {
    let v = arg as u64;
    let cur = current();
    // SAFETY: the test stores a *mut Order in the thread's context slot via TEST_ORDER.
    let o = TEST_ORDER.with(|c| c.get());
    assert!(!cur.is_null());
    unsafe { (*o).seen.push((v >> 32, v & 0xffff_ffff)) };
}

thread_local! {
    static TEST_ORDER: Cell<*mut Order> = const { Cell::new(std::ptr::null_mut()) };
}

#[test]
fn messages_keep_per_sender_order_under_load() {
    const PER: u64 = 50_000;
    let th = new_thread("order");
    let mut order = Order { seen: Vec::new() };
    TEST_ORDER.with(|c| c.set(&mut order));
    let addr = th as usize;
    let senders: Vec<_> = (1..=2u64)
        .map(|s| {
            std::thread::spawn(move || {
                let target = addr as *mut Thread;
                for i in 0..PER {
                    // Full ring: back off and retry; nothing may be lost.
                    while t(target).send_msg(record, ((s << 32) | i) as *mut c_void).is_err() {
                        std::thread::yield_now();
                    }
                }
            })
        })
        .collect();
    while order.seen.len() < (2 * PER) as usize {
        t(th).poll(0, 0);
    }
    senders.into_iter().for_each(|h| h.join().unwrap());
    t(th).poll(0, 0);
    assert_eq!(order.seen.len(), (2 * PER) as usize, "every message arrives once");
    for s in 1..=2u64 {
        let mine: Vec<u64> = order.seen.iter().filter(|(x, _)| *x == s).map(|(_, i)| *i).collect();
        assert_eq!(mine, (0..PER).collect::<Vec<_>>(), "sender {s} in order");
    }
    TEST_ORDER.with(|c| c.set(std::ptr::null_mut()));
    finish(th);
}

#[test]
fn full_ring_reports_enomem() {
    let th = new_thread("full");
    extern "C" fn nop(_: *mut c_void) {}
    let mut sent = 0;
    while t(th).send_msg(nop, std::ptr::null_mut()).is_ok() {
        sent += 1;
    }
    assert_eq!(sent, MSG_RING_SIZE);
    assert_eq!(t(th).send_msg(nop, std::ptr::null_mut()), Err(ThreadError::Full));
    while t(th).pending_msgs() > 0 {
        t(th).poll(0, 0);
    }
    assert!(t(th).send_msg(nop, std::ptr::null_mut()).is_ok(), "recovers once drained");
    finish(th);
}

static TIMED_HITS: AtomicU32 = AtomicU32::new(0);
extern "C" fn timed(_: *mut c_void) -> c_int {
    TIMED_HITS.fetch_add(1, Ordering::Relaxed);
    1
}

#[test]
fn timed_poller_period_is_respected() {
    let th = new_thread("timed");
    set_current(th);
    let p = poller::register(timed, std::ptr::null_mut(), 10_000, Some("timed")).unwrap();
    set_current(std::ptr::null_mut());
    // Poll as fast as possible until the 10 ms poller ran 5 times: it must
    // not have run more often than its period allows (a loaded machine may
    // only make it later, so the bound is one-sided; the deadline is generous).
    let start = cpu::ticks();
    while TIMED_HITS.load(Ordering::Relaxed) < 5 {
        t(th).poll(0, 0);
        assert!(cpu::ticks() - start < 30 * cpu::TICKS_HZ, "a 10 ms poller did not run 5 times in 30 s");
    }
    let elapsed_ms = (cpu::ticks() - start) * 1000 / cpu::TICKS_HZ;
    assert!(elapsed_ms >= 45, "a 10 ms poller ran 5 times in {elapsed_ms} ms");
    let polls_after = TIMED_HITS.load(Ordering::Relaxed);
    // Right after a run, it is not due again for a period.
    for _ in 0..100 {
        t(th).poll(0, 0);
    }
    assert!(TIMED_HITS.load(Ordering::Relaxed) <= polls_after + 1);
    set_current(th);
    poller::unregister(p);
    set_current(std::ptr::null_mut());
    finish(th);
}

struct SelfUnreg {
    me: *mut poller::Poller,
    runs: u32,
}

extern "C" fn unreg_self(arg: *mut c_void) -> c_int {
    // SAFETY: arg is the test's SelfUnreg, alive for the test.
    let s = unsafe { &mut *(arg as *mut SelfUnreg) };
    s.runs += 1;
    if s.runs == 3 {
        poller::unregister(s.me);
    }
    0
}

#[test]
fn poller_unregisters_itself_and_thread_then_exits() {
    let th = new_thread("selfunreg");
    let mut s = SelfUnreg { me: std::ptr::null_mut(), runs: 0 };
    set_current(th);
    s.me = poller::register(unreg_self, &mut s as *mut SelfUnreg as *mut c_void, 0, None).unwrap();
    set_current(std::ptr::null_mut());
    t(th).exit();
    for _ in 0..10 {
        t(th).poll(0, 0);
    }
    assert_eq!(s.runs, 3, "no run after unregistering");
    assert!(t(th).is_exited(), "exits once its last poller is gone");
    destroy(th);
}

#[test]
fn pause_and_resume() {
    let th = new_thread("pause");
    let count = Arc::new(AtomicUsize::new(0));
    extern "C" fn inc(arg: *mut c_void) -> c_int {
        // SAFETY: arg is the Arc's AtomicUsize, alive for the test.
        unsafe { (*(arg as *const AtomicUsize)).fetch_add(1, Ordering::Relaxed) };
        1
    }
    set_current(th);
    let p = poller::register(inc, Arc::as_ptr(&count) as *mut c_void, 0, None).unwrap();
    poller::pause(p);
    set_current(std::ptr::null_mut());
    for _ in 0..5 {
        t(th).poll(0, 0);
    }
    assert_eq!(count.load(Ordering::Relaxed), 0);
    assert!(!t(th).has_active_pollers() && t(th).has_pollers());
    set_current(th);
    poller::resume(p);
    set_current(std::ptr::null_mut());
    for _ in 0..5 {
        t(th).poll(0, 0);
    }
    assert_eq!(count.load(Ordering::Relaxed), 5);
    set_current(th);
    poller::unregister(p);
    set_current(std::ptr::null_mut());
    finish(th);
}

static CREATED: AtomicU32 = AtomicU32::new(0);
static DESTROYED: AtomicU32 = AtomicU32::new(0);
static UNREGISTERED: AtomicU32 = AtomicU32::new(0);
static VISITS: AtomicU32 = AtomicU32::new(0);
static DONE: AtomicU32 = AtomicU32::new(0);

extern "C" fn ch_create(_dev: *mut c_void, ctx: *mut c_void) -> c_int {
    CREATED.fetch_add(1, Ordering::SeqCst);
    // SAFETY: the channel context is 8 bytes (ctx_size below).
    unsafe { *(ctx as *mut u64) = 0xfeed };
    0
}
extern "C" fn ch_destroy(_dev: *mut c_void, ctx: *mut c_void) {
    // SAFETY: as above.
    assert_eq!(unsafe { *(ctx as *mut u64) }, 0xfeed);
    DESTROYED.fetch_add(1, Ordering::SeqCst);
}
extern "C" fn dev_gone(_dev: *mut c_void) {
    UNREGISTERED.fetch_add(1, Ordering::SeqCst);
}
extern "C" fn visit(i: *mut ioch::ChannelIter) {
    // SAFETY: the walk hands us a live iterator.
    let ch = unsafe { (*i).channel() };
    assert!(!ch.is_null());
    assert_eq!(ioch::thread_of(ch), current());
    VISITS.fetch_add(1, Ordering::SeqCst);
    ioch::continue_iter(i, 0);
}
extern "C" fn visited(_i: *mut ioch::ChannelIter, status: c_int) {
    assert_eq!(status, 0);
    DONE.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn io_channel_lifecycle_and_for_each() {
    static DEV: u8 = 0;
    let dev = &DEV as *const u8 as *mut c_void;
    let (a, b) = (new_thread("ch_a"), new_thread("ch_b"));
    ioch::register(dev, ch_create, ch_destroy, 8, Some("testdev")).unwrap();
    assert_eq!(ioch::register(dev, ch_create, ch_destroy, 8, None), Err(ioch::ChannelError::AlreadyRegistered));
    set_current(a);
    let ca = ioch::get(dev).unwrap();
    assert_eq!(ioch::get(dev).unwrap(), ca, "one channel per thread and device");
    set_current(b);
    let cb = ioch::get(dev).unwrap();
    assert_ne!(ca, cb);
    assert_eq!(CREATED.load(Ordering::SeqCst), 2);

    set_current(a);
    ioch::for_each(dev, visit, std::ptr::null_mut(), Some(visited)).unwrap();
    set_current(std::ptr::null_mut());
    for _ in 0..20 {
        t(a).poll(0, 0);
        t(b).poll(0, 0);
    }
    assert_eq!(VISITS.load(Ordering::SeqCst), 2, "each channel visited once");
    assert_eq!(DONE.load(Ordering::SeqCst), 1, "completion once");

    set_current(a);
    ioch::unregister(dev, Some(dev_gone)).unwrap();
    assert!(ioch::get(dev).is_none(), "an unregistered io_device gives no new channel");
    ioch::put(ca);
    ioch::put(ca);
    set_current(std::ptr::null_mut());
    for _ in 0..10 {
        t(a).poll(0, 0);
    }
    assert_eq!(DESTROYED.load(Ordering::SeqCst), 1);
    assert_eq!(UNREGISTERED.load(Ordering::SeqCst), 0, "b still holds a channel");
    set_current(b);
    ioch::put(cb);
    set_current(std::ptr::null_mut());
    for _ in 0..10 {
        t(b).poll(0, 0);
        t(a).poll(0, 0);
    }
    assert_eq!(DESTROYED.load(Ordering::SeqCst), 2);
    assert_eq!(UNREGISTERED.load(Ordering::SeqCst), 1, "unregister completes after the last put");
    finish(a);
    finish(b);
}
