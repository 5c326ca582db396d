//! `spdk/event.h`: application options, start/stop, argument parsing, events.

use super::env::spdk_pci_addr;
use super::log::{spdk_log_cb, spdk_log_level};
use super::{cstr, guard, SendPtr};
use crate::env::pci::PciAddr;
use crate::event::{app, reactor};
use crate::util::cpuset::spdk_cpuset;
use parking_lot::Mutex;
use std::ffi::{c_char, c_int, c_void, CStr};


/// Opaque: an event for one core.
pub struct spdk_event {
    _private: [u8; 0],
}

/// Opaque here; `struct option` of `<getopt.h>`.
pub struct option {
    _private: [u8; 0],
}

pub type spdk_event_fn = Option<unsafe extern "C" fn(arg1: *mut c_void, arg2: *mut c_void)>;
pub type spdk_app_shutdown_cb = Option<unsafe extern "C" fn()>;
pub type spdk_sighandler_t = Option<unsafe extern "C" fn(signal: c_int)>;

#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum spdk_app_parse_args_rvals {
    SPDK_APP_PARSE_ARGS_HELP = 0,
    SPDK_APP_PARSE_ARGS_SUCCESS = 1,
    SPDK_APP_PARSE_ARGS_FAIL = 2,
}
pub type spdk_app_parse_args_rvals_t = spdk_app_parse_args_rvals;

/// `struct spdk_app_opts` (packed; SPDK asserts 253 bytes).
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct spdk_app_opts {
    pub name: *const c_char,
    pub json_config_file: *const c_char,
    pub json_config_ignore_errors: bool,
    pub reserved17: [u8; 7],
    pub rpc_addr: *const c_char,
    pub reactor_mask: *const c_char,
    pub tpoint_group_mask: *const c_char,
    pub shm_id: c_int,
    pub reserved52: [u8; 4],
    pub shutdown_cb: spdk_app_shutdown_cb,
    pub enable_coredump: bool,
    pub reserved65: [u8; 3],
    pub mem_channel: c_int,
    pub main_core: c_int,
    pub mem_size: c_int,
    pub no_pci: bool,
    pub hugepage_single_segments: bool,
    pub unlink_hugepage: bool,
    pub no_huge: bool,
    pub reserved84: [u8; 4],
    pub hugedir: *const c_char,
    pub print_level: spdk_log_level,
    pub reserved100: [u8; 4],
    pub num_pci_addr: usize,
    pub pci_blocked: *mut spdk_pci_addr,
    pub pci_allowed: *mut spdk_pci_addr,
    pub iova_mode: *const c_char,
    /// Wait for the `framework_start_init` RPC before starting subsystems.
    pub delay_subsystem_init: bool,
    pub reserved137: [u8; 7],
    pub num_entries: u64,
    pub env_context: *mut c_void,
    pub log: *mut spdk_log_cb,
    pub base_virtaddr: u64,
    /// Size of this structure as the caller knows it (ABI compatibility).
    pub opts_size: usize,
    pub disable_signal_handlers: bool,
    pub interrupt_mode: bool,
    pub enforce_numa: bool,
    pub reserved187: [u8; 1],
    pub num_trace_threads: u32,
    pub msg_mempool_size: usize,
    pub rpc_allowlist: *mut *const c_char,
    pub vf_token: *const c_char,
    pub lcore_map: *const c_char,
    pub rpc_log_level: spdk_log_level,
    pub rpc_log_file: *mut libc::FILE,
    pub json_data: *mut c_void,
    pub json_data_size: usize,
    pub disable_cpumask_locks: bool,
}
const APP_OPTS_SIZE: usize = 253;
const _: () = assert!(std::mem::size_of::<spdk_app_opts>() == APP_OPTS_SIZE);
const _: () = assert!(std::mem::offset_of!(spdk_app_opts, rpc_addr) == 24);
const _: () = assert!(std::mem::offset_of!(spdk_app_opts, print_level) == 96);
const _: () = assert!(std::mem::offset_of!(spdk_app_opts, opts_size) == 176);
const _: () = assert!(std::mem::offset_of!(spdk_app_opts, msg_mempool_size) == 192);
const _: () = assert!(std::mem::offset_of!(spdk_app_opts, disable_cpumask_locks) == 252);

fn default_opts() -> spdk_app_opts {
    // SAFETY: every field is an integer, bool, array or nullable pointer, for
    // which all-zero is valid; the enums are set right after.
    let mut o: spdk_app_opts = unsafe { std::mem::zeroed() };
    o.print_level = spdk_log_level::SPDK_LOG_NOTICE;
    o.rpc_log_level = spdk_log_level::SPDK_LOG_DISABLED;
    o.enable_coredump = true;
    o.shm_id = -1;
    o.mem_size = -1;
    o.main_core = -1;
    o.mem_channel = -1;
    o.rpc_addr = c"/var/tmp/spdk.sock".as_ptr();
    o.base_virtaddr = 0x2000_0000_0000;
    o.num_entries = 32 * 1024;
    o.msg_mempool_size = super::thread::SPDK_DEFAULT_MSG_MEMPOOL_SIZE;
    o.opts_size = APP_OPTS_SIZE;
    o
}

/// Fills the first `opts_size` bytes of `opts` with the defaults.
#[no_mangle]
pub unsafe extern "C" fn spdk_app_opts_init(opts: *mut spdk_app_opts, opts_size: usize) {
    guard((), || {
        if opts.is_null() || opts_size == 0 {
            crate::log::error(format_args!("spdk_app_opts_init: opts must be non-NULL and opts_size non-zero\n"));
            return;
        }
        let mut d = default_opts();
        d.opts_size = opts_size;
        let n = opts_size.min(APP_OPTS_SIZE);
        // SAFETY: the caller's struct has at least opts_size bytes; we copy at most that.
        unsafe { std::ptr::copy_nonoverlapping(&d as *const spdk_app_opts as *const u8, opts as *mut u8, n) };
    })
}

/// The caller's options, completed with defaults past its `opts_size`.
unsafe fn read_opts(opts: *const spdk_app_opts) -> Option<spdk_app_opts> {
    // SAFETY: the caller's struct; opts_size tells how much of it is valid.
    let size = unsafe { std::ptr::addr_of!((*opts).opts_size).read_unaligned() };
    if size == 0 {
        return None;
    }
    let mut o = default_opts();
    // SAFETY: copying the caller's first min(size, ours) bytes over our defaults.
    unsafe { std::ptr::copy_nonoverlapping(opts as *const u8, &mut o as *mut spdk_app_opts as *mut u8, size.min(APP_OPTS_SIZE)) };
    Some(o)
}

unsafe fn pci_list(p: *mut spdk_pci_addr, n: usize) -> Vec<PciAddr> {
    if p.is_null() {
        return Vec::new();
    }
    // SAFETY: the caller gives n entries at p.
    unsafe { std::slice::from_raw_parts(p, n) }.iter().map(|&a| a.into()).collect()
}

fn config_from(o: &spdk_app_opts) -> Result<app::AppConfig, String> {
    let s = |p: *const c_char| -> Option<String> {
        // SAFETY: string fields are the application's C strings or NULL.
        unsafe { cstr(p) }.map(str::to_string)
    };
    let (json_file, json_data, lcore_map) = (o.json_config_file, o.json_data, o.lcore_map);
    if !json_data.is_null() {
        return Err("json_data (in-memory JSON configuration) is not supported yet; use json_config_file".into());
    }
    if !lcore_map.is_null() {
        return Err("lcore_map is not supported; use reactor_mask".into());
    }
    let level = o.print_level as i32;
    let cb = o.shutdown_cb;
    let n = o.num_pci_addr;
    Ok(app::AppConfig {
        name: s(o.name).unwrap_or_else(|| "spdk".into()),
        json_config_file: s(json_file),
        json_config_ignore_errors: o.json_config_ignore_errors,
        rpc_addr: s(o.rpc_addr),
        reactor_mask: s(o.reactor_mask),
        shm_id: o.shm_id,
        // SAFETY: same ABI; the application vouches for its callback.
        shutdown_cb: cb.map(|f| unsafe { std::mem::transmute::<unsafe extern "C" fn(), extern "C" fn()>(f) }),
        main_core: o.main_core,
        mem_size_mb: o.mem_size,
        no_pci: o.no_pci,
        no_huge: o.no_huge,
        hugedir: s(o.hugedir).map(Into::into),
        print_level: if crate::log::level_valid(level) { level } else { crate::log::LOG_NOTICE },
        // SAFETY: the application's arrays of num_pci_addr entries.
        pci_allowed: unsafe { pci_list(o.pci_allowed, n) },
        pci_blocked: unsafe { pci_list(o.pci_blocked, n) },
        iova_mode: s(o.iova_mode),
        delay_subsystem_init: o.delay_subsystem_init,
        disable_signal_handlers: o.disable_signal_handlers,
    })
}

/// Starts the framework and blocks until `spdk_app_stop`; returns the code given to it.
#[no_mangle]
pub unsafe extern "C" fn spdk_app_start(opts_user: *mut spdk_app_opts, start_fn: super::thread::spdk_msg_fn, ctx: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || {
        if opts_user.is_null() {
            crate::log::error(format_args!("spdk_app_start: opts_user must not be NULL\n"));
            return -libc::EINVAL;
        }
        // SAFETY: non-NULL options of the caller.
        let Some(o) = (unsafe { read_opts(opts_user) }) else {
            crate::log::error(format_args!("spdk_app_start: opts_size is 0; call spdk_app_opts_init first\n"));
            return -libc::EINVAL;
        };
        let cfg = match config_from(&o) {
            Ok(c) => c,
            Err(e) => {
                crate::log::error(format_args!("spdk_app_start: {e}\n"));
                return -libc::EINVAL;
            }
        };
        let log_cb = o.log;
        if !log_cb.is_null() {
            super::log::spdk_log_open(log_cb);
        }
        let ctx = SendPtr(ctx);
        let start: Box<dyn FnOnce() + Send> = Box::new(move || {
            let c = ctx;
            if let Some(f) = start_fn {
                // SAFETY: the application's start function with its context, on the app thread.
                unsafe { f(c.0) };
            }
        });
        app::start(cfg, start)
    })
}

#[no_mangle]
pub extern "C" fn spdk_app_fini() {
    guard((), || {
        app::fini();
        PCI_LISTS.lock().clear();
    })
}

#[no_mangle]
pub extern "C" fn spdk_app_start_shutdown() {
    guard((), app::start_shutdown)
}

#[no_mangle]
pub extern "C" fn spdk_app_stop(rc: c_int) {
    guard((), || app::stop(rc))
}

#[no_mangle]
pub extern "C" fn spdk_app_get_shm_id() -> c_int {
    app::shm_id()
}

/// Parses a core mask into `cpumask`; 0 or -1.
#[no_mangle]
pub unsafe extern "C" fn spdk_app_parse_core_mask(mask: *const c_char, cpumask: *mut spdk_cpuset) -> c_int {
    guard(-1, || {
        // SAFETY: the caller's string and struct.
        let (Some(m), Some(out)) = (unsafe { cstr(mask) }, unsafe { cpumask.as_mut() }) else { return -1 };
        match spdk_cpuset::parse(m) {
            Some(s) => {
                out.cpus = s.cpus;
                0
            }
            None => -1,
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_app_get_core_mask() -> *const spdk_cpuset {
    guard(std::ptr::null(), app::core_mask)
}

/// `spdk_event_allocate`: NULL if `lcore` runs no reactor.
#[no_mangle]
pub extern "C" fn spdk_event_allocate(lcore: u32, fn_: spdk_event_fn, arg1: *mut c_void, arg2: *mut c_void) -> *mut spdk_event {
    guard(std::ptr::null_mut(), || {
        let Some(f) = fn_ else { return std::ptr::null_mut() };
        // SAFETY: same ABI; the application vouches for its callback.
        let f = unsafe { std::mem::transmute::<unsafe extern "C" fn(*mut c_void, *mut c_void), reactor::EventFn>(f) };
        reactor::event_allocate(lcore, f, arg1, arg2).map_or(std::ptr::null_mut(), |e| e.cast())
    })
}

#[no_mangle]
pub extern "C" fn spdk_event_call(event: *mut spdk_event) {
    guard((), || {
        if !event.is_null() {
            reactor::event_call(event.cast())
        }
    })
}

static PCI_LISTS: Mutex<Vec<Box<[spdk_pci_addr]>>> = Mutex::new(Vec::new());

const COMMON_USAGE: &str = "\
 -c, --config, --json <config>  JSON config file
 -d, --limit-coredump           do not set max coredump size to RLIM_INFINITY
 -e, --tpoint-group <mask>      tracepoint group mask (accepted, tracing not built in)
 -g, --single-file-segments     accepted for compatibility
 -h, --help                     show this usage
 -i, --shm-id <id>              shared memory ID
 -m, --cpumask <mask or list>   core mask (like 0x3) or core list (like [0,2-3]) for reactors
 -n, --mem-channels <num>       accepted for compatibility
 -p, --main-core <id>           main (primary) core
 -r, --rpc-socket <path>        RPC listen address (default /var/tmp/spdk.sock)
 -s, --mem-size <size>          DMA memory size in MB, or with a K/M/G suffix
 -u, --no-pci                   disable PCI access
 -v, --version                  print the version and exit
 -A, --pci-allowed <bdf>        allow a PCI address (may repeat)
 -B, --pci-blocked <bdf>        block a PCI address (may repeat)
 -L, --logflag <flag>           enable a log flag (all, or a glob)
 -R, --huge-unlink              unlink hugepage files after init
     --huge-dir <path>          use hugetlbfs files in this directory
     --no-huge                  run without hugepages
     --iova-mode <va>           IOVA mode (only va)
     --wait-for-rpc             wait for RPCs to initialise subsystems
     --json-ignore-init-errors  do not stop on JSON config errors
     --silence-noticelog        print only warnings and errors
";

#[no_mangle]
pub extern "C" fn spdk_app_usage() {
    guard((), || {
        print!("{COMMON_USAGE}");
        let flags: Vec<String> = crate::log::flags().into_iter().map(|(n, _)| n).collect();
        println!("     log flags: all, {}", flags.join(", "));
    })
}

fn parse_mem_size(s: &str) -> Option<c_int> {
    crate::util::string::parse_capacity_mb(s)
}

const OPT_HUGE_DIR: c_int = 259;
const OPT_JSON: c_int = 262;
const OPT_JSON_IGNORE: c_int = 263;
const OPT_IOVA_MODE: c_int = 264;
const OPT_WAIT_FOR_RPC: c_int = 258;
const OPT_SILENCE: c_int = 257;
const OPT_NO_HUGE: c_int = 272;
const COMMON_SHORT: &str = "c:de:ghi:m:n:p:r:s:uvA:B:L:RW:";

const COMMON_LONG: &[(&CStr, c_int, c_int)] = &[
    (c"config", 1, b'c' as c_int),
    (c"limit-coredump", 0, b'd' as c_int),
    (c"tpoint-group", 1, b'e' as c_int),
    (c"single-file-segments", 0, b'g' as c_int),
    (c"help", 0, b'h' as c_int),
    (c"shm-id", 1, b'i' as c_int),
    (c"cpumask", 1, b'm' as c_int),
    (c"mem-channels", 1, b'n' as c_int),
    (c"main-core", 1, b'p' as c_int),
    (c"rpc-socket", 1, b'r' as c_int),
    (c"mem-size", 1, b's' as c_int),
    (c"no-pci", 0, b'u' as c_int),
    (c"version", 0, b'v' as c_int),
    (c"pci-allowed", 1, b'A' as c_int),
    (c"pci-blocked", 1, b'B' as c_int),
    (c"logflag", 1, b'L' as c_int),
    (c"huge-unlink", 0, b'R' as c_int),
    (c"silence-noticelog", 0, OPT_SILENCE),
    (c"wait-for-rpc", 0, OPT_WAIT_FOR_RPC),
    (c"huge-dir", 1, OPT_HUGE_DIR),
    (c"json", 1, OPT_JSON),
    (c"json-ignore-init-errors", 0, OPT_JSON_IGNORE),
    (c"iova-mode", 1, OPT_IOVA_MODE),
    (c"no-huge", 0, OPT_NO_HUGE),
];

extern "C" {
    static mut optarg: *mut c_char;
    static mut optind: c_int;
    static mut opterr: c_int;
}

/// Parses SPDK's common options into `opts` and hands the application's own to `parse`.
#[no_mangle]
pub unsafe extern "C" fn spdk_app_parse_args(
    argc: c_int,
    argv: *mut *mut c_char,
    opts: *mut spdk_app_opts,
    app_getopt_str: *const c_char,
    app_long_opts: *const option,
    parse: Option<unsafe extern "C" fn(ch: c_int, arg: *mut c_char) -> c_int>,
    usage: Option<unsafe extern "C" fn()>,
) -> spdk_app_parse_args_rvals_t {
    use spdk_app_parse_args_rvals::*;
    guard(SPDK_APP_PARSE_ARGS_FAIL, || {
        if argv.is_null() || opts.is_null() || argc < 1 {
            return SPDK_APP_PARSE_ARGS_FAIL;
        }
        // SAFETY: the caller's option string or NULL.
        let app_short = unsafe { cstr(app_getopt_str) }.unwrap_or("");
        if app_short.chars().filter(|c| *c != ':').any(|c| COMMON_SHORT.contains(c)) {
            crate::log::error(format_args!("spdk_app_parse_args: application option letters '{app_short}' collide with SPDK's '{COMMON_SHORT}'\n"));
            return SPDK_APP_PARSE_ARGS_FAIL;
        }
        if !app_short.is_empty() && parse.is_none() {
            crate::log::error(format_args!("spdk_app_parse_args: application options need a parse callback\n"));
            return SPDK_APP_PARSE_ARGS_FAIL;
        }
        let short = std::ffi::CString::new(format!("{COMMON_SHORT}{app_short}")).unwrap_or_default();
        let mut long: Vec<libc::option> = COMMON_LONG
            .iter()
            .map(|&(n, has_arg, val)| libc::option { name: n.as_ptr(), has_arg, flag: std::ptr::null_mut(), val })
            .collect();
        if !app_long_opts.is_null() {
            let mut p = app_long_opts as *const libc::option;
            // SAFETY: the application's array ends with an all-zero entry (getopt_long's contract).
            unsafe {
                while !(*p).name.is_null() {
                    long.push(*p);
                    p = p.add(1);
                }
            }
        }
        long.push(libc::option { name: std::ptr::null(), has_arg: 0, flag: std::ptr::null_mut(), val: 0 });

        // SAFETY: opts is the caller's struct (packed: fields are written by value).
        let o = unsafe { &mut *opts };
        let mut allowed: Vec<spdk_pci_addr> = Vec::new();
        let mut blocked: Vec<spdk_pci_addr> = Vec::new();
        let mut result = SPDK_APP_PARSE_ARGS_SUCCESS;
        // SAFETY: getopt's globals; this function is not reentrant, like getopt itself.
        unsafe {
            optind = 0;
            opterr = 1;
        }
        loop {
            let mut idx: c_int = 0;
            // SAFETY: argv/argc from the caller; our option tables outlive the loop.
            let ch = unsafe { libc::getopt_long(argc, argv, short.as_ptr(), long.as_ptr(), &mut idx) };
            if ch == -1 {
                break;
            }
            // SAFETY: optarg points into argv (or is NULL) after getopt_long.
            let arg_ptr = unsafe { optarg };
            let arg = unsafe { cstr(arg_ptr) }.unwrap_or("");
            let fail = |what: &str| {
                crate::log::error(format_args!("spdk_app_parse_args: {what}\n"));
                SPDK_APP_PARSE_ARGS_FAIL
            };
            let r = match ch {
                c if c == b'c' as c_int || c == OPT_JSON => {
                    o.json_config_file = arg_ptr;
                    None
                }
                c if c == b'd' as c_int => {
                    o.enable_coredump = false;
                    None
                }
                c if c == b'e' as c_int => {
                    o.tpoint_group_mask = arg_ptr;
                    None
                }
                c if c == b'g' as c_int => {
                    o.hugepage_single_segments = true;
                    None
                }
                c if c == b'h' as c_int => {
                    spdk_app_usage();
                    if let Some(u) = usage {
                        // SAFETY: the application's usage callback.
                        unsafe { u() };
                    }
                    Some(SPDK_APP_PARSE_ARGS_HELP)
                }
                c if c == b'i' as c_int => match arg.parse::<c_int>() {
                    Ok(v) => {
                        o.shm_id = v;
                        None
                    }
                    Err(_) => Some(fail(&format!("invalid shared memory ID '{arg}'"))),
                },
                c if c == b'm' as c_int => {
                    if spdk_cpuset::parse(arg).is_none() {
                        Some(fail(&format!("invalid core mask '{arg}'")))
                    } else {
                        o.reactor_mask = arg_ptr;
                        None
                    }
                }
                c if c == b'n' as c_int => match arg.parse::<c_int>() {
                    Ok(v) => {
                        o.mem_channel = v;
                        None
                    }
                    Err(_) => Some(fail(&format!("invalid memory channel count '{arg}'"))),
                },
                c if c == b'p' as c_int => match arg.parse::<c_int>() {
                    Ok(v) if v >= 0 => {
                        o.main_core = v;
                        None
                    }
                    _ => Some(fail(&format!("invalid main core '{arg}'"))),
                },
                c if c == b'r' as c_int => {
                    o.rpc_addr = arg_ptr;
                    None
                }
                c if c == b's' as c_int => match parse_mem_size(arg) {
                    Some(mb) => {
                        o.mem_size = mb;
                        None
                    }
                    None => Some(fail(&format!("invalid memory size '{arg}'"))),
                },
                c if c == b'u' as c_int => {
                    o.no_pci = true;
                    None
                }
                c if c == b'v' as c_int => {
                    println!("rspdk {} (SPDK v26.01 API)", env!("CARGO_PKG_VERSION"));
                    Some(SPDK_APP_PARSE_ARGS_HELP)
                }
                c if c == b'A' as c_int || c == b'W' as c_int || c == b'B' as c_int => match PciAddr::parse(arg) {
                    Some(a) => {
                        let a = spdk_pci_addr { domain: a.domain, bus: a.bus, dev: a.dev, func: a.func };
                        if c == b'B' as c_int {
                            blocked.push(a)
                        } else {
                            allowed.push(a)
                        }
                        None
                    }
                    None => Some(fail(&format!("invalid PCI address '{arg}'"))),
                },
                c if c == b'L' as c_int => match crate::log::set_flag(arg, true) {
                    Ok(()) => {
                        o.print_level = spdk_log_level::SPDK_LOG_DEBUG;
                        None
                    }
                    Err(_) => Some(fail(&format!("unknown log flag '{arg}'"))),
                },
                c if c == b'R' as c_int => {
                    o.unlink_hugepage = true;
                    None
                }
                OPT_SILENCE => {
                    o.print_level = spdk_log_level::SPDK_LOG_WARN;
                    None
                }
                OPT_WAIT_FOR_RPC => {
                    o.delay_subsystem_init = true;
                    None
                }
                OPT_HUGE_DIR => {
                    o.hugedir = arg_ptr;
                    None
                }
                OPT_JSON_IGNORE => {
                    o.json_config_ignore_errors = true;
                    None
                }
                OPT_IOVA_MODE => {
                    o.iova_mode = arg_ptr;
                    None
                }
                OPT_NO_HUGE => {
                    o.no_huge = true;
                    None
                }
                c if c == b'?' as c_int || c == b':' as c_int => {
                    spdk_app_usage();
                    if let Some(u) = usage {
                        // SAFETY: the application's usage callback.
                        unsafe { u() };
                    }
                    Some(SPDK_APP_PARSE_ARGS_FAIL)
                }
                other => match parse {
                    // SAFETY: the application's parser with getopt's argument.
                    Some(p) => (unsafe { p(other, arg_ptr) } != 0).then(|| fail(&format!("the application rejected option '{}'", char::from_u32(other as u32).unwrap_or('?')))),
                    None => Some(fail("unexpected option")),
                },
            };
            if let Some(r) = r {
                result = r;
                break;
            }
        }
        // SAFETY: as above.
        unsafe { optind = 1 };
        if result == SPDK_APP_PARSE_ARGS_SUCCESS && (!allowed.is_empty() || !blocked.is_empty()) {
            if !allowed.is_empty() && !blocked.is_empty() {
                crate::log::error(format_args!("spdk_app_parse_args: -A and -B cannot be combined\n"));
                return SPDK_APP_PARSE_ARGS_FAIL;
            }
            let list: Box<[spdk_pci_addr]> = if allowed.is_empty() { blocked.into() } else { allowed.clone().into() };
            o.num_pci_addr = list.len();
            let p = list.as_ptr() as *mut spdk_pci_addr;
            if !allowed.is_empty() {
                o.pci_allowed = p;
            } else {
                o.pci_blocked = p;
            }
            PCI_LISTS.lock().push(list);
        }
        result
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn mem_size_syntax() {
        assert_eq!(super::parse_mem_size("512"), Some(512));
        assert_eq!(super::parse_mem_size("1G"), Some(1024));
        assert_eq!(super::parse_mem_size("256M"), Some(256));
        assert_eq!(super::parse_mem_size("4096k"), Some(4));
        assert_eq!(super::parse_mem_size("x"), None);
        assert_eq!(super::parse_mem_size("-3"), None);
    }
}
