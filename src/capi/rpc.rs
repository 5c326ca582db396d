//! `spdk/rpc.h` and `spdk/jsonrpc.h`: C code registers JSON-RPC methods
//! (`SPDK_RPC_REGISTER`) and answers them with the JSON writer, served by
//! the same server and dispatch as the Rust methods (`crate::rpc`).

use super::bdev_types::spdk_json_write_ctx;
use super::json::{ctx_new, ctx_take, flatten, spdk_json_val};
use super::{cstr, guard};
use crate::rpc::{self, jsonrpc, Responder};
use crate::util::json_write::Writer;
use std::ffi::{c_char, c_int, CStr};
use std::sync::Arc;

/// Opaque: one JSON-RPC request being answered (`spdk/jsonrpc.h`).
pub struct spdk_jsonrpc_request {
    _private: [u8; 0],
}

/// What a `struct spdk_jsonrpc_request *` points to: freed when answered.
struct Request {
    responder: Option<Responder>,
}

pub type spdk_rpc_method_handler = Option<unsafe extern "C" fn(request: *mut spdk_jsonrpc_request, params: *const spdk_json_val)>;

pub const SPDK_RPC_STARTUP: u32 = 0x1;
pub const SPDK_RPC_RUNTIME: u32 = 0x2;
pub const SPDK_JSONRPC_ERROR_PARSE_ERROR: c_int = -32700;
pub const SPDK_JSONRPC_ERROR_INVALID_REQUEST: c_int = -32600;
pub const SPDK_JSONRPC_ERROR_METHOD_NOT_FOUND: c_int = -32601;
pub const SPDK_JSONRPC_ERROR_INVALID_PARAMS: c_int = -32602;
pub const SPDK_JSONRPC_ERROR_INTERNAL_ERROR: c_int = -32603;
pub const SPDK_JSONRPC_ERROR_INVALID_STATE: c_int = -1;
const _: () = assert!(SPDK_RPC_STARTUP == rpc::STARTUP && SPDK_RPC_RUNTIME == rpc::RUNTIME);
const _: () = assert!(SPDK_JSONRPC_ERROR_PARSE_ERROR == jsonrpc::PARSE_ERROR && SPDK_JSONRPC_ERROR_INVALID_STATE == jsonrpc::INVALID_STATE);
const _: () = assert!(SPDK_JSONRPC_ERROR_INVALID_PARAMS == jsonrpc::INVALID_PARAMS && SPDK_JSONRPC_ERROR_INTERNAL_ERROR == jsonrpc::INTERNAL_ERROR);
const _: () = assert!(SPDK_JSONRPC_ERROR_INVALID_REQUEST == jsonrpc::INVALID_REQUEST && SPDK_JSONRPC_ERROR_METHOD_NOT_FOUND == jsonrpc::METHOD_NOT_FOUND);

/// Registers a method written in C; a second registration of a name is refused (logged).
#[no_mangle]
pub unsafe extern "C" fn spdk_rpc_register_method(method: *const c_char, func: spdk_rpc_method_handler, state_mask: u32) {
    guard((), || {
        // SAFETY: the caller's C string.
        let (Some(name), Some(f)) = (unsafe { cstr(method) }, func) else {
            crate::log::error(format_args!("spdk_rpc_register_method: a method needs a name and a handler\n"));
            return;
        };
        let handler = Arc::new(move |params: serde_json::Value, r: Responder| {
            let flat = (!params.is_null()).then(|| flatten(&params));
            let req = Box::into_raw(Box::new(Request { responder: Some(r) }));
            let p = flat.as_ref().map_or(std::ptr::null(), |f| f.vals.as_ptr());
            // SAFETY: the C handler gets a live request (freed when it answers) and
            // parameters valid for the duration of the call, as in SPDK.
            unsafe { f(req.cast(), p) };
        });
        if let Err(e) = rpc::register(name, state_mask, handler) {
            crate::log::error(format_args!("spdk_rpc_register_method: {e}\n"));
        }
    })
}

/// 0 if `method` exists and may run in `state_mask`, -EPERM if not in it, -ENOENT if unknown.
#[no_mangle]
pub unsafe extern "C" fn spdk_rpc_is_method_allowed(method: *const c_char, state_mask: u32) -> c_int {
    guard(-libc::ENOENT, || {
        // SAFETY: the caller's C string.
        match unsafe { cstr(method) }.and_then(rpc::state_mask) {
            None => -libc::ENOENT,
            Some(m) if m & state_mask != 0 => 0,
            Some(_) => -libc::EPERM,
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_rpc_get_state() -> u32 {
    rpc::state()
}

#[no_mangle]
pub extern "C" fn spdk_rpc_set_state(state: u32) {
    rpc::set_state(state)
}

/// Takes the request's responder and frees the request.
fn finish(request: *mut spdk_jsonrpc_request) -> Option<Responder> {
    if request.is_null() {
        return None;
    }
    // SAFETY: made by the registered handler wrapper; answered (freed) once.
    let mut r = unsafe { Box::from_raw(request as *mut Request) };
    r.responder.take()
}

/// Starts the result: the method writes one JSON value to the returned writer.
#[no_mangle]
pub unsafe extern "C" fn spdk_jsonrpc_begin_result(request: *mut spdk_jsonrpc_request) -> *mut spdk_json_write_ctx {
    if request.is_null() {
        return std::ptr::null_mut();
    }
    guard(std::ptr::null_mut(), || ctx_new(Writer::new(false)))
}

/// Sends the result written since `spdk_jsonrpc_begin_result`.
#[no_mangle]
pub unsafe extern "C" fn spdk_jsonrpc_end_result(request: *mut spdk_jsonrpc_request, w: *mut spdk_json_write_ctx) {
    guard((), || {
        let mut writer = if w.is_null() { None } else { Some(ctx_take(w)) };
        let Some(r) = finish(request) else { return };
        let value = writer.as_mut().filter(|w| w.complete()).and_then(|w| serde_json::from_slice(&w.take()).ok());
        match value {
            Some(v) => r.ok(v),
            None => r.err(jsonrpc::INTERNAL_ERROR, "Internal error: the method wrote an incomplete or invalid JSON result"),
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_jsonrpc_send_bool_response(request: *mut spdk_jsonrpc_request, value: bool) {
    guard((), || {
        if let Some(r) = finish(request) {
            r.ok(serde_json::Value::Bool(value));
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_jsonrpc_send_error_response(request: *mut spdk_jsonrpc_request, error_code: c_int, msg: *const c_char) {
    guard((), || {
        let Some(r) = finish(request) else { return };
        // SAFETY: the caller's C string or NULL.
        let m = if msg.is_null() { String::new() } else { unsafe { CStr::from_ptr(msg) }.to_string_lossy().into_owned() };
        r.err(error_code, m);
    })
}
