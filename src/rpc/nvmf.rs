//! NVMe-oF target methods on the configuration model: subsystems,
//! namespaces and hosts (`nvmf_create_subsystem`, `nvmf_delete_subsystem`,
//! `nvmf_subsystem_add_ns`/`remove_ns`, `nvmf_subsystem_add_host`/
//! `remove_host`/`allow_any_host`, `nvmf_get_subsystems`), the TCP
//! transport and listeners, controllers, qpairs and statistics, and the
//! discovery referrals (`nvmf_discovery_add_referral`/`remove_referral`/
//! `get_referrals`).

use super::{register_fn, Params, Responder, RUNTIME};
use crate::nvmf::subsystem::{self as ss, AnaState, ListenAddr, Namespace, Subsystem, SubsystemOpts, Subtype};
use crate::nvmf::tcp::transport::{self, TcpOpts};
use crate::nvmf::{ctrlr, group};
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
    register_fn("nvmf_create_transport", RUNTIME, nvmf_create_transport);
    register_fn("nvmf_get_transports", RUNTIME, nvmf_get_transports);
    register_fn("nvmf_subsystem_add_listener", RUNTIME, |p, r| listener_method("nvmf_subsystem_add_listener", p, r));
    register_fn("nvmf_subsystem_remove_listener", RUNTIME, |p, r| listener_method("nvmf_subsystem_remove_listener", p, r));
    register_fn("nvmf_subsystem_listener_set_ana_state", RUNTIME, |p, r| listener_method("nvmf_subsystem_listener_set_ana_state", p, r));
    register_fn("nvmf_subsystem_get_listeners", RUNTIME, nvmf_subsystem_get_listeners);
    register_fn("nvmf_subsystem_get_controllers", RUNTIME, nvmf_subsystem_get_controllers);
    register_fn("nvmf_subsystem_get_qpairs", RUNTIME, nvmf_subsystem_get_qpairs);
    register_fn("nvmf_get_stats", RUNTIME, nvmf_get_stats);
    register_fn("nvmf_discovery_add_referral", RUNTIME, nvmf_discovery_add_referral);
    register_fn("nvmf_discovery_remove_referral", RUNTIME, nvmf_discovery_remove_referral);
    register_fn("nvmf_discovery_get_referrals", RUNTIME, nvmf_discovery_get_referrals);
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
            inactive: false,
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
        Ok((nqn, nsid)) => tgt::remove_ns_quiet(&nqn, nsid, move |res| answer(M, r, res)),
        Err(e) => r.invalid(e),
    }
}

fn host_method(m: &'static str, p: Value, r: Responder) {
    // With transports plugged in through nvmf_transport.h, members beyond
    // these are theirs (their subsystem_add_host reads the params).
    let plugged = crate::capi::nvmf_transport_rpc::any_added();
    let known = ["nqn", "host", "tgt_name", "psk", "dhchap_key", "dhchap_ctrlr_key"];
    match (if plugged { Params::relaxed(m, &p) } else { Params::new(m, &p, &known) }).and_then(|p| {
        check_tgt(&p)?;
        for k in ["psk", "dhchap_key", "dhchap_ctrlr_key"] {
            if p.get(k).is_some_and(|v| !v.is_null()) {
                return Err(format!("{m}: {k} (TLS / authentication) is not supported by this build"));
            }
        }
        Ok((p.req_str("nqn")?.to_string(), p.req_str("host")?.to_string()))
    }) {
        Ok((nqn, host)) => {
            let res = if m != "nvmf_subsystem_add_host" {
                tgt::remove_host(&nqn, &host)
            } else if plugged {
                let flat = crate::capi::json::flatten(&p);
                tgt::add_host_with(&nqn, &host, flat.vals.as_ptr() as usize)
            } else {
                tgt::add_host(&nqn, &host)
            };
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
    let out: Vec<Value> = all.iter().filter(|s| nqn.as_deref().map_or(true, |n| n == s.nqn)).map(subsystem_json).collect();
    if out.is_empty() {
        if let Some(n) = nqn {
            return r.err(-libc::ENODEV, format!("{M}: subsystem {n} not found"));
        }
    }
    r.ok(Value::Array(out))
}

fn u32_param(p: &Params, key: &str, dflt: u32) -> Result<u32, String> {
    match p.u64(key)? {
        None => Ok(dflt),
        Some(v) => u32::try_from(v).map_err(|_| format!("{key} {v} is out of range")),
    }
}

/// Parses `nvmf_create_transport`'s parameters into TCP options.
pub fn transport_opts(m: &'static str, p: &Value) -> Result<TcpOpts, String> {
    let p = Params::new(
        m,
        p,
        &[
            "trtype", "tgt_name", "max_queue_depth", "max_qpairs_per_ctrlr", "max_io_qpairs_per_ctrlr", "in_capsule_data_size", "max_io_size", "io_unit_size",
            "max_aq_depth", "num_shared_buffers", "buf_cache_size", "iobuf_small_cache_size", "iobuf_large_cache_size", "zcopy", "num_cqe", "max_srq_depth",
            "no_srq", "c2h_success", "dif_insert_or_strip", "sock_priority", "acceptor_backlog", "abort_timeout_sec", "no_wr_batching", "control_msg_num",
            "disable_mappable_bar0", "disable_adaptive_irq", "disable_shadow_doorbells", "acceptor_poll_rate", "ack_timeout", "data_wr_pool_size",
            "disable_command_passthru", "kas", "min_kato", "masked_oncs", "masked_fuses",
        ],
    )?;
    check_tgt(&p)?;
    let t = p.req_str("trtype")?;
    if !t.eq_ignore_ascii_case("tcp") {
        return Err(format!("{m}: transport type '{t}' is not supported by this build (TCP is)"));
    }
    for k in ["dif_insert_or_strip", "no_srq", "no_wr_batching", "disable_mappable_bar0", "disable_adaptive_irq", "disable_shadow_doorbells", "disable_command_passthru"] {
        if p.bool(k)? == Some(true) {
            return Err(format!("{m}: {k} is not supported by this build"));
        }
    }
    for k in ["masked_oncs", "masked_fuses"] {
        if p.get(k).is_some_and(|v| !v.is_null() && v.as_array().map_or(true, |a| !a.is_empty())) {
            return Err(format!("{m}: {k} is not supported by this build"));
        }
    }
    let d = TcpOpts::default();
    let mut o = TcpOpts {
        max_queue_depth: u32_param(&p, "max_queue_depth", d.max_queue_depth)?,
        max_io_qpairs_per_ctrlr: u32_param(&p, "max_io_qpairs_per_ctrlr", d.max_io_qpairs_per_ctrlr)?,
        in_capsule_data_size: u32_param(&p, "in_capsule_data_size", d.in_capsule_data_size)?,
        max_io_size: u32_param(&p, "max_io_size", d.max_io_size)?,
        io_unit_size: u32_param(&p, "io_unit_size", d.io_unit_size)?,
        max_aq_depth: u32_param(&p, "max_aq_depth", d.max_aq_depth)?,
        num_shared_buffers: u32_param(&p, "num_shared_buffers", d.num_shared_buffers)?,
        buf_cache_size: u32_param(&p, "buf_cache_size", d.buf_cache_size)?,
        c2h_success: p.bool("c2h_success")?.unwrap_or(d.c2h_success),
        zcopy: p.bool("zcopy")?.unwrap_or(d.zcopy),
        sock_priority: u32_param(&p, "sock_priority", d.sock_priority)?,
        abort_timeout_sec: u32_param(&p, "abort_timeout_sec", d.abort_timeout_sec)?,
        control_msg_num: u32_param(&p, "control_msg_num", d.control_msg_num)?,
        acceptor_poll_rate: u32_param(&p, "acceptor_poll_rate", d.acceptor_poll_rate)?,
        kas: u32_param(&p, "kas", d.kas)?,
        min_kato: u32_param(&p, "min_kato", d.min_kato)?,
    };
    if let Some(q) = p.u64("max_qpairs_per_ctrlr")? {
        // The older name counts the admin queue too.
        o.max_io_qpairs_per_ctrlr = u32::try_from(q.saturating_sub(1)).map_err(|_| format!("max_qpairs_per_ctrlr {q} is out of range"))?;
    }
    if o.buf_cache_size == u32::MAX {
        o.buf_cache_size = d.buf_cache_size;
    }
    o.validate().map_err(|e| format!("{m}: {e}"))?;
    Ok(o)
}

fn nvmf_create_transport(p: Value, r: Responder) {
    const M: &str = "nvmf_create_transport";
    // A transport plugged in through nvmf_transport.h reads its own members.
    let plugged = Params::relaxed(M, &p).and_then(|q| {
        check_tgt(&q)?;
        Ok(q.req_str("trtype")?.to_string())
    });
    match plugged {
        Ok(t) if !t.eq_ignore_ascii_case("tcp") && crate::capi::nvmf_transport_rpc::is_registered(&t) => {
            return crate::capi::nvmf_transport_rpc::rpc_create(
                M,
                &t,
                &p,
                Box::new(move |res| match res {
                    Ok(()) => r.ok(json!(true)),
                    Err(e) => r.invalid(e),
                }),
            );
        }
        Err(e) => return r.invalid(e),
        _ => {}
    }
    match transport_opts(M, &p) {
        Ok(o) => match transport::create(o) {
            Ok(()) => r.ok(json!(true)),
            Err(e) => r.invalid(format!("{M}: {e}")),
        },
        Err(e) => r.invalid(e),
    }
}

fn nvmf_get_transports(p: Value, r: Responder) {
    const M: &str = "nvmf_get_transports";
    let t = match Params::new(M, &p, &["trtype", "tgt_name"]).and_then(|p| {
        check_tgt(&p)?;
        Ok(p.str("trtype")?.map(str::to_string))
    }) {
        Ok(t) => t,
        Err(e) => return r.invalid(e),
    };
    let mut list = transport::list_json();
    list.extend(crate::capi::nvmf_transport::transports_json());
    if let Some(t) = t {
        list.retain(|x| x["trtype"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(&t)));
        if list.is_empty() {
            return r.err(-libc::ENODEV, format!("{M}: transport {t} not found"));
        }
    }
    r.ok(Value::Array(list))
}

fn listen_addr(m: &'static str, key: &str, v: Option<&Value>) -> Result<ListenAddr, String> {
    let Some(v) = v else { return Err(format!("{m}: missing required parameter '{key}'")) };
    let a = Params::new(m, v, &["trtype", "adrfam", "traddr", "trsvcid", "trsvcid_str"])?;
    let trtype = a.req_str("trtype")?.to_string();
    let traddr = a.req_str("traddr")?.to_string();
    let adrfam = match a.str("adrfam")? {
        Some(f) if f.eq_ignore_ascii_case("ipv4") => "IPv4".to_string(),
        Some(f) if f.eq_ignore_ascii_case("ipv6") => "IPv6".to_string(),
        Some(f) => return Err(format!("{m}: adrfam '{f}' is not IPv4 or IPv6")),
        None => if traddr.contains(':') { "IPv6" } else { "IPv4" }.to_string(),
    };
    let trsvcid = a.str("trsvcid")?.ok_or_else(|| format!("{m}: missing required parameter 'trsvcid'"))?.to_string();
    Ok(ListenAddr { trtype: trtype.to_uppercase(), adrfam, traddr, trsvcid })
}

fn listener_method(m: &'static str, p: Value, r: Responder) {
    // At a plugged-in transport's address, members beyond these are the
    // transport's (its listen reads the params as transport_specific).
    let known = ["nqn", "listen_address", "tgt_name", "ana_state", "anagrpid", "secure_channel", "sock_impl", "psk"];
    let ext = p.get("listen_address").and_then(|a| a.get("trtype")).and_then(Value::as_str).is_some_and(|t| !t.eq_ignore_ascii_case("tcp") && crate::capi::nvmf_transport_rpc::is_added(t));
    let parsed = (if ext { Params::relaxed(m, &p) } else { Params::new(m, &p, &known) }).and_then(|p| {
        check_tgt(&p)?;
        if p.bool("secure_channel")? == Some(true) || p.get("psk").is_some_and(|v| !v.is_null()) {
            return Err(format!("{m}: secure channels (TLS) are not supported by this build"));
        }
        if let Some(i) = p.str("sock_impl")? {
            if i != "posix" {
                return Err(format!("{m}: sock_impl '{i}' is not in this build (posix is)"));
            }
        }
        let a = listen_addr(m, "listen_address", p.get("listen_address"))?;
        let ana = match p.str("ana_state")? {
            Some(s) => Some(AnaState::parse(s).map_err(|e| format!("{m}: {e}"))?),
            None => None,
        };
        if m == "nvmf_subsystem_listener_set_ana_state" && ana.is_none() {
            return Err(format!("{m}: missing required parameter 'ana_state'"));
        }
        Ok((p.req_str("nqn")?.to_string(), a, ana))
    });
    match parsed {
        Ok((nqn, a, ana)) => {
            let plugged = !a.trtype.eq_ignore_ascii_case("tcp") && crate::capi::nvmf_transport_rpc::is_added(&a.trtype);
            let res = match m {
                "nvmf_subsystem_add_listener" if plugged => crate::capi::nvmf_transport_rpc::rpc_add_listener(&nqn, a, ana.unwrap_or(AnaState::Optimized), &p),
                "nvmf_subsystem_add_listener" => tgt::add_listener(&nqn, a, ana.unwrap_or(AnaState::Optimized)),
                "nvmf_subsystem_remove_listener" if plugged => crate::capi::nvmf_transport_rpc::rpc_remove_listener(&nqn, &a),
                "nvmf_subsystem_remove_listener" => tgt::remove_listener(&nqn, &a),
                _ => tgt::set_ana_state(&nqn, &a, ana.unwrap_or(AnaState::Optimized)),
            };
            answer(m, r, res)
        }
        Err(e) => r.invalid(e),
    }
}

/// The address and subsystem NQN of a referral method (`keys`: what it takes).
fn referral_params(m: &'static str, p: &Value, keys: &[&str]) -> Result<(ListenAddr, String, bool), String> {
    let p = Params::new(m, p, keys)?;
    check_tgt(&p)?;
    let secure = p.bool("secure_channel")?.unwrap_or(false);
    let a = listen_addr(m, "address", p.get("address"))?;
    Ok((a, p.str("subnqn")?.unwrap_or_default().to_string(), secure))
}

fn nvmf_discovery_add_referral(p: Value, r: Responder) {
    const M: &str = "nvmf_discovery_add_referral";
    match referral_params(M, &p, &["tgt_name", "address", "subnqn", "secure_channel"]) {
        Ok((_, _, true)) => r.invalid(format!("{M}: secure_channel: secure channels (TLS) are not supported by this build")),
        Ok((addr, subnqn, secure_channel)) => answer(M, r, tgt::add_referral(ss::Referral { addr, subnqn, secure_channel }).map(|_| ())),
        Err(e) => r.invalid(e),
    }
}

fn nvmf_discovery_remove_referral(p: Value, r: Responder) {
    const M: &str = "nvmf_discovery_remove_referral";
    match referral_params(M, &p, &["tgt_name", "address", "subnqn"]) {
        Ok((addr, subnqn, _)) => answer(M, r, tgt::remove_referral(&addr, &subnqn)),
        Err(e) => r.invalid(e),
    }
}

fn referral_json(x: &ss::Referral) -> Value {
    json!({"address": addr_json(&x.addr), "secure_channel": x.secure_channel, "subnqn": x.subnqn})
}

fn nvmf_discovery_get_referrals(p: Value, r: Responder) {
    const M: &str = "nvmf_discovery_get_referrals";
    if let Err(e) = Params::new(M, &p, &["tgt_name"]).and_then(|p| check_tgt(&p)) {
        return r.invalid(e);
    }
    r.ok(Value::Array(tgt::referrals().iter().map(referral_json).collect()))
}

fn nqn_param(m: &'static str, p: &Value) -> Result<String, String> {
    let p = Params::new(m, p, &["nqn", "tgt_name"])?;
    check_tgt(&p)?;
    let n = p.req_str("nqn")?.to_string();
    if !tgt::subsystems().iter().any(|s| s.nqn == n) {
        return Err(format!("{m}: subsystem {n} not found"));
    }
    Ok(n)
}

fn addr_json(a: &ListenAddr) -> Value {
    json!({"trtype": a.trtype, "adrfam": a.adrfam, "traddr": a.traddr, "trsvcid": a.trsvcid})
}

fn nvmf_subsystem_get_listeners(p: Value, r: Responder) {
    const M: &str = "nvmf_subsystem_get_listeners";
    let n = match nqn_param(M, &p) {
        Ok(n) => n,
        Err(e) => return r.invalid(e),
    };
    let subs = tgt::subsystems();
    let s = subs.iter().find(|s| s.nqn == n).expect("checked");
    let groups: Vec<u32> = if s.ana_reporting {
        let mut g: Vec<u32> = s.namespaces.iter().map(|(id, ns)| if ns.anagrpid == 0 { *id } else { ns.anagrpid }).collect();
        g.dedup();
        g
    } else {
        vec![1]
    };
    let out: Vec<Value> = s
        .listeners
        .iter()
        .map(|l| {
            let st: Vec<Value> = groups.iter().map(|g| json!({"ana_group": g, "ana_state": l.ana_state.name()})).collect();
            json!({"address": addr_json(&l.addr), "ana_states": st})
        })
        .collect();
    r.ok(Value::Array(out))
}

fn nvmf_subsystem_get_controllers(p: Value, r: Responder) {
    const M: &str = "nvmf_subsystem_get_controllers";
    match nqn_param(M, &p) {
        Ok(n) => r.ok(Value::Array(ctrlr::controllers_json(&n))),
        Err(e) => r.invalid(e),
    }
}

fn nvmf_subsystem_get_qpairs(p: Value, r: Responder) {
    const M: &str = "nvmf_subsystem_get_qpairs";
    let n = match nqn_param(M, &p) {
        Ok(n) => n,
        Err(e) => return r.invalid(e),
    };
    let acc = std::sync::Arc::new(parking_lot::Mutex::new(Vec::<Value>::new()));
    let a2 = acc.clone();
    group::for_each(
        move |g| {
            let name = format!("nvmf_tgt_poll_group_{:03}", g.index);
            for &q in g.qpairs.values() {
                // SAFETY: live qpairs of this group, on its thread.
                let c = unsafe { &(*q).c };
                let Some(ct) = c.ctrlr.as_ref() else { continue };
                if ct.subnqn != n || !c.running() {
                    continue;
                }
                let mut o = json!({
                    "cntlid": ct.cntlid,
                    "qid": c.qid,
                    "state": "active",
                    "thread": name,
                    "hostnqn": ct.hostnqn,
                    "listen_address": {"trtype": "TCP", "adrfam": if c.local.0.contains(':') {"IPv6"} else {"IPv4"}, "traddr": c.local.0, "trsvcid": c.local.1.to_string()},
                    "peer_address": {"trtype": "TCP", "adrfam": if c.peer.0.contains(':') {"IPv6"} else {"IPv4"}, "traddr": c.peer.0, "trsvcid": c.peer.1.to_string()},
                });
                // A plugged-in transport's connection: its own addresses.
                if let (Some(e), Some(m)) = (c.ext.as_ref(), o.as_object_mut()) {
                    e.describe(m);
                }
                a2.lock().push(o);
            }
        },
        move || {
            let mut v = std::mem::take(&mut *acc.lock());
            v.sort_by_key(|q| (q["cntlid"].as_u64(), q["qid"].as_u64()));
            r.ok(Value::Array(v))
        },
    );
}

/// A poll group's transports in `nvmf_get_stats`: TCP when it exists, then
/// the plugged-in ones with their own statistics.
fn transport_stats(g: &group::PollGroup) -> Vec<Value> {
    let mut v: Vec<Value> = transport::list_json().into_iter().map(|_| json!({"trtype": "TCP"})).collect();
    v.extend(crate::capi::nvmf_transport::group_stats_json(g));
    v
}

fn nvmf_get_stats(p: Value, r: Responder) {
    const M: &str = "nvmf_get_stats";
    if let Err(e) = Params::new(M, &p, &["tgt_name"]).and_then(|p| check_tgt(&p)) {
        return r.invalid(e);
    }
    let acc = std::sync::Arc::new(parking_lot::Mutex::new(Vec::<(usize, Value)>::new()));
    let a2 = acc.clone();
    group::for_each(
        move |g| {
            let s = g.stats;
            a2.lock().push((
                g.index,
                json!({
                    "name": format!("nvmf_tgt_poll_group_{:03}", g.index),
                    "admin_qpairs": s.admin_qpairs,
                    "io_qpairs": s.io_qpairs,
                    "current_admin_qpairs": s.current_admin_qpairs,
                    "current_io_qpairs": s.current_io_qpairs,
                    "pending_bdev_io": s.pending_bdev_io,
                    "completed_nvme_io": s.completed_nvme_io,
                    "transports": transport_stats(g),
                }),
            ));
        },
        move || {
            let mut v = std::mem::take(&mut *acc.lock());
            v.sort_by_key(|x| x.0);
            r.ok(json!({
                "tick_rate": crate::env::cpu::TICKS_HZ,
                "poll_groups": v.into_iter().map(|x| x.1).collect::<Vec<_>>(),
            }))
        },
    );
}

/// The "nvmf" subsystem's part of `save_config`.
pub fn config() -> Value {
    let mut out = Vec::new();
    for t in transport::list_json().into_iter().chain(crate::capi::nvmf_transport_rpc::config()) {
        out.push(json!({"method": "nvmf_create_transport", "params": t}));
    }
    // The oldest first: each add goes to the front, so a restore keeps the order.
    for x in tgt::referrals().iter().rev() {
        out.push(json!({"method": "nvmf_discovery_add_referral", "params": referral_json(x)}));
    }
    for s in tgt::subsystems() {
        if s.subtype != Subtype::Nvme {
            continue;
        }
        out.push(json!({"method": "nvmf_create_subsystem", "params": {
            "nqn": s.nqn, "serial_number": s.serial_number, "model_number": s.model_number,
            "allow_any_host": s.allow_any_host, "max_namespaces": s.max_namespaces,
            "ana_reporting": s.ana_reporting, "min_cntlid": s.min_cntlid, "max_cntlid": s.max_cntlid,
        }}));
        // Plugged-in transports add their members (listen_dump_opts, subsystem_dump_host).
        for l in &s.listeners {
            let mut p = json!({"nqn": s.nqn, "listen_address": addr_json(&l.addr), "ana_state": l.ana_state.name()});
            if let Some(m) = p.as_object_mut() {
                m.extend(crate::capi::nvmf_transport_rpc::listen_dump(&l.addr));
            }
            out.push(json!({"method": "nvmf_subsystem_add_listener", "params": p}));
        }
        for h in &s.hosts {
            let mut p = json!({"nqn": s.nqn, "host": h});
            if let Some(m) = p.as_object_mut() {
                m.extend(crate::capi::nvmf_transport_rpc::host_dump(&s.nqn, h));
            }
            out.push(json!({"method": "nvmf_subsystem_add_host", "params": p}));
        }
        for n in s.namespaces.values() {
            let mut ns = json!({"nsid": n.nsid, "bdev_name": n.bdev_name});
            if let Some(u) = n.uuid {
                ns["uuid"] = json!(crate::util::uuid::fmt_lower(&u));
            }
            if let Some(g) = n.nguid {
                ns["nguid"] = json!(hex(&g));
            }
            if let Some(e) = n.eui64 {
                ns["eui64"] = json!(hex(&e));
            }
            if n.anagrpid != 0 {
                ns["anagrpid"] = json!(n.anagrpid);
            }
            out.push(json!({"method": "nvmf_subsystem_add_ns", "params": {"nqn": s.nqn, "namespace": ns}}));
        }
    }
    Value::Array(out)
}

/// Runs one call of a JSON config's "nvmf" subsystem.
pub fn config_call(method: &str, params: &Value) -> Result<Option<String>, String> {
    let f: fn(Value, Responder) = match method {
        "nvmf_create_transport" => nvmf_create_transport,
        "nvmf_create_subsystem" => nvmf_create_subsystem,
        "nvmf_subsystem_add_listener" => |p, r| listener_method("nvmf_subsystem_add_listener", p, r),
        "nvmf_subsystem_add_host" => |p, r| host_method("nvmf_subsystem_add_host", p, r),
        "nvmf_subsystem_add_ns" => nvmf_subsystem_add_ns,
        "nvmf_subsystem_allow_any_host" => nvmf_subsystem_allow_any_host,
        "nvmf_discovery_add_referral" => nvmf_discovery_add_referral,
        "nvmf_set_config" | "nvmf_set_max_subsystems" | "nvmf_set_crdt" => {
            crate::log::warn(format_args!("nvmf: {method} skipped: the target's global options are fixed in this build\n"));
            return Ok(None);
        }
        _ => return Err(format!("{method} is not an nvmf subsystem method")),
    };
    super::call_for_config(f, params)
}
