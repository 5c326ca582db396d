//! An NVMe controller over PCIe (VFIO): initialisation in the order the NVMe
//! specification gives, the admin queue, namespaces, I/O queue pairs, and
//! namespace commands split at the transfer limit and the namespace's
//! optimal I/O boundary.

use super::fabrics::{self, prop};
use super::qpair::{deliver, CmdCb, Done, Payload, Qpair, SubmitError, PAGE, PRP_ENTRIES};
use super::tcp::{self, TcpQpair};
use super::transport::Queue;
use super::trid::{self as tridmod, TransportId};
use super::spec::{self, admin, ident, nvm, reg, Cmd, Cpl};
use super::vfio;
use crate::env::{cpu, mem, memmap, pci::PciAddr};
use parking_lot::{Mutex, ReentrantMutex};
use std::cell::RefCell;
use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, AtomicUsize, Ordering};

/// The controller options the driver honours (from `spdk_nvme_ctrlr_opts`).
#[derive(Clone, Debug)]
pub struct CtrlrOpts {
    pub num_io_queues: u32,
    pub io_queue_size: u32,
    pub io_queue_requests: u32,
    pub admin_queue_size: u16,
    pub keep_alive_timeout_ms: u32,
    pub admin_timeout_ms: u32,
    /// Fabrics: the host NQN and host identifier sent in Connect.
    pub hostnqn: String,
    pub hostid: [u8; 16],
    /// NVMe/TCP: ask for header and data digests.
    pub header_digest: bool,
    pub data_digest: bool,
    /// Fabrics: how long connecting and each Connect may take.
    pub fabrics_connect_timeout_us: u64,
}

impl Default for CtrlrOpts {
    fn default() -> Self {
        let hostid = crate::util::uuid::generate();
        CtrlrOpts {
            num_io_queues: 1024,
            io_queue_size: 256,
            io_queue_requests: 512,
            admin_queue_size: 32,
            keep_alive_timeout_ms: 10_000,
            admin_timeout_ms: 120_000,
            hostnqn: format!("{}{}", crate::nvmf::spec::SPDK_NVMF_NQN_UUID_PRE, crate::util::uuid::fmt_lower(&hostid)),
            hostid,
            header_digest: false,
            data_digest: false,
            fabrics_connect_timeout_us: 3_000_000,
        }
    }
}

#[derive(Debug)]
pub struct NvmeError {
    pub what: String,
    pub errno: i32,
}

impl std::fmt::Display for NvmeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (errno {})", self.what, self.errno)
    }
}

fn fail<T>(what: impl Into<String>, errno: i32) -> Result<T, NvmeError> {
    Err(NvmeError { what: what.into(), errno })
}

impl From<vfio::VfioError> for NvmeError {
    fn from(e: vfio::VfioError) -> Self {
        NvmeError { what: e.what, errno: e.errno }
    }
}

/// One namespace as identified.
pub struct Namespace {
    pub id: u32,
    pub active: bool,
    pub data: *mut u8,
    pub sector_size: u32,
    pub md_size: u32,
    pub extended_lba: bool,
    pub num_sectors: u64,
    /// Optimal I/O boundary in sectors (0: none).
    pub sectors_per_stripe: u32,
    pub pi_type: u8,
}

impl Namespace {
    pub fn data_bytes(&self) -> &[u8] {
        // SAFETY: `data` is a live 4 KiB identify buffer owned by the controller.
        unsafe { std::slice::from_raw_parts(self.data, 4096) }
    }
}

pub type AerCb = extern "C" fn(*mut c_void, *const Cpl);

/// Told of a command outstanding longer than its timeout: (I/O queue pair or
/// None for the admin queue, command id). Called once per command.
pub type TimeoutFn = Box<dyn Fn(Option<&IoQpair>, u16) + Send + Sync>;

/// What a fabrics controller needs beyond the queues: where it is, who we are to it.
struct Fabric {
    trid: Mutex<TransportId>,
    cntlid: AtomicU16,
    /// Write data that fits in an I/O command capsule (IOCCSZ less the command).
    io_in_capsule: AtomicUsize,
    discovery: bool,
}

/// The largest transfer of one command over TCP (the controller's MDTS may lower it).
pub const TCP_MAX_XFER: u32 = 1 << 20;

pub struct Ctrlr {
    /// The PCI address (PCIe) or the default address (fabrics).
    pub addr: PciAddr,
    /// How messages name the controller: its PCI address or `traddr:trsvcid/subnqn`.
    pub name: String,
    dev: Option<vfio::Device>,
    bar0: *mut u8,
    fabric: Option<Fabric>,
    pub cap: u64,
    pub vs: u32,
    pub opts: CtrlrOpts,
    admin: ReentrantMutex<RefCell<Queue>>,
    cdata: *mut u8,
    pub namespaces: Vec<Namespace>,
    io_qids: Mutex<Vec<u16>>,
    pub max_io_queues: u16,
    pub max_xfer_size: u32,
    failed: AtomicBool,
    aer: Mutex<Option<(AerCb, usize)>>,
    aer_outstanding: Mutex<u32>,
    io_qpairs: Mutex<Vec<usize>>,
    /// I/O and admin timeouts in ticks (0: off), read on every poll without a lock.
    io_timeout: AtomicU64,
    admin_timeout: AtomicU64,
    timeout_cb: Mutex<Option<std::sync::Arc<TimeoutFn>>>,
    admin_next_check: AtomicU64,
    /// The mapped controller memory buffer: (data address, length, reservation, reservation length).
    cmb: Mutex<Option<(usize, usize, usize, usize)>>,
    keep_alive_every: AtomicU64,
    keep_alive_next: AtomicU64,
}

// SAFETY: MMIO through `bar0` and the identify buffers are owned by the
// controller; the admin queue is behind a lock; I/O queue pairs are owned by
// their threads.
unsafe impl Send for Ctrlr {}
// SAFETY: as above.
unsafe impl Sync for Ctrlr {}

fn be_str(b: &[u8]) -> String {
    String::from_utf8_lossy(b).trim_end_matches([' ', '\0']).to_string()
}

/// A command's completion, filled by `sync_done` (for callers that poll until `done`).
/// Where a synchronous command's completion lands. Cells: the callback
/// writes through a shared pointer while the caller polls the same slot.
#[derive(Default)]
pub(super) struct SyncSlot {
    pub done: std::cell::Cell<bool>,
    pub cpl: std::cell::Cell<Cpl>,
}

pub(super) extern "C" fn sync_done(arg: *mut c_void, cpl: *const Cpl) {
    // SAFETY: arg is a SyncSlot on the stack of a caller polling until done (admin_sync, run_sync).
    let s = unsafe { &*(arg as *const SyncSlot) };
    // SAFETY: cpl points to a completion valid for the call.
    s.cpl.set(unsafe { *cpl });
    s.done.set(true);
}

impl Ctrlr {
    fn r32(&self, off: usize) -> u32 {
        // SAFETY: an aligned register offset inside BAR0.
        unsafe { (self.bar0.add(off) as *const u32).read_volatile() }
    }
    fn w32(&self, off: usize, v: u32) {
        // SAFETY: as above.
        unsafe { (self.bar0.add(off) as *mut u32).write_volatile(v) }
    }
    pub fn r64(&self, off: usize) -> u64 {
        (self.r32(off) as u64) | ((self.r32(off + 4) as u64) << 32)
    }
    fn w64(&self, off: usize, v: u64) {
        self.w32(off, v as u32);
        self.w32(off + 4, (v >> 32) as u32);
    }

    pub fn csts(&self) -> u32 {
        if self.fabric.is_some() {
            if self.is_failed() {
                return u32::MAX;
            }
            return self.prop_get(prop::CSTS, false).map_or(u32::MAX, |v| v as u32);
        }
        self.r32(reg::CSTS)
    }

    /// Whether this controller is reached over a fabric (NVMe/TCP).
    pub fn is_fabrics(&self) -> bool {
        self.fabric.is_some()
    }

    /// The transport ID of a fabrics controller (its current path).
    pub fn fabric_trid(&self) -> Option<TransportId> {
        self.fabric.as_ref().map(|f| f.trid.lock().clone())
    }

    /// Whether the PCI device asked to be released (hot removal); never for fabrics.
    pub fn removal_requested(&self) -> bool {
        self.dev.as_ref().is_some_and(|d| d.removal_requested())
    }

    pub fn cdata(&self) -> &[u8] {
        // SAFETY: a live 4 KiB identify buffer owned by the controller.
        unsafe { std::slice::from_raw_parts(self.cdata, 4096) }
    }

    pub fn cdata_ptr(&self) -> *const u8 {
        self.cdata
    }

    pub fn serial(&self) -> String {
        be_str(&self.cdata()[ident::CTRLR_SN..ident::CTRLR_SN + 20])
    }

    pub fn model(&self) -> String {
        be_str(&self.cdata()[ident::CTRLR_MN..ident::CTRLR_MN + 40])
    }

    pub fn num_ns(&self) -> u32 {
        self.namespaces.len() as u32
    }

    pub fn ns(&self, nsid: u32) -> Option<&Namespace> {
        self.namespaces.get(nsid.checked_sub(1)? as usize)
    }

    pub fn is_failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    fn wait_csts(&self, want_rdy: bool, what: &str) -> Result<(), NvmeError> {
        let deadline = cpu::ticks() + (spec::cap_to_ms(self.cap).max(500)) * 1_000_000;
        loop {
            let csts = self.csts();
            if csts == u32::MAX {
                return fail(format!("{}: the controller is gone while {what}", self.name), libc::ENODEV);
            }
            if csts & 2 != 0 && want_rdy {
                return fail(format!("{}: controller fatal status while {what}", self.name), libc::EIO);
            }
            if (csts & 1 != 0) == want_rdy {
                return Ok(());
            }
            if cpu::ticks() > deadline {
                return fail(format!("{}: timed out ({} ms, CAP.TO) while {what}", self.name, spec::cap_to_ms(self.cap)), libc::ETIMEDOUT);
            }
            std::thread::sleep(std::time::Duration::from_micros(100));
        }
    }

    fn disable(&self) -> Result<(), NvmeError> {
        let cc = self.r32(reg::CC);
        if cc & 1 != 0 {
            if self.csts() & 1 == 0 {
                // Enabling in progress: let it finish before disabling (NVMe 1.4, 3.5.4).
                self.wait_csts(true, "waiting for CSTS.RDY = 1 before disabling")?;
            }
            self.w32(reg::CC, cc & !1);
        }
        self.wait_csts(false, "waiting for CSTS.RDY = 0 after disabling")
    }

    fn enable(&self) -> Result<(), NvmeError> {
        let admin = self.admin.lock();
        let (sq, cq, entries) = {
            let g = admin.borrow();
            let Some(q) = g.pcie() else { return fail("enable: not a PCIe controller", libc::EINVAL) };
            (q.sq_iova, q.cq_iova, q.entries() as u32)
        };
        self.w32(reg::AQA, ((entries - 1) << 16) | (entries - 1));
        self.w64(reg::ASQ, sq);
        self.w64(reg::ACQ, cq);
        // IOCQES 16 B, IOSQES 64 B, 4 KiB pages, NVM command set, enable.
        let cc = (4 << 20) | (6 << 16) | 1;
        self.w32(reg::CC, cc);
        self.wait_csts(true, "waiting for CSTS.RDY = 1 after enabling")
    }

    /// Runs `cmd` on the admin queue and polls for it (initialisation and control path).
    pub fn admin_sync(&self, cmd: Cmd, payload: Payload) -> Result<Cpl, NvmeError> {
        let slot = SyncSlot::default();
        self.admin_submit(cmd, payload, Some(sync_done), &slot as *const SyncSlot as *mut c_void)
            .map_err(|e| NvmeError { what: format!("{}: admin opcode {:#x} not submitted: {e:?}", self.name, cmd.opc()), errno: e.errno() })?;
        let deadline = cpu::ticks() + self.opts.admin_timeout_ms as u64 * 1_000_000;
        while !slot.done.get() {
            self.process_admin_completions();
            if cpu::ticks() > deadline {
                if self.fabric.is_some() {
                    // Drop the connection: the command completes (aborted) now, not
                    // later into a slot that is gone. The controller needs a reset.
                    self.admin.lock().borrow_mut().set_failed();
                    self.process_admin_completions();
                }
                return fail(format!("{}: admin opcode {:#x} timed out", self.name, cmd.opc()), libc::ETIMEDOUT);
            }
        }
        Ok(slot.cpl.get())
    }

    fn admin_ok(&self, cmd: Cmd, payload: Payload, what: &str) -> Result<Cpl, NvmeError> {
        let cpl = self.admin_sync(cmd, payload)?;
        if cpl.is_error() {
            return fail(format!("{}: {what} failed: sct {:#x} sc {:#x}", self.name, cpl.sct(), cpl.sc()), libc::EIO);
        }
        Ok(cpl)
    }

    pub fn admin_submit(&self, cmd: Cmd, payload: Payload, cb: Option<CmdCb>, arg: *mut c_void) -> Result<u16, SubmitError> {
        let g = self.admin.lock();
        let r = g.borrow_mut().submit(cmd, &payload, cb, arg);
        r
    }

    /// Reaps admin completions and calls their callbacks; returns how many.
    pub fn process_admin_completions(&self) -> usize {
        let g = self.admin.lock();
        let mut done: Vec<Done> = Vec::new();
        let n = g.borrow_mut().reap(0, &mut done);
        deliver(&mut done);
        // A fabrics controller whose admin connection dropped has failed (until a reset).
        if self.fabric.is_some() && g.borrow().failed() {
            self.failed.store(true, Ordering::Release);
        }
        self.keep_alive_tick();
        let timeout = self.admin_timeout.load(Ordering::Relaxed);
        if timeout != 0 {
            let now = cpu::ticks();
            if now >= self.admin_next_check.load(Ordering::Relaxed) {
                self.admin_next_check.store(now + (timeout / 4).max(100_000), Ordering::Relaxed);
                // Asynchronous event requests wait for events by design.
                let late = g.borrow_mut().expired(now.saturating_sub(timeout), |c| c.opc() == admin::ASYNC_EVENT_REQUEST);
                self.report_timeouts(None, &late);
            }
        }
        n
    }

    /// Keep Alive, when the controller has a keep alive timer (KAS) and the
    /// options ask for one: sent at half the timeout from admin polling.
    fn keep_alive_tick(&self) {
        let every = self.keep_alive_every.load(Ordering::Relaxed);
        if every == 0 {
            return;
        }
        let now = cpu::ticks();
        if now >= self.keep_alive_next.load(Ordering::Relaxed) {
            self.keep_alive_next.store(now + every, Ordering::Relaxed);
            let _ = self.admin_submit(Cmd::new(admin::KEEP_ALIVE, 0), Payload::None, None, std::ptr::null_mut());
        }
    }

    fn configure_keep_alive(&self) {
        let kas = u16::from_le_bytes([self.cdata()[ident::CTRLR_KAS], self.cdata()[ident::CTRLR_KAS + 1]]);
        let kato = self.opts.keep_alive_timeout_ms;
        if kas == 0 || kato == 0 {
            self.keep_alive_every.store(0, Ordering::Relaxed);
            return;
        }
        let mut c = Cmd::new(admin::SET_FEATURES, 0);
        c.cdw10 = 0x0f;
        c.cdw11 = kato;
        match self.admin_ok(c, Payload::None, "set features (keep alive timer)") {
            Ok(_) => self.keep_alive_every.store(kato as u64 * 1_000_000 / 2, Ordering::Relaxed),
            Err(e) => crate::log::warn(format_args!("{e}\n")),
        }
    }

    /// Sets (or, with `cb` None, clears) the timeout callback.
    pub fn set_timeout(&self, io_us: u64, admin_us: u64, cb: Option<TimeoutFn>) {
        let on = cb.is_some();
        *self.timeout_cb.lock() = cb.map(std::sync::Arc::new);
        self.io_timeout.store(if on { io_us * 1000 } else { 0 }, Ordering::Release);
        self.admin_timeout.store(if on { admin_us * 1000 } else { 0 }, Ordering::Release);
    }

    fn report_timeouts(&self, qp: Option<&IoQpair>, cids: &[u16]) {
        if cids.is_empty() {
            return;
        }
        let cb = self.timeout_cb.lock().clone();
        if let Some(cb) = cb {
            for &cid in cids {
                cb(qp, cid);
            }
        }
    }

    fn identify(&self, cns: u8, nsid: u32, buf: *mut u8) -> Result<(), NvmeError> {
        let mut c = Cmd::new(admin::IDENTIFY, nsid);
        c.cdw10 = cns as u32;
        self.admin_ok(c, Payload::Contig { buf, len: 4096 }, &format!("identify (CNS {cns}, nsid {nsid})")).map(|_| ())
    }

    fn read_namespace(&self, nsid: u32, buf: *mut u8) -> Result<Namespace, NvmeError> {
        self.identify(0, nsid, buf)?;
        // SAFETY: buf is the 4 KiB identify buffer just filled.
        let d = unsafe { std::slice::from_raw_parts(buf, 4096) };
        let nsze = u64::from_le_bytes(d[ident::NS_NSZE..ident::NS_NSZE + 8].try_into().expect("8"));
        let flbas = d[ident::NS_FLBAS];
        let fmt = (flbas & 0xf) as usize;
        let lbaf = &d[ident::NS_LBAF + 4 * fmt..ident::NS_LBAF + 4 * fmt + 4];
        let md_size = u16::from_le_bytes([lbaf[0], lbaf[1]]) as u32;
        let lbads = lbaf[2];
        let noiob = u16::from_le_bytes([d[ident::NS_NOIOB], d[ident::NS_NOIOB + 1]]) as u32;
        Ok(Namespace {
            id: nsid,
            active: nsze != 0,
            data: buf,
            sector_size: if lbads >= 9 { 1 << lbads } else { 512 },
            md_size,
            extended_lba: flbas & 0x10 != 0,
            num_sectors: nsze,
            sectors_per_stripe: if d[ident::NS_NSFEAT] & 0x10 != 0 || noiob != 0 { noiob } else { 0 },
            pi_type: d[ident::NS_DPS] & 7,
        })
    }

    fn scan_namespaces(&mut self) -> Result<(), NvmeError> {
        let nn = u32::from_le_bytes(self.cdata()[ident::CTRLR_NN..ident::CTRLR_NN + 4].try_into().expect("4"));
        let list = mem::alloc(4096, PAGE).ok_or(NvmeError { what: "no DMA memory for the namespace list".into(), errno: libc::ENOMEM })?;
        let mut active = Vec::new();
        if self.vs >= 0x0001_0100 {
            self.identify(2, 0, list)?;
            // SAFETY: the 4 KiB list just filled: up to 1024 little-endian ids, zero-terminated.
            let ids = unsafe { std::slice::from_raw_parts(list as *const u32, 1024) };
            active.extend(ids.iter().copied().take_while(|&id| id != 0).filter(|&id| id <= nn));
        } else {
            active.extend(1..=nn.min(1024));
        }
        mem::free(list);
        let mut namespaces = Vec::with_capacity(nn as usize);
        for id in 1..=nn {
            let buf = mem::alloc(4096, PAGE).ok_or(NvmeError { what: "no DMA memory for identify".into(), errno: libc::ENOMEM })?;
            // SAFETY: a fresh 4 KiB block.
            unsafe { std::ptr::write_bytes(buf, 0, 4096) };
            let ns = if active.contains(&id) {
                self.read_namespace(id, buf)?
            } else {
                Namespace { id, active: false, data: buf, sector_size: 512, md_size: 0, extended_lba: false, num_sectors: 0, sectors_per_stripe: 0, pi_type: 0 }
            };
            namespaces.push(ns);
        }
        self.namespaces = namespaces;
        Ok(())
    }

    fn set_num_queues(&mut self) -> Result<(), NvmeError> {
        let want = self.opts.num_io_queues.clamp(1, 65535);
        let mut c = Cmd::new(admin::SET_FEATURES, 0);
        c.cdw10 = 0x07;
        c.cdw11 = ((want - 1) << 16) | (want - 1);
        let cpl = self.admin_ok(c, Payload::None, "set features (number of queues)")?;
        let nsq = (cpl.cdw0 & 0xffff) + 1;
        let ncq = (cpl.cdw0 >> 16) + 1;
        self.max_io_queues = want.min(nsq).min(ncq) as u16;
        *self.io_qids.lock() = (1..=self.max_io_queues).rev().collect();
        Ok(())
    }

    /// Attaches the controller at `addr` (bound to vfio-pci) and initialises it.
    pub fn attach(addr: PciAddr, opts: CtrlrOpts) -> Result<Box<Ctrlr>, NvmeError> {
        let dev = vfio::Device::open(addr)?;
        let (bar0, bar_len) = dev.bar0();
        if bar_len < 0x2000 {
            return fail(format!("{addr}: BAR0 is too small for an NVMe controller ({bar_len} bytes)"), libc::ENODEV);
        }
        // SAFETY: CAP at offset 0 of the mapped BAR.
        let cap = unsafe { (bar0 as *const u32).read_volatile() as u64 | ((bar0.add(4) as *const u32).read_volatile() as u64) << 32 };
        if cap == u64::MAX {
            return fail(format!("{addr}: registers read as all ones (device gone?)"), libc::ENODEV);
        }
        if !spec::cap_css_nvm(cap) {
            return fail(format!("{addr}: controller does not support the NVM command set"), libc::ENOTSUP);
        }
        if spec::cap_mpsmin(cap) != 0 {
            return fail(format!("{addr}: minimum memory page size above 4 KiB is not supported"), libc::ENOTSUP);
        }
        let max_entries = spec::cap_mqes(cap) + 1;
        let admin_entries = (opts.admin_queue_size as u32).clamp(2, 4096).min(max_entries) as u16;
        let admin = Qpair::new(0, admin_entries, bar0, spec::cap_dstrd(cap)).map_err(|e| NvmeError { what: "admin queue memory".into(), errno: e })?;
        let mut c = Ctrlr::new_common(addr, addr.to_string(), Some(dev), bar0, None, cap, opts, Queue::Pcie(admin))?;
        c.vs = c.r32(reg::VS);
        c.w32(reg::INTMS, u32::MAX);
        c.init()?;
        Ok(c)
    }

    #[allow(clippy::too_many_arguments)]
    fn new_common(addr: PciAddr, name: String, dev: Option<vfio::Device>, bar0: *mut u8, fabric: Option<Fabric>, cap: u64, opts: CtrlrOpts, admin: Queue) -> Result<Box<Ctrlr>, NvmeError> {
        let cdata = mem::alloc(4096, PAGE).ok_or(NvmeError { what: "no DMA memory for identify".into(), errno: libc::ENOMEM })?;
        // SAFETY: a fresh 4 KiB block.
        unsafe { std::ptr::write_bytes(cdata, 0, 4096) };
        Ok(Box::new(Ctrlr {
            addr,
            name,
            dev,
            bar0,
            fabric,
            cap,
            vs: 0,
            opts,
            admin: ReentrantMutex::new(RefCell::new(admin)),
            cdata,
            namespaces: Vec::new(),
            io_qids: Mutex::new(Vec::new()),
            max_io_queues: 0,
            max_xfer_size: 0,
            failed: AtomicBool::new(false),
            aer: Mutex::new(None),
            aer_outstanding: Mutex::new(0),
            io_qpairs: Mutex::new(Vec::new()),
            io_timeout: AtomicU64::new(0),
            admin_timeout: AtomicU64::new(0),
            timeout_cb: Mutex::new(None),
            admin_next_check: AtomicU64::new(0),
            cmb: Mutex::new(None),
            keep_alive_every: AtomicU64::new(0),
            keep_alive_next: AtomicU64::new(0),
        }))
    }

    fn init(&mut self) -> Result<(), NvmeError> {
        self.disable()?;
        if let Some(q) = self.admin.lock().borrow_mut().pcie_mut() {
            q.reset_rings();
        }
        self.enable()?;
        self.identify(1, 0, self.cdata)?;
        let mdts = self.cdata()[ident::CTRLR_MDTS] as u32;
        let limit = (PRP_ENTRIES * PAGE) as u32;
        self.max_xfer_size = if mdts == 0 { limit } else { ((1u64 << mdts) * PAGE as u64).min(limit as u64) as u32 };
        self.set_num_queues()?;
        self.scan_namespaces()?;
        self.configure_aec();
        self.configure_keep_alive();
        self.start_aers();
        Ok(())
    }

    /// Asynchronous Event Configuration: SMART critical warnings, and the
    /// notices the controller says it can send (OAES).
    fn configure_aec(&self) {
        let cd = self.cdata();
        let oaes = u32::from_le_bytes(cd[92..96].try_into().expect("4"));
        let mut c = Cmd::new(admin::SET_FEATURES, 0);
        c.cdw10 = 0x0b;
        // Fabrics controllers (Linux's target) take only the notices they list in OAES.
        let smart = if self.fabric.is_some() { 0 } else { 0xff };
        c.cdw11 = smart | (oaes & ((1 << 8) | (1 << 9) | (1 << 11)));
        if let Err(e) = self.admin_ok(c, Payload::None, "set features (asynchronous event configuration)") {
            crate::log::warn(format_args!("{e}\n"));
        }
    }

    fn start_aers(&self) {
        let aerl = self.cdata()[ident::CTRLR_AERL] as u32 + 1;
        let n = aerl.min(4);
        let me = self as *const Ctrlr as *mut c_void;
        for _ in 0..n {
            if self.admin_submit(Cmd::new(admin::ASYNC_EVENT_REQUEST, 0), Payload::None, Some(aer_done), me).is_ok() {
                *self.aer_outstanding.lock() += 1;
            }
        }
    }

    pub fn register_aer(&self, cb: Option<AerCb>, arg: *mut c_void) {
        *self.aer.lock() = cb.map(|c| (c, arg as usize));
    }

    /// A new I/O queue pair of `entries` slots (0: the controller default).
    /// A new I/O queue pair of `entries` slots (0: the controller default)
    /// accepting up to `requests` outstanding requests (0: the default); those
    /// beyond the queue's slots wait in software until slots free.
    pub fn alloc_io_qpair_with(&self, entries: u32, requests: u32, qprio: u8) -> Result<Box<IoQpair>, NvmeError> {
        let qp = self.alloc_io_qpair(entries, qprio)?;
        let requests = if requests == 0 { self.opts.io_queue_requests } else { requests } as usize;
        let slots = qp.q.borrow().capacity();
        let extra = requests.saturating_sub(slots);
        *qp.pending.borrow_mut() = std::collections::VecDeque::with_capacity(extra);
        qp.pending_cap.set(extra);
        qp.size_parents(requests);
        Ok(qp)
    }

    pub fn alloc_io_qpair(&self, entries: u32, qprio: u8) -> Result<Box<IoQpair>, NvmeError> {
        if self.is_failed() {
            return fail(format!("{}: controller failed", self.name), libc::ENXIO);
        }
        let entries = if entries == 0 { self.opts.io_queue_size } else { entries };
        let entries = entries.clamp(2, spec::cap_mqes(self.cap) + 1).min(65535) as u16;
        let qid = self.io_qids.lock().pop().ok_or(NvmeError { what: format!("{}: no I/O queue left (limit {})", self.name, self.max_io_queues), errno: libc::ENOSPC })?;
        if self.fabric.is_some() {
            let q = match self.connect_io_tcp(qid, entries) {
                Ok(q) => q,
                Err(e) => {
                    self.io_qids.lock().push(qid);
                    return Err(e);
                }
            };
            return Ok(self.wrap_io_qpair(Queue::Tcp(Box::new(q)), qprio, entries));
        }
        let q = match Qpair::new(qid, entries, self.bar0, spec::cap_dstrd(self.cap)) {
            Ok(mut q) => {
                let sgls = u32::from_le_bytes(self.cdata()[ident::CTRLR_SGLS..ident::CTRLR_SGLS + 4].try_into().expect("4"));
                q.use_sgl = sgls & 3 != 0;
                q.sgl_dword_aligned = sgls & 3 == 2;
                q
            }
            Err(e) => {
                self.io_qids.lock().push(qid);
                return fail("I/O queue memory", e);
            }
        };
        if let Err(e) = self.create_io_queues(&q, qprio) {
            self.io_qids.lock().push(qid);
            return Err(e);
        }
        Ok(self.wrap_io_qpair(Queue::Pcie(q), qprio, entries))
    }

    fn wrap_io_qpair(&self, q: Queue, qprio: u8, entries: u16) -> Box<IoQpair> {
        let qp = Box::new(IoQpair {
            ctrlr: self as *const Ctrlr,
            q: RefCell::new(q),
            qprio,
            done: RefCell::new(Vec::with_capacity(entries as usize)),
            next_timeout_check: std::cell::Cell::new(0),
            pending: RefCell::new(std::collections::VecDeque::new()),
            pending_cap: std::cell::Cell::new(0),
            parents: RefCell::new(Box::new([])),
            parent_free: RefCell::new(Vec::new()),
        });
        qp.size_parents(entries as usize);
        self.io_qpairs.lock().push(&*qp as *const IoQpair as usize);
        qp
    }

    fn create_io_queues(&self, q: &Qpair, qprio: u8) -> Result<(), NvmeError> {
        let mut c = Cmd::new(admin::CREATE_IO_CQ, 0);
        c.prp1 = q.cq_iova;
        c.cdw10 = ((q.entries() as u32 - 1) << 16) | q.id as u32;
        c.cdw11 = 1;
        self.admin_ok(c, Payload::None, "create I/O completion queue")?;
        let mut s = Cmd::new(admin::CREATE_IO_SQ, 0);
        s.prp1 = q.sq_iova;
        s.cdw10 = ((q.entries() as u32 - 1) << 16) | q.id as u32;
        s.cdw11 = ((q.id as u32) << 16) | (((qprio & 3) as u32) << 1) | 1;
        if let Err(e) = self.admin_ok(s, Payload::None, "create I/O submission queue") {
            let mut d = Cmd::new(admin::DELETE_IO_CQ, 0);
            d.cdw10 = q.id as u32;
            let _ = self.admin_sync(d, Payload::None);
            return Err(e);
        }
        Ok(())
    }

    /// Deletes the queue pair on the controller; outstanding commands are aborted.
    pub fn free_io_qpair(&self, qp: Box<IoQpair>) {
        self.io_qpairs.lock().retain(|&p| p != &*qp as *const IoQpair as usize);
        let qid = qp.q.borrow().id();
        if let Queue::Tcp(t) = &mut *qp.q.borrow_mut() {
            // Closing the connection deletes the queue on the controller.
            t.close();
        } else if !self.is_failed() {
            let mut d = Cmd::new(admin::DELETE_IO_SQ, 0);
            d.cdw10 = qid as u32;
            let _ = self.admin_sync(d, Payload::None);
            let mut d = Cmd::new(admin::DELETE_IO_CQ, 0);
            d.cdw10 = qid as u32;
            let _ = self.admin_sync(d, Payload::None);
        }
        let mut done = Vec::new();
        qp.q.borrow_mut().abort_all(spec::sct::GENERIC, spec::sc::ABORTED_SQ_DELETION, &mut done);
        // Requests still waiting in software for a slot are aborted the same way.
        let waiting: Vec<Pending> = qp.pending.borrow_mut().drain(..).collect();
        for p in waiting {
            done.push((p.cb, p.arg, Cpl::synthetic(spec::sct::GENERIC, spec::sc::ABORTED_SQ_DELETION, false, qid, 0)));
        }
        deliver(&mut done);
        self.io_qids.lock().push(qid);
    }

    /// Resets the controller: outstanding commands complete as aborted, then
    /// the controller is initialised again and every I/O queue pair recreated.
    pub fn reset(&self) -> Result<(), NvmeError> {
        if self.fabric.is_some() {
            return self.reset_fabric();
        }
        let admin = self.admin.lock();
        let mut done = Vec::new();
        let qps: Vec<usize> = self.io_qpairs.lock().clone();
        // While the controller still answers, delete the I/O queues first (as
        // Linux does): the controller aborts their commands itself, and no
        // command is left in flight when it is disabled.
        if !self.is_failed() && self.csts() & 2 == 0 && self.csts() != u32::MAX {
            for &p in &qps {
                // SAFETY: registered I/O queue pairs are live until freed.
                let qp = unsafe { &*(p as *const IoQpair) };
                let qid = qp.q.borrow().id() as u32;
                let mut d = Cmd::new(admin::DELETE_IO_SQ, 0);
                d.cdw10 = qid;
                let _ = self.admin_sync(d, Payload::None);
                qp.q.borrow_mut().reap(0, &mut done);
                let mut d = Cmd::new(admin::DELETE_IO_CQ, 0);
                d.cdw10 = qid;
                let _ = self.admin_sync(d, Payload::None);
            }
        }
        self.w32(reg::CC, self.r32(reg::CC) & !1);
        let r = self.wait_csts(false, "resetting (CSTS.RDY = 0)");
        admin.borrow_mut().abort_all(spec::sct::GENERIC, spec::sc::ABORTED_SQ_DELETION, &mut done);
        *self.aer_outstanding.lock() = 0;
        for &p in &qps {
            // SAFETY: registered I/O queue pairs are live until freed (which unregisters them).
            let qp = unsafe { &*(p as *const IoQpair) };
            let mut q = qp.q.borrow_mut();
            q.abort_all(spec::sct::GENERIC, spec::sc::ABORTED_SQ_DELETION, &mut done);
            if let Some(p) = q.pcie_mut() {
                p.reset_rings();
            }
        }
        // Aborted completions go out before the controller comes back.
        deliver(&mut done);
        if let Err(e) = r {
            self.failed.store(true, Ordering::Release);
            return Err(e);
        }
        if let Some(p) = admin.borrow_mut().pcie_mut() {
            p.reset_rings();
        }
        let result = (|| {
            self.enable()?;
            self.identify(1, 0, self.cdata)?;
            for &p in &qps {
                // SAFETY: as above.
                let qp = unsafe { &*(p as *const IoQpair) };
                let q = qp.q.borrow();
                if let Some(p) = q.pcie() {
                    self.create_io_queues(p, qp.qprio)?;
                }
            }
            Ok(())
        })();
        match result {
            Ok(()) => {
                self.failed.store(false, Ordering::Release);
                self.configure_aec();
                self.start_aers();
                Ok(())
            }
            Err(e) => {
                self.fail();
                Err(e)
            }
        }
    }

    /// Marks the controller failed: every queue pair refuses new commands.
    pub fn fail(&self) {
        self.failed.store(true, Ordering::Release);
        self.admin.lock().borrow_mut().set_failed();
        for &p in self.io_qpairs.lock().iter() {
            // SAFETY: registered I/O queue pairs are live until freed.
            if let Ok(mut q) = unsafe { &*(p as *const IoQpair) }.q.try_borrow_mut() {
                q.set_failed();
            }
        }
    }

    /// Normal shutdown (CC.SHN) and release.
    pub fn detach(self: Box<Self>) {
        if self.fabric.is_some() {
            self.shutdown_fabric();
            drop(self);
            return;
        }
        if !self.is_failed() && self.csts() != u32::MAX {
            let cc = self.r32(reg::CC);
            self.w32(reg::CC, (cc & !(3 << 14)) | (1 << 14));
            let deadline = cpu::ticks() + 5_000_000_000;
            while (self.csts() >> 2) & 3 != 2 && cpu::ticks() < deadline {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        }
        drop(self);
    }

    /// Maps the controller memory buffer for I/O data: enables it (CMBMSC)
    /// with its controller base address set to where it is mapped here, so
    /// buffers in it translate to themselves like the rest of our memory.
    pub fn map_cmb(&self) -> Result<(*mut u8, usize), NvmeError> {
        let mut g = self.cmb.lock();
        if let Some((va, len, _, _)) = *g {
            return Ok((va as *mut u8, len));
        }
        let Some(dev) = self.dev.as_ref() else { return fail(format!("{}: no controller memory buffer over a fabric", self.name), libc::ENOTSUP) };
        if (self.cap >> 57) & 1 == 0 {
            return fail(format!("{}: no controller memory buffer (CAP.CMBS = 0)", self.name), libc::ENOTSUP);
        }
        const CMBMSC: usize = 0x50;
        // Capability registers on (CRE), memory space still off.
        self.w32(CMBMSC + 4, 0);
        self.w32(CMBMSC, 1);
        let (loc, sz) = (self.r32(reg::CMBLOC), self.r32(reg::CMBSZ));
        let bir = loc & 7;
        let unit = 4096u64 << (4 * ((sz >> 8) & 0xf));
        let (size, offset) = (((sz >> 12) as u64) * unit, ((loc >> 12) as u64) * unit);
        if size == 0 || sz & (1 << 3) == 0 || sz & (1 << 4) == 0 {
            self.w32(CMBMSC, 0);
            return fail(format!("{}: the controller memory buffer does not take read and write data (CMBSZ {sz:#x})", self.name), libc::ENOTSUP);
        }
        let (res, span) = dev.map_bar_aligned(bir, offset, size as usize)?;
        let va = (res as usize).next_multiple_of(2 << 20);
        // Base address = our mapping; memory space enabled (CMSE) with it.
        self.w32(CMBMSC + 4, (va as u64 >> 32) as u32);
        self.w32(CMBMSC, (va as u32 & 0xffff_f000) | 0b11);
        if let Err(e) = memmap::vtophys_add_device_range(va as u64, size.next_multiple_of(2 << 20)) {
            self.w32(CMBMSC, 0);
            // SAFETY: releasing the reservation mapped just above.
            unsafe { libc::munmap(res.cast(), span) };
            return fail("translating the controller memory buffer", e);
        }
        *g = Some((va, size as usize, res as usize, span));
        Ok((va as *mut u8, size as usize))
    }

    pub fn unmap_cmb(&self) {
        if self.dev.is_none() {
            return;
        }
        if let Some((va, len, res, span)) = self.cmb.lock().take() {
            let _ = memmap::vtophys_remove_device_range(va as u64, (len as u64).next_multiple_of(2 << 20));
            self.w32(0x50, 0);
            // SAFETY: the reservation (with the BAR inside) mapped by map_cmb.
            unsafe { libc::munmap(res as *mut c_void, span) };
        }
    }

    /// The VFIO device of a PCIe controller.
    pub fn device(&self) -> Option<&vfio::Device> {
        self.dev.as_ref()
    }
}

/// The socket address of a TCP transport ID (port 4420 when none is given).
fn sock_addr(t: &TransportId) -> Result<std::net::SocketAddr, NvmeError> {
    use std::net::ToSocketAddrs;
    let port: u16 = if t.trsvcid.is_empty() {
        4420
    } else {
        t.trsvcid.parse().map_err(|_| NvmeError { what: format!("trsvcid '{}' is not a port", t.trsvcid), errno: libc::EINVAL })?
    };
    let host = t.traddr.trim_start_matches('[').trim_end_matches(']');
    let mut addrs = (host, port).to_socket_addrs().map_err(|e| NvmeError { what: format!("traddr '{}': {e}", t.traddr), errno: libc::EINVAL })?;
    let want_v6 = t.adrfam == tridmod::ADRFAM_IPV6;
    let all: Vec<std::net::SocketAddr> = addrs.by_ref().collect();
    all.iter()
        .find(|a| a.is_ipv6() == want_v6)
        .or(all.first())
        .copied()
        .ok_or(NvmeError { what: format!("traddr '{}' has no address", t.traddr), errno: libc::EINVAL })
}

fn conn_params(opts: &CtrlrOpts) -> tcp::ConnParams {
    tcp::ConnParams {
        hdgst: opts.header_digest,
        ddgst: opts.data_digest,
        timeout: std::time::Duration::from_micros(opts.fabrics_connect_timeout_us.max(100_000)),
        max_data: TCP_MAX_XFER,
    }
}

/// NVMe over Fabrics (TCP): connecting, enabling through properties,
/// discovery, reset by reconnecting.
impl Ctrlr {
    /// Connects to the controller `t` names over NVMe/TCP (the discovery
    /// controller when its subnqn is the discovery NQN or empty) and
    /// initialises it: Connect, CC.EN through Property Set, Identify, number
    /// of queues, namespaces, AERs, keep alive.
    pub fn connect_fabric(t: &TransportId, opts: CtrlrOpts) -> Result<Box<Ctrlr>, NvmeError> {
        if t.trtype != tridmod::TRTYPE_TCP {
            return fail(format!("transport {} is not supported over fabrics (TCP only)", tridmod::trtype_str(t.trtype).unwrap_or(&t.trstring)), libc::ENOTSUP);
        }
        let discovery = fabrics::is_discovery_nqn(&t.subnqn);
        let mut t = t.clone();
        if t.subnqn.is_empty() {
            t.subnqn = fabrics::DISCOVERY_NQN.to_string();
        }
        let name = format!("{}:{}/{}", t.traddr, t.trsvcid, t.subnqn);
        let admin = Self::connect_admin_queue(&t, &opts)?;
        let fabric = Fabric { trid: Mutex::new(t), cntlid: AtomicU16::new(0xffff), io_in_capsule: AtomicUsize::new(0), discovery };
        let mut c = Ctrlr::new_common(PciAddr::default(), name, None, std::ptr::null_mut(), Some(fabric), 0, opts, Queue::Tcp(Box::new(admin)))?;
        c.fabric_init()?;
        Ok(c)
    }

    fn connect_admin_queue(t: &TransportId, opts: &CtrlrOpts) -> Result<TcpQpair, NvmeError> {
        let addr = sock_addr(t)?;
        // The admin queue of a fabrics controller has at least 32 entries.
        let entries = opts.admin_queue_size.clamp(32, 4096);
        TcpQpair::connect(&addr, 0, entries, &conn_params(opts)).map_err(|e| NvmeError { what: e.what, errno: e.errno })
    }

    fn fabric(&self) -> Result<&Fabric, NvmeError> {
        self.fabric.as_ref().ok_or(NvmeError { what: format!("{}: not a fabrics controller", self.name), errno: libc::EINVAL })
    }

    /// Property Get of a 4- or 8-byte controller property.
    pub fn prop_get(&self, ofst: u32, eight: bool) -> Result<u64, NvmeError> {
        let cpl = self.admin_ok(fabrics::prop_get_cmd(ofst, eight), Payload::None, &format!("property get {ofst:#x}"))?;
        Ok(cpl.cdw0 as u64 | if eight { (cpl.cdw1 as u64) << 32 } else { 0 })
    }

    pub fn prop_set(&self, ofst: u32, eight: bool, value: u64) -> Result<(), NvmeError> {
        self.admin_ok(fabrics::prop_set_cmd(ofst, eight, value), Payload::None, &format!("property set {ofst:#x}")).map(|_| ())
    }

    /// Connect on the (new) admin connection, then CAP and VS, then enable:
    /// CC.EN through Property Set and CSTS.RDY through Property Get.
    fn fabric_connect_admin(&self) -> Result<(u64, u32), NvmeError> {
        let f = self.fabric()?;
        let t = f.trid.lock().clone();
        let kato = if f.discovery { 0 } else { self.opts.keep_alive_timeout_ms };
        let entries = self.admin.lock().borrow().entries();
        let mut data = fabrics::connect_data(&self.opts.hostid, 0xffff, &t.subnqn, &self.opts.hostnqn);
        let cpl = self.admin_ok(
            fabrics::connect_cmd(0, entries - 1, kato),
            Payload::Contig { buf: data.as_mut_ptr(), len: data.len() },
            &format!("fabrics connect (admin queue, host {})", self.opts.hostnqn),
        )?;
        f.cntlid.store(fabrics::connect_cntlid(cpl.cdw0), Ordering::Relaxed);
        let cap = self.prop_get(prop::CAP, true)?;
        let vs = self.prop_get(prop::VS, false)? as u32;
        let cc = self.prop_get(prop::CC, false)? as u32;
        if cc & 1 == 0 {
            // IOCQES 16 B, IOSQES 64 B, 4 KiB pages, NVM command set, enable.
            self.prop_set(prop::CC, false, ((4 << 20) | (6 << 16) | 1) as u64)?;
        }
        let deadline = cpu::ticks() + spec::cap_to_ms(cap).max(500) * 1_000_000;
        loop {
            let csts = self.prop_get(prop::CSTS, false)? as u32;
            if csts & 2 != 0 {
                return fail(format!("{}: controller fatal status while enabling", self.name), libc::EIO);
            }
            if csts & 1 != 0 {
                return Ok((cap, vs));
            }
            if cpu::ticks() > deadline {
                return fail(format!("{}: timed out waiting for CSTS.RDY", self.name), libc::ETIMEDOUT);
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }

    fn fabric_identify(&self) -> Result<(), NvmeError> {
        let f = self.fabric()?;
        self.identify(1, 0, self.cdata)?;
        let ioccsz = u32::from_le_bytes(self.cdata()[1792..1796].try_into().expect("4"));
        f.io_in_capsule.store((ioccsz as usize * 16).saturating_sub(64), Ordering::Relaxed);
        Ok(())
    }

    fn fabric_init(&mut self) -> Result<(), NvmeError> {
        let (cap, vs) = self.fabric_connect_admin()?;
        self.cap = cap;
        self.vs = vs;
        self.fabric_identify()?;
        let mdts = self.cdata()[ident::CTRLR_MDTS] as u32;
        self.max_xfer_size = if mdts == 0 || mdts > 20 { TCP_MAX_XFER } else { ((1u32 << mdts) * PAGE as u32).min(TCP_MAX_XFER) };
        if self.fabric()?.discovery {
            return Ok(());
        }
        self.set_num_queues()?;
        self.scan_namespaces()?;
        self.configure_aec();
        self.start_aers();
        self.start_fabric_keep_alive();
        Ok(())
    }

    /// Keep Alive at half the timeout sent in Connect, from admin polling.
    fn start_fabric_keep_alive(&self) {
        let kato = self.opts.keep_alive_timeout_ms as u64;
        let every = kato * 1_000_000 / 2;
        self.keep_alive_next.store(cpu::ticks() + every, Ordering::Relaxed);
        self.keep_alive_every.store(every, Ordering::Relaxed);
    }

    /// A new connection for I/O queue `qid`, joined to this controller by Connect.
    fn connect_io_tcp(&self, qid: u16, entries: u16) -> Result<TcpQpair, NvmeError> {
        let f = self.fabric()?;
        let t = f.trid.lock().clone();
        let addr = sock_addr(&t)?;
        let params = conn_params(&self.opts);
        let mut q = TcpQpair::connect(&addr, qid, entries, &params).map_err(|e| NvmeError { what: e.what, errno: e.errno })?;
        q.set_in_capsule(f.io_in_capsule.load(Ordering::Relaxed));
        let mut data = fabrics::connect_data(&self.opts.hostid, f.cntlid.load(Ordering::Relaxed), &t.subnqn, &self.opts.hostnqn);
        let cpl = q
            .run_sync(fabrics::connect_cmd(qid, q.entries() - 1, 0), &Payload::Contig { buf: data.as_mut_ptr(), len: data.len() }, params.timeout.max(std::time::Duration::from_secs(2)))
            .map_err(|e| NvmeError { what: format!("{}: fabrics connect of I/O queue {qid} failed", self.name), errno: e })?;
        if cpl.is_error() {
            return fail(format!("{}: fabrics connect of I/O queue {qid}: sct {:#x} sc {:#x}", self.name, cpl.sct(), cpl.sc()), libc::EIO);
        }
        Ok(q)
    }

    /// Reset over a fabric: every connection closes (outstanding commands
    /// complete as aborted), then the admin queue connects again to the
    /// current transport ID (see `set_trid`), the controller is enabled and
    /// each I/O queue pair reconnects under its handle. On failure the
    /// controller stays failed and can be reset again later.
    fn reset_fabric(&self) -> Result<(), NvmeError> {
        let admin = self.admin.lock();
        let qps: Vec<usize> = self.io_qpairs.lock().clone();
        self.failed.store(true, Ordering::Release);
        self.keep_alive_every.store(0, Ordering::Relaxed);
        let mut done = Vec::new();
        {
            let mut a = admin.borrow_mut();
            a.set_failed();
            a.abort_all(spec::sct::GENERIC, spec::sc::ABORTED_SQ_DELETION, &mut done);
        }
        *self.aer_outstanding.lock() = 0;
        for &p in &qps {
            // SAFETY: registered I/O queue pairs are live until freed (which unregisters them).
            let qp = unsafe { &*(p as *const IoQpair) };
            let mut q = qp.q.borrow_mut();
            q.set_failed();
            q.abort_all(spec::sct::GENERIC, spec::sc::ABORTED_SQ_DELETION, &mut done);
        }
        deliver(&mut done);
        let result = (|| {
            let t = self.fabric()?.trid.lock().clone();
            let q = Self::connect_admin_queue(&t, &self.opts)?;
            *admin.borrow_mut() = Queue::Tcp(Box::new(q));
            self.fabric_connect_admin()?;
            self.fabric_identify()?;
            for &p in &qps {
                // SAFETY: as above.
                let qp = unsafe { &*(p as *const IoQpair) };
                let (qid, entries) = {
                    let q = qp.q.borrow();
                    (q.id(), q.entries())
                };
                let q = self.connect_io_tcp(qid, entries)?;
                *qp.q.borrow_mut() = Queue::Tcp(Box::new(q));
            }
            Ok(())
        })();
        match result {
            Ok(()) => {
                self.failed.store(false, Ordering::Release);
                if !self.fabric()?.discovery {
                    self.configure_aec();
                    self.start_aers();
                    self.start_fabric_keep_alive();
                }
                Ok(())
            }
            Err(e) => {
                self.fail();
                Err(e)
            }
        }
    }

    /// Points a fabrics controller at another transport ID (another listener
    /// of the same subsystem); the next reset connects there. The controller
    /// must be failed (or being reset), as in SPDK.
    pub fn set_trid(&self, t: &TransportId) -> Result<(), NvmeError> {
        let f = self.fabric()?;
        let mut cur = f.trid.lock();
        if t.trtype != cur.trtype || (!t.subnqn.is_empty() && t.subnqn != cur.subnqn) {
            return fail(format!("{}: a new path must have the same transport type and subsystem", self.name), libc::EINVAL);
        }
        if !self.is_failed() {
            return fail(format!("{}: the controller must be failed to change its path", self.name), libc::EPERM);
        }
        let subnqn = cur.subnqn.clone();
        *cur = t.clone();
        cur.subnqn = subnqn;
        Ok(())
    }

    /// Normal shutdown (CC.SHN through Property Set) while connected.
    fn shutdown_fabric(&self) {
        if self.is_failed() || self.fabric.as_ref().is_some_and(|f| f.discovery) {
            return;
        }
        self.keep_alive_every.store(0, Ordering::Relaxed);
        let Ok(cc) = self.prop_get(prop::CC, false) else { return };
        if self.prop_set(prop::CC, false, (cc & !(3 << 14)) | (1 << 14)).is_err() {
            return;
        }
        let deadline = cpu::ticks() + 2_000_000_000;
        while cpu::ticks() < deadline {
            match self.prop_get(prop::CSTS, false) {
                Ok(v) if (v >> 2) & 3 == 2 => return,
                Ok(_) => std::thread::sleep(std::time::Duration::from_millis(1)),
                Err(_) => return,
            }
        }
    }

    /// The records of a discovery controller's log page, read in pieces and
    /// read again when the generation counter moved meanwhile.
    pub fn discovery_log(&self) -> Result<Vec<fabrics::DiscoveryEntry>, NvmeError> {
        const PIECE: usize = 4096;
        let mut buf = vec![0u8; PIECE];
        let header = |buf: &mut Vec<u8>| -> Result<(u64, u64), NvmeError> {
            let len = fabrics::DISCOVERY_HDR_LEN;
            self.admin_ok(fabrics::get_log_page_cmd(fabrics::LOG_DISCOVERY, len as u32, 0), Payload::Contig { buf: buf.as_mut_ptr(), len }, "get log page (discovery)")?;
            fabrics::discovery_header(buf).ok_or(NvmeError { what: "short discovery log".into(), errno: libc::EIO })
        };
        for _ in 0..8 {
            let (genctr, numrec) = header(&mut buf)?;
            let numrec = numrec.min(1024) as usize;
            let mut entries = Vec::with_capacity(numrec);
            let total = numrec * fabrics::DISCOVERY_ENTRY_LEN;
            let mut off = 0;
            while off < total {
                let len = (total - off).min(PIECE);
                let at = (fabrics::DISCOVERY_HDR_LEN + off) as u64;
                self.admin_ok(fabrics::get_log_page_cmd(fabrics::LOG_DISCOVERY, len as u32, at), Payload::Contig { buf: buf.as_mut_ptr(), len }, "get log page (discovery)")?;
                entries.extend(buf[..len].chunks(fabrics::DISCOVERY_ENTRY_LEN).filter_map(fabrics::discovery_entry));
                off += len;
            }
            if header(&mut buf)?.0 == genctr {
                return Ok(entries);
            }
        }
        fail(format!("{}: the discovery log kept changing", self.name), libc::EAGAIN)
    }
}

impl Drop for Ctrlr {
    fn drop(&mut self) {
        self.unmap_cmb();
        for ns in &self.namespaces {
            mem::free(ns.data);
        }
        mem::free(self.cdata);
    }
}

extern "C" fn aer_done(arg: *mut c_void, cpl: *const Cpl) {
    // SAFETY: arg is the controller that submitted the AER; it outlives its admin queue.
    let c = unsafe { &*(arg as *const Ctrlr) };
    // SAFETY: valid for the call.
    let cp = unsafe { *cpl };
    {
        let mut n = c.aer_outstanding.lock();
        *n = n.saturating_sub(1);
    }
    if cp.sct() == spec::sct::GENERIC && cp.sc() == spec::sc::ABORTED_SQ_DELETION {
        return;
    }
    if let Some((cb, a)) = *c.aer.lock() {
        cb(a as *mut c_void, cpl);
    }
    if !c.is_failed() && c.admin_submit(Cmd::new(admin::ASYNC_EVENT_REQUEST, 0), Payload::None, Some(aer_done), arg).is_ok() {
        *c.aer_outstanding.lock() += 1;
    }
}

/// An I/O queue pair and its controller.
pub struct IoQpair {
    ctrlr: *const Ctrlr,
    q: RefCell<Queue>,
    qprio: u8,
    done: RefCell<Vec<Done>>,
    next_timeout_check: std::cell::Cell<u64>,
    /// Requests waiting for a free slot (capacity fixed at creation: no allocation).
    pending: RefCell<std::collections::VecDeque<Pending>>,
    pending_cap: std::cell::Cell<usize>,
    /// Parents of split commands (one per two requests at most), allocated with the queue pair.
    parents: RefCell<Box<[std::cell::UnsafeCell<Parent>]>>,
    parent_free: RefCell<Vec<u32>>,
}

/// A request queued in software while every slot of the queue is busy.
struct Pending {
    cmd: Cmd,
    payload: Payload,
    cb: Option<CmdCb>,
    arg: *mut c_void,
}

/// A command split into children completes once, when the last child does.
/// A split command's parent: a slot of the queue pair's preallocated slab.
struct Parent {
    cb: Option<CmdCb>,
    arg: *mut c_void,
    remaining: u32,
    first_error: Option<Cpl>,
    last: Cpl,
    qp: *const IoQpair,
    index: u32,
}

impl Default for Parent {
    fn default() -> Self {
        Parent { cb: None, arg: std::ptr::null_mut(), remaining: 0, first_error: None, last: Cpl::default(), qp: std::ptr::null(), index: 0 }
    }
}

extern "C" fn child_done(arg: *mut c_void, cpl: *const Cpl) {
    // SAFETY: arg is a slot of the queue pair's parent slab, in use until its
    // last child completes (here); the slab lives as long as the queue pair.
    let p = unsafe { &mut *(arg as *mut Parent) };
    // SAFETY: valid for the call.
    let c = unsafe { *cpl };
    if c.is_error() && p.first_error.is_none() {
        p.first_error = Some(c);
    }
    p.last = c;
    p.remaining -= 1;
    if p.remaining == 0 {
        let (cb, user_arg, out) = (p.cb, p.arg, p.first_error.unwrap_or(p.last));
        // SAFETY: the queue pair owning the slab is live while its commands complete.
        unsafe { (*p.qp).parent_free.borrow_mut().push(p.index) };
        if let Some(cb) = cb {
            cb(user_arg, &out);
        }
    }
}

impl IoQpair {
    /// (Re)sizes the parent slab for `requests` requests; only before any I/O.
    fn size_parents(&self, requests: usize) {
        let n = requests / 2 + 1;
        *self.parents.borrow_mut() = (0..n).map(|_| std::cell::UnsafeCell::new(Parent::default())).collect();
        *self.parent_free.borrow_mut() = (0..n as u32).rev().collect();
    }

    pub fn ctrlr(&self) -> &Ctrlr {
        // SAFETY: a queue pair never outlives its controller (C API contract: free before detach).
        unsafe { &*self.ctrlr }
    }

    pub fn id(&self) -> u16 {
        self.q.borrow().id()
    }

    pub fn outstanding(&self) -> usize {
        self.q.borrow().outstanding()
    }

    pub fn is_failed(&self) -> bool {
        self.q.borrow().failed()
    }

    pub fn submit_raw(&self, cmd: Cmd, payload: Payload, cb: Option<CmdCb>, arg: *mut c_void) -> Result<(), SubmitError> {
        // Keep order: nothing overtakes requests already waiting.
        if self.pending.borrow().is_empty() {
            match self.q.borrow_mut().submit(cmd, &payload, cb, arg) {
                Err(SubmitError::NoTracker) => {}
                r => return r.map(|_| ()),
            }
        }
        let mut p = self.pending.borrow_mut();
        if p.len() >= self.pending_cap.get() {
            return Err(SubmitError::NoTracker);
        }
        p.push_back(Pending { cmd, payload, cb, arg });
        Ok(())
    }

    /// Free slots plus room in the software queue.
    fn room(&self) -> usize {
        self.q.borrow().free_trackers() + self.pending_cap.get() - self.pending.borrow().len()
    }

    /// Moves waiting requests into freed slots; a request that cannot be
    /// described completes with an error instead.
    fn drain_pending(&self) {
        loop {
            let Some(p) = self.pending.borrow_mut().pop_front() else { return };
            let r = self.q.borrow_mut().submit(p.cmd, &p.payload, p.cb, p.arg);
            match r {
                Ok(_) => {}
                Err(SubmitError::NoTracker) => {
                    self.pending.borrow_mut().push_front(p);
                    return;
                }
                Err(e) => {
                    let sc = if e == SubmitError::Failed { spec::sc::ABORTED_SQ_DELETION } else { spec::sc::DATA_TRANSFER_ERROR };
                    let cpl = Cpl::synthetic(spec::sct::GENERIC, sc, true, self.id(), 0);
                    if let Some(cb) = p.cb {
                        cb(p.arg, &cpl);
                    }
                }
            }
        }
    }

    /// Reaps up to `max` completions (0: all) and calls their callbacks.
    pub fn process_completions(&self, max: u32) -> Result<usize, i32> {
        let timeout = self.ctrlr().io_timeout.load(Ordering::Relaxed);
        // The common idle poll: nothing posted, no timeouts to watch.
        if timeout == 0 && !self.q.borrow().has_completion() {
            return if self.ctrlr().is_failed() { Err(libc::ENXIO) } else { Ok(0) };
        }
        let mut done = std::mem::take(&mut *self.done.borrow_mut());
        let n = self.q.borrow_mut().reap(max, &mut done);
        if n > 0 && !self.pending.borrow().is_empty() {
            self.drain_pending();
        }
        deliver(&mut done);
        *self.done.borrow_mut() = done;
        if timeout != 0 {
            let now = cpu::ticks();
            if now >= self.next_timeout_check.get() {
                self.next_timeout_check.set(now + (timeout / 4).max(1_000));
                let late = self.q.borrow_mut().expired(now.saturating_sub(timeout), |_| false);
                self.ctrlr().report_timeouts(Some(self), &late);
            }
        }
        if n == 0 && (self.ctrlr().is_failed() || self.q.borrow().failed()) {
            return Err(libc::ENXIO);
        }
        Ok(n)
    }

    /// A namespace read/write-like command over `lba_count` blocks, split as needed.
    #[allow(clippy::too_many_arguments)]
    pub fn ns_rw(&self, ns: &Namespace, opc: u8, lba: u64, lba_count: u32, payload: Payload, md: *mut u8, io_flags: u32, cb: Option<CmdCb>, arg: *mut c_void) -> Result<(), SubmitError> {
        if lba_count == 0 {
            return Err(SubmitError::BadBuffer);
        }
        if !md.is_null() && self.ctrlr().is_fabrics() {
            // Fabrics carry no separate metadata buffer.
            return Err(SubmitError::BadBuffer);
        }
        let block = ns.sector_size as usize + if ns.extended_lba { ns.md_size as usize } else { 0 };
        if payload.len() != 0 && payload.len() < lba_count as usize * block {
            return Err(SubmitError::BadBuffer);
        }
        let max_blocks = if payload.is_empty() && opc != nvm::COMPARE {
            // No data moves: only the 16-bit block count limits one command.
            1u64 << 16
        } else {
            ((self.ctrlr().max_xfer_size as usize / block).max(1)) as u64
        };
        let stripe = ns.sectors_per_stripe as u64;
        let end = lba + lba_count as u64;
        let chunk_end = |at: u64| -> u64 {
            let mut n = (end - at).min(max_blocks);
            if stripe > 0 {
                n = n.min(stripe - at % stripe);
            }
            at + n
        };
        let mk = |slba: u64, n: u64| {
            let mut c = Cmd::new(opc, ns.id);
            c.cdw10 = slba as u32;
            c.cdw11 = (slba >> 32) as u32;
            c.cdw12 = ((n - 1) as u32 & 0xffff) | (io_flags & 0xffff_0000);
            c.cdw13 = 0;
            c
        };
        let md_ptr = |slba: u64| -> u64 {
            if md.is_null() {
                0
            } else {
                let off = (slba - lba) * ns.md_size as u64;
                crate::env::memmap::vtophys(md as u64 + off, None)
            }
        };
        // The common case, one command: no bookkeeping, no allocation.
        if chunk_end(lba) == end {
            let mut c = mk(lba, lba_count as u64);
            if !md.is_null() {
                c.mptr = md_ptr(lba);
                if c.mptr == crate::env::memmap::VTOPHYS_ERROR {
                    return Err(SubmitError::BadBuffer);
                }
            }
            return self.submit_raw(c, payload, cb, arg);
        }
        // Split: children completing through one parent from the slab.
        let mut nchunks = 0usize;
        let mut at = lba;
        while at < end {
            at = chunk_end(at);
            nchunks += 1;
        }
        if self.room() < nchunks {
            return Err(SubmitError::NoTracker);
        }
        let Some(index) = self.parent_free.borrow_mut().pop() else { return Err(SubmitError::NoTracker) };
        let parent: *mut Parent = self.parents.borrow()[index as usize].get();
        // SAFETY: a free slab slot, ours until its last child completes.
        unsafe { *parent = Parent { cb, arg, remaining: nchunks as u32, first_error: None, last: Cpl::default(), qp: self, index } };
        let mut slba = lba;
        for i in 0..nchunks {
            let n = chunk_end(slba) - slba;
            let mut c = mk(slba, n);
            if !md.is_null() {
                c.mptr = md_ptr(slba);
            }
            let off = ((slba - lba) as usize) * block;
            let part = if payload.is_empty() { Payload::None } else { payload.slice(off, n as usize * block) };
            if let Err(e) = self.submit_raw(c, part, Some(child_done), parent.cast()) {
                if i == 0 {
                    // No child went out: the slot goes back, the caller gets the error.
                    self.parent_free.borrow_mut().push(index);
                    return Err(e);
                }
                // Children already in flight: the rest complete as errors through the parent.
                // SAFETY: the slot stays in use until `remaining` reaches zero.
                let p = unsafe { &mut *parent };
                p.remaining -= (nchunks - i) as u32 - 1;
                let cpl = Cpl::synthetic(spec::sct::GENERIC, spec::sc::DATA_TRANSFER_ERROR, false, self.id(), 0);
                child_done(parent.cast(), &cpl);
                return Ok(());
            }
            slba += n;
        }
        Ok(())
    }

    /// Commands older than `tsc` (for timeouts): (cid, command).
    pub fn older_than(&self, tsc: u64) -> Vec<(u16, Cmd)> {
        self.q.borrow().older_than(tsc)
    }
}

pub use nvm::{COMPARE, DATASET_MANAGEMENT, FLUSH, READ, WRITE, WRITE_ZEROES};
