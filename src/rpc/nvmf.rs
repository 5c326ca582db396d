//! NVMe-oF target methods on the configuration model: subsystems,
//! namespaces and hosts (`nvmf_create_subsystem`, `nvmf_delete_subsystem`,
//! `nvmf_subsystem_add_ns`/`remove_ns`, `nvmf_subsystem_add_host`/
//! `remove_host`/`allow_any_host`, `nvmf_get_subsystems`). Listeners and
//! transports come with the TCP transport.

use super::{register_fn, Params, Responder, RUNTIME};
use crate::nvmf::subsystem::{self as ss, Namespace, Subsystem, SubsystemOpts, Subtype};
use crate::nvmf::tgt;
use serde_json::{json, Value};

pub(super) fn register() {
    register_fn("nvmf_create_subsystem", RUNTIME, nvmf_create_subsystem);
    register_fn("nvmf_delete_subsystem", RUNTIME, nvmf_delete_subsystem);
    register_fn("nvmf_subsystem_add_ns", RUNTIME, nvmf_subsystem_add_ns);
    register_fn("nvmf_subsystem_remove_ns", RUNTIME, nvmf_subsystem_remove_ns);
    register_fn("nvmf_subsystem_add_host", RUNTIME, |p, r| host_method("nvmf_subsystem_add_host", p, r));
    register_fn("nvmf_subsystem_remove_host", RUNTIME, |p, r| host_method("nvmf_subsystem_remove_host", p, r));
    register_fn("nvmf_subsystem_allow_any_host", RUNTIME, nvmf_subsystem_allow_any_host);
    register_fn("nvmf_get_subsystems", RUNTIME, nvmf_get_subsystems);
}

fn answer(method: &str, r: Responder, res: ss::Result<()>) {
    match res {
        Ok(()) => r.ok(json!(true)),
        Err(ss::Error::Invalid(m)) => r.invalid(format!("{method}: {m}")),
        Err(e) => r.err(-e.errno(), format!("{method}: {e}")),
    }
}

/// Only the target this process has: `tgt_name` may name nothing else.
fn check_tgt(p: &Params) -> Result<(), String> {
    match p.str("tgt_name")? {
        None => Ok(()),
        Some(n) => Err(format!("tgt_name '{n}': this build has one target, which takes no name")),
    }
}

fn u16_param(p: &Params, key: &str) -> Result<Option<u16>, String> {
    match p.u64(key)? {
        None => Ok(None),
        Some(v) => u16::try_from(v).map(Some).map_err(|_| format!("{key} {v} is out of range")),
    }
}

fn nvmf_create_subsystem(p: Value, r: Responder) {
    const M: &str = "nvmf_create_subsystem";
    let parsed = Params::new(
        M,
        &p,
        &["nqn", "tgt_name", "serial_number", "model_number", "allow_any_host", "max_namespaces", "ana_reporting", "min_cntlid", "max_cntlid", "dmrsl", "wzsl", "passthrough", "enable_nssr", "admin_label"],
    )
    .and_then(|p| {
        check_tgt(&p)?;
        for k in ["passthrough", "enable_nssr"] {
            if p.bool(k)? == Some(true) {
                return Err(format!("{M}: {k} is not supported by this build"));
            }
        }
        for k in ["dmrsl", "wzsl", "admin_label"] {
            if p.get(k).is_some_and(|v| !v.is_null()) {
                return Err(format!("{M}: {k} is not supported by this build"));
            }
        }
        let max_namespaces = match p.u64("max_namespaces")? {
            None => None,
            Some(v) => Some(u32::try_from(v).map_err(|_| format!("{M}: max_namespaces {v} is out of range"))?),
        };
        Ok(SubsystemOpts {
            nqn: p.req_str("nqn")?.to_string(),
            serial_number: p.str("serial_number")?.map(str::to_string),
            model_number: p.str("model_number")?.map(str::to_string),
            allow_any_host: p.bool("allow_any_host")?.unwrap_or(false),
            max_namespaces,
            ana_reporting: p.bool("ana_reporting")?.unwrap_or(false),
            min_cntlid: u16_param(&p, "min_cntlid")?,
            max_cntlid: u16_param(&p, "max_cntlid")?,
        })
    });
    match parsed {
        Ok(o) => answer(M, r, tgt::create_subsystem(&o)),
        Err(e) => r.invalid(e),
    }
}

fn nvmf_delete_subsystem(p: Value, r: Responder) {
    const M: &str = "nvmf_delete_subsystem";
    match Params::new(M, &p, &["nqn", "tgt_name"]).and_then(|p| {
        check_tgt(&p)?;
        Ok(p.req_str("nqn")?.to_string())
    }) {
        Ok(nqn) => answer(M, r, tgt::delete_subsystem(&nqn)),
        Err(e) => r.invalid(e),
    }
}

fn hex16(what: &str, v: Option<&str>) -> Result<Option<[u8; 16]>, String> {
    v.map(|s| ss::parse_hex_id(what, s, 16).map(|b| b.try_into().expect("16 bytes")).map_err(|e| e.to_string())).transpose()
}

fn nvmf_subsystem_add_ns(p: Value, r: Responder) {
    const M: &str = "nvmf_subsystem_add_ns";
    let parsed = Params::new(M, &p, &["nqn", "namespace", "tgt_name", "no_auto_visible"]).and_then(|p| {
        check_tgt(&p)?;
        let nqn = p.req_str("nqn")?.to_string();
        let Some(nsv) = p.get("namespace") else { return Err(format!("{M}: missing required parameter 'namespace'")) };
        let n = Params::new(M, nsv, &["bdev_name", "nsid", "nguid", "eui64", "uuid", "anagrpid", "no_auto_visible", "ptpl_file"])?;
        if n.bool("no_auto_visible")? == Some(true) || p.bool("no_auto_visible")? == Some(true) {
            return Err(format!("{M}: no_auto_visible is not supported by this build"));
        }
        if n.get("ptpl_file").is_some_and(|v| !v.is_null()) {
            return Err(format!("{M}: ptpl_file (persistent reservations) is not supported by this build"));
        }
        let uuid = match n.str("uuid")? {
            None => None,
            Some(s) => Some(crate::util::uuid::parse(s).ok_or_else(|| format!("{M}: uuid '{s}' is not a UUID"))?),
        };
        let eui64 = n.str("eui64")?.map(|s| ss::parse_hex_id("eui64", s, 8).map(|b| b.try_into().expect("8 bytes"))).transpose().map_err(|e| e.to_string())?;
        let nsid = n.u64("nsid")?.unwrap_or(0);
        let anagrpid = n.u64("anagrpid")?.unwrap_or(0);
        Ok((
            nqn,
            Namespace {
                nsid: u32::try_from(nsid).map_err(|_| format!("{M}: nsid {nsid} is out of range"))?,
                bdev_name: n.req_str("bdev_name")?.to_string(),
                uuid,
                nguid: hex16("nguid", n.str("nguid")?)?,
                eui64,
                anagrpid: u32::try_from(anagrpid).map_err(|_| format!("{M}: anagrpid {anagrpid} is out of range"))?,
            },
        ))
    });
    match parsed {
        Ok((nqn, ns)) => match tgt::add_ns(&nqn, ns) {
            Ok(id) => r.ok(json!(id)),
            Err(ss::Error::Invalid(m)) => r.invalid(format!("{M}: {m}")),
            Err(e) => r.err(-e.errno(), format!("{M}: {e}")),
        },
        Err(e) => r.invalid(e),
    }
}

fn nvmf_subsystem_remove_ns(p: Value, r: Responder) {
    const M: &str = "nvmf_subsystem_remove_ns";
    match Params::new(M, &p, &["nqn", "nsid", "tgt_name"]).and_then(|p| {
        check_tgt(&p)?;
        let nsid = p.u64("nsid")?.ok_or_else(|| format!("{M}: missing required parameter 'nsid'"))?;
        Ok((p.req_str("nqn")?.to_string(), u32::try_from(nsid).map_err(|_| format!("{M}: nsid {nsid} is out of range"))?))
    }) {
        Ok((nqn, nsid)) => answer(M, r, tgt::remove_ns(&nqn, nsid)),
        Err(e) => r.invalid(e),
    }
}

fn host_method(m: &'static str, p: Value, r: Responder) {
    match Params::new(m, &p, &["nqn", "host", "tgt_name", "psk", "dhchap_key", "dhchap_ctrlr_key"]).and_then(|p| {
        check_tgt(&p)?;
        for k in ["psk", "dhchap_key", "dhchap_ctrlr_key"] {
            if p.get(k).is_some_and(|v| !v.is_null()) {
                return Err(format!("{m}: {k} (TLS / authentication) is not supported by this build"));
            }
        }
        Ok((p.req_str("nqn")?.to_string(), p.req_str("host")?.to_string()))
    }) {
        Ok((nqn, host)) => {
            let res = if m == "nvmf_subsystem_add_host" { tgt::add_host(&nqn, &host) } else { tgt::remove_host(&nqn, &host) };
            answer(m, r, res)
        }
        Err(e) => r.invalid(e),
    }
}

fn nvmf_subsystem_allow_any_host(p: Value, r: Responder) {
    const M: &str = "nvmf_subsystem_allow_any_host";
    match Params::new(M, &p, &["nqn", "allow_any_host", "tgt_name"]).and_then(|p| {
        check_tgt(&p)?;
        let on = p.bool("allow_any_host")?.ok_or_else(|| format!("{M}: missing required parameter 'allow_any_host'"))?;
        Ok((p.req_str("nqn")?.to_string(), on))
    }) {
        Ok((nqn, on)) => answer(M, r, tgt::allow_any_host(&nqn, on)),
        Err(e) => r.invalid(e),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// One subsystem in SPDK's `nvmf_get_subsystems` shape.
pub fn subsystem_json(s: &Subsystem) -> Value {
    let listen: Vec<Value> = s.listeners.iter().map(|l| json!({"trtype": l.addr.trtype, "adrfam": l.addr.adrfam, "traddr": l.addr.traddr, "trsvcid": l.addr.trsvcid})).collect();
    let hosts: Vec<Value> = s.hosts.iter().map(|h| json!({"nqn": h})).collect();
    let mut v = json!({
        "nqn": s.nqn,
        "subtype": if s.subtype == Subtype::Discovery { "Discovery" } else { "NVMe" },
        "listen_addresses": listen,
        "allow_any_host": s.allow_any_host,
        "hosts": hosts,
    });
    if s.subtype == Subtype::Nvme {
        v["serial_number"] = json!(s.serial_number);
        v["model_number"] = json!(s.model_number);
        v["max_namespaces"] = json!(s.max_namespaces);
        v["min_cntlid"] = json!(s.min_cntlid);
        v["max_cntlid"] = json!(s.max_cntlid);
        let nss: Vec<Value> = s
            .namespaces
            .values()
            .map(|n| {
                let mut o = json!({"nsid": n.nsid, "bdev_name": n.bdev_name, "name": n.bdev_name, "anagrpid": n.anagrpid});
                if let Some(u) = n.uuid {
                    o["uuid"] = json!(crate::util::uuid::fmt_lower(&u));
                }
                if let Some(g) = n.nguid {
                    o["nguid"] = json!(hex(&g));
                }
                if let Some(e) = n.eui64 {
                    o["eui64"] = json!(hex(&e));
                }
                o
            })
            .collect();
        v["namespaces"] = Value::Array(nss);
    }
    v
}

fn nvmf_get_subsystems(p: Value, r: Responder) {
    const M: &str = "nvmf_get_subsystems";
    let nqn = match Params::new(M, &p, &["nqn", "tgt_name"]).and_then(|p| {
        check_tgt(&p)?;
        Ok(p.str("nqn")?.map(str::to_string))
    }) {
        Ok(n) => n,
        Err(e) => return r.invalid(e),
    };
    let all = tgt::subsystems();
    let out: Vec<Value> = all.iter().filter(|s| nqn.as_deref().is_none_or(|n| n == s.nqn)).map(subsystem_json).collect();
    if out.is_empty() {
        if let Some(n) = nqn {
            return r.err(-libc::ENODEV, format!("{M}: subsystem {n} not found"));
        }
    }
    r.ok(Value::Array(out))
}
