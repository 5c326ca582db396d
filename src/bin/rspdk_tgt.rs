//! rspdk_tgt: the target application hosting every subsystem of this build
//! (bdev now), driven over JSON-RPC (`spdk-rpc -s SOCKET METHOD ...`) and
//! configured by `--json FILE` in SPDK's format, with SPDK's common options.
//!
//! `--default-config` starts it with an embedded configuration (a 64 MiB
//! malloc bdev, Malloc0) for a first look.

use rspdk::capi::event::{spdk_app_fini, spdk_app_opts, spdk_app_opts_init, spdk_app_parse_args, spdk_app_parse_args_rvals, spdk_app_start, spdk_app_usage};
use std::ffi::{c_char, c_int, c_void, CStr, CString};
use std::sync::atomic::{AtomicBool, Ordering};

const OPT_DEFAULT_CONFIG: c_int = 0x1000;

const DEFAULT_CONFIG: &str = r#"{
  "subsystems": [
    {
      "subsystem": "bdev",
      "config": [
        {"method": "bdev_malloc_create", "params": {"name": "Malloc0", "num_blocks": 131072, "block_size": 512}}
      ]
    }
  ]
}
"#;

static DEFAULT_WANTED: AtomicBool = AtomicBool::new(false);
static SOCKET: std::sync::Mutex<String> = std::sync::Mutex::new(String::new());

unsafe extern "C" fn parse(ch: c_int, _arg: *mut c_char) -> c_int {
    match ch {
        OPT_DEFAULT_CONFIG => {
            DEFAULT_WANTED.store(true, Ordering::Relaxed);
            0
        }
        _ => -libc::EINVAL,
    }
}

unsafe extern "C" fn usage() {
    println!("     --default-config           start with an embedded configuration (a 64 MiB malloc bdev, Malloc0)");
}

extern "C" fn started(_ctx: *mut c_void) {
    let sock = SOCKET.lock().map(|s| s.clone()).unwrap_or_default();
    println!("rspdk_tgt: running; {} bdev(s) configured.", rspdk::bdev::list().len());
    if !sock.is_empty() {
        println!("rspdk_tgt: connect with SPDK's RPC client: spdk-rpc -s {sock} bdev_get_bdevs   (pip install spdk)");
    }
    println!("rspdk_tgt: stop with Ctrl-C, or: spdk-rpc -s {sock} spdk_kill_instance SIGTERM");
}

fn main() {
    let args: Vec<CString> = std::env::args().map(|a| CString::new(a).unwrap_or_default()).collect();
    let mut argv: Vec<*mut c_char> = args.iter().map(|a| a.as_ptr() as *mut c_char).collect();
    argv.push(std::ptr::null_mut());
    // SAFETY: all-zero is a valid starting point; spdk_app_opts_init fills it.
    let mut opts: spdk_app_opts = unsafe { std::mem::zeroed() };
    // SAFETY: opts is ours, of the size given.
    unsafe { spdk_app_opts_init(&mut opts, std::mem::size_of::<spdk_app_opts>()) };
    opts.name = c"rspdk_tgt".as_ptr();
    let long = [
        libc::option { name: c"default-config".as_ptr(), has_arg: 0, flag: std::ptr::null_mut(), val: OPT_DEFAULT_CONFIG },
        libc::option { name: std::ptr::null(), has_arg: 0, flag: std::ptr::null_mut(), val: 0 },
    ];
    // SAFETY: argv is a NULL-terminated array of C strings that outlive the call;
    // the long options end with an all-zero entry.
    let rv = unsafe { spdk_app_parse_args(argv.len() as c_int - 1, argv.as_mut_ptr(), &mut opts, c"".as_ptr(), long.as_ptr().cast(), Some(parse), Some(usage)) };
    match rv {
        spdk_app_parse_args_rvals::SPDK_APP_PARSE_ARGS_SUCCESS => {}
        spdk_app_parse_args_rvals::SPDK_APP_PARSE_ARGS_HELP => std::process::exit(0),
        _ => {
            spdk_app_usage();
            std::process::exit(1)
        }
    }
    let mut default_path = None;
    if DEFAULT_WANTED.load(Ordering::Relaxed) {
        if !opts.json_config_file.is_null() {
            eprintln!("rspdk_tgt: --default-config and --json exclude each other");
            std::process::exit(1);
        }
        let path = std::env::temp_dir().join(format!("rspdk_tgt-default-{}.json", std::process::id()));
        if let Err(e) = std::fs::write(&path, DEFAULT_CONFIG) {
            eprintln!("rspdk_tgt: cannot write {}: {e}", path.display());
            std::process::exit(1);
        }
        default_path = Some((CString::new(path.to_string_lossy().as_bytes()).unwrap_or_default(), path));
    }
    if let Some((c, _)) = &default_path {
        opts.json_config_file = c.as_ptr();
    }
    if !opts.rpc_addr.is_null() {
        // SAFETY: a C string set by opts_init or parse_args (argv outlives main's use of it).
        let s = unsafe { CStr::from_ptr(opts.rpc_addr) }.to_string_lossy().into_owned();
        if let Ok(mut g) = SOCKET.lock() {
            *g = s;
        }
    }
    // SAFETY: opts is complete; the callback has the C signature.
    let rc = unsafe { spdk_app_start(&mut opts, Some(started), std::ptr::null_mut()) };
    spdk_app_fini();
    if let Some((_, p)) = default_path {
        let _ = std::fs::remove_file(p);
    }
    std::process::exit(if rc == 0 { 0 } else { 1 });
}
