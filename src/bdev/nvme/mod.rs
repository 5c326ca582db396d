//! The nvme bdev module (SPDK's `bdev_nvme`): NVMe controllers attached by
//! transport ID through the user-space driver, one bdev per active
//! namespace (`<controller>n<nsid>`), one I/O queue pair per thread and
//! controller, controller resets that I/O survives (it is retried once the
//! queue pairs are back), timeouts with SPDK's actions, hot removal.
//!
//! Control (attach, detach, reset, the admin queue poller) runs on the
//! thread that attached the controller; I/O runs on each thread's channel
//! (`io.rs`).

mod io;

use super::config::MethodError;
use super::BdevError;
use crate::capi::bdev_types::*;
use crate::capi::thread::spdk_io_channel;
use crate::env::pci::PciAddr;
use crate::nvme::ctrlr::{Ctrlr, CtrlrOpts, Namespace};
use crate::nvme::qpair::Payload;
use crate::nvme::spec::{admin, ident, Cmd};
use crate::thread::{self, io_channel as ioch, poller};
use parking_lot::Mutex;
use serde_json::{json, Map, Value};
use std::ffi::{c_int, c_void, CString};
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

/// What to do when a command outlives `timeout_us` (`action_on_timeout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutAction {
    None,
    Reset,
    Abort,
}

impl TimeoutAction {
    fn name(self) -> &'static str {
        match self {
            TimeoutAction::None => "none",
            TimeoutAction::Reset => "reset",
            TimeoutAction::Abort => "abort",
        }
    }
}

/// The module's options (`bdev_nvme_set_options`), taken by each controller when it attaches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub action_on_timeout: TimeoutAction,
    pub timeout_us: u64,
    pub timeout_admin_us: u64,
    pub keep_alive_timeout_ms: u32,
    pub transport_retry_count: u32,
    pub arbitration_burst: u32,
    pub low_priority_weight: u32,
    pub medium_priority_weight: u32,
    pub high_priority_weight: u32,
    pub nvme_adminq_poll_period_us: u64,
    pub nvme_ioq_poll_period_us: u64,
    pub io_queue_requests: u32,
    pub delay_cmd_submit: bool,
    /// Attempts of a failed I/O (-1: no limit).
    pub bdev_retry_count: i32,
    pub generate_uuids: bool,
    /// Flush goes to the controller when it has a volatile write cache (else flush completes at once).
    pub enable_flush: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            action_on_timeout: TimeoutAction::None,
            timeout_us: 0,
            timeout_admin_us: 0,
            keep_alive_timeout_ms: 10_000,
            transport_retry_count: 4,
            arbitration_burst: 0,
            low_priority_weight: 0,
            medium_priority_weight: 0,
            high_priority_weight: 0,
            nvme_adminq_poll_period_us: 10_000,
            nvme_ioq_poll_period_us: 0,
            io_queue_requests: 0,
            delay_cmd_submit: true,
            bdev_retry_count: 3,
            generate_uuids: false,
            enable_flush: false,
        }
    }
}

static OPTS: Mutex<Option<Options>> = Mutex::new(None);

pub fn options() -> Options {
    OPTS.lock().clone().unwrap_or_default()
}

/// `bdev_nvme_set_options`: refused once a controller is attached (as SPDK does).
pub fn set_options(o: Options) -> Result<(), BdevError> {
    if !CTRLRS.lock().is_empty() {
        return Err(BdevError::Busy("options cannot change while NVMe controllers are attached".into()));
    }
    if o.action_on_timeout != TimeoutAction::None && o.timeout_us == 0 {
        return Err(BdevError::Invalid(format!("action_on_timeout {} needs timeout_us", o.action_on_timeout.name())));
    }
    if o.timeout_admin_us != 0 && o.timeout_us == 0 {
        return Err(BdevError::Invalid("timeout_admin_us needs timeout_us".into()));
    }
    if o.arbitration_burst > 7 || [o.low_priority_weight, o.medium_priority_weight, o.high_priority_weight].iter().any(|&w| w > 255) {
        return Err(BdevError::Invalid("arbitration_burst is at most 7 and the priority weights at most 255".into()));
    }
    if o.bdev_retry_count < -1 {
        return Err(BdevError::Invalid(format!("bdev_retry_count {} is below -1", o.bdev_retry_count)));
    }
    *OPTS.lock() = Some(o);
    Ok(())
}

/// The parameters of `bdev_nvme_attach_controller` this module acts on.
#[derive(Clone, Debug, Default)]
pub struct AttachOpts {
    pub name: String,
    pub traddr: PciAddr,
    pub num_io_queues: Option<u32>,
    pub max_bdevs: u32,
}

const ENABLED: u8 = 0;
const RESETTING: u8 = 1;
const DELETING: u8 = 2;
const FAILED: u8 = 3;

type Waiter = Box<dyn FnOnce(i32) + Send>;

/// One attached controller.
pub(crate) struct NvmeCtrlr {
    name: String,
    attach: AttachOpts,
    pub(crate) ctrlr: Box<Ctrlr>,
    /// The thread that attached it: control runs there.
    thread: usize,
    admin_poller: AtomicUsize,
    state: AtomicU8,
    retry_count: i32,
    enable_flush: bool,
    io_queue_requests: u32,
    ioq_poll_period_us: u64,
    /// Live namespace bdevs (NvmeBdev pointers).
    bdevs: Mutex<Vec<usize>>,
    /// Resets waiting for the one under way to finish, then told its outcome.
    resets: Mutex<Vec<Waiter>>,
    /// Told when the controller is gone.
    detach_waiters: Mutex<Vec<Waiter>>,
    /// Its address is the controller's io_device.
    io_dev: u8,
}

impl NvmeCtrlr {
    fn io_device(&self) -> *mut c_void {
        &self.io_dev as *const u8 as *mut c_void
    }
    fn state(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }
    fn state_name(&self) -> &'static str {
        match self.state() {
            ENABLED => "enabled",
            RESETTING => "resetting",
            DELETING => "deleting",
            _ => "failed",
        }
    }
    fn cntlid(&self) -> u16 {
        let cd = self.ctrlr.cdata();
        u16::from_le_bytes([cd[ident::CTRLR_CNTLID], cd[ident::CTRLR_CNTLID + 1]])
    }
    fn oncs(&self) -> u16 {
        let cd = self.ctrlr.cdata();
        u16::from_le_bytes([cd[ident::CTRLR_ONCS], cd[ident::CTRLR_ONCS + 1]])
    }
    fn has_vwc(&self) -> bool {
        self.ctrlr.cdata()[ident::CTRLR_VWC] & 1 != 0
    }
}

/// The controllers, in attach order (leaked `NvmeCtrlr` boxes).
static CTRLRS: Mutex<Vec<usize>> = Mutex::new(Vec::new());

fn ctrlr_ref<'a>(p: usize) -> &'a NvmeCtrlr {
    // SAFETY: registered controllers stay allocated until `free_ctrlr` removes them.
    unsafe { &*(p as *const NvmeCtrlr) }
}

fn find_ctrlr(name: &str) -> Option<usize> {
    CTRLRS.lock().iter().copied().find(|&p| ctrlr_ref(p).name == name)
}

/// One namespace's bdev: SPDK's bdev structure first, then ours.
#[repr(C)]
pub(crate) struct NvmeBdev {
    pub bdev: spdk_bdev,
    name: CString,
    ctrlr: *const NvmeCtrlr,
    nsid: u32,
}

impl NvmeBdev {
    fn ctrlr(&self) -> &NvmeCtrlr {
        // SAFETY: a controller outlives its bdevs (it is freed after the last destruct).
        unsafe { &*self.ctrlr }
    }
    fn ns(&self) -> &Namespace {
        self.ctrlr().ctrlr.ns(self.nsid).expect("namespace of a live bdev")
    }
}

fn nvme_bdev<'a>(ctx: *mut c_void) -> &'a NvmeBdev {
    // SAFETY: ctx is one of our bdevs' `ctxt`: its NvmeBdev, alive until destructed.
    unsafe { &*(ctx as *const NvmeBdev) }
}

pub(crate) fn module() -> *mut spdk_bdev_module {
    static MODULE: once_cell::sync::Lazy<usize> = once_cell::sync::Lazy::new(|| super::file::new_module(c"nvme", Some(io::ctx_size)) as usize);
    *MODULE as *mut spdk_bdev_module
}

static FN_TABLE: spdk_bdev_fn_table = super::fn_table(destruct, io::submit_request, io::io_type_supported, get_io_channel);

extern "C" fn get_io_channel(ctx: *mut c_void) -> *mut spdk_io_channel {
    ioch::get(nvme_bdev(ctx).ctrlr().io_device()).map_or(std::ptr::null_mut(), |c| c.cast())
}

extern "C" fn destruct(ctx: *mut c_void) -> c_int {
    let b = ctx as *mut NvmeBdev;
    let nc = nvme_bdev(ctx).ctrlr;
    let c = ctrlr_ref(nc as usize);
    let last = {
        let mut l = c.bdevs.lock();
        l.retain(|&x| x != b as usize);
        l.is_empty()
    };
    // SAFETY: the layer destructs a bdev once, after its last descriptor closed.
    drop(unsafe { Box::from_raw(b) });
    if last && c.state() == DELETING {
        release_ctrlr(nc as usize);
    }
    0
}

fn bdev_err(e: BdevError) -> MethodError {
    MethodError(e.to_string(), e.errno())
}

fn nvme_err(e: crate::nvme::ctrlr::NvmeError) -> MethodError {
    MethodError(e.what, e.errno)
}

/// The UUID a namespace reports (identification descriptor, else NGUID), if any.
fn ns_uuid(c: &Ctrlr, ns: &Namespace) -> Option<[u8; 16]> {
    let buf = crate::env::mem::alloc(4096, 4096)?;
    let mut cmd = Cmd::new(admin::IDENTIFY, ns.id);
    cmd.cdw10 = 3;
    let mut found = None;
    if c.admin_sync(cmd, Payload::Contig { buf, len: 4096 }).is_ok_and(|cpl| !cpl.is_error()) {
        // SAFETY: the 4 KiB buffer the controller filled.
        let d = unsafe { std::slice::from_raw_parts(buf, 4096) };
        let mut at = 0;
        while at + 4 <= d.len() {
            let (nidt, nidl) = (d[at], d[at + 1] as usize);
            if nidt == 0 || at + 4 + nidl > d.len() {
                break;
            }
            if nidt == 3 && nidl == 16 {
                found = d[at + 4..at + 20].try_into().ok();
                break;
            }
            at += 4 + nidl;
        }
    }
    crate::env::mem::free(buf);
    found.filter(|u: &[u8; 16]| u.iter().any(|&b| b != 0)).or_else(|| {
        let g: [u8; 16] = ns.data_bytes()[ident::NS_NGUID..ident::NS_NGUID + 16].try_into().ok()?;
        g.iter().any(|&b| b != 0).then_some(g)
    })
}

/// A UUID made from the controller's serial number and the namespace ID
/// (`generate_uuids`): the same for the same device every time.
fn derived_uuid(serial: &str, nsid: u32) -> [u8; 16] {
    let mut a = crate::util::crc::crc32c_update(serial.as_bytes(), !0) as u64;
    let mut b = crate::util::crc::crc32c_update(&nsid.to_le_bytes(), a as u32) as u64;
    a |= (crate::util::crc::crc32c_update(serial.as_bytes(), nsid) as u64) << 32;
    b |= (crate::util::crc::crc32c_update(b"rspdk-nvme", b as u32) as u64) << 32;
    let mut u = [0u8; 16];
    u[..8].copy_from_slice(&a.to_be_bytes());
    u[8..].copy_from_slice(&b.to_be_bytes());
    u[6] = (u[6] & 0x0f) | 0x80; // version 8: vendor-specific
    u[8] = (u[8] & 0x3f) | 0x80;
    u
}

fn new_bdev(c: &NvmeCtrlr, ns: &Namespace, generate_uuids: bool) -> *mut NvmeBdev {
    let name = CString::new(format!("{}n{}", c.name, ns.id)).expect("no NUL in a checked name");
    // SAFETY: all-zero is valid for spdk_bdev.
    let mut bdev: spdk_bdev = unsafe { std::mem::zeroed() };
    bdev.blocklen = ns.sector_size + if ns.extended_lba { ns.md_size } else { 0 };
    bdev.phys_blocklen = bdev.blocklen;
    bdev.blockcnt = ns.num_sectors;
    bdev.write_cache = c.has_vwc() as c_int;
    bdev.md_len = ns.md_size;
    if ns.md_size > 0 && ns.extended_lba {
        bdev.flags |= SPDK_BDEV_FLAG_MD_INTERLEAVE;
    }
    if ns.sectors_per_stripe > 0 {
        bdev.optimal_io_boundary = ns.sectors_per_stripe;
        bdev.flags |= SPDK_BDEV_FLAG_SPLIT_ON_OPTIMAL_IO_BOUNDARY;
    }
    // PRP and SGL entries need dword-aligned addresses.
    bdev.required_alignment = 2;
    bdev.product_name = c"NVMe disk".as_ptr() as *mut _;
    bdev.fn_table = &FN_TABLE;
    bdev.module = module();
    if let Some(u) = ns_uuid(&c.ctrlr, ns) {
        bdev.uuid.u.raw = u;
    } else if generate_uuids {
        bdev.uuid.u.raw = derived_uuid(&c.ctrlr.serial(), ns.id);
    }
    let b = Box::into_raw(Box::new(NvmeBdev { bdev, name, ctrlr: c, nsid: ns.id }));
    // SAFETY: just created; name and context point into the same allocation.
    unsafe {
        (*b).bdev.name = (*b).name.as_ptr() as *mut _;
        (*b).bdev.ctxt = b.cast();
    }
    b
}

/// `bdev_nvme_attach_controller` for a PCIe controller: attaches it and
/// registers a bdev per active namespace; returns the bdevs' names.
pub fn attach(o: AttachOpts) -> Result<Vec<String>, MethodError> {
    let t = thread::current();
    if t.is_null() {
        return Err(MethodError("bdev_nvme_attach_controller must run on an spdk_thread".into(), libc::EINVAL));
    }
    if o.name.is_empty() || o.name.contains('\0') {
        return Err(MethodError::param("name must be a non-empty string".into()));
    }
    if find_ctrlr(&o.name).is_some() {
        return Err(MethodError(format!("controller {} already exists", o.name), libc::EEXIST));
    }
    if let Some(&p) = CTRLRS.lock().iter().find(|&&p| ctrlr_ref(p).attach.traddr == o.traddr) {
        return Err(MethodError(format!("traddr {} is already attached as controller {}", o.traddr, ctrlr_ref(p).name), libc::EEXIST));
    }
    let g = options();
    let mut copts = CtrlrOpts { keep_alive_timeout_ms: g.keep_alive_timeout_ms, ..Default::default() };
    if let Some(n) = o.num_io_queues {
        copts.num_io_queues = n;
    }
    if g.io_queue_requests != 0 {
        copts.io_queue_requests = g.io_queue_requests;
    }
    let ctrlr = Ctrlr::attach(o.traddr, copts).map_err(nvme_err)?;
    let active: Vec<u32> = ctrlr.namespaces.iter().filter(|n| n.active && n.num_sectors > 0).map(|n| n.id).collect();
    if active.len() as u64 > o.max_bdevs as u64 {
        let n = active.len();
        ctrlr.detach();
        return Err(MethodError(format!("controller {} has {n} namespaces, more than max_bdevs {}", o.name, o.max_bdevs), libc::E2BIG));
    }
    let nc = Box::into_raw(Box::new(NvmeCtrlr {
        name: o.name.clone(),
        attach: o,
        ctrlr,
        thread: t as usize,
        admin_poller: AtomicUsize::new(0),
        state: AtomicU8::new(ENABLED),
        retry_count: g.bdev_retry_count,
        enable_flush: g.enable_flush,
        io_queue_requests: g.io_queue_requests,
        ioq_poll_period_us: g.nvme_ioq_poll_period_us,
        bdevs: Mutex::new(Vec::new()),
        resets: Mutex::new(Vec::new()),
        detach_waiters: Mutex::new(Vec::new()),
        io_dev: 0,
    }));
    // SAFETY: just created; freed only by `free_ctrlr`.
    let c = unsafe { &*nc };
    if let Err(e) = ioch::register(c.io_device(), io::ch_create, io::ch_destroy, io::channel_size(), Some(&c.name)) {
        // SAFETY: registered nowhere: still ours.
        let b = unsafe { Box::from_raw(nc) };
        b.ctrlr.detach();
        return Err(MethodError(format!("io_device: {e:?}"), libc::ENOMEM));
    }
    CTRLRS.lock().push(nc as usize);
    configure(c, &g);
    let period = g.nvme_adminq_poll_period_us;
    if let Some(p) = poller::register(admin_poll, nc.cast(), period, Some("nvme_poll_adminq")) {
        c.admin_poller.store(p as usize, Ordering::Release);
    }
    let mut names = Vec::new();
    let mut failure = None;
    for nsid in active {
        let ns = c.ctrlr.ns(nsid).expect("an active namespace");
        let b = new_bdev(c, ns, g.generate_uuids);
        c.bdevs.lock().push(b as usize);
        // SAFETY: just created.
        let bp = unsafe { std::ptr::addr_of_mut!((*b).bdev) };
        match super::register(bp) {
            Ok(()) => names.push(super::name_of(bp)),
            Err(e) => {
                c.bdevs.lock().retain(|&x| x != b as usize);
                // SAFETY: not registered: still ours.
                drop(unsafe { Box::from_raw(b) });
                failure = Some(bdev_err(e));
                break;
            }
        }
    }
    if let Some(e) = failure {
        start_detach(nc as usize, None);
        return Err(e);
    }
    crate::log::notice(format_args!("nvme: attached controller {} ({}) at {}: {}\n", c.name, c.ctrlr.model(), c.attach.traddr, names.join(" ")));
    Ok(names)
}

/// Timeouts, arbitration and asynchronous events of a new controller.
fn configure(c: &NvmeCtrlr, g: &Options) {
    let p = c as *const NvmeCtrlr as usize;
    if g.timeout_us != 0 {
        let action = g.action_on_timeout;
        let admin_us = if g.timeout_admin_us != 0 { g.timeout_admin_us } else { g.timeout_us };
        c.ctrlr.set_timeout(
            g.timeout_us,
            admin_us,
            Some(Box::new(move |qp, cid| {
                let c = ctrlr_ref(p);
                let sqid = qp.map_or(0, |q| q.id());
                crate::log::warn(format_args!("nvme {}: command {cid} on queue {sqid} timed out; action {}\n", c.name, action.name()));
                match action {
                    TimeoutAction::None => {}
                    TimeoutAction::Abort => {
                        let mut a = Cmd::new(admin::ABORT, 0);
                        a.cdw10 = sqid as u32 | ((cid as u32) << 16);
                        let _ = c.ctrlr.admin_submit(a, Payload::None, None, std::ptr::null_mut());
                    }
                    TimeoutAction::Reset => {
                        let _ = reset(c.name.as_str(), None);
                    }
                }
            })),
        );
    }
    if g.arbitration_burst != 0 || g.low_priority_weight != 0 || g.medium_priority_weight != 0 || g.high_priority_weight != 0 {
        let mut f = Cmd::new(admin::SET_FEATURES, 0);
        f.cdw10 = 0x01;
        f.cdw11 = (g.arbitration_burst & 7) | (g.low_priority_weight << 8) | (g.medium_priority_weight << 16) | (g.high_priority_weight << 24);
        match c.ctrlr.admin_sync(f, Payload::None) {
            Ok(cpl) if !cpl.is_error() => {}
            _ => crate::log::warn(format_args!("nvme {}: set features (arbitration) failed\n", c.name)),
        }
    }
    c.ctrlr.register_aer(Some(aer_cb), p as *mut c_void);
}

extern "C" fn aer_cb(arg: *mut c_void, cpl: *const crate::nvme::spec::Cpl) {
    let c = ctrlr_ref(arg as usize);
    // SAFETY: valid for the call.
    let dw0 = unsafe { (*cpl).cdw0 };
    crate::log::notice(format_args!("nvme {}: asynchronous event: type {} info {:#x} log page {:#x}\n", c.name, dw0 & 7, (dw0 >> 8) & 0xff, (dw0 >> 16) & 0xff));
}

/// The admin queue poller: completions, asynchronous events, keep alive,
/// and surprise removal (registers reading all ones).
extern "C" fn admin_poll(arg: *mut c_void) -> c_int {
    let c = ctrlr_ref(arg as usize);
    let n = c.ctrlr.process_admin_completions();
    if c.state() == DELETING {
        return n as c_int;
    }
    let gone = c.ctrlr.csts() == u32::MAX;
    if gone || c.ctrlr.removal_requested() {
        let why = if gone { "is gone" } else { "is being removed" };
        crate::log::error(format_args!("nvme {}: controller at {} {why} (hot removal): failing its I/O and deleting it\n", c.name, c.attach.traddr));
        c.ctrlr.fail();
        c.state.store(FAILED, Ordering::Release);
        start_detach(arg as usize, None);
    }
    n as c_int
}

fn send_to(thread: usize, f: impl FnOnce() + Send + 'static) {
    extern "C" fn run(arg: *mut c_void) {
        // SAFETY: the box leaked below, run once.
        let f = unsafe { Box::from_raw(arg as *mut Box<dyn FnOnce() + Send>) };
        f();
    }
    let b: Box<Box<dyn FnOnce() + Send>> = Box::new(Box::new(f));
    let arg = Box::into_raw(b);
    // SAFETY: controller threads live until the app stops, after every controller is detached.
    if unsafe { &*(thread as *mut thread::Thread) }.send_msg(run, arg.cast()).is_err() {
        // SAFETY: not queued: still ours.
        let f = unsafe { Box::from_raw(arg) };
        crate::log::error(format_args!("nvme: a control message could not be queued\n"));
        drop(f);
    }
}

/// Resets controller `name` (`bdev_nvme_reset_controller`, a bdev reset, a
/// timeout): every thread's queue pair is deleted (its I/O waits to be
/// retried), the controller reset, the queue pairs created again and the
/// waiting I/O sent. `done(0)` or `done(-errno)` runs on the controller's thread.
pub fn reset(name: &str, done: Option<Waiter>) -> Result<(), BdevError> {
    let p = find_ctrlr(name).ok_or_else(|| BdevError::NotFound(format!("controller {name}")))?;
    reset_ctrlr(p, done);
    Ok(())
}

fn reset_ctrlr(p: usize, done: Option<Waiter>) {
    let c = ctrlr_ref(p);
    send_to(c.thread, move || {
        let c = ctrlr_ref(p);
        if c.state() == DELETING {
            if let Some(d) = done {
                d(-libc::ENXIO);
            }
            return;
        }
        let first = {
            let mut r = c.resets.lock();
            r.push(done.unwrap_or_else(|| Box::new(|_| {})));
            r.len() == 1
        };
        if !first {
            return;
        }
        c.state.store(RESETTING, Ordering::Release);
        if ioch::for_each(c.io_device(), io::disconnect_visit, p as *mut c_void, Some(disconnected)).is_err() {
            disconnected_on(p);
        }
    });
}

extern "C" fn disconnected(i: *mut ioch::ChannelIter, _status: c_int) {
    // SAFETY: the walk's context is the controller.
    disconnected_on(unsafe { (*i).ctx() } as usize);
}

fn disconnected_on(p: usize) {
    let c = ctrlr_ref(p);
    let rc = match c.ctrlr.reset() {
        Ok(()) => {
            c.state.store(ENABLED, Ordering::Release);
            0
        }
        Err(e) => {
            crate::log::error(format_args!("nvme {}: reset failed: {e}\n", c.name));
            c.state.store(FAILED, Ordering::Release);
            -e.errno
        }
    };
    if ioch::for_each(c.io_device(), io::reconnect_visit, p as *mut c_void, Some(if rc == 0 { reconnected_ok } else { reconnected_failed })).is_err() {
        finish_reset(p, rc);
    }
}

extern "C" fn reconnected_ok(i: *mut ioch::ChannelIter, _status: c_int) {
    // SAFETY: as in `disconnected`.
    finish_reset(unsafe { (*i).ctx() } as usize, 0);
}

extern "C" fn reconnected_failed(i: *mut ioch::ChannelIter, _status: c_int) {
    // SAFETY: as in `disconnected`.
    finish_reset(unsafe { (*i).ctx() } as usize, -libc::EIO);
}

fn finish_reset(p: usize, rc: i32) {
    let c = ctrlr_ref(p);
    crate::log::notice(format_args!("nvme {}: reset {}\n", c.name, if rc == 0 { "done" } else { "failed" }));
    let waiters = std::mem::take(&mut *c.resets.lock());
    for w in waiters {
        w(rc);
    }
}

/// `bdev_nvme_detach_controller`: deletes the controller's bdevs, then
/// detaches it; `done(0)` runs when it is gone.
pub fn detach(name: &str, done: Option<Waiter>) -> Result<(), BdevError> {
    let p = find_ctrlr(name).ok_or_else(|| BdevError::NotFound(format!("controller {name}")))?;
    if ctrlr_ref(p).state() == DELETING {
        return Err(BdevError::Busy(format!("controller {name} is being deleted")));
    }
    start_detach(p, done);
    Ok(())
}

fn start_detach(p: usize, done: Option<Waiter>) {
    let c = ctrlr_ref(p);
    if let Some(d) = done {
        c.detach_waiters.lock().push(d);
    }
    if c.state.swap(DELETING, Ordering::AcqRel) == DELETING {
        return;
    }
    let bdevs: Vec<usize> = c.bdevs.lock().clone();
    if bdevs.is_empty() {
        release_ctrlr(p);
        return;
    }
    for b in bdevs {
        // SAFETY: a live bdev of ours.
        let bp = unsafe { std::ptr::addr_of_mut!((*(b as *mut NvmeBdev)).bdev) };
        // Being removed already (by bdev_unregister elsewhere) is fine: its destruct comes.
        let _ = super::unregister(bp, None, std::ptr::null_mut());
    }
}

/// The last bdev is gone: the channels go, then the controller.
fn release_ctrlr(p: usize) {
    extern "C" fn channels_gone(dev: *mut c_void) {
        let p = (dev as usize) - std::mem::offset_of!(NvmeCtrlr, io_dev);
        free_ctrlr(p);
    }
    let c = ctrlr_ref(p);
    if ioch::unregister(c.io_device(), Some(channels_gone)).is_err() {
        free_ctrlr(p);
    }
}

fn free_ctrlr(p: usize) {
    CTRLRS.lock().retain(|&x| x != p);
    // SAFETY: unregistered everywhere: ours again, freed once.
    let c = unsafe { Box::from_raw(p as *mut NvmeCtrlr) };
    let poller = c.admin_poller.swap(0, Ordering::AcqRel);
    if poller != 0 {
        poller::unregister(poller as *mut poller::Poller);
    }
    let waiters = std::mem::take(&mut *c.detach_waiters.lock());
    let resets = std::mem::take(&mut *c.resets.lock());
    let name = c.name.clone();
    let NvmeCtrlr { ctrlr, .. } = *c;
    ctrlr.detach();
    crate::log::notice(format_args!("nvme: controller {name} detached\n"));
    for r in resets {
        r(-libc::ENXIO);
    }
    for w in waiters {
        w(0);
    }
}

/// Detaches every controller (the bdev subsystem's shutdown, after its bdevs
/// are gone); `done` runs when none is left.
pub(crate) fn fini(done: Box<dyn FnOnce() + Send>) {
    let all: Vec<usize> = CTRLRS.lock().clone();
    if all.is_empty() {
        return done();
    }
    let left = std::sync::Arc::new(AtomicUsize::new(all.len()));
    let done = std::sync::Arc::new(Mutex::new(Some(done)));
    for p in all {
        let (left, done) = (left.clone(), done.clone());
        start_detach(
            p,
            Some(Box::new(move |_| {
                if left.fetch_sub(1, Ordering::AcqRel) == 1 {
                    if let Some(d) = done.lock().take() {
                        d();
                    }
                }
            })),
        );
    }
}

/// The names of controller `name`'s bdevs.
pub fn bdev_names(name: &str) -> Vec<String> {
    let Some(p) = find_ctrlr(name) else { return Vec::new() };
    let l = ctrlr_ref(p).bdevs.lock().clone();
    l.into_iter().map(|b| nvme_bdev(b as *mut c_void).name.to_string_lossy().into_owned()).collect()
}

/// Whether a controller of this name exists.
pub fn exists(name: &str) -> bool {
    find_ctrlr(name).is_some()
}

fn trid_json(c: &NvmeCtrlr) -> Value {
    json!({"trtype": "PCIe", "traddr": c.attach.traddr.to_string()})
}

/// `bdev_nvme_get_controllers`: every controller (or the one named), in SPDK's shape.
pub fn get_controllers(name: Option<&str>) -> Result<Value, BdevError> {
    let list: Vec<usize> = CTRLRS.lock().clone();
    let mut out = Vec::new();
    for p in list {
        let c = ctrlr_ref(p);
        if name.is_some_and(|n| n != c.name) {
            continue;
        }
        out.push(json!({
            "name": c.name,
            "ctrlrs": [{
                "state": c.state_name(),
                "trid": trid_json(c),
                "cntlid": c.cntlid(),
                "host": {"nqn": "", "addr": "", "svcid": ""},
            }],
        }));
    }
    if let (Some(n), true) = (name, out.is_empty()) {
        return Err(BdevError::NotFound(format!("controller {n}")));
    }
    Ok(Value::Array(out))
}

fn nvme_bdev_if<'a>(b: *mut spdk_bdev) -> Option<&'a NvmeBdev> {
    (!b.is_null() && super::bdev_ref(b).module == module()).then(|| nvme_bdev(super::bdev_ref(b).ctxt))
}

/// `driver_specific` of bdev_get_bdevs for an nvme bdev.
pub(crate) fn info_json(b: *mut spdk_bdev) -> Option<Value> {
    let nb = nvme_bdev_if(b)?;
    let c = nb.ctrlr();
    let cd = c.ctrlr.cdata();
    let oacs = u16::from_le_bytes([cd[ident::CTRLR_OACS], cd[ident::CTRLR_OACS + 1]]);
    let fr = String::from_utf8_lossy(&cd[ident::CTRLR_FR..ident::CTRLR_FR + 8]).trim_end().to_string();
    let vs = c.ctrlr.vs;
    Some(json!({
        "nvme": [{
            "pci_address": c.attach.traddr.to_string(),
            "trid": trid_json(c),
            "ctrlr_data": {
                "cntlid": c.cntlid(),
                "vendor_id": format!("{:#06x}", u16::from_le_bytes([cd[ident::CTRLR_VID], cd[ident::CTRLR_VID + 1]])),
                "model_number": c.ctrlr.model(),
                "serial_number": c.ctrlr.serial(),
                "firmware_revision": fr,
                "oacs": {"security": oacs & 1, "format": (oacs >> 1) & 1, "firmware": (oacs >> 2) & 1, "ns_manage": (oacs >> 3) & 1},
                "multi_ctrlr": cd[76] & 2 != 0,
                "ana_reporting": cd[76] & 8 != 0,
            },
            "vs": {"nvme_version": format!("{}.{}", vs >> 16, (vs >> 8) & 0xff)},
            "ns_data": {"id": nb.nsid, "can_share": nb.ns().data_bytes()[30] & 1 != 0},
        }],
        "mp_policy": "active_passive",
    }))
}

/// The `bdev_nvme_attach_controller` call that recreates `b`'s controller
/// (save_config), written in place of its first bdev; None for the others.
pub(crate) fn config_json(b: *mut spdk_bdev) -> Option<Option<Value>> {
    let nb = nvme_bdev_if(b)?;
    let c = nb.ctrlr();
    let first = c.bdevs.lock().iter().map(|&x| nvme_bdev(x as *mut c_void).nsid).min();
    if first != Some(nb.nsid) {
        return Some(None);
    }
    let mut p = Map::new();
    p.insert("name".into(), c.name.clone().into());
    p.insert("trtype".into(), "PCIe".into());
    p.insert("traddr".into(), c.attach.traddr.to_string().into());
    if let Some(n) = c.attach.num_io_queues {
        p.insert("num_io_queues".into(), n.into());
    }
    p.insert("prchk_reftag".into(), false.into());
    p.insert("prchk_guard".into(), false.into());
    p.insert("ctrlr_loss_timeout_sec".into(), 0.into());
    p.insert("reconnect_delay_sec".into(), 0.into());
    p.insert("fast_io_fail_timeout_sec".into(), 0.into());
    Some(Some(json!({"method": "bdev_nvme_attach_controller", "params": p})))
}

/// `bdev_nvme_set_options` as save_config writes it.
pub(crate) fn options_json() -> Value {
    let o = options();
    json!({"method": "bdev_nvme_set_options", "params": {
        "action_on_timeout": o.action_on_timeout.name(),
        "timeout_us": o.timeout_us,
        "timeout_admin_us": o.timeout_admin_us,
        "keep_alive_timeout_ms": o.keep_alive_timeout_ms,
        "arbitration_burst": o.arbitration_burst,
        "low_priority_weight": o.low_priority_weight,
        "medium_priority_weight": o.medium_priority_weight,
        "high_priority_weight": o.high_priority_weight,
        "nvme_adminq_poll_period_us": o.nvme_adminq_poll_period_us,
        "nvme_ioq_poll_period_us": o.nvme_ioq_poll_period_us,
        "io_queue_requests": o.io_queue_requests,
        "delay_cmd_submit": o.delay_cmd_submit,
        "transport_retry_count": o.transport_retry_count,
        "bdev_retry_count": o.bdev_retry_count,
        "generate_uuids": o.generate_uuids,
        "enable_flush": o.enable_flush,
    }})
}

/// Parses `action_on_timeout`.
pub fn parse_action(s: &str) -> Option<TimeoutAction> {
    match s {
        "none" => Some(TimeoutAction::None),
        "reset" => Some(TimeoutAction::Reset),
        "abort" => Some(TimeoutAction::Abort),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_uuids_are_stable_and_distinct() {
        let a = derived_uuid("RSPDK0001", 1);
        assert_eq!(a, derived_uuid("RSPDK0001", 1));
        assert_ne!(a, derived_uuid("RSPDK0001", 2));
        assert_ne!(a, derived_uuid("RSPDK0002", 1));
        assert_eq!(a[6] >> 4, 8);
    }

    #[test]
    fn options_are_checked() {
        let bad = Options { action_on_timeout: TimeoutAction::Reset, ..Default::default() };
        assert!(set_options(bad).unwrap_err().to_string().contains("timeout_us"));
        assert!(set_options(Options { arbitration_burst: 9, ..Default::default() }).is_err());
        assert!(set_options(Options { bdev_retry_count: -2, ..Default::default() }).is_err());
        assert_eq!(options(), Options::default());
    }

    #[test]
    fn unknown_controllers_are_errors() {
        assert!(matches!(detach("NoSuchNvme", None), Err(BdevError::NotFound(_))));
        assert!(matches!(reset("NoSuchNvme", None), Err(BdevError::NotFound(_))));
        assert!(get_controllers(Some("NoSuchNvme")).is_err());
        assert_eq!(get_controllers(None).unwrap(), json!([]));
    }
}
