//! `spdk/nvmf_transport.h`: transports written in C, plugged into rspdk's
//! NVMe-oF target. A transport registers its operations
//! (`spdk_nvmf_transport_register`), is created by name
//! (`spdk_nvmf_transport_create_async`) and added to the target, which
//! makes it a poll group on each of its poll groups and polls it there.
//! The transport hands over queue pairs (`spdk_nvmf_tgt_new_qpair`) and
//! commands (`spdk_nvmf_request_exec`); the target runs them through the
//! same controller and namespace code as its TCP connections (a
//! [`TcpQpair`] without a socket, see `crate::nvmf::ext`) and answers
//! through the transport's `req_complete`. Data buffers come from a pool
//! per transport (`spdk_nvmf_request_get_buffers`).
//!
//! Queue pairs, requests and transport structures belong to the transport;
//! rspdk fills the members SPDK's generic layer owns (state, qid, ctrlr,
//! group; ops, opts, tgt). Everything about one queue pair happens on its
//! poll group's thread.

use super::nvme::{fill, read_str};
use super::nvme_types::spdk_nvme_transport_id;
use super::nvmf::{spdk_nvmf_poll_group_stat, spdk_nvmf_subsystem, spdk_nvmf_tgt, spdk_nvmf_transport_opts};
use super::guard;
use super::bdev_types::spdk_json_write_ctx;
use crate::env::mempool::Mempool;
use crate::nvme::spec::{Cmd, Cpl};
use crate::nvmf::ctrlr::Ctrlr;
use crate::nvmf::ext::ExtConn;
use crate::nvmf::group::{self, ExtPoll, PollGroup};
use crate::nvmf::subsystem::ListenAddr;
use crate::nvmf::tcp::qpair::TcpQpair;
use crate::nvmf::tcp::transport::TcpOpts;
use crate::nvmf::tgt::Notice;
use parking_lot::Mutex;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, c_void};

/// Opaque in Rust: `struct spdk_nvmf_request` (defined in C, src/capi/raw_late/nvmf_transport.h).
pub struct spdk_nvmf_request {
    _private: [u8; 0],
}
/// Opaque in Rust: `struct spdk_nvmf_qpair`.
pub struct spdk_nvmf_qpair {
    _private: [u8; 0],
}
/// Opaque in Rust: `struct spdk_nvmf_transport_ops`.
pub struct spdk_nvmf_transport_ops {
    _private: [u8; 0],
}
/// Opaque: a controller of the target (`qpair->ctrlr` once connected).
pub struct spdk_nvmf_ctrlr {
    _private: [u8; 0],
}
/// Opaque in Rust: `struct spdk_nvmf_transport_poll_group`.
pub struct spdk_nvmf_transport_poll_group {
    _private: [u8; 0],
}

// ---------------------------------------------------------------- C layouts

#[repr(C)]
#[derive(Clone, Copy)]
struct TailqHead {
    first: *mut c_void,
    last: *mut *mut c_void,
}
#[repr(C)]
#[derive(Clone, Copy)]
struct TailqEntry {
    next: *mut c_void,
    prev: *mut *mut c_void,
}

/// Appends `elm`, whose list entry is at byte `off`, to a TAILQ.
///
/// # Safety
/// `head` is a live, initialised list of such elements; `elm` is live and not in it.
unsafe fn tailq_push(head: *mut TailqHead, elm: *mut c_void, off: usize) {
    // SAFETY: per the contract.
    unsafe {
        let e = elm.cast::<u8>().add(off).cast::<TailqEntry>();
        (*e).next = std::ptr::null_mut();
        (*e).prev = (*head).last;
        *(*head).last = elm;
        (*head).last = std::ptr::addr_of_mut!((*e).next);
    }
}

/// Unlinks `elm` (entry at byte `off`) from a TAILQ.
///
/// # Safety
/// `elm` is in the live list `head`.
unsafe fn tailq_remove(head: *mut TailqHead, elm: *mut c_void, off: usize) {
    // SAFETY: per the contract.
    unsafe {
        let e = elm.cast::<u8>().add(off).cast::<TailqEntry>();
        let next = (*e).next;
        if next.is_null() {
            (*head).last = (*e).prev;
        } else {
            (*next.cast::<u8>().add(off).cast::<TailqEntry>()).prev = (*e).prev;
        }
        *(*e).prev = next;
    }
}

/// `struct spdk_nvmf_poll_group`: the first member of every
/// [`PollGroup`], so the C handle and the group share an address.
#[repr(C)]
pub struct CPollGroup {
    thread: *mut c_void,
    poller: *mut c_void,
    tgroups: TailqHead,
    sgroups: *mut c_void,
    num_sgroups: u32,
    current_unassociated_qpairs: u32,
    qpairs: TailqHead,
    stat: spdk_nvmf_poll_group_stat,
    destroy_cb_fn: *mut c_void,
    destroy_cb_arg: *mut c_void,
    tgt: *mut c_void,
    link: TailqEntry,
    mutex: [u64; 5],
}
const _: () = assert!(std::mem::size_of::<CPollGroup>() == 176);

impl CPollGroup {
    pub fn zeroed() -> CPollGroup {
        // SAFETY: pointers, integers and plain structs: all zeros is valid.
        unsafe { std::mem::zeroed() }
    }

    /// Sets the members a transport may read: the thread, the target and
    /// empty lists (which point into the structure, hence in place).
    ///
    /// # Safety
    /// `p` is a live group's C view, at its final address.
    pub unsafe fn init(p: *mut CPollGroup, t: *mut crate::thread::Thread) {
        // SAFETY: per the contract.
        unsafe {
            (*p).thread = t.cast();
            (*p).tgroups.last = std::ptr::addr_of_mut!((*p).tgroups.first);
            (*p).qpairs.last = std::ptr::addr_of_mut!((*p).qpairs.first);
            (*p).tgt = super::nvmf::tgt_handle().cast();
        }
    }
}

/// `struct spdk_nvmf_request` (784 bytes); the members rspdk uses are named.
#[repr(C)]
pub(super) struct CRequest {
    pub(super) qpair: *mut CQpair,
    pub(super) length: u32,
    xfer: u8,
    flags: u8,
    /// `enum spdk_nvmf_zcopy_phase` (the `ZCOPY_*` constants).
    pub(super) zcopy_phase: u8,
    iovcnt: u8,
    pub(super) cmd: *mut Cmd,
    pub(super) rsp: *mut Cpl,
    buf_link: *mut c_void,
    link: TailqEntry,
    memory_domain: *mut c_void,
    memory_domain_ctx: *mut c_void,
    accel_sequence: *mut c_void,
    iov: [libc::iovec; MAX_BUFFERS],
    stripped_data: *mut c_void,
    /// dif, bdev_io_wait, cmd_cb_fn, first_fused_req, req_to_abort, poller.
    rest: [u64; 19],
    zcopy_bdev_io: *mut c_void,
    timeout_tsc: u64,
}
const MAX_BUFFERS: usize = 33;
const _: () = assert!(std::mem::size_of::<CRequest>() == 784);
const _: () = assert!(std::mem::offset_of!(CRequest, iov) == 80);
const _: () = assert!(std::mem::offset_of!(CRequest, zcopy_bdev_io) == 768);
/// `enum spdk_nvmf_zcopy_phase`.
pub(super) const ZCOPY_NONE: u8 = 0;
pub(super) const ZCOPY_INIT: u8 = 1;
pub(super) const ZCOPY_EXECUTE: u8 = 2;
pub(super) const ZCOPY_END_PENDING: u8 = 3;
pub(super) const ZCOPY_COMPLETE: u8 = 4;
pub(super) const ZCOPY_INIT_FAILED: u8 = 5;
/// `data_from_pool`, bit 0 of the request's flag byte.
const DATA_FROM_POOL: u8 = 1;

/// `struct spdk_nvmf_qpair`.
#[repr(C)]
pub(super) struct CQpair {
    state: u8,
    rsvd: u8,
    qid: u16,
    sq_head: u16,
    sq_head_max: u16,
    pub(super) transport: *mut CTransport,
    ctrlr: *mut c_void,
    group: *mut CPollGroup,
    first_fused_req: *mut c_void,
    outstanding: TailqHead,
    link: TailqEntry,
    state_cb: *mut c_void,
    state_cb_arg: *mut c_void,
    connect_received: bool,
    disconnect_started: bool,
    trace_id: u16,
    queue_depth: u16,
    auth: *mut c_void,
}
const _: () = assert!(std::mem::size_of::<CQpair>() == 104);
const QPAIR_CONNECTING: u8 = 1;
const QPAIR_ENABLED: u8 = 3;
const QPAIR_DEACTIVATING: u8 = 4;
const QPAIR_ERROR: u8 = 5;

/// `struct spdk_nvmf_transport_poll_group`.
#[repr(C)]
struct CTgroup {
    transport: *mut CTransport,
    pending_buf_first: *mut c_void,
    pending_buf_last: *mut *mut c_void,
    buf_cache: *mut c_void,
    group: *mut CPollGroup,
    link: TailqEntry,
}
const _: () = assert!(std::mem::size_of::<CTgroup>() == 56);

/// `struct spdk_nvmf_transport`.
#[repr(C)]
pub(super) struct CTransport {
    tgt: *mut spdk_nvmf_tgt,
    pub(super) ops: *const COps,
    pub(super) opts: spdk_nvmf_transport_opts,
    iobuf_name: [c_char; 40],
    listeners: TailqHead,
    link: TailqEntry,
    mutex: [u64; 5],
}
const _: () = assert!(std::mem::size_of::<CTransport>() == 216);
const _: () = assert!(std::mem::offset_of!(CTransport, listeners) == 144);

pub(super) type Tp = *mut CTransport;
type Trid = *mut spdk_nvme_transport_id;

/// `struct spdk_nvmf_transport_ops`; members rspdk never calls are left untyped.
#[repr(C)]
pub(super) struct COps {
    name: [c_char; 32],
    ty: i32,
    opts_init: Option<unsafe extern "C" fn(*mut spdk_nvmf_transport_opts)>,
    create: Option<unsafe extern "C" fn(*mut spdk_nvmf_transport_opts) -> Tp>,
    create_async: Option<unsafe extern "C" fn(*mut spdk_nvmf_transport_opts, Option<unsafe extern "C" fn(*mut c_void, Tp)>, *mut c_void) -> c_int>,
    dump_opts: Option<unsafe extern "C" fn(Tp, *mut spdk_json_write_ctx)>,
    destroy: Option<unsafe extern "C" fn(Tp, Option<unsafe extern "C" fn(*mut c_void)>, *mut c_void) -> c_int>,
    listen: Option<unsafe extern "C" fn(Tp, *const spdk_nvme_transport_id, *mut c_void) -> c_int>,
    pub(super) listen_dump_opts: Option<unsafe extern "C" fn(Tp, *const spdk_nvme_transport_id, *mut spdk_json_write_ctx)>,
    stop_listen: Option<unsafe extern "C" fn(Tp, *const spdk_nvme_transport_id)>,
    listen_associate: Option<unsafe extern "C" fn(Tp, *const spdk_nvmf_subsystem, *const spdk_nvme_transport_id) -> c_int>,
    subsystem_add_ns: Option<unsafe extern "C" fn(Tp, *const spdk_nvmf_subsystem, *mut super::nvmf::spdk_nvmf_ns) -> c_int>,
    subsystem_remove_ns: Option<unsafe extern "C" fn(Tp, *const spdk_nvmf_subsystem, u32)>,
    cdata_init: Option<unsafe extern "C" fn(Tp, *mut spdk_nvmf_subsystem, *mut u8)>,
    listener_discover: Option<unsafe extern "C" fn(Tp, Trid, *mut c_void)>,
    poll_group_create: Option<unsafe extern "C" fn(Tp, *mut CPollGroup) -> *mut CTgroup>,
    get_optimal_poll_group: Option<unsafe extern "C" fn(*mut CQpair) -> *mut CTgroup>,
    poll_group_destroy: Option<unsafe extern "C" fn(*mut CTgroup)>,
    poll_group_add: Option<unsafe extern "C" fn(*mut CTgroup, *mut CQpair) -> c_int>,
    poll_group_remove: Option<unsafe extern "C" fn(*mut CTgroup, *mut CQpair) -> c_int>,
    poll_group_poll: Option<unsafe extern "C" fn(*mut CTgroup) -> c_int>,
    req_free: Option<unsafe extern "C" fn(*mut CRequest) -> c_int>,
    pub(super) req_complete: Option<unsafe extern "C" fn(*mut CRequest) -> c_int>,
    qpair_fini: Option<unsafe extern "C" fn(*mut CQpair, Option<unsafe extern "C" fn(*mut c_void)>, *mut c_void)>,
    qpair_get_peer_trid: Option<unsafe extern "C" fn(*mut CQpair, Trid) -> c_int>,
    qpair_get_local_trid: Option<unsafe extern "C" fn(*mut CQpair, Trid) -> c_int>,
    qpair_get_listen_trid: Option<unsafe extern "C" fn(*mut CQpair, Trid) -> c_int>,
    qpair_abort_request: Option<unsafe extern "C" fn(*mut CQpair, *mut CRequest)>,
    poll_group_dump_stat: Option<unsafe extern "C" fn(*mut CTgroup, *mut spdk_json_write_ctx)>,
    subsystem_add_host: Option<unsafe extern "C" fn(Tp, *const spdk_nvmf_subsystem, *const c_char, *const c_void) -> c_int>,
    subsystem_remove_host: Option<unsafe extern "C" fn(Tp, *const spdk_nvmf_subsystem, *const c_char)>,
    pub(super) subsystem_dump_host: Option<unsafe extern "C" fn(Tp, *const spdk_nvmf_subsystem, *const c_char, *mut spdk_json_write_ctx)>,
}
const _: () = assert!(std::mem::size_of::<COps>() == 280);

impl COps {
    pub(super) fn name(&self) -> String {
        read_str(&self.name)
    }
}

/// The operations behind rspdk's own TCP transport handle: its name and
/// type only (the target runs TCP itself).
struct BuiltinOps(COps);
// SAFETY: constant data (null function pointers and a name), never written.
unsafe impl Sync for BuiltinOps {}
static TCP_OPS: BuiltinOps = BuiltinOps({
    // SAFETY: null pointers, None and zero integers: all zeros is valid.
    let mut o: COps = unsafe { std::mem::zeroed() };
    o.name[0] = b'T' as c_char;
    o.name[1] = b'C' as c_char;
    o.name[2] = b'P' as c_char;
    o.ty = 3;
    o
});

impl CTransport {
    /// The C view of rspdk's TCP transport handle (its options, its name).
    pub(super) fn tcp(opts: spdk_nvmf_transport_opts) -> CTransport {
        // SAFETY: pointers, integers and plain structs: all zeros is valid.
        let mut t: CTransport = unsafe { std::mem::zeroed() };
        t.ops = &TCP_OPS.0;
        t.opts = opts;
        t.tgt = super::nvmf::tgt_handle();
        fill(&mut t.iobuf_name, "nvmf_TCP");
        t
    }
}

// ---------------------------------------------------------------- registry

/// Registered operations (static in the transports' programs).
static OPS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

/// A transport created from registered operations.
struct Ext {
    t: usize,
    ops: usize,
    /// The limits the generic target applies to its connections.
    core: TcpOpts,
    pool: Box<Mempool>,
    unit: usize,
    added: bool,
    listens: Vec<ListenAddr>,
}

/// An entry of `transport->listeners` (SPDK's `struct spdk_nvmf_listener`
/// is opaque to transports: the list tells them what is listened on and
/// whether anything is; the transport ID comes first).
#[repr(C)]
struct CListener {
    trid: spdk_nvme_transport_id,
    refs: u32,
    sock_impl: *mut c_char,
    link: TailqEntry,
}

/// Adds or drops the `transport->listeners` entry of `trid` (on the app thread).
///
/// # Safety
/// `tp` is a live plugged-in transport whose list was initialised by `adopt`.
unsafe fn keep_listener(tp: Tp, trid: &spdk_nvme_transport_id, add: bool) {
    // SAFETY: per the contract; the entries are ours (made here).
    unsafe {
        let head = std::ptr::addr_of_mut!((*tp).listeners);
        let off = std::mem::offset_of!(CListener, link);
        let mut p = (*head).first as *mut CListener;
        while !p.is_null() {
            if super::nvme::spdk_nvme_transport_id_compare(&(*p).trid, trid) == 0 {
                break;
            }
            p = (*p).link.next as *mut CListener;
        }
        match (add, p.is_null()) {
            (true, true) => {
                let n = Box::into_raw(Box::new(CListener { trid: *trid, refs: 1, sock_impl: std::ptr::null_mut(), link: TailqEntry { next: std::ptr::null_mut(), prev: std::ptr::null_mut() } }));
                tailq_push(head, n.cast(), off);
            }
            (false, false) => {
                tailq_remove(head, p.cast(), off);
                drop(Box::from_raw(p));
            }
            _ => {}
        }
    }
}
static EXT: Mutex<Vec<Ext>> = Mutex::new(Vec::new());

thread_local! {
    /// This thread's connections of plugged-in transports: C queue pair -> ours.
    static QPS: RefCell<HashMap<usize, usize>> = RefCell::new(HashMap::new());
}

/// Numbers connections of plugged-in transports (apart from TCP's).
static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1 << 48);

fn ops_by_name(name: &str) -> Option<*const COps> {
    // SAFETY: registered operations are static in their program.
    OPS.lock().iter().map(|&o| o as *const COps).find(|&o| unsafe { (*o).name() }.eq_ignore_ascii_case(name))
}

/// Whether `name` is a registered transport (not rspdk's own TCP).
pub(super) fn is_registered(name: &str) -> bool {
    ops_by_name(name).is_some()
}

/// Whether `t` is a transport made from registered operations.
pub(super) fn is_ext(t: *mut c_void) -> bool {
    EXT.lock().iter().any(|e| e.t == t as usize)
}

/// Added plugged-in transports, in creation order.
pub(super) fn added() -> Vec<*mut c_void> {
    EXT.lock().iter().filter(|e| e.added).map(|e| e.t as *mut c_void).collect()
}

/// The added transport named `name`.
pub(super) fn by_name(name: &str) -> Option<*mut c_void> {
    // SAFETY: a transport's operations outlive it.
    EXT.lock().iter().find(|e| e.added && unsafe { (*(e.ops as *const COps)).name() }.eq_ignore_ascii_case(name)).map(|e| e.t as *mut c_void)
}

/// The name of a plugged-in transport (its operations' own string).
pub(super) fn name_of(t: *mut c_void) -> *const c_char {
    // SAFETY: a live transport made from registered operations.
    unsafe { (*(*(t as *mut CTransport)).ops).name.as_ptr() }
}

pub(super) fn type_of(t: *mut c_void) -> i32 {
    // SAFETY: as above.
    unsafe { (*(*(t as *mut CTransport)).ops).ty }
}

/// Whether a plugged-in transport listens at `a`.
pub(super) fn is_listening(a: &ListenAddr) -> bool {
    EXT.lock().iter().any(|e| e.listens.contains(a))
}

/// A transport ID naming a registered transport, as a listen address.
pub(super) fn listen_addr(t: &spdk_nvme_transport_id) -> Option<ListenAddr> {
    let s = read_str(&t.trstring);
    let o = ops_by_name(&s)?;
    // SAFETY: registered operations are static.
    let name = unsafe { (*o).name() };
    let adrfam = if t.adrfam.0 == 2 { "IPv6" } else { "IPv4" };
    Some(ListenAddr { trtype: name, adrfam: adrfam.into(), traddr: read_str(&t.traddr), trsvcid: read_str(&t.trsvcid) })
}

pub(super) fn log_err(what: &str, e: impl std::fmt::Display) {
    crate::log::error(format_args!("nvmf: {what}: {e}\n"));
}

/// Register the operations of a transport (usually from SPDK_NVMF_TRANSPORT_REGISTER).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_transport_register(ops: *const spdk_nvmf_transport_ops) {
    guard((), || {
        let o = ops as *const COps;
        // SAFETY: the caller's operations, static for the program's life.
        let Some(name) = (unsafe { o.as_ref() }).map(|o| o.name()) else { return };
        if name.is_empty() || name.eq_ignore_ascii_case("tcp") || ops_by_name(&name).is_some() {
            log_err("spdk_nvmf_transport_register", format!("transport '{name}' exists already (or has no name)"));
            return;
        }
        OPS.lock().push(o as usize);
        let _ = crate::nvmf::logpage::RECORD_HOOK.set(discovery_record);
        let _ = crate::nvmf::tgt::NOTICE_HOOK.set(notice);
    })
}

/// Tells every added transport of a change to a subsystem (on the app
/// thread); the first negated errno refuses an addition (those told before
/// it hear of the removal from the caller).
fn notice(n: &Notice) -> c_int {
    let nqn = match n {
        Notice::AddNs(q, _) | Notice::RemoveNs(q, _) | Notice::AddHost(q, _, _) | Notice::RemoveHost(q, _) => *q,
    };
    let sub = super::nvmf::subsystem_handle(nqn);
    for t in added() {
        let tp = t as *mut CTransport;
        // SAFETY: an added transport and its operations; the subsystem handle
        // and the strings live through the call.
        let rc = unsafe {
            let o = &*(*tp).ops;
            match *n {
                Notice::AddNs(_, nsid) => o.subsystem_add_ns.map_or(0, |f| f(tp, sub, super::nvmf::spdk_nvmf_subsystem_get_ns(sub, nsid))),
                Notice::RemoveNs(_, nsid) => {
                    if let Some(f) = o.subsystem_remove_ns {
                        f(tp, sub, nsid);
                    }
                    0
                }
                Notice::AddHost(_, h, params) => {
                    let h = std::ffi::CString::new(h).unwrap_or_default();
                    o.subsystem_add_host.map_or(0, |f| f(tp, sub, h.as_ptr(), params as *const c_void))
                }
                Notice::RemoveHost(_, h) => {
                    let h = std::ffi::CString::new(h).unwrap_or_default();
                    if let Some(f) = o.subsystem_remove_host {
                        f(tp, sub, h.as_ptr());
                    }
                    0
                }
            }
        };
        if rc != 0 {
            return if rc < 0 { rc } else { -libc::EINVAL };
        }
    }
    0
}

/// The discovery log record of a plugged-in transport's listener: the
/// transport's listener_discover fills it (over rspdk's defaults).
fn discovery_record(a: &ListenAddr, r: &mut [u8]) {
    let Some(t) = by_name(&a.trtype) else { return };
    let tp = t as *mut CTransport;
    // SAFETY: an added transport.
    let Some(f) = (unsafe { (*(*tp).ops).listener_discover }) else { return };
    // SAFETY: as above.
    let mut trid = super::nvmf::trid_pub(a, &unsafe { (*(*tp).ops).name() });
    if r.len() < 1024 {
        return;
    }
    // SAFETY: a record of 1024 bytes (struct spdk_nvmf_discovery_log_page_entry).
    unsafe { f(tp, &mut trid, r.as_mut_ptr().cast()) };
}

// ---------------------------------------------------------------- transports

/// Default options of a registered transport: rspdk's, then its opts_init.
pub(super) fn opts_init(name: &str, base: spdk_nvmf_transport_opts) -> Option<spdk_nvmf_transport_opts> {
    let o = ops_by_name(name)?;
    let mut d = base;
    // SAFETY: registered operations; `d` is a full options structure.
    if let Some(f) = unsafe { (*o).opts_init } {
        unsafe { f(&mut d) };
    }
    Some(d)
}

/// `spdk_nvmf_transport_create_async` for a registered transport: `opts`
/// merged already. `done(transport or NULL)` runs later on this thread.
pub(super) fn create(name: &str, opts: spdk_nvmf_transport_opts, done: Box<dyn FnOnce(*mut c_void) + Send>) -> c_int {
    let Some(o) = ops_by_name(name) else { return -libc::EINVAL };
    let (core, pool) = match core_and_pool(name, &opts) {
        Ok(x) => x,
        Err(rc) => return rc,
    };
    // The transport reads `transport_specific` while it creates itself (the
    // caller keeps it alive until `done`); the kept options drop it (adopt).
    // SAFETY: registered operations; the options live through the call.
    let (sync, asynch) = unsafe { ((*o).create, (*o).create_async) };
    if sync.is_none() {
        let Some(f) = asynch else { return -libc::EINVAL };
        // The transport calls back (now or later) with its structure.
        let ctx = Box::into_raw(Box::new(Pending { name: name.to_string(), o: o as usize, opts, core, pool, done }));
        // SAFETY: the options live through the call; `ctx` comes back once through `created`.
        let rc = unsafe { f(&mut (*ctx).opts, Some(created), ctx.cast()) };
        if rc != 0 {
            // SAFETY: not handed over.
            drop(unsafe { Box::from_raw(ctx) });
            log_err("spdk_nvmf_transport_create_async", format!("{name}: the transport's create_async failed ({rc})"));
        }
        return rc;
    }
    match create_sync(name, o, opts, core, pool) {
        Ok(t) => {
            let tp = t as usize;
            super::nvmf::later_pub(move || done(tp as *mut c_void));
            0
        }
        Err(rc) => rc,
    }
}

fn create_sync(name: &str, o: *const COps, mut opts: spdk_nvmf_transport_opts, core: TcpOpts, pool: Box<Mempool>) -> Result<*mut c_void, c_int> {
    // SAFETY: registered operations; the options live through the call.
    let t = unsafe { (*o).create.map_or(std::ptr::null_mut(), |f| f(&mut opts)) };
    if t.is_null() {
        log_err("spdk_nvmf_transport_create_async", format!("{name}: the transport's create failed"));
        return Err(-libc::EINVAL);
    }
    adopt(t, o, opts, core, pool, name);
    Ok(t.cast())
}

/// Creates a registered transport whose create operation is synchronous,
/// before returning (`Err(-ENOTSUP)` for one with create_async only).
pub(super) fn create_now(name: &str, opts: spdk_nvmf_transport_opts) -> Result<*mut c_void, c_int> {
    let Some(o) = ops_by_name(name) else { return Err(-libc::EINVAL) };
    // SAFETY: registered operations.
    if unsafe { (*o).create.is_none() } {
        return Err(-libc::ENOTSUP);
    }
    let (core, pool) = core_and_pool(name, &opts)?;
    create_sync(name, o, opts, core, pool)
}

/// The generic target's limits and the buffer pool for a new transport.
fn core_and_pool(name: &str, opts: &spdk_nvmf_transport_opts) -> Result<(TcpOpts, Box<Mempool>), c_int> {
    let core = super::nvmf::core_opts_of(opts).map_err(|e| {
        log_err("spdk_nvmf_transport_create_async", format!("{name}: {e}"));
        -libc::EINVAL
    })?;
    let Some(pool) = Mempool::create(&format!("nvmf_{name}_bufs"), opts.num_shared_buffers as usize, opts.io_unit_size as usize) else {
        log_err("spdk_nvmf_transport_create_async", format!("{name}: no memory for {} data buffers", { opts.num_shared_buffers }));
        return Err(-libc::ENOMEM);
    };
    Ok((core, pool))
}

/// A create_async under way.
struct Pending {
    name: String,
    o: usize,
    opts: spdk_nvmf_transport_opts,
    core: TcpOpts,
    pool: Box<Mempool>,
    done: Box<dyn FnOnce(*mut c_void) + Send>,
}

unsafe extern "C" fn created(arg: *mut c_void, t: Tp) {
    // SAFETY: the context `create` handed over, given back once.
    let p = unsafe { Box::from_raw(arg as *mut Pending) };
    if t.is_null() {
        log_err("spdk_nvmf_transport_create_async", format!("{}: the transport's create_async failed", p.name));
        let done = p.done;
        super::nvmf::later_pub(move || done(std::ptr::null_mut()));
        return;
    }
    adopt(t, p.o as *const COps, p.opts, p.core, p.pool, &p.name);
    let (tp, done) = (t as usize, p.done);
    // Never before spdk_nvmf_transport_create_async returned.
    super::nvmf::later_pub(move || done(tp as *mut c_void));
}

/// Fills the generic members of a new transport's structure and lists it.
fn adopt(t: Tp, o: *const COps, opts: spdk_nvmf_transport_opts, core: TcpOpts, pool: Box<Mempool>, name: &str) {
    let unit = opts.io_unit_size as usize;
    // SAFETY: the transport's structure, which begins with struct spdk_nvmf_transport.
    unsafe {
        (*t).ops = o;
        (*t).opts = opts;
        (*t).opts.transport_specific = std::ptr::null();
        (*t).tgt = std::ptr::null_mut();
        fill(&mut (*t).iobuf_name, &format!("nvmf_{name}"));
        (*t).listeners.first = std::ptr::null_mut();
        (*t).listeners.last = std::ptr::addr_of_mut!((*t).listeners.first);
    }
    EXT.lock().push(Ext { t: t as usize, ops: o as usize, core, pool, unit, added: false, listens: Vec::new() });
}

/// Adds a plugged-in transport to the target: a poll group of it on each
/// of the target's poll groups. `done(rc)` runs on this thread.
pub(super) fn add(t: *mut c_void, done: Box<dyn FnOnce(c_int) + Send>) {
    {
        let mut v = EXT.lock();
        let Some(e) = v.iter_mut().find(|e| e.t == t as usize) else {
            drop(v);
            return done(-libc::EINVAL);
        };
        if e.added {
            drop(v);
            return done(-libc::EEXIST);
        }
        e.added = true;
        // SAFETY: the transport, live while it is in the registry.
        unsafe { (*(t as *mut CTransport)).tgt = super::nvmf::tgt_handle() };
    }
    let tp = t as usize;
    let failed = std::sync::Arc::new(std::sync::atomic::AtomicI32::new(0));
    let f2 = failed.clone();
    group::for_each(
        move |g| {
            if let Err(rc) = add_to_group(g, tp) {
                f2.store(rc, std::sync::atomic::Ordering::Relaxed);
            }
        },
        move || done(failed.load(std::sync::atomic::Ordering::Relaxed)),
    );
}

/// A poll group was made on this thread: the added plugged-in transports get theirs.
pub(super) fn group_created(g: *mut PollGroup) {
    for t in added() {
        // SAFETY: the new group, on its thread.
        if let Err(rc) = add_to_group(unsafe { &mut *g }, t as usize) {
            log_err("spdk_nvmf_poll_group_create", format!("a transport's poll group could not be made ({rc})"));
        }
    }
}

fn add_to_group(g: &mut PollGroup, t: usize) -> Result<(), c_int> {
    if g.ext.iter().any(|e| e.transport == t) {
        return Ok(());
    }
    let tp = t as *mut CTransport;
    // SAFETY: an added transport and its operations; the group's C view lives with it.
    unsafe {
        let Some(create) = (*(*tp).ops).poll_group_create else { return Err(-libc::EINVAL) };
        let cg = std::ptr::addr_of_mut!(g.c);
        let tg = create(tp, cg);
        if tg.is_null() {
            return Err(-libc::ENOMEM);
        }
        (*tg).transport = tp;
        (*tg).group = cg;
        (*tg).pending_buf_first = std::ptr::null_mut();
        (*tg).pending_buf_last = std::ptr::addr_of_mut!((*tg).pending_buf_first);
        tailq_push(std::ptr::addr_of_mut!((*cg).tgroups), tg.cast(), std::mem::offset_of!(CTgroup, link));
        g.ext.push(ExtPoll { transport: t, tgroup: tg as usize, poll: poll_tgroup, destroy: destroy_tgroup });
    }
    Ok(())
}

/// # Safety
/// `tg` is a live transport poll group, on its group's thread.
unsafe fn poll_tgroup(tg: usize) -> bool {
    let tg = tg as *mut CTgroup;
    // SAFETY: per the contract; poll_group_poll is required (checked at add).
    unsafe { (*(*(*tg).transport).ops).poll_group_poll.is_some_and(|f| f(tg) > 0) }
}

/// # Safety
/// `tg` is a live transport poll group without connections, on its group's thread.
unsafe fn destroy_tgroup(tg: usize) {
    let tg = tg as *mut CTgroup;
    // SAFETY: per the contract. Unlinked from its group's list first.
    unsafe {
        tailq_remove(std::ptr::addr_of_mut!((*(*tg).group).tgroups), tg.cast(), std::mem::offset_of!(CTgroup, link));
        if let Some(f) = (*(*(*tg).transport).ops).poll_group_destroy {
            f(tg);
        }
    }
}

/// `spdk_nvmf_transport_destroy` for a plugged-in transport: its poll
/// groups go, then the transport (`done` from its destroy operation).
pub(super) fn destroy(t: *mut c_void, done: Box<dyn FnOnce() + Send>) -> c_int {
    let e = {
        let mut v = EXT.lock();
        let Some(i) = v.iter().position(|e| e.t == t as usize) else { return -libc::EINVAL };
        v.remove(i)
    };
    let tp = t as usize;
    group::for_each(
        move |g| {
            if let Some(i) = g.ext.iter().position(|x| x.transport == tp) {
                let x = g.ext.remove(i);
                // SAFETY: the transport's poll group on this group, on its thread.
                unsafe { (x.destroy)(x.tgroup) };
            }
        },
        move || {
            let tp = tp as *mut CTransport;
            // SAFETY: the transport is still live: its destroy comes now.
            unsafe {
                for a in &e.listens {
                    let trid = super::nvmf::trid_pub(a, &(*(*tp).ops).name());
                    if let Some(f) = (*(*tp).ops).stop_listen {
                        f(tp, &trid);
                    }
                    keep_listener(tp, &trid, false);
                }
            }
            drop(e.pool);
            let boxed = Box::into_raw(Box::new(done));
            unsafe extern "C" fn destroyed(arg: *mut c_void) {
                // SAFETY: the box made below, given back once.
                let d = unsafe { Box::from_raw(arg as *mut Box<dyn FnOnce() + Send>) };
                d();
            }
            // SAFETY: as above.
            unsafe {
                match (*(*tp).ops).destroy {
                    Some(f) => {
                        if f(tp, Some(destroyed), boxed.cast()) != 0 {
                            destroyed(boxed.cast());
                        }
                    }
                    None => destroyed(boxed.cast()),
                }
            }
        },
    );
    0
}

/// `spdk_nvmf_tgt_listen_ext` for a plugged-in transport.
pub(super) fn listen(a: ListenAddr, trid: *const spdk_nvme_transport_id, opts: *mut c_void) -> c_int {
    let Some(t) = by_name(&a.trtype) else { return -libc::EINVAL };
    let tp = t as *mut CTransport;
    // SAFETY: an added transport; the caller's transport ID and options.
    let rc = unsafe { (*(*tp).ops).listen.map_or(-libc::ENOTSUP, |f| f(tp, trid, opts)) };
    if rc == 0 {
        // SAFETY: as above; on the app thread.
        unsafe { keep_listener(tp, &super::nvmf::trid_pub(&a, &(*(*tp).ops).name()), true) };
        let mut v = EXT.lock();
        if let Some(e) = v.iter_mut().find(|e| e.t == t as usize) {
            if !e.listens.contains(&a) {
                e.listens.push(a);
            }
        }
    }
    rc
}

/// `spdk_nvmf_tgt_stop_listen` for a plugged-in transport.
pub(super) fn stop_listen(a: &ListenAddr, trid: *const spdk_nvme_transport_id) -> c_int {
    let Some(t) = by_name(&a.trtype) else { return -libc::EINVAL };
    {
        let mut v = EXT.lock();
        let Some(e) = v.iter_mut().find(|e| e.t == t as usize && e.listens.contains(a)) else { return -libc::EINVAL };
        e.listens.retain(|x| x != a);
    }
    let tp = t as *mut CTransport;
    // SAFETY: as above.
    unsafe {
        if let Some(f) = (*(*tp).ops).stop_listen {
            f(tp, trid);
        }
        keep_listener(tp, &super::nvmf::trid_pub(a, &(*(*tp).ops).name()), false);
    }
    0
}

/// A subsystem is to accept connections at `a`: the transport may refuse.
pub(super) fn associate(a: &ListenAddr, s: *mut spdk_nvmf_subsystem, trid: *const spdk_nvme_transport_id) -> c_int {
    let Some(t) = by_name(&a.trtype) else { return 0 };
    let tp = t as *mut CTransport;
    // SAFETY: as above.
    unsafe { (*(*tp).ops).listen_associate.map_or(0, |f| f(tp, s, trid)) }
}

// ---------------------------------------------------------------- queue pairs

/// How a plugged-in transport's queue pair gets its answers.
struct Bridge {
    qp: *mut CQpair,
    tg: *mut CTgroup,
    ops: *const COps,
    /// Out of its poll group already (spdk_nvmf_poll_group_remove).
    removed: bool,
}

impl Bridge {
    /// Takes the queue pair out of its poll group (once): the group's
    /// qpairs list and the transport's poll group (its poll_group_remove).
    fn leave(&mut self) {
        if self.removed {
            return;
        }
        let qp = self.qp;
        self.removed = true;
        // SAFETY: a bridge lives with its connection, on the group's thread,
        // and the transport's queue pair outlives it (qpair_fini comes last).
        unsafe {
            let g = (*qp).group;
            if !g.is_null() {
                tailq_remove(std::ptr::addr_of_mut!((*g).qpairs), qp.cast(), std::mem::offset_of!(CQpair, link));
            }
            if let Some(f) = (*self.ops).poll_group_remove {
                f(self.tg, qp);
            }
            (*qp).group = std::ptr::null_mut();
        }
    }
}

impl Bridge {
    /// The queue pair's members after a command: its qid, SQ head, controller.
    fn update_qpair(&mut self, qid: u16, sqhd: u16, ctrlr: usize) {
        // SAFETY: the transport's live queue pair, on its thread.
        unsafe {
            (*self.qp).qid = qid;
            (*self.qp).sq_head = sqhd;
            if ctrlr != 0 && (*self.qp).ctrlr.is_null() {
                (*self.qp).ctrlr = ctrlr as *mut c_void;
                (*self.qp).state = QPAIR_ENABLED;
            }
        }
    }
}

impl ExtConn for Bridge {
    fn answer(&mut self, token: usize, cpl: &Cpl, qid: u16, ctrlr: usize) {
        let r = token as *mut CRequest;
        let mut cpl = *cpl;
        // SAFETY: the transport's live request, on its queue pair's thread.
        unsafe {
            match (*r).zcopy_phase {
                // A zero-copy start answered is a failed one (a started one
                // comes through `lent`).
                ZCOPY_INIT => {
                    (*r).zcopy_phase = ZCOPY_INIT_FAILED;
                    if cpl.status >> 1 == 0 {
                        cpl.status = 0x06 << 1;
                    }
                }
                ZCOPY_END_PENDING => {
                    (*r).zcopy_phase = ZCOPY_COMPLETE;
                    (*r).zcopy_bdev_io = std::ptr::null_mut();
                }
                _ => {}
            }
            if !(*r).rsp.is_null() {
                (*r).rsp.write_unaligned(cpl);
            }
        }
        self.update_qpair(qid, cpl.sqhd, ctrlr);
        // SAFETY: as above.
        unsafe {
            if let Some(f) = (*self.ops).req_complete {
                f(r);
            }
        }
    }

    fn leave_group(&mut self) {
        self.leave();
    }

    fn abort_request(&mut self, abort_token: usize, done: Box<dyn FnOnce(u32) + Send>) -> bool {
        // SAFETY: the transport's operations.
        let Some(f) = (unsafe { (*self.ops).qpair_abort_request }) else { return false };
        if abort_token == 0 {
            return false;
        }
        let r = abort_token as *mut CRequest;
        // SAFETY: the Abort, a live request of this transport outstanding in
        // the target until answered; this queue pair is live, on its thread.
        unsafe {
            if !(*r).rsp.is_null() {
                let mut cpl = (*r).rsp.read_unaligned();
                cpl.cdw0 = 1;
                (*r).rsp.write_unaligned(cpl);
            }
            (*r).rest[REQ_TO_ABORT] = 0;
            ABORTS.lock().push((abort_token, done));
            f(self.qp, r);
        }
        true
    }

    fn lent(&mut self, token: usize, cpl: &Cpl, iovs: &[libc::iovec], bdev_io: usize, qid: u16, ctrlr: usize) -> bool {
        if iovs.is_empty() || iovs.len() > MAX_BUFFERS {
            return false;
        }
        let r = token as *mut CRequest;
        // SAFETY: the transport's live request, on its queue pair's thread;
        // `iovs` fit in its iov array.
        unsafe {
            (&mut (*r).iov)[..iovs.len()].copy_from_slice(iovs);
            (*r).iovcnt = iovs.len() as u8;
            (*r).zcopy_bdev_io = bdev_io as *mut c_void;
            (*r).zcopy_phase = ZCOPY_EXECUTE;
            if !(*r).rsp.is_null() {
                (*r).rsp.write_unaligned(*cpl);
            }
        }
        self.update_qpair(qid, cpl.sqhd, ctrlr);
        true
    }

    fn notify(&mut self, token: usize) {
        // SAFETY: the transport's live request, on its queue pair's thread.
        unsafe {
            if let Some(f) = (*self.ops).req_complete {
                f(token as *mut CRequest);
            }
        }
    }

    fn drop_req(&mut self, token: usize) {
        ABORTS.lock().retain(|a| a.0 != token);
        let r = token as *mut CRequest;
        // SAFETY: as above.
        unsafe {
            // A zero-copy request going back unanswered is over: the
            // transport ends it no more (its buffers went back uncommitted).
            match (*r).zcopy_phase {
                ZCOPY_INIT => (*r).zcopy_phase = ZCOPY_INIT_FAILED,
                ZCOPY_EXECUTE | ZCOPY_END_PENDING => (*r).zcopy_phase = ZCOPY_COMPLETE,
                _ => {}
            }
            (*r).zcopy_bdev_io = std::ptr::null_mut();
            if let Some(f) = (*self.ops).req_free {
                f(token as *mut CRequest);
            }
        }
    }

    fn cdata(&mut self, subnqn: &str, page: &mut [u8]) {
        // SAFETY: the transport's operations.
        let Some(f) = (unsafe { (*self.ops).cdata_init }) else { return };
        if page.len() < 4096 {
            return;
        }
        // struct spdk_nvmf_ctrlr_data: (its offset, the Identify data's offset, length).
        const MAP: [(usize, usize, usize); 10] = [(0, 259, 1), (2, 320, 2), (4, 0, 2), (6, 2, 2), (8, 73, 3), (12, 256, 2), (14, 520, 2), (16, 522, 2), (20, 536, 4), (24, 1792, 256)];
        let mut cd = [0u8; 280];
        for (c, p, n) in MAP {
            cd[c..c + n].copy_from_slice(&page[p..p + n]);
        }
        // SAFETY: the queue pair's transport; a 280-byte struct spdk_nvmf_ctrlr_data.
        unsafe { f((*self.qp).transport, super::nvmf::subsystem_handle(subnqn), cd.as_mut_ptr()) };
        for (c, p, n) in MAP {
            page[p..p + n].copy_from_slice(&cd[c..c + n]);
        }
    }

    fn fini(&mut self) {
        let qp = self.qp;
        QPS.with(|m| m.borrow_mut().remove(&(qp as usize)));
        // SAFETY: as above; nothing of the queue pair is outstanding.
        unsafe {
            (*qp).state = QPAIR_ERROR;
            (*qp).ctrlr = std::ptr::null_mut();
            self.leave();
            if let Some(f) = (*self.ops).qpair_fini {
                f(qp, Some(fini_done), std::ptr::null_mut());
            }
        }
    }

    fn describe(&self, o: &mut serde_json::Map<String, serde_json::Value>) {
        // SAFETY: the transport's live queue pair and its operations, on its thread.
        let (ops, tp) = unsafe { (&*self.ops, (*self.qp).transport) };
        let name = ops.name();
        for (key, f) in [("listen_address", ops.qpair_get_listen_trid), ("peer_address", ops.qpair_get_peer_trid)] {
            let Some(f) = f else {
                o.remove(key);
                continue;
            };
            // SAFETY: plain data; all zeros is an empty transport ID.
            let mut t: spdk_nvme_transport_id = unsafe { std::mem::zeroed() };
            // SAFETY: as above; `t` is a full transport ID.
            if unsafe { f(self.qp, &mut t) } != 0 {
                o.remove(key);
                continue;
            }
            let adrfam = super::nvme::spdk_nvme_transport_id_adrfam_str(t.adrfam);
            // SAFETY: NULL or a static string.
            let adrfam = if adrfam.is_null() { "unknown".to_string() } else { unsafe { std::ffi::CStr::from_ptr(adrfam) }.to_string_lossy().into_owned() };
            o.insert(
                key.into(),
                serde_json::json!({"trtype": name, "adrfam": adrfam, "traddr": read_str(&t.traddr), "trsvcid": read_str(&t.trsvcid)}),
            );
            if key == "listen_address" {
                if let Some(d) = ops.listen_dump_opts {
                    // SAFETY: as above; the writer is open for the call.
                    o.extend(dumped(|w| unsafe { d(tp, &t, w) }));
                }
            }
        }
    }
}

unsafe extern "C" fn fini_done(_arg: *mut c_void) {}

/// Abort requests handed to a transport's qpair_abort_request: how their
/// answer reaches the generic target when the transport completes them.
static ABORTS: Mutex<Vec<(usize, Box<dyn FnOnce(u32) + Send>)>> = Mutex::new(Vec::new());

/// `req_to_abort` in the request's tail (after dif and bdev_io_wait).
const REQ_TO_ABORT: usize = 17;

/// Our connection for the transport's queue pair `qp` on this thread.
pub(super) fn conn_of(qp: *mut CQpair) -> Option<*mut TcpQpair> {
    QPS.with(|m| m.borrow().get(&(qp as usize)).map(|&q| q as *mut TcpQpair))
}

fn trid_str(f: Option<unsafe extern "C" fn(*mut CQpair, Trid) -> c_int>, qp: *mut CQpair) -> (String, u16) {
    let Some(f) = f else { return (String::new(), 0) };
    // SAFETY: plain data; all zeros is the empty transport ID.
    let mut t: spdk_nvme_transport_id = unsafe { std::mem::zeroed() };
    // SAFETY: the transport's queue pair; our transport ID.
    if unsafe { f(qp, &mut t) } != 0 {
        return (String::new(), 0);
    }
    (read_str(&t.traddr), read_str(&t.trsvcid).parse().unwrap_or(0))
}

/// A new queue pair of a plugged-in transport: it goes to a poll group.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_tgt_new_qpair(tgt: *mut spdk_nvmf_tgt, qpair: *mut spdk_nvmf_qpair) {
    guard((), || {
        let qp = qpair as *mut CQpair;
        // SAFETY: the transport's queue pair, whose transport member it set.
        let tp = if qp.is_null() { std::ptr::null_mut() } else { unsafe { (*qp).transport } };
        let core = EXT.lock().iter().find(|e| e.t == tp as usize && e.added).map(|e| e.core);
        let (Some(core), false) = (core, tgt.is_null()) else {
            log_err("spdk_nvmf_tgt_new_qpair", "the queue pair's transport is not added to the target");
            return;
        };
        // SAFETY: an added transport's operations.
        let ops = unsafe { (*tp).ops };
        // The transport's choice of poll group, else round robin.
        // SAFETY: as above.
        let chosen = unsafe { (*ops).get_optimal_poll_group.map(|f| f(qp)) }.filter(|tg| !tg.is_null());
        let target = match chosen {
            // SAFETY: one of the transport's poll groups: its group is a PollGroup's C view.
            Some(tg) => unsafe {
                let g = (*tg).group as *mut PollGroup;
                Some(((*g).thread, g))
            },
            None => group::next_group(),
        };
        let Some((thread, g)) = target else {
            log_err("spdk_nvmf_tgt_new_qpair", "the target has no poll group");
            return;
        };
        let (qa, ga, ta) = (qp as usize, g as usize, tp as usize);
        let job = move || {
            let (qp, g) = (qa as *mut CQpair, ga as *mut PollGroup);
            // SAFETY: the group, on its thread; the transport's queue pair.
            unsafe {
                let Some(tg) = (*g).ext.iter().find(|e| e.transport == ta).map(|e| e.tgroup as *mut CTgroup) else {
                    log_err("spdk_nvmf_tgt_new_qpair", "the transport has no poll group here");
                    return;
                };
                let ops = (*(*qp).transport).ops;
                (*qp).group = std::ptr::addr_of_mut!((*g).c);
                (*qp).state = QPAIR_CONNECTING;
                (*qp).ctrlr = std::ptr::null_mut();
                let peer = trid_str((*ops).qpair_get_peer_trid, qp);
                let local = match trid_str((*ops).qpair_get_listen_trid, qp) {
                    l if l.0.is_empty() => trid_str((*ops).qpair_get_local_trid, qp),
                    l => l,
                };
                let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let q = TcpQpair::start_ext(g, Box::new(Bridge { qp, tg, ops, removed: false }), core, id, peer, local);
                QPS.with(|m| m.borrow_mut().insert(qa, q as usize));
                let rc = (*ops).poll_group_add.map_or(-libc::ENOTSUP, |f| f(tg, qp));
                if rc == 0 {
                    tailq_push(std::ptr::addr_of_mut!((*g).c.qpairs), qp.cast(), std::mem::offset_of!(CQpair, link));
                } else {
                    log_err("spdk_nvmf_tgt_new_qpair", format!("the transport refused the queue pair ({rc})"));
                    QPS.with(|m| m.borrow_mut().remove(&qa));
                    // Never was in the transport's group: dropped without its callbacks.
                    (*q).c.ext = None;
                    TcpQpair::close_now(q);
                    (*qp).group = std::ptr::null_mut();
                    (*qp).state = QPAIR_ERROR;
                    if let Some(f) = (*ops).qpair_fini {
                        f(qp, Some(fini_done), std::ptr::null_mut());
                    }
                }
            }
        };
        // SAFETY: a poll group's thread lives while the group does.
        if crate::thread::send_fn(unsafe { &*thread }, job).is_err() {
            log_err("spdk_nvmf_tgt_new_qpair", "the poll group's thread is gone");
        }
    })
}

/// Disconnect a queue pair (on its poll group's thread): commands not yet
/// answered finish, then the transport's poll_group_remove and qpair_fini.
/// Zero-copy requests the transport holds (phase EXECUTE) do not wait for
/// its spdk_nvmf_request_zcopy_end: their buffers go back to the bdev
/// uncommitted and each request goes back through req_free with phase
/// COMPLETE (a disconnect also comes from the target itself, e.g. a
/// keep-alive timeout, when the transport would not know to end them).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_qpair_disconnect(qpair: *mut spdk_nvmf_qpair) -> c_int {
    guard(-libc::EINVAL, || {
        let qp = qpair as *mut CQpair;
        let Some(q) = conn_of(qp) else { return -libc::EINVAL };
        // SAFETY: the transport's queue pair and our live connection for it, on this thread.
        unsafe {
            if (*qp).disconnect_started {
                return -libc::EINPROGRESS;
            }
            (*qp).disconnect_started = true;
            (*qp).state = QPAIR_DEACTIVATING;
            TcpQpair::close_now(q);
        }
        0
    })
}

/// Take a queue pair out of its poll group now (on its thread): the
/// transport's poll_group_remove, `qpair->group` NULL and the state ERROR;
/// the target runs none of its commands after this (running ones finish,
/// held ones go back through req_free), then calls the transport's
/// qpair_fini as for a disconnect.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_poll_group_remove(qpair: *mut spdk_nvmf_qpair) {
    guard((), || {
        let qp = qpair as *mut CQpair;
        let Some(q) = conn_of(qp) else {
            log_err("spdk_nvmf_poll_group_remove", "the queue pair is in no poll group of this thread");
            return;
        };
        // SAFETY: the transport's queue pair and our live connection for it, on this thread.
        unsafe {
            let Some(b) = (*q).c.ext.as_mut() else { return };
            b.leave_group();
            (*qp).state = QPAIR_ERROR;
            (*qp).disconnect_started = true;
            TcpQpair::close_now(q);
        }
    })
}

fn qpair_trid(qpair: *mut spdk_nvmf_qpair, trid: *mut spdk_nvme_transport_id, which: fn(&COps) -> Option<unsafe extern "C" fn(*mut CQpair, Trid) -> c_int>) -> c_int {
    guard(-libc::EINVAL, || {
        let qp = qpair as *mut CQpair;
        if qp.is_null() || trid.is_null() || conn_of(qp).is_none() {
            return -libc::EINVAL;
        }
        // SAFETY: a connected queue pair of an added transport; the caller's transport ID.
        unsafe {
            std::ptr::write_bytes(trid, 0, 1);
            which(&*(*(*qp).transport).ops).map_or(-libc::ENOTSUP, |f| f(qp, trid))
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_qpair_get_peer_trid(qpair: *mut spdk_nvmf_qpair, trid: *mut spdk_nvme_transport_id) -> c_int {
    qpair_trid(qpair, trid, |o| o.qpair_get_peer_trid)
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_qpair_get_local_trid(qpair: *mut spdk_nvmf_qpair, trid: *mut spdk_nvme_transport_id) -> c_int {
    qpair_trid(qpair, trid, |o| o.qpair_get_local_trid)
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_qpair_get_listen_trid(qpair: *mut spdk_nvmf_qpair, trid: *mut spdk_nvme_transport_id) -> c_int {
    qpair_trid(qpair, trid, |o| o.qpair_get_listen_trid)
}

// ---------------------------------------------------------------- requests

/// Run a request the transport received (on its queue pair's thread); the
/// answer comes through the transport's req_complete.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_request_exec(req: *mut spdk_nvmf_request) {
    guard((), || {
        let r = req as *mut CRequest;
        if r.is_null() {
            return;
        }
        // SAFETY: the transport's request, on its queue pair's thread.
        match unsafe { (*r).zcopy_phase } {
            ZCOPY_NONE => {}
            // What SPDK's own zcopy_start does: execute in phase INIT.
            // SAFETY: forwarded.
            ZCOPY_INIT => return unsafe { super::nvmf_zcopy::spdk_nvmf_request_zcopy_start(req) },
            _ => return super::nvmf_zcopy::refuse_exec(r),
        }
        // SAFETY: the transport's request, filled for execution, on its queue pair's thread.
        unsafe {
            let qp = (*r).qpair;
            let cmd = (*r).cmd.read_unaligned();
            let len = if (*r).xfer == 0 { 0 } else { (*r).length };
            let n = usize::from((*r).iovcnt).min(MAX_BUFFERS);
            let iovs = &(&(*r).iov)[..n];
            let ran = match conn_of(qp) {
                Some(q) => {
                    let g = (*q).group;
                    (*q).c.ext_exec(&mut *g, cmd, len, iovs, r as usize)
                }
                None => false,
            };
            if !ran {
                // No connection, a closing one, or more commands than its queue holds.
                let cpl = Cpl { cid: cmd.cid(), status: (0x0c << 1) | (1 << 15), ..Default::default() };
                if !(*r).rsp.is_null() {
                    (*r).rsp.write_unaligned(cpl);
                }
                if let Some(f) = (*(*(*qp).transport).ops).req_complete {
                    f(r);
                }
            }
        }
    })
}

/// Run a fabrics command (Connect, Property Get/Set...) the transport
/// received; any other command is refused with Invalid Opcode.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_request_exec_fabrics(req: *mut spdk_nvmf_request) {
    guard((), || {
        let r = req as *mut CRequest;
        if r.is_null() {
            return;
        }
        // SAFETY: the transport's request, filled for execution.
        let cmd = unsafe { (*r).cmd.read_unaligned() };
        if cmd.opc() == crate::nvmf::spec::SPDK_NVME_OPC_FABRIC {
            // SAFETY: forwarded.
            return unsafe { spdk_nvmf_request_exec(req) };
        }
        let cpl = Cpl { cid: cmd.cid(), status: 0x01 << 1, ..Default::default() };
        // SAFETY: as above.
        unsafe {
            if !(*r).rsp.is_null() {
                (*r).rsp.write_unaligned(cpl);
            }
            if let Some(f) = (*(*(*r).qpair).transport).ops.as_ref().and_then(|o| o.req_complete) {
                f(r);
            }
        }
    })
}

/// Send a request's response as it stands (for requests the transport
/// completes itself, e.g. failed before execution). An Abort handed to the
/// transport's qpair_abort_request comes back here: its dword 0 (bit 0
/// clear: aborted) goes to the target, which answers it through
/// req_complete.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_request_complete(req: *mut spdk_nvmf_request) -> c_int {
    guard(-libc::EINVAL, || {
        let r = req as *mut CRequest;
        // SAFETY: the transport's request with its queue pair and capsules.
        unsafe {
            if r.is_null() || (*r).qpair.is_null() || (*r).rsp.is_null() {
                return -libc::EINVAL;
            }
            let asked = {
                let mut a = ABORTS.lock();
                a.iter().position(|x| x.0 == r as usize).map(|i| a.swap_remove(i).1)
            };
            if let Some(done) = asked {
                done((*r).rsp.read_unaligned().cdw0 & 1);
                return 0;
            }
            let mut cpl = (*r).rsp.read_unaligned();
            if (*r).zcopy_phase == ZCOPY_INIT && cpl.status >> 1 != 0 {
                // Failed by the transport before its zero-copy start.
                (*r).zcopy_phase = ZCOPY_INIT_FAILED;
            }
            cpl.cid = (*r).cmd.read_unaligned().cid();
            cpl.sqid = (*(*r).qpair).qid;
            cpl.sqhd = (*(*r).qpair).sq_head;
            (*r).rsp.write_unaligned(cpl);
            (*(*(*(*r).qpair).transport).ops).req_complete.map_or(-libc::ENOTSUP, |f| f(r))
        }
    })
}

/// Release a request without a response.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_request_free(req: *mut spdk_nvmf_request) -> c_int {
    guard(-libc::EINVAL, || {
        let r = req as *mut CRequest;
        // SAFETY: as above.
        unsafe {
            if r.is_null() || (*r).qpair.is_null() {
                return -libc::EINVAL;
            }
            (*(*(*(*r).qpair).transport).ops).req_free.map_or(-libc::ENOTSUP, |f| f(r))
        }
    })
}

/// Give a request `length` bytes of data buffers from the transport's pool
/// (io_unit_size each, in iov); -ENOMEM when the pool has too few now.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_request_get_buffers(
    req: *mut spdk_nvmf_request,
    _group: *mut spdk_nvmf_transport_poll_group,
    transport: *mut super::nvmf::spdk_nvmf_transport,
    length: u32,
) -> c_int {
    guard(-libc::EINVAL, || {
        let r = req as *mut CRequest;
        if r.is_null() {
            return -libc::EINVAL;
        }
        let v = EXT.lock();
        let Some(e) = v.iter().find(|e| e.t == transport as usize) else { return -libc::EINVAL };
        let n = (length as usize).div_ceil(e.unit);
        // SAFETY: the transport's request, on its thread.
        let have = usize::from(unsafe { (*r).iovcnt });
        if have + n > MAX_BUFFERS {
            return -libc::EINVAL;
        }
        let mut got = Vec::with_capacity(n);
        for _ in 0..n {
            match e.pool.get() {
                Some(b) => got.push(b),
                None => {
                    for b in got {
                        e.pool.put(b);
                    }
                    return -libc::ENOMEM;
                }
            }
        }
        let mut left = length as usize;
        // SAFETY: as above; `have + n` entries fit in iov.
        unsafe {
            for (i, b) in got.into_iter().enumerate() {
                let k = left.min(e.unit);
                (*r).iov[have + i] = libc::iovec { iov_base: b.cast(), iov_len: k };
                left -= k;
            }
            (*r).iovcnt = (have + n) as u8;
            (*r).flags |= DATA_FROM_POOL;
        }
        0
    })
}

/// Return a request's pool buffers.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_request_free_buffers(req: *mut spdk_nvmf_request, _group: *mut spdk_nvmf_transport_poll_group, transport: *mut super::nvmf::spdk_nvmf_transport) {
    guard((), || {
        let r = req as *mut CRequest;
        if r.is_null() {
            return;
        }
        let v = EXT.lock();
        let Some(e) = v.iter().find(|e| e.t == transport as usize) else { return };
        // SAFETY: the transport's request, whose buffers came from this pool.
        unsafe {
            if (*r).flags & DATA_FROM_POOL == 0 {
                return;
            }
            for i in 0..usize::from((*r).iovcnt).min(MAX_BUFFERS) {
                e.pool.put((*r).iov[i].iov_base.cast());
                (*r).iov[i] = libc::iovec { iov_base: std::ptr::null_mut(), iov_len: 0 };
            }
            (*r).iovcnt = 0;
            (*r).flags &= !DATA_FROM_POOL;
        }
    })
}

// ---------------------------------------------------------------- controllers

/// The subsystem of a controller (`qpair->ctrlr` after Connect).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_ctrlr_get_subsystem(ctrlr: *mut spdk_nvmf_ctrlr) -> *mut spdk_nvmf_subsystem {
    guard(std::ptr::null_mut(), || {
        // SAFETY: a controller a connected queue pair holds (kept alive by it).
        match unsafe { (ctrlr as *const Ctrlr).as_ref() } {
            Some(c) => super::nvmf::subsystem_handle(&c.subnqn),
            None => std::ptr::null_mut(),
        }
    })
}

/// The controller's ID.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_ctrlr_get_id(ctrlr: *mut spdk_nvmf_ctrlr) -> u16 {
    // SAFETY: as above.
    guard(0, || unsafe { (ctrlr as *const Ctrlr).as_ref() }.map_or(0, |c| c.cntlid))
}

/// `SPDK_NVMF_REQUEST_EXEC_STATUS_COMPLETE` / `_ASYNCHRONOUS` (nvmf_cmd.h).
const EXEC_STATUS_COMPLETE: c_int = 0;
const EXEC_STATUS_ASYNCHRONOUS: c_int = 1;

/// Run a fabrics Connect the transport received: the controller is made or
/// found and the answer comes through req_complete (ASYNCHRONOUS). Any other
/// command is answered Invalid Opcode at once (COMPLETE).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_ctrlr_connect(req: *mut spdk_nvmf_request) -> c_int {
    guard(EXEC_STATUS_COMPLETE, || {
        let r = req as *mut CRequest;
        // SAFETY: the transport's request, filled for execution.
        let cmd = unsafe {
            if r.is_null() || (*r).cmd.is_null() || (*r).qpair.is_null() {
                return EXEC_STATUS_COMPLETE;
            }
            (*r).cmd.read_unaligned()
        };
        // SAFETY: the command capsule as bytes: byte 4 is the fabrics command type.
        let fctype = unsafe { *(*r).cmd.cast::<u8>().add(4) };
        if cmd.opc() == crate::nvmf::spec::SPDK_NVME_OPC_FABRIC && fctype == 0x01 {
            // SAFETY: forwarded.
            unsafe { spdk_nvmf_request_exec(req) };
            return EXEC_STATUS_ASYNCHRONOUS;
        }
        // SAFETY: as above.
        unsafe {
            if !(*r).rsp.is_null() {
                (*r).rsp.write_unaligned(Cpl { cid: cmd.cid(), status: 0x01 << 1, ..Default::default() });
            }
            if let Some(f) = (*(*(*r).qpair).transport).ops.as_ref().and_then(|o| o.req_complete) {
                f(r);
            }
        }
        EXEC_STATUS_COMPLETE
    })
}

/// The DIF context of a request whose protection information the target
/// inserts or strips. This target never does (`dif_insert_or_strip` is
/// refused at transport creation), so no request has one: false, and
/// `dif_ctx` is left as it is.
#[no_mangle]
pub extern "C" fn spdk_nvmf_request_get_dif_ctx(req: *mut spdk_nvmf_request, dif_ctx: *mut super::bdev_types::spdk_dif_ctx) -> bool {
    let _ = (req, dif_ctx);
    false
}

// ---------------------------------------------------------------- JSON views

/// What a transport's dump operation writes into an object, as JSON members
/// (`write(w)` gets an open object; its members come back).
pub(super) fn dumped(write: impl FnOnce(*mut spdk_json_write_ctx)) -> serde_json::Map<String, serde_json::Value> {
    unsafe extern "C" fn collect(ctx: *mut c_void, data: *const c_void, size: usize) -> c_int {
        // SAFETY: the Vec handed to spdk_json_write_begin below; `size` bytes of output.
        unsafe { (*(ctx as *mut Vec<u8>)).extend_from_slice(std::slice::from_raw_parts(data as *const u8, size)) };
        0
    }
    let mut out: Vec<u8> = Vec::new();
    // SAFETY: the writer lives until spdk_json_write_end, `out` longer.
    unsafe {
        let w = super::json::spdk_json_write_begin(Some(collect), std::ptr::addr_of_mut!(out).cast(), 0);
        if w.is_null() {
            return serde_json::Map::new();
        }
        super::json::spdk_json_write_object_begin(w);
        write(w);
        super::json::spdk_json_write_object_end(w);
        if super::json::spdk_json_write_end(w) != 0 {
            log_err("a transport's JSON dump", "it wrote invalid JSON; ignored");
            return serde_json::Map::new();
        }
    }
    match serde_json::from_slice(&out) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

/// `nvmf_get_transports` entries of the added plugged-in transports: their
/// generic options, then what their dump_opts writes.
pub(crate) fn transports_json() -> Vec<serde_json::Value> {
    added()
        .into_iter()
        .map(|t| {
            let tp = t as *mut CTransport;
            // SAFETY: an added transport and its operations (on the app thread).
            let (name, o, dump) = unsafe { ((*(*tp).ops).name(), (*tp).opts, (*(*tp).ops).dump_opts) };
            let io_qpairs = { o.max_qpairs_per_ctrlr }.saturating_sub(1);
            let mut v = serde_json::json!({
                "trtype": name,
                "max_queue_depth": ({ o.max_queue_depth }),
                "max_io_qpairs_per_ctrlr": io_qpairs,
                "in_capsule_data_size": ({ o.in_capsule_data_size }),
                "max_io_size": ({ o.max_io_size }),
                "io_unit_size": ({ o.io_unit_size }),
                "max_aq_depth": ({ o.max_aq_depth }),
                "num_shared_buffers": ({ o.num_shared_buffers }),
                "buf_cache_size": ({ o.buf_cache_size }),
                "dif_insert_or_strip": ({ o.dif_insert_or_strip }),
                "zcopy": ({ o.zcopy }),
                "abort_timeout_sec": ({ o.abort_timeout_sec }),
                "disable_command_passthru": ({ o.disable_command_passthru }),
            });
            if let (Some(f), Some(m)) = (dump, v.as_object_mut()) {
                // SAFETY: as above; the writer is open for the call.
                m.extend(dumped(|w| unsafe { f(tp, w) }));
            }
            v
        })
        .collect()
}

/// `nvmf_get_stats` entries of a poll group's plugged-in transports: the
/// name, then what their poll_group_dump_stat writes (on the group's thread).
pub(crate) fn group_stats_json(g: &PollGroup) -> Vec<serde_json::Value> {
    g.ext
        .iter()
        .map(|e| {
            let tg = e.tgroup as *mut CTgroup;
            // SAFETY: a live transport poll group of this group, on its thread.
            let (name, dump) = unsafe { ((*(*(*tg).transport).ops).name(), (*(*(*tg).transport).ops).poll_group_dump_stat) };
            let mut v = serde_json::json!({ "trtype": name });
            if let (Some(f), Some(m)) = (dump, v.as_object_mut()) {
                // SAFETY: as above; the writer is open for the call.
                m.extend(dumped(|w| unsafe { f(tg, w) }));
            }
            v
        })
        .collect()
}
