//! Socket layer methods: `sock_impl_get_options`, `sock_impl_set_options`,
//! `sock_set_default_impl`, `sock_get_default_impl`.

use super::framework::answer;
use super::{register_fn, Params, Responder, RUNTIME, STARTUP};
use crate::sock::{self, ImplOpts};
use serde_json::{json, Value};

const BOTH: u32 = STARTUP | RUNTIME;

pub(super) fn register() {
    register_fn("sock_impl_get_options", BOTH, sock_impl_get_options);
    register_fn("sock_impl_set_options", BOTH, sock_impl_set_options);
    register_fn("sock_set_default_impl", BOTH, sock_set_default_impl);
    register_fn("sock_get_default_impl", BOTH, sock_get_default_impl);
}

/// The options as `sock_impl_get_options` reports them (SPDK's field names).
pub fn opts_json(o: &ImplOpts) -> Value {
    json!({
        "recv_buf_size": o.recv_buf_size,
        "send_buf_size": o.send_buf_size,
        "enable_recv_pipe": o.enable_recv_pipe,
        "enable_quickack": o.enable_quickack,
        "enable_placement_id": o.enable_placement_id,
        "enable_zerocopy_send_server": o.enable_zerocopy_send_server,
        "enable_zerocopy_send_client": o.enable_zerocopy_send_client,
        "zerocopy_threshold": o.zerocopy_threshold,
        "tls_version": o.tls_version,
        "enable_ktls": o.enable_ktls,
    })
}

/// The socket layer's part of a JSON config: the methods that restore it.
pub fn config() -> Value {
    let o = sock::impl_get_opts(sock::IMPL_POSIX).unwrap_or_default();
    let mut params = opts_json(&o);
    params["impl_name"] = json!(sock::IMPL_POSIX);
    json!([
        {"method": "sock_set_default_impl", "params": {"impl_name": sock::IMPL_POSIX}},
        {"method": "sock_impl_set_options", "params": params},
    ])
}

/// Runs one call of a JSON config's "sock" subsystem. Options of socket
/// implementations this build lacks (SPDK's configs carry "ssl" and maybe
/// "uring") are skipped with a warning rather than failing the whole config.
pub fn config_call(method: &str, params: &Value) -> Result<Option<String>, String> {
    let f: fn(Value, Responder) = match method {
        "sock_impl_set_options" => {
            let name = params.get("impl_name").and_then(Value::as_str).unwrap_or("");
            if !name.is_empty() && !sock::impl_known(Some(name)) {
                crate::log::warn(format_args!("sock: options of socket implementation '{name}' skipped: not in this build\n"));
                return Ok(None);
            }
            sock_impl_set_options
        }
        "sock_set_default_impl" => sock_set_default_impl,
        _ => return Err(format!("{method} is not a sock subsystem method")),
    };
    super::call_for_config(f, params)
}

fn impl_opts(method: &'static str, name: &str) -> Result<ImplOpts, String> {
    sock::impl_get_opts(name).map_err(|_| format!("{method}: unknown socket implementation '{name}'"))
}

fn sock_impl_get_options(p: Value, r: Responder) {
    answer(r, || {
        let p = Params::new("sock_impl_get_options", &p, &["impl_name"])?;
        let name = p.req_str("impl_name")?;
        Ok(opts_json(&impl_opts("sock_impl_get_options", name)?))
    })
}

const SET_PARAMS: &[&str] = &[
    "impl_name",
    "recv_buf_size",
    "send_buf_size",
    "enable_recv_pipe",
    "enable_quickack",
    "enable_placement_id",
    "enable_zerocopy_send_server",
    "enable_zerocopy_send_client",
    "zerocopy_threshold",
    "tls_version",
    "enable_ktls",
];

fn u32_param(p: &Params, key: &str) -> Result<Option<u32>, String> {
    match p.u64(key)? {
        None => Ok(None),
        Some(v) => u32::try_from(v).map(Some).map_err(|_| format!("sock_impl_set_options: {key} {v} is too large")),
    }
}

fn sock_impl_set_options(p: Value, r: Responder) {
    const M: &str = "sock_impl_set_options";
    answer(r, || {
        let p = Params::new(M, &p, SET_PARAMS)?;
        let name = p.req_str("impl_name")?;
        let mut o = impl_opts(M, name)?;
        if let Some(v) = u32_param(&p, "recv_buf_size")? {
            o.recv_buf_size = v;
        }
        if let Some(v) = u32_param(&p, "send_buf_size")? {
            o.send_buf_size = v;
        }
        if let Some(v) = p.bool("enable_recv_pipe")? {
            o.enable_recv_pipe = v;
        }
        if let Some(v) = p.bool("enable_quickack")? {
            o.enable_quickack = v;
        }
        if let Some(v) = u32_param(&p, "enable_placement_id")? {
            if v != 0 {
                return Err(format!("{M}: placement ids are not supported (enable_placement_id must be 0)"));
            }
            o.enable_placement_id = v;
        }
        if let Some(v) = p.bool("enable_zerocopy_send_server")? {
            o.enable_zerocopy_send_server = v;
        }
        if let Some(v) = p.bool("enable_zerocopy_send_client")? {
            o.enable_zerocopy_send_client = v;
        }
        if let Some(v) = u32_param(&p, "zerocopy_threshold")? {
            o.zerocopy_threshold = v;
        }
        if let Some(v) = u32_param(&p, "tls_version")? {
            if ![0, 11, 12, 13].contains(&v) {
                return Err(format!("{M}: tls_version {v} is not one of 0, 11, 12, 13"));
            }
            o.tls_version = v;
        }
        if let Some(v) = p.bool("enable_ktls")? {
            if v {
                return Err(format!("{M}: kernel TLS is not supported"));
            }
            o.enable_ktls = v;
        }
        sock::impl_set_opts(name, o).map_err(|e| format!("{M}: {e}"))?;
        Ok(json!(true))
    })
}

fn sock_set_default_impl(p: Value, r: Responder) {
    answer(r, || {
        let p = Params::new("sock_set_default_impl", &p, &["impl_name"])?;
        let name = p.req_str("impl_name")?;
        sock::set_default_impl(name).map_err(|_| format!("sock_set_default_impl: unknown socket implementation '{name}'"))?;
        Ok(json!(true))
    })
}

fn sock_get_default_impl(p: Value, r: Responder) {
    answer(r, || {
        Params::none("sock_get_default_impl", &p)?;
        Ok(json!({"impl_name": sock::IMPL_POSIX}))
    })
}

#[cfg(test)]
mod tests {
    use super::super::jsonrpc::{Request, INVALID_PARAMS};
    use super::super::{call_captured, register_builtin};
    use super::*;

    fn call(method: &str, params: Value) -> Value {
        register_builtin();
        call_captured(Request { id: Some(json!(1)), method: method.into(), params }).unwrap()
    }

    #[test]
    fn sock_rpc_impl_options() {
        let _g = crate::sock::tests::OPTS_LOCK.lock();
        let r = call("sock_impl_get_options", json!({"impl_name": "posix"}));
        assert_eq!(r["result"], opts_json(&ImplOpts::default()));
        assert_eq!(r["result"]["recv_buf_size"], json!(2 * 1024 * 1024));
        assert_eq!(r["result"]["enable_zerocopy_send_server"], json!(true));
        let r = call("sock_impl_get_options", json!({"impl_name": "uring"}));
        assert_eq!(r["error"]["code"], json!(INVALID_PARAMS));
        let r = call("sock_impl_get_options", Value::Null);
        assert_eq!(r["error"]["code"], json!(INVALID_PARAMS));

        let r = call("sock_impl_set_options", json!({"impl_name": "posix", "recv_buf_size": 4096, "enable_quickack": true, "zerocopy_threshold": 512, "tls_version": 13}));
        assert_eq!(r["result"], json!(true), "{r}");
        let o = sock::impl_get_opts("posix").unwrap();
        assert_eq!((o.recv_buf_size, o.enable_quickack, o.zerocopy_threshold, o.tls_version), (4096, true, 512, 13));
        assert_eq!(o.send_buf_size, ImplOpts::default().send_buf_size, "unnamed options keep their value");
        for bad in [
            json!({"impl_name": "posix", "recv_buf_size": -1}),
            json!({"impl_name": "posix", "recv_buf_size": 1u64 << 33}),
            json!({"impl_name": "posix", "enable_ktls": true}),
            json!({"impl_name": "posix", "enable_placement_id": 1}),
            json!({"impl_name": "posix", "tls_version": 10}),
            json!({"impl_name": "posix", "no_such_option": 1}),
            json!({"impl_name": "ssl"}),
        ] {
            let r = call("sock_impl_set_options", bad.clone());
            assert_eq!(r["error"]["code"], json!(INVALID_PARAMS), "{bad}");
        }
        assert_eq!(sock::impl_get_opts("posix").unwrap(), o, "refused calls change nothing");
        sock::impl_set_opts("posix", ImplOpts::default()).unwrap();

        assert_eq!(call("sock_set_default_impl", json!({"impl_name": "posix"}))["result"], json!(true));
        assert_eq!(call("sock_set_default_impl", json!({"impl_name": "ssl"}))["error"]["code"], json!(INVALID_PARAMS));
        assert_eq!(call("sock_get_default_impl", Value::Null)["result"], json!({"impl_name": "posix"}));
    }

    #[test]
    fn sock_config_round_trip() {
        let _g = crate::sock::tests::OPTS_LOCK.lock();
        let o = ImplOpts { send_buf_size: 1 << 22, enable_zerocopy_send_client: true, ..ImplOpts::default() };
        sock::impl_set_opts("posix", o).unwrap();
        let cfg = config();
        sock::impl_set_opts("posix", ImplOpts::default()).unwrap();
        let calls = cfg.as_array().unwrap();
        assert_eq!(calls.len(), 2);
        for c in calls {
            assert_eq!(config_call(c["method"].as_str().unwrap(), &c["params"]), Ok(None), "{c}");
        }
        assert_eq!(sock::impl_get_opts("posix").unwrap(), o, "the saved config restores the options");
        // SPDK's own configs also carry the ssl implementation's options: skipped.
        assert_eq!(config_call("sock_impl_set_options", &json!({"impl_name": "ssl", "tls_version": 13})), Ok(None));
        assert!(config_call("sock_impl_set_options", &json!({"impl_name": "posix", "enable_ktls": true})).unwrap_err().contains("not supported"));
        assert!(config_call("sock_set_default_impl", &json!({"impl_name": "ssl"})).is_err());
        assert!(config_call("bdev_malloc_create", &json!({})).is_err());
        sock::impl_set_opts("posix", ImplOpts::default()).unwrap();
    }
}
