use super::jsonrpc::{self, Request};
use super::*;
use serde_json::json;

fn req(method: &str, params: Value) -> Request {
    Request { id: Some(json!(1)), method: method.into(), params }
}

#[test]
fn dispatch_errors_and_states() {
    register_builtin();
    let r = call_captured(req("no_such_method", Value::Null)).unwrap();
    assert_eq!(r["error"]["code"], json!(jsonrpc::METHOD_NOT_FOUND));
    assert!(r["error"]["message"].as_str().unwrap().contains("no_such_method"));
    let r = call_captured(req("spdk_get_version", json!({"x": 1}))).unwrap();
    assert_eq!(r["error"]["code"], json!(jsonrpc::INVALID_PARAMS));
    let r = call_captured(req("spdk_get_version", Value::Null)).unwrap();
    assert!(r["result"]["version"].as_str().unwrap().starts_with("SPDK v26.01"));
    assert_eq!(r["result"]["fields"]["major"], json!(26));
    // A notification gets no response.
    assert_eq!(call_captured(Request { id: None, method: "spdk_get_version".into(), params: Value::Null }), None);
    // Methods allowed only in one state.
    let was = state();
    set_state(STARTUP);
    let r = call_captured(req("bdev_get_bdevs", Value::Null)).unwrap();
    assert_eq!(r["error"]["code"], json!(jsonrpc::INVALID_STATE));
    let names = call_captured(req("rpc_get_methods", json!({"current": true}))).unwrap();
    let names: Vec<String> = serde_json::from_value(names["result"].clone()).unwrap();
    assert!(names.contains(&"framework_start_init".to_string()) && !names.contains(&"bdev_malloc_create".to_string()));
    set_state(RUNTIME);
    let r = call_captured(req("framework_start_init", Value::Null)).unwrap();
    assert_eq!(r["error"]["code"], json!(jsonrpc::INVALID_STATE));
    let r = call_captured(req("bdev_set_options", json!({"bdev_io_pool_size": 1}))).unwrap();
    assert_eq!(r["error"]["code"], json!(jsonrpc::INVALID_STATE));
    let r = call_captured(req("log_set_level", json!({"level": "loud"}))).unwrap();
    assert!(r["error"]["message"].as_str().unwrap().contains("loud"));
    let r = call_captured(req("log_get_print_level", Value::Null)).unwrap();
    assert!(r["result"].is_string());
    let r = call_captured(req("bdev_malloc_create", json!({"num_blocks": 8, "block_size": 513, "name": "rpc_t"}))).unwrap();
    assert_eq!(r["error"]["code"], json!(-libc::EINVAL));
    assert!(r["error"]["message"].as_str().unwrap().starts_with("bdev_malloc_create: block_size 513"), "{r}");
    let r = call_captured(req("bdev_malloc_create", json!({"num_blocks": "8", "block_size": 512}))).unwrap();
    assert_eq!(r["error"]["code"], json!(jsonrpc::INVALID_PARAMS));
    set_state(was);
}

#[test]
fn handler_that_never_answers_yields_internal_error() {
    let _ = register("rpc_test_silent", STARTUP | RUNTIME, Arc::new(|_p, r| drop(r)));
    let _ = register("rpc_test_panics", STARTUP | RUNTIME, Arc::new(|_p, _r| panic!("boom")));
    let r = call_captured(req("rpc_test_silent", Value::Null)).unwrap();
    assert_eq!(r["error"]["code"], json!(jsonrpc::INTERNAL_ERROR));
    let r = call_captured(req("rpc_test_panics", Value::Null)).unwrap();
    assert_eq!(r["error"]["code"], json!(jsonrpc::INTERNAL_ERROR));
}
