//! The application lifecycle: `spdk_app_start` brings up env, the thread
//! library and the reactors, starts the subsystems and calls the start
//! function on the app thread; `spdk_app_stop` (or SIGINT/SIGTERM) stops the
//! subsystems in reverse order, lets every thread exit and returns from
//! `spdk_app_start`; `spdk_app_fini` releases the rest.

use super::{reactor, subsystem};
use crate::env::{self, cpu, pci::PciAddr};
use crate::thread::{self, ThreadOp};
use crate::util::cpuset::spdk_cpuset;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

/// `spdk_app_opts` in Rust terms.
#[derive(Clone, Debug)]
pub struct AppConfig {
    pub name: String,
    pub json_config_file: Option<String>,
    pub json_config_ignore_errors: bool,
    pub rpc_addr: Option<String>,
    pub reactor_mask: Option<String>,
    pub shm_id: i32,
    pub shutdown_cb: Option<extern "C" fn()>,
    pub main_core: i32,
    pub mem_size_mb: i32,
    pub no_pci: bool,
    pub no_huge: bool,
    pub hugedir: Option<std::path::PathBuf>,
    pub print_level: i32,
    pub pci_allowed: Vec<PciAddr>,
    pub pci_blocked: Vec<PciAddr>,
    pub iova_mode: Option<String>,
    pub delay_subsystem_init: bool,
    pub disable_signal_handlers: bool,
}

impl Default for AppConfig {
    fn default() -> Self {
        AppConfig {
            name: "spdk".into(),
            json_config_file: None,
            json_config_ignore_errors: false,
            rpc_addr: Some("/var/tmp/spdk.sock".into()),
            reactor_mask: None,
            shm_id: -1,
            shutdown_cb: None,
            main_core: -1,
            mem_size_mb: -1,
            no_pci: false,
            no_huge: false,
            hugedir: None,
            print_level: crate::log::LOG_NOTICE,
            pci_allowed: Vec::new(),
            pci_blocked: Vec::new(),
            iova_mode: None,
            delay_subsystem_init: false,
            disable_signal_handlers: false,
        }
    }
}

struct AppState {
    shm_id: i32,
    shutdown_cb: Option<extern "C" fn()>,
    core_mask: spdk_cpuset,
}

static STATE: Mutex<Option<AppState>> = Mutex::new(None);
static RUNNING: AtomicBool = AtomicBool::new(false);
static STOPPING: AtomicBool = AtomicBool::new(false);
static RC: AtomicI32 = AtomicI32::new(0);
static CORE_MASK: Mutex<Option<Box<spdk_cpuset>>> = Mutex::new(None);

type InitFn = Box<dyn FnOnce(Box<dyn FnOnce(i32) + Send>) + Send>;
/// The subsystem start sequence, kept until `framework_start_init` under `--wait-for-rpc`.
static PENDING_INIT: Mutex<Option<InitFn>> = Mutex::new(None);
static INIT_DONE: AtomicBool = AtomicBool::new(false);
static INIT_WAITERS: Mutex<Vec<Box<dyn FnOnce() + Send>>> = Mutex::new(Vec::new());

/// Starts the subsystems now (`framework_start_init`); `done` gets 0 or a negative errno.
pub fn start_init(done: Box<dyn FnOnce(i32) + Send>) {
    match PENDING_INIT.lock().take() {
        Some(init) => init(done),
        None => done(-libc::EALREADY),
    }
}

/// Calls `f` once the subsystems have started (at once if they have).
pub fn wait_init(f: Box<dyn FnOnce() + Send>) {
    let mut w = INIT_WAITERS.lock();
    if INIT_DONE.load(Ordering::Acquire) {
        drop(w);
        f();
    } else {
        w.push(f);
    }
}

extern "C" fn on_signal(_sig: libc::c_int) {
    reactor::SHUTDOWN_SIGNALED.store(true, Ordering::Release);
}

struct SavedSignals(Vec<(libc::c_int, libc::sigaction)>);

fn install_signals(handle: bool) -> SavedSignals {
    let mut saved = Vec::new();
    let mut set = |sig: libc::c_int, handler: libc::sighandler_t| {
        // SAFETY: sigaction structs are plain data; we install a handler that
        // only stores to an atomic (async-signal-safe) or SIG_IGN.
        unsafe {
            let mut new: libc::sigaction = std::mem::zeroed();
            new.sa_sigaction = handler;
            libc::sigemptyset(&mut new.sa_mask);
            new.sa_flags = libc::SA_RESTART;
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(sig, &new, &mut old) == 0 {
                saved.push((sig, old));
            }
        }
    };
    set(libc::SIGPIPE, libc::SIG_IGN);
    if handle {
        set(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        set(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    SavedSignals(saved)
}

impl Drop for SavedSignals {
    fn drop(&mut self) {
        for (sig, old) in &self.0 {
            // SAFETY: restoring the action saved by install_signals.
            unsafe { libc::sigaction(*sig, old, std::ptr::null_mut()) };
        }
    }
}

#[derive(Debug)]
pub enum AppError {
    AlreadyRunning,
    Env(env::EnvError),
    NeedsRpc,
    Thread,
}

impl AppError {
    pub fn errno(&self) -> i32 {
        match self {
            AppError::AlreadyRunning => libc::EBUSY,
            AppError::Env(e) => e.errno(),
            AppError::NeedsRpc => libc::EINVAL,
            AppError::Thread => libc::ENOMEM,
        }
    }
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::AlreadyRunning => write!(f, "an application is already running in this process"),
            AppError::Env(e) => write!(f, "environment: {e}"),
            AppError::NeedsRpc => write!(f, "--wait-for-rpc needs the JSON-RPC server (an RPC listen address)"),
            AppError::Thread => write!(f, "could not create the reactor threads"),
        }
    }
}

fn setup(cfg: &AppConfig) -> Result<(), AppError> {
    if cfg.delay_subsystem_init && cfg.rpc_addr.is_none() {
        return Err(AppError::NeedsRpc);
    }
    env::init(env::EnvConfig {
        name: cfg.name.clone(),
        core_mask: cfg.reactor_mask.clone().unwrap_or_else(|| "0x1".into()),
        shm_id: cfg.shm_id,
        mem_size_mb: cfg.mem_size_mb,
        main_core: cfg.main_core,
        no_pci: cfg.no_pci,
        no_huge: cfg.no_huge,
        hugedir: cfg.hugedir.clone(),
        pci_allowed: cfg.pci_allowed.clone(),
        pci_blocked: cfg.pci_blocked.clone(),
        iova_mode: cfg.iova_mode.clone(),
    })
    .map_err(AppError::Env)?;
    let _ = thread::lib_init(
        Some(Box::new(|t, op| match op {
            ThreadOp::New => reactor::schedule(t),
            ThreadOp::Resched => -libc::EINVAL,
        })),
        Some(Box::new(|op| op == ThreadOp::New)),
        0,
    );
    Ok(())
}

/// Runs the application until it stops; returns the code given to [`stop`].
pub fn start(cfg: AppConfig, start_fn: Box<dyn FnOnce() + Send>) -> i32 {
    if RUNNING.swap(true, Ordering::AcqRel) {
        crate::log::error(format_args!("spdk_app_start: {}\n", AppError::AlreadyRunning));
        return -libc::EBUSY;
    }
    crate::log::set_print_level(cfg.print_level);
    if let Err(e) = setup(&cfg) {
        crate::log::error(format_args!("spdk_app_start: {e}\n"));
        if !matches!(e, AppError::Env(_)) {
            env::fini();
        }
        RUNNING.store(false, Ordering::Release);
        return -e.errno();
    }
    let (cores, main) = cpu::with_cores(|c, m| (c.to_vec(), m));
    let mut mask = spdk_cpuset::default();
    cores.iter().for_each(|&c| mask.set(c, true));
    *CORE_MASK.lock() = Some(Box::new(mask));
    *STATE.lock() = Some(AppState { shm_id: cfg.shm_id, shutdown_cb: cfg.shutdown_cb, core_mask: mask });
    STOPPING.store(false, Ordering::Release);
    RC.store(0, Ordering::Release);
    reactor::create_all(&cores);
    crate::log::notice(format_args!("Total cores available: {}\n", cores.len()));

    let mut main_mask = spdk_cpuset::default();
    main_mask.set(main, true);
    let Some(app_thread) = thread::create(Some("app_thread"), Some(&main_mask)) else {
        crate::log::error(format_args!("spdk_app_start: {}\n", AppError::Thread));
        reactor::clear_all();
        RUNNING.store(false, Ordering::Release);
        return -libc::ENOMEM;
    };
    for &c in cores.iter().filter(|&&c| c != main) {
        let mut m = spdk_cpuset::default();
        m.set(c, true);
        if thread::create(Some(&format!("reactor_{c}")), Some(&m)).is_none() {
            crate::log::error(format_args!("spdk_app_start: could not create the thread of core {c}\n"));
        }
    }
    // SAFETY: the app thread lives until the reactors stop, after this message ran.
    let app = unsafe { &*app_thread };
    let json = cfg.json_config_file.clone();
    let ignore_errors = cfg.json_config_ignore_errors;
    let rpc_addr = cfg.rpc_addr.clone();
    let delay_init = cfg.delay_subsystem_init;
    INIT_DONE.store(false, Ordering::Release);
    let init: InitFn = Box::new(move |done| {
        subsystem::init_all(Box::new(move |rc| {
            if rc != 0 {
                done(rc);
                stop(rc);
                return;
            }
            if let Some(path) = &json {
                if let Err(e) = super::json_config::load_file(path) {
                    crate::log::error(format_args!("JSON configuration: {e}\n"));
                    if !ignore_errors {
                        done(-libc::EINVAL);
                        stop(-libc::EINVAL);
                        return;
                    }
                }
            }
            crate::rpc::set_state(crate::rpc::RUNTIME);
            INIT_DONE.store(true, Ordering::Release);
            done(0);
            let waiters = std::mem::take(&mut *INIT_WAITERS.lock());
            waiters.into_iter().for_each(|w| w());
            // SAFETY: as above; the app thread outlives the start sequence.
            let app = unsafe { &*thread::app_thread() };
            if thread::send_fn(app, start_fn).is_err() {
                stop(-libc::ENOMEM);
            }
        }))
    });
    let sent = thread::send_fn(app, move || {
        crate::rpc::set_state(crate::rpc::STARTUP);
        if let Some(addr) = rpc_addr {
            crate::rpc::register_builtin();
            if let Err(e) = crate::rpc::server::start(&addr) {
                crate::log::error(format_args!("spdk_app_start: JSON-RPC server: {e}\n"));
                stop(-libc::EINVAL);
                return;
            }
        }
        if delay_init {
            crate::log::notice(format_args!("Waiting for framework_start_init over JSON-RPC\n"));
            *PENDING_INIT.lock() = Some(init);
        } else {
            init(Box::new(|_| {}));
        }
    });
    if sent.is_err() {
        stop(-libc::ENOMEM);
    }

    let signals = install_signals(!cfg.disable_signal_handlers);
    let mut workers = Vec::new();
    for r in reactor::all().into_iter().filter(|r| r.lcore != main) {
        let lcore = r.lcore;
        let h = std::thread::Builder::new().name(format!("reactor_{lcore}")).spawn(move || {
            if let Err(e) = cpu::pin_to(lcore) {
                crate::log::warn(format_args!("reactor {lcore}: could not pin to its core (errno {e})\n"));
            }
            r.run(&|| {});
        });
        match h {
            Ok(h) => workers.push(h),
            Err(e) => {
                crate::log::error(format_args!("spdk_app_start: could not start reactor {lcore}: {e}\n"));
                stop(-libc::ENOMEM);
            }
        }
    }
    let saved_affinity = cpu::online_cpus();
    if let Err(e) = cpu::pin_to(main) {
        crate::log::warn(format_args!("main reactor: could not pin to core {main} (errno {e})\n"));
    }
    let main_reactor = reactor::get(main).expect("main reactor");
    main_reactor.run(&|| {
        if reactor::SHUTDOWN_SIGNALED.swap(false, Ordering::AcqRel) {
            start_shutdown();
        }
    });
    for w in workers {
        let _ = w.join();
    }
    drop(signals);
    restore_affinity(&saved_affinity);
    cpu::set_current_core(main);
    reactor::clear_all();
    RUNNING.store(false, Ordering::Release);
    RC.load(Ordering::Acquire)
}

fn restore_affinity(cpus: &[u32]) {
    // SAFETY: cpu_set_t is plain data; we fill and apply it to this thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &c in cpus {
            libc::CPU_SET(c as usize, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Begins stopping: subsystems stop in reverse order, then every thread exits.
pub fn stop(rc: i32) {
    if !RUNNING.load(Ordering::Acquire) {
        crate::log::error(format_args!("spdk_app_stop called while no application is running\n"));
        return;
    }
    if STOPPING.swap(true, Ordering::AcqRel) {
        crate::log::notice(format_args!("spdk_app_stop called twice; the first code ({}) stands\n", RC.load(Ordering::Acquire)));
        return;
    }
    RC.store(rc, Ordering::Release);
    let app = thread::app_thread();
    let finish = || {
        crate::rpc::server::stop();
        PENDING_INIT.lock().take();
        INIT_WAITERS.lock().clear();
        subsystem::fini_all(Box::new(reactor::stop_all))
    };
    // SAFETY: the app thread lives until the reactors stop, which happens only
    // after this sequence.
    if app.is_null() || thread::send_fn(unsafe { &*app }, finish).is_err() {
        reactor::stop_all();
    }
}

/// What a signal does: the application's shutdown callback, or `stop(0)`.
pub fn start_shutdown() {
    let cb = STATE.lock().as_ref().and_then(|s| s.shutdown_cb);
    match cb {
        Some(cb) => {
            let app = thread::app_thread();
            // SAFETY: as in `stop`.
            if app.is_null() || thread::send_fn(unsafe { &*app }, move || cb()).is_err() {
                stop(0);
            }
        }
        None => stop(0),
    }
}

/// Releases what `start` left: the thread library and the environment.
pub fn fini() {
    thread::lib_fini();
    env::fini();
    *STATE.lock() = None;
    *CORE_MASK.lock() = None;
    crate::log::close_syslog();
}

pub fn shm_id() -> i32 {
    STATE.lock().as_ref().map_or(-1, |s| s.shm_id)
}

pub fn is_running() -> bool {
    RUNNING.load(Ordering::Acquire)
}

/// The cores of the running application (a stable pointer until `fini`).
pub fn core_mask() -> *const spdk_cpuset {
    let mut g = CORE_MASK.lock();
    if g.is_none() {
        let mask = STATE.lock().as_ref().map(|s| s.core_mask).unwrap_or_default();
        *g = Some(Box::new(mask));
    }
    g.as_deref().map_or(std::ptr::null(), |m| m as *const spdk_cpuset)
}
