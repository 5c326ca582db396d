//! The bdev subsystem in JSON: each bdev as `bdev_get_bdevs` shows it, and
//! the subsystem's configuration as `framework_get_config` / `save_config`
//! write it (the methods that recreate every bdev, in creation order).

use super::{aio, bdev_ref, delay, name_of, nvme, raid, uring, vbdev};
use crate::capi::bdev_types::*;
use serde_json::{json, Map, Value};
use std::ffi::CStr;

fn module_name(b: *mut spdk_bdev) -> String {
    let m = bdev_ref(b).module;
    if m.is_null() {
        return String::new();
    }
    // SAFETY: registered modules are static; their names are C strings.
    unsafe { (*m).name.as_ref().map(|n| CStr::from_ptr(n).to_string_lossy().into_owned()).unwrap_or_default() }
}

fn uuid_of(b: *mut spdk_bdev) -> String {
    // SAFETY: the uuid is plain bytes in the bdev.
    crate::util::uuid::fmt_lower(&unsafe { bdev_ref(b).uuid.u.raw })
}

/// Runs a C module's JSON callback on a writer opened inside an array or
/// object of ours, and returns what it wrote (None if it wrote invalid JSON).
fn from_callback(object: bool, f: impl FnOnce(*mut spdk_json_write_ctx)) -> Option<Value> {
    let w = crate::capi::json::ctx_new(crate::util::json_write::Writer::inside(object));
    f(w);
    crate::capi::json::ctx_take(w).close_inside(object)
}

/// What a bdev's own `write_config_json` writes (modules written in C).
fn fn_table_config(b: *mut spdk_bdev) -> Vec<Value> {
    let bd = bdev_ref(b);
    // SAFETY: registered bdevs have a function table.
    let Some(f) = (unsafe { (*bd.fn_table).write_config_json }) else { return Vec::new() };
    // SAFETY: the module's callback with its own bdev and a live writer.
    match from_callback(false, |w| unsafe { f(b, w) }) {
        Some(Value::Array(a)) => a,
        _ => {
            crate::log::error(format_args!("bdev {}: write_config_json wrote invalid JSON; left out\n", name_of(b)));
            Vec::new()
        }
    }
}

/// The method that recreates `b` (or, for parts of one base, the first part
/// stands for all), if its module knows one.
fn config_of(b: *mut spdk_bdev) -> Option<Value> {
    if let Some(v) = nvme::config_json(b) {
        return v;
    }
    if let Some(v) = aio::config_json(b).or_else(|| uring::config_json(b)).or_else(|| raid::config_json(b)) {
        return Some(v);
    }
    let bd = bdev_ref(b);
    let name = name_of(b);
    let uuid = uuid_of(b);
    match module_name(b).as_str() {
        "malloc" => {
            let mut p = json!({"name": name, "num_blocks": bd.blockcnt, "block_size": bd.blocklen, "physical_block_size": bd.phys_blocklen, "uuid": uuid});
            if bd.optimal_io_boundary != 0 {
                p["optimal_io_boundary"] = json!(bd.optimal_io_boundary);
            }
            return Some(json!({"method": "bdev_malloc_create", "params": p}));
        }
        "null" => {
            return Some(json!({"method": "bdev_null_create", "params": {"name": name, "num_blocks": bd.blockcnt, "block_size": bd.blocklen, "physical_block_size": bd.phys_blocklen, "uuid": uuid}}));
        }
        _ => {}
    }
    let part = vbdev::part_info(b)?;
    match part.module.as_str() {
        "split" => {
            if part.index != 0 {
                return None;
            }
            let base = super::get_by_name(&part.base_name)?;
            let base_blocks = bdev_ref(base).blockcnt;
            let mut p = json!({"base_bdev": part.base_name, "split_count": part.count});
            if bd.blockcnt != base_blocks / part.count as u64 {
                p["split_size_mb"] = json!((bd.blockcnt * bd.blocklen as u64) >> 20);
            }
            Some(json!({"method": "bdev_split_create", "params": p}))
        }
        "passthru" => Some(json!({"method": "bdev_passthru_create", "params": {"base_bdev_name": part.base_name, "name": name, "uuid": uuid}})),
        "error" => Some(json!({"method": "bdev_error_create", "params": {"base_name": part.base_name, "uuid": uuid}})),
        "delay" => {
            let l = delay::latencies_of(b)?;
            Some(json!({"method": "bdev_delay_create", "params": {
                "base_bdev_name": part.base_name, "name": name,
                "avg_read_latency": l.avg_read, "p99_read_latency": l.p99_read,
                "avg_write_latency": l.avg_write, "p99_write_latency": l.p99_write, "uuid": uuid}}))
        }
        _ => None,
    }
}

/// The module-specific part of `bdev_get_bdevs` for `b`.
fn driver_specific(b: *mut spdk_bdev) -> Value {
    let bd = bdev_ref(b);
    // SAFETY: registered bdevs have a function table.
    if let Some(f) = unsafe { (*bd.fn_table).dump_info_json } {
        // SAFETY: the module's callback with its context and a live writer.
        return from_callback(true, |w| unsafe {
            f(bd.ctxt, w);
        })
        .unwrap_or_else(|| json!({}));
    }
    if let Some(v) = aio::info_json(b).or_else(|| uring::info_json(b)).or_else(|| raid::info_json(b)).or_else(|| nvme::info_json(b)) {
        return v;
    }
    let Some(part) = vbdev::part_info(b) else { return json!({}) };
    match part.module.as_str() {
        "split" => json!({"split": {"base_bdev": part.base_name, "offset_blocks": part.offset_blocks}}),
        "passthru" => json!({"passthru": {"name": name_of(b), "base_bdev_name": part.base_name}}),
        "delay" => {
            let l = delay::latencies_of(b).unwrap_or_default();
            json!({"delay": {"name": name_of(b), "base_bdev_name": part.base_name,
                "avg_read_latency": l.avg_read, "p99_read_latency": l.p99_read,
                "avg_write_latency": l.avg_write, "p99_write_latency": l.p99_write}})
        }
        "error" => json!({"error": {"base_bdev": part.base_name, "num_blocks": bd.blockcnt}}),
        _ => json!({}),
    }
}

const IO_TYPE_NAMES: [(spdk_bdev_io_type, &str); 13] = [
    (spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_READ, "read"),
    (spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE, "write"),
    (spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_UNMAP, "unmap"),
    (spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_FLUSH, "flush"),
    (spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_RESET, "reset"),
    (spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_COMPARE, "compare"),
    (spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_COMPARE_AND_WRITE, "compare_and_write"),
    (spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ABORT, "abort"),
    (spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_NVME_ADMIN, "nvme_admin"),
    (spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_NVME_IO, "nvme_io"),
    (spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_NVME_IO_MD, "nvme_io_md"),
    (spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_WRITE_ZEROES, "write_zeroes"),
    (spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_ZCOPY, "zcopy"),
];

/// The I/O type SPDK calls `name` (`spdk_bdev_get_io_type`).
pub fn io_type_by_name(name: &str) -> Option<spdk_bdev_io_type> {
    IO_TYPE_NAMES.iter().find(|(_, n)| *n == name).map(|&(t, _)| t)
}

fn qos_limits(b: *mut spdk_bdev) -> Value {
    let l = super::qos::get_limits(b);
    json!({"rw_ios_per_sec": l[0], "rw_mbytes_per_sec": l[1], "r_mbytes_per_sec": l[2], "w_mbytes_per_sec": l[3]})
}

/// One bdev as `bdev_get_bdevs` shows it.
pub fn describe(b: *mut spdk_bdev) -> Value {
    let bd = bdev_ref(b);
    let product = if bd.product_name.is_null() {
        String::new()
    } else {
        // SAFETY: modules set product_name to a C string that lives with the bdev.
        unsafe { CStr::from_ptr(bd.product_name) }.to_string_lossy().into_owned()
    };
    let mut types = Map::new();
    for (t, n) in IO_TYPE_NAMES {
        types.insert(n.into(), json!(super::io_type_supported(b, t)));
    }
    let claimed = super::is_claimed(b);
    let mut v = json!({
        "name": name_of(b),
        "aliases": [],
        "product_name": product,
        "block_size": bd.blocklen,
        "num_blocks": bd.blockcnt,
        "uuid": uuid_of(b),
        "assigned_rate_limits": qos_limits(b),
        "claimed": claimed,
        "zoned": false,
        "supported_io_types": types,
        "driver_specific": driver_specific(b),
    });
    if claimed {
        v["claim_type"] = json!("exclusive_write");
    }
    if bd.optimal_io_boundary != 0 {
        v["optimal_io_boundary"] = json!(bd.optimal_io_boundary);
    }
    if bd.write_unit_size > 1 {
        v["write_unit_size"] = json!(bd.write_unit_size);
    }
    v
}

/// The bdev subsystem's configuration: options, then every bdev's creating
/// method in registration order, then `bdev_wait_for_examine`.
pub fn config() -> Vec<Value> {
    let mut out = vec![json!({"method": "bdev_set_options", "params": {
        "bdev_io_pool_size": super::pool_size(),
        "bdev_io_cache_size": super::cache_size(),
        "bdev_auto_examine": super::modules::auto_examine(),
    }}), nvme::options_json()];
    for m in super::modules() {
        // SAFETY: registered modules are static.
        if let Some(f) = unsafe { (*m).config_json } {
            // SAFETY: the module's callback with a live writer.
            match from_callback(false, |w| unsafe {
                f(w);
            }) {
                Some(Value::Array(a)) => out.extend(a),
                _ => crate::log::error(format_args!("a bdev module's config_json wrote invalid JSON; left out\n")),
            }
        }
    }
    for b in super::list() {
        match config_of(b) {
            Some(v) => out.push(v),
            None => out.extend(fn_table_config(b)),
        }
        if super::qos::get_limits(b).iter().any(|&l| l != 0) {
            let mut p = qos_limits(b);
            p["name"] = json!(name_of(b));
            out.push(json!({"method": "bdev_set_qos_limit", "params": p}));
        }
    }
    out.push(json!({"method": "bdev_wait_for_examine"}));
    out
}
