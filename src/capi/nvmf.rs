//! `spdk/nvmf.h`: the NVMe-oF target's C API over `crate::nvmf` — the
//! target, its TCP transport, poll groups on the application's threads, and
//! subsystems with their states, hosts, listeners and namespaces.
//!
//! rspdk runs one target per process (the one the `nvmf_*` RPC methods
//! configure too). Handles are stable pointers kept here; a subsystem's
//! handle lives until `spdk_nvmf_subsystem_destroy` (or the target's).
//! Control calls belong on the application thread, as in SPDK; callbacks
//! come by message on the calling thread, never before the call returns.

use super::bdev_types::spdk_bdev;
use super::json::spdk_json_val;
use super::nvme::{fill, read_str};
use super::nvme_types::{spdk_nvme_transport_id, spdk_nvme_transport_type, spdk_nvme_transport_type_raw, spdk_nvmf_adrfam_raw};
use super::util::spdk_uuid;
use super::{cstr, guard, SendPtr};
use crate::nvmf::group::{self, PollGroup};
use crate::nvmf::subsystem::{AnaState, ListenAddr, Namespace, Referral, State, Subsystem, SubsystemOpts, Subtype, DISCOVERY_NQN};
use crate::nvmf::tcp::transport::{self as tcp, TcpOpts};
use crate::nvmf::tgt as ntgt;
use parking_lot::Mutex;
use std::ffi::{c_char, c_int, c_void, CString};

/// Opaque: the NVMe-oF target.
pub struct spdk_nvmf_tgt {
    _private: [u8; 0],
}
/// Opaque: a subsystem.
pub struct spdk_nvmf_subsystem {
    _private: [u8; 0],
}
/// Opaque: a transport.
pub struct spdk_nvmf_transport {
    _private: [u8; 0],
}
/// Opaque: a poll group (one per SPDK thread).
pub struct spdk_nvmf_poll_group {
    _private: [u8; 0],
}
/// Opaque: a host allowed on a subsystem.
pub struct spdk_nvmf_host {
    _private: [u8; 0],
}
/// Opaque: an address a subsystem accepts connections on.
pub struct spdk_nvmf_subsystem_listener {
    _private: [u8; 0],
}
/// Opaque: a namespace.
pub struct spdk_nvmf_ns {
    _private: [u8; 0],
}

/// `struct spdk_nvmf_target_opts` (defined in C, src/capi/raw/nvmf_target.h).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvmf_target_opts {
    pub size: usize,
    pub name: [c_char; 256],
    pub max_subsystems: u32,
    pub crdt: [u16; 3],
    pub discovery_filter: u32,
    pub dhchap_digests: u32,
    pub dhchap_dhgroups: u32,
}
const _: () = assert!(std::mem::size_of::<spdk_nvmf_target_opts>() == 288);

/// `struct spdk_nvmf_transport_opts` (packed; defined in C).
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct spdk_nvmf_transport_opts {
    pub max_queue_depth: u16,
    pub max_qpairs_per_ctrlr: u16,
    pub in_capsule_data_size: u32,
    pub max_io_size: u32,
    pub io_unit_size: u32,
    pub max_aq_depth: u32,
    pub num_shared_buffers: u32,
    pub buf_cache_size: u32,
    pub dif_insert_or_strip: bool,
    pub disable_command_passthru: bool,
    pub reserved30: [u8; 2],
    pub abort_timeout_sec: u32,
    pub association_timeout: u32,
    pub transport_specific: *const spdk_json_val,
    pub opts_size: usize,
    pub acceptor_poll_rate: u32,
    pub zcopy: bool,
    pub reserved61: [u8; 3],
    pub ack_timeout: u32,
    pub data_wr_pool_size: u32,
    pub min_kato: u32,
    pub kas: u16,
    /// `struct spdk_nvme_cdata_oncs` (a bitfield word).
    pub oncs: u16,
    /// `struct spdk_nvme_cdata_fuses` (a bitfield word).
    pub fuses: u16,
}
const _: () = assert!(std::mem::size_of::<spdk_nvmf_transport_opts>() == 82);
const _: () = assert!(std::mem::offset_of!(spdk_nvmf_transport_opts, opts_size) == 48);

/// `struct spdk_nvmf_listen_opts` (packed; defined in C).
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct spdk_nvmf_listen_opts {
    pub opts_size: usize,
    pub transport_specific: *const spdk_json_val,
    pub secure_channel: bool,
    pub reserved1: [u8; 3],
    /// `enum spdk_nvme_ana_state`.
    pub ana_state: u32,
    pub sock_impl: *mut c_char,
}
const _: () = assert!(std::mem::size_of::<spdk_nvmf_listen_opts>() == 32);

/// `struct spdk_nvmf_listener_opts` (packed; defined in C).
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct spdk_nvmf_listener_opts {
    pub opts_size: usize,
    pub secure_channel: bool,
    pub reserved1: [u8; 3],
    /// `enum spdk_nvme_ana_state`.
    pub ana_state: u32,
}
const _: () = assert!(std::mem::size_of::<spdk_nvmf_listener_opts>() == 16);

/// `struct spdk_nvmf_referral_opts` (defined in C, src/capi/raw_late/nvmf_referral.h).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct spdk_nvmf_referral_opts {
    pub size: usize,
    pub trid: spdk_nvme_transport_id,
    pub secure_channel: bool,
}
const _: () = assert!(std::mem::size_of::<spdk_nvmf_referral_opts>() == 576);
const _: () = assert!(std::mem::offset_of!(spdk_nvmf_referral_opts, secure_channel) == 572);

/// `enum spdk_nvme_ana_state` as C passes it (1 optimized, 2 non-optimized, 3 inaccessible, ...).
pub type spdk_nvme_ana_state_raw = u32;

/// `struct spdk_nvmf_poll_group_stat` (defined in C).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct spdk_nvmf_poll_group_stat {
    pub admin_qpairs: u32,
    pub io_qpairs: u32,
    pub current_admin_qpairs: u32,
    pub current_io_qpairs: u32,
    pub pending_bdev_io: u64,
    pub completed_nvme_io: u64,
}

/// NVMe-oF target namespace creation options.
#[repr(C, packed)]
#[derive(Clone, Copy)]
pub struct spdk_nvmf_ns_opts {
    /// Namespace ID; 0 to take the lowest free one.
    pub nsid: u32,
    /// Namespace Globally Unique Identifier (zeros: none).
    pub nguid: [u8; 16],
    /// IEEE Extended Unique Identifier (zeros: none).
    pub eui64: [u8; 8],
    /// Namespace UUID (zeros: none).
    pub uuid: spdk_uuid,
    pub reserved44: [u8; 4],
    /// sizeof(struct spdk_nvmf_ns_opts) as the caller knows it.
    pub opts_size: usize,
    /// ANA group ID (0: the NSID).
    pub anagrpid: u32,
    /// Not visible to any host until added to it (not supported: must be false).
    pub no_auto_visible: bool,
    pub reserved61: [u8; 3],
    /// Transport specific JSON values (unused by TCP).
    pub transport_specific: *const spdk_json_val,
    /// Hide the bdev's metadata from the host (rspdk's namespaces carry none).
    pub hide_metadata: bool,
}
const _: () = assert!(std::mem::size_of::<spdk_nvmf_ns_opts>() == 73);
const _: () = assert!(std::mem::offset_of!(spdk_nvmf_ns_opts, opts_size) == 48);

/// `enum spdk_nvmf_subtype` as C passes it.
pub type spdk_nvmf_subtype_raw = u32;
const SUBTYPE_DISCOVERY: u32 = 1;
const SUBTYPE_NVME: u32 = 2;

pub type spdk_nvmf_tgt_subsystem_listen_done_fn = Option<unsafe extern "C" fn(ctx: *mut c_void, status: c_int)>;
pub type spdk_nvmf_subsystem_state_change_done = Option<unsafe extern "C" fn(subsystem: *mut spdk_nvmf_subsystem, cb_arg: *mut c_void, status: c_int)>;
pub type nvmf_subsystem_destroy_cb = Option<unsafe extern "C" fn(cb_arg: *mut c_void)>;
pub type spdk_nvmf_poll_group_destroy_done_fn = Option<unsafe extern "C" fn(cb_arg: *mut c_void, status: c_int)>;
pub type spdk_nvmf_transport_create_done_cb = Option<unsafe extern "C" fn(cb_arg: *mut c_void, transport: *mut spdk_nvmf_transport)>;
pub type spdk_nvmf_transport_destroy_done_cb = Option<unsafe extern "C" fn(cb_arg: *mut c_void)>;
pub type spdk_nvmf_tgt_add_transport_done_fn = Option<unsafe extern "C" fn(cb_arg: *mut c_void, status: c_int)>;

// ---------------------------------------------------------------- helpers

pub(super) fn later_pub(f: impl FnOnce() + Send + 'static) {
    later(f)
}

pub(super) fn tgt_handle() -> *mut spdk_nvmf_tgt {
    tgt_ptr()
}

pub(super) fn subsystem_handle(nqn: &str) -> *mut spdk_nvmf_subsystem {
    handle_of(nqn)
}

/// The generic target's limits from a plugged-in transport's options.
pub(super) fn core_opts_of(o: &spdk_nvmf_transport_opts) -> Result<TcpOpts, String> {
    tcp_opts_of(o)
}

/// The transport ID of a plugged-in transport's listen address.
pub(super) fn trid_pub(a: &ListenAddr, _name: &str) -> spdk_nvme_transport_id {
    trid_of(a)
}

/// Runs `f` on the calling SPDK thread by message (at once off SPDK threads).
fn later(f: impl FnOnce() + Send + 'static) {
    let t = crate::thread::current();
    // SAFETY: the current thread is live while it runs us.
    if t.is_null() || crate::thread::send_fn(unsafe { &*t }, f).is_err() {
        crate::log::error(format_args!("nvmf: cannot defer a callback; not on an SPDK thread\n"));
    }
}

/// `defaults` overlaid with the first `user_size` bytes of `*user`.
///
/// # Safety
/// `user` is NULL or points to at least `user_size` readable bytes.
unsafe fn merge<T: Copy>(defaults: T, user: *const T, user_size: usize) -> T {
    let mut out = defaults;
    if !user.is_null() {
        let n = user_size.min(std::mem::size_of::<T>());
        // SAFETY: per the contract; `out` is a plain-old-data struct.
        unsafe { std::ptr::copy_nonoverlapping(user.cast::<u8>(), (&mut out as *mut T).cast::<u8>(), n) };
    }
    out
}

/// Writes the first `size` bytes of `v` into `*out`.
///
/// # Safety
/// `out` is NULL or points to at least `size` writable bytes.
unsafe fn store<T: Copy>(v: &T, out: *mut T, size: usize) {
    if !out.is_null() {
        let n = size.min(std::mem::size_of::<T>());
        // SAFETY: per the contract.
        unsafe { std::ptr::copy_nonoverlapping((v as *const T).cast::<u8>(), out.cast::<u8>(), n) };
    }
}

/// A transport ID as a listen address (TCP only).
fn listen_addr(t: &spdk_nvme_transport_id) -> Result<ListenAddr, String> {
    let s = read_str(&t.trstring);
    let tcp = t.trtype.0 == spdk_nvme_transport_type::SPDK_NVME_TRANSPORT_TCP as i32 || s.eq_ignore_ascii_case("tcp");
    if !tcp && t.trtype.0 == spdk_nvme_transport_type::SPDK_NVME_TRANSPORT_CUSTOM as i32 {
        if let Some(a) = super::nvmf_transport::listen_addr(t) {
            return Ok(a);
        }
    }
    if !tcp {
        return Err(format!("transport '{s}' (type {}) is not supported (TCP is)", t.trtype.0));
    }
    let adrfam = match t.adrfam.0 {
        2 => "IPv6",
        _ => "IPv4",
    };
    Ok(ListenAddr { trtype: "TCP".into(), adrfam: adrfam.into(), traddr: read_str(&t.traddr), trsvcid: read_str(&t.trsvcid) })
}

fn trid_of(a: &ListenAddr) -> spdk_nvme_transport_id {
    // SAFETY: the transport ID is plain data; all zeros is its empty value.
    let mut t: spdk_nvme_transport_id = unsafe { std::mem::zeroed() };
    if a.trtype.eq_ignore_ascii_case("tcp") {
        t.trtype = spdk_nvme_transport_type_raw(spdk_nvme_transport_type::SPDK_NVME_TRANSPORT_TCP as i32);
        fill(&mut t.trstring, "TCP");
    } else {
        // A transport plugged in through nvmf_transport.h.
        t.trtype = spdk_nvme_transport_type_raw(spdk_nvme_transport_type::SPDK_NVME_TRANSPORT_CUSTOM as i32);
        fill(&mut t.trstring, &a.trtype);
    }
    t.adrfam = spdk_nvmf_adrfam_raw(if a.adrfam.eq_ignore_ascii_case("ipv6") { 2 } else { 1 });
    fill(&mut t.traddr, &a.traddr);
    fill(&mut t.trsvcid, &a.trsvcid);
    t
}

fn ana_of(v: u32) -> Result<AnaState, String> {
    match v {
        0 | 1 => Ok(AnaState::Optimized),
        2 => Ok(AnaState::NonOptimized),
        3 => Ok(AnaState::Inaccessible),
        _ => Err(format!("ANA state {v} is not optimized (1), non-optimized (2) or inaccessible (3)")),
    }
}

fn log_err(what: &str, e: impl std::fmt::Display) {
    crate::log::error(format_args!("nvmf: {what}: {e}\n"));
}

// ---------------------------------------------------------------- handles

/// The target's handle (one per process): a fixed address.
static TGT_HANDLE: u8 = 0;
fn tgt_ptr() -> *mut spdk_nvmf_tgt {
    &TGT_HANDLE as *const u8 as *mut spdk_nvmf_tgt
}

struct HostH {
    nqn: CString,
}
struct ListenerH {
    addr: ListenAddr,
    trid: spdk_nvme_transport_id,
}
struct NsH {
    sub: usize,
    nsid: u32,
}
// Boxed elements on purpose: C holds pointers to them across changes of the lists.
#[allow(clippy::vec_box)]
struct SubH {
    nqn: CString,
    sn: CString,
    mn: CString,
    hosts: Vec<Box<HostH>>,
    listeners: Vec<Box<ListenerH>>,
    ns: Vec<Box<NsH>>,
}

/// Subsystem handles by NQN (boxed: stable addresses).
#[allow(clippy::vec_box)]
static SUBS: Mutex<Vec<Box<SubH>>> = Mutex::new(Vec::new());
/// ANA states given at `spdk_nvmf_tgt_listen_ext`, applied when a subsystem adds the listener.
static LISTEN_ANA: Mutex<Vec<(ListenAddr, AnaState)>> = Mutex::new(Vec::new());

fn cstring(s: &str) -> CString {
    CString::new(s.replace('\0', "")).unwrap_or_default()
}

/// The handle of subsystem `nqn` (made on first use).
fn handle_of(nqn: &str) -> *mut spdk_nvmf_subsystem {
    let mut v = SUBS.lock();
    if let Some(h) = v.iter_mut().find(|h| h.nqn.to_bytes() == nqn.as_bytes()) {
        return (&mut **h as *mut SubH).cast();
    }
    let mut h = Box::new(SubH { nqn: cstring(nqn), sn: CString::default(), mn: CString::default(), hosts: Vec::new(), listeners: Vec::new(), ns: Vec::new() });
    let p: *mut SubH = &mut *h;
    v.push(h);
    p.cast()
}

fn forget(nqn: &str) {
    SUBS.lock().retain(|h| h.nqn.to_bytes() != nqn.as_bytes());
}

/// The subsystem behind a handle (its current state, copied).
///
/// # Safety
/// `s` is NULL or a handle from this module.
unsafe fn sub_of<'a>(s: *const spdk_nvmf_subsystem) -> Option<(&'a mut SubH, Subsystem)> {
    // SAFETY: per the contract; handles live until destroy.
    let h = unsafe { (s as *mut SubH).as_mut() }?;
    let nqn = h.nqn.to_str().ok()?.to_string();
    let sub = ntgt::subsystem(&nqn)?;
    Some((h, sub))
}

fn nqn_of(h: &SubH) -> String {
    h.nqn.to_string_lossy().into_owned()
}

// ---------------------------------------------------------------- target

/// Construct the NVMe-oF target (one per process in rspdk).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_tgt_create(opts: *mut spdk_nvmf_target_opts) -> *mut spdk_nvmf_tgt {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's options, `size` bytes of them.
        let size = unsafe { opts.as_ref() }.map_or(0, |o| o.size);
        // SAFETY: as above.
        let zero: spdk_nvmf_target_opts = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        let o = unsafe { merge(zero, opts, if size == 0 { std::mem::size_of::<spdk_nvmf_target_opts>() } else { size }) };
        let name = read_str(&o.name);
        let name = if name.is_empty() { ntgt::DEFAULT_NAME.to_string() } else { name };
        if o.dhchap_digests != 0 || o.dhchap_dhgroups != 0 {
            log_err("spdk_nvmf_tgt_create", "DH-HMAC-CHAP is not supported");
            return std::ptr::null_mut();
        }
        match ntgt::create_named(&name) {
            Ok(()) => tgt_ptr(),
            Err(e) => {
                log_err("spdk_nvmf_tgt_create", e);
                std::ptr::null_mut()
            }
        }
    })
}

/// Destroy the target: its transport, poll groups and subsystems go.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_tgt_destroy(tgt: *mut spdk_nvmf_tgt, cb_fn: Option<unsafe extern "C" fn(ctx: *mut c_void, status: c_int)>, cb_arg: *mut c_void) {
    guard((), || {
        if tgt != tgt_ptr() || ntgt::name().is_none() {
            if let Some(f) = cb_fn {
                let a = SendPtr(cb_arg);
                // SAFETY: the caller's callback.
                later(move || { let a = a; unsafe { f(a.0, -libc::EINVAL) } });
            }
            return;
        }
        *TRANSPORT.lock() = None;
        let a = SendPtr(cb_arg);
        ntgt::destroy(move || {
            SUBS.lock().clear();
            LISTEN_ANA.lock().clear();
            if let Some(f) = cb_fn {
                let a = a;
                // SAFETY: the caller's callback and context.
                unsafe { f(a.0, 0) };
            }
        });
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_tgt_get_name(tgt: *mut spdk_nvmf_tgt) -> *const c_char {
    static NAME: Mutex<Option<CString>> = Mutex::new(None);
    guard(std::ptr::null(), || {
        if tgt != tgt_ptr() {
            return std::ptr::null();
        }
        let Some(n) = ntgt::name() else { return std::ptr::null() };
        let mut g = NAME.lock();
        if g.as_ref().map_or(true, |c| c.to_bytes() != n.as_bytes()) {
            *g = Some(cstring(&n));
        }
        g.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
    })
}

/// The target named `name` (NULL: the only one).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_get_tgt(name: *const c_char) -> *mut spdk_nvmf_tgt {
    guard(std::ptr::null_mut(), || {
        let Some(cur) = ntgt::name() else { return std::ptr::null_mut() };
        // SAFETY: the caller's string.
        match unsafe { cstr(name) } {
            None if name.is_null() => tgt_ptr(),
            Some(n) if n == cur => tgt_ptr(),
            _ => std::ptr::null_mut(),
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_get_first_tgt() -> *mut spdk_nvmf_tgt {
    guard(std::ptr::null_mut(), || if ntgt::name().is_some() { tgt_ptr() } else { std::ptr::null_mut() })
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_get_next_tgt(_prev: *mut spdk_nvmf_tgt) -> *mut spdk_nvmf_tgt {
    std::ptr::null_mut()
}

/// The referral a caller's options describe (their first `size` bytes count).
///
/// # Safety
/// `opts` is NULL or points to the caller's options, at least `size` bytes as its first field says.
unsafe fn referral_of(opts: *const spdk_nvmf_referral_opts) -> Option<Referral> {
    if opts.is_null() {
        return None;
    }
    // SAFETY: per the contract; size is the first field.
    let size = unsafe { std::ptr::addr_of!((*opts).size).read() };
    // SAFETY: plain data; all zeros is "nothing given".
    let zero: spdk_nvmf_referral_opts = unsafe { std::mem::zeroed() };
    // SAFETY: per the contract.
    let o = unsafe { merge(zero, opts, size) };
    let t = &o.trid;
    let trtype = match t.trtype.0 {
        1 => "RDMA".to_string(),
        3 => "TCP".to_string(),
        _ => read_str(&t.trstring),
    };
    let adrfam = if t.adrfam.0 == 2 { "IPv6" } else { "IPv4" };
    let addr = ListenAddr { trtype, adrfam: adrfam.into(), traddr: read_str(&t.traddr), trsvcid: read_str(&t.trsvcid) };
    Some(Referral { addr, subnqn: read_str(&t.subnqn), secure_channel: o.secure_channel })
}

/// Add a discovery referral: the discovery log lists it (and its generation counter moves).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_tgt_add_referral(tgt: *mut spdk_nvmf_tgt, opts: *const spdk_nvmf_referral_opts) -> c_int {
    guard(-libc::EINVAL, || {
        // SAFETY: the caller's options.
        let (true, Some(r)) = (tgt == tgt_ptr(), unsafe { referral_of(opts) }) else { return -libc::EINVAL };
        if r.secure_channel {
            log_err("spdk_nvmf_tgt_add_referral", "secure channels (TLS) are not supported");
            return -libc::EOPNOTSUPP;
        }
        match ntgt::add_referral(r) {
            Ok(_) => 0,
            Err(e) => {
                log_err("spdk_nvmf_tgt_add_referral", &e);
                -e.errno()
            }
        }
    })
}

/// Remove a discovery referral (-ENOENT if there is none with that transport ID).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_tgt_remove_referral(tgt: *mut spdk_nvmf_tgt, opts: *const spdk_nvmf_referral_opts) -> c_int {
    guard(-libc::EINVAL, || {
        // SAFETY: the caller's options.
        let (true, Some(r)) = (tgt == tgt_ptr(), unsafe { referral_of(opts) }) else { return -libc::EINVAL };
        match ntgt::remove_referral(&r.addr, &r.subnqn) {
            Ok(()) => 0,
            Err(e) => {
                log_err("spdk_nvmf_tgt_remove_referral", &e);
                -e.errno()
            }
        }
    })
}

/// Default listen options.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_listen_opts_init(opts: *mut spdk_nvmf_listen_opts, opts_size: usize) {
    guard((), || {
        let d = spdk_nvmf_listen_opts { opts_size, transport_specific: std::ptr::null(), secure_channel: false, reserved1: [0; 3], ana_state: 1, sock_impl: std::ptr::null_mut() };
        // SAFETY: the caller's struct of `opts_size` bytes.
        unsafe { store(&d, opts, opts_size) };
    })
}

/// Start listening (the transport's socket) at `trid`.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_tgt_listen_ext(tgt: *mut spdk_nvmf_tgt, trid: *const spdk_nvme_transport_id, opts: *mut spdk_nvmf_listen_opts) -> c_int {
    guard(-libc::EINVAL, || {
        // SAFETY: the caller's transport ID.
        let Some(t) = (unsafe { trid.as_ref() }) else { return -libc::EINVAL };
        if tgt != tgt_ptr() {
            return -libc::EINVAL;
        }
        let size = if opts.is_null() {
            0
        } else {
            // SAFETY: the caller's options; opts_size is their first field.
            unsafe { std::ptr::addr_of!((*opts).opts_size).read_unaligned() }
        };
        // SAFETY: plain data; all zeros is a valid value.
        let mut d: spdk_nvmf_listen_opts = unsafe { std::mem::zeroed() };
        d.ana_state = 1;
        // SAFETY: the caller's options, `opts_size` bytes.
        let o = unsafe { merge(d, opts, size) };
        if o.secure_channel {
            log_err("spdk_nvmf_tgt_listen_ext", "secure channels (TLS) are not supported");
            return -libc::EOPNOTSUPP;
        }
        let ana = match ana_of(o.ana_state) {
            Ok(a) => a,
            Err(e) => {
                log_err("spdk_nvmf_tgt_listen_ext", e);
                return -libc::EINVAL;
            }
        };
        let addr = match listen_addr(t) {
            Ok(a) => a,
            Err(e) => {
                log_err("spdk_nvmf_tgt_listen_ext", e);
                return -libc::EINVAL;
            }
        };
        if !addr.trtype.eq_ignore_ascii_case("tcp") {
            let rc = super::nvmf_transport::listen(addr.clone(), trid, opts.cast());
            if rc != 0 {
                log_err("spdk_nvmf_tgt_listen_ext", format!("transport {} cannot listen at {}:{} ({rc})", addr.trtype, addr.traddr, addr.trsvcid));
                return rc;
            }
        } else if let Err(e) = tcp::listen(&addr) {
            log_err("spdk_nvmf_tgt_listen_ext", e);
            return -libc::EINVAL;
        }
        let mut l = LISTEN_ANA.lock();
        l.retain(|x| x.0 != addr);
        l.push((addr, ana));
        0
    })
}

/// Stop listening at `trid` (connections made through it stay).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_tgt_stop_listen(tgt: *mut spdk_nvmf_tgt, trid: *const spdk_nvme_transport_id) -> c_int {
    guard(-libc::EINVAL, || {
        // SAFETY: the caller's transport ID.
        let Some(t) = (unsafe { trid.as_ref() }) else { return -libc::EINVAL };
        let Ok(addr) = listen_addr(t) else { return -libc::EINVAL };
        if tgt != tgt_ptr() {
            return -libc::EINVAL;
        }
        if !addr.trtype.eq_ignore_ascii_case("tcp") {
            let rc = super::nvmf_transport::stop_listen(&addr, trid);
            if rc != 0 {
                return rc;
            }
        } else if !tcp::is_listening(&addr) {
            return -libc::EINVAL;
        } else {
            tcp::stop_listen(&addr);
        }
        LISTEN_ANA.lock().retain(|x| x.0 != addr);
        0
    })
}

// ---------------------------------------------------------------- transport

/// The TCP transport's handle: `#[repr(C)]`, it begins with the C view
/// (`struct spdk_nvmf_transport`: its options, operations naming it).
#[repr(C)]
struct TransportH {
    c: super::nvmf_transport::CTransport,
    tcp: TcpOpts,
    added: bool,
}
// SAFETY: the options' json pointer is only kept as the caller gave it, never dereferenced after creation.
unsafe impl Send for TransportH {}

/// The TCP transport's handle (at most one).
static TRANSPORT: Mutex<Option<Box<TransportH>>> = Mutex::new(None);

pub(super) fn transport_defaults(size: usize) -> spdk_nvmf_transport_opts {
    let t = TcpOpts::default();
    spdk_nvmf_transport_opts {
        max_queue_depth: t.max_queue_depth as u16,
        max_qpairs_per_ctrlr: (t.max_io_qpairs_per_ctrlr + 1) as u16,
        in_capsule_data_size: t.in_capsule_data_size,
        max_io_size: t.max_io_size,
        io_unit_size: t.io_unit_size,
        max_aq_depth: t.max_aq_depth,
        num_shared_buffers: t.num_shared_buffers,
        buf_cache_size: t.buf_cache_size,
        dif_insert_or_strip: false,
        disable_command_passthru: false,
        reserved30: [0; 2],
        abort_timeout_sec: t.abort_timeout_sec,
        association_timeout: 120_000,
        transport_specific: std::ptr::null(),
        opts_size: size,
        acceptor_poll_rate: t.acceptor_poll_rate,
        zcopy: false,
        reserved61: [0; 3],
        ack_timeout: 0,
        data_wr_pool_size: 0,
        min_kato: t.min_kato,
        kas: t.kas as u16,
        // Compare, dataset management, write zeroes, reservations.
        oncs: 0x2d,
        // Compare and write.
        fuses: 0x1,
    }
}

fn is_tcp(name: *const c_char) -> bool {
    // SAFETY: the caller's string.
    unsafe { cstr(name) }.is_some_and(|n| n.eq_ignore_ascii_case("tcp"))
}

/// Default options of transport `transport_name` (TCP).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_transport_opts_init(transport_name: *const c_char, opts: *mut spdk_nvmf_transport_opts, opts_size: usize) -> bool {
    guard(false, || {
        if opts.is_null() || opts_size == 0 {
            return false;
        }
        let d = if is_tcp(transport_name) {
            transport_defaults(opts_size)
        } else {
            // SAFETY: the caller's string.
            let Some(n) = (unsafe { cstr(transport_name) }) else { return false };
            let Some(d) = super::nvmf_transport::opts_init(n, transport_defaults(opts_size)) else { return false };
            d
        };
        // SAFETY: the caller's struct of `opts_size` bytes.
        unsafe { store(&d, opts, opts_size) };
        true
    })
}

/// Reads a boolean or an unsigned member of the transport-specific object.
fn specific(obj: *const spdk_json_val, key: &str) -> Option<*mut spdk_json_val> {
    if obj.is_null() {
        return None;
    }
    let k = cstring(key);
    let (mut kp, mut vp) = (std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: the caller's JSON object, valid during creation.
    let rc = unsafe { super::json::spdk_json_find(obj as *mut _, k.as_ptr(), &mut kp, &mut vp, 0) };
    (rc == 0 && !vp.is_null()).then_some(vp)
}

fn tcp_opts_of(o: &spdk_nvmf_transport_opts) -> Result<TcpOpts, String> {
    let mut t = TcpOpts::default();
    t.max_queue_depth = u32::from(o.max_queue_depth);
    if o.max_qpairs_per_ctrlr < 2 {
        return Err(format!("max_qpairs_per_ctrlr {} leaves no I/O queue", { o.max_qpairs_per_ctrlr }));
    }
    t.max_io_qpairs_per_ctrlr = u32::from(o.max_qpairs_per_ctrlr) - 1;
    t.in_capsule_data_size = o.in_capsule_data_size;
    t.max_io_size = o.max_io_size;
    t.io_unit_size = o.io_unit_size;
    t.max_aq_depth = o.max_aq_depth;
    t.num_shared_buffers = o.num_shared_buffers;
    t.buf_cache_size = o.buf_cache_size;
    t.abort_timeout_sec = o.abort_timeout_sec;
    t.acceptor_poll_rate = o.acceptor_poll_rate;
    t.kas = u32::from(o.kas);
    t.min_kato = o.min_kato;
    if o.dif_insert_or_strip {
        return Err("dif_insert_or_strip is not supported".into());
    }
    t.zcopy = o.zcopy;
    let ts = o.transport_specific;
    if let Some(v) = specific(ts, "c2h_success") {
        let mut b = false;
        // SAFETY: a value inside the caller's object; `b` is a bool.
        if unsafe { super::json::spdk_json_decode_bool(v, (&mut b as *mut bool).cast()) } != 0 {
            return Err("c2h_success is not a boolean".into());
        }
        t.c2h_success = b;
    }
    for (key, slot) in [("sock_priority", &mut t.sock_priority), ("control_msg_num", &mut t.control_msg_num)] {
        if let Some(v) = specific(ts, key) {
            // SAFETY: as above; `slot` is a u32.
            if unsafe { super::json::spdk_json_number_to_uint32(v, slot) } != 0 {
                return Err(format!("{key} is not an unsigned 32-bit number"));
            }
        }
    }
    t.validate()?;
    Ok(t)
}

/// Create the TCP transport; `cb_fn` gets it (or NULL) later, on this thread.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_transport_create_async(
    transport_name: *const c_char,
    opts: *mut spdk_nvmf_transport_opts,
    cb_fn: spdk_nvmf_transport_create_done_cb,
    cb_arg: *mut c_void,
) -> c_int {
    guard(-libc::EINVAL, || {
        let Some(f) = cb_fn else { return -libc::EINVAL };
        // SAFETY: the caller's string.
        let name = unsafe { cstr(transport_name) }.unwrap_or("").to_string();
        if opts.is_null() || !(is_tcp(transport_name) || super::nvmf_transport::is_registered(&name)) {
            return -libc::EINVAL;
        }
        if !is_tcp(transport_name) {
            // SAFETY: the caller's options; opts_size sits at offset 48.
            let size = unsafe { std::ptr::addr_of!((*opts).opts_size).read_unaligned() };
            let Some(d) = super::nvmf_transport::opts_init(&name, transport_defaults(size)) else { return -libc::EINVAL };
            // SAFETY: `size` bytes of the caller's options.
            let o = unsafe { merge(d, opts, size) };
            let a = SendPtr(cb_arg);
            return super::nvmf_transport::create(&name, o, Box::new(move |t| {
                let a = a;
                // SAFETY: the caller's callback.
                unsafe { f(a.0, t.cast()) }
            }));
        }
        // SAFETY: the caller's options; opts_size sits at offset 48.
        let size = unsafe { std::ptr::addr_of!((*opts).opts_size).read_unaligned() };
        if size == 0 {
            return -libc::EINVAL;
        }
        // SAFETY: `size` bytes of the caller's options.
        let o = unsafe { merge(transport_defaults(size), opts, size) };
        let t = match tcp_opts_of(&o) {
            Ok(t) => t,
            Err(e) => {
                log_err("spdk_nvmf_transport_create_async", e);
                return -libc::EINVAL;
            }
        };
        let mut g = TRANSPORT.lock();
        if g.is_some() || tcp::opts().is_some() {
            log_err("spdk_nvmf_transport_create_async", "transport TCP already exists");
            return -libc::EEXIST;
        }
        let mut o = o;
        o.transport_specific = std::ptr::null();
        let mut h = Box::new(TransportH { c: super::nvmf_transport::CTransport::tcp(o), tcp: t, added: false });
        let p = SendPtr((&mut *h as *mut TransportH).cast());
        *g = Some(h);
        let a = SendPtr(cb_arg);
        // SAFETY: the caller's callback, after we return.
        later(move || { let a = a; let p = p; unsafe { f(a.0, p.0.cast()) } });
        0
    })
}

/// Destroy a transport (an added one stops listening and its connections close).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_transport_destroy(transport: *mut spdk_nvmf_transport, cb_fn: spdk_nvmf_transport_destroy_done_cb, cb_arg: *mut c_void) -> c_int {
    guard(-1, || {
        if super::nvmf_transport::is_ext(transport.cast()) {
            let a = SendPtr(cb_arg);
            return super::nvmf_transport::destroy(transport.cast(), Box::new(move || {
                if let Some(f) = cb_fn {
                    let a = a;
                    // SAFETY: the caller's callback.
                    unsafe { f(a.0) };
                }
            }));
        }
        let mut g = TRANSPORT.lock();
        let ok = g.as_mut().is_some_and(|h| (&mut **h as *mut TransportH).cast() == transport);
        if !ok {
            return -1;
        }
        let h = g.take();
        drop(g);
        let a = SendPtr(cb_arg);
        let done = move || {
            if let Some(f) = cb_fn {
                let a = a;
                // SAFETY: the caller's callback.
                unsafe { f(a.0) };
            }
        };
        if h.is_some_and(|h| h.added) {
            tcp::destroy(done);
        } else {
            later(done);
        }
        0
    })
}

fn transport_handle() -> *mut spdk_nvmf_transport {
    TRANSPORT.lock().as_mut().filter(|h| h.added).map_or(std::ptr::null_mut(), |h| (&mut **h as *mut TransportH).cast())
}

/// Add the transport to the target (its data buffers are made).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_tgt_add_transport(tgt: *mut spdk_nvmf_tgt, transport: *mut spdk_nvmf_transport, cb_fn: spdk_nvmf_tgt_add_transport_done_fn, cb_arg: *mut c_void) {
    guard((), || {
        if tgt == tgt_ptr() && super::nvmf_transport::is_ext(transport.cast()) {
            let a = SendPtr(cb_arg);
            super::nvmf_transport::add(transport.cast(), Box::new(move |rc| {
                if let Some(f) = cb_fn {
                    let a = a;
                    // SAFETY: the caller's callback.
                    unsafe { f(a.0, rc) };
                }
            }));
            return;
        }
        let rc = (|| {
            if tgt != tgt_ptr() {
                return -libc::EINVAL;
            }
            let mut g = TRANSPORT.lock();
            let Some(h) = g.as_mut().filter(|h| std::ptr::eq(&***h, transport as *const TransportH)) else { return -libc::EINVAL };
            if h.added {
                return -libc::EEXIST;
            }
            match tcp::create_with(h.tcp, false) {
                Ok(()) => {
                    h.added = true;
                    0
                }
                Err(e) => {
                    log_err("spdk_nvmf_tgt_add_transport", e);
                    -libc::EINVAL
                }
            }
        })();
        if let Some(f) = cb_fn {
            let a = SendPtr(cb_arg);
            // SAFETY: the caller's callback.
            later(move || { let a = a; unsafe { f(a.0, rc) } });
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_tgt_get_transport(tgt: *mut spdk_nvmf_tgt, transport_name: *const c_char) -> *mut spdk_nvmf_transport {
    guard(std::ptr::null_mut(), || {
        if tgt != tgt_ptr() {
            return std::ptr::null_mut();
        }
        if is_tcp(transport_name) {
            return transport_handle();
        }
        // SAFETY: the caller's string.
        let n = unsafe { cstr(transport_name) }.unwrap_or("");
        super::nvmf_transport::by_name(n).map_or(std::ptr::null_mut(), |t| t.cast())
    })
}

/// The target's transports: TCP (when added), then plugged-in ones.
fn transports() -> Vec<*mut spdk_nvmf_transport> {
    let mut v: Vec<*mut spdk_nvmf_transport> = Vec::new();
    let t = transport_handle();
    if !t.is_null() {
        v.push(t);
    }
    v.extend(super::nvmf_transport::added().into_iter().map(|t| t.cast::<spdk_nvmf_transport>()));
    v
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_transport_get_first(tgt: *mut spdk_nvmf_tgt) -> *mut spdk_nvmf_transport {
    guard(std::ptr::null_mut(), || if tgt == tgt_ptr() { transports().first().copied().unwrap_or(std::ptr::null_mut()) } else { std::ptr::null_mut() })
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_transport_get_next(transport: *mut spdk_nvmf_transport) -> *mut spdk_nvmf_transport {
    guard(std::ptr::null_mut(), || {
        let v = transports();
        v.iter().position(|&t| t == transport).and_then(|i| v.get(i + 1).copied()).unwrap_or(std::ptr::null_mut())
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_get_transport_opts(transport: *mut spdk_nvmf_transport) -> *const spdk_nvmf_transport_opts {
    // SAFETY: a handle from spdk_nvmf_transport_create_async, live until destroyed.
    guard(std::ptr::null(), || {
        if super::nvmf_transport::is_ext(transport.cast()) {
            // SAFETY: a plugged-in transport: it begins with struct spdk_nvmf_transport.
            return unsafe { std::ptr::addr_of!((*(transport as *const super::nvmf_transport::CTransport)).opts) };
        }
        // SAFETY: a handle from spdk_nvmf_transport_create_async, live until destroyed.
        unsafe { (transport as *const TransportH).as_ref() }.map_or(std::ptr::null(), |h| std::ptr::addr_of!(h.c.opts))
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_get_transport_name(transport: *mut spdk_nvmf_transport) -> *const c_char {
    guard(std::ptr::null(), || {
        if transport.is_null() {
            std::ptr::null()
        } else if super::nvmf_transport::is_ext(transport.cast()) {
            super::nvmf_transport::name_of(transport.cast())
        } else {
            c"TCP".as_ptr()
        }
    })
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_get_transport_type(transport: *mut spdk_nvmf_transport) -> spdk_nvme_transport_type {
    guard(spdk_nvme_transport_type::SPDK_NVME_TRANSPORT_TCP, || {
        if !super::nvmf_transport::is_ext(transport.cast()) {
            return spdk_nvme_transport_type::SPDK_NVME_TRANSPORT_TCP;
        }
        match super::nvmf_transport::type_of(transport.cast()) {
            1 => spdk_nvme_transport_type::SPDK_NVME_TRANSPORT_RDMA,
            2 => spdk_nvme_transport_type::SPDK_NVME_TRANSPORT_FC,
            3 => spdk_nvme_transport_type::SPDK_NVME_TRANSPORT_TCP,
            256 => spdk_nvme_transport_type::SPDK_NVME_TRANSPORT_PCIE,
            _ => spdk_nvme_transport_type::SPDK_NVME_TRANSPORT_CUSTOM,
        }
    })
}

// ---------------------------------------------------------------- poll groups

/// Create a poll group on the calling SPDK thread.
#[no_mangle]
pub extern "C" fn spdk_nvmf_poll_group_create(tgt: *mut spdk_nvmf_tgt) -> *mut spdk_nvmf_poll_group {
    guard(std::ptr::null_mut(), || {
        if tgt != tgt_ptr() {
            return std::ptr::null_mut();
        }
        match group::create_here() {
            Ok(g) => {
                super::nvmf_transport::group_created(g);
                g.cast()
            }
            Err(e) => {
                log_err("spdk_nvmf_poll_group_create", e);
                std::ptr::null_mut()
            }
        }
    })
}

/// Destroy a poll group (on its thread): its connections close first.
#[no_mangle]
pub extern "C" fn spdk_nvmf_poll_group_destroy(group_: *mut spdk_nvmf_poll_group, cb_fn: spdk_nvmf_poll_group_destroy_done_fn, cb_arg: *mut c_void) {
    guard((), || {
        if group_.is_null() {
            return;
        }
        let a = SendPtr(cb_arg);
        group::destroy_here(group_.cast::<PollGroup>(), move || {
            if let Some(f) = cb_fn {
                let a = a;
                // SAFETY: the caller's callback.
                unsafe { f(a.0, 0) };
            }
        });
    })
}

/// Statistics of the poll group on the calling thread.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_poll_group_get_stat(tgt: *mut spdk_nvmf_tgt, stat: *mut spdk_nvmf_poll_group_stat) -> c_int {
    guard(-libc::EINVAL, || {
        if tgt != tgt_ptr() || stat.is_null() {
            return -libc::EINVAL;
        }
        let Some(g) = group::find_by_thread(crate::thread::current()) else { return -libc::EINVAL };
        // SAFETY: this thread's group, used on its thread.
        let s = unsafe { (*g).stats };
        let out = spdk_nvmf_poll_group_stat {
            admin_qpairs: s.admin_qpairs as u32,
            io_qpairs: s.io_qpairs as u32,
            current_admin_qpairs: s.current_admin_qpairs as u32,
            current_io_qpairs: s.current_io_qpairs as u32,
            pending_bdev_io: s.pending_bdev_io,
            completed_nvme_io: s.completed_nvme_io,
        };
        // SAFETY: the caller's struct.
        unsafe { stat.write(out) };
        0
    })
}

// ---------------------------------------------------------------- subsystems

/// Create an NVM subsystem, inactive, for up to `num_ns` namespaces (0: no limit).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_create(tgt: *mut spdk_nvmf_tgt, nqn: *const c_char, type_: spdk_nvmf_subtype_raw, num_ns: u32) -> *mut spdk_nvmf_subsystem {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's string.
        let Some(n) = (unsafe { cstr(nqn) }) else { return std::ptr::null_mut() };
        if tgt != tgt_ptr() {
            return std::ptr::null_mut();
        }
        if type_ != SUBTYPE_NVME {
            log_err("spdk_nvmf_subsystem_create", format!("subsystem type {type_}: only NVM subsystems (2) can be made; the discovery subsystem {DISCOVERY_NQN} always exists"));
            return std::ptr::null_mut();
        }
        let o = SubsystemOpts {
            nqn: n.to_string(),
            serial_number: None,
            model_number: None,
            allow_any_host: false,
            max_namespaces: Some(num_ns),
            ana_reporting: false,
            min_cntlid: None,
            max_cntlid: None,
            inactive: true,
        };
        match ntgt::create_subsystem(&o) {
            Ok(()) => handle_of(n),
            Err(e) => {
                log_err("spdk_nvmf_subsystem_create", e);
                std::ptr::null_mut()
            }
        }
    })
}

/// Destroy an inactive subsystem: 0 when done at once, -EINPROGRESS when
/// `cpl_cb` will tell.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_destroy(subsystem: *mut spdk_nvmf_subsystem, cpl_cb: nvmf_subsystem_destroy_cb, cpl_cb_arg: *mut c_void) -> c_int {
    guard(-libc::EINVAL, || {
        // SAFETY: a handle from this module.
        let Some((h, s)) = (unsafe { sub_of(subsystem) }) else { return -libc::EINVAL };
        if s.state != State::Inactive {
            return -libc::EAGAIN;
        }
        let nqn = nqn_of(h);
        let a = SendPtr(cpl_cb_arg);
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        let r = ntgt::delete_subsystem_then(&nqn, move || {
            let _ = tx.send(());
            if let Some(f) = cpl_cb {
                let a = a;
                // SAFETY: the caller's callback.
                unsafe { f(a.0) };
            }
        });
        match r {
            Ok(()) => {
                forget(&nqn);
                // Finished already (no poll group): SPDK's synchronous case.
                if rx.try_recv().is_ok() {
                    0
                } else {
                    -libc::EINPROGRESS
                }
            }
            Err(e) => {
                log_err("spdk_nvmf_subsystem_destroy", &e);
                -e.errno()
            }
        }
    })
}

type StateOp = fn(&str, Box<dyn FnOnce() + Send>) -> crate::nvmf::subsystem::Result<()>;

fn change_state(what: &str, subsystem: *mut spdk_nvmf_subsystem, cb_fn: spdk_nvmf_subsystem_state_change_done, cb_arg: *mut c_void, op: StateOp) -> c_int {
    // SAFETY: a handle from this module.
    let Some((h, _)) = (unsafe { sub_of(subsystem) }) else { return -libc::EINVAL };
    let nqn = nqn_of(h);
    let (s, a) = (SendPtr(subsystem.cast()), SendPtr(cb_arg));
    let done: Box<dyn FnOnce() + Send> = Box::new(move || {
        if let Some(f) = cb_fn {
            let (s, a) = (s, a);
            // SAFETY: the caller's callback.
            later(move || { let a = a; let s = s; unsafe { f(s.0.cast(), a.0, 0) } });
        }
    });
    match op(&nqn, done) {
        Ok(()) => 0,
        Err(e) => {
            log_err(what, e);
            -libc::EBUSY
        }
    }
}

/// Inactive to active: hosts may connect.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_start(subsystem: *mut spdk_nvmf_subsystem, cb_fn: spdk_nvmf_subsystem_state_change_done, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EINVAL, || {
        change_state("spdk_nvmf_subsystem_start", subsystem, cb_fn, cb_arg, |n, done| {
            ntgt::start(n)?;
            done();
            Ok(())
        })
    })
}

/// Active or paused to inactive: the subsystem's connections close.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_stop(subsystem: *mut spdk_nvmf_subsystem, cb_fn: spdk_nvmf_subsystem_state_change_done, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EINVAL, || change_state("spdk_nvmf_subsystem_stop", subsystem, cb_fn, cb_arg, |n, done| ntgt::stop(n, done)))
}

/// Active to paused: new commands wait; `cb_fn` once the running ones finished.
/// Every namespace is quiesced whatever `nsid` says (rspdk pauses the whole subsystem).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_pause(subsystem: *mut spdk_nvmf_subsystem, _nsid: u32, cb_fn: spdk_nvmf_subsystem_state_change_done, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EINVAL, || change_state("spdk_nvmf_subsystem_pause", subsystem, cb_fn, cb_arg, |n, done| ntgt::pause(n, done)))
}

/// Paused to active: the held commands run.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_resume(subsystem: *mut spdk_nvmf_subsystem, cb_fn: spdk_nvmf_subsystem_state_change_done, cb_arg: *mut c_void) -> c_int {
    guard(-libc::EINVAL, || change_state("spdk_nvmf_subsystem_resume", subsystem, cb_fn, cb_arg, |n, done| ntgt::resume(n, done)))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_tgt_find_subsystem(tgt: *mut spdk_nvmf_tgt, subnqn: *const c_char) -> *mut spdk_nvmf_subsystem {
    guard(std::ptr::null_mut(), || {
        // SAFETY: the caller's string.
        let Some(n) = (unsafe { cstr(subnqn) }) else { return std::ptr::null_mut() };
        if tgt != tgt_ptr() || ntgt::subsystem(n).is_none() {
            return std::ptr::null_mut();
        }
        handle_of(n)
    })
}

fn nth_subsystem(after: Option<&str>) -> *mut spdk_nvmf_subsystem {
    let all = ntgt::subsystems();
    let i = match after {
        None => 0,
        Some(n) => match all.iter().position(|s| s.nqn == n) {
            Some(i) => i + 1,
            None => return std::ptr::null_mut(),
        },
    };
    all.get(i).map_or(std::ptr::null_mut(), |s| handle_of(&s.nqn))
}

/// The first subsystem (the discovery subsystem).
#[no_mangle]
pub extern "C" fn spdk_nvmf_subsystem_get_first(tgt: *mut spdk_nvmf_tgt) -> *mut spdk_nvmf_subsystem {
    guard(std::ptr::null_mut(), || if tgt == tgt_ptr() { nth_subsystem(None) } else { std::ptr::null_mut() })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_get_next(subsystem: *mut spdk_nvmf_subsystem) -> *mut spdk_nvmf_subsystem {
    guard(std::ptr::null_mut(), || {
        // SAFETY: a handle from this module.
        let Some(h) = (unsafe { (subsystem as *mut SubH).as_ref() }) else { return std::ptr::null_mut() };
        nth_subsystem(Some(&nqn_of(h)))
    })
}

/// Runs a configuration change of the subsystem behind `s`; 0 or -errno.
fn modify(what: &str, s: *mut spdk_nvmf_subsystem, f: impl FnOnce(&str) -> crate::nvmf::subsystem::Result<()>) -> c_int {
    // SAFETY: a handle from this module.
    let Some(h) = (unsafe { (s as *mut SubH).as_ref() }) else { return -libc::EINVAL };
    match f(&nqn_of(h)) {
        Ok(()) => 0,
        Err(e) => {
            log_err(what, &e);
            -e.errno()
        }
    }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_add_host(subsystem: *mut spdk_nvmf_subsystem, hostnqn: *const c_char, params: *const spdk_json_val) -> c_int {
    guard(-libc::EINVAL, || {
        // SAFETY: the caller's string.
        let Some(host) = (unsafe { cstr(hostnqn) }) else { return -libc::EINVAL };
        // The keys of TLS and authentication are refused; other members are
        // the plugged-in transports' (their subsystem_add_host reads them).
        if let Some(k) = ["psk", "dhchap_key", "dhchap_ctrlr_key"].into_iter().find(|k| specific(params, k).is_some()) {
            log_err("spdk_nvmf_subsystem_add_host", format!("host parameter {k} (TLS / authentication) is not supported"));
            return -libc::EINVAL;
        }
        let params = params as usize;
        modify("spdk_nvmf_subsystem_add_host", subsystem, |n| ntgt::add_host_with(n, host, params))
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_remove_host(subsystem: *mut spdk_nvmf_subsystem, hostnqn: *const c_char) -> c_int {
    guard(-libc::EINVAL, || {
        // SAFETY: the caller's string.
        let Some(host) = (unsafe { cstr(hostnqn) }) else { return -libc::EINVAL };
        modify("spdk_nvmf_subsystem_remove_host", subsystem, |n| ntgt::remove_host(n, host))
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_set_allow_any_host(subsystem: *mut spdk_nvmf_subsystem, allow_any_host: bool) -> c_int {
    guard(-libc::EINVAL, || modify("spdk_nvmf_subsystem_set_allow_any_host", subsystem, |n| ntgt::allow_any_host(n, allow_any_host)))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_get_allow_any_host(subsystem: *const spdk_nvmf_subsystem) -> bool {
    // SAFETY: a handle from this module.
    guard(false, || unsafe { sub_of(subsystem) }.is_some_and(|(_, s)| s.allow_any_host))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_host_allowed(subsystem: *mut spdk_nvmf_subsystem, hostnqn: *const c_char) -> bool {
    guard(false, || {
        // SAFETY: the caller's string and handle.
        let (Some(host), Some((_, s))) = (unsafe { cstr(hostnqn) }, unsafe { sub_of(subsystem) }) else { return false };
        s.host_allowed(host)
    })
}

/// Brings a handle list in line with `want` (keeping the handles of items
/// still there, in `want`'s order); returns the handle at `index`.
fn sync_list<T, K: PartialEq>(list: &mut Vec<Box<T>>, want: Vec<K>, key: impl Fn(&T) -> K, make: impl Fn(K) -> T) {
    let mut old = std::mem::take(list);
    for k in want {
        match old.iter().position(|h| key(h) == k) {
            Some(i) => list.push(old.remove(i)),
            None => list.push(Box::new(make(k))),
        }
    }
}

fn next_in<T>(list: &mut [Box<T>], prev: *const T) -> *mut T {
    let i = if prev.is_null() {
        0
    } else {
        match list.iter().position(|h| std::ptr::eq(&**h, prev)) {
            Some(i) => i + 1,
            None => return std::ptr::null_mut(),
        }
    };
    list.get_mut(i).map_or(std::ptr::null_mut(), |h| &mut **h)
}

fn host_step(subsystem: *mut spdk_nvmf_subsystem, prev: *const HostH) -> *mut spdk_nvmf_host {
    // SAFETY: a handle from this module.
    let Some((h, s)) = (unsafe { sub_of(subsystem) }) else { return std::ptr::null_mut() };
    sync_list(&mut h.hosts, s.hosts, |x| x.nqn.to_string_lossy().into_owned(), |k| HostH { nqn: cstring(&k) });
    next_in(&mut h.hosts, prev).cast()
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_subsystem_get_first_host(subsystem: *mut spdk_nvmf_subsystem) -> *mut spdk_nvmf_host {
    guard(std::ptr::null_mut(), || host_step(subsystem, std::ptr::null()))
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_subsystem_get_next_host(subsystem: *mut spdk_nvmf_subsystem, prev_host: *mut spdk_nvmf_host) -> *mut spdk_nvmf_host {
    guard(std::ptr::null_mut(), || if prev_host.is_null() { std::ptr::null_mut() } else { host_step(subsystem, prev_host.cast()) })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_host_get_nqn(host: *const spdk_nvmf_host) -> *const c_char {
    // SAFETY: a host handle from this module.
    guard(std::ptr::null(), || unsafe { (host as *const HostH).as_ref() }.map_or(std::ptr::null(), |h| h.nqn.as_ptr()))
}

/// Default listener options.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_listener_opts_init(opts: *mut spdk_nvmf_listener_opts, size: usize) {
    guard((), || {
        let d = spdk_nvmf_listener_opts { opts_size: size, secure_channel: false, reserved1: [0; 3], ana_state: 1 };
        // SAFETY: the caller's struct of `size` bytes.
        unsafe { store(&d, opts, size) };
    })
}

fn add_listener(subsystem: *mut spdk_nvmf_subsystem, trid: *const spdk_nvme_transport_id, opts: *const spdk_nvmf_listener_opts) -> c_int {
    const W: &str = "spdk_nvmf_subsystem_add_listener";
    // SAFETY: a handle from this module; the caller's transport ID.
    let (Some((h, s)), Some(t)) = (unsafe { sub_of(subsystem) }, unsafe { trid.as_ref() }) else { return -libc::EINVAL };
    if s.state == State::Active {
        log_err(W, format!("{} is active (pause or stop it first)", s.nqn));
        return -libc::EAGAIN;
    }
    let addr = match listen_addr(t) {
        Ok(a) => a,
        Err(e) => {
            log_err(W, e);
            return -libc::EINVAL;
        }
    };
    if !tcp::is_listening(&addr) && !super::nvmf_transport::is_listening(&addr) {
        log_err(W, format!("the target does not listen on {} {}:{} (spdk_nvmf_tgt_listen_ext first)", addr.trtype, addr.traddr, addr.trsvcid));
        return -libc::EINVAL;
    }
    let rc = super::nvmf_transport::associate(&addr, subsystem, trid);
    if rc != 0 {
        log_err(W, format!("transport {} refused the listener for {} ({rc})", addr.trtype, s.nqn));
        return rc;
    }
    let mut ana = LISTEN_ANA.lock().iter().find(|x| x.0 == addr).map_or(AnaState::Optimized, |x| x.1);
    if !opts.is_null() {
        // SAFETY: the caller's options; opts_size is their first field.
        let size = unsafe { std::ptr::addr_of!((*opts).opts_size).read_unaligned() };
        // SAFETY: `size` bytes of the caller's options.
        let o = unsafe { merge(spdk_nvmf_listener_opts { opts_size: size, secure_channel: false, reserved1: [0; 3], ana_state: 0 }, opts, size) };
        if o.secure_channel {
            log_err(W, "secure channels (TLS) are not supported");
            return -libc::EOPNOTSUPP;
        }
        if o.ana_state != 0 {
            match ana_of(o.ana_state) {
                Ok(a) => ana = a,
                Err(e) => {
                    log_err(W, e);
                    return -libc::EINVAL;
                }
            }
        }
    }
    modify(W, (h as *mut SubH).cast(), |n| ntgt::add_subsystem_listener(n, addr, ana))
}

/// Let the subsystem accept connections at `trid` (where the target listens).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_add_listener(
    subsystem: *mut spdk_nvmf_subsystem,
    trid: *mut spdk_nvme_transport_id,
    cb_fn: spdk_nvmf_tgt_subsystem_listen_done_fn,
    cb_arg: *mut c_void,
) {
    // SAFETY: forwarded.
    unsafe { spdk_nvmf_subsystem_add_listener_ext(subsystem, trid, cb_fn, cb_arg, std::ptr::null_mut()) }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_add_listener_ext(
    subsystem: *mut spdk_nvmf_subsystem,
    trid: *mut spdk_nvme_transport_id,
    cb_fn: spdk_nvmf_tgt_subsystem_listen_done_fn,
    cb_arg: *mut c_void,
    opts: *mut spdk_nvmf_listener_opts,
) {
    guard((), || {
        let rc = add_listener(subsystem, trid, opts);
        if let Some(f) = cb_fn {
            let a = SendPtr(cb_arg);
            // SAFETY: the caller's callback.
            later(move || { let a = a; unsafe { f(a.0, rc) } });
        }
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_remove_listener(subsystem: *mut spdk_nvmf_subsystem, trid: *const spdk_nvme_transport_id) -> c_int {
    guard(-libc::EINVAL, || {
        // SAFETY: a handle from this module; the caller's transport ID.
        let (Some((_, s)), Some(t)) = (unsafe { sub_of(subsystem) }, unsafe { trid.as_ref() }) else { return -libc::EINVAL };
        if s.state == State::Active {
            return -libc::EAGAIN;
        }
        let Ok(addr) = listen_addr(t) else { return -libc::EINVAL };
        modify("spdk_nvmf_subsystem_remove_listener", subsystem, |n| ntgt::remove_subsystem_listener(n, &addr))
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_listener_allowed(subsystem: *mut spdk_nvmf_subsystem, trid: *const spdk_nvme_transport_id) -> bool {
    guard(false, || {
        // SAFETY: a handle from this module; the caller's transport ID.
        let (Some((_, s)), Some(t)) = (unsafe { sub_of(subsystem) }, unsafe { trid.as_ref() }) else { return false };
        listen_addr(t).is_ok_and(|a| s.listeners.iter().any(|l| l.addr == a))
    })
}

fn listener_step(subsystem: *mut spdk_nvmf_subsystem, prev: *const ListenerH) -> *mut spdk_nvmf_subsystem_listener {
    // SAFETY: a handle from this module.
    let Some((h, s)) = (unsafe { sub_of(subsystem) }) else { return std::ptr::null_mut() };
    let want: Vec<ListenAddr> = s.listeners.into_iter().map(|l| l.addr).collect();
    sync_list(&mut h.listeners, want, |x| x.addr.clone(), |a| ListenerH { trid: trid_of(&a), addr: a });
    next_in(&mut h.listeners, prev).cast()
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_subsystem_get_first_listener(subsystem: *mut spdk_nvmf_subsystem) -> *mut spdk_nvmf_subsystem_listener {
    guard(std::ptr::null_mut(), || listener_step(subsystem, std::ptr::null()))
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_subsystem_get_next_listener(subsystem: *mut spdk_nvmf_subsystem, prev_listener: *mut spdk_nvmf_subsystem_listener) -> *mut spdk_nvmf_subsystem_listener {
    guard(std::ptr::null_mut(), || if prev_listener.is_null() { std::ptr::null_mut() } else { listener_step(subsystem, prev_listener.cast()) })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_listener_get_trid(listener: *mut spdk_nvmf_subsystem_listener) -> *const spdk_nvme_transport_id {
    // SAFETY: a listener handle from this module.
    guard(std::ptr::null(), || unsafe { (listener as *const ListenerH).as_ref() }.map_or(std::ptr::null(), |l| &l.trid))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_set_ana_reporting(subsystem: *mut spdk_nvmf_subsystem, ana_reporting: bool) -> c_int {
    guard(-libc::EINVAL, || {
        // SAFETY: a handle from this module.
        let Some((_, s)) = (unsafe { sub_of(subsystem) }) else { return -libc::EINVAL };
        if s.state != State::Inactive {
            return -libc::EAGAIN;
        }
        modify("spdk_nvmf_subsystem_set_ana_reporting", subsystem, |n| ntgt::set_ana_reporting(n, ana_reporting))
    })
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_get_ana_reporting(subsystem: *mut spdk_nvmf_subsystem) -> bool {
    // SAFETY: a handle from this module.
    guard(false, || unsafe { sub_of(subsystem) }.is_some_and(|(_, s)| s.ana_reporting))
}

/// The listener of `trid` on an ANA-reporting subsystem, and the subsystem's
/// state, after SPDK's checks (an ANA group ID up to the largest NSID).
///
/// # Safety
/// `subsystem` is NULL or a handle from this module; `trid` NULL or the caller's.
unsafe fn ana_listener(what: &str, subsystem: *mut spdk_nvmf_subsystem, trid: *const spdk_nvme_transport_id, anagrpid: u32) -> Result<(Subsystem, ListenAddr), c_int> {
    // SAFETY: per the contract.
    let (Some((_, s)), Some(t)) = (unsafe { sub_of(subsystem) }, unsafe { trid.as_ref() }) else { return Err(-libc::EINVAL) };
    let fail = |why: String| {
        log_err(what, why);
        Err(-libc::EINVAL)
    };
    if !s.ana_reporting {
        return fail(format!("{} reports no ANA (spdk_nvmf_subsystem_set_ana_reporting)", s.nqn));
    }
    if anagrpid > max_nsid(&s) {
        return fail(format!("ANA group {anagrpid} is above the largest NSID of {}", s.nqn));
    }
    let addr = match listen_addr(t) {
        Ok(a) if s.listeners.iter().any(|l| l.addr == a) => a,
        Ok(a) => return fail(format!("{} has no listener {}:{}", s.nqn, a.traddr, a.trsvcid)),
        Err(e) => return fail(e),
    };
    Ok((s, addr))
}

/// Set the ANA state a listener reports. rspdk keeps one state per
/// listener, so every ANA group (`anagrpid` 0, or any valid group) takes
/// it. Hosts get an ANA change notice; `cb_fn` gets the status once every
/// poll group has passed the change.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_set_ana_state(
    subsystem: *mut spdk_nvmf_subsystem,
    trid: *const spdk_nvme_transport_id,
    ana_state: spdk_nvme_ana_state_raw,
    anagrpid: u32,
    cb_fn: spdk_nvmf_tgt_subsystem_listen_done_fn,
    cb_arg: *mut c_void,
) {
    const W: &str = "spdk_nvmf_subsystem_set_ana_state";
    guard((), || {
        let a = SendPtr(cb_arg);
        let finish = move |rc: c_int| {
            if let Some(f) = cb_fn {
                // SAFETY: the caller's callback and argument.
                later(move || { let a = a; unsafe { f(a.0, rc) } });
            }
        };
        // SAFETY: a handle from this module; the caller's transport ID.
        let (s, addr) = match unsafe { ana_listener(W, subsystem, trid, anagrpid) } {
            Ok(x) => x,
            Err(rc) => return finish(rc),
        };
        // Optimized, non-optimized and inaccessible; not persistent loss or change.
        let state = match ana_state {
            1..=3 => ana_of(ana_state).unwrap_or(AnaState::Optimized),
            _ => {
                log_err(W, format!("ANA state {ana_state} is not supported"));
                return finish(-libc::ENOTSUP);
            }
        };
        if let Err(e) = ntgt::set_ana_state(&s.nqn, &addr, state) {
            log_err(W, &e);
            return finish(-e.errno());
        }
        group::for_each(|_| {}, move || finish(0));
    })
}

/// The ANA state a listener reports for ANA group `anagrpid` (1 up to the largest NSID).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_get_ana_state(
    subsystem: *mut spdk_nvmf_subsystem,
    trid: *const spdk_nvme_transport_id,
    anagrpid: u32,
    ana_state: *mut spdk_nvme_ana_state_raw,
) -> c_int {
    guard(-libc::EINVAL, || {
        if anagrpid == 0 || ana_state.is_null() {
            return -libc::EINVAL;
        }
        // SAFETY: a handle from this module; the caller's transport ID.
        let (s, addr) = match unsafe { ana_listener("spdk_nvmf_subsystem_get_ana_state", subsystem, trid, anagrpid) } {
            Ok(x) => x,
            Err(rc) => return rc,
        };
        let st = s.listeners.iter().find(|l| l.addr == addr).map_or(AnaState::Optimized, |l| l.ana_state);
        let v = match st {
            AnaState::Optimized => 1,
            AnaState::NonOptimized => 2,
            AnaState::Inaccessible => 3,
        };
        // SAFETY: the caller's output.
        unsafe { ana_state.write(v) };
        0
    })
}

// ---------------------------------------------------------------- namespaces

fn ns_defaults(size: usize) -> spdk_nvmf_ns_opts {
    // SAFETY: plain data; zeros are "not specified" everywhere.
    let mut d: spdk_nvmf_ns_opts = unsafe { std::mem::zeroed() };
    d.opts_size = size;
    d
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_ns_opts_get_defaults(opts: *mut spdk_nvmf_ns_opts, opts_size: usize) {
    // SAFETY: the caller's struct of `opts_size` bytes.
    guard((), || unsafe { store(&ns_defaults(opts_size), opts, opts_size) })
}

fn nonzero<const N: usize>(b: [u8; N]) -> Option<[u8; N]> {
    b.iter().any(|&x| x != 0).then_some(b)
}

/// Add bdev `bdev_name` as a namespace of an inactive or paused subsystem;
/// the NSID, or 0 on failure.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_add_ns_ext(
    subsystem: *mut spdk_nvmf_subsystem,
    bdev_name: *const c_char,
    opts: *const spdk_nvmf_ns_opts,
    opts_size: usize,
    ptpl_file: *const c_char,
) -> u32 {
    const W: &str = "spdk_nvmf_subsystem_add_ns_ext";
    guard(0, || {
        // SAFETY: a handle from this module; the caller's string.
        let (Some((h, s)), Some(bdev)) = (unsafe { sub_of(subsystem) }, unsafe { cstr(bdev_name) }) else { return 0 };
        if s.state == State::Active {
            log_err(W, format!("{} is active (pause or stop it first)", s.nqn));
            return 0;
        }
        if !ptpl_file.is_null() {
            log_err(W, "persist-through-power-loss files are not supported");
            return 0;
        }
        // SAFETY: `opts_size` bytes of the caller's options.
        let o = unsafe { merge(ns_defaults(opts_size), opts, opts_size) };
        if o.no_auto_visible {
            log_err(W, "namespaces hidden from hosts (no_auto_visible) are not supported");
            return 0;
        }
        // SAFETY: the union's bytes view.
        let uuid = unsafe { o.uuid.u.raw };
        let ns = Namespace { nsid: o.nsid, bdev_name: bdev.to_string(), uuid: nonzero(uuid), nguid: nonzero(o.nguid), eui64: nonzero(o.eui64), anagrpid: o.anagrpid };
        match ntgt::add_ns(&nqn_of(h), ns) {
            Ok(id) => id,
            Err(e) => {
                log_err(W, e);
                0
            }
        }
    })
}

/// Remove a namespace of an inactive or paused subsystem: 0, or -1.
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_remove_ns(subsystem: *mut spdk_nvmf_subsystem, nsid: u32) -> c_int {
    guard(-1, || {
        // SAFETY: a handle from this module.
        let Some((_, s)) = (unsafe { sub_of(subsystem) }) else { return -1 };
        if s.state == State::Active {
            return -1;
        }
        if modify("spdk_nvmf_subsystem_remove_ns", subsystem, |n| ntgt::remove_ns(n, nsid)) == 0 {
            0
        } else {
            -1
        }
    })
}

fn ns_step(subsystem: *mut spdk_nvmf_subsystem, prev: *const NsH, only: Option<u32>) -> *mut spdk_nvmf_ns {
    // SAFETY: a handle from this module.
    let Some((h, s)) = (unsafe { sub_of(subsystem) }) else { return std::ptr::null_mut() };
    let me = subsystem as usize;
    sync_list(&mut h.ns, s.namespaces.keys().copied().collect(), |x| x.nsid, |nsid| NsH { sub: me, nsid });
    if let Some(id) = only {
        return h.ns.iter_mut().find(|n| n.nsid == id).map_or(std::ptr::null_mut(), |n| (&mut **n as *mut NsH).cast());
    }
    next_in(&mut h.ns, prev).cast()
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_subsystem_get_first_ns(subsystem: *mut spdk_nvmf_subsystem) -> *mut spdk_nvmf_ns {
    guard(std::ptr::null_mut(), || ns_step(subsystem, std::ptr::null(), None))
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_subsystem_get_next_ns(subsystem: *mut spdk_nvmf_subsystem, prev_ns: *mut spdk_nvmf_ns) -> *mut spdk_nvmf_ns {
    guard(std::ptr::null_mut(), || if prev_ns.is_null() { std::ptr::null_mut() } else { ns_step(subsystem, prev_ns.cast(), None) })
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_subsystem_get_ns(subsystem: *mut spdk_nvmf_subsystem, nsid: u32) -> *mut spdk_nvmf_ns {
    guard(std::ptr::null_mut(), || ns_step(subsystem, std::ptr::null(), Some(nsid)))
}

/// The namespace behind a handle, with its subsystem.
///
/// # Safety
/// `ns` is NULL or a namespace handle from this module.
unsafe fn ns_of(ns: *const spdk_nvmf_ns) -> Option<(u32, Namespace)> {
    // SAFETY: per the contract.
    let n = unsafe { (ns as *const NsH).as_ref() }?;
    // SAFETY: the subsystem handle the namespace handle was made under.
    let (_, s) = unsafe { sub_of(n.sub as *const spdk_nvmf_subsystem) }?;
    s.namespaces.get(&n.nsid).map(|x| (n.nsid, x.clone()))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_ns_get_id(ns: *const spdk_nvmf_ns) -> u32 {
    // SAFETY: a namespace handle from this module.
    guard(0, || unsafe { (ns as *const NsH).as_ref() }.map_or(0, |n| n.nsid))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_ns_get_bdev(ns: *mut spdk_nvmf_ns) -> *mut spdk_bdev {
    // SAFETY: a namespace handle from this module.
    guard(std::ptr::null_mut(), || unsafe { ns_of(ns) }.and_then(|(_, n)| crate::bdev::get_by_name(&n.bdev_name)).unwrap_or(std::ptr::null_mut()))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_ns_get_opts(ns: *const spdk_nvmf_ns, opts: *mut spdk_nvmf_ns_opts, opts_size: usize) {
    guard((), || {
        // SAFETY: a namespace handle from this module.
        let Some((id, n)) = (unsafe { ns_of(ns) }) else { return };
        let mut o = ns_defaults(opts_size);
        o.nsid = id;
        o.nguid = n.nguid.unwrap_or_default();
        o.eui64 = n.eui64.unwrap_or_default();
        o.uuid.u.raw = n.uuid.unwrap_or_default();
        o.anagrpid = n.anagrpid;
        // SAFETY: the caller's struct of `opts_size` bytes.
        unsafe { store(&o, opts, opts_size) };
    })
}

// ---------------------------------------------------------------- properties

/// A string property of the subsystem, kept in its handle (the pointer stays
/// valid until the property changes).
fn get_prop(subsystem: *const spdk_nvmf_subsystem, sn: bool) -> *const c_char {
    // SAFETY: a handle from this module.
    let Some((h, s)) = (unsafe { sub_of(subsystem) }) else { return std::ptr::null() };
    let (slot, v) = if sn { (&mut h.sn, &s.serial_number) } else { (&mut h.mn, &s.model_number) };
    if slot.to_bytes() != v.as_bytes() {
        *slot = cstring(v);
    }
    slot.as_ptr()
}

/// Sets the serial or model number: 0, or -1.
fn set_prop(subsystem: *mut spdk_nvmf_subsystem, v: *const c_char, sn: bool) -> c_int {
    // SAFETY: the caller's string.
    let Some(v) = (unsafe { cstr(v) }) else { return -1 };
    let rc = modify("spdk_nvmf_subsystem_set_sn/mn", subsystem, |n| if sn { ntgt::set_serial(n, v) } else { ntgt::set_model(n, v) });
    if rc == 0 {
        0
    } else {
        -1
    }
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_subsystem_get_sn(subsystem: *const spdk_nvmf_subsystem) -> *const c_char {
    guard(std::ptr::null(), || get_prop(subsystem, true))
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_subsystem_set_sn(subsystem: *mut spdk_nvmf_subsystem, sn: *const c_char) -> c_int {
    guard(-1, || set_prop(subsystem, sn, true))
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_subsystem_get_mn(subsystem: *const spdk_nvmf_subsystem) -> *const c_char {
    guard(std::ptr::null(), || get_prop(subsystem, false))
}

#[no_mangle]
pub extern "C" fn spdk_nvmf_subsystem_set_mn(subsystem: *mut spdk_nvmf_subsystem, mn: *const c_char) -> c_int {
    guard(-1, || set_prop(subsystem, mn, false))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_get_nqn(subsystem: *const spdk_nvmf_subsystem) -> *const c_char {
    // SAFETY: a handle from this module.
    guard(std::ptr::null(), || unsafe { (subsystem as *const SubH).as_ref() }.map_or(std::ptr::null(), |h| h.nqn.as_ptr()))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_get_type(subsystem: *mut spdk_nvmf_subsystem) -> spdk_nvmf_subtype_raw {
    // SAFETY: a handle from this module.
    guard(SUBTYPE_NVME, || unsafe { sub_of(subsystem) }.map_or(SUBTYPE_NVME, |(_, s)| if s.subtype == Subtype::Discovery { SUBTYPE_DISCOVERY } else { SUBTYPE_NVME }))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_is_discovery(subsystem: *mut spdk_nvmf_subsystem) -> bool {
    // SAFETY: a handle from this module.
    guard(false, || unsafe { sub_of(subsystem) }.is_some_and(|(_, s)| s.subtype == Subtype::Discovery))
}

/// The largest NSID the subsystem may hold (its max_namespaces, or the largest in use when unlimited).
#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_get_max_nsid(subsystem: *mut spdk_nvmf_subsystem) -> u32 {
    guard(0, || {
        // SAFETY: a handle from this module.
        unsafe { sub_of(subsystem) }.map_or(0, |(_, s)| max_nsid(&s))
    })
}

fn max_nsid(s: &Subsystem) -> u32 {
    if s.max_namespaces != 0 {
        s.max_namespaces
    } else {
        s.namespaces.keys().next_back().copied().unwrap_or(0)
    }
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_get_max_namespaces(subsystem: *const spdk_nvmf_subsystem) -> u32 {
    // SAFETY: a handle from this module.
    guard(0, || unsafe { sub_of(subsystem) }.map_or(0, |(_, s)| s.max_namespaces))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_get_min_cntlid(subsystem: *const spdk_nvmf_subsystem) -> u16 {
    // SAFETY: a handle from this module.
    guard(0, || unsafe { sub_of(subsystem) }.map_or(0, |(_, s)| s.min_cntlid))
}

#[no_mangle]
pub unsafe extern "C" fn spdk_nvmf_subsystem_get_max_cntlid(subsystem: *const spdk_nvmf_subsystem) -> u16 {
    // SAFETY: a handle from this module.
    guard(0, || unsafe { sub_of(subsystem) }.map_or(0, |(_, s)| s.max_cntlid))
}
