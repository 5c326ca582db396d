//! JSON configuration files, fed arbitrary bytes: the file parser, then each
//! call's parameters through the bdev subsystem's methods. Nothing may
//! panic; errors are reported as values. Methods that would allocate a
//! bdev's memory (malloc, null) are parsed but not run, so the run's memory
//! stays bounded; with no bdev registered and no spdk_thread, the others
//! check their parameters and fail cleanly.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspdk::event::json_config;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(calls) = json_config::parse(&text, "fuzz.json") else {
        return;
    };
    for c in calls.iter().take(16) {
        if c.subsystem != "bdev" || matches!(c.method.as_str(), "bdev_malloc_create" | "bdev_null_create") {
            continue;
        }
        if let Ok(Some(name)) = rspdk::bdev::config::call(&c.method, &c.params) {
            panic!("{} created {name} with no bdev to build on", c.method);
        }
    }
});
