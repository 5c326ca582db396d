//! Pollers: functions a thread calls on every poll (period 0, "active") or
//! when their period has elapsed ("timed"). A poller may unregister or pause
//! itself from inside its own callback; removal then happens after it returns.

use super::{current, Local, PollerFn, Thread};
use crate::env::cpu;
use std::cell::Cell;
use std::ffi::{c_void, CString};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Waiting,
    Running,
    Unregistered,
    Pausing,
    Paused,
}

/// Where the poller is kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Active,
    Timed,
    PausedList,
    /// Taken out of the timed map while its callback runs.
    Detached,
}

pub struct Poller {
    f: PollerFn,
    arg: *mut c_void,
    period_ticks: u64,
    next_run: Cell<u64>,
    id: u64,
    state: Cell<State>,
    place: Cell<Place>,
    name: CString,
    thread: *const Thread,
    run_count: Cell<u64>,
    busy_count: Cell<u64>,
}

impl Poller {
    pub fn name(&self) -> &str {
        self.name.to_str().unwrap_or("")
    }
    pub fn state(&self) -> State {
        self.state.get()
    }
    pub fn period_ticks(&self) -> u64 {
        self.period_ticks
    }
    pub fn run_count(&self) -> u64 {
        self.run_count.get()
    }
    pub fn busy_count(&self) -> u64 {
        self.busy_count.get()
    }
    pub fn thread(&self) -> *const Thread {
        self.thread
    }
}

pub(crate) fn free(p: *mut Poller) {
    // SAFETY: pollers are created by Box::into_raw in `register` and freed once,
    // when their thread drops them from every list.
    drop(unsafe { Box::from_raw(p) });
}

fn get<'a>(p: *mut Poller) -> &'a Poller {
    // SAFETY: a poller pointer in a thread's lists (or handed to the owner
    // thread's caller) stays valid until `free`, which happens only after it
    // left every list, on the owner thread.
    unsafe { &*p }
}

/// Registers a poller on the current thread; `period_us` 0 makes it active.
pub fn register(f: PollerFn, arg: *mut c_void, period_us: u64, name: Option<&str>) -> Option<*mut Poller> {
    let t = current();
    if t.is_null() {
        crate::log::error(format_args!("spdk_poller_register called outside of an spdk_thread\n"));
        return None;
    }
    // SAFETY: the current thread is live while it runs.
    let thread = unsafe { &*t };
    if thread.is_exited() {
        crate::log::error(format_args!("thread {} has exited; poller not registered\n", thread.name()));
        return None;
    }
    let period_ticks = period_us.saturating_mul(cpu::TICKS_HZ) / 1_000_000;
    let mut l = thread.local.borrow_mut();
    let id = l.next_poller_id;
    l.next_poller_id += 1;
    let name = CString::new(name.unwrap_or("")).unwrap_or_default();
    let name = if name.as_bytes().is_empty() { CString::new(format!("{:p}", f as *const ())).expect("no NUL") } else { name };
    let p = Box::into_raw(Box::new(Poller {
        f,
        arg,
        period_ticks,
        next_run: Cell::new(0),
        id,
        state: Cell::new(State::Waiting),
        place: Cell::new(Place::Active),
        name,
        thread: t,
        run_count: Cell::new(0),
        busy_count: Cell::new(0),
    }));
    if period_ticks == 0 {
        l.active.push(p);
    } else {
        insert_timed(&mut l, p, cpu::ticks());
    }
    Some(p)
}

fn insert_timed(l: &mut Local, p: *mut Poller, now: u64) {
    let poller = get(p);
    poller.next_run.set(now + poller.period_ticks);
    poller.place.set(Place::Timed);
    l.timed.insert((poller.next_run.get(), poller.id), p);
}

fn owner_check(p: *mut Poller, what: &str) -> Option<&'static Thread> {
    let poller = get(p);
    let t = current();
    if t.is_null() || t as *const Thread != poller.thread {
        crate::log::error(format_args!("{what}: poller {} must be used on its own thread\n", poller.name()));
        return None;
    }
    // SAFETY: the owner thread is live while it runs.
    Some(unsafe { &*t })
}

/// Unregisters; inside the poller's own callback it takes effect when the callback returns.
pub fn unregister(p: *mut Poller) {
    let Some(thread) = owner_check(p, "spdk_poller_unregister") else { return };
    let poller = get(p);
    let mut l = thread.local.borrow_mut();
    match (poller.state.get(), poller.place.get()) {
        (State::Unregistered, _) => {}
        (State::Running, _) | (State::Pausing, _) => poller.state.set(State::Unregistered),
        (_, Place::Timed) => {
            l.timed.remove(&(poller.next_run.get(), poller.id));
            drop(l);
            free(p);
        }
        (_, Place::PausedList) => {
            l.paused.retain(|&x| x != p);
            drop(l);
            free(p);
        }
        (_, Place::Active) | (_, Place::Detached) => {
            poller.state.set(State::Unregistered);
            l.dirty = true;
        }
    }
}

pub fn pause(p: *mut Poller) {
    let Some(thread) = owner_check(p, "spdk_poller_pause") else { return };
    let poller = get(p);
    let mut l = thread.local.borrow_mut();
    match (poller.state.get(), poller.place.get()) {
        (State::Running, _) => poller.state.set(State::Pausing),
        (State::Waiting, Place::Timed) => {
            l.timed.remove(&(poller.next_run.get(), poller.id));
            poller.state.set(State::Paused);
            poller.place.set(Place::PausedList);
            l.paused.push(p);
        }
        (State::Waiting, Place::Active) => {
            poller.state.set(State::Paused);
            l.dirty = true;
        }
        _ => {}
    }
}

pub fn resume(p: *mut Poller) {
    let Some(thread) = owner_check(p, "spdk_poller_resume") else { return };
    let poller = get(p);
    let mut l = thread.local.borrow_mut();
    match (poller.state.get(), poller.place.get()) {
        (State::Pausing, _) => poller.state.set(State::Running),
        (State::Paused, Place::Active) => poller.state.set(State::Waiting),
        (State::Paused, Place::PausedList) => {
            l.paused.retain(|&x| x != p);
            poller.state.set(State::Waiting);
            if poller.period_ticks == 0 {
                poller.place.set(Place::Active);
                l.active.push(p);
            } else {
                insert_timed(&mut l, p, cpu::ticks());
            }
        }
        _ => {}
    }
}

fn call(p: *mut Poller) -> bool {
    let poller = get(p);
    poller.state.set(State::Running);
    let r = (poller.f)(poller.arg);
    poller.run_count.set(poller.run_count.get() + 1);
    if r > 0 {
        poller.busy_count.set(poller.busy_count.get() + 1);
    }
    r > 0
}

/// Runs every active poller once; returns whether any reported work.
pub(crate) fn run_active(thread: &Thread) -> bool {
    let n = thread.local.borrow().active.len();
    let mut busy = false;
    let mut dirty = false;
    for i in 0..n {
        let p = thread.local.borrow().active[i];
        if get(p).state.get() != State::Waiting {
            dirty = true;
            continue;
        }
        busy |= call(p);
        let poller = get(p);
        match poller.state.get() {
            State::Running => poller.state.set(State::Waiting),
            State::Pausing => {
                poller.state.set(State::Paused);
                dirty = true;
            }
            _ => dirty = true,
        }
    }
    let mut l = thread.local.borrow_mut();
    if dirty || l.dirty {
        l.dirty = false;
        let mut keep = Vec::with_capacity(l.active.len());
        let mut dead = Vec::new();
        for p in std::mem::take(&mut l.active) {
            match get(p).state.get() {
                State::Unregistered => dead.push(p),
                State::Paused => {
                    get(p).place.set(Place::PausedList);
                    l.paused.push(p);
                }
                _ => keep.push(p),
            }
        }
        l.active = keep;
        drop(l);
        dead.into_iter().for_each(free);
    }
    busy
}

/// Runs the timed pollers due at `now`.
pub(crate) fn run_timed(thread: &Thread, now: u64) -> bool {
    let mut busy = false;
    loop {
        let p = {
            let mut l = thread.local.borrow_mut();
            let key = match l.timed.first_key_value() {
                Some((k, _)) if k.0 <= now => *k,
                _ => break,
            };
            l.timed.remove(&key).expect("present")
        };
        get(p).place.set(Place::Detached);
        busy |= call(p);
        let poller = get(p);
        match poller.state.get() {
            State::Running => {
                poller.state.set(State::Waiting);
                insert_timed(&mut thread.local.borrow_mut(), p, now);
            }
            State::Pausing => {
                poller.state.set(State::Paused);
                poller.place.set(Place::PausedList);
                thread.local.borrow_mut().paused.push(p);
            }
            _ => free(p),
        }
    }
    busy
}

/// Pollers that still count (not unregistered), paused ones included.
pub(crate) fn live_count(l: &Local) -> usize {
    l.active.iter().filter(|&&p| get(p).state.get() != State::Unregistered).count() + l.timed.len() + l.paused.len()
}

pub(crate) fn has_active(l: &Local) -> bool {
    l.active.iter().any(|&p| matches!(get(p).state.get(), State::Waiting | State::Running))
}

pub(crate) fn has_unpaused(l: &Local) -> bool {
    has_active(l) || !l.timed.is_empty()
}

/// Snapshot of a thread's pollers (for statistics): (name, state, period ticks, runs, busy runs).
pub fn list(thread: &Thread) -> Vec<(String, State, u64, u64, u64)> {
    let l = thread.local.borrow();
    l.active
        .iter()
        .chain(l.timed.values())
        .chain(l.paused.iter())
        .map(|&p| get(p))
        .filter(|p| p.state.get() != State::Unregistered)
        .map(|p| (p.name().to_string(), p.state.get(), p.period_ticks, p.run_count.get(), p.busy_count.get()))
        .collect()
}
