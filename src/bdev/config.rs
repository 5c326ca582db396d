//! The bdev subsystem's configuration methods, by SPDK's names and
//! parameters, as JSON config files (and, later, JSON-RPC) call them.

use super::{aio, delay, error, file, malloc, null, nvme, passthru, raid, split, uring, BdevError};
use serde_json::{Map, Value};

/// A method failed: what is wrong (which parameter, and why), and the
/// errno the bdev layer gave (0 when the parameters themselves were wrong).
#[derive(Debug, PartialEq, Eq)]
pub struct MethodError(pub String, pub i32);

impl MethodError {
    /// The parameters are wrong (JSON-RPC's "invalid params").
    pub fn param(msg: String) -> MethodError {
        MethodError(msg, 0)
    }
}

impl std::fmt::Display for MethodError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn obj(params: &Value) -> Result<&Map<String, Value>, MethodError> {
    match params {
        Value::Object(m) => Ok(m),
        Value::Null => {
            static EMPTY: once_cell::sync::Lazy<Map<String, Value>> = once_cell::sync::Lazy::new(Map::new);
            Ok(&EMPTY)
        }
        _ => Err(MethodError::param("params must be an object".into())),
    }
}

fn check_known(m: &Map<String, Value>, known: &[&str]) -> Result<(), MethodError> {
    match m.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(MethodError::param(format!("unknown parameter '{k}'"))),
        None => Ok(()),
    }
}

fn u64_param(m: &Map<String, Value>, key: &str) -> Result<Option<u64>, MethodError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_u64().map(Some).ok_or_else(|| MethodError::param(format!("{key} must be a non-negative integer, not {v}"))),
    }
}

fn str_param<'a>(m: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, MethodError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(v) => Err(MethodError::param(format!("{key} must be a string, not {v}"))),
    }
}

fn uuid_param(m: &Map<String, Value>) -> Result<Option<[u8; 16]>, MethodError> {
    match str_param(m, "uuid")? {
        None => Ok(None),
        Some(s) => crate::util::uuid::parse(s).map(Some).ok_or_else(|| MethodError::param(format!("uuid '{s}' is not a UUID"))),
    }
}

/// A list of bdev names: a JSON array of strings (or, as SPDK's older
/// clients send it, one string of names separated by spaces).
fn names_param(m: &Map<String, Value>, key: &str) -> Result<Vec<String>, MethodError> {
    match m.get(key) {
        None | Some(Value::Null) => Err(MethodError::param(format!("missing required parameter '{key}'"))),
        Some(Value::String(s)) => Ok(s.split_whitespace().map(str::to_string).collect()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|v| v.as_str().map(str::to_string).ok_or_else(|| MethodError::param(format!("{key} must hold bdev names (strings), not {v}"))))
            .collect(),
        Some(v) => Err(MethodError::param(format!("{key} must be an array of bdev names, not {v}"))),
    }
}

/// `bdev_raid_get_bdevs`: the raids in `category` (all, online, configuring, offline), in SPDK's shape.
pub fn get_bdevs(category: &str) -> Result<Value, MethodError> {
    raid::get_bdevs(category).map_err(bdev_err)
}

fn bool_param(m: &Map<String, Value>, key: &str) -> Result<bool, MethodError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(v) => Err(MethodError::param(format!("{key} must be true or false, not {v}"))),
    }
}

/// The parameters of bdev_aio_create and bdev_uring_create.
fn file_opts<'a>(m: &'a Map<String, Value>) -> Result<file::Opts<'a>, MethodError> {
    let block_size = u64_param(m, "block_size")?.unwrap_or(0);
    Ok(file::Opts {
        name: required(str_param(m, "name")?, "name")?,
        filename: required(str_param(m, "filename")?, "filename")?,
        block_size: u32::try_from(block_size).map_err(|_| MethodError::param(format!("block_size {block_size} is too large")))?,
        readonly: bool_param(m, "readonly")?,
        fallocate: bool_param(m, "fallocate")?,
        uuid: uuid_param(m)?,
    })
}

fn i64_param(m: &Map<String, Value>, key: &str) -> Result<Option<i64>, MethodError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_i64().map(Some).ok_or_else(|| MethodError::param(format!("{key} must be an integer, not {v}"))),
    }
}

fn u32_param(m: &Map<String, Value>, key: &str) -> Result<Option<u32>, MethodError> {
    match u64_param(m, key)? {
        None => Ok(None),
        Some(v) => u32::try_from(v).map(Some).map_err(|_| MethodError::param(format!("{key} {v} is too large"))),
    }
}

/// Options this build does not implement: accepted at their defaults (SPDK's
/// client sends those), refused otherwise with the reason.
fn only_default(m: &Map<String, Value>, keys: &[(&str, Value)], why: &str) -> Result<(), MethodError> {
    for (k, default) in keys {
        match m.get(*k) {
            None | Some(Value::Null) => {}
            Some(v) if v == default => {}
            Some(Value::Array(a)) if a.is_empty() && default.is_null() => {}
            Some(v) => return Err(MethodError::param(format!("{k} {v}: {why}"))),
        }
    }
    Ok(())
}

/// The parameters of bdev_nvme_set_options.
fn nvme_options(m: &Map<String, Value>) -> Result<nvme::Options, MethodError> {
    use serde_json::json;
    const KNOWN: &[&str] = &[
        "action_on_timeout", "timeout_us", "timeout_admin_us", "keep_alive_timeout_ms", "arbitration_burst", "low_priority_weight",
        "medium_priority_weight", "high_priority_weight", "nvme_adminq_poll_period_us", "nvme_ioq_poll_period_us", "io_queue_requests",
        "delay_cmd_submit", "transport_retry_count", "bdev_retry_count", "transport_ack_timeout", "ctrlr_loss_timeout_sec",
        "reconnect_delay_sec", "fast_io_fail_timeout_sec", "disable_auto_failback", "generate_uuids", "transport_tos", "nvme_error_stat",
        "rdma_srq_size", "io_path_stat", "allow_accel_sequence", "rdma_max_cq_size", "rdma_cm_event_timeout_ms", "dhchap_digests",
        "dhchap_dhgroups", "rdma_umr_per_io", "tcp_connect_timeout_ms", "enable_flush", "multipath_opts", "retry_count",
    ];
    check_known(m, KNOWN)?;
    only_default(
        m,
        &[
            ("transport_ack_timeout", json!(0)),
            ("ctrlr_loss_timeout_sec", json!(0)),
            ("reconnect_delay_sec", json!(0)),
            ("fast_io_fail_timeout_sec", json!(0)),
            ("disable_auto_failback", json!(false)),
            ("transport_tos", json!(0)),
            ("nvme_error_stat", json!(false)),
            ("rdma_srq_size", json!(0)),
            ("io_path_stat", json!(false)),
            ("allow_accel_sequence", json!(false)),
            ("rdma_max_cq_size", json!(0)),
            ("rdma_cm_event_timeout_ms", json!(0)),
            ("dhchap_digests", Value::Null),
            ("dhchap_dhgroups", Value::Null),
            ("rdma_umr_per_io", json!(false)),
            ("tcp_connect_timeout_ms", json!(0)),
        ],
        "not supported by this build (PCIe controllers only, no reconnect policy, RDMA or authentication)",
    )?;
    if m.get("multipath_opts").is_some_and(|v| !v.is_null()) {
        return Err(MethodError::param("multipath_opts: multipath is not supported by this build".into()));
    }
    let mut o = nvme::options();
    if let Some(a) = str_param(m, "action_on_timeout")? {
        o.action_on_timeout = nvme::parse_action(a).ok_or_else(|| MethodError::param(format!("action_on_timeout '{a}' is not none, reset or abort")))?;
    }
    if let Some(v) = u64_param(m, "timeout_us")? {
        o.timeout_us = v;
    }
    if let Some(v) = u64_param(m, "timeout_admin_us")? {
        o.timeout_admin_us = v;
    }
    if let Some(v) = u32_param(m, "keep_alive_timeout_ms")? {
        o.keep_alive_timeout_ms = v;
    }
    for (k, f) in [
        ("arbitration_burst", &mut o.arbitration_burst),
        ("low_priority_weight", &mut o.low_priority_weight),
        ("medium_priority_weight", &mut o.medium_priority_weight),
        ("high_priority_weight", &mut o.high_priority_weight),
        ("io_queue_requests", &mut o.io_queue_requests),
        ("transport_retry_count", &mut o.transport_retry_count),
    ] {
        if let Some(v) = u32_param(m, k)? {
            *f = v;
        }
    }
    if let Some(v) = u32_param(m, "retry_count")? {
        // The deprecated name of transport_retry_count.
        o.transport_retry_count = v;
    }
    if let Some(v) = u64_param(m, "nvme_adminq_poll_period_us")? {
        o.nvme_adminq_poll_period_us = v;
    }
    if let Some(v) = u64_param(m, "nvme_ioq_poll_period_us")? {
        o.nvme_ioq_poll_period_us = v;
    }
    if let Some(v) = i64_param(m, "bdev_retry_count")? {
        o.bdev_retry_count = i32::try_from(v).map_err(|_| MethodError::param(format!("bdev_retry_count {v} is out of range")))?;
    }
    if m.contains_key("delay_cmd_submit") {
        o.delay_cmd_submit = bool_param(m, "delay_cmd_submit")?;
    }
    if m.contains_key("generate_uuids") {
        o.generate_uuids = bool_param(m, "generate_uuids")?;
    }
    if m.contains_key("enable_flush") {
        o.enable_flush = bool_param(m, "enable_flush")?;
    }
    Ok(o)
}

/// The parameters of bdev_nvme_attach_controller.
fn nvme_attach_opts(m: &Map<String, Value>) -> Result<nvme::AttachOpts, MethodError> {
    use serde_json::json;
    check_known(
        m,
        &[
            "name", "trtype", "traddr", "adrfam", "trsvcid", "priority", "subnqn", "hostnqn", "hostaddr", "hostsvcid", "prchk_reftag", "prchk_guard",
            "hdgst", "ddgst", "fabrics_connect_timeout_us", "multipath", "num_io_queues", "ctrlr_loss_timeout_sec", "reconnect_delay_sec",
            "fast_io_fail_timeout_sec", "psk", "max_bdevs", "dhchap_key", "dhchap_ctrlr_key", "allow_unrecognized_csi", "multipath_opts",
            "disable_sq_flow_control",
        ],
    )?;
    let name = required(str_param(m, "name")?, "name")?.to_string();
    let trtype = required(str_param(m, "trtype")?, "trtype")?;
    let traddr = required(str_param(m, "traddr")?, "traddr")?;
    if !trtype.eq_ignore_ascii_case("pcie") {
        return Err(MethodError(format!("trtype {trtype}: only PCIe controllers can be attached by this build"), libc::ENOTSUP));
    }
    let addr = crate::env::pci::PciAddr::parse(traddr).ok_or_else(|| MethodError::param(format!("traddr '{traddr}' is not a PCI address (DDDD:BB:DD.F)")))?;
    for k in ["adrfam", "trsvcid", "subnqn", "hostaddr", "hostsvcid", "psk", "dhchap_key", "dhchap_ctrlr_key", "priority"] {
        if m.get(k).is_some_and(|v| !v.is_null()) {
            return Err(MethodError::param(format!("{k} applies to NVMe over Fabrics, not to a PCIe controller")));
        }
    }
    only_default(
        m,
        &[
            ("prchk_reftag", json!(false)),
            ("prchk_guard", json!(false)),
            ("hdgst", json!(false)),
            ("ddgst", json!(false)),
            ("ctrlr_loss_timeout_sec", json!(0)),
            ("reconnect_delay_sec", json!(0)),
            ("fast_io_fail_timeout_sec", json!(0)),
            ("allow_unrecognized_csi", json!(false)),
            ("disable_sq_flow_control", json!(false)),
        ],
        "not supported for a PCIe controller by this build",
    )?;
    if m.get("multipath_opts").is_some_and(|v| !v.is_null()) {
        return Err(MethodError::param("multipath_opts: multipath is not supported by this build".into()));
    }
    if let Some(mp) = str_param(m, "multipath")? {
        if !["disable", "failover", "multipath"].contains(&mp) {
            return Err(MethodError::param(format!("multipath '{mp}' is not disable, failover or multipath")));
        }
    }
    let _ = u64_param(m, "fabrics_connect_timeout_us")?;
    let num_io_queues = u32_param(m, "num_io_queues")?;
    if num_io_queues == Some(0) {
        return Err(MethodError::param("num_io_queues must be at least 1".into()));
    }
    let max_bdevs = u32_param(m, "max_bdevs")?.unwrap_or(128);
    Ok(nvme::AttachOpts { name, traddr: addr, num_io_queues, max_bdevs })
}

/// `bdev_nvme_detach_controller`: `done(rc)` runs when the controller is gone.
pub fn nvme_detach(params: &Value, done: Option<Box<dyn FnOnce(i32) + Send>>) -> Result<(), MethodError> {
    let m = obj(params)?;
    check_known(m, &["name", "trtype", "traddr", "adrfam", "trsvcid", "subnqn", "hostaddr", "hostsvcid"])?;
    let name = required(str_param(m, "name")?, "name")?;
    nvme_path_matches(m, name)?;
    nvme::detach(name, done).map_err(bdev_err)
}

/// A detach naming a path (trtype/traddr) must name this controller's.
fn nvme_path_matches(m: &Map<String, Value>, name: &str) -> Result<(), MethodError> {
    let Some(traddr) = str_param(m, "traddr")? else { return Ok(()) };
    let want = crate::env::pci::PciAddr::parse(traddr).ok_or_else(|| MethodError::param(format!("traddr '{traddr}' is not a PCI address")))?;
    let ctrls = nvme::get_controllers(Some(name)).map_err(bdev_err)?;
    let have = ctrls[0]["ctrlrs"][0]["trid"]["traddr"].as_str().and_then(crate::env::pci::PciAddr::parse);
    if have != Some(want) {
        return Err(MethodError(format!("controller {name} has no path to {traddr}"), libc::ENODEV));
    }
    Ok(())
}

fn required<T>(v: Option<T>, key: &str) -> Result<T, MethodError> {
    v.ok_or_else(|| MethodError::param(format!("missing required parameter '{key}'")))
}

fn bdev_err(e: BdevError) -> MethodError {
    MethodError(e.to_string(), e.errno())
}

/// As `call`, with an error code as JSON-RPC gives it: `-errno` when the
/// bdev layer refused, "invalid params" (-32602) when the parameters did.
pub fn call_coded(method: &str, params: &Value) -> Result<Option<String>, (i32, String)> {
    call(method, params).map_err(|e| (if e.1 != 0 { -e.1 } else { -32602 }, e.0))
}

fn next_free_name(prefix: &str) -> String {
    (0..).map(|i| format!("{prefix}{i}")).find(|n| super::get_by_name(n).is_none()).expect("a free name")
}

/// Runs a configuration method; returns the created object's name, if any.
pub fn call(method: &str, params: &Value) -> Result<Option<String>, MethodError> {
    let m = obj(params)?;
    match method {
        "bdev_set_options" => {
            check_known(m, &["bdev_io_pool_size", "bdev_io_cache_size", "bdev_auto_examine", "iobuf_small_cache_size", "iobuf_large_cache_size"])?;
            let pool = u32_param(m, "bdev_io_pool_size")?.unwrap_or_else(super::pool_size);
            let cache = u32_param(m, "bdev_io_cache_size")?.unwrap_or_else(super::cache_size);
            // Restating the sizes in force is no change (a saved config does that).
            if (pool, cache) != (super::pool_size(), super::cache_size()) {
                super::set_pool_opts(pool, cache).map_err(bdev_err)?;
            }
            if let Some(v) = m.get("bdev_auto_examine") {
                let on = v.as_bool().ok_or_else(|| MethodError::param(format!("bdev_auto_examine must be true or false, not {v}")))?;
                super::modules::set_auto_examine(on);
            }
            Ok(None)
        }
        "bdev_wait_for_examine" => {
            check_known(m, &[])?;
            Ok(None)
        }
        "bdev_malloc_delete" => {
            check_known(m, &["name"])?;
            malloc::delete(required(str_param(m, "name")?, "name")?, None, std::ptr::null_mut()).map_err(bdev_err)?;
            Ok(None)
        }
        "bdev_set_qos_limit" => {
            const KEYS: [&str; 4] = ["rw_ios_per_sec", "rw_mbytes_per_sec", "r_mbytes_per_sec", "w_mbytes_per_sec"];
            check_known(m, &["name", KEYS[0], KEYS[1], KEYS[2], KEYS[3]])?;
            let name = required(str_param(m, "name")?, "name")?;
            let mut limits = [u64::MAX; super::qos::NUM_LIMITS];
            for (i, k) in KEYS.iter().enumerate() {
                if let Some(v) = u64_param(m, k)? {
                    limits[i] = v;
                }
            }
            if limits.iter().all(|&v| v == u64::MAX) {
                return Err(MethodError::param(format!("give at least one of {}", KEYS.join(", "))));
            }
            let b = super::get_by_name(name).ok_or_else(|| bdev_err(BdevError::NotFound(name.into())))?;
            super::qos::set_limits(b, limits).map_err(bdev_err)?;
            Ok(None)
        }
        "bdev_null_resize" => {
            check_known(m, &["name", "new_size"])?;
            let name = required(str_param(m, "name")?, "name")?;
            null::resize(name, required(u64_param(m, "new_size")?, "new_size")?).map_err(bdev_err)?;
            Ok(None)
        }
        "bdev_null_delete" => {
            check_known(m, &["name"])?;
            null::delete(required(str_param(m, "name")?, "name")?, None, std::ptr::null_mut()).map_err(bdev_err)?;
            Ok(None)
        }
        "bdev_malloc_create" => {
            check_known(m, &["name", "num_blocks", "block_size", "physical_block_size", "uuid", "optimal_io_boundary", "md_size", "md_interleave", "dif_type", "dif_is_head_of_md", "dif_pi_format", "numa_id"])?;
            let num_blocks = required(u64_param(m, "num_blocks")?, "num_blocks")?;
            let block_size = required(u64_param(m, "block_size")?, "block_size")?;
            let block_size = u32::try_from(block_size).map_err(|_| MethodError::param(format!("block_size {block_size} is too large")))?;
            if u64_param(m, "md_size")?.unwrap_or(0) != 0 {
                return Err(MethodError::param("md_size: metadata is not supported by this malloc bdev yet".into()));
            }
            let name = match str_param(m, "name")? {
                Some(n) => n.to_string(),
                None => next_free_name("Malloc"),
            };
            let boundary = u64_param(m, "optimal_io_boundary")?.unwrap_or(0);
            let boundary = u32::try_from(boundary).map_err(|_| MethodError::param(format!("optimal_io_boundary {boundary} is too large")))?;
            malloc::create_with(&name, num_blocks, block_size, uuid_param(m)?, boundary).map_err(bdev_err)?;
            Ok(Some(name))
        }
        "bdev_null_create" => {
            check_known(m, &["name", "num_blocks", "block_size", "physical_block_size", "uuid", "md_size", "dif_type", "dif_is_head_of_md", "dif_pi_format"])?;
            let name = required(str_param(m, "name")?, "name")?.to_string();
            let num_blocks = required(u64_param(m, "num_blocks")?, "num_blocks")?;
            let block_size = required(u64_param(m, "block_size")?, "block_size")?;
            let block_size = u32::try_from(block_size).map_err(|_| MethodError::param(format!("block_size {block_size} is too large")))?;
            null::create(&name, num_blocks, block_size, uuid_param(m)?).map_err(bdev_err)?;
            Ok(Some(name))
        }
        "bdev_split_create" => {
            check_known(m, &["base_bdev", "split_count", "split_size_mb"])?;
            let base = required(str_param(m, "base_bdev")?, "base_bdev")?.to_string();
            let count = required(u64_param(m, "split_count")?, "split_count")?;
            split::create(&base, count, u64_param(m, "split_size_mb")?).map_err(bdev_err)?;
            // The undo handle of a split is its base's name.
            Ok(Some(base))
        }
        "bdev_split_delete" => {
            check_known(m, &["base_bdev"])?;
            split::delete(required(str_param(m, "base_bdev")?, "base_bdev")?).map_err(bdev_err)?;
            Ok(None)
        }
        "bdev_passthru_create" => {
            check_known(m, &["base_bdev_name", "name", "uuid"])?;
            let base = required(str_param(m, "base_bdev_name")?, "base_bdev_name")?;
            let name = required(str_param(m, "name")?, "name")?.to_string();
            passthru::create(base, &name, uuid_param(m)?).map_err(bdev_err)?;
            Ok(Some(name))
        }
        "bdev_passthru_delete" => {
            check_known(m, &["name"])?;
            passthru::delete(required(str_param(m, "name")?, "name")?).map_err(bdev_err)?;
            Ok(None)
        }
        "bdev_error_create" => {
            check_known(m, &["base_name", "uuid"])?;
            let base = required(str_param(m, "base_name")?, "base_name")?;
            Ok(Some(error::create(base, uuid_param(m)?).map_err(bdev_err)?))
        }
        "bdev_error_delete" => {
            check_known(m, &["name"])?;
            error::delete(required(str_param(m, "name")?, "name")?).map_err(bdev_err)?;
            Ok(None)
        }
        "bdev_error_inject_error" => {
            check_known(m, &["name", "io_type", "error_type", "num", "queue_depth", "corrupt_offset", "corrupt_value", "nvme_sct", "nvme_sc"])?;
            let name = required(str_param(m, "name")?, "name")?;
            let target = error::parse_io_type(required(str_param(m, "io_type")?, "io_type")?).map_err(bdev_err)?;
            let kind = error::ErrorType::parse(required(str_param(m, "error_type")?, "error_type")?).map_err(bdev_err)?;
            for k in ["nvme_sct", "nvme_sc"] {
                if u64_param(m, k)?.unwrap_or(0) != 0 {
                    return Err(MethodError::param(format!("{k} may only be given for error_type nvme_failure")));
                }
            }
            let num = u64_param(m, "num")?.unwrap_or(1);
            let mut inj = error::Injection::new(kind, u32::try_from(num).map_err(|_| MethodError::param(format!("num {num} is too large")))?);
            inj.queue_depth = u64_param(m, "queue_depth")?.unwrap_or(0);
            inj.corrupt_offset = u64_param(m, "corrupt_offset")?.unwrap_or(0);
            let v = u64_param(m, "corrupt_value")?.unwrap_or(0);
            inj.corrupt_value = u8::try_from(v).map_err(|_| MethodError::param(format!("corrupt_value {v} is not in 1..255")))?;
            error::inject(name, target, inj).map_err(bdev_err)?;
            Ok(None)
        }
        "bdev_error_resume_pending" => {
            check_known(m, &["name"])?;
            error::resume_pending(required(str_param(m, "name")?, "name")?).map_err(bdev_err)?;
            Ok(None)
        }
        "bdev_delay_create" => {
            check_known(m, &["base_bdev_name", "name", "avg_read_latency", "p99_read_latency", "avg_write_latency", "p99_write_latency", "uuid"])?;
            let base = required(str_param(m, "base_bdev_name")?, "base_bdev_name")?;
            let name = required(str_param(m, "name")?, "name")?.to_string();
            let lat = delay::Latencies {
                avg_read: required(u64_param(m, "avg_read_latency")?, "avg_read_latency")?,
                p99_read: required(u64_param(m, "p99_read_latency")?, "p99_read_latency")?,
                avg_write: required(u64_param(m, "avg_write_latency")?, "avg_write_latency")?,
                p99_write: required(u64_param(m, "p99_write_latency")?, "p99_write_latency")?,
            };
            delay::create(base, &name, lat, uuid_param(m)?).map_err(bdev_err)?;
            Ok(Some(name))
        }
        "bdev_delay_delete" => {
            check_known(m, &["name"])?;
            delay::delete(required(str_param(m, "name")?, "name")?).map_err(bdev_err)?;
            Ok(None)
        }
        "bdev_delay_update_latency" => {
            check_known(m, &["delay_bdev_name", "latency_type", "latency_us"])?;
            let name = required(str_param(m, "delay_bdev_name")?, "delay_bdev_name")?;
            let t = required(str_param(m, "latency_type")?, "latency_type")?;
            let us = required(u64_param(m, "latency_us")?, "latency_us")?;
            delay::update_latency(name, t, us).map_err(bdev_err)?;
            Ok(None)
        }
        "bdev_raid_create" => {
            check_known(m, &["name", "raid_level", "base_bdevs", "strip_size_kb", "uuid", "superblock"])?;
            let name = required(str_param(m, "name")?, "name")?.to_string();
            let level = raid::Level::parse(required(str_param(m, "raid_level")?, "raid_level")?).map_err(bdev_err)?;
            let bases = names_param(m, "base_bdevs")?;
            match m.get("superblock") {
                None | Some(Value::Null) | Some(Value::Bool(false)) => {}
                Some(Value::Bool(true)) => return Err(MethodError::param("superblock is not supported by this build (false only)".into())),
                Some(v) => return Err(MethodError::param(format!("superblock must be a boolean, not {v}"))),
            }
            let cfg = raid::Config { name: &name, level, strip_size_kb: u64_param(m, "strip_size_kb")?, base_bdevs: &bases, uuid: uuid_param(m)? };
            raid::create(&cfg).map_err(bdev_err)?;
            Ok(Some(name))
        }
        "bdev_raid_set_options" => {
            check_known(m, &["process_window_size_kb", "process_max_bandwidth_mb_sec"])?;
            if let Some(kb) = u64_param(m, "process_window_size_kb")? {
                raid::set_window_kb(kb).map_err(bdev_err)?;
            }
            if u64_param(m, "process_max_bandwidth_mb_sec")?.unwrap_or(0) != 0 {
                return Err(MethodError::param("process_max_bandwidth_mb_sec: a rebuild bandwidth limit is not supported by this build (0 only)".into()));
            }
            Ok(None)
        }
        "bdev_raid_delete" => {
            // clear_sb: there is no superblock to clear in this build; accepted either way.
            check_known(m, &["name", "clear_sb"])?;
            raid::delete(required(str_param(m, "name")?, "name")?).map_err(bdev_err)?;
            Ok(None)
        }
        "bdev_raid_add_base_bdev" => {
            check_known(m, &["raid_bdev", "base_bdev"])?;
            let r = required(str_param(m, "raid_bdev")?, "raid_bdev")?;
            raid::add_base_bdev(r, required(str_param(m, "base_bdev")?, "base_bdev")?).map_err(bdev_err)?;
            Ok(None)
        }
        "bdev_raid_remove_base_bdev" => {
            check_known(m, &["name"])?;
            raid::remove_base_bdev(required(str_param(m, "name")?, "name")?).map_err(bdev_err)?;
            Ok(None)
        }
        "bdev_nvme_set_options" => {
            nvme::set_options(nvme_options(m)?).map_err(bdev_err)?;
            Ok(None)
        }
        "bdev_nvme_attach_controller" => {
            let o = nvme_attach_opts(m)?;
            let name = o.name.clone();
            nvme::attach(o)?;
            Ok(Some(name))
        }
        "bdev_nvme_detach_controller" => {
            nvme_detach(params, None)?;
            Ok(None)
        }
        "bdev_aio_create" => {
            check_known(m, &["name", "filename", "block_size", "readonly", "fallocate", "uuid", "nowait"])?;
            if bool_param(m, "nowait")? {
                return Err(MethodError::param("nowait: RWF_NOWAIT submission is not supported by this aio bdev".into()));
            }
            let o = file_opts(m)?;
            aio::create(&o).map_err(bdev_err)?;
            Ok(Some(o.name.to_string()))
        }
        "bdev_uring_create" => {
            check_known(m, &["name", "filename", "block_size", "uuid"])?;
            let o = file_opts(m)?;
            uring::create(&o).map_err(bdev_err)?;
            Ok(Some(o.name.to_string()))
        }
        "bdev_aio_delete" | "bdev_uring_delete" | "bdev_aio_rescan" | "bdev_uring_rescan" => {
            check_known(m, &["name"])?;
            let name = required(str_param(m, "name")?, "name")?;
            match method {
                "bdev_aio_delete" => file::delete(file::Flavor::Aio, name, None, std::ptr::null_mut()),
                "bdev_uring_delete" => file::delete(file::Flavor::Uring, name, None, std::ptr::null_mut()),
                "bdev_aio_rescan" => file::rescan(file::Flavor::Aio, name),
                _ => file::rescan(file::Flavor::Uring, name),
            }
            .map_err(bdev_err)?;
            Ok(None)
        }
        _ => Err(MethodError::param(format!("method '{method}' is not known to the bdev subsystem"))),
    }
}

/// Removes what `call` created (when a later step of a config fails).
pub fn undo(name: &str) {
    // Splits are undone by their base's name, before the base itself.
    if split::delete(name).is_ok() || passthru::delete(name).is_ok() || error::delete(name).is_ok() || delay::delete(name).is_ok() || raid::delete(name).is_ok() {
        return;
    }
    if nvme::detach(name, None).is_ok() {
        return;
    }
    let _ = malloc::delete(name, None, std::ptr::null_mut()).is_ok()
        || null::delete(name, None, std::ptr::null_mut()).is_ok()
        || file::delete(file::Flavor::Aio, name, None, std::ptr::null_mut()).is_ok()
        || file::delete(file::Flavor::Uring, name, None, std::ptr::null_mut()).is_ok();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_are_checked() {
        assert_eq!(call("bdev_malloc_create", &json!({"num_blocks": 8})), Err(MethodError::param("missing required parameter 'block_size'".into())));
        assert_eq!(call("bdev_malloc_create", &json!({"num_blocks": 8, "block_size": 512, "colour": 1})), Err(MethodError::param("unknown parameter 'colour'".into())));
        assert_eq!(call("bdev_malloc_create", &json!({"num_blocks": "8", "block_size": 512})), Err(MethodError::param("num_blocks must be a non-negative integer, not \"8\"".into())));
        assert!(call("bdev_malloc_create", &json!({"name": "cfg_m", "num_blocks": 8, "block_size": 513})).unwrap_err().0.contains("513"));
        assert!(call("bdev_malloc_create", &json!([1, 2])).is_err());
        assert!(call("bdev_frobnicate", &json!({})).unwrap_err().0.contains("not known"));
        assert_eq!(call("bdev_null_create", &json!({"name": "cfg_n", "num_blocks": 8, "block_size": 4096})), Ok(Some("cfg_n".into())));
        assert!(super::super::get_by_name("cfg_n").is_some());
        assert!(call("bdev_null_create", &json!({"name": "cfg_n", "num_blocks": 8, "block_size": 4096})).unwrap_err().0.contains("already exists"));
        assert_eq!(call("bdev_split_create", &json!({"split_count": 2})), Err(MethodError::param("missing required parameter 'base_bdev'".into())));
        assert!(call("bdev_split_create", &json!({"base_bdev": "cfg_none", "split_count": 2})).unwrap_err().0.contains("not found"));
        assert!(call("bdev_split_delete", &json!({"base_bdev": "cfg_n"})).unwrap_err().0.contains("not split"));
        assert!(call("bdev_delay_create", &json!({"base_bdev_name": "cfg_n", "name": "cfg_d", "avg_read_latency": 10, "p99_read_latency": 5, "avg_write_latency": 1, "p99_write_latency": 1})).unwrap_err().0.contains("below"));
        assert_eq!(call("bdev_passthru_create", &json!({"base_bdev_name": "cfg_n"})), Err(MethodError::param("missing required parameter 'name'".into())));
        assert!(call("bdev_error_inject_error", &json!({"name": "EE_x", "io_type": "read", "error_type": "nvme_failure"})).unwrap_err().0.contains("not supported"));
        assert!(call("bdev_error_inject_error", &json!({"name": "EE_x", "io_type": "read", "error_type": "corrupt_data"})).unwrap_err().0.contains("corrupt_value should be non-zero"));
        assert!(call("bdev_error_inject_error", &json!({"name": "EE_x", "io_type": "reset", "error_type": "failure"})).unwrap_err().0.contains("not one of"));
        assert!(call("bdev_error_inject_error", &json!({"name": "EE_x", "io_type": "read", "error_type": "failure"})).unwrap_err().0.contains("not found"));
    }
}
