//! The event framework end to end: reactors on two cores exchanging messages
//! under load (every message counted), events on a chosen core, and the
//! shutdown order of subsystems when SIGTERM arrives. One test function, as
//! the framework is process-wide.

use rspdk::event::{app, reactor, subsystem};
use rspdk::thread::{self, Thread};
use std::ffi::c_void;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

const PER_DIRECTION: u64 = 200_000;

static RECEIVED: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
static NEXT_EXPECTED: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];
static OUT_OF_ORDER: AtomicUsize = AtomicUsize::new(0);
static FINISHED: AtomicUsize = AtomicUsize::new(0);

extern "C" fn on_msg(arg: *mut c_void) {
    let v = arg as u64;
    let dir = (v >> 63) as usize;
    let seq = v & !(1 << 63);
    if NEXT_EXPECTED[dir].swap(seq + 1, Ordering::Relaxed) != seq {
        OUT_OF_ORDER.fetch_add(1, Ordering::Relaxed);
    }
    if RECEIVED[dir].fetch_add(1, Ordering::Relaxed) + 1 == PER_DIRECTION && FINISHED.fetch_add(1, Ordering::AcqRel) + 1 == 2 {
        app::stop(0);
    }
}

/// A poller on each side sends its direction's messages as fast as the peer's ring accepts.
struct Sender {
    dir: u64,
    sent: u64,
    peer: *const Thread,
    me: *mut rspdk::thread::poller::Poller,
}

extern "C" fn send_some(arg: *mut c_void) -> i32 {
    // SAFETY: arg is a leaked Sender owned by this poller's thread.
    let s = unsafe { &mut *(arg as *mut Sender) };
    let mut n = 0;
    while s.sent < PER_DIRECTION && n < 256 {
        // SAFETY: the peer thread lives until the app stops, after all messages.
        let peer = unsafe { &*s.peer };
        if peer.send_msg(on_msg, ((s.dir << 63) | s.sent) as *mut c_void).is_err() {
            break; // ring full: retry on the next poll
        }
        s.sent += 1;
        n += 1;
    }
    if s.sent == PER_DIRECTION && !s.me.is_null() {
        rspdk::thread::poller::unregister(s.me);
        // SAFETY: the Sender was leaked for this poller, which is now gone.
        drop(unsafe { Box::from_raw(s as *mut Sender) });
    }
    (n > 0) as i32
}

fn thread_on_core(core: u32) -> *mut Thread {
    let mut found = std::ptr::null_mut();
    for id in thread::ids() {
        let t = thread::by_id(id);
        // SAFETY: registry threads are live during the app.
        if unsafe { (*t).sched.load(Ordering::Acquire) } == core as usize {
            found = t;
        }
    }
    found
}

static ORDER: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn sub_a_init(done: subsystem::Done) {
    ORDER.lock().unwrap().push("init a".into());
    done(0)
}
fn sub_a_fini(done: subsystem::Done) {
    ORDER.lock().unwrap().push("fini a".into());
    done(0)
}
fn sub_b_init(done: subsystem::Done) {
    ORDER.lock().unwrap().push("init b".into());
    done(0)
}
fn sub_b_fini(done: subsystem::Done) {
    ORDER.lock().unwrap().push("fini b".into());
    done(0)
}
static SUB_B: subsystem::Subsystem = subsystem::Subsystem { name: "test_b", depends_on: &["test_a"], init: sub_b_init, fini: sub_b_fini };
static SUB_A: subsystem::Subsystem = subsystem::Subsystem { name: "test_a", depends_on: &[], init: sub_a_init, fini: sub_a_fini };

static EVENT_CORE: AtomicU64 = AtomicU64::new(u64::MAX);
extern "C" fn on_event(a: *mut c_void, b: *mut c_void) {
    assert_eq!((a as usize, b as usize), (7, 9));
    EVENT_CORE.store(rspdk::env::cpu::current_core() as u64, Ordering::Release);
}

#[test]
fn reactors_messages_events_and_shutdown_order() {
    let cores = rspdk::env::cpu::online_cpus();
    let two = cores.len() >= 2;
    let mask = if two { format!("[{},{}]", cores[0], cores[1]) } else { format!("[{}]", cores[0]) };
    let other = if two { cores[1] } else { cores[0] };

    // 1. Cross-reactor message load: every message counted, per-direction order kept.
    let cfg = app::AppConfig { reactor_mask: Some(mask.clone()), disable_signal_handlers: true, ..Default::default() };
    let rc = app::start(
        cfg,
        Box::new(move || {
            let a = thread::current();
            let b = thread_on_core(other);
            assert!(!a.is_null() && !b.is_null());
            let ev = reactor::event_allocate(other, on_event, 7 as *mut c_void, 9 as *mut c_void).expect("event");
            reactor::event_call(ev);
            let sa = Box::into_raw(Box::new(Sender { dir: 0, sent: 0, peer: b, me: std::ptr::null_mut() }));
            // SAFETY: sa is the Sender just leaked; the poller owns it from here.
            unsafe { (*sa).me = rspdk::thread::poller::register(send_some, sa.cast(), 0, Some("send_a")).unwrap() };
            let sb = Box::into_raw(Box::new(Sender { dir: 1, sent: 0, peer: a, me: std::ptr::null_mut() }));
            // SAFETY: b is live; the closure runs on b and registers b's poller there.
            let bt = unsafe { &*b };
            let sb = sb as usize;
            thread::send_fn(bt, move || {
                let p = rspdk::thread::poller::register(send_some, sb as *mut c_void, 0, Some("send_b")).unwrap();
                // SAFETY: sb is the Sender leaked for this poller.
                unsafe { (*(sb as *mut Sender)).me = p };
            })
            .unwrap();
        }),
    );
    assert_eq!(rc, 0);
    assert_eq!(RECEIVED[0].load(Ordering::SeqCst), PER_DIRECTION, "a->b: none lost");
    assert_eq!(RECEIVED[1].load(Ordering::SeqCst), PER_DIRECTION, "b->a: none lost");
    assert_eq!(OUT_OF_ORDER.load(Ordering::SeqCst), 0, "per-sender order kept");
    assert_eq!(EVENT_CORE.load(Ordering::SeqCst), other as u64, "event ran on its core");
    app::fini();

    // 2. SIGTERM: subsystems start in dependency order and stop in reverse.
    subsystem::register(&SUB_B);
    subsystem::register(&SUB_A);
    let cfg = app::AppConfig { reactor_mask: Some(mask), ..Default::default() };
    let rc = app::start(
        cfg,
        Box::new(|| {
            // SAFETY: raising a signal at our own process; the app's handler is installed.
            unsafe { libc::raise(libc::SIGTERM) };
        }),
    );
    assert_eq!(rc, 0);
    assert_eq!(*ORDER.lock().unwrap(), vec!["init a", "init b", "fini b", "fini a"]);
    assert_eq!(thread::count(), 0, "every thread exited and was destroyed");
    app::fini();
    subsystem::unregister("test_a");
    subsystem::unregister("test_b");
}
