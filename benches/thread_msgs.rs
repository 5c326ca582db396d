//! Micro-benchmarks of the thread library (not a test: figures are printed,
//! never asserted). Each figure comes with a baseline measured in the same
//! run, as these machines are noisy:
//!
//! 1. cross-thread messages per second: one OS thread sends `spdk_thread`
//!    messages, another polls the thread; baseline: the same pattern over
//!    `std::sync::mpsc`.
//! 2. the idle poll loop: `Thread::poll` with nothing to do; baseline: one
//!    read of the clock (`spdk_get_ticks`), which every poll makes anyway.
//!
//! `--smoke` runs a few iterations only (used by the test command).

use rspdk::env::cpu;
use rspdk::thread::{self, Thread};
use std::ffi::c_void;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

static COUNT: AtomicU64 = AtomicU64::new(0);
extern "C" fn count(_: *mut c_void) {
    COUNT.fetch_add(1, Ordering::Relaxed);
}

fn spdk_msgs(n: u64) -> f64 {
    COUNT.store(0, Ordering::Relaxed);
    let t = thread::create(Some("bench"), None).expect("thread");
    let addr = t as usize;
    let start = Instant::now();
    let producer = std::thread::spawn(move || {
        // SAFETY: the thread outlives the producer (joined before destroy).
        let th = unsafe { &*(addr as *const Thread) };
        let mut sent = 0;
        while sent < n {
            if th.send_msg(count, std::ptr::null_mut()).is_ok() {
                sent += 1;
            } else {
                std::hint::spin_loop();
            }
        }
    });
    // SAFETY: as above.
    let th = unsafe { &*t };
    while COUNT.load(Ordering::Relaxed) < n {
        th.poll(0, 0);
    }
    let secs = start.elapsed().as_secs_f64();
    producer.join().unwrap();
    th.exit();
    while !th.is_exited() {
        th.poll(0, 0);
    }
    thread::destroy(t);
    n as f64 / secs
}

fn mpsc_msgs(n: u64) -> f64 {
    let (tx, rx) = std::sync::mpsc::channel::<(extern "C" fn(*mut c_void), usize)>();
    COUNT.store(0, Ordering::Relaxed);
    let start = Instant::now();
    let producer = std::thread::spawn(move || {
        for _ in 0..n {
            tx.send((count, 0)).unwrap();
        }
    });
    let mut got = 0;
    while got < n {
        while let Ok((f, a)) = rx.try_recv() {
            f(a as *mut c_void);
            got += 1;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    producer.join().unwrap();
    n as f64 / secs
}

fn idle_poll_ns(n: u64) -> (f64, f64) {
    let t = thread::create(Some("idle"), None).expect("thread");
    // SAFETY: created above, destroyed below.
    let th = unsafe { &*t };
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(th.poll(0, 0));
    }
    let poll_ns = start.elapsed().as_nanos() as f64 / n as f64;
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(cpu::ticks());
    }
    let tick_ns = start.elapsed().as_nanos() as f64 / n as f64;
    th.exit();
    while !th.is_exited() {
        th.poll(0, 0);
    }
    thread::destroy(t);
    (poll_ns, tick_ns)
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--smoke");
    let (msgs, polls, rounds) = if smoke { (100_000, 100_000, 1) } else { (10_000_000, 20_000_000, 3) };
    for round in 1..=rounds {
        let ours = spdk_msgs(msgs);
        let base = mpsc_msgs(msgs);
        println!(
            "round {round}: cross-thread messages: spdk_thread {:.2} M/s, std mpsc {:.2} M/s, ratio {:.2}",
            ours / 1e6,
            base / 1e6,
            ours / base
        );
        let (poll, tick) = idle_poll_ns(polls);
        println!("round {round}: idle poll: {poll:.1} ns per spdk_thread_poll, clock read {tick:.1} ns, ratio {:.2}", poll / tick);
    }
}
