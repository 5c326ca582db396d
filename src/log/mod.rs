//! Logging with SPDK's levels, print levels and component flags (`log.h`).
//!
//! The variadic entry points (`spdk_log`, `spdk_vlog`) live in the C shim; it
//! hands the message either to the application's callback (set by
//! `spdk_log_open`) or, formatted, to [`emit_default`] here. Rust code logs
//! through [`error`], [`warn`], [`notice`], [`info`] and [`debug`], which take
//! the same road so an application callback sees every message.

use parking_lot::Mutex;
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicPtr, Ordering};

/// cbindgen:ignore
pub const LOG_DISABLED: i32 = -1;
/// cbindgen:ignore
pub const LOG_ERROR: i32 = 0;
/// cbindgen:ignore
pub const LOG_WARN: i32 = 1;
/// cbindgen:ignore
pub const LOG_NOTICE: i32 = 2;
/// cbindgen:ignore
pub const LOG_INFO: i32 = 3;
/// cbindgen:ignore
pub const LOG_DEBUG: i32 = 4;

static LEVEL: AtomicI32 = AtomicI32::new(LOG_NOTICE);
static PRINT_LEVEL: AtomicI32 = AtomicI32::new(LOG_NOTICE);
static TIMESTAMPS: AtomicBool = AtomicBool::new(true);
static SYSLOG_OPEN: AtomicBool = AtomicBool::new(false);
/// The application's `spdk_log_cb`, if any (a C function pointer).
static USER_CB: AtomicPtr<c_void> = AtomicPtr::new(std::ptr::null_mut());

/// The `TAILQ_ENTRY(spdk_log_flag)` of a flag.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct spdk_log_flag_tailq {
    pub tqe_next: *mut spdk_log_flag,
    pub tqe_prev: *mut *mut spdk_log_flag,
}

/// `struct spdk_log_flag`: a TAILQ entry, the name, and whether it is on.
#[repr(C)]
#[allow(non_camel_case_types)]
pub struct spdk_log_flag {
    pub tailq: spdk_log_flag_tailq,
    pub name: *const c_char,
    pub enabled: bool,
}

const _: () = assert!(std::mem::size_of::<spdk_log_flag>() == 32);

/// Registered flags, sorted by name. The pointees are owned by whoever
/// registered them (C statics from `SPDK_LOG_REGISTER_COMPONENT`, or leaked
/// Rust boxes) and live for the whole process.
struct Flags(Vec<*mut spdk_log_flag>);
// SAFETY: flag structs live for the process; access to the list is under the mutex.
unsafe impl Send for Flags {}

static FLAGS: Mutex<Flags> = Mutex::new(Flags(Vec::new()));

pub fn level_valid(level: i32) -> bool {
    (LOG_DISABLED..=LOG_DEBUG).contains(&level)
}

pub fn set_level(level: i32) {
    LEVEL.store(level, Ordering::Relaxed);
}
pub fn level() -> i32 {
    LEVEL.load(Ordering::Relaxed)
}
pub fn set_print_level(level: i32) {
    PRINT_LEVEL.store(level, Ordering::Relaxed);
}
pub fn print_level() -> i32 {
    PRINT_LEVEL.load(Ordering::Relaxed)
}
pub fn enable_timestamps(on: bool) {
    TIMESTAMPS.store(on, Ordering::Relaxed);
}

pub fn set_user_callback(cb: *mut c_void) {
    USER_CB.store(cb, Ordering::Release);
}
pub fn user_callback() -> *mut c_void {
    USER_CB.load(Ordering::Acquire)
}

/// Opens syslog under `ident` (as `spdk_log_open(NULL)` does).
pub fn open_syslog() {
    if !SYSLOG_OPEN.swap(true, Ordering::AcqRel) {
        // SAFETY: a static NUL-terminated ident, valid for the whole process.
        unsafe { libc::openlog(c"rspdk".as_ptr(), libc::LOG_PID, libc::LOG_LOCAL7) };
    }
}

pub fn close_syslog() {
    if SYSLOG_OPEN.swap(false, Ordering::AcqRel) {
        // SAFETY: closelog has no preconditions.
        unsafe { libc::closelog() };
    }
}

/// Whether a message of `level` goes anywhere without a user callback.
pub fn would_emit(level: i32) -> bool {
    level != LOG_DISABLED && (level <= print_level() || level <= self::level())
}

pub(crate) fn level_name(level: i32) -> &'static str {
    match level {
        LOG_ERROR => "ERROR",
        LOG_WARN => "WARNING",
        LOG_NOTICE => "NOTICE",
        LOG_INFO => "INFO",
        LOG_DEBUG => "DEBUG",
        _ => "",
    }
}

fn timestamp() -> String {
    if !TIMESTAMPS.load(Ordering::Relaxed) {
        return String::new();
    }
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: plain out-parameters owned here.
    let tm = unsafe {
        libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts);
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&ts.tv_sec, &mut tm);
        tm
    };
    format!(
        "[{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}] ",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        ts.tv_nsec / 1000
    )
}

/// The default sink: stderr up to the print level, syslog up to the log level.
pub fn emit_default(level: i32, file: Option<&str>, line: i32, func: Option<&str>, msg: &str) {
    if level == LOG_DISABLED {
        return;
    }
    if level <= print_level() {
        let text = match file {
            Some(f) => format!("{}{}:{:4}:{}: *{}*: {}", timestamp(), f, line, func.unwrap_or(""), level_name(level), msg),
            None => format!("{}{}", timestamp(), msg),
        };
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }
    if level <= self::level() && SYSLOG_OPEN.load(Ordering::Acquire) {
        let prio = match level {
            LOG_ERROR => libc::LOG_ERR,
            LOG_WARN => libc::LOG_WARNING,
            LOG_NOTICE => libc::LOG_NOTICE,
            LOG_INFO => libc::LOG_INFO,
            _ => libc::LOG_DEBUG,
        };
        if let Ok(c) = CString::new(format!("{}:{:4}:{}: *{}*: {}", file.unwrap_or(""), line, func.unwrap_or(""), level_name(level), msg)) {
            // SAFETY: "%s" with one valid C string argument.
            unsafe { libc::syslog(prio, c"%s".as_ptr(), c.as_ptr()) };
        }
    }
}

extern "C" {
    /// In the C shim: `spdk_log(level, file, line, func, "%s", msg)`.
    fn rspdk_log_forward(level: c_int, file: *const c_char, line: c_int, func: *const c_char, msg: *const c_char);
}

#[track_caller]
fn log_at(level: i32, args: std::fmt::Arguments<'_>) {
    if user_callback().is_null() && !would_emit(level) {
        return;
    }
    let loc = std::panic::Location::caller();
    let msg = CString::new(args.to_string().replace('\0', "\\0")).expect("no NUL");
    let file = CString::new(loc.file()).unwrap_or_default();
    // SAFETY: all strings are valid NUL-terminated C strings living across the call.
    unsafe { rspdk_log_forward(level, file.as_ptr(), loc.line() as c_int, c"rspdk".as_ptr(), msg.as_ptr()) };
}

#[track_caller]
pub fn error(args: std::fmt::Arguments<'_>) {
    log_at(LOG_ERROR, args)
}
#[track_caller]
pub fn warn(args: std::fmt::Arguments<'_>) {
    log_at(LOG_WARN, args)
}
#[track_caller]
pub fn notice(args: std::fmt::Arguments<'_>) {
    log_at(LOG_NOTICE, args)
}
/// An INFO message, printed only while component `flag` is on.
#[track_caller]
pub fn info(flag: &str, args: std::fmt::Arguments<'_>) {
    if get_flag(flag) {
        log_at(LOG_INFO, args)
    }
}
#[track_caller]
pub fn debug(flag: &str, args: std::fmt::Arguments<'_>) {
    if get_flag(flag) {
        log_at(LOG_DEBUG, args)
    }
}

fn flag_name(f: *mut spdk_log_flag) -> &'static str {
    // SAFETY: registered flags and their names live for the process.
    unsafe { CStr::from_ptr((*f).name) }.to_str().unwrap_or("")
}

/// Registers a flag (keeps the list sorted by name; relinks the TAILQ entries).
pub fn register_flag(name: &str, flag: *mut spdk_log_flag) -> Result<(), i32> {
    if flag.is_null() || name.is_empty() {
        return Err(libc::EINVAL);
    }
    let mut g = FLAGS.lock();
    if g.0.iter().any(|&f| flag_name(f) == name) {
        return Err(libc::EEXIST);
    }
    let pos = g.0.partition_point(|&f| flag_name(f) < name);
    g.0.insert(pos, flag);
    relink(&g.0);
    Ok(())
}

fn relink(list: &[*mut spdk_log_flag]) {
    for (i, &f) in list.iter().enumerate() {
        let next = list.get(i + 1).copied().unwrap_or(std::ptr::null_mut());
        // SAFETY: registered flags are live; we only rewrite their link fields.
        unsafe { (*f).tailq.tqe_next = next };
    }
}

/// A flag owned by the library itself (created once, never freed).
pub fn register_internal_flag(name: &'static CStr) {
    let mut exists = false;
    {
        let g = FLAGS.lock();
        if g.0.iter().any(|&f| flag_name(f) == name.to_str().unwrap_or("")) {
            exists = true;
        }
    }
    if !exists {
        let f = Box::into_raw(Box::new(spdk_log_flag {
            tailq: spdk_log_flag_tailq { tqe_next: std::ptr::null_mut(), tqe_prev: std::ptr::null_mut() },
            name: name.as_ptr(),
            enabled: false,
        }));
        let _ = register_flag(name.to_str().unwrap_or(""), f);
    }
}

pub fn register_builtin_flags() {
    for n in [c"thread", c"reactor", c"app", c"env", c"log", c"bdev", c"nvme", c"rpc"] {
        register_internal_flag(n);
    }
}

pub fn first_flag() -> *mut spdk_log_flag {
    register_builtin_flags();
    FLAGS.lock().0.first().copied().unwrap_or(std::ptr::null_mut())
}

pub fn next_flag(flag: *mut spdk_log_flag) -> *mut spdk_log_flag {
    let g = FLAGS.lock();
    match g.0.iter().position(|&f| f == flag) {
        Some(i) => g.0.get(i + 1).copied().unwrap_or(std::ptr::null_mut()),
        None => std::ptr::null_mut(),
    }
}

fn glob_match(pattern: &str, name: &str) -> bool {
    let (Ok(p), Ok(n)) = (CString::new(pattern), CString::new(name)) else { return false };
    // SAFETY: both are valid C strings.
    unsafe { libc::fnmatch(p.as_ptr(), n.as_ptr(), 0) == 0 }
}

/// Turns matching flags on or off (`pattern` may be a glob or "all"); ENOENT when none matches.
pub fn set_flag(pattern: &str, on: bool) -> Result<(), i32> {
    register_builtin_flags();
    let g = FLAGS.lock();
    let mut found = false;
    for &f in &g.0 {
        if pattern == "all" || glob_match(pattern, flag_name(f)) {
            // SAFETY: registered flags are live; `enabled` is a plain bool they expose.
            unsafe { (*f).enabled = on };
            found = true;
        }
    }
    if found {
        Ok(())
    } else {
        Err(libc::EINVAL)
    }
}

pub fn get_flag(name: &str) -> bool {
    let g = FLAGS.lock();
    // SAFETY: registered flags are live.
    g.0.iter().any(|&f| flag_name(f) == name && unsafe { (*f).enabled })
}

/// Every flag with its state, in name order.
pub fn flags() -> Vec<(String, bool)> {
    register_builtin_flags();
    let g = FLAGS.lock();
    // SAFETY: registered flags are live.
    g.0.iter().map(|&f| (flag_name(f).to_string(), unsafe { (*f).enabled })).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_sorted_and_globbed() {
        register_internal_flag(c"zz_test_b");
        register_internal_flag(c"zz_test_a");
        let names: Vec<String> = flags().into_iter().map(|(n, _)| n).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(!get_flag("zz_test_a"));
        set_flag("zz_test_*", true).unwrap();
        assert!(get_flag("zz_test_a") && get_flag("zz_test_b"));
        set_flag("zz_test_a", false).unwrap();
        assert!(!get_flag("zz_test_a"));
        assert_eq!(set_flag("no_such_flag_xyz", true), Err(libc::EINVAL));
    }
}
