//! Framework, log and thread methods: `rpc_get_methods`, `spdk_get_version`,
//! `framework_*`, `spdk_kill_instance`, `thread_get_*`, `log_*`.

use super::{jsonrpc, register_fn, Params, Responder, RUNTIME, STARTUP};
use crate::thread::{self, poller, Thread};
use parking_lot::Mutex;
use serde_json::{json, Value};
use std::ffi::c_void;

const BOTH: u32 = STARTUP | RUNTIME;

pub(super) fn register() {
    register_fn("rpc_get_methods", BOTH, rpc_get_methods);
    register_fn("spdk_get_version", BOTH, spdk_get_version);
    register_fn("framework_start_init", STARTUP, framework_start_init);
    register_fn("framework_wait_init", BOTH, framework_wait_init);
    register_fn("framework_get_subsystems", RUNTIME, framework_get_subsystems);
    register_fn("framework_get_config", RUNTIME, framework_get_config);
    register_fn("framework_get_reactors", RUNTIME, framework_get_reactors);
    register_fn("spdk_kill_instance", BOTH, spdk_kill_instance);
    register_fn("thread_get_stats", RUNTIME, thread_get_stats);
    register_fn("thread_get_pollers", RUNTIME, thread_get_pollers);
    register_fn("thread_get_io_channels", RUNTIME, thread_get_io_channels);
    register_fn("log_set_level", BOTH, log_set_level);
    register_fn("log_get_level", BOTH, log_get_level);
    register_fn("log_set_print_level", BOTH, log_set_print_level);
    register_fn("log_get_print_level", BOTH, log_get_print_level);
    register_fn("log_set_flag", BOTH, log_set_flag);
    register_fn("log_clear_flag", BOTH, log_clear_flag);
    register_fn("log_get_flags", BOTH, log_get_flags);
}

/// Runs `f` and answers with its value or its "invalid params" message.
pub(super) fn answer(r: Responder, f: impl FnOnce() -> Result<Value, String>) {
    match f() {
        Ok(v) => r.ok(v),
        Err(e) => r.invalid(e),
    }
}

fn rpc_get_methods(p: Value, r: Responder) {
    answer(r, || {
        let p = Params::new("rpc_get_methods", &p, &["current", "include_aliases"])?;
        let current = p.bool("current")?.unwrap_or(false);
        p.bool("include_aliases")?;
        Ok(json!(super::method_names(current)))
    })
}

/// The version this build reports: SPDK's API level it mirrors, and rspdk's own.
pub fn version_string() -> String {
    format!("SPDK v26.01 (rspdk {})", env!("CARGO_PKG_VERSION"))
}

fn spdk_get_version(p: Value, r: Responder) {
    answer(r, || {
        Params::none("spdk_get_version", &p)?;
        Ok(json!({
            "version": version_string(),
            "fields": {"major": 26, "minor": 1, "patch": 0, "suffix": format!(" (rspdk {})", env!("CARGO_PKG_VERSION"))}
        }))
    })
}

fn framework_start_init(p: Value, r: Responder) {
    if let Err(e) = Params::none("framework_start_init", &p) {
        return r.invalid(e);
    }
    crate::event::app::start_init(Box::new(move |rc| {
        if rc == 0 {
            r.ok(json!(true));
        } else {
            r.err(rc, format!("framework_start_init: the subsystems failed to start: {}", std::io::Error::from_raw_os_error(-rc)));
        }
    }));
}

fn framework_wait_init(p: Value, r: Responder) {
    if let Err(e) = Params::none("framework_wait_init", &p) {
        return r.invalid(e);
    }
    crate::event::app::wait_init(Box::new(move || r.ok(json!(true))));
}

fn framework_get_subsystems(p: Value, r: Responder) {
    answer(r, || {
        Params::none("framework_get_subsystems", &p)?;
        let list = crate::event::subsystem::ordered()?;
        Ok(Value::Array(list.iter().map(|s| json!({"subsystem": s.name, "depends_on": s.depends_on})).collect()))
    })
}

/// A subsystem's configuration as SPDK's `framework_get_config` gives it.
pub fn subsystem_config(name: &str) -> Option<Value> {
    match name {
        "bdev" => Some(Value::Array(crate::bdev::json::config())),
        "sock" => Some(super::sock::config()),
        "nvmf" => Some(super::nvmf::config()),
        _ => crate::event::subsystem::ordered().ok()?.iter().any(|s| s.name == name).then(|| Value::Array(Vec::new())),
    }
}

fn framework_get_config(p: Value, r: Responder) {
    answer(r, || {
        let p = Params::new("framework_get_config", &p, &["name", "with_batches"])?;
        let name = p.req_str("name")?;
        p.bool("with_batches")?;
        subsystem_config(name).ok_or_else(|| format!("framework_get_config: subsystem '{name}' not found"))
    })
}

fn spdk_kill_instance(p: Value, r: Responder) {
    let sig = (|| {
        let p = Params::new("spdk_kill_instance", &p, &["sig_name"])?;
        let name = p.req_str("sig_name")?;
        let n = name.strip_prefix("SIG").unwrap_or(name);
        match n {
            "INT" | "2" => Ok(libc::SIGINT),
            "TERM" | "15" => Ok(libc::SIGTERM),
            "QUIT" | "3" => Ok(libc::SIGQUIT),
            "HUP" | "1" => Ok(libc::SIGHUP),
            "KILL" | "9" => Ok(libc::SIGKILL),
            "USR1" | "10" => Ok(libc::SIGUSR1),
            _ => Err(format!("spdk_kill_instance: sig_name '{name}' is not a signal this method sends (SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGKILL, SIGUSR1)")),
        }
    })();
    match sig {
        Err(e) => r.invalid(e),
        Ok(sig) => {
            r.ok(json!(true));
            if sig == libc::SIGINT || sig == libc::SIGTERM {
                // What the handler of these signals does; the answer is flushed on the way out.
                crate::event::app::start_shutdown();
            } else {
                // SAFETY: sending a signal to our own process, as asked.
                unsafe { libc::kill(libc::getpid(), sig) };
            }
        }
    }
}

type PerThread = Box<dyn Fn(&Thread) -> Value + Send + Sync>;

struct Gather {
    each: PerThread,
    out: Mutex<Vec<(u32, Value)>>,
    done: Mutex<Option<Box<dyn FnOnce(Vec<(u32, Value)>) + Send>>>,
}

extern "C" fn gather_one(ctx: *mut c_void) {
    // SAFETY: the Gather leaked by `for_each_thread_value`, alive until gather_done.
    let g = unsafe { &*(ctx as *const Gather) };
    let t = thread::current();
    if t.is_null() {
        return;
    }
    // SAFETY: the current thread, running this message.
    let v = (g.each)(unsafe { &*t });
    g.out.lock().push((crate::env::cpu::current_core(), v));
}

extern "C" fn gather_done(ctx: *mut c_void) {
    // SAFETY: leaked by `for_each_thread_value`; the iteration is over.
    let g = unsafe { Box::from_raw(ctx as *mut Gather) };
    let out = std::mem::take(&mut *g.out.lock());
    let done = g.done.lock().take();
    if let Some(done) = done {
        done(out);
    }
}

/// Calls `each` on every thread (on that thread), then `done` with the
/// values and the core each thread ran on.
fn for_each_thread_value(each: PerThread, done: Box<dyn FnOnce(Vec<(u32, Value)>) + Send>) -> Result<(), String> {
    let g = Box::into_raw(Box::new(Gather { each, out: Mutex::new(Vec::new()), done: Mutex::new(Some(done)) }));
    thread::for_each_thread(gather_one, g.cast(), Some(gather_done)).map_err(|e| {
        // SAFETY: not handed to any thread.
        drop(unsafe { Box::from_raw(g) });
        format!("cannot visit the threads: {e:?}")
    })
}

fn cpumask_hex(t: &Thread) -> String {
    t.cpumask_copy().fmt_hex()
}

fn state_name(s: poller::State) -> &'static str {
    match s {
        poller::State::Waiting => "waiting",
        poller::State::Running => "running",
        poller::State::Unregistered => "unregistered",
        poller::State::Pausing | poller::State::Paused => "paused",
    }
}

type Finish = Box<dyn FnOnce(Vec<(u32, Value)>) -> Value + Send>;

/// Answers with `finish` of one value per thread (and the core it ran on),
/// gathered by `each` on each thread.
fn gather(method: &'static str, p: Value, r: Responder, each: PerThread, finish: Finish) {
    if let Err(e) = Params::none(method, &p) {
        return r.invalid(e);
    }
    // The responder goes to whichever of the walk's end or its failure comes first.
    let slot = std::sync::Arc::new(Mutex::new(Some(r)));
    let slot2 = slot.clone();
    let res = for_each_thread_value(
        each,
        Box::new(move |vals| {
            if let Some(r) = slot2.lock().take() {
                r.ok(finish(vals));
            }
        }),
    );
    if let Err(e) = res {
        if let Some(r) = slot.lock().take() {
            r.err(jsonrpc::INTERNAL_ERROR, e);
        }
    }
}

/// Answers `{"tick_rate": ..., "threads": [...]}` with one value per thread.
fn per_thread(method: &'static str, p: Value, r: Responder, each: PerThread) {
    gather(
        method,
        p,
        r,
        each,
        Box::new(|vals| {
            let threads: Vec<Value> = vals.into_iter().map(|(_, v)| v).collect();
            json!({"tick_rate": crate::env::cpu::TICKS_HZ, "threads": threads})
        }),
    );
}

fn thread_get_stats(p: Value, r: Responder) {
    per_thread(
        "thread_get_stats",
        p,
        r,
        Box::new(|t| {
            let (busy, idle) = t.stats();
            let pollers = poller::list(t);
            let count = |f: &dyn Fn(&(String, poller::State, u64, u64, u64)) -> bool| pollers.iter().filter(|x| f(x)).count();
            json!({
                "name": t.name(), "id": t.id(), "cpumask": cpumask_hex(t), "busy": busy, "idle": idle,
                "active_pollers_count": count(&|x| x.2 == 0 && !matches!(x.1, poller::State::Paused | poller::State::Pausing)),
                "timed_pollers_count": count(&|x| x.2 != 0 && !matches!(x.1, poller::State::Paused | poller::State::Pausing)),
                "paused_pollers_count": count(&|x| matches!(x.1, poller::State::Paused | poller::State::Pausing)),
            })
        }),
    );
}

fn thread_get_pollers(p: Value, r: Responder) {
    per_thread(
        "thread_get_pollers",
        p,
        r,
        Box::new(|t| {
            let (mut active, mut timed, mut paused) = (Vec::new(), Vec::new(), Vec::new());
            for (i, (name, state, period, runs, busy)) in poller::list(t).into_iter().enumerate() {
                let mut v = json!({"name": name, "id": i + 1, "state": state_name(state), "run_count": runs, "busy_count": busy});
                if period != 0 {
                    v["period_ticks"] = json!(period);
                }
                match state {
                    poller::State::Paused | poller::State::Pausing => paused.push(v),
                    _ if period != 0 => timed.push(v),
                    _ => active.push(v),
                }
            }
            json!({"name": t.name(), "id": t.id(), "active_pollers": active, "timed_pollers": timed, "paused_pollers": paused})
        }),
    );
}

fn thread_get_io_channels(p: Value, r: Responder) {
    per_thread(
        "thread_get_io_channels",
        p,
        r,
        Box::new(|t| {
            let chans: Vec<Value> = crate::thread::io_channel::channels_of_thread(t.id()).into_iter().map(|(n, refs)| json!({"name": n, "ref": refs})).collect();
            json!({"name": t.name(), "io_channels": chans})
        }),
    );
}

fn framework_get_reactors(p: Value, r: Responder) {
    gather(
        "framework_get_reactors",
        p,
        r,
        Box::new(|t| {
            let (busy, idle) = t.stats();
            json!({"name": t.name(), "id": t.id(), "cpumask": cpumask_hex(t), "elapsed": busy + idle, "busy": busy, "idle": idle})
        }),
        Box::new(|vals| {
            let cores = crate::env::cpu::with_cores(|c, _| c.to_vec());
            let reactors: Vec<Value> = cores
                .iter()
                .map(|&core| {
                    let mine: Vec<&Value> = vals.iter().filter(|(c, _)| *c == core).map(|(_, v)| v).collect();
                    let sum = |k: &str| mine.iter().map(|v| v[k].as_u64().unwrap_or(0)).sum::<u64>();
                    let lw: Vec<Value> = mine.iter().map(|v| json!({"name": v["name"], "id": v["id"], "cpumask": v["cpumask"], "elapsed": v["elapsed"]})).collect();
                    json!({"lcore": core, "busy": sum("busy"), "idle": sum("idle"), "in_interrupt": false, "lw_threads": lw})
                })
                .collect();
            // SAFETY: getpid has no preconditions.
            json!({"tick_rate": crate::env::cpu::TICKS_HZ, "pid": unsafe { libc::getpid() }, "reactors": reactors})
        }),
    );
}

fn parse_level(method: &'static str, p: &Value) -> Result<i32, String> {
    let p = Params::new(method, p, &["level"])?;
    let name = p.req_str("level")?;
    let level = match name.to_ascii_uppercase().as_str() {
        "DISABLED" => crate::log::LOG_DISABLED,
        "ERROR" => crate::log::LOG_ERROR,
        "WARN" | "WARNING" => crate::log::LOG_WARN,
        "NOTICE" => crate::log::LOG_NOTICE,
        "INFO" => crate::log::LOG_INFO,
        "DEBUG" => crate::log::LOG_DEBUG,
        _ => return Err(format!("{method}: level '{name}' is not one of ERROR, WARNING, NOTICE, INFO, DEBUG, DISABLED")),
    };
    Ok(level)
}

fn level_value(level: i32) -> Value {
    match crate::log::level_name(level) {
        "" => json!("DISABLED"),
        n => json!(n),
    }
}

fn log_set_level(p: Value, r: Responder) {
    answer(r, || {
        crate::log::set_level(parse_level("log_set_level", &p)?);
        Ok(json!(true))
    })
}

fn log_set_print_level(p: Value, r: Responder) {
    answer(r, || {
        crate::log::set_print_level(parse_level("log_set_print_level", &p)?);
        Ok(json!(true))
    })
}

fn log_get_level(p: Value, r: Responder) {
    answer(r, || {
        Params::none("log_get_level", &p)?;
        Ok(level_value(crate::log::level()))
    })
}

fn log_get_print_level(p: Value, r: Responder) {
    answer(r, || {
        Params::none("log_get_print_level", &p)?;
        Ok(level_value(crate::log::print_level()))
    })
}

fn set_flag(method: &'static str, p: &Value, on: bool) -> Result<Value, String> {
    let p = Params::new(method, p, &["flag"])?;
    let flag = p.req_str("flag")?;
    crate::log::set_flag(flag, on).map_err(|_| format!("{method}: no log flag matches '{flag}'"))?;
    Ok(json!(true))
}

fn log_set_flag(p: Value, r: Responder) {
    answer(r, || set_flag("log_set_flag", &p, true))
}

fn log_clear_flag(p: Value, r: Responder) {
    answer(r, || set_flag("log_clear_flag", &p, false))
}

fn log_get_flags(p: Value, r: Responder) {
    answer(r, || {
        Params::none("log_get_flags", &p)?;
        Ok(Value::Object(crate::log::flags().into_iter().map(|(n, on)| (n, json!(on))).collect()))
    })
}
