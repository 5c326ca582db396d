//! The bdev methods: the configuration methods of `bdev::config` under their
//! SPDK names (with SPDK's result shapes), and `bdev_get_bdevs`,
//! `bdev_get_iostat`, `bdev_wait_for_examine`, `bdev_examine`, the histograms.

use super::{jsonrpc, register_fn, Params, Responder, RUNTIME, STARTUP};
use crate::bdev::{self, config, io::ResetMode};
use crate::capi::bdev_types::spdk_bdev;
use serde_json::{json, Value};
use std::ffi::{c_int, c_void};
use std::sync::Arc;

/// What a configuration method answers on success.
#[derive(Clone, Copy)]
enum Answer {
    /// `true`.
    True,
    /// The created bdev's name.
    Name,
    /// The names of the parts of the base given (`bdev_split_create`).
    SplitParts,
    /// The bdevs of the NVMe controller attached (`bdev_nvme_attach_controller`).
    NvmeBdevs,
}

/// The configuration methods served over RPC: name, states, answer.
const CONFIG_METHODS: &[(&str, u32, Answer)] = &[
    ("bdev_set_options", STARTUP, Answer::True),
    ("bdev_malloc_create", RUNTIME, Answer::Name),
    ("bdev_null_create", RUNTIME, Answer::Name),
    ("bdev_split_create", RUNTIME, Answer::SplitParts),
    ("bdev_split_delete", RUNTIME, Answer::True),
    ("bdev_passthru_create", RUNTIME, Answer::Name),
    ("bdev_passthru_delete", RUNTIME, Answer::True),
    ("bdev_error_create", RUNTIME, Answer::True),
    ("bdev_error_delete", RUNTIME, Answer::True),
    ("bdev_error_inject_error", RUNTIME, Answer::True),
    ("bdev_error_resume_pending", RUNTIME, Answer::True),
    ("bdev_delay_create", RUNTIME, Answer::Name),
    ("bdev_delay_delete", RUNTIME, Answer::True),
    ("bdev_delay_update_latency", RUNTIME, Answer::True),
    ("bdev_aio_create", RUNTIME, Answer::Name),
    ("bdev_aio_delete", RUNTIME, Answer::True),
    ("bdev_aio_rescan", RUNTIME, Answer::True),
    ("bdev_uring_create", RUNTIME, Answer::Name),
    ("bdev_uring_delete", RUNTIME, Answer::True),
    ("bdev_uring_rescan", RUNTIME, Answer::True),
    ("bdev_raid_create", RUNTIME, Answer::True),
    ("bdev_raid_delete", RUNTIME, Answer::True),
    ("bdev_raid_add_base_bdev", RUNTIME, Answer::True),
    ("bdev_raid_remove_base_bdev", RUNTIME, Answer::True),
    ("bdev_raid_set_options", STARTUP | RUNTIME, Answer::True),
    ("bdev_null_resize", RUNTIME, Answer::True),
    ("bdev_set_qos_limit", RUNTIME, Answer::True),
    ("bdev_nvme_set_options", STARTUP | RUNTIME, Answer::True),
    ("bdev_nvme_attach_controller", RUNTIME, Answer::NvmeBdevs),
];

pub(super) fn register() {
    for &(name, mask, answer) in CONFIG_METHODS {
        let _ = super::register(name, mask, Arc::new(move |p: Value, r: Responder| run_config(name, answer, p, r)));
    }
    register_fn("bdev_malloc_delete", RUNTIME, |p, r| delete_leaf("bdev_malloc_delete", p, r, bdev::malloc::delete));
    register_fn("bdev_null_delete", RUNTIME, |p, r| delete_leaf("bdev_null_delete", p, r, bdev::null::delete));
    register_fn("bdev_get_bdevs", RUNTIME, bdev_get_bdevs);
    register_fn("bdev_get_iostat", RUNTIME, bdev_get_iostat);
    register_fn("bdev_wait_for_examine", RUNTIME, bdev_wait_for_examine);
    register_fn("bdev_examine", RUNTIME, bdev_examine);
    register_fn("bdev_raid_get_bdevs", RUNTIME, bdev_raid_get_bdevs);
    register_fn("bdev_nvme_detach_controller", RUNTIME, bdev_nvme_detach_controller);
    register_fn("bdev_nvme_get_controllers", RUNTIME, bdev_nvme_get_controllers);
    register_fn("bdev_nvme_reset_controller", RUNTIME, bdev_nvme_reset_controller);
    register_fn("bdev_enable_histogram", RUNTIME, bdev_enable_histogram);
    register_fn("bdev_get_histogram", RUNTIME, bdev_get_histogram);
}

/// Answers `r` from the controller's thread when the operation is done.
fn nvme_waiter(method: &'static str, r: Responder) -> Box<dyn FnOnce(i32) + Send> {
    Box::new(move |rc| {
        if rc == 0 {
            r.ok(json!(true));
        } else {
            r.err(rc, format!("{method}: {}", std::io::Error::from_raw_os_error(-rc)));
        }
    })
}

fn bdev_nvme_detach_controller(p: Value, r: Responder) {
    const M: &str = "bdev_nvme_detach_controller";
    let slot = Arc::new(parking_lot::Mutex::new(Some(r)));
    let s2 = slot.clone();
    let done: Box<dyn FnOnce(i32) + Send> = Box::new(move |rc| {
        if let Some(r) = s2.lock().take() {
            nvme_waiter(M, r)(rc);
        }
    });
    if let Err(e) = config::nvme_detach(&p, Some(done)) {
        if let Some(r) = slot.lock().take() {
            r.err(if e.1 != 0 { -e.1 } else { jsonrpc::INVALID_PARAMS }, format!("{M}: {}", e.0));
        }
    }
}

fn bdev_nvme_get_controllers(p: Value, r: Responder) {
    let name = match Params::new("bdev_nvme_get_controllers", &p, &["name"]).and_then(|p| Ok(p.str("name")?.map(str::to_string))) {
        Ok(n) => n,
        Err(e) => return r.invalid(e),
    };
    match bdev::nvme::get_controllers(name.as_deref()) {
        Ok(v) => r.ok(v),
        Err(e) => r.err(-e.errno(), format!("bdev_nvme_get_controllers: {e}")),
    }
}

fn bdev_nvme_reset_controller(p: Value, r: Responder) {
    const M: &str = "bdev_nvme_reset_controller";
    let name = match Params::new(M, &p, &["name", "cntlid"]).and_then(|p| Ok(p.req_str("name")?.to_string())) {
        Ok(n) => n,
        Err(e) => return r.invalid(e),
    };
    let slot = Arc::new(parking_lot::Mutex::new(Some(r)));
    let s2 = slot.clone();
    let done: Box<dyn FnOnce(i32) + Send> = Box::new(move |rc| {
        if let Some(r) = s2.lock().take() {
            nvme_waiter(M, r)(rc);
        }
    });
    if let Err(e) = bdev::nvme::reset(&name, Some(done)) {
        if let Some(r) = slot.lock().take() {
            r.err(-e.errno(), format!("{M}: {e}"));
        }
    }
}

fn split_parts(base: &str) -> Vec<String> {
    bdev::list()
        .into_iter()
        .filter(|&b| bdev::vbdev::part_info(b).is_some_and(|p| p.module == "split" && p.base_name == base))
        .map(bdev::name_of)
        .collect()
}

fn run_config(method: &'static str, answer: Answer, p: Value, r: Responder) {
    match config::call_coded(method, &p) {
        Err((code, msg)) => r.err(code, format!("{method}: {msg}")),
        Ok(created) => match (answer, created) {
            (Answer::Name, Some(name)) => r.ok(json!(name)),
            (Answer::SplitParts, Some(base)) => r.ok(json!(split_parts(&base))),
            (Answer::NvmeBdevs, Some(ctrlr)) => r.ok(json!(bdev::nvme::bdev_names(&ctrlr))),
            _ => r.ok(json!(true)),
        },
    }
}

type DeleteFn = fn(&str, crate::capi::bdev_types::spdk_bdev_unregister_cb, *mut c_void) -> Result<(), bdev::BdevError>;

extern "C" fn deleted(arg: *mut c_void, rc: c_int) {
    // SAFETY: the Box<Responder> leaked by delete_leaf, called back once.
    let r = unsafe { Box::from_raw(arg as *mut Responder) };
    if rc == 0 {
        r.ok(json!(true));
    } else {
        r.err(rc, format!("the bdev could not be removed: {}", std::io::Error::from_raw_os_error(-rc)));
    }
}

/// `bdev_malloc_delete` / `bdev_null_delete`: answers once the bdev is gone.
fn delete_leaf(method: &'static str, p: Value, r: Responder, delete: DeleteFn) {
    let name = match Params::new(method, &p, &["name"]).and_then(|p| p.req_str("name").map(str::to_string)) {
        Ok(n) => n,
        Err(e) => return r.invalid(e),
    };
    let arg = Box::into_raw(Box::new(r));
    if let Err(e) = delete(&name, Some(deleted), arg.cast()) {
        // SAFETY: the callback will not run: the responder is still ours.
        let r = unsafe { Box::from_raw(arg) };
        r.err(-e.errno(), format!("{method}: {e}"));
    }
}

fn find(name: &str) -> Option<*mut spdk_bdev> {
    bdev::get_by_name(name).or_else(|| {
        let u = crate::util::uuid::parse(name)?;
        // SAFETY: uuids are plain bytes of registered bdevs.
        bdev::list().into_iter().find(|&b| unsafe { bdev::bdev_ref(b).uuid.u.raw } == u)
    })
}

struct Waiting {
    name: String,
    deadline: u64,
    r: Option<Responder>,
    poller: *mut crate::thread::poller::Poller,
}

extern "C" fn wait_poll(arg: *mut c_void) -> c_int {
    // SAFETY: the Waiting leaked by bdev_get_bdevs; freed here when done.
    let w = unsafe { &mut *(arg as *mut Waiting) };
    let found = find(&w.name);
    if found.is_none() && crate::env::cpu::ticks() < w.deadline {
        return 0;
    }
    crate::thread::poller::unregister(w.poller);
    // SAFETY: as above; the poller is gone, nothing else holds it.
    let mut w = unsafe { Box::from_raw(arg as *mut Waiting) };
    if let Some(r) = w.r.take() {
        match found {
            Some(b) => r.ok(json!([bdev::json::describe(b)])),
            None => r.err(-libc::ENODEV, format!("bdev_get_bdevs: bdev '{}' not found", w.name)),
        }
    }
    1
}

fn bdev_get_bdevs(p: Value, r: Responder) {
    let (name, timeout) = match Params::new("bdev_get_bdevs", &p, &["name", "timeout"]).and_then(|p| Ok((p.str("name")?.map(str::to_string), p.u64("timeout")?.unwrap_or(0)))) {
        Ok(v) => v,
        Err(e) => return r.invalid(e),
    };
    let Some(name) = name else {
        return r.ok(Value::Array(bdev::list().into_iter().map(bdev::json::describe).collect()));
    };
    if let Some(b) = find(&name) {
        return r.ok(json!([bdev::json::describe(b)]));
    }
    if timeout == 0 {
        return r.err(-libc::ENODEV, format!("bdev_get_bdevs: bdev '{name}' not found"));
    }
    let deadline = crate::env::cpu::ticks() + timeout * (crate::env::cpu::TICKS_HZ / 1000);
    let w = Box::into_raw(Box::new(Waiting { name, deadline, r: Some(r), poller: std::ptr::null_mut() }));
    match crate::thread::poller::register(wait_poll, w.cast(), 10_000, Some("bdev_get_bdevs_wait")) {
        // SAFETY: w is ours until the poller's last run.
        Some(p) => unsafe { (*w).poller = p },
        None => {
            // SAFETY: the poller was not made: still ours.
            let mut w = unsafe { Box::from_raw(w) };
            if let Some(r) = w.r.take() {
                r.err(jsonrpc::INTERNAL_ERROR, "bdev_get_bdevs: cannot wait (no poller)");
            }
        }
    }
}

fn stat_json(name: &str, s: &bdev::io::Stat) -> Value {
    json!({
        "name": name,
        "bytes_read": s.bytes_read, "num_read_ops": s.num_read_ops,
        "bytes_written": s.bytes_written, "num_write_ops": s.num_write_ops,
        "bytes_unmapped": s.bytes_unmapped, "num_unmap_ops": s.num_unmap_ops,
        "bytes_copied": 0, "num_copy_ops": 0,
        "read_latency_ticks": s.read_latency_ticks, "max_read_latency_ticks": s.max_latency[0], "min_read_latency_ticks": s.min_latency[0],
        "write_latency_ticks": s.write_latency_ticks, "max_write_latency_ticks": s.max_latency[1], "min_write_latency_ticks": s.min_latency[1],
        "unmap_latency_ticks": s.unmap_latency_ticks, "max_unmap_latency_ticks": s.max_latency[2], "min_unmap_latency_ticks": s.min_latency[2],
        "copy_latency_ticks": 0, "max_copy_latency_ticks": 0, "min_copy_latency_ticks": 0,
        "io_error": {},
        "num_errors": s.num_errors,
    })
}

/// Gathers the statistics of `todo` one bdev after another, then answers.
fn iostat_next(mut todo: Vec<*mut spdk_bdev>, mut done: Vec<Value>, mode: ResetMode, r: Responder) {
    let Some(b) = todo.pop() else {
        return r.ok(json!({"tick_rate": crate::env::cpu::TICKS_HZ, "ticks": crate::env::cpu::ticks(), "bdevs": done}));
    };
    let name = bdev::name_of(b);
    // Raw pointers are not Send: carry the addresses.
    let rest: Vec<usize> = todo.iter().map(|&b| b as usize).collect();
    let slot = Arc::new(parking_lot::Mutex::new(Some(r)));
    let slot2 = slot.clone();
    let res = bdev::device_stat(
        b,
        mode,
        Box::new(move |s| {
            done.push(stat_json(&name, &s));
            if let Some(r) = slot2.lock().take() {
                iostat_next(rest.into_iter().map(|b| b as *mut spdk_bdev).collect(), done, mode, r);
            }
        }),
    );
    if let Err(e) = res {
        if let Some(r) = slot.lock().take() {
            r.err(-e.errno(), format!("bdev_get_iostat: {e}"));
        }
    }
}

fn bdev_get_iostat(p: Value, r: Responder) {
    let parsed = Params::new("bdev_get_iostat", &p, &["name", "names", "per_channel", "reset_mode"]).and_then(|p| {
        if p.bool("per_channel")? == Some(true) {
            return Err("bdev_get_iostat: per_channel statistics are not supported yet".to_string());
        }
        let mode = match p.str("reset_mode")? {
            None | Some("none") => ResetMode::None,
            Some("all") => ResetMode::All,
            Some("maxmin") => ResetMode::MaxMin,
            Some(m) => return Err(format!("bdev_get_iostat: reset_mode '{m}' is not one of all, maxmin, none")),
        };
        let mut names: Vec<String> = p.str("name")?.map(str::to_string).into_iter().collect();
        match p.get("names") {
            None => {}
            Some(Value::Array(a)) if a.iter().all(Value::is_string) => names.extend(a.iter().filter_map(Value::as_str).map(str::to_string)),
            Some(v) => return Err(format!("bdev_get_iostat: names must be an array of strings, not {v}")),
        }
        Ok((names, mode))
    });
    let (names, mode) = match parsed {
        Ok(v) => v,
        Err(e) => return r.invalid(e),
    };
    let mut todo = Vec::new();
    for n in &names {
        match find(n) {
            Some(b) => todo.push(b),
            None => return r.err(-libc::ENODEV, format!("bdev_get_iostat: bdev '{n}' not found")),
        }
    }
    if names.is_empty() {
        todo = bdev::list();
    }
    todo.reverse();
    iostat_next(todo, Vec::new(), mode, r);
}

fn bdev_wait_for_examine(p: Value, r: Responder) {
    if let Err(e) = Params::none("bdev_wait_for_examine", &p) {
        return r.invalid(e);
    }
    let (slot, cb_slot) = shared(r);
    let res = bdev::modules::wait_for_examine(Box::new(move || {
        if let Some(r) = cb_slot.lock().take() {
            r.ok(json!(true));
        }
    }));
    if let Err(e) = res {
        if let Some(r) = slot.lock().take() {
            r.err(-e.errno(), format!("bdev_wait_for_examine: {e}"));
        }
    }
}

fn bdev_examine(p: Value, r: Responder) {
    let name = match Params::new("bdev_examine", &p, &["name"]).and_then(|p| p.req_str("name").map(str::to_string)) {
        Ok(n) => n,
        Err(e) => return r.invalid(e),
    };
    match bdev::modules::examine_by_name(&name) {
        Ok(()) => r.ok(json!(true)),
        Err(e) => r.err(-e.errno(), format!("bdev_examine: {e}")),
    }
}

fn bdev_raid_get_bdevs(p: Value, r: Responder) {
    let category = match Params::new("bdev_raid_get_bdevs", &p, &["category"]).and_then(|p| Ok(p.str("category")?.unwrap_or("all").to_string())) {
        Ok(c) => c,
        Err(e) => return r.invalid(e),
    };
    match config::get_bdevs(&category) {
        Ok(v) => r.ok(v),
        Err(e) => r.invalid(format!("bdev_raid_get_bdevs: {e}")),
    }
}

/// A responder answered from a callback, or from the error path if the
/// callback never got it.
type Slot = Arc<parking_lot::Mutex<Option<Responder>>>;

fn shared(r: Responder) -> (Slot, Slot) {
    let slot = Arc::new(parking_lot::Mutex::new(Some(r)));
    (slot.clone(), slot)
}

fn strerror(status: i32) -> String {
    std::io::Error::from_raw_os_error(-status).to_string()
}

fn bdev_enable_histogram(p: Value, r: Responder) {
    const M: &str = "bdev_enable_histogram";
    let parsed = Params::new(M, &p, &["name", "enable", "opc", "granularity", "min_nsec", "max_nsec"]).and_then(|p| {
        let name = p.req_str("name")?.to_string();
        let enable = p.bool("enable")?.ok_or_else(|| format!("{M}: missing required parameter 'enable'"))?;
        let mut o = bdev::histogram::Opts::default();
        if let Some(opc) = p.str("opc")? {
            o.io_type = bdev::json::io_type_by_name(opc).ok_or_else(|| format!("{M}: Invalid IO type '{opc}'"))? as u8;
        }
        if let Some(g) = p.u64("granularity")? {
            o.granularity = u8::try_from(g).map_err(|_| format!("{M}: granularity {g} is out of range"))? as u32;
        }
        o.min_nsec = p.u64("min_nsec")?.unwrap_or(o.min_nsec);
        o.max_nsec = p.u64("max_nsec")?.unwrap_or(o.max_nsec);
        Ok((name, enable, o))
    });
    let (name, enable, opts) = match parsed {
        Ok(v) => v,
        Err(e) => return r.invalid(e),
    };
    let Some(b) = find(&name) else {
        return r.err(-libc::ENODEV, format!("{M}: bdev '{name}' not found"));
    };
    let (slot, cb_slot) = shared(r);
    let done = Box::new(move |status: i32| {
        if let Some(r) = cb_slot.lock().take() {
            if status == 0 {
                r.ok(json!(true));
            } else {
                r.err(status, strerror(status));
            }
        }
    });
    if let Err(e) = bdev::histogram::enable(b, enable.then_some(opts), done) {
        if let Some(r) = slot.lock().take() {
            r.err(-e.errno(), format!("{M}: {e}"));
        }
    }
}

fn bdev_get_histogram(p: Value, r: Responder) {
    const M: &str = "bdev_get_histogram";
    let name = match Params::new(M, &p, &["name"]).and_then(|p| p.req_str("name").map(str::to_string)) {
        Ok(n) => n,
        Err(e) => return r.invalid(e),
    };
    let Some(b) = find(&name) else {
        return r.err(-libc::ENODEV, format!("{M}: bdev '{name}' not found"));
    };
    let Some(mut h) = bdev::histogram::alloc_like(b) else {
        return r.err(jsonrpc::INTERNAL_ERROR, strerror(-libc::EFAULT));
    };
    let into = h.as_ptr();
    let (slot, cb_slot) = shared(r);
    let done = Box::new(move |status: i32| {
        let Some(r) = cb_slot.lock().take() else { return };
        if status != 0 {
            return r.err(jsonrpc::INTERNAL_ERROR, strerror(status));
        }
        let d = h.data();
        r.ok(json!({
            "histogram": h.to_base64(),
            "granularity": d.granularity,
            "min_range": d.min_range,
            "max_range": d.max_range,
            "tsc_rate": crate::env::cpu::TICKS_HZ,
        }));
    });
    if let Err(e) = bdev::histogram::get(b, into, done) {
        if let Some(r) = slot.lock().take() {
            r.err(-e.errno(), format!("{M}: {e}"));
        }
    }
}
