//! Controllers of the NVMe-oF target: fabrics Connect (admin and I/O
//! queues), Property Get/Set (CC/CSTS), the admin command set (Identify,
//! Get Log Page, Get/Set Features, Keep Alive, Asynchronous Event Request,
//! Abort), the discovery controller, namespace change notices, and
//! reservations. A controller is shared by its queues, which may live on
//! different poll groups: its state sits behind a lock (control path only;
//! the I/O path reads nothing of it but the reservation flag).

use super::features::{FeatureLimits, Features};
use super::group::{self, PollGroup};
use super::identify::{self, CtrlrInfo, NsInfo};
use super::logpage;
use super::logpage::resv_notification;
use super::reservation::{self as resv, NoticeQueue, Reservations};
use super::subsystem::{AnaState, Subsystem, Subtype};
use super::tcp::qpair::{AbortOutcome, Conn, Exec, Req, TcpQpair};
use super::tgt;
use super::st;
use crate::nvme::spec::admin;
use crate::nvmf::spec::*;
use parking_lot::Mutex;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

/// Firmware revision reported.
pub const FIRMWARE: &str = "26.01";
/// Connect command-specific statuses (sct 1).
const SC_CONNECT_INCOMPATIBLE_FORMAT: u8 = SPDK_NVMF_FABRIC_SC_INCOMPATIBLE_FORMAT;
const SC_CONNECT_CTRLR_BUSY: u8 = SPDK_NVMF_FABRIC_SC_CONTROLLER_BUSY;
const SC_CONNECT_INVALID_PARAM: u8 = SPDK_NVMF_FABRIC_SC_INVALID_PARAM;
const SC_CONNECT_INVALID_HOST: u8 = SPDK_NVMF_FABRIC_SC_INVALID_HOST;
const SC_INVALID_OPCODE: u8 = 0x01;
const SC_COMMAND_SEQUENCE_ERROR: u8 = 0x0c;
const SC_INVALID_NAMESPACE: u8 = 0x0b;
const SC_ABORT_REQUESTED: u8 = 0x07;
/// Command-specific: Asynchronous Event Request Limit Exceeded, Invalid Log Page.
const SC_AER_LIMIT: u8 = 0x05;
const SC_INVALID_LOG_PAGE: u8 = 0x09;
const SC_RESERVATION_CONFLICT: u8 = 0x83;

/// CC and CSTS fields.
const CC_EN: u32 = 1;
const CC_SHN_SHIFT: u32 = 14;
const CSTS_RDY: u32 = 1;
const CSTS_SHST_COMPLETE: u32 = 2 << 2;

/// Asynchronous event: notice type, namespace attribute changed, changed
/// namespace list page; ANA change.
const AEN_NS_ATTR_CHANGED: u32 = 2 | (0x04 << 16); // info 00h: namespace attribute changed
const AEN_ANA_CHANGE: u32 = 2 | (0x03 << 8) | (0x0c << 16);
/// Asynchronous event: I/O command specific status, reservation log page
/// available (info 00h), log page 80h. Not gated by the Async Event
/// Configuration: the Reservation Notification Mask feature filters it.
const AEN_RESV_LOG: u32 = 6 | (0x80 << 16);
/// Async Event Configuration bits enabling those notices.
const AEC_NS_ATTR: u32 = 1 << 8;
const AEC_ANA: u32 = 1 << 11;
/// Asynchronous event type Error Status (0): its log page is Error Information (01h).
const AEN_TYPE_ERROR: u32 = 0;
const LID_ERROR: u32 = 0x01;
/// Events that may wait for an AER (SPDK_NVMF_MIGR_MAX_PENDING_AERS, what
/// the migration data can carry).
pub const MAX_PENDING_EVENTS: usize = 256;

/// Bits of the mask of events sent and not re-armed yet (SPDK's
/// `notice_aen_mask` and its `enum spdk_nvme_async_event_mask_bit`).
pub mod mask_bit {
    pub const NS_ATTR_CHANGE: u32 = 0;
    pub const ANA_CHANGE: u32 = 1;
    pub const DISCOVERY_LOG_CHANGE: u32 = 2;
    pub const RESERVATION_LOG_AVAIL: u32 = 3;
    pub const ERROR: u32 = 4;
}

/// The mask bit an event (completion dword 0) sets once sent; None for
/// events that are never masked.
fn mask_bit_of(ev: u32) -> Option<u32> {
    let (ty, info, lid) = (ev & 7, (ev >> 8) & 0xff, (ev >> 16) & 0xff);
    match (ty, info, lid) {
        (AEN_TYPE_ERROR, _, _) => Some(mask_bit::ERROR),
        (2, 0x00, _) => Some(mask_bit::NS_ATTR_CHANGE),
        (2, 0x03, _) => Some(mask_bit::ANA_CHANGE),
        (2, 0xf0, _) => Some(mask_bit::DISCOVERY_LOG_CHANGE),
        (6, 0x00, 0x80) => Some(mask_bit::RESERVATION_LOG_AVAIL),
        _ => None,
    }
}

/// The controller's properties, laid out as SPDK's `struct spdk_nvmf_registers`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Registers {
    pub cap: u64,
    pub vs: u32,
    pub cc: u32,
    pub csts: u32,
    pub aqa: u32,
    pub asq: u64,
    pub acq: u64,
}
const _: () = assert!(std::mem::size_of::<Registers>() == 40);
const _: () = assert!(std::mem::offset_of!(Registers, asq) == 24);

/// A controller's state as live migration moves it (SPDK's
/// `struct spdk_nvmf_ctrlr_migr_data` without its sizes and padding).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigrState {
    pub regs: Registers,
    pub feat: super::features::FeatDwords,
    pub cntlid: u16,
    pub acre: bool,
    /// Events waiting for an AER (completion dword 0).
    pub events: Vec<u32>,
    /// CIDs of the AERs held.
    pub aer_cids: Vec<u16>,
    /// Events sent and masked until their log page is read ([`mask_bit`]).
    pub notice_aen_mask: u64,
}

/// Why a controller-state call was refused (a negated errno at the C boundary).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateError {
    /// The subsystem is not paused.
    NotPaused,
    /// Not called on the controller's admin thread.
    WrongThread,
    /// The event queue is full.
    QueueFull,
}

impl StateError {
    pub fn errno(self) -> i32 {
        match self {
            StateError::NotPaused => libc::EBUSY,
            StateError::WrongThread => libc::EPERM,
            StateError::QueueFull => libc::ENOSPC,
        }
    }
}

pub struct Ctrlr {
    pub cntlid: u16,
    pub subnqn: String,
    pub hostnqn: String,
    pub hostid: [u8; 16],
    pub discovery: bool,
    /// CAP as Property Get reports it.
    pub cap: u64,
    /// Keep alive timeout in ms (0: none) and the last keep alive, in ms since start.
    kato_ms: AtomicU64,
    last_ka: AtomicU64,
    pub st: Mutex<CtrlrState>,
    /// Where its admin queue lives (thread, qpair id).
    pub admin_thread: usize,
    pub admin_qpair: u64,
}

pub struct CtrlrState {
    pub cc: u32,
    pub csts: u32,
    pub features: Features,
    /// AER commands held: (qpair, request index).
    aers: Vec<(usize, u16)>,
    /// Events waiting for an AER (completion dword 0).
    events: VecDeque<u32>,
    /// Events reported and masked until the host reads their log page
    /// (with RAE cleared), one bit per kind ([`mask_bit`]); no further
    /// event of the kind is sent meanwhile.
    aen_mask: u64,
    /// The properties as last reported to C (`spdk_nvmf_ctrlr_get_regs`);
    /// AQA, ASQ and ACQ live only here (0 on fabrics unless restored).
    regs: Registers,
    /// Reservation Notification log pages not read yet.
    resv_notices: NoticeQueue,
    /// Reservation Notification Mask (feature 82h) per NSID.
    resv_masks: HashMap<u32, u32>,
    /// Namespaces changed since the host last read the changed list.
    changed_ns: Vec<u32>,
    /// Its I/O queues: (qid, thread, qpair id).
    pub io_qpairs: Vec<(u16, usize, u64)>,
    /// I/O queues granted by Set Features Number of Queues (0's based sq count + 1).
    pub num_io_queues: Option<u32>,
    pub ana_change_count: u64,
    pub errors: Vec<logpage::ErrorEntry>,
}

fn now_ms() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed().as_millis() as u64
}

impl Ctrlr {
    pub fn keep_alive_expired(&self) -> bool {
        let kato = self.kato_ms.load(Ordering::Relaxed);
        kato > 0 && now_ms().saturating_sub(self.last_ka.load(Ordering::Relaxed)) > kato
    }

    fn kept_alive(&self) {
        self.last_ka.store(now_ms(), Ordering::Relaxed);
    }

    pub fn kato(&self) -> u64 {
        self.kato_ms.load(Ordering::Relaxed)
    }
}

struct Registry {
    ctrlrs: Vec<Arc<Ctrlr>>,
    next_cntlid: Vec<(String, u16)>,
}

static REG: Mutex<Registry> = Mutex::new(Registry { ctrlrs: Vec::new(), next_cntlid: Vec::new() });

/// Every controller of `nqn` (all subsystems if None).
pub fn controllers(nqn: Option<&str>) -> Vec<Arc<Ctrlr>> {
    REG.lock().ctrlrs.iter().filter(|c| nqn.map_or(true, |n| c.subnqn == n)).cloned().collect()
}

fn find(nqn: &str, cntlid: u16) -> Option<Arc<Ctrlr>> {
    REG.lock().ctrlrs.iter().find(|c| c.subnqn == nqn && c.cntlid == cntlid).cloned()
}

fn alloc_cntlid(s: &Subsystem) -> Option<u16> {
    let mut reg = REG.lock();
    let span = u32::from(s.max_cntlid - s.min_cntlid) + 1;
    let start = reg.next_cntlid.iter().find(|x| x.0 == s.nqn).map_or(s.min_cntlid, |x| x.1).clamp(s.min_cntlid, s.max_cntlid);
    for i in 0..span {
        let id = (u32::from(start - s.min_cntlid) + i) % span + u32::from(s.min_cntlid);
        let id = id as u16;
        if !reg.ctrlrs.iter().any(|c| c.subnqn == s.nqn && c.cntlid == id) {
            let next = if id == s.max_cntlid { s.min_cntlid } else { id + 1 };
            reg.next_cntlid.retain(|x| x.0 != s.nqn);
            reg.next_cntlid.push((s.nqn.clone(), next));
            return Some(id);
        }
    }
    None
}

fn cstr(b: &[u8]) -> String {
    let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
    String::from_utf8_lossy(&b[..end]).into_owned()
}

fn invalid_param(r: &mut Req, data: bool, offset: u16) -> Exec {
    r.status(1, SC_CONNECT_INVALID_PARAM);
    r.dnr();
    r.cpl.cdw0 = u32::from(offset) | (u32::from(data) << 16);
    Exec::Done
}

/// Fabrics commands: Connect, Property Get/Set, Disconnect.
pub fn fabric(q: &mut Conn, g: &mut PollGroup, idx: u16) -> Exec {
    let fctype = q.reqs[idx as usize].cmd.nsid as u8;
    if fctype == SPDK_NVMF_FABRIC_COMMAND_CONNECT {
        return connect(q, g, idx);
    }
    let Some(c) = q.ctrlr.clone() else {
        let r = &mut q.reqs[idx as usize];
        r.status(0, SC_COMMAND_SEQUENCE_ERROR);
        r.dnr();
        return Exec::Done;
    };
    let r = &mut q.reqs[idx as usize];
    match fctype {
        SPDK_NVMF_FABRIC_COMMAND_PROPERTY_GET if q.qid == 0 => property_get(&c, r),
        SPDK_NVMF_FABRIC_COMMAND_PROPERTY_SET if q.qid == 0 => property_set(&c, r),
        SPDK_NVMF_FABRIC_COMMAND_DISCONNECT => Exec::Done,
        _ => {
            r.status(0, SC_INVALID_OPCODE);
            r.dnr();
            Exec::Done
        }
    }
}

fn connect(q: &mut Conn, g: &mut PollGroup, idx: u16) -> Exec {
    let my_id = qpair_id_of(q);
    let cap = cap(q);
    let r = &mut q.reqs[idx as usize];
    if q.ctrlr.is_some() {
        r.status(0, SC_COMMAND_SEQUENCE_ERROR);
        r.dnr();
        return Exec::Done;
    }
    let recfmt = r.cmd.cdw10 as u16;
    let qid = (r.cmd.cdw10 >> 16) as u16;
    let sqsize = r.cmd.cdw11 as u16;
    let cattr = (r.cmd.cdw11 >> 16) as u8;
    let kato = r.cmd.cdw12;
    if recfmt != 0 {
        r.status(1, SC_CONNECT_INCOMPATIBLE_FORMAT);
        r.dnr();
        return Exec::Done;
    }
    if r.len < 1024 || r.data().len() < 1024 {
        r.status(0, 0x0f);
        r.dnr();
        return Exec::Done;
    }
    let d = r.data();
    let mut hostid = [0u8; 16];
    hostid.copy_from_slice(&d[0..16]);
    let cntlid = u16::from_le_bytes([d[16], d[17]]);
    let subnqn = cstr(&d[256..512]);
    let hostnqn = cstr(&d[512..768]);
    let subs = tgt::subsystems();
    let Some(s) = subs.iter().find(|s| s.nqn == subnqn) else {
        crate::log::error(format_args!("nvmf: connect to unknown subsystem '{subnqn}'\n"));
        return invalid_param(r, true, 256);
    };
    if s.state != super::subsystem::State::Active {
        crate::log::error(format_args!("nvmf: subsystem '{subnqn}' is not active; connect refused (controller busy)\n"));
        r.status(1, SC_CONNECT_CTRLR_BUSY);
        return Exec::Done;
    }
    if !s.host_allowed(&hostnqn) {
        crate::log::error(format_args!("nvmf: host '{hostnqn}' is not allowed on subsystem '{subnqn}'\n"));
        r.status(1, SC_CONNECT_INVALID_HOST);
        r.dnr();
        return Exec::Done;
    }
    let sqflow_disabled = cattr & (1 << 2) != 0;
    let discovery = s.subtype == Subtype::Discovery;
    if qid == 0 {
        if u32::from(sqsize) < u32::from(SPDK_NVMF_MIN_ADMIN_MAX_SQ_SIZE) - 1 || u32::from(sqsize) >= q.opts.max_aq_depth {
            return invalid_param(r, false, 44);
        }
        if cntlid != 0xffff && !discovery {
            return invalid_param(r, true, 16);
        }
        let Some(id) = alloc_cntlid(s) else {
            r.status(1, SC_CONNECT_CTRLR_BUSY);
            return Exec::Done;
        };
        let limits = FeatureLimits {
            max_io_queues: q.opts.max_io_qpairs_per_ctrlr,
            vwc_present: false,
            host_id_settable: false,
            kas_ms: q.opts.kas * 100,
            io_queues_exist: false,
            discovery,
        };
        let features = Features::new(hostid, kato, &limits, s.ana_reporting, discovery);
        let kato = features.keep_alive_timer;
        let c = Arc::new(Ctrlr {
            cntlid: id,
            subnqn: subnqn.clone(),
            hostnqn,
            hostid,
            discovery,
            cap,
            kato_ms: AtomicU64::new(u64::from(kato)),
            last_ka: AtomicU64::new(now_ms()),
            st: Mutex::new(CtrlrState {
                cc: 0,
                csts: 0,
                features,
                aers: Vec::new(),
                events: VecDeque::new(),
                aen_mask: 0,
                regs: Registers::default(),
                resv_notices: NoticeQueue::default(),
                resv_masks: HashMap::new(),
                changed_ns: Vec::new(),
                io_qpairs: Vec::new(),
                num_io_queues: None,
                ana_change_count: 0,
                errors: Vec::new(),
            }),
            admin_thread: crate::thread::current() as usize,
            admin_qpair: my_id,
        });
        REG.lock().ctrlrs.push(c.clone());
        r.cpl.cdw0 = u32::from(id);
        let tbl = group::table(g, &subnqn);
        q.attach(c, 0, sqsize + 1, sqflow_disabled, tbl, g);
        crate::log::notice(format_args!("nvmf: controller {id} of {subnqn} created for host {}\n", q.ctrlr.as_ref().map_or("", |c| c.hostnqn.as_str())));
        return Exec::Done;
    }
    // An I/O queue of an existing controller.
    let Some(c) = find(&subnqn, cntlid) else {
        return invalid_param(r, true, 16);
    };
    if c.hostnqn != hostnqn {
        return invalid_param(r, true, 512);
    }
    if discovery {
        return invalid_param(r, false, 42);
    }
    {
        let st = c.st.lock();
        if st.cc & CC_EN == 0 || st.csts & CSTS_RDY == 0 {
            drop(st);
            crate::log::error(format_args!("nvmf: I/O queue {qid} for controller {cntlid} of {subnqn}: the controller is not enabled\n"));
            return invalid_param(r, false, 42);
        }
        let max = st.num_io_queues.unwrap_or(q.opts.max_io_qpairs_per_ctrlr).min(q.opts.max_io_qpairs_per_ctrlr);
        if u32::from(qid) > max || st.io_qpairs.iter().any(|x| x.0 == qid) {
            drop(st);
            crate::log::error(format_args!("nvmf: I/O queue {qid} for controller {cntlid} of {subnqn}: above the {max} granted, or in use\n"));
            return invalid_param(r, false, 42);
        }
    }
    if sqsize == 0 || u32::from(sqsize) >= q.opts.max_queue_depth {
        return invalid_param(r, false, 44);
    }
    c.st.lock().io_qpairs.push((qid, crate::thread::current() as usize, my_id));
    r.cpl.cdw0 = u32::from(c.cntlid);
    let tbl = group::table(g, &subnqn);
    q.attach(c, qid, sqsize + 1, sqflow_disabled, tbl, g);
    Exec::Done
}

fn qpair_id_of(q: &mut Conn) -> u64 {
    let me = q as *mut Conn;
    // SAFETY: a Conn is always the `c` field of a live TcpQpair.
    let qp = unsafe { (me as *mut u8).sub(std::mem::offset_of!(TcpQpair, c)) as *mut TcpQpair };
    // SAFETY: as above.
    unsafe { (*qp).id }
}

/// CAP as this target reports it.
fn cap(q: &Conn) -> u64 {
    // The I/O queues' limit (the admin queue's, max_aq_depth, is checked at its Connect).
    let mqes = u64::from(q.opts.max_queue_depth - 1);
    let cqr = 1u64 << 16;
    let to = 15u64 << 24; // 7.5 s in 500 ms units
    let css_nvm = 1u64 << 37;
    mqes | cqr | to | css_nvm
}

fn property_get(c: &Ctrlr, r: &mut Req) -> Exec {
    let size8 = r.cmd.cdw10 & 1 != 0;
    let off = r.cmd.cdw11 as usize;
    // SAFETY: the Conn of this request's qpair (for CAP's queue sizes).
    let q = unsafe { &(*r.qp).c };
    let st = c.st.lock();
    let v: Option<u64> = match (off, size8) {
        (0x00, true) => Some(cap(q)),
        (0x08, false) => Some(u64::from(identify::NVMF_VERSION)),
        (0x14, false) => Some(u64::from(st.cc)),
        (0x1c, false) => Some(u64::from(st.csts)),
        _ => None,
    };
    match v {
        Some(v) => {
            r.cpl.cdw0 = v as u32;
            r.cpl.cdw1 = (v >> 32) as u32;
        }
        None => {
            r.status(1, SC_CONNECT_INVALID_PARAM);
            r.cpl.cdw0 = 44;
        }
    }
    Exec::Done
}

fn property_set(c: &Ctrlr, r: &mut Req) -> Exec {
    let size8 = r.cmd.cdw10 & 1 != 0;
    let off = r.cmd.cdw11 as usize;
    let v = r.cmd.cdw12;
    if off != 0x14 || size8 {
        r.status(1, SC_CONNECT_INVALID_PARAM);
        r.cpl.cdw0 = 44;
        return Exec::Done;
    }
    let mut st = c.st.lock();
    let old = st.cc;
    st.cc = v;
    if v & CC_EN != 0 && old & CC_EN == 0 {
        st.csts |= CSTS_RDY;
        st.csts &= !(3 << 2);
    } else if v & CC_EN == 0 && old & CC_EN != 0 {
        // Controller reset: its I/O queues go, the notification log restarts.
        st.csts &= !CSTS_RDY;
        st.resv_notices = NoticeQueue::default();
        st.aen_mask = 0;
        let ios = std::mem::take(&mut st.io_qpairs);
        drop(st);
        close_qpairs(ios);
        st = c.st.lock();
    }
    let shn = (v >> CC_SHN_SHIFT) & 3;
    if shn != 0 {
        st.csts = (st.csts & !(3 << 2)) | CSTS_SHST_COMPLETE;
    } else if old >> CC_SHN_SHIFT & 3 != 0 {
        st.csts &= !(3 << 2);
    }
    Exec::Done
}

/// Closes qpairs (on their threads).
fn close_qpairs(list: Vec<(u16, usize, u64)>) {
    for (_qid, t, id) in list {
        let th = t as *mut crate::thread::Thread;
        // SAFETY: group threads live until the transport goes, after every qpair.
        let _ = crate::thread::send_fn(unsafe { &*th }, move || {
            if let Some(g) = group_here() {
                // SAFETY: the group of this thread.
                if let Some(&qp) = unsafe { (*g).qpairs.get(&id) } {
                    // SAFETY: a live qpair of this group.
                    unsafe { TcpQpair::close_now(qp) };
                }
            }
        });
    }
}

/// The poll group of the calling thread (if it is a group thread).
fn group_here() -> Option<*mut PollGroup> {
    let me = crate::thread::current();
    group::find_by_thread(me)
}

/// A qpair of `c` closed (on its thread).
pub fn qpair_gone(c: &Arc<Ctrlr>, qid: u16, was_admin: bool, id: u64, _g: &mut PollGroup) {
    if was_admin {
        REG.lock().ctrlrs.retain(|x| !Arc::ptr_eq(x, c));
        let ios = std::mem::take(&mut c.st.lock().io_qpairs);
        close_qpairs(ios);
        crate::log::notice(format_args!("nvmf: controller {} of {} (host {}) is gone\n", c.cntlid, c.subnqn, c.hostnqn));
    } else {
        c.st.lock().io_qpairs.retain(|x| !(x.0 == qid && x.2 == id));
    }
}

/// How many Asynchronous Event Requests of queue `qp` the controller holds.
pub fn held_aers(c: &Ctrlr, qp: usize) -> usize {
    c.st.lock().aers.iter().filter(|a| a.0 == qp).count()
}

/// Drops the AERs `c` holds from qpair `qp` (it is closing); returns how many.
pub fn take_held(c: &Arc<Ctrlr>, qp: *mut TcpQpair) -> usize {
    let mut st = c.st.lock();
    let before = st.aers.len();
    st.aers.retain(|a| a.0 != qp as usize);
    before - st.aers.len()
}

fn ns_info(s: &Subsystem, nsid: u32, e: &group::NsEntry, q: &Conn) -> NsInfo {
    let ns = s.namespaces.get(&nsid);
    let bd = crate::bdev::bdev_ref(e.bdev);
    let inaccessible = s.ana_reporting && ana_state_of(s, q) == AnaState::Inaccessible;
    NsInfo {
        block_size: e.block_size,
        num_blocks: e.num_blocks,
        md_size: 0,
        uuid: ns.and_then(|n| n.uuid),
        nguid: ns.and_then(|n| n.nguid),
        eui64: ns.and_then(|n| n.eui64),
        anagrpid: if s.ana_reporting { ns.map_or(nsid, |n| if n.anagrpid == 0 { nsid } else { n.anagrpid }) } else { 0 },
        optimal_io_boundary_blocks: bd.optimal_io_boundary,
        write_unit_blocks: bd.write_unit_size.max(1),
        acwu_blocks: bd.acwu.max(1),
        max_io_blocks: q.opts.max_io_size / e.block_size.max(1),
        dsm: crate::bdev::io_type_supported(e.bdev, crate::capi::bdev_types::spdk_bdev_io_type::SPDK_BDEV_IO_TYPE_UNMAP),
        write_zeroes: true,
        reservations: true,
        shared: true,
        dealloc_reads_zeroes: false,
        inaccessible,
    }
}

fn ana_state_of(s: &Subsystem, q: &Conn) -> AnaState {
    s.listeners
        .iter()
        .find(|l| l.addr.traddr == q.local.0 && l.addr.trsvcid == q.local.1.to_string())
        .map_or(AnaState::Optimized, |l| l.ana_state)
}

fn ana_code(a: AnaState) -> u8 {
    match a {
        AnaState::Optimized => 1,
        AnaState::NonOptimized => 2,
        AnaState::Inaccessible => 3,
    }
}

fn ctrlr_info<'a>(s: &'a Subsystem, c: &Ctrlr, q: &Conn) -> CtrlrInfo<'a> {
    let mdts = (q.opts.max_io_size / 4096).trailing_zeros() as u8;
    let nn = if s.max_namespaces > 0 { s.max_namespaces } else { s.namespaces.keys().max().copied().unwrap_or(0).max(32) };
    CtrlrInfo {
        subnqn: &s.nqn,
        serial: &s.serial_number,
        model: &s.model_number,
        firmware: FIRMWARE,
        cntlid: c.cntlid,
        discovery: c.discovery,
        max_nsid: nn,
        maxcmd: q.opts.max_queue_depth as u16,
        mdts,
        ioccsz: (64 + q.opts.in_capsule_data_size) / 16,
        iorcsz: 1,
        icdoff: 0,
        kas: q.opts.kas as u16,
        ana_reporting: s.ana_reporting,
        anagrpmax: nn,
        nanagrpid: nn,
        vwc: false,
        oncs_compare: true,
        oncs_write_zeroes: true,
        oncs_dsm: true,
        oncs_reservations: true,
        fused_compare_write: true,
        sgl_keyed: false,
        ieee_oui: identify::SPDK_IEEE_OUI,
    }
}

fn done_status(r: &mut Req, s: u16) -> Exec {
    r.status((s >> 8) as u8, s as u8);
    if s != 0 {
        r.dnr();
    }
    Exec::Done
}

/// Admin commands (on the admin queue's thread).
pub fn admin(q: &mut Conn, g: &mut PollGroup, idx: u16) -> Exec {
    let Some(c) = q.ctrlr.clone() else {
        return done_status(&mut q.reqs[idx as usize], st::COMMAND_SEQUENCE_ERROR);
    };
    c.kept_alive();
    let op = q.reqs[idx as usize].cmd.opc();
    {
        let stt = c.st.lock();
        if stt.cc & CC_EN == 0 || stt.csts & CSTS_RDY == 0 {
            drop(stt);
            return done_status(&mut q.reqs[idx as usize], st::COMMAND_SEQUENCE_ERROR);
        }
    }
    let subs = tgt::subsystems();
    let Some(s) = subs.iter().find(|s| s.nqn == c.subnqn) else {
        return done_status(&mut q.reqs[idx as usize], st::COMMAND_SEQUENCE_ERROR);
    };
    let discovery = c.discovery;
    match op {
        admin::IDENTIFY => identify_cmd(q, g, idx, s, &c),
        admin::GET_LOG_PAGE => get_log_page(q, idx, s, &c),
        admin::KEEP_ALIVE => Exec::Done,
        admin::ASYNC_EVENT_REQUEST => {
            let qp = q.reqs[idx as usize].qp as usize;
            let mut stt = c.st.lock();
            if stt.aers.len() >= usize::from(identify::MAX_ASYNC_EVENTS) {
                drop(stt);
                let r = &mut q.reqs[idx as usize];
                r.status(1, SC_AER_LIMIT);
                return Exec::Done;
            }
            stt.aers.push((qp, idx));
            drop(stt);
            deliver_events_locked(&c);
            Exec::Pending
        }
        admin::GET_FEATURES | admin::SET_FEATURES if q.reqs[idx as usize].cmd.cdw10 as u8 == super::features::fid::RESERVATION_NOTIFICATION_MASK && !discovery => {
            let r = &mut q.reqs[idx as usize];
            match resv_mask_feature(s, &c, &r.cmd, op == admin::SET_FEATURES) {
                Ok(cdw0) => {
                    r.cpl.cdw0 = cdw0;
                    Exec::Done
                }
                Err(e) => done_status(r, e),
            }
        }
        admin::GET_FEATURES => {
            let r = &mut q.reqs[idx as usize];
            let cmd = r.cmd;
            let mut out = Vec::new();
            let res = c.st.lock().features.get(&cmd, &mut out);
            match res {
                Ok(cdw0) => {
                    r.cpl.cdw0 = cdw0;
                    let n = out.len().min(r.len as usize);
                    r.data_mut()[..n].copy_from_slice(&out[..n]);
                    r.c2h_len = n as u32;
                    Exec::Done
                }
                Err(e) => done_status(r, e),
            }
        }
        admin::SET_FEATURES => {
            let limits = FeatureLimits {
                max_io_queues: q.opts.max_io_qpairs_per_ctrlr,
                vwc_present: false,
                io_queues_exist: !c.st.lock().io_qpairs.is_empty(),
                kas_ms: q.opts.kas * 100,
                host_id_settable: false,
                discovery,
            };
            let r = &mut q.reqs[idx as usize];
            let cmd = r.cmd;
            let data = r.data().to_vec();
            let mut stt = c.st.lock();
            let res = stt.features.set(&cmd, &data, &limits);
            match res {
                Ok(cdw0) => {
                    let fid = cmd.cdw10 as u8;
                    if fid == 0x07 {
                        stt.num_io_queues = Some((cdw0 & 0xffff) + 1);
                    }
                    if fid == 0x0f {
                        c.kato_ms.store(u64::from(stt.features.keep_alive_timer), Ordering::Relaxed);
                    }
                    drop(stt);
                    r.cpl.cdw0 = cdw0;
                    Exec::Done
                }
                Err(e) => {
                    drop(stt);
                    done_status(r, e)
                }
            }
        }
        admin::ABORT => abort_cmd(q, idx, &c),
        _ => {
            let r = &mut q.reqs[idx as usize];
            r.status(0, SC_INVALID_OPCODE);
            r.dnr();
            Exec::Done
        }
    }
}

/// Get / Set Features Reservation Notification Mask (82h), a feature of
/// each namespace kept per controller: Set applies to one active namespace
/// or, with NSID FFFFFFFFh, to all; Get reads one.
fn resv_mask_feature(s: &Subsystem, c: &Ctrlr, cmd: &crate::nvme::spec::Cmd, set: bool) -> Result<u32, u16> {
    use super::features::{sel, CAP_CHANGEABLE, CAP_NS_SPECIFIC};
    let nsid = cmd.nsid;
    let active = s.namespaces.contains_key(&nsid);
    let mut stt = c.st.lock();
    if set {
        if cmd.cdw10 >> 31 != 0 {
            return Err(st::FEATURE_NOT_SAVEABLE);
        }
        let mask = cmd.cdw11 & resv::MASK_BITS;
        if nsid == 0xffff_ffff {
            for n in s.namespaces.keys() {
                stt.resv_masks.insert(*n, mask);
            }
        } else if active {
            stt.resv_masks.insert(nsid, mask);
        } else {
            return Err(super::status(0, SC_INVALID_NAMESPACE));
        }
        return Ok(0);
    }
    if nsid == 0xffff_ffff {
        return Err(st::INVALID_FIELD);
    }
    if !active {
        return Err(super::status(0, SC_INVALID_NAMESPACE));
    }
    match ((cmd.cdw10 >> 8) & 7) as u8 {
        sel::CURRENT => Ok(stt.resv_masks.get(&nsid).copied().unwrap_or(0)),
        sel::DEFAULT | sel::SAVED => Ok(0),
        sel::SUPPORTED_CAPABILITIES => Ok(CAP_NS_SPECIFIC | CAP_CHANGEABLE),
        _ => Err(st::INVALID_FIELD),
    }
}

/// Abort (admin 08h): CDW10 SQID (15:0) and CID (31:16). The command is
/// looked for on its queue's thread. One still waiting in the target
/// (data buffer, H2C data, bdev io_wait, held fused half, or a held AER)
/// completes with Command Abort Requested and the Abort answers 0 in bit 0
/// of dword 0. One with a bdev is aborted there when the bdev can
/// (`spdk_bdev_abort`: it then completes with Command Abort Requested and
/// the Abort answers 0); otherwise, or if that fails, it is looked for again
/// until the transport's abort_timeout_sec passes, and the Abort then
/// answers 1 (not aborted), as it does for a command that is not there or
/// completed normally.
fn abort_cmd(q: &mut Conn, idx: u16, c: &Arc<Ctrlr>) -> Exec {
    let timeout_ms = u64::from(q.opts.abort_timeout_sec) * 1000;
    let r = &mut q.reqs[idx as usize];
    let sqid = r.cmd.cdw10 as u16;
    let cid = (r.cmd.cdw10 >> 16) as u16;
    r.cpl.cdw0 = 1;
    let target = if sqid == 0 {
        Some((c.admin_thread, c.admin_qpair))
    } else {
        c.st.lock().io_qpairs.iter().find(|x| x.0 == sqid).map(|x| (x.1, x.2))
    };
    let Some((thread, qpair)) = target else { return Exec::Done };
    let ext_abort = if q.ext.is_some() { r.ext_req } else { 0 };
    let job = AbortJob {
        ctrlr: c.clone(),
        qpair,
        cid,
        exclude: if sqid == 0 { Some(idx) } else { None },
        deadline_ms: now_ms() + timeout_ms,
        bdev_tried: false,
        abort_req: r as *mut Req as usize,
        origin: crate::thread::current() as usize,
        ext_abort,
    };
    // SAFETY: group threads live until the transport goes.
    if crate::thread::send_fn(unsafe { &*(thread as *mut crate::thread::Thread) }, move || job.search()).is_err() {
        return Exec::Done;
    }
    Exec::Pending
}

/// An Abort command looking for its command.
struct AbortJob {
    ctrlr: Arc<Ctrlr>,
    /// The id of the queue the command was sent on (the job runs on its thread).
    qpair: u64,
    cid: u16,
    /// The Abort's own request, when it came on that queue.
    exclude: Option<u16>,
    deadline_ms: u64,
    /// The bdev was asked to abort the command already.
    bdev_tried: bool,
    /// The Abort's request, and its thread.
    abort_req: usize,
    origin: usize,
    /// The Abort's request as its transport knows it (a transport plugged
    /// in through the C API), or 0.
    ext_abort: usize,
}

impl AbortJob {
    /// On the queue's thread: looks, aborts, retries later, or answers.
    fn search(self) {
        let outcome = match group_here() {
            // SAFETY: this thread's group and its live qpairs.
            Some(g) => match unsafe { (*g).qpairs.get(&self.qpair).copied() } {
                // SAFETY: as above.
                Some(qp) => unsafe { self.search_in(&mut *g, qp) },
                None => AbortOutcome::NotFound,
            },
            None => AbortOutcome::NotFound,
        };
        match outcome {
            AbortOutcome::Busy if !self.bdev_tried => self.try_bdev(),
            AbortOutcome::Busy if now_ms() < self.deadline_ms => {
                // With a bdev: look again shortly, until the timeout.
                group::defer(Box::new(move || self.search()));
            }
            AbortOutcome::Aborted => self.answer(0),
            AbortOutcome::NotFound => self.ask_transport(),
            AbortOutcome::Busy => self.answer(1),
        }
    }

    /// Not in the target: a plugged-in transport may hold the command
    /// still (its qpair_abort_request), else the Abort answers 1.
    fn ask_transport(self) {
        let qp = group_here().and_then(|g| {
            // SAFETY: this thread's group.
            unsafe { (*g).qpairs.get(&self.qpair).copied() }
        });
        let Some(qp) = qp else { return self.answer(1) };
        let token = self.ext_abort;
        let (req, origin) = (self.abort_req, self.origin);
        let done: Box<dyn FnOnce(u32) + Send> = Box::new(move |cdw0| answer_abort(req, origin, cdw0));
        // SAFETY: a live qpair of this thread's group.
        let asked = unsafe { (*qp).c.ext.as_mut().is_some_and(|x| x.abort_request(token, done)) };
        if !asked {
            self.answer(1);
        }
    }

    /// The command is with a bdev: asks the bdev to abort it, or goes on
    /// looking for it until the timeout when it cannot.
    fn try_bdev(mut self) {
        self.bdev_tried = true;
        let qp = group_here().and_then(|g| {
            // SAFETY: this thread's group.
            unsafe { (*g).qpairs.get(&self.qpair).copied() }
        });
        let Some(qp) = qp else { return self.answer(1) };
        let cid = self.cid;
        let job = Box::into_raw(Box::new(self));
        // SAFETY: a live qpair of this thread's group.
        if unsafe { (*qp).c.abort_in_bdev(cid, Some(bdev_abort_done), job.cast()) } {
            return;
        }
        // SAFETY: not handed over: still ours.
        let job = unsafe { Box::from_raw(job) };
        group::defer(Box::new(move || job.search()));
    }

    /// # Safety
    /// `qp` is a live qpair of `g`, on this thread.
    unsafe fn search_in(&self, g: &mut PollGroup, qp: *mut TcpQpair) -> AbortOutcome {
        if self.exclude.is_some() {
            // The admin queue: a held AER is the controller's to give back.
            let held = {
                let mut st = self.ctrlr.st.lock();
                // SAFETY: per the contract.
                let reqs = unsafe { &(*qp).c.reqs };
                let pos = st.aers.iter().position(|a| a.0 == qp as usize && reqs.get(a.1 as usize).is_some_and(|r| r.cmd.cid() == self.cid));
                pos.map(|i| st.aers.remove(i).1)
            };
            if let Some(i) = held {
                // SAFETY: per the contract; the AER was outstanding, now ours to complete.
                unsafe {
                    let r = &mut (&mut (*qp).c.reqs)[i as usize];
                    r.status(0, super::tcp::qpair::SC_ABORTED_BY_REQUEST);
                    TcpQpair::complete(r);
                }
                return AbortOutcome::Aborted;
            }
        }
        // SAFETY: per the contract.
        unsafe { (*qp).c.abort_cid(g, self.cid, self.exclude) }
    }

    /// Completes the Abort with dword 0 `cdw0` on its own thread.
    fn answer(self, cdw0: u32) {
        answer_abort(self.abort_req, self.origin, cdw0);
    }
}

/// Completes Abort request `req` (of thread `origin`) with dword 0 `cdw0`.
fn answer_abort(req: usize, origin: usize, cdw0: u32) {
    let done = move || {
        let r = req as *mut Req;
        // SAFETY: the Abort's request stays outstanding (its qpair with
        // it) until this completion, on its thread.
        unsafe {
            (*r).cpl.cdw0 = cdw0;
            TcpQpair::complete(r);
        }
    };
    // SAFETY: group threads live until the transport goes.
    let _ = crate::thread::send_fn(unsafe { &*(origin as *mut crate::thread::Thread) }, done);
}

/// The bdev's answer to an Abort's `spdk_bdev_abort`: aborted (the command
/// completes as aborted on its own), or looked for again until the timeout.
extern "C" fn bdev_abort_done(io: *mut crate::capi::bdev_types::spdk_bdev_io, success: bool, arg: *mut std::ffi::c_void) {
    crate::bdev::io::free_io(io);
    // SAFETY: the job `try_bdev` handed over, given back once.
    let job = unsafe { Box::from_raw(arg as *mut AbortJob) };
    if success {
        job.answer(0);
    } else {
        group::defer(Box::new(move || job.search()));
    }
}

fn identify_cmd(q: &mut Conn, g: &mut PollGroup, idx: u16, s: &Subsystem, c: &Ctrlr) -> Exec {
    let cns = q.reqs[idx as usize].cmd.cdw10 as u8;
    let nsid = q.reqs[idx as usize].cmd.nsid;
    let mut page = Box::new([0u8; 4096]);
    match cns {
        0x01 => {
            identify::identify_ctrlr(&ctrlr_info(s, c, q), &mut page);
            if let Some(x) = q.ext.as_mut() {
                x.cdata(&s.nqn, &mut page[..]);
            }
        }
        0x00 | 0x03 if !c.discovery => {
            let tbl = group::table(g, &s.nqn);
            // SAFETY: the group's table, on its thread.
            let e = unsafe { &mut *tbl }.get(nsid);
            match e {
                Some(e) => {
                    let info = ns_info(s, nsid, e, q);
                    if cns == 0 {
                        identify::identify_ns(&info, &mut page);
                    } else {
                        identify::ns_id_desc_list(&info, &mut page);
                    }
                }
                None if cns == 0 && nsid != 0 && nsid != 0xffff_ffff => {
                    // An inactive NSID: all zeroes.
                }
                None => return done_status(&mut q.reqs[idx as usize], super::status(0, SC_INVALID_NAMESPACE)),
            }
        }
        0x02 if !c.discovery => {
            if let Err(e) = identify::check_active_ns_list_nsid(nsid) {
                return done_status(&mut q.reqs[idx as usize], e);
            }
            let ids: Vec<u32> = s.namespaces.keys().copied().collect();
            identify::active_ns_list(&ids, nsid, &mut page);
        }
        _ => return done_status(&mut q.reqs[idx as usize], st::INVALID_FIELD),
    }
    let r = &mut q.reqs[idx as usize];
    let n = (r.len as usize).min(4096);
    r.data_mut()[..n].copy_from_slice(&page[..n]);
    r.c2h_len = n as u32;
    Exec::Done
}

fn get_log_page(q: &mut Conn, idx: u16, s: &Subsystem, c: &Arc<Ctrlr>) -> Exec {
    let lp = logpage::decode_get_log_page(&q.reqs[idx as usize].cmd);
    let mut page: Vec<u8> = Vec::new();
    match lp.lid {
        logpage::lid::DISCOVERY if c.discovery => {
            let entries = tgt::discovery_entries(&c.hostnqn);
            logpage::discovery_log(tgt::genctr(), &entries, &mut page);
        }
        _ if c.discovery => return done_status(&mut q.reqs[idx as usize], super::status(1, SC_INVALID_LOG_PAGE)),
        logpage::lid::ERROR => {
            let mut stt = c.st.lock();
            logpage::error_log(&stt.errors, &mut page);
            if !lp.rae {
                unmask(&mut stt, mask_bit::ERROR);
            }
        }
        logpage::lid::HEALTH_INFORMATION => {
            let mut p = [0u8; 512];
            let info = logpage::SmartInfo { temperature: 273 + 25, available_spare: 100, available_spare_threshold: 10, ..Default::default() };
            logpage::smart_log(&info, &mut p);
            page.extend_from_slice(&p);
        }
        logpage::lid::FIRMWARE_SLOT => {
            let mut p = [0u8; 512];
            logpage::firmware_slot_log(FIRMWARE, &mut p);
            page.extend_from_slice(&p);
        }
        logpage::lid::CHANGED_NS_LIST => {
            let mut p = [0u8; 4096];
            let mut stt = c.st.lock();
            logpage::changed_ns_list(&stt.changed_ns, &mut p);
            if !lp.rae {
                stt.changed_ns.clear();
                unmask(&mut stt, mask_bit::NS_ATTR_CHANGE);
            }
            page.extend_from_slice(&p);
        }
        logpage::lid::ASYMMETRIC_NAMESPACE_ACCESS if s.ana_reporting => {
            let st_here = ana_code(ana_state_of(s, q));
            let mut groups: Vec<logpage::AnaGroup> = Vec::new();
            for (nsid, ns) in &s.namespaces {
                let gid = if ns.anagrpid == 0 { *nsid } else { ns.anagrpid };
                match groups.iter_mut().find(|g| g.grpid == gid) {
                    Some(g) => g.nsids.push(*nsid),
                    None => groups.push(logpage::AnaGroup { grpid: gid, state: st_here, nsids: vec![*nsid] }),
                }
            }
            let cc = {
                let mut stt = c.st.lock();
                if !lp.rae {
                    unmask(&mut stt, mask_bit::ANA_CHANGE);
                }
                stt.ana_change_count
            };
            logpage::ana_log(cc, &groups, lp.lsp & logpage::ANA_LSP_RGO != 0, &mut page);
        }
        logpage::lid::RESERVATION_NOTIFICATION => {
            let mut p = [0u8; 64];
            let again = {
                let mut stt = c.st.lock();
                stt.resv_notices.pop(&mut p);
                if !lp.rae {
                    unmask(&mut stt, mask_bit::RESERVATION_LOG_AVAIL);
                }
                !lp.rae && !stt.resv_notices.is_empty()
            };
            if again {
                // More pages wait: tell the host again.
                let _ = raise(c, AEN_RESV_LOG);
            }
            page.extend_from_slice(&p);
        }
        _ => return done_status(&mut q.reqs[idx as usize], super::status(1, SC_INVALID_LOG_PAGE)),
    }
    let r = &mut q.reqs[idx as usize];
    let want = (lp.len() as usize).min(r.len as usize);
    let lpo = lp.lpo;
    let mut out = vec![0u8; want];
    match logpage::slice_page(&page, lpo, want, &mut out) {
        Ok(_) => {
            r.data_mut()[..want].copy_from_slice(&out);
            r.c2h_len = want as u32;
            Exec::Done
        }
        Err(e) => done_status(r, e),
    }
}

/// Completes held AERs with pending events, if any (on the admin thread).
fn deliver_events_locked(c: &Arc<Ctrlr>) {
    loop {
        let (qp, idx, ev) = {
            let mut st = c.st.lock();
            if st.aers.is_empty() || st.events.is_empty() {
                return;
            }
            let (qp, idx) = st.aers.remove(0);
            let ev = st.events.pop_front().unwrap_or(0);
            if let Some(b) = mask_bit_of(ev) {
                st.aen_mask |= 1 << b;
            }
            (qp, idx, ev)
        };
        complete_held(qp, idx, |r| r.cpl.cdw0 = ev);
    }
}

/// The request of a held AER.
///
/// # Safety
/// `(qp, idx)` must come from `CtrlrState::aers` and the call be made on
/// the admin queue's thread (a closing qpair takes its AERs back first, so
/// the qpair is live).
unsafe fn held_req(qp: usize, idx: u16) -> *mut Req {
    let qp = qp as *mut TcpQpair;
    // SAFETY: per the contract, a live qpair on this thread.
    unsafe { std::ptr::addr_of_mut!((*qp).c.reqs).as_mut() }.and_then(|v| v.get_mut(idx as usize)).map_or(std::ptr::null_mut(), |r| r as *mut Req)
}

/// Completes a held AER (already taken out of the list) after `fill` set its completion.
fn complete_held(qp: usize, idx: u16, fill: impl FnOnce(&mut Req)) {
    // SAFETY: a held AER, on the admin thread (every caller runs there).
    let r = unsafe { held_req(qp, idx) };
    if r.is_null() {
        return;
    }
    // SAFETY: a live request of that qpair, not completed yet.
    unsafe {
        fill(&mut *r);
        TcpQpair::complete(r);
    }
}

/// Queues an asynchronous event for every controller of `nqn` that enabled it.
fn notify(nqn: &str, ev: u32, aec_bit: u32, nsid: Option<u32>) {
    for c in controllers(Some(nqn)) {
        {
            let mut st = c.st.lock();
            if let Some(n) = nsid {
                if !st.changed_ns.contains(&n) {
                    st.changed_ns.push(n);
                }
            }
            if ev == AEN_ANA_CHANGE {
                st.ana_change_count += 1;
            }
            if st.features.async_event_config & aec_bit == 0 {
                continue;
            }
        }
        let _ = raise(&c, ev);
    }
}

/// Queues event `ev` for `c` unless it is queued already or masked (sent
/// and its log page not read since); its admin thread delivers it.
fn raise(c: &Arc<Ctrlr>, ev: u32) -> Result<(), StateError> {
    {
        let mut st = c.st.lock();
        let masked = mask_bit_of(ev).is_some_and(|b| st.aen_mask & (1 << b) != 0);
        if st.events.contains(&ev) || masked {
            return Ok(());
        }
        if st.events.len() >= MAX_PENDING_EVENTS {
            drop(st);
            crate::log::error(format_args!("nvmf: controller {} of {}: {MAX_PENDING_EVENTS} asynchronous events wait already; event {ev:#010x} dropped\n", c.cntlid, c.subnqn));
            return Err(StateError::QueueFull);
        }
        st.events.push_back(ev);
    }
    let th = c.admin_thread as *mut crate::thread::Thread;
    let c2 = c.clone();
    // SAFETY: group threads live until the transport goes.
    let _ = crate::thread::send_fn(unsafe { &*th }, move || deliver_events_locked(&c2));
    Ok(())
}

/// The host read the log page of events of mask bit `bit` with RAE
/// cleared: such events may be sent again.
fn unmask(st: &mut CtrlrState, bit: u32) {
    st.aen_mask &= !(1u64 << bit);
}

/// The controller a C `struct spdk_nvmf_ctrlr *` points at, if it still exists.
pub fn by_ptr(p: *const Ctrlr) -> Option<Arc<Ctrlr>> {
    REG.lock().ctrlrs.iter().find(|c| Arc::as_ptr(c) == p).cloned()
}

impl Ctrlr {
    fn on_admin_thread(&self) -> bool {
        crate::thread::current() as usize == self.admin_thread
    }

    /// Save and restore need the controller quiet: its subsystem paused,
    /// the caller on the admin thread.
    fn check_migratable(&self, what: &str) -> Result<(), StateError> {
        if !self.on_admin_thread() {
            crate::log::error(format_args!("nvmf: {what} of controller {} of {}: not on its admin thread\n", self.cntlid, self.subnqn));
            return Err(StateError::WrongThread);
        }
        if !tgt::subsystem(&self.subnqn).is_some_and(|s| s.state == super::subsystem::State::Paused) {
            crate::log::error(format_args!("nvmf: {what} of controller {} of {}: the subsystem is not paused\n", self.cntlid, self.subnqn));
            return Err(StateError::NotPaused);
        }
        Ok(())
    }

    /// Refreshes the registers kept for C from the current properties and
    /// returns where they are: the address stays valid for the controller's
    /// life (the values are those of the last call).
    pub fn regs_ptr(&self) -> *const Registers {
        let mut st = self.st.lock();
        st.regs = self.current_regs(&st);
        &st.regs as *const Registers
    }

    /// CAP and VS as Property Get reports them, CC and CSTS as set, the rest as kept.
    fn current_regs(&self, st: &CtrlrState) -> Registers {
        Registers { cap: self.cap, vs: identify::NVMF_VERSION, cc: st.cc, csts: st.csts, ..st.regs }
    }

    /// The controller's state for live migration (subsystem paused, on the admin thread).
    pub fn save_state(&self) -> Result<MigrState, StateError> {
        self.check_migratable("saving the state")?;
        Ok(self.state_now())
    }

    /// The state [`Ctrlr::save_state`] gives, without its checks (the CIDs
    /// of held AERs only on the admin thread).
    pub fn state_now(&self) -> MigrState {
        let here = self.on_admin_thread();
        let st = self.st.lock();
        let regs = self.current_regs(&st);
        let aer_cids = st
            .aers
            .iter()
            .filter(|_| here)
            .filter_map(|&(qp, idx)| {
                // SAFETY: a held AER, on the admin thread (just checked).
                let r = unsafe { held_req(qp, idx) };
                // SAFETY: a live request of that qpair.
                unsafe { r.as_ref() }.map(|r| r.cmd.cid())
            })
            .collect();
        MigrState {
            regs,
            feat: st.features.dwords(),
            cntlid: self.cntlid,
            acre: st.features.host_behavior_acre,
            events: st.events.iter().copied().collect(),
            aer_cids,
            notice_aen_mask: st.aen_mask,
        }
    }

    /// Restores a saved state (subsystem paused, on the admin thread):
    /// CC, CSTS, AQA, ASQ, ACQ, the features, the pending events and the
    /// mask. The controller keeps its ID (`m.cntlid` is ignored) and its
    /// AERs (the transport submits the AERs it had again); events find
    /// the AERs held once the admin thread runs again.
    pub fn restore_state(self: &Arc<Self>, m: &MigrState) -> Result<(), StateError> {
        self.check_migratable("restoring the state")?;
        let deliver = {
            let mut st = self.st.lock();
            st.cc = m.regs.cc;
            st.csts = m.regs.csts;
            st.regs.aqa = m.regs.aqa;
            st.regs.asq = m.regs.asq;
            st.regs.acq = m.regs.acq;
            st.features.restore_dwords(&m.feat);
            st.features.host_behavior_acre = m.acre;
            st.num_io_queues = Some((st.features.number_of_queues & 0xffff) + 1);
            self.kato_ms.store(u64::from(st.features.keep_alive_timer), Ordering::Relaxed);
            st.events = m.events.iter().copied().take(MAX_PENDING_EVENTS).collect();
            let known = (1u64 << (mask_bit::ERROR + 1)) - 1;
            st.aen_mask = m.notice_aen_mask & known;
            !st.events.is_empty() && !st.aers.is_empty()
        };
        if deliver {
            let c2 = self.clone();
            let th = self.admin_thread as *mut crate::thread::Thread;
            // SAFETY: group threads live until the transport goes.
            let _ = crate::thread::send_fn(unsafe { &*th }, move || deliver_events_locked(&c2));
        }
        Ok(())
    }
}

/// Raises an Error Status asynchronous event with `info` (log page Error
/// Information): it completes a held AER on the admin thread, or waits for
/// one. Masked (dropped, like SPDK) while an error event was sent and the
/// Error log page not read since.
pub fn error_event(c: &Arc<Ctrlr>, info: u8) -> Result<(), StateError> {
    raise(c, AEN_TYPE_ERROR | (u32::from(info) << 8) | (LID_ERROR << 16))
}

/// Completes every AER `c` holds with Command Abort Requested (on its
/// admin thread: now if called there, else by message).
pub fn abort_aers(c: &Arc<Ctrlr>) {
    if !c.on_admin_thread() {
        let c2 = c.clone();
        let th = c.admin_thread as *mut crate::thread::Thread;
        // SAFETY: group threads live until the transport goes.
        let _ = crate::thread::send_fn(unsafe { &*th }, move || abort_aers(&c2));
        return;
    }
    let held = std::mem::take(&mut c.st.lock().aers);
    for (qp, idx) in held {
        complete_held(qp, idx, |r| r.status(0, SC_ABORT_REQUESTED));
    }
}

/// A namespace of `nqn` was added or removed (on the app thread).
pub fn ns_changed(nqn: &str, nsid: u32) {
    notify(nqn, AEN_NS_ATTR_CHANGED, AEC_NS_ATTR, Some(nsid));
}

/// A listener's ANA state changed.
pub fn ana_changed(nqn: &str) {
    notify(nqn, AEN_ANA_CHANGE, AEC_ANA, None);
}

// ---------------------------------------------------------------------------
// Reservations
// ---------------------------------------------------------------------------

/// Per subsystem NQN, per NSID.
static RESV: Mutex<Option<HashMap<String, HashMap<u32, Reservations>>>> = Mutex::new(None);
/// Whether any namespace has reservation state (else I/O skips the check).
static ANY_RESV: AtomicBool = AtomicBool::new(false);

/// Reservation Conflict check of an I/O command (on the I/O path).
pub fn reservation_check(c: &Ctrlr, nsid: u32, op: u8) -> Result<(), u8> {
    if !ANY_RESV.load(Ordering::Acquire) {
        return Ok(());
    }
    let Some(is_write) = super::reservation::access_kind(op) else { return Ok(()) };
    let g = RESV.lock();
    let Some(r) = g.as_ref().and_then(|m| m.get(c.subnqn.as_str()).and_then(|n| n.get(&nsid))) else { return Ok(()) };
    r.check_io(&c.hostid, is_write).map_err(|_| SC_RESERVATION_CONFLICT)
}

/// Register / Acquire / Release / Report. Hosts affected by the change get
/// their notifications; Preempt and Abort completes later, once the
/// preempted hosts' commands waiting in the target are aborted.
pub fn reservation_cmd(q: &mut Conn, idx: u16, nsid: u32) -> Exec {
    let Some(c) = q.ctrlr.clone() else { return Exec::Done };
    let r = &mut q.reqs[idx as usize];
    let cmd = r.cmd;
    let mut g = RESV.lock();
    let m = g.get_or_insert_with(HashMap::new);
    let res = m.entry(c.subnqn.clone()).or_default().entry(nsid).or_default();
    let data = r.data().to_vec();
    let out = match cmd.opc() {
        super::io::OPC_RESERVATION_REGISTER => res.register(&c.hostid, cmd.cdw10, &data),
        super::io::OPC_RESERVATION_ACQUIRE => res.acquire(&c.hostid, cmd.cdw10, &data),
        super::io::OPC_RESERVATION_RELEASE => res.release(&c.hostid, cmd.cdw10, &data),
        _ => {
            let mut buf = Vec::new();
            let eds = cmd.cdw11 & 1 != 0;
            res.report(eds, &mut buf).map(|_| {
                let n = buf.len().min(r.len as usize);
                r.data_mut()[..n].copy_from_slice(&buf[..n]);
                r.c2h_len = n as u32;
                resv::Changes::default()
            })
        }
    };
    ANY_RESV.store(true, Ordering::Release);
    drop(g);
    let ch = match out {
        Ok(ch) => ch,
        Err(e) => {
            r.status((e >> 8) as u8, e as u8);
            return Exec::Done;
        }
    };
    resv_notify(&c.subnqn, nsid, resv_notification::REGISTRATION_PREEMPTED, &ch.preempted_hosts);
    if ch.released_notice {
        resv_notify(&c.subnqn, nsid, resv_notification::RESERVATION_RELEASED, &ch.released_hosts);
    }
    resv_notify(&c.subnqn, nsid, resv_notification::RESERVATION_PREEMPTED, &ch.reservation_preempted_hosts);
    if ch.abort && !ch.preempted_hosts.is_empty() {
        return preempt_abort(&c.subnqn, nsid, &ch.preempted_hosts, r);
    }
    Exec::Done
}

/// Queues a reservation notification of `kind` for namespace `nsid` on
/// every controller of `hosts` (each controller of a host gets its own)
/// that does not mask it, with an asynchronous event.
fn resv_notify(nqn: &str, nsid: u32, kind: u8, hosts: &[[u8; 16]]) {
    if hosts.is_empty() {
        return;
    }
    for c in controllers(Some(nqn)) {
        if c.discovery || !hosts.contains(&c.hostid) {
            continue;
        }
        {
            let mut st = c.st.lock();
            if st.resv_masks.get(&nsid).copied().unwrap_or(0) & resv::mask_bit(kind) != 0 {
                continue;
            }
            st.resv_notices.push(kind, nsid);
        }
        let _ = raise(&c, AEN_RESV_LOG);
    }
}

/// Preempt and Abort: on each I/O queue of the preempted hosts'
/// controllers (on its thread), the commands for `nsid` still waiting in
/// the target complete as aborted; then the Acquire `acq` completes.
fn preempt_abort(nqn: &str, nsid: u32, hosts: &[[u8; 16]], acq: &mut Req) -> Exec {
    let queues: Vec<(usize, u64)> = controllers(Some(nqn))
        .iter()
        .filter(|c| hosts.contains(&c.hostid))
        .flat_map(|c| c.st.lock().io_qpairs.iter().map(|x| (x.1, x.2)).collect::<Vec<_>>())
        .collect();
    if queues.is_empty() {
        return Exec::Done;
    }
    let left = Arc::new(std::sync::atomic::AtomicUsize::new(queues.len()));
    let (acq, origin) = (acq as *mut Req as usize, crate::thread::current() as usize);
    for (thread, id) in queues {
        let mine = left.clone();
        let job = move || {
            if let Some(g) = group_here() {
                // SAFETY: this thread's group and its live qpairs.
                unsafe {
                    if let Some(&qp) = (*g).qpairs.get(&id) {
                        (*qp).c.abort_for_preempt(&mut *g, nsid);
                        // Those a bdev has: aborted there; the Acquire
                        // waits for each abort to finish too.
                        (*qp).c.preempt_in_bdev(
                            nsid,
                            Some(preempt_bdev_done),
                            || {
                                mine.fetch_add(1, Ordering::AcqRel);
                                Box::into_raw(Box::new(PreemptWait { left: mine.clone(), acq, origin })).cast()
                            },
                            |a| {
                                let w = Box::from_raw(a as *mut PreemptWait);
                                w.left.fetch_sub(1, Ordering::AcqRel);
                            },
                        );
                    }
                }
            }
            one_done(&mine, acq, origin);
        };
        // SAFETY: as above.
        if crate::thread::send_fn(unsafe { &*(thread as *mut crate::thread::Thread) }, job).is_err() {
            one_done(&left, acq, origin);
        }
    }
    Exec::Pending
}

/// One bdev abort of a Preempt and Abort under way.
struct PreemptWait {
    left: Arc<std::sync::atomic::AtomicUsize>,
    acq: usize,
    origin: usize,
}

extern "C" fn preempt_bdev_done(io: *mut crate::capi::bdev_types::spdk_bdev_io, _success: bool, arg: *mut std::ffi::c_void) {
    crate::bdev::io::free_io(io);
    // SAFETY: the wait `preempt_abort` handed over, given back once.
    let w = unsafe { Box::from_raw(arg as *mut PreemptWait) };
    one_done(&w.left, w.acq, w.origin);
}

/// One queue of a Preempt and Abort is done; the last completes the
/// Acquire `acq` on its thread `origin`.
fn one_done(left: &std::sync::atomic::AtomicUsize, acq: usize, origin: usize) {
    if left.fetch_sub(1, Ordering::AcqRel) != 1 {
        return;
    }
    let done = move || {
        // SAFETY: the Acquire stays outstanding (its qpair with it) until
        // this completion, on its thread.
        unsafe { TcpQpair::complete(acq as *mut Req) };
    };
    // SAFETY: group threads live until the transport goes.
    let _ = crate::thread::send_fn(unsafe { &*(origin as *mut crate::thread::Thread) }, done);
}

/// Forgets reservations of a namespace (removed).
pub fn reservation_forget(nqn: &str, nsid: u32) {
    if let Some(m) = RESV.lock().as_mut() {
        if let Some(n) = m.get_mut(nqn) {
            n.remove(&nsid);
        }
    }
}

/// Controllers as `nvmf_subsystem_get_controllers` lists them.
pub fn controllers_json(nqn: &str) -> Vec<serde_json::Value> {
    controllers(Some(nqn))
        .iter()
        .map(|c| {
            let st = c.st.lock();
            serde_json::json!({
                "cntlid": c.cntlid,
                "hostnqn": c.hostnqn,
                "hostid": uuid_str(&c.hostid),
                "num_io_qpairs": st.io_qpairs.len(),
            })
        })
        .collect()
}

pub fn uuid_str(b: &[u8; 16]) -> String {
    let h: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", h[0..4].concat(), h[4..6].concat(), h[6..8].concat(), h[8..10].concat(), h[10..16].concat())
}
