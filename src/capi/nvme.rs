//! `spdk/nvme.h`: transport IDs, probe/connect/detach, controllers,
//! namespaces, queue pairs, poll groups and commands (PCIe over VFIO).

use super::nvme_spec::*;
use super::nvme_types::*;
use super::{cstr, guard};
use crate::env::{mem, pci::PciAddr};
use crate::nvme::ctrlr::{self, Ctrlr, CtrlrOpts, IoQpair};
use crate::nvme::qpair::{CmdCb, NextSgeCb, Payload, ResetSglCb, SubmitError};
use crate::nvme::spec::{self, admin, Cmd, Cpl};
use crate::nvme::trid::{self, TransportId};
use parking_lot::Mutex;
use std::ffi::{c_char, c_int, c_void, CStr};

/// The C handle of a controller: the driver's controller plus what C reads by pointer.
struct CCtrlr {
    inner: Box<Ctrlr>,
    /// Read by pointer from C; changed only by spdk_nvme_ctrlr_set_trid on a failed controller.
    trid: std::cell::UnsafeCell<spdk_nvme_transport_id>,
    opts: spdk_nvme_ctrlr_opts,
    ns: Vec<CNs>,
    qpairs: Mutex<Vec<usize>>,
}

struct CNs {
    ctrlr: *const CCtrlr,
    nsid: u32,
}

/// Attached controllers: (key naming the controller, handle). The key is
/// the PCI address, or `TCP traddr trsvcid subnqn` for fabrics.
static ATTACHED: Mutex<Vec<(String, usize)>> = Mutex::new(Vec::new());

fn fabric_key(t: &TransportId) -> String {
    format!("TCP {} {} {}", t.traddr, t.trsvcid, t.subnqn)
}

fn c_ctrlr<'a>(c: *mut spdk_nvme_ctrlr) -> Option<&'a CCtrlr> {
    // SAFETY: NULL or a controller handle from probe/connect, live until detach.
    unsafe { (c as *const CCtrlr).as_ref() }
}

fn c_ns<'a>(ns: *mut spdk_nvme_ns) -> Option<(&'a CCtrlr, &'a ctrlr::Namespace)> {
    // SAFETY: NULL or a namespace handle owned by a live controller.
    let n = unsafe { (ns as *const CNs).as_ref()? };
    // SAFETY: the namespace handle's controller outlives it.
    let c = unsafe { &*n.ctrlr };
    Some((c, c.inner.ns(n.nsid)?))
}

fn c_qpair<'a>(q: *mut spdk_nvme_qpair) -> Option<&'a IoQpair> {
    // SAFETY: NULL or a queue pair from spdk_nvme_ctrlr_alloc_io_qpair, live until freed.
    unsafe { (q as *const IoQpair).as_ref() }
}

fn cmd_cb(cb: spdk_nvme_cmd_cb) -> Option<CmdCb> {
    // SAFETY: same ABI (the completion types are the same struct); the caller vouches for its callback.
    cb.map(|f| unsafe { std::mem::transmute::<unsafe extern "C" fn(*mut c_void, *const spdk_nvme_cpl), CmdCb>(f) })
}

pub(crate) fn fill(dst: &mut [c_char], s: &str) {
    dst.fill(0);
    let max = dst.len() - 1;
    for (d, b) in dst.iter_mut().zip(s.bytes().take(max)) {
        *d = b as c_char;
    }
}

pub(crate) fn read_str(src: &[c_char]) -> String {
    let bytes: Vec<u8> = src.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn trid_from_c(t: &spdk_nvme_transport_id) -> TransportId {
    TransportId {
        trtype: t.trtype.0,
        trstring: read_str(&t.trstring),
        adrfam: t.adrfam.0,
        traddr: read_str(&t.traddr),
        trsvcid: read_str(&t.trsvcid),
        subnqn: read_str(&t.subnqn),
        priority: t.priority,
    }
}

fn trid_to_c(t: &TransportId, out: *mut spdk_nvme_transport_id) {
    // SAFETY: out is the caller's struct; the enum fields are written as raw integers.
    unsafe {
        let o = &mut *out;
        fill(&mut o.trstring, &t.trstring);
        fill(&mut o.traddr, &t.traddr);
        fill(&mut o.trsvcid, &t.trsvcid);
        fill(&mut o.subnqn, &t.subnqn);
        o.priority = t.priority;
        o.trtype = spdk_nvme_transport_type_raw(t.trtype);
        o.adrfam = spdk_nvmf_adrfam_raw(t.adrfam);
    }
}

/// Parses `key:value` pairs into `trid` (keys not given keep their values).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_transport_id_parse(trid: *mut spdk_nvme_transport_id, str_: *const c_char) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's struct and string.
        let (Some(t), Some(s)) = (unsafe { trid.as_mut() }, unsafe { cstr(str_) }) else { return -libc::EINVAL };
        let mut r = trid_from_c(t);
        match r.parse_into(s) {
            Ok(()) => {
                trid_to_c(&r, trid);
                0
            }
            Err(e) => {
                crate::log::error(format_args!("spdk_nvme_transport_id_parse: {e}\n"));
                -libc::EINVAL
            }
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_transport_id_populate_trstring(trid: *mut spdk_nvme_transport_id, trstring: *const c_char) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's struct and string.
        let (Some(t), Some(s)) = (unsafe { trid.as_mut() }, unsafe { cstr(trstring) }) else { return -libc::EINVAL };
        if s.len() > trid::TRSTRING_MAX {
            return -libc::EINVAL;
        }
        fill(&mut t.trstring, &s.to_ascii_uppercase());
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_transport_id_parse_trtype(trtype: *mut spdk_nvme_transport_type_raw, str_: *const c_char) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's out-parameter and string.
        let (Some(out), Some(s)) = (unsafe { trtype.as_mut() }, unsafe { cstr(str_) }) else { return -libc::EINVAL };
        *out = spdk_nvme_transport_type_raw(trid::trtype_from_str(s));
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_transport_id_parse_adrfam(adrfam: *mut spdk_nvmf_adrfam_raw, str_: *const c_char) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's out-parameter and string.
        let (Some(out), Some(s)) = (unsafe { adrfam.as_mut() }, unsafe { cstr(str_) }) else { return -libc::EINVAL };
        match trid::adrfam_from_str(s) {
            Some(a) => {
                *out = spdk_nvmf_adrfam_raw(a);
                0
            }
            None => -libc::ENOENT,
        }
    })
}

static TRTYPE_NAMES: [(&CStr, i32); 7] = [
    (c"PCIe", trid::TRTYPE_PCIE),
    (c"RDMA", trid::TRTYPE_RDMA),
    (c"FC", trid::TRTYPE_FC),
    (c"TCP", trid::TRTYPE_TCP),
    (c"VFIOUSER", trid::TRTYPE_VFIOUSER),
    (c"CUSTOM", trid::TRTYPE_CUSTOM),
    (c"CUSTOM_FABRICS", trid::TRTYPE_CUSTOM_FABRICS),
];

#[no_mangle]
pub extern "C" fn spdk_nvme_transport_id_trtype_str(trtype: spdk_nvme_transport_type_raw) -> *const c_char {
    let v = trtype.0;
    TRTYPE_NAMES.iter().find(|(_, t)| *t == v).map_or(std::ptr::null(), |(n, _)| n.as_ptr())
}

#[no_mangle]
pub extern "C" fn spdk_nvme_transport_id_adrfam_str(adrfam: spdk_nvmf_adrfam_raw) -> *const c_char {
    let v = adrfam.0;
    match v {
        trid::ADRFAM_IPV4 => c"IPv4".as_ptr(),
        trid::ADRFAM_IPV6 => c"IPv6".as_ptr(),
        trid::ADRFAM_IB => c"IB".as_ptr(),
        trid::ADRFAM_FC => c"FC".as_ptr(),
        trid::ADRFAM_INTRA_HOST => c"INTRA_HOST".as_ptr(),
        _ => std::ptr::null(),
    }
}

/// <0, 0 or >0 as `trid1` orders before, equal to or after `trid2`.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_transport_id_compare(trid1: *const spdk_nvme_transport_id, trid2: *const spdk_nvme_transport_id) -> c_int {
    guard(0, || {
        // SAFETY: the caller's structs.
        match (unsafe { trid1.as_ref() }, unsafe { trid2.as_ref() }) {
            (Some(a), Some(b)) => trid_from_c(a).compare(&trid_from_c(b)) as c_int,
            _ => -1,
        }
    })
}

/// Sets `trtype` and the matching `trstring`.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_trid_populate_transport(trid: *mut spdk_nvme_transport_id, trtype: spdk_nvme_transport_type_raw) {
    guard((), || {
        if trid.is_null() {
            return;
        }
        let v = trtype.0;
        let Some(name) = trid::trtype_str(v) else { return };
        // SAFETY: the caller's struct.
        let t = unsafe { &mut *trid };
        let mut r = trid_from_c(t);
        r.trtype = v;
        r.trstring = name.to_ascii_uppercase();
        trid_to_c(&r, trid);
    })
}

fn default_ctrlr_opts() -> spdk_nvme_ctrlr_opts {
    // SAFETY: integers, arrays, bools and nullable pointers: all-zero is valid;
    // the enum-typed fields are newtypes over u32 (0 is valid).
    let mut o: spdk_nvme_ctrlr_opts = unsafe { std::mem::zeroed() };
    let d = CtrlrOpts::default();
    o.num_io_queues = d.num_io_queues;
    o.keep_alive_timeout_ms = d.keep_alive_timeout_ms;
    o.transport_retry_count = 4;
    o.io_queue_size = d.io_queue_size;
    o.io_queue_requests = d.io_queue_requests;
    o.admin_timeout_ms = d.admin_timeout_ms;
    o.admin_queue_size = d.admin_queue_size;
    o.fabrics_connect_timeout_us = 500_000;
    let uuid = crate::util::uuid::generate();
    fill(&mut o.hostnqn, &format!("nqn.2014-08.org.nvmexpress:uuid:{}", crate::util::uuid::fmt_lower(&uuid)));
    o.extended_host_id = uuid;
    o.opts_size = std::mem::size_of::<spdk_nvme_ctrlr_opts>();
    o
}

/// Fills the first `opts_size` bytes of `opts` with the defaults.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_ctrlr_get_default_ctrlr_opts(opts: *mut spdk_nvme_ctrlr_opts, opts_size: usize) {
    guard((), || {
        if opts.is_null() || opts_size == 0 {
            return;
        }
        let mut d = default_ctrlr_opts();
        d.opts_size = opts_size;
        let n = opts_size.min(std::mem::size_of::<spdk_nvme_ctrlr_opts>());
        // SAFETY: the caller's struct has at least opts_size bytes.
        unsafe { std::ptr::copy_nonoverlapping(&d as *const _ as *const u8, opts as *mut u8, n) };
    })
}

/// The caller's options completed with defaults past `opts_size`.
unsafe fn read_ctrlr_opts(opts: *const spdk_nvme_ctrlr_opts, opts_size: usize) -> spdk_nvme_ctrlr_opts {
    let mut o = default_ctrlr_opts();
    if !opts.is_null() {
        let n = opts_size.min(std::mem::size_of::<spdk_nvme_ctrlr_opts>());
        // SAFETY: the caller's struct of at least opts_size bytes over our defaults.
        unsafe { std::ptr::copy_nonoverlapping(opts as *const u8, &mut o as *mut _ as *mut u8, n) };
        o.opts_size = std::mem::size_of::<spdk_nvme_ctrlr_opts>();
    }
    o
}

fn rust_opts(o: &spdk_nvme_ctrlr_opts) -> CtrlrOpts {
    CtrlrOpts {
        num_io_queues: o.num_io_queues.max(1),
        io_queue_size: o.io_queue_size.max(2),
        io_queue_requests: o.io_queue_requests,
        admin_queue_size: o.admin_queue_size.max(2),
        keep_alive_timeout_ms: o.keep_alive_timeout_ms,
        admin_timeout_ms: if o.admin_timeout_ms == 0 { 120_000 } else { o.admin_timeout_ms },
        hostnqn: read_str(&o.hostnqn),
        hostid: o.extended_host_id,
        header_digest: o.header_digest,
        data_digest: o.data_digest,
        fabrics_connect_timeout_us: if o.fabrics_connect_timeout_us == 0 { 3_000_000 } else { o.fabrics_connect_timeout_us.max(1_000_000) },
    }
}

fn register(inner: Box<Ctrlr>, tid: &TransportId, opts: spdk_nvme_ctrlr_opts, key: String) -> *mut CCtrlr {
    // SAFETY: plain data, filled by trid_to_c.
    let mut ctrid: spdk_nvme_transport_id = unsafe { std::mem::zeroed() };
    trid_to_c(tid, &mut ctrid);
    let c = Box::into_raw(Box::new(CCtrlr { inner, trid: std::cell::UnsafeCell::new(ctrid), opts, ns: Vec::new(), qpairs: Mutex::new(Vec::new()) }));
    // SAFETY: just created; the namespace handles point back to it.
    let cc = unsafe { &mut *c };
    cc.ns = (1..=cc.inner.num_ns()).map(|nsid| CNs { ctrlr: c, nsid }).collect();
    ATTACHED.lock().push((key, c as usize));
    c
}

/// Connects an NVMe/TCP controller (the trid's subsystem).
fn attach_tcp(t: &TransportId, opts: spdk_nvme_ctrlr_opts) -> Result<*mut CCtrlr, String> {
    let key = fabric_key(t);
    if ATTACHED.lock().iter().any(|(a, _)| *a == key) {
        return Err(format!("{} {} {} is already attached", t.traddr, t.trsvcid, t.subnqn));
    }
    let inner = Ctrlr::connect_fabric(t, rust_opts(&opts)).map_err(|e| e.to_string())?;
    let mut tid = t.clone();
    if tid.trstring.is_empty() {
        tid.trstring = "TCP".into();
    }
    Ok(register(inner, &tid, opts, key))
}

fn attach(t: &TransportId, opts: spdk_nvme_ctrlr_opts) -> Result<*mut CCtrlr, String> {
    if t.trtype == trid::TRTYPE_TCP {
        return attach_tcp(t, opts);
    }
    if t.trtype != trid::TRTYPE_PCIE {
        return Err(format!("transport {} is not available in this build (PCIe and TCP only)", trid::trtype_str(t.trtype).unwrap_or(&t.trstring)));
    }
    let addr = PciAddr::parse(&t.traddr).ok_or_else(|| format!("'{}' is not a PCI address", t.traddr))?;
    if !crate::env::pci_addr_permitted(&addr) {
        return Err(format!("{addr} is excluded by the PCI allow/block lists"));
    }
    let key = addr.to_string();
    if ATTACHED.lock().iter().any(|(a, _)| *a == key) {
        return Err(format!("{addr} is already attached"));
    }
    let inner = Ctrlr::attach(addr, rust_opts(&opts)).map_err(|e| e.to_string())?;
    Ok(register(inner, &TransportId::pcie(&addr), opts, key))
}

/// Offers one fabrics controller to probe_cb and attaches it if wanted.
fn probe_one_tcp(tid: &TransportId, cb_ctx: *mut c_void, probe_cb: spdk_nvme_probe_cb, attach_cb: spdk_nvme_attach_cb) -> c_int {
    if ATTACHED.lock().iter().any(|(a, _)| *a == fabric_key(tid)) {
        return 0;
    }
    // SAFETY: plain data, filled below.
    let mut ctrid: spdk_nvme_transport_id = unsafe { std::mem::zeroed() };
    trid_to_c(tid, &mut ctrid);
    let mut opts = default_ctrlr_opts();
    // SAFETY: the application's probe callback with structs it may read and (opts) change.
    let wanted = probe_cb.is_none_or(|f| unsafe { f(cb_ctx, &ctrid, &mut opts) });
    if !wanted {
        return 0;
    }
    match attach_tcp(tid, opts) {
        Ok(c) => {
            if let Some(f) = attach_cb {
                // SAFETY: the application's attach callback with its new controller.
                unsafe { f(cb_ctx, &ctrid, c.cast(), &(*c).opts) };
            }
            0
        }
        Err(e) => {
            crate::log::error(format_args!("spdk_nvme_probe: {} {} {}: {e}\n", tid.traddr, tid.trsvcid, tid.subnqn));
            -1
        }
    }
}

/// Probing over TCP: a discovery NQN (or none) connects to the discovery
/// controller and offers each NVMe subsystem of its log page; any other
/// NQN is offered directly.
fn probe_tcp(filter: &TransportId, cb_ctx: *mut c_void, probe_cb: spdk_nvme_probe_cb, attach_cb: spdk_nvme_attach_cb) -> c_int {
    if !crate::nvme::fabrics::is_discovery_nqn(&filter.subnqn) {
        return probe_one_tcp(filter, cb_ctx, probe_cb, attach_cb);
    }
    let opts = rust_opts(&default_ctrlr_opts());
    let disc = match Ctrlr::connect_fabric(filter, opts) {
        Ok(d) => d,
        Err(e) => {
            crate::log::error(format_args!("spdk_nvme_probe: discovery at {} {}: {e}\n", filter.traddr, filter.trsvcid));
            return -1;
        }
    };
    let log = disc.discovery_log();
    disc.detach();
    let entries = match log {
        Ok(l) => l,
        Err(e) => {
            crate::log::error(format_args!("spdk_nvme_probe: {e}\n"));
            return -1;
        }
    };
    let mut rc = 0;
    for e in entries.iter().filter(|e| e.is_nvme()) {
        let Some(tid) = e.trid() else {
            crate::log::info("nvme", format_args!("discovery: skipping {} (transport type {} not supported)\n", e.subnqn, e.trtype));
            continue;
        };
        if probe_one_tcp(&tid, cb_ctx, probe_cb, attach_cb) != 0 {
            rc = -1;
        }
    }
    rc
}

/// Attaches the controller `trid` names, synchronously.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_connect(trid: *const spdk_nvme_transport_id, opts: *const spdk_nvme_ctrlr_opts, opts_size: usize) -> *mut spdk_nvme_ctrlr {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's struct.
        let Some(t) = (unsafe { trid.as_ref() }) else { return std::ptr::null_mut() };
        // SAFETY: the caller's options of opts_size bytes, or NULL.
        let o = unsafe { read_ctrlr_opts(opts, opts_size) };
        match attach(&trid_from_c(t), o) {
            Ok(c) => c.cast(),
            Err(e) => {
                crate::log::error(format_args!("spdk_nvme_connect: {e}\n"));
                std::ptr::null_mut()
            }
        }
    })
}

fn probe_inner(t: Option<TransportId>, cb_ctx: *mut c_void, probe_cb: spdk_nvme_probe_cb, attach_cb: spdk_nvme_attach_cb) -> c_int {
    let filter = t.unwrap_or_else(|| TransportId { trtype: trid::TRTYPE_PCIE, trstring: "PCIE".into(), ..Default::default() });
    if filter.trtype == trid::TRTYPE_TCP {
        return probe_tcp(&filter, cb_ctx, probe_cb, attach_cb);
    }
    if filter.trtype != trid::TRTYPE_PCIE {
        crate::log::error(format_args!("spdk_nvme_probe: transport {} is not available in this build (PCIe and TCP only)\n", filter.trstring));
        return -1;
    }
    let only = if filter.traddr.is_empty() { None } else { PciAddr::parse(&filter.traddr) };
    let mut rc = 0;
    for cand in crate::nvme::probe::pcie_candidates() {
        if only.is_some_and(|a| a != cand.dev.addr) || ATTACHED.lock().iter().any(|(a, _)| *a == cand.dev.addr.to_string()) {
            continue;
        }
        if let Some(why) = &cand.unusable {
            crate::log::info("nvme", format_args!("skipping {}: {why}\n", cand.dev.addr));
            continue;
        }
        let tid = TransportId::pcie(&cand.dev.addr);
        // SAFETY: plain data, filled below.
        let mut ctrid: spdk_nvme_transport_id = unsafe { std::mem::zeroed() };
        trid_to_c(&tid, &mut ctrid);
        let mut opts = default_ctrlr_opts();
        // SAFETY: the application's probe callback with structs it may read and (opts) change.
        let wanted = probe_cb.is_none_or(|f| unsafe { f(cb_ctx, &ctrid, &mut opts) });
        if !wanted {
            continue;
        }
        match attach(&tid, opts) {
            Ok(c) => {
                if let Some(f) = attach_cb {
                    // SAFETY: the application's attach callback with its new controller.
                    unsafe { f(cb_ctx, &ctrid, c.cast(), &(*c).opts) };
                }
            }
            Err(e) => {
                crate::log::error(format_args!("spdk_nvme_probe: {}: {e}\n", cand.dev.addr));
                rc = -1;
            }
        }
    }
    rc
}

/// Enumerates controllers (PCIe when `trid` is NULL), attaching those `probe_cb` accepts.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_probe(
    trid: *const spdk_nvme_transport_id,
    cb_ctx: *mut c_void,
    probe_cb: spdk_nvme_probe_cb,
    attach_cb: spdk_nvme_attach_cb,
    remove_cb: spdk_nvme_remove_cb,
) -> c_int {
    let _ = remove_cb;
    // SAFETY: the caller's struct or NULL.
    guard(-1, || probe_inner(unsafe { trid.as_ref() }.map(trid_from_c), cb_ctx, probe_cb, attach_cb))
}

struct ProbeCtx {
    trid: Option<TransportId>,
    cb_ctx: usize,
    probe_cb: spdk_nvme_probe_cb,
    attach_cb: spdk_nvme_attach_cb,
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_probe_async(
    trid: *const spdk_nvme_transport_id,
    cb_ctx: *mut c_void,
    probe_cb: spdk_nvme_probe_cb,
    attach_cb: spdk_nvme_attach_cb,
    remove_cb: spdk_nvme_remove_cb,
) -> *mut spdk_nvme_probe_ctx {
    let _ = remove_cb;
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's struct or NULL.
        let t = unsafe { trid.as_ref() }.map(trid_from_c);
        Box::into_raw(Box::new(ProbeCtx { trid: t, cb_ctx: cb_ctx as usize, probe_cb, attach_cb })).cast()
    })
}

/// Advances an asynchronous probe: 0 when done (the context is freed), -EAGAIN before.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_probe_poll_async(probe_ctx: *mut spdk_nvme_probe_ctx) -> c_int {
    guard(-libc::EFAULT, || {
        if probe_ctx.is_null() {
            return -libc::EINVAL;
        }
        // SAFETY: created by spdk_nvme_probe_async; consumed here.
        let p = unsafe { Box::from_raw(probe_ctx as *mut ProbeCtx) };
        let _ = probe_inner(p.trid.clone(), p.cb_ctx as *mut c_void, p.probe_cb, p.attach_cb);
        0
    })
}

fn detach_now(c: *mut CCtrlr) {
    // SAFETY: a controller handle the caller gives up.
    let cc = unsafe { Box::from_raw(c) };
    ATTACHED.lock().retain(|&(_, p)| p != c as usize);
    let qps: Vec<usize> = std::mem::take(&mut *cc.qpairs.lock());
    for q in qps {
        // SAFETY: queue pairs still registered with the controller were never freed.
        cc.inner.free_io_qpair(unsafe { Box::from_raw(q as *mut IoQpair) });
    }
    let CCtrlr { inner, .. } = *cc;
    inner.detach();
}

/// Detaches and frees the controller (its queue pairs too).
#[no_mangle]
pub extern "C" fn spdk_nvme_detach(ctrlr: *mut spdk_nvme_ctrlr) -> c_int {
    guard(-libc::EFAULT, || {
        if ctrlr.is_null() {
            return -libc::EINVAL;
        }
        detach_now(ctrlr.cast());
        0
    })
}

struct DetachCtx {
    ctrlrs: Vec<usize>,
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_detach_async(ctrlr: *mut spdk_nvme_ctrlr, detach_ctx: *mut *mut spdk_nvme_detach_ctx) -> c_int {
    guard(-libc::EFAULT, || {
        if ctrlr.is_null() || detach_ctx.is_null() {
            return -libc::EINVAL;
        }
        // SAFETY: the caller's slot: NULL or a context from an earlier call.
        let slot = unsafe { &mut *detach_ctx };
        if slot.is_null() {
            *slot = Box::into_raw(Box::new(DetachCtx { ctrlrs: Vec::new() })).cast();
        }
        // SAFETY: our context.
        unsafe { (*(*slot as *mut DetachCtx)).ctrlrs.push(ctrlr as usize) };
        0
    })
}

/// Finishes the detaches gathered in `detach_ctx`: 0 when done (context freed).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_detach_poll_async(detach_ctx: *mut spdk_nvme_detach_ctx) -> c_int {
    guard(-libc::EFAULT, || {
        if detach_ctx.is_null() {
            return -libc::EINVAL;
        }
        // SAFETY: created by spdk_nvme_detach_async; consumed here.
        let d = unsafe { Box::from_raw(detach_ctx as *mut DetachCtx) };
        for c in d.ctrlrs {
            detach_now(c as *mut CCtrlr);
        }
        0
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_detach_poll(detach_ctx: *mut spdk_nvme_detach_ctx) {
    // SAFETY: forwarding the caller's context.
    unsafe { spdk_nvme_detach_poll_async(detach_ctx) };
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_get_data(ctrlr: *mut spdk_nvme_ctrlr) -> *const spdk_nvme_ctrlr_data {
    guard(std::ptr::null(), || c_ctrlr(ctrlr).map_or(std::ptr::null(), |c| c.inner.cdata_ptr().cast()))
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_get_regs_cap(ctrlr: *mut spdk_nvme_ctrlr) -> spdk_nvme_cap_register {
    spdk_nvme_cap_register { raw: c_ctrlr(ctrlr).map_or(0, |c| c.inner.cap) }
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_get_regs_vs(ctrlr: *mut spdk_nvme_ctrlr) -> spdk_nvme_vs_register {
    spdk_nvme_vs_register { raw: c_ctrlr(ctrlr).map_or(0, |c| c.inner.vs) }
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_get_regs_csts(ctrlr: *mut spdk_nvme_ctrlr) -> spdk_nvme_csts_register {
    spdk_nvme_csts_register { raw: c_ctrlr(ctrlr).map_or(u32::MAX, |c| c.inner.csts()) }
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_get_transport_id(ctrlr: *mut spdk_nvme_ctrlr) -> *const spdk_nvme_transport_id {
    c_ctrlr(ctrlr).map_or(std::ptr::null(), |c| c.trid.get())
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_get_num_ns(ctrlr: *mut spdk_nvme_ctrlr) -> u32 {
    c_ctrlr(ctrlr).map_or(0, |c| c.inner.num_ns())
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_is_active_ns(ctrlr: *mut spdk_nvme_ctrlr, nsid: u32) -> bool {
    c_ctrlr(ctrlr).and_then(|c| c.inner.ns(nsid)).is_some_and(|n| n.active)
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_get_next_active_ns(ctrlr: *mut spdk_nvme_ctrlr, prev_nsid: u32) -> u32 {
    c_ctrlr(ctrlr).and_then(|c| c.inner.namespaces.iter().find(|n| n.id > prev_nsid && n.active).map(|n| n.id)).unwrap_or(0)
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_get_first_active_ns(ctrlr: *mut spdk_nvme_ctrlr) -> u32 {
    spdk_nvme_ctrlr_get_next_active_ns(ctrlr, 0)
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_get_ns(ctrlr: *mut spdk_nvme_ctrlr, ns_id: u32) -> *mut spdk_nvme_ns {
    c_ctrlr(ctrlr)
        .and_then(|c| c.ns.get(ns_id.checked_sub(1)? as usize))
        .map_or(std::ptr::null_mut(), |n| n as *const CNs as *mut spdk_nvme_ns)
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_get_max_xfer_size(ctrlr: *mut spdk_nvme_ctrlr) -> u32 {
    c_ctrlr(ctrlr).map_or(0, |c| c.inner.max_xfer_size)
}

/// Maps the controller memory buffer for I/O data; NULL if there is none.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_ctrlr_map_cmb(ctrlr: *mut spdk_nvme_ctrlr, size: *mut usize) -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        let Some(c) = c_ctrlr(ctrlr) else { return std::ptr::null_mut() };
        match c.inner.map_cmb() {
            Ok((p, len)) => {
                // SAFETY: NULL or the caller's size_t.
                if let Some(s) = unsafe { size.as_mut() } {
                    *s = len;
                }
                p.cast()
            }
            Err(e) => {
                crate::log::info("nvme", format_args!("spdk_nvme_ctrlr_map_cmb: {e}\n"));
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_unmap_cmb(ctrlr: *mut spdk_nvme_ctrlr) {
    guard((), || {
        if let Some(c) = c_ctrlr(ctrlr) {
            c.inner.unmap_cmb()
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_get_flags(ctrlr: *mut spdk_nvme_ctrlr) -> u64 {
    let _ = ctrlr;
    0
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_process_admin_completions(ctrlr: *mut spdk_nvme_ctrlr) -> i32 {
    guard(-libc::EFAULT, || match c_ctrlr(ctrlr) {
        Some(c) if c.inner.is_failed() => -libc::ENXIO,
        Some(c) => c.inner.process_admin_completions() as i32,
        None => -libc::EINVAL,
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_register_aer_callback(ctrlr: *mut spdk_nvme_ctrlr, aer_cb_fn: spdk_nvme_aer_cb, aer_cb_arg: *mut c_void) {
    guard((), || {
        if let Some(c) = c_ctrlr(ctrlr) {
            // SAFETY: same ABI; the caller vouches for its callback.
            let cb = aer_cb_fn.map(|f| unsafe { std::mem::transmute::<unsafe extern "C" fn(*mut c_void, *const spdk_nvme_cpl), ctrlr::AerCb>(f) });
            c.inner.register_aer(cb, aer_cb_arg);
        }
    })
}

/// Gives a failed fabrics controller another path (same transport type and
/// subsystem); the next reset connects there (failover).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_ctrlr_set_trid(ctrlr: *mut spdk_nvme_ctrlr, trid: *mut spdk_nvme_transport_id) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's struct or NULL.
        let (Some(c), Some(t)) = (c_ctrlr(ctrlr), unsafe { trid.as_ref() }) else { return -libc::EINVAL };
        let new = trid_from_c(t);
        if !c.inner.is_fabrics() {
            return -libc::EINVAL;
        }
        match c.inner.set_trid(&new) {
            Ok(()) => {
                let key = fabric_key(&c.inner.fabric_trid().unwrap_or_default());
                if let Some(e) = ATTACHED.lock().iter_mut().find(|(_, p)| *p == ctrlr as usize) {
                    e.0 = key;
                }
                // The application reads this struct only between calls on its thread;
                // the controller is failed, so nothing else uses it now.
                trid_to_c(&c.inner.fabric_trid().unwrap_or_default(), c.trid.get());
                0
            }
            Err(e) => {
                crate::log::error(format_args!("spdk_nvme_ctrlr_set_trid: {e}\n"));
                -e.errno
            }
        }
    })
}

/// Resets the controller; outstanding commands complete as aborted; queue pairs work afterwards.
#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_reset(ctrlr: *mut spdk_nvme_ctrlr) -> c_int {
    guard(-libc::EFAULT, || match c_ctrlr(ctrlr) {
        Some(c) => c.inner.reset().map_or_else(
            |e| {
                crate::log::error(format_args!("spdk_nvme_ctrlr_reset: {e}\n"));
                -e.errno.abs()
            },
            |_| 0,
        ),
        None => -libc::EINVAL,
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_fail(ctrlr: *mut spdk_nvme_ctrlr) {
    guard((), || {
        if let Some(c) = c_ctrlr(ctrlr) {
            c.inner.fail()
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_is_failed(ctrlr: *mut spdk_nvme_ctrlr) -> bool {
    c_ctrlr(ctrlr).is_some_and(|c| c.inner.is_failed())
}

/// Calls `cb_fn(cb_arg, ctrlr, qpair, cid)` once for each command outstanding
/// longer than its timeout (`qpair` NULL for admin commands); `cb_fn` NULL turns it off.
#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_register_timeout_callback(
    ctrlr: *mut spdk_nvme_ctrlr,
    timeout_io_us: u64,
    timeout_admin_us: u64,
    cb_fn: spdk_nvme_timeout_cb,
    cb_arg: *mut c_void,
) {
    guard((), || {
        let Some(c) = c_ctrlr(ctrlr) else { return };
        let handle = ctrlr as usize;
        let arg = cb_arg as usize;
        let cb: Option<ctrlr::TimeoutFn> = cb_fn.map(|f| {
            Box::new(move |qp: Option<&IoQpair>, cid: u16| {
                let q = qp.map_or(std::ptr::null_mut(), |q| q as *const IoQpair as *mut spdk_nvme_qpair);
                // SAFETY: the application's timeout callback with its controller and queue pair.
                unsafe { f(arg as *mut c_void, handle as *mut spdk_nvme_ctrlr, q, cid) };
            }) as ctrlr::TimeoutFn
        });
        c.inner.set_timeout(timeout_io_us, timeout_admin_us, cb);
    })
}

/// A DMA copy of a caller's buffer for admin commands that take any memory.
struct Bounce {
    user: *mut u8,
    dma: *mut u8,
    len: usize,
    to_host: bool,
    cb: Option<CmdCb>,
    arg: *mut c_void,
}

extern "C" fn bounce_done(arg: *mut c_void, cpl: *const Cpl) {
    // SAFETY: the Bounce leaked by admin_with_buffer; completed once.
    let b = unsafe { Box::from_raw(arg as *mut Bounce) };
    if b.to_host && !b.user.is_null() {
        // SAFETY: both buffers hold len bytes.
        unsafe { std::ptr::copy_nonoverlapping(b.dma, b.user, b.len) };
    }
    mem::free(b.dma);
    if let Some(cb) = b.cb {
        cb(b.arg, cpl);
    }
}

fn admin_with_buffer(c: &Ctrlr, cmd: Cmd, buf: *mut c_void, len: usize, cb: Option<CmdCb>, arg: *mut c_void) -> c_int {
    if buf.is_null() || len == 0 {
        return c.admin_submit(cmd, Payload::None, cb, arg).map_or_else(|e| -e.errno(), |_| 0);
    }
    let Some(dma) = mem::alloc(len, 4096) else { return -libc::ENOMEM };
    let to_host = spec::data_transfer(cmd.opc()) & 2 != 0;
    // SAFETY: both buffers hold len bytes.
    unsafe { std::ptr::copy_nonoverlapping(buf as *const u8, dma, len) };
    let b = Box::into_raw(Box::new(Bounce { user: buf.cast(), dma, len, to_host, cb, arg }));
    match c.admin_submit(cmd, Payload::Contig { buf: dma, len }, Some(bounce_done), b.cast()) {
        Ok(_) => 0,
        Err(e) => {
            mem::free(dma);
            // SAFETY: not submitted; we still own it.
            drop(unsafe { Box::from_raw(b) });
            -e.errno()
        }
    }
}

/// Sends a raw admin command; `buf` must be DMA-safe memory (as in SPDK).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_ctrlr_cmd_admin_raw(
    ctrlr: *mut spdk_nvme_ctrlr,
    cmd: *mut spdk_nvme_cmd,
    buf: *mut c_void,
    len: u32,
    cb_fn: spdk_nvme_cmd_cb,
    cb_arg: *mut c_void,
) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's command.
        let (Some(c), Some(cmd)) = (c_ctrlr(ctrlr), unsafe { cmd.as_ref() }) else { return -libc::EINVAL };
        let payload = if buf.is_null() || len == 0 { Payload::None } else { Payload::Contig { buf: buf.cast(), len: len as usize } };
        c.inner.admin_submit(*cmd, payload, cmd_cb(cb_fn), cb_arg).map_or_else(|e| -e.errno(), |_| 0)
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_cmd_get_log_page(
    ctrlr: *mut spdk_nvme_ctrlr,
    log_page: u8,
    nsid: u32,
    payload: *mut c_void,
    payload_size: u32,
    offset: u64,
    cb_fn: spdk_nvme_cmd_cb,
    cb_arg: *mut c_void,
) -> c_int {
    guard(-libc::EFAULT, || {
        let Some(c) = c_ctrlr(ctrlr) else { return -libc::EINVAL };
        if payload_size == 0 || payload_size % 4 != 0 || offset % 4 != 0 || payload.is_null() {
            return -libc::EINVAL;
        }
        let numd = payload_size / 4 - 1;
        let mut cmd = Cmd::new(admin::GET_LOG_PAGE, nsid);
        cmd.cdw10 = log_page as u32 | ((numd & 0xffff) << 16);
        cmd.cdw11 = numd >> 16;
        cmd.cdw12 = offset as u32;
        cmd.cdw13 = (offset >> 32) as u32;
        admin_with_buffer(&c.inner, cmd, payload, payload_size as usize, cmd_cb(cb_fn), cb_arg)
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_cmd_get_feature(
    ctrlr: *mut spdk_nvme_ctrlr,
    feature: u8,
    cdw11: u32,
    payload: *mut c_void,
    payload_size: u32,
    cb_fn: spdk_nvme_cmd_cb,
    cb_arg: *mut c_void,
) -> c_int {
    guard(-libc::EFAULT, || {
        let Some(c) = c_ctrlr(ctrlr) else { return -libc::EINVAL };
        let mut cmd = Cmd::new(admin::GET_FEATURES, 0);
        cmd.cdw10 = feature as u32;
        cmd.cdw11 = cdw11;
        admin_with_buffer(&c.inner, cmd, payload, payload_size as usize, cmd_cb(cb_fn), cb_arg)
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_cmd_set_feature(
    ctrlr: *mut spdk_nvme_ctrlr,
    feature: u8,
    cdw11: u32,
    cdw12: u32,
    payload: *mut c_void,
    payload_size: u32,
    cb_fn: spdk_nvme_cmd_cb,
    cb_arg: *mut c_void,
) -> c_int {
    guard(-libc::EFAULT, || {
        let Some(c) = c_ctrlr(ctrlr) else { return -libc::EINVAL };
        let mut cmd = Cmd::new(admin::SET_FEATURES, 0);
        cmd.cdw10 = feature as u32;
        cmd.cdw11 = cdw11;
        cmd.cdw12 = cdw12;
        admin_with_buffer(&c.inner, cmd, payload, payload_size as usize, cmd_cb(cb_fn), cb_arg)
    })
}

/// Asks the controller to abort command `cid` of `qpair` (NULL: the admin queue).
#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_cmd_abort(ctrlr: *mut spdk_nvme_ctrlr, qpair: *mut spdk_nvme_qpair, cid: u16, cb_fn: spdk_nvme_cmd_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || {
        let Some(c) = c_ctrlr(ctrlr) else { return -libc::EINVAL };
        let sqid = c_qpair(qpair).map_or(0, |q| q.id());
        let mut cmd = Cmd::new(admin::ABORT, 0);
        cmd.cdw10 = ((cid as u32) << 16) | sqid as u32;
        c.inner.admin_submit(cmd, Payload::None, cmd_cb(cb_fn), cb_arg).map_or_else(|e| -e.errno(), |_| 0)
    })
}

fn default_qpair_opts(c: &CCtrlr) -> spdk_nvme_io_qpair_opts {
    // SAFETY: all-zero is valid for every field (the qprio newtype included).
    let mut o: spdk_nvme_io_qpair_opts = unsafe { std::mem::zeroed() };
    o.io_queue_size = c.opts.io_queue_size;
    o.io_queue_requests = c.opts.io_queue_requests;
    o.opts_size = std::mem::size_of::<spdk_nvme_io_qpair_opts>();
    o
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_ctrlr_get_default_io_qpair_opts(ctrlr: *mut spdk_nvme_ctrlr, opts: *mut spdk_nvme_io_qpair_opts, opts_size: usize) {
    guard((), || {
        let Some(c) = c_ctrlr(ctrlr) else { return };
        if opts.is_null() || opts_size == 0 {
            return;
        }
        let mut d = default_qpair_opts(c);
        d.opts_size = opts_size;
        let n = opts_size.min(std::mem::size_of::<spdk_nvme_io_qpair_opts>());
        // SAFETY: the caller's struct has at least opts_size bytes.
        unsafe { std::ptr::copy_nonoverlapping(&d as *const _ as *const u8, opts as *mut u8, n) };
    })
}

/// A new I/O queue pair for the calling thread (`opts` NULL: defaults).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_ctrlr_alloc_io_qpair(ctrlr: *mut spdk_nvme_ctrlr, user_opts: *const spdk_nvme_io_qpair_opts, opts_size: usize) -> *mut spdk_nvme_qpair {
    guard(std::ptr::null_mut(), || {
        let Some(c) = c_ctrlr(ctrlr) else { return std::ptr::null_mut() };
        let mut o = default_qpair_opts(c);
        if !user_opts.is_null() {
            let n = opts_size.min(std::mem::size_of::<spdk_nvme_io_qpair_opts>());
            // SAFETY: the caller's struct of at least opts_size bytes over our defaults.
            unsafe { std::ptr::copy_nonoverlapping(user_opts as *const u8, &mut o as *mut _ as *mut u8, n) };
        }
        let (size, requests, qprio) = (o.io_queue_size, o.io_queue_requests, o.qprio.0 as u8);
        match c.inner.alloc_io_qpair_with(size, requests, qprio) {
            Ok(q) => {
                let p = Box::into_raw(q);
                c.qpairs.lock().push(p as usize);
                p.cast()
            }
            Err(e) => {
                crate::log::error(format_args!("spdk_nvme_ctrlr_alloc_io_qpair: {e}\n"));
                std::ptr::null_mut()
            }
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ctrlr_free_io_qpair(qpair: *mut spdk_nvme_qpair) -> c_int {
    guard(-libc::EFAULT, || {
        let Some(q) = c_qpair(qpair) else { return -libc::EINVAL };
        let c = q.ctrlr();
        let owner = ATTACHED.lock().iter().find(|&&(_, p)| {
            // SAFETY: registered controllers are live.
            std::ptr::eq(&*unsafe { &*(p as *const CCtrlr) }.inner as *const Ctrlr, c)
        }).map(|&(_, p)| p);
        if let Some(p) = owner {
            // SAFETY: as above.
            unsafe { &*(p as *const CCtrlr) }.qpairs.lock().retain(|&x| x != qpair as usize);
        }
        // SAFETY: created by Box::into_raw in alloc; the caller gives it up.
        c.free_io_qpair(unsafe { Box::from_raw(qpair as *mut IoQpair) });
        0
    })
}

/// Reaps up to `max_completions` (0: all) and calls their callbacks; negative errno on failure.
#[no_mangle]
pub extern "C" fn spdk_nvme_qpair_process_completions(qpair: *mut spdk_nvme_qpair, max_completions: u32) -> i32 {
    guard(-libc::EFAULT, || match c_qpair(qpair) {
        Some(q) => q.process_completions(max_completions).map_or_else(|e| -e, |n| n as i32),
        None => -libc::EINVAL,
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_qpair_get_failure_reason(qpair: *mut spdk_nvme_qpair) -> spdk_nvme_qp_failure_reason {
    match c_qpair(qpair) {
        Some(q) if q.is_failed() || q.ctrlr().is_failed() => spdk_nvme_qp_failure_reason::from_raw(1).unwrap_or(spdk_nvme_qp_failure_reason::from_raw(0).expect("NONE")),
        _ => spdk_nvme_qp_failure_reason::from_raw(0).expect("NONE"),
    }
}

fn rw(
    ns: *mut spdk_nvme_ns,
    qpair: *mut spdk_nvme_qpair,
    opc: u8,
    payload: Payload,
    md: *mut c_void,
    lba: u64,
    lba_count: u32,
    cb: spdk_nvme_cmd_cb,
    arg: *mut c_void,
    io_flags: u32,
) -> c_int {
    let (Some((_, n)), Some(q)) = (c_ns(ns), c_qpair(qpair)) else { return -libc::EINVAL };
    if let Payload::Contig { buf, .. } = payload {
        if buf.is_null() || (buf as usize) & 3 != 0 {
            return -libc::EINVAL;
        }
    }
    q.ns_rw(n, opc, lba, lba_count, payload, md.cast(), io_flags, cmd_cb(cb), arg).map_or_else(|e: SubmitError| -e.errno(), |_| 0)
}

fn contig(ns: *mut spdk_nvme_ns, buf: *mut c_void, lba_count: u32) -> Payload {
    let len = c_ns(ns).map_or(0, |(_, n)| n.sector_size as usize + if n.extended_lba { n.md_size as usize } else { 0 }) * lba_count as usize;
    Payload::Contig { buf: buf.cast(), len }
}

fn sgl(ns: *mut spdk_nvme_ns, lba_count: u32, reset: spdk_nvme_req_reset_sgl_cb, next: spdk_nvme_req_next_sge_cb, arg: *mut c_void) -> Option<Payload> {
    let (_, n) = c_ns(ns)?;
    // SAFETY: same ABI; the caller vouches for its callbacks.
    let (reset, next) = unsafe {
        (
            std::mem::transmute::<unsafe extern "C" fn(*mut c_void, u32), ResetSglCb>(reset?),
            std::mem::transmute::<unsafe extern "C" fn(*mut c_void, *mut *mut c_void, *mut u32) -> c_int, NextSgeCb>(next?),
        )
    };
    Some(Payload::Sgl { reset, next, arg, offset: 0, len: n.sector_size as usize * lba_count as usize })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_cmd_read(ns: *mut spdk_nvme_ns, qpair: *mut spdk_nvme_qpair, payload: *mut c_void, lba: u64, lba_count: u32, cb_fn: spdk_nvme_cmd_cb, cb_arg: *mut c_void, io_flags: u32) -> c_int {
    guard(-libc::EFAULT, || rw(ns, qpair, spec::nvm::READ, contig(ns, payload, lba_count), std::ptr::null_mut(), lba, lba_count, cb_fn, cb_arg, io_flags))
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_cmd_write(ns: *mut spdk_nvme_ns, qpair: *mut spdk_nvme_qpair, payload: *mut c_void, lba: u64, lba_count: u32, cb_fn: spdk_nvme_cmd_cb, cb_arg: *mut c_void, io_flags: u32) -> c_int {
    guard(-libc::EFAULT, || rw(ns, qpair, spec::nvm::WRITE, contig(ns, payload, lba_count), std::ptr::null_mut(), lba, lba_count, cb_fn, cb_arg, io_flags))
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_cmd_compare(ns: *mut spdk_nvme_ns, qpair: *mut spdk_nvme_qpair, payload: *mut c_void, lba: u64, lba_count: u32, cb_fn: spdk_nvme_cmd_cb, cb_arg: *mut c_void, io_flags: u32) -> c_int {
    guard(-libc::EFAULT, || rw(ns, qpair, spec::nvm::COMPARE, contig(ns, payload, lba_count), std::ptr::null_mut(), lba, lba_count, cb_fn, cb_arg, io_flags))
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_cmd_read_with_md(
    ns: *mut spdk_nvme_ns,
    qpair: *mut spdk_nvme_qpair,
    payload: *mut c_void,
    metadata: *mut c_void,
    lba: u64,
    lba_count: u32,
    cb_fn: spdk_nvme_cmd_cb,
    cb_arg: *mut c_void,
    io_flags: u32,
    apptag_mask: u16,
    apptag: u16,
) -> c_int {
    let _ = (apptag_mask, apptag);
    guard(-libc::EFAULT, || rw(ns, qpair, spec::nvm::READ, contig(ns, payload, lba_count), metadata, lba, lba_count, cb_fn, cb_arg, io_flags))
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_cmd_write_with_md(
    ns: *mut spdk_nvme_ns,
    qpair: *mut spdk_nvme_qpair,
    payload: *mut c_void,
    metadata: *mut c_void,
    lba: u64,
    lba_count: u32,
    cb_fn: spdk_nvme_cmd_cb,
    cb_arg: *mut c_void,
    io_flags: u32,
    apptag_mask: u16,
    apptag: u16,
) -> c_int {
    let _ = (apptag_mask, apptag);
    guard(-libc::EFAULT, || rw(ns, qpair, spec::nvm::WRITE, contig(ns, payload, lba_count), metadata, lba, lba_count, cb_fn, cb_arg, io_flags))
}

/// A scattered read or write (readv, writev and their _ext forms).
#[allow(clippy::too_many_arguments)]
fn rwv(
    ns: *mut spdk_nvme_ns,
    qpair: *mut spdk_nvme_qpair,
    opc: u8,
    lba: u64,
    lba_count: u32,
    cb_fn: spdk_nvme_cmd_cb,
    cb_arg: *mut c_void,
    io_flags: u32,
    md: *mut c_void,
    reset_sgl_fn: spdk_nvme_req_reset_sgl_cb,
    next_sge_fn: spdk_nvme_req_next_sge_cb,
) -> c_int {
    match sgl(ns, lba_count, reset_sgl_fn, next_sge_fn, cb_arg) {
        Some(p) => rw(ns, qpair, opc, p, md, lba, lba_count, cb_fn, cb_arg, io_flags),
        None => -libc::EINVAL,
    }
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_cmd_readv(
    ns: *mut spdk_nvme_ns,
    qpair: *mut spdk_nvme_qpair,
    lba: u64,
    lba_count: u32,
    cb_fn: spdk_nvme_cmd_cb,
    cb_arg: *mut c_void,
    io_flags: u32,
    reset_sgl_fn: spdk_nvme_req_reset_sgl_cb,
    next_sge_fn: spdk_nvme_req_next_sge_cb,
) -> c_int {
    guard(-libc::EFAULT, || rwv(ns, qpair, spec::nvm::READ, lba, lba_count, cb_fn, cb_arg, io_flags, std::ptr::null_mut(), reset_sgl_fn, next_sge_fn))
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_cmd_writev(
    ns: *mut spdk_nvme_ns,
    qpair: *mut spdk_nvme_qpair,
    lba: u64,
    lba_count: u32,
    cb_fn: spdk_nvme_cmd_cb,
    cb_arg: *mut c_void,
    io_flags: u32,
    reset_sgl_fn: spdk_nvme_req_reset_sgl_cb,
    next_sge_fn: spdk_nvme_req_next_sge_cb,
) -> c_int {
    guard(-libc::EFAULT, || rwv(ns, qpair, spec::nvm::WRITE, lba, lba_count, cb_fn, cb_arg, io_flags, std::ptr::null_mut(), reset_sgl_fn, next_sge_fn))
}

unsafe fn ext_opts<'a>(opts: *mut spdk_nvme_ns_cmd_ext_io_opts) -> (u32, *mut c_void) {
    // SAFETY: NULL or the caller's struct of `size` bytes; fields read only inside it.
    match unsafe { opts.as_ref() } {
        Some(o) if o.size >= 32 => (o.io_flags, if o.size >= 40 { o.metadata } else { std::ptr::null_mut() }),
        _ => (0, std::ptr::null_mut()),
    }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_ns_cmd_readv_ext(
    ns: *mut spdk_nvme_ns,
    qpair: *mut spdk_nvme_qpair,
    lba: u64,
    lba_count: u32,
    cb_fn: spdk_nvme_cmd_cb,
    cb_arg: *mut c_void,
    reset_sgl_fn: spdk_nvme_req_reset_sgl_cb,
    next_sge_fn: spdk_nvme_req_next_sge_cb,
    opts: *mut spdk_nvme_ns_cmd_ext_io_opts,
) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's options or NULL.
        let (flags, md) = unsafe { ext_opts(opts) };
        rwv(ns, qpair, spec::nvm::READ, lba, lba_count, cb_fn, cb_arg, flags, md, reset_sgl_fn, next_sge_fn)
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_ns_cmd_writev_ext(
    ns: *mut spdk_nvme_ns,
    qpair: *mut spdk_nvme_qpair,
    lba: u64,
    lba_count: u32,
    cb_fn: spdk_nvme_cmd_cb,
    cb_arg: *mut c_void,
    reset_sgl_fn: spdk_nvme_req_reset_sgl_cb,
    next_sge_fn: spdk_nvme_req_next_sge_cb,
    opts: *mut spdk_nvme_ns_cmd_ext_io_opts,
) -> c_int {
    guard(-libc::EFAULT, || {
        // SAFETY: the caller's options or NULL.
        let (flags, md) = unsafe { ext_opts(opts) };
        rwv(ns, qpair, spec::nvm::WRITE, lba, lba_count, cb_fn, cb_arg, flags, md, reset_sgl_fn, next_sge_fn)
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_cmd_write_zeroes(ns: *mut spdk_nvme_ns, qpair: *mut spdk_nvme_qpair, lba: u64, lba_count: u32, cb_fn: spdk_nvme_cmd_cb, cb_arg: *mut c_void, io_flags: u32) -> c_int {
    guard(-libc::EFAULT, || rw(ns, qpair, spec::nvm::WRITE_ZEROES, Payload::None, std::ptr::null_mut(), lba, lba_count, cb_fn, cb_arg, io_flags))
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_cmd_flush(ns: *mut spdk_nvme_ns, qpair: *mut spdk_nvme_qpair, cb_fn: spdk_nvme_cmd_cb, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EFAULT, || {
        let (Some((_, n)), Some(q)) = (c_ns(ns), c_qpair(qpair)) else { return -libc::EINVAL };
        q.submit_raw(Cmd::new(spec::nvm::FLUSH, n.id), Payload::None, cmd_cb(cb_fn), cb_arg).map_or_else(|e| -e.errno(), |_| 0)
    })
}

struct DsmBounce {
    dma: *mut u8,
    cb: Option<CmdCb>,
    arg: *mut c_void,
}

extern "C" fn dsm_done(arg: *mut c_void, cpl: *const Cpl) {
    // SAFETY: the DsmBounce leaked by dataset_management; completed once.
    let b = unsafe { Box::from_raw(arg as *mut DsmBounce) };
    mem::free(b.dma);
    if let Some(cb) = b.cb {
        cb(b.arg, cpl);
    }
}

/// Dataset management (`type_` = attribute bits, e.g. deallocate) over `num_ranges` ranges (copied).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_ns_cmd_dataset_management(
    ns: *mut spdk_nvme_ns,
    qpair: *mut spdk_nvme_qpair,
    type_: u32,
    ranges: *const spdk_nvme_dsm_range,
    num_ranges: u16,
    cb_fn: spdk_nvme_cmd_cb,
    cb_arg: *mut c_void,
) -> c_int {
    guard(-libc::EFAULT, || {
        let (Some((_, n)), Some(q)) = (c_ns(ns), c_qpair(qpair)) else { return -libc::EINVAL };
        if ranges.is_null() || num_ranges == 0 || num_ranges > 256 {
            return -libc::EINVAL;
        }
        let len = num_ranges as usize * 16;
        let Some(dma) = mem::alloc(len, 4096) else { return -libc::ENOMEM };
        // SAFETY: the caller's array of num_ranges 16-byte ranges.
        unsafe { std::ptr::copy_nonoverlapping(ranges as *const u8, dma, len) };
        let mut cmd = Cmd::new(spec::nvm::DATASET_MANAGEMENT, n.id);
        cmd.cdw10 = num_ranges as u32 - 1;
        cmd.cdw11 = type_;
        let b = Box::into_raw(Box::new(DsmBounce { dma, cb: cmd_cb(cb_fn), arg: cb_arg }));
        match q.submit_raw(cmd, Payload::Contig { buf: dma, len }, Some(dsm_done), b.cast()) {
            Ok(()) => 0,
            Err(e) => {
                mem::free(dma);
                // SAFETY: not submitted; we still own it.
                drop(unsafe { Box::from_raw(b) });
                -e.errno()
            }
        }
    })
}

/// Sends a raw I/O command on `qpair`; `buf` must be DMA-safe memory.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_ctrlr_cmd_io_raw(
    ctrlr: *mut spdk_nvme_ctrlr,
    qpair: *mut spdk_nvme_qpair,
    cmd: *mut spdk_nvme_cmd,
    buf: *mut c_void,
    len: u32,
    cb_fn: spdk_nvme_cmd_cb,
    cb_arg: *mut c_void,
) -> c_int {
    // SAFETY: forwarding the caller's arguments.
    unsafe { spdk_nvme_ctrlr_cmd_io_raw_with_md(ctrlr, qpair, cmd, buf, len, std::ptr::null_mut(), cb_fn, cb_arg) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_ctrlr_cmd_io_raw_with_md(
    ctrlr: *mut spdk_nvme_ctrlr,
    qpair: *mut spdk_nvme_qpair,
    cmd: *mut spdk_nvme_cmd,
    buf: *mut c_void,
    len: u32,
    md_buf: *mut c_void,
    cb_fn: spdk_nvme_cmd_cb,
    cb_arg: *mut c_void,
) -> c_int {
    guard(-libc::EFAULT, || {
        let _ = ctrlr;
        // SAFETY: the caller's command.
        let (Some(q), Some(cmd)) = (c_qpair(qpair), unsafe { cmd.as_ref() }) else { return -libc::EINVAL };
        let mut c = *cmd;
        if !md_buf.is_null() {
            c.mptr = crate::env::memmap::vtophys(md_buf as u64, None);
            if c.mptr == crate::env::memmap::VTOPHYS_ERROR {
                return -libc::EINVAL;
            }
        }
        let payload = if buf.is_null() || len == 0 { Payload::None } else { Payload::Contig { buf: buf.cast(), len: len as usize } };
        q.submit_raw(c, payload, cmd_cb(cb_fn), cb_arg).map_or_else(|e| -e.errno(), |_| 0)
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_get_id(ns: *mut spdk_nvme_ns) -> u32 {
    c_ns(ns).map_or(0, |(_, n)| n.id)
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_get_ctrlr(ns: *mut spdk_nvme_ns) -> *mut spdk_nvme_ctrlr {
    c_ns(ns).map_or(std::ptr::null_mut(), |(c, _)| c as *const CCtrlr as *mut spdk_nvme_ctrlr)
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_is_active(ns: *mut spdk_nvme_ns) -> bool {
    c_ns(ns).is_some_and(|(_, n)| n.active)
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_get_sector_size(ns: *mut spdk_nvme_ns) -> u32 {
    c_ns(ns).map_or(0, |(_, n)| n.sector_size)
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_get_extended_sector_size(ns: *mut spdk_nvme_ns) -> u32 {
    c_ns(ns).map_or(0, |(_, n)| n.sector_size + if n.extended_lba { n.md_size } else { 0 })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_get_num_sectors(ns: *mut spdk_nvme_ns) -> u64 {
    c_ns(ns).map_or(0, |(_, n)| n.num_sectors)
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_get_size(ns: *mut spdk_nvme_ns) -> u64 {
    c_ns(ns).map_or(0, |(_, n)| n.num_sectors * n.sector_size as u64)
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_get_md_size(ns: *mut spdk_nvme_ns) -> u32 {
    c_ns(ns).map_or(0, |(_, n)| n.md_size)
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_supports_extended_lba(ns: *mut spdk_nvme_ns) -> bool {
    c_ns(ns).is_some_and(|(_, n)| n.extended_lba)
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_get_optimal_io_boundary(ns: *mut spdk_nvme_ns) -> u32 {
    c_ns(ns).map_or(0, |(_, n)| n.sectors_per_stripe)
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_get_max_io_xfer_size(ns: *mut spdk_nvme_ns) -> u32 {
    c_ns(ns).map_or(0, |(c, _)| c.inner.max_xfer_size)
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_get_pi_type(ns: *mut spdk_nvme_ns) -> spdk_nvme_pi_type {
    spdk_nvme_pi_type(c_ns(ns).map_or(0, |(_, n)| n.pi_type as u32))
}

/// The NVM command set (the only one this driver speaks).
#[no_mangle]
pub extern "C" fn spdk_nvme_ns_get_csi(ns: *mut spdk_nvme_ns) -> spdk_nvme_csi {
    let _ = ns;
    spdk_nvme_csi(0)
}

#[no_mangle]
pub extern "C" fn spdk_nvme_ns_get_data(ns: *mut spdk_nvme_ns) -> *const spdk_nvme_ns_data {
    c_ns(ns).map_or(std::ptr::null(), |(_, n)| n.data as *const spdk_nvme_ns_data)
}

/// `SPDK_NVME_NS_*` flags from the identify data.
#[no_mangle]
pub extern "C" fn spdk_nvme_ns_get_flags(ns: *mut spdk_nvme_ns) -> u32 {
    c_ns(ns).map_or(0, |(c, n)| {
        let cd = c.inner.cdata();
        let oncs = u16::from_le_bytes([cd[spec::ident::CTRLR_ONCS], cd[spec::ident::CTRLR_ONCS + 1]]);
        let mut f = 0u32;
        if oncs & (1 << 2) != 0 {
            f |= 1 << 0; // DEALLOCATE
        }
        if cd[spec::ident::CTRLR_VWC] & 1 != 0 {
            f |= 1 << 1; // FLUSH
        }
        if oncs & (1 << 5) != 0 {
            f |= 1 << 2; // RESERVATION
        }
        if oncs & (1 << 3) != 0 {
            f |= 1 << 3; // WRITE_ZEROES
        }
        if n.pi_type != 0 {
            f |= 1 << 4; // DPS
        }
        if n.extended_lba {
            f |= 1 << 5; // EXTENDED_LBA
        }
        if oncs & (1 << 1) != 0 {
            f |= 1 << 6; // WRITE_UNCORRECTABLE
        }
        if oncs & (1 << 0) != 0 {
            f |= 1 << 7; // COMPARE
        }
        f
    })
}

static STATUS_GENERIC: &[(u8, &CStr)] = &[
    (0x00, c"SUCCESS"),
    (0x01, c"INVALID OPCODE"),
    (0x02, c"INVALID FIELD"),
    (0x03, c"COMMAND ID CONFLICT"),
    (0x04, c"DATA TRANSFER ERROR"),
    (0x05, c"ABORTED - POWER LOSS"),
    (0x06, c"INTERNAL DEVICE ERROR"),
    (0x07, c"ABORTED - BY REQUEST"),
    (0x08, c"ABORTED - SQ DELETION"),
    (0x09, c"ABORTED - FAILED FUSED"),
    (0x0a, c"ABORTED - MISSING FUSED"),
    (0x0b, c"INVALID NAMESPACE OR FORMAT"),
    (0x0c, c"COMMAND SEQUENCE ERROR"),
    (0x0d, c"INVALID SGL SEGMENT DESCRIPTOR"),
    (0x0e, c"INVALID NUMBER OF SGL DESCRIPTORS"),
    (0x0f, c"DATA SGL LENGTH INVALID"),
    (0x10, c"METADATA SGL LENGTH INVALID"),
    (0x11, c"SGL DESCRIPTOR TYPE INVALID"),
    (0x15, c"INVALID PRP OFFSET"),
    (0x80, c"LBA OUT OF RANGE"),
    (0x81, c"CAPACITY EXCEEDED"),
    (0x82, c"NAMESPACE NOT READY"),
    (0x83, c"RESERVATION CONFLICT"),
    (0x84, c"FORMAT IN PROGRESS"),
];
static STATUS_CMD_SPECIFIC: &[(u8, &CStr)] = &[
    (0x00, c"COMPLETION QUEUE INVALID"),
    (0x01, c"INVALID QUEUE IDENTIFIER"),
    (0x02, c"MAX QUEUE SIZE EXCEEDED"),
    (0x03, c"ABORT CMD LIMIT EXCEEDED"),
    (0x05, c"ASYNC LIMIT EXCEEDED"),
    (0x06, c"INVALID FIRMWARE SLOT"),
    (0x07, c"INVALID FIRMWARE IMAGE"),
    (0x08, c"INVALID INTERRUPT VECTOR"),
    (0x09, c"INVALID LOG PAGE"),
    (0x0a, c"INVALID FORMAT"),
    (0x0b, c"FIRMWARE REQUIRES CONVENTIONAL RESET"),
    (0x0c, c"INVALID QUEUE DELETION"),
    (0x0d, c"FEATURE ID NOT SAVEABLE"),
    (0x0e, c"FEATURE NOT CHANGEABLE"),
    (0x0f, c"FEATURE NOT NAMESPACE SPECIFIC"),
    (0x80, c"CONFLICTING ATTRIBUTES"),
    (0x81, c"INVALID PROTECTION INFO"),
    (0x82, c"WRITE TO RO RANGE"),
];
static STATUS_MEDIA: &[(u8, &CStr)] = &[
    (0x80, c"WRITE FAULTS"),
    (0x81, c"UNRECOVERED READ ERROR"),
    (0x82, c"GUARD CHECK ERROR"),
    (0x83, c"APPLICATION TAG CHECK ERROR"),
    (0x84, c"REFERENCE TAG CHECK ERROR"),
    (0x85, c"COMPARE FAILURE"),
    (0x86, c"ACCESS DENIED"),
    (0x87, c"DEALLOCATED OR UNWRITTEN BLOCK"),
];

fn status_string(sct: u8, sc: u8) -> &'static CStr {
    let table = match sct {
        0 => STATUS_GENERIC,
        1 => STATUS_CMD_SPECIFIC,
        2 => STATUS_MEDIA,
        _ => &[],
    };
    match table.iter().find(|(c, _)| *c == sc) {
        Some((_, s)) => s,
        None if sct == 7 => c"VENDOR SPECIFIC",
        None => c"RESERVED",
    }
}

/// The text of a completion status.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_cpl_get_status_string(status: *const spdk_nvme_status) -> *const c_char {
    // SAFETY: the caller's 16-bit status.
    let Some(s) = (unsafe { status.as_ref() }) else { return c"RESERVED".as_ptr() };
    status_string(((s.raw >> 9) & 7) as u8, (s.raw >> 1) as u8).as_ptr()
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_cpl_get_status_type_string(status: *const spdk_nvme_status) -> *const c_char {
    // SAFETY: the caller's 16-bit status.
    let Some(s) = (unsafe { status.as_ref() }) else { return c"RESERVED".as_ptr() };
    match (s.raw >> 9) & 7 {
        0 => c"GENERIC",
        1 => c"COMMAND SPECIFIC",
        2 => c"MEDIA ERROR",
        3 => c"PATH",
        7 => c"VENDOR SPECIFIC",
        _ => c"RESERVED",
    }
    .as_ptr()
}

fn opc_name(opc: u8, admin_q: bool) -> &'static str {
    if admin_q {
        match opc {
            0x00 => "DELETE IO SQ",
            0x01 => "CREATE IO SQ",
            0x02 => "GET LOG PAGE",
            0x04 => "DELETE IO CQ",
            0x05 => "CREATE IO CQ",
            0x06 => "IDENTIFY",
            0x08 => "ABORT",
            0x09 => "SET FEATURES",
            0x0a => "GET FEATURES",
            0x0c => "ASYNC EVENT REQUEST",
            _ => "ADMIN COMMAND",
        }
    } else {
        match opc {
            0x00 => "FLUSH",
            0x01 => "WRITE",
            0x02 => "READ",
            0x05 => "COMPARE",
            0x08 => "WRITE ZEROES",
            0x09 => "DATASET MANAGEMENT",
            _ => "IO COMMAND",
        }
    }
}

/// Logs a command (NOTICE level).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_qpair_print_command(qpair: *mut spdk_nvme_qpair, cmd: *mut spdk_nvme_cmd) {
    guard((), || {
        // SAFETY: the caller's command.
        let Some(c) = (unsafe { cmd.as_ref() }) else { return };
        let qid = c_qpair(qpair).map_or(0, |q| q.id());
        let lba = c.cdw10 as u64 | ((c.cdw11 as u64) << 32);
        crate::log::notice(format_args!(
            "{} sqid:{qid} cid:{} nsid:{:x} lba:{lba} len:{}\n",
            opc_name(c.opc(), qid == 0),
            c.cid(),
            c.nsid,
            (c.cdw12 & 0xffff) + 1
        ));
    })
}

/// Logs a completion (NOTICE level).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvme_qpair_print_completion(qpair: *mut spdk_nvme_qpair, cpl: *mut spdk_nvme_cpl) {
    guard((), || {
        // SAFETY: the caller's completion.
        let Some(c) = (unsafe { cpl.as_ref() }) else { return };
        let _ = qpair;
        crate::log::notice(format_args!(
            "{} ({:02x}/{:02x}) qid:{} cid:{} cdw0:{:x} sqhd:{:04x} p:{} m:{} dnr:{}\n",
            status_string(c.sct(), c.sc()).to_string_lossy(),
            c.sct(),
            c.sc(),
            c.sqid,
            c.cid,
            c.cdw0,
            c.sqhd,
            c.status & 1,
            (c.status >> 14) & 1,
            c.dnr() as u8
        ));
    })
}

struct PollGroup {
    ctx: *mut c_void,
    qpairs: Vec<usize>,
}

#[no_mangle]
pub extern "C" fn spdk_nvme_poll_group_create(ctx: *mut c_void, table: *mut spdk_nvme_accel_fn_table) -> *mut spdk_nvme_poll_group {
    let _ = table;
    guard(std::ptr::null_mut(), || Box::into_raw(Box::new(PollGroup { ctx, qpairs: Vec::new() })).cast())
}

fn pg<'a>(g: *mut spdk_nvme_poll_group) -> Option<&'a mut PollGroup> {
    // SAFETY: NULL or a poll group from spdk_nvme_poll_group_create, used by one thread.
    unsafe { (g as *mut PollGroup).as_mut() }
}

#[no_mangle]
pub extern "C" fn spdk_nvme_poll_group_add(group: *mut spdk_nvme_poll_group, qpair: *mut spdk_nvme_qpair) -> c_int {
    guard(-libc::EFAULT, || match (pg(group), c_qpair(qpair)) {
        (Some(g), Some(_)) if g.qpairs.contains(&(qpair as usize)) => -libc::EINVAL,
        (Some(g), Some(_)) => {
            g.qpairs.push(qpair as usize);
            0
        }
        _ => -libc::EINVAL,
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_poll_group_remove(group: *mut spdk_nvme_poll_group, qpair: *mut spdk_nvme_qpair) -> c_int {
    guard(-libc::EFAULT, || match pg(group) {
        Some(g) if g.qpairs.contains(&(qpair as usize)) => {
            g.qpairs.retain(|&q| q != qpair as usize);
            0
        }
        _ => -libc::ENODEV,
    })
}

/// Polls every queue pair of the group; failed ones go to `disconnected_qpair_cb`.
#[no_mangle]
pub extern "C" fn spdk_nvme_poll_group_process_completions(
    group: *mut spdk_nvme_poll_group,
    completions_per_qpair: u32,
    disconnected_qpair_cb: spdk_nvme_disconnected_qpair_cb,
) -> i64 {
    guard(-libc::EFAULT as i64, || {
        let Some(g) = pg(group) else { return -libc::EINVAL as i64 };
        let mut total = 0i64;
        for &q in g.qpairs.clone().iter() {
            match c_qpair(q as *mut spdk_nvme_qpair).map(|qp| qp.process_completions(completions_per_qpair)) {
                Some(Ok(n)) => total += n as i64,
                _ => {
                    if let Some(cb) = disconnected_qpair_cb {
                        // SAFETY: the application's callback with its queue pair and group context.
                        unsafe { cb(q as *mut spdk_nvme_qpair, g.ctx) };
                    }
                }
            }
        }
        total
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_poll_group_destroy(group: *mut spdk_nvme_poll_group) -> c_int {
    guard(-libc::EFAULT, || match pg(group) {
        Some(g) if !g.qpairs.is_empty() => -libc::EBUSY,
        Some(_) => {
            // SAFETY: created by Box::into_raw in create; empty now.
            drop(unsafe { Box::from_raw(group as *mut PollGroup) });
            0
        }
        None => -libc::EINVAL,
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvme_poll_group_get_ctx(group: *mut spdk_nvme_poll_group) -> *mut c_void {
    pg(group).map_or(std::ptr::null_mut(), |g| g.ctx)
}
