//! The JSON-RPC request path, fed arbitrary bytes as a socket would deliver
//! them: framing (and the skipping of over-long requests), validation, then
//! dispatch to the registered methods with their parameter decoding. Every
//! request that has an id must get exactly one response with a result or an
//! error; nothing may panic. Methods that would allocate a bdev's memory or
//! signal the process are answered by validation only.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rspdk::rpc::{self, jsonrpc};
use serde_json::Value;

const NOT_RUN: &[&str] = &["bdev_malloc_create", "bdev_null_create", "spdk_kill_instance", "log_set_level", "log_set_print_level"];

fn handle(v: Value) {
    let items = match v {
        Value::Array(a) => a,
        v => vec![v],
    };
    for item in items.into_iter().take(32) {
        match jsonrpc::validate(item) {
            Err(rej) => assert!(rej.code == jsonrpc::INVALID_REQUEST, "validation rejects only as invalid request"),
            Ok(req) => {
                if NOT_RUN.contains(&req.method.as_str()) {
                    continue;
                }
                let has_id = req.id.is_some();
                let resp = rpc::call_captured(req);
                match resp {
                    Some(r) => assert!(r.get("result").is_some() != r.get("error").is_some(), "one of result or error: {r}"),
                    None => assert!(!has_id, "a request with an id went unanswered"),
                }
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    rpc::register_builtin();
    // The first byte picks the state the methods run in.
    let Some((&st, data)) = data.split_first() else { return };
    rpc::set_state(if st & 1 == 0 { rpc::STARTUP } else { rpc::RUNTIME });
    let mut buf = data.to_vec();
    let mut skipper: Option<jsonrpc::Skipper> = None;
    for _ in 0..64 {
        if let Some(sk) = skipper.as_mut() {
            match sk.feed(&buf) {
                Some(n) => {
                    buf.drain(..n);
                    skipper = None;
                }
                None => return,
            }
        }
        match jsonrpc::frame(&buf) {
            jsonrpc::Framed::Garbage(_) => return,
            jsonrpc::Framed::Values(vals, used) => {
                assert!(used <= buf.len());
                buf.drain(..used);
                let none = vals.is_empty();
                vals.into_iter().for_each(handle);
                if none {
                    // Treat what is left as an over-long request, as the server does.
                    if buf.is_empty() {
                        return;
                    }
                    skipper = Some(jsonrpc::Skipper::default());
                }
            }
        }
    }
});
