//! The life of bdev modules, in SPDK's order (`lib/bdev/bdev.c`):
//!
//! - **init**: every module's `module_init` in registration order; a module
//!   with `async_init` finishes later with `spdk_bdev_module_init_done`.
//!   Once no module has an action in progress, every `init_complete` hook
//!   runs and the bdev subsystem is up.
//! - **examine**: each bdev registered (with `bdev_auto_examine`, or named by
//!   `spdk_bdev_examine` when it is off) is shown to every module's
//!   `examine_config` (which must call `spdk_bdev_module_examine_done`
//!   before returning), then to `examine_disk` of every module, or only of
//!   the module that claimed it meanwhile (which may finish later).
//!   `spdk_bdev_wait_for_examine` waits until no examination is pending.
//! - **fini**: the `fini_start` hooks (`async_fini_start`: finished by
//!   `spdk_bdev_module_fini_start_done`), then every bdev is unregistered,
//!   then every `module_fini` in reverse registration order (`async_fini`:
//!   finished by `spdk_bdev_module_fini_done`).
//!
//! One count of actions in progress per module covers asynchronous inits and
//! examinations (SPDK's `internal.action_in_progress`, mirrored there).

use super::{is_registered, name_of, BdevError};
use crate::capi::bdev_types::{spdk_bdev, spdk_bdev_module};
use crate::event::subsystem::Done;
use crate::thread;
use parking_lot::Mutex;
use std::collections::{BTreeMap, VecDeque};
use std::ffi::{c_int, c_void};

struct Life {
    /// Actions in progress by module.
    actions: BTreeMap<usize, u32>,
    auto_examine: bool,
    /// Bdevs `spdk_bdev_examine` asked for while auto-examine is off.
    allowlist: Vec<String>,
    /// The subsystem's init completion, while modules are still initialising.
    init_done: Option<(u64, Done)>,
}

static LIFE: Mutex<Life> = Mutex::new(Life { actions: BTreeMap::new(), auto_examine: true, allowlist: Vec::new(), init_done: None });

fn module<'a>(m: usize) -> &'a mut spdk_bdev_module {
    // SAFETY: registered modules are static for the process; the layer
    // writes only `internal.action_in_progress`, under LIFE.
    unsafe { &mut *(m as *mut spdk_bdev_module) }
}

fn module_name(m: usize) -> String {
    let p = module(m).name;
    if p.is_null() {
        return "?".into();
    }
    // SAFETY: a module's name is a static C string.
    unsafe { std::ffi::CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn current_tid() -> u64 {
    let t = thread::current();
    // SAFETY: the current thread (if any) is live.
    if t.is_null() { 0 } else { unsafe { (*t).id() } }
}

/// Runs `f` on thread `tid` (at once if that is this thread or none).
fn on_thread(tid: u64, f: Box<dyn FnOnce() + Send>) {
    if tid == 0 || tid == current_tid() {
        return f();
    }
    let t = thread::by_id(tid);
    // SAFETY: a thread found by id is live.
    if t.is_null() {
        return f();
    }
    let slot = std::sync::Arc::new(Mutex::new(Some(f)));
    let s2 = slot.clone();
    // SAFETY: as above.
    let sent = thread::send_fn(unsafe { &*t }, move || {
        if let Some(f) = s2.lock().take() {
            f()
        }
    });
    if sent.is_err() {
        if let Some(f) = slot.lock().take() {
            f()
        }
    }
}

fn reserve(l: &mut Life, m: usize) {
    let n = l.actions.entry(m).or_insert(0);
    *n += 1;
    module(m).internal.action_in_progress = *n;
}

fn actions_of(m: usize) -> u32 {
    LIFE.lock().actions.get(&m).copied().unwrap_or(0)
}

/// Whether no module has an init or examination in progress.
pub fn all_actions_completed() -> bool {
    LIFE.lock().actions.values().all(|&n| n == 0)
}

/// One action of module `m` finished (`spdk_bdev_module_examine_done`,
/// `spdk_bdev_module_init_done`).
pub fn action_done(m: *mut spdk_bdev_module) -> Result<(), BdevError> {
    {
        let mut l = LIFE.lock();
        let n = l.actions.entry(m as usize).or_insert(0);
        if *n == 0 {
            return Err(BdevError::Invalid(format!("module {} has no action in progress", module_name(m as usize))));
        }
        *n -= 1;
        module(m as usize).internal.action_in_progress = *n;
    }
    check_init();
    Ok(())
}

/// `bdev_auto_examine` of `spdk_bdev_opts`.
pub fn auto_examine() -> bool {
    LIFE.lock().auto_examine
}

pub fn set_auto_examine(on: bool) {
    LIFE.lock().auto_examine = on;
}

/// A bdev finished registering: the modules examine it if allowed.
pub(crate) fn on_register(b: *mut spdk_bdev) {
    let allowed = {
        let l = LIFE.lock();
        l.auto_examine || l.allowlist.contains(&name_of(b))
    };
    if allowed {
        examine(b);
    }
}

fn examine(b: *mut spdk_bdev) {
    let mods: Vec<usize> = super::modules().into_iter().map(|m| m as usize).collect();
    for &m in &mods {
        let Some(f) = module(m).examine_config else { continue };
        let before = {
            let mut l = LIFE.lock();
            let before = l.actions.get(&m).copied().unwrap_or(0);
            reserve(&mut l, m);
            before
        };
        // SAFETY: the module's callback for a registered bdev, on this thread.
        unsafe { f(b) };
        if actions_of(m) != before {
            crate::log::error(format_args!("examine_config for module {} did not call spdk_bdev_module_examine_done()\n", module_name(m)));
        }
        if !is_registered(b) {
            return;
        }
    }
    // A bdev claimed meanwhile is only examined further by its claimer.
    let claimer = super::claimer(b);
    for m in mods.into_iter().filter(|&m| claimer == 0 || m == claimer) {
        let Some(f) = module(m).examine_disk else { continue };
        reserve(&mut LIFE.lock(), m);
        set_examine_in_progress(b, 1);
        // SAFETY: the module's callback for a registered bdev, on this thread.
        unsafe { f(b) };
        set_examine_in_progress(b, -1);
        if !is_registered(b) {
            return;
        }
    }
}

fn set_examine_in_progress(b: *mut spdk_bdev, delta: i32) {
    let _g = LIFE.lock();
    if is_registered(b) {
        // SAFETY: the layer's own field of a registered bdev, changed under LIFE.
        unsafe { (*b).internal.examine_in_progress = (*b).internal.examine_in_progress.saturating_add_signed(delta) };
    }
}

/// `spdk_bdev_examine`: with auto-examine off, examine bdev `name` (now
/// if it exists, else when it registers).
pub fn examine_by_name(name: &str) -> Result<(), BdevError> {
    {
        let mut l = LIFE.lock();
        if l.auto_examine {
            return Err(BdevError::Invalid("manual examine is not allowed if auto examine is enabled".into()));
        }
        if l.allowlist.iter().any(|n| n == name) {
            return Err(BdevError::Exists(format!("{name} (already allowed to be examined)")));
        }
        l.allowlist.push(name.to_string());
    }
    if let Some(b) = super::get_by_name(name) {
        examine(b);
    }
    Ok(())
}

struct Waiter {
    done: Option<Box<dyn FnOnce() + Send>>,
    poller: *mut thread::poller::Poller,
}

extern "C" fn wait_poll(arg: *mut c_void) -> c_int {
    if !all_actions_completed() {
        return 0;
    }
    // SAFETY: the Waiter leaked by `wait_for_examine`, freed once here.
    let mut w = unsafe { Box::from_raw(arg as *mut Waiter) };
    thread::poller::unregister(w.poller);
    if let Some(d) = w.done.take() {
        d();
    }
    1
}

/// Calls `done` on this thread once no examination (or init) is pending.
pub fn wait_for_examine(done: Box<dyn FnOnce() + Send>) -> Result<(), BdevError> {
    let w = Box::into_raw(Box::new(Waiter { done: Some(done), poller: std::ptr::null_mut() }));
    match thread::poller::register(wait_poll, w.cast(), 0, Some("bdev_wait_for_examine")) {
        Some(p) => {
            // SAFETY: ours until the poller's last run.
            unsafe { (*w).poller = p };
            Ok(())
        }
        None => {
            // SAFETY: the poller was not made: still ours.
            drop(unsafe { Box::from_raw(w) });
            Err(BdevError::Invalid("bdev_wait_for_examine needs an spdk_thread".into()))
        }
    }
}

// ---- init ----

/// Initialises every module (the bdev subsystem's start); `done` runs on
/// this thread when all have finished (asynchronous ones included).
pub fn init(done: Done) {
    let tid = current_tid();
    for m in super::modules().into_iter().map(|m| m as usize) {
        let md = module(m);
        if md.async_init {
            reserve(&mut LIFE.lock(), m);
        }
        let Some(f) = md.module_init else { continue };
        // SAFETY: the module's init callback, once, on the app thread.
        let rc = unsafe { f() };
        if rc != 0 {
            crate::log::error(format_args!("bdev module {} failed to initialise: {rc}\n", module_name(m)));
            if md.async_init {
                let _ = action_done(md as *mut spdk_bdev_module);
            }
            return done(rc.min(-1));
        }
    }
    LIFE.lock().init_done = Some((tid, done));
    check_init();
}

/// Finishes the subsystem's init once nothing is in progress.
fn check_init() {
    let pending = {
        let mut l = LIFE.lock();
        if l.init_done.is_some() && l.actions.values().all(|&n| n == 0) {
            l.init_done.take()
        } else {
            None
        }
    };
    if let Some((tid, done)) = pending {
        on_thread(
            tid,
            Box::new(move || {
                for m in super::modules() {
                    // SAFETY: registered modules are static.
                    if let Some(f) = unsafe { (*m).init_complete } {
                        // SAFETY: the module's hook, once, on the app thread.
                        unsafe { f() };
                    }
                }
                done(0)
            }),
        );
    }
}

// ---- fini ----

type Cont = Box<dyn FnOnce() + Send>;

/// Where a sequence of hooks waits for an asynchronous one to finish.
enum Slot {
    Idle,
    /// An asynchronous hook is running; it has not finished yet.
    Armed,
    /// It finished before returning.
    DoneEarly,
    Waiting(u64, Cont),
}

static RESUME: Mutex<Slot> = Mutex::new(Slot::Idle);

/// Calls `call` for each module of `list`; one that is asynchronous
/// (`call` returns true) is waited for (`hook_done`). Then `then`.
fn hooks(mut list: VecDeque<usize>, call: fn(usize) -> Option<bool>, then: Cont) {
    while let Some(m) = list.pop_front() {
        *RESUME.lock() = Slot::Armed;
        match call(m) {
            Some(true) => {
                let mut s = RESUME.lock();
                if matches!(*s, Slot::DoneEarly) {
                    *s = Slot::Idle;
                    continue;
                }
                let rest: Cont = Box::new(move || hooks(list, call, then));
                *s = Slot::Waiting(current_tid(), rest);
                return;
            }
            _ => *RESUME.lock() = Slot::Idle,
        }
    }
    then();
}

/// An asynchronous `fini_start` or `module_fini` finished.
pub fn hook_done() {
    let next = {
        let mut s = RESUME.lock();
        match std::mem::replace(&mut *s, Slot::Idle) {
            Slot::Armed => {
                *s = Slot::DoneEarly;
                None
            }
            Slot::Waiting(tid, c) => Some((tid, c)),
            other => {
                *s = other;
                crate::log::error(format_args!("bdev module: fini done reported with no fini in progress\n"));
                None
            }
        }
    };
    if let Some((tid, c)) = next {
        on_thread(tid, c);
    }
}

fn call_fini_start(m: usize) -> Option<bool> {
    let md = module(m);
    let f = md.fini_start?;
    // SAFETY: the module's hook, once, on the app thread.
    unsafe { f() };
    Some(md.async_fini_start)
}

fn call_module_fini(m: usize) -> Option<bool> {
    let md = module(m);
    let f = md.module_fini?;
    // SAFETY: the module's hook, once, on the app thread.
    unsafe { f() };
    Some(md.async_fini)
}

/// Stops the modules around `unregister_all` (which gets the continuation).
pub fn fini(unregister_all: Box<dyn FnOnce(Cont) + Send>, done: Done) {
    let mods: VecDeque<usize> = super::modules().into_iter().map(|m| m as usize).collect();
    let reversed: VecDeque<usize> = mods.iter().rev().copied().collect();
    hooks(
        mods,
        call_fini_start,
        Box::new(move || {
            unregister_all(Box::new(move || hooks(reversed, call_module_fini, Box::new(move || done(0)))));
        }),
    );
}
