//! Reactors: one per core of the application's mask, each an OS thread pinned
//! to its core that runs events sent to its core and polls the spdk_threads
//! scheduled on it, until the application stops and every thread has exited.

use crate::env::{cpu, ring::Ring};
use crate::thread::{self, Thread};
use parking_lot::RwLock;
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::Arc;

pub type EventFn = extern "C" fn(*mut c_void, *mut c_void);

/// An event: a function and two arguments for one core (C's `struct spdk_event`).
pub struct Event {
    lcore: u32,
    f: EventFn,
    arg1: *mut c_void,
    arg2: *mut c_void,
}

const EVENT_RING_SIZE: usize = 65536;
const RUNNING: u8 = 0;
const EXITING: u8 = 1;

pub struct Reactor {
    pub lcore: u32,
    events: Ring<usize>,
    incoming: Ring<usize>,
    state: AtomicU8,
    thread_count: AtomicUsize,
}

static REACTORS: RwLock<Vec<Arc<Reactor>>> = RwLock::new(Vec::new());
static NEXT_PICK: AtomicUsize = AtomicUsize::new(0);
/// Set from the signal handler; the main reactor acts on it.
pub static SHUTDOWN_SIGNALED: AtomicBool = AtomicBool::new(false);

pub fn create_all(cores: &[u32]) {
    let mut g = REACTORS.write();
    g.clear();
    for &c in cores {
        g.push(Arc::new(Reactor {
            lcore: c,
            events: Ring::new(EVENT_RING_SIZE),
            incoming: Ring::new(4096),
            state: AtomicU8::new(RUNNING),
            thread_count: AtomicUsize::new(0),
        }));
    }
}

pub fn clear_all() {
    REACTORS.write().clear();
}

pub fn get(lcore: u32) -> Option<Arc<Reactor>> {
    REACTORS.read().iter().find(|r| r.lcore == lcore).cloned()
}

pub fn all() -> Vec<Arc<Reactor>> {
    REACTORS.read().clone()
}

pub fn is_running() -> bool {
    !REACTORS.read().is_empty()
}

/// The scheduler hook for new threads: place on a reactor whose core is in the thread's mask.
pub fn schedule(t: *mut Thread) -> i32 {
    // SAFETY: the thread library passes a live, just-created thread.
    let mask = unsafe { (*t).cpumask_copy() };
    let g = REACTORS.read();
    let candidates: Vec<&Arc<Reactor>> = g.iter().filter(|r| mask.get(r.lcore)).collect();
    let candidates = if candidates.is_empty() { g.iter().collect() } else { candidates };
    if candidates.is_empty() {
        return -libc::ENODEV;
    }
    let r = candidates[NEXT_PICK.fetch_add(1, Ordering::Relaxed) % candidates.len()];
    if !r.incoming.push(t as usize) {
        return -libc::ENOMEM;
    }
    r.thread_count.fetch_add(1, Ordering::AcqRel);
    // SAFETY: as above.
    unsafe { (*t).sched.store(r.lcore as usize, Ordering::Release) };
    0
}

/// `spdk_event_allocate`: None if `lcore` has no reactor.
pub fn event_allocate(lcore: u32, f: EventFn, arg1: *mut c_void, arg2: *mut c_void) -> Option<*mut Event> {
    get(lcore)?;
    Some(Box::into_raw(Box::new(Event { lcore, f, arg1, arg2 })))
}

/// `spdk_event_call`: hands the event to its reactor.
pub fn event_call(ev: *mut Event) {
    // SAFETY: events come from event_allocate and are called once.
    let lcore = unsafe { (*ev).lcore };
    match get(lcore) {
        Some(r) if r.events.push(ev as usize) => {}
        _ => {
            crate::log::error(format_args!("spdk_event_call: core {lcore} cannot take the event; dropped\n"));
            // SAFETY: not queued; we own it.
            drop(unsafe { Box::from_raw(ev) });
        }
    }
}

/// Asks every reactor to stop once its threads have exited.
pub fn stop_all() {
    for r in REACTORS.read().iter() {
        r.state.store(EXITING, Ordering::Release);
    }
}

impl Reactor {
    fn run_events(&self) -> usize {
        let mut buf = [0usize; 32];
        let n = self.events.dequeue_burst(&mut buf);
        for &e in &buf[..n] {
            // SAFETY: queued by event_call; each event is run once and freed here.
            let ev = unsafe { Box::from_raw(e as *mut Event) };
            (ev.f)(ev.arg1, ev.arg2);
        }
        n
    }

    /// The reactor loop. `on_iteration` runs once per loop (the main reactor handles signals there).
    pub fn run(&self, on_iteration: &dyn Fn()) {
        cpu::set_current_core(self.lcore);
        let mut threads: Vec<*mut Thread> = Vec::new();
        loop {
            self.run_events();
            while let Some(t) = self.incoming.pop() {
                threads.push(t as *mut Thread);
            }
            let exiting = self.state.load(Ordering::Acquire) == EXITING;
            let now = cpu::ticks();
            for &t in &threads {
                // SAFETY: threads scheduled here are polled only by this reactor
                // and destroyed only below, by this reactor.
                let th = unsafe { &*t };
                if exiting {
                    th.exit();
                }
                th.poll(0, now);
            }
            threads.retain(|&t| {
                // SAFETY: as above.
                if unsafe { (*t).is_exited() } {
                    thread::destroy(t);
                    self.thread_count.fetch_sub(1, Ordering::AcqRel);
                    false
                } else {
                    true
                }
            });
            on_iteration();
            if exiting && threads.is_empty() && self.incoming.is_empty() {
                // Run what is left for this core, then stop.
                while self.run_events() > 0 {}
                break;
            }
        }
        cpu::set_current_core(cpu::LCORE_ID_ANY);
    }
}
