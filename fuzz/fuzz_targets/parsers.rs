//! Every text parser of the foundation, fed arbitrary bytes: PCI addresses,
//! core masks and CPU sets, UUIDs, numbers, memory sizes, and the whole
//! command line through `spdk_app_parse_args`. None may panic or crash;
//! whatever parses must format back to something that parses the same.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspdk::env::pci::PciAddr;
use rspdk::util::cpuset::spdk_cpuset;
use std::ffi::{c_char, c_int, CString};

extern "C" fn app_parse(_ch: c_int, _arg: *mut c_char) -> c_int {
    0
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Some(a) = PciAddr::parse(&text) {
        assert_eq!(PciAddr::parse(&a.to_string()), Some(a));
    }
    if let Some(s) = spdk_cpuset::parse(&text) {
        let again = spdk_cpuset::parse(&format!("0x{}", s.fmt_hex())).expect("own format parses");
        assert_eq!(again.cpus, s.cpus);
    }
    let _ = rspdk::env::parse_core_mask(&text);
    if let Some(u) = rspdk::util::uuid::parse(&text) {
        assert_eq!(rspdk::util::uuid::parse(&rspdk::util::uuid::fmt_lower(&u)), Some(u));
    }
    for base in [0, 10, 16] {
        if let Ok(v) = rspdk::util::string::parse_nonneg(&text, base) {
            assert!(v >= 0);
        }
    }
    let _ = rspdk::util::string::parse_capacity_mb(&text);
    let _ = rspdk::util::string::trim(data);

    // The command line: NUL-separated arguments after a program name.
    let mut args: Vec<CString> = vec![CString::new("fuzz").unwrap()];
    args.extend(data.split(|&b| b == 0).take(32).map(|a| CString::new(a).unwrap()));
    let mut argv: Vec<*mut c_char> = args.iter().map(|a| a.as_ptr() as *mut c_char).collect();
    argv.push(std::ptr::null_mut());
    // SAFETY: opts is a full struct; argv is NULL-terminated and outlives the call.
    unsafe {
        let mut opts: rspdk::capi::event::spdk_app_opts = std::mem::zeroed();
        rspdk::capi::event::spdk_app_opts_init(&mut opts, std::mem::size_of_val(&opts));
        let _ = rspdk::capi::event::spdk_app_parse_args(
            (argv.len() - 1) as c_int,
            argv.as_mut_ptr(),
            &mut opts,
            c"x:y".as_ptr(),
            std::ptr::null(),
            Some(app_parse),
            None,
        );
    }
});
