//! The JSON-RPC server (SPDK's `jsonrpc.h` / `rpc.h`): methods registered by
//! name with the states they may run in, a Unix-socket server polled on the
//! app thread, and the framework, log, thread, bdev and sock methods.
//!
//! A method gets its `params` (`Value::Null` when absent) and a [`Responder`]
//! it answers exactly once, now or later (on the app thread or any other).

pub mod bdev;
pub mod framework;
pub mod jsonrpc;
pub mod nvmf;
pub mod server;
pub mod sock;

use parking_lot::Mutex;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// `SPDK_RPC_STARTUP`: before `framework_start_init`.
pub const STARTUP: u32 = 0x1;
/// `SPDK_RPC_RUNTIME`: after the subsystems started.
pub const RUNTIME: u32 = 0x2;

pub type Handler = Arc<dyn Fn(Value, Responder) + Send + Sync>;

struct Method {
    handler: Handler,
    state_mask: u32,
}

static METHODS: Mutex<BTreeMap<String, Method>> = Mutex::new(BTreeMap::new());
static STATE: AtomicU32 = AtomicU32::new(STARTUP);

/// Registers a method (a later registration of the same name is refused).
pub fn register(name: &str, state_mask: u32, handler: Handler) -> Result<(), String> {
    let mut m = METHODS.lock();
    if m.contains_key(name) {
        return Err(format!("RPC method {name} is already registered"));
    }
    m.insert(name.to_string(), Method { handler, state_mask });
    Ok(())
}

/// Registers a Rust method given as a plain function.
pub fn register_fn(name: &str, state_mask: u32, f: fn(Value, Responder)) {
    let _ = register(name, state_mask, Arc::new(f));
}

/// The built-in methods, registered once.
/// Runs a method for a JSON config load: Ok when it answered with a
/// result, Err with the error message otherwise.
pub(crate) fn call_for_config(f: fn(Value, Responder), params: &Value) -> Result<Option<String>, String> {
    let (r, cell) = Responder::capture(serde_json::json!(1));
    f(params.clone(), r);
    let resp = cell.lock().take().unwrap_or(Value::Null);
    match resp.get("error") {
        Some(e) => Err(e.get("message").and_then(Value::as_str).unwrap_or("failed").to_string()),
        None => Ok(None),
    }
}

pub fn register_builtin() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        framework::register();
        bdev::register();
        sock::register();
        nvmf::register();
    });
}

pub fn set_state(s: u32) {
    STATE.store(s, Ordering::Release);
}

pub fn state() -> u32 {
    STATE.load(Ordering::Acquire)
}

/// Whether `name` is registered, and its state mask.
pub fn state_mask(name: &str) -> Option<u32> {
    METHODS.lock().get(name).map(|m| m.state_mask)
}

/// Registered method names (those callable now if `current`).
pub fn method_names(current: bool) -> Vec<String> {
    let st = state();
    METHODS.lock().iter().filter(|(_, m)| !current || m.state_mask & st != 0).map(|(n, _)| n.clone()).collect()
}

/// Where a response goes.
enum Target {
    /// A server connection, and the batch slot if the request came in one.
    Conn { conn: u64, batch: Option<(u64, usize)> },
    /// Kept for the caller (tests, fuzzing, in-process calls).
    Capture(Arc<Mutex<Option<Value>>>),
}

/// Answers one request exactly once; dropping it unanswered sends an internal error.
pub struct Responder {
    target: Option<Target>,
    id: Option<Value>,
}

impl Responder {
    pub(crate) fn for_conn(conn: u64, batch: Option<(u64, usize)>, id: Option<Value>) -> Responder {
        Responder { target: Some(Target::Conn { conn, batch }), id }
    }

    /// A responder whose response lands in the returned cell.
    pub fn capture(id: Value) -> (Responder, Arc<Mutex<Option<Value>>>) {
        let cell = Arc::new(Mutex::new(None));
        (Responder { target: Some(Target::Capture(cell.clone())), id: Some(id) }, cell)
    }

    fn send(&mut self, body: impl FnOnce(Value) -> Value) {
        let Some(t) = self.target.take() else { return };
        let resp = self.id.take().map(body);
        match t {
            Target::Conn { conn, batch } => server::deliver(conn, batch, resp),
            Target::Capture(cell) => *cell.lock() = resp,
        }
    }

    pub fn ok(mut self, result: Value) {
        self.send(|id| jsonrpc::result(id, result));
    }

    pub fn err(mut self, code: i32, message: impl AsRef<str>) {
        self.send(|id| jsonrpc::error(id, code, message.as_ref()));
    }

    /// An "invalid params" error.
    pub fn invalid(self, message: impl AsRef<str>) {
        self.err(jsonrpc::INVALID_PARAMS, message);
    }

    /// Whether the request was a notification (its answer is not sent).
    pub fn is_notification(&self) -> bool {
        self.id.is_none()
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        if self.target.is_some() {
            self.send(|id| jsonrpc::error(id, jsonrpc::INTERNAL_ERROR, "Internal error: the method returned without a response"));
        }
    }
}

/// Runs a validated request: method lookup, state check, the handler.
pub fn dispatch(req: jsonrpc::Request, r: Responder) {
    let found = METHODS.lock().get(&req.method).map(|m| (m.handler.clone(), m.state_mask));
    let Some((handler, mask)) = found else {
        r.err(jsonrpc::METHOD_NOT_FOUND, format!("Method not found: {}", req.method));
        return;
    };
    if mask & state() == 0 {
        let msg = if state() == STARTUP {
            format!("Method {} may only be called after framework is initialized using framework_start_init RPC.", req.method)
        } else {
            format!(
                "Method {} may only be called before framework is initialized. Use --wait-for-rpc command line parameter and then issue this RPC before the framework_start_init RPC.",
                req.method
            )
        };
        r.err(jsonrpc::INVALID_STATE, msg);
        return;
    }
    // A panicking handler drops its responder while unwinding: the client gets an internal error.
    let method = req.method.clone();
    if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| handler(req.params, r))).is_err() {
        crate::log::error(format_args!("RPC method {method} panicked\n"));
    }
}

/// Runs one request in process and returns its response (tests, fuzzing).
pub fn call_captured(req: jsonrpc::Request) -> Option<Value> {
    let id = req.id.clone();
    let (r, cell) = Responder::capture(id.clone().unwrap_or(Value::Null));
    dispatch(req, r);
    let v = cell.lock().take();
    id.and(v)
}

/// Parameters of a method: an object (or nothing), with names checked.
pub struct Params<'a> {
    method: &'static str,
    m: Option<&'a serde_json::Map<String, Value>>,
}

impl<'a> Params<'a> {
    /// Accepts an object whose members are all in `known`, or no params.
    pub fn new(method: &'static str, params: &'a Value, known: &[&str]) -> Result<Params<'a>, String> {
        let m = match params {
            Value::Null => None,
            Value::Object(m) => Some(m),
            _ => return Err(format!("{method}: params must be an object")),
        };
        if let Some(k) = m.and_then(|m| m.keys().find(|k| !known.contains(&k.as_str()))) {
            return Err(format!("{method}: unknown parameter '{k}'"));
        }
        Ok(Params { method, m })
    }

    /// Accepts an object with any members, or no params (where members
    /// beyond the method's own are someone else's to read, as with the
    /// parameters SPDK hands to plugged-in transports).
    pub fn relaxed(method: &'static str, params: &'a Value) -> Result<Params<'a>, String> {
        Params::new(method, params, &[]).or_else(|e| match params {
            Value::Object(m) => Ok(Params { method, m: Some(m) }),
            _ => Err(e),
        })
    }

    /// Refuses any params (SPDK: "method requires no parameters").
    pub fn none(method: &'static str, params: &Value) -> Result<(), String> {
        match params {
            Value::Null => Ok(()),
            Value::Object(m) if m.is_empty() => Ok(()),
            _ => Err(format!("{method} requires no parameters")),
        }
    }

    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.m.and_then(|m| m.get(key)).filter(|v| !v.is_null())
    }

    pub fn str(&self, key: &str) -> Result<Option<&'a str>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(format!("{}: {key} must be a string, not {v}", self.method)),
        }
    }

    pub fn req_str(&self, key: &str) -> Result<&'a str, String> {
        self.str(key)?.ok_or_else(|| format!("{}: missing required parameter '{key}'", self.method))
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(format!("{}: {key} must be true or false, not {v}", self.method)),
        }
    }

    pub fn u64(&self, key: &str) -> Result<Option<u64>, String> {
        match self.get(key) {
            None => Ok(None),
            Some(v) => v.as_u64().map(Some).ok_or_else(|| format!("{}: {key} must be a non-negative integer, not {v}", self.method)),
        }
    }
}

#[cfg(test)]
mod tests;
