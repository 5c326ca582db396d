//! `spdk/log.h` (the variadic `spdk_log`/`spdk_vlog` are in the C shim).

use super::{cstr, guard};
use crate::log;
use std::ffi::{c_char, c_int, c_void};

pub use crate::log::spdk_log_flag;

#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum spdk_log_level {
    /// All messages will be suppressed.
    SPDK_LOG_DISABLED = -1,
    SPDK_LOG_ERROR = 0,
    SPDK_LOG_WARN = 1,
    SPDK_LOG_NOTICE = 2,
    SPDK_LOG_INFO = 3,
    SPDK_LOG_DEBUG = 4,
}

impl spdk_log_level {
    fn from_i32(v: i32) -> spdk_log_level {
        match v {
            0 => spdk_log_level::SPDK_LOG_ERROR,
            1 => spdk_log_level::SPDK_LOG_WARN,
            2 => spdk_log_level::SPDK_LOG_NOTICE,
            3 => spdk_log_level::SPDK_LOG_INFO,
            4 => spdk_log_level::SPDK_LOG_DEBUG,
            _ => spdk_log_level::SPDK_LOG_DISABLED,
        }
    }
}

/// Opaque here: the C typedef (`void spdk_log_cb(int, const char *, int, const char *, const char *, va_list)`) lives in the header's raw section.
pub type spdk_log_cb = c_void;
pub type spdk_log_open_cb = c_void;
pub type spdk_log_close_cb = c_void;

/// `struct spdk_log_opts` (40 bytes).
#[repr(C)]
pub struct spdk_log_opts {
    pub size: usize,
    pub log: *mut spdk_log_cb,
    pub open: *mut spdk_log_open_cb,
    pub close: *mut spdk_log_close_cb,
    pub user_ctx: *mut c_void,
}
const _: () = assert!(std::mem::size_of::<spdk_log_opts>() == 40);

struct CloseHook {
    close: usize,
    ctx: usize,
}
static CLOSE_HOOK: parking_lot::Mutex<Option<CloseHook>> = parking_lot::Mutex::new(None);

/// Opens the log: `log` NULL means stderr and syslog; otherwise every message goes to `log`.
#[no_mangle]
pub extern "C" fn spdk_log_open(log: *mut spdk_log_cb) {
    guard((), || {
        log::set_user_callback(log);
        if log.is_null() {
            log::open_syslog();
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_log_open_ext(opts: *mut spdk_log_opts) {
    guard((), || {
        // SAFETY: NULL or the caller's struct of at least `size` bytes.
        let Some(o) = (unsafe { opts.as_ref() }) else {
            spdk_log_open(std::ptr::null_mut());
            return;
        };
        let field = |end: usize| o.size >= end;
        spdk_log_open(if field(16) { o.log } else { std::ptr::null_mut() });
        let ctx = if field(40) { o.user_ctx } else { std::ptr::null_mut() };
        if field(24) && !o.open.is_null() {
            // SAFETY: `open` is the application's `spdk_log_open_cb`.
            let f: extern "C" fn(*mut c_void) = unsafe { std::mem::transmute::<*mut c_void, extern "C" fn(*mut c_void)>(o.open) };
            f(ctx);
        }
        *CLOSE_HOOK.lock() = (field(32) && !o.close.is_null()).then_some(CloseHook { close: o.close as usize, ctx: ctx as usize });
    })
}

#[no_mangle]
pub extern "C" fn spdk_log_close() {
    guard((), || {
        log::set_user_callback(std::ptr::null_mut());
        log::close_syslog();
        if let Some(h) = CLOSE_HOOK.lock().take() {
            // SAFETY: `close` is the application's `spdk_log_close_cb` given to spdk_log_open_ext.
            let f: extern "C" fn(*mut c_void) = unsafe { std::mem::transmute::<usize, extern "C" fn(*mut c_void)>(h.close) };
            f(h.ctx as *mut c_void);
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_log_enable_timestamps(value: bool) {
    log::enable_timestamps(value)
}

#[no_mangle]
pub extern "C" fn spdk_log_set_level(level: spdk_log_level) {
    log::set_level(level as i32)
}

#[no_mangle]
pub extern "C" fn spdk_log_get_level() -> spdk_log_level {
    spdk_log_level::from_i32(log::level())
}

#[no_mangle]
pub extern "C" fn spdk_log_set_print_level(level: spdk_log_level) {
    log::set_print_level(level as i32)
}

#[no_mangle]
pub extern "C" fn spdk_log_get_print_level() -> spdk_log_level {
    spdk_log_level::from_i32(log::print_level())
}

/// The syslog priority for `level`, or -1 for `SPDK_LOG_DISABLED`.
#[no_mangle]
pub extern "C" fn spdk_log_to_syslog_level(level: spdk_log_level) -> c_int {
    match level as i32 {
        0 => libc::LOG_ERR,
        1 => libc::LOG_WARNING,
        2 => libc::LOG_NOTICE,
        3 => libc::LOG_INFO,
        4 => libc::LOG_DEBUG,
        _ => -1,
    }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_log_register_flag(name: *const c_char, flag: *mut spdk_log_flag) {
    guard((), || {
        // SAFETY: the caller's C string.
        let Some(n) = (unsafe { cstr(name) }) else { return };
        if let Err(e) = log::register_flag(n, flag) {
            crate::log::error(format_args!("spdk_log_register_flag: '{n}' not registered (errno {e})\n"));
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_log_get_first_flag() -> *mut spdk_log_flag {
    guard(std::ptr::null_mut(), log::first_flag)
}

#[no_mangle]
pub extern "C" fn spdk_log_get_next_flag(flag: *mut spdk_log_flag) -> *mut spdk_log_flag {
    guard(std::ptr::null_mut(), || log::next_flag(flag))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_log_get_flag(flag: *const c_char) -> bool {
    // SAFETY: the caller's C string.
    guard(false, || unsafe { cstr(flag) }.is_some_and(log::get_flag))
}

/// Turns on the flags matching `flag` (a glob, or "all"); 0 or -EINVAL.
#[no_mangle]
pub unsafe extern "C" fn spdk_log_set_flag(flag: *const c_char) -> c_int {
    // SAFETY: the caller's C string.
    guard(-libc::EFAULT, || match unsafe { cstr(flag) } {
        Some(f) => log::set_flag(f, true).map_or_else(|e| -e, |_| 0),
        None => -libc::EINVAL,
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_log_clear_flag(flag: *const c_char) -> c_int {
    // SAFETY: the caller's C string.
    guard(-libc::EFAULT, || match unsafe { cstr(flag) } {
        Some(f) => log::set_flag(f, false).map_or_else(|e| -e, |_| 0),
        None => -libc::EINVAL,
    })
}

/// Prints the usage line of the `-L` option with the registered flags.
#[no_mangle]
pub unsafe extern "C" fn spdk_log_usage(f: *mut libc::FILE, log_arg: *const c_char) {
    guard((), || {
        if f.is_null() {
            return;
        }
        // SAFETY: the caller's C string.
        let arg = unsafe { cstr(log_arg) }.unwrap_or("-L");
        let names: Vec<String> = log::flags().into_iter().map(|(n, _)| n).collect();
        let text = format!(" {arg}, --logflag <flag>    enable log flag (all, {})\n", names.join(", "));
        if let Ok(c) = std::ffi::CString::new(text) {
            // SAFETY: a valid FILE* from the caller and a C string.
            unsafe { libc::fputs(c.as_ptr(), f) };
        }
    })
}

/// Hex dump of `len` bytes at `buf` with `label`.
#[no_mangle]
pub unsafe extern "C" fn spdk_log_dump(fp: *mut libc::FILE, label: *const c_char, buf: *const c_void, len: usize) {
    guard((), || {
        if fp.is_null() || (buf.is_null() && len > 0) {
            return;
        }
        // SAFETY: the caller's buffer of `len` bytes.
        let data = if len == 0 { &[][..] } else { unsafe { std::slice::from_raw_parts(buf as *const u8, len) } };
        let mut out = format!("{}\n", unsafe { cstr(label) }.unwrap_or(""));
        for (i, chunk) in data.chunks(16).enumerate() {
            let hex: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
            let text: String = chunk.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' }).collect();
            out.push_str(&format!("{:08x}  {:<47}  {}\n", i * 16, hex.join(" "), text));
        }
        if let Ok(c) = std::ffi::CString::new(out) {
            // SAFETY: a valid FILE* and a C string.
            unsafe { libc::fputs(c.as_ptr(), fp) };
        }
    })
}

// ---- Helpers for the C shim; excluded from the public header. ----

#[no_mangle]
pub extern "C" fn rspdk_log_user_cb() -> *mut c_void {
    log::user_callback()
}

#[no_mangle]
pub extern "C" fn rspdk_log_would_emit(level: c_int) -> bool {
    log::would_emit(level)
}

#[no_mangle]
pub unsafe extern "C" fn rspdk_log_default(level: c_int, file: *const c_char, line: c_int, func: *const c_char, msg: *const c_char) {
    guard((), || {
        // SAFETY: C strings from the shim (NULL allowed for file/func).
        let (file, func) = unsafe { (cstr(file), cstr(func)) };
        let msg = if msg.is_null() { String::new() } else { unsafe { std::ffi::CStr::from_ptr(msg) }.to_string_lossy().into_owned() };
        log::emit_default(level, file, line, func, &msg);
    })
}
